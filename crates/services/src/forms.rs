//! Checking what an applicant typed against the procedure's fields. Every problem names its field,
//! so pages show it next to the input and the API returns it in `detail`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kernel::{AppError, PersonalId};
use serde_json::{Map, Value};

use crate::catalogue::{Field, FieldKind, Procedure, When};

/// Problems by field name, as (Vietnamese, English).
pub type FieldErrors = BTreeMap<String, (String, String)>;

/// Validated, normalized answers (NFC text, canonical dates and numbers as strings).
pub type Answers = Map<String, Value>;

/// Oldest plausible year of any date on a form (a birth more than 130 years ago is a typing
/// error) and how many years ahead a date may lie.
const OLDEST_YEARS: i32 = 130;
const AHEAD_YEARS: i32 = 10;

fn msg(vi: &str, en: &str) -> (String, String) {
    (vi.to_string(), en.to_string())
}

/// A date typed as `YYYY-MM-DD` or `dd/mm/yyyy`, plausible (not more than 130 years back nor 10
/// ahead) and on the side of `today` the field asks for.
fn check_date(field: &Field, v: &str, today: NaiveDate) -> Result<String, (String, String)> {
    use chrono::Datelike;
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .map_err(|_| msg("Ngày không hợp lệ, nhập theo dạng ngày/tháng/năm.", "Invalid date; use dd/mm/yyyy."))?;
    if d.year() < today.year() - OLDEST_YEARS || d.year() > today.year() + AHEAD_YEARS {
        return Err(msg("Năm không hợp lý, kiểm tra lại ngày đã nhập.", "Implausible year; check the date."));
    }
    match field.when {
        Some(When::Past) if d > today => {
            return Err(msg("Ngày này chưa đến: không được sau ngày hôm nay.", "This date is in the future."))
        }
        Some(When::Future) if d < today => {
            return Err(msg("Ngày này đã qua: không được trước ngày hôm nay.", "This date is in the past."))
        }
        _ => {}
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

fn check(field: &Field, raw: &str, today: NaiveDate) -> Result<Option<String>, (String, String)> {
    let v = raw.trim();
    if v.is_empty() {
        return if field.required {
            Err(msg("Vui lòng nhập thông tin này.", "Please fill this in."))
        } else {
            Ok(None)
        };
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
        FieldKind::Date => check_date(field, v, today)?,
        FieldKind::Choice => {
            if !field.options.iter().any(|o| o[0] == v) {
                return Err(("Lựa chọn không hợp lệ.".into(), "Not one of the choices.".into()));
            }
            v.to_string()
        }
        FieldKind::PersonalId => PersonalId::parse(v).map(|p| p.to_string()).map_err(|_| {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            (
                format!("Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập {digits} chữ số)."),
                format!("A personal id has exactly 12 digits ({digits} given)."),
            )
        })?,
        FieldKind::Commune => resolve_commune(v).ok_or_else(|| {
            msg(
                "Không xác định được xã, phường này; chọn tỉnh rồi chọn xã, phường trong danh sách gợi ý.",
                "This commune cannot be identified; pick the province, then the commune from the suggestions.",
            )
        })?,
        FieldKind::Ethnicity => {
            if kernel::vocab::ethnicity_name(v).is_none() {
                return Err(msg("Chọn dân tộc trong danh sách.", "Pick an ethnic group from the list."));
            }
            v.to_string()
        }
        FieldKind::Religion => {
            if kernel::vocab::religion_name(v).is_none() {
                return Err(msg("Chọn tôn giáo trong danh sách.", "Pick a religion from the list."));
            }
            v.to_string()
        }
        FieldKind::FineDecision => {
            let ok =
                v.chars().count() <= 40 && v.chars().all(|c| c.is_alphanumeric() || matches!(c, '/' | '-' | '.' | ' '));
            if !ok {
                return Err(msg(
                    "Số quyết định gồm tối đa 40 chữ, số và các dấu / - .",
                    "A decision number has at most 40 letters, digits and / - .",
                ));
            }
            kernel::text::normalize_name(v).to_uppercase()
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

/// The 2025 commune code a commune field holds: the 5-digit code itself, a picker's
/// `Xã A (12345)`, or a name typed in full (without diacritics is fine) that only one commune of
/// the country bears.
pub fn resolve_commune(v: &str) -> Option<String> {
    let units = registry::admin_units::AdminUnits::get();
    let v = v.trim();
    let code = v.strip_suffix(')').and_then(|x| x.rsplit_once('(')).map(|(_, c)| c.trim()).unwrap_or(v);
    if let Some(c) = units.commune(code) {
        return Some(c.code.clone());
    }
    let folded = kernel::text::fold(v);
    if folded.is_empty() {
        return None;
    }
    let mut same = units
        .communes()
        .iter()
        .filter(|c| kernel::text::fold(&c.name) == folded || kernel::text::fold(&c.short_name) == folded);
    match (same.next(), same.next()) {
        (Some(c), None) => Some(c.code.clone()),
        _ => None,
    }
}

/// Validates answers; fields the procedure does not define are refused. `today` (Vietnam) is what
/// dates are checked against.
pub fn validate(p: &Procedure, raw: &BTreeMap<String, String>, today: NaiveDate) -> Result<Answers, FieldErrors> {
    let mut errors = FieldErrors::new();
    for k in raw.keys() {
        if !p.fields.iter().any(|f| &f.name == k) {
            errors.insert(k.clone(), ("Trường không có trong mẫu đơn.".into(), "Not a field of this form.".into()));
        }
    }
    let mut out = Answers::new();
    for f in &p.fields {
        match check(f, raw.get(&f.name).map(String::as_str).unwrap_or(""), today) {
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

/// The errors as one API error (`invalid_input`): `detail` names each field by its code with the
/// problem, for programs; the message names it by the form's label, in Vietnamese and, apart, in
/// English (one language each), for people.
pub fn to_app_error(p: &Procedure, errors: &FieldErrors) -> AppError {
    let detail: Vec<String> = errors.iter().map(|(k, (_, en))| format!("{k}: {en}")).collect();
    let label = |k: &str, vi: bool| {
        let f = p.fields.iter().map(|f| (&f.name, &f.label_vi, &f.label_en));
        let a = p.attachments.iter().map(|a| (&a.name, &a.label_vi, &a.label_en));
        f.chain(a).find(|x| x.0 == k).map(|x| if vi { x.1.clone() } else { x.2.clone() }).unwrap_or_else(|| k.into())
    };
    let vi: Vec<String> = errors.iter().map(|(k, (m, _))| format!("{}: {m}", label(k, true))).collect();
    let en: Vec<String> = errors.iter().map(|(k, (_, m))| format!("{}: {m}", label(k, false))).collect();
    AppError::invalid(detail.join("; ")).with_message(
        format!("Hồ sơ chưa hợp lệ. {}", vi.join(" ")),
        format!("The application is not valid. {}", en.join(" ")),
    )
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
        let a = validate(&p, &raw, today()).unwrap();
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
        let e = validate(&p, &raw, today()).unwrap_err();
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["birth_commune", "child_birth_date", "child_gender", "child_name", "injected", "other_parent_id"]
        );
        assert!(to_app_error(&p, &e)
            .detail
            .contains("other_parent_id: A personal id has exactly 12 digits (5 given)."));
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn one(p: &Procedure, field: &str, value: &str) -> Result<Answers, FieldErrors> {
        let mut raw: BTreeMap<String, String> = [
            ("child_name", "Nguyễn Minh An"),
            ("child_gender", "F"),
            ("child_birth_date", "20/11/2026"),
            ("birth_commune", registry::admin_units::AdminUnits::get().communes_of("08")[0].code.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        raw.insert(field.to_string(), value.to_string());
        validate(p, &raw, today())
    }

    #[test]
    fn communes_are_read_from_the_code_the_picker_label_or_a_unique_name() {
        let units = registry::admin_units::AdminUnits::get();
        let c = &units.communes_of("08")[0];
        assert_eq!(resolve_commune(&c.code).as_deref(), Some(c.code.as_str()));
        let picked = format!("{} ({})", c.name, c.code);
        assert_eq!(resolve_commune(&picked).as_deref(), Some(c.code.as_str()));
        let unique = units
            .communes()
            .iter()
            .find(|x| {
                units.communes().iter().filter(|y| kernel::text::fold(&y.name) == kernel::text::fold(&x.name)).count()
                    == 1
            })
            .unwrap();
        assert_eq!(resolve_commune(&kernel::text::fold(&unique.name)).as_deref(), Some(unique.code.as_str()));
        assert_eq!(resolve_commune("99999"), None);
        assert_eq!(resolve_commune("Xã không có"), None);
    }

    #[test]
    fn refuses_births_in_the_future_implausible_years_and_13_digit_ids_in_one_language_each() {
        let p = birth();
        let e = one(&p, "child_birth_date", "02/12/2026").unwrap_err();
        assert_eq!(e["child_birth_date"].0, "Ngày này chưa đến: không được sau ngày hôm nay.");
        assert!(one(&p, "child_birth_date", "01/12/2026").is_ok(), "today is a birth date");
        let e = one(&p, "child_birth_date", "01/01/1850").unwrap_err();
        assert!(e["child_birth_date"].0.starts_with("Năm không hợp lý"));
        let e = one(&p, "other_parent_id", "0012345678901").unwrap_err();
        assert_eq!(e["other_parent_id"].0, "Số định danh cá nhân phải gồm đúng 12 chữ số (đã nhập 13 chữ số).");
        let e = one(&p, "child_name", "   ").unwrap_err();
        assert_eq!(e["child_name"], msg("Vui lòng nhập thông tin này.", "Please fill this in."));
        let e = one(&p, "child_ethnicity", "99").unwrap_err();
        assert!(e.contains_key("child_ethnicity"));
        assert!(one(&p, "child_religion", "00").is_ok());
        let err = to_app_error(&p, &one(&p, "child_birth_date", "31/02/2026").unwrap_err());
        let (vi, en) = err.message();
        assert_eq!(vi, "Hồ sơ chưa hợp lệ. Ngày sinh: Ngày không hợp lệ, nhập theo dạng ngày/tháng/năm.");
        assert!(en.starts_with("The application is not valid.") && !en.contains("Ngày"), "{en}");
    }
}
