//! Revoked and expired credentials, over real HTTP on both databases: a bearer token that was
//! revoked, signed out or has expired, and a partner API key that was revoked, are refused
//! with a 401 problem from the very next request, and nothing else stops working with them.
//! A revoked certificate is revoked everywhere: its bit in the published status list is set,
//! a credential made after revocation says so, and its PDF is marked for anyone who asks.

use chrono::{Duration, Utc};
use peertrack_core::store::{self, people, tokens};
use peertrack_e2e::credentials::bit;
use peertrack_e2e::scenario::{eligible_learner, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The status a request with this bearer token gets (a refusal must be a problem).
async fn with_token(server: &TestServer, token: &str) -> StatusCode {
    let response = server
        .http
        .get(server.url("/v1/programmes"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    refusals_are_problems(response).await
}

/// The status a partner's look-up with this API key gets (a refusal must be a problem).
async fn with_key(server: &TestServer, key: &str) -> StatusCode {
    let response = server
        .http
        .get(server.url("/v1/register/peer-supporters?programme=P2P"))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    refusals_are_problems(response).await
}

async fn refusals_are_problems(response: reqwest::Response) -> StatusCode {
    let status = response.status();
    if status.is_client_error() {
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], status.as_u16(), "{problem}");
    }
    status
}

/// An administrator's call; returns status and body.
async fn as_admin(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    server.call(&server.admin_token, method, path, body).await
}

/// Makes an API key for an organisation through the API; returns `(id, key)`.
async fn make_key(server: &TestServer, organisation_id: &str, name: &str) -> (String, String) {
    let response = server
        .http
        .post(server.url(&format!("/v1/organisations/{organisation_id}/api-keys")))
        .bearer_auth(&server.admin_token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "a key is not kept in caches"
    );
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["name"], name);
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("ptk_"), "{created}");
    (created["id"].as_str().unwrap().to_string(), key)
}

async fn a_revoked_bearer_token_is_refused_on_the_next_request(server: &TestServer) {
    let (person_id, token) = server.person_with_token("rowan@example.org", "Rowan Peer").await;
    assert_eq!(with_token(server, &token).await, StatusCode::OK);
    // As `peertrack admin revoke-token` does.
    server
        .database
        .db
        .write_async(move |conn| tokens::revoke_tokens_of(conn, &person_id, store::stored(Utc::now())))
        .await
        .unwrap();
    assert_eq!(with_token(server, &token).await, StatusCode::UNAUTHORIZED);
}

async fn an_expired_bearer_token_is_refused(server: &TestServer) {
    let (person_id, _) = server.person_with_token("rowan@example.org", "Rowan Peer").await;
    let (expired, lasting) = server
        .database
        .db
        .write_async(move |conn| {
            let now = Utc::now();
            let (expired, _) = tokens::create_token(
                conn,
                &person_id,
                tokens::TokenPurpose::Access,
                store::stored(now - Duration::seconds(1)),
                store::stored(now - Duration::hours(12)),
            )?;
            let (lasting, _) = tokens::create_token(
                conn,
                &person_id,
                tokens::TokenPurpose::Access,
                store::stored(now + Duration::hours(1)),
                store::stored(now),
            )?;
            Ok((expired, lasting))
        })
        .await
        .unwrap();
    assert_eq!(with_token(server, &expired).await, StatusCode::UNAUTHORIZED);
    assert_eq!(with_token(server, &lasting).await, StatusCode::OK);
}

