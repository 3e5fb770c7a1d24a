//! The course the check-in tests run on: a cohort with a tutor, three learners and a session
//! starting in five minutes, a learner of another cohort, and a clock the tests move.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use peertrack_core::domain::Clock;
use peertrack_core::store::people;
use peertrack_e2e::scenario::organisation;
use peertrack_e2e::{Backend, TestServer};
use reqwest::header::COOKIE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::pages::{browser, get, hidden, sign_in};

/// A clock the test moves.
pub(super) struct MovableClock(Mutex<DateTime<Utc>>);

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A cohort with a tutor, three learners (Amy, Ben, Cara) and a session starting in five
/// minutes; and a learner of another cohort (Olu).
pub(super) struct Course {
    pub(super) server: TestServer,
    pub(super) clock: Arc<MovableClock>,
    pub(super) session_id: String,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) tutor: String,
    pub(super) tutor_cookie: String,
    pub(super) ids: Vec<(String, String)>,
}

impl Course {
    pub(super) fn advance_to(&self, at: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = at;
    }

    pub(super) fn id_of(&self, email: &str) -> String {
        self.ids.iter().find(|(e, _)| e == email).unwrap().1.clone()
    }

    /// The address the tutor's screen shows now.
    pub(super) async fn scanned_url(&self) -> String {
        let screen = get(
            &self.server,
            &self.tutor_cookie,
            &format!("/sessions/{}/check-in", self.session_id),
        )
        .await;
        assert_eq!(screen.status(), 200);
        let html = screen.text().await.unwrap();
        let marker = "data-check-in-url=\"";
        let start = html.find(marker).unwrap_or_else(|| panic!("no code on {html}")) + marker.len();
        let url = html[start..].split('"').next().unwrap();
        // As askama escapes an attribute.
        let url = [("&#38;", "&"), ("&amp;", "&"), ("&#47;", "/"), ("&#x2f;", "/")]
            .iter()
            .fold(url.to_string(), |url, (escaped, plain)| {
                url.replace(escaped, plain)
            });
        assert!(url.starts_with(&self.server.base), "{url}");
        url[self.server.base.len()..].to_string()
    }

    pub(super) async fn register(&self) -> Value {
        let (status, body) = self
            .server
            .call(
                &self.tutor,
                Method::GET,
                &format!("/v1/sessions/{}/attendance", self.session_id),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub(super) async fn mark_of(&self, email: &str) -> Option<(String, String)> {
        let id = self.id_of(email);
        self.register().await["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["person_id"] == id.as_str())
            .map(|r| {
                (
                    r["status"].as_str().unwrap().to_string(),
                    r["recorded_by"].as_str().unwrap().to_string(),
                )
            })
    }
}

pub(super) async fn course(backend: Backend) -> Option<Course> {
    let clock = Arc::new(MovableClock(Mutex::new(Utc::now())));
    let server = TestServer::start_with_clock(backend, clock.clone()).await?;
    let organisation_id = organisation(&server, "Hillside Recovery College").await;
    let today = Utc::now().date_naive();
    let mut cohorts = Vec::new();
    for (name, tutor) in [
        ("Tuesday group", "tutor@example.org"),
        ("Thursday group", "other-tutor@example.org"),
    ] {
        let (status, cohort) = server
            .call(
                &server.admin_token,
                Method::POST,
                "/v1/cohorts",
                Some(json!({
                    "programme_code": "P2P", "organisation_id": organisation_id, "name": name,
                    "starts_on": today - Duration::days(7), "ends_on": today + Duration::days(60),
                    "tutor_emails": [tutor],
                })),
            )
            .await;
        assert_eq!(status, 201, "{cohort}");
        cohorts.push((
            cohort["id"].as_str().unwrap().to_string(),
            server.token_for(tutor).await,
        ));
    }
    let mut ids = Vec::new();
    for (email, name, (cohort_id, tutor)) in [
        ("amy@example.org", "Amy Adeyemi", &cohorts[0]),
        ("ben@example.org", "Ben Øvergård", &cohorts[0]),
        ("cara@example.org", "Cara Ní Bhriain", &cohorts[0]),
        ("olu@example.org", "Olu Bello", &cohorts[1]),
    ] {
        let (status, enrolment) = server
            .call(
                tutor,
                Method::POST,
                &format!("/v1/cohorts/{cohort_id}/enrolments"),
                Some(json!({"email": email, "name": name, "enrolled_on": today - Duration::days(7)})),
            )
            .await;
        assert_eq!(status, 201, "{enrolment}");
        ids.push((
            email.to_string(),
            enrolment["person_id"].as_str().unwrap().to_string(),
        ));
    }
    let starts_at = clock.now() + Duration::minutes(5);
    let (cohort_id, tutor) = cohorts[0].clone();
    let (status, session) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/sessions"),
            Some(json!({"title": "Week 3: boundaries", "starts_at": starts_at.to_rfc3339(), "ends_at": (starts_at + Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let tutor_cookie = sign_in(&server, "tutor@example.org").await;
    Some(Course {
        session_id: session["id"].as_str().unwrap().to_string(),
        starts_at,
        tutor,
        tutor_cookie,
        ids,
        server,
        clock,
    })
}

/// Presses **Check in** on the page at `path` as the signed-in `cookie`.
pub(super) async fn press_check_in(server: &TestServer, cookie: &str, path: &str) -> Response {
    let page = get(server, cookie, path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<button type=\"submit\">Check in</button>"),
        "{html}"
    );
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("session", hidden(&html, "session")),
        ("code", hidden(&html, "code")),
    ];
    browser()
        .post(server.url("/check-in"))
        .header(COOKIE, format!("peertrack_session={cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub(super) async fn text_of(server: &TestServer, cookie: &str, path: &str) -> (StatusCode, String) {
    let page = get(server, cookie, path).await;
    (page.status(), page.text().await.unwrap())
}

pub(super) async fn people_id(server: &TestServer, email: &str) -> String {
    let email = email.to_string();
    server
        .database
        .db
        .read_async(move |conn| Ok(people::by_email(conn, &email)?.expect("the person").id))
        .await
        .unwrap()
}
