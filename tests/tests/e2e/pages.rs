//! The pages people use, over real HTTP on both databases, as a browser meets them: signing in
//! by the emailed link starts a cookie session (opening the link spends nothing), forms need
//! their token, signing out and revocation end the session everywhere, a learner's session
//! opens only their own things, and every page carries the headers that keep it private.

use chrono::{Duration, Utc};
use peertrack_core::store::{self, people, tokens};
use peertrack_e2e::scenario::eligible_learner;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{redirect, Client, Response, StatusCode};

/// A browser without cookie handling of its own: the tests carry cookies by hand, so that
/// each assertion says exactly which cookie was sent.
pub(crate) fn browser() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value a response sets for cookie `name`.
pub(crate) fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let text = v.to_str().ok()?;
        let (pair, _) = text.split_once(';').unwrap_or((text, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

/// The value of the hidden field `name` in a page.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Posts a form as the browser signed in with this session.
pub(crate) async fn post_form(
    server: &TestServer,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    browser()
        .post(server.url(path))
        .header(COOKIE, format!("peertrack_session={session}"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A one-time sign-in link token for the person with this email.
pub(crate) async fn link_token(server: &TestServer, email: &str) -> String {
    let email = email.to_string();
    server
        .database
        .db
        .write_async(move |conn| {
            let person = people::by_email(conn, &email)?.expect("the person exists");
            let now = Utc::now();
            let (secret, _) = tokens::create_token(
                conn,
                &person.id,
                tokens::TokenPurpose::SignIn,
                store::stored(now + Duration::minutes(15)),
                store::stored(now),
            )?;
            Ok(secret)
        })
        .await
        .unwrap()
}

/// Signs in through the pages as the person with this email; the session cookie.
pub(crate) async fn sign_in(server: &TestServer, email: &str) -> String {
    let http = browser();
    let token = link_token(server, email).await;
    let page = http
        .get(server.url(&format!("/sign-in?token={token}")))
        .send()
        .await
        .unwrap();
    let form_cookie = set_cookie(&page, "peertrack_form").expect("the form's cookie");
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let signed_in = http
        .post(server.url("/sign-in"))
        .header(COOKIE, format!("peertrack_form={form_cookie}"))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION], "/home");
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "the test server is plain http: {cookie}"
    );
    set_cookie(&signed_in, "peertrack_session").expect("a session cookie")
}

pub(crate) async fn get(server: &TestServer, session: &str, path: &str) -> Response {
    browser()
        .get(server.url(path))
        .header(COOKIE, format!("peertrack_session={session}"))
        .send()
        .await
        .unwrap()
}

async fn the_emailed_link_starts_a_session_once_and_only_when_pressed(server: &TestServer) {
    let http = browser();
    let token = link_token(server, "ada@example.org").await;
    // Opening the link (a mail scanner, then the person) shows a button and spends nothing.
    let mut form_cookie = String::new();
    let mut csrf = String::new();
    for _ in 0..2 {
        let page = http
            .get(server.url(&format!("/sign-in?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        form_cookie = set_cookie(&page, "peertrack_form").unwrap_or(form_cookie);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("<button type=\"submit\">Sign in</button>"),
            "{html}"
        );
        csrf = hidden(&html, "csrf");
    }
    // Without the form's token (a page elsewhere posting it), nothing is spent.
    let forged = http
        .post(server.url("/sign-in"))
        .form(&[("csrf", "forged"), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let pressed = http
        .post(server.url("/sign-in"))
        .header(COOKIE, format!("peertrack_form={form_cookie}"))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        pressed.status(),
        StatusCode::SEE_OTHER,
        "the link still worked after the forgery"
    );
    let session = set_cookie(&pressed, "peertrack_session").unwrap();
    let home = get(server, &session, "/home").await;
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Hello, Ada Admin"));
    // The link is spent.
    let again = http
        .post(server.url("/sign-in"))
        .header(COOKIE, format!("peertrack_form={form_cookie}"))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.text().await.unwrap().contains("does not work any more"));
    // A bearer token for apps is still made from a link, as before.
    let token = link_token(server, "ada@example.org").await;
    let exchanged = http
        .post(server.url("/v1/auth/session"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), 200);
}

async fn the_welcome_page_answers_the_same_whoever_asks(server: &TestServer) {
    let http = browser();
    let page = http.get(server.url("/")).send().await.unwrap();
    let form_cookie = set_cookie(&page, "peertrack_form").unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Email address") && html.contains("Email me a sign-in link"));
    let csrf = hidden(&html, "csrf");
    let mut answers = Vec::new();
    for email in ["ada@example.org", "nobody-here@example.org"] {
        let answer = http
            .post(server.url("/"))
            .header(COOKIE, format!("peertrack_form={form_cookie}"))
            .form(&[("csrf", csrf.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answers.push(answer.text().await.unwrap().replace(email, "EMAIL"));
    }
    assert_eq!(
        answers[0], answers[1],
        "nothing tells whether an address is registered"
    );
    assert!(answers[0].contains("Check your email"));
    // Not an address: said beside the field, what was typed kept.
    let answer = http
        .post(server.url("/"))
        .header(COOKIE, format!("peertrack_form={form_cookie}"))
        .form(&[("csrf", csrf.as_str()), ("email", "ada at example")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\"") && html.contains("value=\"ada at example\""),
        "{html}"
    );
}

async fn signing_out_and_revocation_end_the_session(server: &TestServer) {
    let session = sign_in(server, "ada@example.org").await;
    let home = get(server, &session, "/home").await;
    let csrf = hidden(&home.text().await.unwrap(), "csrf");
    // Sign out needs the session's form token.
    let forged = browser()
        .post(server.url("/sign-out"))
        .header(COOKIE, format!("peertrack_session={session}"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(server, &session, "/home").await.status(),
        200,
        "still signed in"
    );
    let out = browser()
        .post(server.url("/sign-out"))
        .header(COOKIE, format!("peertrack_session={session}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[LOCATION], "/");
    // The old cookie is refused: back to the welcome page.
    let after = get(server, &session, "/me/progress").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[LOCATION], "/");
    // Revoking a person's tokens ends their browser sessions too.
    let session = sign_in(server, "ada@example.org").await;
    server
        .database
        .db
        .write_async(|conn| {
            let ada = people::by_email(conn, "ada@example.org")?.expect("Ada");
            tokens::revoke_tokens_of(conn, &ada.id, store::stored(Utc::now()))
        })
        .await
        .unwrap();
    assert_eq!(
        get(server, &session, "/home").await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_learner_opens_only_their_own_things(server: &TestServer) {
    let first = eligible_learner(server, "P2P", "pg1").await;
    let second = eligible_learner(server, "P2P", "pg2").await;
    let (status, certificate) = first.certify(server).await;
    assert_eq!(status, 201, "{certificate}");
    let (status, _) = second.certify(server).await;
    assert_eq!(status, 201);
    let id = certificate["id"].as_str().unwrap();
    let mine = sign_in(server, "learner-pg1@example.org").await;
    let theirs = sign_in(server, "learner-pg2@example.org").await;
    let pdf = get(server, &mine, &format!("/me/certificates/{id}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()[CONTENT_TYPE], "application/pdf");
    assert_eq!(pdf.headers()["cache-control"], "no-store");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    for path in [
        format!("/me/certificates/{id}/pdf"),
        format!("/me/certificates/{id}/credential"),
    ] {
        let refused = get(server, &theirs, &path).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(refused.text().await.unwrap().contains("Page not found"));
    }
    let listed = get(server, &theirs, "/me/certificates")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(id),
        "another learner's certificate is not listed"
    );
    let progress = get(server, &mine, "/me/progress").await.text().await.unwrap();
    assert!(progress.contains("You hold certificate"), "{progress}");
    // Nobody signed in: every personal page sends you to sign in.
    for path in [
        "/home",
        "/me/progress",
        "/me/certificates",
        "/me/sharing",
        "/me/access-log",
        "/me/supervision",
        "/me/data",
        "/me/cpd",
        "/supervision",
    ] {
        let anonymous = browser().get(server.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "{path}");
    }
}

async fn every_page_is_private_and_runs_no_inline_script(server: &TestServer) {
    let session = sign_in(server, "ada@example.org").await;
    for path in [
        "/",
        "/home",
        "/me/progress",
        "/me/certificates",
        "/me/sharing",
        "/me/access-log",
        "/me/supervision",
        "/me/data",
        "/me/cpd",
        "/supervision",
    ] {
        let page = get(server, &session, path).await;
        let status = page.status();
        assert!(
            status == 200 || (path == "/" && status == StatusCode::SEE_OTHER),
            "{path}: {status}"
        );
        let headers = page.headers();
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        if status == 200 {
            let policy = headers["content-security-policy"].to_str().unwrap();
            assert!(
                policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"),
                "{path}: {policy}"
            );
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            let html = page.text().await.unwrap();
            assert!(!html.contains("<script"), "{path} needs no script");
            assert_eq!(html.matches("<h1>").count(), 1, "{path} has one h1");
            assert!(
                html.contains("<button type=\"submit\">Sign out</button>"),
                "{path}"
            );
        }
    }
    // The stylesheet may be kept for a year: its name changes with its content.
    let home = get(server, &session, "/home").await.text().await.unwrap();
    let css = home
        .split("href=\"/assets/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let asset = browser()
        .get(server.url(&format!("/assets/{css}")))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
}

e2e_on_both_backends!(
    the_emailed_link_starts_a_session_once_and_only_when_pressed,
    the_welcome_page_answers_the_same_whoever_asks,
    signing_out_and_revocation_end_the_session,
    a_learner_opens_only_their_own_things,
    every_page_is_private_and_runs_no_inline_script,
);
