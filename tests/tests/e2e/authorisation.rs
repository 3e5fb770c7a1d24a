//! Who may call what: every operation in the OpenAPI document, called by every kind of caller
//! in one scenario, against the answer the contract gives them. Missing or bad credentials get
//! 401; a caller who may know the resource exists but may not do this gets 403; a caller who
//! may not know it exists gets 404, worded exactly as if it did not exist.
//!
//! Where a caller who may do something gets a 409 instead of a 2xx (renewing a certificate
//! that does not expire), the row says so: authorisation passed, and the state of the thing
//! refused the call.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate, Utc};
use peertrack_core::store::{self, people, tokens};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every kind of caller in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// No credentials at all.
    Anonymous,
    /// A bearer token Peertrack never issued.
    BadToken,
    /// A partner organisation's API key, and nothing else.
    PartnerKey,
    /// A signed-in person with no part in either cohort.
    Unrelated,
    /// The learner of cohort 1, on placement, who holds a certificate for it.
    L1,
    /// The learner of cohort 2.
    L2,
    /// The tutor of cohort 1.
    T1,
    /// The tutor of cohort 2.
    T2,
    /// The tutor of cohort 3, who enrolled L1's email there after L1 finished cohort 1: they
    /// see L1 only as cohort 3's learner, nothing of cohort 1 (placement, supervision,
    /// certificate).
    T3,
    /// L1's placement supervisor.
    S1,
    /// An administrator.
    Admin,
}

use Role::*;

// T3 last: the issuing row relies on T1's call and the administrator's being an odd number apart.
const ROLES: [Role; 11] = [
    Anonymous, BadToken, PartnerKey, Unrelated, L1, L2, T1, T2, S1, Admin, T3,
];
const NON_ADMINS: &[Role] = &[Unrelated, L1, L2, T1, T2, T3, S1];
const PEOPLE: &[Role] = &[Unrelated, L1, L2, T1, T2, T3, S1, Admin];
const PARTNER: &[Role] = &[PartnerKey];

impl Role {
    fn label(self) -> &'static str {
        match self {
            Anonymous => "anon",
            BadToken => "badtok",
            PartnerKey => "apikey",
            Unrelated => "U",
            L1 => "L1",
            L2 => "L2",
            T1 => "T1",
            T2 => "T2",
            T3 => "T3",
            S1 => "S1",
            Admin => "admin",
        }
    }
}

/// The kinds of answer the matrix tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Allowed,
    /// Allowed, but refused by the state of the thing (409).
    Conflict,
    Unauthenticated,
    Forbidden,
    Hidden,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Allowed => "2xx",
            Class::Conflict => "409",
            Class::Unauthenticated => "401",
            Class::Forbidden => "403",
            Class::Hidden => "404",
        }
    }

    fn of(status: StatusCode) -> Option<Class> {
        match status.as_u16() {
            200..=299 => Some(Class::Allowed),
            401 => Some(Class::Unauthenticated),
            403 => Some(Class::Forbidden),
            404 => Some(Class::Hidden),
            409 => Some(Class::Conflict),
            _ => None,
        }
    }
}

/// Everything the operations are called on, and everyone's credentials.
struct Scenario {
    today: NaiveDate,
    organisation_id: String,
    cohort1: String,
    session1: String,
    l1: String,
    /// The learner of cohort 2.
    l2: String,
    placement1: String,
    /// Logged by L1, so waiting for S1 to verify it.
    supervision1: String,
    /// Another logged by L1, for S1 to decline (not verified by any row first).
    supervision2: String,
    /// L1's certificate, issued for cohort 1.
    certificate1: String,
    /// Its verification code.
    verification_code1: String,
    /// Two more learners of cohort 1 who meet every requirement and hold no certificate yet.
    issuable: [String; 2],
    /// The API key of the partner: the organisation, which L1 shares with.
    partner_key: String,
    /// The partner's webhook.
    webhook1: String,
    /// Another organisation, which L2 shares with (and L1 does not); the consent rows share
    /// with it and stop.
    elsewhere_id: String,
    /// That organisation's webhook, which the partner may not know of.
    foreign_webhook: String,
    /// A spare API key of the partner, for an administrator to revoke.
    spare_key_id: String,
    /// An email that could not be delivered.
    failed_message: i64,
    /// People with nothing but an account, to be erased: one for each call of a row, by
    /// `n % ROLES.len()`, so that no call finds its person already erased by another.
    erasable: Vec<String>,
    /// Unused sign-in link tokens (U's), one for each call of a row in the same way.
    sign_in_tokens: Vec<String>,
    /// Sessions of cohort 1 still to come, to be cancelled: one for each call of a row.
    cancellable: Vec<String>,
    /// Learners of cohort 1 with nothing else to them, to withdraw: one for each call of a row.
    withdrawable: Vec<String>,
    tokens: Vec<(Role, String)>,
}

impl Scenario {
    fn token(&self, role: Role) -> &str {
        &self
            .tokens
            .iter()
            .find(|(r, _)| *r == role)
            .unwrap_or_else(|| panic!("no token for {role:?}"))
            .1
    }
}

