//! The email worker in the real `peertrack` binary: with the mail server down, requests to
//! `peertrack serve` still succeed; the service is killed (SIGKILL) while emails wait, one of
//! them claimed as if mid-send; the mail server comes back and `peertrack worker` delivers
//! every email exactly once, then stops cleanly on SIGTERM. Without `PEERTRACK_SMTP_URL`,
//! emails land as `.eml` files under `mail/`.
//!
//! The mail server here is a few lines of real SMTP over TCP on loopback.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use peertrack_core::store::{delivery, outbox, stored, Database};
use peertrack_e2e::mail::SmtpServer;
use peertrack_e2e::process::{call, eml_files, free_address, terminate, wait_until_within, Peertrack};
use peertrack_e2e::Backend;
use serde_json::json;

use crate::PEERTRACK;

// Generous: if the SIGKILL lands mid-claim, that claim's 90-second lease must run out first.
const PATIENCE: Duration = Duration::from_secs(150);

fn wait_until(what: &str, done: impl FnMut() -> bool) {
    wait_until_within(what, PATIENCE, done);
}

/// A fresh SQLite service whose emails link to a public address.
fn service() -> Peertrack {
    let mut service = Peertrack::new(PEERTRACK, Backend::Sqlite).expect("SQLite is always there");
    service.set_env(
        "PEERTRACK_PUBLIC_URL",
        Some("https://peertrack.example.org".to_string()),
    );
    service
}

/// `peertrack worker`, its output discarded.
fn start_worker(service: &Peertrack) -> Child {
    service
        .command(&["worker"])
        .stderr(Stdio::null())
        .spawn()
        .expect("start peertrack worker")
}

fn outbox_rows(db: &Database) -> Vec<outbox::OutboxMessage> {
    db.read(|conn| outbox::list(conn, None, 1000)).unwrap()
}

#[test]
fn queued_emails_survive_an_smtp_outage_and_a_sigkill_and_arrive_once() {
    let mut service = service();
    // The mail server is down: nothing listens on its port (yet).
    let smtp_address = free_address();
    service.set_env("PEERTRACK_SMTP_URL", Some(format!("smtp://{smtp_address}")));
    let token = service.admin_token("ada@example.org");
    let organisation = service
        .run(&["admin", "add-organisation", "--name", "Penumbra"])
        .0;

    // The service runs; the mail server is down.
    let mut server = service.start();
    let listen = service.listen;
    let cohort = call(
        listen,
        &token,
        "POST",
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P", "organisation_id": organisation, "name": "Dundee",
            "starts_on": "2027-03-01", "ends_on": "2027-04-26", "tutor_emails": [],
        })),
    );
    assert_eq!(cohort.status, 201, "{}", cohort.body);
    let cohort_id = cohort.json()["id"].as_str().unwrap().to_string();
    for n in 0..5 {
        let enrolment = call(
            listen,
            &token,
            "POST",
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": format!("learner{n}@example.org"), "name": format!("Learner {n}")})),
        );
        assert_eq!(
            enrolment.status, 201,
            "requests succeed while mail is down: {}",
            enrolment.body
        );
    }
    let db = service.database();
    wait_until("a failed first attempt at every email", || {
        let rows = outbox_rows(&db);
        rows.len() == 5 && rows.iter().all(|m| m.attempts >= 1 && m.last_error.is_some())
    });

    // Killed where it stands; one email was claimed as if it was being sent at that moment.
    server.kill().unwrap();
    server.wait().unwrap();
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
    let smtp = SmtpServer::start_on(smtp_address);
    let mut worker = start_worker(&service);
    let back = Instant::now();
    wait_until("every email to be sent", || {
        outbox_rows(&db).iter().all(|m| m.status == "sent")
    });
    eprintln!(
        "all 5 emails sent {:?} after the mail server came back",
        back.elapsed()
    );
    std::thread::sleep(Duration::from_millis(500));
    terminate(&mut worker);

    let received: Vec<(Vec<String>, String)> = smtp
        .received()
        .iter()
        .map(|m| (m.envelope_to.clone(), m.text()))
        .collect();
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
    let mut service = service();
    // Everything but the public address left to its default: the database and `mail/` in the
    // folder the command runs in.
    for key in [
        "PEERTRACK_DATABASE_URL",
        "PEERTRACK_LISTEN",
        "PEERTRACK_KEY_DIR",
        "PEERTRACK_MAIL_DIR",
    ] {
        service.set_env(key, None);
    }
    service.add_admin("ada@example.org");
    let db = service.database();
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
    let mut worker = start_worker(&service);
    let mail = service.dir.path().join("mail");
    wait_until("an .eml file", || !eml_files(&mail).is_empty());
    terminate(&mut worker);
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
