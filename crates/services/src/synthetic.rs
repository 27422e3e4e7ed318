//! Past applications for demos and benchmarks: realistic mixes of procedures, channels, fees paid
//! online or not, decisions within or past the deadline, over the last twelve months, filed by
//! living residents of the registry. They are history only (no registry effect is replayed) and
//! carry `"synthetic": "1"` in their answers so nobody mistakes them for real filings.

use db::sqlx;
use db::Db;
use kernel::AppError;
use rand::{Rng, SeedableRng};

use crate::applications::model::{fee, status};
use crate::catalogue::store;

/// What was generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub applications: usize,
}

/// Whether any application is stored (the demo generates its history once).
pub async fn has_applications(db: &Db) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT 1 FROM svc_applications LIMIT 1").fetch_optional(db.read()).await?;
    Ok(row.is_some())
}

/// Inserts `n` applications of residents of `province`; `open_share` of them are still open
/// (the rest decided), submitted in the year before `now` (UTC milliseconds). Deterministic for a
/// seed and `now`.
pub async fn history(
    db: &Db,
    province: &str,
    n: usize,
    open_share: f64,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
    now: i64,
) -> Result<Generated, AppError> {
    let procedures = store::list(db, None).await?;
    let criteria = registry::sample::Criteria {
        living: true,
        province: Some(province),
        limit: Some(20_000),
        ..Default::default()
    };
    let people: Vec<(String, String, String)> = registry::sample::residents(db, &criteria)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.personal_id, r.full_name, r.current_commune?)))
        .collect();
    if people.is_empty() || procedures.is_empty() {
        return Ok(Generated { applications: 0 });
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    const DAY: i64 = 86_400_000;
    let mut done = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(2_000) {
        let mut tx = db.begin().await?;
        for _ in chunk {
            let (procedure, person) = (rng.gen_range(0..procedures.len()), rng.gen_range(0..people.len()));
            let (Some(p), Some((pid, name, commune))) = (procedures.get(procedure), people.get(person)) else {
                continue;
            };
            let submitted = now - rng.gen_range(0..365) * DAY - rng.gen_range(0..DAY);
            let due = submitted + (p.processing_days.max(1) + 2) * DAY;
            let channel = match rng.gen_range(0..100) {
                0..=54 => "online",
                55..=64 => "kiosk",
                _ => "counter",
            };
            let open = rng.gen_bool(open_share);
            let (state, decided) = if open {
                (if rng.gen_bool(0.5) { status::SUBMITTED } else { status::PROCESSING }, None)
            } else {
                let late = rng.gen_bool(0.08);
                let at = if late {
                    due + rng.gen_range(1..5) * DAY
                } else {
                    submitted + rng.gen_range(1..=p.processing_days.max(1)) * DAY / 2
                };
                (if rng.gen_bool(0.95) { status::APPROVED } else { status::REJECTED }, Some(at.min(now)))
            };
            let amount = if p.fee_field.is_some() { 800_000 } else { p.fee_vnd };
            let paid_online = amount > 0 && channel != "counter" && rng.gen_bool(0.7);
            let fee_status = match (amount > 0, paid_online || (!open && channel == "counter")) {
                (false, _) => fee::NONE,
                (true, true) => fee::PAID,
                (true, false) => fee::UNPAID,
            };
            let id = kernel::ids::new_id();
            let province_code = province.to_string();
            sqlx::query(
                "INSERT INTO svc_applications (id, receipt_code, procedure_code, procedure_version, applicant_account_id, \
                 applicant_person_id, applicant_name, applicant_name_folded, commune_code, province_code, agency_level, \
                 handler_role, channel, by_official, status, answers, prefill, fee_vnd, fee_status, paid_online, \
                 assigned_to, submitted_at, submitted_month, due_at, decided_at, decision_note, result_code, created_at, \
                 updated_at, version) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 '{\"synthetic\":\"1\"}', '[]', $15, $16, $17, NULL, $18, $19, $20, $21, NULL, NULL, $18, $18, 1)",
            )
            .bind(&id)
            .bind(format!("{commune}-SYN-{}", &id[id.len() - 10..].to_uppercase()))
            .bind(&p.code)
            .bind(p.version)
            .bind(pid)
            .bind(name)
            .bind(kernel::text::fold(name))
            .bind(commune)
            .bind(&province_code)
            .bind(&p.agency_level)
            .bind(&p.handler_role)
            .bind(channel)
            .bind(i64::from(rng.gen_bool(0.05)))
            .bind(state)
            .bind(amount)
            .bind(fee_status)
            .bind(i64::from(paid_online))
            .bind(submitted)
            .bind(kernel::clock::ms_to_vn(submitted).format("%Y-%m").to_string())
            .bind(due)
            .bind(decided)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += chunk.len();
        progress(done);
    }
    Ok(Generated { applications: done })
}
