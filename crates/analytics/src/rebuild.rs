//! Full recompute: grouped counts over the whole registry, read in one consistent snapshot, then
//! written in one short transaction together with the feed position the snapshot corresponds to.
//! Events after that position are applied by the consumer as usual.

use std::time::Instant;

use db::sqlx::{self, Acquire};
use db::{Backend, Db};
use kernel::AppError;

use crate::facts::{self, Counts};
use crate::store;

/// Steps reported to the progress callback, in order.
pub const STEPS: [&str; 6] = [
    "residents by profile",
    "births and deaths",
    "households by size",
    "residence moves",
    "temporary residence",
    "writing",
];

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildStats {
    /// Rows written to `analytics_counts`.
    pub rows: usize,
    /// Feed position the figures correspond to.
    pub position: String,
    pub seconds: f64,
}

/// Recomputes every registry-derived count. `progress(step)` is called before each of [`STEPS`].
pub async fn rebuild(db: &Db, progress: &(dyn Fn(usize) + Sync)) -> Result<RebuildStats, AppError> {
    let start = Instant::now();
    let mut conn = db.read().acquire().await.map_err(db::internal)?;
    let mut tx = conn.begin().await.map_err(db::internal)?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db::internal)?;
    }
    // The position comes from the same snapshot as the counts.
    let position = registry::feed::last_event_id(&mut tx).await?;
    let mut counts = Counts::new();
    progress(0);
    facts::from_profiles(&mut counts, &registry::feed::living_by_profile(&mut tx).await?);
    progress(1);
    facts::from_life_events(&mut counts, &registry::feed::births_and_deaths(&mut tx).await?);
    progress(2);
    facts::from_household_sizes(&mut counts, &registry::feed::household_sizes(&mut tx).await?);
    progress(3);
    facts::from_moves(&mut counts, &registry::feed::moves(&mut tx).await?);
    progress(4);
    facts::from_temporary(&mut counts, &registry::feed::open_temporary(&mut tx).await?);
    tx.rollback().await.map_err(db::internal)?;
    drop(conn);
    progress(5);
    let mut w = db.begin().await.map_err(db::internal)?;
    store::replace_all(&mut w, &counts, &position).await?;
    w.commit().await.map_err(db::internal)?;
    let rows = counts.values().filter(|n| **n != 0).count();
    Ok(RebuildStats { rows, position, seconds: start.elapsed().as_secs_f64() })
}
