//! Claims about a citizen, per scope, from their account and the population registry; and the
//! pairwise subject identifier that keeps two agencies from joining their users by `sub`.

use base64::Engine;
use kernel::{AppError, PersonalId};
use registry::queries::person_lookup::PersonLookup;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::clients::Client;

/// The `sub` a client sees for an account: pairwise per sector unless the client is registered as
/// `public`. Pairwise subjects are a salted hash, so they reveal nothing and cannot be reversed.
pub fn subject(client: &Client, account_id: &str, salt: &str) -> String {
    if client.subject_type == "public" {
        return account_id.to_string();
    }
    let digest = Sha256::digest(format!("{}|{account_id}|{salt}", client.sector).as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Vietnamese names are family name first, given name last.
fn name_parts(full: &str) -> (String, String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => Default::default(),
        [given] => (String::new(), String::new(), given.to_string()),
        [family, middle @ .., given] => (family.to_string(), middle.join(" "), given.to_string()),
    }
}

/// The claims of `scopes` for an account, and the names of the claims released (for the access
/// log). `sub` is added by the caller.
pub async fn user_claims(
    persons: &PersonLookup,
    account: &identity::Account,
    scopes: &[String],
) -> Result<(Map<String, Value>, Vec<String>), AppError> {
    let mut out = Map::new();
    let wants = |s: &str| scopes.iter().any(|x| x == s);
    let needs_registry = wants("profile") || wants("address");
    let person = match (&account.person_id, needs_registry) {
        (Some(pid), true) => match PersonalId::parse(pid) {
            Ok(id) => persons.get(&id).await?,
            Err(_) => None,
        },
        _ => None,
    };
    if wants("profile") {
        if let Some(p) = &person {
            let (family, middle, given) = name_parts(&p.full_name);
            out.insert("name".into(), json!(p.full_name));
            out.insert("family_name".into(), json!(family));
            if !middle.is_empty() {
                out.insert("middle_name".into(), json!(middle));
            }
            out.insert("given_name".into(), json!(given));
            if let Some(g) = &p.gender {
                out.insert("gender".into(), json!(if g == "F" { "female" } else { "male" }));
            }
            if let (Some(d), Some(prec)) = (&p.birth_date, &p.birth_date_precision) {
                out.insert("birthdate".into(), json!(d));
                out.insert("birthdate_precision".into(), json!(prec));
            }
        }
    }
    if wants("address") {
        if let Some(place) = person.as_ref().and_then(|p| p.current_residence.as_ref()) {
            out.insert(
                "address".into(),
                json!({
                    "formatted": format!("{}, {}, {}", place.address, place.commune_name, place.province_name),
                    "street_address": place.address,
                    "locality": place.commune_name,
                    "region": place.province_name,
                    "country": "VN",
                }),
            );
        }
    }
    if wants("phone") {
        if let Some(phone) = &account.phone {
            out.insert("phone_number".into(), json!(phone));
            out.insert("phone_number_verified".into(), json!(true));
        }
    }
    if wants("personal_id") {
        if let Some(pid) = &account.person_id {
            out.insert("personal_id".into(), json!(pid));
        }
    }
    let released = out.keys().cloned().collect();
    Ok((out, released))
}

/// Writes a release of a citizen's claims to a client into the access log (purpose `sign_in`),
/// where the citizen sees which service received which data and when.
pub async fn record_release(
    access_log: &audit::AccessLog,
    client: &Client,
    person_id: &str,
    action: &str,
    claims: &[&str],
    now: i64,
) -> Result<(), kernel::AppError> {
    access_log
        .record(audit::AccessEntry {
            at: now,
            actor_id: format!("client:{}", client.id),
            actor_label: client.name.clone(),
            subject_id: person_id.to_string(),
            action: action.to_string(),
            purpose: "sign_in".to_string(),
            released: claims.join(","),
            channel: "oidc".to_string(),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(sector: &str, subject_type: &str) -> Client {
        Client {
            id: "c".into(),
            name: "n".into(),
            secret_hash: None,
            auth_method: "none".into(),
            jwks: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            allowed_scopes: vec![],
            grant_types: vec![],
            min_level: 1,
            sector: sector.into(),
            subject_type: subject_type.into(),
            organization_id: None,
            logo_url: None,
            created_at: 0,
            disabled_at: None,
        }
    }

    #[test]
    fn pairwise_subjects_differ_by_sector_and_are_stable() {
        let a = subject(&client("school.vn", "pairwise"), "acc1", "salt");
        let b = subject(&client("hospital.vn", "pairwise"), "acc1", "salt");
        assert_ne!(a, b);
        assert_eq!(a, subject(&client("school.vn", "pairwise"), "acc1", "salt"));
        assert_ne!(a, subject(&client("school.vn", "pairwise"), "acc2", "salt"));
        assert!(!a.contains("acc1"));
        assert_eq!(subject(&client("x", "public"), "acc1", "salt"), "acc1");
    }

    #[test]
    fn vietnamese_name_order() {
        assert_eq!(name_parts("Nguyễn Thị Minh Khai"), ("Nguyễn".into(), "Thị Minh".into(), "Khai".into()));
        assert_eq!(name_parts("Lò An"), ("Lò".into(), "".into(), "An".into()));
    }
}
