//! Tourism through lodging (pilot model 40): guests by month, domestic and foreign, by facility
//! type, nationality, origin province and commune, and length of stay. Everything comes from
//! lodging events ingested by [`crate::lodging::ingest`]; without them every figure says there is
//! no data source yet.

use std::collections::BTreeMap;

use kernel::AppError;

use super::{col, labels, t, Cell, Chart, Figure, Request, Row, Text};
use crate::lodging::{self, StayRow};

fn no_source(id: &str, title: Text, chart: Chart) -> Figure {
    Figure::unavailable(
        id,
        title,
        t(
            "Chưa có nguồn dữ liệu: chưa nhận được dữ liệu thông báo lưu trú từ phân hệ lưu trú.",
            "No data source yet: no lodging notifications have been received from the lodging module.",
        ),
        chart,
    )
}

pub(super) async fn figures(r: &Request<'_>) -> Result<Vec<Figure>, AppError> {
    let occupancy = Figure::unavailable(
        "occupancy",
        t("Công suất buồng", "Room occupancy"),
        t(
            "Chưa có nguồn dữ liệu: số buồng của cơ sở lưu trú chưa được ghi nhận.",
            "No data source yet: the number of rooms of lodging facilities is not recorded.",
        ),
        Chart::Series,
    );
    if !lodging::has_data(r.db).await? {
        return Ok(vec![
            no_source("guests_month", t("Khách lưu trú theo tháng", "Guests by month"), Chart::Series),
            no_source("length_of_stay", t("Thời gian lưu trú bình quân", "Average length of stay"), Chart::Series),
            no_source("facility_types", t("Khách theo loại cơ sở", "Guests by facility type"), Chart::Bars),
            no_source("nationalities", t("Khách quốc tế theo quốc tịch", "Foreign guests by nationality"), Chart::Bars),
            no_source("origin_provinces", t("Khách trong nước theo tỉnh", "Domestic guests by province"), Chart::Bars),
            no_source("tourism_communes", t("Khách theo xã/phường", "Guests by commune"), Chart::Bars),
            occupancy,
        ]);
    }
    let stays = lodging::stays(r.db, &r.scope.communes, &r.period.from, &r.period.to).await?;
    let min = r.settings.min_cell;
    let guests_def = t(
        "Số lượt khách nhận phòng theo tháng đến, từ thông báo lưu trú; khách trong nước có quốc tịch VN.",
        "Guest check-ins by month of arrival, from lodging notifications; domestic guests have VN nationality.",
    );

    let mut by_month = Figure::new(
        "guests_month",
        t("Khách lưu trú theo tháng", "Guests by month"),
        guests_def.clone(),
        Chart::Series,
        t("Tháng", "Month"),
        vec![col("domestic", t("Trong nước", "Domestic"), 0), col("foreign", t("Quốc tế", "Foreign"), 0)],
    );
    let mut stay_len = Figure::new(
        "length_of_stay",
        t("Thời gian lưu trú bình quân", "Average length of stay"),
        t(
            "Số đêm bình quân của các lượt lưu trú đã trả phòng, theo tháng đến.",
            "Average nights of stays that have ended, by month of arrival.",
        ),
        Chart::Series,
        t("Tháng", "Month"),
        vec![
            col("stays", t("Lượt đã trả phòng", "Ended stays"), 0),
            col("nights", t("Số đêm", "Nights"), 0),
            col("average", t("Đêm/lượt", "Nights per stay"), 1),
        ],
    );
    for m in r.period.months() {
        let of_month: Vec<&StayRow> = stays.iter().filter(|s| s.month == m).collect();
        let sum = |f: &dyn Fn(&StayRow) -> i64| of_month.iter().map(|s| f(s)).sum::<i64>();
        let domestic = sum(&|s| if s.nationality == "VN" { s.guests } else { 0 });
        let foreign = sum(&|s| if s.nationality != "VN" { s.guests } else { 0 });
        let (ended, nights) = (sum(&|s| s.stays_ended), sum(&|s| s.nights));
        by_month.rows.push(Row {
            key: m.clone(),
            label: labels::month(&m),
            cells: vec![Cell::count(domestic, min), Cell::count(foreign, min)],
        });
        stay_len.rows.push(Row {
            key: m.clone(),
            label: labels::month(&m),
            cells: vec![Cell::count(ended, min), Cell::count(nights, min), Cell::ratio(nights, ended as f64, 1.0, min)],
        });
    }

    let grouped = |id: &str,
                   title: Text,
                   header: Text,
                   key: &dyn Fn(&StayRow) -> Option<String>,
                   label: &dyn Fn(&str) -> Text| {
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        for s in &stays {
            if let Some(k) = key(s) {
                *sums.entry(k).or_insert(0) += s.guests;
            }
        }
        let mut f = Figure::new(
            id,
            title,
            guests_def.clone(),
            Chart::Bars,
            header,
            vec![col("guests", t("Lượt khách", "Guests"), 0)],
        );
        let mut rows: Vec<(String, i64)> = sums.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        f.rows =
            rows.into_iter().map(|(k, n)| Row { label: label(&k), key: k, cells: vec![Cell::count(n, min)] }).collect();
        f
    };
    Ok(vec![
        by_month,
        stay_len,
        grouped(
            "facility_types",
            t("Khách theo loại cơ sở", "Guests by facility type"),
            t("Loại cơ sở", "Facility type"),
            &|s| Some(s.facility_type.clone()),
            &labels::facility_type,
        ),
        grouped(
            "nationalities",
            t("Khách quốc tế theo quốc tịch", "Foreign guests by nationality"),
            t("Quốc tịch", "Nationality"),
            &|s| (s.nationality != "VN").then(|| s.nationality.clone()),
            &super::same,
        ),
        grouped(
            "origin_provinces",
            t("Khách trong nước theo tỉnh thường trú", "Domestic guests by province of residence"),
            t("Tỉnh", "Province"),
            &|s| (s.nationality == "VN").then(|| s.origin_province.clone()),
            &labels::province,
        ),
        grouped(
            "tourism_communes",
            t("Khách theo xã/phường", "Guests by commune"),
            t("Xã/phường", "Commune"),
            &|s| Some(s.commune.clone()),
            &labels::commune,
        ),
        occupancy,
    ])
}
