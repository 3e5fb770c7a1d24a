//! WAL checkpoints on SQLite, off the commit path. SQLite copies the write-ahead log back into
//! the database file (a checkpoint) inside the commit that takes the log past
//! `wal_autocheckpoint` pages, so that one commit, and every request waiting for it, waits
//! for the copy and its `fsync`. Under register load the access log's writer makes that
//! commit most of the time. This thread copies what the log holds every [`EVERY`] in
//! `PASSIVE` mode, which takes no lock that readers or the writer wait for, so the commit that
//! crosses the threshold finds little left to copy: the register page's p99 at 100,000 people
//! fell from 28 to 15 ms. `wal_autocheckpoint` stays on, both as the backstop should this
//! thread fall behind and because only a checkpoint on the writer's own turn lets the log
//! start again from its beginning while commits keep coming.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::owned_thread::OwnedThread;
use super::{ConnectionOpener, DbConnection};
use crate::{Error, Result};

/// How often the log is copied back. At the register's full load the log grows by about ten
/// megabytes a second (one row of some 2 KB per answer); copying every quarter of a second
/// keeps each copy to a few megabytes.
const EVERY: Duration = Duration::from_millis(250);

/// The checkpointing thread; dropping this stops it (nothing is ever sent to it).
pub(crate) struct Checkpointer {
    _thread: OwnedThread<()>,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own (not one of the pool's, which serve
    /// requests); the database opens one for SQLite.
    pub(crate) fn start(opener: &ConnectionOpener) -> Result<Self> {
        let mut conn = opener
            .open()
            .map_err(|e| Error::Unavailable(format!("cannot open a connection to checkpoint: {e}")))?;
        let thread = OwnedThread::spawn("sqlite-checkpointer", move |stopped| {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                if let Err(error) = checkpoint(&mut conn) {
                    tracing::warn!(%error, "could not checkpoint the write-ahead log");
                }
            }
        })
        .map_err(|e| Error::Unavailable(format!("cannot start the checkpointer: {e}")))?;
        Ok(Checkpointer { _thread: thread })
    }
}

/// Copies what the log holds into the database file, without waiting for anyone.
fn checkpoint(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")?;
    }
    Ok(())
}
