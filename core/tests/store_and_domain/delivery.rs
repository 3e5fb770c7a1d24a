//! Delivering the outbox and time-based emails, on both backends: claims with leases (one
//! claimer per message, also under concurrency), handing claims back, outcomes, sign-in links
//! (single use, expiring, nothing for unknown addresses), and the scheduler's reminders,
//! notes, notices and nudges, each queued once.

use std::collections::BTreeSet;
use std::sync::Barrier;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use peertrack_core::domain::AttendanceStatus;
use peertrack_core::notify::{self, scheduler};
use peertrack_core::seed;
use peertrack_core::service::sign_in;
use peertrack_core::store::attendance::NewMark as RegisterEntry;
use peertrack_core::store::certificates::{self, NewCertificate};
use peertrack_core::store::cohorts::{self, Cohort, Session};
use peertrack_core::store::outbox::{self, OutboxMessage};
use peertrack_core::store::people::{self, Person};
use peertrack_core::store::placements::{self, Placement, SupervisionSession};
use peertrack_core::store::{delivery, new_id, organisations, programmes, stored, Database, DbConnection};
use peertrack_core::{service, Result};
use serde_json::json;

peertrack_core::on_both_backends!(
    a_claimed_message_is_left_alone_until_its_lease_runs_out,
    claims_handed_back_are_not_counted,
    email_and_webhook_deliveries_are_claimed_apart,
    outcomes_are_recorded_once,
    concurrent_claimers_never_share_a_message,
    a_sign_in_link_works_once_and_only_for_15_minutes,
    unknown_addresses_get_no_link,
    reminders_go_the_day_before_to_learners_who_want_them,
    reminders_say_tomorrow_by_the_uk_day,
    two_absences_in_a_row_get_one_note_to_the_tutor,
    certificates_get_notices_60_and_14_days_before_expiry,
    a_quiet_placement_nudges_learner_and_supervisor_every_four_weeks,
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, hour, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    at(2027, 3, 1, 9)
}

#[track_caller]
fn ok<T>(db: &Database, work: impl FnOnce(&mut DbConnection) -> Result<T>) -> T {
    match db.write(work) {
        Ok(value) => value,
        Err(error) => panic!("the call failed: {error:?}"),
    }
}

fn person(db: &Database, email: &str, name: &str) -> Person {
    ok(db, |c| people::find_or_create(c, email, name, stored(now()))).0
}

fn queue(db: &Database, key: &str, recipient: &Person) {
    ok(db, |c| {
        notify::queue_email(
            c,
            key.into(),
            notify::Email::Enrolment,
            recipient,
            json!({"name": "x"}),
            stored(now()),
        )
    });
}

fn outbox(db: &Database) -> Vec<OutboxMessage> {
    ok(db, |c| outbox::list(c, None, 1000))
}

fn claim(db: &Database, at: DateTime<Utc>, lease_seconds: i64, limit: i64) -> Vec<OutboxMessage> {
    ok(db, |c| {
        delivery::claim_due(
            c,
            delivery::EMAIL,
            stored(at),
            stored(at + Duration::seconds(lease_seconds)),
            limit,
        )
    })
}

fn a_claimed_message_is_left_alone_until_its_lease_runs_out(db: &Database) {
    let rowan = person(db, "rowan@example.org", "Rowan");
    queue(db, "enrolment:1", &rowan);
    queue(db, "enrolment:2", &rowan);
    let first = claim(db, now(), 90, 1);
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].idempotency_key.as_str(), first[0].attempts),
        ("enrolment:1", 1)
    );
    let second = claim(db, now(), 90, 10);
    assert_eq!(
        second
            .iter()
            .map(|m| m.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        ["enrolment:2"],
        "the first is claimed"
    );
    assert!(claim(db, now() + Duration::seconds(89), 90, 10).is_empty());
    // The worker holding them died: after the lease both are taken again, counted again.
    let again = claim(db, now() + Duration::seconds(90), 90, 10);
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|m| m.attempts == 2));
    let stored_rows = outbox(db);
    assert!(stored_rows
        .iter()
        .all(|m| m.attempts == 2 && m.claimed_until.is_some()));
}

