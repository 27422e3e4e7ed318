//! Load generation shared by the `dancu bench` commands: a closed loop (`phase`: each connection
//! sends its next request when the previous one is answered) and an open loop (`paced`: requests
//! leave at a fixed rate whatever the answers do).
//!
//! Latencies go into an HDR histogram (microseconds, three significant digits) rather than a list
//! of samples: its memory is fixed, so a 30-minute soak measures the server's resident size and
//! not the millions of samples the benchmark would otherwise keep.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

/// Latencies of one phase's successful requests, summarised.
pub(crate) struct Phase {
    pub(crate) name: &'static str,
    latencies: Histogram<u64>,
    pub(crate) errors: u64,
    pub(crate) elapsed: Duration,
}

/// An empty histogram for latencies from 1 µs to one hour.
#[allow(clippy::expect_used, reason = "constant bounds that the constructor accepts (a unit test makes one)")]
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("1 µs to 1 h at 3 significant digits")
}

/// Records `d` in `h` (saturating at the histogram's upper bound).
pub(crate) fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1));
}

impl Phase {
    fn new(name: &'static str) -> Phase {
        Phase { name, latencies: histogram(), errors: 0, elapsed: Duration::ZERO }
    }

    /// Requests answered successfully.
    pub(crate) fn ok(&self) -> u64 {
        self.latencies.len()
    }

    /// Successful requests per second over the phase's wall time.
    pub(crate) fn rate(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn print(self) {
        let ms = |q: f64| self.latencies.value_at_quantile(q) as f64 / 1e3;
        println!(
            "{:<22} {:>7} ok, {:>4} errors; {:>7.0}/s; p50 {:.2} ms, p99 {:.2} ms",
            self.name,
            self.ok(),
            self.errors,
            self.rate(),
            ms(0.50),
            ms(0.99),
        );
    }
}

/// Runs `work(i)` from `connections` tasks until `items` are used up or `duration` passes.
pub(crate) async fn phase<F, Fut>(
    name: &'static str,
    connections: usize,
    items: usize,
    duration: Duration,
    work: F,
) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let work = Arc::new(work);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, work) = (next.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors) = (histogram(), 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items || Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                if work(i).await {
                    record(&mut ok, t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (ok, errors)
        }));
    }
    let mut all = Phase::new(name);
    for t in tasks {
        match t.await {
            Ok((ok, errors)) => {
                // Both histograms have the same bounds, so adding cannot fail.
                all.latencies.add(ok).ok();
                all.errors += errors;
            }
            // A task that panicked counts as one error.
            Err(_) => all.errors += 1,
        }
    }
    all.elapsed = start.elapsed();
    all
}

/// Sends request `i` at `i / rate` seconds from the start, each in its own task, for `duration`,
/// so latency is measured from the moment it is sent and not from when a connection was free.
/// Finished requests are collected as the phase runs: memory stays flat however long it lasts.
pub(crate) async fn paced<F, Fut>(name: &'static str, rate: u64, duration: Duration, work: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let start = Instant::now();
    let n = (rate as f64 * duration.as_secs_f64()) as usize;
    let results = Arc::new(Mutex::new(Phase::new(name)));
    let mut running = tokio::task::JoinSet::new();
    for i in 0..n {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate.max(1) as f64)).await;
        while running.try_join_next().is_some() {}
        let (fut, results) = (work(i), results.clone());
        running.spawn(async move {
            let t = Instant::now();
            let ok = fut.await;
            let d = t.elapsed();
            if let Ok(mut p) = results.lock() {
                if ok {
                    record(&mut p.latencies, d);
                } else {
                    p.errors += 1;
                }
            }
        });
    }
    while running.join_next().await.is_some() {}
    let mut p = match Arc::try_unwrap(results) {
        Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(shared) => {
            // Unreachable once every task has finished; summarise what is there.
            let g = shared.lock().unwrap_or_else(|e| e.into_inner());
            Phase { name, latencies: g.latencies.clone(), errors: g.errors, elapsed: Duration::ZERO }
        }
    };
    p.elapsed = start.elapsed();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closed_loop_counts_successes_and_failures() {
        let p = phase("t", 3, 100, Duration::from_secs(60), |i| async move { i % 4 != 0 }).await;
        assert_eq!(p.ok(), 75);
        assert_eq!(p.errors, 25);
    }

    #[tokio::test(start_paused = true)]
    async fn open_loop_sends_at_the_rate_whatever_the_answers_take() {
        let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = started.clone();
        let p = paced("t", 100, Duration::from_secs(2), move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {
                tokio::time::sleep(Duration::from_millis(250)).await;
                true
            }
        })
        .await;
        assert_eq!(started.load(std::sync::atomic::Ordering::Relaxed), 200);
        assert_eq!(p.ok(), 200);
        // Each request took 250 ms of (paused, auto-advanced) time, measured from its send.
        let p50 = p.latencies.value_at_quantile(0.5);
        assert!((250_000..260_000).contains(&p50), "p50 {p50} µs");
    }
}
