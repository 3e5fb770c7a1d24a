//! Signing in by email link on both databases, end to end: the link arrives at a real SMTP
//! server, its token signs the person in once, it stops working after 15 minutes, unknown
//! addresses get the same answer and no email, and asking is rate-limited.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use peertrack_core::domain::Clock;
use peertrack_e2e::mail::{Email, SmtpServer};
use peertrack_e2e::{e2e_on_both_backends, Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PATIENCE: Duration = Duration::from_secs(20);

async fn ask_for_link(server: &TestServer, email: &str) -> (StatusCode, Value) {
    let response = server
        .http
        .post(server.url("/v1/auth/magic-link"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn exchange(server: &TestServer, token: &str) -> (StatusCode, Value, Option<String>) {
    let response = server
        .http
        .post(server.url("/v1/auth/session"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cache = response
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string());
    (status, response.json().await.unwrap(), cache)
}

/// The link in a sign-in email, and its token.
fn link_in(email: &Email, base: &str) -> (String, String) {
    let text = email.text();
    let prefix = format!("{base}/sign-in?token=");
    let link = text
        .split_whitespace()
        .find(|word| word.starts_with(&prefix))
        .unwrap_or_else(|| panic!("a sign-in link in: {text}"))
        .to_string();
    let token = link[prefix.len()..].to_string();
    assert!(
        email.html().contains(&format!("href=\"{link}\"")),
        "the HTML has the same link"
    );
    (link, token)
}

async fn a_sign_in_link_signs_the_person_in_once(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let (status, body) = ask_for_link(server, "  ADA@example.org ").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "accepted");
    let emails = smtp.wait_for("ada@example.org", 1, PATIENCE).await;
    let email = &emails[0];
    assert_eq!(email.subject(), "Your Peertrack sign-in link");
    assert!(email.text().contains("It works once, for the next 15 minutes."));
    assert!(
        !email.text().contains("turn them off"),
        "sign-in links are essential"
    );
    let (_, token) = link_in(email, &server.base);

    let (status, session, cache) = exchange(server, &token).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    let access = session["access_token"].as_str().unwrap();
    let expires_at: DateTime<Utc> = session["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires_at - Utc::now()).num_minutes() as f64 / 60.0;
    assert!((11.9..=12.0).contains(&hours), "about 12 hours: {hours}");
    let (status, _) = server.call(access, Method::GET, "/v1/outbox", None).await;
    assert_eq!(status, 200, "signed in as Ada, an administrator");

    // Single use.
    let (status, problem, _) = exchange(server, &token).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["status"], 401);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("already been used or has expired"));
    let (status, _, _) = exchange(server, "ptl_not-a-real-token").await;
    assert_eq!(status, 401);

    // Once sent, the outbox keeps no trace of the link.
    server.wait_until_delivered(PATIENCE).await;
    worker.stop().await;
    let outbox = server.outbox().await;
    let sign_in = outbox.iter().find(|m| m.template == "sign_in").unwrap();
    assert_eq!(sign_in.status, "sent");
    assert!(
        !sign_in.payload.contains(&token),
        "the token is gone: {}",
        sign_in.payload
    );
    let (_, page) = server
        .call(&server.admin_token, Method::GET, "/v1/outbox", None)
        .await;
    assert!(!page.to_string().contains(&token));
}

async fn an_unknown_address_gets_the_same_answer_and_no_email(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    // Warm the connection up first, so the first measured answer is not the slowest.
    server.http.get(server.url("/health")).send().await.unwrap();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for round in 0..4 {
        let started = Instant::now();
        let (status, known_body) = ask_for_link(server, "ada@example.org").await;
        known.push(started.elapsed());
        assert_eq!(status, 202);
        let started = Instant::now();
        let (status, unknown_body) = ask_for_link(server, &format!("stranger{round}@example.org")).await;
        unknown.push(started.elapsed());
        assert_eq!(status, 202);
        assert_eq!(known_body, unknown_body, "the same body either way");
    }
    known.sort();
    unknown.sort();
    eprintln!("magic-link answer times: known {known:?}, unknown {unknown:?}");
    let (known_median, unknown_median) = (known[2], unknown[2]);
    let gap = known_median.abs_diff(unknown_median);
    assert!(
        gap < Duration::from_millis(50),
        "similar timing: {known_median:?} vs {unknown_median:?}"
    );

    smtp.wait_for("ada@example.org", 4, PATIENCE).await;
    server.wait_until_delivered(PATIENCE).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.stop().await;
    assert_eq!(smtp.received().len(), 4, "only Ada hears from us");
    assert!(server
        .outbox()
        .await
        .iter()
        .all(|m| m.recipient == "ada@example.org"));
}

async fn asking_is_limited_per_address(server: &TestServer) {
    for _ in 0..5 {
        let (status, _) = ask_for_link(server, "ada@example.org").await;
        assert_eq!(status, 202);
    }
    let (status, problem) = ask_for_link(server, "Ada@Example.org").await;
    assert_eq!(status, 429, "{problem}");
    assert_eq!(problem["status"], 429);
    let (status, problem) = ask_for_link(server, "someone-else@example.org").await;
    assert_eq!(status, 202, "other addresses are not affected: {problem}");
    let (status, problem) = ask_for_link(server, "not an address").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email");
}

async fn asking_is_limited_per_client(server: &TestServer) {
    let mut statuses = Vec::new();
    for n in 0..31 {
        statuses.push(ask_for_link(server, &format!("someone{n}@example.org")).await.0);
    }
    assert!(statuses[..30].iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(statuses[30], 429);
}

/// A clock that can be moved forward.
struct MovableClock(Mutex<DateTime<Utc>>);

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

async fn a_link_expires_after_15_minutes(backend: Backend) {
    let clock = Arc::new(MovableClock(Mutex::new(Utc::now())));
    let Some(server) = TestServer::start_with_clock(backend, clock.clone()).await else {
        return;
    };
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    for _ in 0..2 {
        let (status, _) = ask_for_link(&server, "ada@example.org").await;
        assert_eq!(status, 202);
    }
    let emails = smtp.wait_for("ada@example.org", 2, PATIENCE).await;
    let (_, first) = link_in(&emails[0], &server.base);
    let (_, second) = link_in(&emails[1], &server.base);
    assert_ne!(first, second);

    *clock.0.lock().unwrap() += chrono::Duration::minutes(14);
    let (status, _, _) = exchange(&server, &first).await;
    assert_eq!(status, 200, "still good after 14 minutes");
    *clock.0.lock().unwrap() += chrono::Duration::minutes(2);
    let (status, problem, _) = exchange(&server, &second).await;
    assert_eq!(status, 401, "expired after 16 minutes: {problem}");
    worker.stop().await;
}

mod expiry {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        a_link_expires_after_15_minutes(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        a_link_expires_after_15_minutes(Backend::Postgres).await;
    }
}

async fn bad_bodies_are_problems_naming_the_field(server: &TestServer) {
    for (path, body, field) in [
        ("/v1/auth/magic-link", r#"{"email": 5}"#, "email"),
        (
            "/v1/auth/magic-link",
            r#"{"email": "a@example.org", "extra": 1}"#,
            "extra",
        ),
        ("/v1/auth/session", r#"{}"#, "token"),
        ("/v1/auth/session", r#"{"token": ""}"#, "token"),
    ] {
        let response = server
            .http
            .post(server.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path} {body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, _) = server
        .call(
            "",
            Method::PUT,
            "/v1/me/preferences",
            Some(json!({"reminders": false})),
        )
        .await;
    assert_eq!(status, 401, "preferences need a person");
    let token = server.token_for("ada@example.org").await;
    let (status, problem) = server
        .call(
            &token,
            Method::PUT,
            "/v1/me/preferences",
            Some(json!({"reminders": "no"})),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reminders");
}

e2e_on_both_backends!(
    bad_bodies_are_problems_naming_the_field,
    a_sign_in_link_signs_the_person_in_once,
    an_unknown_address_gets_the_same_answer_and_no_email,
    asking_is_limited_per_address,
    asking_is_limited_per_client,
);
