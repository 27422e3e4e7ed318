//! The exchange without HTTP, on both backends: administrators' configuration with its security
//! events, and the gateway accepting a signed request and refusing each kind of bad one without
//! changing anything.

use std::sync::Arc;

use audit::{AccessLog, SecurityLog, Stores};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use db::sqlx::{self, Row};
use db::{Db, MigrationSet};
use kernel::{Actor, ErrorCode, Jurisdiction, Role};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::members::{MemberClass, Status};
use crate::rights::Grant;
use crate::*;

const AUD: &str = "https://dancu.test";

fn migrations() -> MigrationSet {
    dancu_like_migrations()
}

/// The modules the exchange reads and writes, in foreign-key order.
fn dancu_like_migrations() -> MigrationSet {
    MigrationSet::new()
        .with(audit::MIGRATIONS)
        .with(registry::MIGRATIONS)
        .with(keys::MIGRATIONS)
        .with(translog::MIGRATIONS)
        .with(MIGRATIONS)
}

fn admin() -> Actor {
    Actor::new("admin-1", "admin", Role::Admin, Jurisdiction::Province("08".into()))
}

async fn stores(db: &Db) -> Stores {
    let pseudonyms = audit::security::Pseudonymizer::new(&[7u8; 32]).unwrap();
    Stores {
        db: db.clone(),
        access_log: AccessLog::start(db.clone()),
        security: SecurityLog::start(db.clone(), pseudonyms, Vec::new()),
    }
}

async fn exchange_events(s: &Stores) -> Vec<String> {
    s.security.flush().await;
    sqlx::query("SELECT detail FROM security_events WHERE detail LIKE 'exchange.%' ORDER BY at, detail")
        .fetch_all(s.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

/// A subsystem's key pair: the PKCS#8 private key the member keeps and the public JWK it registers.
struct ClientKey {
    pkcs8: Vec<u8>,
    jwk: Value,
}

fn client_key() -> ClientKey {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
    ClientKey { pkcs8: doc.as_ref().to_vec(), jwk }
}

fn sign(key: &ClientKey, kid: &str, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_ec_der(&key.pkcs8)).unwrap()
}

fn now_ms() -> i64 {
    kernel::clock::now_ms()
}

async fn admin_configures_the_exchange(db: Db) {
    let s = stores(&db).await;
    let now = now_ms();
    let clerk = Actor::new("clerk-1", "clerk", Role::ProvincialOfficer, Jurisdiction::Province("08".into()));
    let e = members::register_member(&s, &clerk, "BHXH-08", "Bảo hiểm xã hội tỉnh", MemberClass::Government, now)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(members::list(&db, &admin()).await.unwrap().is_empty(), "a refused registration stores nothing");

    members::register_member(&s, &admin(), "BHXH-08", "Bảo hiểm xã hội tỉnh", MemberClass::Government, now)
        .await
        .unwrap();
    let again = members::register_member(&s, &admin(), "BHXH-08", "Khác", MemberClass::Bank, now).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict);
    assert_eq!(members::list(&db, &admin()).await.unwrap()[0].status, Status::Pending);
    let no_reason = members::set_member_status(&s, &admin(), "BHXH-08", Status::Suspended, " ", now).await;
    assert_eq!(no_reason.unwrap_err().code, ErrorCode::InvalidInput);
    members::set_member_status(&s, &admin(), "BHXH-08", Status::Approved, "", now).await.unwrap();
    members::add_subsystem(&s, &admin(), "BHXH-08", "thu-chi", "Hệ thống thu chi", now).await.unwrap();
    let bad = members::add_subsystem(&s, &admin(), "BHXH-08", "có dấu", "x", now).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);

    let key = client_key();
    let mut private = key.jwk.clone();
    private["d"] = "AAAA".into();
    let e =
        members::add_key(&s, &admin(), "BHXH-08", "thu-chi", &private, members::Validity { from: now, to: None }, now)
            .await
            .unwrap_err();
    assert!(e.detail.contains("public key only"), "{}", e.detail);
    let kid =
        members::add_key(&s, &admin(), "BHXH-08", "thu-chi", &key.jwk, members::Validity { from: now, to: None }, now)
            .await
            .unwrap();
    let thumbprint: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk.clone()).unwrap();
    assert_eq!(kid, thumbprint.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256).unwrap(), "RFC 7638 thumbprint");

    let mut g = Grant {
        member: "BHXH-08".into(),
        subsystem: "thu-chi".into(),
        service: "person.verify".into(),
        purpose: "social_insurance".into(),
        fields: vec!["over_18".into(), "living_resident".into(), "over_18".into()],
        valid_from: kernel::clock::date_vn(now),
        valid_to: None,
        daily_quota: 1000,
    };
    let mut wrong = g.clone();
    wrong.fields = vec!["home_address".into()];
    assert_eq!(rights::grant(&s, &admin(), &wrong, now).await.unwrap_err().code, ErrorCode::InvalidInput);
    wrong = g.clone();
    wrong.purpose = "marketing".into();
    assert_eq!(rights::grant(&s, &admin(), &wrong, now).await.unwrap_err().code, ErrorCode::InvalidInput);
    assert_eq!(rights::grant(&s, &clerk, &g, now).await.unwrap_err().code, ErrorCode::Forbidden);
    assert!(rights::list(&db, &admin(), None).await.unwrap().is_empty());
    let id = rights::grant(&s, &admin(), &g, now).await.unwrap();
    let listed = rights::list(&db, &admin(), Some("BHXH-08")).await.unwrap();
    g.fields = vec!["living_resident".into(), "over_18".into()];
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].grant, g, "fields stored sorted, without repeats");
    assert_eq!(listed[0].granted_by, "admin-1");
    rights::revoke(&s, &admin(), &id, now + 1).await.unwrap();
    assert_eq!(rights::revoke(&s, &admin(), &id, now + 2).await.unwrap_err().code, ErrorCode::NotFound);
    let listed = rights::list(&db, &admin(), None).await.unwrap();
    assert_eq!((listed[0].revoked_at, listed[0].revoked_by.as_deref()), (Some(now + 1), Some("admin-1")));

    let events = exchange_events(&s).await;
    for expected in [
        "exchange.member_registered BHXH-08".to_string(),
        "exchange.member_approved BHXH-08".into(),
        "exchange.subsystem_added BHXH-08/thu-chi".into(),
        format!("exchange.key_added BHXH-08/thu-chi {kid}"),
        format!("exchange.right_revoked {id}"),
    ] {
        assert!(events.contains(&expected), "{expected} in {events:?}");
    }
    assert!(events.iter().any(|e| e.starts_with(&format!("exchange.right_granted {id} "))), "{events:?}");
    assert_eq!(events.len(), 6, "one event per change, none for refusals: {events:?}");
}

