//! A tutor's records in the browser, over real HTTP on both databases: the assessments grid,
//! moving or cancelling a session, withdrawing a learner, and a cohort's certificates. Forms
//! without their token change nothing; a learner is refused on every page; a grid with one bad
//! line saves none of it; issuing twice issues once.

use chrono::{Duration, TimeZone, Utc};
use peertrack_e2e::scenario::{eligible_learner, EligibleLearner};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::pages::{browser, get, hidden, post_form, sign_in};

/// A cohort (from [`eligible_learner`]) with a second learner, who meets no requirement yet,
/// and a session to come.
struct Cohort {
    eligible: EligibleLearner,
    suffix: String,
    other_id: String,
    session_id: String,
}

impl Cohort {
    fn tutor_email(&self) -> String {
        format!("tutor-{}@example.org", self.suffix)
    }

    fn learner_email(&self) -> String {
        format!("learner-{}@example.org", self.suffix)
    }

    fn id(&self) -> &str {
        &self.eligible.cohort_id
    }

    /// The assessment of a module, as the API reads it (status and body).
    async fn assessment(&self, server: &TestServer, person_id: &str, module: &str) -> (StatusCode, Value) {
        server
            .call(
                &self.eligible.tutor,
                Method::GET,
                &format!("/v1/cohorts/{}/assessments/{person_id}/{module}", self.id()),
                None,
            )
            .await
    }

