//! Per-caller rate limit of verification calls: a fixed one-minute window per account, in memory.
//! Each replica counts its own calls, so N replicas allow up to N times the limit; the limit is a
//! brake on a misbehaving client, not an accounting tool.

use std::collections::HashMap;
use std::sync::Mutex;

use kernel::{AppError, ErrorCode};

const WINDOW_MS: i64 = 60_000;

/// Counts calls per key in the current minute.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one call by `key` at `now_ms`; fails with `rate_limited` past the limit.
    pub fn check(&self, key: &str, now_ms: i64) -> Result<(), AppError> {
        let window = now_ms - now_ms.rem_euclid(WINDOW_MS);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (w, _)| *w == window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(AppError::new(
                ErrorCode::RateLimited,
                format!("at most {} verifications per minute per account", self.per_minute),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let l = RateLimiter::new(2);
        assert!(l.check("a", 1_000).is_ok());
        assert!(l.check("a", 2_000).is_ok());
        assert_eq!(l.check("a", 3_000).unwrap_err().code, ErrorCode::RateLimited);
        assert!(l.check("b", 3_000).is_ok(), "other callers are not affected");
        assert!(l.check("a", 61_000).is_ok(), "a new minute starts a new window");
    }
}