/// A configured gateway: an approved member with one keyed subsystem and a right to ask
/// `living_resident` and `over_18` for social insurance, `quota` times a day.
struct Setup {
    gateway: Gateway,
    key: ClientKey,
    kid: String,
    right: String,
}

async fn setup(db: &Db, quota: i64) -> Setup {
    let s = stores(db).await;
    let now = now_ms();
    keys::ensure_key(db, keys::KeyAlg::Es256, now).await.unwrap();
    let ring = keys::KeyRing::load(db, now_ms).await.unwrap();
    members::register_member(&s, &admin(), "BHXH-08", "Bảo hiểm xã hội tỉnh", MemberClass::Government, now)
        .await
        .unwrap();
    members::set_member_status(&s, &admin(), "BHXH-08", Status::Approved, "", now).await.unwrap();
    members::add_subsystem(&s, &admin(), "BHXH-08", "thu-chi", "Hệ thống thu chi", now).await.unwrap();
    let key = client_key();
    let kid = members::add_key(
        &s,
        &admin(),
        "BHXH-08",
        "thu-chi",
        &key.jwk,
        members::Validity { from: now - 1000, to: None },
        now,
    )
    .await
    .unwrap();
    let right = rights::grant(
        &s,
        &admin(),
        &Grant {
            member: "BHXH-08".into(),
            subsystem: "thu-chi".into(),
            service: "person.verify".into(),
            purpose: "social_insurance".into(),
            fields: vec!["living_resident".into(), "over_18".into()],
            valid_from: kernel::clock::date_vn(now),
            valid_to: None,
            daily_quota: quota,
        },
        now,
    )
    .await
    .unwrap();
    let gateway = Gateway::new(s.clone(), Arc::clone(&ring), translog::TransLog::start(db.clone()), AUD.into());
    Setup { gateway, key, kid, right }
}