fn email_and_webhook_deliveries_are_claimed_apart(db: &Database) {
    let rowan = person(db, "rowan@example.org", "Rowan");
    queue(db, "enrolment:1", &rowan);
    ok(db, |c| {
        outbox::enqueue(
            c,
            &outbox::NewMessage {
                idempotency_key: "webhook:w:1".into(),
                channel: "webhook".into(),
                template: "register_change".into(),
                recipient: "https://hr.example.org/hook".into(),
                person_id: None,
                payload: json!({}),
                give_up_at: stored(now() + Duration::days(3)),
            },
            stored(now()),
        )
    });
    let emails = claim(db, now(), 90, 10);
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].channel, "email");
    let hooks = ok(db, |c| {
        delivery::claim_due(
            c,
            "webhook",
            stored(now()),
            stored(now() + Duration::seconds(90)),
            10,
        )
    });
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].idempotency_key, "webhook:w:1");
}

fn claims_handed_back_are_not_counted(db: &Database) {
    let rowan = person(db, "rowan@example.org", "Rowan");
    queue(db, "enrolment:1", &rowan);
    let claimed = claim(db, now(), 90, 10);
    assert_eq!(ok(db, |c| delivery::release(c, &[claimed[0].id])), 1);
    let rows = outbox(db);
    assert_eq!((rows[0].attempts, rows[0].claimed_until), (0, None));
    assert_eq!(claim(db, now(), 90, 10).len(), 1, "due again at once");
}

fn outcomes_are_recorded_once(db: &Database) {
    let rowan = person(db, "rowan@example.org", "Rowan");
    for n in 0..3 {
        queue(db, &format!("k:{n}"), &rowan);
    }
    let claimed = claim(db, now(), 90, 10);
    let (a, b, c) = (claimed[0].id, claimed[1].id, claimed[2].id);
    let later = stored(now() + Duration::seconds(5));
    assert!(ok(db, |conn| delivery::mark_sent(
        conn,
        a,
        stored(now()),
        Some("{}")
    )));
    assert!(
        !ok(db, |conn| delivery::mark_sent(conn, a, stored(now()), None)),
        "only once"
    );
    assert!(ok(db, |conn| delivery::schedule_retry(
        conn,
        b,
        "421 try later",
        later
    )));
    assert!(ok(db, |conn| delivery::mark_failed(
        conn,
        c,
        "550 no such mailbox",
        None
    )));
    let rows = outbox(db);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].payload.as_str()),
        ("sent", "{}")
    );
    assert_eq!(rows[0].sent_at, Some(stored(now())));
    assert_eq!(rows[1].status, "pending");
    assert_eq!((rows[1].next_attempt_at, rows[1].claimed_until), (later, None));
    assert_eq!(rows[1].last_error.as_deref(), Some("421 try later"));
    assert!(
        claim(db, now() + Duration::seconds(4), 90, 10).is_empty(),
        "not before its time"
    );
    assert_eq!(claim(db, now() + Duration::seconds(5), 90, 10).len(), 1);
    assert_eq!(rows[2].status, "failed");
    let failed = ok(db, |conn| delivery::page(conn, Some("failed"), None, 10));
    assert_eq!(failed.len(), 1);
    assert!(ok(db, |conn| delivery::requeue(
        conn,
        c,
        stored(now()),
        stored(now() + Duration::days(3))
    )));
    assert_eq!(
        ok(db, |conn| delivery::message(conn, c)).unwrap().status,
        "pending"
    );
}

