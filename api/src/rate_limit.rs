//! Per-client limits on look-ups that could be used to guess secrets (verification codes,
//! sign-in addresses). Counted in memory per instance: a fixed window per key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts events per key in fixed windows.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `limit` events per key in each `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` has used up its allowance in the current window.
    pub fn exhausted(&self, key: &str) -> bool {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts
            .get(key)
            .is_some_and(|(start, count)| start.elapsed() < self.window && *count >= self.limit)
    }

    /// Counts one event for `key`; returns whether it was within the allowance.
    pub fn hit(&self, key: &str) -> bool {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() > 100_000 {
            counts.retain(|_, (start, _)| start.elapsed() < self.window);
        }
        let entry = counts.entry(key.to_string()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

/// The caller's IP address, the key of the per-client limits (empty if unknown).
pub fn client_address(request: &poem::Request) -> String {
    request
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_limited_alone_and_recovers_after_the_window() {
        let limiter = RateLimiter::new(2, Duration::from_millis(50));
        assert!(limiter.hit("a") && limiter.hit("a"));
        assert!(!limiter.hit("a"));
        assert!(limiter.exhausted("a"));
        assert!(!limiter.exhausted("b"), "other clients are not affected");
        std::thread::sleep(Duration::from_millis(60));
        assert!(!limiter.exhausted("a"));
        assert!(limiter.hit("a"));
    }
}