fn claims(jti: &str) -> Value {
    let now = now_ms() / 1000;
    json!({
        "member": "BHXH-08", "subsystem": "thu-chi", "service": "person.verify", "purpose": "social_insurance",
        "jti": jti, "iat": now, "exp": now + 120, "aud": AUD,
        "body": {"personal_id": "008090000001", "full_name": "Nguyễn Văn An", "birth_date": "1990-05-01",
                 "questions": ["living_resident", "over_18"]},
    })
}

/// What a refusal must leave as it was: request ids, quota use, the log and the access log.
async fn state(db: &Db) -> (i64, i64, u64, i64) {
    let count =
        |sql: &'static str| async move { sqlx::query(sql).fetch_one(db.read()).await.unwrap().get::<i64, _>(0) };
    (
        count("SELECT COUNT(*) FROM exchange_requests").await,
        count("SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM exchange_quota_use").await,
        translog::store::size(db).await.unwrap(),
        count("SELECT COUNT(*) FROM access_log").await,
    )
}

async fn refused(setup: &Setup, service: &str, token: &str, code: ErrorCode) {
    let db = &setup.gateway.stores.db;
    let before = state(db).await;
    let r = setup.gateway.call(service, token.as_bytes(), now_ms()).await.unwrap_err();
    assert_eq!(r.error.code, code, "{}", r.error.detail);
    assert_eq!(state(db).await, before, "{code} changed nothing");
}

async fn accepts_and_refuses(db: Db) {
    let setup = setup(&db, 3).await;
    let g = &setup.gateway;
    let token = sign(&setup.key, &setup.kid, &claims("r-1"));
    let answered = g.call("person.verify", token.as_bytes(), now_ms()).await.unwrap();
    // The response verifies against the platform's published keys and answers only yes/no.
    let published = keys::JwksVerifier::from_jwks(&g.ring.jwks()).unwrap();
    let back: ResponseClaims =
        published.verify(&answered.jws, &keys::Expect::new().audience("BHXH-08").without_required_exp()).unwrap();
    assert_eq!(back, answered.claims);
    assert_eq!(back.request_id, "r-1");
    assert_eq!(
        back.answer,
        [("living_resident".to_string(), false.into()), ("over_18".to_string(), false.into())].into()
    );
    assert_eq!(back.request_sha256, STANDARD.encode(Sha256::digest(token.as_bytes())));
    // The log holds the exchange's digests at the index the response names.
    let entry = translog::store::entry(&db, back.log_index).await.unwrap().unwrap();
    let logged: LogEntry = serde_json::from_slice(&entry.data).unwrap();
    assert_eq!((logged.request_id.as_str(), logged.member.as_str()), ("r-1", "BHXH-08"));
    assert_eq!(logged.request_sha256, back.request_sha256);
    assert_eq!(logged.answer_sha256, STANDARD.encode(Sha256::digest(serde_json::to_vec(&back.answer).unwrap())));
    assert_eq!(STANDARD.encode(entry.leaf_hash), back.log_leaf_hash);
    assert_eq!(state(&db).await, (1, 1, 1, 0), "no such person: nothing for an access log");

    refused(&setup, "person.verify", &token, ErrorCode::ExchangeReplayed).await;
    let mut parts: Vec<String> = sign(&setup.key, &setup.kid, &claims("r-2")).split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims("r-2").to_string().replace("r-2", "r-3"));
    refused(&setup, "person.verify", &parts.join("."), ErrorCode::ExchangeBadSignature).await;
    refused(&setup, "person.verify", "not a jws", ErrorCode::ExchangeBadSignature).await;
    refused(&setup, "person.verify", &sign(&client_key(), &setup.kid, &claims("r-4")), ErrorCode::ExchangeBadSignature)
        .await;
    refused(&setup, "person.verify", &sign(&setup.key, "unknown-kid", &claims("r-5")), ErrorCode::ExchangeBadSignature)
        .await;
    let mut c = claims("r-6");
    c["exp"] = (now_ms() / 1000 - 120).into();
    c["iat"] = (now_ms() / 1000 - 200).into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeExpired).await;
    let mut c = claims("r-7");
    c["exp"] = (now_ms() / 1000 + 600).into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeExpired).await;
    let mut c = claims("r-8");
    c["aud"] = "https://other.example".into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeWrongAudience).await;
    let mut c = claims("r-9");
    c["body"]["full_name"] = "x".repeat(70 * 1024).into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeTooLarge).await;
    let mut c = claims("r-10");
    c["purpose"] = "tax_administration".into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeNotGranted).await;
    let mut c = claims("r-11");
    c["body"]["questions"] = json!(["lives_in_commune"]);
    c["body"]["commune_code"] = "00001".into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeNotGranted).await;
    let mut c = claims("r-12");
    c["service"] = "person.secrets".into();
    refused(&setup, "person.secrets", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeUnknownService).await;
    let mut c = claims("r-15");
    c["service"] = "person.lookup".into();
    c["body"] = json!({"personal_id": "008090000001", "full_name": "Nguyễn Văn An", "birth_date": "1990-05-01",
        "fields": ["full_name"]});
    refused(&setup, "person.lookup", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeNotGranted).await;
    let mut c = claims("r-13");
    c["subsystem"] = "other".into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::ExchangeBadSignature).await;
    let mut c = claims("r-14");
    c["body"]["personal_id"] = "123".into();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &c), ErrorCode::InvalidPersonalId).await;

    // The quota: two more calls, then refused.
    for jti in ["q-1", "q-2"] {
        g.call("person.verify", sign(&setup.key, &setup.kid, &claims(jti)).as_bytes(), now_ms()).await.unwrap();
    }
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &claims("q-3")), ErrorCode::ExchangeQuotaExceeded)
        .await;
    let used: i64 = sqlx::query("SELECT used FROM exchange_quota_use WHERE right_id = $1")
        .bind(&setup.right)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(used, 3);
}

