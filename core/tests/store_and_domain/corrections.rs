//! Records people correct, through the services, on both databases: sessions that move or are
//! called off, cohorts renamed, redated and re-staffed, learners who leave and come back.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use peertrack_core::access::Caller;
use peertrack_core::domain::{AssessmentOutcome, AttendanceStatus};
use peertrack_core::notify::scheduler;
use peertrack_core::seed;
use peertrack_core::service::assessments::{self, AssessmentOf, NewAssessment};
use peertrack_core::service::attendance::NewMark;
use peertrack_core::service::cohorts::{self, CohortChange, NewCohort, NewEnrolment, NewSession};
use peertrack_core::service::sessions::{self, SessionChange};
use peertrack_core::service::{attendance, organisations, people};
use peertrack_core::store::{outbox, stored, Database};
use peertrack_core::Error;

peertrack_core::on_both_backends!(
    a_cancelled_session_leaves_every_rate_and_its_register_closes,
    a_moved_session_keeps_the_rules_of_a_new_one_and_tells_its_learners,
    no_reminder_goes_out_for_a_cancelled_session,
    tutors_rename_a_cohort_and_administrators_change_the_rest,
    a_learner_who_leaves_keeps_their_history_and_their_modules,
);

/// Mid-cohort: Monday 5 April 2027, 9:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 4, 5, 9, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[track_caller]
fn field_of<T: std::fmt::Debug>(result: peertrack_core::Result<T>) -> String {
    match result {
        Err(Error::Invalid(errors)) => errors[0].field.clone(),
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

/// A Peer2Peer cohort (1 March to 30 June 2027) with a tutor and a learner enrolled from the
/// start.
struct Course {
    admin: Caller,
    organisation_id: String,
    cohort_id: String,
    tutor: Caller,
    learner: Caller,
    learner_id: String,
}

fn course(db: &Database) -> Course {
    let (admin, organisation_id) = db
        .write(|conn| {
            seed::seed_programmes(conn, stored(now()))?;
            let id = people::make_admin(conn, &Caller::Operator, "ada@example.org", "Ada Admin", now())?;
            let admin = Caller::person(id, true, "session");
            let organisation = organisations::create(conn, &admin, "Penumbra", now())?;
            Ok((admin, organisation.id))
        })
        .unwrap();
    let (cohort_id, tutor) = new_cohort(
        db,
        &admin,
        &organisation_id,
        "Dundee spring 2027",
        date(2027, 3, 1),
    );
    let learner_id = enrol(db, &admin, &cohort_id, date(2027, 3, 1));
    Course {
        admin,
        organisation_id,
        cohort_id,
        tutor,
        learner: Caller::person(learner_id.clone(), false, "session"),
        learner_id,
    }
}

/// A cohort of four months from `starts_on`, tutored by tutor@example.org.
fn new_cohort(
    db: &Database,
    admin: &Caller,
    organisation_id: &str,
    name: &str,
    starts_on: NaiveDate,
) -> (String, Caller) {
    let new = NewCohort {
        programme_code: "P2P".into(),
        organisation_id: organisation_id.into(),
        name: name.into(),
        starts_on,
        ends_on: starts_on + Duration::days(121),
        tutor_emails: vec!["tutor@example.org".into()],
    };
    let cohort = db
        .write(|conn| cohorts::create(conn, admin, &new, now()))
        .unwrap();
    let tutor = Caller::person(cohort.tutors[0].id.clone(), false, "session");
    (cohort.cohort.id, tutor)
}

fn enrol(db: &Database, caller: &Caller, cohort_id: &str, enrolled_on: NaiveDate) -> String {
    let new = NewEnrolment {
        email: "rowan@example.org".into(),
        name: "Rowan Learner".into(),
        enrolled_on: Some(enrolled_on),
    };
    db.write(|conn| cohorts::enrol(conn, caller, cohort_id, &new, now()))
        .unwrap()
        .1
        .id
}

fn add_session(db: &Database, course: &Course, title: &str, starts_at: DateTime<Utc>) -> String {
    let new = NewSession {
        title: title.into(),
        module_code: None,
        starts_at,
        ends_at: starts_at + Duration::hours(3),
    };
    db.write(|conn| cohorts::add_session(conn, &course.tutor, &course.cohort_id, &new, now()))
        .unwrap()
        .id
}

fn mark(
    db: &Database,
    course: &Course,
    session_id: &str,
    status: AttendanceStatus,
) -> peertrack_core::Result<()> {
    let marks = [NewMark {
        person_id: course.learner_id.clone(),
        status,
        note: None,
    }];
    db.write(|conn| attendance::take(conn, &course.tutor, session_id, &marks, None, now()))
        .map(|_| ())
}

/// (attended, counted, eligible) for the learner in a cohort.
fn rate(db: &Database, course: &Course, cohort_id: &str) -> (u32, u32, bool) {
    let rows = db
        .read(|conn| cohorts::progress(conn, &course.admin, cohort_id, now()))
        .unwrap();
    let (_, progress) = rows
        .into_iter()
        .find(|(p, _)| p.id == course.learner_id)
        .expect("the learner has a row");
    (
        progress.attendance.attended,
        progress.attendance.counted,
        progress.eligibility.eligible,
    )
}

/// The templates of emails queued, in order.
fn queued(db: &Database) -> Vec<String> {
    db.read(|conn| outbox::list(conn, None, 1000))
        .unwrap()
        .into_iter()
        .map(|m| m.template)
        .collect()
}

fn a_cancelled_session_leaves_every_rate_and_its_register_closes(db: &Database) {
    let course = course(db);
    let held = add_session(db, &course, "Week 1", at(2027, 3, 8, 10));
    let snowed = add_session(db, &course, "Week 2", at(2027, 3, 15, 10));
    mark(db, &course, &held, AttendanceStatus::Present).unwrap();
    mark(db, &course, &snowed, AttendanceStatus::Absent).unwrap();
    assert_eq!(rate(db, &course, &course.cohort_id), (1, 2, false), "1 of 2 held");

    // The learner may read the session, and may not cancel it; a stranger may not know it.
    let read = db
        .read(|conn| sessions::get(conn, &course.learner, &snowed))
        .unwrap();
    assert!(!read.is_cancelled());
    assert!(matches!(
        db.write(|conn| sessions::cancel(conn, &course.learner, &snowed, "Snow", now())),
        Err(Error::NotAllowed(_))
    ));
    let stranger = Caller::person("someone-else", false, "session");
    assert!(matches!(
        db.read(|conn| sessions::get(conn, &stranger, &snowed)),
        Err(Error::NotFound("session"))
    ));
    assert_eq!(
        field_of(db.write(|conn| sessions::cancel(conn, &course.tutor, &snowed, " ", now()))),
        "reason"
    );

    let cancelled = db
        .write(|conn| sessions::cancel(conn, &course.tutor, &snowed, "Snow: the venue was closed", now()))
        .unwrap();
    assert_eq!(
        cancelled.cancel_reason.as_deref(),
        Some("Snow: the venue was closed")
    );
    assert_eq!(rate(db, &course, &course.cohort_id), (1, 1, false), "1 of 1 held");
    assert!(queued(db).contains(&"session_cancelled".to_string()));

    // Its register is closed, it cannot be cancelled again, nor moved.
    assert!(matches!(
        mark(db, &course, &snowed, AttendanceStatus::Present),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        db.write(|conn| sessions::cancel(conn, &course.tutor, &snowed, "Again", now())),
        Err(Error::Conflict(_))
    ));
    let title = SessionChange {
        title: Some("Week 2 (again)".into()),
        ..SessionChange::default()
    };
    assert!(matches!(
        db.write(|conn| sessions::change(conn, &course.tutor, &snowed, &title, now())),
        Err(Error::Conflict(_))
    ));
    assert_eq!(queued(db).iter().filter(|t| *t == "session_cancelled").count(), 1);
}

fn a_moved_session_keeps_the_rules_of_a_new_one_and_tells_its_learners(db: &Database) {
    let course = course(db);
    let session = add_session(db, &course, "Week 5", at(2027, 4, 12, 10));
    let change = |change: SessionChange| {
        db.write(|conn| sessions::change(conn, &course.tutor, &session, &change, now()))
    };
    assert_eq!(
        field_of(change(SessionChange {
            ends_at: Some(at(2027, 4, 12, 9)),
            ..SessionChange::default()
        })),
        "ends_at"
    );
    assert_eq!(
        field_of(change(SessionChange {
            starts_at: Some(at(2027, 4, 12, 10)),
            ends_at: Some(at(2027, 4, 13, 11)),
            ..SessionChange::default()
        })),
        "ends_at"
    );
    assert_eq!(
        field_of(change(SessionChange {
            module_code: Some(Some("NOPE".into())),
            ..SessionChange::default()
        })),
        "module_code"
    );
    let renamed = change(SessionChange {
        title: Some("Week 5: boundaries".into()),
        module_code: Some(Some("M2".into())),
        ..SessionChange::default()
    })
    .unwrap();
    assert_eq!(renamed.title, "Week 5: boundaries");
    assert!(
        !queued(db).contains(&"session_moved".to_string()),
        "a new title moves nothing"
    );

    let moved = change(SessionChange {
        starts_at: Some(at(2027, 4, 13, 14)),
        ends_at: Some(at(2027, 4, 13, 16)),
        ..SessionChange::default()
    })
    .unwrap();
    assert_eq!(moved.starts_at, stored(at(2027, 4, 13, 14)));
    assert_eq!(moved.module_code.as_deref(), Some("M2"));
    let messages = db.read(|conn| outbox::list(conn, None, 1000)).unwrap();
    let note = messages
        .iter()
        .find(|m| m.template == "session_moved")
        .expect("the learner is told");
    assert_eq!(note.recipient, "rowan@example.org");
    assert!(matches!(
        db.write(|conn| sessions::change(conn, &course.learner, &session, &SessionChange::default(), now())),
        Err(Error::NotAllowed(_))
    ));
}

fn no_reminder_goes_out_for_a_cancelled_session(db: &Database) {
    let course = course(db);
    let tomorrow = now() + Duration::days(1);
    let kept = add_session(db, &course, "Kept", tomorrow);
    let off = add_session(db, &course, "Called off", tomorrow + Duration::hours(4));
    db.write(|conn| sessions::cancel(conn, &course.tutor, &off, "The tutor is unwell", now()))
        .unwrap();
    let scheduled = db
        .write(|conn| scheduler::queue_due(conn, now(), "https://peertrack.example.org"))
        .unwrap();
    assert_eq!(scheduled.reminders, 1, "only for the session that goes ahead");
    let reminders: Vec<String> = db
        .read(|conn| outbox::list(conn, None, 1000))
        .unwrap()
        .into_iter()
        .filter(|m| m.template == "session_reminder")
        .map(|m| m.idempotency_key)
        .collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].contains(&kept), "{reminders:?}");
}

