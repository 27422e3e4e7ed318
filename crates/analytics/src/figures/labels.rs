//! Labels of keys: communes, provinces, months, genders, ethnic groups, religions, facility types.

use registry::admin_units::AdminUnits;

use super::{same, t, Text};

pub fn commune(code: &str) -> Text {
    same(&AdminUnits::get().commune(code).map(|c| c.name.clone()).unwrap_or_else(|| code.to_string()))
}

/// A province by code; `""` is "not recorded".
pub fn province(code: &str) -> Text {
    match AdminUnits::get().province(code) {
        Some(p) => same(&p.name),
        None if code.is_empty() => t("Không có nơi thường trú", "No permanent residence recorded"),
        None => same(code),
    }
}

/// `YYYY-MM` as `mm/yyyy`.
pub fn month(m: &str) -> Text {
    match m.split_once('-') {
        Some((y, mm)) => same(&format!("{mm}/{y}")),
        None => same(m),
    }
}

pub fn ethnicity(code: &str) -> Text {
    match kernel::vocab::ethnicity_name(code) {
        Some(n) => same(n),
        None => unknown(),
    }
}

/// Religions in Vietnamese, with the usual English names of the largest ones.
pub fn religion(code: &str) -> Text {
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

pub fn facility_type(code: &str) -> Text {
    match code {
        "hotel" => t("Khách sạn", "Hotel"),
        "guesthouse" => t("Nhà nghỉ", "Guesthouse"),
        "homestay" => t("Homestay", "Homestay"),
        "rental" => t("Nhà cho thuê", "Rental"),
        "hospital" => t("Bệnh viện", "Hospital"),
        "dormitory" => t("Ký túc xá", "Dormitory"),
        other => same(other),
    }
}

pub fn unknown() -> Text {
    t("Không rõ", "Unknown")
}

pub fn male() -> Text {
    t("Nam", "Male")
}

pub fn female() -> Text {
    t("Nữ", "Female")
}
