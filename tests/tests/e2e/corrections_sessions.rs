//! Records people can correct, as they notice it over HTTP on both databases: a session called
//! off no longer counts against anyone and its register closes; a session that moves reaches
//! its learners by email; a tutor taken off a cohort loses it on their next request; a learner
//! who leaves is on no later register, gets no certificate from that cohort, and keeps the
//! modules they achieved when they come back in a later one.

use std::time::Duration as Patience;

use chrono::{Duration, Utc};
use peertrack_e2e::mail::SmtpServer;
use peertrack_e2e::scenario::{eligible_learner, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

e2e_on_both_backends!(
    cancelling_a_missed_session_gives_the_learner_back_their_rate_and_eligibility,
    a_session_that_moves_reaches_its_learners_by_email,
    a_tutor_taken_off_a_cohort_loses_it_on_their_next_request,
    a_learner_who_leaves_and_comes_back_keeps_their_modules,
);

const PATIENCE: Patience = Patience::from_secs(20);

async fn ok(server: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = server.call(token, method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

async fn eligibility(server: &TestServer, token: &str, person_id: &str) -> Value {
    ok(
        server,
        token,
        Method::GET,
        &format!("/v1/people/{person_id}/eligibility?programme=P2P"),
        None,
    )
    .await
}

fn requirement<'a>(eligibility: &'a Value, code: &str) -> &'a Value {
    eligibility["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == code)
        .unwrap_or_else(|| panic!("no {code} requirement in {eligibility}"))
}

async fn add_session(
    server: &TestServer,
    token: &str,
    cohort_id: &str,
    title: &str,
    starts_at: chrono::DateTime<Utc>,
) -> String {
    let session = ok(
        server,
        token,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        Some(json!({"title": title, "starts_at": starts_at, "ends_at": starts_at + Duration::hours(2)})),
    )
    .await;
    session["id"].as_str().unwrap().to_string()
}

async fn cancelling_a_missed_session_gives_the_learner_back_their_rate_and_eligibility(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "snow").await;
    assert_eq!(
        eligibility(server, &learner.learner, &learner.person_id).await["eligible"],
        true
    );

    // A second session, three days ago, which the learner missed: 1 of 2 is under 80%.
    let snowed = add_session(
        server,
        &learner.tutor,
        &learner.cohort_id,
        "Week 2",
        Utc::now() - Duration::days(3),
    )
    .await;
    let register = format!("/v1/sessions/{snowed}/attendance");
    ok(
        server,
        &learner.tutor,
        Method::PUT,
        &register,
        Some(json!({"records": [{"person_id": learner.person_id, "status": "absent"}]})),
    )
    .await;
    let before = eligibility(server, &learner.learner, &learner.person_id).await;
    assert_eq!(before["eligible"], false, "{before}");
    assert_eq!(requirement(&before, "attendance")["met"], false);

    // It was snowed off after all: the tutor cancels it.
    let cancelled = ok(
        server,
        &learner.tutor,
        Method::POST,
        &format!("/v1/sessions/{snowed}/cancel"),
        Some(json!({"reason": "Snow: the venue was closed"})),
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "Snow: the venue was closed");
    let seen = ok(
        server,
        &learner.learner,
        Method::GET,
        &format!("/v1/sessions/{snowed}"),
        None,
    )
    .await;
    assert_eq!(seen["status"], "cancelled", "the learner sees it was called off");
    assert_eq!(seen["cancel_reason"], "Snow: the venue was closed");

    let after = eligibility(server, &learner.learner, &learner.person_id).await;
    assert_eq!(after["eligible"], true, "{after}");
    assert_eq!(requirement(&after, "attendance")["met"], true);
    let progress = ok(
        server,
        &learner.tutor,
        Method::GET,
        &format!("/v1/cohorts/{}/progress", learner.cohort_id),
        None,
    )
    .await;
    let row = &progress["items"][0];
    assert_eq!(row["attendance"]["counted"], 1, "{row}");
    assert_eq!(row["attendance"]["rate_percent"], 100.0);

    // Its register is closed, and cancelling it again changes nothing.
    let (status, problem) = server
        .call(
            &learner.tutor,
            Method::PUT,
            &register,
            Some(json!({"records": [{"person_id": learner.person_id, "status": "present"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["detail"],
        "This session was cancelled, so its register can no longer be changed."
    );
    let (status, problem) = server
        .call(
            &learner.tutor,
            Method::POST,
            &format!("/v1/sessions/{snowed}/cancel"),
            Some(json!({"reason": "Snow, again"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["detail"], "This session was already cancelled.");
    let seen = ok(
        server,
        &learner.learner,
        Method::GET,
        &format!("/v1/sessions/{snowed}"),
        None,
    )
    .await;
    assert_eq!(
        seen["cancel_reason"], "Snow: the venue was closed",
        "the first reason stands"
    );

    // The learner, now eligible again, gets their certificate.
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
}

async fn a_session_that_moves_reaches_its_learners_by_email(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let organisation_id = organisation(server, "Making Recovery Real").await;
    let today = Utc::now().date_naive();
    let cohort = ok(
        server,
        &server.admin_token,
        Method::POST,
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P",
            "organisation_id": organisation_id,
            "name": "Dundee spring",
            "starts_on": today - Duration::days(10),
            "ends_on": today + Duration::days(60),
            "tutor_emails": ["tutor-move@example.org"],
        })),
    )
    .await;
    let cohort_id = cohort["id"].as_str().unwrap();
    let tutor = server.token_for("tutor-move@example.org").await;
    ok(
        server,
        &tutor,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/enrolments"),
        Some(json!({"email": "rowan@example.org", "name": "Rowan Learner"})),
    )
    .await;
    let was = (Utc::now() + Duration::days(14))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    let session = add_session(server, &tutor, cohort_id, "Week 3: boundaries", was).await;
    let path = format!("/v1/sessions/{session}");

    // The same rules as a new session: it ends after it starts.
    let (status, problem) = server
        .call(
            &tutor,
            Method::PATCH,
            &path,
            Some(json!({"ends_at": was - Duration::hours(1)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "ends_at");

    let now_on = was + Duration::days(1) + Duration::hours(4);
    let moved = ok(
        server,
        &tutor,
        Method::PATCH,
        &path,
        Some(json!({"starts_at": now_on, "ends_at": now_on + Duration::hours(2)})),
    )
    .await;
    assert_eq!(moved["status"], "scheduled");
    assert_eq!(
        moved["starts_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        now_on
    );

    // The welcome, then the new time.
    let emails = smtp.wait_for("rowan@example.org", 2, PATIENCE).await;
    worker.stop().await;
    let note = emails
        .iter()
        .find(|e| e.subject() == "New time for Week 3: boundaries")
        .unwrap_or_else(|| {
            panic!(
                "no note of the new time: {:?}",
                emails.iter().map(|e| e.subject()).collect::<Vec<_>>()
            )
        });
    let text = note.text();
    assert!(text.starts_with("Hello Rowan Learner,"), "{text}");
    assert!(
        text.contains("\"Week 3: boundaries\" with Dundee spring has moved."),
        "{text}"
    );
    // As a UK clock reads it: 14:00 UTC is 15:00 in summer.
    let uk = |at: chrono::DateTime<Utc>| at.with_timezone(&chrono_tz::Europe::London);
    let new_day = uk(now_on).format("%A %-d %B %Y").to_string();
    let (starts, ends) = (
        uk(now_on).format("%H:%M").to_string(),
        uk(now_on + Duration::hours(2)).format("%H:%M").to_string(),
    );
    assert!(
        text.contains(&format!("It is now on {new_day}, from {starts} to {ends}.")),
        "{text}"
    );
    assert!(!text.contains("UTC"), "{text}");
}

async fn a_tutor_taken_off_a_cohort_loses_it_on_their_next_request(server: &TestServer) {
    let organisation_id = organisation(server, "Penumbra").await;
    let today = Utc::now().date_naive();
    let cohort = ok(
        server,
        &server.admin_token,
        Method::POST,
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P",
            "organisation_id": organisation_id,
            "name": "Fife",
            "starts_on": today - Duration::days(10),
            "ends_on": today + Duration::days(60),
            "tutor_emails": ["first-tutor@example.org"],
        })),
    )
    .await;
    let cohort_id = cohort["id"].as_str().unwrap();
    let path = format!("/v1/cohorts/{cohort_id}");
    let first = server.token_for("first-tutor@example.org").await;
    let session = add_session(
        server,
        &first,
        cohort_id,
        "Week 1",
        Utc::now() - Duration::days(2),
    )
    .await;

    // The tutor may rename it, and nothing else.
    let renamed = ok(
        server,
        &first,
        Method::PATCH,
        &path,
        Some(json!({"name": "Fife (Thursdays)"})),
    )
    .await;
    assert_eq!(renamed["name"], "Fife (Thursdays)");
    let (status, problem) = server
        .call(
            &first,
            Method::PATCH,
            &path,
            Some(json!({"ends_on": today + Duration::days(90)})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    // An administrator keeps the dates around the sessions held.
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"starts_on": today})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "starts_on");

    // And hands the cohort to another tutor.
    let handed = ok(
        server,
        &server.admin_token,
        Method::PATCH,
        &path,
        Some(json!({"tutor_emails": ["second-tutor@example.org"]})),
    )
    .await;
    assert_eq!(handed["tutors"].as_array().unwrap().len(), 1);
    for gone in [
        path.clone(),
        format!("/v1/sessions/{session}"),
        format!("/v1/sessions/{session}/attendance"),
    ] {
        let (status, _) = server.call(&first, Method::GET, &gone, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    }
    let second = server.token_for("second-tutor@example.org").await;
    ok(server, &second, Method::GET, &path, None).await;
    ok(
        server,
        &second,
        Method::GET,
        &format!("/v1/sessions/{session}/attendance"),
        None,
    )
    .await;
}

async fn a_learner_who_leaves_and_comes_back_keeps_their_modules(server: &TestServer) {
    let organisation_id = organisation(server, "Hearing Voices Network").await;
    let today = Utc::now().date_naive();
    let mut cohorts = Vec::new();
    for (name, starts, ends) in [("Spring", -60, 30), ("Autumn", -5, 120)] {
        let cohort = ok(
            server,
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": name,
                "starts_on": today + Duration::days(starts),
                "ends_on": today + Duration::days(ends),
                "tutor_emails": ["tutor-hvn@example.org"],
            })),
        )
        .await;
        cohorts.push(cohort["id"].as_str().unwrap().to_string());
    }
    let (spring, autumn) = (&cohorts[0], &cohorts[1]);
    let tutor = server.token_for("tutor-hvn@example.org").await;
    let enrolment = ok(
        server,
        &tutor,
        Method::POST,
        &format!("/v1/cohorts/{spring}/enrolments"),
        Some(json!({"email": "sam@example.org", "name": "Sam Learner", "enrolled_on": today - Duration::days(60)})),
    )
    .await;
    let sam = enrolment["person_id"].as_str().unwrap().to_string();
    let held = add_session(server, &tutor, spring, "Week 1", Utc::now() - Duration::days(50)).await;
    ok(
        server,
        &tutor,
        Method::PUT,
        &format!("/v1/sessions/{held}/attendance"),
        Some(json!({"records": [{"person_id": sam, "status": "present"}]})),
    )
    .await;
    for module in ["PRE", "M1"] {
        ok(
            server,
            &tutor,
            Method::PUT,
            &format!("/v1/cohorts/{spring}/assessments/{sam}/{module}"),
            Some(json!({"outcome": "achieved"})),
        )
        .await;
    }
    let later = add_session(server, &tutor, spring, "Week 9", Utc::now() + Duration::days(7)).await;

    // Sam leaves the spring cohort.
    let withdraw = format!("/v1/cohorts/{spring}/enrolments/{sam}/withdraw");
    let (status, problem) = server
        .call(&tutor, Method::POST, &withdraw, Some(json!({"reason": "   "})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reason");
    let withdrawn = ok(
        server,
        &tutor,
        Method::POST,
        &withdraw,
        Some(json!({"reason": "Moving house; hopes to join the autumn cohort"})),
    )
    .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(
        withdrawn["withdrawal_reason"],
        "Moving house; hopes to join the autumn cohort"
    );
    let (status, _) = server
        .call(&tutor, Method::POST, &withdraw, Some(json!({"reason": "Again"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Sam is on the earlier register still, and on no later one.
    let earlier = ok(
        server,
        &tutor,
        Method::GET,
        &format!("/v1/sessions/{held}/attendance"),
        None,
    )
    .await;
    assert_eq!(earlier["records"][0]["person_id"], sam.as_str(), "history stays");
    assert_eq!(earlier["learners"][0]["person_id"], sam.as_str());
    let next = ok(
        server,
        &tutor,
        Method::GET,
        &format!("/v1/sessions/{later}/attendance"),
        None,
    )
    .await;
    assert_eq!(next["learners"], json!([]), "{next}");
    let (status, problem) = server
        .call(
            &tutor,
            Method::PUT,
            &format!("/v1/sessions/{later}/attendance"),
            Some(json!({"records": [{"person_id": sam, "status": "present"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "records[0].person_id");

    // No certificate from the spring cohort, and the answer says why in plain words.
    let judged = eligibility(server, &server.admin_token, &sam).await;
    assert_eq!(judged["eligible"], false);
    let explanation = judged["requirements"][0]["explanation"].as_str().unwrap();
    assert!(
        explanation.starts_with("You left this cohort on ")
            && explanation.contains("so no certificate is issued from it"),
        "{explanation}"
    );
    let (status, refused) = server
        .call(
            &tutor,
            Method::POST,
            "/v1/certificates",
            Some(json!({"person_id": sam, "cohort_id": spring})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Sam comes back in the autumn: PRE and M1 still count, and attendance starts afresh.
    ok(
        server,
        &tutor,
        Method::POST,
        &format!("/v1/cohorts/{autumn}/enrolments"),
        Some(json!({"email": "sam@example.org", "name": "Sam Learner"})),
    )
    .await;
    let progress = ok(
        server,
        &tutor,
        Method::GET,
        &format!("/v1/cohorts/{autumn}/progress"),
        None,
    )
    .await;
    let row = &progress["items"][0];
    assert_eq!(row["person_id"], sam.as_str());
    assert_eq!(row["modules_achieved"], json!(["M1", "PRE"]), "{row}");
    assert_eq!(row["attendance"]["counted"], 0, "{row}");
}
