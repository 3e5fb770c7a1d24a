//! The services every front end calls, without HTTP: each rule and each access decision is
//! answered here as a typed error naming the field, on both databases.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use peertrack_core::access::Caller;
use peertrack_core::domain::AttendanceStatus;
use peertrack_core::seed;
use peertrack_core::service::attendance::NewMark;
use peertrack_core::service::cohorts::{self, NewCohort, NewEnrolment, NewSession};
use peertrack_core::service::{attendance, me, organisations, people, placements};
use peertrack_core::store::{stored, Database};
use peertrack_core::Error;

peertrack_core::on_both_backends!(
    cohort_dates_must_be_in_order,
    a_session_ends_after_it_starts_and_within_a_day,
    nobody_is_enrolled_after_the_cohort_ends,
    development_cannot_be_logged_for_the_future,
    names_must_be_one_line_in_any_script,
    only_administrators_create_cohorts_and_organisations,
    a_cohort_is_hidden_from_strangers_and_closed_to_its_learners,
    a_register_names_the_learner_who_is_not_enrolled,
    the_operator_can_do_what_an_administrator_can,
    enrolling_someone_tells_a_tutor_nothing_they_did_not_type,
    a_tutor_sees_a_learner_only_through_the_cohorts_they_teach,
    a_tutor_cannot_supervise_their_own_learner_unless_an_administrator_allows_it,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The fields a refusal names, in order; fails for anything but `Error::Invalid`.
#[track_caller]
fn fields<T: std::fmt::Debug>(result: peertrack_core::Result<T>) -> Vec<(String, String)> {
    match result {
        Err(Error::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected a refusal naming fields, got {other:?}"),
    }
}

/// The seeded programmes, an administrator, an organisation; the admin's caller and the
/// organisation's id.
fn setting(db: &Database) -> (Caller, String) {
    let admin = db
        .write(|conn| {
            seed::seed_programmes(conn, stored(now()))?;
            let id = people::make_admin(conn, &Caller::Operator, "ada@example.org", "Ada Admin", now())?;
            Ok(Caller::person(id, true, "session"))
        })
        .unwrap();
    let organisation = db
        .write(|conn| organisations::create(conn, &admin, "Penumbra", now()))
        .unwrap();
    (admin, organisation.id)
}

fn new_cohort(organisation_id: &str, starts_on: NaiveDate, ends_on: NaiveDate) -> NewCohort {
    NewCohort {
        programme_code: "P2P".into(),
        organisation_id: organisation_id.into(),
        name: "Dundee spring 2027".into(),
        starts_on,
        ends_on,
        tutor_emails: vec!["tutor@example.org".into()],
    }
}

/// A cohort (1 March to 30 June 2027) with a tutor; the cohort's id and the tutor as a caller.
fn cohort(db: &Database) -> (Caller, String, Caller) {
    let (admin, organisation) = setting(db);
    let cohort = db
        .write(|conn| {
            cohorts::create(
                conn,
                &admin,
                &new_cohort(&organisation, date(2027, 3, 1), date(2027, 6, 30)),
                now(),
            )
        })
        .unwrap();
    let tutor = Caller::person(cohort.tutors[0].id.clone(), false, "session");
    (admin, cohort.cohort.id, tutor)
}

fn cohort_dates_must_be_in_order(db: &Database) {
    let (admin, organisation) = setting(db);
    let backwards = new_cohort(&organisation, date(2027, 6, 30), date(2027, 3, 1));
    assert_eq!(
        fields(db.write(|conn| cohorts::create(conn, &admin, &backwards, now()))),
        [("ends_on".into(), "must be on or after starts_on".into())]
    );
    let ancient = new_cohort(&organisation, date(1066, 10, 14), date(2027, 3, 1));
    assert_eq!(
        fields(db.write(|conn| cohorts::create(conn, &admin, &ancient, now())))[0].0,
        "starts_on"
    );
    let mut bad_tutor = new_cohort(&organisation, date(2027, 3, 1), date(2027, 6, 30));
    bad_tutor.tutor_emails = vec!["not an address".into()];
    assert_eq!(
        fields(db.write(|conn| cohorts::create(conn, &admin, &bad_tutor, now())))[0].0,
        "tutor_emails"
    );
}

fn a_session_ends_after_it_starts_and_within_a_day(db: &Database) {
    let (_, cohort_id, tutor) = cohort(db);
    let starts_at = Utc.with_ymd_and_hms(2027, 3, 2, 10, 0, 0).unwrap();
    let session = |ends_at| NewSession {
        title: "Week 1".into(),
        module_code: None,
        starts_at,
        ends_at,
    };
    let add = |new: NewSession| db.write(|conn| cohorts::add_session(conn, &tutor, &cohort_id, &new, now()));
    assert_eq!(
        fields(add(session(starts_at))),
        [("ends_at".into(), "must be after starts_at".into())]
    );
    assert_eq!(
        fields(add(session(starts_at + Duration::hours(25)))),
        [("ends_at".into(), "a session lasts at most 24 hours".into())]
    );
    assert!(add(session(starts_at + Duration::hours(24))).is_ok());
}

fn nobody_is_enrolled_after_the_cohort_ends(db: &Database) {
    let (_, cohort_id, tutor) = cohort(db);
    let enrol = |enrolled_on| {
        let new = NewEnrolment {
            email: "rowan@example.org".into(),
            name: "Rowan Learner".into(),
            enrolled_on: Some(enrolled_on),
        };
        db.write(|conn| cohorts::enrol(conn, &tutor, &cohort_id, &new, now()))
    };
    assert_eq!(
        fields(enrol(date(2027, 7, 1))),
        [("enrolled_on".into(), "must not be after the cohort ends".into())]
    );
    assert!(enrol(date(2027, 6, 30)).is_ok());
}

fn development_cannot_be_logged_for_the_future(db: &Database) {
    let (admin, _) = setting(db);
    let log = |completed_on, hours| {
        let new = me::NewCpd {
            completed_on,
            hours,
            category: "Ethics".into(),
            title: "Boundaries workshop".into(),
        };
        db.write(|conn| me::log_cpd(conn, &admin, &new, now()))
    };
    assert_eq!(
        fields(log(date(2027, 3, 2), 2.0)),
        [("completed_on".into(), "cannot be in the future".into())]
    );
    assert_eq!(fields(log(date(2027, 2, 1), 0.0))[0].0, "hours");
    let logged = log(date(2027, 3, 1), 1.5).unwrap();
    assert_eq!((logged.minutes, logged.category.as_str()), (90, "ethics"));
}

fn names_must_be_one_line_in_any_script(db: &Database) {
    let (_, cohort_id, tutor) = cohort(db);
    let enrol = |email: &str, name: &str| {
        let new = NewEnrolment {
            email: email.into(),
            name: name.into(),
            enrolled_on: None,
        };
        db.write(|conn| cohorts::enrol(conn, &tutor, &cohort_id, &new, now()))
    };
    for (i, name) in [
        "Rowan\nBcc: someone@example.org",
        "Rowan\u{1b}[2J",
        "Rowan \u{202E}nawoR",
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            fields(enrol(&format!("a{i}@example.org"), name))[0].0,
            "name",
            "{name:?}"
        );
    }
    for (i, name) in [
        "Łukasz Wójcik-Żółć",
        "Σοφία Παπαδοπούλου",
        "فاطمة الزهراء",
        "王小明",
    ]
    .into_iter()
    .enumerate()
    {
        let (_, person) = enrol(&format!("b{i}@example.org"), name).unwrap();
        assert_eq!(person.name.as_deref(), Some(name));
    }
}

fn only_administrators_create_cohorts_and_organisations(db: &Database) {
    let (admin, cohort_id, tutor) = cohort(db);
    let refused = db.write(|conn| organisations::create(conn, &tutor, "SAMH", now()));
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    let organisation = db
        .write(|conn| organisations::create(conn, &admin, "SAMH", now()))
        .unwrap();
    let again = new_cohort(&organisation.id, date(2027, 3, 1), date(2027, 6, 30));
    let refused = db.write(|conn| cohorts::create(conn, &tutor, &again, now()));
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    // A tutor sees their own cohort, and only it.
    let seen = db.read(|conn| cohorts::list(conn, &tutor, None, 50)).unwrap();
    assert_eq!(
        seen.iter().map(|c| c.cohort.id.as_str()).collect::<Vec<_>>(),
        [cohort_id.as_str()]
    );
}

fn a_cohort_is_hidden_from_strangers_and_closed_to_its_learners(db: &Database) {
    let (_, cohort_id, tutor) = cohort(db);
    let new = NewEnrolment {
        email: "rowan@example.org".into(),
        name: "Rowan Learner".into(),
        enrolled_on: None,
    };
    let (_, rowan) = db
        .write(|conn| cohorts::enrol(conn, &tutor, &cohort_id, &new, now()))
        .unwrap();
    let learner = Caller::person(rowan.id.clone(), false, "session");
    let stranger = Caller::person("someone-else", false, "session");
    // The learner may read the cohort, not its list of learners.
    assert!(db.read(|conn| cohorts::get(conn, &learner, &cohort_id)).is_ok());
    let closed = db.read(|conn| cohorts::learners(conn, &learner, &cohort_id));
    assert!(matches!(closed, Err(Error::NotAllowed(_))), "{closed:?}");
    // A stranger may not know it exists.
    let hidden = db.read(|conn| cohorts::get(conn, &stranger, &cohort_id));
    assert!(matches!(hidden, Err(Error::NotFound("cohort"))), "{hidden:?}");
    // Nor may they add a placement for the learner, whether or not the learner exists.
    let placement = |person_id: &str| placements::NewPlacement {
        person_id: person_id.into(),
        organisation_id: "x".into(),
        supervisor_email: "sam@example.org".into(),
        starts_on: date(2027, 3, 1),
        ends_on: None,
        cohort_id: None,
        tutor_may_supervise: false,
    };
    for person_id in [rowan.id.as_str(), "no-such-person"] {
        let refused = db.write(|conn| placements::add(conn, &stranger, &placement(person_id), now()));
        assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    }
}

fn a_register_names_the_learner_who_is_not_enrolled(db: &Database) {
    let (_, cohort_id, tutor) = cohort(db);
    let starts_at = Utc.with_ymd_and_hms(2027, 3, 2, 10, 0, 0).unwrap();
    let new = NewSession {
        title: "Week 1".into(),
        module_code: None,
        starts_at,
        ends_at: starts_at + Duration::hours(2),
    };
    let session = db
        .write(|conn| cohorts::add_session(conn, &tutor, &cohort_id, &new, now()))
        .unwrap();
    let marks = [NewMark {
        person_id: "not-enrolled".into(),
        status: AttendanceStatus::Present,
        note: None,
    }];
    let refused = db.write(|conn| attendance::take(conn, &tutor, &session.id, &marks, None, now()));
    assert!(
        matches!(&refused, Err(Error::NotEnrolled { person_id }) if person_id == "not-enrolled"),
        "{refused:?}"
    );
}

fn the_operator_can_do_what_an_administrator_can(db: &Database) {
    let (_, organisation) = setting(db);
    let (_key, record) = db
        .write(|conn| {
            organisations::create_api_key(conn, &Caller::Operator, &organisation, "HR system", now())
        })
        .unwrap();
    let revoked = db
        .write(|conn| organisations::revoke_api_key(conn, &Caller::Operator, None, &record.id, now()))
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    let unknown = db.write(|conn| organisations::create_api_key(conn, &Caller::Operator, "nope", "x", now()));
    assert!(
        matches!(unknown, Err(Error::NotFound("organisation"))),
        "{unknown:?}"
    );
}

/// A second cohort of the same organisation with its own tutor; its id and the tutor.
fn second_cohort(db: &Database, admin: &Caller, organisation_id: &str) -> (String, Caller) {
    let mut new = new_cohort(organisation_id, date(2027, 1, 1), date(2027, 12, 31));
    new.name = "Fife 2027".into();
    new.tutor_emails = vec!["other.tutor@example.org".into()];
    let cohort = db
        .write(|conn| cohorts::create(conn, admin, &new, now()))
        .unwrap();
    let tutor = Caller::person(cohort.tutors[0].id.clone(), false, "session");
    (cohort.cohort.id, tutor)
}

fn organisation_of(db: &Database, admin: &Caller, cohort_id: &str) -> String {
    db.read(|conn| cohorts::get(conn, admin, cohort_id))
        .unwrap()
        .cohort
        .organisation_id
}

fn enrolment(email: &str, name: &str, enrolled_on: Option<NaiveDate>) -> NewEnrolment {
    NewEnrolment {
        email: email.into(),
        name: name.into(),
        enrolled_on,
    }
}

fn enrolling_someone_tells_a_tutor_nothing_they_did_not_type(db: &Database) {
    let (admin, cohort_id, tutor) = cohort(db);
    let organisation = organisation_of(db, &admin, &cohort_id);
    let (other_cohort, other_tutor) = second_cohort(db, &admin, &organisation);
    db.write(|conn| {
        cohorts::enrol(
            conn,
            &other_tutor,
            &other_cohort,
            &enrolment("aisha@example.org", "Aisha Khan", None),
            now(),
        )
    })
    .unwrap();
    // The first tutor types Aisha's address with another name: the record keeps hers.
    let (_, person) = db
        .write(|conn| {
            cohorts::enrol(
                conn,
                &tutor,
                &cohort_id,
                &enrolment("aisha@example.org", "Whatever", None),
                now(),
            )
        })
        .unwrap();
    assert_eq!(
        person.name.as_deref(),
        Some("Aisha Khan"),
        "the stored name is unchanged"
    );
    // Dates: not before the cohort starts; after it ends, tutors may no longer enrol.
    let early = enrolment("b@example.org", "Bea", Some(date(2027, 2, 1)));
    assert_eq!(
        fields(db.write(|conn| cohorts::enrol(conn, &tutor, &cohort_id, &early, now()))),
        [(
            "enrolled_on".into(),
            "must not be before the cohort starts".into()
        )]
    );
    let after_the_end = Utc.with_ymd_and_hms(2027, 7, 2, 9, 0, 0).unwrap();
    let late = enrolment("c@example.org", "Cal", Some(date(2027, 6, 1)));
    let refused = db.write(|conn| cohorts::enrol(conn, &tutor, &cohort_id, &late, after_the_end));
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    assert!(db
        .write(|conn| cohorts::enrol(conn, &admin, &cohort_id, &late, after_the_end))
        .is_ok());
    // Enrolled before the cohort begins, without a date: from the day they were enrolled.
    let before = Utc.with_ymd_and_hms(2027, 2, 20, 9, 0, 0).unwrap();
    let (early_bird, _) = db
        .write(|conn| {
            cohorts::enrol(
                conn,
                &tutor,
                &cohort_id,
                &enrolment("d@example.org", "Dee", None),
                before,
            )
        })
        .unwrap();
    assert_eq!(early_bird.enrolled_on, date(2027, 2, 20));
}

fn a_tutor_sees_a_learner_only_through_the_cohorts_they_teach(db: &Database) {
    let (admin, cohort_id, tutor) = cohort(db);
    let organisation = organisation_of(db, &admin, &cohort_id);
    let (other_cohort, other_tutor) = second_cohort(db, &admin, &organisation);
    let (_, aisha) = db
        .write(|conn| {
            cohorts::enrol(
                conn,
                &other_tutor,
                &other_cohort,
                &enrolment("aisha@example.org", "Aisha Khan", None),
                now(),
            )
        })
        .unwrap();
    let in_other = placements::NewPlacement {
        person_id: aisha.id.clone(),
        organisation_id: organisation.clone(),
        supervisor_email: "sam@example.org".into(),
        starts_on: date(2027, 2, 1),
        ends_on: None,
        cohort_id: None,
        tutor_may_supervise: false,
    };
    let (placement, _) = db
        .write(|conn| placements::add(conn, &other_tutor, &in_other, now()))
        .unwrap();
    assert_eq!(placement.cohort_id.as_deref(), Some(other_cohort.as_str()));
    // Before the first tutor has Aisha in a cohort, she does not exist for them.
    let unseen = db.read(|conn| people::eligibility(conn, &tutor, &aisha.id, "P2P", now()));
    assert!(matches!(unseen, Err(Error::NotFound("person"))), "{unseen:?}");
    db.write(|conn| {
        cohorts::enrol(
            conn,
            &tutor,
            &cohort_id,
            &enrolment("aisha@example.org", "Aisha", None),
            now(),
        )
    })
    .unwrap();
    // Now they see her record in their cohort, and only there.
    let judged = db
        .read(|conn| people::eligibility(conn, &tutor, &aisha.id, "P2P", now()))
        .unwrap();
    assert_eq!(judged.cohort_id.as_deref(), Some(cohort_id.as_str()));
    let whole = db
        .read(|conn| people::eligibility(conn, &admin, &aisha.id, "P2P", now()))
        .unwrap();
    assert!(whole.cohort_id.is_some());
    // The placement made in the other cohort stays the other cohort's.
    let hidden = db.read(|conn| placements::get(conn, &tutor, &placement.id));
    assert!(matches!(hidden, Err(Error::NotFound("placement"))), "{hidden:?}");
    assert!(db
        .read(|conn| placements::get(conn, &other_tutor, &placement.id))
        .is_ok());
    let supervision = db.read(|conn| placements::supervision_of(conn, &tutor, &placement.id));
    assert!(
        matches!(supervision, Err(Error::NotFound("placement"))),
        "{supervision:?}"
    );
    // Nor may they make a placement within the other cohort.
    let mut theirs = in_other.clone();
    theirs.cohort_id = Some(other_cohort.clone());
    let refused = db.write(|conn| placements::add(conn, &tutor, &theirs, now()));
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    // Within their own cohort they may.
    let (own, _) = db
        .write(|conn| placements::add(conn, &tutor, &in_other, now()))
        .unwrap();
    assert_eq!(own.cohort_id.as_deref(), Some(cohort_id.as_str()));
}

fn a_tutor_cannot_supervise_their_own_learner_unless_an_administrator_allows_it(db: &Database) {
    let (admin, cohort_id, tutor) = cohort(db);
    let organisation = organisation_of(db, &admin, &cohort_id);
    let (_, rowan) = db
        .write(|conn| {
            cohorts::enrol(
                conn,
                &tutor,
                &cohort_id,
                &enrolment("rowan@example.org", "Rowan", None),
                now(),
            )
        })
        .unwrap();
    let supervised_by_the_tutor = placements::NewPlacement {
        person_id: rowan.id.clone(),
        organisation_id: organisation,
        supervisor_email: "tutor@example.org".into(),
        starts_on: date(2027, 3, 1),
        ends_on: None,
        cohort_id: None,
        tutor_may_supervise: false,
    };
    for caller in [&tutor, &admin] {
        let refused = db.write(|conn| placements::add(conn, caller, &supervised_by_the_tutor, now()));
        assert_eq!(fields(refused)[0].0, "supervisor_email");
    }
    let mut allowed = supervised_by_the_tutor.clone();
    allowed.tutor_may_supervise = true;
    let refused = db.write(|conn| placements::add(conn, &tutor, &allowed, now()));
    assert!(matches!(refused, Err(Error::NotAllowed(_))), "{refused:?}");
    let (placement, _) = db
        .write(|conn| placements::add(conn, &admin, &allowed, now()))
        .unwrap();
    assert_eq!(
        placement.tutor_supervision_allowed_by.as_deref(),
        admin.person_id()
    );
}
