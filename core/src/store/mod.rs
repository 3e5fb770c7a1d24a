//! Storage with diesel on SQLite (embedded default) or PostgreSQL, one schema for both.
//!
//! Queries go through [`DbConnection`], diesel's multi-backend connection; a function matches on
//! the variant only where the SQL really differs (upserts, row locking).

mod access_log_writer;
pub mod assessments;
pub mod attendance;
pub mod audit;
pub mod backup;
pub mod calendar_feeds;
pub mod certificates;
pub mod changes;
pub mod check_in;
pub mod cohorts;
pub mod consents;
pub mod cpd;
pub mod delivery;
pub mod operations;
pub mod organisations;
pub mod outbox;
pub mod people;
pub mod personal_data;
pub mod placements;
pub mod programmes;
pub mod rate_limits;
pub mod register;
pub mod schema;
pub mod status_lists;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use self::access_log_writer::AccessLogWriter;
use self::checkpointer::Checkpointer;
use crate::{Error, Result};

mod checkpointer;
mod common;
mod owned_thread;
pub use common::*;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// The embedded default.
    Sqlite(SqliteConnection),
    /// For deployments with several API instances.
    Postgres(PgConnection),
}

/// Which database a `PEERTRACK_DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

/// Why a database URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    /// A scheme other than `sqlite`, `postgres` or `postgresql`.
    #[error("unknown scheme {0:?}: use a SQLite file path, sqlite://path or postgres://...")]
    UnknownScheme(String),
    /// Nothing after the scheme.
    #[error("no database named: use a SQLite file path, sqlite://path or postgres://...")]
    Empty,
}

impl DatabaseUrl {
    /// Reads a plain path, `sqlite://path`, `sqlite:path`, `postgres://...` or `postgresql://...`.
    pub fn parse(text: &str) -> Result<Self, DatabaseUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_string()));
        }
        let path = if let Some(rest) = text.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = text.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = text.split_once("://") {
            return Err(DatabaseUrlError::UnknownScheme(scheme.to_string()));
        } else {
            text
        };
        if path.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// The two backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Opens connections for the pool.
#[derive(Debug, Clone)]
pub struct ConnectionOpener {
    url: DatabaseUrl,
}

impl ConnectionOpener {
    fn open(&self) -> diesel::ConnectionResult<DbConnection> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(DbConnection::Sqlite)
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgres),
        }
    }
}

/// A connection given back to the pool in good order this recently is not checked again before
/// its next use. On PostgreSQL the check is a round trip (`SELECT 1`): two of the sixteen
/// statements of a learner's progress page, and of the fourteen of a register's save. This is
/// HikariCP's "alive bypass window", with its 500 ms.
const CHECKED_RECENTLY: Duration = Duration::from_millis(500);

/// A connection in the pool, with when it was last given back after work that went well.
pub struct PoolConnection {
    conn: DbConnection,
    /// `None` when new, and after work that failed (whatever the cause: a dropped connection
    /// shows itself as an error, and then the next use checks it first).
    fine_at: Option<Instant>,
}

impl std::ops::Deref for PoolConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl PoolConnection {
    /// Notes how the work done on it went, for the check before its next use.
    fn worked<T>(&mut self, outcome: &Result<T>) {
        self.fine_at = outcome.is_ok().then(Instant::now);
    }
}

impl ManageConnection for ConnectionOpener {
    type Connection = PoolConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PoolConnection, Self::Error> {
        let conn = self.open().map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(PoolConnection { conn, fine_at: None })
    }

    fn is_valid(&self, pooled: &mut PoolConnection) -> Result<(), Self::Error> {
        if pooled.fine_at.is_some_and(|at| at.elapsed() < CHECKED_RECENTLY) {
            return Ok(());
        }
        pooled.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut PoolConnection) -> bool {
        pooled.conn.is_broken()
    }
}

/// Gathers SQLite's planner statistics, sampling each index (a few milliseconds on a
/// gigabyte). Without them SQLite prefers a unique index over a covering one, and reads a
/// table page per row where the index alone would do.
pub const SQLITE_ANALYZE: &str = "PRAGMA analysis_limit = 400; ANALYZE;";

