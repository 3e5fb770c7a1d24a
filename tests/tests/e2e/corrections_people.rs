//! Records people can correct, over HTTP on both databases, as the people involved notice it:
//! a peer worker corrects their name and has their certificate reissued in it (the verification
//! page, the PDF and the credential show the new name; the number and code stay); an
//! administrator corrects a name or an email address, and a partner the person shares with
//! hears of the new name; an organisation publishes its own version of a programme, which new
//! cohorts take while a running one keeps its own; administrators find people by part of a
//! name in any script; certificates are listed by programme, status and cohort, tutors seeing
//! their own cohorts' only.

use chrono::{Duration, Utc};
use peertrack_core::store;
use peertrack_e2e::scenario::{eligible_learner, eligible_learner_named, organisation, partner};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// The fields a 422 names.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn as_partner(
    server: &TestServer,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .http
        .request(method, server.url(path))
        .header("X-Api-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The kinds in a partner's change feed about one person.
async fn feed_about(server: &TestServer, key: &str, person_id: &str) -> Vec<String> {
    let (status, feed) = as_partner(server, key, Method::GET, "/v1/register/changes", None).await;
    assert_eq!(status, 200, "{feed}");
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["person_id"] == person_id)
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn a_peer_worker_corrects_their_name_and_gets_their_certificate_reissued_in_it(server: &TestServer) {
    let learner = eligible_learner_named(server, "P2P", "rn", "Anna Kowalska").await;
    let (status, certificate) = learner.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let id = certificate["id"].as_str().unwrap().to_string();
    let code = certificate["verification_code"].as_str().unwrap().to_string();
    let first_credential = server.credential_claims(&learner.learner, &id).await;

    // They see their own profile, and correct their name in their own script.
    let (status, me) = server.call(&learner.learner, Method::GET, "/v1/me", None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Anna Kowalska");
    assert_eq!(me["id"], learner.person_id);
    for bad in ["   ", "Anna\nBcc: someone@example.org"] {
        let (status, problem) = server
            .call(
                &learner.learner,
                Method::PATCH,
                "/v1/me",
                Some(json!({ "name": bad })),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(fields(&problem), ["name"]);
    }
    let (status, me) = server
        .call(
            &learner.learner,
            Method::PATCH,
            "/v1/me",
            Some(json!({"name": "Anna Wójcik-Żółć"})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Anna Wójcik-Żółć", "stored exactly as typed");
    let (_, me) = server.call(&learner.learner, Method::GET, "/v1/me", None).await;
    assert_eq!(me["name"], "Anna Wójcik-Żółć");

    // The certificate keeps the name it was issued in until it is reissued.
    let verified = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["holder_name"], "Anna Kowalska");

    // Their tutor may read the certificate but not reissue it; the holder may.
    let reissue = format!("/v1/certificates/{id}/reissue");
    let (status, _) = server.call(&learner.tutor, Method::POST, &reissue, None).await;
    assert_eq!(status, 403);
    let (status, reissued) = server.call(&learner.learner, Method::POST, &reissue, None).await;
    assert_eq!(status, 200, "{reissued}");
    assert_eq!(reissued["holder_name"], "Anna Wójcik-Żółć");
    assert_eq!(reissued["number"], certificate["number"], "the same number");
    assert_eq!(reissued["verification_code"], certificate["verification_code"]);
    assert_eq!(reissued["issued_on"], certificate["issued_on"]);

    // Anyone checking it now reads the current name, on the page and in JSON.
    let verified = server.get_json(&format!("/v1/verify/{code}")).await;
    assert_eq!(verified["holder_name"], "Anna Wójcik-Żółć");
    assert_eq!(verified["status"], "valid");
    let page = server
        .http
        .get(server.url(&format!("/verify/{code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Anna Wójcik-Żółć"), "{page}");
    assert!(!page.contains("Kowalska"), "the old name is gone from the page");

    // A new PDF in the new name.
    if let Some((_, text)) = server.pdf_text(&learner.learner, &id).await {
        assert!(text.contains("Wójcik-Żółć"), "{text}");
        assert!(!text.contains("Kowalska"), "{text}");
    }
    // A new edition of the credential, in the new name, of the same certificate.
    let credential = server.credential_claims(&learner.learner, &id).await;
    assert_ne!(credential["id"], first_credential["id"], "a new credential");
    assert_eq!(
        credential["credentialSubject"]["id"],
        first_credential["credentialSubject"]["id"]
    );
    let said = credential.to_string();
    assert!(
        said.contains("Anna Wójcik-Żółć") && !said.contains("Kowalska"),
        "{said}"
    );

    // The change and the reissue are in the audit trail, without the names themselves.
    let (_, trail) = server
        .call(
            &server.admin_token,
            Method::GET,
            &format!(
                "/v1/audit-events?entity_kind=person&entity_id={}",
                learner.person_id
            ),
            None,
        )
        .await;
    let renamed: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "person.renamed")
        .collect();
    assert_eq!(renamed.len(), 1, "{trail}");
    assert_eq!(renamed[0]["actor_id"], learner.person_id);
    assert!(!renamed[0]["details"].to_string().contains("Anna"));
    let (_, trail) = server
        .call(
            &server.admin_token,
            Method::GET,
            &format!("/v1/audit-events?entity_kind=certificate&entity_id={id}"),
            None,
        )
        .await;
    assert!(trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "certificate.reissued"));

    // A revoked certificate cannot be reissued, in plain words.
    let (status, _) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/certificates/{id}/revoke"),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, problem) = server
        .call(&server.admin_token, Method::POST, &reissue, None)
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
}

async fn an_administrator_corrects_a_name_and_partners_who_may_see_the_person_hear_of_it(
    server: &TestServer,
) {
    let (person_id, token) = server.person_with_token("zofia@example.org", "Zofia Nowak").await;
    let (_, other_token) = server.person_with_token("jan@example.org", "Jan Kowalski").await;
    let (shared_with, shared_key) = partner(server, "Shared HR").await;
    let (_, other_key) = partner(server, "Other HR").await;
    let (status, _) = server
        .call(
            &token,
            Method::PUT,
            &format!("/v1/me/consents/{shared_with}"),
            None,
        )
        .await;
    assert_eq!(status, 201);
    let (status, webhook) = as_partner(
        server,
        &shared_key,
        Method::POST,
        "/v1/webhooks",
        Some(json!({"url": "https://hr.shared.example.org/peertrack"})),
    )
    .await;
    assert_eq!(status, 201, "{webhook}");
    let (status, _) = as_partner(
        server,
        &other_key,
        Method::POST,
        "/v1/webhooks",
        Some(json!({"url": "https://hr.other.example.org/peertrack"})),
    )
    .await;
    assert_eq!(status, 201);

    // Only administrators correct other people's details.
    let path = format!("/v1/people/{person_id}");
    let (status, _) = server
        .call(
            &other_token,
            Method::PATCH,
            &path,
            Some(json!({"name": "Someone else"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"name": "Zofia\u{202E}kawoN"})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["name"]);
    let (status, _) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            "/v1/people/00000000-0000-0000-0000-000000000000",
            Some(json!({"name": "Nobody"})),
        )
        .await;
    assert_eq!(status, 404);

    let (status, corrected) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"name": "Zofia Nowak-Kowalczyk"})),
        )
        .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["name"], "Zofia Nowak-Kowalczyk");
    assert_eq!(corrected["email"], "zofia@example.org", "left out, so unchanged");
    let (_, me) = server.call(&token, Method::GET, "/v1/me", None).await;
    assert_eq!(me["name"], "Zofia Nowak-Kowalczyk");

    // The partner she shares with sees the change in its feed, and its webhook is queued; the
    // other partner hears nothing.
    assert_eq!(
        feed_about(server, &shared_key, &person_id).await,
        ["consent.granted", "person_renamed"]
    );
    assert!(feed_about(server, &other_key, &person_id).await.is_empty());
    let (status, looked_up) = as_partner(
        server,
        &shared_key,
        Method::GET,
        &format!("/v1/register/peer-supporters/{person_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{looked_up}");
    assert_eq!(looked_up["name"], "Zofia Nowak-Kowalczyk");
    let renamed_hooks: Vec<_> = server
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.channel == "webhook" && m.payload.contains("person_renamed"))
        .collect();
    assert_eq!(renamed_hooks.len(), 1, "{renamed_hooks:?}");
    assert!(renamed_hooks[0].recipient.contains("hr.shared.example.org"));
    assert!(renamed_hooks[0].payload.contains(&person_id));

    // The same name again changes nothing and tells nobody.
    let (status, _) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"name": "Zofia Nowak-Kowalczyk"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        feed_about(server, &shared_key, &person_id).await,
        ["consent.granted", "person_renamed"]
    );

    // An email address someone else uses is refused naming `email`, and says no more.
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"email": "JAN@example.org"})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["email"]);
    assert!(!problem.to_string().contains("Kowalski"), "{problem}");
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["email"]);

    // A typo in her address is corrected; she signs in with the new one, and her session goes on.
    let (status, corrected) = server
        .call(
            &server.admin_token,
            Method::PATCH,
            &path,
            Some(json!({"email": "Zofia.Nowak@Example.org"})),
        )
        .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["email"], "zofia.nowak@example.org");
    let (status, me) = server.call(&token, Method::GET, "/v1/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "zofia.nowak@example.org");
    let found = server
        .database
        .db
        .read_async(|conn| store::people::by_email(conn, "zofia.nowak@example.org"))
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.id), Some(person_id.clone()));
    // An email change is no name change: partners hear nothing more.
    assert_eq!(
        feed_about(server, &shared_key, &person_id).await,
        ["consent.granted", "person_renamed"]
    );
}

