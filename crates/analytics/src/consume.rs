//! Incremental maintenance from the registry's change feed.
//!
//! A batch is the next events after the stored checkpoint. For every person the batch touches (and,
//! where a birth or a change of status can change a household's size, the status of every member
//! of that household) the consumer reads the current state and undoes, newest
//! first, the events after the batch (giving the state right after it) and then the batch's own
//! events (the state the counts reflect now). The difference of the facts of the two states is
//! added to the counts, and the checkpoint moves, in one transaction.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use db::sqlx;
use db::{Backend, Db};
use kernel::AppError;
use registry::feed::{ChangeEvent, PersonState};
use serde_json::Value;

use crate::facts::{self, Counts};
use crate::store;

/// How the consumer reads the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumeOptions {
    /// Events per transaction.
    pub batch: i64,
    /// Events younger than this are left for the next round: on PostgreSQL a transaction that
    /// took its event id earlier may commit later, and waiting lets it land first.
    pub settle_ms: i64,
}

impl Default for ConsumeOptions {
    fn default() -> Self {
        ConsumeOptions { batch: 5_000, settle_ms: 5_000 }
    }
}

/// Applies the next batch; returns how many events it applied (0 when caught up or when no
/// rebuild has set a starting point yet). Events younger than `opts.settle_ms` at `now` (UTC
/// milliseconds) wait for a later batch.
pub async fn consume_batch(db: &Db, opts: ConsumeOptions, now: i64) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
    }
    let Some(cp) = store::checkpoint(&mut tx, store::REGISTRY).await? else {
        return Ok(0);
    };
    let until = now - opts.settle_ms;
    let batch = registry::feed::events_after(&mut tx, &cp.position, until, opts.batch).await?;
    let Some(last) = batch.last().map(|e| e.id.clone()) else {
        return Ok(0);
    };
    let touched: BTreeSet<String> = batch.iter().map(|e| e.personal_id.clone()).collect();
    let touched: Vec<String> = touched.into_iter().collect();
    let mut persons = registry::feed::snapshots(&mut tx, &touched).await?;
    // A household's size changes only when a member is born or changes status; for other events
    // (corrections, moves) the members' counts before and after are equal and need no reading.
    let resized: BTreeSet<&str> =
        batch.iter().filter(|e| changes_household_size(e)).map(|e| e.personal_id.as_str()).collect();
    let households: BTreeSet<String> = persons
        .iter()
        .filter(|p| resized.contains(p.personal_id.as_str()))
        .filter_map(|p| p.household_id.clone())
        .collect();
    let households: Vec<String> = households.into_iter().collect();
    // Other members count only towards their household's size: their status is all that is read.
    let members = registry::feed::household_members(&mut tx, &households).await?;
    persons.extend(members.into_iter().filter(|m| touched.binary_search(&m.personal_id).is_err()));
    let ids: Vec<String> = persons.iter().map(|p| p.personal_id.clone()).collect();
    let later = registry::feed::events_of_after(&mut tx, &ids, &cp.position).await?;
    let deltas = deltas(&persons, &later, &last, &touched);
    store::apply_deltas(&mut tx, &deltas).await?;
    store::advance(&mut tx, store::REGISTRY, &cp.position, &last, now).await?;
    tx.commit().await?;
    Ok(batch.len())
}

/// Whether an event can change the number of living members of the person's household.
fn changes_household_size(e: &ChangeEvent) -> bool {
    e.kind == registry::feed::BORN || e.previous.contains_key("status")
}

/// Applies batches until the feed is caught up to `now` (UTC milliseconds); returns the number of
/// events applied.
pub async fn catch_up(db: &Db, opts: ConsumeOptions, now: i64) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let n = consume_batch(db, opts, now).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