async fn signing_out_ends_only_the_token_used(server: &TestServer) {
    let (_, laptop) = server.person_with_token("rowan@example.org", "Rowan Peer").await;
    let (_, phone) = server.person_with_token("rowan@example.org", "Rowan Peer").await;
    assert_eq!(with_token(server, &laptop).await, StatusCode::OK);
    let (status, _) = server
        .call(&laptop, Method::DELETE, "/v1/auth/session", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(with_token(server, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        with_token(server, &phone).await,
        StatusCode::OK,
        "the same person's other token still works"
    );
    // Signing out again with the dead token is refused like any other request with it.
    let (status, problem) = server
        .call(&laptop, Method::DELETE, "/v1/auth/session", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");

    // A session from a sign-in link ends the same way, and only it.
    let link_token = server
        .database
        .db
        .write_async(|conn| {
            let now = Utc::now();
            let rowan = people::by_email(conn, "rowan@example.org")?.expect("Rowan");
            let (token, _) = tokens::create_token(
                conn,
                &rowan.id,
                tokens::TokenPurpose::SignIn,
                store::stored(now + Duration::minutes(15)),
                store::stored(now),
            )?;
            Ok(token)
        })
        .await
        .unwrap();
    let signed_in = server
        .http
        .post(server.url("/v1/auth/session"))
        .json(&json!({ "token": link_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let session: Value = signed_in.json().await.unwrap();
    let session = session["access_token"].as_str().unwrap().to_string();
    assert_eq!(with_token(server, &session).await, StatusCode::OK);
    let (status, _) = server
        .call(&session, Method::DELETE, "/v1/auth/session", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(with_token(server, &session).await, StatusCode::UNAUTHORIZED);
    assert_eq!(with_token(server, &phone).await, StatusCode::OK);

    // The audit trail says who signed out.
    let (_, audit) = as_admin(server, Method::GET, "/v1/audit-events?limit=500", None).await;
    let signed_out = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "person.signed_out")
        .count();
    assert_eq!(signed_out, 2, "{audit}");
}

async fn a_revoked_api_key_is_refused_on_the_next_request(server: &TestServer) {
    let partner = organisation(server, "Penumbra HR").await;
    let (key_id, key) = make_key(server, &partner, "HR system").await;
    let (_, spare) = make_key(server, &partner, "Spare").await;
    assert_eq!(with_key(server, &key).await, StatusCode::OK);

    let keys_path = format!("/v1/organisations/{partner}/api-keys");
    let (status, listed) = as_admin(server, Method::GET, &keys_path, None).await;
    assert_eq!(status, StatusCode::OK);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    assert!(items.iter().all(|item| item["revoked_at"].is_null()), "{listed}");
    for item in items {
        let mut fields: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            ["created_at", "id", "name", "revoked_at"],
            "never the key or its hash"
        );
    }
    assert!(!listed.to_string().contains(&key), "the key is shown once");

    let (status, _) = as_admin(server, Method::DELETE, &format!("{keys_path}/{key_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(with_key(server, &key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        with_key(server, &spare).await,
        StatusCode::OK,
        "the organisation's other key still works"
    );
    let revoked_at = |listed: &Value| {
        let item = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == key_id.as_str());
        item.expect("the revoked key is still listed")["revoked_at"].clone()
    };
    let (_, listed) = as_admin(server, Method::GET, &keys_path, None).await;
    let first_revoked_at = revoked_at(&listed);
    assert!(first_revoked_at.is_string(), "{listed}");

    // Revoking again changes nothing, and keeps when it was first revoked.
    let (status, _) = as_admin(server, Method::DELETE, &format!("{keys_path}/{key_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = as_admin(server, Method::GET, &keys_path, None).await;
    assert_eq!(revoked_at(&listed), first_revoked_at);
    assert_eq!(with_key(server, &key).await, StatusCode::UNAUTHORIZED);
}

async fn an_organisations_key_cannot_be_revoked_through_another_organisation(server: &TestServer) {
    let first = organisation(server, "Penumbra HR").await;
    let second = organisation(server, "Elsewhere HR").await;
    let (key_id, key) = make_key(server, &first, "HR system").await;

    let through_second = format!("/v1/organisations/{second}/api-keys/{key_id}");
    let (status, problem) = as_admin(server, Method::DELETE, &through_second, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    // Worded exactly as for a key that does not exist.
    let missing = format!("/v1/organisations/{second}/api-keys/00000000-0000-0000-0000-000000000000");
    let (_, absent) = as_admin(server, Method::DELETE, &missing, None).await;
    assert_eq!(problem, absent);
    assert_eq!(
        with_key(server, &key).await,
        StatusCode::OK,
        "the key still works"
    );

    // Nor is it listed under the other organisation; and an organisation that does not exist
    // has no keys to list.
    let (_, listed) = as_admin(
        server,
        Method::GET,
        &format!("/v1/organisations/{second}/api-keys"),
        None,
    )
    .await;
    assert_eq!(listed["items"], json!([]));
    let nowhere = "/v1/organisations/00000000-0000-0000-0000-000000000000/api-keys";
    let (status, _) = as_admin(server, Method::GET, nowhere, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Its own organisation's path revokes it.
    let (status, _) = as_admin(
        server,
        Method::DELETE,
        &format!("/v1/organisations/{first}/api-keys/{key_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(with_key(server, &key).await, StatusCode::UNAUTHORIZED);
}

async fn only_administrators_manage_api_keys(server: &TestServer) {
    let partner = organisation(server, "Penumbra HR").await;
    let (key_id, key) = make_key(server, &partner, "HR system").await;
    let (_, someone) = server.person_with_token("rowan@example.org", "Rowan Peer").await;
    let keys_path = format!("/v1/organisations/{partner}/api-keys");
    for (method, path, body) in [
        (Method::GET, keys_path.clone(), None),
        (Method::POST, keys_path.clone(), Some(json!({"name": "Mine now"}))),
        (Method::DELETE, format!("{keys_path}/{key_id}"), None),
    ] {
        let (status, problem) = server.call(&someone, method.clone(), &path, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
        // A partner's own key is no credential here either.
        let mut request = server
            .http
            .request(method.clone(), server.url(&path))
            .header("X-Api-Key", &key);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a key"
        );
    }
    assert_eq!(with_key(server, &key).await, StatusCode::OK);
    let (_, listed) = as_admin(server, Method::GET, &keys_path, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

async fn a_revoked_certificate_is_revoked_in_its_status_list_and_its_credential(server: &TestServer) {
    let learner = eligible_learner(server, "P2P", "rv").await;
    let (_, certificate) = learner.certify(server).await;
    let id = certificate["id"].as_str().unwrap().to_string();
    let before = server.credential_claims(&learner.learner, &id).await;
    let (bits, index) = server.status_bits_of(&before).await;
    assert!(!bit(&bits, index), "valid: the bit is clear");

    let revoked_at = Utc::now();
    let (status, revoked) = as_admin(
        server,
        Method::POST,
        &format!("/v1/certificates/{id}/revoke"),
        Some(json!({"reason": "Issued in error"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");

    // The list anyone fetches now has the bit set, so the credential issued before is
    // revoked for any verifier that checks its status.
    let (bits, same_index) = server.status_bits_of(&before).await;
    assert_eq!(same_index, index);
    assert!(bit(&bits, index), "revoked: the bit is set");
    assert_eq!(
        bits.iter().map(|b| b.count_ones()).sum::<u32>(),
        1,
        "no other certificate is touched"
    );

    // A credential made now carries the same entry, and is valid only until the revocation.
    for token in [&learner.learner, &server.admin_token] {
        let after = server.credential_claims(token, &id).await;
        assert_eq!(after["credentialStatus"], before["credentialStatus"]);
        let until: chrono::DateTime<Utc> = after["validUntil"].as_str().unwrap().parse().unwrap();
        assert!(
            (until - revoked_at).num_seconds().abs() < 60,
            "{until} vs {revoked_at}"
        );
        assert_eq!(after["exp"], until.timestamp());
        assert!(after["exp"].as_i64().unwrap() <= Utc::now().timestamp());
    }
    let verified: Value = server
        .get_json(&format!(
            "/v1/verify/{}",
            certificate["verification_code"].as_str().unwrap()
        ))
        .await;
    assert_eq!(verified["status"], "revoked");
    assert_eq!(verified["revoked_on"], revoked_at.date_naive().to_string());

    // The PDF says so across the page, for the holder and for an administrator alike.
    let on = revoked_at.date_naive().format("%-d %B %Y").to_string();
    for token in [&learner.learner, &server.admin_token] {
        let Some((_, text)) = server.pdf_text(token, &id).await else {
            return;
        };
        assert!(
            text.contains(&format!(
                "WITHDRAWN: this certificate was revoked on {on} and is no longer valid"
            )),
            "{text}"
        );
    }
}

e2e_on_both_backends!(
    a_revoked_certificate_is_revoked_in_its_status_list_and_its_credential,
    a_revoked_bearer_token_is_refused_on_the_next_request,
    an_expired_bearer_token_is_refused,
    signing_out_ends_only_the_token_used,
    a_revoked_api_key_is_refused_on_the_next_request,
    an_organisations_key_cannot_be_revoked_through_another_organisation,
    only_administrators_manage_api_keys,
);
