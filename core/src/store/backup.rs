//! Consistent copies of a live database, for `peertrack backup PATH`.
//!
//! SQLite: `VACUUM INTO` a temporary name beside the target reads one snapshot while writers
//! carry on (WAL), so the copy holds every transaction committed before it started and none
//! half-done; the copy is checked with `PRAGMA integrity_check`, synced, and only then given
//! its name. Copying the `.db` file alone is not safe while the service runs: recent commits
//! live in the `-wal` file until a checkpoint.
//!
//! PostgreSQL: `pg_dump` (custom format, `--no-owner`) from an exported snapshot, so the row
//! counts reported are exactly those in the dump. Without `pg_dump` the command says how to run
//! it rather than pretend.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryDsl, QueryableByName, RunQueryDsl};

use super::schema::{attendance, certificates, people};
use super::DatabaseUrl;

/// Why a backup was not made; each message is one plain line.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Something is already at the target path; a backup never replaces a file.
    #[error("{0} already exists: a backup never overwrites a file, so choose a new name")]
    TargetExists(PathBuf),
    /// The target names no file (e.g. `..`).
    #[error("{0} is not a file name to write a backup to")]
    NotAFileName(PathBuf),
    /// The folder the backup should go in is missing or unreadable.
    #[error("cannot use the folder {folder} for the backup: {reason}")]
    Folder {
        /// The folder.
        folder: PathBuf,
        /// Why not, from the operating system.
        reason: String,
    },
    /// The configured SQLite file does not exist, so there is nothing to copy.
    #[error("there is no SQLite database at {0} to back up")]
    NoSource(PathBuf),
    /// SQLite refused the copy or a query on it.
    #[error("the SQLite backup failed: {0}")]
    Sqlite(String),
    /// The copy does not pass `PRAGMA integrity_check`; it was removed.
    #[error("the copy failed its integrity check and was removed: {0}")]
    Integrity(String),
    /// Reading, syncing or naming a file failed.
    #[error("{what} {path}: {reason}")]
    File {
        /// What was being done, e.g. "cannot sync".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why not, from the operating system.
        reason: String,
    },
    /// The database is PostgreSQL and `pg_dump` is not on `PATH`.
    #[error(
        "pg_dump was not found on PATH: install the PostgreSQL client tools, or back up with \
         `pg_dump --format=custom --no-owner --file=BACKUP \"$PEERTRACK_DATABASE_URL\"` \
         (restore with `pg_restore --no-owner --dbname=URL BACKUP`)"
    )]
    PgDumpMissing,
    /// PostgreSQL could not be reached, or refused a query.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// `pg_dump` ran and failed; its own last words.
    #[error("pg_dump failed: {0}")]
    PgDump(String),
}

impl From<diesel::result::Error> for BackupError {
    fn from(error: diesel::result::Error) -> Self {
        BackupError::Postgres(error.to_string())
    }
}

/// How a backup was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFormat {
    /// A SQLite database file: start `peertrack serve` on it to restore.
    Sqlite,
    /// A `pg_dump` custom-format archive: load it with `pg_restore`.
    PgDumpCustom,
}

/// Rows in the tables a person would check first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    /// Rows in `people`.
    pub people: i64,
    /// Rows in `attendance`: one per learner per session marked.
    pub attendance_records: i64,
    /// Rows in `certificates`.
    pub certificates: i64,
}

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// Where it was written.
    pub path: PathBuf,
    /// How.
    pub format: BackupFormat,
    /// Its size in bytes.
    pub bytes: u64,
    /// What it holds.
    pub counts: RowCounts,
    /// Whether the copy was read back and found whole: SQLite's `integrity_check`, or
    /// `pg_restore --list` (`false` when pg_restore is not installed to ask).
    pub verified: bool,
}

