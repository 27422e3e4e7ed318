//! Labels of keys: communes, provinces, months, genders, ethnic groups, religions, facility types,
//! nationalities.

use registry::admin_units::AdminUnits;

use super::{same, t, Text};

pub(super) fn commune(code: &str) -> Text {
    same(&AdminUnits::get().commune(code).map(|c| c.name.clone()).unwrap_or_else(|| code.to_string()))
}

/// A province by code; `""` is "not recorded".
pub(super) fn province(code: &str) -> Text {
    match AdminUnits::get().province(code) {
        Some(p) => same(&p.name),
        None if code.is_empty() => t("Không có nơi thường trú", "No permanent residence recorded"),
        None => same(code),
    }
}

/// `YYYY-MM` as `mm/yyyy`.
pub(super) fn month(m: &str) -> Text {
    match m.split_once('-') {
        Some((y, mm)) => same(&format!("{mm}/{y}")),
        None => same(m),
    }
}

pub(super) fn ethnicity(code: &str) -> Text {
    match kernel::vocab::ethnicity_name(code) {
        Some(n) => same(n),
        None => unknown(),
    }
}

/// Religions in Vietnamese, with the usual English names of the largest ones.
pub(super) fn religion(code: &str) -> Text {
    let en = match code {
        "00" => Some("None"),
        "01" => Some("Buddhism"),
        "02" => Some("Catholicism"),
        "03" => Some("Protestantism"),
        "04" => Some("Cao Dai"),
        "05" => Some("Hoa Hao Buddhism"),
        "06" => Some("Islam"),
        _ => None,
    };
    match kernel::vocab::religion_name(code) {
        Some(vi) => t(vi, en.unwrap_or(vi)),
        None => unknown(),
    }
}

/// The lodging module's facility kinds, and `private_home` for citizens' declared stays.
pub(super) fn facility_type(code: &str) -> Text {
    match code {
        "hotel" => t("Khách sạn", "Hotel"),
        "motel" => t("Nhà nghỉ", "Motel"),
        "homestay" => t("Homestay", "Homestay"),
        "rental_house" => t("Nhà cho thuê", "Rental house"),
        "dormitory" => t("Ký túc xá", "Dormitory"),
        "official_guest_house" => t("Nhà khách", "Official guest house"),
        "private_home" => t("Nhà riêng (công dân tự khai báo)", "Private home (declared by the citizen)"),
        other => same(other),
    }
}

/// A nationality by ISO 3166-1 alpha-3 code: the countries most guests come from by name, others
/// by code.
pub(super) fn nationality(code: &str) -> Text {
    let (vi, en) = match code {
        "VNM" => ("Việt Nam", "Viet Nam"),
        "KOR" => ("Hàn Quốc", "Korea, Republic of"),
        "CHN" => ("Trung Quốc", "China"),
        "TWN" => ("Đài Loan (Trung Quốc)", "Taiwan (China)"),
        "JPN" => ("Nhật Bản", "Japan"),
        "USA" => ("Hoa Kỳ", "United States"),
        "RUS" => ("Liên bang Nga", "Russian Federation"),
        "AUS" => ("Úc", "Australia"),
        "IND" => ("Ấn Độ", "India"),
        "THA" => ("Thái Lan", "Thailand"),
        "LAO" => ("Lào", "Lao PDR"),
        "KHM" => ("Campuchia", "Cambodia"),
        "MYS" => ("Ma-lai-xi-a", "Malaysia"),
        "SGP" => ("Xin-ga-po", "Singapore"),
        "PHL" => ("Phi-líp-pin", "Philippines"),
        "IDN" => ("In-đô-nê-xi-a", "Indonesia"),
        "FRA" => ("Pháp", "France"),
        "DEU" => ("Đức", "Germany"),
        "GBR" => ("Vương quốc Anh", "United Kingdom"),
        "CAN" => ("Ca-na-đa", "Canada"),
        _ => return same(code),
    };
    t(vi, en)
}

pub(super) fn unknown() -> Text {
    t("Không rõ", "Unknown")
}

pub(super) fn male() -> Text {
    t("Nam", "Male")
}

pub(super) fn female() -> Text {
    t("Nữ", "Female")
}
