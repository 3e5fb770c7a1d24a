//! The real `peertrack` executable as a child process on a fresh database, and a plain HTTP/1.1
//! client over `TcpStream` (so a test can also hold a request half-sent). Only the tests of the
//! package that builds the executable know where it is (`env!("CARGO_BIN_EXE_peertrack")`), so
//! they hand its path to [`Peertrack::new`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{Database, DatabaseUrl, PoolOptions};

pub use crate::free_address;
use crate::Backend;

/// How long to wait for the service to come up or go down.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A service's folder, database and settings; each [`Peertrack::start`] runs `peertrack serve`
/// on them, so a restart finds the same data.
pub struct Peertrack {
    /// Its working folder: the SQLite file, signing keys and `.eml` files live here.
    pub dir: tempfile::TempDir,
    /// Where `peertrack serve` listens.
    pub listen: SocketAddr,
    /// The database it runs on.
    pub backend: Backend,
    executable: PathBuf,
    env: Vec<(String, String)>,
    // Holds the PostgreSQL test database open, and drops it at the end.
    postgres: Option<TestDatabase>,
}

impl Peertrack {
    /// The executable at `executable` on a fresh database on `backend`; `None` (PostgreSQL
    /// skipped) when no server is configured.
    pub fn new(executable: impl Into<PathBuf>, backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match backend {
            // The SQLite file is made by the binary itself: no other process holds it open.
            Backend::Sqlite => (dir.path().join("peertrack.db").display().to_string(), None),
            Backend::Postgres => {
                let test_db = TestDatabase::postgres()?;
                let DatabaseUrl::Postgres(url) = &test_db.url else {
                    unreachable!("a PostgreSQL test database has a PostgreSQL URL")
                };
                (url.clone(), Some(test_db))
            }
        };
        let listen = free_address();
        let env = vec![
            ("PEERTRACK_DATABASE_URL".to_string(), url),
            ("PEERTRACK_LISTEN".to_string(), listen.to_string()),
            ("PEERTRACK_PUBLIC_URL".to_string(), format!("http://{listen}")),
            (
                "PEERTRACK_KEY_DIR".to_string(),
                dir.path().join("keys").display().to_string(),
            ),
            (
                "PEERTRACK_MAIL_DIR".to_string(),
                dir.path().join("mail").display().to_string(),
            ),
            ("RUST_LOG".to_string(), "warn".to_string()),
        ];
        Some(Peertrack {
            dir,
            listen,
            backend,
            executable: executable.into(),
            env,
            postgres,
        })
    }

