//! Labour (pilot model 39): working-age population by age band and sex, by commune, and urban
//! (phường) against rural (xã, đặc khu).

use std::collections::BTreeMap;

use kernel::AppError;
use registry::admin_units::AdminUnits;

use super::{age, col, labels, sum_by, t, Cell, Chart, Figure, Request, Row, Text};
use crate::facts::dim;

pub(super) async fn figures(r: &Request<'_>) -> Result<Vec<Figure>, AppError> {
    let bands = r.bands;
    let range = format!("{}–{}", bands.0.first().map(|b| b.0).unwrap_or(15), bands.0.last().map(|b| b.1).unwrap_or(64));
    let definition = t(
        &format!(
            "Người đang sống trong độ tuổi {range} (nhóm tuổi cấu hình được, mặc định 15–64 theo thống kê lao động); \
             tuổi = năm hiện tại − năm sinh. Dữ liệu dân cư không có nghề nghiệp, việc làm."
        ),
        &format!(
            "Living residents aged {range} (configurable bands, 15–64 by default as in labour statistics); \
             age = current year − year of birth. The registry holds no occupation or employment."
        ),
    );
    // (commune, band, gender column) → count, for residents in a band.
    let cells = sum_by(r, dim::POPULATION, |row| {
        let band = age(&row.k1, r.today).and_then(|a| bands.of(a))?;
        let g = match row.k2.as_str() {
            "M" => 0,
            "F" => 1,
            _ => 2,
        };
        Some((row.commune.clone(), band, g))
    })
    .await?;
    let population = super::population::population_by_commune(r).await?;
    let min = r.settings.min_cell;

    let mut by_band = Figure::new(
        "working_age_bands",
        t("Dân số trong độ tuổi lao động theo nhóm tuổi", "Working-age population by age band"),
        definition.clone(),
        Chart::Bars,
        t("Nhóm tuổi", "Age band"),
        vec![
            col("male", labels::male(), 0),
            col("female", labels::female(), 0),
            col("total", t("Tổng (kể cả không rõ giới tính)", "Total (including sex unknown)"), 0),
        ],
    );
    for (i, _) in bands.0.iter().enumerate() {
        let sum = |g: usize| cells.iter().filter(|((_, b, gg), _)| *b == i && *gg == g).map(|(_, n)| n).sum::<i64>();
        let (m, f, all) = (sum(0), sum(1), sum(0) + sum(1) + sum(2));
        let label = bands.label(i);
        by_band.rows.push(Row {
            key: label.clone(),
            label: t(&label, &label),
            cells: vec![Cell::count(m, min), Cell::count(f, min), Cell::count(all, min)],
        });
    }

    let working: BTreeMap<&str, i64> = cells.iter().fold(BTreeMap::new(), |mut acc, ((c, _, _), n)| {
        *acc.entry(c.as_str()).or_insert(0) += n;
        acc
    });
    let share_columns = || {
        vec![
            col("population", t("Dân số", "Population"), 0),
            col("working_age", t("Trong độ tuổi lao động", "Working age"), 0),
            col("share", t("Tỷ lệ (%)", "Share (%)"), 1),
        ]
    };
    let share_row = |key: &str, label: Text, pop: i64, work: i64| Row {
        key: key.into(),
        label,
        cells: vec![Cell::count(pop, min), Cell::count(work, min), Cell::ratio(work, pop as f64, 100.0, min)],
    };
    let mut by_commune = Figure::new(
        "working_age_communes",
        t("Độ tuổi lao động theo xã/phường", "Working age by commune"),
        definition.clone(),
        Chart::Bars,
        t("Xã/phường", "Commune"),
        share_columns(),
    );
    let units = AdminUnits::get();
    // Urban (phường), rural (xã), special zones (đặc khu).
    let mut areas: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for code in &r.scope.communes {
        let pop = population.get(code).copied().unwrap_or(0);
        let work = working.get(code.as_str()).copied().unwrap_or(0);
        by_commune.rows.push(share_row(code, labels::commune(code), pop, work));
        let kind = units.commune(code).map(|c| c.kind.label_vi()).unwrap_or("Xã");
        let a = areas.entry(kind).or_insert((0, 0));
        a.0 += pop;
        a.1 += work;
    }
    by_commune.rows.sort_by(|a, b| a.label.vi.cmp(&b.label.vi));

    let mut urban_rural = Figure::new(
        "urban_rural",
        t("Thành thị (phường) và nông thôn (xã)", "Urban (wards) and rural (communes)"),
        t(
            "Như trên, gộp theo loại đơn vị hành chính: phường là thành thị; xã và đặc khu là nông thôn.",
            "As above, grouped by kind of unit: wards (phường) are urban; communes (xã) and special zones are rural.",
        ),
        Chart::Bars,
        t("Khu vực", "Area"),
        share_columns(),
    );
    for (kind, label) in [
        ("Phường", t("Thành thị (phường)", "Urban (wards)")),
        ("Xã", t("Nông thôn (xã)", "Rural (communes)")),
        ("Đặc khu", t("Đặc khu", "Special zones")),
    ] {
        if let Some((pop, work)) = areas.get(kind) {
            urban_rural.rows.push(share_row(kind, label, *pop, *work));
        }
    }

    let employment = Figure::unavailable(
        "employment",
        t("Việc làm, nghề nghiệp", "Employment and occupation"),
        t(
            "Chưa có nguồn dữ liệu: dữ liệu dân cư không ghi nghề nghiệp, việc làm.",
            "No data source yet: the registry records no occupation or employment.",
        ),
        Chart::Bars,
    );
    Ok(vec![by_band, by_commune, urban_rural, employment])
}
