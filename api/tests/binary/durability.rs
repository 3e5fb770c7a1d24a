//! What the real `peertrack` binary promises about stopping, on SQLite and PostgreSQL:
//!
//! - killed with SIGKILL under a load of register writes, it loses nothing it acknowledged:
//!   after a restart every session holds the last register it answered 2xx for (or the one
//!   write that was in flight), and the audit trail has an entry for each;
//! - on SIGTERM it refuses new connections, finishes the requests in flight, lets the email
//!   worker finish the email in hand and hand the rest back, and exits 0;
//! - whatever `RUST_LOG` says, its output holds no token, API key or email content;
//! - a client that sends its request too slowly, or leaves a connection idle, is cut off.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use peertrack_core::store::{delivery, outbox};
use peertrack_e2e::mail::{ReceivedEmail, SmtpServer};
use peertrack_e2e::process::{
    call, eml_files, person_statuses, read_answer, request_head, send, signal, terminate, wait_for_exit,
    wait_until, Answer, Peertrack, PATIENCE,
};
use peertrack_e2e::Backend;
use serde_json::{json, Value};

use crate::PEERTRACK;

const ADMIN: &str = "ada@example.org";

/// A cohort with its sessions and learners.
struct Course {
    sessions: Vec<String>,
    learners: Vec<String>,
}

