//! Public order (pilot model 41): residence moves in and out, temporary residents and their
//! origin, temporary absences, late lodging notifications and watchlist alerts (counts only).

use std::collections::BTreeMap;

use kernel::AppError;

use super::{col, labels, sum_by, sum_by_month, t, Cell, Chart, Figure, Request, Row, Text};
use crate::facts::dim;
use crate::lodging;

pub(super) async fn figures(r: &Request<'_>) -> Result<Vec<Figure>, AppError> {
    let min = r.settings.min_cell;
    let moves_in = sum_by_month(r, dim::MOVE_IN, |row| Some((row.k1.clone(), row.commune.clone()))).await?;
    let moves_out = sum_by_month(r, dim::MOVE_OUT, |row| Some((row.k1.clone(), row.commune.clone()))).await?;
    let moves_def = t(
        "Chuyển đến: đăng ký thường trú mới tại xã/phường, nối tiếp ngay một đăng ký thường trú ở xã/phường khác \
         của cùng người (kể cả ngoài tỉnh). Chuyển đi: ngược lại, tính tại xã/phường cũ. Theo tháng chuyển.",
        "Moved in: a new permanent registration in the commune that directly follows the same person's permanent \
         registration in another commune (including outside the province). Moved out: the same move, counted at \
         the old commune. By month of the move.",
    );
    let total = |m: &BTreeMap<(String, String), i64>, f: &dyn Fn(&(String, String)) -> bool| {
        m.iter().filter(|(k, _)| f(k)).map(|(_, n)| n).sum::<i64>()
    };

    let mut by_month = Figure::new(
        "moves_month",
        t("Chuyển đến, chuyển đi theo tháng", "Moves in and out by month"),
        moves_def.clone(),
        Chart::Series,
        t("Tháng", "Month"),
        vec![col("in", t("Chuyển đến", "Moved in"), 0), col("out", t("Chuyển đi", "Moved out"), 0)],
    );
    for m in r.period.months() {
        let (i, o) = (total(&moves_in, &|k| k.0 == m), total(&moves_out, &|k| k.0 == m));
        by_month.rows.push(Row {
            key: m.clone(),
            label: labels::month(&m),
            cells: vec![Cell::count(i, min), Cell::count(o, min)],
        });
    }

    let temp = sum_by(r, dim::TEMP_RESIDENTS, |row| Some((row.commune.clone(), row.k1.clone()))).await?;
    let absent = sum_by(r, dim::TEMP_ABSENT, |row| Some(row.commune.clone())).await?;
    let mut by_commune = Figure::new(
        "communes",
        t("Biến động cư trú theo xã/phường", "Residence changes by commune"),
        t(
            "Chuyển đến, chuyển đi trong kỳ (như trên); tạm trú: đăng ký tạm trú chưa kết thúc của người đang sống; \
             tạm vắng: thường trú tại xã/phường nhưng đang đăng ký tạm trú nơi khác (suy ra từ đăng ký cư trú; \
             khai báo tạm vắng chưa có trong dữ liệu).",
            "Moves in and out during the period (as above); temporary residents: open temporary registrations of \
             living people; temporarily absent: permanent residents of the commune with an open temporary \
             registration elsewhere (derived from residence registrations; absence declarations are not held).",
        ),
        Chart::Bars,
        t("Xã/phường", "Commune"),
        vec![
            col("in", t("Chuyển đến", "Moved in"), 0),
            col("out", t("Chuyển đi", "Moved out"), 0),
            col("temporary", t("Tạm trú", "Temporary residents"), 0),
            col("absent", t("Tạm vắng", "Temporarily absent"), 0),
        ],
    );
    for code in &r.scope.communes {
        let values = [
            total(&moves_in, &|k| &k.1 == code),
            total(&moves_out, &|k| &k.1 == code),
            temp.iter().filter(|((c, _), _)| c == code).map(|(_, n)| n).sum(),
            absent.get(code).copied().unwrap_or(0),
        ];
        by_commune.rows.push(Row {
            key: code.clone(),
            label: labels::commune(code),
            cells: values.iter().map(|n| Cell::count(*n, min)).collect(),
        });
    }
    by_commune.rows.sort_by(|a, b| a.label.vi.cmp(&b.label.vi));

    let mut origins: BTreeMap<&str, i64> = BTreeMap::new();
    for ((_, origin), n) in &temp {
        *origins.entry(origin.as_str()).or_insert(0) += n;
    }
    let mut by_origin = Figure::new(
        "temporary_origin",
        t("Người tạm trú theo tỉnh thường trú", "Temporary residents by province of permanent residence"),
        t(
            "Đăng ký tạm trú chưa kết thúc của người đang sống, theo tỉnh nơi họ đăng ký thường trú.",
            "Open temporary registrations of living people, by the province of their permanent residence.",
        ),
        Chart::Bars,
        t("Tỉnh thường trú", "Province of permanent residence"),
        vec![col("temporary", t("Tạm trú", "Temporary residents"), 0)],
    );
    let mut rows: Vec<(&str, i64)> = origins.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_origin.rows = rows
        .into_iter()
        .map(|(k, n)| Row { key: k.into(), label: labels::province(k), cells: vec![Cell::count(n, min)] })
        .collect();

    let has_lodging = lodging::has_data(r.db).await?;
    let late = flag_figure(
        r,
        has_lodging,
        "late_notifications",
        "late_notification",
        t("Thông báo lưu trú muộn", "Late lodging notifications"),
        t(
            "Số thông báo lưu trú gửi sau thời hạn luật định, theo tháng và xã/phường nơi có cơ sở lưu trú.",
            "Lodging notifications sent after the legal deadline, by month, in the facility's commune.",
        ),
    )
    .await?;
    let alerts = flag_figure(
        r,
        has_lodging,
        "watchlist_alerts",
        "watchlist_alert",
        t("Cảnh báo đối tượng cần chú ý", "Watchlist alerts"),
        t(
            "Số cảnh báo khi khách lưu trú trùng với danh sách cần chú ý (chỉ số lượng), theo tháng.",
            "Alerts raised when a guest matched the watchlist (counts only), by month.",
        ),
    )
    .await?;
    Ok(vec![by_month, by_commune, by_origin, late, alerts])
}

async fn flag_figure(
    r: &Request<'_>,
    has_lodging: bool,
    id: &str,
    kind: &str,
    title: Text,
    definition: Text,
) -> Result<Figure, AppError> {
    if !has_lodging {
        return Ok(Figure::unavailable(
            id,
            title,
            t(
                "Chưa có nguồn dữ liệu: chưa nhận được dữ liệu từ phân hệ lưu trú.",
                "No data source yet: nothing has been received from the lodging module.",
            ),
            Chart::Series,
        ));
    }
    let rows = lodging::flags(r.db, kind, &r.scope.communes, &r.period.from, &r.period.to).await?;
    let mut f = Figure::new(
        id,
        title,
        definition,
        Chart::Series,
        t("Tháng", "Month"),
        vec![col("count", t("Số lượng", "Count"), 0)],
    );
    for m in r.period.months() {
        let n: i64 = rows.iter().filter(|(month, _, _)| *month == m).map(|(_, _, n)| n).sum();
        f.rows.push(Row { key: m.clone(), label: labels::month(&m), cells: vec![Cell::count(n, r.settings.min_cell)] });
    }
    Ok(f)
}
