//! Controlled vocabularies of the population registry: ethnic groups, religions, household
//! relationships, person and card statuses.

/// The 54 ethnic groups of Vietnam with their official two-digit codes (General Statistics Office).
pub const ETHNIC_GROUPS: [(&str, &str); 54] = [
    ("01", "Kinh"),
    ("02", "Tày"),
    ("03", "Thái"),
    ("04", "Hoa"),
    ("05", "Khơ-me"),
    ("06", "Mường"),
    ("07", "Nùng"),
    ("08", "Hmông"),
    ("09", "Dao"),
    ("10", "Gia-rai"),
    ("11", "Ngái"),
    ("12", "Ê-đê"),
    ("13", "Ba-na"),
    ("14", "Xơ-đăng"),
    ("15", "Sán Chay"),
    ("16", "Cơ-ho"),
    ("17", "Chăm"),
    ("18", "Sán Dìu"),
    ("19", "Hrê"),
    ("20", "Mnông"),
    ("21", "Ra-glai"),
    ("22", "Xtiêng"),
    ("23", "Bru-Vân Kiều"),
    ("24", "Thổ"),
    ("25", "Giáy"),
    ("26", "Cơ-tu"),
    ("27", "Gié-Triêng"),
    ("28", "Mạ"),
    ("29", "Khơ-mú"),
    ("30", "Co"),
    ("31", "Tà-ôi"),
    ("32", "Chơ-ro"),
    ("33", "Kháng"),
    ("34", "Xinh-mun"),
    ("35", "Hà Nhì"),
    ("36", "Chu-ru"),
    ("37", "Lào"),
    ("38", "La Chí"),
    ("39", "La Ha"),
    ("40", "Phù Lá"),
    ("41", "La Hủ"),
    ("42", "Lự"),
    ("43", "Lô Lô"),
    ("44", "Chứt"),
    ("45", "Mảng"),
    ("46", "Pà Thẻn"),
    ("47", "Cơ Lao"),
    ("48", "Cống"),
    ("49", "Bố Y"),
    ("50", "Si La"),
    ("51", "Pu Péo"),
    ("52", "Brâu"),
    ("53", "Ơ Đu"),
    ("54", "Rơ-măm"),
];

/// Religions recognized by the State, plus "none" (code `00`).
pub const RELIGIONS: [(&str, &str); 17] = [
    ("00", "Không"),
    ("01", "Phật giáo"),
    ("02", "Công giáo"),
    ("03", "Tin lành"),
    ("04", "Cao Đài"),
    ("05", "Phật giáo Hòa Hảo"),
    ("06", "Hồi giáo"),
    ("07", "Baha'i"),
    ("08", "Tịnh độ Cư sĩ Phật hội Việt Nam"),
    ("09", "Tứ Ân Hiếu Nghĩa"),
    ("10", "Bửu Sơn Kỳ Hương"),
    ("11", "Minh Sư Đạo"),
    ("12", "Minh Lý Đạo – Tam Tông Miếu"),
    ("13", "Bà-la-môn giáo"),
    ("14", "Mặc môn"),
    ("15", "Phật giáo Hiếu Nghĩa Tà Lơn"),
    ("16", "Cơ đốc Phục lâm"),
];

/// Looks up the name of an ethnic group by code.
pub fn ethnicity_name(code: &str) -> Option<&'static str> {
    ETHNIC_GROUPS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Looks up the name of a religion by code.
pub fn religion_name(code: &str) -> Option<&'static str> {
    RELIGIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Relationship of a household member to the head (quan hệ với chủ hộ): (code, Vietnamese, English).
pub const RELATIONSHIPS: [(&str, &str, &str); 7] = [
    ("head", "Chủ hộ", "Head of household"),
    ("spouse", "Vợ/Chồng", "Spouse"),
    ("child", "Con", "Child"),
    ("parent", "Bố/Mẹ", "Parent"),
    ("grandchild", "Cháu", "Grandchild"),
    ("sibling", "Anh/Chị/Em", "Sibling"),
    ("other", "Khác", "Other"),
];

/// Vietnamese label of a relationship code.
pub fn relationship_vi(code: &str) -> &'static str {
    RELATIONSHIPS.iter().find(|r| r.0 == code).map(|r| r.1).unwrap_or("Khác")
}

/// English label of a relationship code.
pub fn relationship_en(code: &str) -> &'static str {
    RELATIONSHIPS.iter().find(|r| r.0 == code).map(|r| r.2).unwrap_or("Other")
}

/// Person status codes with (Vietnamese, English) labels.
pub fn person_status_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "living" => ("Còn sống", "Living"),
        "deceased" => ("Đã chết", "Deceased"),
        "missing" => ("Mất tích", "Missing"),
        _ => ("Không rõ", "Unknown"),
    }
}

/// Card status codes with (Vietnamese, English) labels.
pub fn card_status_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "valid" => ("Còn hiệu lực", "Valid"),
        "expired" => ("Hết hạn", "Expired"),
        "lost" => ("Báo mất", "Lost"),
        "revoked" => ("Bị thu hồi", "Revoked"),
        "replaced" => ("Đã được cấp thẻ mới", "Replaced"),
        _ => ("Không rõ", "Unknown"),
    }
}

/// Residence kind codes with (Vietnamese, English) labels.
pub fn residence_kind_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "permanent" => ("Thường trú", "Permanent residence"),
        "temporary" => ("Tạm trú", "Temporary residence"),
        "current" => ("Nơi ở hiện tại", "Current place of residence"),
        _ => ("Không rõ", "Unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut e: Vec<_> = ETHNIC_GROUPS.iter().map(|x| x.0).collect();
        e.dedup();
        assert_eq!(e.len(), 54);
        assert_eq!(ethnicity_name("15"), Some("Sán Chay"));
        assert_eq!(religion_name("00"), Some("Không"));
        assert_eq!(ethnicity_name("99"), None);
    }
}
