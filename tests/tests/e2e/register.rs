//! The partner register over HTTP on both databases: consent gating (also under pagination
//! and in the change feed), revocation, expiry and withdrawal taking effect at once, the
//! access log, export, and erasure that leaves no name or email anywhere in the database.

use chrono::{Duration, Utc};
use peertrack_core::service::register::record_expiries;
use peertrack_core::store::DbConnection;
use peertrack_e2e::scenario::{eligible_learner, partner, EligibleLearner};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

async fn as_partner(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server
        .http
        .get(server.url(path))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn certified(server: &TestServer, suffix: &str) -> (EligibleLearner, Value) {
    let learner = eligible_learner(server, "P2P", suffix).await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    (learner, certificate)
}

async fn share(server: &TestServer, learner: &EligibleLearner, organisation_id: &str) -> u16 {
    server
        .call(
            &learner.learner,
            Method::PUT,
            &format!("/v1/me/consents/{organisation_id}"),
            None,
        )
        .await
        .0
        .as_u16()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["person_id"].as_str().unwrap().to_string())
        .collect()
}

async fn a_partner_sees_exactly_the_consenting_qualified_people(server: &TestServer) {
    let (hr, key) = partner(server, "Penumbra HR").await;
    let (other_org, other_key) = partner(server, "SAMH HR").await;
    let mut sharing = Vec::new();
    for n in 0..5 {
        let (learner, _) = certified(server, &format!("s{n}")).await;
        assert_eq!(share(server, &learner, &hr).await, 201);
        assert_eq!(
            share(server, &learner, &hr).await,
            200,
            "sharing twice changes nothing"
        );
        sharing.push(learner);
    }
    let (not_sharing, _) = certified(server, "ns").await;
    assert_eq!(
        share(server, &not_sharing, &other_org).await,
        201,
        "shares with someone else only"
    );
    let uncertified = eligible_learner(server, "P2P", "uc").await;
    assert_eq!(
        share(server, &uncertified, &hr).await,
        201,
        "shares but holds no certificate"
    );

    // Page through two at a time: exactly the five, each once, in a stable order.
    let mut seen = Vec::new();
    let mut path = "/v1/register/peer-supporters?programme=P2P&limit=2".to_string();
    loop {
        let (status, page) = as_partner(server, &key, &path).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["certificates"][0]["status"], "valid");
            assert_eq!(item["certificates"][0]["programme_code"], "P2P");
        }
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/register/peer-supporters?programme=P2P&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    let mut expected: Vec<String> = sharing.iter().map(|l| l.person_id.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected);

    // The other partner sees only its own sharer; a person not sharing is a 404 to look up.
    let (_, page) = as_partner(server, &other_key, "/v1/register/peer-supporters").await;
    assert_eq!(ids(&page), std::slice::from_ref(&not_sharing.person_id));
    let (status, _) = as_partner(
        server,
        &key,
        &format!("/v1/register/peer-supporters/{}", not_sharing.person_id),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = as_partner(server, &key, "/v1/register/peer-supporters/no-such-person").await;
    assert_eq!(status, 404);
    let (status, person) = as_partner(
        server,
        &key,
        &format!("/v1/register/peer-supporters/{}", sharing[0].person_id),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(person["name"], "Learner s0");

    // Before any certificate was issued, nobody was qualified.
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let (_, page) = as_partner(
        server,
        &key,
        &format!("/v1/register/peer-supporters?qualified_on={yesterday}"),
    )
    .await;
    assert!(ids(&page).is_empty());

    // People see every look-up in their access log, in plain words.
    let (_, log) = server
        .call(&sharing[0].learner, Method::GET, "/v1/me/access-log", None)
        .await;
    let entries = log["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "one search page and one direct look-up: {log}");
    assert_eq!(entries[0]["endpoint"], "register.person");
    assert!(entries[0]["description"]
        .as_str()
        .unwrap()
        .starts_with("Penumbra HR (through HR system) looked you up"));
    let (_, log) = server
        .call(&not_sharing.learner, Method::GET, "/v1/me/access-log", None)
        .await;
    assert_eq!(
        log["items"].as_array().unwrap().len(),
        1,
        "only SAMH's search found them"
    );
}

async fn revocation_expiry_and_withdrawal_take_effect_at_once_and_reach_the_feed(server: &TestServer) {
    let (hr, key) = partner(server, "NHS Tayside HR").await;
    let (a, certificate_a) = certified(server, "ra").await;
    let (b, _) = certified(server, "rb").await;
    let (c, certificate_c) = certified(server, "rc").await;
    for learner in [&a, &b, &c] {
        share(server, learner, &hr).await;
    }
    let (_, page) = as_partner(server, &key, "/v1/register/peer-supporters").await;
    assert_eq!(ids(&page).len(), 3);
    let (_, feed) = as_partner(server, &key, "/v1/register/changes").await;
    let cursor = feed["next_cursor"].as_str().unwrap().to_string();
    let kinds: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["consent.granted", "consent.granted", "consent.granted"],
        "issued before sharing: not visible"
    );

    // Revoke A's certificate, B stops sharing, C's certificate reaches its expiry.
    let id = certificate_a["id"].as_str().unwrap();
    server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/certificates/{id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    let (status, _) = server
        .call(&b.learner, Method::DELETE, &format!("/v1/me/consents/{hr}"), None)
        .await;
    assert_eq!(status, 204);
    let c_id = certificate_c["id"].as_str().unwrap().to_string();
    let today = Utc::now().date_naive();
    server
        .database
        .db
        .write_async(move |conn: &mut DbConnection| {
            use diesel::prelude::*;
            use peertrack_core::store::schema::certificates;
            diesel::update(certificates::table.find(&c_id))
                .set(certificates::expires_on.eq(Some(today)))
                .execute(conn)?;
            record_expiries(conn, Utc::now())?;
            // Idempotent: a second run on the same day records nothing more.
            assert_eq!(record_expiries(conn, Utc::now())?, 0);
            Ok(())
        })
        .await
        .unwrap();

    let (_, page) = as_partner(server, &key, "/v1/register/peer-supporters").await;
    assert!(
        ids(&page).is_empty(),
        "revoked, withdrawn and expired are all gone: {page}"
    );
    let (status, _) = as_partner(
        server,
        &key,
        &format!("/v1/register/peer-supporters/{}", b.person_id),
    )
    .await;
    assert_eq!(status, 404, "withdrawal takes effect on the next request");

    let (_, feed) = as_partner(server, &key, &format!("/v1/register/changes?after={cursor}")).await;
    let events: Vec<(String, String)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["person_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("certificate.revoked".to_string(), a.person_id.clone()),
            ("consent.withdrawn".to_string(), b.person_id.clone()),
            ("certificate.expired".to_string(), c.person_id.clone()),
        ]
    );
    // Resuming from the end gives nothing new, and keeps the cursor.
    let end = feed["next_cursor"].as_str().unwrap();
    let (_, again) = as_partner(server, &key, &format!("/v1/register/changes?after={end}")).await;
    assert!(again["items"].as_array().unwrap().is_empty());
    assert_eq!(again["next_cursor"], end);

    // Another partner sees none of it.
    let (_, other_key) = partner(server, "Elsewhere HR").await;
    let (_, feed) = as_partner(server, &other_key, "/v1/register/changes").await;
    assert!(feed["items"].as_array().unwrap().is_empty(), "{feed}");
}

/// Every text value in every table, for the erasure check.
fn all_text(conn: &mut DbConnection) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Cell {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        value: Option<String>,
    }
    let tables: Vec<String> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .load::<Name>(c)
        .unwrap(),
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .load::<Name>(c)
        .unwrap(),
    }
    .into_iter()
    .map(|n| n.name)
    .collect();
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> = match conn {
            DbConnection::Sqlite(c) => diesel::sql_query(format!("SELECT name FROM pragma_table_info('{table}')")).load::<Name>(c).unwrap(),
            DbConnection::Postgres(c) => diesel::sql_query(format!(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}'"
            ))
            .load::<Name>(c)
            .unwrap(),
        }
        .into_iter()
        .map(|n| n.name)
        .collect();
        for column in columns {
            let query = format!("SELECT CAST({column} AS TEXT) AS value FROM {table}");
            let cells = match conn {
                DbConnection::Sqlite(c) => diesel::sql_query(query).load::<Cell>(c).unwrap(),
                DbConnection::Postgres(c) => diesel::sql_query(query).load::<Cell>(c).unwrap(),
            };
            found.extend(
                cells
                    .into_iter()
                    .filter_map(|c| c.value)
                    .map(|v| (format!("{table}.{column}"), v)),
            );
        }
    }
    found
}

