//! A tutor's term, over real HTTP on both databases: create a cohort, add sessions, enrol
//! learners (one part-way through), take registers (including a stale-ETag conflict), record
//! assessments, add a placement, log and verify supervision, and read progress.

use chrono::{Duration, Utc};
use peertrack_core::store;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

async fn a_tutors_term(server: &TestServer) {
    let admin = server.admin_token.clone();
    let (status, organisation) = server
        .call(
            &admin,
            Method::POST,
            "/v1/organisations",
            Some(json!({"name": "Making Recovery Real"})),
        )
        .await;
    assert_eq!(status, 201);
    let host = server
        .call(
            &admin,
            Method::POST,
            "/v1/organisations",
            Some(json!({"name": "Penumbra"})),
        )
        .await
        .1;

    let today = Utc::now().date_naive();
    let (status, cohort) = server
        .call(
            &admin,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation["id"],
                "name": "Dundee autumn",
                "starts_on": today - Duration::days(60),
                "ends_on": today + Duration::days(30),
                "tutor_emails": ["tam@example.org"],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    assert_eq!(cohort["programme_code"], "P2P");
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    let tutor = server.token_for("tam@example.org").await;

    // Five sessions, each a week apart, already held.
    let mut sessions = Vec::new();
    for week in 0..5 {
        let start = Utc::now() - Duration::days(35 - 7 * week);
        let (status, session) = server
            .call(
                &tutor,
                Method::POST,
                &format!("/v1/cohorts/{cohort_id}/sessions"),
                Some(json!({
                    "title": format!("Week {}", week + 1),
                    "module_code": "M1",
                    "starts_at": start.to_rfc3339(),
                    "ends_at": (start + Duration::hours(3)).to_rfc3339(),
                })),
            )
            .await;
        assert_eq!(status, 201, "{session}");
        sessions.push(session["id"].as_str().unwrap().to_string());
    }
    let listed = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/sessions?limit=2"),
            None,
        )
        .await
        .1;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let next = listed["next_cursor"].as_str().expect("more sessions follow");
    let rest = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/sessions?limit=10&cursor={next}"),
            None,
        )
        .await
        .1;
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    assert_eq!(rest["items"][0]["title"], "Week 3");

    // Rowan joins from the start; Kit joins before week 4 from a paper register.
    let (status, rowan) = server.call(&tutor,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/enrolments"),
        Some(json!({"email": "Rowan@Example.org", "name": "Rowan Learner", "enrolled_on": today - Duration::days(60)})),
    )
    .await;
    assert_eq!(status, 201, "{rowan}");
    assert_eq!(rowan["status"], "active");
    let rowan_id = rowan["person_id"].as_str().unwrap().to_string();
    let kit_joined = (Utc::now() - Duration::days(14)).date_naive() - Duration::days(1);
    let kit = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": "kit@example.org", "name": "Kit Learner", "enrolled_on": kit_joined})),
        )
        .await
        .1;
    let kit_id = kit["person_id"].as_str().unwrap().to_string();
    let (status, _) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": "rowan@example.org", "name": "Rowan again"})),
        )
        .await;
    assert_eq!(status, 409, "enrolling twice is a conflict");

    // Registers: Rowan present, late, present, excused, absent; Kit (from week 4) present twice.
    let marks = [
        vec![("present", &rowan_id)],
        vec![("late", &rowan_id)],
        vec![("present", &rowan_id)],
        vec![("excused", &rowan_id), ("present", &kit_id)],
        vec![("absent", &rowan_id), ("present", &kit_id)],
    ];
    for (session, marks) in sessions.iter().zip(marks) {
        let records: Vec<Value> = marks
            .iter()
            .map(|(s, p)| json!({"person_id": p, "status": s}))
            .collect();
        let response = server
            .http
            .put(server.url(&format!("/v1/sessions/{session}/attendance")))
            .bearer_auth(&tutor)
            .header("If-Match", "\"0\"")
            .json(&json!({ "records": records }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["etag"], "\"1\"");
    }

    // Two tutors on one register: the second, with the ETag it read before the first saved, gets 412.
    let register = server
        .http
        .get(server.url(&format!("/v1/sessions/{}/attendance", sessions[4])))
        .bearer_auth(&tutor)
        .send()
        .await
        .unwrap();
    let etag = register.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = register.json().await.unwrap();
    assert_eq!(body["records"].as_array().unwrap().len(), 2);
    let first = server
        .http
        .put(server.url(&format!("/v1/sessions/{}/attendance", sessions[4])))
        .bearer_auth(&tutor)
        .header("If-Match", &etag)
        .json(&json!({"records": [{"person_id": rowan_id, "status": "excused", "note": "Let us know in advance"}, {"person_id": kit_id, "status": "present"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let stale = server
        .http
        .put(server.url(&format!("/v1/sessions/{}/attendance", sessions[4])))
        .bearer_auth(&admin)
        .header("If-Match", &etag)
        .json(&json!({"records": [{"person_id": rowan_id, "status": "absent"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(stale.headers()["content-type"], "application/problem+json");
    let after = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/sessions/{}/attendance", sessions[4]),
            None,
        )
        .await
        .1;
    assert_eq!(after["version"], 2, "the stale write changed nothing");
    assert_eq!(after["records"].as_array().unwrap().len(), 2);

    // Assessments: Rowan achieves every core module; Kit two of them.
    let programme = server
        .call(&tutor, Method::GET, "/v1/programmes/P2P", None)
        .await
        .1;
    let core: Vec<String> = programme["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["core"] == true)
        .map(|m| m["code"].as_str().unwrap().to_string())
        .collect();
    for module in &core {
        let (status, assessment) = server
            .call(
                &tutor,
                Method::PUT,
                &format!("/v1/cohorts/{cohort_id}/assessments/{rowan_id}/{module}"),
                Some(json!({"outcome": "achieved", "note": "Thoughtful and warm."})),
            )
            .await;
        assert_eq!(status, 200, "{assessment}");
    }
    for module in &core[..2] {
        server
            .call(
                &tutor,
                Method::PUT,
                &format!("/v1/cohorts/{cohort_id}/assessments/{kit_id}/{module}"),
                Some(json!({"outcome": "achieved"})),
            )
            .await;
    }

    // Before supervision: Rowan has everything but supervision.
    let eligibility = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/people/{rowan_id}/eligibility?programme=P2P"),
            None,
        )
        .await
        .1;
    assert_eq!(eligibility["eligible"], false);
    let supervision = eligibility["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "supervision_sessions")
        .unwrap();
    assert!(supervision["explanation"]
        .as_str()
        .unwrap()
        .contains("6 more verified supervision sessions are needed"));

    // A placement at Penumbra with Sam supervising.
    let (status, placement) = server.call(&tutor,
        Method::POST,
        "/v1/placements",
        Some(json!({"person_id": rowan_id, "organisation_id": host["id"], "supervisor_email": "sam@example.org", "starts_on": today - Duration::days(42)})),
    )
    .await;
    assert_eq!(status, 201, "{placement}");
    let placement_id = placement["id"].as_str().unwrap().to_string();
    let supervisor = server.token_for("sam@example.org").await;
    let learner = server.token_for("rowan@example.org").await;

    // Rowan logs two sessions (unverified until Sam verifies); Sam logs four (verified at once).
    let mut logged = Vec::new();
    for week in 0..2 {
        let (status, session) = server.call(&learner,
            Method::POST,
            &format!("/v1/placements/{placement_id}/supervision"),
            Some(json!({"occurred_on": today - Duration::days(40 - 7 * week), "duration_minutes": 60, "format": "group", "notes": "Talked about boundaries"})),
        )
        .await;
        assert_eq!(status, 201, "{session}");
        assert_eq!(session["verified"], false);
        logged.push(session["id"].as_str().unwrap().to_string());
    }
    for week in 2..6 {
        let (_, session) = server.call(&supervisor,
            Method::POST,
            &format!("/v1/placements/{placement_id}/supervision"),
            Some(json!({"occurred_on": today - Duration::days(40 - 7 * week), "duration_minutes": 45, "format": "individual"})),
        )
        .await;
        assert_eq!(session["verified"], true);
    }
    let progress = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/progress"),
            None,
        )
        .await
        .1;
    let rowan_row = progress["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person_id"] == rowan_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        rowan_row["supervision_sessions"], 4,
        "unverified supervision does not count"
    );
    assert_eq!(rowan_row["eligible"], false);

    for id in &logged {
        let (status, verified) = server
            .call(
                &supervisor,
                Method::POST,
                &format!("/v1/supervision/{id}/verify"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(verified["verified"], true);
    }

    // Progress at the end of term.
    let progress = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/progress"),
            None,
        )
        .await
        .1;
    let rows = progress["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let rowan_row = rows.iter().find(|r| r["person_id"] == rowan_id.as_str()).unwrap();
    // Rowan: 5 held, 2 excused (week 4, and week 5 after the correction) -> 3 of 3 attended.
    assert_eq!(rowan_row["attendance"]["counted"], 3, "{rowan_row}");
    assert_eq!(rowan_row["attendance"]["attended"], 3);
    assert_eq!(rowan_row["attendance"]["excused"], 2);
    assert_eq!(rowan_row["supervision_sessions"], 6);
    assert_eq!(rowan_row["supervision_hours"], 5.0);
    assert_eq!(rowan_row["eligible"], true, "{rowan_row}");
    let kit_row = rows.iter().find(|r| r["person_id"] == kit_id.as_str()).unwrap();
    // Kit enrolled before week 4: the three earlier sessions never count against them.
    assert_eq!(kit_row["attendance"]["counted"], 2, "{kit_row}");
    assert_eq!(kit_row["attendance"]["attended"], 2);
    assert_eq!(kit_row["eligible"], false);
    let unmet: Vec<&str> = kit_row["unmet_requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(unmet, ["core_modules", "supervision_sessions"]);

    let eligibility = server
        .call(
            &learner,
            Method::GET,
            &format!("/v1/people/{rowan_id}/eligibility?programme=P2P"),
            None,
        )
        .await
        .1;
    assert_eq!(eligibility["eligible"], true, "{eligibility}");

    // Notes stay between learner and supervisor.
    let seen_by_tutor = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/placements/{placement_id}/supervision"),
            None,
        )
        .await
        .1;
    assert!(seen_by_tutor["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["notes"].is_null()));
    let seen_by_learner = server
        .call(
            &learner,
            Method::GET,
            &format!("/v1/placements/{placement_id}/supervision"),
            None,
        )
        .await
        .1;
    assert!(seen_by_learner["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["notes"] == "Talked about boundaries"));

    // The audit trail has every change, and the outbox the enrolment emails.
    let trail = server
        .call(
            &admin,
            Method::GET,
            &format!("/v1/audit-events?entity_kind=session&entity_id={}", sessions[4]),
            None,
        )
        .await
        .1;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["session.created", "attendance.replaced", "attendance.replaced"]
    );
    let queued = server
        .database
        .db
        .read_async(|conn| store::outbox::list(conn, None, 100))
        .await
        .unwrap();
    let enrolment_emails = queued.iter().filter(|m| m.template == "enrolment").count();
    assert_eq!(enrolment_emails, 2, "one enrolment email per learner");
}

e2e_on_both_backends!(a_tutors_term);
