//! Spreadsheets and calendars, over real HTTP on both databases: a tutor's CSV exports read
//! back with the `csv` crate (byte order mark, header, names that look like formulas made
//! inert, names in every script exact); enrolling from a list (a preview that saves nothing,
//! a confirm that checks again and saves all or nothing); and calendar feeds read back with
//! the `icalendar` crate's parser (UTC times either side of the clock changes, cancelled
//! sessions, links that stop working when replaced or stopped).

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventStatus};
use peertrack_e2e::scenario::organisation;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::pages::{browser, get, hidden, sign_in};

/// A cohort with a tutor (Tess), made by the administrator; its id and the tutor's token.
async fn cohort(server: &TestServer, suffix: &str) -> (String, String) {
    let organisation_id = organisation(server, &format!("Provider {suffix}")).await;
    let today = Utc::now().date_naive();
    let tutor_email = format!("tess-{suffix}@example.org");
    let (status, cohort) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": format!("Dundee – {suffix}"),
                "starts_on": today - Duration::days(60),
                "ends_on": today + Duration::days(400),
                "tutor_emails": [tutor_email],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let tutor = server.token_for(&tutor_email).await;
    (cohort["id"].as_str().unwrap().to_string(), tutor)
}

async fn enrol(server: &TestServer, tutor: &str, cohort_id: &str, name: &str, email: &str) -> String {
    let (status, body) = server
        .call(
            tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": email, "name": name, "enrolled_on": Utc::now().date_naive() - Duration::days(30)})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["person_id"].as_str().unwrap().to_string()
}

async fn add_session(
    server: &TestServer,
    tutor: &str,
    cohort_id: &str,
    title: &str,
    start: DateTime<Utc>,
) -> String {
    let (status, session) = server
        .call(
            tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/sessions"),
            Some(json!({"title": title, "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    session["id"].as_str().unwrap().to_string()
}

/// A CSV download's rows (the header first), after checking what makes it open well.
async fn csv_rows(response: Response, file_prefix: &str) -> Vec<Vec<String>> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let disposition = response.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{file_prefix}-"))
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte order mark for Excel");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn the_spreadsheets_open_safely_and_name_people_exactly(server: &TestServer) {
    let (cohort_id, tutor) = cohort(server, "exports").await;
    let formula = enrol(
        server,
        &tutor,
        &cohort_id,
        "=HYPERLINK(\"http://x\",\"Sam\")",
        "sam@example.org",
    )
    .await;
    let polish = enrol(
        server,
        &tutor,
        &cohort_id,
        "Łukasz Wójcik-Żółć",
        "lukasz@example.org",
    )
    .await;
    enrol(server, &tutor, &cohort_id, "فاطمة الزهراء", "fatima@example.org").await;
    let session_id = add_session(
        server,
        &tutor,
        &cohort_id,
        "Week 1",
        Utc::now() - Duration::days(7),
    )
    .await;
    let (status, _) = server
        .call(
            &tutor,
            Method::PUT,
            &format!("/v1/sessions/{session_id}/attendance"),
            Some(json!({"records": [
                {"person_id": formula, "status": "present", "note": "-2 minutes early"},
                {"person_id": polish, "status": "late"},
            ]})),
        )
        .await;
    assert_eq!(status, 200);
    let tess = sign_in(server, "tess-exports@example.org").await;

    let rows = csv_rows(
        get(server, &tess, &format!("/cohorts/{cohort_id}/progress.csv")).await,
        "progress-dundee-exports",
    )
    .await;
    assert_eq!(
        rows[0],
        peertrack_core::service::exports::PROGRESS_HEADER.map(String::from)
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let row_of = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} in {rows:?}"))
            .clone()
    };
    // The formula is text in the file, with the apostrophe spreadsheets hide ...
    let sam = row_of("'=HYPERLINK(\"http://x\",\"Sam\")");
    assert_eq!(sam[1], "sam@example.org");
    assert_eq!(
        (sam[3].as_str(), sam[4].as_str(), sam[6].as_str()),
        ("1", "1", "100.0")
    );
    assert_eq!(sam[10], "No");
    let fatima = row_of("فاطمة الزهراء");
    assert_eq!(
        (fatima[3].as_str(), fatima[4].as_str(), fatima[6].as_str()),
        ("0", "1", "0.0")
    );
    row_of("Łukasz Wójcik-Żółć");
    // ... and only in the file: the name itself is stored as the learner gave it.
    let (_, learners) = server
        .call(
            &tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            None,
        )
        .await;
    let names: Vec<&str> = learners["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(names.contains(&"=HYPERLINK(\"http://x\",\"Sam\")"), "{learners}");

    let rows = csv_rows(
        get(server, &tess, &format!("/sessions/{session_id}/register.csv")).await,
        "register-week-1",
    )
    .await;
    assert_eq!(rows[0], ["Name", "Email", "Mark", "Marked at (UK time)", "Note"]);
    let mark_of = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    let sam = mark_of("'=HYPERLINK(\"http://x\",\"Sam\")");
    assert_eq!(sam[2], "Present");
    assert_eq!(sam[4], "'-2 minutes early");
    let marked_at = chrono::NaiveDateTime::parse_from_str(&sam[3], "%Y-%m-%d %H:%M").unwrap();
    let uk_now = Utc::now().with_timezone(&London).naive_local();
    assert!(
        (uk_now - marked_at).num_minutes().abs() <= 2,
        "{marked_at} is UK time"
    );
    assert_eq!(mark_of("Łukasz Wójcik-Żółć")[2], "Late");
    assert_eq!(
        (
            mark_of("فاطمة الزهراء")[2].as_str(),
            mark_of("فاطمة الزهراء")[3].as_str()
        ),
        ("Not marked", "")
    );

    // A learner of the cohort is refused; anyone else finds nothing.
    let learner = sign_in(server, "lukasz@example.org").await;
    for path in [
        format!("/cohorts/{cohort_id}/progress.csv"),
        format!("/sessions/{session_id}/register.csv"),
    ] {
        assert_eq!(
            get(server, &learner, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    cohort(server, "elsewhere").await;
    let stranger = sign_in(server, "tess-elsewhere@example.org").await;
    for path in [
        format!("/cohorts/{cohort_id}/progress.csv"),
        format!("/sessions/{session_id}/register.csv"),
    ] {
        assert_eq!(
            get(server, &stranger, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Signed out: back to the welcome page.
    let anonymous = browser()
        .get(server.url(&format!("/cohorts/{cohort_id}/progress.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

/// A multipart form as a browser sends it: text fields, then an optional file.
async fn post_multipart(
    server: &TestServer,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> Response {
    let boundary = "----peertrack-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    if let Some(file) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"learners.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    browser()
        .post(server.url(path))
        .header(COOKIE, format!("peertrack_session={session}"))
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn learner_names(server: &TestServer, tutor: &str, cohort_id: &str) -> Vec<String> {
    let (_, learners) = server
        .call(
            tutor,
            Method::GET,
            &format!("/v1/cohorts/{cohort_id}/enrolments?limit=100"),
            None,
        )
        .await;
    let mut names: Vec<String> = learners["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l: &Value| l["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

async fn a_list_is_previewed_and_then_enrolled_all_together(server: &TestServer) {
    let (cohort_id, tutor) = cohort(server, "lists").await;
    enrol(server, &tutor, &cohort_id, "Rowan Learner", "rowan@example.org").await;
    let tess = sign_in(server, "tess-lists@example.org").await;
    let path = format!("/cohorts/{cohort_id}/enrol");
    let page = get(server, &tess, &path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<h1>Enrol learners in Dundee – lists</h1>"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");

    // Preview: every row with what would happen, nothing saved.
    let list = "name,email\nSam Smith,sam@example.org\nBad Row,not-an-address\n王小明,wang@example.org\nRowan Learner,rowan@example.org\n";
    let preview = post_multipart(
        server,
        &tess,
        &path,
        &[("csrf", &csrf), ("step", "preview"), ("list", list)],
        None,
    )
    .await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(
        html.contains("The email address “not-an-address” is not right"),
        "{html}"
    );
    assert!(html.contains("<a href=\"#line-3\">Line 3</a>"), "{html}");
    assert!(html.contains("Already in this cohort"), "{html}");
    assert!(
        !html.contains("Enrol these learners"),
        "no button while a row needs changing"
    );
    assert_eq!(learner_names(server, &tutor, &cohort_id).await, ["Rowan Learner"]);

    // Confirming the same list anyway (the client is not trusted) saves nothing.
    let refused = post_multipart(
        server,
        &tess,
        &path,
        &[("csrf", &csrf), ("step", "enrol"), ("list", list)],
        None,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("Nothing was saved"));
    assert_eq!(learner_names(server, &tutor, &cohort_id).await, ["Rowan Learner"]);

    // Corrected, as an uploaded file (with Excel's byte order mark): previewed, then enrolled.
    let corrected = "\u{feff}name,email\r\nSam Smith,sam@example.org\r\nBadri Row,badri@example.org\r\n王小明,wang@example.org\r\nRowan Learner,rowan@example.org\r\n";
    let preview = post_multipart(
        server,
        &tess,
        &path,
        &[("csrf", &csrf), ("step", "preview"), ("list", "")],
        Some(corrected.as_bytes()),
    )
    .await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("3 to enrol, 1 left out"), "{html}");
    assert!(html.contains("Enrol these learners"), "{html}");
    assert_eq!(
        learner_names(server, &tutor, &cohort_id).await.len(),
        1,
        "a preview saves nothing"
    );
    let carried = hidden(
        &html[html.find("name=\"step\" value=\"enrol\"").unwrap()..],
        "list",
    )
    .replace("&#13;", "\r")
    .replace("&#10;", "\n");
    let enrolled = post_multipart(
        server,
        &tess,
        &path,
        &[("csrf", &csrf), ("step", "enrol"), ("list", &carried)],
        None,
    )
    .await;
    assert_eq!(
        enrolled.status(),
        StatusCode::SEE_OTHER,
        "{}",
        enrolled.text().await.unwrap()
    );
    assert_eq!(
        enrolled.headers()[LOCATION],
        format!("{path}?enrolled=3&left_out=1")
    );
    assert_eq!(
        learner_names(server, &tutor, &cohort_id).await,
        ["Badri Row", "Rowan Learner", "Sam Smith", "王小明"]
    );
    let done = get(server, &tess, &format!("{path}?enrolled=3&left_out=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(done.contains("Done: 3 learners enrolled."), "{done}");

    // A file that is not UTF-8 (Excel's older CSV) is refused in words, nothing saved.
    let latin1 = b"name,email\nZo\xeb Smith,zoe@example.org\n";
    let refused = post_multipart(
        server,
        &tess,
        &path,
        &[("csrf", &csrf), ("step", "preview"), ("list", "")],
        Some(latin1),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("CSV UTF-8"));

    // One learner by the small form; twice is said beside the field.
    for (expected, want) in [
        (StatusCode::SEE_OTHER, None),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already in this cohort")),
    ] {
        let answer = browser()
            .post(server.url(&path))
            .header(COOKIE, format!("peertrack_session={tess}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("step", "one"),
                ("name", "Niamh Ní Bhriain"),
                ("email", "niamh@example.org"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), expected);
        if let Some(want) = want {
            assert!(answer.text().await.unwrap().contains(want));
        }
    }
    // Without the form's token, or as a learner, nothing happens.
    let forged = post_multipart(
        server,
        &tess,
        &path,
        &[
            ("csrf", "forged"),
            ("step", "enrol"),
            ("list", "Eve,eve@example.org"),
        ],
        None,
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let sam = sign_in(server, "sam@example.org").await;
    assert_eq!(get(server, &sam, &path).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(learner_names(server, &tutor, &cohort_id).await.len(), 5);
}

/// The last Sunday of a month: when the clocks change in the UK (March and October).
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, month + 1, 1).unwrap() - Days::new(1);
    while day.weekday() != Weekday::Sun {
        day = day - Days::new(1);
    }
    day
}

/// 10:00 on `day` as a clock in the UK reads it.
fn ten_in_london(day: NaiveDate) -> DateTime<Utc> {
    London
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Makes a calendar link on `/me/calendar`; the address shown.
async fn make_link(server: &TestServer, session: &str, action: &str) -> String {
    let page = get(server, session, "/me/calendar").await.text().await.unwrap();
    let made = browser()
        .post(server.url("/me/calendar"))
        .header(COOKIE, format!("peertrack_session={session}"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("action", action)])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let html = made.text().await.unwrap();
    let address = hidden(
        &html.replace("name=\"address\" value=", "name=\"addr\" value="),
        "addr",
    );
    assert!(
        address.starts_with(&server.url("/calendar/ptc_")) && address.ends_with(".ics"),
        "{address}"
    );
    address
}

async fn calendar_feeds_keep_time_across_the_clock_changes(server: &TestServer) {
    let (cohort_id, tutor) = cohort(server, "calendar").await;
    enrol(server, &tutor, &cohort_id, "Kit Learner", "kit@example.org").await;
    // The next October and March clock changes, with a session on the Friday before and the
    // Monday after each, at 10:00 UK time.
    let today = Utc::now().date_naive();
    let next = |month: u32| {
        let this_year = last_sunday(today.year(), month);
        if this_year - Days::new(2) > today {
            this_year
        } else {
            last_sunday(today.year() + 1, month)
        }
    };
    let (autumn, spring) = (next(10), next(3));
    let cases = [
        ("Before the clocks go back", autumn - Days::new(2), 9),
        ("After the clocks go back", autumn + Days::new(1), 10),
        ("Before the clocks go forward", spring - Days::new(2), 10),
        ("After the clocks go forward", spring + Days::new(1), 9),
    ];
    let mut sessions = Vec::new();
    for (title, day, utc_hour) in cases {
        let start = ten_in_london(day);
        assert_eq!(
            start,
            Utc.from_utc_datetime(&day.and_hms_opt(utc_hour, 0, 0).unwrap()),
            "{title}"
        );
        sessions.push((add_session(server, &tutor, &cohort_id, title, start).await, start));
    }
    let called_off = add_session(
        server,
        &tutor,
        &cohort_id,
        "Called off",
        Utc::now() + Duration::days(3),
    )
    .await;
    let (status, _) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/sessions/{called_off}/cancel"),
            Some(json!({"reason": "The hall is closed"})),
        )
        .await;
    assert_eq!(status, 200);

    let kit = sign_in(server, "kit@example.org").await;
    let page = get(server, &kit, "/me/calendar").await.text().await.unwrap();
    assert!(
        page.contains("<h1>Your calendar</h1>") && page.contains("Make a calendar link"),
        "{page}"
    );
    let address = make_link(server, &kit, "make").await;
    let page = get(server, &kit, "/me/calendar").await.text().await.unwrap();
    assert!(
        page.contains("Make a new link")
            && page.contains("Stop the calendar link")
            && !page.contains("/calendar/ptc_"),
        "shown once: {page}"
    );

    // The feed needs no cookie: the link is the credential.
    let feed = browser().get(&address).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert_eq!(feed.headers()[CONTENT_TYPE], "text/calendar; charset=utf-8");
    assert_eq!(feed.headers()[CACHE_CONTROL], "no-store");
    let text = feed.text().await.unwrap();
    let calendar: icalendar::Calendar = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    let events: Vec<&icalendar::Event> = calendar.events().collect();
    assert_eq!(events.len(), 5, "{text}");
    let event_of = |id: &str| {
        let uid = format!("session-{id}@peertrack");
        *events
            .iter()
            .find(|e| e.get_uid() == Some(uid.as_str()))
            .unwrap_or_else(|| panic!("{uid} in {text}"))
    };
    for (id, start) in &sessions {
        let event = event_of(id);
        assert_eq!(
            event.get_start(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(*start))),
            "{text}"
        );
        assert_eq!(
            event.get_end(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(
                *start + Duration::hours(2)
            )))
        );
        assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
    }
    let cancelled = event_of(&called_off);
    assert_eq!(cancelled.get_status(), Some(EventStatus::Cancelled));
    assert!(cancelled
        .get_description()
        .unwrap()
        .contains("The hall is closed"));
    // The raw text says the same: UTC times.
    let autumn_after = sessions[1].1.format("DTSTART:%Y%m%dT%H%M%SZ").to_string();
    assert!(
        autumn_after.ends_with("T100000Z") && text.contains(&autumn_after),
        "{text}"
    );

    // The tutor's own link lists the same sessions, as theirs to teach.
    let tess = sign_in(server, "tess-calendar@example.org").await;
    let tutor_feed = browser()
        .get(make_link(server, &tess, "make").await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let tutor_calendar: icalendar::Calendar = tutor_feed.parse().unwrap();
    assert_eq!(tutor_calendar.events().count(), 5);
    assert!(
        tutor_feed.contains("You are a tutor of Dundee – calendar."),
        "{tutor_feed}"
    );

    // A new link stops the old one; stopping stops it; unknown links find nothing.
    let renewed = make_link(server, &kit, "new").await;
    assert_eq!(
        browser().get(&address).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(browser().get(&renewed).send().await.unwrap().status(), 200);
    // "Download all my data" lists both links, when each was made and whether it still works,
    // and never the secret in the address.
    let export = get(server, &kit, "/me/data/export.json").await;
    assert_eq!(export.status(), 200);
    let export = export.text().await.unwrap();
    let feeds = serde_json::from_str::<Value>(&export).unwrap()["calendar_feeds"].clone();
    let feeds = feeds.as_array().unwrap_or_else(|| panic!("{export}"));
    assert_eq!(feeds.len(), 2, "{export}");
    assert_eq!(
        (&feeds[0]["live"], &feeds[1]["live"]),
        (&json!(false), &json!(true))
    );
    assert!(feeds[0]["stopped_at"].is_string() && feeds[1]["stopped_at"].is_null());
    assert!(feeds.iter().all(|f| f["made_at"].is_string()), "{export}");
    for secret in [&address, &renewed] {
        let secret = secret.rsplit('/').next().unwrap().trim_end_matches(".ics");
        assert!(!export.contains(secret), "{export}");
    }
    assert!(!export.contains("token_hash"), "{export}");
    let page = get(server, &kit, "/me/calendar").await.text().await.unwrap();
    let stopped = browser()
        .post(server.url("/me/calendar"))
        .header(COOKIE, format!("peertrack_session={kit}"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("action", "stop")])
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser().get(&renewed).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let page = get(server, &kit, "/me/calendar?done=stopped")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Make a calendar link") && page.contains("is stopped"),
        "{page}"
    );
    for unknown in ["/calendar/ptc_nothing.ics", "/calendar/.ics", "/calendar/ptc_x"] {
        assert_eq!(
            browser().get(server.url(unknown)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{unknown}"
        );
    }
    // Home shows the way in.
    assert!(get(server, &kit, "/home")
        .await
        .text()
        .await
        .unwrap()
        .contains("href=\"/me/calendar\""));
}

e2e_on_both_backends!(
    the_spreadsheets_open_safely_and_name_people_exactly,
    a_list_is_previewed_and_then_enrolled_all_together,
    calendar_feeds_keep_time_across_the_clock_changes,
);
