//! The end-to-end harness: a real Peertrack server on a real, fresh database, on a free
//! loopback port, driven over HTTP with a real client.

pub mod credentials;
pub mod mail;
pub mod scenario;

use std::net::SocketAddr;
use std::sync::Arc;

use peertrack_api::config::Config;
use peertrack_api::server::{self, AppState};
use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::seed;
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{self, people};

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database (needs `PEERTRACK_TEST_POSTGRES_URL`).
    Postgres,
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
        let database = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres()?,
        };
        let now = clock.now();
        let admin_token = database
            .db
            .write_async(move |conn| {
                seed::seed_programmes(conn, store::stored(now))?;
                let (ada, _) =
                    people::find_or_create(conn, "ada@example.org", "Ada Admin", store::stored(now))?;
                people::set_admin(conn, &ada.id, true)?;
                peertrack_api::auth::issue_token(conn, &ada.id, 1, now)
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
            limits: Arc::new(Default::default()),
            config: Arc::new(config),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(acceptor, state, async move {
            let _ = stopped.await;
        }));
        Some(TestServer {
            base: format!("http://{address}"),
            database,
            admin_token,
            http: reqwest::Client::new(),
            stop: Some(stop),
            _key_dir: key_dir,
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
    }
}

/// Declares each `async fn name(server: &TestServer)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! e2e_on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = $crate::TestServer::start($crate::Backend::Sqlite).await.unwrap();
                    super::$name(&server).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(server) = $crate::TestServer::start($crate::Backend::Postgres).await {
                        super::$name(&server).await;
                    }
                }
            )+
        }
    };
}
