//! Incremental maintenance against full recompute on a generated province, on SQLite and (with
//! `DANCU_TEST_DATABASE_URL`) PostgreSQL: after corrections, deaths and moves — including several
//! changes to one person, split across batches — the counts kept from the change feed equal a
//! rebuild's, cell for cell.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::disallowed_methods)]

use analytics::facts::dim;
use analytics::lodging::{LodgingEvent, LodgingFact, Stay};
use analytics::store::all_counts;
use analytics::ConsumeOptions;
use chrono::{Duration, NaiveDate};
use db::sqlx::{self, Row};
use db::Db;
use kernel::PersonalId;
use registry::generate::{GenerateOptions, Generator};
use registry::moves::Move;
use serde_json::{json, Map, Value};
use web::Jurisdiction;

fn migrations() -> db::MigrationSet {
    db::MigrationSet::new().with(registry::MIGRATIONS).with(analytics::MIGRATIONS)
}

const PROVINCE: &str = "08";

fn province() -> Jurisdiction {
    Jurisdiction::Province(PROVINCE.into())
}

fn today() -> NaiveDate {
    kernel::clock::today_vn()
}

fn now() -> i64 {
    kernel::clock::now_ms()
}

/// A generated province with the default rate of data-quality defects.
async fn generated(db: &Db, people: usize) {
    registry::admin_units::ensure_loaded(db).await.unwrap();
    let mut g = Generator::new(GenerateOptions::new(PROVINCE, people, 11, today())).unwrap();
    while let Some((batch, _)) = g.next_batch(1_000) {
        registry::load::write_batch(db, &batch, now()).await.unwrap();
    }
}