    /// Sets (or with `None` leaves out) an environment variable for every later command.
    pub fn set_env(&mut self, key: &str, value: Option<String>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.env.push((key.to_string(), value));
        }
    }

    /// The database URL every command is given.
    pub fn database_url(&self) -> String {
        self.env_value("PEERTRACK_DATABASE_URL")
            .expect("a database URL is set")
            .to_string()
    }

    fn env_value(&self, key: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Listens on `address` from the next [`Peertrack::start`] on.
    pub fn set_listen(&mut self, address: SocketAddr) {
        self.listen = address;
        self.set_env("PEERTRACK_LISTEN", Some(address.to_string()));
    }

    /// Where emails land as `.eml` files when no SMTP server is set.
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The SQLite file, on SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        (self.backend == Backend::Sqlite).then(|| self.dir.path().join("peertrack.db"))
    }

    /// `peertrack ARGS` with this service's settings and nothing inherited from the caller's.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.executable);
        command.current_dir(self.dir.path()).args(args);
        for key in [
            "PEERTRACK_DATABASE_URL",
            "PEERTRACK_LISTEN",
            "PEERTRACK_PUBLIC_URL",
            "PEERTRACK_SMTP_URL",
            "PEERTRACK_MAIL_DIR",
            "PEERTRACK_KEY_DIR",
            "RUST_LOG",
        ] {
            command.env_remove(key);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs a command that must succeed; returns its stdout (trimmed) and stderr.
    pub fn run(&self, args: &[&str]) -> (String, String) {
        let output = self.command(args).output().expect("run peertrack");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(output.status.success(), "peertrack {args:?}: {stderr}");
        (
            String::from_utf8(output.stdout).unwrap().trim().to_string(),
            stderr,
        )
    }

    /// An administrator.
    pub fn add_admin(&self, email: &str) {
        self.run(&["admin", "add-admin", "--email", email, "--name", "Ada Admin"]);
    }

    /// An administrator and a bearer token for them.
    pub fn admin_token(&self, email: &str) -> String {
        self.add_admin(email);
        self.run(&["admin", "token", "--email", email]).0
    }

    /// Starts `peertrack serve` (its output discarded) and waits until it answers.
    pub fn start(&self) -> Child {
        let child = self
            .command(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start peertrack serve");
        self.wait_for_health();
        child
    }

    /// Starts `peertrack serve` keeping everything it prints, and waits until it answers.
    pub fn start_capturing(&self) -> (Child, CapturedOutput) {
        let mut child = self
            .command(&["serve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start peertrack serve");
        let captured = CapturedOutput::default();
        captured.keep(child.stdout.take().unwrap());
        captured.keep(child.stderr.take().unwrap());
        self.wait_for_health();
        (child, captured)
    }

    fn wait_for_health(&self) {
        wait_until("the service to answer /health", || {
            send(self.listen, "GET", "/health", &[], None).is_ok_and(|a| a.status == 200)
        });
    }

    /// The database, opened from the test for inspection.
    pub fn database(&self) -> Database {
        match (&self.postgres, self.sqlite_file()) {
            (Some(test_db), _) => test_db.db.clone(),
            (None, Some(file)) => Database::open(&DatabaseUrl::Sqlite(file), PoolOptions::default())
                .expect("open the SQLite file"),
            (None, None) => unreachable!("a service has a database"),
        }
    }
}

/// Everything a child printed on stdout and stderr, interleaved as it came.
#[derive(Clone, Default)]
pub struct CapturedOutput {
    text: Arc<Mutex<Vec<u8>>>,
    readers: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl CapturedOutput {
    fn keep(&self, mut stream: impl Read + Send + 'static) {
        let text = self.text.clone();
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                text.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        self.readers.lock().unwrap().push(reader);
    }

    /// All of it, once the child has exited.
    pub fn finish(self) -> String {
        for reader in self.readers.lock().unwrap().drain(..) {
            reader.join().unwrap();
        }
        let text = self.text.lock().unwrap();
        String::from_utf8_lossy(&text).to_string()
    }
}

/// Polls `done` every 20 ms, failing after [`PATIENCE`].
pub fn wait_until(what: &str, done: impl FnMut() -> bool) {
    wait_until_within(what, PATIENCE, done);
}

/// Polls `done` every 20 ms, failing after `limit`.
pub fn wait_until_within(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`KILL`, `TERM`) to the child.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}");
}

/// Waits up to `limit` for the child to exit.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "peertrack did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends SIGTERM and waits for a clean exit.
pub fn terminate(child: &mut Child) {
    signal(child, "TERM");
    let status = wait_for_exit(child, PATIENCE);
    assert!(status.success(), "a clean stop on SIGTERM: {status:?}");
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The head of an HTTP/1.1 request with a JSON body of `length` bytes (or none), closing the
/// connection after the answer.
pub fn request_head(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: Option<usize>,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(length) = length {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {length}\r\n"
        ));
    }
    head.push_str("\r\n");
    head
}

/// One request on a new connection. An error means no status line came back: the request may
/// or may not have been carried out.
pub fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    let mut request = request_head(address, method, path, headers, body.map(str::len));
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes())?;
    read_answer(&mut stream)
}

/// A request with `Authorization: Bearer`, that must be answered.
pub fn call(
    address: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Answer {
    call_with_headers(address, token, method, path, &[], body)
}

/// [`call`] with more headers (`If-Match`, say).
pub fn call_with_headers(
    address: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> Answer {
    let bearer = format!("Bearer {token}");
    let mut all_headers = vec![("Authorization", bearer.as_str())];
    all_headers.extend_from_slice(headers);
    let body = body.map(|b| b.to_string());
    send(address, method, path, &all_headers, body.as_deref())
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A register's or an audit entry's `records` as (person id, status) pairs.
pub fn person_statuses(records: &serde_json::Value) -> impl Iterator<Item = (String, String)> + '_ {
    records.as_array().unwrap().iter().map(|r| {
        (
            r["person_id"].as_str().unwrap().to_string(),
            r["status"].as_str().unwrap().to_string(),
        )
    })
}

/// Reads an answer up to the end of the connection. A status line counts as an answer even if
/// the connection broke afterwards: the server only answers once the work is done.
pub fn read_answer(stream: &mut impl Read) -> std::io::Result<Answer> {
    let mut raw = Vec::new();
    let outcome = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    let Some(status) = status else {
        outcome?;
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed without an answer",
        ));
    };
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok(Answer { status, body })
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// The `.eml` files in `dir`, read.
pub fn eml_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}
