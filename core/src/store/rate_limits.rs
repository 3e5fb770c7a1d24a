//! Per-client limits counted in the database, so that every instance behind a load balancer
//! counts against one allowance: a fixed window per key, one upsert per event.
//!
//! Keys are hashed by the caller's side here ([`row_key`]): they are client addresses and email
//! addresses, which a table of counters has no need to hold.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use sha2::{Digest, Sha256};

use super::schema::rate_limits;
use super::DbConnection;
use crate::Result;

/// The stored key of `key` under the limit `limit`: a hash, never the address itself.
pub fn row_key(limit: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("peertrack limit\0{limit}\0{key}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    count: i32,
}

/// Counts one event for `key` at `now` in a window of `window_seconds` (a new window starts when
/// the last has ended) and returns the count in the current window, this event included. One
/// statement: concurrent instances never lose a count.
pub fn hit(conn: &mut DbConnection, key: &str, now: NaiveDateTime, window_seconds: i64) -> Result<u32> {
    let ends = now + chrono::Duration::seconds(window_seconds);
    // In SET, the row's columns are its values before the update, on both databases.
    let upsert = |placeholder: fn(usize) -> String| {
        format!(
            "INSERT INTO rate_limits AS r (key, count, expires_at) VALUES ({k}, 1, {ends}) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN r.expires_at <= {now} THEN 1 ELSE r.count + 1 END, \
             expires_at = CASE WHEN r.expires_at <= {now} THEN excluded.expires_at ELSE r.expires_at END \
             RETURNING count",
            k = placeholder(1),
            ends = placeholder(2),
            now = placeholder(3),
        )
    };
    let counted: Counted = match conn {
        DbConnection::Postgres(c) => diesel::sql_query(upsert(|n| format!("${n}")))
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(ends)
            .bind::<Timestamp, _>(now)
            .get_result(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query(upsert(|n| format!("?{n}")))
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(ends)
            .bind::<Timestamp, _>(now)
            .get_result(c)?,
    };
    Ok(u32::try_from(counted.count).unwrap_or(0))
}

/// The count for `key` in its current window at `now` (0 when none is open).
pub fn count(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> Result<u32> {
    let count: Option<i32> = rate_limits::table
        .filter(rate_limits::key.eq(key))
        .filter(rate_limits::expires_at.gt(now))
        .select(rate_limits::count)
        .first(conn)
        .optional()?;
    Ok(count.map_or(0, |c| u32::try_from(c).unwrap_or(0)))
}

/// Deletes the rows whose window ended before `now` (through the index on `expires_at`);
/// returns how many.
pub fn forget_expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize> {
    Ok(diesel::delete(rate_limits::table.filter(rate_limits::expires_at.le(now))).execute(conn)?)
}
