//! The services that release data, each only about a person the caller identifies by personal id,
//! name and birth date (as `person.verify` does), and each only the fields its right covers:
//!
//! - `person.lookup`: the person's record, limited to the fields the request declares;
//! - `residence.confirm`: where the person currently resides (xác nhận thông tin cư trú);
//! - `household.members`: the members of the person's household, with their relationship;
//! - `card.validity`: whether an identity card number is the person's and valid today.
//!
//! When the three identifiers do not name a record the answer is `{"found": false}` and nothing
//! else; every record consulted — each household member included — is in that citizen's access
//! log, durably, before the answer is given.

use std::collections::BTreeMap;

use audit::{AccessEntry, Stores};
use chrono::NaiveDate;
use kernel::{AppError, Jurisdiction, PersonalId};
use registry::queries::persons::PersonView;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalogue::{CARD_VALIDITY, HOUSEHOLD_MEMBERS, PERSON_LOOKUP, RESIDENCE_CONFIRM};
use crate::person_verify::{Caller, Identifiers};

/// The person a request names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    personal_id: String,
    full_name: String,
    /// `YYYY-MM-DD` (or `dd/mm/yyyy`).
    birth_date: String,
    /// `person.lookup`: the fields asked.
    #[serde(default)]
    fields: Vec<String>,
    /// `card.validity`: the card number.
    #[serde(default)]
    card_number: Option<String>,
}

/// Fields `person.lookup` can release, each with the access-log word the citizen's page knows.
pub const LOOKUP_FIELDS: &[(&str, &str)] = &[
    ("full_name", "full_name"),
    ("gender", "gender"),
    ("birth_date", "birth_date"),
    ("status", "status"),
    ("nationality", "nationality"),
    ("ethnicity", "ethnicity"),
    ("residence", "commune"),
];

/// A parsed request of one of these services.
#[derive(Debug, Clone)]
pub struct Question {
    service: &'static str,
    who: Identifiers,
    /// The fields the right must cover.
    fields: Vec<&'static str>,
    card_number: Option<String>,
}

impl Question {
    /// Reads and checks the body of `service`; nothing is written for a malformed one.
    pub fn parse(service: &'static str, body: &Value) -> Result<Question, AppError> {
        let b: Body =
            serde_json::from_value(body.clone()).map_err(|e| AppError::invalid(format!("{service} body: {e}")))?;
        let who = Identifiers::parse(&b.personal_id, &b.full_name, &b.birth_date)?;
        let only = |what: &str, present: bool| {
            if present {
                Err(AppError::invalid(format!("{what} is not a field of {service}")))
            } else {
                Ok(())
            }
        };
        let fields: Vec<&'static str> = match service {
            PERSON_LOOKUP => {
                only("card_number", b.card_number.is_some())?;
                if b.fields.is_empty() {
                    return Err(AppError::invalid("fields: declare at least one field"));
                }
                let mut out = Vec::new();
                for f in &b.fields {
                    let (code, _) = LOOKUP_FIELDS
                        .iter()
                        .find(|(c, _)| c == f)
                        .ok_or_else(|| AppError::invalid(format!("unknown field {f}")))?;
                    if !out.contains(code) {
                        out.push(*code);
                    }
                }
                out
            }
            RESIDENCE_CONFIRM => {
                only("fields", !b.fields.is_empty())?;
                only("card_number", b.card_number.is_some())?;
                vec!["residence"]
            }
            HOUSEHOLD_MEMBERS => {
                only("fields", !b.fields.is_empty())?;
                only("card_number", b.card_number.is_some())?;
                vec!["members"]
            }
            CARD_VALIDITY => {
                only("fields", !b.fields.is_empty())?;
                let n = b.card_number.as_deref().map(str::trim).unwrap_or_default();
                if n.is_empty() || n.len() > 32 {
                    return Err(AppError::invalid("card_number: 1 to 32 characters"));
                }
                vec!["status"]
            }
            other => return Err(AppError::invalid(format!("{other} is not a lookup service"))),
        };
        Ok(Question { service, who, fields, card_number: b.card_number.map(|n| n.trim().to_owned()) })
    }

    pub fn fields(&self) -> Vec<&'static str> {
        self.fields.clone()
    }

    pub fn personal_id(&self) -> &PersonalId {
        &self.who.personal_id
    }
}

/// The access-log action of a service (`exchange.person_lookup`…).
fn action(service: &str) -> String {
    format!("exchange.{}", service.replace('.', "_"))
}

/// One access-log entry for a record consulted.
fn entry(caller: &Caller<'_>, subject: &str, service: &str, released: String, now: i64) -> AccessEntry {
    AccessEntry {
        at: now,
        actor_id: caller.actor_id.clone(),
        actor_label: caller.actor_label.clone(),
        subject_id: subject.to_owned(),
        action: action(service),
        purpose: caller.access_purpose.into(),
        released,
        channel: "exchange".into(),
    }
}

