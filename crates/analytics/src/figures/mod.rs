//! Dashboards as data: figures with labelled rows and columns of cells, suppression applied. The
//! JSON API, the HTML tables, the SVG charts and the CSV exports are all drawn from these.

mod labels;
mod labour;
mod population;
mod public_order;
mod tourism;

use std::collections::HashMap;
use std::sync::Arc;

use db::Db;
use kernel::{Actor, AppError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::scope::{Bands, Filters, Period, Scope};
use crate::store::CountRow;
use crate::Settings;

/// A Vietnamese text with its English translation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

/// Shorthand for a [`Text`].
pub fn t(vi: &str, en: &str) -> Text {
    Text { vi: vi.to_string(), en: en.to_string() }
}

/// The same text in both languages (proper names).
pub fn same(s: &str) -> Text {
    t(s, s)
}

/// How a figure is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// Horizontal bars, one group per row.
    Bars,
    /// Age-sex pyramid: first column to the left, second to the right.
    Pyramid,
    /// Values over months, one line per column.
    Series,
    /// One point per commune on the province map.
    Map,
}

/// A value column.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Column {
    pub id: String,
    pub label: Text,
    /// Decimal places shown (0 for counts).
    pub decimals: u8,
}

/// One cell: a value, or nothing when suppressed (a count between 1 and the minimum).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Cell {
    pub value: Option<f64>,
    pub suppressed: bool,
}

impl Cell {
    /// A count, suppressed when `0 < n < min`.
    pub fn count(n: i64, min: i64) -> Cell {
        if n > 0 && n < min {
            Cell { value: None, suppressed: true }
        } else {
            Cell { value: Some(n as f64), suppressed: false }
        }
    }

    /// A measure that is not a count of people (area); never suppressed.
    pub fn measure(x: f64) -> Cell {
        Cell { value: Some(x), suppressed: false }
    }

    /// A rate derived from a count: suppressed with it; empty when the denominator is zero.
    pub fn ratio(numerator: i64, denominator: f64, scale: f64, min: i64) -> Cell {
        match Cell::count(numerator, min) {
            c if c.suppressed => c,
            _ if denominator <= 0.0 => Cell { value: None, suppressed: false },
            _ => Cell { value: Some(numerator as f64 * scale / denominator), suppressed: false },
        }
    }
}

/// One labelled row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Row {
    /// Stable key (commune code, month, age band, category code).
    pub key: String,
    pub label: Text,
    pub cells: Vec<Cell>,
}

/// One chart with its table, definition and source.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    pub id: String,
    pub title: Text,
    /// What is counted, from which data, as of when.
    pub definition: Text,
    pub chart: Chart,
    /// False when the platform holds no data for this figure yet ("chưa có nguồn dữ liệu").
    pub available: bool,
    /// Header of the label column.
    pub row_header: Text,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The key (`YYYY-MM`) of the row of the month still under way: its counts are partial
    /// ("tạm tính"), drawn apart and not compared with whole months.
    pub partial: Option<String>,
}

impl Figure {
    fn new(id: &str, title: Text, definition: Text, chart: Chart, row_header: Text, columns: Vec<Column>) -> Figure {
        Figure {
            id: id.into(),
            title,
            definition,
            chart,
            available: true,
            row_header,
            columns,
            rows: Vec::new(),
            partial: None,
        }
    }

    /// Marks the row of the month of `today` (Vietnam), on a chart over months, as partial: its
    /// label says so, and the chart draws it apart.
    pub fn mark_partial_month(&mut self, today: chrono::NaiveDate) {
        if self.chart != Chart::Series {
            return;
        }
        let current = today.format("%Y-%m").to_string();
        if let Some(row) = self.rows.iter_mut().find(|r| r.key == current) {
            row.label = t(&format!("{} (tạm tính)", row.label.vi), &format!("{} (partial)", row.label.en));
            self.partial = Some(current);
        }
    }

    /// A figure the platform has no data for yet.
    fn unavailable(id: &str, title: Text, definition: Text, chart: Chart) -> Figure {
        Figure { available: false, ..Figure::new(id, title, definition, chart, t("", ""), Vec::new()) }
    }
}

/// A value column.
fn col(id: &str, label: Text, decimals: u8) -> Column {
    Column { id: id.into(), label, decimals }
}

/// A set of figures for one audience.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dashboard {
    pub id: String,
    pub title: Text,
    /// When the registry figures were last brought up to date (UTC ms); `None` before any rebuild.
    pub updated_at: Option<i64>,
    /// Cells with a count from 1 to `min_cell - 1` are suppressed.
    pub min_cell: i64,
    /// First and last month of the period filter.
    pub period_from: String,
    pub period_to: String,
    /// The selected commune, if any.
    pub commune: Option<String>,
    pub figures: Vec<Figure>,
}

/// The four dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    Population,
    Labour,
    Tourism,
    PublicOrder,
}

impl Board {
    pub const ALL: [Board; 4] = [Board::Population, Board::Labour, Board::Tourism, Board::PublicOrder];

