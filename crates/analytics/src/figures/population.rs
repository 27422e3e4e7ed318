//! Population (pilot model 38): size and density per commune, age-sex pyramid, ethnic groups,
//! religions, households by size, births and deaths by month, e-ID adoption.

use std::collections::BTreeMap;

use kernel::AppError;
use registry::admin_units::AdminUnits;

use super::{age, col, labels, sum_by, sum_by_month, t, Cell, Chart, Figure, Request, Row};
use crate::facts::dim;

pub(super) async fn figures(r: &Request<'_>) -> Result<Vec<Figure>, AppError> {
    Ok(vec![
        map(r).await?,
        pyramid(r).await?,
        categories(r, dim::ETHNICITY, "ethnicity").await?,
        categories(r, dim::RELIGION, "religion").await?,
        households(r).await?,
        births_deaths(r).await?,
        eid(r).await?,
    ])
}

async fn eid(r: &Request<'_>) -> Result<Figure, AppError> {
    let title =
        t("Tài khoản định danh điện tử mức 1, mức 2 theo xã/phường", "e-ID accounts (level 1, level 2) by commune");
    let Some(cp) = crate::store::source_checkpoint(r.db, crate::eid::SOURCE).await? else {
        return Ok(Figure::unavailable(
            "eid",
            title,
            t(
                "Chưa có số liệu: tài khoản định danh điện tử chưa được đếm từ phân hệ tài khoản.",
                "No data yet: e-ID accounts have not yet been counted from the accounts module.",
            ),
            Chart::Bars,
        ));
    };
    let accounts = sum_by(r, dim::EID, |row| Some((row.commune.clone(), row.k1.clone()))).await?;
    let population = population_by_commune(r).await?;
    let recounted = super::recounted_at(cp.updated_at);
    let mut f = Figure::new(
        "eid",
        title,
        t(
            &format!(
                "Tài khoản định danh điện tử của công dân đã kích hoạt, không bị tạm khóa bởi quản trị và không \
                 đóng (kể cả tài khoản công dân tự khóa), theo mức (1, 2) và xã/phường nơi cư trú hiện tại của \
                 người có tài khoản còn sống. Trên 100 dân = (mức 1 + mức 2) × 100 / dân số của xã/phường. {}",
                recounted.vi
            ),
            &format!(
                "Citizens' e-ID accounts that are activated and neither suspended by an administrator nor closed \
                 (accounts the citizen locked still count), by level (1, 2) and the current commune of residence \
                 of the living holder. Per 100 residents = (level 1 + level 2) × 100 / the commune's population. {}",
                recounted.en
            ),
        ),
        Chart::Bars,
        t("Xã/phường", "Commune"),
        vec![
            col("level_1", t("Mức 1", "Level 1"), 0),
            col("level_2", t("Mức 2", "Level 2"), 0),
            col("per_100", t("Trên 100 dân", "Per 100 residents"), 1),
        ],
    );
    let min = r.settings.min_cell;
    for code in &r.scope.communes {
        let level = |l: &str| accounts.get(&(code.clone(), l.to_string())).copied().unwrap_or(0);
        let (one, two) = (level("1"), level("2"));
        let residents = population.get(code).copied().unwrap_or(0);
        let cells = [Cell::count(one, min), Cell::count(two, min)];
        // The rate of both levels would give away a suppressed level: it is suppressed with it.
        let per_100 = match cells.iter().find(|c| c.suppressed) {
            Some(c) => *c,
            None => Cell::ratio(one + two, residents as f64, 100.0, min),
        };
        f.rows.push(Row { key: code.clone(), label: labels::commune(code), cells: vec![cells[0], cells[1], per_100] });
    }
    f.rows.sort_by(|a, b| a.label.vi.cmp(&b.label.vi));
    Ok(f)
}

/// Living residents per commune of the scope.
pub(super) async fn population_by_commune(r: &Request<'_>) -> Result<BTreeMap<String, i64>, AppError> {
    sum_by(r, dim::POPULATION, |row| Some(row.commune.clone())).await
}

