//! Coalesced point lookups. Under load many requests each look up one row by key at the same
//! moment; on PostgreSQL every lookup is a network round trip with a context switch on both sides,
//! and those switches, not the lookups, are what the two cores spend their time on. A
//! [`Coalescer`] gathers the keys asked for while earlier lookups are running and fetches them
//! with one `IN (…)` query, so a busy server pays one round trip for many requests. An idle server
//! still answers a lone lookup at once: nothing waits for company.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use futures::future::BoxFuture;
use kernel::AppError;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::held::Held;
use crate::{Db, Row};

type Reply<V> = oneshot::Sender<Result<Option<V>, AppError>>;
type Queue<K, V> = Arc<Mutex<mpsc::Receiver<(K, Reply<V>)>>>;

/// Handle to a lookup task. Cheap to clone.
pub struct Coalescer<K, V> {
    tx: mpsc::Sender<(K, Reply<V>)>,
}

impl<K, V> Clone for Coalescer<K, V> {
    fn clone(&self) -> Self {
        Coalescer { tx: self.tx.clone() }
    }
}

impl<V: Clone + Send + 'static> Coalescer<String, V> {
    /// Lookups of rows by a text key on `db`'s read pool: `select_where` is a query ending in the
    /// key column (`… WHERE f.id`), `row` maps a row to its key and value. Two fetches run at
    /// once, each on a connection of its own (kept on PostgreSQL, see [`Held`]).
    pub fn on_db(
        db: &Db,
        max_batch: usize,
        select_where: String,
        row: fn(&Row) -> Result<(String, V), AppError>,
    ) -> Self {
        let held = (0..2).map(|_| Held::new(db, db.read())).collect();
        Coalescer::start(max_batch, held, move |held: &mut Held, keys: Vec<String>| {
            let select_where = select_where.clone();
            Box::pin(async move {
                let rows = match held.conn().await {
                    Ok(conn) => fetch_in(&mut **conn, &select_where, &keys).await,
                    Err(e) => Err(e),
                };
                held.done(rows.is_ok());
                rows?.iter().map(row).collect()
            })
        })
    }
}

