//! `person.verify`: yes/no answers about a person named by personal id, name and birth date —
//! never the data itself.
//!
//! Every question is about the person the three identifiers name: when they do not match a record
//! every answer is no, so a caller cannot learn where someone lives, or their age, from a personal
//! id alone. A record consulted is written to the citizen's access log, durably, before the answer
//! is given.

use std::collections::BTreeMap;

use audit::{AccessEntry, Stores};
use chrono::NaiveDate;
use kernel::{AppError, PartialDate, PersonalId};
use registry::queries::persons::PersonView;
use serde::Deserialize;

/// The body of a `person.verify` request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    personal_id: String,
    full_name: String,
    /// `YYYY-MM-DD` (or `dd/mm/yyyy`).
    birth_date: String,
    /// The fields asked: `living_resident`, `lives_in_commune`, `over_18`.
    questions: Vec<String>,
    /// The commune code `lives_in_commune` asks about.
    #[serde(default)]
    commune_code: Option<String>,
}

/// The three identifiers every person service is asked with: personal id, name and birth date.
#[derive(Debug, Clone)]
pub(crate) struct Identifiers {
    pub(crate) personal_id: PersonalId,
    pub(crate) full_name: String,
    pub(crate) birth_date: PartialDate,
}

impl Identifiers {
    /// Checks the three as typed: a valid personal id, a name, a date (`YYYY-MM-DD` or
    /// `dd/mm/yyyy`, any precision).
    pub(crate) fn parse(personal_id: &str, full_name: &str, birth_date: &str) -> Result<Identifiers, AppError> {
        let personal_id = PersonalId::parse(personal_id)?;
        let birth_date = PartialDate::parse(birth_date).or_else(|_| PartialDate::parse_vn(birth_date))?;
        let full_name = kernel::text::normalize_name(full_name);
        if full_name.is_empty() {
            return Err(AppError::invalid("full_name is empty"));
        }
        Ok(Identifiers { personal_id, full_name, birth_date })
    }

    /// Whether they name the record `p`: the same name (see [`same_name`]) and a birth date within
    /// the record's (a record's `1960` covers every day of 1960).
    pub(crate) fn name(&self, p: &PersonView) -> bool {
        let record = p.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
        same_name(&self.full_name, &p.full_name)
            && record
                .is_some_and(|r| self.birth_date.earliest() >= r.earliest() && self.birth_date.latest() <= r.latest())
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Question {
    who: Identifiers,
    living_resident: bool,
    over_18: bool,
    commune: Option<String>,
}

impl Question {
    /// Reads and checks the body; a malformed body is refused before anything is written.
    pub fn parse(body: &serde_json::Value) -> Result<Question, AppError> {
        let b: Body =
            serde_json::from_value(body.clone()).map_err(|e| AppError::invalid(format!("person.verify body: {e}")))?;
        let who = Identifiers::parse(&b.personal_id, &b.full_name, &b.birth_date)?;
        if b.questions.is_empty() {
            return Err(AppError::invalid("questions: ask at least one"));
        }
        let mut q = Question { who, living_resident: false, over_18: false, commune: None };
        for code in &b.questions {
            match code.as_str() {
                "living_resident" => q.living_resident = true,
                "over_18" => q.over_18 = true,
                "lives_in_commune" => {
                    let c = b
                        .commune_code
                        .clone()
                        .filter(|c| !c.trim().is_empty())
                        .ok_or_else(|| AppError::invalid("lives_in_commune needs commune_code"))?;
                    q.commune = Some(c.trim().to_owned());
                }
                other => return Err(AppError::invalid(format!("unknown question {other}"))),
            }
        }
        Ok(q)
    }

    /// The person asked about.
    pub fn personal_id(&self) -> &PersonalId {
        &self.who.personal_id
    }

    /// The fields (questions) asked, which the right must cover.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.living_resident {
            f.push("living_resident");
        }
        if self.commune.is_some() {
            f.push("lives_in_commune");
        }
        if self.over_18 {
            f.push("over_18");
        }
        f
    }

    /// What the citizen's access log says was checked (the words the citizen's page knows).
    fn released(&self) -> String {
        let mut r = vec!["personal_id", "full_name", "birth_date"];
        if self.living_resident {
            r.push("status");
        }
        if self.commune.is_some() {
            r.push("commune");
        }
        if self.over_18 {
            r.push("age_over_18");
        }
        r.join(",")
    }
}

