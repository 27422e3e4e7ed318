//! Checking what an applicant typed against the procedure's fields. Every problem names its field,
//! so pages show it next to the input and the API returns it in `detail`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kernel::{AppError, PersonalId};
use serde_json::{Map, Value};

use crate::catalogue::{Field, FieldKind, Procedure};

/// Problems by field name, as (Vietnamese, English).
pub type FieldErrors = BTreeMap<String, (String, String)>;

/// Validated, normalized answers (NFC text, canonical dates and numbers as strings).
pub type Answers = Map<String, Value>;

fn check(field: &Field, raw: &str) -> Result<Option<String>, (String, String)> {
    let v = raw.trim();
    if v.is_empty() {
        return if field.required { Err(("Bắt buộc nhập.".into(), "Required.".into())) } else { Ok(None) };
    }
    let too_long = |max: i64| (format!("Tối đa {max} ký tự."), format!("At most {max} characters."));
    let value = match field.kind {
        FieldKind::Text | FieldKind::Textarea => {
            let t = kernel::text::normalize_name(v);
            let max = field.max.unwrap_or(if field.kind == FieldKind::Text { 200 } else { 2000 });
            if t.chars().count() as i64 > max {
                return Err(too_long(max));
            }
            if t.chars().any(|c| c.is_control() && c != '\n') {
                return Err(("Có ký tự không hợp lệ.".into(), "Contains invalid characters.".into()));
            }
            t
        }
        FieldKind::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| ("Ngày không hợp lệ (dd/mm/yyyy).".to_string(), "Invalid date (dd/mm/yyyy).".to_string()))?,
        FieldKind::Choice => {
            if !field.options.iter().any(|o| o[0] == v) {
                return Err(("Lựa chọn không hợp lệ.".into(), "Not one of the choices.".into()));
            }
            v.to_string()
        }
        FieldKind::PersonalId => PersonalId::parse(v).map(|p| p.to_string()).map_err(|_| {
            ("Số định danh phải gồm đúng 12 chữ số.".to_string(), "Must be exactly 12 digits.".to_string())
        })?,
        FieldKind::Commune => {
            if registry::admin_units::AdminUnits::get().commune(v).is_none() {
                return Err(("Mã xã, phường không tồn tại.".into(), "Unknown commune code.".into()));
            }
            v.to_string()
        }
        FieldKind::Number => {
            let n: i64 = v
                .replace(['.', ' '], "")
                .parse()
                .map_err(|_| ("Phải là số nguyên.".to_string(), "Must be a whole number.".to_string()))?;
            if field.min.is_some_and(|m| n < m) || field.max.is_some_and(|m| n > m) {
                return Err((
                    format!("Trong khoảng {}–{}.", field.min.unwrap_or(0), field.max.unwrap_or(i64::MAX)),
                    format!("Between {} and {}.", field.min.unwrap_or(0), field.max.unwrap_or(i64::MAX)),
                ));
            }
            n.to_string()
        }
    };
    Ok(Some(value))
}

/// Validates answers; fields the procedure does not define are refused.
pub fn validate(p: &Procedure, raw: &BTreeMap<String, String>) -> Result<Answers, FieldErrors> {
    let mut errors = FieldErrors::new();
    for k in raw.keys() {
        if !p.fields.iter().any(|f| &f.name == k) {
            errors.insert(k.clone(), ("Trường không có trong mẫu đơn.".into(), "Not a field of this form.".into()));
        }
    }
    let mut out = Answers::new();
    for f in &p.fields {
        match check(f, raw.get(&f.name).map(String::as_str).unwrap_or("")) {
            Ok(Some(v)) => {
                out.insert(f.name.clone(), Value::String(v));
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(f.name.clone(), e);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The errors as one API error (`invalid_input`, each field named in `detail`).
pub fn to_app_error(errors: &FieldErrors) -> AppError {
    let detail: Vec<String> = errors.iter().map(|(k, (_, en))| format!("{k}: {en}")).collect();
    AppError::invalid(detail.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn birth() -> Procedure {
        crate::catalogue::embedded().unwrap().into_iter().find(|p| p.code == "birth_registration").unwrap()
    }

    #[test]
    fn normalizes_good_answers() {
        let p = birth();
        let commune = registry::admin_units::AdminUnits::get().communes_of("08")[0].code.clone();
        let raw: BTreeMap<String, String> = [
            ("child_name", "  Nguyễn Minh An "),
            ("child_gender", "F"),
            ("child_birth_date", "20/11/2026"),
            ("birth_commune", commune.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let a = validate(&p, &raw).unwrap();
        assert_eq!(a["child_name"], "Nguyễn Minh An");
        assert_eq!(a["child_birth_date"], "2026-11-20");
        assert!(!a.contains_key("other_parent_id"));
    }

    #[test]
    fn names_every_bad_field() {
        let p = birth();
        let raw: BTreeMap<String, String> = [
            ("child_name", ""),
            ("child_gender", "X"),
            ("child_birth_date", "31/02/2026"),
            ("birth_commune", "99999"),
            ("other_parent_id", "12345"),
            ("injected", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let e = validate(&p, &raw).unwrap_err();
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["birth_commune", "child_birth_date", "child_gender", "child_name", "injected", "other_parent_id"]
        );
        assert!(to_app_error(&e).detail.contains("other_parent_id: Must be exactly 12 digits."));
    }
}