/// A cohort of `learners` with `sessions` sessions, over HTTP on the running service.
fn set_up_course(service: &Peertrack, token: &str, sessions: usize, learners: usize) -> Course {
    let address = service.listen;
    let organisation = service
        .run(&["admin", "add-organisation", "--name", "Making Recovery Real"])
        .0;
    let today = Utc::now().date_naive();
    let cohort = call(
        address,
        token,
        "POST",
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P",
            "organisation_id": organisation,
            "name": "Dundee autumn",
            "starts_on": today - chrono::Duration::days(60),
            "ends_on": today + chrono::Duration::days(60),
            "tutor_emails": [],
        })),
    );
    assert_eq!(cohort.status, 201, "{}", cohort.body);
    let cohort_id = cohort.json()["id"].as_str().unwrap().to_string();
    let sessions = (0..sessions)
        .map(|n| {
            let starts = Utc::now() - chrono::Duration::days(n as i64 + 1);
            let session = call(
                address,
                token,
                "POST",
                &format!("/v1/cohorts/{cohort_id}/sessions"),
                Some(json!({
                    "title": format!("Session {}", n + 1),
                    "starts_at": starts.to_rfc3339(),
                    "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                })),
            );
            assert_eq!(session.status, 201, "{}", session.body);
            session.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let learners = (0..learners)
        .map(|n| {
            let enrolment = call(
                address,
                token,
                "POST",
                &format!("/v1/cohorts/{cohort_id}/enrolments"),
                Some(json!({"email": format!("learner{n}@example.org"), "name": format!("Learner {n}")})),
            );
            assert_eq!(enrolment.status, 201, "{}", enrolment.body);
            enrolment.json()["person_id"].as_str().unwrap().to_string()
        })
        .collect();
    Course { sessions, learners }
}

/// One learner's mark as written: (person, status, note).
type Mark = (String, String, Option<String>);

/// A register PUT: which of the writer's sessions, and the whole register it sends.
#[derive(Debug, Clone)]
struct RegisterWrite {
    session: usize,
    marks: Vec<Mark>,
}

impl RegisterWrite {
    /// The `seq`th write of writer `writer`: every write differs from every other (the note
    /// names it), statuses vary, and now and then a learner is left out, which the replacing
    /// register must remove.
    fn new(writer: usize, seq: usize, sessions: usize, learners: &[String]) -> Self {
        const STATUSES: [&str; 3] = ["present", "late", "excused"];
        let marks = learners
            .iter()
            .enumerate()
            .filter(|(i, _)| (seq + i) % 5 != 4)
            .map(|(i, person)| {
                (
                    person.clone(),
                    STATUSES[(seq + i) % 3].to_string(),
                    Some(format!("writer {writer}, write {seq}")),
                )
            })
            .collect();
        RegisterWrite {
            session: seq % sessions,
            marks,
        }
    }

    fn body(&self) -> String {
        let records: Vec<Value> = self
            .marks
            .iter()
            .map(|(person, status, note)| json!({"person_id": person, "status": status, "note": note}))
            .collect();
        json!({ "records": records }).to_string()
    }
}

/// What one writer thread saw: every write answered 2xx, in order, and the one request that was
/// sent but never answered (the server stopped under it), if any.
#[derive(Debug, Default)]
struct WriterLog {
    sessions: Vec<String>,
    acknowledged: Vec<RegisterWrite>,
    in_flight: Option<RegisterWrite>,
    /// Answers other than 2xx; there must be none.
    refused: Vec<String>,
}

/// Shared by the writer threads: a flag that stops them, and how many writes were acknowledged.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    acknowledged: AtomicUsize,
}

/// Writes registers from `writers` threads, each on its own `sessions_each` sessions, as fast
/// as the service answers, until it stops answering or `load.stop` is set.
fn write_registers(
    address: SocketAddr,
    token: &str,
    course: &Course,
    writers: usize,
    sessions_each: usize,
    load: Arc<Load>,
) -> Vec<std::thread::JoinHandle<WriterLog>> {
    assert!(course.sessions.len() >= writers * sessions_each);
    (0..writers)
        .map(|writer| {
            let sessions = course.sessions[writer * sessions_each..(writer + 1) * sessions_each].to_vec();
            let learners = course.learners.clone();
            let bearer = format!("Bearer {token}");
            let load = load.clone();
            std::thread::spawn(move || {
                let mut log = WriterLog {
                    sessions,
                    ..WriterLog::default()
                };
                for seq in 0.. {
                    if load.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let write = RegisterWrite::new(writer, seq, log.sessions.len(), &learners);
                    let path = format!("/v1/sessions/{}/attendance", log.sessions[write.session]);
                    log.in_flight = Some(write.clone());
                    match send(
                        address,
                        "PUT",
                        &path,
                        &[("Authorization", &bearer)],
                        Some(&write.body()),
                    ) {
                        Ok(answer) if answer.is_success() => {
                            log.in_flight = None;
                            log.acknowledged.push(write);
                            load.acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(answer) => {
                            log.in_flight = None;
                            log.refused.push(format!("{} {}", answer.status, answer.body));
                            break;
                        }
                        // No answer: the request may or may not have been carried out.
                        Err(_) => break,
                    }
                }
                log
            })
        })
        .collect()
}

fn sorted_marks(marks: &[Mark]) -> Vec<Mark> {
    let mut marks = marks.to_vec();
    marks.sort();
    marks
}

/// Every `attendance.replaced` audit event of a session, oldest first.
fn register_audit(address: SocketAddr, admin: &str, session: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit-events?entity_kind=session&entity_id={session}&limit=500");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = call(address, admin, "GET", &path, None);
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        events.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "attendance.replaced")
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return events,
        }
    }
}

/// Checks, on the restarted service, that every acknowledged write is there: each session
/// holds its writer's last acknowledged register, or the writer's one unanswered write if that
/// was to this session and landed; its version counts exactly those writes; and the audit trail
/// has one entry per write, in order, with the marks written. Returns the number of
/// acknowledged writes checked, and how many unanswered ones had landed.
fn check_every_acknowledged_write(address: SocketAddr, admin: &str, logs: &[WriterLog]) -> (usize, usize) {
    let mut checked = 0;
    let mut unanswered_landed = 0;
    for (writer, log) in logs.iter().enumerate() {
        assert!(
            log.refused.is_empty(),
            "writer {writer} was refused: {:?}",
            log.refused
        );
        for (index, session) in log.sessions.iter().enumerate() {
            let acknowledged: Vec<&RegisterWrite> =
                log.acknowledged.iter().filter(|w| w.session == index).collect();
            let in_flight = log.in_flight.as_ref().filter(|w| w.session == index);
            let register = call(
                address,
                admin,
                "GET",
                &format!("/v1/sessions/{session}/attendance"),
                None,
            );
            assert_eq!(register.status, 200, "{}", register.body);
            let register = register.json();
            let version = register["version"].as_u64().unwrap() as usize;
            let held: Vec<Mark> = register["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["person_id"].as_str().unwrap().to_string(),
                        r["status"].as_str().unwrap().to_string(),
                        r["note"].as_str().map(str::to_string),
                    )
                })
                .collect();
            // Writes to a session, in the order they landed: the acknowledged ones, then the
            // unanswered one if it landed too.
            let mut landed = acknowledged.clone();
            if version == acknowledged.len() + 1 {
                unanswered_landed += 1;
                landed.push(in_flight.unwrap_or_else(|| {
                    panic!("session {session} is at version {version}, one past its {} acknowledged writes, with nothing in flight to it", acknowledged.len())
                }));
            } else {
                assert_eq!(
                    version,
                    acknowledged.len(),
                    "session {session}: {} writes were acknowledged, the register is at version {version}",
                    acknowledged.len()
                );
            }
            let expected = landed.last().map(|w| sorted_marks(&w.marks)).unwrap_or_default();
            assert_eq!(
                sorted_marks(&held),
                expected,
                "session {session} holds the last write it acknowledged"
            );
            let audit = register_audit(address, admin, session);
            assert_eq!(
                audit.len(),
                landed.len(),
                "one audit entry per write to session {session}"
            );
            for (position, (event, write)) in audit.iter().zip(&landed).enumerate() {
                assert_eq!(event["details"]["to_version"], json!(position + 1));
                let mut audited: Vec<(String, String)> =
                    person_statuses(&event["details"]["records"]).collect();
                audited.sort();
                let written: Vec<(String, String)> = sorted_marks(&write.marks)
                    .into_iter()
                    .map(|(person, status, _)| (person, status))
                    .collect();
                assert_eq!(
                    audited,
                    written,
                    "audit entry {} of session {session}",
                    position + 1
                );
            }
            checked += acknowledged.len();
        }
    }
    (checked, unanswered_landed)
}

