//! The administrators' pages under `/admin/`, over real HTTP on both databases: a learner's or
//! a tutor's session is refused on every one (and by every form), forms without their token
//! change nothing, a programme file with a fault publishes nothing and says why, and a new API
//! key's secret is shown once and works.

use peertrack_e2e::scenario::{eligible_learner, organisation};
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Response, StatusCode};

use crate::pages::{browser, get, hidden, post_form as post, set_cookie, sign_in};

/// Uploads `file` (named `name`) to `/admin/programmes` with the form token `csrf`.
async fn upload(server: &TestServer, session: &str, csrf: &str, name: &str, file: &str) -> Response {
    let boundary = "peertrack-test-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    browser()
        .post(server.url("/admin/programmes"))
        .header(COOKIE, format!("peertrack_session={session}"))
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The form token of a page the session can open.
pub(crate) async fn csrf_of(server: &TestServer, session: &str, path: &str) -> String {
    let page = get(server, session, path).await;
    assert_eq!(page.status(), 200, "{path}");
    hidden(&page.text().await.unwrap(), "csrf")
}

/// How many organisations have this name.
async fn organisations_named(server: &TestServer, name: &str) -> usize {
    let (status, body) = server
        .call(
            &server.admin_token,
            reqwest::Method::GET,
            "/v1/organisations?limit=100",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == name)
        .count()
}

async fn learners_and_tutors_are_refused_every_administration_page(server: &TestServer) {
    let cohort = eligible_learner(server, "P2P", "adm").await;
    let organisation_id = organisation(server, "Harbour Peer Network").await;
    let admin = sign_in(server, "ada@example.org").await;
    let pages = [
        "/admin".to_string(),
        "/admin/organisations".into(),
        "/admin/keys/new".into(),
        "/admin/cohorts".into(),
        "/admin/programmes".into(),
        "/admin/emails".into(),
        "/admin/people".into(),
        "/admin/people?q=learner".into(),
        format!("/admin/people/{}", cohort.person_id),
        format!("/admin/people/{}/erase", cohort.person_id),
    ];
    for path in &pages {
        let page = get(server, &admin, path).await;
        assert_eq!(page.status(), 200, "the administrator opens {path}");
    }
    for email in ["tutor-adm@example.org", "learner-adm@example.org"] {
        let session = sign_in(server, email).await;
        for path in &pages {
            let page = get(server, &session, path).await;
            assert_eq!(page.status(), StatusCode::FORBIDDEN, "{email} on {path}");
            assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
            let html = page.text().await.unwrap();
            assert!(
                html.contains("Only an administrator can do this."),
                "{email} on {path}: {html}"
            );
        }
        // Their forms are refused too, with their own valid token, and change nothing.
        let csrf = csrf_of(server, &session, "/me/data").await;
        let forms: [(String, Vec<(&str, &str)>); 6] = [
            ("/admin/organisations".into(), vec![("name", "Not Theirs To Add")]),
            (
                format!("/admin/organisations/{organisation_id}/keys"),
                vec![("name", "Their own key")],
            ),
            (
                format!("/admin/cohorts/{}/tutors", cohort.cohort_id),
                vec![("email", "friend@example.org")],
            ),
            ("/admin/emails/1/retry".to_string(), vec![]),
            (
                format!("/admin/people/{}", cohort.person_id),
                vec![("name", "Someone Else"), ("email", "else@example.org")],
            ),
            (format!("/admin/people/{}/erase", cohort.person_id), vec![]),
        ];
        for (path, fields) in &forms {
            let mut form = fields.clone();
            form.push(("csrf", csrf.as_str()));
            let answer = post(server, &session, path, &form).await;
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{email} posting {path}");
            assert!(set_cookie(&answer, "peertrack_new_key").is_none(), "{path}");
        }
        let refused = upload(server, &session, &csrf, "p2p.toml", "code = \"X\"").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{email} publishing");
    }
    assert_eq!(organisations_named(server, "Not Theirs To Add").await, 0);
    let learner = get(server, &admin, &format!("/admin/people/{}", cohort.person_id)).await;
    let html = learner.text().await.unwrap();
    assert!(
        html.contains("Learner adm") && !html.contains("Someone Else"),
        "{html}"
    );
}

async fn forms_without_their_token_change_nothing(server: &TestServer) {
    let cohort = eligible_learner(server, "P2P", "tok").await;
    let admin = sign_in(server, "ada@example.org").await;
    for csrf in ["", "forged"] {
        let added = post(
            server,
            &admin,
            "/admin/organisations",
            &[("csrf", csrf), ("name", "Forged Org")],
        )
        .await;
        assert_eq!(added.status(), StatusCode::FORBIDDEN);
        assert!(added.text().await.unwrap().contains("Please try that again"));
        let erased = post(
            server,
            &admin,
            &format!("/admin/people/{}/erase", cohort.person_id),
            &[("csrf", csrf)],
        )
        .await;
        assert_eq!(erased.status(), StatusCode::FORBIDDEN);
        let published = upload(server, &admin, csrf, "p2p.toml", "code = \"X\"").await;
        assert_eq!(published.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(organisations_named(server, "Forged Org").await, 0);
    let person = get(server, &admin, &format!("/admin/people/{}", cohort.person_id)).await;
    assert!(person.text().await.unwrap().contains("Learner tok"), "not erased");
    // With the token, the same form works.
    let csrf = csrf_of(server, &admin, "/admin/organisations").await;
    let added = post(
        server,
        &admin,
        "/admin/organisations",
        &[("csrf", &csrf), ("name", "Forged Org")],
    )
    .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(added.headers()[LOCATION], "/admin/organisations?done=added");
    assert_eq!(organisations_named(server, "Forged Org").await, 1);
}

/// The versions of a programme, as the API lists them.
async fn versions_of(server: &TestServer, code: &str) -> usize {
    let (status, body) = server
        .call(
            &server.admin_token,
            reqwest::Method::GET,
            &format!("/v1/programmes/{code}/versions"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().or(body.as_array()).map_or(0, Vec::len)
}

async fn a_bad_programme_file_publishes_nothing_and_says_why(server: &TestServer) {
    let admin = sign_in(server, "ada@example.org").await;
    let csrf = csrf_of(server, &admin, "/admin/programmes").await;
    let seeded = include_str!("../../../core/programmes/p2p.toml");
    let before = versions_of(server, "P2P").await;
    assert!(before >= 1);

    // The seeded file again: its version is not higher than the one published.
    let same = upload(server, &admin, &csrf, "p2p.toml", seeded).await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = same.text().await.unwrap();
    assert!(html.contains("Nothing was published"), "{html}");
    assert!(
        html.contains("In the file, version must be higher than"),
        "{html}"
    );
    assert!(html.contains("aria-invalid=\"true\""), "{html}");

    // A newer version with a fault in its rule, as TOML and as JSON.
    let version = seeded
        .lines()
        .find_map(|l| {
            l.strip_prefix("version = ")
                .and_then(|v| v.trim().parse::<u32>().ok())
        })
        .expect("the seeded file has a version");
    let newer = seeded.replacen(
        &format!("version = {version}"),
        &format!("version = {}", version + 1),
        1,
    );
    let broken = newer.replacen(
        "min_attendance_percent = 80",
        "min_attendance_percent = \"most\"",
        1,
    );
    assert_ne!(broken, newer);
    let answer = upload(server, &admin, &csrf, "p2p.toml", &broken).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.unwrap();
    assert!(html.contains("In the file, rule"), "{html}");
    let not_json = upload(server, &admin, &csrf, "p2p.json", "{\"code\": ").await;
    assert_eq!(not_json.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_json
        .text()
        .await
        .unwrap()
        .contains("The file is not a valid JSON file"));
    let nothing = upload(server, &admin, &csrf, "empty.toml", "").await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(versions_of(server, "P2P").await, before, "nothing was published");

    // The newer version without the fault is published.
    let published = upload(server, &admin, &csrf, "p2p.toml", &newer).await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    let to = published.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with("/admin/programmes?done="), "{to}");
    assert_eq!(versions_of(server, "P2P").await, before + 1);
    let page = get(server, &admin, &to).await.text().await.unwrap();
    assert!(
        page.contains(&format!("P2P version {} is published", version + 1)),
        "{page}"
    );
}

async fn a_new_api_key_is_shown_once_and_works(server: &TestServer) {
    let organisation_id = organisation(server, "Tayside Peer Employers").await;
    let admin = sign_in(server, "ada@example.org").await;
    let csrf = csrf_of(server, &admin, "/admin/organisations").await;

    let unnamed = post(
        server,
        &admin,
        &format!("/admin/organisations/{organisation_id}/keys"),
        &[("csrf", &csrf), ("name", "   ")],
    )
    .await;
    assert_eq!(unnamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.text().await.unwrap().contains("Please name the key"));

    let made = post(
        server,
        &admin,
        &format!("/admin/organisations/{organisation_id}/keys"),
        &[("csrf", &csrf), ("name", "HR system")],
    )
    .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let location = made.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(location, "/admin/keys/new", "the secret is never in an address");
    let carried = set_cookie(&made, "peertrack_new_key").expect("the secret goes to the next page");
    let set = made
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    let line = set.iter().find(|l| l.starts_with("peertrack_new_key=")).unwrap();
    assert!(
        line.contains("HttpOnly")
            && line.contains("SameSite=Strict")
            && line.contains("Path=/admin/keys/new"),
        "{line}"
    );

    let shown = browser()
        .get(server.url("/admin/keys/new"))
        .header(
            COOKIE,
            format!("peertrack_session={admin}; peertrack_new_key={carried}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()[CACHE_CONTROL], "no-store");
    let spent = set_cookie(&shown, "peertrack_new_key");
    assert_eq!(
        spent.as_deref(),
        Some(""),
        "the page deletes the cookie that carried the secret"
    );
    let html = shown.text().await.unwrap();
    let secret = carried.split_once('.').unwrap().1.to_string();
    assert!(secret.starts_with("ptk_"), "{secret}");
    assert!(html.contains(&secret), "{html}");
    assert!(html.contains("Copy it now: we keep only a fingerprint, so it cannot be shown again"));

    // Opening the page again (a reload: the cookie is gone) shows it no more.
    let again = get(server, &admin, "/admin/keys/new").await;
    assert_eq!(again.status(), 200);
    let html = again.text().await.unwrap();
    assert!(!html.contains(&secret));
    assert!(html.contains("cannot be shown again"), "{html}");
    let listed = get(server, &admin, "/admin/organisations")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("HR system") && !listed.contains(&secret));

    // The key works for the partner register, until it is revoked.
    let register = |key: String| async move {
        reqwest::Client::new()
            .get(server.url("/v1/register/peer-supporters?limit=1"))
            .header("X-Api-Key", key)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(register(secret.clone()).await, 200);
    let key_id = carried.split_once('.').unwrap().0.to_string();
    let revoke = format!("/admin/organisations/{organisation_id}/keys/{key_id}/revoke");
    let confirm = get(server, &admin, &revoke).await.text().await.unwrap();
    assert!(confirm.contains("<h1>Revoke HR system?</h1>"), "{confirm}");
    let revoked = post(server, &admin, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(register(secret).await, 401);
}

e2e_on_both_backends!(
    learners_and_tutors_are_refused_every_administration_page,
    forms_without_their_token_change_nothing,
    a_bad_programme_file_publishes_nothing_and_says_why,
    a_new_api_key_is_shown_once_and_works,
);