async fn export_holds_everything_and_erasure_leaves_no_name_or_email(server: &TestServer) {
    let (hr, key) = partner(server, "Richmond Fellowship HR").await;
    let (learner, certificate) = certified(server, "er").await;
    share(server, &learner, &hr).await;
    as_partner(server, &key, "/v1/register/peer-supporters").await;
    server
        .call(&learner.learner, Method::POST, "/v1/me/cpd", Some(json!({"completed_on": Utc::now().date_naive(), "hours": 2, "category": "ethics", "title": "Ethics day"})))
        .await;

    let (status, export) = server
        .call(&learner.learner, Method::GET, "/v1/me/export", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(export["person"]["email"], "learner-er@example.org");
    assert_eq!(export["person"]["name"], "Learner er");
    assert_eq!(export["enrolments"].as_array().unwrap().len(), 1);
    assert_eq!(export["attendance"].as_array().unwrap().len(), 1);
    assert!(!export["assessments"].as_array().unwrap().is_empty());
    assert_eq!(
        export["placements"][0]["supervision"].as_array().unwrap().len(),
        6
    );
    assert_eq!(export["continuing_development"][0]["title"], "Ethics day");
    assert_eq!(export["certificates"][0]["number"], certificate["number"]);
    assert_eq!(export["consents"].as_array().unwrap().len(), 1);
    assert_eq!(export["access_log"].as_array().unwrap().len(), 1);
    assert!(export["emails"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "enrolment"));

    // Only an administrator erases.
    let (status, _) = server
        .call(
            &learner.tutor,
            Method::POST,
            &format!("/v1/people/{}/erase", learner.person_id),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, erased) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/people/{}/erase", learner.person_id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{erased}");

    let leftovers = server
        .database
        .db
        .read_async(|conn| Ok(all_text(conn)))
        .await
        .unwrap();
    let hits: Vec<&(String, String)> = leftovers
        .iter()
        .filter(|(_, v)| v.contains("Learner er") || v.to_lowercase().contains("learner-er@example.org"))
        .collect();
    assert!(hits.is_empty(), "name or email left in: {hits:?}");
    assert!(leftovers.len() > 100, "the scan did read the database");

    // The certificate still verifies, with holder details withheld.
    let code = certificate["verification_code"].as_str().unwrap();
    let verified: Value = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["holder_name"], Value::Null);
    let page = server
        .http
        .get(server.url(&format!("/verify/{code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Holder details withheld"));
    // Partners no longer find them, and their token no longer works.
    let (_, page) = as_partner(server, &key, "/v1/register/peer-supporters").await;
    assert!(ids(&page).is_empty());
    let (status, _) = server
        .call(&learner.learner, Method::GET, "/v1/me/export", None)
        .await;
    assert_eq!(status, 401);
}

e2e_on_both_backends!(
    a_partner_sees_exactly_the_consenting_qualified_people,
    revocation_expiry_and_withdrawal_take_effect_at_once_and_reach_the_feed,
    export_holds_everything_and_erasure_leaves_no_name_or_email,
);