/// The current definition of Peer2Peer as the API gives it, which is also what publishing takes.
async fn p2p_definition(server: &TestServer) -> Value {
    let (status, programme) = server
        .call(&server.admin_token, Method::GET, "/v1/programmes/P2P", None)
        .await;
    assert_eq!(status, 200);
    programme
}

/// The attendance the learner of a cohort (made by [`new_cohort`]) needs, as they read it in
/// their own progress.
async fn attendance_required(server: &TestServer, cohort: &Value) -> f64 {
    let token = server
        .token_for(&learner_email(cohort["name"].as_str().unwrap()))
        .await;
    let (status, progress) = server.call(&token, Method::GET, "/v1/me/progress", None).await;
    assert_eq!(status, 200, "{progress}");
    progress["items"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "attendance")
        .unwrap_or_else(|| panic!("an attendance requirement: {progress}"))["required"]
        .as_f64()
        .unwrap()
}

/// The email address of the one learner of the cohort with this name.
fn learner_email(cohort_name: &str) -> String {
    format!("{}@example.org", cohort_name.to_lowercase().replace(' ', "-"))
}

async fn new_cohort(server: &TestServer, organisation_id: &str, name: &str) -> Value {
    let today = Utc::now().date_naive();
    let (status, cohort) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": name,
                "starts_on": today - Duration::days(10),
                "ends_on": today + Duration::days(60),
                "tutor_emails": [],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let id = cohort["id"].as_str().unwrap();
    let (status, _) = server
        .call(
            &server.admin_token,
            Method::POST,
            &format!("/v1/cohorts/{id}/enrolments"),
            Some(json!({"email": learner_email(name), "name": "Learner"})),
        )
        .await;
    assert_eq!(status, 201);
    cohort
}