/// SQLite's file header says WAL (bytes 18 and 19 are 2) once a connection has switched the
/// file to it; the mode then persists in the file.
fn assert_sqlite_file_is_in_wal_mode(file: &std::path::Path) {
    let header = std::fs::read(file).unwrap();
    assert_eq!(&header[..16], b"SQLite format 3\0");
    assert_eq!(
        (header[18], header[19]),
        (2, 2),
        "the database file is in WAL mode"
    );
}

fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let Some(service) = Peertrack::new(PEERTRACK, backend) else {
        return;
    };
    let admin = service.admin_token(ADMIN);
    let mut server = service.start();
    const WRITERS: usize = 4;
    const SESSIONS_EACH: usize = 4;
    let course = set_up_course(&service, &admin, WRITERS * SESSIONS_EACH, 3);

    // Killed mid-load once hundreds of writes are acknowledged (and at least a second in).
    const ENOUGH: usize = 300;
    let load = Arc::new(Load::default());
    let writers = write_registers(
        service.listen,
        &admin,
        &course,
        WRITERS,
        SESSIONS_EACH,
        load.clone(),
    );
    let started = Instant::now();
    wait_until("hundreds of acknowledged writes", || {
        started.elapsed() >= Duration::from_secs(1) && load.acknowledged.load(Ordering::SeqCst) >= ENOUGH
    });
    signal(&server, "KILL");
    let killed = server.wait().unwrap();
    assert!(!killed.success(), "killed, not stopped: {killed:?}");
    let logs: Vec<WriterLog> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let acknowledged: usize = logs.iter().map(|l| l.acknowledged.len()).sum();
    assert!(acknowledged >= ENOUGH);
    if let Some(file) = service.sqlite_file() {
        assert_sqlite_file_is_in_wal_mode(&file);
        let wal = std::fs::metadata(file.with_extension("db-wal"))
            .expect("a killed service leaves its write-ahead log for the next start to recover")
            .len();
        eprintln!("SQLite: the write-ahead log left by the kill is {wal} bytes");
    }

    let mut server = service.start();
    let (checked, unanswered_landed) = check_every_acknowledged_write(service.listen, &admin, &logs);
    terminate(&mut server);
    assert_eq!(checked, acknowledged);
    let unanswered = logs.iter().filter(|l| l.in_flight.is_some()).count();
    println!(
        "{backend:?}: {checked} acknowledged register writes checked after SIGKILL, all present; \
         of {unanswered} unanswered writes in flight, {unanswered_landed} had landed"
    );
}

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill(Backend::Sqlite);
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    acknowledged_writes_survive_sigkill(Backend::Postgres);
}

