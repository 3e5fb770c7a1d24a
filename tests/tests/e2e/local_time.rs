//! Times as people read them, over real HTTP on both databases: a session stored at 09:00 UTC
//! shows 10:00 in July and 09:00 in January, on the tutor's pages and in the email a learner
//! gets when it moves; a time typed to move it is UK time; a time the clocks skip is refused
//! beside the field, and nothing changes.

use std::time::Duration as Patience;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use peertrack_e2e::mail::SmtpServer;
use peertrack_e2e::scenario::organisation;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::pages::{get, hidden, post_form, sign_in};

e2e_on_both_backends!(sessions_show_uk_time_in_summer_and_winter);

const PATIENCE: Patience = Patience::from_secs(20);

async fn ok(server: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = server.call(token, method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// The last Sunday of March: when the UK clocks go forward, at 01:00.
fn clocks_go_forward(year: i32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    while day.weekday() != Weekday::Sun {
        day = day - Days::new(1);
    }
    day
}

/// "Tuesday 6 July 2027".
fn in_words(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

/// A session from 09:00 to 11:00 UTC on `day`; its id.
async fn nine_utc(server: &TestServer, tutor: &str, cohort_id: &str, title: &str, day: NaiveDate) -> String {
    let starts = day.and_hms_opt(9, 0, 0).unwrap().and_utc();
    let session = ok(
        server,
        tutor,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/sessions"),
        Some(json!({"title": title, "starts_at": starts, "ends_at": starts + Duration::hours(2)})),
    )
    .await;
    session["id"].as_str().unwrap().to_string()
}

async fn sessions_show_uk_time_in_summer_and_winter(server: &TestServer) {
    let smtp = SmtpServer::start();
    let worker = server.start_smtp_worker(&smtp.url());
    let organisation_id = organisation(server, "Leith Community Hall").await;
    // Dates a few years ahead, so that the sessions are always still to come.
    let today = Utc::now().date_naive();
    let year = today.year() + 2;
    let july = NaiveDate::from_ymd_opt(year, 7, 6).unwrap();
    let january = NaiveDate::from_ymd_opt(year + 1, 1, 11).unwrap();
    let cohort = ok(
        server,
        &server.admin_token,
        Method::POST,
        "/v1/cohorts",
        Some(json!({
            "programme_code": "P2P",
            "organisation_id": organisation_id,
            "name": "Leith evenings",
            "starts_on": today - Duration::days(7),
            "ends_on": january + Days::new(90),
            "tutor_emails": ["tutor-clock@example.org"],
        })),
    )
    .await;
    let cohort_id = cohort["id"].as_str().unwrap();
    let tutor = server.token_for("tutor-clock@example.org").await;
    ok(
        server,
        &tutor,
        Method::POST,
        &format!("/v1/cohorts/{cohort_id}/enrolments"),
        Some(json!({"email": "rowan-clock@example.org", "name": "Rowan Learner"})),
    )
    .await;
    let summer = nine_utc(server, &tutor, cohort_id, "Summer session", july).await;
    let winter = nine_utc(server, &tutor, cohort_id, "Winter session", january).await;

    // The cohort and each register say what a clock in the hall shows.
    let cookie = sign_in(server, "tutor-clock@example.org").await;
    let page = get(server, &cookie, &format!("/cohorts/{cohort_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("{}, 10:00 to 12:00", in_words(july))),
        "{page}"
    );
    assert!(
        page.contains(&format!("{}, 09:00 to 11:00", in_words(january))),
        "{page}"
    );
    assert!(!page.contains("UTC"), "{page}");
    for (session, words) in [
        (&summer, format!("{}, 10:00 to 12:00", in_words(july))),
        (&winter, format!("{}, 09:00 to 11:00", in_words(january))),
    ] {
        let register = get(server, &cookie, &format!("/sessions/{session}/register")).await;
        assert_eq!(register.status(), StatusCode::OK);
        let register = register.text().await.unwrap();
        assert!(register.contains(&words), "{words}: {register}");
        assert!(!register.contains("UTC"), "{register}");
    }

    // The form to move it shows its UK day and times, and takes what is typed as UK time.
    let path = format!("/sessions/{summer}/change");
    let form = get(server, &cookie, &path).await.text().await.unwrap();
    assert!(form.contains(&format!("value=\"{july}\"")), "{form}");
    assert!(
        form.contains("id=\"starts\" name=\"starts\" value=\"10:00\""),
        "{form}"
    );
    assert!(
        form.contains("id=\"ends\" name=\"ends\" value=\"12:00\""),
        "{form}"
    );
    assert!(!form.contains("UTC"), "{form}");
    let csrf = hidden(&form, "csrf");
    let next_day = (july + Days::new(1)).to_string();
    let moved = post_form(
        server,
        &cookie,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("action", "move"),
            ("date", next_day.as_str()),
            ("starts", "10:00"),
            ("ends", "12:00"),
        ],
    )
    .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        moved.headers()[LOCATION],
        format!("/cohorts/{cohort_id}?done=session-moved")
    );
    let stored = ok(
        server,
        &tutor,
        Method::GET,
        &format!("/v1/sessions/{summer}"),
        None,
    )
    .await;
    let instant = |field: &str| stored[field].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let next_day_at = |hour| (july + Days::new(1)).and_hms_opt(hour, 0, 0).unwrap().and_utc();
    assert_eq!(instant("starts_at"), next_day_at(9), "{stored}");
    assert_eq!(instant("ends_at"), next_day_at(11), "{stored}");

    // A time the clocks skip is refused beside the field; what was typed stays; nothing moves.
    let spring = clocks_go_forward(year + 1);
    let skipped = post_form(
        server,
        &cookie,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("action", "move"),
            ("date", spring.to_string().as_str()),
            ("starts", "01:30"),
            ("ends", "03:00"),
        ],
    )
    .await;
    assert_eq!(skipped.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = skipped.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "id=\"starts-error\">Clocks go forward at 01:00 on {}, so 01:30 does not happen that day. Choose another time.</p>",
            in_words(spring)
        )),
        "{html}"
    );
    assert!(html.contains("value=\"01:30\""), "{html}");
    assert!(!html.contains("id=\"ends-error\""), "{html}");
    let unchanged = ok(
        server,
        &tutor,
        Method::GET,
        &format!("/v1/sessions/{summer}"),
        None,
    )
    .await;
    assert_eq!(unchanged["starts_at"], stored["starts_at"]);

    // The learner's note of the new time gives both times as UK clocks show them.
    let emails = smtp.wait_for("rowan-clock@example.org", 2, PATIENCE).await;
    worker.stop().await;
    let note = emails
        .iter()
        .find(|e| e.subject() == "New time for Summer session")
        .unwrap_or_else(|| {
            panic!(
                "no note of the new time: {:?}",
                emails.iter().map(|e| e.subject()).collect::<Vec<_>>()
            )
        });
    let text = note.text();
    assert!(
        text.contains(&format!("It was planned for {}, 10:00 to 12:00.", in_words(july))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "It is now on {}, from 10:00 to 12:00.",
            in_words(july + Days::new(1))
        )),
        "{text}"
    );
    assert!(!text.contains("UTC") && !note.html().contains("UTC"), "{text}");
}