    async fn session(&self, server: &TestServer) -> Value {
        let (status, body) = server
            .call(
                &self.eligible.tutor,
                Method::GET,
                &format!("/v1/sessions/{}", self.session_id),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn enrolment(&self, server: &TestServer, person_id: &str) -> Value {
        let (_, list) = server
            .call(
                &self.eligible.tutor,
                Method::GET,
                &format!("/v1/cohorts/{}/enrolments", self.id()),
                None,
            )
            .await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["person_id"] == person_id)
            .unwrap_or_else(|| panic!("{person_id} in {list}"))
            .clone()
    }

    async fn certificates(&self, server: &TestServer) -> usize {
        let (status, list) = server
            .call(
                &server.admin_token,
                Method::GET,
                &format!("/v1/certificates?cohort_id={}", self.id()),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        list["items"].as_array().unwrap().len()
    }

    /// The pages, and a form each of them takes that would change something.
    fn forms(&self) -> Vec<(String, Vec<(&'static str, String)>)> {
        let cohort = self.id();
        vec![
            (
                format!("/cohorts/{cohort}/assessments"),
                vec![
                    ("module", "M4".into()),
                    ("person-0", self.other_id.clone()),
                    ("version-0", "0".into()),
                    ("outcome-0", "achieved".into()),
                ],
            ),
            (
                format!("/sessions/{}/change", self.session_id),
                vec![
                    ("action", "cancel".into()),
                    ("reason", "The hall is flooded".into()),
                ],
            ),
            (
                format!("/cohorts/{cohort}/learners/{}/withdraw", self.other_id),
                vec![("reason", "Moving away".into())],
            ),
            (format!("/cohorts/{cohort}/certificates"), vec![]),
        ]
    }
}

async fn cohort(server: &TestServer, suffix: &str) -> Cohort {
    let eligible = eligible_learner(server, "P2P", suffix).await;
    let (status, enrolment) = server
        .call(
            &eligible.tutor,
            Method::POST,
            &format!("/v1/cohorts/{}/enrolments", eligible.cohort_id),
            Some(json!({"email": format!("second-{suffix}@example.org"), "name": format!("Ōtautahi Ngata {suffix}")})),
        )
        .await;
    assert_eq!(status, 201, "{enrolment}");
    let start = Utc::now() + Duration::days(7);
    let (status, session) = server
        .call(
            &eligible.tutor,
            Method::POST,
            &format!("/v1/cohorts/{}/sessions", eligible.cohort_id),
            Some(json!({"title": "Week 5", "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    Cohort {
        other_id: enrolment["person_id"].as_str().unwrap().to_string(),
        session_id: session["id"].as_str().unwrap().to_string(),
        suffix: suffix.to_string(),
        eligible,
    }
}

/// Nothing any of the forms would change has changed.
async fn nothing_changed(server: &TestServer, c: &Cohort) {
    assert_eq!(
        c.assessment(server, &c.other_id, "M4").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(c.session(server).await["status"], "scheduled");
    assert_eq!(
        c.enrolment(server, &c.other_id).await["withdrawn_at"],
        Value::Null
    );
    assert_eq!(c.certificates(server).await, 0);
}

async fn a_form_without_its_token_changes_nothing(server: &TestServer) {
    let c = cohort(server, "csrf").await;
    let tutor = sign_in(server, &c.tutor_email()).await;
    for (path, fields) in c.forms() {
        for token in [None, Some("forged")] {
            let mut sent: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(token) = token {
                sent.push(("csrf", token));
            }
            let refused = post_form(server, &tutor, &path, &sent).await;
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert!(refused.text().await.unwrap().contains("Please try that again"));
        }
    }
    nothing_changed(server, &c).await;
}

async fn a_learner_is_refused_on_every_page(server: &TestServer) {
    let c = cohort(server, "lrn").await;
    let stranger = cohort(server, "str").await;
    let learner = sign_in(server, &c.learner_email()).await;
    let outsider = sign_in(server, &stranger.learner_email()).await;
    let csrf = hidden(
        &get(server, &learner, "/home").await.text().await.unwrap(),
        "csrf",
    );
    let outsider_csrf = hidden(
        &get(server, &outsider, "/home").await.text().await.unwrap(),
        "csrf",
    );
    for (path, fields) in c.forms() {
        // The cohort's learner knows it exists and is told they cannot do this.
        let page = get(server, &learner, &path).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "GET {path}");
        assert!(
            page.text().await.unwrap().contains("You cannot do this here"),
            "{path}"
        );
        let mut sent: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sent.push(("csrf", &csrf));
        let refused = post_form(server, &learner, &path, &sent).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "POST {path}");
        // A learner of another cohort may not know it exists.
        assert_eq!(
            get(server, &outsider, &path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
        let mut sent: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sent.push(("csrf", &outsider_csrf));
        let hidden_from = post_form(server, &outsider, &path, &sent).await;
        assert_eq!(hidden_from.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    nothing_changed(server, &c).await;
    // Signed out, each page sends you to sign in.
    let anonymous = browser()
        .get(server.url(&format!("/cohorts/{}/certificates", c.id())))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

async fn a_bad_line_in_the_grid_saves_nothing(server: &TestServer) {
    let c = cohort(server, "grid").await;
    let learner_id = c.eligible.person_id.clone();
    let tutor = sign_in(server, &c.tutor_email()).await;
    let page = get(
        server,
        &tutor,
        &format!("/cohorts/{}/assessments?module=M4", c.id()),
    )
    .await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<h1>Assessments: Self-management Tools</h1>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<legend>Ōtautahi Ngata {}</legend>", c.suffix)),
        "{html}"
    );
    assert!(html.contains(">Save assessments</button>"));
    assert!(html.contains("<option value=\"M1\""), "a module picker: {html}");
    let csrf = hidden(&html, "csrf");
    let (_, m4) = c.assessment(server, &learner_id, "M4").await;
    let m4_version = m4["version"].as_i64().unwrap().to_string();

    // The second line's feedback is too long: nothing is saved, the message is beside it, and
    // what was typed is kept.
    let long = format!("Kind words {}", "x".repeat(2_000));
    let grid = [
        ("csrf", csrf.as_str()),
        ("module", "M4"),
        ("person-0", learner_id.as_str()),
        ("version-0", m4_version.as_str()),
        ("outcome-0", "not_yet_achieved"),
        ("note-0", "Let us talk it over next week"),
        ("person-1", c.other_id.as_str()),
        ("version-1", "0"),
        ("outcome-1", "achieved"),
        ("note-1", long.as_str()),
    ];
    let refused = post_form(server, &tutor, &format!("/cohorts/{}/assessments", c.id()), &grid).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Nothing was saved"), "{html}");
    assert!(
        html.contains("The feedback must be at most 2000 characters long."),
        "{html}"
    );
    assert!(
        html.contains("Let us talk it over next week"),
        "the first line is kept: {html}"
    );
    assert!(html.contains("Kind words xxx"), "the second line is kept");
    assert_eq!(
        c.assessment(server, &learner_id, "M4").await.1["outcome"],
        "achieved"
    );
    assert_eq!(
        c.assessment(server, &c.other_id, "M4").await.0,
        StatusCode::NOT_FOUND
    );

    // A line someone else changed since the page was read is said, not overwritten.
    let stale = [
        ("csrf", csrf.as_str()),
        ("module", "M4"),
        ("person-0", learner_id.as_str()),
        ("version-0", "0"),
        ("outcome-0", "not_yet_achieved"),
        ("person-1", c.other_id.as_str()),
        ("version-1", "0"),
        ("outcome-1", "achieved"),
    ];
    let refused = post_form(
        server,
        &tutor,
        &format!("/cohorts/{}/assessments", c.id()),
        &stale,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("was changed by someone else while you were working"),
        "{html}"
    );
    assert_eq!(
        c.assessment(server, &c.other_id, "M4").await.0,
        StatusCode::NOT_FOUND
    );

    // Both lines right: both saved at once.
    let mut fixed = grid;
    fixed[9] = ("note-1", "Well done");
    let saved = post_form(
        server,
        &tutor,
        &format!("/cohorts/{}/assessments", c.id()),
        &fixed,
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()[LOCATION],
        format!("/cohorts/{}/assessments?module=M4&done=saved&count=2", c.id())
    );
    assert_eq!(
        c.assessment(server, &learner_id, "M4").await.1["outcome"],
        "not_yet_achieved"
    );
    let (_, other) = c.assessment(server, &c.other_id, "M4").await;
    assert_eq!(
        (&other["outcome"], &other["note"]),
        (&json!("achieved"), &json!("Well done"))
    );
    let html = get(server, &tutor, saved.headers()[LOCATION].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Saved 2 assessments; each learner has been emailed their outcome."),
        "{html}"
    );
}

async fn issuing_twice_issues_once(server: &TestServer) {
    let c = cohort(server, "twice").await;
    let tutor = sign_in(server, &c.tutor_email()).await;
    let path = format!("/cohorts/{}/certificates", c.id());
    let html = get(server, &tutor, &path).await.text().await.unwrap();
    assert!(html.contains(">Issue 1 certificate</button>"), "{html}");
    assert!(html.contains("Learner twice"), "{html}");
    assert!(html.contains("Not there yet") && html.contains(&format!("Ōtautahi Ngata {}", c.suffix)));
    let csrf = hidden(&html, "csrf");
    // Two presses at once (a double tap): one issues, the other finds it done.
    let fields = [("csrf", csrf.as_str())];
    let (first, second) = tokio::join!(
        post_form(server, &tutor, &path, &fields),
        post_form(server, &tutor, &path, &fields),
    );
    let mut answers: Vec<String> = [first, second]
        .iter()
        .map(|r| {
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            r.headers()[LOCATION].to_str().unwrap().to_string()
        })
        .collect();
    answers.sort();
    assert_eq!(
        answers,
        [
            format!("{path}?done=issued&count=0"),
            format!("{path}?done=issued&count=1")
        ]
    );
    // Pressed again (a flaky connection, or a second tab): nobody gets a second certificate.
    let again = post_form(server, &tutor, &path, &[("csrf", &csrf)]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()[LOCATION], format!("{path}?done=issued&count=0"));
    assert_eq!(c.certificates(server).await, 1);
    let html = get(server, &tutor, &format!("{path}?done=issued&count=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Issued 1 certificate; the learner has been emailed."),
        "{html}"
    );
    assert!(html.contains("Already certified"), "{html}");
    assert!(
        html.contains("Nobody is waiting for a certificate just now."),
        "{html}"
    );
}

async fn a_session_moves_and_is_cancelled_and_a_learner_leaves(server: &TestServer) {
    let c = cohort(server, "move").await;
    let tutor = sign_in(server, &c.tutor_email()).await;
    let path = format!("/sessions/{}/change", c.session_id);
    let html = get(server, &tutor, &path).await.text().await.unwrap();
    assert!(html.contains("<h1>Change or cancel Week 5</h1>"), "{html}");
    let csrf = hidden(&html, "csrf");
    let day = (Utc::now() + Duration::days(9)).date_naive().to_string();

    // An end before the start is said beside the end, and what was typed is kept.
    let wrong = [
        ("csrf", csrf.as_str()),
        ("action", "move"),
        ("date", day.as_str()),
        ("starts", "14:00"),
        ("ends", "13:00"),
    ];
    let refused = post_form(server, &tutor, &path, &wrong).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"ends-error\">The end time must be after the start time"),
        "{html}"
    );
    assert!(html.contains("value=\"13:00\""), "{html}");
    let moved = [
        ("csrf", csrf.as_str()),
        ("action", "move"),
        ("date", day.as_str()),
        ("starts", "14:00"),
        ("ends", "16:30"),
    ];
    let moved = post_form(server, &tutor, &path, &moved).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        moved.headers()[LOCATION],
        format!("/cohorts/{}?done=session-moved", c.id())
    );
    // 14:00 typed is 14:00 on a UK clock that day (13:00 UTC in summer).
    let session = c.session(server).await;
    let typed = chrono_tz::Europe::London
        .from_local_datetime(
            &format!("{day}T14:00:00")
                .parse::<chrono::NaiveDateTime>()
                .unwrap(),
        )
        .single()
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        session["starts_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        typed,
        "{session}"
    );

    // Cancelling needs a reason; then it is cancelled, and the page says so.
    let refused = post_form(
        server,
        &tutor,
        &path,
        &[("csrf", &csrf), ("action", "cancel"), ("reason", "")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("id=\"reason-error\">Please tell the learners why"));
    assert_eq!(c.session(server).await["status"], "scheduled");
    let reason = "The hall is closed for repairs";
    let cancelled = post_form(
        server,
        &tutor,
        &path,
        &[("csrf", &csrf), ("action", "cancel"), ("reason", reason)],
    )
    .await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        cancelled.headers()[LOCATION],
        format!("/cohorts/{}?done=session-cancelled", c.id())
    );
    assert_eq!(c.session(server).await["cancel_reason"], reason);
    let html = get(server, &tutor, &path).await.text().await.unwrap();
    assert!(
        html.contains("This session was cancelled on") && html.contains(reason),
        "{html}"
    );
    assert!(!html.contains("Move session"));

    // Withdrawing names the learner, needs a reason, and sends the tutor back to the cohort.
    let path = format!("/cohorts/{}/learners/{}/withdraw", c.id(), c.other_id);
    let name = format!("Ōtautahi Ngata {}", c.suffix);
    let html = get(server, &tutor, &path).await.text().await.unwrap();
    assert!(html.contains(&format!("<h1>Withdraw {name}</h1>")), "{html}");
    assert!(html.contains(&format!(">Withdraw {name}</button>")), "{html}");
    let refused = post_form(server, &tutor, &path, &[("csrf", &csrf), ("reason", "x")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"reason-error\">The reason must say why"),
        "{html}"
    );
    assert!(html.contains(">x</textarea>"), "{html}");
    let withdrawn = post_form(
        server,
        &tutor,
        &path,
        &[("csrf", &csrf), ("reason", "Moving to Aberdeen")],
    )
    .await;
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        withdrawn.headers()[LOCATION],
        format!("/cohorts/{}?done=learner-withdrawn", c.id())
    );
    assert_eq!(
        c.enrolment(server, &c.other_id).await["withdrawal_reason"],
        "Moving to Aberdeen"
    );
    let html = get(server, &tutor, &path).await.text().await.unwrap();
    assert!(html.contains("The reason recorded: Moving to Aberdeen"), "{html}");
}

e2e_on_both_backends!(
    a_form_without_its_token_changes_nothing,
    a_learner_is_refused_on_every_page,
    a_bad_line_in_the_grid_saves_nothing,
    issuing_twice_issues_once,
    a_session_moves_and_is_cancelled_and_a_learner_leaves,
);
