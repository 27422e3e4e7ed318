//! A small in-memory rate limiter (fixed windows per key). Each process counts on its own: behind a
//! load balancer with N replicas a client gets at most N times the limit, which still stops
//! guessing at scale; the progressive lockout in the database is shared by all replicas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::config::Limit;

/// Counts events per key. Cheap to clone.
#[derive(Clone, Default)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one event for `key`; false when the key has used up its `limit` in this window.
    pub fn allow(&self, key: &str, limit: Limit) -> bool {
        let now = Instant::now();
        // A panic while the lock was held leaves counts that are still valid.
        let mut w = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if w.len() > 100_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < limit.window);
        }
        let entry = w.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= limit.window {
            *entry = (now, 0);
        }
        if entry.1 >= limit.max {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_per_key_and_window() {
        let r = RateLimiter::new();
        let l = Limit { max: 3, window: Duration::from_secs(3600) };
        assert!((0..3).all(|_| r.allow("ip:1", l)));
        assert!(!r.allow("ip:1", l));
        assert!(r.allow("ip:2", l), "other keys are counted apart");
        let zero = Limit { max: 2, window: Duration::ZERO };
        assert!((0..5).all(|_| r.allow("ip:3", zero)), "an elapsed window starts over");
    }
}
