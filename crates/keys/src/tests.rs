//! Key ring tests on both backends: signing, verification, rotation and every rejection.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use db::sqlx::{self, Row};
use db::testing::TestDb;
use db::{Db, MigrationSet};
use serde::{Deserialize, Serialize};

use crate::*;

fn migrations() -> MigrationSet {
    MigrationSet::new().with(MIGRATIONS)
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(exp_in: i64) -> Claims {
    Claims { sub: "s1".into(), exp: (now() as i64 + exp_in) as u64, nbf: None, aud: None, iss: None }
}

async fn ring(db: &Db) -> std::sync::Arc<KeyRing> {
    ensure_key(db, KeyAlg::Es256, kernel::clock::now_ms()).await.unwrap();
    KeyRing::load(db, kernel::clock::now_ms).await.unwrap()
}

/// Replaces one of the three parts of a compact JWS.
fn with_part(token: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = part.to_owned();
    parts.join(".")
}

fn b64(v: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn signs_and_verifies(db: Db) {
    assert!(ensure_key(&db, KeyAlg::Es256, kernel::clock::now_ms()).await.unwrap(), "first start creates a key");
    assert!(!ensure_key(&db, KeyAlg::Es256, kernel::clock::now_ms()).await.unwrap(), "second start reuses it");
    let ring = KeyRing::load(&db, kernel::clock::now_ms).await.unwrap();
    let c = claims(60);
    let token = ring.sign(&c).unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid, ring.active_kid());
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let signature = token.rsplit('.').next().unwrap();
    let raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(raw.len(), 64, "ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4)");
    let back: Claims = ring.verify(&token, &Expect::new()).unwrap();
    assert_eq!(back, c);
    let listed = list(&db, kernel::clock::now_ms()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, KeyState::Active);
    assert_eq!(listed[0].alg, "ES256");
}

async fn rejects_none_and_hmac(db: Db) {
    let ring = ring(&db).await;
    let kid = ring.active_kid().unwrap();
    let payload = b64(&serde_json::to_value(claims(60)).unwrap());
    let none = format!("{}.{payload}.", b64(&serde_json::json!({"alg": "none", "kid": kid})));
    assert_eq!(ring.verify::<Claims>(&none, &Expect::new()), Err(KeyError::AlgorithmRejected("none".into())));
    // Algorithm confusion: an HMAC token keyed with the public JWK text.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid);
    let secret = ring.jwks()["keys"][0].to_string();
    let hs =
        jsonwebtoken::encode(&header, &claims(60), &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap();
    assert!(matches!(ring.verify::<Claims>(&hs, &Expect::new()), Err(KeyError::AlgorithmRejected(_))));
    for junk in ["", "abc", "a.b", "a.b.c.d", "!!.??.**"] {
        assert_eq!(ring.verify::<Claims>(junk, &Expect::new()), Err(KeyError::Malformed), "{junk:?}");
    }
}

async fn rejects_tampering(db: Db) {
    let ring = ring(&db).await;
    let token = ring.sign(&claims(60)).unwrap();
    let mut forged = claims(60);
    forged.sub = "someone-else".into();
    let tampered_payload = with_part(&token, 1, &b64(&serde_json::to_value(&forged).unwrap()));
    assert_eq!(ring.verify::<Claims>(&tampered_payload, &Expect::new()), Err(KeyError::BadSignature));
    let sig = token.split('.').nth(2).unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[10] ^= 0x01;
    let tampered_sig = with_part(&token, 2, &URL_SAFE_NO_PAD.encode(&bytes));
    assert_eq!(ring.verify::<Claims>(&tampered_sig, &Expect::new()), Err(KeyError::BadSignature));
    // The untouched token still verifies, so the rejections above are about the edits.
    assert!(ring.verify::<Claims>(&token, &Expect::new()).is_ok());
}

async fn rejects_foreign_keys(db: Db) {
    let ring = ring(&db).await;
    let other_db = TestDb::sqlite(&migrations()).await;
    let other = self::ring(other_db.db()).await;
    let foreign = other.sign(&claims(60)).unwrap();
    assert!(matches!(ring.verify::<Claims>(&foreign, &Expect::new()), Err(KeyError::UnknownKey(_))));
    // A foreign key claiming our kid.
    let pem: String =
        sqlx::query("SELECT private_pem FROM signing_keys").fetch_one(other_db.db().read()).await.unwrap().get(0);
    let der = pem::parse(pem).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = ring.active_kid();
    let spoofed =
        jsonwebtoken::encode(&header, &claims(60), &jsonwebtoken::EncodingKey::from_ec_der(der.contents())).unwrap();
    assert_eq!(ring.verify::<Claims>(&spoofed, &Expect::new()), Err(KeyError::BadSignature));
    // An EdDSA token naming our ES256 key.
    rotate(other_db.db(), KeyAlg::EdDsa, 0, kernel::clock::now_ms()).await.unwrap();
    other.refresh().await.unwrap();
    let ed = other.sign(&claims(60)).unwrap();
    let ed_header = jsonwebtoken::decode_header(&ed).unwrap();
    assert_eq!(ed_header.alg, jsonwebtoken::Algorithm::EdDSA);
    let renamed =
        with_part(&ed, 0, &b64(&serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": ring.active_kid().unwrap()})));
    assert_eq!(ring.verify::<Claims>(&renamed, &Expect::new()), Err(KeyError::WrongAlgorithm));
}

async fn checks_time_and_audience(db: Db) {
    let ring = ring(&db).await;
    let expired = ring.sign(&claims(-60)).unwrap();
    assert_eq!(ring.verify::<Claims>(&expired, &Expect::new()), Err(KeyError::Expired));
    let mut early = claims(600);
    early.nbf = Some(now() + 300);
    assert_eq!(ring.verify::<Claims>(&ring.sign(&early).unwrap(), &Expect::new()), Err(KeyError::NotYetValid));
    let mut aimed = claims(60);
    aimed.aud = Some("hotel".into());
    aimed.iss = Some("https://dancu.example".into());
    let t = ring.sign(&aimed).unwrap();
    let ok = Expect::new().audience("hotel").issuer("https://dancu.example");
    assert!(ring.verify::<Claims>(&t, &ok).is_ok());
    assert_eq!(ring.verify::<Claims>(&t, &Expect::new().audience("bank")), Err(KeyError::Claims("aud".into())));
    assert_eq!(
        ring.verify::<Claims>(&t, &Expect::new().audience("hotel").issuer("https://evil.example")),
        Err(KeyError::Claims("iss".into()))
    );
    #[derive(Serialize)]
    struct NoExp {
        sub: String,
    }
    let receipt = ring.sign(&NoExp { sub: "r".into() }).unwrap();
    assert!(matches!(ring.verify::<serde_json::Value>(&receipt, &Expect::new()), Err(KeyError::Claims(_))));
    assert!(ring.verify::<serde_json::Value>(&receipt, &Expect::new().without_required_exp()).is_ok());
}

async fn rotation_keeps_old_keys_for_overlap(db: Db) {
    let ring = ring(&db).await;
    let first_kid = ring.active_kid().unwrap();
    let old = ring.sign(&claims(60)).unwrap();
    let second_kid = rotate(&db, KeyAlg::Es256, DEFAULT_OVERLAP_MS, kernel::clock::now_ms()).await.unwrap();
    assert_ne!(first_kid, second_kid);
    // Before a refresh the ring still signs with the old key; after it, with the new one.
    assert_eq!(ring.active_kid().as_deref(), Some(first_kid.as_str()));
    ring.refresh().await.unwrap();
    assert_eq!(ring.active_kid().as_deref(), Some(second_kid.as_str()));
    assert!(ring.verify::<Claims>(&old, &Expect::new()).is_ok(), "old key verifies during the overlap");
    let kids: Vec<String> =
        ring.jwks()["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kids, vec![second_kid.clone(), first_kid.clone()], "active key first");
    // A rotation with no overlap drops the retired key at once.
    let signed_by_second = ring.sign(&claims(60)).unwrap();
    rotate(&db, KeyAlg::EdDsa, 0, kernel::clock::now_ms()).await.unwrap();
    ring.refresh().await.unwrap();
    assert_eq!(ring.verify::<Claims>(&signed_by_second, &Expect::new()), Err(KeyError::UnknownKey(second_kid.clone())));
    let states: Vec<KeyState> = list(&db, kernel::clock::now_ms()).await.unwrap().iter().map(|k| k.state).collect();
    assert_eq!(states, vec![KeyState::Active, KeyState::Retired, KeyState::Expired]);
    let ed = ring.sign(&claims(60)).unwrap();
    assert_eq!(jsonwebtoken::decode_header(&ed).unwrap().alg, jsonwebtoken::Algorithm::EdDSA);
    assert!(ring.verify::<Claims>(&ed, &Expect::new()).is_ok());
}

async fn offline_verifier_uses_only_the_jwks(db: Db) {
    let ring = ring(&db).await;
    rotate(&db, KeyAlg::EdDsa, DEFAULT_OVERLAP_MS, kernel::clock::now_ms()).await.unwrap();
    let es = ring.sign(&claims(60)).unwrap();
    ring.refresh().await.unwrap();
    let ed = ring.sign(&claims(60)).unwrap();
    let jwks = ring.jwks();
    for key in jwks["keys"].as_array().unwrap() {
        assert!(key.get("d").is_none(), "no private member in the JWKS");
        assert_eq!(key["use"], "sig");
    }
    // Through text, as a device would store it.
    let offline = JwksVerifier::from_jwks(&serde_json::from_str(&jwks.to_string()).unwrap()).unwrap();
    assert_eq!(offline.kids().count(), 2);
    assert!(offline.verify::<Claims>(&es, &Expect::new()).is_ok());
    assert!(offline.verify::<Claims>(&ed, &Expect::new()).is_ok());
    assert_eq!(offline.verify::<Claims>(&with_part(&ed, 2, "AAAA"), &Expect::new()), Err(KeyError::BadSignature));
    assert!(JwksVerifier::from_jwks(&serde_json::json!({"nokeys": []})).is_err());
    assert!(JwksVerifier::from_jwks(&serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256"}]})).is_err());
}

db::dual_tests!(crate::tests::migrations();
    signs_and_verifies,
    rejects_none_and_hmac,
    rejects_tampering,
    rejects_foreign_keys,
    checks_time_and_audience,
    rotation_keeps_old_keys_for_overlap,
    offline_verifier_uses_only_the_jwks,
);
