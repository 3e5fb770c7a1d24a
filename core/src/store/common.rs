//! Migrations, ids, stored times and the error helpers every store module uses.

use super::*;

/// The PostgreSQL advisory lock that instances starting at once take turns on to migrate.
const MIGRATION_LOCK: i64 = 7_341_021;

/// Applies every pending migration for the connection's backend. On PostgreSQL, instances
/// starting together take turns (an advisory lock), so the second finds nothing left to do.
pub fn run_migrations(conn: &mut DbConnection) -> Result<()> {
    let outcome = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Postgres(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let outcome = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            outcome
        }
    };
    outcome.map_err(|e| Error::Unavailable(format!("applying migrations failed: {e}")))
}

/// Sets how much of a SQLite database file a connection reads through memory mapping (0: none),
/// for scans of the whole register; no effect on PostgreSQL.
pub fn map_reads(conn: &mut DbConnection, bytes: u64) -> Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute(&format!("PRAGMA mmap_size = {bytes};"))?;
    }
    Ok(())
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub use crate::domain::clock::utc;

/// Converts a UTC instant to its stored form, to the microsecond: PostgreSQL keeps no more,
/// so both backends read back exactly what was written.
pub fn stored(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(6)
}

/// Turns diesel's "not found" into ours, naming what was looked for.
pub(crate) trait FoundOr<T> {
    fn found_or(self, what: &'static str) -> Result<T>;
}

impl<T> FoundOr<T> for diesel::QueryResult<T> {
    fn found_or(self, what: &'static str) -> Result<T> {
        match self {
            Ok(value) => Ok(value),
            Err(diesel::result::Error::NotFound) => Err(Error::NotFound(what)),
            Err(other) => Err(Error::Database(other)),
        }
    }
}

/// Whether a diesel error is a unique-constraint violation.
pub(crate) fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
