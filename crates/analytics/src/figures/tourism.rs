//! Tourism through lodging (pilot model 40): guests by month, domestic and foreign, by facility
//! type, nationality, origin province and commune, length of stay and bed-place occupancy.
//! Everything comes from lodging events ingested by [`crate::lodging::ingest`] and the bed
//! capacity recorded by [`crate::lodging::replace_capacity`]; until the lodging feed has run every
//! figure says there is no data source yet.

use std::collections::BTreeMap;

use chrono::Datelike;
use kernel::AppError;

use super::{col, labels, sum_by_month, t, Cell, Chart, Figure, Request, Row, Text};
use crate::facts::dim;
use crate::lodging::{self, StayRow, DOMESTIC};

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
    if !lodging::has_data(r.db).await? {
        return Ok(vec![
            no_source("guests_month", t("Khách lưu trú theo tháng", "Guests by month"), Chart::Series),
            no_source("length_of_stay", t("Thời gian lưu trú bình quân", "Average length of stay"), Chart::Series),
            no_source("facility_types", t("Khách theo loại cơ sở", "Guests by facility type"), Chart::Bars),
            no_source("nationalities", t("Khách quốc tế theo quốc tịch", "Foreign guests by nationality"), Chart::Bars),
            no_source("origin_provinces", t("Khách trong nước theo tỉnh", "Domestic guests by province"), Chart::Bars),
            no_source("tourism_communes", t("Khách theo xã/phường", "Guests by commune"), Chart::Bars),
            no_source("occupancy", occupancy_title(), Chart::Series),
        ]);
    }
    let stays = lodging::stays(r.db, &r.scope.communes, &r.period.from, &r.period.to).await?;
    let min = r.settings.min_cell;
    let guests_def = t(
        "Số lượt khách đến theo ngày đến (giờ Việt Nam), từ thông báo lưu trú của cơ sở lưu trú (khách sạn, nhà nghỉ, \
         homestay, nhà cho thuê, ký túc xá, nhà khách) và khai báo lưu trú tại nhà riêng của công dân (loại \
         \"Nhà riêng\"); không tính hành khách xe khách và người bệnh, người chăm bệnh tại bệnh viện. Khách trong \
         nước: quốc tịch VNM (ISO 3166-1 alpha-3); tỉnh của khách trong nước là tỉnh nơi cư trú hiện tại.",
        "Guest arrivals by day of arrival (Vietnam time), from the lodging notifications of accommodation facilities \
         (hotels, motels, homestays, rental houses, dormitories, guest houses) and citizens' declarations of stays \
         at private homes (type \"Private home\"); coach passengers and hospital inpatients and caregivers are not \
         counted. Domestic guests have nationality VNM (ISO 3166-1 alpha-3); a domestic guest's province is that \
         of their current residence.",
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
            "Số đêm bình quân của các lượt lưu trú đã trả phòng tại cơ sở lưu trú, theo tháng đến; số đêm = ngày trả \
             phòng − ngày đến (giờ Việt Nam). Khai báo tại nhà riêng không ghi ngày đi nên không được tính.",
            "Average nights of stays that have ended at accommodation facilities, by month of arrival; nights = day \
             of departure − day of arrival (Vietnam time). Declared stays at private homes record no departure and \
             are not counted.",
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
        let domestic = sum(&|s| if s.nationality == DOMESTIC { s.guests } else { 0 });
        let foreign = sum(&|s| if s.nationality != DOMESTIC { s.guests } else { 0 });
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
            &|s| (s.nationality != DOMESTIC).then(|| s.nationality.clone()),
            &labels::nationality,
        ),
        grouped(
            "origin_provinces",
            t("Khách trong nước theo tỉnh thường trú", "Domestic guests by province of residence"),
            t("Tỉnh", "Province"),
            &|s| (s.nationality == DOMESTIC).then(|| s.origin_province.clone()),
            &labels::province,
        ),
        grouped(
            "tourism_communes",
            t("Khách theo xã/phường", "Guests by commune"),
            t("Xã/phường", "Commune"),
            &|s| Some(s.commune.clone()),
            &labels::commune,
        ),
        occupancy(r).await?,
    ])
}

fn occupancy_title() -> Text {
    t("Công suất sử dụng giường", "Bed-place occupancy")
}