/// A register PUT sent up to half its body, held open: the service is reading it when this
/// returns (it has answered `100 Continue`, which it does only once the handler reads the body).
struct HeldRequest {
    stream: TcpStream,
    rest: String,
}

impl HeldRequest {
    fn start(address: SocketAddr, token: &str, session: &str, body: String) -> Self {
        let bearer = format!("Bearer {token}");
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let head = request_head(
            address,
            "PUT",
            &format!("/v1/sessions/{session}/attendance"),
            &[("Authorization", &bearer), ("Expect", "100-continue")],
            Some(body.len()),
        );
        stream.write_all(head.as_bytes()).unwrap();
        let mut interim = Vec::new();
        let mut byte = [0u8; 1];
        while !interim.ends_with(b"\r\n\r\n") {
            std::io::Read::read_exact(&mut stream, &mut byte).unwrap();
            interim.push(byte[0]);
        }
        assert!(
            interim.starts_with(b"HTTP/1.1 100 Continue"),
            "{}",
            String::from_utf8_lossy(&interim)
        );
        let (first, rest) = body.split_at(body.len() / 2);
        stream.write_all(first.as_bytes()).unwrap();
        HeldRequest {
            stream,
            rest: rest.to_string(),
        }
    }

    fn finish(mut self) -> Answer {
        self.stream.write_all(self.rest.as_bytes()).unwrap();
        read_answer(&mut self.stream).expect("an answer to the request in flight")
    }
}