    /// URL segment.
    pub fn slug(self) -> &'static str {
        match self {
            Board::Population => "population",
            Board::Labour => "labour",
            Board::Tourism => "tourism",
            Board::PublicOrder => "public-order",
        }
    }

    pub fn parse(s: &str) -> Option<Board> {
        Board::ALL.into_iter().find(|b| b.slug() == s)
    }

    pub fn title(self) -> Text {
        match self {
            Board::Population => t("Dân số", "Population"),
            Board::Labour => t("Lao động", "Labour"),
            Board::Tourism => t("Du lịch qua lưu trú", "Tourism through lodging"),
            Board::PublicOrder => t("Trật tự xã hội", "Public order"),
        }
    }

    /// One-line summary for the index page.
    pub fn summary(self) -> Text {
        match self {
            Board::Population => t(
                "Quy mô, mật độ, tháp tuổi, dân tộc, tôn giáo, hộ, sinh và mất theo tháng",
                "Size, density, age pyramid, ethnic groups, religions, households, births and deaths by month",
            ),
            Board::Labour => t(
                "Dân số trong độ tuổi lao động theo nhóm tuổi, xã/phường, thành thị và nông thôn",
                "Working-age population by age band, commune, urban and rural",
            ),
            Board::Tourism => t(
                "Khách lưu trú trong nước và quốc tế, loại cơ sở, thời gian lưu trú",
                "Domestic and foreign guests, facility types, length of stay",
            ),
            Board::PublicOrder => t(
                "Chuyển đến, chuyển đi, tạm trú, tạm vắng, thông báo lưu trú muộn, cảnh báo",
                "Moves in and out, temporary residence and absence, late lodging notices, alerts",
            ),
        }
    }
}

/// Everything a dashboard's figures depend on.
pub struct Request<'a> {
    pub db: &'a Db,
    pub scope: &'a Scope,
    pub period: &'a Period,
    pub bands: &'a Bands,
    pub settings: Settings,
    /// The day in Vietnam the figures are made on (ages, the current month).
    pub today: chrono::NaiveDate,
    /// Rows already read for this request: several figures of a page count the same family.
    pub read: RowCache,
}

/// Stored rows by (dimension, month range), read at most once per request.
pub type RowCache = std::sync::Mutex<HashMap<(String, Option<(String, String)>), Arc<Vec<CountRow>>>>;

/// Builds a dashboard's figures.
pub async fn build(board: Board, r: &Request<'_>) -> Result<Dashboard, AppError> {
    let figures = match board {
        Board::Population => population::figures(r).await?,
        Board::Labour => labour::figures(r).await?,
        Board::Tourism => tourism::figures(r).await?,
        Board::PublicOrder => public_order::figures(r).await?,
    };
    let mut figures = figures;
    for f in &mut figures {
        f.mark_partial_month(r.today);
    }
    let updated_at = crate::store::registry_checkpoint(r.db).await?.map(|c| c.updated_at);
    Ok(Dashboard {
        id: board.slug().into(),
        title: board.title(),
        updated_at,
        min_cell: r.settings.min_cell,
        period_from: r.period.from.clone(),
        period_to: r.period.to.clone(),
        commune: r.scope.commune.clone(),
        figures,
    })
}

/// Sums stored counts of one dimension inside the scope by a key derived from each row.
async fn sum_by<K: Ord>(
    r: &Request<'_>,
    dimension: &str,
    key: impl FnMut(&CountRow) -> Option<K>,
) -> Result<std::collections::BTreeMap<K, i64>, AppError> {
    sum_rows(r, dimension, None, key).await
}

/// [`sum_by`] over the months of the period only (dimensions keyed by month first).
async fn sum_by_month<K: Ord>(
    r: &Request<'_>,
    dimension: &str,
    key: impl FnMut(&CountRow) -> Option<K>,
) -> Result<std::collections::BTreeMap<K, i64>, AppError> {
    sum_rows(r, dimension, Some((r.period.from.as_str(), r.period.to.as_str())), key).await
}

async fn sum_rows<K: Ord>(
    r: &Request<'_>,
    dimension: &str,
    months: Option<(&str, &str)>,
    mut key_of: impl FnMut(&CountRow) -> Option<K>,
) -> Result<std::collections::BTreeMap<K, i64>, AppError> {
    let key = (dimension.to_string(), months.map(|(a, b)| (a.to_string(), b.to_string())));
    let cached = r.read.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    let rows = match cached {
        Some(rows) => rows,
        None => {
            let rows =
                Arc::new(crate::store::read_dimension(r.db, dimension, r.scope.commune.as_deref(), months).await?);
            r.read.lock().unwrap_or_else(|e| e.into_inner()).insert(key, rows.clone());
            rows
        }
    };
    let mut out = std::collections::BTreeMap::new();
    for row in rows.iter().filter(|row| r.scope.contains(&row.commune)) {
        if let Some(k) = key_of(row) {
            *out.entry(k).or_insert(0) += row.value;
        }
    }
    Ok(out)
}

/// "Recounted at dd/mm/yyyy HH:MM (Vietnam time)." for figures recounted from another module.
fn recounted_at(ms: i64) -> Text {
    let at = kernel::clock::format_ms_vn(ms);
    t(&format!("Đếm lại lần cuối: {at} (giờ Việt Nam)."), &format!("Last recounted: {at} (Vietnam time)."))
}

/// Age reached in the year of `today` (that year − birth year; `None` when unknown).
fn age(birth_year: &str, today: chrono::NaiveDate) -> Option<u32> {
    let y: i32 = birth_year.parse().ok()?;
    u32::try_from(chrono::Datelike::year(&today) - y).ok()
}

/// Builds a dashboard for a caller and filters (shared by the API, the pages and the bench), as
/// of `now` (UTC milliseconds, passed so tests can fix time).
pub async fn load(
    service: &crate::Service,
    user: &Actor,
    board: &str,
    q: &Filters,
    now: i64,
) -> Result<Dashboard, AppError> {
    let board = Board::parse(board).ok_or_else(|| AppError::not_found(format!("no dashboard {board}")))?;
    let scope = Scope::resolve(user, q.commune.as_deref())?;
    let today = kernel::clock::date_vn(now);
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), today)?;
    let bands = Bands::parse(q.bands.as_deref())?;
    let req = Request {
        db: &service.db,
        scope: &scope,
        period: &period,
        bands: &bands,
        settings: service.settings,
        today,
        read: Default::default(),
    };
    build(board, &req).await
}