async fn suspension_revocation_and_key_rotation(db: Db) {
    let setup = setup(&db, 100).await;
    let (g, s) = (&setup.gateway, &setup.gateway.stores);
    let call = |jti: &str, key: &ClientKey, kid: &str| {
        let token = sign(key, kid, &claims(jti));
        async move { g.call("person.verify", token.as_bytes(), now_ms()).await.map(|_| ()).map_err(|r| r.error.code) }
    };
    assert_eq!(call("a-1", &setup.key, &setup.kid).await, Ok(()));
    // Rotation with overlap: a new key works at once, the old one until its end.
    let new_key = client_key();
    let now = now_ms();
    let new_kid = members::add_key(
        s,
        &admin(),
        "BHXH-08",
        "thu-chi",
        &new_key.jwk,
        members::Validity { from: now - 1000, to: None },
        now,
    )
    .await
    .unwrap();
    assert_eq!(call("a-2", &new_key, &new_kid).await, Ok(()));
    assert_eq!(call("a-3", &setup.key, &setup.kid).await, Ok(()));
    members::retire_key(s, &admin(), &setup.kid, now_ms(), now_ms()).await.unwrap();
    refused(&setup, "person.verify", &sign(&setup.key, &setup.kid, &claims("a-4")), ErrorCode::ExchangeBadSignature)
        .await;
    // A suspended subsystem, then member, is refused at once; re-approved, it works again.
    members::set_subsystem_status(s, &admin(), "BHXH-08", "thu-chi", Status::Suspended, now_ms()).await.unwrap();
    refused(&setup, "person.verify", &sign(&new_key, &new_kid, &claims("a-5")), ErrorCode::ExchangeMemberNotApproved)
        .await;
    members::set_subsystem_status(s, &admin(), "BHXH-08", "thu-chi", Status::Approved, now_ms()).await.unwrap();
    members::set_member_status(s, &admin(), "BHXH-08", Status::Suspended, "audit", now_ms()).await.unwrap();
    refused(&setup, "person.verify", &sign(&new_key, &new_kid, &claims("a-6")), ErrorCode::ExchangeMemberNotApproved)
        .await;
    members::set_member_status(s, &admin(), "BHXH-08", Status::Approved, "", now_ms()).await.unwrap();
    assert_eq!(call("a-7", &new_key, &new_kid).await, Ok(()));
    // A revoked right grants nothing.
    rights::revoke(s, &admin(), &setup.right, now_ms()).await.unwrap();
    refused(&setup, "person.verify", &sign(&new_key, &new_kid, &claims("a-8")), ErrorCode::ExchangeNotGranted).await;
}

