//! `peertrack backup PATH` in the real binary.
//!
//! SQLite: while `peertrack serve` takes enrolments and attendance registers from several
//! threads, a backup is taken; a new `peertrack serve` started on the backup file (a restore)
//! has every write acknowledged before the backup began, none acknowledged after it finished,
//! answers `/health`, takes new writes, and passes `integrity_check`. A backup never
//! overwrites a file.
//!
//! PostgreSQL: the backup is a `pg_dump` archive that `pg_restore` loads into a fresh database
//! with the same rows in every table; without `pg_dump` the command says how to back up.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peertrack_core::store::backup;
use peertrack_core::store::testing::{with_database, POSTGRES_URL_VARIABLE};
use peertrack_e2e::process::{
    call, call_with_headers, free_address, person_statuses, send, terminate, Answer, Peertrack,
};
use peertrack_e2e::Backend;
use serde_json::{json, Value};

use crate::PEERTRACK;

const WRITERS: usize = 4;

/// `peertrack ARGS`, which may fail.
fn output(service: &Peertrack, args: &[&str]) -> Output {
    service.command(args).output().expect("run peertrack")
}

/// Runs a command that must succeed; returns its stdout, trimmed.
fn run(service: &Peertrack, args: &[&str]) -> String {
    service.run(args).0
}

/// A `PUT` of a session's whole register over `version`; must be answered.
fn put_register(listen: SocketAddr, token: &str, session: &str, version: i64, records: Value) -> Answer {
    call_with_headers(
        listen,
        token,
        "PUT",
        &format!("/v1/sessions/{session}/attendance"),
        &[("If-Match", &format!("\"{version}\""))],
        Some(json!({ "records": records })),
    )
}

/// Stops a child that a failed assertion would otherwise leave running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `peertrack serve`, once it answers `/health`.
fn serve(service: &Peertrack) -> Running {
    Running(service.start())
}

/// A write the service acknowledged with a 2xx, and when the answer arrived.
#[derive(Debug, Clone)]
struct Acknowledged {
    at: Instant,
    change: Change,
}

#[derive(Debug, Clone)]
enum Change {
    /// A learner enrolled: their name and person id.
    Enrolment { name: String, person_id: String },
    /// A session's whole register saved as `version`: (person id, mark) per learner.
    Register {
        session: String,
        version: i64,
        marks: BTreeMap<String, String>,
    },
}

/// One writer: enrols a new learner, then saves its session's register with every learner it
/// enrolled so far, again and again until told to stop.
fn keep_writing(
    listen: SocketAddr,
    token: String,
    cohort: String,
    session: String,
    writer: usize,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Acknowledged>>>,
) {
    let marks_cycle = ["present", "late", "excused"];
    let mut learners: Vec<String> = Vec::new();
    let mut version = 0_i64;
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) && learners.len() < 400 {
        let name = format!("Learner {writer}-{n}");
        let enrolment = call(
            listen,
            &token,
            "POST",
            &format!("/v1/cohorts/{cohort}/enrolments"),
            Some(json!({"email": format!("learner-{writer}-{n}@example.org"), "name": name})),
        );
        n += 1;
        if enrolment.status == 201 {
            let person_id = enrolment.json()["person_id"].as_str().unwrap().to_string();
            log.lock().unwrap().push(Acknowledged {
                at: Instant::now(),
                change: Change::Enrolment {
                    name,
                    person_id: person_id.clone(),
                },
            });
            learners.push(person_id);
        }
        // Each version marks the learners differently, so a register read back names its version.
        let marks: BTreeMap<String, String> = learners
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), marks_cycle[(i + version as usize) % 3].to_string()))
            .collect();
        let records: Vec<Value> = marks
            .iter()
            .map(|(p, s)| json!({"person_id": p, "status": s}))
            .collect();
        let register = put_register(listen, &token, &session, version, json!(records));
        if register.status == 200 {
            version = register.json()["version"].as_i64().unwrap();
            log.lock().unwrap().push(Acknowledged {
                at: Instant::now(),
                change: Change::Register {
                    session: session.clone(),
                    version,
                    marks,
                },
            });
        }
    }
}