/// Living residents of the province, in id order.
async fn living(db: &Db) -> Vec<String> {
    sqlx::query(
        "SELECT p.personal_id FROM persons p JOIN admin_communes c ON c.code = p.current_commune \
         WHERE p.status = 'living' AND c.province_code = $1 ORDER BY p.personal_id",
    )
    .bind(PROVINCE)
    .fetch_all(db.read())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

async fn version(db: &Db, id: &str) -> i64 {
    sqlx::query("SELECT version FROM persons WHERE personal_id = $1")
        .bind(id)
        .fetch_one(db.read())
        .await
        .unwrap()
        .get(0)
}

async fn correct(db: &Db, id: &str, field: &str, value: Value) {
    let mut changes = Map::new();
    changes.insert(field.into(), value);
    let v = version(db, id).await;
    let pid = PersonalId::parse(id).unwrap();
    // A correction equal to the stored value is refused; that is fine for this test.
    let _ =
        registry::write::update_person(db, "test", &province(), &pid, &changes, "correction for the test", v, now())
            .await;
}

async fn die(db: &Db, id: &str, days_ago: i64) -> bool {
    let pid = PersonalId::parse(id).unwrap();
    registry::write::record_death(
        db,
        "test",
        &province(),
        &pid,
        today() - Duration::days(days_ago),
        "civil death record",
        now(),
    )
    .await
    .is_ok()
}

async fn relocate(db: &Db, id: &str, commune: &str, days_ago: i64) -> bool {
    let pid = PersonalId::parse(id).unwrap();
    let to =
        Move { commune_code: commune.into(), address: "Thôn Mới".into(), date: today() - Duration::days(days_ago) };
    registry::moves::record_move(db, "test", &province(), &pid, &to, "registered a new residence", now()).await.is_ok()
}

fn communes() -> Vec<String> {
    registry::admin_units::AdminUnits::get().communes_of(PROVINCE).iter().map(|c| c.code.clone()).collect()
}

/// Corrections, deaths and moves, with several changes to some persons.
async fn changes(db: &Db, people: &[String], round: usize) -> usize {
    let communes = communes();
    let mut applied = 0;
    for (i, id) in people.iter().enumerate().skip(round * 7).step_by(37).take(40) {
        match i % 6 {
            0 => correct(db, id, "ethnicity", json!(if i % 2 == 0 { "02" } else { "01" })).await,
            1 => correct(db, id, "religion", json!("03")).await,
            2 => correct(db, id, "birth_date", json!("1985-07-14")).await,
            3 => {
                if relocate(db, id, &communes[i % communes.len()], 40).await {
                    // Moves again, then dies: three events for one person.
                    relocate(db, id, &communes[(i * 7) % communes.len()], 20).await;
                    die(db, id, 3).await;
                }
            }
            4 => {
                die(db, id, 10).await;
                // A correction after death changes births (month kept) but not the living counts.
                correct(db, id, "birth_date", json!("1950-02")).await;
            }
            _ => {
                // A move out of the province.
                let away = registry::admin_units::AdminUnits::get().communes_of("01")[0].code.clone();
                relocate(db, id, &away, 15).await;
            }
        }
        applied += 1;
    }
    applied
}

async fn incremental_equals_rebuild(db: Db) {
    generated(&db, 3_000).await;
    analytics::rebuild(&db, |_| {}, now()).await.unwrap();
    let initial = all_counts(&db).await.unwrap();
    assert!(initial.iter().any(|r| r.0 == dim::POPULATION), "rebuild wrote population counts");
    assert!(initial.iter().any(|r| r.0 == dim::MOVE_IN), "generated data holds moves");
    assert!(initial.iter().any(|r| r.0 == dim::TEMP_RESIDENTS), "generated data holds temporary residents");

    let people = living(&db).await;
    let opts = ConsumeOptions { batch: 7, settle_ms: 0 };
    assert!(changes(&db, &people, 0).await > 0);
    // Consume part of the feed, change more, then catch up.
    assert_eq!(analytics::consume_batch(&db, opts, now()).await.unwrap(), 7);
    changes(&db, &people, 1).await;
    let applied = analytics::catch_up(&db, opts, now()).await.unwrap();
    assert!(applied > 20, "applied {applied} events");
    assert_eq!(analytics::catch_up(&db, opts, now()).await.unwrap(), 0, "caught up");

    let incremental = all_counts(&db).await.unwrap();
    assert_ne!(incremental, initial, "the changes moved the figures");
    analytics::rebuild(&db, |_| {}, now()).await.unwrap();
    let rebuilt = all_counts(&db).await.unwrap();
    let diff: Vec<_> = incremental
        .iter()
        .filter(|r| !rebuilt.contains(r))
        .chain(rebuilt.iter().filter(|r| !incremental.contains(r)))
        .collect();
    assert!(diff.is_empty(), "incremental and rebuild differ: {diff:?}");
    assert_eq!(incremental, rebuilt);
}

async fn settle_window_holds_back_young_events(db: Db) {
    generated(&db, 300).await;
    analytics::rebuild(&db, |_| {}, now()).await.unwrap();
    let people = living(&db).await;
    assert!(die(&db, &people[0], 1).await);
    let held = ConsumeOptions { batch: 100, settle_ms: 60_000 };
    assert_eq!(analytics::catch_up(&db, held, now()).await.unwrap(), 0, "a one-second-old event waits for the window");
    let at_once = ConsumeOptions { batch: 100, settle_ms: 0 };
    assert_eq!(analytics::catch_up(&db, at_once, now()).await.unwrap(), 1);
}

async fn moves_with_bad_input_change_nothing(db: Db) {
    generated(&db, 200).await;
    let id = living(&db).await.remove(0);
    let pid = PersonalId::parse(&id).unwrap();
    let before: i64 = sqlx::query("SELECT COUNT(*) FROM residences").fetch_one(db.read()).await.unwrap().get(0);
    let v = version(&db, &id).await;
    let first = communes()[0].clone();
    let cases = [
        ("99999", 5, "a valid reason", "unknown_commune"),
        (first.as_str(), -3, "a valid reason", "invalid_date"),
        (first.as_str(), 5, "no", "invalid_input"),
    ];
    for (commune, days_ago, reason, code) in cases {
        let to =
            Move { commune_code: commune.into(), address: "Thôn 1".into(), date: today() - Duration::days(days_ago) };
        let e = registry::moves::record_move(&db, "t", &province(), &pid, &to, reason, now()).await.unwrap_err();
        assert_eq!(e.code.as_str(), code);
    }
    let elsewhere = Jurisdiction::Commune("99998".into());
    let to = Move { commune_code: communes()[0].clone(), address: "Thôn 1".into(), date: today() };
    let e = registry::moves::record_move(&db, "t", &elsewhere, &pid, &to, "outside the jurisdiction", now())
        .await
        .unwrap_err();
    assert_eq!(e.code.as_str(), "not_found");
    let after: i64 = sqlx::query("SELECT COUNT(*) FROM residences").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(before, after);
    assert_eq!(version(&db, &id).await, v);
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM person_events").fetch_one(db.read()).await.unwrap().get(0);
    assert_eq!(events, 0);
}

fn stay(commune: &str, nationality: &str) -> Stay {
    Stay {
        commune_code: commune.into(),
        facility_type: "hotel".into(),
        nationality: nationality.into(),
        origin_province: (nationality == "VNM").then(|| "01".to_string()),
    }
}

async fn lodging_ingest_is_idempotent_and_validated(db: Db) {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    assert!(!analytics::lodging::has_data(&db).await.unwrap());
    let c = communes()[0].clone();
    let day = today() - Duration::days(2);
    let check_in = |id: &str, nationality: &str| LodgingFact {
        id: id.into(),
        event: LodgingEvent::CheckIn { day, stay: stay(&c, nationality) },
    };
    let facts = vec![
        check_in("a1", "VNM"),
        check_in("a2", "KOR"),
        // The same id twice in one batch counts once.
        check_in("a2", "KOR"),
        LodgingFact {
            id: "a3".into(),
            event: LodgingEvent::CheckOut { arrival_day: day, stay: stay(&c, "KOR"), nights: 3 },
        },
        LodgingFact { id: "a4".into(), event: LodgingEvent::WatchlistAlert { day, commune_code: c.clone() } },
    ];
    assert_eq!(analytics::lodging::ingest(&db, &facts, now()).await.unwrap(), 4);
    assert_eq!(analytics::lodging::ingest(&db, &facts, now()).await.unwrap(), 0, "a retried delivery counts once");
    assert!(analytics::lodging::has_data(&db).await.unwrap());
    let month = day.format("%Y-%m").to_string();
    let rows = analytics::lodging::stays(&db, std::slice::from_ref(&c), &month, &month).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.guests).sum::<i64>(), 2);
    assert_eq!(rows.iter().filter(|r| r.nationality == "VNM").map(|r| r.guests).sum::<i64>(), 1);
    assert_eq!(rows.iter().map(|r| r.nights).sum::<i64>(), 3);
    let first = today() - Duration::days(40);
    let nights = analytics::lodging::nights(
        &db,
        std::slice::from_ref(&c),
        &first.format("%Y-%m").to_string(),
        &today().format("%Y-%m").to_string(),
    )
    .await
    .unwrap();
    assert_eq!(nights.iter().map(|n| n.3).sum::<i64>(), 3, "three guest-nights, by the month of each night");
    assert_eq!(
        analytics::lodging::flags(&db, "watchlist_alert", std::slice::from_ref(&c), &month, &month).await.unwrap()[0].2,
        1
    );

    // Ids older than an hour are forgotten at the next ingest; newer ones stay.
    let ids = |db: &Db| {
        let db = db.clone();
        async move {
            sqlx::query("SELECT COUNT(*) FROM analytics_ingested WHERE source = 'lodging'")
                .fetch_one(db.read())
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    assert_eq!(ids(&db).await, 4);
    sqlx::query("UPDATE analytics_ingested SET ingested_at = ingested_at - 3700000 WHERE event_id IN ('a1', 'a2')")
        .execute(db.write())
        .await
        .unwrap();
    assert_eq!(analytics::lodging::ingest(&db, &[check_in("a5", "JPN")], now()).await.unwrap(), 1);
    assert_eq!(ids(&db).await, 3, "a1 and a2 purged, a3, a4 and a5 kept");

    // One bad event rejects the whole batch: an unknown commune, an alpha-2 nationality.
    for bad in [stay("99999", "VNM"), stay(&c, "KR")] {
        let facts = vec![
            check_in("b1", "VNM"),
            LodgingFact { id: "b2".into(), event: LodgingEvent::CheckIn { day, stay: bad } },
        ];
        let e = analytics::lodging::ingest(&db, &facts, now()).await.unwrap_err();
        assert!(["unknown_commune", "invalid_input"].contains(&e.code.as_str()), "{e:?}");
    }
    let rows = analytics::lodging::stays(&db, &[c], &month, &month).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.guests).sum::<i64>(), 3, "nothing of the rejected batches was counted");
    assert_eq!(ids(&db).await, 3);
}

