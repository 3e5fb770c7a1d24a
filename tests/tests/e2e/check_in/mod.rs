//! Self check-in by QR code, over real HTTP on both databases: the tutor's screen shows a code
//! that changes every 30 seconds; a learner of the cohort who opens its address checks
//! themselves in (present, or late after ten minutes), once; an old code, a learner of another
//! cohort and a form without its token are refused; and the tutor's mark always wins.

mod course;

use chrono::Duration;
use peertrack_core::domain::Clock;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use self::course::{people_id, press_check_in, text_of, Course};
use crate::pages::{browser, get, hidden, link_token, set_cookie, sign_in};

async fn a_learner_checks_in_present_once_and_later_learners_are_late(course: &Course) {
    let server = &course.server;
    let screen = get(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/check-in", course.session_id),
    )
    .await;
    assert_eq!(screen.status(), 200);
    let refresh: i64 = screen.headers()["refresh"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=31).contains(&refresh),
        "refreshes at the next code: {refresh}"
    );
    let html = screen.text().await.unwrap();
    assert!(
        html.contains("<h1>Self check-in</h1>") && html.contains("<svg class=\"qr\" role=\"img\""),
        "{html}"
    );
    assert!(html.contains("Nobody has checked in yet."));
    let still = get(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/check-in?still=1", course.session_id),
    )
    .await;
    assert!(
        still.headers().get("refresh").is_none(),
        "a tutor can stop it refreshing"
    );

    let url = course.scanned_url().await;
    let version = course.register().await["version"].clone();
    // Signed in before the clock moves on (a sign-in link lasts 15 minutes).
    let amy = sign_in(server, "amy@example.org").await;
    let ben = sign_in(server, "ben@example.org").await;
    // Opening the address changes nothing.
    let (status, html) = text_of(server, &amy, &url).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Week 3: boundaries (Tuesday group)"), "{html}");
    assert_eq!(course.mark_of("amy@example.org").await, None);

    // A form without this session's token (sent from another site) changes nothing.
    let code = url.split("code=").nth(1).unwrap().to_string();
    let forged = browser()
        .post(server.url("/check-in"))
        .header(COOKIE, format!("peertrack_session={amy}"))
        .form(&[
            ("csrf", "forged"),
            ("session", course.session_id.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(course.mark_of("amy@example.org").await, None);

    let pressed = press_check_in(server, &amy, &url).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let back = pressed.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = text_of(server, &amy, &back).await;
    let at = course.clock.now().format("%H:%M").to_string();
    assert!(
        html.contains(&format!("You are checked in: present at {at}.")),
        "{html}"
    );
    let amy_id = course.id_of("amy@example.org");
    assert_eq!(
        course.mark_of("amy@example.org").await,
        Some(("present".into(), amy_id.clone()))
    );
    assert_eq!(
        course.register().await["version"],
        version,
        "a check-in does not move the register's version"
    );

    // Pressing again (a double tap, a reload) changes nothing.
    let again = browser()
        .post(server.url("/check-in"))
        .header(COOKIE, format!("peertrack_session={amy}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("session", course.session_id.clone()),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        course.mark_of("amy@example.org").await,
        Some(("present".into(), amy_id))
    );

    // Eleven minutes after the start, Ben is late.
    course.advance_to(course.starts_at + Duration::minutes(11));
    let url = course.scanned_url().await;
    let pressed = press_check_in(server, &ben, &url).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let (_, html) = text_of(server, &ben, pressed.headers()[LOCATION].to_str().unwrap()).await;
    assert!(html.contains("You are checked in: late at"), "{html}");
    assert_eq!(course.mark_of("ben@example.org").await.unwrap().0, "late");

    let (_, screen) = text_of(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/check-in", course.session_id),
    )
    .await;
    assert!(screen.contains("Checked in so far: 2 of 3"), "{screen}");
    assert!(
        screen.contains("Amy Adeyemi") && screen.contains("Ben Øvergård"),
        "{screen}"
    );
    // The tutor's register shows who checked in, with their marks chosen, and no save by
    // "someone else".
    let (_, register) = text_of(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/register", course.session_id),
    )
    .await;
    assert_eq!(
        register.matches("Checked themselves in at").count(),
        2,
        "{register}"
    );
    assert!(
        register.contains("Nobody has saved this register yet."),
        "{register}"
    );
}

async fn an_old_code_and_a_closed_session_are_refused(course: &Course) {
    let server = &course.server;
    let cara = sign_in(server, "cara@example.org").await;
    let amy = sign_in(server, "amy@example.org").await;
    // Before check-in opens (15 minutes before the start), the screen says when it opens.
    course.advance_to(course.starts_at - Duration::minutes(20));
    let (_, screen) = text_of(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/check-in", course.session_id),
    )
    .await;
    assert!(screen.contains("Check-in opens at"), "{screen}");

    course.advance_to(course.starts_at);
    let url = course.scanned_url().await;
    // Half a minute on (the next window), the code still works: a scan at the edge.
    course.advance_to(course.starts_at + Duration::seconds(30));
    let (status, html) = text_of(server, &cara, &url).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(">Check in</button>"));
    // A minute on, it is old: a photo sent to a friend no longer works.
    course.advance_to(course.starts_at + Duration::seconds(60));
    let (status, html) = text_of(server, &cara, &url).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("This code has changed. Please scan the code on the screen again."),
        "{html}"
    );
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("session", course.session_id.clone()),
        ("code", url.split("code=").nth(1).unwrap().to_string()),
    ];
    let posted = browser()
        .post(server.url("/check-in"))
        .header(COOKIE, format!("peertrack_session={cara}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(course.mark_of("cara@example.org").await, None);

    // The code typed by hand, without the address, finds the session.
    let url = course.scanned_url().await;
    let typed = url.split("code=").nth(1).unwrap();
    let grouped: String = typed
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let (_, html) = text_of(server, &cara, "/check-in").await;
    assert!(html.contains("Code on the screen"), "{html}");
    let posted = browser()
        .post(server.url("/check-in"))
        .header(COOKIE, format!("peertrack_session={cara}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("session", String::new()),
            ("code", grouped),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(course.mark_of("cara@example.org").await.unwrap().0, "present");

    // After the session, check-in is closed.
    course.advance_to(course.starts_at + Duration::hours(2) + Duration::seconds(1));
    let (status, html) = text_of(server, &amy, &url).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Check-in for this session is closed."), "{html}");
}

async fn a_learner_of_another_cohort_is_refused(course: &Course) {
    let server = &course.server;
    let url = course.scanned_url().await;
    let olu = sign_in(server, "olu@example.org").await;
    let (status, html) = text_of(server, &olu, &url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("You are not on this course&#39;s list. Please speak to your tutor.")
            || html.contains("You are not on this course's list. Please speak to your tutor."),
        "{html}"
    );
    // The tutor, who is on no course's list as a learner, cannot check in either.
    let (status, _) = text_of(server, &course.tutor_cookie, &url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // And a learner cannot open the tutor's screen.
    let screen = get(server, &olu, &format!("/sessions/{}/check-in", course.session_id)).await;
    assert_eq!(screen.status(), StatusCode::NOT_FOUND);
}

async fn the_tutors_mark_wins(course: &Course) {
    let server = &course.server;
    let path = format!("/v1/sessions/{}/attendance", course.session_id);
    let cara_id = course.id_of("cara@example.org");
    let (status, _) = server
        .call(
            &course.tutor,
            Method::PUT,
            &path,
            Some(json!({"records": [{"person_id": cara_id, "status": "excused"}]})),
        )
        .await;
    assert_eq!(status, 200);
    let url = course.scanned_url().await;
    let cara = sign_in(server, "cara@example.org").await;
    let pressed = press_check_in(server, &cara, &url).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let (_, html) = text_of(server, &cara, pressed.headers()[LOCATION].to_str().unwrap()).await;
    assert!(
        html.contains("Your tutor has already marked you on the register: excused."),
        "{html}"
    );
    let tutor_id = people_id(server, "tutor@example.org").await;
    assert_eq!(
        course.mark_of("cara@example.org").await,
        Some(("excused".into(), tutor_id.clone()))
    );

    // Amy checks in; the tutor then saves the register from a copy read before, leaving her
    // out: her check-in stays. A mark the tutor sends for her wins.
    let version = course.register().await["version"].as_i64().unwrap();
    let amy = sign_in(server, "amy@example.org").await;
    assert_eq!(
        press_check_in(server, &amy, &url).await.status(),
        StatusCode::SEE_OTHER
    );
    let save = |records: Value, version: i64| {
        server
            .http
            .put(server.url(&path))
            .bearer_auth(&course.tutor)
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({ "records": records }))
            .send()
    };
    let saved = save(json!([{"person_id": cara_id, "status": "excused"}]), version)
        .await
        .unwrap();
    assert_eq!(
        saved.status(),
        200,
        "the check-in did not make the tutor's copy stale"
    );
    let amy_id = course.id_of("amy@example.org");
    assert_eq!(
        course.mark_of("amy@example.org").await,
        Some(("present".into(), amy_id.clone()))
    );
    let version = course.register().await["version"].as_i64().unwrap();
    let saved = save(
        json!([{"person_id": cara_id, "status": "excused"}, {"person_id": amy_id, "status": "absent"}]),
        version,
    )
    .await
    .unwrap();
    assert_eq!(saved.status(), 200);
    assert_eq!(
        course.mark_of("amy@example.org").await,
        Some(("absent".into(), tutor_id))
    );
    // Her check-in is still on the screen, beside the tutor's mark.
    let (_, screen) = text_of(
        server,
        &course.tutor_cookie,
        &format!("/sessions/{}/check-in", course.session_id),
    )
    .await;
    assert!(screen.contains("marked absent by a tutor"), "{screen}");
}

async fn signing_in_returns_to_the_check_in(course: &Course) {
    let server = &course.server;
    let url = course.scanned_url().await;
    let http = browser();
    let first = http.get(server.url(&url)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(first.headers()[LOCATION], "/");
    let back = set_cookie(&first, "peertrack_return").expect("where to come back to");
    let token = link_token(server, "amy@example.org").await;
    let page = http
        .get(server.url(&format!("/sign-in?token={token}")))
        .send()
        .await
        .unwrap();
    let form_cookie = set_cookie(&page, "peertrack_form").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let signed_in = http
        .post(server.url("/sign-in"))
        .header(
            COOKIE,
            format!("peertrack_form={form_cookie}; peertrack_return={back}"),
        )
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION].to_str().unwrap(), url);
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let course = super::course::course(peertrack_e2e::Backend::Sqlite).await.unwrap();
                    super::$name(&course).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(course) = super::course::course(peertrack_e2e::Backend::Postgres).await {
                        super::$name(&course).await;
                    }
                }
            )+
        }
    };
}

on_both!(
    a_learner_checks_in_present_once_and_later_learners_are_late,
    an_old_code_and_a_closed_session_are_refused,
    a_learner_of_another_cohort_is_refused,
    the_tutors_mark_wins,
    signing_in_returns_to_the_check_in,
);
