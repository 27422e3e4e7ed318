//! Full recompute: counts over the whole registry, read in one consistent snapshot together with
//! the feed position the snapshot corresponds to, then written in one short transaction. Events
//! after that position are applied by the consumer as usual.

use std::time::Instant;

use db::Db;
use kernel::AppError;

use crate::facts::{self, Counts};
use crate::store;

/// Steps reported to the progress callback, in order.
pub const STEPS: [&str; 2] = ["reading the registry", "writing the figures"];

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildStats {
    /// Rows written to `analytics_counts`.
    pub rows: usize,
    /// Feed position the figures correspond to.
    pub position: String,
    pub seconds: f64,
    /// The registry scans and their times, then the write.
    pub steps: Vec<(&'static str, f64)>,
}

/// Recomputes every registry-derived count. `progress(step)` is called before each of [`STEPS`].
/// `now` (UTC milliseconds) is recorded as the time of the recount.
pub async fn rebuild(db: &Db, progress: impl Fn(usize), now: i64) -> Result<RebuildStats, AppError> {
    let start = Instant::now();
    progress(0);
    let t = registry::feed::tallies(db).await?;
    let mut counts = Counts::new();
    facts::from_profiles(&mut counts, &t.profiles);
    facts::from_life_events(&mut counts, &t.life_events);
    facts::from_household_sizes(&mut counts, &t.household_sizes);
    facts::from_moves(&mut counts, &t.moves);
    facts::from_temporary(&mut counts, &t.temporary);
    progress(1);
    let writing = Instant::now();
    let mut w = db.begin().await?;
    store::replace_all(&mut w, &counts, &t.position, now).await?;
    w.commit().await?;
    let mut steps = t.scan_seconds;
    steps.push((STEPS[1], writing.elapsed().as_secs_f64()));
    let rows = counts.values().filter(|n| **n != 0).count();
    Ok(RebuildStats { rows, position: t.position, seconds: start.elapsed().as_secs_f64(), steps })
}