fn tutors_rename_a_cohort_and_administrators_change_the_rest(db: &Database) {
    let course = course(db);
    add_session(db, &course, "Week 1", at(2027, 3, 8, 10));
    let update = |caller: &Caller, change: CohortChange| {
        db.write(|conn| cohorts::update(conn, caller, &course.cohort_id, &change, now()))
    };
    let renamed = update(
        &course.tutor,
        CohortChange {
            name: Some("  Dundee spring 2027 (Tuesdays) ".into()),
            // Sent as it is: no change, so no refusal.
            starts_on: Some(date(2027, 3, 1)),
            ..CohortChange::default()
        },
    )
    .unwrap();
    assert_eq!(renamed.cohort.name, "Dundee spring 2027 (Tuesdays)");
    for change in [
        CohortChange {
            ends_on: Some(date(2027, 7, 31)),
            ..CohortChange::default()
        },
        CohortChange {
            tutor_emails: Some(vec!["tutor@example.org".into(), "friend@example.org".into()]),
            ..CohortChange::default()
        },
    ] {
        assert!(matches!(update(&course.tutor, change), Err(Error::NotAllowed(_))));
    }
    assert!(matches!(
        update(&course.learner, CohortChange::default()),
        Err(Error::NotAllowed(_))
    ));

    // Dates stay in order and keep the sessions held within them.
    let backwards = CohortChange {
        starts_on: Some(date(2027, 8, 1)),
        ends_on: Some(date(2027, 7, 1)),
        ..CohortChange::default()
    };
    assert_eq!(field_of(update(&course.admin, backwards)), "ends_on");
    let past_the_first_session = CohortChange {
        starts_on: Some(date(2027, 3, 9)),
        ..CohortChange::default()
    };
    assert_eq!(
        field_of(update(&course.admin, past_the_first_session)),
        "starts_on"
    );
    let longer = update(
        &course.admin,
        CohortChange {
            ends_on: Some(date(2027, 7, 31)),
            ..CohortChange::default()
        },
    )
    .unwrap();
    assert_eq!(longer.cohort.ends_on, date(2027, 7, 31));

    // A new tutor in, the old one out: the old one no longer sees the cohort.
    let restaffed = update(
        &course.admin,
        CohortChange {
            tutor_emails: Some(vec!["Friend@Example.org".into()]),
            ..CohortChange::default()
        },
    )
    .unwrap();
    assert_eq!(restaffed.tutors.len(), 1);
    assert_eq!(restaffed.tutors[0].email.as_deref(), Some("friend@example.org"));
    assert!(matches!(
        db.read(|conn| cohorts::get(conn, &course.tutor, &course.cohort_id)),
        Err(Error::NotFound(_))
    ));
    let friend = Caller::person(restaffed.tutors[0].id.clone(), false, "session");
    assert!(db
        .read(|conn| cohorts::get(conn, &friend, &course.cohort_id))
        .is_ok());
}