fn sigterm_finishes_in_flight_work(backend: Backend) {
    let Some(mut service) = Peertrack::new(PEERTRACK, backend) else {
        return;
    };
    // A slow mail server: the worker is mid-batch when the signal comes.
    let smtp = SmtpServer::start();
    smtp.take_each_message(Duration::from_millis(200));
    service.set_env("PEERTRACK_SMTP_URL", Some(smtp.url()));
    let admin = service.admin_token(ADMIN);
    let mut server = service.start();
    const WRITERS: usize = 3;
    const SESSIONS_EACH: usize = 2;
    const HELD: usize = 3;
    const LEARNERS: usize = 20;
    let course = set_up_course(&service, &admin, WRITERS * SESSIONS_EACH + HELD, LEARNERS);
    wait_until("the first enrolment emails", || smtp.received().len() >= 2);

    // Requests in flight: three held half-sent, and writers sending as fast as they can.
    let held_sessions = &course.sessions[WRITERS * SESSIONS_EACH..];
    let held_body = RegisterWrite::new(99, 0, 1, &course.learners[..3]).body();
    let held: Vec<HeldRequest> = held_sessions
        .iter()
        .map(|session| HeldRequest::start(service.listen, &admin, session, held_body.clone()))
        .collect();
    let writers_course = Course {
        sessions: course.sessions.clone(),
        learners: course.learners[..3].to_vec(),
    };
    let load = Arc::new(Load::default());
    let writers = write_registers(
        service.listen,
        &admin,
        &writers_course,
        WRITERS,
        SESSIONS_EACH,
        load.clone(),
    );
    std::thread::sleep(Duration::from_millis(300));

    signal(&server, "TERM");
    let signalled = Instant::now();
    wait_until(
        "new connections to be refused",
        || matches!(TcpStream::connect(service.listen), Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
    );
    let refused_after = signalled.elapsed();
    assert!(
        server.try_wait().unwrap().is_none(),
        "still running while requests are in flight"
    );
    // The writers' requests after this point cannot connect.
    load.stop.store(true, Ordering::SeqCst);
    let logs: Vec<WriterLog> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    for answer in held.into_iter().map(HeldRequest::finish) {
        assert_eq!(
            answer.status, 200,
            "a request in flight completes: {}",
            answer.body
        );
        assert_eq!(answer.json()["version"], 1);
    }
    let status = wait_for_exit(&mut server, Duration::from_secs(20));
    let stopped_after = signalled.elapsed();
    assert!(status.success(), "exits 0 on SIGTERM: {status:?}");
    // poem's grace period for requests in flight (`server::run`).
    assert!(
        stopped_after < Duration::from_secs(20),
        "stopped within the grace period"
    );
    let acknowledged: usize = logs.iter().map(|l| l.acknowledged.len()).sum();

    // The worker finished the email in hand and handed the rest back: no pending email is
    // still claimed, each email that reached the mail server is recorded as sent, and some
    // were still waiting (the stop came mid-queue).
    let db = service.database();
    let emails: Vec<outbox::OutboxMessage> = db
        .read(|conn| outbox::list(conn, None, 1000))
        .unwrap()
        .into_iter()
        .filter(|m| m.channel == delivery::EMAIL)
        .collect();
    let still_claimed: Vec<i64> = emails
        .iter()
        .filter(|m| m.status == delivery::status::PENDING && m.claimed_until.is_some())
        .map(|m| m.id)
        .collect();
    assert!(
        still_claimed.is_empty(),
        "emails left claimed after a clean stop: {still_claimed:?}"
    );
    let sent = emails
        .iter()
        .filter(|m| m.status == delivery::status::SENT)
        .count();
    let pending = emails
        .iter()
        .filter(|m| m.status == delivery::status::PENDING)
        .count();
    assert_eq!(
        sent,
        smtp.received().len(),
        "every email the mail server took is recorded as sent"
    );
    assert!(
        sent > 0 && pending > 0,
        "stopped mid-queue: {sent} sent, {pending} waiting"
    );
    drop(db);

    // Restarted: the rest go out at once (nothing waits for a lease to run out), each once,
    // and every acknowledged register is there.
    let mut server = service.start();
    let (checked, _) = check_every_acknowledged_write(service.listen, &admin, &logs);
    assert_eq!(checked, acknowledged);
    wait_until("the handed-back emails to be sent", || {
        smtp.received().len() >= emails.len()
    });
    terminate(&mut server);
    let messages: Vec<String> = smtp.received().iter().map(ReceivedEmail::text).collect();
    let ids: BTreeSet<&str> = messages
        .iter()
        .filter_map(|raw| raw.lines().find_map(|l| l.strip_prefix("Message-ID: ")))
        .collect();
    assert_eq!(messages.len(), emails.len(), "each email once");
    assert_eq!(ids.len(), emails.len());
    println!(
        "{backend:?}: new connections refused {refused_after:?} after SIGTERM; {HELD} held requests \
         and {acknowledged} concurrent writes answered 2xx; exit 0 after {stopped_after:?}; \
         {sent} emails sent before the stop, {pending} handed back and sent after the restart"
    );
}

#[test]
fn sigterm_finishes_in_flight_work_on_sqlite() {
    sigterm_finishes_in_flight_work(Backend::Sqlite);
}

#[test]
fn sigterm_finishes_in_flight_work_on_postgres() {
    sigterm_finishes_in_flight_work(Backend::Postgres);
}

/// Body lines of a raw email worth looking for in logs: its text, not MIME structure.
fn body_lines(raw: &str) -> Vec<String> {
    let body = raw.split_once("\r\n\r\n").map_or(raw, |(_, b)| b);
    body.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| l.len() >= 12)
        .filter(|l| !l.starts_with("--") && !l.starts_with("Content-"))
        .collect()
}

/// A JSON `POST` with no credentials, that must be answered.
fn post_anonymously(address: SocketAddr, path: &str, body: Value) -> Answer {
    send(address, "POST", path, &[], Some(&body.to_string())).unwrap()
}

/// The register of peer supporters, read with an API key.
fn read_register_with_key(address: SocketAddr, key: &str) -> Answer {
    send(
        address,
        "GET",
        "/v1/register/peer-supporters",
        &[("X-Api-Key", key)],
        None,
    )
    .unwrap()
}

