//! The one test harness of the workspace.
//!
//! - [`TestServer`]: a real Peertrack server in this process on a fresh database
//!   (`peertrack_core::store::testing::TestDatabase`), on a free loopback port, driven over
//!   HTTP with a real client; [`e2e_on_both_backends!`] runs a test on each [`Backend`].
//! - [`process::Peertrack`]: the real `peertrack` executable as a child process, for the tests
//!   of the command line, crashes, stopping and backups (`api/tests/binary`).
//! - [`mail::SmtpServer`]: a real SMTP server on loopback, for both.
//! - [`bearer_token`]: the one way a test makes a person's bearer token.

pub mod bench;
pub mod contract;
pub mod credentials;
pub mod mail;
pub mod process;
pub mod scenario;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use peertrack_api::config::Config;
use peertrack_api::server::{self, AppState};
use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::seed;
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{self, people, DbConnection};

/// Which database a test runs on: core's own switch, so store, end-to-end and executable tests
/// share it. PostgreSQL needs `PEERTRACK_TEST_POSTGRES_URL`; without it those tests print
/// `SKIPPED (PostgreSQL)`.
pub use peertrack_core::store::Backend;

/// A loopback address where nothing listens (yet): for a server to start on later, or one
/// that is down.
pub fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

/// A bearer token for a person, valid for a day from `now`, as `peertrack admin token` prints
/// one. Every test that needs a token in-process gets it here, so a change in how tokens are
/// made is made once.
pub fn bearer_token(
    conn: &mut DbConnection,
    person_id: &str,
    now: DateTime<Utc>,
) -> peertrack_core::Result<String> {
    peertrack_core::service::sign_in::token_for(conn, person_id, chrono::Duration::days(1), now)
}

/// A running server; stops when dropped.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The database it runs on.
    pub database: TestDatabase,
    /// A bearer token for an administrator, Ada.
    pub admin_token: String,
    /// An HTTP client.
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _key_dir: tempfile::TempDir,
    /// Answers that `openapi/openapi.json` does not list; the test fails when it ends with any.
    breaches: contract::Breaches,
}

impl TestServer {
    /// Starts a server on a fresh database; `None` when that backend is not configured.
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with_clock(backend, Arc::new(SystemClock)).await
    }

    /// Like [`TestServer::start`], with the server reading the time from `clock`.
    pub async fn start_with_clock(backend: Backend, clock: Arc<dyn Clock>) -> Option<TestServer> {
        // Webhook tests' receivers listen on loopback, which production refuses by default.
        let settings = [(peertrack_api::config::WEBHOOK_ALLOW_PRIVATE, "true")];
        Self::start_with_settings(backend, clock, &settings).await
    }

    /// Like [`TestServer::start_with_clock`], configured by `settings` (`PEERTRACK_*` pairs)
    /// and otherwise by the defaults.
    pub async fn start_with_settings(
        backend: Backend,
        clock: Arc<dyn Clock>,
        settings: &[(&str, &str)],
    ) -> Option<TestServer> {
        let database = TestDatabase::on(backend)?;
        let now = clock.now();
        let admin_token = database
            .db
            .write_async(move |conn| {
                seed::seed_programmes(conn, store::stored(now))?;
                let (ada, _) =
                    people::find_or_create(conn, "ada@example.org", "Ada Admin", store::stored(now))?;
                people::set_admin(conn, &ada.id, true)?;
                bearer_token(conn, &ada.id, now)
            })
            .await
            .expect("seed the test database");
        let key_dir = tempfile::tempdir().expect("a folder for signing keys");
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (acceptor, address) = server::bind(listen).await.expect("bind a loopback port");
        let config = Config::from_lookup(|name| match name {
            "PEERTRACK_PUBLIC_URL" => Some(format!("http://{address}")),
            _ => settings
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.to_string()),
        })
        .expect("test configuration");
        let keys = peertrack_core::credential::KeyRing::open_or_create(&key_dir.path().join("keys"))
            .expect("signing keys for the test server");
        let state = AppState {
            db: database.db.clone(),
            clock,
            keys: Arc::new(keys),
            limits: Arc::new(server::Limits::for_database(&database.db)),
            config: Arc::new(config),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let breaches = contract::Breaches::default();
        let timeouts = state.config.timeouts;
        let app = contract::checked(server::app(state), breaches.clone());
        tokio::spawn(server::serve(acceptor, app, timeouts, async move {
            let _ = stopped.await;
        }));
        Some(TestServer {
            base: format!("http://{address}"),
            database,
            admin_token,
            http: reqwest::Client::new(),
            stop: Some(stop),
            _key_dir: key_dir,
            breaches,
        })
    }

    /// The full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let breaches = self.breaches.seen();
        if !breaches.is_empty() && !std::thread::panicking() {
            panic!(
                "the server gave answers that openapi/openapi.json does not list (see api/src/openapi.rs):\n{}",
                breaches.join("\n")
            );
        }
    }
}

/// Declares each `async fn name(server: &TestServer)` as a test on SQLite and on PostgreSQL
/// (`on_sqlite::name`, `on_postgres::name`), each on a server from [`TestServer::start`], or
/// with `start = f;` first, from `async fn f(Backend) -> Option<TestServer>` of the same module.
#[macro_export]
macro_rules! e2e_on_both_backends {
    (start = $start:ident; $($name:ident),+ $(,)?) => {
        $crate::e2e_on_both_backends!(@tests [super::$start] $($name),+);
    };
    (@tests [$start:path] $($name:ident),+) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = $start($crate::Backend::Sqlite).await.unwrap();
                    super::$name(&server).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(server) = $start($crate::Backend::Postgres).await {
                        super::$name(&server).await;
                    }
                }
            )+
        }
    };
    ($($name:ident),+ $(,)?) => {
        $crate::e2e_on_both_backends!(@tests [$crate::TestServer::start] $($name),+);
    };
}
