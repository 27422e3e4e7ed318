//! Group commit of check-ins: one writer task gathers the check-ins that arrive while the previous
//! transaction commits and writes them all in one transaction (idempotency claims, stays,
//! notifications, hospital-ward rows, watchlist matching and alerts, the NATS outbox rows of their
//! feed events), so a busy server pays one durable commit for
//! many guests. A waiting request gets its own outcome back; when a batch fails as a whole, each
//! of its check-ins is retried alone so that one bad request cannot fail the others.

use std::collections::HashSet;

use db::held::Held;
use db::sqlx::{self, Connection, Row};
use db::Db;
use kernel::AppError;
use tokio::sync::{mpsc, oneshot};

use crate::alerts::{self, Alert};
use crate::checkins::{CheckinResult, Plan};
use crate::feed::FeedEvent;
use crate::guests::Guest;
use crate::outbox::Outbox;
use crate::watchlist;

/// Most guests one transaction carries; more waiting check-ins go into the next one.
const MAX_BATCH_GUESTS: usize = 1_000;
/// Rows per multi-row `INSERT` (well under both backends' limits on bound parameters).
const ROWS_PER_INSERT: usize = 50;

/// One check-in call, validated and ready to be written.
pub struct Job {
    pub plan: Plan,
    pub result: CheckinResult,
    pub actor: String,
    pub key: Option<String>,
    pub now: i64,
}

/// What happened to a job.
pub enum Outcome {
    /// Written; its feed events (one per notification, then one per alert it raised), already in
    /// the NATS outbox.
    Written(Vec<FeedEvent>),
    /// The idempotency key was used before: the stored result of the first call.
    Replayed(CheckinResult),
}

type Reply = oneshot::Sender<Result<(Outcome, Job), AppError>>;

/// Handle of the writer task.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(Job, Reply)>,
}

impl Writer {
    /// Starts the writer task over `db`, writing feed events to `outbox`.
    pub fn start(db: Db, outbox: Outbox) -> Writer {
        let (tx, rx) = mpsc::channel(4_096);
        tokio::spawn(run(db, outbox, rx));
        Writer { tx }
    }

    /// Queues a job and waits until its transaction has committed (or failed); the job comes
    /// back with its outcome.
    pub async fn submit(&self, job: Job) -> Result<(Outcome, Job), AppError> {
        let (reply, done) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| AppError::internal("check-in writer stopped"))?;
        done.await.map_err(|_| AppError::internal("check-in writer dropped the request"))?
    }
}