impl fmt::Display for BackupReport {
    /// Two plain lines: where and how big, then what it holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = human_size(self.bytes);
        match self.format {
            BackupFormat::Sqlite => writeln!(
                f,
                "Backed up to {} ({size}, {} bytes); integrity check: ok.",
                self.path.display(),
                self.bytes
            )?,
            BackupFormat::PgDumpCustom => writeln!(
                f,
                "Backed up with pg_dump (custom format) to {} ({size}, {} bytes); {}",
                self.path.display(),
                self.bytes,
                if self.verified {
                    "pg_restore can read it."
                } else {
                    "not read back: pg_restore is not on PATH."
                }
            )?,
        }
        write!(
            f,
            "It holds {} people, {} attendance records and {} certificates.",
            self.counts.people, self.counts.attendance_records, self.counts.certificates
        )
    }
}

/// Writes a consistent copy of the database at `source` to `target`, which must not exist.
/// Blocking: run it off the async runtime.
pub fn back_up(source: &DatabaseUrl, target: &Path) -> Result<BackupReport, BackupError> {
    let target = Target::resolve(target)?;
    match source {
        DatabaseUrl::Sqlite(path) => back_up_sqlite(path, &target),
        DatabaseUrl::Postgres(url) => back_up_postgres(url, &target),
    }
}

/// The final path and the temporary one beside it (same folder, so the rename stays on one
/// filesystem and is atomic).
struct Target {
    path: PathBuf,
    temporary: PathBuf,
    folder: PathBuf,
}

impl Target {
    fn resolve(target: &Path) -> Result<Self, BackupError> {
        let name = target
            .file_name()
            .ok_or_else(|| BackupError::NotAFileName(target.to_path_buf()))?;
        let folder = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // Absolute, so SQLite never reads the name as a `file:` URI.
        let folder = folder.canonicalize().map_err(|e| BackupError::Folder {
            folder: folder.to_path_buf(),
            reason: e.to_string(),
        })?;
        let path = folder.join(name);
        // symlink_metadata: a dangling link is "something there" too.
        if path.symlink_metadata().is_ok() {
            return Err(BackupError::TargetExists(target.to_path_buf()));
        }
        let mut temporary_name = OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".partial-{}", uuid::Uuid::new_v4().simple()));
        Ok(Target {
            temporary: folder.join(temporary_name),
            path,
            folder,
        })
    }

    /// Syncs the finished temporary file, gives it the final name without replacing anything
    /// that appeared there meanwhile, and syncs the folder so the name survives a crash too.
    fn publish(&self) -> Result<u64, BackupError> {
        let file_error = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| BackupError::File {
                what,
                path,
                reason: e.to_string(),
            }
        };
        let file = File::open(&self.temporary).map_err(file_error("cannot open", &self.temporary))?;
        file.sync_all()
            .map_err(file_error("cannot sync", &self.temporary))?;
        let bytes = file
            .metadata()
            .map_err(file_error("cannot read", &self.temporary))?
            .len();
        drop(file);
        // A hard link fails if the name is taken, where rename would silently replace it.
        match std::fs::hard_link(&self.temporary, &self.path) {
            Ok(()) => {
                std::fs::remove_file(&self.temporary).map_err(file_error("cannot remove", &self.temporary))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::TargetExists(self.path.clone()))
            }
            // Filesystems without hard links: check, then rename.
            Err(_) => {
                if self.path.symlink_metadata().is_ok() {
                    return Err(BackupError::TargetExists(self.path.clone()));
                }
                std::fs::rename(&self.temporary, &self.path)
                    .map_err(file_error("cannot rename the backup to", &self.path))?;
            }
        }
        #[cfg(unix)]
        File::open(&self.folder)
            .and_then(|folder| folder.sync_all())
            .map_err(file_error("cannot sync the folder", &self.folder))?;
        Ok(bytes)
    }

    /// Removes what a failed attempt left under the temporary name.
    fn discard(&self) {
        let _ = std::fs::remove_file(&self.temporary);
        let mut journal = self.temporary.clone().into_os_string();
        journal.push("-journal");
        let _ = std::fs::remove_file(journal);
    }
}

