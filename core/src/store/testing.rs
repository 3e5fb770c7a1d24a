//! Fresh, isolated databases for tests, built from the real migrations.
//!
//! SQLite: a new file in a temporary folder. PostgreSQL: a new database on the server named by
//! `PEERTRACK_TEST_POSTGRES_URL`, dropped afterwards. Without that variable, PostgreSQL tests
//! print that they were skipped; with it set but the server unreachable, they fail.

use diesel::{Connection, RunQueryDsl};

use super::{Backend, Database, DatabaseUrl, PoolOptions};

/// The variable naming the PostgreSQL server for tests, e.g. `postgres://root@127.0.0.1/test`.
pub const POSTGRES_URL_VARIABLE: &str = "PEERTRACK_TEST_POSTGRES_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    /// The open database, migrated.
    pub db: Database,
    /// Its URL, for starting a server on it.
    pub url: DatabaseUrl,
    _folder: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl std::ops::Deref for TestDatabase {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.db
    }
}

impl TestDatabase {
    /// A new database on `backend`: the one switch between the two for every test. `None`
    /// (with a notice) for PostgreSQL when no server is configured.
    pub fn on(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(),
        }
    }

    /// A new SQLite database in a temporary folder.
    pub fn sqlite() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder for the test database");
        let url = DatabaseUrl::Sqlite(folder.path().join("peertrack-test.db"));
        let db = Database::open(&url, PoolOptions::default()).expect("open the SQLite test database");
        TestDatabase {
            db,
            url,
            _folder: Some(folder),
            postgres: None,
        }
    }

    /// A new PostgreSQL database, or `None` (with a notice) when no server is configured.
    pub fn postgres() -> Option<Self> {
        let Ok(server) = std::env::var(POSTGRES_URL_VARIABLE) else {
            eprintln!("SKIPPED (PostgreSQL): set {POSTGRES_URL_VARIABLE} to run this test on PostgreSQL");
            return None;
        };
        let name = format!("peertrack_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(&server).unwrap_or_else(|e| {
            panic!("{POSTGRES_URL_VARIABLE} is set but PostgreSQL cannot be reached: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create the PostgreSQL test database");
        let url = DatabaseUrl::Postgres(with_database(&server, &name));
        let db = Database::open(
            &url,
            PoolOptions {
                max_connections: 4,
                ..PoolOptions::default()
            },
        )
        .expect("open the PostgreSQL test database");
        Some(TestDatabase {
            db,
            url,
            _folder: None,
            postgres: Some((server, name)),
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // No background write may still be running against the database about to go.
        self.db.stop_background_writes();
        if let Some((server, name)) = &self.postgres {
            if let Ok(mut admin) = diesel::PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

/// The same server URL with another database name.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Declares each named test function `fn(&Database)` twice: once on SQLite, once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    let test_db = $crate::store::testing::TestDatabase::sqlite();
                    super::$name(&test_db.db);
                }
            )+
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(test_db) = $crate::store::testing::TestDatabase::postgres() {
                        super::$name(&test_db.db);
                    }
                }
            )+
        }
    };
}