fn concurrent_claimers_never_share_a_message(db: &Database) {
    let rowan = person(db, "rowan@example.org", "Rowan");
    for n in 0..40 {
        queue(db, &format!("k:{n}"), &rowan);
    }
    let start = Barrier::new(4);
    let claimed: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let mut mine = Vec::new();
                    loop {
                        let batch = match db.write(|c| {
                            delivery::claim_due(
                                c,
                                delivery::EMAIL,
                                stored(now()),
                                stored(now() + Duration::seconds(90)),
                                3,
                            )
                        }) {
                            Ok(batch) => batch,
                            // SQLite may refuse a writer that read a stale snapshot; try again.
                            Err(_) => continue,
                        };
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch.iter().map(|m| m.id));
                    }
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let all: Vec<i64> = claimed.iter().flatten().copied().collect();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "{claimed:?}");
    assert_eq!(distinct.len(), 40, "no message claimed twice");
    assert!(outbox(db).iter().all(|m| m.attempts == 1));
}

fn a_sign_in_link_works_once_and_only_for_15_minutes(db: &Database) {
    person(db, "ada@example.org", "Ada");
    let public_url = "https://peertrack.example.org";
    assert!(ok(db, |c| sign_in::request_link(
        c,
        "ADA@example.org",
        now(),
        public_url
    )));
    assert!(ok(db, |c| sign_in::request_link(
        c,
        "ada@example.org",
        now(),
        public_url
    )));
    let queued = outbox(db);
    assert_eq!(queued.len(), 2, "one email per request");
    let token = |message: &OutboxMessage| {
        let payload: serde_json::Value = serde_json::from_str(&message.payload).unwrap();
        let link = payload["link"].as_str().unwrap().to_string();
        assert!(
            link.starts_with("https://peertrack.example.org/sign-in?token=ptl_"),
            "{link}"
        );
        link.split("token=").nth(1).unwrap().to_string()
    };
    let (first, second) = (token(&queued[0]), token(&queued[1]));
    assert_eq!(
        queued[0].give_up_at,
        stored(now() + Duration::minutes(15)),
        "no use after expiry"
    );

    let signed_in = ok(db, |c| {
        sign_in::exchange(c, &first, now() + Duration::minutes(14))
    })
    .expect("signed in");
    assert_eq!(
        signed_in.expires_at,
        now() + Duration::minutes(14) + Duration::hours(12)
    );
    assert!(
        ok(db, |c| sign_in::exchange(
            c,
            &first,
            now() + Duration::minutes(14)
        ))
        .is_none(),
        "used"
    );
    assert!(
        ok(db, |c| sign_in::exchange(
            c,
            &second,
            now() + Duration::minutes(15)
        ))
        .is_none(),
        "expired at 15 minutes"
    );
    assert!(ok(db, |c| sign_in::exchange(c, "ptl_guess", now())).is_none());
    // The bearer token works as an access token; the link token does not.
    let access = ok(db, |c| {
        peertrack_core::store::tokens::person_for_token(
            c,
            &signed_in.access_token,
            peertrack_core::store::tokens::TokenPurpose::Access,
            stored(now() + Duration::hours(1)),
        )
    });
    assert!(access.is_some());
}

fn unknown_addresses_get_no_link(db: &Database) {
    assert!(!ok(db, |c| sign_in::request_link(
        c,
        "stranger@example.org",
        now(),
        "http://x"
    )));
    assert!(outbox(db).is_empty());
}

/// A cohort of the seeded Peer2Peer programme with one tutor.
fn cohort(db: &Database, tutor: &Person) -> Cohort {
    ok(db, |c| seed::seed_programmes(c, stored(now())));
    let programme = ok(db, |c| programmes::current(c, "P2P"));
    let organisation = ok(db, |c| organisations::create(c, "Penumbra", stored(now())));
    let cohort = Cohort {
        id: new_id(),
        programme_version_id: programme.version_id,
        organisation_id: organisation.id,
        name: "Dundee spring".into(),
        starts_on: date(2027, 2, 1),
        ends_on: date(2027, 4, 26),
        created_at: stored(now()),
    };
    ok(db, |c| {
        cohorts::create(c, &cohort, std::slice::from_ref(&tutor.id))
    });
    cohort
}