fn enrolled_names(listen: SocketAddr, token: &str, cohort: &str) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page = call(
            listen,
            token,
            "GET",
            &format!("/v1/cohorts/{cohort}/enrolments?limit=500{cursor}"),
            None,
        );
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        for item in page["items"].as_array().unwrap() {
            names.insert(
                item["name"].as_str().unwrap().to_string(),
                item["person_id"].as_str().unwrap().to_string(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return names,
        }
    }
}

fn register_of(listen: SocketAddr, token: &str, session: &str) -> (i64, BTreeMap<String, String>) {
    let register = call(
        listen,
        token,
        "GET",
        &format!("/v1/sessions/{session}/attendance"),
        None,
    );
    assert_eq!(register.status, 200, "{}", register.body);
    let register = register.json();
    let marks = person_statuses(&register["records"]).collect();
    (register["version"].as_i64().unwrap(), marks)
}

/// The number after `label` in the backup's report, e.g. `holds 12 people`.
fn reported(report: &str, label: &str) -> i64 {
    let before = report
        .split(label)
        .next()
        .unwrap_or_else(|| panic!("no {label:?} in {report:?}"));
    before
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {label:?} in {report:?}"))
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".partial-"))
        .collect()
}

#[test]
fn a_sqlite_backup_under_load_restores_every_acknowledged_write() {
    let started = Instant::now();
    let mut service = Peertrack::new(PEERTRACK, Backend::Sqlite).expect("SQLite is always there");
    let dir = service.dir.path().to_path_buf();
    let token = service.admin_token("ada@example.org");
    let organisation = run(&service, &["admin", "add-organisation", "--name", "Penumbra"]);

    let mut live = serve(&service);
    let listen = service.listen;
    let today = chrono::Utc::now().date_naive();
    let cohort = call(
        listen,
        &token,
        "POST",
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P", "organisation_id": organisation, "name": "Dundee",
            "starts_on": today - chrono::Duration::days(30), "ends_on": today + chrono::Duration::days(30),
            "tutor_emails": [],
        })),
    );
    assert_eq!(cohort.status, 201, "{}", cohort.body);
    let cohort = cohort.json()["id"].as_str().unwrap().to_string();
    let sessions: Vec<String> = (0..WRITERS)
        .map(|week| {
            let start = chrono::Utc::now() - chrono::Duration::days(28 - 7 * week as i64);
            let session = call(
                listen,
                &token,
                "POST",
                &format!("/v1/cohorts/{cohort}/sessions"),
                Some(
                    json!({"title": format!("Week {}", week + 1), "starts_at": start.to_rfc3339(),
                        "ends_at": (start + chrono::Duration::hours(3)).to_rfc3339()}),
                ),
            );
            assert_eq!(session.status, 201, "{}", session.body);
            session.json()["id"].as_str().unwrap().to_string()
        })
        .collect();

    // Writers run; the backup is taken in the middle of their work; they carry on a little.
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let writers: Vec<_> = sessions
        .iter()
        .enumerate()
        .map(|(writer, session)| {
            let (token, cohort, session) = (token.clone(), cohort.clone(), session.clone());
            let (stop, log) = (stop.clone(), log.clone());
            std::thread::spawn(move || keep_writing(listen, token, cohort, session, writer, stop, log))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let backup_path = dir.join("backups").join("peertrack-backup.db");
    std::fs::create_dir(dir.join("backups")).unwrap();
    let backup_started = Instant::now();
    let report = run(&service, &["backup", &backup_path.display().to_string()]);
    let backup_finished = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let log = log.lock().unwrap().clone();
    let before: Vec<&Acknowledged> = log.iter().filter(|a| a.at < backup_started).collect();
    let after: Vec<&Acknowledged> = log.iter().filter(|a| a.at > backup_finished).collect();
    eprintln!(
        "{} writes acknowledged: {} before the backup began, {} after it finished; backup took {:?}",
        log.len(),
        before.len(),
        after.len(),
        backup_finished - backup_started
    );
    assert!(
        before.len() >= 20,
        "enough load before the backup: {}",
        before.len()
    );
    assert!(!after.is_empty(), "writes went on after the backup");
    assert!(report.contains("integrity check: ok"), "{report}");
    assert!(report.contains(&backup_path.display().to_string()), "{report}");
    assert_eq!(report.lines().count(), 2, "{report}");
    assert!(leftovers(backup_path.parent().unwrap()).is_empty());
    terminate(&mut live.0);

    // Restore: a new service on the backup file.
    service.set_env("PEERTRACK_DATABASE_URL", Some(backup_path.display().to_string()));
    service.set_listen(free_address());
    let mut restored = serve(&service);
    let restored_listen = service.listen;
    let health = send(restored_listen, "GET", "/health", &[], None).unwrap();
    assert_eq!((health.status, &health.json()["status"]), (200, &json!("ok")));

    let names = enrolled_names(restored_listen, &token, &cohort);
    let mut registers = HashMap::new();
    for session in &sessions {
        registers.insert(session.clone(), register_of(restored_listen, &token, session));
    }
    for acknowledged in &before {
        match &acknowledged.change {
            Change::Enrolment { name, person_id } => {
                assert_eq!(
                    names.get(name),
                    Some(person_id),
                    "{name}, enrolled before the backup, is restored"
                );
            }
            Change::Register { session, version, .. } => {
                let (restored_version, _) = &registers[session];
                assert!(
                    restored_version >= version,
                    "register {session} was saved as version {version} before the backup; restored {restored_version}"
                );
            }
        }
    }
    // Each restored register is exactly one that was saved, never a mixture.
    for (session, (version, marks)) in &registers {
        let saved = log.iter().find_map(|a| match &a.change {
            Change::Register {
                session: s,
                version: v,
                marks,
            } if s == session && v == version => Some(marks),
            _ => None,
        });
        assert_eq!(saved, Some(marks), "register {session} version {version}");
    }
    for acknowledged in &after {
        if let Change::Enrolment { name, .. } = &acknowledged.change {
            assert!(
                !names.contains_key(name),
                "{name} was enrolled after the backup finished"
            );
        }
    }
    // The report's counts describe the copy: Ada and the learners; one row per mark.
    assert_eq!(reported(&report, "people"), 1 + names.len() as i64, "{report}");
    let marks: usize = registers.values().map(|(_, m)| m.len()).sum();
    assert_eq!(reported(&report, "attendance records"), marks as i64, "{report}");
    assert_eq!(reported(&report, "certificates"), 0, "{report}");

    // The restored service takes new writes.
    let enrolment = call(
        restored_listen,
        &token,
        "POST",
        &format!("/v1/cohorts/{cohort}/enrolments"),
        Some(json!({"email": "after-restore@example.org", "name": "After Restore"})),
    );
    assert_eq!(enrolment.status, 201, "{}", enrolment.body);
    let (version, _) = &registers[&sessions[0]];
    let register = put_register(
        restored_listen,
        &token,
        &sessions[0],
        *version,
        json!([{"person_id": enrolment.json()["person_id"], "status": "present"}]),
    );
    assert_eq!(register.status, 200, "{}", register.body);
    assert_eq!(register.json()["version"], version + 1);
    terminate(&mut restored.0);

    let counts = backup::check_sqlite_file(&backup_path).expect("integrity_check says ok");
    assert_eq!(counts.people, 2 + names.len() as i64);
    eprintln!("SQLite backup test took {:?}", started.elapsed());
}

#[test]
fn a_backup_never_overwrites_a_file() {
    let mut service = Peertrack::new(PEERTRACK, Backend::Sqlite).expect("SQLite is always there");
    let dir = service.dir.path().to_path_buf();
    service.add_admin("ada@example.org");
    let taken = dir.join("precious.db");
    std::fs::write(&taken, "last week's backup").unwrap();
    let refused = output(&service, &["backup", "precious.db"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("precious.db already exists") && message.contains("never overwrites"),
        "{message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "last week's backup");
    assert!(refused.stdout.is_empty());

    // A database that is not there is not quietly created and backed up empty.
    let live = service.database_url();
    service.set_env(
        "PEERTRACK_DATABASE_URL",
        Some(dir.join("typo.db").display().to_string()),
    );
    let refused = output(&service, &["backup", "fresh.db"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("no SQLite database at") && message.contains("typo.db"),
        "{message}"
    );
    assert!(!dir.join("typo.db").exists());
    assert!(!dir.join("fresh.db").exists());
    service.set_env("PEERTRACK_DATABASE_URL", Some(live));

    // The first backup to a new name works; the same name again is refused.
    let made = run(&service, &["backup", "fresh.db"]);
    assert!(
        made.contains("It holds 1 people, 0 attendance records and 0 certificates."),
        "{made}"
    );
    let again = output(&service, &["backup", "fresh.db"]);
    assert!(!again.status.success());
    assert!(leftovers(&dir).is_empty());
}

#[test]
fn on_postgresql_without_pg_dump_the_backup_says_how() {
    let mut service = Peertrack::new(PEERTRACK, Backend::Sqlite).expect("SQLite is always there");
    service.set_env(
        "PEERTRACK_DATABASE_URL",
        Some("postgres://peertrack@127.0.0.1:1/peertrack".to_string()),
    );
    // A PATH without pg_dump on it.
    let dir = service.dir.path().to_path_buf();
    service.set_env("PATH", Some(dir.display().to_string()));
    let refused = output(&service, &["backup", "peertrack.dump"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("pg_dump was not found on PATH"), "{message}");
    assert!(
        message.contains("pg_dump --format=custom --no-owner") && message.contains("pg_restore"),
        "{message}"
    );
    assert!(!dir.join("peertrack.dump").exists());
}

/// Runs one query with psql and returns its unaligned output.
fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "--dbname", url, "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `table|rows` for every table, in name order.
fn row_counts(url: &str) -> String {
    psql(
        url,
        "SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', \
         table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
}

/// A database for `pg_restore` to fill, dropped afterwards.
struct EmptyPostgres {
    server: String,
    name: String,
}

impl Drop for EmptyPostgres {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-X", "-q", "--dbname", &self.server, "-c"])
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .output();
    }
}

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_postgresql_backup_is_a_pg_dump_that_pg_restore_loads() {
    if !(on_path("pg_dump") && on_path("pg_restore") && on_path("psql")) {
        eprintln!("SKIPPED (PostgreSQL): pg_dump, pg_restore and psql must be on PATH");
        return;
    }
    let Some(mut service) = Peertrack::new(PEERTRACK, Backend::Postgres) else {
        return;
    };
    let started = Instant::now();
    let source_url = service.database_url();
    let dir = service.dir.path().to_path_buf();
    run(&service, &["demo", "--people", "24"]);

    let report = run(&service, &["backup", "peertrack.dump"]);
    assert!(report.contains("pg_dump (custom format)"), "{report}");
    assert!(report.contains("pg_restore can read it"), "{report}");
    assert_eq!(report.lines().count(), 2, "{report}");
    let refused = output(&service, &["backup", "peertrack.dump"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("peertrack.dump already exists"));
    assert!(leftovers(&dir).is_empty());

    let server = std::env::var(POSTGRES_URL_VARIABLE).unwrap();
    let restored = EmptyPostgres {
        name: format!("peertrack_restore_{}", uuid::Uuid::new_v4().simple()),
        server: server.clone(),
    };
    psql(&server, &format!("CREATE DATABASE {}", restored.name));
    let restored_url = with_database(&server, &restored.name);
    let loaded = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored_url])
        .arg(dir.join("peertrack.dump"))
        .output()
        .unwrap();
    assert!(
        loaded.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );

    let expected = row_counts(&source_url);
    assert_eq!(
        row_counts(&restored_url),
        expected,
        "the same rows in every table"
    );
    let count = |table: &str| -> i64 {
        expected
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{table}|")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(count("certificates") > 0 && count("attendance") > 0, "{expected}");
    assert_eq!(reported(&report, "people"), count("people"), "{report}");
    assert_eq!(
        reported(&report, "attendance records"),
        count("attendance"),
        "{report}"
    );
    assert_eq!(
        reported(&report, "certificates"),
        count("certificates"),
        "{report}"
    );

    // The restored database serves.
    service.set_env("PEERTRACK_DATABASE_URL", Some(restored_url));
    let mut restored_service = serve(&service);
    service.add_admin("ada@example.org");
    terminate(&mut restored_service.0);
    eprintln!("PostgreSQL backup test took {:?}", started.elapsed());
}
