//! Export of lodging notifications — facilities' guests and citizens' declarations of stays at
//! private homes — for exchange with other police systems: CSV (Vietnamese headers,
//! `dd/mm/yyyy HH:MM` times, UTF-8 with BOM) and a versioned JSON document (format
//! `dancu.lodging.notifications/2`, described in docs/LODGING.md).

use kernel::Jurisdiction;
use serde::Serialize;

use crate::notifications::Notification;

/// Most rows one export carries; a larger result is refused so nothing is silently cut.
pub const MAX_ROWS: usize = 50_000;
/// Name and version of the JSON document (2: items carry a `source` and may be declarations,
/// whose `facility` is null).
pub const FORMAT: &str = "dancu.lodging.notifications/2";

/// A time as RFC 3339 in Vietnam time (`2026-03-10T14:30:00+07:00`).
fn rfc3339(ms: i64) -> String {
    kernel::clock::ms_to_vn(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[derive(Serialize)]
struct Guest<'a> {
    kind: &'a str,
    personal_id: Option<&'a str>,
    passport_number: Option<&'a str>,
    nationality: &'a str,
    full_name: &'a str,
}

#[derive(Serialize)]
struct Facility<'a> {
    id: &'a str,
    name: &'a str,
    commune_code: &'a str,
}

/// The home a citizen declared a stay at.
#[derive(Serialize)]
struct PrivateHome<'a> {
    host_name: Option<&'a str>,
    address: Option<&'a str>,
    commune_code: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    source: &'a str,
    commune_code: &'a str,
    checkin_id: Option<&'a str>,
    facility: Option<Facility<'a>>,
    private_home: Option<PrivateHome<'a>>,
    guest: Guest<'a>,
    reason: &'a str,
    arrival_at: String,
    expected_departure_at: Option<String>,
    deadline_at: String,
    submitted_at: String,
    late: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    generated_at: String,
    jurisdiction: &'a Jurisdiction,
    filters: &'a serde_json::Value,
    count: usize,
    items: Vec<Item<'a>>,
}

/// The JSON export document, generated at `now` (UTC milliseconds).
pub fn to_json(items: &[Notification], j: &Jurisdiction, filters: &serde_json::Value, now: i64) -> serde_json::Value {
    let doc = Document {
        format: FORMAT,
        generated_at: rfc3339(now),
        jurisdiction: j,
        filters,
        count: items.len(),
        items: items
            .iter()
            .map(|n| Item {
                id: &n.id,
                source: &n.source,
                commune_code: &n.commune_code,
                checkin_id: n.checkin_id.as_deref(),
                facility: n.facility_id.as_deref().map(|id| Facility {
                    id,
                    name: n.facility_name.as_deref().unwrap_or_default(),
                    commune_code: &n.commune_code,
                }),
                private_home: (n.source == "declaration").then(|| PrivateHome {
                    host_name: n.host_name.as_deref(),
                    address: n.address.as_deref(),
                    commune_code: &n.commune_code,
                }),
                guest: Guest {
                    kind: &n.guest_kind,
                    personal_id: n.personal_id.as_deref(),
                    passport_number: n.passport_number.as_deref(),
                    nationality: &n.nationality,
                    full_name: &n.full_name,
                },
                reason: &n.reason,
                arrival_at: rfc3339(n.arrival_at),
                expected_departure_at: n.expected_departure_at.map(rfc3339),
                deadline_at: rfc3339(n.deadline_at),
                submitted_at: rfc3339(n.submitted_at),
                late: n.late,
            })
            .collect(),
    };
    serde_json::to_value(doc).unwrap_or_default()
}

/// The CSV export (with a byte-order mark so spreadsheet programs read UTF-8).
pub fn to_csv(items: &[Notification]) -> Result<Vec<u8>, kernel::AppError> {
    let mut w = kernel::csv_export::CsvExport::new();
    w.row([
        "Mã thông báo",
        "Nguồn",
        "Cơ sở lưu trú / chủ nhà",
        "Địa chỉ nơi ở",
        "Mã xã",
        "Loại khách",
        "Số định danh",
        "Số hộ chiếu",
        "Quốc tịch",
        "Họ và tên",
        "Lý do lưu trú",
        "Thời gian đến",
        "Dự kiến đi",
        "Hạn thông báo",
        "Thời gian thông báo",
        "Trễ hạn",
    ])?;
    for n in items {
        let fmt = kernel::clock::format_ms_vn;
        w.row([
            n.id.as_str(),
            if n.source == "declaration" { "Tự khai báo tại nhà riêng" } else { "Cơ sở lưu trú" },
            n.facility_name.as_deref().or(n.host_name.as_deref()).unwrap_or(""),
            n.address.as_deref().unwrap_or(""),
            &n.commune_code,
            if n.guest_kind == "citizen" { "Công dân Việt Nam" } else { "Người nước ngoài" },
            n.personal_id.as_deref().unwrap_or(""),
            n.passport_number.as_deref().unwrap_or(""),
            &n.nationality,
            &n.full_name,
            &n.reason,
            &fmt(n.arrival_at),
            &n.expected_departure_at.map(fmt).unwrap_or_default(),
            &fmt(n.deadline_at),
            &fmt(n.submitted_at),
            if n.late { "Có" } else { "Không" },
        ])?;
    }
    Ok(w.finish()?.into_bytes())
}

#[cfg(test)]
mod tests {
    /// docs/LODGING.md describes the export format this code writes: every version it names is
    /// the current one (its example once said `/1` under a `/2` heading).
    #[test]
    fn the_documented_format_is_the_written_one() {
        let doc = include_str!("../../../docs/LODGING.md");
        let prefix = "dancu.lodging.notifications/";
        let named: Vec<&str> = doc
            .match_indices(prefix)
            .filter_map(|(i, _)| doc.get(i..))
            .map(|rest| rest.split(|c: char| c == '`' || c == '"' || c.is_whitespace()).next().unwrap_or_default())
            .collect();
        assert!(!named.is_empty());
        for n in named {
            assert_eq!(n, super::FORMAT);
        }
    }
}
