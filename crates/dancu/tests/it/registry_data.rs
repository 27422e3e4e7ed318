//! Registry data paths on both backends: quality rules against the generator's ground truth,
//! CSV export/import round trip, and the schemas of the two backends.

use crate::common;

use std::collections::{HashMap, HashSet};

use db::sqlx::{self, Row};
use db::Db;
use registry::generate::GenerateOptions;

/// Which rule must report each kind of injected defect.
fn rule_for(defect: &str) -> Option<&'static str> {
    Some(match defect {
        "missing_hometown" => "missing_hometown",
        "missing_ethnicity" => "missing_ethnicity",
        "missing_birth_place" => "missing_birth_place",
        "missing_gender" => "missing_gender",
        "duplicate_person" => "probable_duplicate",
        "deceased_still_living" => "death_not_applied",
        "expired_card_still_valid" => "card_expired_still_valid",
        "name_typo" => "name_malformed",
        // A swapped day and month is a valid date: only a second source can reveal it.
        _ => return None,
    })
}

async fn quality_rules_find_injected_defects(db: Db) {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let truth_path = dir.path().join("truth.jsonl");
    let mut opts = GenerateOptions::new("08", 4_000, 11, kernel::clock::today_vn());
    opts.defects.duplicate_person = 0.02;
    opts.defects.name_typo = 0.02;
    // About 1.7 % of residents hold only expired cards; at the default 2 % of them a province of
    // 4,000 gets one or two such defects and, on some dates, none.
    opts.defects.expired_card_still_valid = 0.2;
    dancu::generate_cmd::generate_into(&db, opts, Some(&truth_path), false).await.unwrap();
    let run = registry::quality::run(&db, kernel::clock::now_ms()).await.unwrap();
    assert_eq!(run.persons_checked, 4_000);
    let found: HashSet<(String, String)> = sqlx::query("SELECT rule, personal_id FROM quality_findings")
        .fetch_all(db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut per_kind: HashMap<String, (usize, usize)> = HashMap::new();
    for line in std::fs::read_to_string(&truth_path).unwrap().lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        let kind = d["kind"].as_str().unwrap().to_string();
        let Some(rule) = rule_for(&kind) else { continue };
        let hit = found.contains(&(rule.to_string(), d["personal_id"].as_str().unwrap().to_string()));
        let e = per_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += usize::from(hit);
    }
    for kind in
        ["missing_hometown", "duplicate_person", "deceased_still_living", "expired_card_still_valid", "name_typo"]
    {
        let (n, hit) = per_kind.get(kind).copied().unwrap_or_default();
        assert!(n > 0, "generator injected no {kind}");
        // Every structural defect is found; typos that happen to spell another valid syllable
        // ("Lan" → "Lna" is caught, "Hoa" → "Hao" is not) may escape.
        let needed = if kind == "name_typo" { n * 7 / 10 } else { n };
        assert!(hit >= needed, "{kind}: found {hit} of {n}");
    }
    // Per-commune counts add up to the per-rule counts of the whole province.
    let report =
        registry::quality::report(&db, &web::Jurisdiction::Province("08".into()), None).await.unwrap().unwrap();
    let total: i64 = report.rules.iter().map(|r| r.count).sum();
    assert_eq!(total as usize, found.len());
    let first = &report.by_commune[0];
    let one = registry::quality::report(&db, &web::Jurisdiction::Province("08".into()), Some(&first.commune_code))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.rules.iter().map(|r| r.count).sum::<i64>(), first.findings);
    // A commune officer sees only their commune.
    let other = report.by_commune.iter().find(|c| c.commune_code != first.commune_code).unwrap();
    let err = registry::quality::report(
        &db,
        &web::Jurisdiction::Commune(first.commune_code.clone()),
        Some(&other.commune_code),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, kernel::ErrorCode::OutOfJurisdiction);
}