/// Keeps the figures current in the background: a first rebuild when none was ever made, then
/// the feed every `every`, up to the time `clock` gives (`kernel::clock::now_ms` in the binary).
pub fn spawn_consumer(db: Db, every: Duration, clock: kernel::clock::Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match store::registry_checkpoint(&db).await {
            Ok(None) => match crate::rebuild(&db, |_| {}, clock()).await {
                Ok(s) => tracing::info!(rows = s.rows, seconds = s.seconds, "analytics rebuilt"),
                Err(e) => tracing::warn!(error = %e, "analytics rebuild failed"),
            },
            Ok(Some(_)) => {}
            Err(e) => tracing::warn!(error = %e, "analytics checkpoint unreadable"),
        }
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = catch_up(&db, ConsumeOptions::default(), clock()).await {
                tracing::warn!(error = %e, "analytics update failed; retrying");
            }
        }
    })
}

/// Facts after the batch minus facts before it. `later` holds every event after the checkpoint
/// of the given persons, oldest first; `last` is the batch's last event id. A household whose
/// living members are not all among `persons` must have the same count before and after (none of
/// the given members changed status), so it yields no fact.
fn deltas(persons: &[PersonState], later: &[ChangeEvent], last: &str, touched: &[String]) -> Counts {
    let mut by_person: HashMap<&str, Vec<&ChangeEvent>> = HashMap::new();
    for e in later {
        by_person.entry(e.personal_id.as_str()).or_default().push(e);
    }
    let mut counts = Counts::new();
    // Living members per household before and after the batch.
    let mut sizes: HashMap<(&str, &str), (i64, i64)> = HashMap::new();
    for p in persons {
        let events = by_person.get(p.personal_id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let mut after = p.clone();
        for e in events.iter().rev().filter(|e| e.id.as_str() > last) {
            undo(&mut after, e);
        }
        let mut before = after.clone();
        for e in events.iter().rev().filter(|e| e.id.as_str() <= last) {
            undo(&mut before, e);
        }
        if touched.binary_search(&p.personal_id).is_ok() {
            facts::person_facts(&before, &mut counts, -1);
            facts::person_facts(&after, &mut counts, 1);
        }
        if let (Some(h), Some(c)) = (p.household_id.as_deref(), p.household_commune.as_deref()) {
            let s = sizes.entry((h, c)).or_insert((0, 0));
            s.0 += i64::from(before.status == "living");
            s.1 += i64::from(after.status == "living");
        }
    }
    for ((_, commune), (before, after)) in sizes {
        if before != after {
            facts::household_fact(&mut counts, commune, before, -1);
            facts::household_fact(&mut counts, commune, after, 1);
        }
    }
    counts
}

/// Turns a state back to what it was before `e`.
fn undo(p: &mut PersonState, e: &ChangeEvent) {
    if e.kind == registry::feed::BORN {
        // Before the birth was registered the person was in no figure at all.
        p.status = "unregistered".into();
        p.current_commune = None;
        p.residences.clear();
        return;
    }
    for (field, value) in &e.previous {
        let v = value.as_str().map(str::to_string);
        match field.as_str() {
            "gender" => p.gender = v,
            "birth_date" => p.birth_date = v,
            "ethnicity" => p.ethnicity = v,
            "religion" => p.religion = v,
            "status" => p.status = v.unwrap_or_else(|| "living".into()),
            "death_date" => p.death_date = v,
            "current_commune" => p.current_commune = v,
            _ => {}
        }
    }
    if let Some(Value::String(id)) = e.current.get("residence_started") {
        p.residences.retain(|r| &r.id != id);
    }
    if let Some(Value::String(ids)) = e.current.get("residences_ended") {
        let ended: Vec<&str> = ids.split(',').filter(|s| !s.is_empty()).collect();
        for r in p.residences.iter_mut().filter(|r| ended.contains(&r.id.as_str())) {
            r.end_date = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use registry::feed::ResidenceState;
    use serde_json::{json, Map};

    fn person() -> PersonState {
        PersonState {
            personal_id: "008090000001".into(),
            gender: Some("F".into()),
            birth_date: Some("1990-05-02".into()),
            ethnicity: Some("01".into()),
            religion: Some("00".into()),
            status: "living".into(),
            death_date: None,
            current_commune: Some("B".into()),
            household_id: Some("h".into()),
            household_commune: Some("A".into()),
            residences: vec![
                ResidenceState {
                    id: "r1".into(),
                    kind: "permanent".into(),
                    commune_code: "A".into(),
                    start_date: "1990-05-02".into(),
                    end_date: Some("2024-03-01".into()),
                },
                ResidenceState {
                    id: "r2".into(),
                    kind: "permanent".into(),
                    commune_code: "B".into(),
                    start_date: "2024-03-01".into(),
                    end_date: None,
                },
            ],
        }
    }

    fn event(id: &str, kind: &str, previous: Value, current: Value) -> ChangeEvent {
        let obj = |v: Value| v.as_object().cloned().unwrap_or_else(Map::new);
        ChangeEvent {
            id: id.into(),
            personal_id: "008090000001".into(),
            kind: kind.into(),
            occurred_at: 0,
            previous: obj(previous),
            current: obj(current),
        }
    }

    #[test]
    fn undoing_a_move_restores_residences_and_commune() {
        let mut p = person();
        let e = event(
            "e1",
            "moved",
            json!({"current_commune": "A", "current_address": "x"}),
            json!({"current_commune": "B", "residence_started": "r2", "residences_ended": "r1"}),
        );
        undo(&mut p, &e);
        assert_eq!(p.current_commune.as_deref(), Some("A"));
        assert_eq!(p.residences.len(), 1);
        assert_eq!(p.residences[0].end_date, None);
    }

    #[test]
    fn a_batch_with_a_move_shifts_counts_between_communes() {
        let p = person();
        let e = event(
            "e1",
            "moved",
            json!({"current_commune": "A"}),
            json!({"current_commune": "B", "residence_started": "r2", "residences_ended": "r1"}),
        );
        let d = deltas(std::slice::from_ref(&p), &[e], "e1", std::slice::from_ref(&p.personal_id));
        assert_eq!(d[&facts::Key::new(facts::dim::POPULATION, "A", "1990", "F")], -1);
        assert_eq!(d[&facts::Key::new(facts::dim::POPULATION, "B", "1990", "F")], 1);
        assert_eq!(d[&facts::Key::new(facts::dim::MOVE_IN, "B", "2024-03", "")], 1);
        // The household stays where it is registered and keeps its size.
        assert!(!d.keys().any(|k| k.dimension == facts::dim::HOUSEHOLDS));
    }

    #[test]
    fn a_registered_birth_adds_the_child_and_grows_the_household() {
        let mut p = person();
        p.birth_date = Some("2026-01-05".into());
        p.current_commune = Some("A".into());
        p.residences.truncate(1);
        p.residences[0].end_date = None;
        p.residences[0].start_date = "2026-01-05".into();
        let e = event("e1", registry::feed::BORN, json!({}), json!({"residence_started": "r1"}));
        let d = deltas(std::slice::from_ref(&p), &[e], "e1", std::slice::from_ref(&p.personal_id));
        assert_eq!(d[&facts::Key::new(facts::dim::POPULATION, "A", "2026", "F")], 1);
        assert_eq!(d[&facts::Key::new(facts::dim::BIRTHS, "A", "2026-01", "")], 1);
        assert_eq!(d[&facts::Key::new(facts::dim::HOUSEHOLDS, "A", "1", "")], 1);
        assert_eq!(d.values().filter(|n| **n < 0).count(), 0, "{d:?}");
    }

    #[test]
    fn events_after_the_batch_are_not_applied() {
        let mut p = person();
        p.status = "deceased".into();
        p.death_date = Some("2025-01-10".into());
        let death = event(
            "e2",
            "deceased",
            json!({"status": "living", "death_date": null}),
            json!({"status": "deceased", "residences_ended": ""}),
        );
        // The batch ends at e1: the later death must not change anything yet.
        let d = deltas(std::slice::from_ref(&p), &[death], "e1", std::slice::from_ref(&p.personal_id));
        assert!(d.values().all(|n| *n == 0), "{d:?}");
    }
}
