//! What the benchmark programs (`loadtest`, `pageload`) share: finding or building the release
//! binary, telling whether a database holds the demo data, waiting for the worker's first round
//! of email to go out before measuring, and for the register's look-ups to be spread after a row.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use diesel::prelude::*;
use peertrack_core::demo;
use peertrack_core::store::schema::{access_log_pending, outbox, people};
use peertrack_core::store::{self, Database, DatabaseUrl, PoolOptions};

/// Whether the database already holds the demo data.
pub fn has_demo_data(url: &DatabaseUrl) -> Result<bool> {
    let db = Database::open(
        url,
        PoolOptions {
            max_connections: 1,
            ..PoolOptions::default()
        },
    )?;
    let found: i64 = db.read(|conn| {
        Ok(people::table
            .filter(people::email.eq(demo::ADMIN_EMAIL))
            .count()
            .get_result(conn)?)
    })?;
    Ok(found > 0)
}

/// Waits until no message is due in the outbox, or `limit` has passed; returns how long.
pub fn wait_for_outbox(url: &DatabaseUrl, limit: Duration) -> Result<Duration> {
    let db = Database::open(
        url,
        PoolOptions {
            max_connections: 1,
            ..PoolOptions::default()
        },
    )?;
    let started = Instant::now();
    while started.elapsed() < limit {
        let now = store::stored(Utc::now());
        let waiting: i64 = db.read(|conn| {
            Ok(outbox::table
                .filter(outbox::status.eq("pending"))
                .filter(outbox::next_attempt_at.le(now))
                .count()
                .get_result(conn)?)
        })?;
        if waiting == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(started.elapsed())
}

/// What a row left in the access log to spread, and what the server did with it once
/// requests stopped.
#[derive(Debug, Clone, Copy)]
pub struct Spreading {
    /// Register answers waiting to be spread when the row ended.
    pub waiting: i64,
    /// How many the server spread before all were spread or the wait ended.
    pub spread: i64,
    /// How long that took.
    pub took: Duration,
}

/// Waits, up to `limit`, for the server to spread the register answers waiting to go into
/// people's access logs, then drops what is still waiting, so that the next measurement
/// starts with nothing to spread: benchmark look-ups are no one's history, and the server
/// spreads far more slowly than a register under full load answers (see the README).
/// `db` is best opened before the server starts: opening tunes the database, which waits for
/// SQLite's one writer, and a busy server may hold it past the busy timeout.
pub fn spread_or_drop(db: &Database, limit: Duration) -> Result<Spreading> {
    let started = Instant::now();
    let waiting =
        || -> Result<i64> { Ok(db.read(|conn| Ok(access_log_pending::table.count().get_result(conn)?))?) };
    let at_start = waiting()?;
    let mut now = at_start;
    while now > 0 && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(100));
        now = waiting()?;
    }
    let took = started.elapsed();
    // The server's writer may hold SQLite's one writer for most of the busy timeout.
    if now > 0 {
        let mut attempts = 1;
        while let Err(error) = db.write(|conn| Ok(diesel::delete(access_log_pending::table).execute(conn)?)) {
            if attempts == 5 {
                return Err(error.into());
            }
            attempts += 1;
        }
    }
    Ok(Spreading {
        waiting: at_start,
        spread: at_start - now,
        took,
    })
}

/// The release `peertrack` binary, built now unless one was named.
pub fn peertrack_binary(named: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(path) = named {
        return Ok(path);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building the release peertrack binary...");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "peertrack-api", "--bin", "peertrack"])
        .current_dir(&workspace)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p peertrack-api failed");
    }
    let exe = std::env::current_exe()?;
    let path = exe.parent().context("the benchmark's folder")?.join("peertrack");
    if !path.exists() {
        bail!("{} was not built; pass --binary", path.display());
    }
    Ok(path)
}

/// The machine's load average (1, 5 and 15 minutes), to print beside the figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