async fn map(r: &Request<'_>) -> Result<Figure, AppError> {
    let by_commune = population_by_commune(r).await?;
    let units = AdminUnits::get();
    let mut f = Figure::new(
        "density",
        t("Dân số và mật độ dân số theo xã/phường", "Population and density by commune"),
        t(
            "Số người đang sống có nơi cư trú hiện tại tại xã/phường (đơn vị hành chính 2025), theo dữ liệu dân cư; \
             mật độ = dân số / diện tích (người/km²). Bản đồ: mỗi điểm là một xã/phường tại tọa độ trung tâm, \
             kích thước theo dân số, màu theo mật độ.",
            "Living residents whose current residence is in the commune (2025 units), from the population registry; \
             density = population / area (people per km²). Map: one point per commune at its centre, sized by \
             population and coloured by density.",
        ),
        Chart::Map,
        t("Xã/phường", "Commune"),
        vec![
            col("population", t("Dân số", "Population"), 0),
            col("area_km2", t("Diện tích (km²)", "Area (km²)"), 1),
            col("density", t("Mật độ (người/km²)", "Density (people/km²)"), 1),
        ],
    );
    for code in &r.scope.communes {
        let n = by_commune.get(code).copied().unwrap_or(0);
        let area = units.commune(code).and_then(|c| c.area_km2).unwrap_or(0.0);
        f.rows.push(Row {
            key: code.clone(),
            label: labels::commune(code),
            cells: vec![
                Cell::count(n, r.settings.min_cell),
                Cell::measure(area),
                Cell::ratio(n, area, 1.0, r.settings.min_cell),
            ],
        });
    }
    f.rows.sort_by(|a, b| a.label.vi.cmp(&b.label.vi));
    Ok(f)
}

/// Five-year bands up to 95–99, then 100+.
const PYRAMID_BANDS: u32 = 20;

async fn pyramid(r: &Request<'_>) -> Result<Figure, AppError> {
    // (band, gender column) → count; band PYRAMID_BANDS + 1 = unknown age.
    let counts = sum_by(r, dim::POPULATION, |row| {
        let band = age(&row.k1, r.today).map(|a| (a / 5).min(PYRAMID_BANDS)).unwrap_or(PYRAMID_BANDS + 1);
        let g = match row.k2.as_str() {
            "M" => 0,
            "F" => 1,
            _ => 2,
        };
        Some((band, g))
    })
    .await?;
    let mut f = Figure::new(
        "pyramid",
        t("Tháp dân số theo nhóm tuổi và giới tính", "Age-sex pyramid"),
        t(
            "Người đang sống theo nhóm 5 tuổi; tuổi = năm hiện tại − năm sinh (nhiều người cao tuổi chỉ có năm sinh). \
             Giới tính theo dữ liệu dân cư.",
            "Living residents by five-year age band; age = current year − year of birth (many older people have \
             only a year of birth). Sex as recorded in the registry.",
        ),
        Chart::Pyramid,
        t("Nhóm tuổi", "Age band"),
        vec![col("male", labels::male(), 0), col("female", labels::female(), 0), col("unknown", labels::unknown(), 0)],
    );
    for band in 0..=PYRAMID_BANDS + 1 {
        let label = match band {
            b if b == PYRAMID_BANDS + 1 => labels::unknown(),
            PYRAMID_BANDS => t("100+", "100+"),
            b => t(&format!("{}–{}", b * 5, b * 5 + 4), &format!("{}–{}", b * 5, b * 5 + 4)),
        };
        let cells = (0..3).map(|g| Cell::count(counts.get(&(band, g)).copied().unwrap_or(0), r.settings.min_cell));
        let row = Row { key: band.to_string(), label, cells: cells.collect() };
        if band <= PYRAMID_BANDS || row.cells.iter().any(|c| c.value != Some(0.0)) {
            f.rows.push(row);
        }
    }
    Ok(f)
}

