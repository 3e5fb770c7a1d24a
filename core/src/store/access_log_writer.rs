//! Group commit for the access log. Every register answer waits until its look-ups are
//! recorded; under load, one writer thread takes the look-ups of every request waiting at that
//! moment and commits them in one transaction, so a hundred concurrent pages cost one commit
//! rather than a hundred (on SQLite, one writer at a time either way). Each answer is one row,
//! however many people it showed; when no answer is waiting (or the backlog grows), the same
//! thread spreads those rows into each person's log in large batches.

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use super::owned_thread::OwnedThread;
use super::register::{self, LookUp};
use super::{Backend, Database};
use crate::{Error, Result};

/// Look-ups waiting to be written, and who to tell.
struct Pending {
    look_ups: Vec<LookUp>,
    done: tokio::sync::oneshot::Sender<Result<()>>,
}

/// The queue to the writer thread. Dropping it closes the queue and waits for the thread to
/// finish what it is doing, so no statement is left running while the process exits.
pub(crate) struct AccessLogWriter {
    thread: OwnedThread<Pending>,
}

/// At most this many answers per transaction, so no request waits behind an unbounded batch.
const MAX_LOOK_UPS_PER_TRANSACTION: usize = 2_000;

/// Answers spread into people's logs per transaction (up to 50 people each): small, so that a
/// request's own look-ups never wait long behind spreading for SQLite's one writer.
const SPREAD_PER_TRANSACTION: i64 = 20;

/// While requests keep coming, spread only once this many answers wait, so that a burst of
/// look-ups is answered at the speed of one row each and spread after it.
const BACKLOG_TO_SPREAD_UNDER_LOAD: usize = 50_000;

/// Once this thread's count of waiting answers passes [`BACKLOG_TO_SPREAD_UNDER_LOAD`], it
/// counts them in the database again at most this often before spreading under load: readers
/// spread what waits before reading a person's log, and so do other instances, so the count
/// of this thread alone only grows. (Without it, the benchmark's later register rows spread
/// under load as if 50,000 answers waited when a few thousand did, and their p99 went from
/// about 25 ms to about 100 ms.)
const RECOUNT_EVERY: Duration = Duration::from_secs(1);

/// Under load, at most one commit this often; an answer waits at most this long more for its
/// look-ups. Each commit changes the database, and on SQLite every reading connection then
/// drops its page cache at its next statement; committing a little less often lets readers
/// keep their caches between statements and collects more answers per commit. On SQLite a
/// commit is cheap and in process, and since each connection keeps its own unlocked cache
/// (`.cargo/config.toml`) refilling it is too: at 10 ms the one-person look-up spent most of
/// its time waiting here (5,300 answers a second, against 11,600 at 3 ms and 12,400 at 1 ms).
/// On PostgreSQL each commit is a round trip and a WAL flush by a server sharing the machine:
/// at 2 ms its register pages were 13% slower than at 10 ms.
fn min_commit_interval(backend: Backend) -> Duration {
    match backend {
        Backend::Sqlite => Duration::from_millis(2),
        Backend::Postgres => Duration::from_millis(10),
    }
}

/// A pause in register requests this long lets the thread spread: batch after batch, as long
/// as no request comes, so what a busy spell left waiting is in people's logs soon after it.
/// (It once waited this long again before every batch as well as the batch's own time: with
/// batches of one-person answers, 4,000 answers took over 4 s rather than well under 2.)
const PAUSE: Duration = Duration::from_millis(20);

/// After a batch fails to spread (the database busy or unreachable), the next try waits this
/// long.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// While requests keep coming or other writes are going on, spreading takes at most a quarter
/// of the writer's time: after each batch, the next waits until three times as long as the
/// batch took has passed. The thread itself never sleeps for it: look-ups that arrive
/// meanwhile are committed at once.
const REST_PER_SPREAD_TIME: u32 = 3;

impl AccessLogWriter {
    /// Starts the writer thread on `db`, which must not itself hold this writer (or the
    /// thread would keep its own queue alive).
    pub(crate) fn start(db: Database) -> Result<Self> {
        let thread = OwnedThread::spawn("access-log-writer", move |pending| write_batches(&db, &pending))
            .map_err(|e| Error::Unavailable(format!("cannot start the access-log writer: {e}")))?;
        Ok(AccessLogWriter { thread })
    }

    /// Queues look-ups; the answer says when they are committed.
    pub(crate) fn queue(
        &self,
        look_ups: Vec<LookUp>,
    ) -> Result<impl std::future::Future<Output = Result<()>> + use<>> {
        let (done, committed) = tokio::sync::oneshot::channel();
        if !look_ups.is_empty() {
            self.thread
                .send(Pending { look_ups, done })
                .map_err(|_| Error::Unavailable("the access-log writer has stopped".into()))?;
        } else {
            let _ = done.send(Ok(()));
        }
        Ok(async move {
            committed
                .await
                .map_err(|_| Error::Unavailable("the access-log writer has stopped".into()))?
        })
    }
}