impl<K, V> Coalescer<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + 'static,
{
    /// Starts one worker per context (a connection, say): `fetch` gets the worker's context and
    /// distinct keys (at most `max_batch`) and returns the rows it found by key. Keys that arrive
    /// while every worker is fetching make up the next batch.
    pub fn start<C, F>(max_batch: usize, contexts: Vec<C>, fetch: F) -> Self
    where
        C: Send + 'static,
        F: for<'c> Fn(&'c mut C, Vec<K>) -> BoxFuture<'c, Result<HashMap<K, V>, AppError>> + Send + Sync + 'static,
    {
        let (tx, rx) = mpsc::channel(4 * max_batch.max(1));
        let (rx, fetch) = (Arc::new(Mutex::new(rx)), Arc::new(fetch));
        for ctx in contexts {
            tokio::spawn(worker(rx.clone(), ctx, max_batch.max(1), fetch.clone()));
        }
        Coalescer { tx }
    }

    /// The row of `key`, read by the next batch.
    pub async fn get(&self, key: K) -> Result<Option<V>, AppError> {
        let (reply, done) = oneshot::channel();
        self.tx.send((key, reply)).await.map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

fn stopped() -> AppError {
    AppError::internal("lookup task stopped")
}

async fn worker<K, V, C, F>(rx: Queue<K, V>, mut ctx: C, max_batch: usize, fetch: Arc<F>)
where
    K: Eq + Hash + Clone,
    V: Clone,
    F: for<'c> Fn(&'c mut C, Vec<K>) -> BoxFuture<'c, Result<HashMap<K, V>, AppError>>,
{
    loop {
        // One idle worker at a time waits for keys; the others are fetching.
        let mut batch = Vec::with_capacity(max_batch);
        if rx.lock().await.recv_many(&mut batch, max_batch).await == 0 {
            return;
        }
        let mut seen = HashSet::with_capacity(batch.len());
        let keys: Vec<K> = batch.iter().filter(|(k, _)| seen.insert(k)).map(|(k, _)| k.clone()).collect();
        match fetch(&mut ctx, keys).await {
            Ok(found) => {
                for (k, reply) in batch {
                    let _ = reply.send(Ok(found.get(&k).cloned()));
                }
            }
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Key counts that `IN (…)` lists are padded to, so that a backend caching prepared statements by
/// their text sees a handful of statements rather than one per batch size.
const SHAPES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// The keys to bind for an `IN (…)` list of `keys`: padded by repeating the last key up to the
/// next of a few fixed lengths (longer lists are left as they are). Empty stays empty.
pub fn padded<T: Clone>(keys: &[T]) -> Vec<T> {
    let mut out = keys.to_vec();
    if let (Some(last), Some(&len)) = (keys.last(), SHAPES.iter().find(|&&s| s >= keys.len())) {
        out.resize(len, last.clone());
    }
    out
}

/// The rows of `select_where` (a query ending in the column to match, e.g. `… WHERE p.id`) whose
/// column is one of `keys`, read with one padded `IN (…)` list: from a pool, or inside the
/// caller's transaction.
pub async fn fetch_in<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    select_where: &str,
    keys: &[String],
) -> Result<Vec<crate::Row>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys = padded(keys);
    let list = (1..=keys.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
    let sql = format!("{select_where} IN ({list})");
    let mut q = sqlx::query(&sql);
    for k in &keys {
        q = q.bind(k.as_str());
    }
    q.fetch_all(exec).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::Semaphore;

    #[test]
    fn pads_to_fixed_lengths() {
        assert!(padded::<u8>(&[]).is_empty());
        assert_eq!(padded(&[7]), vec![7]);
        assert_eq!(padded(&[1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded(&(0..33).collect::<Vec<_>>()).len(), 64);
        assert_eq!(padded(&(0..200).collect::<Vec<_>>()).len(), 200);
    }

    /// Lookups that arrive while the only fetch runs share the next one; each caller gets the
    /// row of its own key (or none), a key asked twice is fetched once, and a failed fetch fails
    /// only its own batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_lookups_share_fetches() {
        let gate = Arc::new(Semaphore::new(0));
        let batches = Arc::new(Mutex::new(Vec::new()));
        let c = Coalescer::start(16, vec![()], {
            let (gate, batches) = (gate.clone(), batches.clone());
            move |_: &mut (), keys: Vec<u32>| {
                batches.lock().unwrap().push(keys.clone());
                let gate = gate.clone();
                Box::pin(async move {
                    if keys == [999] {
                        let _ = gate.acquire().await;
                    }
                    if keys.contains(&666) {
                        return Err(AppError::internal("boom"));
                    }
                    Ok(keys.iter().filter(|k| *k % 2 == 0).map(|k| (*k, k * 10)).collect())
                })
            }
        });
        let first = tokio::spawn({
            let c = c.clone();
            async move { c.get(999).await }
        });
        while batches.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let tasks: Vec<_> = (0..200u32)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move { (i % 100, c.get(i % 100).await.unwrap()) })
            })
            .collect();
        // The first fetch holds the only slot until the queue is full.
        while c.tx.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1);
        assert_eq!(first.await.unwrap().unwrap(), None);
        for t in tasks {
            let (k, v) = t.await.unwrap();
            assert_eq!(v, (k % 2 == 0).then_some(k * 10), "key {k}");
        }
        let batches = batches.lock().unwrap().clone();
        // 16 queued lookups, of at most two of each key.
        assert!(batches[1].len() >= 8, "the queued lookups fill the next batch: {:?}", batches[1]);
        for b in &batches {
            assert!(b.len() <= 16, "a batch holds at most max_batch keys");
            assert_eq!(b.iter().collect::<HashSet<_>>().len(), b.len(), "keys are distinct in a batch");
        }
        assert!(c.get(666).await.is_err(), "a failed fetch is an error");
        assert_eq!(c.get(4).await.unwrap(), Some(40), "the task keeps working after a failure");
    }
}