/// Who asks, as the citizen's access log names them.
pub struct Caller<'a> {
    pub actor_id: String,
    pub actor_label: String,
    /// The access-log purpose of the request's legal basis.
    pub access_purpose: &'static str,
    /// The request id, kept with the access-log entry so an exchange can be traced from it.
    pub request_id: &'a str,
}

/// Whether the registry's name matches up to letter case, spacing and, as cards and older systems
/// often drop them, diacritics.
pub(crate) fn same_name(presented: &str, registry: &str) -> bool {
    let (p, r) = (kernel::text::normalize_name(presented), kernel::text::normalize_name(registry));
    p.to_lowercase() == r.to_lowercase() || kernel::text::fold(&p) == kernel::text::fold(&r)
}

/// Answers the questions; writes the access-log entry first when a record was consulted.
pub async fn answer(
    stores: &Stores,
    caller: &Caller<'_>,
    q: &Question,
    now: i64,
    today: NaiveDate,
) -> Result<BTreeMap<String, bool>, AppError> {
    let person = registry::queries::persons::get_self(&stores.db, &q.who.personal_id).await?;
    let mut answer = BTreeMap::new();
    let record_birth = person.as_ref().and_then(|p| p.birth_date.as_deref()).and_then(|b| PartialDate::parse(b).ok());
    let identified = person.as_ref().is_some_and(|p| q.who.name(p));
    if let Some(p) = &person {
        let entry = AccessEntry {
            at: now,
            actor_id: caller.actor_id.clone(),
            actor_label: caller.actor_label.clone(),
            subject_id: p.personal_id.clone(),
            action: "exchange.person_verify".into(),
            purpose: caller.access_purpose.into(),
            released: q.released(),
            channel: "exchange".into(),
        };
        stores.access_log.record_for_case(vec![entry], Some(caller.request_id.to_owned())).await?;
    }
    let person = person.filter(|_| identified);
    if q.living_resident {
        let yes = person.as_ref().is_some_and(|p| p.status == "living" && p.current_residence.is_some());
        answer.insert("living_resident".into(), yes);
    }
    if let Some(commune) = &q.commune {
        let yes =
            person.as_ref().and_then(|p| p.current_residence.as_ref()).is_some_and(|r| r.commune_code == *commune);
        answer.insert("lives_in_commune".into(), yes);
    }
    if q.over_18 {
        let yes = person.is_some() && record_birth.is_some_and(|b| b.age_on(today) >= 18 && b.latest() <= today);
        answer.insert("over_18".into(), yes);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Result<Question, AppError> {
        Question::parse(&v)
    }

    #[test]
    fn bodies_are_checked_before_anything_happens() {
        let ok = serde_json::json!({"personal_id": "001090000001", "full_name": "Nguyễn Văn An",
            "birth_date": "1990-05-01", "questions": ["over_18", "lives_in_commune"], "commune_code": "00004"});
        let q = parse(ok.clone()).unwrap();
        assert_eq!(q.fields(), vec!["lives_in_commune", "over_18"]);
        assert_eq!(q.released(), "personal_id,full_name,birth_date,commune,age_over_18");
        let mut bad = ok.clone();
        bad["personal_id"] = "12345".into();
        assert_eq!(parse(bad).unwrap_err().code, kernel::ErrorCode::InvalidPersonalId);
        let mut bad = ok.clone();
        bad["questions"] = serde_json::json!(["home_address"]);
        assert!(parse(bad).unwrap_err().detail.contains("home_address"));
        let mut bad = ok.clone();
        bad["commune_code"] = serde_json::Value::Null;
        assert!(parse(bad).unwrap_err().detail.contains("commune_code"));
        let mut bad = ok;
        bad["phone"] = "0900000000".into();
        assert!(parse(bad).is_err(), "unknown fields are refused");
    }

    #[test]
    fn names_match_up_to_case_and_diacritics() {
        assert!(same_name("NGUYỄN VĂN AN", "Nguyễn Văn An"));
        assert!(same_name("Nguyen Van An", "Nguyễn Văn An"));
        assert!(!same_name("Nguyễn Văn Anh", "Nguyễn Văn An"));
    }
}