fn session(db: &Database, cohort: &Cohort, title: &str, starts_at: DateTime<Utc>) -> Session {
    let session = Session {
        id: new_id(),
        cohort_id: cohort.id.clone(),
        module_code: None,
        title: title.into(),
        starts_at: stored(starts_at),
        ends_at: stored(starts_at + Duration::hours(3)),
        register_version: 0,
        created_at: stored(now()),
        cancelled_at: None,
        cancel_reason: None,
    };
    ok(db, |c| cohorts::add_session(c, &session));
    session
}

fn schedule(db: &Database, at: DateTime<Utc>) -> scheduler::Scheduled {
    ok(db, |c| {
        scheduler::queue_due(c, at, "https://peertrack.example.org")
    })
}

fn scheduled(db: &Database, template: &str) -> Vec<OutboxMessage> {
    outbox(db)
        .into_iter()
        .filter(|m| m.template == template)
        .collect()
}

fn reminders_go_the_day_before_to_learners_who_want_them(db: &Database) {
    let tutor = person(db, "tutor@example.org", "Tess Tutor");
    let cohort = cohort(db, &tutor);
    let keen = person(db, "keen@example.org", "Keen");
    let quiet = person(db, "quiet@example.org", "Quiet");
    let late = person(db, "late@example.org", "Late");
    ok(db, |c| people::set_reminders(c, &quiet.id, false));
    for learner in [&keen, &quiet] {
        ok(db, |c| {
            cohorts::enrol(c, &cohort.id, &learner.id, date(2027, 2, 1), stored(now()))
        });
    }
    ok(db, |c| {
        cohorts::enrol(c, &cohort.id, &late.id, date(2027, 3, 10), stored(now()))
    });
    let tomorrow = session(db, &cohort, "Week 5", at(2027, 3, 2, 10));
    session(db, &cohort, "Week 6", at(2027, 3, 9, 10));
    session(db, &cohort, "Earlier today", at(2027, 3, 1, 8));

    assert_eq!(schedule(db, now()).reminders, 1);
    assert_eq!(
        schedule(db, now() + Duration::hours(6)).reminders,
        0,
        "once per session"
    );
    let reminders = scheduled(db, "session_reminder");
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].recipient, "keen@example.org");
    assert_eq!(
        reminders[0].idempotency_key,
        format!("session_reminder:{}:{}", tomorrow.id, keen.id)
    );
    assert_eq!(
        reminders[0].give_up_at, tomorrow.starts_at,
        "no use once the session starts"
    );
    let payload: serde_json::Value = serde_json::from_str(&reminders[0].payload).unwrap();
    assert_eq!(payload["session_title"], "Week 5");
    assert_eq!(payload["cohort_name"], "Dundee spring");
    let rendered = peertrack_core::notify::templates::Templates::new("https://peertrack.example.org")
        .render("session_reminder", &payload)
        .unwrap();
    assert_eq!(rendered.subject, "Tomorrow: Week 5");
    assert!(rendered
        .text
        .contains("is tomorrow, Tuesday 2 March 2027, from 10:00 to 13:00."));
}

/// In British Summer Time the UK day starts at 23:00 UTC the day before: a run at 23:30 UTC
/// on 14 July is 00:30 on 15 July in the UK, so "tomorrow" is 16 July, and a session at 23:30
/// UTC on 15 July (00:30 on the 16th) is tomorrow's, while one at 10:00 on the 15th is today's.
fn reminders_say_tomorrow_by_the_uk_day(db: &Database) {
    let tutor = person(db, "tutor@example.org", "Tess Tutor");
    let mut cohort = cohort(db, &tutor);
    cohort.ends_on = date(2027, 9, 1);
    ok(db, |c| cohorts::update(c, &cohort));
    let keen = person(db, "keen@example.org", "Keen");
    ok(db, |c| {
        cohorts::enrol(c, &cohort.id, &keen.id, date(2027, 2, 1), stored(now()))
    });
    session(db, &cohort, "Today in the UK", at(2027, 7, 15, 10));
    let just_after_midnight = session(
        db,
        &cohort,
        "Tomorrow, just after midnight",
        at(2027, 7, 15, 23) + Duration::minutes(30),
    );
    let tomorrow = session(db, &cohort, "Tomorrow morning", at(2027, 7, 16, 9));
    session(
        db,
        &cohort,
        "The day after",
        at(2027, 7, 16, 23) + Duration::minutes(30),
    );

    let run_at = at(2027, 7, 14, 23) + Duration::minutes(30);
    assert_eq!(schedule(db, run_at).reminders, 2);
    let mut reminded: Vec<String> = scheduled(db, "session_reminder")
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect();
    reminded.sort();
    let mut expected = vec![
        format!("session_reminder:{}:{}", just_after_midnight.id, keen.id),
        format!("session_reminder:{}:{}", tomorrow.id, keen.id),
    ];
    expected.sort();
    assert_eq!(reminded, expected);
}

