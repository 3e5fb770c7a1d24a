//! Group commit for the access log. Every register answer waits until its look-ups are in the
//! people's access logs; under load, one writer thread takes the look-ups of every request
//! waiting at that moment and commits them in one transaction, so a hundred concurrent pages
//! cost one commit rather than a hundred (on SQLite, one writer at a time either way).

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use super::register::{self, LookUp};
use super::Database;
use crate::{Error, Result};

/// Look-ups waiting to be written, and who to tell.
struct Pending {
    look_ups: Vec<LookUp>,
    done: tokio::sync::oneshot::Sender<Result<()>>,
}

/// The queue to the writer thread; the thread ends when the queue is dropped.
pub(crate) struct AccessLogWriter {
    queue: Sender<Pending>,
}

/// At most this many look-ups per transaction, so one statement stays under the parameter
/// limits (five columns each) and no request waits behind an unbounded batch.
const MAX_LOOK_UPS_PER_TRANSACTION: usize = 6_000;

impl AccessLogWriter {
    /// Starts the writer thread on `db`, which must not itself hold this writer (or the
    /// thread would keep its own queue alive).
    pub(crate) fn start(db: Database) -> Result<Self> {
        let (queue, pending) = mpsc::channel();
        std::thread::Builder::new()
            .name("access-log-writer".into())
            .spawn(move || write_batches(&db, &pending))
            .map_err(|e| Error::Unavailable(format!("cannot start the access-log writer: {e}")))?;
        Ok(AccessLogWriter { queue })
    }

    /// Queues look-ups and waits until they are committed.
    pub(crate) async fn record(&self, look_ups: Vec<LookUp>) -> Result<()> {
        if look_ups.is_empty() {
            return Ok(());
        }
        let (done, committed) = tokio::sync::oneshot::channel();
        self.queue
            .send(Pending { look_ups, done })
            .map_err(|_| Error::Unavailable("the access-log writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| Error::Unavailable("the access-log writer has stopped".into()))?
    }
}

fn write_batches(db: &Database, queue: &Receiver<Pending>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        let mut count = batch[0].look_ups.len();
        while count < MAX_LOOK_UPS_PER_TRANSACTION {
            match queue.try_recv() {
                Ok(next) => {
                    count += next.look_ups.len();
                    batch.push(next);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let started = std::time::Instant::now();
        let together = db.write(|conn| {
            for pending in &batch {
                for rows in pending.look_ups.chunks(MAX_LOOK_UPS_PER_TRANSACTION) {
                    register::record_look_ups(conn, rows)?;
                }
            }
            Ok(())
        });
        tracing::debug!(
            requests = batch.len(),
            look_ups = count,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "access log batch written"
        );
        if together.is_ok() {
            for pending in batch {
                let _ = pending.done.send(Ok(()));
            }
            continue;
        }
        // One request's rows should not fail another's: try each on its own.
        for pending in batch {
            let alone = db.write(|conn| {
                for rows in pending.look_ups.chunks(MAX_LOOK_UPS_PER_TRANSACTION) {
                    register::record_look_ups(conn, rows)?;
                }
                Ok(())
            });
            let _ = pending.done.send(alone);
        }
    }
}
