//! The page an emailed sign-in link opens, over real HTTP on both databases: opening it
//! spends nothing (mail scanners open links); pressing the button signs in once.

use chrono::{Duration, Utc};
use peertrack_core::store::{self, people, tokens};
use peertrack_e2e::{e2e_on_both_backends, TestServer};

async fn the_sign_in_page_spends_the_link_only_when_the_person_presses_sign_in(server: &TestServer) {
    let token = server
        .database
        .db
        .write_async(|conn| {
            let ada = people::by_email(conn, "ada@example.org")?.expect("Ada");
            let now = Utc::now();
            let (secret, _) = tokens::create_token(
                conn,
                &ada.id,
                tokens::TokenPurpose::SignIn,
                store::stored(now + Duration::minutes(15)),
                store::stored(now),
            )?;
            Ok(secret)
        })
        .await
        .unwrap();

    // Opening the link (twice, as a scanner and then the person) shows a button and spends nothing.
    for _ in 0..2 {
        let page = server
            .http
            .get(server.url(&format!("/sign-in?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        assert!(page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'"));
        let html = page.text().await.unwrap();
        assert!(html.contains("<form method=\"post\" action=\"/sign-in\">") && html.contains(&token));
    }

    let signed_in = server
        .http
        .post(server.url("/sign-in"))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let html = signed_in.text().await.unwrap();
    assert!(html.contains("You are signed in"));
    let access_token = html
        .split("pt_")
        .nth(1)
        .expect("the access token is shown")
        .split('<')
        .next()
        .unwrap();
    let me = server
        .http
        .get(server.url("/v1/me/certificates"))
        .bearer_auth(format!("pt_{access_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the shown token works");

    let again = server
        .http
        .post(server.url("/sign-in"))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401, "single use");
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("already been used or has expired"));

    let no_token = server
        .http
        .post(server.url("/sign-in"))
        .form(&[("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.status(),
        400,
        "a form without a token is refused with a page, not a crash"
    );
    assert!(no_token
        .text()
        .await
        .unwrap()
        .contains("needs the link from your sign-in email"));

    let bare = server.http.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(bare.status(), 200);
    assert!(bare
        .text()
        .await
        .unwrap()
        .contains("needs the link from your sign-in email"));
}

e2e_on_both_backends!(the_sign_in_page_spends_the_link_only_when_the_person_presses_sign_in);