fn two_absences_in_a_row_get_one_note_to_the_tutor(db: &Database) {
    let tutor = person(db, "tutor@example.org", "Tess Tutor");
    let cohort = cohort(db, &tutor);
    let rowan = person(db, "rowan@example.org", "Rowan Learner");
    ok(db, |c| {
        cohorts::enrol(c, &cohort.id, &rowan.id, date(2027, 2, 1), stored(now()))
    });
    let mark = |session: &Session, status: AttendanceStatus| {
        ok(db, |c| {
            service::attendance::take(
                c,
                &peertrack_core::access::Caller::person(tutor.id.clone(), true, "test"),
                &session.id,
                &[RegisterEntry {
                    person_id: rowan.id.clone(),
                    status,
                    note: None,
                }],
                None,
                session.ends_at.and_utc(),
            )
        });
    };
    let weeks: Vec<Session> = (0..4)
        .map(|w| session(db, &cohort, &format!("Week {w}"), at(2027, 2, 1 + 7 * w, 10)))
        .collect();
    mark(&weeks[0], AttendanceStatus::Present);
    mark(&weeks[1], AttendanceStatus::Absent);
    assert_eq!(
        schedule(db, now()).absence_notes,
        0,
        "one absence is not a pattern"
    );
    mark(&weeks[2], AttendanceStatus::Absent);
    assert_eq!(schedule(db, now()).absence_notes, 1);
    mark(&weeks[3], AttendanceStatus::Absent);
    assert_eq!(
        schedule(db, now()).absence_notes,
        0,
        "a third absence continues the same run"
    );
    let notes = scheduled(db, "absences_noted");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].recipient, "tutor@example.org");
    let payload: serde_json::Value = serde_json::from_str(&notes[0].payload).unwrap();
    assert_eq!(payload["learner_name"], "Rowan Learner");
    assert_eq!(payload["sessions"][0]["title"], "Week 1");
    assert_eq!(payload["sessions"][1]["title"], "Week 2");
    assert_eq!(
        scheduled(db, "missed_session").len(),
        3,
        "and the learner heard each time"
    );
}