fn back_up_sqlite(source: &Path, target: &Target) -> Result<BackupReport, BackupError> {
    // Opening would create an empty database, and back that up; say so instead.
    if !source.is_file() {
        return Err(BackupError::NoSource(source.to_path_buf()));
    }
    // A plain connection rather than `Database::open`: a backup must not apply migrations,
    // e.g. when a newer binary backs up the database of an older service before an upgrade.
    let sqlite_error = |e: &dyn fmt::Display| BackupError::Sqlite(e.to_string());
    let mut conn = SqliteConnection::establish(&source.to_string_lossy()).map_err(|e| sqlite_error(&e))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| sqlite_error(&e))?;
    let temporary = target
        .temporary
        .to_str()
        .ok_or_else(|| BackupError::NotAFileName(target.path.clone()))?;
    // A bound parameter: VACUUM INTO takes an expression, so no quoting of the path.
    let copied = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(temporary)
        .execute(&mut conn);
    drop(conn);
    let result = copied
        .map_err(|e| sqlite_error(&e))
        .and_then(|_| check_sqlite_file(&target.temporary))
        .and_then(|counts| Ok((counts, target.publish()?)));
    match result {
        Ok((counts, bytes)) => Ok(BackupReport {
            path: target.path.clone(),
            format: BackupFormat::Sqlite,
            bytes,
            counts,
            verified: true,
        }),
        Err(error) => {
            target.discard();
            Err(error)
        }
    }
}

#[derive(QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Runs `PRAGMA integrity_check` on a SQLite file (a backup, or a database at rest) and counts
/// its rows; an error unless the check says exactly "ok".
pub fn check_sqlite_file(path: &Path) -> Result<RowCounts, BackupError> {
    let sqlite_error = |e: &dyn fmt::Display| BackupError::Sqlite(e.to_string());
    if !path.is_file() {
        return Err(BackupError::NoSource(path.to_path_buf()));
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| sqlite_error(&e))?;
    let lines: Vec<IntegrityLine> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| sqlite_error(&e))?;
    let lines: Vec<String> = lines.into_iter().map(|l| l.integrity_check).collect();
    if lines != ["ok"] {
        return Err(BackupError::Integrity(lines.join("; ")));
    }
    count_rows(&mut conn).map_err(|e| sqlite_error(&e))
}

/// People, attendance records and certificates, on either backend's connection.
fn count_rows<C>(conn: &mut C) -> diesel::QueryResult<RowCounts>
where
    C: Connection,
    for<'a> diesel::dsl::Select<people::table, diesel::dsl::CountStar>:
        diesel::query_dsl::LoadQuery<'a, C, i64>,
    for<'a> diesel::dsl::Select<attendance::table, diesel::dsl::CountStar>:
        diesel::query_dsl::LoadQuery<'a, C, i64>,
    for<'a> diesel::dsl::Select<certificates::table, diesel::dsl::CountStar>:
        diesel::query_dsl::LoadQuery<'a, C, i64>,
{
    Ok(RowCounts {
        people: people::table.count().get_result(conn)?,
        attendance_records: attendance::table.count().get_result(conn)?,
        certificates: certificates::table.count().get_result(conn)?,
    })
}