/// Signs in by email, uses a bearer token, an API key, wrong ones of each, and has an
/// enrolment email sent (over SMTP, signing in to the mail server, or as `.eml` files), with
/// `RUST_LOG` as given (`None`: the default); then looks for each secret and each email's body
/// lines in everything the service and the admin commands printed.
fn no_secrets_in_logs(backend: Backend, rust_log: Option<&str>, over_smtp: bool) {
    let Some(mut service) = Peertrack::new(PEERTRACK, backend) else {
        return;
    };
    service.set_env("RUST_LOG", rust_log.map(str::to_string));
    // A webhook on this machine, whose URL holds secrets, that cannot be reached.
    service.set_env("PEERTRACK_WEBHOOK_ALLOW_PRIVATE", Some("true".into()));
    let smtp_password = "smtpPasswordKeptSecret2027";
    let smtp = over_smtp.then(SmtpServer::start);
    if let Some(smtp) = &smtp {
        service.set_env(
            "PEERTRACK_SMTP_URL",
            Some(smtp.url_signing_in("peertrack", smtp_password)),
        );
    }
    let emails = || match &smtp {
        Some(smtp) => smtp.received().iter().map(ReceivedEmail::text).collect(),
        None => eml_files(&service.mail_dir()),
    };
    let mut printed = String::new();
    let mut admin_command = |args: &[&str]| {
        let (stdout, stderr) = service.run(args);
        printed.push_str(&stderr);
        stdout
    };
    admin_command(&["admin", "add-admin", "--email", ADMIN, "--name", "Ada Admin"]);
    let admin = admin_command(&["admin", "token", "--email", ADMIN]);
    let organisation = admin_command(&["admin", "add-organisation", "--name", "Demo Partner HR"]);
    let api_key = admin_command(&[
        "admin",
        "api-key",
        "--organisation",
        &organisation,
        "--name",
        "HR system",
    ]);
    let (mut server, output) = service.start_capturing();
    let address = service.listen;

    // An enrolment email, with the learner's name in its body.
    let learner_name = "Morag Quietwater";
    let cohort = call(
        address,
        &admin,
        "POST",
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P", "organisation_id": organisation, "name": "Perth spring",
            "starts_on": "2027-03-01", "ends_on": "2027-04-26", "tutor_emails": [],
        })),
    );
    assert_eq!(cohort.status, 201, "{}", cohort.body);
    let enrolment = call(
        address,
        &admin,
        "POST",
        &format!("/v1/cohorts/{}/enrolments", cohort.json()["id"].as_str().unwrap()),
        Some(json!({"email": "morag@example.org", "name": learner_name})),
    );
    assert_eq!(enrolment.status, 201, "{}", enrolment.body);

    // Signing in by email: the link, the page it opens, and the exchange for a token.
    let asked = post_anonymously(address, "/v1/auth/magic-link", json!({"email": ADMIN}));
    assert_eq!(asked.status, 202, "{}", asked.body);
    let mut link = String::new();
    wait_until("the sign-in email", || {
        link = emails()
            .iter()
            .find_map(|raw| {
                let start = raw.find("/sign-in?token=")?;
                let token: String = raw[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
                    .collect();
                Some(token)
            })
            .unwrap_or_default();
        !link.is_empty()
    });
    let sign_in_token = link.trim_start_matches("/sign-in?token=").to_string();
    assert!(sign_in_token.len() > 20, "{link}");
    let page = send(address, "GET", &link, &[], None).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let session = post_anonymously(address, "/v1/auth/session", json!({"token": sign_in_token}));
    assert_eq!(session.status, 200, "{}", session.body);
    let access_token = session.json()["access_token"].as_str().unwrap().to_string();
    let preferences = call(address, &access_token, "GET", "/v1/me/preferences", None);
    assert_eq!(preferences.status, 200, "{}", preferences.body);

    // The partner's key, and wrong credentials of each kind (refused, and not printed either).
    let register = read_register_with_key(address, &api_key);
    assert_eq!(register.status, 200, "{}", register.body);
    let wrong_key = "ptk_wrongKeyThatLooksReal0123456789abcdefghij";
    let wrong_token = "pt_wrongTokenThatLooksReal0123456789abcdefghij";
    let wrong_link = "ptl_wrongLinkThatLooksReal0123456789abcdefghij";
    let refused = read_register_with_key(address, wrong_key);
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(
        call(address, wrong_token, "GET", "/v1/me/preferences", None).status,
        401
    );
    let spent = post_anonymously(address, "/v1/auth/session", json!({"token": wrong_link}));
    assert_eq!(spent.status, 401, "{}", spent.body);

    // A webhook whose URL carries a password and a token, to a port nobody listens on: its
    // failed deliveries are logged, without either.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (webhook_password, webhook_token) = ("WebhookPassword2027", "WebhookQueryToken2027");
    let webhook = send(
        address,
        "POST",
        "/v1/webhooks",
        &[("X-Api-Key", &api_key)],
        Some(
            &json!({"url": format!(
                "http://hr:{webhook_password}@127.0.0.1:{closed_port}/hooks?token={webhook_token}"
            )})
            .to_string(),
        ),
    )
    .unwrap();
    assert_eq!(webhook.status, 201, "{}", webhook.body);
    let shared = call(
        address,
        &access_token,
        "PUT",
        &format!("/v1/me/consents/{organisation}"),
        None,
    );
    assert_eq!(shared.status, 201, "{}", shared.body);
    wait_until("a failed webhook delivery", || {
        let outbox = call(address, &admin, "GET", "/v1/outbox", None).json();
        outbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["template"] == "register_change" && m["attempts"].as_i64() >= Some(1))
    });
    wait_until("both emails sent", || {
        let sent = emails();
        sent.len() >= 2 && sent.iter().any(|raw| raw.contains(learner_name))
    });
    // The worker logs a sent email after recording it; give the log line a moment.
    std::thread::sleep(Duration::from_millis(300));
    terminate(&mut server);
    printed.push_str(&output.finish());

    if let Some(smtp) = &smtp {
        assert!(smtp.sign_ins() > 0, "the worker signed in to the mail server");
    }
    // The check can fail: the output is there, and at trace level it names the requests.
    assert!(
        printed.contains("email sent"),
        "the worker's log is captured: {printed}"
    );
    assert!(
        printed.contains("register_change") && printed.contains("will retry"),
        "the failed webhook delivery is logged: {printed}"
    );
    if rust_log == Some("trace") {
        assert!(
            printed.contains("/v1/auth/session"),
            "requests are logged: {printed}"
        );
    }
    let mut secrets = vec![
        ("the administrator's bearer token", admin.clone()),
        ("the API key", api_key.clone()),
        ("the sign-in token", sign_in_token.clone()),
        ("the access token from signing in", access_token.clone()),
        ("a wrong API key", wrong_key.to_string()),
        ("a wrong bearer token", wrong_token.to_string()),
        ("a wrong sign-in token", wrong_link.to_string()),
        ("the learner's name", learner_name.to_string()),
        ("the learner's email address", "morag@example.org".to_string()),
        ("the SMTP password", smtp_password.to_string()),
        ("the password in a webhook's URL", webhook_password.to_string()),
        ("the token in a webhook's URL", webhook_token.to_string()),
    ];
    let sent = emails();
    assert_eq!(sent.len(), 2);
    for raw in &sent {
        for line in body_lines(raw) {
            secrets.push(("a line of an email's body", line));
        }
    }
    for (what, secret) in &secrets {
        if let Some(line) = printed.lines().find(|l| l.contains(secret.as_str())) {
            panic!("{what} ({secret}) appears in the output: {line}");
        }
    }
    println!(
        "{backend:?}, RUST_LOG={}: {} secrets and email lines absent from {} lines of output",
        rust_log.unwrap_or("(unset)"),
        secrets.len(),
        printed.lines().count()
    );
}