fn certificates_get_notices_60_and_14_days_before_expiry(db: &Database) {
    let admin = person(db, "ada@example.org", "Ada");
    let holder = person(db, "holder@example.org", "Holder");
    ok(db, |c| seed::seed_programmes(c, stored(now())));
    let programme = ok(db, |c| programmes::current(c, "P2P"));
    let expires_on = date(2027, 6, 1);
    let certificate = ok(db, |c| {
        certificates::issue(
            c,
            &NewCertificate {
                person_id: holder.id.clone(),
                holder_name: "Holder".into(),
                programme_id: programme.programme_id.clone(),
                programme_code: "P2P".into(),
                programme_version_id: programme.version_id.clone(),
                cohort_id: None,
                issued_on: date(2025, 6, 1),
                expires_on: Some(expires_on),
                issued_by: admin.id.clone(),
            },
            stored(now()),
        )
    });
    let day = |date: NaiveDate| date.and_hms_opt(7, 0, 0).unwrap().and_utc();
    assert_eq!(
        schedule(db, day(date(2027, 4, 1))).expiry_notices,
        0,
        "61 days before"
    );
    assert_eq!(
        schedule(db, day(date(2027, 4, 2))).expiry_notices,
        1,
        "60 days before"
    );
    assert_eq!(schedule(db, day(date(2027, 4, 3))).expiry_notices, 0, "once");
    assert_eq!(
        schedule(db, day(date(2027, 5, 17))).expiry_notices,
        0,
        "15 days before"
    );
    assert_eq!(
        schedule(db, day(date(2027, 5, 18))).expiry_notices,
        1,
        "14 days before"
    );
    assert_eq!(schedule(db, day(date(2027, 5, 20))).expiry_notices, 0);
    let notices = scheduled(db, "certificate_expiring");
    let keys: Vec<&str> = notices.iter().map(|m| m.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("certificate_expiring:{}:2027-06-01:60", certificate.id),
            format!("certificate_expiring:{}:2027-06-01:14", certificate.id),
        ]
    );
    let payload: serde_json::Value = serde_json::from_str(&notices[0].payload).unwrap();
    assert_eq!(payload["days_left"], 60);
    assert!(payload["verification_url"]
        .as_str()
        .unwrap()
        .starts_with("https://peertrack.example.org/verify/"));
    // A revoked certificate hears nothing more.
    ok(db, |c| {
        certificates::revoke(c, &certificate.id, "issued in error", stored(now()))
    });
    assert_eq!(schedule(db, day(date(2027, 5, 25))).expiry_notices, 0);
}

fn a_quiet_placement_nudges_learner_and_supervisor_every_four_weeks(db: &Database) {
    let learner = person(db, "rowan@example.org", "Rowan Learner");
    let supervisor = person(db, "sam@example.org", "Sam Supervisor");
    let host = ok(db, |c| organisations::create(c, "SAMH", stored(now())));
    let placement = Placement {
        id: new_id(),
        person_id: learner.id.clone(),
        organisation_id: host.id.clone(),
        supervisor_id: supervisor.id.clone(),
        starts_on: date(2027, 1, 4),
        ends_on: Some(date(2027, 6, 30)),
        created_at: stored(now()),
        cohort_id: None,
        tutor_supervision_allowed_by: None,
    };
    ok(db, |c| placements::create(c, &placement));
    ok(db, |c| {
        placements::log_supervision(
            c,
            &SupervisionSession {
                id: new_id(),
                placement_id: placement.id.clone(),
                occurred_on: date(2027, 1, 11),
                duration_minutes: 60,
                format: "individual".into(),
                notes: None,
                logged_by: supervisor.id.clone(),
                verified_by: None,
                verified_at: None,
                created_at: stored(now()),
                declined_by: None,
                declined_at: None,
                decline_reason: None,
            },
        )
    });
    let day = |date: NaiveDate| date.and_hms_opt(7, 0, 0).unwrap().and_utc();
    assert_eq!(
        schedule(db, day(date(2027, 2, 7))).supervision_nudges,
        0,
        "27 days"
    );
    assert_eq!(
        schedule(db, day(date(2027, 2, 8))).supervision_nudges,
        2,
        "28 days: both hear"
    );
    assert_eq!(schedule(db, day(date(2027, 2, 9))).supervision_nudges, 0, "once");
    ok(db, |c| people::set_reminders(c, &supervisor.id, false));
    assert_eq!(
        schedule(db, day(date(2027, 3, 8))).supervision_nudges,
        1,
        "eight weeks: again, to the learner only now"
    );
    let nudges = scheduled(db, "supervision_nudge");
    let recipients: Vec<&str> = nudges.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(
        recipients,
        ["rowan@example.org", "sam@example.org", "rowan@example.org"]
    );
    let payload: serde_json::Value = serde_json::from_str(&nudges[1].payload).unwrap();
    assert_eq!(payload["role"], "supervisor");
    assert_eq!(payload["learner_name"], "Rowan Learner");
    assert_eq!(payload["organisation_name"], "SAMH");
    assert_eq!(payload["weeks"], 4);
    // After the placement ends, nothing.
    assert_eq!(schedule(db, day(date(2027, 7, 30))).supervision_nudges, 0);
}