/// Sends a request as `role`.
async fn send(
    server: &TestServer,
    scenario: &Scenario,
    role: Role,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = server.http.request(method, server.url(path));
    request = match role {
        Anonymous => request,
        BadToken => request.bearer_auth("pt_not-a-real-token"),
        PartnerKey => request.header("X-Api-Key", &scenario.partner_key),
        person => request.bearer_auth(scenario.token(person)),
    };
    request = match body {
        // A body `{"$form": {...}}` is sent as an HTML form would send it.
        Some(body) if body.get("$form").is_some() => {
            let fields: Vec<(String, String)> = body["$form"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            request.form(&fields)
        }
        Some(body) => request.json(body),
        None => request,
    };
    request.send().await.unwrap()
}

/// Sends a request with a bearer token, expecting `expected`; returns the body.
async fn as_person(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    expected: StatusCode,
) -> Value {
    let response = server
        .http
        .request(method.clone(), server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{method} {path} {body}: {answer}");
    answer
}

/// Sends a request with a partner's API key, expecting `expected`; returns the body.
async fn as_partner(
    server: &TestServer,
    key: &str,
    method: Method,
    path: &str,
    body: Value,
    expected: StatusCode,
) -> Value {
    let response = server
        .http
        .request(method.clone(), server.url(path))
        .header("X-Api-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{method} {path} {body}: {answer}");
    answer
}

/// A new API key for an organisation.
async fn api_key(server: &TestServer, organisation_id: &str) -> String {
    let organisation_id = organisation_id.to_string();
    server
        .database
        .db
        .write_async(move |conn| {
            let (key, _) =
                tokens::create_api_key(conn, &organisation_id, "HR system", store::stored(Utc::now()))?;
            Ok(key)
        })
        .await
        .unwrap()
}

/// Records every module of Peer2Peer as achieved for a learner of a cohort.
async fn achieve_every_module(server: &TestServer, cohort_id: &str, person_id: &str) {
    let admin = &server.admin_token;
    let programme = as_person(
        server,
        admin,
        Method::GET,
        "/v1/programmes/P2P",
        Value::Null,
        StatusCode::OK,
    )
    .await;
    for module in programme["modules"].as_array().unwrap() {
        let code = module["code"].as_str().unwrap();
        let assessment = as_person(
            server,
            admin,
            Method::PUT,
            &format!("/v1/cohorts/{cohort_id}/assessments/{person_id}/{code}"),
            json!({"outcome": "achieved"}),
            StatusCode::OK,
        )
        .await;
        if module["requires_verification"] == true {
            let id = assessment["id"].as_str().unwrap().to_string();
            server
                .database
                .db
                .write_async(move |conn| {
                    let ada = people::by_email(conn, "ada@example.org")?.expect("Ada");
                    store::assessments::verify_assessment(conn, &id, &ada.id, Utc::now().date_naive())
                })
                .await
                .unwrap();
        }
    }
}

/// Six supervision sessions during a placement, logged (and so verified) by its supervisor.
async fn supervise_six_times(server: &TestServer, supervisor: &str, placement_id: &str, today: NaiveDate) {
    for week in 0..6 {
        let logged = as_person(
            server,
            supervisor,
            Method::POST,
            &format!("/v1/placements/{placement_id}/supervision"),
            json!({"occurred_on": today - Duration::days(50 - 7 * week), "duration_minutes": 60, "format": "individual"}),
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(logged["verified"], true);
    }
}

/// An administrator, an organisation, cohort 1 (tutor T1, learner L1, one session, one
/// assessment), L1's placement with supervisor S1 and one logged supervision session, cohort 2
/// (tutor T2, learner L2), an unrelated person U and a partner API key. L1 meets every
/// requirement of Peer2Peer and holds a certificate for cohort 1; two more learners of cohort 1
/// meet them too and hold none yet.
/// Then cohort 3's tutor T3 enrols L1 by email.
async fn scenario(server: &TestServer) -> Scenario {
    let admin = server.admin_token.clone();
    let today = Utc::now().date_naive();
    let organisation = as_person(
        server,
        &admin,
        Method::POST,
        "/v1/organisations",
        json!({"name": "Penumbra"}),
        StatusCode::CREATED,
    )
    .await;
    let organisation_id = organisation["id"].as_str().unwrap().to_string();

    let mut cohorts = Vec::new();
    let mut learners = Vec::new();
    for (n, tutor, learner) in [
        (1, "t1@example.org", "l1@example.org"),
        (2, "t2@example.org", "l2@example.org"),
    ] {
        let cohort = as_person(
            server,
            &admin,
            Method::POST,
            "/v1/cohorts",
            json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": format!("Cohort {n}"),
                "starts_on": today - Duration::days(90),
                "ends_on": today + Duration::days(90),
                "tutor_emails": [tutor],
            }),
            StatusCode::CREATED,
        )
        .await;
        let cohort_id = cohort["id"].as_str().unwrap().to_string();
        let enrolment = as_person(
            server,
            &admin,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            json!({"email": learner, "name": format!("Learner {n}"), "enrolled_on": today - Duration::days(90)}),
            StatusCode::CREATED,
        )
        .await;
        cohorts.push(cohort_id);
        learners.push(enrolment["person_id"].as_str().unwrap().to_string());
    }
    let cohort1 = cohorts[0].clone();
    let l1 = learners[0].clone();
    let l2 = learners[1].clone();

    let starts_at = Utc::now() - Duration::days(2);
    let session = as_person(
        server,
        &admin,
        Method::POST,
        &format!("/v1/cohorts/{cohort1}/sessions"),
        json!({"title": "Week 1", "module_code": "PRE", "starts_at": starts_at, "ends_at": starts_at + Duration::hours(2)}),
        StatusCode::CREATED,
    )
    .await;
    let session1 = session["id"].as_str().unwrap().to_string();
    as_person(
        server,
        &admin,
        Method::PUT,
        &format!("/v1/cohorts/{cohort1}/assessments/{l1}/PRE"),
        json!({"outcome": "achieved"}),
        StatusCode::OK,
    )
    .await;
    let placement = as_person(
        server,
        &admin,
        Method::POST,
        "/v1/placements",
        json!({
            "person_id": l1,
            "organisation_id": organisation_id,
            "supervisor_email": "s1@example.org",
            "starts_on": today - Duration::days(60),
        }),
        StatusCode::CREATED,
    )
    .await;
    let placement1 = placement["id"].as_str().unwrap().to_string();

    let mut tokens = vec![(Admin, admin.clone())];
    for (role, email) in [
        (Unrelated, "u@example.org"),
        (L1, "l1@example.org"),
        (L2, "l2@example.org"),
        (T1, "t1@example.org"),
        (T2, "t2@example.org"),
        (T3, "t3@example.org"),
        (S1, "s1@example.org"),
    ] {
        tokens.push((role, server.person_with_token(email, "Someone").await.1));
    }
    let l1_token = tokens.iter().find(|(r, _)| *r == L1).unwrap().1.clone();
    let supervision = as_person(
        server,
        &l1_token,
        Method::POST,
        &format!("/v1/placements/{placement1}/supervision"),
        json!({"occurred_on": today - Duration::days(7), "duration_minutes": 60, "format": "individual"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(supervision["verified"], false);
    let supervision1 = supervision["id"].as_str().unwrap().to_string();
    let supervision = as_person(
        server,
        &l1_token,
        Method::POST,
        &format!("/v1/placements/{placement1}/supervision"),
        json!({"occurred_on": today - Duration::days(6), "duration_minutes": 45, "format": "group"}),
        StatusCode::CREATED,
    )
    .await;
    let supervision2 = supervision["id"].as_str().unwrap().to_string();

    // L1 completes the programme: present at the one session held, every module achieved, six
    // sessions logged by S1.
    as_person(
        server,
        &admin,
        Method::PUT,
        &format!("/v1/sessions/{session1}/attendance"),
        json!({"records": [{"person_id": l1, "status": "present"}]}),
        StatusCode::OK,
    )
    .await;
    achieve_every_module(server, &cohort1, &l1).await;
    let s1_token = tokens.iter().find(|(r, _)| *r == S1).unwrap().1.clone();
    supervise_six_times(server, &s1_token, &placement1, today).await;
    let certificate = as_person(
        server,
        &admin,
        Method::POST,
        "/v1/certificates",
        json!({"person_id": l1, "cohort_id": cohort1}),
        StatusCode::CREATED,
    )
    .await;
    let certificate1 = certificate["id"].as_str().unwrap().to_string();
    let verification_code1 = certificate["verification_code"].as_str().unwrap().to_string();

    // Cohort 3's tutor enrols L1's email: it makes them L1's tutor in cohort 3 alone.
    let cohort3 = as_person(
        server,
        &admin,
        Method::POST,
        "/v1/cohorts",
        json!({
            "programme_code": "P2P",
            "organisation_id": organisation_id,
            "name": "Cohort 3",
            "starts_on": today - Duration::days(10),
            "ends_on": today + Duration::days(90),
            "tutor_emails": ["t3@example.org"],
        }),
        StatusCode::CREATED,
    )
    .await;
    let t3_token = tokens.iter().find(|(r, _)| *r == T3).unwrap().1.clone();
    let enrolment = as_person(
        server,
        &t3_token,
        Method::POST,
        &format!("/v1/cohorts/{}/enrolments", cohort3["id"].as_str().unwrap()),
        json!({"email": "l1@example.org", "name": "Whoever"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        enrolment["name"], "Whoever",
        "enrolling tells the tutor nothing they did not type"
    );

    // Two more learners of cohort 1 complete it too. They enrolled after its one session was
    // held, so attendance asks nothing of them (and the register the matrix rewrites is not
    // theirs); their supervisor is not S1.
    let (_, candidate_supervisor) = server.person_with_token("sc@example.org", "Someone").await;
    let mut issuable = Vec::new();
    for n in 1..=2 {
        let enrolment = as_person(
            server,
            &admin,
            Method::POST,
            &format!("/v1/cohorts/{cohort1}/enrolments"),
            json!({"email": format!("c{n}@example.org"), "name": format!("Candidate {n}")}),
            StatusCode::CREATED,
        )
        .await;
        let person_id = enrolment["person_id"].as_str().unwrap().to_string();
        achieve_every_module(server, &cohort1, &person_id).await;
        let placement = as_person(
            server,
            &admin,
            Method::POST,
            "/v1/placements",
            json!({
                "person_id": person_id,
                "organisation_id": organisation_id,
                "supervisor_email": "sc@example.org",
                "starts_on": today - Duration::days(60),
            }),
            StatusCode::CREATED,
        )
        .await;
        let placement_id = placement["id"].as_str().unwrap();
        supervise_six_times(server, &candidate_supervisor, placement_id, today).await;
        issuable.push(person_id);
    }
    let issuable: [String; 2] = issuable.try_into().unwrap();

    // The organisation is also a partner: L1 shares with it, and it has a webhook. Another
    // organisation, which L2 shares with, has one too.
    let partner_key = api_key(server, &organisation_id).await;
    let l2_token = tokens.iter().find(|(r, _)| *r == L2).unwrap().1.clone();
    as_person(
        server,
        &l1_token,
        Method::PUT,
        &format!("/v1/me/consents/{organisation_id}"),
        Value::Null,
        StatusCode::CREATED,
    )
    .await;
    let webhook = as_partner(
        server,
        &partner_key,
        Method::POST,
        "/v1/webhooks",
        json!({"url": "https://hr.penumbra.example.org/peertrack"}),
        StatusCode::CREATED,
    )
    .await;
    let webhook1 = webhook["id"].as_str().unwrap().to_string();
    let elsewhere = as_person(
        server,
        &admin,
        Method::POST,
        "/v1/organisations",
        json!({"name": "Elsewhere"}),
        StatusCode::CREATED,
    )
    .await;
    let elsewhere_id = elsewhere["id"].as_str().unwrap().to_string();
    as_person(
        server,
        &l2_token,
        Method::PUT,
        &format!("/v1/me/consents/{elsewhere_id}"),
        Value::Null,
        StatusCode::CREATED,
    )
    .await;
    let elsewhere_key = api_key(server, &elsewhere_id).await;
    let webhook = as_partner(
        server,
        &elsewhere_key,
        Method::POST,
        "/v1/webhooks",
        json!({"url": "https://hr.elsewhere.example.org/peertrack"}),
        StatusCode::CREATED,
    )
    .await;
    let foreign_webhook = webhook["id"].as_str().unwrap().to_string();
    let spare_key_id = {
        let organisation_id = organisation_id.clone();
        server
            .database
            .db
            .write_async(move |conn| {
                let (_, key) =
                    tokens::create_api_key(conn, &organisation_id, "Spare", store::stored(Utc::now()))?;
                Ok(key.id)
            })
            .await
            .unwrap()
    };

    // An enrolment email that bounced; people to erase; sign-in links for U.
    let (failed_message, erasable, sign_in_tokens) = server
        .database
        .db
        .write_async(|conn| {
            let now = Utc::now();
            let pending = store::delivery::page(conn, Some("pending"), None, 1)?;
            let failed = pending.first().expect("the enrolments queued emails").id;
            store::delivery::mark_failed(conn, failed, "550 no such mailbox", None)?;
            let mut erasable = Vec::new();
            for n in 0..ROLES.len() {
                let email = format!("erasable{n}@example.org");
                let (person, _) = people::find_or_create(conn, &email, "Someone", store::stored(now))?;
                erasable.push(person.id);
            }
            let u = people::by_email(conn, "u@example.org")?.expect("U");
            let mut sign_in_tokens = Vec::new();
            for _ in 0..ROLES.len() {
                let (token, _) = tokens::create_token(
                    conn,
                    &u.id,
                    tokens::TokenPurpose::SignIn,
                    store::stored(now + Duration::minutes(15)),
                    store::stored(now),
                )?;
                sign_in_tokens.push(token);
            }
            Ok((failed, erasable, sign_in_tokens))
        })
        .await
        .unwrap();

    // Sessions still to come to cancel, and learners to withdraw, one for each call of a row.
    let mut cancellable = Vec::new();
    let mut withdrawable = Vec::new();
    for n in 0..ROLES.len() {
        let starts_at = Utc::now() + Duration::days(30 + n as i64);
        let session = as_person(
            server,
            &admin,
            Method::POST,
            &format!("/v1/cohorts/{cohort1}/sessions"),
            json!({"title": format!("Spare {n}"), "starts_at": starts_at, "ends_at": starts_at + Duration::hours(2)}),
            StatusCode::CREATED,
        )
        .await;
        cancellable.push(session["id"].as_str().unwrap().to_string());
        let enrolment = as_person(
            server,
            &admin,
            Method::POST,
            &format!("/v1/cohorts/{cohort1}/enrolments"),
            json!({"email": format!("leaving{n}@example.org"), "name": format!("Leaving {n}")}),
            StatusCode::CREATED,
        )
        .await;
        withdrawable.push(enrolment["person_id"].as_str().unwrap().to_string());
    }

    Scenario {
        today,
        organisation_id,
        cohort1,
        session1,
        l1,
        l2,
        placement1,
        supervision1,
        supervision2,
        certificate1,
        verification_code1,
        issuable,
        partner_key,
        webhook1,
        elsewhere_id,
        foreign_webhook,
        spare_key_id,
        failed_message,
        erasable,
        sign_in_tokens,
        cancellable,
        withdrawable,
        tokens,
    }
}

/// What an operation takes as credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// Nothing: anyone at all may call it, credentials or not.
    Anyone,
    /// A person's bearer token; everyone else gets 401.
    Person,
    /// A partner organisation's API key (`X-Api-Key`); everyone else, people's bearer tokens
    /// included, gets 401.
    Partner,
}

/// One operation: how to call it validly, and who may.
struct Operation {
    method: Method,
    /// The path as the OpenAPI document spells it.
    path: &'static str,
    /// The credentials it takes.
    credential: Credential,
    /// Callers who get past authorisation: they get `allowed_answer`. Signed-in people for
    /// `Credential::Person`; `PARTNER` for `Credential::Partner`.
    allowed: &'static [Role],
    /// What the allowed get: `Class::Allowed` (2xx), or `Class::Conflict` where the valid call
    /// is refused by the state of the thing it is made on.
    allowed_answer: Class,
    /// Signed-in people who may know the resource exists but may not do this: 403. Every other
    /// signed-in person gets 404; callers without a person's valid token get 401.
    forbidden: &'static [Role],
    /// The path and body of a valid call; `n` is fresh for every call, for unique inputs.
    call: fn(&Scenario, usize) -> (String, Option<Value>),
}

impl Operation {
    fn expected(&self, role: Role) -> Class {
        if self.credential == Credential::Anyone {
            self.allowed_answer
        } else if self.credential == Credential::Partner {
            // A person's bearer token is no credential where a partner key is asked for.
            if self.allowed.contains(&role) {
                self.allowed_answer
            } else {
                Class::Unauthenticated
            }
        } else if matches!(role, Anonymous | BadToken | PartnerKey) {
            Class::Unauthenticated
        } else if self.allowed.contains(&role) {
            self.allowed_answer
        } else if self.forbidden.contains(&role) {
            Class::Forbidden
        } else {
            Class::Hidden
        }
    }

    fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The matrix: one row per operation of the OpenAPI document (and the two documents and the
/// readiness check outside it; `/metrics` answers only its own token, see `proxies.rs`).
fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: Method::GET,
            path: "/health",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/health".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/openapi.json",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/openapi.json".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/ready",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/ready".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/docs",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/docs".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/programmes",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/programmes".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/programmes/{code}",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/programmes/P2P".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/programmes/{code}/versions",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/programmes/P2P/versions".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/programmes",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |_, n| {
                // A new programme for every call.
                let body = json!({
                    "code": format!("MATRIX-{n}"),
                    "title": "A programme of the matrix",
                    "description": "Published to check who may publish.",
                    "awarding_body": "Peertrack",
                    "version": 1,
                    "modules": [{"code": "A", "title": "Module A", "core": true, "planned_hours": 6, "assessment_kind": "participation"}],
                    "rule": {},
                });
                ("/v1/programmes".into(), Some(body))
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/organisations",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |_, n| {
                (
                    "/v1/organisations".into(),
                    Some(json!({"name": format!("Organisation {n}")})),
                )
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/organisations",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/organisations".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/organisations/{id}/api-keys",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/organisations/{}/api-keys", s.organisation_id), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/organisations/{id}/api-keys",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, n| {
                (
                    format!("/v1/organisations/{}/api-keys", s.organisation_id),
                    Some(json!({"name": format!("System {n}")})),
                )
            },
        },
        Operation {
            method: Method::DELETE,
            path: "/v1/organisations/{id}/api-keys/{key_id}",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let path = format!(
                    "/v1/organisations/{}/api-keys/{}",
                    s.organisation_id, s.spare_key_id
                );
                (path, None)
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/cohorts",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({
                    "programme_code": "P2P",
                    "organisation_id": s.organisation_id,
                    "name": format!("Cohort {n}"),
                    "starts_on": s.today,
                    "ends_on": s.today + Duration::days(30),
                    "tutor_emails": [format!("tutor{n}@example.org")],
                });
                ("/v1/cohorts".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/cohorts".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/cohorts/{}", s.cohort1), None),
        },
        Operation {
            method: Method::PATCH,
            path: "/v1/cohorts/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({"name": format!("Cohort 1 ({n})")});
                (format!("/v1/cohorts/{}", s.cohort1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/sessions/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/sessions/{}", s.session1), None),
        },
        Operation {
            method: Method::PATCH,
            path: "/v1/sessions/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({"title": format!("Week 1 ({n})")});
                (format!("/v1/sessions/{}", s.session1), Some(body))
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/sessions/{id}/cancel",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({"reason": "Snow: the venue is closed"});
                let session = &s.cancellable[n % ROLES.len()];
                (format!("/v1/sessions/{session}/cancel"), Some(body))
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/cohorts/{id}/enrolments/{person_id}/withdraw",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({"reason": "Moved away"});
                let learner = &s.withdrawable[n % ROLES.len()];
                (
                    format!("/v1/cohorts/{}/enrolments/{learner}/withdraw", s.cohort1),
                    Some(body),
                )
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/cohorts/{id}/sessions",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let starts_at = Utc::now() + Duration::days(1 + n as i64 % 60);
                let body = json!({
                    "title": format!("Session {n}"),
                    "module_code": "M1",
                    "starts_at": starts_at,
                    "ends_at": starts_at + Duration::hours(2),
                });
                (format!("/v1/cohorts/{}/sessions", s.cohort1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts/{id}/sessions",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/cohorts/{}/sessions", s.cohort1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/cohorts/{id}/enrolments",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body =
                    json!({"email": format!("learner{n}@example.org"), "name": format!("Learner {n}")});
                (format!("/v1/cohorts/{}/enrolments", s.cohort1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts/{id}/enrolments",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/cohorts/{}/enrolments", s.cohort1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts/{id}/progress",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/cohorts/{}/progress", s.cohort1), None),
        },
        Operation {
            method: Method::PUT,
            path: "/v1/sessions/{id}/attendance",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let body = json!({"records": [{"person_id": s.l1, "status": "present"}]});
                (format!("/v1/sessions/{}/attendance", s.session1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/sessions/{id}/attendance",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/sessions/{}/attendance", s.session1), None),
        },
        Operation {
            method: Method::PUT,
            path: "/v1/cohorts/{id}/assessments/{person_id}/{module_code}",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let path = format!("/v1/cohorts/{}/assessments/{}/PRE", s.cohort1, s.l1);
                (path, Some(json!({"outcome": "achieved", "note": "Well done."})))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/cohorts/{id}/assessments/{person_id}/{module_code}",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                (
                    format!("/v1/cohorts/{}/assessments/{}/PRE", s.cohort1, s.l1),
                    None,
                )
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/placements",
            credential: Credential::Person,
            // T3 adds it within cohort 3, the one they teach L1 in.
            allowed: &[Admin, T1, T3],
            // Anyone may know placements can be added; only the learner's tutors may add one,
            // and the refusal is the same whether or not the person exists.
            forbidden: &[Unrelated, L1, L2, T2, S1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({
                    "person_id": s.l1,
                    "organisation_id": s.organisation_id,
                    "supervisor_email": format!("supervisor{n}@example.org"),
                    "starts_on": s.today,
                });
                ("/v1/placements".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/placements/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1, S1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/placements/{}", s.placement1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/placements/{id}/supervision",
            credential: Credential::Person,
            allowed: &[L1, S1],
            forbidden: &[Admin, T1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({
                    "occurred_on": s.today - Duration::days(1 + n as i64 % 50),
                    "duration_minutes": 45,
                    "format": "group",
                });
                (format!("/v1/placements/{}/supervision", s.placement1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/placements/{id}/supervision",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1, S1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/placements/{}/supervision", s.placement1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/supervision/{id}/verify",
            credential: Credential::Person,
            allowed: &[S1],
            forbidden: &[Admin, T1, L1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/supervision/{}/verify", s.supervision1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/supervision/{id}/decline",
            credential: Credential::Person,
            allowed: &[S1],
            // The learner and the staff who see the placement know the session exists.
            forbidden: &[Admin, T1, L1],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let body = json!({"reason": "We did not meet that week"});
                (format!("/v1/supervision/{}/decline", s.supervision2), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/supervision",
            credential: Credential::Person,
            // Everyone signed in lists their own (as supervisor or as learner), if any.
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/supervision?status=pending".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/placements/{id}/end",
            credential: Credential::Person,
            allowed: &[Admin, T1, S1],
            // The learner knows their placement but does not end it.
            forbidden: &[L1],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let body = json!({"ended_on": s.today});
                (format!("/v1/placements/{}/end", s.placement1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/people/{id}/eligibility",
            credential: Credential::Person,
            // T3 gets cohort 3's view of L1 (see `probe_findings`), not cohort 1's.
            allowed: &[Admin, T1, T3, L1],
            // The supervisor knows L1 (their placement names them) but is not one who may
            // read L1's eligibility; they hear what anyone else hears (404), so that asking
            // tells nobody which ids are people.
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/people/{}/eligibility?programme=P2P", s.l1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/audit-events",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/audit-events".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/certificates",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            // Anyone may know certificates are issued; only the cohort's tutors may issue its
            // certificates, and the refusal is the same whether or not the cohort exists.
            forbidden: &[Unrelated, L1, L2, T2, T3, S1],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                // T1's call and the administrator's are three apart in a row, so they certify
                // different learners (a second certificate for one would be a conflict).
                let body = json!({"person_id": s.issuable[n % 2], "cohort_id": s.cohort1});
                ("/v1/certificates".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/certificates/{id}",
            credential: Credential::Person,
            allowed: &[Admin, T1, L1],
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/certificates/{}", s.certificate1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/certificates/{id}/pdf",
            credential: Credential::Person,
            allowed: &[Admin, L1],
            // The tutor may see the certificate but not download the holder's copy.
            forbidden: &[T1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/certificates/{}/pdf", s.certificate1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/certificates/{id}/credential",
            credential: Credential::Person,
            allowed: &[Admin, L1],
            forbidden: &[T1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/certificates/{}/credential", s.certificate1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/certificates/{id}/renew",
            credential: Credential::Person,
            allowed: &[Admin, T1],
            forbidden: &[L1],
            // Peer2Peer certificates do not expire: there is nothing to renew.
            allowed_answer: Class::Conflict,
            call: |s, _| (format!("/v1/certificates/{}/renew", s.certificate1), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/certificates/{id}/reissue",
            credential: Credential::Person,
            allowed: &[Admin, L1],
            // The tutor may see the certificate but not reissue the holder's copy.
            forbidden: &[T1],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/certificates/{}/reissue", s.certificate1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/certificates",
            credential: Credential::Person,
            // Tutors list their own cohorts' certificates; learners, supervisors and others
            // may not list any.
            allowed: &[Admin, T1, T2, T3],
            forbidden: &[Unrelated, L1, L2, S1],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/certificates?programme=P2P".into(), None),
        },
        // After the rows above: it revokes L1's certificate.
        Operation {
            method: Method::POST,
            path: "/v1/certificates/{id}/revoke",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: &[T1, L1],
            allowed_answer: Class::Allowed,
            call: |s, _| {
                let body = json!({"reason": "Issued in error"});
                (format!("/v1/certificates/{}/revoke", s.certificate1), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/verify/{code}",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/verify/{}", s.verification_code1), None),
        },
        Operation {
            method: Method::GET,
            path: "/verify/{code}",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/verify/{}", s.verification_code1), None),
        },
        Operation {
            method: Method::GET,
            path: "/.well-known/jwks.json",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/.well-known/jwks.json".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/credentials/status/{id}",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            // Every issued certificate has an entry in the first list.
            call: |_, _| ("/v1/credentials/status/1".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/progress",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/progress".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/certificates",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/certificates".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/me/cpd",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let body = json!({
                    "completed_on": s.today - Duration::days(n as i64 % 30),
                    "hours": 1.5,
                    "category": "ethics",
                    "title": format!("Workshop {n}"),
                });
                ("/v1/me/cpd".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/cpd",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/cpd".into(), None),
        },
        Operation {
            method: Method::PUT,
            path: "/v1/me/consents/{organisation_id}",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            // 201, or 200 for L2, who already shares with it.
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/me/consents/{}", s.elsewhere_id), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/consents",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/consents".into(), None),
        },
        Operation {
            method: Method::DELETE,
            path: "/v1/me/consents/{organisation_id}",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/me/consents/{}", s.elsewhere_id), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/access-log",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/access-log".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/export",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/export".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/me/preferences",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me/preferences".into(), None),
        },
        Operation {
            method: Method::PUT,
            path: "/v1/me/preferences",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, n| {
                (
                    "/v1/me/preferences".into(),
                    Some(json!({"reminders": n % 2 == 0})),
                )
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/me",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me".into(), None),
        },
        Operation {
            method: Method::PATCH,
            path: "/v1/me",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/me".into(), Some(json!({"name": "Someone"}))),
        },
        Operation {
            method: Method::PATCH,
            path: "/v1/people/{id}",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/people/{}", s.l2), Some(json!({"name": "Learner 2"}))),
        },
        Operation {
            method: Method::GET,
            path: "/v1/people",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/people?q=example".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/people/{id}/erase",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, n| {
                let person_id = &s.erasable[n % ROLES.len()];
                (format!("/v1/people/{person_id}/erase"), None)
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/outbox",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/outbox".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/outbox/{id}/retry",
            credential: Credential::Person,
            allowed: &[Admin],
            forbidden: NON_ADMINS,
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/outbox/{}/retry", s.failed_message), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/auth/magic-link",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            // A new address each time: links are limited per address (and per client, so
            // this row asks for only one per caller).
            call: |_, n| {
                let body = json!({"email": format!("someone{n}@example.org")});
                ("/v1/auth/magic-link".into(), Some(body))
            },
        },
        Operation {
            method: Method::POST,
            path: "/v1/auth/session",
            credential: Credential::Anyone,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            // A link works once: every caller has their own.
            call: |s, n| {
                let body = json!({"token": s.sign_in_tokens[n % ROLES.len()]});
                ("/v1/auth/session".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/register/peer-supporters",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/register/peer-supporters?programme=P2P".into(), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/register/peer-supporters/{person_id}",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/register/peer-supporters/{}", s.l1), None),
        },
        Operation {
            method: Method::GET,
            path: "/v1/register/changes",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/register/changes".into(), None),
        },
        Operation {
            method: Method::POST,
            path: "/v1/webhooks",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, n| {
                let body = json!({"url": format!("https://hr.example.org/peertrack/{n}")});
                ("/v1/webhooks".into(), Some(body))
            },
        },
        Operation {
            method: Method::GET,
            path: "/v1/webhooks",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/webhooks".into(), None),
        },
        Operation {
            method: Method::DELETE,
            path: "/v1/webhooks/{id}",
            credential: Credential::Partner,
            allowed: PARTNER,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |s, _| (format!("/v1/webhooks/{}", s.webhook1), None),
        },
        // Last: signing out revokes each caller's token, so no row may come after it.
        Operation {
            method: Method::DELETE,
            path: "/v1/auth/session",
            credential: Credential::Person,
            allowed: PEOPLE,
            forbidden: &[],
            allowed_answer: Class::Allowed,
            call: |_, _| ("/v1/auth/session".into(), None),
        },
    ]
}

/// Every `METHOD /path` in the OpenAPI document.
fn documented_operations() -> BTreeSet<String> {
    let spec: Value = serde_json::from_str(include_str!("../../../openapi/openapi.json")).unwrap();
    let mut found = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                found.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    found
}

#[test]
fn the_matrix_has_a_row_for_every_documented_operation() {
    let documented = documented_operations();
    let rows: BTreeSet<String> = operations().iter().map(Operation::key).collect();
    let outside_the_document: BTreeSet<String> = ["GET /openapi.json", "GET /docs", "GET /ready"]
        .into_iter()
        .map(String::from)
        .collect();
    let missing: Vec<_> = documented.difference(&rows).collect();
    let stale: Vec<_> = rows
        .difference(&documented)
        .filter(|k| !outside_the_document.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "operations with no row in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for operations the document no longer has: {stale:?}"
    );
    assert_eq!(operations().len(), rows.len(), "two rows for one operation");
}

/// One cell as the service answered it.
struct Cell {
    expected: Class,
    status: StatusCode,
    /// A refusal that was not `application/problem+json`.
    not_a_problem: bool,
}

impl Cell {
    fn ok(&self) -> bool {
        Class::of(self.status) == Some(self.expected) && !self.not_a_problem
    }
}

fn table(rows: &[(String, Vec<Cell>)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!("{:width$}", "");
    for role in ROLES {
        let _ = write!(out, " {:>9}", role.label());
    }
    out.push('\n');
    for (key, cells) in rows {
        let _ = write!(out, "{key:width$}");
        for cell in cells {
            let text = if cell.ok() {
                cell.status.as_u16().to_string()
            } else if cell.not_a_problem {
                format!("{}!json", cell.status.as_u16())
            } else {
                format!("{}!{}", cell.status.as_u16(), cell.expected.label())
            };
            let _ = write!(out, " {text:>9}");
        }
        out.push('\n');
    }
    out.push_str("(a cell `got!wanted` is wrong; `!json` is a refusal that is not problem+json)\n");
    out
}

async fn every_role_gets_what_the_contract_gives_it(server: &TestServer) {
    let scenario = scenario(server).await;
    let mut rows = Vec::new();
    let mut fresh = 0;
    for operation in operations() {
        let mut cells = Vec::new();
        for role in ROLES {
            fresh += 1;
            let (path, body) = (operation.call)(&scenario, fresh);
            let response = send(
                server,
                &scenario,
                role,
                operation.method.clone(),
                &path,
                body.as_ref(),
            )
            .await;
            let status = response.status();
            // The pages for people are tested in `pages.rs`; every operation here refuses in
            // problem details.
            let expected_type: &[u8] = b"application/problem+json";
            let is_problem = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(expected_type));
            cells.push(Cell {
                expected: operation.expected(role),
                status,
                not_a_problem: status.as_u16() >= 400 && !is_problem,
            });
        }
        rows.push((operation.key(), cells));
    }
    let wrong = rows
        .iter()
        .flat_map(|(_, cells)| cells)
        .filter(|c| !c.ok())
        .count();
    assert!(
        wrong == 0,
        "{wrong} of {} cells are wrong:\n{}",
        rows.len() * ROLES.len(),
        table(&rows)
    );
}

/// A 404 for something the caller may not know of reads exactly like a 404 for nothing at
/// all, so that neither the status nor the words give its existence away.
async fn hidden_things_read_exactly_like_missing_ones(server: &TestServer) {
    let scenario = scenario(server).await;
    let s = &scenario;
    let missing = "00000000-0000-0000-0000-000000000000";
    let attendance = json!({"records": []});
    let supervision = json!({"occurred_on": s.today, "duration_minutes": 30, "format": "individual"});
    let revocation = json!({"reason": "Issued in error"});
    let decline = json!({"reason": "We did not meet that week"});
    let end = json!({"ended_on": s.today});
    // `{}` in each path stands for the id: the real one, then one that does not exist.
    let assessment = format!("/v1/cohorts/{{}}/assessments/{}/PRE", s.l1);
    let withdrawal = format!("/v1/cohorts/{{}}/enrolments/{}/withdraw", s.l1);
    let retitle = json!({"title": "Renamed"});
    let rename = json!({"name": "Renamed"});
    let probes = [
        (Method::GET, "/v1/cohorts/{}", &s.cohort1, None),
        (Method::GET, "/v1/cohorts/{}/sessions", &s.cohort1, None),
        (Method::GET, "/v1/cohorts/{}/progress", &s.cohort1, None),
        (Method::GET, "/v1/cohorts/{}/enrolments", &s.cohort1, None),
        (Method::GET, assessment.as_str(), &s.cohort1, None),
        (Method::GET, "/v1/sessions/{}", &s.session1, None),
        (Method::PATCH, "/v1/sessions/{}", &s.session1, Some(&retitle)),
        (
            Method::POST,
            "/v1/sessions/{}/cancel",
            &s.session1,
            Some(&revocation),
        ),
        (Method::PATCH, "/v1/cohorts/{}", &s.cohort1, Some(&rename)),
        (Method::POST, withdrawal.as_str(), &s.cohort1, Some(&revocation)),
        (Method::GET, "/v1/sessions/{}/attendance", &s.session1, None),
        (
            Method::PUT,
            "/v1/sessions/{}/attendance",
            &s.session1,
            Some(&attendance),
        ),
        (Method::GET, "/v1/placements/{}", &s.placement1, None),
        (Method::GET, "/v1/placements/{}/supervision", &s.placement1, None),
        (
            Method::POST,
            "/v1/placements/{}/supervision",
            &s.placement1,
            Some(&supervision),
        ),
        (Method::POST, "/v1/supervision/{}/verify", &s.supervision1, None),
        (
            Method::POST,
            "/v1/supervision/{}/decline",
            &s.supervision2,
            Some(&decline),
        ),
        (Method::POST, "/v1/placements/{}/end", &s.placement1, Some(&end)),
        (
            Method::GET,
            "/v1/people/{}/eligibility?programme=P2P",
            &s.l1,
            None,
        ),
        (Method::GET, "/v1/certificates/{}", &s.certificate1, None),
        (Method::GET, "/v1/certificates/{}/pdf", &s.certificate1, None),
        (
            Method::GET,
            "/v1/certificates/{}/credential",
            &s.certificate1,
            None,
        ),
        (
            Method::POST,
            "/v1/certificates/{}/revoke",
            &s.certificate1,
            Some(&revocation),
        ),
        (Method::POST, "/v1/certificates/{}/renew", &s.certificate1, None),
        (Method::POST, "/v1/certificates/{}/reissue", &s.certificate1, None),
    ];
    let mut differences = Vec::new();
    for (method, template, real_id, body) in probes {
        for role in [Unrelated, L2, T2] {
            let hidden_path = template.replace("{}", real_id);
            let hidden = send(server, s, role, method.clone(), &hidden_path, body).await;
            let missing_path = template.replace("{}", missing);
            let absent = send(server, s, role, method.clone(), &missing_path, body).await;
            let hidden = (hidden.status(), hidden.text().await.unwrap());
            let absent = (absent.status(), absent.text().await.unwrap());
            if hidden.0 != StatusCode::NOT_FOUND || hidden != absent {
                differences.push(format!(
                    "{} {method} {hidden_path}: {} {}\n   but for a missing id: {} {}",
                    role.label(),
                    hidden.0,
                    hidden.1,
                    absent.0,
                    absent.1
                ));
            }
        }
    }

    // Issuing is refused to those who do not tutor the cohort in the same words whether or not
    // the cohort exists, so that the refusal does not tell cohort ids apart either.
    for role in [Unrelated, L1, T2, T3, S1] {
        let mut answers = Vec::new();
        for cohort_id in [s.cohort1.as_str(), missing] {
            let body = json!({"person_id": s.issuable[0], "cohort_id": cohort_id});
            let answer = send(server, s, role, Method::POST, "/v1/certificates", Some(&body)).await;
            answers.push((answer.status(), answer.text().await.unwrap()));
        }
        if answers[0].0 != StatusCode::FORBIDDEN || answers[0] != answers[1] {
            differences.push(format!(
                "{} POST /v1/certificates for cohort 1: {} {}\n   but for a missing cohort: {} {}",
                role.label(),
                answers[0].0,
                answers[0].1,
                answers[1].0,
                answers[1].1
            ));
        }
    }

    // A partner hears the same about a person who does not share with it (L2 shares with
    // another organisation) as about nobody, and the same about another organisation's
    // webhook as about none.
    for (method, template, real_id) in [
        (Method::GET, "/v1/register/peer-supporters/{}", &s.l2),
        (Method::DELETE, "/v1/webhooks/{}", &s.foreign_webhook),
    ] {
        let hidden_path = template.replace("{}", real_id);
        let hidden = send(server, s, PartnerKey, method.clone(), &hidden_path, None).await;
        let missing_path = template.replace("{}", missing);
        let absent = send(server, s, PartnerKey, method.clone(), &missing_path, None).await;
        let hidden = (hidden.status(), hidden.text().await.unwrap());
        let absent = (absent.status(), absent.text().await.unwrap());
        if hidden.0 != StatusCode::NOT_FOUND || hidden != absent {
            differences.push(format!(
                "apikey {method} {hidden_path}: {} {}\n   but for a missing id: {} {}",
                hidden.0, hidden.1, absent.0, absent.1
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Credentials are checked before the request is read: a stranger with a malformed body
/// hears "sign in", not what is wrong with the body.
async fn credentials_are_checked_before_the_body_is_read(server: &TestServer) {
    let scenario = scenario(server).await;
    for (method, path) in [
        (Method::POST, "/v1/organisations".to_string()),
        (Method::POST, "/v1/cohorts".to_string()),
        (
            Method::PUT,
            format!("/v1/sessions/{}/attendance", scenario.session1),
        ),
        (
            Method::POST,
            format!("/v1/placements/{}/supervision", scenario.placement1),
        ),
        (Method::POST, "/v1/certificates".to_string()),
        (
            Method::POST,
            format!("/v1/certificates/{}/revoke", scenario.certificate1),
        ),
        (Method::POST, "/v1/me/cpd".to_string()),
        (Method::PUT, "/v1/me/preferences".to_string()),
    ] {
        for role in [Anonymous, BadToken, PartnerKey] {
            let mut request = server
                .http
                .request(method.clone(), server.url(&path))
                .header("content-type", "application/json")
                .body("{\"oops\": ");
            request = match role {
                BadToken => request.bearer_auth("pt_not-a-real-token"),
                PartnerKey => request.header("X-Api-Key", &scenario.partner_key),
                _ => request,
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{} {method} {path}", role.label());
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
    }
    // Where a partner key is asked for, a person's token is no credential, and neither is a
    // made-up key.
    for credential in ["none", "bearer", "made-up key"] {
        let mut request = server
            .http
            .post(server.url("/v1/webhooks"))
            .header("content-type", "application/json")
            .body("{\"url\": ");
        request = match credential {
            "bearer" => request.bearer_auth(&server.admin_token),
            "made-up key" => request.header("X-Api-Key", "ptk_made-up"),
            _ => request,
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{credential} POST /v1/webhooks");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    // A made-up partner key is no credential either.
    let response = server
        .http
        .get(server.url("/v1/programmes"))
        .header("X-Api-Key", "ptk_made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

e2e_on_both_backends!(
    every_role_gets_what_the_contract_gives_it,
    hidden_things_read_exactly_like_missing_ones,
    credentials_are_checked_before_the_body_is_read,
);
