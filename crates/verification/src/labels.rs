//! Words for the codes a verification result carries (outcome, card and person status, assurance,
//! compared fields, chip steps…), in Vietnamese and English. The API keeps stable codes; the
//! verifier page and the history show these words instead, so staff never read `chip_chain…`.

use kernel::Lang;
use serde_json::{Map, Value};

/// One group of codes: its name in the table and `(code, Vietnamese, English)` entries.
type Group = (&'static str, &'static [(&'static str, &'static str, &'static str)]);

const OUTCOME: &[(&str, &str, &str)] = &[
    ("green", "HỢP LỆ", "VALID"),
    ("amber", "CẦN KIỂM TRA THÊM", "CHECK FURTHER"),
    ("red", "KHÔNG HỢP LỆ", "NOT VALID"),
];

const ASSURANCE: &[(&str, &str, &str)] = &[
    ("registry_match", "Khớp CSDL dân cư (chưa xác thực thẻ)", "Matches the registry (card not authenticated)"),
    ("dynamic_qr", "Mã QR định danh có chữ ký số", "Signed identity QR code"),
    ("chip", "Chip đã xác thực (chuỗi chứng thư tin cậy)", "Chip authenticated (trusted certificate chain)"),
    ("chip_chain_not_verified", "Chip toàn vẹn, chưa xác minh chuỗi chứng thư", "Chip intact, chain not verified"),
    ("none", "Không xác thực được", "Not authenticated"),
];

const METHOD: &[(&str, &str, &str)] = &[
    ("card_qr", "Mã QR trên thẻ", "Card QR code"),
    ("id_form", "Nhập số định danh", "Typed personal id"),
    ("dynamic_qr", "Mã QR định danh động", "Dynamic identity QR"),
    ("chip", "Dữ liệu chip", "Chip data"),
];

const FIELD: &[(&str, &str, &str)] = &[
    ("full_name", "Họ tên", "Full name"),
    ("birth_date", "Ngày sinh", "Date of birth"),
    ("gender", "Giới tính", "Sex"),
    ("old_id", "Số CMND cũ", "Old id number"),
    ("issue_date", "Ngày cấp thẻ", "Card issue date"),
];

const MATCH: &[(&str, &str, &str)] = &[
    ("match", "Khớp", "Matches"),
    ("match_without_diacritics", "Khớp khi bỏ dấu", "Matches without diacritics"),
    ("mismatch", "Không khớp", "Does not match"),
];

const STEP: &[(&str, &str, &str)] = &[
    ("parse_sod", "Đọc EF.SOD", "Read EF.SOD"),
    ("data_group_hashes", "Mã băm các nhóm dữ liệu", "Data-group hashes"),
    ("signed_attributes", "Thuộc tính được ký", "Signed attributes"),
    ("document_signer_signature", "Chữ ký của bên ký tài liệu (DS)", "Document signer signature"),
    ("certificate_chain", "Chuỗi chứng thư đến CSCA", "Certificate chain to the CSCA"),
    ("validity_periods", "Thời hạn hiệu lực chứng thư", "Certificate validity periods"),
];

const STEP_STATUS: &[(&str, &str, &str)] =
    &[("passed", "Đạt", "Passed"), ("failed", "Không đạt", "Failed"), ("skipped", "Không thực hiện", "Skipped")];

const LIST: &[(&str, &str, &str)] =
    &[("exam", "Danh sách dự thi", "Exam registration list"), ("ticket", "Vé xe", "Ticket")];

const CARD: &[&str] = &["valid", "expired", "lost", "revoked", "replaced"];
const PERSON: &[&str] = &["living", "deceased", "missing"];
const GENDER: &[&str] = &["M", "F"];

const GROUPS: &[Group] = &[
    ("outcome", OUTCOME),
    ("assurance", ASSURANCE),
    ("method", METHOD),
    ("field", FIELD),
    ("match", MATCH),
    ("step", STEP),
    ("step_status", STEP_STATUS),
    ("list", LIST),
];

/// The words for `code` in `group` (`outcome`, `card`, `person`, `assurance`, `method`, `field`,
/// `match`, `step`, `step_status`, `list`, `gender`, `purpose`); `None` for an unknown code.
pub fn get(group: &str, code: &str) -> Option<(&'static str, &'static str)> {
    match group {
        "card" => CARD.contains(&code).then(|| kernel::vocab::card_status_label(code)),
        "person" => PERSON.contains(&code).then(|| kernel::vocab::person_status_label(code)),
        "gender" => {
            kernel::Gender::parse(code).filter(|_| GENDER.contains(&code)).map(|g| (g.label_vi(), g.label_en()))
        }
        "purpose" => crate::purpose::VerifyPurpose::find(code).map(|p| (p.vi, p.en)),
        _ => GROUPS.iter().find(|g| g.0 == group)?.1.iter().find(|e| e.0 == code).map(|e| (e.1, e.2)),
    }
}

/// The words for `code` in the page's language; the code itself when it has none.
pub fn pick(lang: Lang, group: &str, code: &str) -> String {
    get(group, code).map(|(vi, en)| lang.pick(vi, en)).unwrap_or(code).to_string()
}

/// Every group as `{group: {code: words}}` in one language, for the verifier page's script.
pub fn table(lang: Lang) -> Value {
    let mut out = Map::new();
    let mut put = |group: &str, codes: &mut dyn Iterator<Item = &'static str>| {
        let words = codes.map(|c| (c.to_string(), Value::from(pick(lang, group, c)))).collect();
        out.insert(group.to_string(), Value::Object(words));
    };
    for (group, entries) in GROUPS {
        put(group, &mut entries.iter().map(|e| e.0));
    }
    put("card", &mut CARD.iter().copied());
    put("person", &mut PERSON.iter().copied());
    put("gender", &mut GENDER.iter().copied());
    put("purpose", &mut crate::purpose::PURPOSES.iter().map(|p| p.code));
    Value::Object(out)
}

/// [`table`] as text safe to place inside `<script type="application/json">`.
pub fn table_for_script(lang: Lang) -> String {
    table(lang).to_string().replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::testkit::{SignerKind, TestCsca};
    use crate::chip::{passive_auth, ChipBundle, StepStatus, TrustStore};

    #[test]
    fn statuses_have_words_in_both_languages() {
        assert_eq!(get("card", "revoked"), Some(("Bị thu hồi", "Revoked")));
        assert_eq!(get("person", "deceased"), Some(("Đã chết", "Deceased")));
        assert_eq!(get("gender", "F"), Some(("Nữ", "Female")));
        assert_eq!(get("gender", "nam"), None, "only storage codes");
        assert_eq!(pick(Lang::Vi, "assurance", "chip"), "Chip đã xác thực (chuỗi chứng thư tin cậy)");
        assert_eq!(pick(Lang::En, "purpose", "hotel_guest"), "Hotel guest");
        assert_eq!(pick(Lang::Vi, "card", "unheard_of"), "unheard_of", "unknown codes stay visible");
        assert_eq!(get("nonsense", "valid"), None);
        for (group, entries) in GROUPS {
            for (code, vi, en) in entries.iter() {
                assert!(!vi.is_empty() && !en.is_empty(), "{group}.{code}");
            }
        }
    }

    /// Every step and status passive authentication reports has words, so the result card never
    /// falls back to a raw code.
    #[test]
    fn every_chip_step_has_words() {
        let csca = TestCsca::new("labels CSCA", 2024, 2040);
        let ds = csca.document_signer(SignerKind::EcdsaP256, 2025, 2035);
        let groups = [(1u8, b"not really a DG1".to_vec())].into_iter().collect();
        let bundle = ChipBundle { sod: ds.sign_sod(&groups), data_groups: groups };
        let trusted = TrustStore::new(vec![csca.certificate.clone()]);
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 6, 1, 0, 0, 0).unwrap();
        let report = passive_auth(&bundle, &trusted, at);
        let untrusted = passive_auth(&bundle, &TrustStore::default(), at);
        assert_eq!(report.steps.len(), STEP.len());
        for s in report.steps.iter().chain(&untrusted.steps) {
            assert!(get("step", &s.step).is_some(), "step {}", s.step);
            let status = serde_json::to_value(s.status).unwrap();
            assert!(get("step_status", status.as_str().unwrap()).is_some(), "{status}");
        }
        assert!(untrusted.steps.iter().any(|s| s.status == StepStatus::Skipped));
    }

    #[test]
    fn table_is_one_language_and_script_safe() {
        let vi = table(Lang::Vi);
        assert_eq!(vi["card"]["lost"], "Báo mất");
        assert_eq!(vi["outcome"]["amber"], "CẦN KIỂM TRA THÊM");
        assert_eq!(table(Lang::En)["step_status"]["skipped"], "Skipped");
        assert!(!table_for_script(Lang::Vi).contains('<'));
    }
}