/// Guest-nights over bed-nights available, per month.
async fn occupancy(r: &Request<'_>) -> Result<Figure, AppError> {
    let Some(cp) = crate::store::source_checkpoint(r.db, lodging::CAPACITY_SOURCE).await? else {
        return Ok(Figure::unavailable(
            "occupancy",
            occupancy_title(),
            t(
                "Chưa có số liệu: số giường của cơ sở lưu trú chưa được đếm từ phân hệ lưu trú.",
                "No data yet: the beds of lodging facilities have not yet been counted from the lodging module.",
            ),
            Chart::Series,
        ));
    };
    // (month, commune, facility type) → beds counted during that month.
    let beds =
        sum_by_month(r, dim::LODGING_BEDS, |row| Some((row.k1.clone(), row.commune.clone(), row.k2.clone()))).await?;
    let mut nights: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for (m, c, kind, n) in lodging::nights(r.db, &r.scope.communes, &r.period.from, &r.period.to).await? {
        *nights.entry((m, c, kind)).or_insert(0) += n;
    }
    let recounted = super::recounted_at(cp.updated_at);
    let mut f = Figure::new(
        "occupancy",
        occupancy_title(),
        t(
            &format!(
                "Công suất sử dụng giường của tháng = số đêm khách / (số giường × số ngày của tháng) × 100%. Số đêm \
                 khách: các đêm của lượt lưu trú đã trả phòng, mỗi đêm tính vào tháng của đêm đó (đêm bắt đầu ngày d \
                 thuộc tháng của ngày d), tại các xã/phường và loại cơ sở có số giường. Số giường: tổng số giường của \
                 các cơ sở lưu trú đã được phê duyệt, có số giường > 0 (không gồm nhà xe, bệnh viện, nhà riêng), theo \
                 lần đếm cuối cùng trong tháng; tháng chưa được đếm thì để trống. Tháng hiện tại tính số ngày đến \
                 hôm nay. Khách còn đang ở chưa được tính cho đến khi trả phòng. {}",
                recounted.vi
            ),
            &format!(
                "Bed-place occupancy of a month = guest-nights / (beds × days in the month) × 100%. Guest-nights: the \
                 nights of stays that have ended, each night counted in its own month (the night starting on day d \
                 belongs to d's month), in the communes and facility types with beds recorded. Beds: the beds of \
                 approved accommodation facilities with more than 0 beds (not coach operators, hospitals or private \
                 homes), as last counted during that month; months never counted are left empty. The current month \
                 counts its days up to today. Guests still staying count once they check out. {}",
                recounted.en
            ),
        ),
        Chart::Series,
        t("Tháng", "Month"),
        vec![
            col("guest_nights", t("Số đêm khách", "Guest-nights"), 0),
            col("bed_nights", t("Số giường × ngày", "Bed-nights available"), 0),
            col("occupancy", t("Công suất (%)", "Occupancy (%)"), 1),
        ],
    );
    let today = r.today;
    let this_month = today.format("%Y-%m").to_string();
    for m in r.period.months() {
        let of_month: Vec<(&(String, String, String), &i64)> = beds.iter().filter(|(k, _)| k.0 == m).collect();
        let total_beds: i64 = of_month.iter().map(|(_, b)| **b).sum();
        let used: i64 = of_month
            .iter()
            .filter_map(|((_, commune, kind), _)| nights.get(&(m.clone(), commune.clone(), kind.clone())))
            .sum();
        let days = if m == this_month { i64::from(today.day()) } else { days_in_month(&m) };
        let available = total_beds * days;
        let available_cell =
            if of_month.is_empty() { Cell { value: None, suppressed: false } } else { Cell::measure(available as f64) };
        f.rows.push(Row {
            key: m.clone(),
            label: labels::month(&m),
            cells: vec![
                Cell::count(used, r.settings.min_cell),
                available_cell,
                Cell::ratio(used, available as f64, 100.0, r.settings.min_cell),
            ],
        });
    }
    Ok(f)
}

/// Days of a `YYYY-MM` month (30 when unparsable).
fn days_in_month(month: &str) -> i64 {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d");
    match first {
        Ok(d) => {
            let next = if d.month() == 12 {
                chrono::NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
            } else {
                chrono::NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
            };
            next.map(|n| (n - d).num_days()).unwrap_or(30)
        }
        Err(_) => 30,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_have_their_days() {
        assert_eq!(super::days_in_month("2024-02"), 29);
        assert_eq!(super::days_in_month("2025-02"), 28);
        assert_eq!(super::days_in_month("2025-12"), 31);
    }
}