/// Runs `work` in one transaction on `conn`, committed if it succeeds and rolled back if not.
///
/// On SQLite the transaction begins `IMMEDIATE`, taking the database's one write lock at once
/// (waiting for it up to `busy_timeout`). A plain `BEGIN` takes the lock at the first write; if
/// another process (a `peertrack admin` command beside the service) committed after this
/// transaction's first read, SQLite cannot let it write on what it read, and fails that write
/// at once with `database is locked` (`SQLITE_BUSY_SNAPSHOT`), without waiting at all. Within
/// this process writers already take turns ([`Database::write`]), so beginning with the lock
/// costs them nothing.
///
/// Written out rather than diesel's: its `immediate_transaction` is on `SqliteConnection`
/// alone, and `work` needs the `DbConnection`; this is diesel's own `transaction` with the
/// first statement chosen per backend.
fn in_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => Manager::begin_transaction(conn)?,
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            // A broken transaction manager says less than what broke it.
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Per-connection settings: SQLite needs its pragmas on every connection it opens.
#[derive(Debug)]
struct ConnectionSettings;

/// WAL lets readers work while one writer writes; `synchronous = NORMAL` in WAL mode keeps every
/// committed transaction across a crash of the process (only power loss can drop the last few).
/// `busy_timeout` comes first so that switching a new file to WAL waits for other connections.
/// Statement journals stay in memory (a multi-row insert would otherwise write a temporary
/// file), and the WAL is checkpointed every 16 MiB rather than every 4 MiB, so that frequent
/// small writes (the access log) coalesce. The page cache stays at SQLite's 2 MiB: in WAL mode a
/// connection drops its cache whenever another has committed, which under load is always.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 4096;";

