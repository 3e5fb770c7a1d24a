//! Building blocks for end-to-end scenarios, all driven over HTTP as a client would.

use chrono::{Duration, Utc};
use peertrack_core::store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::TestServer;

impl TestServer {
    /// Sends a request with a bearer token and an optional JSON body; returns status and body.
    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// GETs a path without credentials and reads the answer as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON answer")
    }

    /// A bearer token for the person with this email, who must exist ([`crate::bearer_token`]).
    pub async fn token_for(&self, email: &str) -> String {
        let email = email.to_string();
        self.database
            .db
            .write_async(move |conn| {
                let person = store::people::by_email(conn, &email)?.expect("the person exists");
                crate::bearer_token(conn, &person.id, Utc::now())
            })
            .await
            .expect("a token")
    }

    /// The person with this email (made, with this name, if new) and a fresh bearer token of
    /// theirs ([`crate::bearer_token`]): their id and the token.
    pub async fn person_with_token(&self, email: &str, name: &str) -> (String, String) {
        let (email, name) = (email.to_string(), name.to_string());
        self.database
            .db
            .write_async(move |conn| {
                let now = Utc::now();
                let (person, _) = store::people::find_or_create(conn, &email, &name, store::stored(now))?;
                let token = crate::bearer_token(conn, &person.id, now)?;
                Ok((person.id, token))
            })
            .await
            .expect("a person and a token")
    }

    /// A fresh bearer token for the person with this id ([`crate::bearer_token`]).
    pub async fn token_for_person(&self, person_id: &str) -> String {
        let person_id = person_id.to_string();
        self.database
            .db
            .write_async(move |conn| crate::bearer_token(conn, &person_id, Utc::now()))
            .await
            .expect("a token")
    }
}

/// A cohort with a tutor and one learner who meets every requirement of its programme.
pub struct EligibleLearner {
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The tutor's token.
    pub tutor: String,
    /// The learner's token.
    pub learner: String,
    /// The delivering organisation.
    pub organisation_id: String,
}

impl EligibleLearner {
    /// The cohort's tutor asks for this learner's certificate; returns status and body.
    pub async fn certify(&self, server: &TestServer) -> (StatusCode, Value) {
        server
            .call(
                &self.tutor,
                Method::POST,
                "/v1/certificates",
                Some(json!({"person_id": self.person_id, "cohort_id": self.cohort_id})),
            )
            .await
    }
}

/// Creates an organisation (by admin) and returns its id.
pub async fn organisation(server: &TestServer, name: &str) -> String {
    let (status, body) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/organisations",
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A partner organisation (made by the administrator) and an API key of its own: (organisation
/// id, key).
pub async fn partner(server: &TestServer, name: &str) -> (String, String) {
    let organisation_id = organisation(server, name).await;
    let id = organisation_id.clone();
    let key = server
        .database
        .db
        .write_async(move |conn| {
            let (secret, _) =
                store::tokens::create_api_key(conn, &id, "HR system", store::stored(Utc::now()))?;
            Ok(secret)
        })
        .await
        .expect("an API key");
    (organisation_id, key)
}

/// Builds a learner of `programme_code` who meets every requirement: a held session attended,
/// every module achieved, and six verified supervision sessions during a placement.
pub async fn eligible_learner(server: &TestServer, programme_code: &str, suffix: &str) -> EligibleLearner {
    eligible_learner_named(server, programme_code, suffix, &format!("Learner {suffix}")).await
}

/// [`eligible_learner`], enrolled under `name`.
pub async fn eligible_learner_named(
    server: &TestServer,
    programme_code: &str,
    suffix: &str,
    name: &str,
) -> EligibleLearner {
    let admin = server.admin_token.clone();
    let organisation_id = organisation(server, &format!("Provider {suffix}")).await;
    let today = Utc::now().date_naive();
    let tutor_email = format!("tutor-{suffix}@example.org");
    let (status, cohort) = server
        .call(
            &admin,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": programme_code,
                "organisation_id": organisation_id,
                "name": format!("Cohort {suffix}"),
                "starts_on": today - Duration::days(30),
                "ends_on": today + Duration::days(30),
                "tutor_emails": [tutor_email],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    let tutor = server.token_for(&tutor_email).await;
    let learner_email = format!("learner-{suffix}@example.org");
    let (_, enrolment) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": learner_email, "name": name, "enrolled_on": today - Duration::days(30)})),
        )
        .await;
    let person_id = enrolment["person_id"].as_str().unwrap().to_string();
    let start = Utc::now() - Duration::days(7);
    let (_, session) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/sessions"),
            Some(json!({"title": "Week 1", "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    let session_id = session["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            &tutor,
            Method::PUT,
            &format!("/v1/sessions/{session_id}/attendance"),
            Some(json!({"records": [{"person_id": person_id, "status": "present"}]})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, programme) = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/programmes/{programme_code}"),
            None,
        )
        .await;
    for module in programme["modules"].as_array().unwrap() {
        let code = module["code"].as_str().unwrap();
        let (status, body) = server
            .call(
                &tutor,
                Method::PUT,
                &format!("/v1/cohorts/{cohort_id}/assessments/{person_id}/{code}"),
                Some(json!({"outcome": "achieved"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        if module["requires_verification"] == true {
            let id = body["id"].as_str().unwrap().to_string();
            server
                .database
                .db
                .write_async(move |conn| {
                    let verifier = store::people::by_email(conn, "ada@example.org")?.expect("Ada");
                    store::assessments::verify_assessment(conn, &id, &verifier.id, today)
                })
                .await
                .expect("internal verification");
        }
    }
    let supervisor_email = format!("supervisor-{suffix}@example.org");
    let (status, placement) = server
        .call(
            &tutor,
            Method::POST,
            "/v1/placements",
            Some(json!({"person_id": person_id, "organisation_id": organisation_id, "supervisor_email": supervisor_email, "starts_on": today - Duration::days(28)})),
        )
        .await;
    assert_eq!(status, 201, "{placement}");
    let placement_id = placement["id"].as_str().unwrap();
    let supervisor = server.token_for(&supervisor_email).await;
    for week in 0..6 {
        let (status, body) = server
            .call(
                &supervisor,
                Method::POST,
                &format!("/v1/placements/{placement_id}/supervision"),
                Some(json!({"occurred_on": today - Duration::days(27 - 4 * week), "duration_minutes": 300, "format": "individual"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let learner = server.token_for(&learner_email).await;
    EligibleLearner {
        cohort_id,
        person_id,
        tutor,
        learner,
        organisation_id,
    }
}
