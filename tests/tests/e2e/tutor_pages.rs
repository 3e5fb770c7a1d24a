//! A tutor's pages over real HTTP on both databases: their cohorts, a cohort with its sessions
//! and who is on track, and the register on a phone: saved with the form's token only, refused
//! to a learner, a save that lost a race shown again with the tutor's marks kept, the same form
//! sent twice a success, and a cancelled session's register closed.

use chrono::{Duration, Utc};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::pages::{browser, get, hidden, post_form, sign_in};

/// A cohort with two tutors, three learners and nine sessions: two held, one today, five to
/// come and one cancelled.
struct Cohort {
    id: String,
    /// Held three weeks ago, two weeks ago; today; then weekly.
    sessions: Vec<String>,
    cancelled: String,
    /// Learners by name: Ailsa, Bram, Catrìona.
    learners: Vec<String>,
}

async fn cohort(server: &TestServer) -> Cohort {
    let admin = server.admin_token.clone();
    let (_, organisation) = server
        .call(
            &admin,
            Method::POST,
            "/v1/organisations",
            Some(json!({"name": "Making Recovery Real"})),
        )
        .await;
    let today = Utc::now().date_naive();
    let (status, cohort) = server
        .call(
            &admin,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation["id"],
                "name": "Dundee spring",
                "starts_on": today - Duration::days(30),
                "ends_on": today + Duration::days(60),
                "tutor_emails": ["tam@example.org", "sam@example.org"],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let id = cohort["id"].as_str().unwrap().to_string();
    let tutor = server.token_for("tam@example.org").await;
    let mut learners = Vec::new();
    for (email, name) in [
        ("ailsa@example.org", "Ailsa Learner"),
        ("bram@example.org", "Bram Learner"),
        ("catriona@example.org", "Catrìona Learner"),
    ] {
        let (status, enrolment) = server
            .call(
                &tutor,
                Method::POST,
                &format!("/v1/cohorts/{id}/enrolments"),
                Some(json!({"email": email, "name": name, "enrolled_on": today - Duration::days(30)})),
            )
            .await;
        assert_eq!(status, 201, "{enrolment}");
        learners.push(enrolment["person_id"].as_str().unwrap().to_string());
    }
    let now = Utc::now();
    let mut sessions = Vec::new();
    for (title, start) in [
        ("Week 1", now - Duration::days(21)),
        ("Week 2", now - Duration::days(14)),
        ("Week 3", now - Duration::minutes(1)),
        ("Week 4", now + Duration::days(7)),
        ("Week 5", now + Duration::days(14)),
        ("Week 6", now + Duration::days(21)),
        ("Week 7", now + Duration::days(28)),
        ("Week 8", now + Duration::days(35)),
        ("Week 9", now + Duration::days(42)),
    ] {
        let (status, session) = server
            .call(
                &tutor,
                Method::POST,
                &format!("/v1/cohorts/{id}/sessions"),
                Some(json!({"title": title, "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()})),
            )
            .await;
        assert_eq!(status, 201, "{session}");
        sessions.push(session["id"].as_str().unwrap().to_string());
    }
    let cancelled = sessions.pop().unwrap();
    let (status, body) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/sessions/{cancelled}/cancel"),
            Some(json!({"reason": "The hall is closed"})),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    Cohort {
        id,
        sessions,
        cancelled,
        learners,
    }
}

/// The register's marks as the API reads them: (person, status), by person.
async fn marks(server: &TestServer, session_id: &str) -> Vec<(String, String)> {
    let tutor = server.token_for("tam@example.org").await;
    let (status, body): (StatusCode, Value) = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/sessions/{session_id}/attendance"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut found: Vec<(String, String)> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["person_id"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    found.sort();
    found
}

/// A register form: its token, the version it carries, and a mark per learner.
/// A form's fields as `post_form` takes them.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn form(html: &str, marks: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf".to_string(), hidden(html, "csrf")),
        ("version".to_string(), hidden(html, "version")),
    ];
    fields.extend(marks.iter().map(|(p, s)| (format!("mark-{p}"), s.to_string())));
    fields
}

/// Whether the page has `status` chosen for the learner.
fn chosen(html: &str, person_id: &str, status: &str) -> bool {
    html.contains(&format!("name=\"mark-{person_id}\" value=\"{status}\" checked"))
}

async fn a_tutor_finds_their_cohort_and_who_is_on_track(server: &TestServer) {
    let c = cohort(server).await;
    let tam = sign_in(server, "tam@example.org").await;
    let home = get(server, &tam, "/home").await.text().await.unwrap();
    assert!(
        home.contains("href=\"/cohorts\"") && home.contains("Your cohorts"),
        "{home}"
    );

    let list = get(server, &tam, "/cohorts").await;
    assert_eq!(list.status(), 200);
    assert_eq!(list.headers()["cache-control"], "no-store");
    let list = list.text().await.unwrap();
    assert!(list.contains("<h1>Your cohorts</h1>"), "{list}");
    assert!(
        list.contains(&format!("href=\"/cohorts/{}\">Dundee spring</a>", c.id)),
        "{list}"
    );
    assert!(
        list.contains("3 learners") && list.contains("Peer2Peer"),
        "{list}"
    );

    let page = get(server, &tam, &format!("/cohorts/{}", c.id)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<h1>Dundee spring</h1>"), "{html}");
    for session in &c.sessions {
        assert!(
            html.contains(&format!("href=\"/sessions/{session}/register\"")),
            "{session}"
        );
        assert!(html.contains(&format!("href=\"/sessions/{session}/register.csv\"")));
        assert!(html.contains(&format!("href=\"/sessions/{session}/change\"")));
    }
    assert!(
        html.contains(&format!("href=\"/sessions/{}/check-in\"", c.sessions[2])),
        "today's session"
    );
    assert_eq!(html.matches("/check-in\"").count(), 1, "only today's session");
    assert!(!html.contains(&format!("href=\"/sessions/{}/register\"", c.cancelled)));
    assert!(html.contains("Cancelled") && html.contains("The hall is closed"));
    for path in ["enrol", "progress.csv", "assessments", "certificates"] {
        assert!(
            html.contains(&format!("href=\"/cohorts/{}/{path}\"", c.id)),
            "{path}"
        );
    }
    for learner in &c.learners {
        assert!(html.contains(&format!("href=\"/cohorts/{}/learners/{learner}/withdraw\"", c.id)));
    }
    assert!(html.contains("Catrìona Learner"), "names shown as written");
    // Nobody marked yet: three sessions held, none attended.
    assert!(html.contains("Cannot reach 80%"), "{html}");
    assert!(html.contains("3 sessions have no mark for them yet"), "{html}");

    // Mark Ailsa present at all three, Bram at two: Ailsa on track, Bram at risk.
    for (i, session) in c.sessions[..3].iter().enumerate() {
        let register = get(server, &tam, &format!("/sessions/{session}/register"))
            .await
            .text()
            .await
            .unwrap();
        let bram = if i < 2 { "present" } else { "absent" };
        let fields = form(
            &register,
            &[
                (&c.learners[0], "present"),
                (&c.learners[1], bram),
                (&c.learners[2], "absent"),
            ],
        );
        let saved = post_form(
            server,
            &tam,
            &format!("/sessions/{session}/register"),
            &pairs(&fields),
        )
        .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    }
    let html = get(server, &tam, &format!("/cohorts/{}", c.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("1 on track, 1 at risk, 1 cannot reach 80% any more."),
        "{html}"
    );
    assert!(
        html.contains(
            "Has been to 3 of 3 sessions, 100% (needs 80%); can miss at most 1 of the 5 still to come."
        ),
        "{html}"
    );
    assert!(
        html.contains("Has been to 2 of 3 sessions, 66% (needs 80%); needs to come to every one of the 5 still to come."),
        "{html}"
    );
    assert!(
        html.contains("even coming to all of the 5 still to come would not be enough"),
        "{html}"
    );

    // A learner of the cohort is refused; a tutor of another cohort finds nothing.
    let learner = sign_in(server, "ailsa@example.org").await;
    let refused = get(server, &learner, &format!("/cohorts/{}", c.id)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let learner_list = get(server, &learner, "/cohorts").await.text().await.unwrap();
    assert!(
        !learner_list.contains("Dundee spring"),
        "a learner teaches nothing"
    );
    assert!(learner_list.contains("You do not teach a cohort yet"));
    let stranger = sign_in(server, "ada@example.org").await;
    assert_eq!(
        get(server, &stranger, "/cohorts").await.status(),
        200,
        "an administrator sees every cohort"
    );
    let anonymous = browser().get(server.url("/cohorts")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

async fn the_register_is_saved_only_by_its_tutors_with_the_forms_token(server: &TestServer) {
    let c = cohort(server).await;
    let session = &c.sessions[0];
    let path = format!("/sessions/{session}/register");
    let tam = sign_in(server, "tam@example.org").await;
    let page = get(server, &tam, &path).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Register: Week 1</h1>"), "{html}");
    assert_eq!(html.matches("<fieldset").count(), 3);
    assert!(html.contains("<legend>Catrìona Learner</legend>"), "{html}");
    for choice in ["Present", "Late", "Absent", "Excused"] {
        assert_eq!(html.matches(&format!(">{choice}</label>")).count(), 3, "{choice}");
    }
    assert!(html.contains(">Save register</button>"));
    assert!(html.contains("Nobody has saved this register yet."));

    // Without the form's token: refused, nothing saved.
    let mut fields = form(&html, &[(&c.learners[0], "present")]);
    fields[0].1 = "forged".into();
    let forged = post_form(server, &tam, &path, &pairs(&fields)).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(marks(server, session).await.is_empty());

    // A learner's cookie: refused to read and to save, with their own form token.
    let learner = sign_in(server, "ailsa@example.org").await;
    let refused = get(server, &learner, &path).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("tutors or an administrator can do this"));
    let their_csrf = hidden(
        &get(server, &learner, "/home").await.text().await.unwrap(),
        "csrf",
    );
    let mut theirs = form(&html, &[(&c.learners[0], "present")]);
    theirs[0].1 = their_csrf;
    let refused = post_form(server, &learner, &path, &pairs(&theirs)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(marks(server, session).await.is_empty());

    // Saved: back to the register, which says so and shows what was saved. Catrìona, left
    // unmarked, has no mark.
    let fields = form(&html, &[(&c.learners[0], "present"), (&c.learners[1], "late")]);
    let saved = post_form(server, &tam, &path, &pairs(&fields)).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()[LOCATION].to_str().unwrap(),
        format!("{path}?done=saved")
    );
    let mut expected = vec![
        (c.learners[0].clone(), "present".to_string()),
        (c.learners[1].clone(), "late".to_string()),
    ];
    expected.sort();
    assert_eq!(marks(server, session).await, expected);
    let after = get(server, &tam, &format!("{path}?done=saved"))
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains("role=\"status\">Register saved</p>"), "{after}");
    assert!(chosen(&after, &c.learners[0], "present") && chosen(&after, &c.learners[1], "late"));
    assert!(!after.contains(&format!(
        "name=\"mark-{}\" value=\"present\" checked",
        c.learners[2]
    )));
    assert!(after.contains("by you."), "{after}");
    assert!(after.contains("Not marked yet: 1 of 3 learners."), "{after}");

    // The same form sent again (a second press on a slow connection): a success, not a clash.
    let again = post_form(server, &tam, &path, &pairs(&fields)).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "{}",
        again.text().await.unwrap()
    );
    assert_eq!(marks(server, session).await, expected);

    // A cancelled session's register cannot be changed, and the page says so kindly.
    let closed = format!("/sessions/{}/register", c.cancelled);
    let html = get(server, &tam, &closed).await.text().await.unwrap();
    assert!(
        html.contains("This session was cancelled (The hall is closed)"),
        "{html}"
    );
    assert!(!html.contains(">Save register</button>"));
    let fields = vec![
        ("csrf".to_string(), hidden(&after, "csrf")),
        ("version".to_string(), "0".to_string()),
        (format!("mark-{}", c.learners[0]), "present".to_string()),
    ];
    let refused = post_form(server, &tam, &closed, &pairs(&fields)).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("can no longer be changed"));
    assert!(marks(server, &c.cancelled).await.is_empty());
}

async fn a_save_that_lost_a_race_keeps_the_tutors_marks(server: &TestServer) {
    let c = cohort(server).await;
    let path = format!("/sessions/{}/register", c.sessions[1]);
    let tam = sign_in(server, "tam@example.org").await;
    let sam = sign_in(server, "sam@example.org").await;
    // Both open the register; Sam saves first.
    let tams_page = get(server, &tam, &path).await.text().await.unwrap();
    let sams_page = get(server, &sam, &path).await.text().await.unwrap();
    let sams = form(
        &sams_page,
        &[(&c.learners[0], "late"), (&c.learners[2], "excused")],
    );
    assert_eq!(
        post_form(server, &sam, &path, &pairs(&sams)).await.status(),
        StatusCode::SEE_OTHER
    );

    // Tam's save: told in plain words, nothing of theirs saved, every mark of theirs kept.
    let tams = form(
        &tams_page,
        &[(&c.learners[0], "present"), (&c.learners[1], "absent")],
    );
    let clash = post_form(server, &tam, &path, &pairs(&tams)).await;
    assert_eq!(clash.status(), StatusCode::CONFLICT);
    let html = clash.text().await.unwrap();
    assert!(
        html.contains("Someone else saved this register meanwhile"),
        "{html}"
    );
    assert!(html.contains("sam saved it at"), "the colleague is named: {html}");
    assert!(
        chosen(&html, &c.learners[0], "present"),
        "Tam's mark kept: {html}"
    );
    assert!(chosen(&html, &c.learners[1], "absent"), "Tam's mark kept");
    assert!(
        chosen(&html, &c.learners[2], "excused"),
        "Sam's mark where Tam had none"
    );
    assert!(
        html.contains(&format!("id=\"theirs-{}\">sam saved: Late</p>", c.learners[0])),
        "{html}"
    );
    let mut sams_marks = vec![
        (c.learners[0].clone(), "late".to_string()),
        (c.learners[2].clone(), "excused".to_string()),
    ];
    sams_marks.sort();
    assert_eq!(
        marks(server, &c.sessions[1]).await,
        sams_marks,
        "nothing of Tam's saved"
    );

    // The page carries the new version: saving again works.
    let again = form(
        &html,
        &[
            (&c.learners[0], "present"),
            (&c.learners[1], "absent"),
            (&c.learners[2], "excused"),
        ],
    );
    let saved = post_form(server, &tam, &path, &pairs(&again)).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let mut expected = vec![
        (c.learners[0].clone(), "present".to_string()),
        (c.learners[1].clone(), "absent".to_string()),
        (c.learners[2].clone(), "excused".to_string()),
    ];
    expected.sort();
    assert_eq!(marks(server, &c.sessions[1]).await, expected);
    // Sam's old form, sent again, now clashes (it differs from what is stored).
    let stale = post_form(server, &sam, &path, &pairs(&sams)).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
}

e2e_on_both_backends!(
    a_tutor_finds_their_cohort_and_who_is_on_track,
    the_register_is_saved_only_by_its_tutors_with_the_forms_token,
    a_save_that_lost_a_race_keeps_the_tutors_marks,
);