async fn a_published_version_is_taken_by_new_cohorts_while_running_ones_keep_theirs(server: &TestServer) {
    let organisation_id = organisation(server, "Lothian Peer Network").await;
    let running = new_cohort(server, &organisation_id, "Running cohort").await;
    assert_eq!(running["programme_version"], 1);
    let running_id = running["id"].as_str().unwrap();
    assert_eq!(attendance_required(server, &running).await, 80.0);

    let mut definition = p2p_definition(server).await;
    assert_eq!(definition["version"], 1);
    definition["rule"]["min_attendance_percent"] = json!(90);
    definition["title"] = json!("Peer2Peer (Lothian edition)");

    // Only administrators publish; and a version must be higher than the one published now.
    let (_, someone) = server.person_with_token("someone@example.org", "Someone").await;
    let (status, _) = server
        .call(&someone, Method::POST, "/v1/programmes", Some(definition.clone()))
        .await;
    assert_eq!(status, 403);
    let (status, problem) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/programmes",
            Some(definition.clone()),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["version"]);

    // A definition that does not make sense names the field at fault.
    definition["version"] = json!(2);
    for (field, value, expected) in [
        (
            "min_attendance_percent",
            json!(150),
            "rule.min_attendance_percent",
        ),
        (
            "min_attendance_percent",
            json!("lots"),
            "rule.min_attendance_percent",
        ),
        ("validity_months", json!(0), "rule.validity_months"),
        ("min_attendence_percent", json!(80), "rule.min_attendence_percent"),
    ] {
        let mut bad = definition.clone();
        bad["rule"][field] = value;
        let (status, problem) = server
            .call(&server.admin_token, Method::POST, "/v1/programmes", Some(bad))
            .await;
        assert_eq!(status, 422, "{field}: {problem}");
        assert_eq!(fields(&problem), [expected], "{problem}");
    }
    let mut bad = definition.clone();
    bad["modules"][1]["code"] = bad["modules"][0]["code"].clone();
    let (status, problem) = server
        .call(&server.admin_token, Method::POST, "/v1/programmes", Some(bad))
        .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["modules[1].code"]);
    let (_, versions) = server
        .call(
            &server.admin_token,
            Method::GET,
            "/v1/programmes/P2P/versions",
            None,
        )
        .await;
    assert_eq!(
        versions["items"].as_array().unwrap().len(),
        1,
        "nothing refused was published"
    );

    let (status, published) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/programmes",
            Some(definition.clone()),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    assert_eq!(published["version"], 2);
    assert_eq!(published["rule"]["min_attendance_percent"], 90);

    // Anyone signed in reads every version, newest first.
    let (status, versions) = server
        .call(&someone, Method::GET, "/v1/programmes/P2P/versions", None)
        .await;
    assert_eq!(status, 200, "{versions}");
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["programme"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(
        versions["items"][1]["programme"]["rule"]["min_attendance_percent"],
        80
    );
    let (_, current) = server
        .call(&someone, Method::GET, "/v1/programmes/P2P", None)
        .await;
    assert_eq!(current["title"], "Peer2Peer (Lothian edition)");

    // The running cohort keeps version 1 and its 80%; a new cohort takes version 2 and 90%.
    let (_, still) = server
        .call(
            &server.admin_token,
            Method::GET,
            &format!("/v1/cohorts/{running_id}"),
            None,
        )
        .await;
    assert_eq!(still["programme_version"], 1);
    assert_eq!(attendance_required(server, &running).await, 80.0);
    let later = new_cohort(server, &organisation_id, "Later cohort").await;
    assert_eq!(later["programme_version"], 2);
    assert_eq!(attendance_required(server, &later).await, 90.0);

    // An organisation's own programme, under a new code.
    let mut own = definition.clone();
    own["code"] = json!("LPN-PEER");
    own["version"] = json!(1);
    own["title"] = json!("Lothian Peer Network Foundation");
    let (status, published) = server
        .call(&server.admin_token, Method::POST, "/v1/programmes", Some(own))
        .await;
    assert_eq!(status, 201, "{published}");
    let (status, own) = server
        .call(&someone, Method::GET, "/v1/programmes/LPN-PEER", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(own["title"], "Lothian Peer Network Foundation");
    let (status, _) = server
        .call(&someone, Method::GET, "/v1/programmes/NOPE/versions", None)
        .await;
    assert_eq!(status, 404);
}

async fn administrators_find_people_by_part_of_a_name_in_any_script(server: &TestServer) {
    for (email, name) in [
        ("lucja@example.org", "Łucja Żółkiewska"),
        ("sofia@example.org", "Σοφία Παπαδοπούλου"),
        ("nikos@example.org", "ΝΙΚΟΣ ΠΑΠΑΣ"),
        ("jan.kowalski@example.org", "Jan K."),
        ("olena@example.org", "Олена Коваленко"),
    ] {
        server.person_with_token(email, name).await;
    }
    let names = |page: &Value| -> Vec<String> {
        let mut names: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let search = |q: &str| format!("/v1/people?q={}", percent_encode(q));
    for (q, expected) in [
        ("ŻÓŁK", vec!["Łucja Żółkiewska"]),
        ("łucja", vec!["Łucja Żółkiewska"]),
        ("παπαδοπ", vec!["Σοφία Παπαδοπούλου"]),
        ("ΠΑΠΑ", vec!["Σοφία Παπαδοπούλου", "ΝΙΚΟΣ ΠΑΠΑΣ"]),
        // A final sigma typed in the middle of a word still finds it, and the other way round.
        ("νικος", vec!["ΝΙΚΟΣ ΠΑΠΑΣ"]),
        ("коваленко", vec!["Олена Коваленко"]),
        ("KOWALSKI@", vec!["Jan K."]),
        ("nobody-has-this", vec![]),
    ] {
        let (status, page) = server
            .call(&server.admin_token, Method::GET, &search(q), None)
            .await;
        assert_eq!(status, 200, "{q}: {page}");
        let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
        expected.sort();
        assert_eq!(names(&page), expected, "{q}");
    }

    // Paged like every list: one at a time, each once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{}&limit=1&cursor={c}", search("example.org")),
            None => format!("{}&limit=1", search("example.org")),
        };
        let (status, page) = server.call(&server.admin_token, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["items"].as_array().unwrap().len() <= 1);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    // The five above and the administrator.
    assert_eq!(seen.len(), 6, "{seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());

    let (status, problem) = server
        .call(&server.admin_token, Method::GET, "/v1/people?q=%20", None)
        .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&problem), ["q"]);
    let (_, token) = server.person_with_token("curious@example.org", "Curious").await;
    let (status, _) = server.call(&token, Method::GET, &search("a"), None).await;
    assert_eq!(status, 403);
}

