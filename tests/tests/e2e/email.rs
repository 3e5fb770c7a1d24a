//! Email on both databases, against a real SMTP server on loopback: each change's email is
//! delivered exactly once and reads as it should (headers, both parts, the certificate PDF);
//! an SMTP outage loses and doubles nothing; a worker that dies mid-send is recovered after its
//! lease; several workers share the queue; failures are visible to administrators; and without
//! an SMTP server emails land as readable `.eml` files.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::store::{self, delivery};
use peertrack_core::worker::compose::message_id;
use peertrack_core::worker::transport::MailTransport;
use peertrack_e2e::free_address;
use peertrack_e2e::mail::{quick_settings, Email, SmtpServer};
use peertrack_e2e::scenario::{eligible_learner, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

const PATIENCE: Duration = Duration::from_secs(20);

/// A cohort with a tutor; returns (cohort id, tutor token).
async fn cohort(server: &TestServer, suffix: &str) -> (String, String) {
    let organisation_id = organisation(server, &format!("Provider {suffix}")).await;
    let tutor_email = format!("tutor-{suffix}@example.org");
    let (status, cohort) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": format!("Dundee {suffix}"),
                "starts_on": "2027-03-01",
                "ends_on": "2027-04-26",
                "tutor_emails": [tutor_email],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let tutor = server.token_for(&tutor_email).await;
    (cohort["id"].as_str().unwrap().to_string(), tutor)
}

async fn enrol(server: &TestServer, tutor: &str, cohort_id: &str, email: &str, name: &str) -> Value {
    let (status, body) = server
        .call(
            tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": email, "name": name})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn message_ids(emails: &[Email]) -> Vec<String> {
    emails
        .iter()
        .map(|e| e.header("message-id").expect("a Message-ID").to_string())
        .collect()
}

async fn enrolling_a_learner_delivers_exactly_one_enrolment_email(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let (cohort_id, tutor) = cohort(server, "a").await;
    let asked = Instant::now();
    enrol(server, &tutor, &cohort_id, "Rowan@Example.org", "Rowan Learner").await;
    let emails = smtp.wait_for("rowan@example.org", 1, PATIENCE).await;
    let latency = asked.elapsed();
    eprintln!("enrolment email delivered {latency:?} after the request was answered");

    // Give the worker time to (wrongly) send it again, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outbox = server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let received = smtp.received();
    assert_eq!(received.len(), 1, "one email in all, to the learner");
    assert_eq!(received[0].envelope_to, ["rowan@example.org"]);
    assert_eq!(received[0].envelope_from, "no-reply@peertrack.test");
    let enrolment = outbox.iter().find(|m| m.template == "enrolment").expect("queued");
    assert_eq!((enrolment.status.as_str(), enrolment.attempts), ("sent", 1));

    let email = &emails[0];
    assert_eq!(
        email.subject(),
        "Welcome to Peer2Peer: Vocational Peer Support Training"
    );
    assert_eq!(email.header("from"), Some("Peertrack <no-reply@peertrack.test>"));
    assert_eq!(email.header("to"), Some("rowan@example.org"));
    assert_eq!(
        email.header("message-id"),
        Some(message_id(&enrolment.idempotency_key, "peertrack.test").as_str()),
        "the Message-ID comes from the idempotency key"
    );
    assert_eq!(email.header("auto-submitted"), Some("auto-generated"));
    assert!(email.header("date").is_some());
    assert_eq!(email.header("mime-version"), Some("1.0"));
    assert!(email
        .header("content-type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let text = email.text();
    assert!(text.starts_with("Hello Rowan Learner,"), "{text}");
    assert!(text.contains("You're now part of Dundee a"), "{text}");
    assert!(
        text.contains("The cohort runs from Monday 1 March 2027 to Monday 26 April 2027."),
        "{text}"
    );
    assert!(text.contains(&format!("{}/sign-in", server.base)), "{text}");
    assert!(
        !text.contains("turn them off"),
        "an essential email has no opt-out line"
    );
    let html = email.html();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<strong>Dundee a</strong>"), "{html}");
    assert!(
        html.contains(&format!("<a href=\"{}/sign-in\">", server.base)),
        "{html}"
    );
}

async fn issuing_a_certificate_delivers_the_number_link_and_pdf(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let learner = eligible_learner(server, "P2P", "c").await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let number = certificate["number"].as_str().unwrap();
    let verification_url = certificate["verification_url"].as_str().unwrap();
    assert!(verification_url.starts_with(&format!("{}/verify/", server.base)));

    let outbox = server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let emails: Vec<Email> = smtp
        .received()
        .iter()
        .map(|m| Email::parse(&m.raw))
        .filter(|e| e.subject().contains("certificate"))
        .collect();
    assert!(!emails.is_empty());
    assert_eq!(emails.len(), 1, "one certificate email");
    let email = &emails[0];
    assert_eq!(
        email.subject(),
        "Your Peer2Peer: Vocational Peer Support Training certificate"
    );
    assert!(email
        .header("content-type")
        .unwrap()
        .starts_with("multipart/mixed"));
    let text = email.text();
    assert!(text.contains(&format!("Certificate number: {number}")), "{text}");
    assert!(text.contains(verification_url), "{text}");
    assert!(text.contains("It is attached to this email as a PDF"), "{text}");
    let html = email.html();
    assert!(html.contains(&format!("<strong>{number}</strong>")), "{html}");
    assert!(
        html.contains(&format!("<a href=\"{verification_url}\">")),
        "{html}"
    );
    let pdf = email.leaf("application/pdf").expect("the PDF is attached");
    let disposition = pdf.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(&format!("certificate-{number}.pdf")),
        "{disposition}"
    );
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF document");
    if let Some(words) = pdf_text(&pdf.body) {
        assert!(words.contains(number), "the PDF shows the number: {words}");
        assert!(words.contains("Learner c"), "{words}");
    }
    let sent = outbox
        .iter()
        .filter(|m| m.template == "certificate_issued")
        .collect::<Vec<_>>();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].status.as_str(), sent[0].attempts), ("sent", 1));
}

