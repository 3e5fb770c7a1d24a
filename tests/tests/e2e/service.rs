//! The service over real HTTP on both databases: health, docs, problem details, programmes,
//! organisations.

use peertrack_e2e::{e2e_on_both_backends, TestServer};
use serde_json::{json, Value};

async fn health_answers_ok_when_the_database_answers(server: &TestServer) {
    let response = server.http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"status": "ok"}));
}

async fn the_spec_and_the_docs_are_served(server: &TestServer) {
    let spec: Value = server.get_json("/openapi.json").await;
    assert_eq!(spec["info"]["title"], "Peertrack");
    let docs = server.http.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

async fn both_seeded_programmes_are_listed_with_their_modules(server: &TestServer) {
    let list: Value = server
        .http
        .get(server.url("/v1/programmes"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["P2P", "PDA-MHPS"]);

    let p2p: Value = server
        .http
        .get(server.url("/v1/programmes/P2P"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p2p["version"], 1);
    assert_eq!(p2p["rule"]["min_attendance_percent"], 80);
    assert_eq!(p2p["rule"]["min_supervision_sessions"], 6);
    let first = &p2p["modules"][0];
    assert_eq!(first["code"], "PRE");
    assert_eq!(first["core"], true);
    assert!(first["planned_hours"].as_u64().unwrap() > 0);

    let pda: Value = server
        .http
        .get(server.url("/v1/programmes/PDA-MHPS"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pda["credits"], 16);
    assert_eq!(pda["level"], 7);
}

async fn errors_are_problem_details(server: &TestServer) {
    let no_token = server
        .http
        .get(server.url("/v1/programmes"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(no_token.headers()["content-type"], "application/problem+json");
    let bad_token = server
        .http
        .get(server.url("/v1/programmes"))
        .bearer_auth("pt_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 401);

    let unknown = server
        .http
        .get(server.url("/v1/programmes/NOPE"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let problem: Value = unknown.json().await.unwrap();
    assert_eq!(problem["status"], 404);
    assert!(problem["detail"].as_str().unwrap().contains("not found"));

    let malformed = server
        .http
        .post(server.url("/v1/organisations"))
        .bearer_auth(&server.admin_token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.headers()["content-type"], "application/problem+json");

    // Declare a 2 MiB body and send none of it: the answer must come from the declared length
    // alone (a client still uploading would otherwise race the server's early answer).
    let address = server.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/organisations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.admin_token,
        2 * 1024 * 1024
    );
    tokio::io::AsyncWriteExt::write_all(&mut socket, head.as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 1024];
    let read = tokio::io::AsyncReadExt::read(&mut socket, &mut answer)
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

async fn organisations_are_added_by_admins_with_field_errors_named(server: &TestServer) {
    let created = server
        .http
        .post(server.url("/v1/organisations"))
        .bearer_auth(&server.admin_token)
        .json(&json!({"name": "Penumbra"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["name"], "Penumbra");

    let again = server
        .http
        .post(server.url("/v1/organisations"))
        .bearer_auth(&server.admin_token)
        .json(&json!({"name": "Penumbra"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "SAMH", "colour": "red"}), "colour"),
    ] {
        let refused = server
            .http
            .post(server.url("/v1/organisations"))
            .bearer_auth(&server.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{body}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    let list: Value = server
        .http
        .get(server.url("/v1/organisations?limit=500"))
        .bearer_auth(&server.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_cursor"], Value::Null);
}

e2e_on_both_backends!(
    health_answers_ok_when_the_database_answers,
    the_spec_and_the_docs_are_served,
    both_seeded_programmes_are_listed_with_their_modules,
    errors_are_problem_details,
    organisations_are_added_by_admins_with_field_errors_named,
);
