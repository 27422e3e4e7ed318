//! Keeps the IOC dashboards current from the modules `analytics` may not depend on: lodging's
//! events and bed capacity ([`lodging::figures`]) and citizens' e-ID accounts
//! ([`identity::stats`]). This is the edge that reads the clock and runs the loop; the pipeline is
//! lodging's.

use std::time::{Duration, Instant};

/// Reads the lodging events written since the last poll, up to now.
pub async fn catch_up(db: &db::Db) -> anyhow::Result<usize> {
    Ok(lodging::figures::catch_up(db, kernel::clock::now_ms()).await?)
}

/// Recomputes the lodging figures from scratch, then recounts e-ID accounts and bed capacity.
/// Returns how many lodging events were counted.
pub async fn rebuild(db: &db::Db) -> anyhow::Result<usize> {
    let n = lodging::figures::rebuild(db, kernel::clock::now_ms()).await?;
    recount(db).await?;
    Ok(n)
}

/// Recounts citizens' e-ID accounts by level and commune, and the bed capacity of approved
/// accommodation for the current month, and stores both for the dashboards.
pub async fn recount(db: &db::Db) -> anyhow::Result<()> {
    let units = registry::admin_units::AdminUnits::get();
    let eid: Vec<analytics::eid::EidCount> = identity::stats::eid_accounts_by_commune(db)
        .await?
        .into_iter()
        .filter(|t| units.counts_commune(&t.commune_code, "e-ID accounts"))
        .map(|t| analytics::eid::EidCount { commune_code: t.commune_code, level: t.level, accounts: t.accounts })
        .collect();
    analytics::eid::replace(db, &eid, kernel::clock::now_ms()).await?;
    lodging::figures::recount_capacity(db, kernel::clock::now_ms()).await?;
    Ok(())
}

/// Keeps the figures current in the background: lodging events every `every`, recounts every
/// `recount_every` (the first ones at once).
pub fn spawn(db: db::Db, every: Duration, recount_every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut recounted: Option<Instant> = None;
        loop {
            tick.tick().await;
            if let Err(e) = catch_up(&db).await {
                tracing::warn!(error = %e, "lodging figures update failed; retrying");
            }
            if recounted.is_none_or(|t| t.elapsed() >= recount_every) {
                match recount(&db).await {
                    Ok(()) => recounted = Some(Instant::now()),
                    Err(e) => tracing::warn!(error = %e, "e-ID and bed recount failed; retrying"),
                }
            }
        }
    })
}