fn back_up_postgres(url: &str, target: &Target) -> Result<BackupReport, BackupError> {
    let pg_dump = find_on_path("pg_dump").ok_or(BackupError::PgDumpMissing)?;
    let (url_without_password, password) = split_password(url);
    let mut conn = PgConnection::establish(url).map_err(|e| BackupError::Postgres(e.to_string()))?;
    // One snapshot for the counts and the dump, so the counts describe the dump exactly.
    let dumped = conn.build_transaction().repeatable_read().read_only().run(
        |conn| -> Result<RowCounts, BackupError> {
            #[derive(QueryableByName)]
            struct Snapshot {
                #[diesel(sql_type = Text)]
                pg_export_snapshot: String,
            }
            let snapshot: Snapshot = diesel::sql_query("SELECT pg_export_snapshot()").get_result(conn)?;
            let counts = count_rows(conn)?;
            let mut command = Command::new(&pg_dump);
            command
                .arg("--format=custom")
                .arg("--no-owner")
                .arg(format!("--snapshot={}", snapshot.pg_export_snapshot))
                .arg("--file")
                .arg(&target.temporary)
                .arg("--dbname")
                .arg(&url_without_password)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            // The password goes by environment, not argument, where `ps` would show it.
            if let Some(password) = &password {
                command.env("PGPASSWORD", password);
            }
            let output = command.output().map_err(|e| BackupError::PgDump(e.to_string()))?;
            if !output.status.success() {
                return Err(BackupError::PgDump(last_words(&output.stderr, output.status)));
            }
            Ok(counts)
        },
    );
    drop(conn);
    let result = dumped
        .and_then(|counts| Ok((counts, check_archive(&target.temporary)?)))
        .and_then(|(counts, verified)| Ok((counts, verified, target.publish()?)));
    match result {
        Ok((counts, verified, bytes)) => Ok(BackupReport {
            path: target.path.clone(),
            format: BackupFormat::PgDumpCustom,
            bytes,
            counts,
            verified,
        }),
        Err(error) => {
            target.discard();
            Err(error)
        }
    }
}

/// Reads the archive's table of contents with `pg_restore --list`; `false` when pg_restore
/// is not installed.
fn check_archive(archive: &Path) -> Result<bool, BackupError> {
    let Some(pg_restore) = find_on_path("pg_restore") else {
        return Ok(false);
    };
    let output = Command::new(pg_restore)
        .arg("--list")
        .arg(archive)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .map_err(|e| BackupError::PgDump(format!("pg_restore --list: {e}")))?;
    if output.status.success() {
        Ok(true)
    } else {
        Err(BackupError::PgDump(format!(
            "pg_restore cannot read the archive: {}",
            last_words(&output.stderr, output.status)
        )))
    }
}

/// The last line a tool wrote on stderr, or its exit status if it wrote nothing.
fn last_words(stderr: &[u8], status: std::process::ExitStatus) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| status.to_string())
}

/// The first executable called `name` on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|folder| folder.join(&file))
        .find(|candidate| candidate.is_file())
}

/// The URL with its password taken out, and the password (percent-decoded), if it had one.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = credentials.split_once(':') else {
        return (url.to_string(), None);
    };
    (
        format!("{scheme}://{user}@{host}{path}"),
        Some(
            percent_encoding::percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned(),
        ),
    )
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1000.0;
    let mut unit = 0;
    while size >= 1000.0 && unit + 1 < UNITS.len() {
        size /= 1000.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_and_is_decoded() {
        assert_eq!(
            split_password("postgres://ada:p%40ss:w@db.example.org:5432/peertrack?sslmode=require"),
            (
                "postgres://ada@db.example.org:5432/peertrack?sslmode=require".to_string(),
                Some("p@ss:w".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://root@127.0.0.1/test"),
            ("postgres://root@127.0.0.1/test".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://localhost/test"),
            ("postgresql://localhost/test".to_string(), None)
        );
    }

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1_460_000), "1.5 MB");
    }

    #[test]
    fn a_target_that_exists_is_refused_by_name() {
        let folder = tempfile::tempdir().unwrap();
        let taken = folder.path().join("taken.db");
        std::fs::write(&taken, "keep me").unwrap();
        let refused = Target::resolve(&taken).err().unwrap();
        assert!(matches!(refused, BackupError::TargetExists(_)));
        assert!(
            refused.to_string().contains("taken.db already exists"),
            "{refused}"
        );
        let missing = Target::resolve(&folder.path().join("no-such-folder/x.db"))
            .err()
            .unwrap();
        assert!(missing.to_string().contains("no-such-folder"), "{missing}");
    }
}
