//! Comparing what was presented (card QR, typed form, dynamic token, chip) with the registry.

use chrono::NaiveDate;
use db::Db;
use kernel::{AppError, Gender, PartialDate, PersonalId};
use registry::queries::cards::CardView;
use registry::queries::persons::{PersonView, Place};

use crate::result::{CardCheck, FieldMatch, Match, Outcome, VerificationResult};

/// Identity data as presented; absent fields are not compared.
#[derive(Debug, Clone)]
pub struct Presented {
    pub personal_id: PersonalId,
    pub full_name: Option<String>,
    pub birth_date: Option<PartialDate>,
    pub gender: Option<Gender>,
    pub old_id: Option<String>,
    /// Identifies which card was shown (card QR, chip).
    pub issue_date: Option<NaiveDate>,
}

/// A place as one line: "Tổ 5, Phường Hà Giang 1, Tuyên Quang".
pub fn address_line(place: &Place) -> String {
    [place.address.as_str(), place.commune_name.as_str(), place.province_name.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// Exact (up to letter case: cards and forms often write names in capitals, "NGUYỄN VĂN AN"),
/// diacritic-insensitive or no match.
pub fn compare_names(presented: &str, registry: &str) -> Match {
    let p = kernel::text::normalize_name(presented);
    if p.to_lowercase() == kernel::text::normalize_name(registry).to_lowercase() {
        Match::Match
    } else if kernel::text::fold(&p) == kernel::text::fold(registry) {
        Match::MatchWithoutDiacritics
    } else {
        Match::Mismatch
    }
}

/// A presented date matches a partial registry date when it falls within it ("1960" covers every
/// day of 1960), and a full one when equal.
pub fn compare_dates(presented: &PartialDate, registry: &PartialDate) -> Match {
    let within = presented.earliest() >= registry.earliest() && presented.latest() <= registry.latest();
    if within {
        Match::Match
    } else {
        Match::Mismatch
    }
}

/// Whether a record confirms what a person presented (name up to case and diacritics, birth date
/// within the registry's): the typed-id check of lodging and of the verifier, which answers match
/// or no match and releases nothing else.
pub fn confirms(person: &PersonView, full_name: &str, birth_date: &PartialDate) -> bool {
    let birth = person.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
    compare_names(full_name, &person.full_name) != Match::Mismatch
        && birth.is_some_and(|r| compare_dates(birth_date, &r) == Match::Match)
}

/// Looks the person up and fills the field matches, card, person status and age into `result`.
/// Returns the registry record for disclosure.
pub async fn against_registry(
    db: &Db,
    p: &Presented,
    today: NaiveDate,
    result: &mut VerificationResult,
) -> Result<Option<PersonView>, AppError> {
    result.personal_id = Some(p.personal_id.as_str().to_string());
    let Some(person) = registry::queries::persons::get_self(db, &p.personal_id).await? else {
        result.flag(
            Outcome::Red,
            "not_found",
            "Không có số định danh này trong CSDL dân cư",
            "No such personal id in the registry",
        );
        return Ok(None);
    };
    result.person_found = true;
    compare_fields(p, &person, result);
    result.person_status = Some(person.status.clone());
    match person.status.as_str() {
        "deceased" => result.flag(Outcome::Red, "deceased", "Công dân đã chết", "The citizen is deceased"),
        "missing" => result.flag(Outcome::Red, "missing", "Công dân đang mất tích", "The citizen is reported missing"),
        _ => {}
    }
    let birth = person.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
    result.age_over_18 = birth.map(|b| b.age_on(today) >= 18 && b.latest() <= today);
    let cards = registry::queries::cards::of_person(db, p.personal_id.as_str(), today).await?;
    check_card(p.issue_date, &cards, result);
    Ok(Some(person))
}

fn compare_fields(p: &Presented, person: &PersonView, result: &mut VerificationResult) {
    let mut push = |field: &str, m: Match| result.fields.push(FieldMatch { field: field.into(), result: m });
    if let Some(name) = &p.full_name {
        push("full_name", compare_names(name, &person.full_name));
    }
    if let Some(bd) = &p.birth_date {
        let registry = person.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
        push("birth_date", registry.map(|r| compare_dates(bd, &r)).unwrap_or(Match::Mismatch));
    }
    if let Some(g) = p.gender {
        let same = person.gender.as_deref() == Some(g.code());
        push("gender", if same { Match::Match } else { Match::Mismatch });
    }
    if let Some(old) = &p.old_id {
        let same = person.old_id.as_deref() == Some(old.as_str());
        push("old_id", if same { Match::Match } else { Match::Mismatch });
    }
    let mismatched: Vec<String> =
        result.fields.iter().filter(|f| f.result == Match::Mismatch).map(|f| f.field.clone()).collect();
    if !mismatched.is_empty() {
        let list = mismatched.join(", ");
        result.flag(
            Outcome::Red,
            "field_mismatch",
            &format!("Thông tin không khớp với CSDL dân cư: {list}"),
            &format!("Does not match the registry: {list}"),
        );
    }
    if result.fields.iter().any(|f| f.result == Match::MatchWithoutDiacritics) {
        result.flag(
            Outcome::Amber,
            "name_diacritics",
            "Họ tên chỉ khớp khi bỏ dấu",
            "The name matches only without diacritics",
        );
    }
}

/// The card shown (by issue date) or, when none was identified, the newest card.
fn check_card(issue_date: Option<NaiveDate>, cards: &[CardView], result: &mut VerificationResult) {
    let shown = match issue_date {
        Some(d) => {
            let iso = d.format("%Y-%m-%d").to_string();
            let card = cards.iter().position(|c| c.issue_date == iso);
            result.fields.push(FieldMatch {
                field: "issue_date".into(),
                result: if card.is_some() { Match::Match } else { Match::Mismatch },
            });
            if card.is_none() {
                result.flag(
                    Outcome::Red,
                    "card_unknown",
                    "Không có thẻ nào được cấp ngày này",
                    "No card was issued on this date",
                );
                return;
            }
            card
        }
        None => (!cards.is_empty()).then_some(0),
    };
    let Some((index, card)) = shown.and_then(|i| Some((i, cards.get(i)?))) else {
        result.flag(Outcome::Amber, "no_card", "Chưa có thẻ căn cước trong CSDL", "No identity card on record");
        return;
    };
    // Cards are newest first: any card before this one supersedes it.
    let superseded = index > 0;
    result.card = Some(CardCheck {
        status: card.status.clone(),
        issue_date: card.issue_date.clone(),
        expiry_date: card.expiry_date.clone(),
        superseded,
    });
    match card.status.as_str() {
        "valid" if superseded => result.flag(
            Outcome::Red,
            "card_replaced",
            "Thẻ đã được thay bằng thẻ mới hơn",
            "The card was replaced by a newer card",
        ),
        "valid" => {}
        "expired" => result.flag(Outcome::Amber, "card_expired", "Thẻ đã hết hạn", "The card has expired"),
        "lost" => result.flag(Outcome::Red, "card_lost", "Thẻ đã báo mất", "The card was reported lost"),
        "revoked" => result.flag(Outcome::Red, "card_revoked", "Thẻ đã bị thu hồi", "The card was revoked"),
        "replaced" => result.flag(
            Outcome::Red,
            "card_replaced",
            "Thẻ đã được thay bằng thẻ mới hơn",
            "The card was replaced by a newer card",
        ),
        _ => result.flag(Outcome::Amber, "card_status_unknown", "Không rõ trạng thái thẻ", "Card status unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_exactly_and_without_diacritics() {
        assert_eq!(compare_names("Nguyễn Văn An", "Nguyễn Văn An"), Match::Match);
        assert_eq!(compare_names("  nguyễn  văn an", "Nguyễn Văn An"), Match::Match);
        assert_eq!(compare_names("NGUYỄN VĂN AN", "Nguyễn Văn An"), Match::Match);
        assert_eq!(compare_names("NGUYỄN VĂN ÂN", "Nguyễn Văn An"), Match::MatchWithoutDiacritics);
        assert_eq!(compare_names("NGUYEN VAN AN", "Nguyễn Văn An"), Match::MatchWithoutDiacritics);
        assert_eq!(compare_names("Nguyen Van Anh", "Nguyễn Văn An"), Match::Mismatch);
    }

    #[test]
    fn dates_within_partial_registry_dates() {
        let full = PartialDate::parse("1960-05-01").unwrap();
        assert_eq!(compare_dates(&full, &PartialDate::parse("1960").unwrap()), Match::Match);
        assert_eq!(compare_dates(&full, &PartialDate::parse("1960-05").unwrap()), Match::Match);
        assert_eq!(compare_dates(&full, &PartialDate::parse("1960-06").unwrap()), Match::Mismatch);
        assert_eq!(compare_dates(&full, &full), Match::Match);
        assert_eq!(compare_dates(&PartialDate::parse("1960").unwrap(), &full), Match::Mismatch);
    }
}