/// Answers `q`: logs every record consulted, then releases what the service gives.
pub async fn answer(
    stores: &Stores,
    caller: &Caller<'_>,
    q: &Question,
    now: i64,
    today: NaiveDate,
) -> Result<BTreeMap<String, Value>, AppError> {
    let mut out = BTreeMap::new();
    let Some(p) = registry::queries::persons::get_self(&stores.db, &q.who.personal_id).await? else {
        out.insert("found".into(), Value::Bool(false));
        return Ok(out);
    };
    if !q.who.name(&p) {
        // Only the identifiers were compared; the record consulted is still in its citizen's log.
        let e = entry(caller, &p.personal_id, q.service, "personal_id,full_name,birth_date".into(), now);
        stores.access_log.record_for_case(vec![e], Some(caller.request_id.to_owned())).await?;
        out.insert("found".into(), Value::Bool(false));
        return Ok(out);
    }
    out.insert("found".into(), Value::Bool(true));
    let mut entries = Vec::new();
    match q.service {
        PERSON_LOOKUP => {
            let mut released = vec!["personal_id"];
            for f in &q.fields {
                let word = LOOKUP_FIELDS.iter().find(|(c, _)| c == f).map_or(*f, |(_, w)| *w);
                released.push(word);
                out.insert((*f).to_owned(), lookup_field(&p, f));
            }
            entries.push(entry(caller, &p.personal_id, q.service, released.join(","), now));
        }
        RESIDENCE_CONFIRM => {
            out.insert("residence".into(), residence(&p));
            entries.push(entry(caller, &p.personal_id, q.service, "personal_id,commune,address".into(), now));
        }
        HOUSEHOLD_MEMBERS => {
            let province = p
                .current_residence
                .as_ref()
                .and_then(|r| registry::admin_units::AdminUnits::get().commune(&r.commune_code))
                .map(|c| c.province_code.clone());
            let household = match (p.household_id.as_deref(), province) {
                (Some(h), Some(province)) => {
                    registry::queries::households::get(&stores.db, h, &Jurisdiction::Province(province)).await?
                }
                _ => None,
            };
            let members: Vec<Value> = household
                .map(|h| {
                    h.members
                        .into_iter()
                        .map(|m| {
                            entries.push(entry(
                                caller,
                                &m.personal_id,
                                q.service,
                                "personal_id,full_name,birth_date,relationship".into(),
                                now,
                            ));
                            json!({"personal_id": m.personal_id, "full_name": m.full_name,
                                   "birth_date": m.birth_date, "relationship": m.relationship})
                        })
                        .collect()
                })
                .unwrap_or_default();
            if entries.is_empty() {
                entries.push(entry(caller, &p.personal_id, q.service, "personal_id,relationship".into(), now));
            }
            out.insert("members".into(), Value::Array(members));
        }
        CARD_VALIDITY => {
            let cards = registry::queries::cards::of_person(&stores.db, p.personal_id.as_str(), today).await?;
            let card = cards.iter().find(|c| Some(c.id.as_str()) == q.card_number.as_deref());
            out.insert("valid".into(), Value::Bool(card.is_some_and(|c| c.status == "valid")));
            out.insert(
                "status".into(),
                Value::String(card.map_or_else(|| "not_this_persons".into(), |c| c.status.clone())),
            );
            entries.push(entry(caller, &p.personal_id, q.service, "personal_id,card_status".into(), now));
        }
        _ => return Err(AppError::internal(format!("{} answered as a lookup", q.service))),
    }
    stores.access_log.record_for_case(entries, Some(caller.request_id.to_owned())).await?;
    Ok(out)
}

fn lookup_field(p: &PersonView, field: &str) -> Value {
    match field {
        "full_name" => json!(p.full_name),
        "gender" => json!(p.gender),
        "birth_date" => json!(p.birth_date),
        "status" => json!(p.status),
        "nationality" => json!(p.nationality),
        "ethnicity" => json!(p.ethnicity.as_ref().map(|e| &e.code)),
        "residence" => residence(p),
        _ => Value::Null,
    }
}

fn residence(p: &PersonView) -> Value {
    p.current_residence.as_ref().map_or(Value::Null, |r| {
        json!({"commune_code": r.commune_code, "commune_name": r.commune_name,
               "province_name": r.province_name, "address": r.address})
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: Value) -> Value {
        let mut b = json!({"personal_id": "008090000001", "full_name": "Nguyễn Văn An", "birth_date": "1990-05-01"});
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        b
    }

    #[test]
    fn each_service_takes_only_its_own_fields() {
        let q = Question::parse(PERSON_LOOKUP, &body(json!({"fields": ["residence", "gender", "gender"]}))).unwrap();
        assert_eq!(q.fields(), vec!["residence", "gender"]);
        let e = Question::parse(PERSON_LOOKUP, &body(json!({"fields": ["phone"]}))).unwrap_err();
        assert!(e.detail.contains("unknown field phone"), "{}", e.detail);
        assert!(Question::parse(PERSON_LOOKUP, &body(json!({}))).is_err(), "a lookup declares its fields");
        assert_eq!(Question::parse(RESIDENCE_CONFIRM, &body(json!({}))).unwrap().fields(), vec!["residence"]);
        assert!(Question::parse(RESIDENCE_CONFIRM, &body(json!({"fields": ["gender"]}))).is_err());
        assert!(Question::parse(CARD_VALIDITY, &body(json!({}))).is_err(), "a card number is needed");
        let q = Question::parse(CARD_VALIDITY, &body(json!({"card_number": " 008090000001C1 "}))).unwrap();
        assert_eq!(q.card_number.as_deref(), Some("008090000001C1"));
        assert_eq!(action(HOUSEHOLD_MEMBERS), "exchange.household_members");
    }
}