#[test]
fn no_secrets_in_logs_at_trace_level_on_sqlite() {
    no_secrets_in_logs(Backend::Sqlite, Some("trace"), true);
}

#[test]
fn no_secrets_in_logs_at_the_default_level_on_sqlite() {
    no_secrets_in_logs(Backend::Sqlite, None, false);
}

#[test]
fn no_secrets_in_logs_at_trace_level_on_postgres() {
    no_secrets_in_logs(Backend::Postgres, Some("trace"), false);
}

/// When the connection ends (EOF or an error) and what came back before it, read on a thread.
fn watch_until_closed(stream: &TcpStream) -> std::thread::JoinHandle<(Duration, Vec<u8>)> {
    let mut reader = stream.try_clone().unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let started = Instant::now();
    std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match std::io::Read::read(&mut reader, &mut chunk) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    panic!("the connection was still open after 20 s")
                }
                Err(_) => break,
            }
        }
        (started.elapsed(), received)
    })
}

/// Sends `text` in pieces, one every `every`, until the connection is found closed.
fn trickle(
    stream: &mut TcpStream,
    pieces: &[&str],
    every: Duration,
    closed: &std::thread::JoinHandle<(Duration, Vec<u8>)>,
) {
    for piece in pieces {
        if closed.is_finished() || stream.write_all(piece.as_bytes()).is_err() {
            return;
        }
        std::thread::sleep(every);
    }
}

