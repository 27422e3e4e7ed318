//! The rule catalogue.

use serde::Serialize;

/// The four qualities the national programme asks of population data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Đúng: formats and consistency.
    Correct,
    /// Đủ: required fields present.
    Complete,
    /// Sạch: no duplicates.
    Clean,
    /// Sống: status, residence and cards up to date.
    Current,
}

impl Group {
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Group::Correct => ("Đúng", "Correct"),
            Group::Complete => ("Đủ", "Complete"),
            Group::Clean => ("Sạch", "Clean"),
            Group::Current => ("Sống", "Current"),
        }
    }
}

/// One rule: a stable code, its group, and what it means in both languages.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub group: Group,
    pub vi: &'static str,
    pub en: &'static str,
}

macro_rules! rule {
    ($code:literal, $group:ident, $vi:literal, $en:literal) => {
        Rule { code: $code, group: Group::$group, vi: $vi, en: $en }
    };
}

/// Every rule, in report order.
pub const RULES: &[Rule] = &[
    rule!(
        "id_birth_place_code",
        Correct,
        "Mã nơi đăng ký khai sinh trong số định danh không hợp lệ",
        "Birth-place code of the personal id is not a province code"
    ),
    rule!(
        "id_gender_digit",
        Correct,
        "Chữ số giới tính trong số định danh không khớp giới tính",
        "Gender digit of the personal id disagrees with gender"
    ),
    rule!(
        "id_century_digit",
        Correct,
        "Chữ số thế kỷ trong số định danh không khớp năm sinh",
        "Century digit of the personal id disagrees with the birth year"
    ),
    rule!(
        "id_birth_year",
        Correct,
        "Hai số năm sinh trong số định danh không khớp",
        "Birth-year digits of the personal id disagree with the birth year"
    ),
    rule!(
        "name_malformed",
        Correct,
        "Họ tên có từ sai chính tả tiếng Việt (thiếu dấu, gõ nhầm)",
        "Name has a word that is not a Vietnamese syllable (missing diacritics, typo)"
    ),
    rule!("birth_date_future", Correct, "Ngày sinh ở tương lai", "Birth date in the future"),
    rule!("death_before_birth", Correct, "Ngày mất trước ngày sinh", "Death date before birth date"),
    rule!("missing_gender", Complete, "Thiếu giới tính", "Gender missing"),
    rule!("missing_birth_date", Complete, "Thiếu ngày sinh", "Birth date missing"),
    rule!("missing_birth_place", Complete, "Thiếu nơi đăng ký khai sinh", "Place of birth missing"),
    rule!("missing_hometown", Complete, "Thiếu quê quán", "Hometown missing"),
    rule!("missing_ethnicity", Complete, "Thiếu dân tộc", "Ethnicity missing"),
    rule!("missing_religion", Complete, "Thiếu tôn giáo", "Religion missing"),
    rule!("missing_residence", Complete, "Thiếu nơi ở hiện tại", "Current residence missing"),
    rule!(
        "missing_card",
        Complete,
        "Công dân từ 14 tuổi chưa có thẻ căn cước",
        "Citizen aged 14+ has no identity card"
    ),
    rule!(
        "probable_duplicate",
        Clean,
        "Nghi trùng: cùng họ tên, ngày sinh, quê quán",
        "Probable duplicate: same name, birth date and hometown"
    ),
    rule!(
        "death_not_applied",
        Current,
        "Đã đăng ký khai tử nhưng vẫn ở trạng thái còn sống",
        "Death registered by civil status but person still living"
    ),
    rule!(
        "card_expired_still_valid",
        Current,
        "Thẻ đã hết hạn nhưng vẫn ghi còn hiệu lực",
        "Card past its expiry still recorded as valid"
    ),
    rule!(
        "deceased_with_valid_card",
        Current,
        "Người đã mất còn thẻ có hiệu lực",
        "Deceased person still holds a valid card"
    ),
    rule!(
        "temporary_residence_expired",
        Current,
        "Tạm trú đã hết hạn nhưng chưa xóa",
        "Temporary residence past its expiry still active"
    ),
    rule!("implausible_age", Current, "Còn sống nhưng trên 120 tuổi", "Living but older than 120"),
];

/// Finds a rule by code.
pub(super) fn find(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