async fn run(db: Db, outbox: Outbox, mut rx: mpsc::Receiver<(Job, Reply)>) {
    let mut held = Held::new(&db, db.write());
    let w = Target { db: &db, outbox: &outbox };
    while let Some(first) = rx.recv().await {
        let mut guests = first.0.plan.guests.len();
        let mut batch = vec![first];
        while guests < MAX_BATCH_GUESTS {
            match rx.try_recv() {
                Ok(next) => {
                    guests += next.0.plan.guests.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let jobs: Vec<&Job> = batch.iter().map(|(j, _)| j).collect();
        match write(&w, &mut held, &jobs).await {
            Ok(outcomes) => {
                for ((job, reply), o) in batch.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok((o, job)));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some((_, reply)) = batch.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                for (job, reply) in batch {
                    let r = write(&w, &mut held, &[&job]).await.map(|mut o| (o.remove(0), job));
                    let _ = reply.send(r);
                }
            }
        }
    }
}

/// Where the writer writes.
struct Target<'a> {
    db: &'a Db,
    outbox: &'a Outbox,
}

/// Writes `jobs` in one transaction on the writer's connection and returns one outcome per job, in
/// order.
async fn write(w: &Target<'_>, held: &mut Held, jobs: &[&Job]) -> Result<Vec<Outcome>, AppError> {
    let written = write_on(w, held, jobs).await;
    held.done(written.is_ok());
    written
}

/// [`write`]; the guests are matched against the watchlist on a reader connection while the
/// transaction writes their stays.
async fn write_on(w: &Target<'_>, held: &mut Held, jobs: &[&Job]) -> Result<Vec<Outcome>, AppError> {
    let db = w.db;
    let mut subjects: Vec<String> = jobs.iter().flat_map(|j| j.plan.guests.iter().map(Guest::subject)).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let (entries, staged) = tokio::join!(watchlist::matching(db.read(), &subjects), stage(held, jobs));
    let entries = entries?;
    let (mut tx, replayed) = staged?;
    let rows = live_rows(jobs, &replayed);
    let keys: Vec<String> = rows.iter().map(|(_, g, _)| g.subject()).collect();
    let mut raised: Vec<Vec<(Alert, String)>> = vec![Vec::new(); jobs.len()];
    let index_of = |job: &Job| jobs.iter().position(|j| std::ptr::eq(*j, job)).unwrap_or(0);
    for ((job, g, c), key) in rows.iter().zip(&keys) {
        for e in entries.iter().filter(|e| &e.subject_key == key) {
            let f = &job.plan.facility;
            let sighting = alerts::Sighting {
                source: "checkin",
                source_id: &c.notification_id,
                place_id: &f.id,
                place_name: &f.name,
                commune_code: &f.commune_code,
                province_code: &f.province_code,
                full_name: &g.full_name,
                at: job.now,
            };
            let alert = Alert::raised(e, &sighting);
            if let Some(of_job) = raised.get_mut(index_of(job)) {
                of_job.push((alert, e.reason.clone()));
            }
        }
    }
    let all: Vec<&Alert> = raised.iter().flatten().map(|(a, _)| a).collect();
    alerts::insert(&mut tx, &all, ROWS_PER_INSERT).await?;
    let outcomes: Vec<Outcome> = jobs
        .iter()
        .zip(replayed)
        .zip(raised)
        .map(|((job, r), a)| match r {
            Some(first) => Outcome::Replayed(first),
            None => Outcome::Written(crate::checkins::feed_events(job, &a)),
        })
        .collect();
    let events: Vec<FeedEvent> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Written(events) => Some(events.iter().cloned()),
            Outcome::Replayed(_) => None,
        })
        .flatten()
        .collect();
    let now = jobs.iter().map(|j| j.now).max().unwrap_or_default();
    w.outbox.record(&mut tx, &events, now).await?;
    tx.commit().await?;
    Ok(outcomes)
}

type StayRow<'a> = (&'a Job, &'a Guest, &'a crate::checkins::CheckedIn);

/// The guests of the jobs that were not replayed, each with its job and stay.
fn live_rows<'a>(jobs: &[&'a Job], replayed: &[Option<CheckinResult>]) -> Vec<StayRow<'a>> {
    jobs.iter()
        .zip(replayed)
        .filter(|(_, r)| r.is_none())
        .flat_map(|(j, _)| j.plan.guests.iter().zip(&j.result.checkins).map(move |(g, c)| (*j, g, c)))
        .collect()
}

/// Begins the batch's transaction: claims the idempotency keys and writes the stays and
/// notifications of the jobs that are new (and their hospital-ward rows).
async fn stage<'c>(
    held: &'c mut Held,
    jobs: &[&Job],
) -> Result<(sqlx::Transaction<'c, sqlx::Any>, Vec<Option<CheckinResult>>), AppError> {
    let conn = held.conn().await?;
    let mut tx = conn.begin().await?;
    let replayed = claim_all(&mut tx, jobs).await?;
    let rows = live_rows(jobs, &replayed);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        insert_checkins(&mut tx, chunk).await?;
        insert_notifications(&mut tx, chunk).await?;
    }
    for (job, _, c) in &rows {
        if let Some(stay) = &job.plan.ward {
            crate::hospital::record(&mut tx, &c.id, &job.plan.facility.id, stay, job.now).await?;
        }
    }
    Ok((tx, replayed))
}

