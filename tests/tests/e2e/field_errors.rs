//! A JSON body the service cannot read gets a 400 problem that names the field at fault, by
//! its full path (`records[0].status`), in plain words.

use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// Sends `body` as JSON with the admin's token; the status, the content type and the answer.
async fn send(server: &TestServer, method: Method, path: &str, body: &Value) -> (u16, String, Value) {
    let response = server
        .http
        .request(method, server.url(path))
        .bearer_auth(&server.admin_token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    (status, content_type, response.json().await.unwrap())
}

/// Sends `body` and expects a 400 problem naming exactly these fields, with these messages.
async fn refused(server: &TestServer, method: Method, path: &str, body: Value, expected: &[(&str, &str)]) {
    let (status, content_type, problem) = send(server, method, path, &body).await;
    assert_eq!(status, 400, "{body} -> {problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 400);
    assert_eq!(problem["type"], "https://peertrack.org/problems/bad-request");
    let expected: Vec<Value> = expected
        .iter()
        .map(|(field, message)| json!({"field": field, "message": message}))
        .collect();
    assert_eq!(problem["errors"], Value::Array(expected), "{body} -> {problem}");
}

/// An organisation, a cohort and one session in it: the cohort's id and the session's id.
async fn a_cohort_with_a_session(server: &TestServer) -> (String, String) {
    let (status, _, organisation) = send(
        server,
        Method::POST,
        "/v1/organisations",
        &json!({"name": "Penumbra"}),
    )
    .await;
    assert_eq!(status, 201, "{organisation}");
    let cohort = json!({
        "programme_code": "P2P",
        "organisation_id": organisation["id"],
        "name": "Dundee spring 2027",
        "starts_on": "2027-03-01",
        "ends_on": "2027-06-30",
        "tutor_emails": [],
    });
    let (status, _, cohort) = send(server, Method::POST, "/v1/cohorts", &cohort).await;
    assert_eq!(status, 201, "{cohort}");
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    let session = json!({
        "title": "Week 1: What peer support is",
        "starts_at": "2027-03-02T10:00:00Z",
        "ends_at": "2027-03-02T12:00:00Z",
    });
    let (status, _, session) = send(
        server,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        &session,
    )
    .await;
    assert_eq!(status, 201, "{session}");
    (cohort_id, session["id"].as_str().unwrap().to_string())
}

async fn an_unknown_attendance_mark_is_named_by_its_place_in_the_register(server: &TestServer) {
    let (_, session_id) = a_cohort_with_a_session(server).await;
    let path = format!("/v1/sessions/{session_id}/attendance");
    refused(
        server,
        Method::PUT,
        &path,
        json!({"records": [{"person_id": "x", "status": "sleeping"}]}),
        &[(
            "records[0].status",
            "must be one of present, late, absent, excused",
        )],
    )
    .await;
    // The first fault in the body, by its own path.
    refused(
        server,
        Method::PUT,
        &path,
        json!({"records": [
            {"person_id": "x", "status": "present"},
            {"person_id": 7, "status": "late"},
        ]}),
        &[("records[1].person_id", "must be text")],
    )
    .await;
    refused(
        server,
        Method::PUT,
        &path,
        json!({"records": [
            {"person_id": "x", "status": "present"},
            {"person_id": "y", "status": "late", "mood": "fine"},
        ]}),
        &[("records[1].mood", "is not a field of this request; remove it")],
    )
    .await;
    // poem-openapi names a nested rule's field without its path; the answer has the path.
    refused(
        server,
        Method::PUT,
        &path,
        json!({"records": [{"person_id": "", "status": "present"}]}),
        &[("records[0].person_id", "must be at least 1 character(s) long")],
    )
    .await;
}

async fn missing_wrong_and_unreadable_fields_are_named(server: &TestServer) {
    let (cohort_id, _) = a_cohort_with_a_session(server).await;
    refused(
        server,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/enrolments"),
        json!({"email": "grace@example.org"}),
        &[("name", "is required")],
    )
    .await;
    refused(
        server,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        json!({"title": 5, "starts_at": "2027-03-09T10:00:00Z", "ends_at": "2027-03-09T12:00:00Z"}),
        &[("title", "must be text")],
    )
    .await;
    refused(
        server,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        json!({"title": "Week 2", "starts_at": "Tuesday at ten", "ends_at": "2027-03-09T12:00:00Z"}),
        &[("starts_at", "must be a date and time like 2027-03-01T10:00:00Z")],
    )
    .await;
    let (_, _, organisation) = send(
        server,
        Method::POST,
        "/v1/organisations",
        &json!({"name": "SAMH"}),
    )
    .await;
    refused(
        server,
        Method::POST,
        "/v1/cohorts",
        json!({
            "programme_code": "P2P",
            "organisation_id": organisation["id"],
            "name": "Glasgow autumn 2027",
            "starts_on": "yesterday",
            "ends_on": "2027-12-01",
            "tutor_emails": ["tutor@example.org"],
        }),
        &[("starts_on", "must be a date like 2027-03-01")],
    )
    .await;
    refused(
        server,
        Method::POST,
        "/v1/cohorts",
        json!({
            "programme_code": "P2P",
            "organisation_id": organisation["id"],
            "name": "Glasgow autumn 2027",
            "starts_on": "2027-09-01",
            "ends_on": "2027-12-01",
            "tutor_emails": ["tutor@example.org", null],
        }),
        &[("tutor_emails[1]", "must be text")],
    )
    .await;
}

async fn bodies_that_are_not_json_objects_get_a_plain_problem(server: &TestServer) {
    let post = |content_type: &'static str, body: &'static str| {
        server
            .http
            .post(server.url("/v1/organisations"))
            .bearer_auth(&server.admin_token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for (content_type, body, status, detail) in [
        ("application/json", "{\"name\": ", 400, "not valid JSON"),
        ("application/json", "", 400, "empty"),
        ("application/json", "[\"Penumbra\"]", 400, "must be a JSON object"),
        (
            "text/plain",
            "{\"name\": \"Penumbra\"}",
            415,
            "Content-Type: application/json",
        ),
        (
            "application/x-www-form-urlencoded",
            "name=Penumbra",
            415,
            "Content-Type: application/json",
        ),
    ] {
        let response = post(content_type, body).await.unwrap();
        assert_eq!(response.status(), status, "{content_type} {body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], status);
        assert!(problem["detail"].as_str().unwrap().contains(detail), "{problem}");
        assert_eq!(problem.get("errors"), None, "{problem}");
    }
}

e2e_on_both_backends!(
    an_unknown_attendance_mark_is_named_by_its_place_in_the_register,
    missing_wrong_and_unreadable_fields_are_named,
    bodies_that_are_not_json_objects_get_a_plain_problem,
);
