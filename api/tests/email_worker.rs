//! The email worker in the real `peertrack` binary: with the mail server down, requests to
//! `peertrack serve` still succeed; the service is killed (SIGKILL) while emails wait, one of
//! them claimed as if mid-send; the mail server comes back and `peertrack worker` delivers
//! every email exactly once, then stops cleanly on SIGTERM. Without `PEERTRACK_SMTP_URL`,
//! emails land as `.eml` files under `mail/`.
//!
//! The mail server here is a few lines of real SMTP over TCP on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use peertrack_core::store::{delivery, outbox, stored, Database, DatabaseUrl, PoolOptions};

// Generous: if the SIGKILL lands mid-claim, that claim's 90-second lease must run out first.
const PATIENCE: Duration = Duration::from_secs(150);

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn command(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_peertrack"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("PEERTRACK_DATABASE_URL")
        .env_remove("PEERTRACK_SMTP_URL")
        .env_remove("PEERTRACK_MAIL_DIR")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn run(dir: &Path, env: &[(&str, String)], args: &[&str]) -> String {
    let output = command(dir, env, args).output().expect("run peertrack");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// A minimal HTTP/1.1 request; returns the status and body.
fn http(address: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect to peertrack");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM and waits for the process to exit.
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < PATIENCE, "peertrack did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One email as received: envelope recipients and the raw message.
type Received = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A real, minimal SMTP server on `address`, keeping what it receives.
fn smtp_server(address: SocketAddr) -> Received {
    let received: Received = Arc::default();
    let listener = TcpListener::bind(address).expect("bind the SMTP port");
    let kept = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let kept = kept.clone();
            std::thread::spawn(move || {
                let _ = smtp_session(stream, &kept);
            });
        }
    });
    received
}

fn smtp_session(stream: TcpStream, kept: &Received) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 smtp.test.localhost ready\r\n")?;
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => writer.write_all(b"250 smtp.test.localhost\r\n")?,
            "MAIL" => {
                recipients.clear();
                writer.write_all(b"250 OK\r\n")?;
            }
            "RCPT" => {
                let to = line
                    .trim()
                    .trim_start_matches("RCPT TO:")
                    .trim_matches(['<', '>']);
                recipients.push(to.to_string());
                writer.write_all(b"250 OK\r\n")?;
            }
            "DATA" => {
                writer.write_all(b"354 go ahead\r\n")?;
                let mut message = String::new();
                loop {
                    line.clear();
                    reader.read_line(&mut line)?;
                    if line == ".\r\n" || line.is_empty() {
                        break;
                    }
                    message.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                kept.lock().unwrap().push((recipients.clone(), message));
                writer.write_all(b"250 OK queued\r\n")?;
            }
            "QUIT" => {
                writer.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => writer.write_all(b"250 OK\r\n")?,
        }
    }
}

fn open_database(path: &Path) -> Database {
    Database::open(&DatabaseUrl::Sqlite(path.to_path_buf()), PoolOptions::default())
        .expect("open the database")
}

fn outbox_rows(db: &Database) -> Vec<outbox::OutboxMessage> {
    db.read(|conn| outbox::list(conn, None, 1000)).unwrap()
}

