//! Coalesced point lookups. Under load many requests each look up one row by key at the same
//! moment; on PostgreSQL every lookup is a network round trip with a context switch on both sides,
//! and those switches, not the lookups, are what the two cores spend their time on. A
//! [`Coalescer`] gathers the keys asked for while earlier lookups are running and fetches them
//! with one `IN (…)` query, so a busy server pays one round trip for many requests. An idle server
//! still answers a lone lookup at once: nothing waits for company.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use kernel::AppError;
use tokio::sync::{mpsc, oneshot, Semaphore};

type Reply<V> = oneshot::Sender<Result<Option<V>, AppError>>;

/// Handle to a lookup task. Cheap to clone.
pub struct Coalescer<K, V> {
    tx: mpsc::Sender<(K, Reply<V>)>,
}

impl<K, V> Clone for Coalescer<K, V> {
    fn clone(&self) -> Self {
        Coalescer { tx: self.tx.clone() }
    }
}

impl<K, V> Coalescer<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + 'static,
{
    /// Starts the task on the current runtime. `fetch` gets distinct keys (at most `max_batch`)
    /// and returns the rows it found by key; at most `in_flight` fetches run at once, and keys
    /// that arrive while all of them run make up the next batch.
    pub fn start<F, Fut>(max_batch: usize, in_flight: usize, fetch: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<HashMap<K, V>, AppError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(4 * max_batch);
        tokio::spawn(run(rx, max_batch.max(1), in_flight.max(1), Arc::new(fetch)));
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

async fn run<K, V, F, Fut>(mut rx: mpsc::Receiver<(K, Reply<V>)>, max_batch: usize, in_flight: usize, fetch: Arc<F>)
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + 'static,
    F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HashMap<K, V>, AppError>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        // A free slot first: what arrives while every slot is busy joins the next batch.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut batch = Vec::with_capacity(max_batch);
        if rx.recv_many(&mut batch, max_batch).await == 0 {
            return;
        }
        let fetch = fetch.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut seen = HashSet::with_capacity(batch.len());
            let keys: Vec<K> = batch.iter().filter(|(k, _)| seen.insert(k)).map(|(k, _)| k.clone()).collect();
            match fetch(keys).await {
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
        });
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

/// The rows of `select` (a query without a `WHERE` clause) whose `column` is one of `keys`, read
/// with one padded `IN (…)` list from the read pool.
pub async fn fetch_in(
    db: &crate::Db,
    select: &str,
    column: &str,
    keys: &[String],
) -> Result<Vec<crate::Row>, AppError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let keys = padded(keys);
    let list = (1..=keys.len()).map(|n| crate::param(db.backend(), n)).collect::<Vec<_>>().join(", ");
    let sql = format!("{select} WHERE {column} IN ({list})");
    let mut q = sqlx::query(&sql);
    for k in &keys {
        q = q.bind(k.as_str());
    }
    q.fetch_all(db.read()).await.map_err(crate::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

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
        let c = Coalescer::start(16, 1, {
            let (gate, batches) = (gate.clone(), batches.clone());
            move |keys: Vec<u32>| {
                batches.lock().unwrap().push(keys.clone());
                let gate = gate.clone();
                async move {
                    if keys == [999] {
                        let _ = gate.acquire().await;
                    }
                    if keys.contains(&666) {
                        return Err(AppError::internal("boom"));
                    }
                    Ok(keys.iter().filter(|k| *k % 2 == 0).map(|k| (*k, k * 10)).collect())
                }
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
        assert!(batches.len() < 100, "200 lookups made {} fetches", batches.len());
        for b in &batches {
            assert!(b.len() <= 16, "a batch holds at most max_batch keys");
            assert_eq!(b.iter().collect::<HashSet<_>>().len(), b.len(), "keys are distinct in a batch");
        }
        assert!(c.get(666).await.is_err(), "a failed fetch is an error");
        assert_eq!(c.get(4).await.unwrap(), Some(40), "the task keeps working after a failure");
    }
}
