//! `/admin/cohorts` over real HTTP on both databases: starting a cohort (a fault is said
//! beside its field, what was typed is kept, nothing is saved) and changing its tutors by email.

use peertrack_e2e::scenario::organisation;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::StatusCode;

use crate::admin_pages::csrf_of;
use crate::pages::post_form as post;
use crate::pages::{get, sign_in};

async fn a_cohort_is_started_and_its_tutors_changed(server: &TestServer) {
    let organisation_id = organisation(server, "Fife Recovery College").await;
    let admin = sign_in(server, "ada@example.org").await;
    let csrf = csrf_of(server, &admin, "/admin/cohorts").await;
    let start = |name: &'static str, starts_on: &'static str, ends_on: &'static str| {
        let (csrf, organisation_id, admin) = (csrf.clone(), organisation_id.clone(), admin.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("programme_code", "P2P"),
                ("organisation_id", organisation_id.as_str()),
                ("name", name),
                ("starts_on", starts_on),
                ("ends_on", ends_on),
                ("tutor_emails", "Tutor.One@example.org\nnot an address"),
            ];
            post(server, &admin, "/admin/cohorts", &form).await
        }
    };
    // The last day before the first, and an address that is not one: said beside each field,
    // with what was typed kept; nothing is saved.
    let refused = start("Fife autumn 2027", "2027-09-01", "2027-08-01").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("The last day must be on or after the first day."),
        "{html}"
    );
    assert!(html.contains("value=\"Fife autumn 2027\""), "{html}");
    assert!(html.contains("value=\"2027-08-01\""), "{html}");
    let cohorts = get(server, &admin, "/admin/cohorts").await.text().await.unwrap();
    assert!(!cohorts.contains("<h3 id=\"cohort-"), "nothing saved: {cohorts}");

    let form = [
        ("csrf", csrf.as_str()),
        ("programme_code", "P2P"),
        ("organisation_id", organisation_id.as_str()),
        ("name", "Fife autumn 2027"),
        ("starts_on", "2027-09-01"),
        ("ends_on", "2027-10-27"),
        ("tutor_emails", "Tutor.One@example.org"),
    ];
    let started = post(server, &admin, "/admin/cohorts", &form).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let (_, listed) = server
        .call(&server.admin_token, reqwest::Method::GET, "/v1/cohorts", None)
        .await;
    let cohort = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Fife autumn 2027")
        .expect("the cohort is started")
        .clone();
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    let tutors = |cohort_id: String| async move {
        let (_, body) = server
            .call(
                &server.admin_token,
                reqwest::Method::GET,
                &format!("/v1/cohorts/{cohort_id}"),
                None,
            )
            .await;
        let mut emails: Vec<String> = body["tutors"]
            .as_array()
            .unwrap()
            .iter()
            // A new tutor's name is their address's first part until they give theirs.
            .map(|t| t["name"].as_str().unwrap_or_default().to_lowercase())
            .collect();
        emails.sort();
        emails
    };
    assert_eq!(tutors(cohort_id.clone()).await, ["tutor.one"]);

    let bad = post(
        server,
        &admin,
        &format!("/admin/cohorts/{cohort_id}/tutors"),
        &[("csrf", &csrf), ("email", "tutor two")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("value=\"tutor two\""));
    let added = post(
        server,
        &admin,
        &format!("/admin/cohorts/{cohort_id}/tutors"),
        &[("csrf", &csrf), ("email", "tutor.two@example.org")],
    )
    .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(tutors(cohort_id.clone()).await, ["tutor.one", "tutor.two"]);
    // The new tutor has an account, and their home offers no administration.
    let two = sign_in(server, "tutor.two@example.org").await;
    let home = get(server, &two, "/home").await.text().await.unwrap();
    assert!(!home.contains("href=\"/admin\""), "no Administration for a tutor");
    let removed = post(
        server,
        &admin,
        &format!("/admin/cohorts/{cohort_id}/tutors/remove"),
        &[("csrf", &csrf), ("email", "tutor.one@example.org")],
    )
    .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(tutors(cohort_id).await, ["tutor.two"]);
    let home = get(server, &admin, "/home").await.text().await.unwrap();
    assert!(
        home.contains("href=\"/admin\""),
        "Administration for an administrator"
    );
}

e2e_on_both_backends!(a_cohort_is_started_and_its_tutors_changed);