/// Claims the `(actor, key)` pair of every job that has a key, with one multi-row insert per
/// [`ROWS_PER_INSERT`] jobs. A job whose pair was claimed before (by an earlier call, another
/// process, or an earlier job of this batch) gets the stored result instead; one entry per job.
async fn claim_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    jobs: &[&Job],
) -> Result<Vec<Option<CheckinResult>>, AppError> {
    let mut out = vec![None; jobs.len()];
    let keyed: Vec<(usize, &Job, &str)> =
        jobs.iter().enumerate().filter_map(|(i, j)| j.key.as_deref().map(|k| (i, *j, k))).collect();
    let mut claimed: HashSet<(String, String)> = HashSet::with_capacity(keyed.len());
    for chunk in keyed.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO lodging_idempotency (actor_id, idem_key, response, created_at) VALUES {} \
             ON CONFLICT (actor_id, idem_key) DO NOTHING RETURNING actor_id, idem_key",
            db::values(db::backend_of(tx), chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (_, job, key) in chunk {
            let json = serde_json::to_string(&job.result)?;
            q = q.bind(job.actor.clone()).bind(key.to_string()).bind(json).bind(job.now);
        }
        for row in q.fetch_all(&mut **tx).await? {
            claimed.insert((row.get(0), row.get(1)));
        }
    }
    // A pair sent twice in one batch is inserted once, for its first job; the later ones replay it.
    for (i, job, key) in keyed {
        if !claimed.remove(&(job.actor.clone(), key.to_string())) {
            let first = stored(tx, &job.actor, key).await?;
            let first = first.ok_or_else(|| AppError::internal("an idempotency key was claimed without its result"))?;
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(first);
            }
        }
    }
    Ok(out)
}

/// The result stored for `(actor, key)`, if any.
pub(crate) async fn stored(
    conn: &mut sqlx::AnyConnection,
    actor: &str,
    key: &str,
) -> Result<Option<CheckinResult>, AppError> {
    let row = sqlx::query("SELECT response FROM lodging_idempotency WHERE actor_id = $1 AND idem_key = $2")
        .bind(actor)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| serde_json::from_str(&r.get::<String, _>(0))).transpose()?)
}

async fn insert_checkins(tx: &mut sqlx::Transaction<'_, sqlx::Any>, rows: &[StayRow<'_>]) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO lodging_checkins (id, group_id, facility_id, organization_id, guest_kind, personal_id, \
         passport_number, nationality, full_name, birth_date, address, visa, entry_date, border_gate, room, \
         arrival_at, expected_departure_at, reason, created_by, created_at, name_folded, trip_id) VALUES {}",
        db::values(db::backend_of(tx), rows.len(), 22)
    );
    let mut q = sqlx::query(&sql);
    for (job, g, c) in rows {
        let (p, f) = (&job.plan, &job.plan.facility);
        q = q.bind(c.id.clone()).bind(job.result.group_id.clone()).bind(f.id.clone());
        q = q.bind(f.organization_id.clone()).bind(c.guest_kind.clone()).bind(g.personal_id.clone());
        q = q.bind(g.passport_number.clone()).bind(g.nationality.clone()).bind(g.full_name.clone());
        q = q.bind(g.birth_date.clone()).bind(g.address.clone()).bind(g.visa.clone()).bind(g.entry_date.clone());
        q = q.bind(g.border_gate.clone()).bind(p.room.clone()).bind(p.arrival).bind(p.departure);
        q = q.bind(p.reason.clone()).bind(job.actor.clone()).bind(job.now).bind(kernel::text::fold(&g.full_name));
        q = q.bind(p.trip_id.clone());
    }
    q.execute(&mut **tx).await.map(|_| ())
}

async fn insert_notifications(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[StayRow<'_>],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO lodging_notifications (id, checkin_id, facility_id, facility_name, commune_code, province_code, \
         guest_kind, personal_id, passport_number, nationality, full_name, reason, arrival_at, expected_departure_at, \
         deadline_at, submitted_at, late, name_folded) VALUES {}",
        db::values(db::backend_of(tx), rows.len(), 18)
    );
    let mut q = sqlx::query(&sql);
    for (job, g, c) in rows {
        let (p, f) = (&job.plan, &job.plan.facility);
        q = q.bind(c.notification_id.clone()).bind(c.id.clone()).bind(f.id.clone()).bind(f.name.clone());
        q = q.bind(f.commune_code.clone()).bind(f.province_code.clone()).bind(c.guest_kind.clone());
        q = q.bind(g.personal_id.clone()).bind(g.passport_number.clone()).bind(g.nationality.clone());
        q = q.bind(g.full_name.clone()).bind(p.reason.clone()).bind(p.arrival).bind(p.departure);
        q = q.bind(c.deadline_at).bind(job.now).bind(i64::from(c.late)).bind(kernel::text::fold(&g.full_name));
    }
    q.execute(&mut **tx).await.map(|_| ())
}