async fn clean_data_passes_the_rules(db: Db) {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    let mut opts = GenerateOptions::new("08", 3_000, 3, kernel::clock::today_vn());
    opts.defects = registry::generate::DefectRates::none();
    dancu::generate_cmd::generate_into(&db, opts, None, false).await.unwrap();
    registry::quality::run(&db, kernel::clock::now_ms()).await.unwrap();
    let rows =
        sqlx::query("SELECT rule, COUNT(*) FROM quality_findings GROUP BY rule").fetch_all(db.read()).await.unwrap();
    let counts: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for rule in [
        "id_birth_place_code",
        "id_gender_digit",
        "id_century_digit",
        "id_birth_year",
        "missing_hometown",
        "missing_ethnicity",
        "missing_gender",
        "death_not_applied",
        "card_expired_still_valid",
        "deceased_with_valid_card",
        "name_malformed",
    ] {
        assert_eq!(counts.get(rule).copied().unwrap_or(0), 0, "{rule} on clean data: {counts:?}");
    }
}

async fn export_import_round_trip(db: Db) {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    let opts = GenerateOptions::new("08", 1_200, 5, kernel::clock::today_vn());
    dancu::generate_cmd::generate_into(&db, opts, None, false).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a");
    // The progress total is what the export writes: ticks rise to it and end on it.
    let total = registry::io::export_size(&db).await.unwrap();
    let ticks = std::sync::Mutex::new(Vec::new());
    let n = registry::io::export(&db, &first, &|t| ticks.lock().unwrap().push(t)).await.unwrap();
    assert!(n > 1_200);
    let ticks = ticks.into_inner().unwrap();
    assert_eq!(n, total, "the bar's total is not the rows written");
    assert_eq!(ticks.last(), Some(&total));
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]) && ticks.iter().all(|&t| t <= total), "{ticks:?} / {total}");
    // Into an empty database of the same backend.
    let fresh = match db.backend() {
        db::Backend::Sqlite => db::testing::TestDb::sqlite(&common::migrations()).await,
        db::Backend::Postgres => db::testing::TestDb::postgres(&common::migrations()).await,
    };
    registry::admin_units::ensure_loaded(fresh.db()).await.unwrap();
    let imported = registry::io::import(fresh.db(), &first, kernel::clock::now_ms()).await.unwrap();
    assert_eq!(imported as u64, n);
    let second = dir.path().join("b");
    registry::io::export(fresh.db(), &second, &|_| {}).await.unwrap();
    for f in registry::io::FILES {
        let a = std::fs::read(first.join(f)).unwrap();
        let b = std::fs::read(second.join(f)).unwrap();
        assert!(a == b, "{f} differs after the round trip");
    }
    // Importing again conflicts and changes nothing.
    let before = registry::meta::person_count(fresh.db()).await.unwrap();
    let err = registry::io::import(fresh.db(), &first, kernel::clock::now_ms()).await.unwrap_err();
    assert_eq!(err.code, kernel::ErrorCode::Conflict);
    assert_eq!(registry::meta::person_count(fresh.db()).await.unwrap(), before);
    // A bad row is named by file and line, and nothing is loaded.
    let bad = dir.path().join("c");
    std::fs::create_dir_all(&bad).unwrap();
    for f in registry::io::FILES {
        std::fs::copy(first.join(f), bad.join(f)).unwrap();
    }
    let persons = std::fs::read_to_string(bad.join("persons.csv")).unwrap();
    let mut lines: Vec<String> = persons.lines().map(str::to_owned).collect();
    lines[3] = lines[3].replacen(&lines[3][..12].to_string(), "12345", 1);
    std::fs::write(bad.join("persons.csv"), lines.join("\n")).unwrap();
    let empty = db::testing::TestDb::sqlite(&common::migrations()).await;
    registry::admin_units::ensure_loaded(empty.db()).await.unwrap();
    let err = registry::io::import(empty.db(), &bad, kernel::clock::now_ms()).await.unwrap_err();
    assert_eq!(err.code, kernel::ErrorCode::InvalidPersonalId);
    assert!(err.detail.contains("persons.csv line 4"), "{}", err.detail);
    assert_eq!(registry::meta::person_count(empty.db()).await.unwrap(), 0);

    // A duplicate id names both lines; a dangling head of household is named with its field; line
    // numbers count the lines of a multi-line address. Nothing is loaded in any case.
    let (persons, _) = rows(&first, "persons.csv");
    let (households, household_header) = rows(&first, "households.csv");
    let case = |name: &str, file: &str, header: &csv::StringRecord, body: Vec<csv::StringRecord>| {
        let dir = dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for f in registry::io::FILES {
            std::fs::copy(first.join(f), dir.join(f)).unwrap();
        }
        let mut w = csv::Writer::from_path(dir.join(file)).unwrap();
        w.write_record(header).unwrap();
        for r in &body {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        dir
    };
    let (_, person_header) = rows(&first, "persons.csv");
    let mut doubled = persons.clone();
    doubled.push(persons[0].clone());
    let dup = case("dup", "persons.csv", &person_header, doubled);
    let err = registry::io::import(empty.db(), &dup, kernel::clock::now_ms()).await.unwrap_err();
    let last = persons.len() + 2;
    assert!(
        err.detail
            .contains(&format!("persons.csv line {last}: duplicate personal_id {} (first on line 2)", &persons[0][0])),
        "{}",
        err.detail
    );
    let mut headless = households.clone();
    headless[0] = record(&[&households[0][0], "001099999999", &households[0][2], &households[0][3]]);
    let dangling = case("dangling", "households.csv", &household_header, headless);
    let err = registry::io::import(empty.db(), &dangling, kernel::clock::now_ms()).await.unwrap_err();
    assert_eq!(err.detail, "households.csv line 2: head_id 001099999999 refers to no record");
    let mut multiline = households.clone();
    multiline[0] = record(&[&households[0][0], &households[0][1], &households[0][2], "Số 12 Lê Lợi\nTổ 3"]);
    multiline[1] = record(&[&households[1][0], &households[1][1], "99999", &households[1][3]]);
    let wrapped = case("wrapped", "households.csv", &household_header, multiline);
    let err = registry::io::import(empty.db(), &wrapped, kernel::clock::now_ms()).await.unwrap_err();
    assert_eq!(err.code, kernel::ErrorCode::UnknownCommune);
    assert!(err.detail.starts_with("households.csv line 4:"), "{}", err.detail);
    assert_eq!(registry::meta::person_count(empty.db()).await.unwrap(), 0);
}