impl ConnectionSettings {
    fn apply(conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(sqlite) = conn {
            sqlite
                .batch_execute(SQLITE_PRAGMAS)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

impl CustomizeConnection<PoolConnection, diesel::r2d2::Error> for ConnectionSettings {
    fn on_acquire(&self, pooled: &mut PoolConnection) -> Result<(), diesel::r2d2::Error> {
        ConnectionSettings::apply(&mut pooled.conn)
    }
}

/// A pooled connection.
pub type PooledDb = PooledConnection<ConnectionOpener>;

/// The database: a connection pool, and on SQLite the lock that keeps to one writer at a time.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionOpener>,
    // On SQLite, the write-ahead log's checkpoints, off the commits' path; the thread stops
    // when the last handle goes.
    _checkpointer: Option<Arc<Checkpointer>>,
    backend: Backend,
    // SQLite allows one writer; taking turns here avoids SQLITE_BUSY between our own connections.
    sqlite_writer: Arc<Mutex<()>>,
    // Started on first use (then each request writes itself if it cannot start, or once stopped).
    access_log: Arc<Mutex<AccessLogThread>>,
    // Async callers take turns here rather than in the pool: no more blocking threads than
    // connections wait at once, so a burst of requests does not start a thread (and a memory
    // arena) each. Reads and writes have their own turns, so queued writes never hold up reads.
    read_turns: Arc<tokio::sync::Semaphore>,
    write_turns: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish()
    }
}

/// The access log's writer thread, if started.
enum AccessLogThread {
    NotStarted,
    Running(AccessLogWriter),
    Stopped,
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long to wait for a connection before giving up.
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    /// Two connections per core, at least four: queries here are short and CPU-bound (the
    /// database is local or near), so more connections than that only add switching and
    /// memory (each SQLite connection keeps its own page cache).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PoolOptions {
            max_connections: u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Database {
    /// Connects, applies pending migrations and opens the pool.
    pub fn open(url: &DatabaseUrl, options: PoolOptions) -> Result<Self> {
        if let DatabaseUrl::Sqlite(path) = url {
            check_sqlite_path(path)?;
        }
        let opener = ConnectionOpener { url: url.clone() };
        let mut first = opener.open().map_err(|e| Error::Unavailable(e.to_string()))?;
        ConnectionSettings::apply(&mut first).map_err(|e| Error::Unavailable(e.to_string()))?;
        run_migrations(&mut first)?;
        if let DbConnection::Sqlite(sqlite) = &mut first {
            // Statistics for tables that have none yet, or have grown tenfold since.
            sqlite
                .batch_execute("PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002;")
                .map_err(|e| Error::Unavailable(e.to_string()))?;
        }
        drop(first);
        let pool = Pool::builder()
            .max_size(options.max_connections)
            // A SQLite file does not go away under a connection; a PostgreSQL server may, so
            // there a connection is checked before each use unless it was fine moments ago
            // (`CHECKED_RECENTLY`).
            .test_on_check_out(url.backend() == Backend::Postgres)
            .connection_timeout(options.connect_timeout)
            .connection_customizer(Box::new(ConnectionSettings))
            .build(opener.clone())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let checkpointer = match url.backend() {
            Backend::Sqlite => Some(Arc::new(Checkpointer::start(&opener)?)),
            Backend::Postgres => None,
        };
        Ok(Database {
            pool,
            _checkpointer: checkpointer,
            backend: url.backend(),
            sqlite_writer: Arc::new(Mutex::new(())),
            access_log: Arc::new(Mutex::new(AccessLogThread::NotStarted)),
            read_turns: Arc::new(tokio::sync::Semaphore::new(options.max_connections as usize)),
            write_turns: Arc::new(tokio::sync::Semaphore::new(options.max_connections as usize)),
        })
    }

    /// Which backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool (blocking).
    pub fn conn(&self) -> Result<PooledDb> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` inside one transaction: everything it writes lands together or not at all.
    pub fn write<T>(&self, work: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let mut pooled = self.conn()?;
        let outcome = in_transaction(&mut pooled.conn, work);
        pooled.worked(&outcome);
        outcome
    }

    /// Runs `work` on a pooled connection, without a transaction; for reads.
    pub fn read<T>(&self, work: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        let mut pooled = self.conn()?;
        let outcome = work(&mut pooled.conn);
        pooled.worked(&outcome);
        outcome
    }

    /// Like [`Database::write`], off the async runtime's threads.
    pub async fn write_async<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let _turn = take_turn(&self.write_turns).await?;
        let db = self.clone();
        run_blocking(move || db.write(work)).await
    }

    /// Whether any caller of [`Database::write_async`] is writing or waiting to write now.
    pub(crate) fn others_are_writing(&self) -> bool {
        self.write_turns.available_permits() < self.pool.max_size() as usize
    }

    /// Like [`Database::read`], off the async runtime's threads.
    pub async fn read_async<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let _turn = take_turn(&self.read_turns).await?;
        let db = self.clone();
        run_blocking(move || db.read(work)).await
    }

    /// Records look-ups in the access log and returns once they are committed. Look-ups of
    /// concurrent requests share one transaction (group commit).
    pub async fn record_look_ups(&self, look_ups: Vec<register::LookUp>) -> Result<()> {
        let queued = {
            let mut thread = self.access_log.lock().unwrap_or_else(|p| p.into_inner());
            if let AccessLogThread::NotStarted = *thread {
                // The writer's own handle has no writer, so it never keeps itself alive.
                let handle = Database {
                    access_log: Arc::new(Mutex::new(AccessLogThread::Stopped)),
                    ..self.clone()
                };
                *thread = match AccessLogWriter::start(handle) {
                    Ok(writer) => AccessLogThread::Running(writer),
                    Err(_) => AccessLogThread::Stopped,
                };
            }
            match &*thread {
                AccessLogThread::Running(writer) => Ok(writer.queue(look_ups)?),
                _ => Err(look_ups),
            }
        };
        match queued {
            Ok(committed) => committed.await,
            Err(look_ups) => {
                self.write_async(move |conn| register::record_look_ups(conn, &look_ups))
                    .await
            }
        }
    }

    /// Stops the access log's thread (waiting for what it is writing), for a clean exit; later
    /// look-ups are written by their own requests.
    pub fn stop_background_writes(&self) {
        let stopped = {
            let mut thread = self.access_log.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *thread, AccessLogThread::Stopped)
        };
        drop(stopped);
    }

    /// Connections open in the pool, how many of them are idle, and the most it opens.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections, self.pool.max_size())
    }

    /// How many of this build's migrations the database has not applied (for readiness: an
    /// instance of this build must not serve a schema it does not know).
    pub fn pending_migrations(&self) -> Result<usize> {
        self.read(|conn| {
            let pending = match conn {
                DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|m| m.len()),
                DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|m| m.len()),
            };
            pending.map_err(|e| Error::Unavailable(format!("reading the applied migrations failed: {e}")))
        })
    }

    /// Whether the database answers a trivial query.
    pub fn ping(&self) -> Result<()> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
    }
}

async fn take_turn(turns: &tokio::sync::Semaphore) -> Result<tokio::sync::SemaphorePermit<'_>> {
    turns
        .acquire()
        .await
        .map_err(|_| Error::Unavailable("the database is closing".into()))
}

async fn run_blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(job).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Fails early, in words, when a SQLite file cannot be created or written.
fn check_sqlite_path(path: &std::path::Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::Unavailable(format!(
            "the folder {} does not exist",
            parent.display()
        )));
    }
    let probe = std::fs::OpenOptions::new().create(true).append(true).open(path);
    probe
        .map(|_| ())
        .map_err(|e| Error::Unavailable(format!("cannot write the SQLite file {}: {e}", path.display())))
}
