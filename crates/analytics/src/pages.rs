//! HTML dashboards for leaders: `/analytics` and `/analytics/{board}`, each figure with its chart
//! (server-side SVG), table, definition and CSV download.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kernel::AppError;
use web::layout::render;
use web::{Chrome, CurrentUser, Lang, PageError, PageUser};

use crate::figures::{Board, Figure};
use crate::scope::{Bands, Filters, Scope};
use crate::svg::format_number;
use crate::Service;

/// HTML routes of the dashboards.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/analytics", get(index))
        .route("/analytics/{board}", get(dashboard))
        .route("/analytics/{board}/{file}", get(download))
        .with_state(service)
}

#[derive(Template)]
#[template(path = "analytics_index.html")]
struct IndexPage {
    chrome: Chrome,
    /// (slug, title, summary)
    boards: Vec<(String, String, String)>,
}

async fn index(PageUser(user): PageUser, lang: Lang, uri: Uri) -> Result<Response, PageError> {
    Scope::resolve(&user, None).map_err(|e| PageError::new(e, lang))?;
    let page = IndexPage {
        chrome: Chrome::for_uri(lang, &uri, ("Trung tâm điều hành", "Operations centre"), Some(&user)),
        boards: Board::ALL
            .iter()
            .map(|b| {
                let (t, s) = (b.title(), b.summary());
                (b.slug().to_string(), lang.pick(&t.vi, &t.en).to_string(), lang.pick(&s.vi, &s.en).to_string())
            })
            .collect(),
    };
    Ok(render(&page, lang))
}

/// A figure ready for the template.
struct FigureView {
    id: String,
    title: String,
    definition: String,
    available: bool,
    svg: Option<String>,
    row_header: String,
    columns: Vec<String>,
    /// (label, cells as text, suppressed flags)
    rows: Vec<(String, Vec<(String, bool)>)>,
    csv_href: String,
}

#[derive(Template)]
#[template(path = "analytics_dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    slug: String,
    title: String,
    /// (slug, title, current)
    tabs: Vec<(String, String, bool)>,
    communes: Vec<(String, String)>,
    commune: String,
    from: String,
    to: String,
    bands: Option<String>,
    updated: String,
    min_cell: i64,
    figures: Vec<FigureView>,
}

async fn dashboard(
    State(service): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    uri: Uri,
    Path(slug): Path<String>,
    Query(q): Query<Filters>,
) -> Result<Response, PageError> {
    let page = build_page(&service, &user, &slug, &q, lang, &uri).await.map_err(|e| PageError::new(e, lang))?;
    Ok(render(&page, lang))
}

/// The HTML of a dashboard as the page handler renders it (for `dancu analytics bench`).
pub async fn render_dashboard(
    service: &Service,
    user: &CurrentUser,
    slug: &str,
    q: &Filters,
    lang: Lang,
) -> Result<String, AppError> {
    let uri: Uri = format!("/analytics/{slug}").parse().map_err(|e| AppError::internal_from("dashboard path", e))?;
    let page = build_page(service, user, slug, q, lang, &uri).await?;
    page.render().map_err(|e| AppError::internal_from("template rendering failed", e))
}

async fn build_page(
    service: &Service,
    user: &CurrentUser,
    slug: &str,
    q: &Filters,
    lang: Lang,
    uri: &Uri,
) -> Result<DashboardPage, AppError> {
    let d = crate::figures::load(service, user, slug, q, kernel::clock::now_ms()).await?;
    let scope = Scope::resolve(user, q.commune.as_deref())?;
    let board = Board::parse(slug).ok_or_else(|| AppError::not_found("no such dashboard"))?;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let pick = |t: &crate::figures::Text| lang.pick(&t.vi, &t.en).to_string();
    let figures = d
        .figures
        .iter()
        .map(|f| FigureView {
            id: f.id.clone(),
            title: pick(&f.title),
            definition: pick(&f.definition),
            available: f.available,
            svg: crate::svg::render(f, lang, d.min_cell),
            row_header: pick(&f.row_header),
            columns: f.columns.iter().map(|c| pick(&c.label)).collect(),
            rows: f
                .rows
                .iter()
                .map(|r| {
                    let cells = r.cells.iter().zip(&f.columns);
                    (
                        pick(&r.label),
                        cells.map(|(c, col)| (cell_text(c, col.decimals, d.min_cell, lang), c.suppressed)).collect(),
                    )
                })
                .collect(),
            csv_href: format!("/analytics/{slug}/{}.csv{query}", f.id),
        })
        .collect();
    Ok(DashboardPage {
        chrome: Chrome::for_uri(lang, uri, (&d.title.vi, &d.title.en), Some(user)),
        tabs: Board::ALL.iter().map(|b| (b.slug().to_string(), pick(&b.title()), *b == board)).collect(),
        slug: slug.to_string(),
        title: pick(&d.title),
        communes: scope.choices,
        commune: d.commune.clone().unwrap_or_default(),
        from: d.period_from.clone(),
        to: d.period_to.clone(),
        bands: (board == Board::Labour)
            .then(|| Bands::parse(q.bands.as_deref()).map(|b| b.to_param()).unwrap_or_default()),
        updated: d.updated_at.map(kernel::clock::format_ms_vn).unwrap_or_else(|| "—".into()),
        min_cell: d.min_cell,
        figures,
    })
}

/// `/analytics/{board}/{figure}.csv`.
async fn download(
    State(service): State<Service>,
    PageUser(user): PageUser,
    lang: Lang,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<Filters>,
) -> Result<Response, PageError> {
    let err = |e: AppError| PageError::new(e, lang);
    let id = file.strip_suffix(".csv").ok_or_else(|| err(AppError::not_found("not a CSV file")))?;
    let d = crate::figures::load(&service, &user, &slug, &q, kernel::clock::now_ms()).await.map_err(err)?;
    let f = d.figures.iter().find(|f| f.id == id).ok_or_else(|| err(AppError::not_found("no such figure")))?;
    crate::api::csv_response(&d, f).map_err(err)
}

fn cell_text(c: &crate::figures::Cell, decimals: u8, min_cell: i64, lang: Lang) -> String {
    match c.value {
        _ if c.suppressed => format!("< {min_cell}"),
        Some(v) => format_number(v, decimals, lang),
        None => "—".into(),
    }
}

/// A figure as CSV: a header of Vietnamese (English) labels, then one line per row; suppressed
/// cells read `<N`. Starts with a BOM so spreadsheet programs read UTF-8.
pub fn csv(f: &Figure, min_cell: i64) -> Result<String, AppError> {
    let mut w = kernel::csv_export::CsvExport::new();
    let both = |t: &crate::figures::Text| if t.vi == t.en { t.vi.clone() } else { format!("{} ({})", t.vi, t.en) };
    let mut header = vec!["key".to_string(), both(&f.row_header)];
    header.extend(f.columns.iter().map(|c| both(&c.label)));
    w.row(&header)?;
    for r in &f.rows {
        let mut line = vec![r.key.clone(), both(&r.label)];
        for (c, col) in r.cells.iter().zip(&f.columns) {
            line.push(match c.value {
                _ if c.suppressed => format!("<{min_cell}"),
                Some(v) => format!("{v:.*}", col.decimals as usize),
                None => String::new(),
            });
        }
        w.row(&line)?;
    }
    w.finish()
}