/// One answer on a kept-alive connection: its status, read up to the end of its body.
fn read_one_answer(stream: &mut TcpStream) -> u16 {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(
            std::io::Read::read(stream, &mut byte).unwrap(),
            1,
            "an answer's head"
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    std::io::Read::read_exact(stream, &mut body).unwrap();
    head[9..12].parse().unwrap()
}

/// Slow clients cannot hold connections: with a read timeout of 2 s and an idle timeout of
/// 3 s, a request whose header lines trickle in (one every half second, so the connection is
/// never quiet), a body that trickles in, a connection that sends nothing and a kept-alive
/// connection left idle are each closed on time; a connection in steady use stays open.
#[test]
fn slow_and_idle_connections_are_closed_on_time() {
    let mut service = Peertrack::new(PEERTRACK, Backend::Sqlite).unwrap();
    service.set_env("PEERTRACK_REQUEST_READ_TIMEOUT", Some("2".into()));
    service.set_env("PEERTRACK_IDLE_TIMEOUT", Some("3".into()));
    // Stopped even when an assertion fails.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            terminate(&mut self.0);
        }
    }
    let _running = Running(service.start());
    let address = service.listen;
    let half_a_second = Duration::from_millis(500);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut stream = TcpStream::connect(address).unwrap();
            let closed = watch_until_closed(&stream);
            let lines: Vec<String> = std::iter::once(format!("GET /health HTTP/1.1\r\nHost: {address}\r\n"))
                .chain((0..30).map(|n| format!("X-Still-Typing-{n}: yes\r\n")))
                .collect();
            let pieces: Vec<&str> = lines.iter().map(String::as_str).collect();
            trickle(&mut stream, &pieces, half_a_second, &closed);
            let (after, received) = closed.join().unwrap();
            assert!(received.is_empty(), "{}", String::from_utf8_lossy(&received));
            assert!(
                after >= Duration::from_millis(1800) && after < Duration::from_secs(4),
                "slow headers cut after {after:?}"
            );
            eprintln!("header lines every 0.5 s: cut off after {after:?}");
        });
        scope.spawn(|| {
            let mut stream = TcpStream::connect(address).unwrap();
            let closed = watch_until_closed(&stream);
            let body = r#"{"email": "someone.slow@example.org"}"#;
            let head = format!(
                "POST /v1/auth/magic-link HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let pieces: Vec<&str> = std::iter::once(head.as_str())
                .chain(body.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()))
                .collect();
            trickle(&mut stream, &pieces, half_a_second, &closed);
            let (after, received) = closed.join().unwrap();
            let answer = String::from_utf8_lossy(&received);
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(answer.contains("did not arrive within 2 seconds"), "{answer}");
            assert!(after < Duration::from_secs(4), "slow body answered after {after:?}");
            eprintln!("body bytes every 0.5 s: 408 and closed after {after:?}");
        });
        scope.spawn(|| {
            let stream = TcpStream::connect(address).unwrap();
            let (after, received) = watch_until_closed(&stream).join().unwrap();
            assert!(received.is_empty());
            assert!(
                after >= Duration::from_millis(1800) && after < Duration::from_secs(4),
                "silent connection closed after {after:?}"
            );
            eprintln!("a connection that sends nothing: closed after {after:?}");
        });
        scope.spawn(|| {
            let mut stream = TcpStream::connect(address).unwrap();
            let request = format!("GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n");
            // Four requests 1.5 s apart: 6 s in all, longer than either timeout.
            for _ in 0..4 {
                stream.write_all(request.as_bytes()).unwrap();
                assert_eq!(read_one_answer(&mut stream), 200);
                std::thread::sleep(Duration::from_millis(1500));
            }
            stream.write_all(request.as_bytes()).unwrap();
            assert_eq!(read_one_answer(&mut stream), 200);
            let (after, received) = watch_until_closed(&stream).join().unwrap();
            assert!(received.is_empty());
            assert!(
                after >= Duration::from_millis(2800) && after < Duration::from_secs(5),
                "idle connection closed after {after:?}"
            );
            eprintln!("five requests 1.5 s apart on one connection answered; idle after the last: closed after {after:?}");
        });
    });
}