/// Counts recounted from other modules (e-ID accounts, beds) are not registry dimensions: a
/// registry rebuild keeps them, and a recount replaces only its own rows.
async fn recounted_dimensions_survive_a_rebuild(db: Db) {
    generated(&db, 300).await;
    let c = communes()[0].clone();
    let eid = |level: i64, accounts: i64| analytics::eid::EidCount { commune_code: c.clone(), level, accounts };
    analytics::eid::replace(&db, &[eid(1, 7), eid(2, 3)], now()).await.unwrap();
    let beds =
        |beds: i64| analytics::lodging::BedCapacity { commune_code: c.clone(), facility_type: "hotel".into(), beds };
    analytics::lodging::replace_capacity(&db, "2026-01", &[beds(40)], now()).await.unwrap();
    analytics::lodging::replace_capacity(&db, "2026-02", &[beds(60)], now()).await.unwrap();
    analytics::rebuild(&db, &|_| {}, now()).await.unwrap();
    let kept = |db: &Db| {
        let db = db.clone();
        async move {
            all_counts(&db)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.0 == dim::EID || r.0 == dim::LODGING_BEDS)
                .map(|r| (r.0, r.2, r.4))
                .collect::<Vec<_>>()
        }
    };
    let expected = vec![
        ("eid".to_string(), "1".to_string(), 7),
        ("eid".into(), "2".into(), 3),
        ("lodging_beds".into(), "2026-01".into(), 40),
        ("lodging_beds".into(), "2026-02".into(), 60),
    ];
    assert_eq!(kept(&db).await, expected);
    // A recount replaces its own rows only; a bad one changes nothing.
    analytics::eid::replace(&db, &[eid(2, 4)], now()).await.unwrap();
    analytics::lodging::replace_capacity(&db, "2026-02", &[beds(80)], now()).await.unwrap();
    let e = analytics::eid::replace(&db, &[eid(3, 1)], now()).await.unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_input");
    let bad = analytics::eid::EidCount { commune_code: "99999".into(), level: 1, accounts: 1 };
    assert_eq!(analytics::eid::replace(&db, &[bad], now()).await.unwrap_err().code.as_str(), "unknown_commune");
    let expected = vec![
        ("eid".to_string(), "2".to_string(), 4),
        ("lodging_beds".into(), "2026-01".into(), 40),
        ("lodging_beds".into(), "2026-02".into(), 80),
    ];
    assert_eq!(kept(&db).await, expected);
}