fn write_batches(db: &Database, queue: &Receiver<Pending>) {
    // Answers written by this thread and not yet spread (others may add more; readers and the
    // idle spreading take care of those).
    let mut backlog: usize = 0;
    let mut maybe_waiting = true;
    // Requests have paused and the last batch moved something: spread the next after a gap.
    let mut draining = false;
    let min_interval = min_commit_interval(db.backend());
    let mut last_commit = Instant::now() - min_interval;
    let mut spreading = Spreading::new();
    let mut last_count = Instant::now() - RECOUNT_EVERY;
    loop {
        let next = if draining {
            // A gap between batches, in which a writer in another process (a command run
            // beside the service) finds the database free: SQLite lets such a writer poll,
            // not queue, so batch after batch with no gap would shut it out until the busy
            // timeout. A request arriving in the gap is answered at once.
            queue.recv_timeout(spreading.gap())
        } else if maybe_waiting {
            queue.recv_timeout(PAUSE)
        } else {
            // Nothing of ours waits: sleep until a request comes (readers spread what other
            // processes leave waiting, and so does the next start).
            queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        let first = match next {
            Ok(first) => first,
            Err(RecvTimeoutError::Timeout) => {
                match spreading.some(db, false) {
                    Some(moved) => {
                        backlog = left_after(backlog, moved);
                        maybe_waiting = moved > 0;
                        draining = moved > 0;
                    }
                    // Resting: wake again after the next pause.
                    None => {
                        maybe_waiting = true;
                        draining = false;
                    }
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        draining = false;
        if let Some(rest) = min_interval.checked_sub(last_commit.elapsed()) {
            std::thread::sleep(rest);
        }
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
        last_commit = Instant::now();
        write(db, batch);
        backlog += count;
        maybe_waiting = true;
        if backlog >= BACKLOG_TO_SPREAD_UNDER_LOAD && last_count.elapsed() >= RECOUNT_EVERY {
            // Readers and other instances spread too: count what really waits.
            if let Ok(waiting) = db.read(register::waiting_look_ups) {
                backlog = waiting;
            }
            last_count = Instant::now();
        }
        if backlog >= BACKLOG_TO_SPREAD_UNDER_LOAD {
            if let Some(moved) = spreading.some(db, true) {
                backlog = left_after(backlog, moved);
            }
        }
    }
    // Closed: stop at once. What still waits is stored; the next reader of a person's log, or
    // this thread after the next start's first register request, spreads it.
}

fn write(db: &Database, batch: Vec<Pending>) {
    let started = Instant::now();
    let together = db.write(|conn| {
        for pending in &batch {
            register::record_look_ups(conn, &pending.look_ups)?;
        }
        Ok(())
    });
    tracing::debug!(
        requests = batch.len(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "access log batch written"
    );
    if together.is_ok() {
        for pending in batch {
            let _ = pending.done.send(Ok(()));
        }
        return;
    }
    // One request's rows should not fail another's: try each on its own.
    for pending in batch {
        let alone = db.write(|conn| register::record_look_ups(conn, &pending.look_ups));
        let _ = pending.done.send(alone);
    }
}

/// What is left of `backlog` once a batch moved `moved` answers. A batch short of its limit
/// found nothing more waiting, whatever this thread counted: readers spread what waits before
/// reading a person's log, and so do other instances. (Counting on regardless, the writer
/// went on spreading under load, as if 50,000 answers waited, when others had spread all but
/// the last few thousand: the register's later rows in the benchmark paid for it.)
fn left_after(backlog: usize, moved: usize) -> usize {
    if moved < SPREAD_PER_TRANSACTION as usize {
        0
    } else {
        backlog.saturating_sub(moved)
    }
}

/// When the thread may next spread a batch.
struct Spreading {
    not_before: Instant,
    /// How long the last batch took.
    last_took: Duration,
}

/// The least gap between batches spread one after another.
const LEAST_GAP: Duration = Duration::from_millis(2);

impl Spreading {
    fn new() -> Self {
        Spreading {
            not_before: Instant::now(),
            last_took: Duration::ZERO,
        }
    }

    /// The gap after a batch before the next, when spreading one batch after another: a fifth
    /// of the time, at least [`LEAST_GAP`], leaves the database free.
    fn gap(&self) -> Duration {
        (self.last_took / 4).max(LEAST_GAP)
    }

    /// Spreads one batch of waiting answers into people's logs and says how many moved, or
    /// `None` while resting after the last batch or after a failure. Under load (`under_load`:
    /// requests are waiting for this thread's commits) or while others are writing, the next
    /// batch waits [`REST_PER_SPREAD_TIME`] times as long as this one took, and meanwhile the
    /// thread goes on committing look-ups. (It once spread after every commit once the backlog
    /// passed its threshold, so every request waited for a spread as well as its commit: the
    /// one-person look-up, measured after 100,000 page answers, fell from 3,702 to 1,363
    /// answers a second.)
    fn some(&mut self, db: &Database, under_load: bool) -> Option<usize> {
        let started = Instant::now();
        if started < self.not_before {
            return None;
        }
        let spread = db.write(|conn| register::spread_pending_look_ups(conn, SPREAD_PER_TRANSACTION));
        self.last_took = started.elapsed();
        if under_load || db.others_are_writing() {
            self.not_before = Instant::now() + self.last_took * REST_PER_SPREAD_TIME;
        }
        match spread {
            Ok(moved) => Some(moved),
            Err(error) => {
                // They stay waiting, and readers spread them before reading, so nothing is lost.
                // Resting, not "nothing waits": the thread tries again after the next pause
                // (it once took the failure for an empty queue and slept until the next
                // register request, leaving 19,830 answers unspread after one busy moment).
                tracing::warn!(%error, "could not spread look-ups into the access log yet");
                self.not_before = self.not_before.max(Instant::now() + RETRY_AFTER_FAILURE);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_batch_means_nothing_more_waits() {
        assert_eq!(left_after(60_000, 20), 59_980, "a full batch: more may wait");
        assert_eq!(left_after(60_000, 3), 0, "others spread the rest");
        assert_eq!(left_after(60_000, 0), 0);
        assert_eq!(left_after(10, 20), 0);
    }
}
