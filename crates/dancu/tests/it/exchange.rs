//! The data exchange end to end on both backends: an administrator registers an agency over the
//! API, the sample Python client (`examples/exchange_client.py`) signs a request, calls
//! `person.verify` on the running server and verifies the signed response and its transparency-log
//! proof; the citizen's access log shows the call with the proof of its seal, and a deleted
//! access-log row is reported on the citizen's page and by `dancu log verify`; refusals change
//! nothing; `dancu log verify` passes, then finds a deleted log row.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

use db::sqlx::{self, Row};
use db::Db;
use reqwest::Method;
use serde_json::{json, Value};
use web::{Jurisdiction, Role};

fn client_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/exchange_client.py")
}

/// A Python with the `cryptography` package: the system's, else a virtual environment in `dir`
/// with the package installed from PyPI. `None` (the test then says it was skipped and why) when
/// neither works, e.g. without network access.
fn python(dir: &Path) -> Option<PathBuf> {
    let has =
        |py: &Path| Command::new(py).args(["-c", "import cryptography"]).output().is_ok_and(|o| o.status.success());
    let system = PathBuf::from("python3");
    if has(&system) {
        return Some(system);
    }
    let venv = dir.join("venv");
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success());
    let py = venv.join("bin/python");
    let installed = made
        && Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "cryptography"])
            .status()
            .is_ok_and(|s| s.success());
    (installed && has(&py)).then_some(py)
}