/// The rows and the header of an export file.
fn rows(dir: &std::path::Path, file: &str) -> (Vec<csv::StringRecord>, csv::StringRecord) {
    let mut r = csv::Reader::from_path(dir.join(file)).unwrap();
    let header = r.headers().unwrap().clone();
    (r.records().map(Result::unwrap).collect(), header)
}

fn record(fields: &[&str]) -> csv::StringRecord {
    csv::StringRecord::from(fields.to_vec())
}

db::dual_tests!(crate::common::migrations(); quality_rules_find_injected_defects, clean_data_passes_the_rules, export_import_round_trip);

/// Both backends end up with the same tables and columns after all migrations (on SQLite, in the
/// main file and the attached `logs` file together).
#[tokio::test]
#[cfg_attr(not(dancu_pg), ignore = "needs PostgreSQL: set DANCU_TEST_DATABASE_URL")]
async fn schemas_match_across_backends() {
    let sqlite = db::testing::TestDb::sqlite(&common::migrations()).await;
    let pg = db::testing::TestDb::postgres(&common::migrations()).await;
    let lite: HashSet<(String, String)> = sqlx::query(
        "SELECT m.name, p.name FROM main.sqlite_master m JOIN pragma_table_info(m.name, 'main') p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         UNION ALL SELECT m.name, p.name FROM logs.sqlite_master m JOIN pragma_table_info(m.name, 'logs') p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(sqlite.db().read())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let postgres: HashSet<(String, String)> = sqlx::query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pg.db().read())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert!(lite.len() > 50, "{lite:?}");
    assert_eq!(
        lite,
        postgres,
        "sqlite-only: {:?}, postgres-only: {:?}",
        lite.difference(&postgres),
        postgres.difference(&lite)
    );
}