/// Percent-encodes a query value.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn certificates_are_listed_by_programme_status_and_cohort_and_tutors_see_their_own(
    server: &TestServer,
) {
    let a = eligible_learner(server, "P2P", "la").await;
    let b = eligible_learner(server, "P2P", "lb").await;
    let (status, first) = a.certify(server).await;
    assert_eq!(status, 201);
    let (status, second) = b.certify(server).await;
    assert_eq!(status, 201);
    let numbers = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap().to_string())
            .collect()
    };
    let admin = &server.admin_token;
    let (status, all) = server.call(admin, Method::GET, "/v1/certificates", None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        numbers(&all),
        [&first["number"], &second["number"]].map(|n| n.as_str().unwrap().to_string())
    );

    // Tutor A sees cohort A's alone, whatever they ask for.
    let (status, mine) = server.call(&a.tutor, Method::GET, "/v1/certificates", None).await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&mine), [first["number"].as_str().unwrap()]);
    let (_, theirs) = server
        .call(
            &a.tutor,
            Method::GET,
            &format!("/v1/certificates?cohort_id={}", b.cohort_id),
            None,
        )
        .await;
    assert!(numbers(&theirs).is_empty(), "{theirs}");
    // A learner is no tutor.
    let (status, _) = server
        .call(&a.learner, Method::GET, "/v1/certificates", None)
        .await;
    assert_eq!(status, 403);

    // By cohort, programme and status.
    let (_, of_b) = server
        .call(
            admin,
            Method::GET,
            &format!("/v1/certificates?cohort_id={}", b.cohort_id),
            None,
        )
        .await;
    assert_eq!(numbers(&of_b), [second["number"].as_str().unwrap()]);
    let (_, of_p2p) = server
        .call(admin, Method::GET, "/v1/certificates?programme=P2P", None)
        .await;
    assert_eq!(numbers(&of_p2p).len(), 2);
    let (_, of_pda) = server
        .call(admin, Method::GET, "/v1/certificates?programme=PDA-MHPS", None)
        .await;
    assert!(numbers(&of_pda).is_empty());
    let (status, _) = server
        .call(
            admin,
            Method::POST,
            &format!("/v1/certificates/{}/revoke", second["id"].as_str().unwrap()),
            Some(json!({"reason": "Issued in error"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, revoked) = server
        .call(admin, Method::GET, "/v1/certificates?status=revoked", None)
        .await;
    assert_eq!(numbers(&revoked), [second["number"].as_str().unwrap()]);
    assert_eq!(revoked["items"][0]["status"], "revoked");
    let (_, valid) = server
        .call(admin, Method::GET, "/v1/certificates?status=valid", None)
        .await;
    assert_eq!(numbers(&valid), [first["number"].as_str().unwrap()]);

    // Paged.
    let (_, page) = server
        .call(admin, Method::GET, "/v1/certificates?limit=1", None)
        .await;
    assert_eq!(numbers(&page), [first["number"].as_str().unwrap()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = server
        .call(
            admin,
            Method::GET,
            &format!("/v1/certificates?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(numbers(&page), [second["number"].as_str().unwrap()]);
    assert_eq!(page["next_cursor"], Value::Null);

    // Bad filters name the parameter.
    for (query, field) in [("status=lapsed", "status"), ("programme=NOPE", "programme")] {
        let (status, problem) = server
            .call(admin, Method::GET, &format!("/v1/certificates?{query}"), None)
            .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(fields(&problem), [field]);
    }
}

e2e_on_both_backends!(
    a_peer_worker_corrects_their_name_and_gets_their_certificate_reissued_in_it,
    an_administrator_corrects_a_name_and_partners_who_may_see_the_person_hear_of_it,
    a_published_version_is_taken_by_new_cohorts_while_running_ones_keep_theirs,
    administrators_find_people_by_part_of_a_name_in_any_script,
    certificates_are_listed_by_programme_status_and_cohort_and_tutors_see_their_own,
);