fn run(py: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(py).arg(client_script()).args(args).output().expect("run the sample client");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// A living resident with a full birth date, an adult, with a current residence.
async fn resident(db: &Db) -> (String, String, String, String) {
    let r = sqlx::query(
        "SELECT personal_id, full_name, birth_date, current_commune FROM persons WHERE status = 'living' \
         AND LENGTH(birth_date) = 10 AND birth_date < '2000-01-01' AND current_commune IS NOT NULL \
         ORDER BY personal_id LIMIT 1",
    )
    .fetch_one(db.read())
    .await
    .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// What a refusal must leave unchanged: request ids, quota use, the log, the access log.
async fn state(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM exchange_requests",
        "SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM exchange_quota_use",
        "SELECT size FROM translog_state",
        "SELECT COUNT(*) FROM access_log",
    ] {
        out.push(sqlx::query(sql).fetch_one(db.read()).await.unwrap().get::<i64, _>(0));
    }
    out
}

async fn an_agency_calls_through_the_sample_client(db: Db) {
    let w = common::world(db.clone(), 300, false).await;
    let dir = tempfile::tempdir().unwrap();
    let Some(py) = python(dir.path()) else {
        eprintln!("SKIPPED exchange sample client: no python3 with `cryptography`, and pip could not install it");
        return;
    };
    let admin = w.staff_token("qtv.trao-doi", Role::Admin, Jurisdiction::Province("08".into())).await;
    let officer = w.province_token.clone();
    let key = dir.path().join("key.pem");
    let (code, generated, out) = run(&py, &["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    // The administrator registers, approves and keys the member, then grants it a right.
    let member = json!({"code": "BHXH-08", "name": "Bảo hiểm xã hội tỉnh", "class": "government"});
    let (s, v) = w.send(Method::POST, &officer, "/api/v1/exchange/members", member.clone()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")), "{v}");
    assert_eq!(w.send(Method::POST, &admin, "/api/v1/exchange/members", member).await.0, 201);
    let (s, v) =
        w.send(Method::POST, &admin, "/api/v1/exchange/members/BHXH-08/status", json!({"status": "approved"})).await;
    assert_eq!(s, 204, "{v}");
    let sub = json!({"code": "thu-chi", "name": "Hệ thống thu chi"});
    assert_eq!(w.send(Method::POST, &admin, "/api/v1/exchange/members/BHXH-08/subsystems", sub).await.0, 201);
    let (s, v) = w
        .send(
            Method::POST,
            &admin,
            "/api/v1/exchange/members/BHXH-08/subsystems/thu-chi/keys",
            json!({"jwk": generated["jwk"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["kid"], generated["kid"], "the kid is the JWK's thumbprint, as the client computes it");
    let kid = v["kid"].as_str().unwrap().to_owned();
    let today = kernel::clock::today_vn().to_string();
    let right = json!({"member": "BHXH-08", "subsystem": "thu-chi", "service": "person.verify",
        "purpose": "social_insurance", "fields": ["living_resident", "lives_in_commune", "over_18"],
        "valid_from": today, "valid_to": null, "daily_quota": 100});
    let (s, v) = w.send(Method::POST, &admin, "/api/v1/exchange/rights", right).await;
    assert_eq!(s, 201, "{v}");

    // The client signs, calls, verifies the response and the log proof.
    let (id, name, birth, commune) = resident(&db).await;
    let call = |name: String, purpose: &'static str| {
        let (py, key, kid, base, id, birth, commune) =
            (py.clone(), key.clone(), kid.clone(), w.base.clone(), id.clone(), birth.clone(), commune.clone());
        move || {
            run(
                &py,
                &[
                    "call",
                    "--base",
                    &base,
                    "--key",
                    key.to_str().unwrap(),
                    "--kid",
                    &kid,
                    "--member",
                    "BHXH-08",
                    "--subsystem",
                    "thu-chi",
                    "--purpose",
                    purpose,
                    "--personal-id",
                    &id,
                    "--full-name",
                    &name,
                    "--birth-date",
                    &birth,
                    "--questions",
                    "living_resident,lives_in_commune,over_18",
                    "--commune-code",
                    &commune,
                ],
            )
        }
    };
    let (code, v, out) = tokio::task::spawn_blocking(call(name.to_uppercase(), "social_insurance")).await.unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["answer"], json!({"living_resident": true, "lives_in_commune": true, "over_18": true}), "{out}");
    assert!(v["checks"].as_object().unwrap().values().all(|c| c == true), "{out}");
    assert!(v["log_index"].is_u64(), "{out}");

    // The citizen's access log names the member, the purpose and what was checked.
    let row =
        sqlx::query("SELECT actor_id, actor_label, purpose, released, channel FROM access_log WHERE subject_id = $1")
            .bind(&id)
            .fetch_one(db.read())
            .await
            .unwrap();
    assert_eq!(row.get::<String, _>(0), "exchange:BHXH-08/thu-chi");
    assert!(row.get::<String, _>(1).starts_with("Bảo hiểm xã hội tỉnh"));
    assert_eq!(row.get::<String, _>(2), "public_service");
    assert_eq!(row.get::<String, _>(3), "personal_id,full_name,birth_date,status,commune,age_over_18");
    assert_eq!(row.get::<String, _>(4), "exchange");

    // Another name: every answer is no, and the record consulted is still in the access log.
    let (code, v, out) = tokio::task::spawn_blocking(call("Người Khác Hẳn".into(), "social_insurance")).await.unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["answer"], json!({"living_resident": false, "lives_in_commune": false, "over_18": false}));

    // The services that release data, each within its right's fields, through the same client.
    for (service, fields) in [
        ("person.lookup", vec!["full_name", "gender", "residence"]),
        ("residence.confirm", vec!["residence"]),
        ("household.members", vec!["members"]),
        ("card.validity", vec!["status"]),
    ] {
        let grant = json!({"member": "BHXH-08", "subsystem": "thu-chi", "service": service,
            "purpose": "social_insurance", "fields": fields, "valid_from": today, "valid_to": null, "daily_quota": 100});
        assert_eq!(w.send(Method::POST, &admin, "/api/v1/exchange/rights", grant).await.0, 201);
    }
    let card: String =
        sqlx::query("SELECT id FROM identity_cards WHERE personal_id = $1 ORDER BY issue_date DESC LIMIT 1")
            .bind(&id)
            .fetch_one(db.read())
            .await
            .unwrap()
            .get(0);
    let release = |service: &'static str, extra: Vec<String>| {
        let (py, key, kid, base, id, name, birth) =
            (py.clone(), key.clone(), kid.clone(), w.base.clone(), id.clone(), name.clone(), birth.clone());
        tokio::task::spawn_blocking(move || {
            let mut args: Vec<String> = [
                "call",
                "--base",
                &base,
                "--key",
                key.to_str().unwrap(),
                "--kid",
                &kid,
                "--member",
                "BHXH-08",
                "--subsystem",
                "thu-chi",
                "--purpose",
                "social_insurance",
                "--personal-id",
                &id,
                "--full-name",
                &name,
                "--birth-date",
                &birth,
                "--service",
                service,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.extend(extra);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&py, &refs)
        })
    };
    let (code, v, out) = release("person.lookup", vec!["--fields".into(), "residence,gender".into()]).await.unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["answer"]["found"], true, "{out}");
    assert_eq!(v["answer"]["residence"]["commune_code"], commune.as_str(), "{out}");
    assert!(
        v["answer"].get("full_name").is_none() && v["answer"].get("birth_date").is_none(),
        "only what was declared: {out}"
    );
    let (code, _, out) = release("person.lookup", vec!["--fields".into(), "ethnicity".into()]).await.unwrap();
    assert!(code == 1 && out.contains("exchange.not_granted"), "a field outside the right: {out}");
    let (code, v, out) = release("residence.confirm", vec![]).await.unwrap();
    assert_eq!((code, &v["answer"]["residence"]["commune_code"]), (0, &json!(commune)), "{out}");
    let (code, v, out) = release("household.members", vec![]).await.unwrap();
    assert_eq!(code, 0, "{out}");
    let members = v["answer"]["members"].as_array().unwrap().clone();
    assert!(members.iter().any(|m| m["personal_id"] == id.as_str()), "{out}");
    let (code, v, out) = release("card.validity", vec!["--card-number".into(), card.clone()]).await.unwrap();
    assert_eq!(code, 0, "{out}");
    let status = v["answer"]["status"].as_str().unwrap_or_default();
    assert!(!status.is_empty() && status != "not_this_persons", "the person's own card: {out}");
    assert_eq!(v["answer"]["valid"], status == "valid", "{out}");
    let (code, v, out) = release("card.validity", vec!["--card-number".into(), "000000000000X".into()]).await.unwrap();
    assert_eq!(
        (code, &v["answer"]["valid"], &v["answer"]["status"]),
        (0, &json!(false), &json!("not_this_persons")),
        "{out}"
    );
    // Each household member read is in that member's own access log.
    for m in &members {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND action = 'exchange.household_members'",
        )
        .bind(m["personal_id"].as_str().unwrap())
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
        assert_eq!(n, 1, "{m}");
    }

    // The citizen's page: the call told in words, its seal proven against a signed head.
    seal_now(&db).await;
    let citizen = w.staff_token("cong-dan.trao-doi", Role::Citizen, Jurisdiction::Own(id.clone())).await;
    let head: Value =
        w.http.get(format!("{}/api/v1/exchange/log/head", w.base)).send().await.unwrap().json().await.unwrap();
    let page = citizen_page(&w, &citizen).await;
    assert!(page.contains("Nhật ký toàn vẹn"), "{page}");
    assert!(
        page.contains("Bảo hiểm xã hội tỉnh – Hệ thống thu chi đã đối chiếu")
            && page.contains("qua trục liên thông dữ liệu"),
        "{page}"
    );
    assert!(page.contains("Đã kiểm chứng, mục #"), "{page}");
    let proofs: Value = w
        .http
        .get(format!("{}/account/access-log/proofs.json", w.base))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check_proofs(&w, &proofs, &head).await;

    // Refusals over HTTP: a purpose without a right, an unsigned body, a suspended member.
    seal_now(&db).await;
    let before = state(&db).await;
    let (code, _, out) = tokio::task::spawn_blocking(call(name.clone(), "tax_administration")).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("exchange.not_granted"), "{out}");
    let r = w
        .http
        .post(format!("{}/api/v1/exchange/services/person.verify", w.base))
        .header("content-type", "application/jose")
        .body("{\"member\": \"BHXH-08\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "exchange.bad_signature");
    let r = w
        .http
        .post(format!("{}/api/v1/exchange/services/person.verify", w.base))
        .body(vec![b'a'; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "exchange.too_large");
    let suspend = json!({"status": "suspended", "reason": "kiểm tra an ninh"});
    assert_eq!(w.send(Method::POST, &admin, "/api/v1/exchange/members/BHXH-08/status", suspend).await.0, 204);
    let (code, _, out) = tokio::task::spawn_blocking(call(name.clone(), "social_insurance")).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("exchange.member_not_approved"), "{out}");
    assert_eq!(state(&db).await, before, "refusals change nothing");

    // The published catalogue and the signed head.
    let public = |path: &'static str| {
        let url = format!("{}{path}", w.base);
        let http = w.http.clone();
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(public("/api/v1/exchange/services").await[0]["code"], "person.verify");
    let size = state(&db).await[2];
    assert_eq!(public("/api/v1/exchange/log/head").await["tree_size"], size);

    // A row deleted from the access log: the citizen's page reports it, and so does the SOC.
    let gone = sqlx::query(
        "SELECT id, at, actor_id, actor_label, subject_id, action, purpose, released, channel, case_ref FROM access_log \
         WHERE subject_id = $1 AND channel = 'exchange' ORDER BY id LIMIT 1",
    )
    .bind(&id)
    .fetch_one(db.read())
    .await
    .unwrap();
    let gone_id: i64 = gone.get(0);
    sqlx::query("DELETE FROM access_log WHERE id = $1").bind(gone_id).execute(db.write()).await.unwrap();
    let page = citizen_page(&w, &citizen).await;
    assert!(page.contains("Phát hiện nhật ký bị can thiệp") && page.contains("đã bị XOÁ khỏi nhật ký"), "{page}");
    assert!(!page.contains("Nhật ký toàn vẹn"), "{page}");
    w.running.ctx.stores.security.flush().await;
    let alerts: i64 = sqlx::query("SELECT COUNT(*) FROM security_events WHERE kind = 'access_log_tampered'")
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert!(alerts >= 1, "the administrators are told");

    // `dancu log verify` passes on the untouched log and finds a deleted row.
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_dancu"))
            .args(["log", "verify", "--database-url", db.url(), "--data-dir"])
            .arg(dir.path())
            .env("DANCU_LOG", "warn")
            .output()
            .expect("run dancu log verify")
    };
    let found = verify();
    let text = String::from_utf8_lossy(&found.stdout).to_string();
    assert!(!found.status.success(), "the deleted access-log row fails the check: {text}");
    assert!(
        text.contains(&format!("{size} entries read")) && text.contains(&format!("(latest: {size} entries")),
        "{text}"
    );
    assert!(text.contains("ACCESS LOG: {\"finding\":\"deleted\""), "{text}");
    // Put back as it was (the same id and columns), the row matches its seal again.
    let overriding = if db.backend() == db::Backend::Postgres { "OVERRIDING SYSTEM VALUE" } else { "" };
    let sql = format!(
        "INSERT INTO access_log (id, at, actor_id, actor_label, subject_id, action, purpose, released, channel, \
         case_ref) {overriding} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    let mut put_back = sqlx::query(&sql).bind(gone_id).bind(gone.get::<i64, _>(1));
    for i in 2..9 {
        put_back = put_back.bind(gone.get::<String, _>(i));
    }
    put_back = put_back.bind(gone.get::<Option<String>, _>(9));
    put_back.execute(db.write()).await.unwrap();
    let ok = verify();
    let text = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(ok.status.success(), "{text} {}", String::from_utf8_lossy(&ok.stderr));
    assert!(text.contains("the transparency log and the access log verify"), "{text}");
    sqlx::query("DELETE FROM translog_leaves WHERE idx = 0").execute(db.write()).await.unwrap();
    let bad = verify();
    let text = String::from_utf8_lossy(&bad.stdout).to_string();
    assert!(!bad.status.success(), "a deleted entry fails the verification: {text}");
    assert!(text.contains("PROBLEM: entry 0 is missing"), "{text}");
}

db::dual_tests!(crate::common::migrations(); an_agency_calls_through_the_sample_client);

/// Seals every access-log row now, as the server's sealer does every second.
async fn seal_now(db: &Db) {
    let keys = audit::security::Pseudonymizer::new(&audit::security::stored_key(db).await.unwrap()).unwrap();
    audit::seal::seal_pending(db, &keys, kernel::clock::now_ms()).await.unwrap();
}

async fn citizen_page(w: &common::World, token: &str) -> String {
    let r = w.http.get(format!("{}/account/access-log", w.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Checks the citizen's proof file as an outside program would: the head's signature against the
/// published keys, each sealed leaf's path to the head's root.
async fn check_proofs(w: &common::World, proofs: &Value, head: &Value) {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
    let jwks: Value =
        w.http.get(format!("{}/api/v1/exchange/jwks.json", w.base)).send().await.unwrap().json().await.unwrap();
    let keys = keys::JwksVerifier::from_jwks(&jwks).unwrap();
    let signed = translog::SignedHead::verify(proofs["tree_head"]["jws"].as_str().unwrap(), &keys).unwrap();
    assert_eq!(signed.tree_size, head["tree_size"].as_u64().unwrap());
    let entries = proofs["entries"].as_array().unwrap();
    assert!(entries.len() >= 2, "both verification calls and the lookups: {proofs}");
    for e in entries {
        let seal = &e["seal"];
        assert_eq!(seal["state"], "proven", "{e}");
        let leaf = b64(&seal["leaf"]);
        let path: Vec<translog::Hash> =
            seal["path"].as_array().unwrap().iter().map(|h| b64(h).try_into().unwrap()).collect();
        let index = seal["log_index"].as_u64().unwrap();
        let hash = translog::merkle::leaf_hash(&leaf);
        assert!(translog::merkle::verify_inclusion(index, signed.tree_size, &hash, &path, &signed.root_hash), "{e}");
        let sealed: Value = serde_json::from_slice(&leaf).unwrap();
        assert_eq!(sealed["type"], "dancu.access.v1");
        assert_eq!(sealed["id"], e["access_id"]);
        assert!(!String::from_utf8_lossy(&leaf).contains(e["actor"].as_str().unwrap()), "the leaf names nobody");
        // A leaf altered by one byte no longer leads to the root.
        let mut forged = leaf.clone();
        forged[10] ^= 1;
        let forged = translog::merkle::leaf_hash(&forged);
        assert!(!translog::merkle::verify_inclusion(index, signed.tree_size, &forged, &path, &signed.root_hash));
    }
}

/// `dancu demo` registers the social-insurance agency and the bank with a key and a right each:
/// both call `person.verify` through the sample client at once, with the key the demo wrote, and
/// the administrator's exchange page lists them and the log's entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_members_call_with_the_keys_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let Some(py) = python(dir.path()) else {
        eprintln!("SKIPPED demo exchange members: no python3 with `cryptography`, and pip could not install it");
        return;
    };
    let data = dir.path().join("demo");
    // Preparing serves nothing, so it does not need its listen address free (other preparations
    // run beside this one).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let demo = |data: PathBuf| {
        let listen = listen.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_dancu"))
                .args(["demo", "--no-serve", "--people", "300", "--listen", &listen, "--data-dir"])
                .arg(&data)
                .env("DANCU_LOG", "warn")
                .output()
                .unwrap()
        })
    };
    let out = demo(data.clone()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let members: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("exchange-members.json")).unwrap()).unwrap();
    let codes: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["member"].as_str().unwrap()).collect();
    assert_eq!(codes, ["BHXH-08", "NHDEMO"]);
    // A second run finds them and changes nothing (same keys, no duplicate member).
    let again = demo(data.clone()).await.unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("exchange-members.json")).unwrap()).unwrap();
    assert_eq!(after, members, "a second run keeps the members and their keys");

    let mut settings = dancu::server::local_settings();
    settings.data_dir = data.clone();
    settings.database_url = format!("sqlite://{}", data.join("dancu.db").display());
    let db = dancu::open_db(&settings.database_url).await.unwrap();
    let running = dancu::server::start(db.clone(), &settings).await.unwrap();
    let base = format!("http://{}", running.addr);
    let (id, name, birth, _) = resident(&db).await;
    for m in members.as_array().unwrap() {
        let s = |k: &str| m[k].as_str().unwrap().to_string();
        let (code, answer, out) = run(
            &py,
            &[
                "call",
                "--base",
                &base,
                "--key",
                &s("key_file"),
                "--kid",
                &s("kid"),
                "--member",
                &s("member"),
                "--subsystem",
                &s("subsystem"),
                "--purpose",
                &s("purpose"),
                "--personal-id",
                &id,
                "--full-name",
                &name,
                "--birth-date",
                &birth,
                "--questions",
                "living_resident,over_18",
            ],
        );
        assert_eq!(code, 0, "{} calls: {out}", s("member"));
        assert_eq!(answer["answer"]["living_resident"], true, "{answer}");
        assert_eq!(answer["answer"]["over_18"], true, "{answer}");
    }
    let logged: i64 = sqlx::query("SELECT COUNT(*) FROM access_log WHERE subject_id = $1 AND channel = 'exchange'")
        .bind(&id)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, 2, "each member's call is in the citizen's access log");
    // Monitoring: each member's answered calls are counted by service, without the resident.
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    for member in ["BHXH-08", "NHDEMO"] {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with("dancu_exchange_requests_total{")
                    && l.contains(&format!("member=\"{member}\""))
                    && l.contains("service=\"person.verify\"")
            })
            .unwrap_or_else(|| panic!("no person.verify count for {member}: {metrics}"));
        assert!(line.contains("outcome=\"answered\""), "{line}");
        // Other tests of this process may have counted calls of the same member too.
        let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 1.0, "{line}");
    }
    assert!(metrics.contains("dancu_exchange_request_duration_seconds"), "{metrics}");
    assert!(!metrics.contains(&id), "no personal id in a metric");

    // The administrator's page lists both members, their rights and the log.
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo-accounts.json")).unwrap()).unwrap();
    let admin = accounts.as_array().unwrap().iter().find(|a| a["role"] == "admin").unwrap();
    let http = reqwest::Client::new();
    let page = |token: String| http.get(format!("{base}/admin/exchange")).bearer_auth(token).send();
    let r = page(admin["api_token"].as_str().unwrap().to_string()).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    for text in ["BHXH-08", "Ngân hàng Demo", "quan-ly-thu", "ekyc", "Bảo hiểm xã hội", "Còn hiệu lực", "1 / 10000"]
    {
        assert!(html.contains(text), "the exchange page lacks {text}: {html}");
    }
    assert!(!html.contains(&id), "the page names no resident");
    // An index past the database's range is an entry that does not exist, not a failure.
    let far = http.get(format!("{base}/api/v1/exchange/log/entries/9223372036854775808")).send().await.unwrap();
    assert_eq!(far.status(), 404);
    let leader = accounts.as_array().unwrap().iter().find(|a| a["role"] == "leader").unwrap();
    assert_eq!(page(leader["api_token"].as_str().unwrap().to_string()).await.unwrap().status(), 403);

    // Consent: the bank asks for credit assessment only under the demo citizen's consent, given on
    // the consent screen, and not once the citizen has withdrawn it.
    let citizen = accounts.as_array().unwrap().iter().find(|a| a["role"] == "citizen").unwrap();
    let token = citizen["api_token"].as_str().unwrap().to_string();
    let pid = citizen["person_id"].as_str().unwrap().to_string();
    let who = sqlx::query("SELECT full_name, birth_date FROM persons WHERE personal_id = $1")
        .bind(&pid)
        .fetch_one(db.read())
        .await
        .unwrap();
    let (full_name, birth_date): (String, String) = (who.get(0), who.get(1));
    let bank = members.as_array().unwrap().iter().find(|m| m["member"] == "NHDEMO").unwrap();
    let ask = |consent: Option<String>| {
        let s = |k: &str| bank[k].as_str().unwrap().to_string();
        let mut args = vec![
            "call".to_string(),
            "--base".into(),
            base.clone(),
            "--key".into(),
            s("key_file"),
            "--kid".into(),
            s("kid"),
            "--member".into(),
            "NHDEMO".into(),
            "--subsystem".into(),
            s("subsystem"),
            "--purpose".into(),
            "credit_assessment".into(),
            "--personal-id".into(),
            pid.clone(),
            "--full-name".into(),
            full_name.clone(),
            "--birth-date".into(),
            birth_date.clone(),
            "--questions".into(),
            "living_resident,over_18".into(),
        ];
        if let Some(c) = consent {
            args.extend(["--consent-id".into(), c]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&py, &refs)
    };
    let (code, _, out) = ask(None);
    assert!(code == 1 && out.contains("exchange.consent_refused"), "{out}");
    let screen = http
        .get(format!(
            "{base}/consents/new?member=NHDEMO&purpose=credit_assessment&fields=over_18,living_resident&days=30"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(screen.status(), 200);
    let html = screen.text().await.unwrap();
    for text in ["Ngân hàng Demo", "Thẩm định cấp tín dụng", "Nghị định 13/2023/NĐ-CP", "30 ngày", "Tôi đồng ý"]
    {
        assert!(html.contains(text), "the consent screen lacks {text}: {html}");
    }
    let bad = http
        .get(format!("{base}/consents/new?member=NHDEMO&purpose=customer_identification&fields=over_18"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "a statutory purpose is not consented to");
    let form =
        [("member", "NHDEMO"), ("purpose", "credit_assessment"), ("fields", "living_resident,over_18"), ("days", "30")];
    let receipt = http.post(format!("{base}/consents/new")).bearer_auth(&token).form(&form).send().await.unwrap();
    assert_eq!(receipt.status(), 201);
    let html = receipt.text().await.unwrap();
    let start = html.find("id=\"consent-id\">").expect("the receipt shows the code") + "id=\"consent-id\">".len();
    let consent_id = html[start..start + 17].to_string();
    assert!(consent_id.starts_with("DY-"), "{consent_id}");
    let (code, answer, out) = ask(Some(consent_id.clone()));
    assert_eq!(code, 0, "{out}");
    assert_eq!(answer["answer"]["over_18"], true, "{answer}");
    let list = http.get(format!("{base}/account/consents")).bearer_auth(&token).send().await.unwrap();
    let html = list.text().await.unwrap();
    assert!(html.contains(&consent_id) && html.contains("Còn hiệu lực"), "{html}");
    let withdrawn = http
        .post(format!("{base}/account/consents/withdraw"))
        .bearer_auth(&token)
        .form(&[("id", consent_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!((withdrawn.status().as_u16(), withdrawn.url().path()), (200, "/account/consents"), "back to the list");
    let (code, _, out) = ask(Some(consent_id.clone()));
    assert!(code == 1 && out.contains("exchange.consent_refused") && out.contains("withdrew"), "{out}");
    let html =
        http.get(format!("{base}/account/consents")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Đã rút"), "{html}");
}