/// The PDF's text through pdftotext, when it is installed (CI installs it).
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("certificate.pdf");
    std::fs::write(&path, pdf).ok()?;
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

async fn an_smtp_outage_loses_and_doubles_nothing(server: &TestServer) {
    // The mail server is down: nothing listens on its port.
    let address = free_address();
    let first_worker = server.start_smtp_worker(&format!("smtp://{address}"));
    let (cohort_id, tutor) = cohort(server, "o").await;
    for n in 0..4 {
        enrol(
            server,
            &tutor,
            &cohort_id,
            &format!("learner{n}@example.org"),
            &format!("Learner {n}"),
        )
        .await;
    }
    // Requests succeed; the emails wait, retried with backoff.
    wait_for_attempts(server, 2).await;
    let waiting = server.outbox().await;
    assert!(waiting.iter().all(|m| m.status == "pending"));
    assert!(
        waiting[0].last_error.as_deref().unwrap().contains("onnection"),
        "{waiting:?}"
    );

    // The worker restarts while the server is still away.
    first_worker.stop().await;
    let second_worker = server.start_smtp_worker(&format!("smtp://{address}"));
    for n in 4..6 {
        enrol(
            server,
            &tutor,
            &cohort_id,
            &format!("learner{n}@example.org"),
            &format!("Learner {n}"),
        )
        .await;
    }
    // The server comes back, but refuses for a while (421, as in maintenance).
    let smtp = SmtpServer::start_on(address);
    smtp.refuse(true);
    let refused_from = Instant::now();
    loop {
        let outbox = server.outbox().await;
        if outbox
            .iter()
            .all(|m| m.last_error.as_deref().is_some_and(|e| e.contains("421")))
        {
            break;
        }
        assert!(refused_from.elapsed() < PATIENCE, "{outbox:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(smtp.received().is_empty());
    smtp.refuse(false);
    let recovered_from = Instant::now();
    let outbox = server.wait_until_delivered(PATIENCE).await;
    eprintln!(
        "every queued email delivered {:?} after the server recovered",
        recovered_from.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    second_worker.stop().await;

    assert_eq!(outbox.len(), 6);
    assert!(outbox.iter().all(|m| m.status == "sent"), "{outbox:?}");
    let received: Vec<Email> = smtp.received().iter().map(|m| Email::parse(&m.raw)).collect();
    assert_eq!(received.len(), 6, "each email once");
    let mut ids = message_ids(&received);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 6, "no email twice");
    let attempts: Vec<i32> = outbox.iter().map(|m| m.attempts).collect();
    eprintln!("attempts per email across the outage: {attempts:?}");
}

/// Waits until every queued message has had at least `attempts` delivery attempts.
async fn wait_for_attempts(server: &TestServer, attempts: i32) {
    let started = Instant::now();
    loop {
        let outbox = server.outbox().await;
        if !outbox.is_empty() && outbox.iter().all(|m| m.attempts >= attempts) {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{outbox:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_crash_between_claim_and_send_is_recovered_after_the_lease(server: &TestServer) {
    let smtp = SmtpServer::start();
    let (cohort_id, tutor) = cohort(server, "k").await;
    enrol(server, &tutor, &cohort_id, "kit@example.org", "Kit Learner").await;
    // A worker claims the email with a two-second lease and dies before sending it.
    let claimed = server
        .database
        .db
        .write_async(|conn| {
            let now = Utc::now();
            delivery::claim_due(
                conn,
                delivery::EMAIL,
                store::stored(now),
                store::stored(now + chrono::Duration::seconds(2)),
                10,
            )
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let crashed_at = Instant::now();

    let worker = server.start_smtp_worker(&smtp.url());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        smtp.received().is_empty(),
        "the claim holds while its lease lasts"
    );
    let emails = smtp.wait_for("kit@example.org", 1, PATIENCE).await;
    let recovered_after = crashed_at.elapsed();
    eprintln!("the email claimed by a dead worker went out {recovered_after:?} after the crash (lease 2 s)");
    assert!(recovered_after >= Duration::from_secs(2));
    let outbox = server.wait_until_delivered(PATIENCE).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.stop().await;
    assert_eq!(emails.len(), 1);
    assert_eq!(smtp.received().len(), 1, "sent once");
    assert_eq!((outbox[0].status.as_str(), outbox[0].attempts), ("sent", 2));
}

async fn several_workers_share_the_queue_and_send_each_email_once(server: &TestServer) {
    let smtp = SmtpServer::start();
    let (cohort_id, tutor) = cohort(server, "w").await;
    for n in 0..24 {
        enrol(
            server,
            &tutor,
            &cohort_id,
            &format!("w{n}@example.org"),
            &format!("Learner {n}"),
        )
        .await;
    }
    let started = Instant::now();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let mut settings = quick_settings(server);
            settings.batch_size = 3;
            let transport = MailTransport::new(Some(&smtp.url()), std::path::Path::new("unused")).unwrap();
            server.start_worker(transport, settings)
        })
        .collect();
    let outbox = server.wait_until_delivered(PATIENCE).await;
    eprintln!("24 emails delivered by 3 workers in {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    for worker in workers {
        worker.stop().await;
    }
    assert!(
        outbox.iter().all(|m| m.status == "sent" && m.attempts == 1),
        "{outbox:?}"
    );
    let received: Vec<Email> = smtp.received().iter().map(|m| Email::parse(&m.raw)).collect();
    assert_eq!(received.len(), 24);
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for email in &received {
        *per_recipient
            .entry(email.header("to").unwrap().to_string())
            .or_default() += 1;
    }
    assert!(per_recipient.values().all(|&n| n == 1), "{per_recipient:?}");
}

async fn failures_are_visible_to_administrators_and_can_be_retried(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let (cohort_id, tutor) = cohort(server, "f").await;
    enrol(
        server,
        &tutor,
        &cohort_id,
        "nobody@bounce.example.org",
        "Sam Learner",
    )
    .await;
    enrol(server, &tutor, &cohort_id, "ok@example.org", "Ok Learner").await;
    let outbox = server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let failed: Vec<_> = outbox.iter().filter(|m| m.status == "failed").collect();
    assert_eq!(failed.len(), 1, "a permanent refusal is not retried: {outbox:?}");
    assert_eq!(failed[0].attempts, 1);

    let (status, page) = server
        .call(&server.admin_token, Method::GET, "/v1/outbox?status=failed", None)
        .await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["template"], "enrolment");
    assert_eq!(items[0]["recipient"], "nobody@bounce.example.org");
    assert_eq!(items[0]["status"], "failed");
    assert!(items[0]["last_error"].as_str().unwrap().contains("550"), "{page}");
    assert!(items[0].get("payload").is_none(), "no content is shown");
    assert_eq!(page["next_cursor"], Value::Null);

    let (status, all) = server
        .call(&server.admin_token, Method::GET, "/v1/outbox?limit=1", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert!(all["next_cursor"].is_string());

    let (status, _) = server
        .call(&tutor, Method::GET, "/v1/outbox?status=failed", None)
        .await;
    assert_eq!(status, 403, "only administrators");

    let id = items[0]["id"].as_i64().unwrap();
    let (status, retried) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/outbox/{id}/retry"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["attempts"], 0);
    let (status, again) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/outbox/{id}/retry"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{again}");
}

async fn without_an_smtp_server_emails_are_readable_eml_files(server: &TestServer) {
    let folder = tempfile::tempdir().unwrap();
    let mail_dir = folder.path().join("mail");
    let transport = MailTransport::new(None, &mail_dir).unwrap();
    let worker = server.start_worker(transport, quick_settings(server));
    let (cohort_id, tutor) = cohort(server, "e").await;
    enrol(server, &tutor, &cohort_id, "eml@example.org", "Eli Learner").await;
    server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(name.ends_with(".eml") && name.contains("-enrolment-"), "{name}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("Subject: Welcome to Peer2Peer"), "{raw}");
    assert!(raw.contains("To: eml@example.org"), "{raw}");
    let email = Email::parse(raw.as_bytes());
    assert!(email.text().contains("Hello Eli Learner,"));
    assert!(email.html().contains("Hello Eli Learner,"));
}

async fn reminders_can_be_turned_off_while_essential_emails_still_come(server: &TestServer) {
    let smtp = SmtpServer::start();
    let (cohort_id, tutor) = cohort(server, "r").await;
    let keen = enrol(server, &tutor, &cohort_id, "keen@example.org", "Keen Learner").await;
    let quiet = enrol(server, &tutor, &cohort_id, "quiet@example.org", "Quiet Learner").await;
    let quiet_token = server.token_for("quiet@example.org").await;
    let (status, prefs) = server
        .call(&quiet_token, Method::GET, "/v1/me/preferences", None)
        .await;
    assert_eq!((status.as_u16(), &prefs), (200, &json!({"reminders": true})));
    let (status, prefs) = server
        .call(
            &quiet_token,
            Method::PUT,
            "/v1/me/preferences",
            Some(json!({"reminders": false})),
        )
        .await;
    assert_eq!((status.as_u16(), &prefs), (200, &json!({"reminders": false})));

    // A session tomorrow, and one last week at which both were absent.
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    let (status, _) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/sessions"),
            Some(json!({"title": "Week 3", "starts_at": tomorrow.to_rfc3339(), "ends_at": (tomorrow + chrono::Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201);
    let last_week = Utc::now() - chrono::Duration::days(7);
    let (_, session) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/sessions"),
            Some(json!({"title": "Week 2", "starts_at": last_week.to_rfc3339(), "ends_at": (last_week + chrono::Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    let session_id = session["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            &tutor,
            Method::PUT,
            &format!("/v1/sessions/{session_id}/attendance"),
            Some(json!({"records": [
                {"person_id": keen["person_id"], "status": "absent"},
                {"person_id": quiet["person_id"], "status": "absent"},
            ]})),
        )
        .await;
    assert_eq!(status, 200);

    let worker = server.start_smtp_worker(&smtp.url());
    let outbox = server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let by = |template: &str, recipient: &str| {
        outbox
            .iter()
            .find(|m| m.template == template && m.recipient == recipient)
            .map(|m| m.status.clone())
    };
    assert_eq!(
        by("enrolment", "quiet@example.org").as_deref(),
        Some("sent"),
        "essential"
    );
    assert_eq!(
        by("missed_session", "quiet@example.org").as_deref(),
        Some("skipped")
    );
    assert_eq!(by("missed_session", "keen@example.org").as_deref(), Some("sent"));
    assert_eq!(
        by("session_reminder", "quiet@example.org"),
        None,
        "not even queued"
    );
    assert_eq!(
        by("session_reminder", "keen@example.org").as_deref(),
        Some("sent")
    );

    let to_keen = smtp.wait_for("keen@example.org", 3, PATIENCE).await;
    let reminder = to_keen
        .iter()
        .find(|e| e.subject() == "Tomorrow: Week 3")
        .expect("a reminder");
    let text = reminder.text();
    assert!(text.contains("turn them off"), "{text}");
    assert!(text.contains(&format!("{}/sign-in", server.base)), "{text}");
    let missed = to_keen
        .iter()
        .find(|e| e.subject() == "We missed you at Week 2")
        .expect("a missed-session note");
    assert!(missed.text().contains("turn them off"));
    let to_quiet = smtp.wait_for("quiet@example.org", 1, PATIENCE).await;
    assert_eq!(to_quiet.len(), 1, "only the enrolment email");
}

async fn the_scheduler_queues_each_time_based_email_once(server: &TestServer) {
    let (cohort_id, tutor) = cohort(server, "s").await;
    let learner = enrol(server, &tutor, &cohort_id, "sky@example.org", "Sky Learner").await;
    let person_id = learner["person_id"].as_str().unwrap();
    for days_ago in [14, 7] {
        let at = Utc::now() - chrono::Duration::days(days_ago);
        let (_, session) = server
            .call(
                &tutor,
                Method::POST,
                &format!("/v1/cohorts/{cohort_id}/sessions"),
                Some(json!({"title": format!("{days_ago} days ago"), "starts_at": at.to_rfc3339(), "ends_at": (at + chrono::Duration::hours(2)).to_rfc3339()})),
            )
            .await;
        let session_id = session["id"].as_str().unwrap();
        let (status, _) = server
            .call(
                &tutor,
                Method::PUT,
                &format!("/v1/sessions/{session_id}/attendance"),
                Some(json!({"records": [{"person_id": person_id, "status": "absent"}]})),
            )
            .await;
        assert_eq!(status, 200);
    }
    let smtp = SmtpServer::start();
    let transport = MailTransport::new(Some(&smtp.url()), std::path::Path::new("unused")).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let worker = peertrack_core::worker::DeliveryWorker::new(
        server.database.db.clone(),
        transport,
        clock,
        quick_settings(server),
    )
    .unwrap();
    assert_eq!(worker.schedule().await.unwrap(), 1, "one note to the tutor");
    assert_eq!(worker.schedule().await.unwrap(), 0, "and not again");
    while worker.deliver_due().await.unwrap().claimed > 0 {}
    let notes = smtp.wait_for("tutor-s@example.org", 1, PATIENCE).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].subject(), "Sky Learner has missed two sessions in a row");
    let text = notes[0].text();
    assert!(
        text.contains("14 days ago") && text.contains("7 days ago"),
        "{text}"
    );
    assert!(text.contains("turn them off"), "{text}");
}

e2e_on_both_backends!(
    enrolling_a_learner_delivers_exactly_one_enrolment_email,
    issuing_a_certificate_delivers_the_number_link_and_pdf,
    an_smtp_outage_loses_and_doubles_nothing,
    a_crash_between_claim_and_send_is_recovered_after_the_lease,
    several_workers_share_the_queue_and_send_each_email_once,
    failures_are_visible_to_administrators_and_can_be_retried,
    without_an_smtp_server_emails_are_readable_eml_files,
    reminders_can_be_turned_off_while_essential_emails_still_come,
    the_scheduler_queues_each_time_based_email_once,
);