#[test]
fn queued_emails_survive_an_smtp_outage_and_a_sigkill_and_arrive_once() {
    let dir = tempfile::tempdir().unwrap();
    let database: PathBuf = dir.path().join("peertrack.db");
    let smtp_address = free_address();
    let listen = free_address();
    let env = vec![
        ("PEERTRACK_DATABASE_URL", database.display().to_string()),
        ("PEERTRACK_SMTP_URL", format!("smtp://{smtp_address}")),
        ("PEERTRACK_LISTEN", listen.to_string()),
        (
            "PEERTRACK_PUBLIC_URL",
            "https://peertrack.example.org".to_string(),
        ),
        ("PEERTRACK_KEY_DIR", dir.path().join("keys").display().to_string()),
    ];
    run(
        dir.path(),
        &env,
        &[
            "admin",
            "add-admin",
            "--email",
            "ada@example.org",
            "--name",
            "Ada",
        ],
    );
    let token = run(
        dir.path(),
        &env,
        &["admin", "token", "--email", "ada@example.org"],
    );
    let organisation = run(
        dir.path(),
        &env,
        &["admin", "add-organisation", "--name", "Penumbra"],
    );

    // The service runs; the mail server is down (nothing listens on its port).
    let mut service = command(dir.path(), &env, &["serve"])
        .stderr(Stdio::null())
        .spawn()
        .expect("start peertrack serve");
    wait_until("the service to answer", || {
        TcpStream::connect(listen).is_ok() && http(listen, "GET", "/health", "", "").0 == 200
    });
    let (status, cohort) = http(
        listen,
        "POST",
        "/v1/cohorts",
        &token,
        &format!(
            r#"{{"programme_code":"P2P","organisation_id":"{organisation}","name":"Dundee","starts_on":"2027-03-01","ends_on":"2027-04-26","tutor_emails":[]}}"#
        ),
    );
    assert_eq!(status, 201, "{cohort}");
    let cohort_id = cohort
        .split("\"id\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    for n in 0..5 {
        let (status, body) = http(
            listen,
            "POST",
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            &token,
            &format!(r#"{{"email":"learner{n}@example.org","name":"Learner {n}"}}"#),
        );
        assert_eq!(status, 201, "requests succeed while mail is down: {body}");
    }
    let db = open_database(&database);
    wait_until("a failed first attempt at every email", || {
        let rows = outbox_rows(&db);
        rows.len() == 5 && rows.iter().all(|m| m.attempts >= 1 && m.last_error.is_some())
    });

    // Killed where it stands; one email was claimed as if it was being sent at that moment.
    service.kill().unwrap();
    service.wait().unwrap();
    let in_flight = db
        .write(|conn| {
            let now = Utc::now();
            // Whenever its retry was due, as a worker would have claimed it then: lease 3 s.
            let whenever = now + chrono::Duration::days(1);
            delivery::claim_due(
                conn,
                delivery::EMAIL,
                stored(whenever),
                stored(now + chrono::Duration::seconds(3)),
                1,
            )
        })
        .unwrap();
    assert_eq!(in_flight.len(), 1);
    assert!(outbox_rows(&db).iter().all(|m| m.status == "pending"));

    // The mail server comes back; the worker is started on its own.
    let received = smtp_server(smtp_address);
    let mut worker = command(dir.path(), &env, &["worker"])
        .stderr(Stdio::null())
        .spawn()
        .expect("start peertrack worker");
    let back = Instant::now();
    wait_until("every email to be sent", || {
        outbox_rows(&db).iter().all(|m| m.status == "sent")
    });
    eprintln!(
        "all 5 emails sent {:?} after the mail server came back",
        back.elapsed()
    );
    std::thread::sleep(Duration::from_millis(500));
    let status = terminate(&mut worker);
    assert!(status.success(), "a clean stop on SIGTERM: {status:?}");

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 5, "each email exactly once");
    let mut recipients: Vec<String> = received.iter().flat_map(|(to, _)| to.clone()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        (0..5)
            .map(|n| format!("learner{n}@example.org"))
            .collect::<Vec<_>>()
    );
    let mut ids: Vec<String> = received
        .iter()
        .map(|(_, raw)| {
            raw.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .expect("a Message-ID")
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert!(received
        .iter()
        .all(|(_, raw)| raw.contains("Subject: Welcome to Peer2Peer")));
}

#[test]
fn without_an_smtp_url_emails_are_eml_files_under_mail() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![(
        "PEERTRACK_PUBLIC_URL",
        "https://peertrack.example.org".to_string(),
    )];
    run(
        dir.path(),
        &env,
        &[
            "admin",
            "add-admin",
            "--email",
            "ada@example.org",
            "--name",
            "Ada",
        ],
    );
    let db = open_database(&dir.path().join("peertrack.db"));
    let queued = db
        .write(|conn| {
            peertrack_core::service::sign_in::request_link(
                conn,
                "ada@example.org",
                Utc::now(),
                "https://peertrack.example.org",
            )
        })
        .unwrap();
    assert!(queued);
    let mut worker = command(dir.path(), &env, &["worker"])
        .stderr(Stdio::null())
        .spawn()
        .expect("start peertrack worker");
    let mail = dir.path().join("mail");
    wait_until("an .eml file", || {
        std::fs::read_dir(&mail).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "eml"))
        })
    });
    assert!(terminate(&mut worker).success());
    let files: Vec<PathBuf> = std::fs::read_dir(&mail)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("Subject: Your Peertrack sign-in link"), "{eml}");
    assert!(eml.contains("To: ada@example.org"));
    assert!(
        eml.contains("https://peertrack.example.org/sign-in?token=ptl_"),
        "readable as text: {eml}"
    );
    assert!(eml.contains("Content-Type: text/html"));
}
