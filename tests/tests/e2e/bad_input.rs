//! Bad input, over real HTTP on both databases: every write operation refuses malformed and
//! invalid requests with a problem (400 for what cannot be read, 422 for what breaks a rule)
//! that names the field at fault, a refused write changes nothing, and no input of any shape
//! gets a 5xx.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, Utc};
use peertrack_core::store::{self, delivery, people, tokens};
use peertrack_e2e::scenario::eligible_learner;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The documented operations, with what they take.
fn spec() -> Value {
    serde_json::from_str(include_str!("../../../openapi/openapi.json")).unwrap()
}

/// `(method, path, operation)` for every documented operation.
fn documented() -> Vec<(Method, String, Value)> {
    let spec = spec();
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                found.push((method, path.clone(), operation.clone()));
            }
        }
    }
    found
}

fn is_write(method: &Method) -> bool {
    *method == Method::POST || *method == Method::PUT || *method == Method::PATCH
}

/// Whether an operation takes anything a client could get wrong besides its path.
fn takes_input(operation: &Value) -> bool {
    let non_path_parameter = operation["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] != "path"));
    operation.get("requestBody").is_some() || non_path_parameter
}

/// The properties of an operation's JSON request body, as the document declares them.
fn body_properties(operation: &Value) -> BTreeSet<String> {
    let spec = spec();
    let Some(content) = operation["requestBody"]["content"].as_object() else {
        return BTreeSet::new();
    };
    content
        .values()
        .filter_map(|c| c["schema"]["$ref"].as_str())
        .flat_map(|reference| {
            let name = reference.trim_start_matches("#/components/schemas/");
            spec["components"]["schemas"][name]["properties"]
                .as_object()
                .map(|ps| ps.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .collect()
}

/// Whether an operation answers with a page for people (HTML) rather than JSON: its refusals
/// are pages too.
fn is_page(operation: &Value) -> bool {
    operation["responses"]["200"]["content"]
        .as_object()
        .is_some_and(|c| c.keys().any(|k| k.starts_with("text/html")))
}

/// Whether an operation is for partner systems: it takes an API key, not a person's token.
fn for_partners(operation: &Value) -> bool {
    operation["security"]
        .as_array()
        .is_some_and(|schemes| schemes.iter().any(|s| s.get("PartnerKey").is_some()))
}

fn query_parameters(operation: &Value) -> BTreeSet<String> {
    operation["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// What the cases are run against.
struct Scenario {
    today: NaiveDate,
    tutor: String,
    learner: String,
    /// The placement's supervisor.
    supervisor: String,
    organisation_id: String,
    cohort_id: String,
    cohort_ends_on: NaiveDate,
    session_id: String,
    learner_id: String,
    learner_email: &'static str,
    /// Someone with an account who is not enrolled anywhere.
    stranger_id: String,
    placement_id: String,
    placement_starts_on: NaiveDate,
    supervision_id: String,
    /// A Peer2Peer certificate, valid, of the holder below.
    certificate_id: String,
    /// Its verification code.
    verification_code: String,
    /// The same holder's earlier certificate, revoked.
    revoked_certificate_id: String,
    /// The holder, who meets every requirement, and the cohort they completed.
    holder_id: String,
    holder_cohort_id: String,
    /// The API key of a partner: the organisation, which the holder shares with.
    partner_key: String,
    /// The partner's webhook.
    webhook_id: String,
    /// Someone whose details were erased.
    erased_id: String,
    /// An email waiting to be sent.
    pending_message: i64,
}

impl Scenario {
    /// A documented path with real ids in it.
    fn fill(&self, path: &str) -> String {
        let message = self.pending_message.to_string();
        let id = if path.starts_with("/v1/people/") && path.ends_with("/erase") {
            // Someone already erased, so that erasing (again) changes nothing.
            &self.erased_id
        } else if path.starts_with("/v1/cohorts/") {
            &self.cohort_id
        } else if path.starts_with("/v1/sessions/") {
            &self.session_id
        } else if path.starts_with("/v1/placements/") {
            &self.placement_id
        } else if path.starts_with("/v1/supervision/") {
            &self.supervision_id
        } else if path.starts_with("/v1/people/") {
            &self.learner_id
        } else if path.starts_with("/v1/certificates/") {
            &self.certificate_id
        } else if path.starts_with("/v1/webhooks/") {
            &self.webhook_id
        } else if path.starts_with("/v1/outbox/") {
            &message
        } else if path.starts_with("/v1/organisations/") {
            &self.organisation_id
        } else {
            "{id}"
        };
        // `{person_id}` in the register is someone who shares with the partner.
        let person_id = if path.starts_with("/v1/register/") {
            &self.holder_id
        } else {
            &self.learner_id
        };
        // `{code}` is a programme's code, or a certificate's verification code.
        let code = if path.starts_with("/v1/programmes/") {
            "P2P"
        } else {
            &self.verification_code
        };
        let filled = path
            .replace("{id}", id)
            .replace("{person_id}", person_id)
            .replace("{organisation_id}", &self.organisation_id)
            .replace("{module_code}", "PRE")
            .replace("{code}", code);
        assert!(
            !filled.contains('{'),
            "teach Scenario::fill what to put in {path}"
        );
        filled
    }
}

async fn call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .http
        .request(method.clone(), server.url(path))
        .bearer_auth(token);
    if let Some(body) = &body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn expect(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    status: StatusCode,
) -> Value {
    let (got, answer) = call(server, token, method.clone(), path, Some(body.clone())).await;
    assert_eq!(got, status, "{method} {path} {body}: {answer}");
    answer
}

async fn scenario(server: &TestServer) -> Scenario {
    let admin = &server.admin_token;
    let today = Utc::now().date_naive();
    let organisation = expect(
        server,
        admin,
        Method::POST,
        "/v1/organisations",
        json!({"name": "Penumbra"}),
        StatusCode::CREATED,
    )
    .await;
    let organisation_id = organisation["id"].as_str().unwrap().to_string();
    let cohort_ends_on = today + Duration::days(60);
    let cohort = expect(
        server,
        admin,
        Method::POST,
        "/v1/cohorts",
        json!({
            "programme_code": "P2P",
            "organisation_id": organisation_id,
            "name": "Dundee",
            "starts_on": today - Duration::days(60),
            "ends_on": cohort_ends_on,
            "tutor_emails": ["tutor@example.org"],
        }),
        StatusCode::CREATED,
    )
    .await;
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    let learner_email = "learner@example.org";
    let enrolment = expect(
        server,
        admin,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/enrolments"),
        json!({"email": learner_email, "name": "Lee Learner", "enrolled_on": today - Duration::days(60)}),
        StatusCode::CREATED,
    )
    .await;
    let learner_id = enrolment["person_id"].as_str().unwrap().to_string();
    let starts_at = Utc::now() - Duration::days(1);
    let session = expect(
        server,
        admin,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        json!({"title": "Week 1", "module_code": "PRE", "starts_at": starts_at, "ends_at": starts_at + Duration::hours(2)}),
        StatusCode::CREATED,
    )
    .await;
    let session_id = session["id"].as_str().unwrap().to_string();
    let placement_starts_on = today - Duration::days(30);
    let placement = expect(
        server,
        admin,
        Method::POST,
        "/v1/placements",
        json!({
            "person_id": learner_id,
            "organisation_id": organisation_id,
            "supervisor_email": "supervisor@example.org",
            "starts_on": placement_starts_on,
        }),
        StatusCode::CREATED,
    )
    .await;
    let placement_id = placement["id"].as_str().unwrap().to_string();
    let (_, learner_token) = server.person_with_token(learner_email, "Someone").await;
    let supervision = expect(
        server,
        &learner_token,
        Method::POST,
        &format!("/v1/placements/{placement_id}/supervision"),
        json!({"occurred_on": today - Duration::days(3), "duration_minutes": 60, "format": "individual"}),
        StatusCode::CREATED,
    )
    .await;
    let supervision_id = supervision["id"].as_str().unwrap().to_string();
    let supervisor = server.token_for("supervisor@example.org").await;
    let (_, tutor) = server.person_with_token("tutor@example.org", "Someone").await;
    let (stranger_id, _) = server.person_with_token("stranger@example.org", "Someone").await;
    // A learner of another cohort who meets every requirement: certified, revoked in error,
    // certified again.
    let holder = eligible_learner(server, "P2P", "holder").await;
    let issue = json!({"person_id": holder.person_id, "cohort_id": holder.cohort_id});
    let first = expect(
        server,
        admin,
        Method::POST,
        "/v1/certificates",
        issue.clone(),
        StatusCode::CREATED,
    )
    .await;
    let revoked_certificate_id = first["id"].as_str().unwrap().to_string();
    expect(
        server,
        admin,
        Method::POST,
        &format!("/v1/certificates/{revoked_certificate_id}/revoke"),
        json!({"reason": "Issued in error"}),
        StatusCode::OK,
    )
    .await;
    let certificate = expect(
        server,
        admin,
        Method::POST,
        "/v1/certificates",
        issue,
        StatusCode::CREATED,
    )
    .await;
    // The organisation is also a partner, with a webhook; the holder shares with it.
    expect(
        server,
        &holder.learner,
        Method::PUT,
        &format!("/v1/me/consents/{organisation_id}"),
        Value::Null,
        StatusCode::CREATED,
    )
    .await;
    let partner_key = server
        .database
        .db
        .write_async({
            let organisation_id = organisation_id.clone();
            move |conn| {
                let (key, _) =
                    tokens::create_api_key(conn, &organisation_id, "HR system", store::stored(Utc::now()))?;
                Ok(key)
            }
        })
        .await
        .unwrap();
    let webhook = json!({"url": "https://hr.penumbra.example.org/peertrack"});
    let webhook = send(
        server,
        Auth::Partner(&partner_key),
        Method::POST,
        "/v1/webhooks",
        Some(&Body::Json(webhook)),
    )
    .await
    .unwrap();
    assert_eq!(webhook.0, StatusCode::CREATED, "{}", webhook.2);
    // Someone erased, and an email waiting (the enrolments queued some).
    let (erased_id, _) = server.person_with_token("erased@example.org", "Someone").await;
    expect(
        server,
        admin,
        Method::POST,
        &format!("/v1/people/{erased_id}/erase"),
        Value::Null,
        StatusCode::OK,
    )
    .await;
    let pending_message = server
        .database
        .db
        .read_async(|conn| delivery::page(conn, Some("pending"), None, 1))
        .await
        .unwrap()
        .first()
        .expect("a queued email")
        .id;
    Scenario {
        today,
        tutor,
        learner: learner_token,
        supervisor,
        organisation_id,
        cohort_id,
        cohort_ends_on,
        session_id,
        learner_id,
        learner_email,
        stranger_id,
        placement_id,
        placement_starts_on,
        supervision_id,
        certificate_id: certificate["id"].as_str().unwrap().to_string(),
        verification_code: certificate["verification_code"].as_str().unwrap().to_string(),
        revoked_certificate_id,
        holder_id: holder.person_id,
        holder_cohort_id: holder.cohort_id,
        partner_key,
        webhook_id: webhook.2["id"].as_str().unwrap().to_string(),
        erased_id,
        pending_message,
    }
}

/// A request body: JSON, or raw bytes sent as JSON.
#[derive(Clone)]
enum Body {
    Json(Value),
    Raw(&'static str),
}

/// One bad request and the refusal it should get.
struct Case {
    /// The documented operation it exercises, e.g. `POST /v1/cohorts/{id}/sessions`.
    operation: &'static str,
    what: &'static str,
    path: String,
    body: Option<Body>,
    status: u16,
    /// The field `errors[]` must name. `None` only for malformed JSON, for a conflict with the
    /// state of things, for something in the path that is not there (404) and for a sign-in
    /// token that does not work (401): there is no field at fault; and for an unknown enum
    /// value or a NUL character in text, whose field is not always named yet.
    field: Option<&'static str>,
}

fn case(
    operation: &'static str,
    what: &'static str,
    path: String,
    body: Value,
    status: u16,
    field: &'static str,
) -> Case {
    Case {
        operation,
        what,
        path,
        body: Some(Body::Json(body)),
        status,
        field: Some(field),
    }
}

/// A valid new programme definition, changed by `change`.
fn programme_with(change: impl FnOnce(&mut Value)) -> Value {
    let mut definition = json!({
        "code": "BAD-INPUT",
        "title": "A programme",
        "description": "Published by the bad-input test.",
        "awarding_body": "Peertrack",
        "version": 1,
        "modules": [{"code": "A", "title": "Module A", "core": true, "planned_hours": 6, "assessment_kind": "participation"}],
        "rule": {},
    });
    change(&mut definition);
    definition
}

fn cases(s: &Scenario) -> Vec<Case> {
    let today = s.today;
    let long = |n: usize| "x".repeat(n);
    let orgs = "POST /v1/organisations";
    let api_keys = "POST /v1/organisations/{id}/api-keys";
    let cohorts = "POST /v1/cohorts";
    let sessions = "POST /v1/cohorts/{id}/sessions";
    let enrolments = "POST /v1/cohorts/{id}/enrolments";
    let attendance = "PUT /v1/sessions/{id}/attendance";
    let assessment = "PUT /v1/cohorts/{id}/assessments/{person_id}/{module_code}";
    let placements = "POST /v1/placements";
    let supervision = "POST /v1/placements/{id}/supervision";
    let decline = "POST /v1/supervision/{id}/decline";
    let end = "POST /v1/placements/{id}/end";
    let certificates = "POST /v1/certificates";
    let revoke = "POST /v1/certificates/{id}/revoke";
    let renew = "POST /v1/certificates/{id}/renew";
    let cancel = "POST /v1/sessions/{id}/cancel";
    let withdraw = "POST /v1/cohorts/{id}/enrolments/{person_id}/withdraw";
    let cpd = "POST /v1/me/cpd";
    let webhooks = "POST /v1/webhooks";
    let magic_link = "POST /v1/auth/magic-link";
    let session = "POST /v1/auth/session";
    let preferences = "PUT /v1/me/preferences";
    let share = "PUT /v1/me/consents/{organisation_id}";
    let erase = "POST /v1/people/{id}/erase";
    let retry = "POST /v1/outbox/{id}/retry";
    let publish = "POST /v1/programmes";
    let rename = "PATCH /v1/me";
    let correct = "PATCH /v1/people/{id}";
    let change_cohort = "PATCH /v1/cohorts/{id}";
    let change_session = "PATCH /v1/sessions/{id}";
    let good_cohort = json!({
        "programme_code": "P2P",
        "organisation_id": s.organisation_id,
        "name": "Perth",
        "starts_on": today,
        "ends_on": today + Duration::days(30),
        "tutor_emails": ["another.tutor@example.org"],
    });
    let cohort_with = |changes: Value| merge(&good_cohort, changes);
    let starts_at = Utc::now() + Duration::days(3);
    let good_session = json!({
        "title": "Week 4",
        "module_code": "M1",
        "starts_at": starts_at,
        "ends_at": starts_at + Duration::hours(2),
    });
    let session_with = |changes: Value| merge(&good_session, changes);
    let good_placement = json!({
        "person_id": s.learner_id,
        "organisation_id": s.organisation_id,
        "supervisor_email": "another.supervisor@example.org",
        "starts_on": today,
    });
    let placement_with = |changes: Value| merge(&good_placement, changes);
    let good_supervision =
        json!({"occurred_on": today - Duration::days(1), "duration_minutes": 60, "format": "group"});
    let supervision_with = |changes: Value| merge(&good_supervision, changes);
    let mark = |changes: Value| merge(&json!({"person_id": s.learner_id, "status": "present"}), changes);
    let good_issue = json!({"person_id": s.learner_id, "cohort_id": s.cohort_id});
    let issue_with = |changes: Value| merge(&good_issue, changes);
    let good_cpd = json!({
        "completed_on": today - Duration::days(3),
        "hours": 2.5,
        "category": "ethics",
        "title": "Boundaries workshop",
    });
    let cpd_with = |changes: Value| merge(&good_cpd, changes);

    let sessions_path = format!("/v1/cohorts/{}/sessions", s.cohort_id);
    let enrolments_path = format!("/v1/cohorts/{}/enrolments", s.cohort_id);
    let register_path = format!("/v1/sessions/{}/attendance", s.session_id);
    let assessment_path = format!("/v1/cohorts/{}/assessments/{}/PRE", s.cohort_id, s.learner_id);
    let supervision_path = format!("/v1/placements/{}/supervision", s.placement_id);
    let decline_path = format!("/v1/supervision/{}/decline", s.supervision_id);
    let end_path = format!("/v1/placements/{}/end", s.placement_id);
    let revoke_path = format!("/v1/certificates/{}/revoke", s.certificate_id);
    let cancel_path = format!("/v1/sessions/{}/cancel", s.session_id);
    let withdraw_path = format!("/v1/cohorts/{}/enrolments/{}/withdraw", s.cohort_id, s.learner_id);
    let api_keys_path = format!("/v1/organisations/{}/api-keys", s.organisation_id);
    let missing = "00000000-0000-0000-0000-000000000000";

    vec![
        // Organisations.
        case(
            orgs,
            "blank name",
            "/v1/organisations".into(),
            json!({"name": "   "}),
            422,
            "name",
        ),
        case(
            orgs,
            "empty name",
            "/v1/organisations".into(),
            json!({"name": ""}),
            400,
            "name",
        ),
        case(
            orgs,
            "a number for the name",
            "/v1/organisations".into(),
            json!({"name": 5}),
            400,
            "name",
        ),
        case(
            orgs,
            "no name",
            "/v1/organisations".into(),
            json!({}),
            400,
            "name",
        ),
        Case {
            operation: orgs,
            what: "a NUL character in the name",
            path: "/v1/organisations".into(),
            body: Some(Body::Json(json!({"name": "Pen\u{0}umbra"}))),
            status: 400,
            field: None,
        },
        case(
            orgs,
            "name too long",
            "/v1/organisations".into(),
            json!({"name": long(201)}),
            400,
            "name",
        ),
        case(
            orgs,
            "unknown field",
            "/v1/organisations".into(),
            json!({"name": "SAMH", "colour": "red"}),
            400,
            "colour",
        ),
        // Partner API keys.
        case(
            api_keys,
            "blank name",
            api_keys_path.clone(),
            json!({"name": "  "}),
            422,
            "name",
        ),
        case(
            api_keys,
            "empty name",
            api_keys_path.clone(),
            json!({"name": ""}),
            400,
            "name",
        ),
        case(
            api_keys,
            "name too long",
            api_keys_path.clone(),
            json!({"name": long(201)}),
            400,
            "name",
        ),
        case(
            api_keys,
            "a number for the name",
            api_keys_path.clone(),
            json!({"name": 7}),
            400,
            "name",
        ),
        case(api_keys, "no name", api_keys_path.clone(), json!({}), 400, "name"),
        case(
            api_keys,
            "unknown field",
            api_keys_path.clone(),
            json!({"name": "HR system", "scopes": ["all"]}),
            400,
            "scopes",
        ),
        Case {
            operation: api_keys,
            what: "a NUL character in the name",
            path: api_keys_path.clone(),
            body: Some(Body::Json(json!({"name": "HR\u{0}system"}))),
            status: 400,
            field: None,
        },
        Case {
            operation: api_keys,
            what: "an organisation that does not exist",
            path: format!("/v1/organisations/{missing}/api-keys"),
            body: Some(Body::Json(json!({"name": "HR system"}))),
            status: 404,
            field: None,
        },
        // Cohorts.
        case(
            cohorts,
            "ends before it starts",
            "/v1/cohorts".into(),
            cohort_with(json!({"ends_on": today - Duration::days(1)})),
            422,
            "ends_on",
        ),
        case(
            cohorts,
            "a tutor email that is not one",
            "/v1/cohorts".into(),
            cohort_with(json!({"tutor_emails": ["not-an-email"]})),
            422,
            "tutor_emails",
        ),
        case(
            cohorts,
            "blank name",
            "/v1/cohorts".into(),
            cohort_with(json!({"name": " \t "})),
            422,
            "name",
        ),
        case(
            cohorts,
            "unknown programme",
            "/v1/cohorts".into(),
            cohort_with(json!({"programme_code": "NOPE"})),
            422,
            "programme_code",
        ),
        case(
            cohorts,
            "unknown organisation",
            "/v1/cohorts".into(),
            cohort_with(json!({"organisation_id": "00000000-0000-0000-0000-000000000000"})),
            422,
            "organisation_id",
        ),
        case(
            cohorts,
            "a date that does not exist",
            "/v1/cohorts".into(),
            cohort_with(json!({"starts_on": "2027-02-30"})),
            400,
            "starts_on",
        ),
        case(
            cohorts,
            "a number for the name",
            "/v1/cohorts".into(),
            cohort_with(json!({"name": 7})),
            400,
            "name",
        ),
        case(
            cohorts,
            "a string for the tutor list",
            "/v1/cohorts".into(),
            cohort_with(json!({"tutor_emails": "tutor@example.org"})),
            400,
            "tutor_emails",
        ),
        case(
            cohorts,
            "unknown field",
            "/v1/cohorts".into(),
            cohort_with(json!({"capacity": 12})),
            400,
            "capacity",
        ),
        // Sessions.
        case(
            sessions,
            "a module not in the programme",
            sessions_path.clone(),
            session_with(json!({"module_code": "M99"})),
            422,
            "module_code",
        ),
        case(
            sessions,
            "ends before it starts",
            sessions_path.clone(),
            session_with(json!({"ends_at": starts_at - Duration::hours(1)})),
            422,
            "ends_at",
        ),
        case(
            sessions,
            "lasts more than a day",
            sessions_path.clone(),
            session_with(json!({"ends_at": starts_at + Duration::hours(25)})),
            422,
            "ends_at",
        ),
        case(
            sessions,
            "blank title",
            sessions_path.clone(),
            session_with(json!({"title": "  "})),
            422,
            "title",
        ),
        case(
            sessions,
            "a time that is not RFC 3339",
            sessions_path.clone(),
            session_with(json!({"starts_at": "yesterday"})),
            400,
            "starts_at",
        ),
        // Enrolments.
        case(
            enrolments,
            "an email that is not one",
            enrolments_path.clone(),
            json!({"email": "not-an-email", "name": "Nia"}),
            422,
            "email",
        ),
        case(
            enrolments,
            "blank name",
            enrolments_path.clone(),
            json!({"email": "nia@example.org", "name": "   "}),
            422,
            "name",
        ),
        case(
            enrolments,
            "enrolled after the cohort ends",
            enrolments_path.clone(),
            json!({"email": "late@example.org", "name": "Late", "enrolled_on": s.cohort_ends_on + Duration::days(1)}),
            422,
            "enrolled_on",
        ),
        Case {
            operation: enrolments,
            what: "a NUL character in the name",
            path: enrolments_path.clone(),
            body: Some(Body::Json(
                json!({"email": "nia@example.org", "name": "Nia\u{0}"}),
            )),
            status: 400,
            field: None,
        },
        case(
            enrolments,
            "a number for the email",
            enrolments_path.clone(),
            json!({"email": 42, "name": "Nia"}),
            400,
            "email",
        ),
        case(
            enrolments,
            "unknown field",
            enrolments_path.clone(),
            json!({"email": "nia@example.org", "name": "Nia", "role": "admin"}),
            400,
            "role",
        ),
        // Attendance.
        case(
            attendance,
            "a person not enrolled in the cohort",
            register_path.clone(),
            json!({"records": [{"person_id": s.stranger_id, "status": "present"}]}),
            422,
            "records[0].person_id",
        ),
        case(
            attendance,
            "the same learner twice",
            register_path.clone(),
            json!({"records": [mark(json!({})), mark(json!({"status": "late"}))]}),
            422,
            "records[1].person_id",
        ),
        Case {
            operation: attendance,
            what: "an unknown mark",
            path: register_path.clone(),
            body: Some(Body::Json(
                json!({"records": [mark(json!({"status": "sleeping"}))]}),
            )),
            status: 400,
            field: None,
        },
        case(
            attendance,
            "an object for the records",
            register_path.clone(),
            json!({"records": {"person_id": s.learner_id}}),
            400,
            "records",
        ),
        case(
            attendance,
            "no records",
            register_path.clone(),
            json!({}),
            400,
            "records",
        ),
        case(
            attendance,
            "unknown field",
            register_path.clone(),
            json!({"records": [], "taken_by": "me"}),
            400,
            "taken_by",
        ),
        // Assessments.
        Case {
            operation: assessment,
            what: "an unknown outcome",
            path: assessment_path.clone(),
            body: Some(Body::Json(json!({"outcome": "passed"}))),
            status: 400,
            field: None,
        },
        case(
            assessment,
            "a number for the note",
            assessment_path.clone(),
            json!({"outcome": "achieved", "note": 3}),
            400,
            "note",
        ),
        case(
            assessment,
            "note too long",
            assessment_path.clone(),
            json!({"outcome": "achieved", "note": long(2001)}),
            400,
            "note",
        ),
        case(
            assessment,
            "no outcome",
            assessment_path.clone(),
            json!({"note": "Good"}),
            400,
            "outcome",
        ),
        case(
            assessment,
            "unknown field",
            assessment_path.clone(),
            json!({"outcome": "achieved", "grade": "A"}),
            400,
            "grade",
        ),
        // Placements.
        case(
            placements,
            "ends before it starts",
            "/v1/placements".into(),
            placement_with(json!({"ends_on": today - Duration::days(1)})),
            422,
            "ends_on",
        ),
        case(
            placements,
            "a supervisor email that is not one",
            "/v1/placements".into(),
            placement_with(json!({"supervisor_email": "supervisor"})),
            422,
            "supervisor_email",
        ),
        case(
            placements,
            "the learner as their own supervisor",
            "/v1/placements".into(),
            placement_with(json!({"supervisor_email": s.learner_email})),
            422,
            "supervisor_email",
        ),
        case(
            placements,
            "unknown host organisation",
            "/v1/placements".into(),
            placement_with(json!({"organisation_id": "00000000-0000-0000-0000-000000000000"})),
            422,
            "organisation_id",
        ),
        case(
            placements,
            "unknown person",
            "/v1/placements".into(),
            placement_with(json!({"person_id": "00000000-0000-0000-0000-000000000000"})),
            422,
            "person_id",
        ),
        case(
            placements,
            "a number for the date",
            "/v1/placements".into(),
            placement_with(json!({"starts_on": 20270101})),
            400,
            "starts_on",
        ),
        // Supervision.
        case(
            supervision,
            "no minutes",
            supervision_path.clone(),
            supervision_with(json!({"duration_minutes": 0})),
            400,
            "duration_minutes",
        ),
        case(
            supervision,
            "more than eight hours",
            supervision_path.clone(),
            supervision_with(json!({"duration_minutes": 481})),
            400,
            "duration_minutes",
        ),
        case(
            supervision,
            "minutes as text",
            supervision_path.clone(),
            supervision_with(json!({"duration_minutes": "60"})),
            400,
            "duration_minutes",
        ),
        case(
            supervision,
            "before the placement started",
            supervision_path.clone(),
            supervision_with(json!({"occurred_on": s.placement_starts_on - Duration::days(1)})),
            422,
            "occurred_on",
        ),
        case(
            supervision,
            "in the future",
            supervision_path.clone(),
            supervision_with(json!({"occurred_on": today + Duration::days(2)})),
            422,
            "occurred_on",
        ),
        Case {
            operation: supervision,
            what: "an unknown format",
            path: supervision_path.clone(),
            body: Some(Body::Json(supervision_with(json!({"format": "telepathy"})))),
            status: 400,
            field: None,
        },
        case(
            supervision,
            "a list for the notes",
            supervision_path.clone(),
            supervision_with(json!({"notes": ["a", "b"]})),
            400,
            "notes",
        ),
        Case {
            operation: supervision,
            what: "malformed JSON",
            path: supervision_path,
            body: Some(Body::Raw("{\"occurred_on\": ")),
            status: 400,
            field: None,
        },
        // Declining supervision.
        case(
            decline,
            "no reason",
            decline_path.clone(),
            json!({}),
            400,
            "reason",
        ),
        case(
            decline,
            "an empty reason",
            decline_path.clone(),
            json!({"reason": ""}),
            400,
            "reason",
        ),
        case(
            decline,
            "a reason of spaces",
            decline_path.clone(),
            json!({"reason": "    "}),
            422,
            "reason",
        ),
        case(
            decline,
            "a reason too long",
            decline_path.clone(),
            json!({"reason": long(1001)}),
            400,
            "reason",
        ),
        Case {
            operation: decline,
            what: "malformed JSON",
            path: decline_path,
            body: Some(Body::Raw("{\"reason\": ")),
            status: 400,
            field: None,
        },
        // Ending a placement.
        case(end, "no day", end_path.clone(), json!({}), 400, "ended_on"),
        case(
            end,
            "not a date",
            end_path.clone(),
            json!({"ended_on": "soon"}),
            400,
            "ended_on",
        ),
        case(
            end,
            "before the placement began",
            end_path.clone(),
            json!({"ended_on": s.placement_starts_on - Duration::days(1)}),
            422,
            "ended_on",
        ),
        case(
            end,
            "before supervision already logged",
            end_path,
            json!({"ended_on": today - Duration::days(4)}),
            422,
            "ended_on",
        ),
        // Certificates.
        case(
            certificates,
            "unknown cohort",
            "/v1/certificates".into(),
            issue_with(json!({"cohort_id": missing})),
            422,
            "cohort_id",
        ),
        case(
            certificates,
            "a person not in the cohort",
            "/v1/certificates".into(),
            issue_with(json!({"person_id": s.stranger_id})),
            422,
            "person_id",
        ),
        case(
            certificates,
            "unknown person",
            "/v1/certificates".into(),
            issue_with(json!({"person_id": missing})),
            422,
            "person_id",
        ),
        case(
            certificates,
            "the holder, for a cohort they are not in",
            "/v1/certificates".into(),
            issue_with(json!({"person_id": s.holder_id})),
            422,
            "person_id",
        ),
        case(
            certificates,
            "a learner who has not met the rule",
            "/v1/certificates".into(),
            good_issue.clone(),
            422,
            "supervision_sessions",
        ),
        Case {
            operation: certificates,
            what: "a learner who already holds a valid certificate",
            path: "/v1/certificates".into(),
            body: Some(Body::Json(
                json!({"person_id": s.holder_id, "cohort_id": s.holder_cohort_id}),
            )),
            status: 409,
            field: None,
        },
        case(
            certificates,
            "no person",
            "/v1/certificates".into(),
            json!({"cohort_id": s.cohort_id}),
            400,
            "person_id",
        ),
        case(
            certificates,
            "empty person",
            "/v1/certificates".into(),
            issue_with(json!({"person_id": ""})),
            400,
            "person_id",
        ),
        case(
            certificates,
            "a number for the cohort",
            "/v1/certificates".into(),
            issue_with(json!({"cohort_id": 1})),
            400,
            "cohort_id",
        ),
        case(
            certificates,
            "unknown field",
            "/v1/certificates".into(),
            issue_with(json!({"expires_on": today})),
            400,
            "expires_on",
        ),
        // Calling a session off, and a learner leaving: a reason people will read.
        case(cancel, "no reason", cancel_path.clone(), json!({}), 400, "reason"),
        case(
            cancel,
            "blank reason",
            cancel_path.clone(),
            json!({"reason": "     "}),
            422,
            "reason",
        ),
        case(
            cancel,
            "unknown field",
            cancel_path.clone(),
            json!({"reason": "Snow", "notify": false}),
            400,
            "notify",
        ),
        case(
            withdraw,
            "reason too short",
            withdraw_path.clone(),
            json!({"reason": "no"}),
            400,
            "reason",
        ),
        case(
            withdraw,
            "reason too short once trimmed",
            withdraw_path.clone(),
            json!({"reason": "  x  "}),
            422,
            "reason",
        ),
        // Revocation.
        case(
            revoke,
            "empty reason",
            revoke_path.clone(),
            json!({"reason": ""}),
            400,
            "reason",
        ),
        case(
            revoke,
            "reason too short",
            revoke_path.clone(),
            json!({"reason": "no"}),
            400,
            "reason",
        ),
        case(
            revoke,
            "blank reason",
            revoke_path.clone(),
            json!({"reason": "     "}),
            422,
            "reason",
        ),
        case(
            revoke,
            "reason too short once trimmed",
            revoke_path.clone(),
            json!({"reason": "  x  "}),
            422,
            "reason",
        ),
        case(
            revoke,
            "reason too long",
            revoke_path.clone(),
            json!({"reason": long(1001)}),
            400,
            "reason",
        ),
        case(revoke, "no reason", revoke_path.clone(), json!({}), 400, "reason"),
        case(
            revoke,
            "a list for the reason",
            revoke_path.clone(),
            json!({"reason": ["Issued", "in error"]}),
            400,
            "reason",
        ),
        case(
            revoke,
            "unknown field",
            revoke_path.clone(),
            json!({"reason": "Issued in error", "notify": false}),
            400,
            "notify",
        ),
        Case {
            operation: revoke,
            what: "a certificate already revoked",
            path: format!("/v1/certificates/{}/revoke", s.revoked_certificate_id),
            body: Some(Body::Json(json!({"reason": "Issued in error"}))),
            status: 409,
            field: None,
        },
        Case {
            operation: revoke,
            what: "malformed JSON",
            path: revoke_path,
            body: Some(Body::Raw("{\"reason\": ")),
            status: 400,
            field: None,
        },
        // Renewal.
        Case {
            operation: renew,
            what: "a certificate that does not expire",
            path: format!("/v1/certificates/{}/renew", s.certificate_id),
            body: None,
            status: 409,
            field: None,
        },
        Case {
            operation: renew,
            what: "a revoked certificate",
            path: format!("/v1/certificates/{}/renew", s.revoked_certificate_id),
            body: None,
            status: 409,
            field: None,
        },
        // Continuing development.
        case(
            cpd,
            "no hours",
            "/v1/me/cpd".into(),
            cpd_with(json!({"hours": 0})),
            400,
            "hours",
        ),
        case(
            cpd,
            "less than a quarter of an hour",
            "/v1/me/cpd".into(),
            cpd_with(json!({"hours": 0.2})),
            400,
            "hours",
        ),
        case(
            cpd,
            "negative hours",
            "/v1/me/cpd".into(),
            cpd_with(json!({"hours": -2})),
            400,
            "hours",
        ),
        case(
            cpd,
            "more than 100 hours",
            "/v1/me/cpd".into(),
            cpd_with(json!({"hours": 100.5})),
            400,
            "hours",
        ),
        case(
            cpd,
            "hours as text",
            "/v1/me/cpd".into(),
            cpd_with(json!({"hours": "2"})),
            400,
            "hours",
        ),
        case(
            cpd,
            "completed in the future",
            "/v1/me/cpd".into(),
            cpd_with(json!({"completed_on": today + Duration::days(1)})),
            422,
            "completed_on",
        ),
        case(
            cpd,
            "completed before the year 1",
            "/v1/me/cpd".into(),
            cpd_with(json!({"completed_on": "-5000-01-01"})),
            422,
            "completed_on",
        ),
        case(
            cpd,
            "completed in the year 1",
            "/v1/me/cpd".into(),
            cpd_with(json!({"completed_on": "0001-01-01"})),
            422,
            "completed_on",
        ),
        case(
            cpd,
            "a date that does not exist",
            "/v1/me/cpd".into(),
            cpd_with(json!({"completed_on": "2026-02-29"})),
            400,
            "completed_on",
        ),
        case(
            cpd,
            "blank title",
            "/v1/me/cpd".into(),
            cpd_with(json!({"title": "   "})),
            422,
            "title",
        ),
        case(
            cpd,
            "empty title",
            "/v1/me/cpd".into(),
            cpd_with(json!({"title": ""})),
            400,
            "title",
        ),
        case(
            cpd,
            "title too long",
            "/v1/me/cpd".into(),
            cpd_with(json!({"title": long(201)})),
            400,
            "title",
        ),
        case(
            cpd,
            "blank category",
            "/v1/me/cpd".into(),
            cpd_with(json!({"category": " \t "})),
            422,
            "category",
        ),
        case(
            cpd,
            "no category",
            "/v1/me/cpd".into(),
            json!({"completed_on": today, "hours": 1, "title": "Workshop"}),
            400,
            "category",
        ),
        Case {
            operation: cpd,
            what: "a NUL character in the title",
            path: "/v1/me/cpd".into(),
            body: Some(Body::Json(cpd_with(json!({"title": "Work\u{0}shop"})))),
            status: 400,
            field: None,
        },
        case(
            cpd,
            "unknown field",
            "/v1/me/cpd".into(),
            cpd_with(json!({"approved": true})),
            400,
            "approved",
        ),
        // Webhooks.
        case(
            webhooks,
            "not http",
            "/v1/webhooks".into(),
            json!({"url": "ftp://hr.example.org/peertrack"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "no scheme",
            "/v1/webhooks".into(),
            json!({"url": "hr.example.org/peertrack"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "a script",
            "/v1/webhooks".into(),
            json!({"url": "javascript:alert(1)"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "a space in the address",
            "/v1/webhooks".into(),
            json!({"url": "https://hr.example.org/peer track"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "no host",
            "/v1/webhooks".into(),
            json!({"url": "https:///peertrack"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "nothing after the scheme",
            "/v1/webhooks".into(),
            json!({"url": "https://"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "too short",
            "/v1/webhooks".into(),
            json!({"url": "http:/"}),
            400,
            "url",
        ),
        case(
            webhooks,
            "too long",
            "/v1/webhooks".into(),
            json!({"url": format!("https://hr.example.org/{}", long(2000))}),
            400,
            "url",
        ),
        case(
            webhooks,
            "a number for the address",
            "/v1/webhooks".into(),
            json!({"url": 443}),
            400,
            "url",
        ),
        case(webhooks, "no url", "/v1/webhooks".into(), json!({}), 400, "url"),
        // Never where cloud servers keep their metadata, however it is written.
        case(
            webhooks,
            "the cloud metadata address",
            "/v1/webhooks".into(),
            json!({"url": "https://169.254.169.254/latest/meta-data/"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "the cloud metadata address, IPv4-mapped",
            "/v1/webhooks".into(),
            json!({"url": "https://[::ffff:a9fe:a9fe]/latest/meta-data/"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "a multicast address",
            "/v1/webhooks".into(),
            json!({"url": "https://239.255.255.250/"}),
            422,
            "url",
        ),
        case(
            webhooks,
            "unknown field",
            "/v1/webhooks".into(),
            json!({"url": "https://hr.example.org/peertrack", "events": ["all"]}),
            400,
            "events",
        ),
        Case {
            operation: webhooks,
            what: "a NUL character in the address",
            path: "/v1/webhooks".into(),
            body: Some(Body::Json(json!({"url": "https://hr.example.org/\u{0}"}))),
            status: 400,
            field: None,
        },
        // Sign-in links. Refused requests do not count towards the limits on links.
        case(
            magic_link,
            "an email that is not one",
            "/v1/auth/magic-link".into(),
            json!({"email": "not-an-email"}),
            422,
            "email",
        ),
        case(
            magic_link,
            "email too short",
            "/v1/auth/magic-link".into(),
            json!({"email": "a@"}),
            400,
            "email",
        ),
        case(
            magic_link,
            "a number for the email",
            "/v1/auth/magic-link".into(),
            json!({"email": 42}),
            400,
            "email",
        ),
        case(
            magic_link,
            "no email",
            "/v1/auth/magic-link".into(),
            json!({}),
            400,
            "email",
        ),
        case(
            magic_link,
            "unknown field",
            "/v1/auth/magic-link".into(),
            json!({"email": s.learner_email, "redirect": "https://elsewhere.example.org"}),
            400,
            "redirect",
        ),
        Case {
            operation: magic_link,
            what: "malformed JSON",
            path: "/v1/auth/magic-link".into(),
            body: Some(Body::Raw("{\"email\": ")),
            status: 400,
            field: None,
        },
        // Signing in with a link's token.
        case(
            session,
            "empty token",
            "/v1/auth/session".into(),
            json!({"token": ""}),
            400,
            "token",
        ),
        case(
            session,
            "no token",
            "/v1/auth/session".into(),
            json!({}),
            400,
            "token",
        ),
        case(
            session,
            "a number for the token",
            "/v1/auth/session".into(),
            json!({"token": 1234}),
            400,
            "token",
        ),
        case(
            session,
            "token too long",
            "/v1/auth/session".into(),
            json!({"token": long(201)}),
            400,
            "token",
        ),
        case(
            session,
            "unknown field",
            "/v1/auth/session".into(),
            json!({"token": "pts_made-up", "remember": true}),
            400,
            "remember",
        ),
        Case {
            operation: session,
            what: "a token never issued",
            path: "/v1/auth/session".into(),
            body: Some(Body::Json(json!({"token": "pts_made-up"}))),
            status: 401,
            field: None,
        },
        // Preferences.
        case(
            preferences,
            "no reminders",
            "/v1/me/preferences".into(),
            json!({}),
            400,
            "reminders",
        ),
        case(
            preferences,
            "text for reminders",
            "/v1/me/preferences".into(),
            json!({"reminders": "off"}),
            400,
            "reminders",
        ),
        case(
            preferences,
            "null for reminders",
            "/v1/me/preferences".into(),
            json!({"reminders": null}),
            400,
            "reminders",
        ),
        case(
            preferences,
            "unknown field",
            "/v1/me/preferences".into(),
            json!({"reminders": false, "digest": "weekly"}),
            400,
            "digest",
        ),
        // Consents.
        Case {
            operation: share,
            what: "an unknown organisation",
            path: format!("/v1/me/consents/{missing}"),
            body: None,
            status: 404,
            field: None,
        },
        // Publishing a programme: the field at fault by its path in the definition.
        case(
            publish,
            "attendance over 100%",
            "/v1/programmes".into(),
            programme_with(|d| d["rule"]["min_attendance_percent"] = json!(150)),
            422,
            "rule.min_attendance_percent",
        ),
        case(
            publish,
            "attendance as text",
            "/v1/programmes".into(),
            programme_with(|d| d["rule"]["min_attendance_percent"] = json!("most")),
            422,
            "rule.min_attendance_percent",
        ),
        case(
            publish,
            "a misspelt rule",
            "/v1/programmes".into(),
            programme_with(|d| d["rule"]["min_attendence_percent"] = json!(80)),
            422,
            "rule.min_attendence_percent",
        ),
        case(
            publish,
            "a module without a code",
            "/v1/programmes".into(),
            programme_with(|d| d["modules"][0]["code"] = json!("")),
            422,
            "modules[0].code",
        ),
        case(
            publish,
            "no modules field",
            "/v1/programmes".into(),
            programme_with(|d| {
                d.as_object_mut().unwrap().remove("modules");
            }),
            422,
            "modules",
        ),
        case(
            publish,
            "a version already published",
            "/v1/programmes".into(),
            programme_with(|d| d["code"] = json!("P2P")),
            422,
            "version",
        ),
        case(
            publish,
            "a code that cannot go into a certificate number",
            "/v1/programmes".into(),
            programme_with(|d| d["code"] = json!("MY PROGRAMME")),
            422,
            "code",
        ),
        // Correcting names and email addresses.
        case(
            rename,
            "a blank name",
            "/v1/me".into(),
            json!({"name": "  "}),
            422,
            "name",
        ),
        case(
            rename,
            "a name of two lines",
            "/v1/me".into(),
            json!({"name": "Ada\nBcc: x@example.org"}),
            422,
            "name",
        ),
        case(rename, "no name", "/v1/me".into(), json!({}), 400, "name"),
        case(
            correct,
            "nothing to correct",
            format!("/v1/people/{}", s.learner_id),
            json!({}),
            422,
            "name",
        ),
        case(
            correct,
            "not an email address",
            format!("/v1/people/{}", s.learner_id),
            json!({"email": "nope"}),
            422,
            "email",
        ),
        case(
            correct,
            "another person's email address",
            format!("/v1/people/{}", s.stranger_id),
            json!({"email": s.learner_email.to_uppercase()}),
            422,
            "email",
        ),
        // Corrections a tutor makes.
        case(
            change_cohort,
            "nothing to change",
            format!("/v1/cohorts/{}", s.cohort_id),
            json!({}),
            422,
            "name",
        ),
        case(
            change_cohort,
            "blank name",
            format!("/v1/cohorts/{}", s.cohort_id),
            json!({"name": "  "}),
            422,
            "name",
        ),
        case(
            change_cohort,
            "a name on two lines",
            format!("/v1/cohorts/{}", s.cohort_id),
            json!({"name": "Perth\nBcc: all"}),
            422,
            "name",
        ),
        case(
            change_session,
            "nothing to change",
            format!("/v1/sessions/{}", s.session_id),
            json!({}),
            422,
            "title",
        ),
        case(
            change_session,
            "ends before it starts",
            format!("/v1/sessions/{}", s.session_id),
            json!({"starts_at": starts_at, "ends_at": starts_at - Duration::hours(1)}),
            422,
            "ends_at",
        ),
        case(
            change_session,
            "longer than a day",
            format!("/v1/sessions/{}", s.session_id),
            json!({"starts_at": starts_at, "ends_at": starts_at + Duration::hours(25)}),
            422,
            "ends_at",
        ),
        case(
            change_session,
            "a module the programme does not have",
            format!("/v1/sessions/{}", s.session_id),
            json!({"module_code": "NOPE"}),
            422,
            "module_code",
        ),
        // Erasure.
        Case {
            operation: erase,
            what: "a person already erased",
            path: format!("/v1/people/{}/erase", s.erased_id),
            body: None,
            status: 409,
            field: None,
        },
        Case {
            operation: erase,
            what: "an unknown person",
            path: format!("/v1/people/{missing}/erase"),
            body: None,
            status: 404,
            field: None,
        },
        // Retrying emails.
        Case {
            operation: retry,
            what: "an email that has not failed",
            path: format!("/v1/outbox/{}/retry", s.pending_message),
            body: None,
            status: 409,
            field: None,
        },
        Case {
            operation: retry,
            what: "an unknown email",
            path: "/v1/outbox/999999999/retry".into(),
            body: None,
            status: 404,
            field: None,
        },
        Case {
            operation: retry,
            what: "an id that is not a number",
            path: "/v1/outbox/first/retry".into(),
            body: None,
            status: 400,
            field: Some("id"),
        },
    ]
}

/// `base` with `changes`' keys replaced.
fn merge(base: &Value, changes: Value) -> Value {
    let mut merged = base.clone();
    for (key, value) in changes.as_object().unwrap() {
        merged[key] = value.clone();
    }
    merged
}

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
enum Auth<'a> {
    /// Nobody in particular: no credentials.
    Nobody,
    /// A person, by their bearer token.
    Person(&'a str),
    /// A partner system, by its API key.
    Partner(&'a str),
}

impl Auth<'_> {
    /// `request`, with these credentials.
    fn on(self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::Nobody => request,
            Auth::Person(token) => request.bearer_auth(token),
            Auth::Partner(key) => request.header("X-Api-Key", key),
        }
    }
}

/// Sends a request as `auth`; a dropped connection is an answer too (a wrong one).
async fn send(
    server: &TestServer,
    auth: Auth<'_>,
    method: Method,
    path: &str,
    body: Option<&Body>,
) -> Result<(StatusCode, Option<String>, Value), String> {
    let mut request = auth.on(server.http.request(method, server.url(path)));
    match body {
        Some(Body::Json(value)) => request = request.json(value),
        Some(Body::Raw(text)) => request = request.header("content-type", "application/json").body(*text),
        None => {}
    }
    let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, content_type, body))
}

/// What is wrong with an answer to a case, if anything.
fn judge(
    status: u16,
    field: Option<&str>,
    answer: Result<(StatusCode, Option<String>, Value), String>,
) -> Option<String> {
    let (got, content_type, problem) = match answer {
        Ok(answer) => answer,
        Err(e) => return Some(e),
    };
    if got.as_u16() != status {
        return Some(format!("got {got}, wanted {status}: {problem}"));
    }
    if content_type.as_deref() != Some("application/problem+json") {
        return Some(format!("content type {content_type:?}: {problem}"));
    }
    if problem["status"] != status || !problem["detail"].is_string() || !problem["type"].is_string() {
        return Some(format!("not a problem: {problem}"));
    }
    if let Some(field) = field {
        let named = problem["errors"]
            .as_array()
            .is_some_and(|es| es.iter().any(|e| e["field"] == field && e["message"].is_string()));
        if !named {
            return Some(format!("errors[] does not name `{field}`: {problem}"));
        }
    }
    None
}

#[test]
fn every_write_operation_that_takes_input_has_a_bad_input_case() {
    let scenario = Scenario {
        today: Utc::now().date_naive(),
        tutor: String::new(),
        learner: String::new(),
        organisation_id: "o".into(),
        cohort_id: "c".into(),
        cohort_ends_on: Utc::now().date_naive(),
        session_id: "s".into(),
        learner_id: "l".into(),
        learner_email: "l@example.org",
        supervisor: String::new(),
        stranger_id: "x".into(),
        placement_id: "p".into(),
        placement_starts_on: Utc::now().date_naive(),
        supervision_id: "v".into(),
        certificate_id: "cert".into(),
        verification_code: "code".into(),
        revoked_certificate_id: "revoked".into(),
        holder_id: "h".into(),
        holder_cohort_id: "hc".into(),
        partner_key: String::new(),
        webhook_id: "w".into(),
        erased_id: "e".into(),
        pending_message: 1,
    };
    let covered: BTreeSet<&str> = cases(&scenario).iter().map(|c| c.operation).collect();
    // Pages for people (a form that answers in HTML, not problem details) are covered in
    // their own tests: tests/tests/e2e/sign_in_page.rs.
    let writes: Vec<(String, bool)> = documented()
        .into_iter()
        .filter(|(method, _, _)| is_write(method))
        .filter(|(_, _, operation)| {
            operation["requestBody"]["content"]
                .as_object()
                .is_none_or(|c| c.keys().any(|k| k.starts_with("application/json")))
        })
        .map(|(method, path, operation)| (format!("{method} {path}"), takes_input(&operation)))
        .collect();
    let uncovered: Vec<&String> = writes
        .iter()
        .filter(|(key, takes_input)| *takes_input && !covered.contains(key.as_str()))
        .map(|(key, _)| key)
        .collect();
    assert!(
        uncovered.is_empty(),
        "write operations with no bad-input case: {uncovered:?}"
    );
    let unknown: Vec<&&str> = covered
        .iter()
        .filter(|key| !writes.iter().any(|(k, _)| k == *key))
        .collect();
    assert!(
        unknown.is_empty(),
        "cases for undocumented operations: {unknown:?}"
    );
}

/// The register and the assessment as they stand: `(ETag, body)`.
async fn snapshot(server: &TestServer, token: &str, path: &str) -> (String, Value) {
    let response = server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (etag, response.json().await.unwrap())
}

/// How many changes the audit trail holds.
async fn audit_length(server: &TestServer) -> usize {
    let mut count = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit-events?limit=500&cursor={c}"),
            None => "/v1/audit-events?limit=500".to_string(),
        };
        let (status, page) = call(server, &server.admin_token, Method::GET, &path, None).await;
        assert_eq!(status, 200);
        count += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return count,
        }
    }
}

async fn every_bad_write_is_refused_with_its_field_named_and_changes_nothing(server: &TestServer) {
    let s = scenario(server).await;
    let admin = server.admin_token.clone();
    // Record an assessment so that there is something a refused write could disturb.
    let assessment_path = format!("/v1/cohorts/{}/assessments/{}/PRE", s.cohort_id, s.learner_id);
    expect(
        server,
        &s.tutor,
        Method::PUT,
        &assessment_path,
        json!({"outcome": "not_yet_achieved", "note": "Nearly."}),
        StatusCode::OK,
    )
    .await;
    let register_path = format!("/v1/sessions/{}/attendance", s.session_id);
    expect(
        server,
        &s.tutor,
        Method::PUT,
        &register_path,
        json!({"records": [{"person_id": s.learner_id, "status": "late", "note": "Bus"}]}),
        StatusCode::OK,
    )
    .await;
    let register_before = snapshot(server, &s.tutor, &register_path).await;
    let assessment_before = snapshot(server, &s.tutor, &assessment_path).await;
    let (_, preferences_before) = call(server, &s.learner, Method::GET, "/v1/me/preferences", None).await;
    let audit_before = audit_length(server).await;

    let mut failures = Vec::new();
    for case in cases(&s) {
        let method: Method = case.operation.split(' ').next().unwrap().parse().unwrap();
        // Each case is sent by someone allowed to make the request, so that only the input is
        // at fault: organisations, cohorts, placements and certificates for anyone (an unknown
        // person_id or cohort_id included), partner API keys, erasure and the outbox are the
        // administrator's;
        // supervision is the learner's to log (and the supervisor's to decline), and their development, preferences and consents
        // their own; webhooks are a partner's; anyone may sign in; the rest is the tutor's.
        let auth = if case.operation.ends_with("/v1/organisations")
            || case.operation.ends_with("/api-keys")
            || case.operation.ends_with("/v1/cohorts")
            || case.operation == "POST /v1/placements"
            || case.operation.starts_with("POST /v1/certificates")
            || case.operation.ends_with("/erase")
            || case.operation.starts_with("POST /v1/outbox/")
            || case.operation == "POST /v1/programmes"
            || case.operation == "PATCH /v1/people/{id}"
        {
            Auth::Person(&admin)
        } else if case.operation.ends_with("/decline") {
            Auth::Person(&s.supervisor)
        } else if case.operation.ends_with("/supervision")
            || case.operation.contains(" /v1/me/")
            || case.operation == "PATCH /v1/me"
        {
            Auth::Person(&s.learner)
        } else if case.operation == "POST /v1/webhooks" {
            Auth::Partner(&s.partner_key)
        } else if case.operation.starts_with("POST /v1/auth/") {
            Auth::Nobody
        } else {
            Auth::Person(&s.tutor)
        };
        let answer = send(server, auth, method.clone(), &case.path, case.body.as_ref()).await;
        if let Some(wrong) = judge(case.status, case.field, answer) {
            failures.push(format!("{} ({}): {wrong}", case.operation, case.what));
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad requests answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // A stale If-Match is refused too, and also changes nothing.
    let (status, _) = call(server, &s.tutor, Method::PUT, &register_path, None).await;
    assert!(status.is_client_error(), "a PUT with no body: {status}");
    let stale = server
        .http
        .put(server.url(&register_path))
        .bearer_auth(&s.tutor)
        .header("If-Match", "\"999\"")
        .json(&json!({"records": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);

    assert_eq!(snapshot(server, &s.tutor, &register_path).await, register_before);
    assert_eq!(
        snapshot(server, &s.tutor, &assessment_path).await,
        assessment_before
    );
    assert_eq!(
        audit_length(server).await,
        audit_before,
        "a refused write left an audit event"
    );
    // The certificate the refused revocations were aimed at is still valid, and no refused
    // development was logged.
    let certificate = format!("/v1/certificates/{}", s.certificate_id);
    let (_, certificate) = call(server, &admin, Method::GET, &certificate, None).await;
    assert_eq!(certificate["status"], "valid", "{certificate}");
    let (_, logged) = call(server, &s.learner, Method::GET, "/v1/me/cpd", None).await;
    assert_eq!(logged["items"], json!([]), "a refused write logged development");
    // Nor were preferences changed, consents given or webhooks registered.
    let (_, preferences) = call(server, &s.learner, Method::GET, "/v1/me/preferences", None).await;
    assert_eq!(
        preferences, preferences_before,
        "a refused write changed preferences"
    );
    let (_, consents) = call(server, &s.learner, Method::GET, "/v1/me/consents", None).await;
    assert_eq!(consents["items"], json!([]), "a refused write gave consent");
    let webhooks = send(
        server,
        Auth::Partner(&s.partner_key),
        Method::GET,
        "/v1/webhooks",
        None,
    )
    .await
    .unwrap();
    let registered: Vec<&Value> = webhooks.2["items"].as_array().unwrap().iter().collect();
    assert_eq!(
        registered.len(),
        1,
        "a refused write registered a webhook: {}",
        webhooks.2
    );
    assert_eq!(registered[0]["id"], s.webhook_id.as_str());
    // Nor were API keys made: the partner has the one it started with.
    let keys_path = format!("/v1/organisations/{}/api-keys", s.organisation_id);
    let (_, keys) = call(server, &admin, Method::GET, &keys_path, None).await;
    assert_eq!(
        keys["items"].as_array().map(Vec::len),
        Some(1),
        "a refused write made an API key: {keys}"
    );
    // The refused enrolment and cohort did not leave the people they would have added.
    for email in ["late@example.org", "another.tutor@example.org", "nia@example.org"] {
        let email = email.to_string();
        let found = server
            .database
            .db
            .read_async(move |conn| people::by_email(conn, &email))
            .await
            .unwrap();
        assert!(found.is_none(), "a refused write added {found:?}");
    }
}

async fn list_and_query_parameters_out_of_range_are_400_naming_them(server: &TestServer) {
    let s = scenario(server).await;
    let admin = server.admin_token.clone();
    let mut failures = Vec::new();
    let mut lists = 0;
    for (method, path, operation) in documented() {
        let parameters = query_parameters(&operation);
        if method != Method::GET || !parameters.contains("limit") && !parameters.contains("cursor") {
            continue;
        }
        lists += 1;
        let required = if parameters.contains("programme") {
            "programme=P2P&"
        } else {
            ""
        };
        let base = format!("{}?{required}", s.fill(&path));
        let mut probes = Vec::new();
        if parameters.contains("limit") {
            for limit in ["0", "501", "-1", "ten", "1.5", ""] {
                probes.push((format!("{base}limit={limit}"), "limit"));
            }
        }
        if parameters.contains("cursor") {
            probes.push((format!("{base}cursor=not-a-cursor!"), "cursor"));
            probes.push((format!("{base}cursor=%FF%FE"), "cursor"));
        }
        // The change feed resumes after a position it gave: a non-negative integer.
        if parameters.contains("after") {
            let long = "9".repeat(31);
            for after in ["-1", "abc", "1.5", "99999999999999999999", "%00", "%FF", &long] {
                probes.push((format!("{base}after={after}"), "after"));
            }
        }
        // The register is a partner's to read.
        let auth = if for_partners(&operation) {
            Auth::Partner(&s.partner_key)
        } else {
            Auth::Person(&admin)
        };
        for (url, field) in probes {
            let answer = send(server, auth, Method::GET, &url, None).await;
            if let Some(wrong) = judge(400, Some(field), answer) {
                failures.push(format!("GET {url}: {wrong}"));
            }
        }
    }
    assert!(lists >= 5, "only {lists} lists found in the document");

    // Cursors that decode but were not made by the list they are sent to.
    let garbage = "Z2FyYmFnZQ"; // "garbage"
    for list in ["sessions", "enrolments", "progress"] {
        let url = format!("/v1/cohorts/{}/{list}?cursor={garbage}", s.cohort_id);
        if let Some(wrong) = judge(
            400,
            Some("cursor"),
            send(server, Auth::Person(&admin), Method::GET, &url, None).await,
        ) {
            failures.push(format!("GET {url}: {wrong}"));
        }
    }
    for list in ["/v1/audit-events", "/v1/me/access-log", "/v1/outbox"] {
        let url = format!("{list}?cursor={garbage}");
        if let Some(wrong) = judge(
            400,
            Some("cursor"),
            send(server, Auth::Person(&admin), Method::GET, &url, None).await,
        ) {
            failures.push(format!("GET {url}: {wrong}"));
        }
    }
    // A position past the end is an empty last page, not an overflow.
    for (list, cursor) in [
        ("enrolments", "MTg0NDY3NDQwNzM3MDk1NTE2MTU"), // "18446744073709551615"
        ("progress", "MTg0NDY3NDQwNzM3MDk1NTE2MTU"),
        ("enrolments", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk"), // "99999999999999999999999"
    ] {
        let url = format!("/v1/cohorts/{}/{list}?cursor={cursor}&limit=500", s.cohort_id);
        match send(server, Auth::Person(&admin), Method::GET, &url, None).await {
            Ok((status, _, page)) if status.is_server_error() => {
                failures.push(format!("GET {url}: {status} {page}"))
            }
            Ok(_) => {}
            Err(e) => failures.push(format!("GET {url}: {e}")),
        }
    }

    // Eligibility needs a programme that exists; the audit trail filters by kind and id together.
    let eligibility = format!("/v1/people/{}/eligibility", s.learner_id);
    for (url, status, field) in [
        (eligibility.clone(), 400, "programme"),
        (format!("{eligibility}?programme="), 400, "programme"),
        (format!("{eligibility}?programme=NOPE"), 422, "programme"),
        (
            "/v1/audit-events?entity_kind=session".to_string(),
            422,
            "entity_id",
        ),
        ("/v1/audit-events?entity_id=abc".to_string(), 422, "entity_id"),
    ] {
        if let Some(wrong) = judge(
            status,
            Some(field),
            send(server, Auth::Person(&admin), Method::GET, &url, None).await,
        ) {
            failures.push(format!("GET {url}: {wrong}"));
        }
    }

    // The register's search takes a date that exists and a programme that does.
    let partner = Auth::Partner(&s.partner_key);
    let search = "/v1/register/peer-supporters";
    for (url, status, field) in [
        (format!("{search}?qualified_on=yesterday"), 400, "qualified_on"),
        (format!("{search}?qualified_on=2027-02-30"), 400, "qualified_on"),
        (format!("{search}?qualified_on=0001-01-01"), 422, "qualified_on"),
        (format!("{search}?programme=NOPE"), 422, "programme"),
        (format!("{search}?programme={}", "P".repeat(51)), 400, "programme"),
        (format!("{search}?programme=P%00P"), 400, "programme"),
    ] {
        if let Some(wrong) = judge(
            status,
            Some(field),
            send(server, partner, Method::GET, &url, None).await,
        ) {
            failures.push(format!("GET {url}: {wrong}"));
        }
    }
    // Where the change feed may resume: the start (nothing, empty, or 0), any position it
    // gave, and one past its end (an empty page that stays there).
    let (_, _, feed) = send(server, partner, Method::GET, "/v1/register/changes", None)
        .await
        .unwrap();
    let cursor = feed["next_cursor"].as_str().unwrap_or("none").to_string();
    for after in ["", "0", cursor.as_str(), "9223372036854775807"] {
        let url = format!("/v1/register/changes?after={after}");
        match send(server, partner, Method::GET, &url, None).await {
            Ok((status, _, page)) if status == StatusCode::OK && page["next_cursor"].is_string() => {}
            Ok((status, _, page)) => failures.push(format!("GET {url}: {status} {page}")),
            Err(e) => failures.push(format!("GET {url}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whatever arrives as a body, every write operation answers with a 4xx problem, never a 5xx
/// or a dropped connection, and nothing changes.
async fn no_shape_of_body_gets_a_5xx(server: &TestServer) {
    let s = scenario(server).await;
    // Everyone below already shares with the organisation, so that sharing again (which takes
    // no body) changes nothing either.
    for token in [&server.admin_token, &s.tutor, &s.learner] {
        let path = format!("/v1/me/consents/{}", s.organisation_id);
        expect(
            server,
            token,
            Method::PUT,
            &path,
            Value::Null,
            StatusCode::CREATED,
        )
        .await;
    }
    let audit_before = audit_length(server).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let junk: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"\"text\"".to_vec()),
        ("application/json", b"42".to_vec()),
        ("application/json", b"{}".to_vec()),
        ("application/json", b"{\"a\":".to_vec()),
        ("application/json", b"\xff\xfe{}".to_vec()),
        ("application/json", deep.into_bytes()),
        (
            "application/json",
            b"{\"records\": [null], \"name\": null, \"outcome\": null}".to_vec(),
        ),
        (
            "application/json",
            b"{\"name\": \"\\u0000\", \"email\": \"\\ud800@x.org\"}".to_vec(),
        ),
        ("text/plain", b"{\"name\": \"Penumbra 2\"}".to_vec()),
        ("application/x-www-form-urlencoded", b"name=Penumbra+3".to_vec()),
    ];
    let mut failures = Vec::new();
    for (method, path, operation) in documented() {
        if !is_write(&method) {
            continue;
        }
        let url = s.fill(&path);
        let has_body = operation.get("requestBody").is_some();
        let callers = if for_partners(&operation) {
            vec![Auth::Partner(&s.partner_key)]
        } else {
            vec![
                Auth::Person(&server.admin_token),
                Auth::Person(&s.tutor),
                Auth::Person(&s.learner),
            ]
        };
        for auth in callers {
            for (content_type, body) in &junk {
                let answer = auth
                    .on(server.http.request(method.clone(), server.url(&url)))
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await;
                let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).to_string();
                let response = match answer {
                    Ok(response) => response,
                    Err(e) => {
                        failures.push(format!("{method} {path} {content_type} {shown}: no answer: {e}"));
                        continue;
                    }
                };
                let status = response.status();
                // Pages for people (the sign-in form) refuse in HTML, as the spec documents.
                let expected_type: &[u8] = if path == "/sign-in" {
                    b"text/html"
                } else {
                    b"application/problem+json"
                };
                let is_problem = response
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes().starts_with(expected_type));
                let wrong = status.is_server_error()
                    || (has_body && !status.is_client_error())
                    || (status.is_client_error() && !is_problem);
                if wrong {
                    let text = response.text().await.unwrap_or_default();
                    failures.push(format!("{method} {path} {content_type} {shown}: {status} {text}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(audit_length(server).await, audit_before, "junk changed something");
}

/// Ids in paths are whatever a client typed: strange ones are 404s (or 400s), never 5xx.
async fn no_id_in_a_path_gets_a_5xx(server: &TestServer) {
    let s = scenario(server).await;
    let long = "x".repeat(5000);
    let strange = [
        "%00",
        "a%00b",
        "%FF",
        "'%3B%20DROP%20TABLE%20people%3B--",
        "..%2F..",
        long.as_str(),
        "%20",
    ];
    let mut failures = Vec::new();
    for (method, path, operation) in documented() {
        if !path.contains('{') {
            continue;
        }
        for id in strange {
            let url = path
                .replace("{id}", id)
                .replace("{person_id}", id)
                .replace("{organisation_id}", id)
                .replace("{module_code}", id)
                .replace("{code}", id);
            let url = if query_parameters(&operation).contains("programme") {
                format!("{url}?programme=P2P")
            } else {
                url
            };
            // A body the operation would take, so that the strange id is what it answers: the
            // fields below that its body has.
            let properties = body_properties(&operation);
            let body = operation.get("requestBody").map(|_| {
                let all = json!({
                    "records": [],
                    "outcome": "achieved",
                    "title": "Week 9",
                    "starts_at": Utc::now() + Duration::days(1),
                    "ends_at": Utc::now() + Duration::days(1) + Duration::hours(1),
                    "email": "someone.new@example.org",
                    "name": "Someone New",
                    "occurred_on": s.today,
                    "duration_minutes": 30,
                    "format": "individual",
                    "reason": "Issued in error",
                });
                let taken = all
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(key, _)| properties.contains(*key))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                Value::Object(taken)
            });
            let auth = if for_partners(&operation) {
                Auth::Partner(&s.partner_key)
            } else {
                Auth::Person(&server.admin_token)
            };
            let answer = send(server, auth, method.clone(), &url, body.map(Body::Json).as_ref()).await;
            match answer {
                Ok((status, content_type, problem)) => {
                    let is_problem = content_type.as_deref() == Some("application/problem+json")
                        || is_page(&operation)
                            && content_type
                                .as_deref()
                                .is_some_and(|c| c.starts_with("text/html"));
                    if status.is_server_error() || (status.is_client_error() && !is_problem) {
                        failures.push(format!("{method} {url}: {status} {problem}"));
                    }
                }
                Err(e) => failures.push(format!("{method} {url}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Verification codes are typed by anyone, so guessing them is slowed down: after 30 unknown
/// codes a client gets 429, as a problem from the API and as a page from the page, and never a
/// 5xx on the way.
async fn guessing_verification_codes_is_slowed_down(server: &TestServer) {
    let mut failures = Vec::new();
    for n in 0..30 {
        let path = if n % 2 == 0 { "/v1/verify" } else { "/verify" };
        let url = format!("{path}/ZZZZ-ZZZZ-{n:04}");
        let response = server.http.get(server.url(&url)).send().await.unwrap();
        if response.status() != StatusCode::NOT_FOUND {
            failures.push(format!("GET {url}: {}", response.status()));
        }
    }
    let response = server
        .http
        .get(server.url("/v1/verify/ZZZZ-ZZZZ-ZZZZ"))
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::TOO_MANY_REQUESTS
        || response.headers()["content-type"] != "application/problem+json"
    {
        failures.push(format!(
            "the 31st code: {} {:?}",
            response.status(),
            response.headers()
        ));
    }
    let response = server
        .http
        .get(server.url("/verify/ZZZZ-ZZZZ-ZZZZ"))
        .send()
        .await
        .unwrap();
    let html = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if response.status() != StatusCode::TOO_MANY_REQUESTS || !html {
        failures.push(format!(
            "the 32nd code, as a page: {} {:?}",
            response.status(),
            response.headers()
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

e2e_on_both_backends!(
    every_bad_write_is_refused_with_its_field_named_and_changes_nothing,
    list_and_query_parameters_out_of_range_are_400_naming_them,
    no_shape_of_body_gets_a_5xx,
    no_id_in_a_path_gets_a_5xx,
    guessing_verification_codes_is_slowed_down,
);