async fn categories(r: &Request<'_>, dimension: &'static str, id: &str) -> Result<Figure, AppError> {
    let counts = sum_by(r, dimension, |row| Some(row.k1.clone())).await?;
    let (title, definition, header) = if dimension == dim::ETHNICITY {
        (
            t("Dân tộc", "Ethnic groups"),
            t(
                "Người đang sống theo dân tộc ghi trong dữ liệu dân cư (54 dân tộc theo danh mục của Tổng cục Thống kê).",
                "Living residents by ethnic group as recorded in the registry (the 54 groups of the GSO list).",
            ),
            t("Dân tộc", "Ethnic group"),
        )
    } else {
        (
            t("Tôn giáo", "Religions"),
            t(
                "Người đang sống theo tôn giáo ghi trong dữ liệu dân cư; \"Không\" là không theo tôn giáo nào.",
                "Living residents by religion as recorded in the registry; \"None\" means no religion.",
            ),
            t("Tôn giáo", "Religion"),
        )
    };
    let mut f =
        Figure::new(id, title, definition, Chart::Bars, header, vec![col("residents", t("Số người", "Residents"), 0)]);
    let mut rows: Vec<(&String, i64)> = counts.iter().map(|(k, v)| (k, *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (code, n) in rows {
        let label = if dimension == dim::ETHNICITY { labels::ethnicity(code) } else { labels::religion(code) };
        f.rows.push(Row { key: code.clone(), label, cells: vec![Cell::count(n, r.settings.min_cell)] });
    }
    Ok(f)
}

/// Sizes shown one by one; larger households are grouped.
const LARGEST_SIZE: i64 = 10;

async fn households(r: &Request<'_>) -> Result<Figure, AppError> {
    let counts = sum_by(r, dim::HOUSEHOLDS, |row| row.k1.parse::<i64>().ok().map(|n| n.min(LARGEST_SIZE))).await?;
    let mut f = Figure::new(
        "households",
        t("Hộ gia đình theo số thành viên", "Households by size"),
        t(
            "Số hộ theo số thành viên đang sống đăng ký trong hộ; hộ được tính tại xã/phường nơi đăng ký hộ.",
            "Households by number of living registered members, counted in the commune where the household is \
             registered.",
        ),
        Chart::Bars,
        t("Số thành viên", "Members"),
        vec![col("households", t("Số hộ", "Households"), 0)],
    );
    for size in 1..=LARGEST_SIZE {
        let label = if size == LARGEST_SIZE { format!("{size}+") } else { size.to_string() };
        let n = counts.get(&size).copied().unwrap_or(0);
        f.rows.push(Row {
            key: size.to_string(),
            label: t(&label, &label),
            cells: vec![Cell::count(n, r.settings.min_cell)],
        });
    }
    Ok(f)
}

async fn births_deaths(r: &Request<'_>) -> Result<Figure, AppError> {
    let births = sum_by_month(r, dim::BIRTHS, |row| Some(row.k1.clone())).await?;
    let deaths = sum_by_month(r, dim::DEATHS, |row| Some(row.k1.clone())).await?;
    let mut f = Figure::new(
        "births_deaths",
        t("Sinh và mất theo tháng", "Births and deaths by month"),
        t(
            "Sinh: người có ngày sinh (đủ tháng) trong tháng, tính tại nơi cư trú hiện tại. Mất: người được ghi nhận \
             đã mất theo tháng mất. Người chỉ có năm sinh/năm mất không được tính.",
            "Births: people whose date of birth (with a month) falls in the month, counted at their current \
             residence. Deaths: people recorded as deceased, by month of death. Year-only dates are not counted.",
        ),
        Chart::Series,
        t("Tháng", "Month"),
        vec![col("births", t("Sinh", "Births"), 0), col("deaths", t("Mất", "Deaths"), 0)],
    );
    for m in r.period.months() {
        let cells = [&births, &deaths].map(|c| Cell::count(c.get(&m).copied().unwrap_or(0), r.settings.min_cell));
        f.rows.push(Row { key: m.clone(), label: labels::month(&m), cells: cells.to_vec() });
    }
    Ok(f)
}