/// Request ids are deleted once their message could no longer be accepted, and not before: the
/// same message sent after the purge is refused as expired, never taken as new.
async fn expired_request_ids_are_purged(db: Db) {
    let setup = setup(&db, 3).await;
    let g = &setup.gateway;
    let token = sign(&setup.key, &setup.kid, &claims("p-1"));
    let now = now_ms();
    g.call("person.verify", token.as_bytes(), now).await.unwrap();
    assert_eq!(g.purge_expired(now).await.unwrap(), 0, "a live message's id stays");
    assert_eq!(
        g.call("person.verify", token.as_bytes(), now).await.unwrap_err().error.code,
        ErrorCode::ExchangeReplayed
    );
    // `claims` expire 120 s after now; the gateway accepts them until LEEWAY_SECS later.
    let later = now + (120 + crate::gateway::LEEWAY_SECS + 2) * 1000;
    assert_eq!(g.purge_expired(later).await.unwrap(), 1);
    assert_eq!(state(&db).await.0, 0, "the id is gone");
    assert_eq!(
        g.call("person.verify", token.as_bytes(), later).await.unwrap_err().error.code,
        ErrorCode::ExchangeExpired
    );
    assert_eq!(state(&db).await.0, 0, "the refused message stored nothing");
}

db::dual_tests!(crate::tests::migrations(); admin_configures_the_exchange, accepts_and_refuses, suspension_revocation_and_key_rotation, expired_request_ids_are_purged);