#[test]
fn registry_facts_use_registry_dimensions_only() {
    // Every dimension a person or household contributes to is one the rebuild replaces.
    let p = registry::feed::PersonState {
        personal_id: "008090000001".into(),
        gender: Some("F".into()),
        birth_date: Some("1990-05-02".into()),
        ethnicity: Some("01".into()),
        religion: Some("00".into()),
        status: "deceased".into(),
        death_date: Some("2025-01-02".into()),
        current_commune: Some("A".into()),
        household_id: None,
        household_commune: None,
        residences: Vec::new(),
    };
    let mut counts = analytics::facts::Counts::new();
    analytics::facts::person_facts(&p, &mut counts, 1);
    let living = registry::feed::PersonState { status: "living".into(), death_date: None, ..p };
    analytics::facts::person_facts(&living, &mut counts, 1);
    analytics::facts::household_fact(&mut counts, "A", 2, 1);
    assert!(!counts.is_empty());
    assert!(counts.keys().all(|k| dim::REGISTRY.contains(&k.dimension)), "{counts:?}");
    assert!(!dim::REGISTRY.contains(&dim::EID) && !dim::REGISTRY.contains(&dim::LODGING_BEDS));
}

db::dual_tests!(crate::migrations();
    incremental_equals_rebuild,
    settle_window_holds_back_young_events,
    moves_with_bad_input_change_nothing,
    lodging_ingest_is_idempotent_and_validated,
    recounted_dimensions_survive_a_rebuild,
);
