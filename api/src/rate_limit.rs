//! Per-client limits on look-ups that could be used to guess secrets (verification codes,
//! sign-in addresses): a fixed window per key.
//!
//! On PostgreSQL, where several instances may serve behind a load balancer, the counts are in
//! the database (`store::rate_limits`, one upsert per event), so every instance counts against
//! one allowance. On SQLite (one process) they are in memory.
//!
//! The in-memory count is this small fixed window rather than `governor`: the limits on failures
//! must refuse a client that has used up its allowance *before* looking anything up, without
//! spending allowance on that check (a right code must not get through after 30 wrong ones, and a
//! check must not count as a failure), and `governor` has no way to look at a key's state
//! without spending from it. The window is also what the database counts, so both backends
//! behave the same.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use peertrack_core::store::{self, rate_limits, Backend, Database};

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

/// A limit: counted in memory, or in the database shared by every instance.
#[derive(Debug)]
pub enum Limiter {
    /// In this process's memory.
    Memory(RateLimiter),
    /// In the database.
    Shared(SharedLimiter),
}

/// A limit counted in the database's `rate_limits` table.
#[derive(Debug)]
pub struct SharedLimiter {
    db: Database,
    name: &'static str,
    limit: u32,
    window: Duration,
}

/// Shared limits delete their expired rows once in this many events (through the index).
const CLEAN_EVERY: u64 = 512;

impl Limiter {
    /// At most `limit` events per key in each `window`, counted in `db` when it is PostgreSQL
    /// (several instances may share it) and in memory otherwise. `name` tells the limits apart.
    pub fn new(db: Option<&Database>, name: &'static str, limit: u32, window: Duration) -> Self {
        match db.filter(|db| db.backend() == Backend::Postgres) {
            Some(db) => Limiter::Shared(SharedLimiter {
                db: db.clone(),
                name,
                limit,
                window,
            }),
            None => Limiter::Memory(RateLimiter::new(limit, window)),
        }
    }

    /// Whether `key` has used up its allowance in the current window. If the database does not
    /// answer, the limit does not hold (the request itself will then fail on the database).
    pub async fn exhausted(&self, key: &str) -> bool {
        match self {
            Limiter::Memory(memory) => memory.exhausted(key),
            Limiter::Shared(shared) => {
                let (row, limit) = (rate_limits::row_key(shared.name, key), shared.limit);
                let now = store::stored(chrono::Utc::now());
                match shared
                    .db
                    .read_async(move |conn| rate_limits::count(conn, &row, now))
                    .await
                {
                    Ok(count) => count >= limit,
                    Err(error) => {
                        tracing::warn!(limit = shared.name, %error, "a shared limit could not be read");
                        false
                    }
                }
            }
        }
    }

    /// Counts one event for `key`; returns whether it was within the allowance.
    pub async fn hit(&self, key: &str) -> bool {
        match self {
            Limiter::Memory(memory) => memory.hit(key),
            Limiter::Shared(shared) => {
                static EVENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let clean = EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % CLEAN_EVERY == 0;
                let row = rate_limits::row_key(shared.name, key);
                let window = i64::try_from(shared.window.as_secs()).unwrap_or(i64::MAX / 2);
                let now = store::stored(chrono::Utc::now());
                // One statement, so no transaction: it commits on its own, atomically.
                let counted = shared
                    .db
                    .read_async(move |conn| {
                        if clean {
                            rate_limits::forget_expired(conn, now)?;
                        }
                        rate_limits::hit(conn, &row, now, window)
                    })
                    .await;
                match counted {
                    Ok(count) => count <= shared.limit,
                    Err(error) => {
                        tracing::warn!(limit = shared.name, %error, "a shared limit could not be counted");
                        true
                    }
                }
            }
        }
    }
}

/// Per-client limits on guessable look-ups.
#[derive(Debug)]
pub struct Limits {
    /// Unknown verification codes per client address.
    pub verification_failures: Limiter,
    /// Sign-in links asked for, per email address (so nobody's inbox can be flooded).
    pub sign_in_links_per_address: Limiter,
    /// Sign-in links asked for, per client address.
    pub sign_in_links_per_client: Limiter,
    /// Sign-in tokens that did not work, per client address.
    pub sign_in_failures: Limiter,
}

impl Default for Limits {
    /// Counted in memory.
    fn default() -> Self {
        Limits::new(None)
    }
}

impl Limits {
    /// The limits, counted in `db` when it is PostgreSQL and in memory otherwise.
    pub fn for_database(db: &Database) -> Self {
        Limits::new(Some(db))
    }

    fn new(db: Option<&Database>) -> Self {
        Limits {
            verification_failures: Limiter::new(db, "verification-failures", 30, Duration::from_secs(600)),
            sign_in_links_per_address: Limiter::new(
                db,
                "sign-in-links-per-address",
                5,
                Duration::from_secs(900),
            ),
            sign_in_links_per_client: Limiter::new(
                db,
                "sign-in-links-per-client",
                30,
                Duration::from_secs(900),
            ),
            sign_in_failures: Limiter::new(db, "sign-in-failures", 30, Duration::from_secs(900)),
        }
    }

    /// Counts a request for a sign-in link for `email` from `client`; whether it is within both
    /// allowances (per client address and per email address).
    pub async fn allow_sign_in_link(&self, client: &str, email: &str) -> bool {
        let client_ok = self.sign_in_links_per_client.hit(client).await;
        let address_ok = self.sign_in_links_per_address.hit(email).await;
        client_ok && address_ok
    }
}

/// The caller's IP address, the key of the per-client limits (empty if unknown): the address a
/// trusted proxy forwarded, or else the TCP peer (see [`crate::forwarded`]).
pub fn client_address(request: &poem::Request) -> String {
    let address = match request.extensions().get::<crate::forwarded::Client>() {
        Some(client) => client.address,
        None => request.remote_addr().as_socket_addr().map(|a| a.ip()),
    };
    address.map(|a| a.to_string()).unwrap_or_default()
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