/// A purpose that needs consent: refused without one, answered under the citizen's consent,
/// refused once it is withdrawn or expired, or when it was given for another person, purpose or
/// fields; each refusal changes nothing.
async fn consent_is_checked_on_every_call(db: Db) {
    let setup = setup(&db, 100).await;
    let g = &setup.gateway;
    let now = now_ms();
    rights::grant(
        &g.stores,
        &admin(),
        &Grant {
            member: "BHXH-08".into(),
            subsystem: "thu-chi".into(),
            service: "person.verify".into(),
            purpose: "credit_assessment".into(),
            fields: vec!["living_resident".into(), "over_18".into()],
            valid_from: kernel::clock::date_vn(now),
            valid_to: None,
            daily_quota: 100,
        },
        now,
    )
    .await
    .unwrap();
    let person = "008090000001";
    let ask = |fields: &[&str], days: u32| consent::Request {
        member: "BHXH-08".into(),
        purpose: "credit_assessment".into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        days,
    };
    // The screen refuses what cannot be consented to.
    let statutory = consent::Request { purpose: "social_insurance".into(), ..ask(&["over_18"], 30) };
    assert!(consent::grant(&db, person, &statutory, now).await.is_err(), "statutory purposes need no consent");
    assert!(consent::grant(&db, person, &ask(&["home_address"], 30), now).await.is_err());
    assert!(consent::grant(&db, person, &ask(&["over_18"], 400), now).await.is_err());
    assert!(consent::list_for_person(&db, person).await.unwrap().is_empty(), "refusals store nothing");

    let given = consent::grant(&db, person, &ask(&["over_18", "living_resident"], 30), now).await.unwrap();
    assert!(given.id.starts_with("DY-") && given.id.len() == 17, "{}", given.id);
    let other = consent::grant(&db, "008090000002", &ask(&["over_18"], 30), now).await.unwrap();
    let only_age = consent::grant(&db, person, &ask(&["over_18"], 30), now).await.unwrap();
    let call = |jti: &str, consent: Option<&str>| {
        let mut c = claims(jti);
        c["purpose"] = "credit_assessment".into();
        if let Some(id) = consent {
            c["consent_id"] = id.into();
        }
        sign(&setup.key, &setup.kid, &c)
    };
    refused(&setup, "person.verify", &call("c-0", None), ErrorCode::ExchangeConsentRefused).await;
    refused(&setup, "person.verify", &call("c-1", Some("DY-0000-0000-0000")), ErrorCode::ExchangeConsentRefused).await;
    refused(&setup, "person.verify", &call("c-2", Some(&other.id)), ErrorCode::ExchangeConsentRefused).await;
    refused(&setup, "person.verify", &call("c-3", Some(&only_age.id)), ErrorCode::ExchangeConsentRefused).await;
    g.call("person.verify", call("c-4", Some(&given.id)).as_bytes(), now_ms()).await.unwrap();
    // Statutory purposes still need none.
    g.call("person.verify", sign(&setup.key, &setup.kid, &claims("c-5")).as_bytes(), now_ms()).await.unwrap();

    // Expired: the same consent a day after its last.
    let late = g.call("person.verify", call("c-6", Some(&given.id)).as_bytes(), given.expires_at + 1).await;
    assert_eq!(late.unwrap_err().error.code, ErrorCode::ExchangeExpired, "the message itself is stale by then");
    sqlx::query("UPDATE exchange_consents SET expires_at = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(&only_age.id)
        .execute(db.write())
        .await
        .unwrap();
    let mut age = claims("c-7");
    age["purpose"] = "credit_assessment".into();
    age["consent_id"] = only_age.id.clone().into();
    age["body"]["questions"] = json!(["over_18"]);
    let r = g.call("person.verify", sign(&setup.key, &setup.kid, &age).as_bytes(), now_ms()).await.unwrap_err();
    assert!(r.error.detail.contains("expired"), "{}", r.error.detail);

    // Withdrawn: only by the citizen, once; the next call is refused.
    assert!(consent::withdraw(&db, "008090000002", &given.id, now_ms()).await.is_err(), "not theirs");
    consent::withdraw(&db, person, &given.id, now_ms()).await.unwrap();
    assert!(consent::withdraw(&db, person, &given.id, now_ms()).await.is_err(), "withdrawn already");
    refused(&setup, "person.verify", &call("c-8", Some(&given.id)), ErrorCode::ExchangeConsentRefused).await;
    let mine = consent::list_for_person(&db, person).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|c| !c.in_force(now_ms())));
    let overview = consent::overview(&db, now_ms()).await.unwrap();
    assert_eq!(overview, vec![("BHXH-08".into(), "credit_assessment".into(), 1, 1, 1)]);
}

db::dual_tests!(crate::tests::migrations(); consent_is_checked_on_every_call);

/// Requests reserved together (group commit): of the same message sent twice at once one is
/// answered and one refused as a replay; of many at once exactly the quota's number are answered,
/// the rest refused, and nothing of a refused one is stored.
async fn concurrent_requests_keep_replays_and_quotas(db: Db) {
    let setup = Arc::new(setup(&db, 5).await);
    let twice = sign(&setup.key, &setup.kid, &claims("same"));
    let (a, b) = tokio::join!(
        setup.gateway.call("person.verify", twice.as_bytes(), now_ms()),
        setup.gateway.call("person.verify", twice.as_bytes(), now_ms())
    );
    let codes: Vec<Option<ErrorCode>> = [a, b].into_iter().map(|r| r.err().map(|e| e.error.code)).collect();
    assert!(codes.contains(&None) && codes.contains(&Some(ErrorCode::ExchangeReplayed)), "{codes:?}");
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (setup, token) = (setup.clone(), sign(&setup.key, &setup.kid, &claims(&format!("c-{i}"))));
        calls.spawn(async move {
            setup.gateway.call("person.verify", token.as_bytes(), now_ms()).await.err().map(|e| e.error.code)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(r) = calls.join_next().await {
        outcomes.push(r.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_none()).count(), 4, "{outcomes:?}");
    assert!(outcomes.iter().flatten().all(|c| *c == ErrorCode::ExchangeQuotaExceeded), "{outcomes:?}");
    let (requests, used, _, _) = state(&db).await;
    assert_eq!((requests, used), (5, 5), "only the answered requests are stored and counted");
}

db::dual_tests!(crate::tests::migrations(); concurrent_requests_keep_replays_and_quotas);