fn a_learner_who_leaves_keeps_their_history_and_their_modules(db: &Database) {
    let course = course(db);
    let before = add_session(db, &course, "Week 1", at(2027, 3, 8, 10));
    let after = add_session(db, &course, "Week 6", at(2027, 4, 19, 10));
    mark(db, &course, &before, AttendanceStatus::Present).unwrap();
    for module in ["PRE", "M1"] {
        let of = AssessmentOf {
            cohort_id: &course.cohort_id,
            person_id: &course.learner_id,
            module_code: module,
        };
        let new = NewAssessment {
            outcome: AssessmentOutcome::Achieved,
            note: None,
        };
        db.write(|conn| assessments::record(conn, &course.tutor, of, &new, None, now()))
            .unwrap();
    }
    assert_eq!(
        field_of(db.write(|conn| {
            cohorts::withdraw(
                conn,
                &course.tutor,
                &course.cohort_id,
                &course.learner_id,
                "",
                now(),
            )
        })),
        "reason"
    );
    let (enrolment, _) = db
        .write(|conn| {
            cohorts::withdraw(
                conn,
                &course.tutor,
                &course.cohort_id,
                &course.learner_id,
                "Moved to Glasgow",
                now(),
            )
        })
        .unwrap();
    assert_eq!(enrolment.status, "withdrawn");
    assert!(matches!(
        db.write(|conn| cohorts::withdraw(
            conn,
            &course.tutor,
            &course.cohort_id,
            &course.learner_id,
            "Again",
            now()
        )),
        Err(Error::Conflict(_))
    ));

    // History stays: the earlier register still has them and can be corrected; the later one
    // does not have them.
    mark(db, &course, &before, AttendanceStatus::Late).unwrap();
    assert!(matches!(
        mark(db, &course, &after, AttendanceStatus::Present),
        Err(Error::NotEnrolled { .. })
    ));
    let later_register = db
        .read(|conn| attendance::read(conn, &course.tutor, &after))
        .unwrap();
    assert!(later_register.learners.is_empty());
    let earlier_register = db
        .read(|conn| attendance::read(conn, &course.tutor, &before))
        .unwrap();
    assert_eq!(earlier_register.learners.len(), 1);

    // No certificate from this cohort, in plain words.
    let judged = db
        .read(|conn| people::eligibility(conn, &course.admin, &course.learner_id, "P2P", now()))
        .unwrap();
    assert!(!judged.eligibility.eligible);
    assert!(
        judged.eligibility.requirements[0]
            .explanation
            .starts_with("You left this cohort on 5 April 2027, so no certificate is issued from it."),
        "{:?}",
        judged.eligibility.requirements[0]
    );

    // They come back in the autumn cohort: the modules they achieved still count there, and
    // attendance is judged there alone.
    let (autumn, _) = new_cohort(
        db,
        &course.admin,
        &course.organisation_id,
        "Dundee autumn 2027",
        date(2027, 9, 1),
    );
    enrol(db, &course.admin, &autumn, date(2027, 9, 1));
    let rows = db
        .read(|conn| cohorts::progress(conn, &course.admin, &autumn, now()))
        .unwrap();
    let (_, progress) = &rows[0];
    assert!(progress.achieved_modules.contains("PRE"), "{progress:?}");
    assert!(progress.achieved_modules.contains("M1"), "{progress:?}");
    assert_eq!(
        progress.attendance.counted, 0,
        "nothing held in the autumn cohort yet"
    );
}
