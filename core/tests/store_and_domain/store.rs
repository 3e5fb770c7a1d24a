//! The store on both backends: every public store function against a fresh database built from
//! the real migrations, once on SQLite and once on PostgreSQL (when
//! `PEERTRACK_TEST_POSTGRES_URL` names a server; otherwise the PostgreSQL half prints SKIPPED).

use std::collections::BTreeSet;
use std::sync::Barrier;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use peertrack_core::domain::{
    AssessmentOutcome, AttendanceRate, AttendanceStatus, CertificateStatus, CpdEntry, EnrolmentStatus,
    SupervisionFormat, VerifiedSupervision,
};
use peertrack_core::seed;
use peertrack_core::store::assessments::{self, AssessmentInput};
use peertrack_core::store::attendance::{self, NewMark as RegisterEntry};
use peertrack_core::store::audit::{self, Actor};
use peertrack_core::store::certificates::{self, NewCertificate};
use peertrack_core::store::cohorts::{self, Cohort, Session};
use peertrack_core::store::consents;
use peertrack_core::store::cpd::{self, CpdRecord};
use peertrack_core::store::organisations::{self, Organisation};
use peertrack_core::store::outbox::{self, NewMessage};
use peertrack_core::store::people::{self, Person};
use peertrack_core::store::placements::{self, Placement, PracticeTime, SupervisionSession};
use peertrack_core::store::programmes::{self, ProgrammeVersion, Published};
use peertrack_core::store::tokens::{self, TokenPurpose};
use peertrack_core::store::{new_id, schema, stored, utc, Database, DbConnection};
use peertrack_core::{Error, Result};

peertrack_core::on_both_backends!(
    organisations_are_listed_by_name_and_names_are_unique,
    people_are_found_by_their_email_in_any_case,
    signing_up_twice_at_once_makes_one_person,
    seeding_publishes_each_programme_once,
    published_versions_never_change_and_cohorts_keep_theirs,
    cohorts_are_visible_to_their_tutors_and_learners,
    sessions_page_in_time_order,
    enrolling_twice_is_a_conflict,
    erased_people_are_listed_last_on_both_backends,
    enrolments_are_found_across_programme_versions,
    replacing_a_register_versions_each_mark,
    a_register_refuses_people_not_enrolled_and_duplicates,
    two_tutors_saving_one_register_at_once,
    without_if_match_the_last_register_wins_and_every_save_is_audited,
    assessing_a_module_twice_at_once_without_if_match_keeps_the_last,
    register_look_ups_are_one_row_per_answer_and_spread_once_into_each_log,
    once_requests_pause_the_writer_spreads_what_waits_batch_after_batch,
    a_register_page_holds_whole_people_and_ends_at_its_limit,
    held_sessions_give_the_attendance_rate,
    assessments_are_versioned,
    assessing_a_module_twice_at_once_keeps_one_assessment,
    modules_needing_verification_count_only_once_verified,
    only_verified_supervision_counts,
    practice_counts_only_once_verified,
    continuing_development_is_listed_by_date,
    certificate_numbers_run_per_programme_and_year,
    verification_codes_are_readable_and_found_as_typed,
    certificates_are_revoked_once_and_renewed_with_history,
    concurrent_issuing_gives_distinct_sequential_numbers,
    every_certificate_gets_its_own_status_entry_and_revocation_sets_its_bit,
    consent_is_current_once_and_keeps_its_history,
    granting_twice_at_once_keeps_one_consent,
    tokens_are_stored_hashed_and_refused_once_spent,
    a_sign_in_link_is_used_once_under_concurrency,
    api_keys_are_stored_hashed_and_revocable,
    the_audit_trail_lists_changes_in_order,
    the_outbox_queues_each_key_once,
    a_failed_write_leaves_nothing_behind,
    async_reads_and_writes_see_the_same_database,
);

// ---------------------------------------------------------------------------------------------
// Helpers

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn at(y: i32, m: u32, d: u32, hour: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(hour, 0, 0).expect("a real time")
}

/// The moment most writes in these tests happen.
fn now() -> NaiveDateTime {
    at(2027, 3, 1, 9)
}

/// Runs `work` in one transaction and fails the test if it fails.
#[track_caller]
fn ok<T>(db: &Database, work: impl FnOnce(&mut DbConnection) -> Result<T>) -> T {
    match db.write(work) {
        Ok(value) => value,
        Err(error) => panic!("the store call failed: {error:?}"),
    }
}

/// Runs `work` in one transaction and returns the error it must fail with.
#[track_caller]
fn refused<T: std::fmt::Debug>(db: &Database, work: impl FnOnce(&mut DbConnection) -> Result<T>) -> Error {
    match db.write(work) {
        Ok(value) => panic!("the store call should have failed, but returned {value:?}"),
        Err(error) => error,
    }
}

/// Runs `work(i)` for `i` in `0..count` on threads that start together; returns the results.
fn at_once<T: Send>(count: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(count);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..count)
            .map(|i| {
                let (start, work) = (&start, &work);
                scope.spawn(move || {
                    start.wait();
                    work(i)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("the thread ran"))
            .collect()
    })
}

/// The field an `Error::Invalid` names; fails the test for any other error.
#[track_caller]
fn invalid_field(error: Error) -> String {
    match error {
        Error::Invalid(errors) => errors[0].field.clone(),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn person(db: &Database, email: &str, name: &str) -> Person {
    ok(db, |c| people::find_or_create(c, email, name, now())).0
}

fn organisation(db: &Database, name: &str) -> Organisation {
    ok(db, |c| organisations::create(c, name, now()))
}

/// Seeds the shipped programmes (a no-op after the first time) and returns one by code.
fn programme(db: &Database, code: &str) -> ProgrammeVersion {
    ok(db, |c| seed::seed_programmes(c, now()));
    ok(db, |c| programmes::current(c, code))
}

fn new_cohort(
    db: &Database,
    programme: &ProgrammeVersion,
    organisation: &Organisation,
    name: &str,
    tutors: &[&Person],
) -> Cohort {
    let cohort = Cohort {
        id: new_id(),
        programme_version_id: programme.version_id.clone(),
        organisation_id: organisation.id.clone(),
        name: name.to_string(),
        starts_on: date(2027, 3, 1),
        ends_on: date(2027, 4, 26),
        created_at: now(),
    };
    let tutor_ids: Vec<String> = tutors.iter().map(|t| t.id.clone()).collect();
    ok(db, |c| cohorts::create(c, &cohort, &tutor_ids));
    cohort
}

fn new_session(db: &Database, cohort: &Cohort, title: &str, starts_at: NaiveDateTime) -> Session {
    let session = Session {
        id: new_id(),
        cohort_id: cohort.id.clone(),
        module_code: None,
        title: title.to_string(),
        starts_at,
        ends_at: starts_at + Duration::hours(3),
        register_version: 0,
        created_at: now(),
        cancelled_at: None,
        cancel_reason: None,
    };
    ok(db, |c| cohorts::add_session(c, &session));
    session
}

fn enrol(db: &Database, cohort: &Cohort, learner: &Person, on: NaiveDate) -> cohorts::Enrolment {
    ok(db, |c| cohorts::enrol(c, &cohort.id, &learner.id, on, now()))
}

/// A cohort of `code` at a Dundee provider, with one tutor and one enrolled learner.
struct Course {
    organisation: Organisation,
    tutor: Person,
    learner: Person,
    programme: ProgrammeVersion,
    cohort: Cohort,
}

fn course(db: &Database, code: &str) -> Course {
    let programme = programme(db, code);
    let organisation = organisation(db, &format!("Making Recovery Real ({code})"));
    let tutor = person(db, &format!("tutor.{code}@example.org"), "Morag Tutor");
    let learner = person(db, &format!("learner.{code}@example.org"), "Jamie Learner");
    let cohort = new_cohort(db, &programme, &organisation, "Dundee spring 2027", &[&tutor]);
    enrol(db, &cohort, &learner, cohort.starts_on);
    Course {
        organisation,
        tutor,
        learner,
        programme,
        cohort,
    }
}

fn mark(person: &Person, status: AttendanceStatus) -> RegisterEntry {
    RegisterEntry {
        person_id: person.id.clone(),
        status,
        note: None,
    }
}

fn new_certificate(
    holder: &Person,
    programme: &ProgrammeVersion,
    issued_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    issued_by: &Person,
) -> NewCertificate {
    NewCertificate {
        person_id: holder.id.clone(),
        holder_name: holder.display_name().to_string(),
        programme_id: programme.programme_id.clone(),
        programme_code: programme.definition.code.clone(),
        programme_version_id: programme.version_id.clone(),
        cohort_id: None,
        issued_on,
        expires_on,
        issued_by: issued_by.id.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations and people

fn register_look_ups_are_one_row_per_answer_and_spread_once_into_each_log(db: &Database) {
    use peertrack_core::store::register::{self, LookUp};
    let partner = organisation(db, "Penumbra HR");
    let (_, key) = ok(db, |c| tokens::create_api_key(c, &partner.id, "HR system", now()));
    let people: Vec<Person> = (0..6)
        .map(|i| person(db, &format!("peer{i}@example.org"), &format!("Peer {i}")))
        .collect();
    let answers: Vec<LookUp> = (0..30)
        .map(|i| LookUp {
            person_ids: people[i % 3..i % 3 + 3].iter().map(|p| p.id.clone()).collect(),
            organisation_id: partner.id.clone(),
            api_key_id: key.id.clone(),
            endpoint: "register.search",
            at: now() + Duration::seconds(i as i64),
        })
        .collect();
    ok(db, |c| register::record_look_ups(c, &answers));
    let waiting: i64 = ok(db, |c| {
        Ok(schema::access_log_pending::table.count().get_result(c)?)
    });
    assert_eq!(
        waiting, 30,
        "one row per answer, whatever the number of people shown"
    );

    // Several spreaders at once (several instances on PostgreSQL): each look-up lands once.
    let moved: usize = at_once(3, |_| {
        db.write(|c| register::spread_pending_look_ups(c, 7)).unwrap()
            + db.write(register::spread_all_pending_look_ups).unwrap()
    })
    .into_iter()
    .sum();
    assert_eq!(moved, 30);
    let logged: i64 = ok(db, |c| Ok(schema::access_log::table.count().get_result(c)?));
    assert_eq!(logged, 90, "30 answers of 3 people each");
    let first = ok(db, |c| register::access_log_of(c, &people[0].id, None, 100));
    assert_eq!(first.len(), 10, "people[0] was in every third answer");
    assert!(
        first.windows(2).all(|w| w[0].accessed_at > w[1].accessed_at),
        "newest first"
    );

    // A reader never misses a look-up that is still waiting to be spread.
    ok(db, |c| register::record_look_ups(c, &answers[..1]));
    let seen = ok(db, |c| {
        peertrack_core::service::personal_data::access_log_of(c, &people[0].id, None, 100)
    });
    assert_eq!(seen.len(), 11);
}

/// A peer worker who shares with a partner, and look-ups of them by its HR system: the `i`th
/// one `i` ms from now.
fn one_peer_worker_looked_up(
    db: &Database,
) -> (Person, impl Fn(i64) -> peertrack_core::store::register::LookUp) {
    let partner = organisation(db, "Penumbra HR");
    let (_, key) = ok(db, |c| tokens::create_api_key(c, &partner.id, "HR system", now()));
    let worker = person(db, "peer@example.org", "Peer Worker");
    let worker_id = worker.id.clone();
    let look_up = move |i: i64| peertrack_core::store::register::LookUp {
        person_ids: vec![worker_id.clone()],
        organisation_id: partner.id.clone(),
        api_key_id: key.id.clone(),
        endpoint: "register.search",
        at: now() + Duration::milliseconds(i),
    };
    (worker, look_up)
}

fn once_requests_pause_the_writer_spreads_what_waits_batch_after_batch(db: &Database) {
    use peertrack_core::store::register;
    let (worker, look_up) = one_peer_worker_looked_up(db);
    // What a busy spell leaves waiting: 4,000 answers, 200 of the writer's batches of 20.
    let waiting: Vec<_> = (0..4_000).map(&look_up).collect();
    ok(db, |c| register::record_look_ups(c, &waiting));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // One more answer through the writer starts it; then requests pause.
    let started = std::time::Instant::now();
    runtime
        .block_on(db.record_look_ups(vec![look_up(4_000)]))
        .expect("the look-up is committed");
    // Read, not written: the writer rests between batches while others write.
    let unspread = || -> i64 {
        db.read(|c| Ok(schema::access_log_pending::table.count().get_result(c)?))
            .expect("a count")
    };
    // Were the writer to wait for a pause (20 ms) before each batch, as it once did, the 201
    // batches would take at least 4 s; batch after batch, they take a small part of that.
    while unspread() > 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{} answers still wait to be spread after 2 s without a request",
            unspread()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logged = db
        .read(|c| register::access_log_of(c, &worker.id, None, 10_000))
        .expect("the log");
    assert_eq!(logged.len(), 4_001, "every look-up in the log, once");
    db.stop_background_writes();
}

fn a_register_page_holds_whole_people_and_ends_at_its_limit(db: &Database) {
    use peertrack_core::service::register::{search, Partner};
    let p2p = programme(db, "P2P");
    let pda = programme(db, "PDA-MHPS");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let partner = organisation(db, "Partner HR");
    let elsewhere = organisation(db, "Elsewhere");
    let on = date(2027, 9, 1);
    let issue = |holder: &Person, programme: &ProgrammeVersion, issued_on, expires_on| {
        let new = new_certificate(holder, programme, issued_on, expires_on, &admin);
        ok(db, |c| certificates::issue(c, &new, now()))
    };
    // What the partner should see on `on`: each person's valid certificates in order of issue.
    let mut expected: std::collections::BTreeMap<String, Vec<(NaiveDate, String)>> = Default::default();
    for n in 1..=9 {
        let worker = person(db, &format!("worker{n}@example.org"), &format!("Worker {n}"));
        let shares = n != 4;
        ok(db, |c| {
            consents::grant(
                c,
                &worker.id,
                if shares { &partner.id } else { &elsewhere.id },
                now(),
            )
        });
        let mut valid = Vec::new();
        match n {
            3 => {
                issue(&worker, &p2p, date(2025, 6, 1), Some(date(2027, 6, 1)));
            }
            5 => {
                let revoked = issue(&worker, &p2p, date(2026, 1, 5), None);
                ok(db, |c| {
                    certificates::revoke(c, &revoked.id, "issued in error", now())
                });
                valid.push(issue(&worker, &pda, date(2026, 2, 1), None));
            }
            1 | 6 => {
                // Two valid certificates, the later-numbered one issued first.
                let later = issue(&worker, &p2p, date(2027, 1, 10), None);
                let earlier = issue(&worker, &pda, date(2026, 12, 1), Some(date(2029, 12, 1)));
                valid.extend([earlier, later]);
                if n == 6 {
                    issue(&worker, &p2p, date(2024, 1, 1), Some(date(2026, 1, 1)));
                }
            }
            _ => valid.push(issue(&worker, &p2p, date(2026, 6, 1), Some(date(2028, 6, 1)))),
        }
        if shares && !valid.is_empty() {
            expected.insert(
                worker.id.clone(),
                valid.into_iter().map(|c| (c.issued_on, c.id)).collect(),
            );
        }
    }
    let them = Partner {
        organisation_id: partner.id.clone(),
        api_key_id: "key".into(),
    };
    let read_all = |programme_id: Option<&str>, limit: i64| {
        let mut seen: Vec<(String, Vec<(NaiveDate, String)>)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = ok(db, |c| {
                search(c, &them, programme_id, on, after.as_deref(), limit)
            });
            assert!(
                page.entries.len() as i64 <= limit,
                "a page of {limit} held {}",
                page.entries.len()
            );
            seen.extend(page.entries.into_iter().map(|e| {
                let certificates = e.certificates.into_iter().map(|c| (c.issued_on, c.id)).collect();
                (e.person_id, certificates)
            }));
            match page.next_after {
                Some(next) => after = Some(next),
                None => return seen,
            }
        }
    };
    let everyone: Vec<_> = expected.clone().into_iter().collect();
    assert_eq!(everyone.len(), 7);
    for limit in [1, 2, 3, 7, 50] {
        assert_eq!(read_all(None, limit), everyone, "pages of {limit}");
    }
    // A full last page says there is no more.
    let all = ok(db, |c| search(c, &them, None, on, None, 7));
    assert_eq!(all.entries.len(), 7);
    assert_eq!(all.next_after, None);

    let only_pda: Vec<_> = everyone
        .iter()
        .filter_map(|(id, certificates)| {
            let pda_ones: Vec<_> = certificates
                .iter()
                .filter(|(issued_on, _)| *issued_on == date(2026, 12, 1) || *issued_on == date(2026, 2, 1))
                .cloned()
                .collect();
            (!pda_ones.is_empty()).then(|| (id.clone(), pda_ones))
        })
        .collect();
    assert_eq!(only_pda.len(), 3);
    for limit in [1, 2, 50] {
        assert_eq!(
            read_all(Some(&pda.programme_id), limit),
            only_pda,
            "PDA pages of {limit}"
        );
    }
}

fn organisations_are_listed_by_name_and_names_are_unique(db: &Database) {
    let samh = organisation(db, "SAMH");
    let penumbra = organisation(db, "  Penumbra ");
    organisation(db, "Hearing Voices Network");
    assert_eq!(penumbra.name, "Penumbra", "names are stored trimmed");
    assert_eq!(ok(db, |c| organisations::get(c, &samh.id)), samh);

    let names = |list: Vec<Organisation>| list.into_iter().map(|o| o.name).collect::<Vec<_>>();
    assert_eq!(
        names(ok(db, |c| organisations::list(c, None, 10))),
        ["Hearing Voices Network", "Penumbra", "SAMH"]
    );
    assert_eq!(
        names(ok(db, |c| organisations::list(c, None, 2))),
        ["Hearing Voices Network", "Penumbra"]
    );
    assert_eq!(
        names(ok(db, |c| organisations::list(c, Some("Penumbra"), 2))),
        ["SAMH"]
    );

    let duplicate = refused(db, |c| organisations::create(c, "SAMH ", now()));
    assert!(
        matches!(&duplicate, Error::Conflict(message) if message.contains("SAMH")),
        "{duplicate:?}"
    );
    assert_eq!(ok(db, |c| organisations::list(c, None, 10)).len(), 3);
    assert!(matches!(
        refused(db, |c| organisations::get(c, "no-such-organisation")),
        Error::NotFound("organisation")
    ));
}

fn people_are_found_by_their_email_in_any_case(db: &Database) {
    let (ana, created) = ok(db, |c| {
        people::find_or_create(c, "  Ana.Reid@Example.ORG ", " Ana Reid ", now())
    });
    assert!(created);
    assert_eq!(ana.email.as_deref(), Some("ana.reid@example.org"));
    assert_eq!(ana.name.as_deref(), Some("Ana Reid"));
    assert_eq!(ana.display_name(), "Ana Reid");
    assert!(!ana.is_admin);
    assert!(ana.reminders_enabled);

    let (again, created) = ok(db, |c| {
        people::find_or_create(c, "ANA.REID@example.org", "Someone Else", now())
    });
    assert!(!created, "the same address in another case is the same person");
    assert_eq!(again, ana, "an existing person keeps their name");
    assert_eq!(
        ok(db, |c| people::by_email(c, "ana.reid@EXAMPLE.org")),
        Some(ana.clone())
    );
    assert_eq!(ok(db, |c| people::by_email(c, "nobody@example.org")), None);
    assert_eq!(ok(db, |c| people::get(c, &ana.id)), ana);

    let no_email = refused(db, |c| people::find_or_create(c, "   ", "No Address", now()));
    assert_eq!(invalid_field(no_email), "email");

    ok(db, |c| people::set_admin(c, &ana.id, true));
    ok(db, |c| people::set_reminders(c, &ana.id, false));
    let changed = ok(db, |c| people::get(c, &ana.id));
    assert!(changed.is_admin);
    assert!(!changed.reminders_enabled);
    ok(db, |c| people::set_admin(c, &ana.id, false));
    assert!(!ok(db, |c| people::get(c, &ana.id)).is_admin);

    for error in [
        refused(db, |c| people::get(c, "no-such-person")),
        refused(db, |c| people::set_admin(c, "no-such-person", true)),
        refused(db, |c| people::set_reminders(c, "no-such-person", true)),
    ] {
        assert!(matches!(error, Error::NotFound("person")), "{error:?}");
    }
}

fn signing_up_twice_at_once_makes_one_person(db: &Database) {
    for attempt in 0..3 {
        let email = format!("new.learner{attempt}@example.org");
        let outcomes = at_once(4, |_| {
            db.write(|c| people::find_or_create(c, &email, "New Learner", now()))
                .expect("both requests find the person")
        });
        let created = outcomes.iter().filter(|(_, created)| *created).count();
        assert_eq!(created, 1, "one request creates, the others find: {outcomes:?}");
        let ids: BTreeSet<&str> = outcomes.iter().map(|(p, _)| p.id.as_str()).collect();
        assert_eq!(ids.len(), 1, "everyone gets the same person");
    }
}

// ---------------------------------------------------------------------------------------------
// Programmes

fn seeding_publishes_each_programme_once(db: &Database) {
    let first = ok(db, |c| seed::seed_programmes(c, now()));
    assert_eq!(
        first,
        [
            ("P2P".to_string(), Published::NewProgramme),
            ("PDA-MHPS".to_string(), Published::NewProgramme),
        ]
    );
    let second = ok(db, |c| seed::seed_programmes(c, now() + Duration::days(1)));
    assert_eq!(
        second,
        [
            ("P2P".to_string(), Published::Unchanged),
            ("PDA-MHPS".to_string(), Published::Unchanged),
        ]
    );

    let current = ok(db, programmes::list_current);
    let definitions: Vec<_> = current.iter().map(|v| v.definition.clone()).collect();
    assert_eq!(
        definitions,
        seed::seeded_definitions().expect("the seeded files read")
    );
    assert!(current.iter().all(|v| v.published_at == now()));

    let p2p = ok(db, |c| programmes::current(c, "P2P"));
    assert_eq!(p2p, current[0]);
    assert_eq!(p2p.definition.version, 1);
    assert_eq!(ok(db, |c| programmes::version(c, &p2p.version_id)), p2p);
    let pda = ok(db, |c| programmes::current(c, "PDA-MHPS"));
    assert_eq!(pda.definition.credits, Some(16));
    assert!(
        pda.definition.modules.iter().all(|m| m.requires_verification),
        "both PDA units need internal verification"
    );

    assert!(matches!(
        refused(db, |c| programmes::current(c, "NO-SUCH")),
        Error::NotFound("programme")
    ));
    assert!(matches!(
        refused(db, |c| programmes::version(c, "no-such-version")),
        Error::NotFound("programme version")
    ));
}

fn published_versions_never_change_and_cohorts_keep_theirs(db: &Database) {
    let course = course(db, "P2P");
    let first = course.programme.clone();

    let mut edited = first.definition.clone();
    edited.title = "Peer2Peer (2028 edition)".to_string();
    edited.rule.min_attendance_percent = Some(75);
    let clash = refused(db, |c| {
        programmes::publish(c, &edited, now() + Duration::days(30))
    });
    assert!(
        matches!(&clash, Error::Conflict(message) if message.contains("raise the version")),
        "{clash:?}"
    );
    assert_eq!(ok(db, |c| programmes::current(c, "P2P")), first);

    edited.version = 2;
    let later = now() + Duration::days(31);
    assert_eq!(
        ok(db, |c| programmes::publish(c, &edited, later)),
        Published::NewVersion
    );
    assert_eq!(
        ok(db, |c| programmes::publish(c, &edited, later)),
        Published::Unchanged
    );
    let second = ok(db, |c| programmes::current(c, "P2P"));
    assert_eq!(second.definition, edited);
    assert_eq!(second.programme_id, first.programme_id);
    assert_ne!(second.version_id, first.version_id);
    assert_eq!(second.published_at, later);

    // Learners already in a cohort stay on the version they started.
    let cohort = ok(db, |c| cohorts::get(c, &course.cohort.id));
    assert_eq!(cohort.programme_version_id, first.version_id);
    assert_eq!(
        ok(db, |c| programmes::version(c, &cohort.programme_version_id)),
        first
    );

    // The seed file (version 1) does not bring the old version back.
    let reseeded = ok(db, |c| seed::seed_programmes(c, later));
    assert!(reseeded.contains(&("P2P".to_string(), Published::Unchanged)));
    assert_eq!(ok(db, |c| programmes::current(c, "P2P")), second);
    let listed = ok(db, programmes::list_current);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], second);

    let mut broken = edited.clone();
    broken.version = 3;
    broken.modules.clear();
    let error = refused(db, |c| programmes::publish(c, &broken, later));
    assert_eq!(invalid_field(error), "definition");
    assert_eq!(ok(db, |c| programmes::current(c, "P2P")), second);
}

// ---------------------------------------------------------------------------------------------
// Cohorts, sessions and enrolments

fn cohorts_are_visible_to_their_tutors_and_learners(db: &Database) {
    let p2p = programme(db, "P2P");
    let provider = organisation(db, "Making Recovery Real");
    let morag = person(db, "morag@example.org", "Morag Tutor");
    let alex = person(db, "alex@example.org", "Alex Tutor");
    let jamie = person(db, "jamie@example.org", "Jamie Learner");
    let stranger = person(db, "stranger@example.org", "Sam Stranger");

    // Naming a tutor twice makes them a tutor once.
    let spring = new_cohort(db, &p2p, &provider, "Spring", &[&morag, &alex, &morag]);
    let autumn = new_cohort(db, &p2p, &provider, "Autumn", &[&alex]);
    enrol(db, &autumn, &jamie, date(2027, 3, 1));

    assert_eq!(ok(db, |c| cohorts::get(c, &spring.id)), spring);
    assert!(ok(db, |c| cohorts::is_tutor(c, &spring.id, &morag.id)));
    assert!(!ok(db, |c| cohorts::is_tutor(c, &autumn.id, &morag.id)));
    assert!(!ok(db, |c| cohorts::is_tutor(c, &autumn.id, &jamie.id)));
    let tutor_names: Vec<String> = ok(db, |c| cohorts::tutors(c, &spring.id))
        .iter()
        .map(|p| p.display_name().to_string())
        .collect();
    assert_eq!(tutor_names, ["Alex Tutor", "Morag Tutor"]);
    ok(db, |c| cohorts::add_tutor(c, &spring.id, &alex.id));
    assert_eq!(ok(db, |c| cohorts::tutors(c, &spring.id)).len(), 2);

    assert!(ok(db, |c| cohorts::tutors_learner(c, &alex.id, &jamie.id)));
    assert!(!ok(db, |c| cohorts::tutors_learner(c, &morag.id, &jamie.id)));

    let mut both = vec![spring.clone(), autumn.clone()];
    both.sort_by(|a, b| a.id.cmp(&b.id));
    let visible = |who: Option<&str>| ok(db, |c| cohorts::list(c, who, None, 10));
    assert_eq!(visible(None), both);
    assert_eq!(visible(Some(alex.id.as_str())), both);
    assert_eq!(visible(Some(morag.id.as_str())), std::slice::from_ref(&spring));
    assert_eq!(visible(Some(jamie.id.as_str())), std::slice::from_ref(&autumn));
    assert!(visible(Some(stranger.id.as_str())).is_empty());

    let page = ok(db, |c| cohorts::list(c, None, None, 1));
    assert_eq!(page, [both[0].clone()]);
    let page = ok(db, |c| cohorts::list(c, None, Some(both[0].id.as_str()), 1));
    assert_eq!(page, [both[1].clone()]);
    assert!(ok(db, |c| cohorts::list(c, None, Some(both[1].id.as_str()), 1)).is_empty());

    let backwards = Cohort {
        id: new_id(),
        name: "Backwards".to_string(),
        starts_on: date(2027, 5, 1),
        ends_on: date(2027, 4, 30),
        ..spring.clone()
    };
    let error = refused(db, |c| {
        cohorts::create(c, &backwards, std::slice::from_ref(&morag.id))
    });
    assert_eq!(invalid_field(error), "ends_on");
    assert!(matches!(
        refused(db, |c| cohorts::get(c, &backwards.id)),
        Error::NotFound("cohort")
    ));
    let one_day = Cohort {
        id: new_id(),
        name: "Taster day".to_string(),
        ends_on: spring.starts_on,
        ..spring.clone()
    };
    ok(db, |c| cohorts::create(c, &one_day, &[]));
    assert_eq!(ok(db, |c| cohorts::list(c, None, None, 10)).len(), 3);
}

fn sessions_page_in_time_order(db: &Database) {
    let course = course(db, "P2P");
    let other = new_cohort(
        db,
        &course.programme,
        &course.organisation,
        "Other",
        &[&course.tutor],
    );
    new_session(db, &other, "Not this cohort", at(2027, 3, 2, 10));

    let mut expected = vec![
        new_session(db, &course.cohort, "Week 3", at(2027, 3, 15, 10)),
        new_session(db, &course.cohort, "Week 1", at(2027, 3, 1, 10)),
        new_session(db, &course.cohort, "Week 2 a", at(2027, 3, 8, 10)),
        new_session(db, &course.cohort, "Week 2 b", at(2027, 3, 8, 10)),
        new_session(db, &course.cohort, "Week 2 afternoon", at(2027, 3, 8, 14)),
    ];
    expected.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = ok(db, |c| cohorts::sessions(c, &course.cohort.id, after, 2));
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some((last.starts_at, last.id.clone()));
        seen.extend(page);
    }
    assert_eq!(seen, expected, "every session once, in (starts_at, id) order");

    let first = &expected[0];
    assert_eq!(ok(db, |c| cohorts::session(c, &first.id)), *first);
    assert_eq!(first.register_version, 0);
    assert!(matches!(
        refused(db, |c| cohorts::session(c, "no-such-session")),
        Error::NotFound("session")
    ));

    let empty = Session {
        id: new_id(),
        ends_at: first.starts_at,
        ..first.clone()
    };
    assert_eq!(
        invalid_field(refused(db, |c| cohorts::add_session(c, &empty))),
        "ends_at"
    );
    assert_eq!(
        ok(db, |c| cohorts::sessions(c, &course.cohort.id, None, 100)).len(),
        5
    );
}

fn enrolling_twice_is_a_conflict(db: &Database) {
    let course = course(db, "P2P");
    let aileen = person(db, "aileen@example.org", "Aileen Learner");
    let enrolment = enrol(db, &course.cohort, &aileen, date(2027, 3, 8));
    assert_eq!(
        enrolment.status().expect("a known status"),
        EnrolmentStatus::Active
    );
    assert_eq!(enrolment.enrolled_on, date(2027, 3, 8));

    let again = refused(db, |c| {
        cohorts::enrol(c, &course.cohort.id, &aileen.id, date(2027, 3, 9), now())
    });
    assert!(matches!(again, Error::Conflict(_)), "{again:?}");
    assert_eq!(
        ok(db, |c| cohorts::enrolment_of(c, &course.cohort.id, &aileen.id)),
        Some(enrolment.clone())
    );
    assert_eq!(
        ok(db, |c| cohorts::enrolment_of(
            c,
            &course.cohort.id,
            &course.tutor.id
        )),
        None
    );

    let learners = ok(db, |c| cohorts::learners(c, &course.cohort.id));
    let names: Vec<&str> = learners.iter().map(|(_, p)| p.display_name()).collect();
    assert_eq!(names, ["Aileen Learner", "Jamie Learner"]);
    assert_eq!(learners[0].0, enrolment);

    let earlier = new_cohort(
        db,
        &course.programme,
        &course.organisation,
        "Winter",
        &[&course.tutor],
    );
    let winter = enrol(db, &earlier, &aileen, date(2027, 1, 11));
    assert_eq!(
        ok(db, |c| cohorts::enrolments_of_person(c, &aileen.id)),
        [winter, enrolment]
    );
}

fn erased_people_are_listed_last_on_both_backends(db: &Database) {
    let course = course(db, "P2P");
    let co_tutor = person(db, "co.tutor@example.org", "Alex Co-tutor");
    ok(db, |c| cohorts::add_tutor(c, &course.cohort.id, &co_tutor.id));
    let aileen = person(db, "aileen@example.org", "Aileen Learner");
    enrol(db, &course.cohort, &aileen, course.cohort.starts_on);
    // Erasure keeps the rows and empties the personal details.
    for erased in [&co_tutor, &aileen] {
        ok(db, |c| {
            diesel::update(schema::people::table.find(&erased.id))
                .set((
                    schema::people::name.eq(None::<String>),
                    schema::people::email.eq(None::<String>),
                    schema::people::erased_at.eq(Some(now())),
                ))
                .execute(c)?;
            Ok(())
        });
    }
    let tutors: Vec<String> = ok(db, |c| cohorts::tutors(c, &course.cohort.id))
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(tutors, [course.tutor.id.clone(), co_tutor.id.clone()]);
    let learners: Vec<String> = ok(db, |c| cohorts::learners(c, &course.cohort.id))
        .into_iter()
        .map(|(_, p)| p.id)
        .collect();
    assert_eq!(learners, [course.learner.id.clone(), aileen.id.clone()]);
    let erased = ok(db, |c| people::get(c, &aileen.id));
    assert_eq!(erased.display_name(), "(details withheld)");
}

fn enrolments_are_found_across_programme_versions(db: &Database) {
    let course = course(db, "P2P");
    let mut next = course.programme.definition.clone();
    next.version = 2;
    next.title = "Peer2Peer (2028 edition)".to_string();
    ok(db, |c| programmes::publish(c, &next, now()));
    let second = ok(db, |c| programmes::current(c, "P2P"));
    let pda = programme(db, "PDA-MHPS");
    let next_year = new_cohort(db, &second, &course.organisation, "Dundee 2028", &[&course.tutor]);
    let accredited = new_cohort(db, &pda, &course.organisation, "PDA 2027", &[&course.tutor]);
    enrol(db, &next_year, &course.learner, next_year.starts_on);
    enrol(db, &accredited, &course.learner, accredited.starts_on);

    let mut found: Vec<String> = ok(db, |c| {
        cohorts::enrolments_in_programme(c, &course.learner.id, &course.programme.programme_id)
    })
    .into_iter()
    .map(|(enrolment, cohort)| {
        assert_eq!(enrolment.cohort_id, cohort.id);
        assert_eq!(enrolment.person_id, course.learner.id);
        cohort.id
    })
    .collect();
    found.sort();
    let mut expected = vec![course.cohort.id.clone(), next_year.id.clone()];
    expected.sort();
    assert_eq!(found, expected, "both Peer2Peer versions, not the PDA");
    assert!(ok(db, |c| {
        cohorts::enrolments_in_programme(c, &course.tutor.id, &course.programme.programme_id)
    })
    .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Attendance registers

/// A register saved as the services save one: the session read and locked, its marks read,
/// then replaced; the register as it then stands.
fn replace_register(
    conn: &mut DbConnection,
    session_id: &str,
    entries: &[RegisterEntry],
    expected_version: Option<i32>,
    recorded_by: &str,
    now: NaiveDateTime,
) -> peertrack_core::Result<attendance::Sheet> {
    let session = attendance::locked_session(conn, session_id)?;
    let existing = attendance::records(conn, session_id)?;
    attendance::replace(
        conn,
        &session,
        &existing,
        entries,
        expected_version,
        recorded_by,
        now,
    )?;
    attendance::sheet(conn, session_id)
}

fn replacing_a_register_versions_each_mark(db: &Database) {
    let course = course(db, "P2P");
    let co_tutor = person(db, "co.tutor@example.org", "Alex Co-tutor");
    let jamie = course.learner.clone();
    let aileen = person(db, "aileen@example.org", "Aileen Learner");
    let bea = person(db, "bea@example.org", "Bea Learner");
    enrol(db, &course.cohort, &aileen, course.cohort.starts_on);
    enrol(db, &course.cohort, &bea, course.cohort.starts_on);
    let session = new_session(db, &course.cohort, "Week 1", at(2027, 3, 1, 10));

    let empty = ok(db, |c| attendance::sheet(c, &session.id));
    assert_eq!((empty.version, empty.records.len()), (0, 0));

    let t1 = at(2027, 3, 1, 13);
    let bus = RegisterEntry {
        note: Some("bus was late".to_string()),
        ..mark(&aileen, AttendanceStatus::Late)
    };
    let first = ok(db, |c| {
        replace_register(
            c,
            &session.id,
            &[
                mark(&jamie, AttendanceStatus::Present),
                bus.clone(),
                mark(&bea, AttendanceStatus::Absent),
            ],
            Some(0),
            &course.tutor.id,
            t1,
        )
    });
    assert_eq!(first.version, 1);
    assert_eq!(first, ok(db, |c| attendance::sheet(c, &session.id)));
    let ids: Vec<&str> = first.records.iter().map(|r| r.person_id.as_str()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "marks in learner id order");
    assert!(first
        .records
        .iter()
        .all(|r| r.version == 1 && r.recorded_by == course.tutor.id && r.recorded_at == t1));
    let of = |register: &attendance::Sheet, who: &Person| {
        register.records.iter().find(|r| r.person_id == who.id).cloned()
    };
    let aileen_first = of(&first, &aileen).expect("Aileen is on the register");
    assert_eq!(aileen_first.status, "late");
    assert_eq!(aileen_first.note.as_deref(), Some("bus was late"));

    // The co-tutor corrects one mark: only that mark moves on.
    let t2 = at(2027, 3, 1, 15);
    let second = ok(db, |c| {
        replace_register(
            c,
            &session.id,
            &[
                mark(&jamie, AttendanceStatus::Present),
                mark(&aileen, AttendanceStatus::Present),
                mark(&bea, AttendanceStatus::Absent),
            ],
            Some(1),
            &co_tutor.id,
            t2,
        )
    });
    assert_eq!(second.version, 2);
    let aileen_second = of(&second, &aileen).expect("Aileen is on the register");
    assert_eq!(aileen_second.status, "present");
    assert_eq!(aileen_second.note, None);
    assert_eq!(aileen_second.version, 2);
    assert_eq!(aileen_second.recorded_by, co_tutor.id);
    assert_eq!(aileen_second.recorded_at, t2);
    assert_eq!(
        of(&second, &jamie),
        of(&first, &jamie),
        "unchanged marks keep their version"
    );
    assert_eq!(of(&second, &bea), of(&first, &bea));

    // A tutor who read version 1 may not overwrite the co-tutor's correction.
    let stale = refused(db, |c| {
        replace_register(
            c,
            &session.id,
            &[mark(&jamie, AttendanceStatus::Absent)],
            Some(1),
            &course.tutor.id,
            at(2027, 3, 1, 16),
        )
    });
    assert!(matches!(stale, Error::Stale), "{stale:?}");
    assert_eq!(ok(db, |c| attendance::sheet(c, &session.id)), second);

    // Leaving a learner out removes their mark.
    let third = ok(db, |c| {
        replace_register(
            c,
            &session.id,
            &[
                mark(&jamie, AttendanceStatus::Present),
                mark(&aileen, AttendanceStatus::Present),
            ],
            Some(2),
            &course.tutor.id,
            at(2027, 3, 1, 17),
        )
    });
    assert_eq!(third.version, 3);
    assert_eq!(third.records.len(), 2);
    assert_eq!(of(&third, &bea), None);
    assert_eq!(of(&third, &jamie), of(&first, &jamie));

    // Without an expected version the write goes ahead; a learner put back starts afresh.
    let fourth = ok(db, |c| {
        replace_register(
            c,
            &session.id,
            &[
                mark(&jamie, AttendanceStatus::Present),
                mark(&aileen, AttendanceStatus::Present),
                mark(&bea, AttendanceStatus::Excused),
            ],
            None,
            &course.tutor.id,
            at(2027, 3, 1, 18),
        )
    });
    assert_eq!(fourth.version, 4);
    let bea_back = of(&fourth, &bea).expect("Bea is back on the register");
    assert_eq!((bea_back.status.as_str(), bea_back.version), ("excused", 1));
    assert_eq!(ok(db, |c| cohorts::session(c, &session.id)).register_version, 4);
}

fn a_register_refuses_people_not_enrolled_and_duplicates(db: &Database) {
    let course = course(db, "P2P");
    let session = new_session(db, &course.cohort, "Week 1", at(2027, 3, 1, 10));
    let elsewhere = new_cohort(
        db,
        &course.programme,
        &course.organisation,
        "Elsewhere",
        &[&course.tutor],
    );
    let outsider = person(db, "outsider@example.org", "Kai Outsider");
    enrol(db, &elsewhere, &outsider, elsewhere.starts_on);

    let first = ok(db, |c| {
        replace_register(
            c,
            &session.id,
            &[mark(&course.learner, AttendanceStatus::Present)],
            Some(0),
            &course.tutor.id,
            now(),
        )
    });

    let replace = |entries: Vec<RegisterEntry>| {
        refused(db, |c| {
            replace_register(c, &session.id, &entries, Some(1), &course.tutor.id, now())
        })
    };
    for not_enrolled in [&outsider, &course.tutor] {
        let error = replace(vec![
            mark(&course.learner, AttendanceStatus::Absent),
            mark(not_enrolled, AttendanceStatus::Present),
        ]);
        match error {
            Error::NotEnrolled { person_id } => assert_eq!(&person_id, &not_enrolled.id),
            other => panic!("expected Error::NotEnrolled, got {other:?}"),
        }
    }
    let twice = replace(vec![
        mark(&course.learner, AttendanceStatus::Present),
        mark(&course.learner, AttendanceStatus::Absent),
    ]);
    match twice {
        Error::MarkedTwice { person_id } => assert_eq!(person_id, course.learner.id),
        other => panic!("expected Error::MarkedTwice, got {other:?}"),
    }
    assert_eq!(
        ok(db, |c| attendance::sheet(c, &session.id)),
        first,
        "a refused register changes nothing"
    );

    for error in [
        refused(db, |c| attendance::sheet(c, "no-such-session")),
        refused(db, |c| {
            replace_register(c, "no-such-session", &[], None, &course.tutor.id, now())
        }),
    ] {
        assert!(matches!(error, Error::NotFound("session")), "{error:?}");
    }
}

fn two_tutors_saving_one_register_at_once(db: &Database) {
    let course = course(db, "P2P");
    let session = new_session(db, &course.cohort, "Week 1", at(2027, 3, 1, 10));
    let statuses = [
        AttendanceStatus::Present,
        AttendanceStatus::Late,
        AttendanceStatus::Absent,
        AttendanceStatus::Excused,
    ];
    let outcomes = at_once(statuses.len(), |i| {
        db.write(|c| {
            replace_register(
                c,
                &session.id,
                &[mark(&course.learner, statuses[i])],
                Some(0),
                &course.tutor.id,
                now(),
            )
        })
    });
    let saved: Vec<&attendance::Sheet> = outcomes.iter().flatten().collect();
    assert_eq!(saved.len(), 1, "one save wins: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.is_err())
            .all(|o| matches!(o, Err(Error::Stale))),
        "the others are told to read again: {outcomes:?}"
    );
    assert_eq!(&ok(db, |c| attendance::sheet(c, &session.id)), saved[0]);
    assert_eq!(saved[0].version, 1);
}

fn without_if_match_the_last_register_wins_and_every_save_is_audited(db: &Database) {
    let course = course(db, "P2P");
    let second_tutor = person(db, "second.tutor@example.org", "Ailsa Tutor");
    let session = new_session(db, &course.cohort, "Week 1", at(2027, 3, 1, 10));
    let tutors = [&course.tutor, &second_tutor];
    let statuses = [AttendanceStatus::Present, AttendanceStatus::Late];
    let saved = at_once(2, |i| {
        db.write(|c| {
            peertrack_core::service::attendance::take(
                c,
                // Administrators both: this is about the register, not about who may take it.
                &peertrack_core::access::Caller::person(tutors[i].id.clone(), true, "test"),
                &session.id,
                &[mark(&course.learner, statuses[i])],
                None,
                utc(now()),
            )
        })
    });
    let saved: Vec<attendance::Sheet> = saved
        .into_iter()
        .map(|r| r.expect("both saves succeed"))
        .collect();
    let last = saved.iter().max_by_key(|r| r.version).unwrap();
    assert_eq!(last.version, 2, "the saves ran one after the other: {saved:?}");
    let now_stored = ok(db, |c| attendance::sheet(c, &session.id));
    assert_eq!(&now_stored, last, "the later save is what the register holds");
    let trail = ok(db, |c| audit::list(c, Some(("session", &session.id)), None, 100));
    let replaced: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "attendance.replaced")
        .collect();
    assert_eq!(replaced.len(), 2, "both saves are in the audit trail: {trail:?}");
    let authors: BTreeSet<&str> = replaced
        .iter()
        .map(|e| e.actor_id.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        authors,
        BTreeSet::from([course.tutor.id.as_str(), second_tutor.id.as_str()])
    );
}

fn held_sessions_give_the_attendance_rate(db: &Database) {
    use AttendanceStatus::{Absent, Excused, Late, Present};

    let course = course(db, "P2P");
    let classmate = course.learner.clone();
    let jamie = person(db, "late.starter@example.org", "Jamie Late-starter");
    let enrolment = enrol(db, &course.cohort, &jamie, date(2027, 3, 15));
    // Eight weekly sessions from Monday 1 March 2027; on 13 April the last one is still to come.
    let sessions: Vec<Session> = (0..8)
        .map(|week| {
            let starts_at = at(2027, 3, 1, 10) + Duration::weeks(week);
            new_session(db, &course.cohort, &format!("Week {}", week + 1), starts_at)
        })
        .collect();
    let today = utc(at(2027, 4, 13, 12));
    // Weeks 1 and 2 are before Jamie enrolled; week 7 has no mark for Jamie.
    let jamie_marks = [
        Some(Absent),
        Some(Absent),
        Some(Present),
        Some(Late),
        Some(Excused),
        Some(Absent),
        None,
    ];
    for (session, jamie_mark) in sessions.iter().zip(jamie_marks) {
        let mut entries = vec![mark(&classmate, Present)];
        entries.extend(jamie_mark.map(|status| mark(&jamie, status)));
        ok(db, |c| {
            replace_register(c, &session.id, &entries, Some(0), &course.tutor.id, now())
        });
    }
    // Jamie's attendance in another cohort is not this cohort's.
    let other = new_cohort(
        db,
        &course.programme,
        &course.organisation,
        "Other",
        &[&course.tutor],
    );
    enrol(db, &other, &jamie, other.starts_on);
    let other_session = new_session(db, &other, "Elsewhere", at(2027, 3, 20, 10));
    ok(db, |c| {
        replace_register(
            c,
            &other_session.id,
            &[mark(&jamie, Present)],
            None,
            &course.tutor.id,
            now(),
        )
    });

    let mut held = ok(db, |c| {
        attendance::held_sessions_for(c, &course.cohort.id, &jamie.id)
    });
    held.sort_by_key(|s| s.starts_at);
    assert_eq!(held.len(), 8);
    let statuses: Vec<_> = held.iter().map(|s| s.status).collect();
    let mut expected: Vec<_> = jamie_marks.to_vec();
    expected.push(None);
    assert_eq!(statuses, expected);
    assert_eq!(held[0].starts_at, utc(sessions[0].starts_at));

    let rate = AttendanceRate::compute(&held, enrolment.enrolled_on, today);
    assert_eq!(
        rate,
        AttendanceRate {
            attended: 2,
            counted: 4,
            excused: 1,
            unrecorded: 1,
        },
        "weeks 3 to 7 count, less the excused week 5; week 8 is still to come"
    );
    assert!(!rate.meets(80));

    let classmate_enrolment = ok(db, |c| cohorts::enrolment_of(c, &course.cohort.id, &classmate.id))
        .expect("the classmate is enrolled");
    let classmate_held = ok(db, |c| {
        attendance::held_sessions_for(c, &course.cohort.id, &classmate.id)
    });
    let classmate_rate = AttendanceRate::compute(&classmate_held, classmate_enrolment.enrolled_on, today);
    assert_eq!(
        classmate_rate,
        AttendanceRate {
            attended: 7,
            counted: 7,
            excused: 0,
            unrecorded: 0,
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Assessments

fn assessment_of(course: &Course, module: &str, outcome: AssessmentOutcome) -> AssessmentInput {
    AssessmentInput {
        cohort_id: course.cohort.id.clone(),
        person_id: course.learner.id.clone(),
        module_code: module.to_string(),
        outcome,
        note: None,
        assessed_by: course.tutor.id.clone(),
        assessed_on: date(2027, 4, 5),
    }
}

fn assessments_are_versioned(db: &Database) {
    use AssessmentOutcome::{Achieved, NotYetAchieved};

    let course = course(db, "P2P");
    let verifier = person(db, "verifier@example.org", "Iona Verifier");
    let record = |input: &AssessmentInput, expected: Option<i32>| {
        db.write(|c| assessments::record_assessment(c, input, expected, now()))
    };
    let stored_m7 = || {
        ok(db, |c| {
            assessments::assessment(c, &course.cohort.id, &course.learner.id, "M7")
        })
    };

    let mut essay = assessment_of(&course, "M7", NotYetAchieved);
    essay.note = Some("relate the story to the CHIME model".to_string());
    assert!(matches!(record(&essay, Some(3)), Err(Error::Stale)));
    assert_eq!(stored_m7(), None);

    let first = record(&essay, Some(0)).expect("a first assessment");
    assert_eq!(first.version, 1);
    assert_eq!(first.outcome, "not_yet_achieved");
    assert_eq!(stored_m7(), Some(first.clone()));

    essay.outcome = Achieved;
    essay.note = None;
    let second = record(&essay, Some(1)).expect("a resubmission");
    assert_eq!(second.id, first.id, "a learner has one assessment per module");
    assert_eq!((second.version, second.outcome.as_str()), (2, "achieved"));
    assert_eq!(second.note, None);

    let stale = record(&assessment_of(&course, "M7", NotYetAchieved), Some(1));
    assert!(matches!(stale, Err(Error::Stale)), "{stale:?}");
    assert_eq!(stored_m7(), Some(second.clone()));

    ok(db, |c| {
        assessments::verify_assessment(c, &second.id, &verifier.id, date(2027, 4, 9))
    });
    let verified = stored_m7().expect("stored");
    assert_eq!(verified.version, 3);
    assert_eq!(verified.verified_by.as_deref(), Some(verifier.id.as_str()));
    assert_eq!(verified.verified_on, Some(date(2027, 4, 9)));

    // A new note keeps the second sign-off; a new outcome needs it again.
    essay.note = Some("a moving essay".to_string());
    let noted = record(&essay, Some(3)).expect("a note");
    assert_eq!(noted.version, 4);
    assert_eq!(noted.verified_by, verified.verified_by);
    essay.outcome = NotYetAchieved;
    let changed = record(&essay, None).expect("a new outcome");
    assert_eq!(changed.version, 5);
    assert_eq!((changed.verified_by, changed.verified_on), (None, None));

    record(&assessment_of(&course, "PRE", Achieved), None).expect("PRE");
    record(&assessment_of(&course, "M1", Achieved), None).expect("M1");
    let modules: Vec<String> = ok(db, |c| {
        assessments::assessments_for(c, &course.cohort.id, &course.learner.id)
    })
    .into_iter()
    .map(|a| a.module_code)
    .collect();
    assert_eq!(modules, ["M1", "M7", "PRE"]);

    assert!(matches!(
        refused(db, |c| {
            assessments::verify_assessment(c, "no-such-assessment", &verifier.id, date(2027, 4, 9))
        }),
        Error::NotFound("assessment")
    ));
}

fn assessing_a_module_twice_at_once_keeps_one_assessment(db: &Database) {
    let course = course(db, "P2P");
    for module in ["M1", "M2", "M3"] {
        let outcomes = at_once(4, |i| {
            let mut input = assessment_of(&course, module, AssessmentOutcome::Achieved);
            input.note = Some(format!("assessor {i}"));
            db.write(|c| assessments::record_assessment(c, &input, Some(0), now()))
        });
        let recorded: Vec<_> = outcomes.iter().flatten().collect();
        assert_eq!(recorded.len(), 1, "one first assessment: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.is_err())
                .all(|o| matches!(o, Err(Error::Stale))),
            "the others are told to read again: {outcomes:?}"
        );
        let stored = ok(db, |c| {
            assessments::assessment(c, &course.cohort.id, &course.learner.id, module)
        });
        assert_eq!(stored.as_ref(), Some(recorded[0]));
    }
}

fn assessing_a_module_twice_at_once_without_if_match_keeps_the_last(db: &Database) {
    let course = course(db, "P2P");
    let outcomes = at_once(3, |i| {
        let mut input = assessment_of(&course, "M1", AssessmentOutcome::Achieved);
        input.note = Some(format!("assessor {i}"));
        db.write(|c| assessments::record_assessment(c, &input, None, now()))
    });
    let recorded: Vec<&assessments::Assessment> = outcomes
        .iter()
        .map(|o| o.as_ref().expect("every save without If-Match succeeds"))
        .collect();
    let versions: BTreeSet<i32> = recorded.iter().map(|a| a.version).collect();
    assert_eq!(
        versions,
        BTreeSet::from([1, 2, 3]),
        "they ran one after the other"
    );
    let last = recorded.iter().find(|a| a.version == 3).unwrap();
    let stored = ok(db, |c| {
        assessments::assessment(c, &course.cohort.id, &course.learner.id, "M1")
    });
    assert_eq!(
        stored.as_ref().map(|a| &a.note),
        Some(&last.note),
        "the last save stands"
    );
}

fn modules_needing_verification_count_only_once_verified(db: &Database) {
    use AssessmentOutcome::{Achieved, NotYetAchieved};

    let pda = course(db, "PDA-MHPS");
    let verifier = person(db, "verifier@example.org", "Iona Verifier");
    let needs_verification: BTreeSet<String> = pda
        .programme
        .definition
        .modules
        .iter()
        .filter(|m| m.requires_verification)
        .map(|m| m.code.clone())
        .collect();
    assert_eq!(needs_verification, BTreeSet::from(["DP".into(), "RC".into()]));
    let achieved = || -> Vec<String> {
        ok(db, |c| {
            assessments::achieved_modules(c, &pda.cohort.id, &pda.learner.id, &needs_verification)
        })
        .into_iter()
        .collect()
    };
    let record = |module: &str, outcome| {
        ok(db, |c| {
            assessments::record_assessment(c, &assessment_of(&pda, module, outcome), None, now())
        })
    };
    let verify = |id: &str| {
        ok(db, |c| {
            assessments::verify_assessment(c, id, &verifier.id, date(2027, 4, 20))
        })
    };

    let context = record("RC", Achieved);
    let practice = record("DP", NotYetAchieved);
    assert!(
        achieved().is_empty(),
        "no unit counts before internal verification"
    );
    verify(&context.id);
    assert_eq!(achieved(), ["RC"]);
    verify(&practice.id);
    assert_eq!(achieved(), ["RC"], "a verified 'not yet' is still not achieved");
    let practice = record("DP", Achieved);
    assert_eq!(achieved(), ["RC"], "the new outcome needs its own sign-off");
    verify(&practice.id);
    assert_eq!(achieved(), ["DP", "RC"]);

    // Peer2Peer modules need no second sign-off.
    let p2p = course(db, "P2P");
    ok(db, |c| {
        assessments::record_assessment(c, &assessment_of(&p2p, "M1", Achieved), None, now())
    });
    ok(db, |c| {
        assessments::record_assessment(c, &assessment_of(&p2p, "M2", NotYetAchieved), None, now())
    });
    let p2p_achieved = ok(db, |c| {
        assessments::achieved_modules(c, &p2p.cohort.id, &p2p.learner.id, &BTreeSet::new())
    });
    assert_eq!(p2p_achieved, BTreeSet::from(["M1".to_string()]));
}

// ---------------------------------------------------------------------------------------------
// Placements, supervision, practice and continuing development

struct PlacementSetup {
    learner: Person,
    supervisor: Person,
    placement: Placement,
}

fn placement(db: &Database) -> PlacementSetup {
    let host = organisation(db, "Penumbra");
    let learner = person(db, "learner@example.org", "Jamie Learner");
    let supervisor = person(db, "supervisor@example.org", "Rowan Supervisor");
    let placement = Placement {
        id: new_id(),
        person_id: learner.id.clone(),
        organisation_id: host.id.clone(),
        supervisor_id: supervisor.id.clone(),
        starts_on: date(2027, 5, 3),
        ends_on: Some(date(2027, 6, 14)),
        created_at: now(),
        cohort_id: None,
        tutor_supervision_allowed_by: None,
    };
    ok(db, |c| placements::create(c, &placement));
    PlacementSetup {
        learner,
        supervisor,
        placement,
    }
}

fn supervision(
    placement: &Placement,
    occurred_on: NaiveDate,
    minutes: i32,
    format: SupervisionFormat,
) -> SupervisionSession {
    SupervisionSession {
        id: new_id(),
        placement_id: placement.id.clone(),
        occurred_on,
        duration_minutes: minutes,
        format: format.as_str().to_string(),
        notes: Some("talked about boundaries".to_string()),
        logged_by: placement.person_id.clone(),
        verified_by: None,
        verified_at: None,
        created_at: now(),
        declined_by: None,
        declined_at: None,
        decline_reason: None,
    }
}

fn only_verified_supervision_counts(db: &Database) {
    use SupervisionFormat::{CoReflection, Group, Individual};

    let PlacementSetup {
        learner,
        supervisor,
        placement,
    } = placement(db);
    assert_eq!(ok(db, |c| placements::get(c, &placement.id)), placement);
    let earlier = Placement {
        id: new_id(),
        starts_on: date(2027, 4, 1),
        ends_on: None,
        ..placement.clone()
    };
    ok(db, |c| placements::create(c, &earlier));
    let backwards = Placement {
        id: new_id(),
        ends_on: Some(date(2027, 5, 2)),
        ..placement.clone()
    };
    assert_eq!(
        invalid_field(refused(db, |c| placements::create(c, &backwards))),
        "ends_on"
    );
    assert_eq!(
        ok(db, |c| placements::placements_of(c, &learner.id)),
        [earlier.clone(), placement.clone()]
    );
    assert!(matches!(
        refused(db, |c| placements::get(c, &backwards.id)),
        Error::NotFound("placement")
    ));

    let other_learner = person(db, "other@example.org", "Other Learner");
    assert!(ok(db, |c| placements::supervises(c, &supervisor.id, &learner.id)));
    assert!(!ok(db, |c| {
        placements::supervises(c, &supervisor.id, &other_learner.id)
    }));
    assert!(!ok(db, |c| placements::supervises(
        c,
        &learner.id,
        &supervisor.id
    )));

    let individual = supervision(&placement, date(2027, 5, 10), 60, Individual);
    let group = supervision(&placement, date(2027, 5, 3), 90, Group);
    let unverified = supervision(&earlier, date(2027, 4, 8), 45, CoReflection);
    for session in [&individual, &group, &unverified] {
        ok(db, |c| placements::log_supervision(c, session));
    }
    let zero = supervision(&placement, date(2027, 5, 17), 0, Individual);
    assert_eq!(
        invalid_field(refused(db, |c| placements::log_supervision(c, &zero))),
        "duration_minutes"
    );
    assert!(ok(db, |c| placements::verified_supervision_of(c, &learner.id)).is_empty());

    let verified_at = at(2027, 5, 11, 9);
    let verified = ok(db, |c| {
        placements::verify_supervision(c, &individual.id, &supervisor.id, verified_at)
    });
    assert_eq!(verified.verified_by.as_deref(), Some(supervisor.id.as_str()));
    assert_eq!(verified.verified_at, Some(verified_at));
    // Verifying again changes nothing: the first sign-off stands.
    let again = ok(db, |c| {
        placements::verify_supervision(c, &individual.id, &learner.id, at(2027, 5, 12, 9))
    });
    assert_eq!(again, verified);
    ok(db, |c| {
        placements::verify_supervision(c, &group.id, &supervisor.id, verified_at)
    });
    assert!(matches!(
        refused(db, |c| {
            placements::verify_supervision(c, "no-such-session", &supervisor.id, verified_at)
        }),
        Error::NotFound("supervision session")
    ));

    let mut counted = ok(db, |c| placements::verified_supervision_of(c, &learner.id));
    counted.sort_by_key(|s| s.occurred_on);
    assert_eq!(
        counted,
        [
            VerifiedSupervision {
                occurred_on: date(2027, 5, 3),
                duration_minutes: 90,
                format: Group,
            },
            VerifiedSupervision {
                occurred_on: date(2027, 5, 10),
                duration_minutes: 60,
                format: Individual,
            },
        ]
    );
    assert!(ok(db, |c| placements::verified_supervision_of(c, &other_learner.id)).is_empty());

    let logged: Vec<String> = ok(db, |c| placements::supervision_of_placement(c, &placement.id))
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(logged, [group.id.clone(), individual.id.clone()]);
    assert_eq!(ok(db, |c| placements::supervision(c, &unverified.id)), unverified);
}

fn practice_counts_only_once_verified(db: &Database) {
    let PlacementSetup {
        learner,
        supervisor,
        placement,
    } = placement(db);
    let time = |worked_on: NaiveDate, minutes: i32| PracticeTime {
        id: new_id(),
        placement_id: placement.id.clone(),
        worked_on,
        minutes,
        description: Some("drop-in café".to_string()),
        logged_by: learner.id.clone(),
        verified_by: None,
        verified_at: None,
        created_at: now(),
    };
    let days = [
        time(date(2027, 5, 4), 240),
        time(date(2027, 5, 5), 180),
        time(date(2027, 5, 6), 90),
    ];
    for day in &days {
        ok(db, |c| placements::log_practice(c, day));
    }
    let minutes = || ok(db, |c| placements::verified_practice_minutes_of(c, &learner.id));
    assert_eq!(minutes(), 0);
    for day in &days[..2] {
        ok(db, |c| {
            placements::verify_practice(c, &day.id, &supervisor.id, at(2027, 5, 7, 9))
        });
    }
    assert_eq!(minutes(), 420);

    let nothing = time(date(2027, 5, 7), 0);
    assert_eq!(
        invalid_field(refused(db, |c| placements::log_practice(c, &nothing))),
        "minutes"
    );
    assert!(matches!(
        refused(db, |c| {
            placements::verify_practice(c, "no-such-time", &supervisor.id, now())
        }),
        Error::NotFound("practice time")
    ));
    let someone_else = person(db, "someone@example.org", "Someone Else");
    assert_eq!(
        ok(db, |c| placements::verified_practice_minutes_of(
            c,
            &someone_else.id
        )),
        0
    );
    assert_eq!(minutes(), 420);
}

fn continuing_development_is_listed_by_date(db: &Database) {
    let worker = person(db, "worker@example.org", "Pat Peer-worker");
    let other = person(db, "other@example.org", "Other Worker");
    let cpd = |who: &Person, completed_on: NaiveDate, minutes: i32, category: &str| CpdRecord {
        id: new_id(),
        person_id: who.id.clone(),
        completed_on,
        minutes,
        category: category.to_string(),
        title: format!("{category} workshop"),
        created_at: now(),
    };
    let ethics = cpd(&worker, date(2028, 6, 1), 180, "ethics");
    let recovery = cpd(&worker, date(2028, 2, 14), 360, "recovery");
    let elsewhere = cpd(&other, date(2028, 1, 1), 60, "ethics");
    for record in [&ethics, &recovery, &elsewhere] {
        ok(db, |c| cpd::log(c, record));
    }
    let listed = ok(db, |c| cpd::of_person(c, &worker.id));
    assert_eq!(listed, [recovery.clone(), ethics.clone()]);
    assert_eq!(
        listed[1].entry(),
        CpdEntry {
            completed_on: date(2028, 6, 1),
            minutes: 180,
            category: "ethics".to_string(),
        }
    );

    let nothing = cpd(&worker, date(2028, 7, 1), 0, "ethics");
    assert!(matches!(
        refused(db, |c| cpd::log(c, &nothing)),
        Error::Invalid(_)
    ));
    assert_eq!(ok(db, |c| cpd::of_person(c, &worker.id)).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// Letters and digits that cannot be mistaken for each other.
const CODE_ALPHABET: &str = "ACDEFGHJKMNPQRTUVWXY34679";

#[track_caller]
fn assert_readable_code(code: &str) {
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 3, "three groups: {code}");
    for group in groups {
        assert_eq!(group.len(), 4, "groups of four: {code}");
        assert!(
            group.chars().all(|ch| CODE_ALPHABET.contains(ch)),
            "only unmistakable characters: {code}"
        );
    }
}

fn certificate_numbers_run_per_programme_and_year(db: &Database) {
    let p2p = programme(db, "P2P");
    let pda = programme(db, "PDA-MHPS");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let holders: Vec<Person> = (1..=4)
        .map(|n| person(db, &format!("holder{n}@example.org"), &format!("Holder {n}")))
        .collect();
    let issue = |holder: &Person, programme: &ProgrammeVersion, issued_on: NaiveDate| {
        let new = new_certificate(holder, programme, issued_on, None, &admin);
        ok(db, |c| certificates::issue(c, &new, now()))
    };

    let march = date(2027, 3, 20);
    let numbers: Vec<String> = holders[..3]
        .iter()
        .map(|h| issue(h, &p2p, march).number)
        .collect();
    assert_eq!(numbers, ["P2P-2027-000001", "P2P-2027-000002", "P2P-2027-000003"]);
    assert_eq!(
        issue(&holders[3], &p2p, date(2028, 1, 10)).number,
        "P2P-2028-000001"
    );
    assert_eq!(issue(&holders[0], &pda, march).number, "PDA-MHPS-2027-000001");
    let fourth = issue(&holders[3], &p2p, date(2027, 12, 31));
    assert_eq!(fourth.number, "P2P-2027-000004");
    assert_eq!(
        ok(db, |c| {
            certificates::next_number(c, &p2p.programme_id, "P2P", 2029)
        }),
        "P2P-2029-000001"
    );

    assert_eq!(ok(db, |c| certificates::get(c, &fourth.id)), fourth);
    assert_eq!(fourth.holder_name.as_deref(), Some("Holder 4"));
    assert_eq!(fourth.programme_version_id, p2p.version_id);
    assert_eq!(fourth.status_on(date(2090, 1, 1)), CertificateStatus::Valid);
    let newest_first: Vec<String> = ok(db, |c| certificates::of_person(c, &holders[3].id))
        .into_iter()
        .map(|c| c.number)
        .collect();
    assert_eq!(newest_first, ["P2P-2028-000001", "P2P-2027-000004"]);
    assert!(matches!(
        refused(db, |c| certificates::get(c, "no-such-certificate")),
        Error::NotFound("certificate")
    ));
}

fn verification_codes_are_readable_and_found_as_typed(db: &Database) {
    let codes: BTreeSet<String> = (0..500).map(|_| certificates::new_verification_code()).collect();
    assert_eq!(codes.len(), 500, "codes do not repeat");
    for code in &codes {
        assert_readable_code(code);
    }
    let used: BTreeSet<char> = codes.iter().flat_map(|c| c.chars()).collect();
    for lookalike in "0O1IL5S2Z8B".chars() {
        assert!(!used.contains(&lookalike), "{lookalike} is never used");
    }
    assert_eq!(
        certificates::normalise_verification_code(" k7qm 4txr-9hwd "),
        "K7QM-4TXR-9HWD"
    );

    let p2p = programme(db, "P2P");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let holder = person(db, "holder@example.org", "Holly Holder");
    let new = new_certificate(&holder, &p2p, date(2027, 3, 20), None, &admin);
    let certificate = ok(db, |c| certificates::issue(c, &new, now()));
    assert_readable_code(&certificate.verification_code);

    let typed = certificate.verification_code.replace('-', "").to_lowercase();
    assert_eq!(
        ok(db, |c| certificates::by_verification_code(c, &typed)),
        Some(certificate.clone())
    );
    let spaced = format!(" {} ", certificate.verification_code.replace('-', " "));
    assert_eq!(
        ok(db, |c| certificates::by_verification_code(c, &spaced)),
        Some(certificate.clone())
    );
    let wrong = if certificate.verification_code == "AAAA-AAAA-AAAA" {
        "CCCC-CCCC-CCCC"
    } else {
        "AAAA-AAAA-AAAA"
    };
    assert_eq!(ok(db, |c| certificates::by_verification_code(c, wrong)), None);
}

fn certificates_are_revoked_once_and_renewed_with_history(db: &Database) {
    let p2p = programme(db, "P2P");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let holder = person(db, "holder@example.org", "Holly Holder");
    let expiring = new_certificate(&holder, &p2p, date(2027, 3, 1), Some(date(2029, 3, 1)), &admin);
    let certificate = ok(db, |c| certificates::issue(c, &expiring, now()));
    assert_eq!(certificate.status_on(date(2029, 2, 28)), CertificateStatus::Valid);
    assert_eq!(
        certificate.status_on(date(2029, 3, 1)),
        CertificateStatus::Expired
    );

    let t1 = at(2029, 2, 1, 10);
    let first = ok(db, |c| {
        certificates::renew(c, &certificate.id, date(2031, 3, 1), &admin.id, t1)
    });
    assert_eq!(first.previous_expires_on, date(2029, 3, 1));
    assert_eq!(first.new_expires_on, date(2031, 3, 1));
    assert_eq!(
        (first.renewed_by.as_str(), first.renewed_at),
        (admin.id.as_str(), t1)
    );
    let renewed = ok(db, |c| certificates::get(c, &certificate.id));
    assert_eq!(renewed.number, certificate.number, "renewal keeps the number");
    assert_eq!(renewed.verification_code, certificate.verification_code);
    assert_eq!(renewed.expires_on, Some(date(2031, 3, 1)));
    assert_eq!(renewed.status_on(date(2029, 6, 1)), CertificateStatus::Valid);

    let second = ok(db, |c| {
        certificates::renew(
            c,
            &certificate.id,
            date(2033, 3, 1),
            &admin.id,
            at(2031, 1, 5, 10),
        )
    });
    assert_eq!(second.previous_expires_on, date(2031, 3, 1));
    assert_eq!(
        ok(db, |c| certificates::renewals(c, &certificate.id)),
        [first, second]
    );

    let t3 = at(2031, 6, 1, 10);
    let revoked = ok(db, |c| {
        certificates::revoke(c, &certificate.id, "issued in error", t3)
    });
    assert_eq!(revoked.revoked_at, Some(t3));
    assert_eq!(revoked.revoked_reason.as_deref(), Some("issued in error"));
    assert_eq!(revoked.status_on(date(2028, 1, 1)), CertificateStatus::Revoked);
    let twice = refused(db, |c| {
        certificates::revoke(c, &certificate.id, "another reason", at(2031, 7, 1, 10))
    });
    assert!(matches!(twice, Error::Conflict(_)), "{twice:?}");
    // A partner checking the code sees the first revocation, unchanged.
    let checked = ok(db, |c| {
        certificates::by_verification_code(c, &certificate.verification_code)
    })
    .expect("a revoked certificate can still be looked up");
    assert_eq!(checked, revoked);
    let renew_revoked = refused(db, |c| {
        certificates::renew(c, &certificate.id, date(2035, 3, 1), &admin.id, t3)
    });
    assert!(matches!(renew_revoked, Error::Conflict(_)), "{renew_revoked:?}");
    assert_eq!(ok(db, |c| certificates::renewals(c, &certificate.id)).len(), 2);

    let lifelong = new_certificate(&holder, &p2p, date(2027, 3, 1), None, &admin);
    let lifelong = ok(db, |c| certificates::issue(c, &lifelong, now()));
    let renew_lifelong = refused(db, |c| {
        certificates::renew(c, &lifelong.id, date(2030, 1, 1), &admin.id, now())
    });
    assert!(matches!(renew_lifelong, Error::Conflict(_)), "{renew_lifelong:?}");
    assert!(ok(db, |c| certificates::renewals(c, &lifelong.id)).is_empty());

    for error in [
        refused(db, |c| {
            certificates::revoke(c, "no-such-certificate", "why", now())
        }),
        refused(db, |c| {
            certificates::renew(c, "no-such-certificate", date(2030, 1, 1), &admin.id, now())
        }),
    ] {
        assert!(matches!(error, Error::NotFound("certificate")), "{error:?}");
    }
}

fn concurrent_issuing_gives_distinct_sequential_numbers(db: &Database) {
    const THREADS: usize = 8;
    let p2p = programme(db, "P2P");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let requests: Vec<NewCertificate> = (0..THREADS)
        .map(|n| {
            let holder = person(db, &format!("graduate{n}@example.org"), &format!("Graduate {n}"));
            new_certificate(&holder, &p2p, date(2027, 3, 20), None, &admin)
        })
        .collect();
    let mut numbers: Vec<String> = at_once(THREADS, |n| {
        db.write(|c| certificates::issue(c, &requests[n], now()))
            .expect("the certificate was issued")
            .number
    });
    numbers.sort();
    let expected: Vec<String> = (1..=THREADS).map(|n| format!("P2P-2027-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

fn every_certificate_gets_its_own_status_entry_and_revocation_sets_its_bit(db: &Database) {
    use peertrack_core::store::status_lists;
    const THREADS: usize = 8;
    let p2p = programme(db, "P2P");
    let admin = person(db, "admin@example.org", "Ada Admin");
    let requests: Vec<NewCertificate> = (0..THREADS)
        .map(|n| {
            let holder = person(db, &format!("holder{n}@example.org"), &format!("Holder {n}"));
            new_certificate(&holder, &p2p, date(2027, 3, 20), None, &admin)
        })
        .collect();
    let issued: Vec<certificates::Certificate> = at_once(THREADS, |n| {
        db.write(|c| certificates::issue(c, &requests[n], now()))
            .expect("the certificate was issued")
    });
    let entries: BTreeSet<(String, i32)> = issued
        .iter()
        .map(|c| (c.status_list_id.clone().unwrap(), c.status_list_index.unwrap()))
        .collect();
    assert_eq!(entries.len(), THREADS, "each its own entry: {entries:?}");
    assert!(entries
        .iter()
        .all(|(list, index)| list == "1" && (0..status_lists::LIST_SIZE).contains(index)));
    let list = ok(db, |c| status_lists::get(c, "1")).expect("the first list");
    assert_eq!(list.allocated, THREADS as i32);
    assert_eq!(list.size, 131_072);
    assert!(ok(db, |c| status_lists::set_indexes(c, "1")).is_empty());

    // Revoking sets exactly that certificate's bit, and moves the list's time, in one go.
    let later = at(2027, 4, 1, 10);
    let revoked = ok(db, |c| {
        certificates::revoke(c, &issued[3].id, "Issued in error", later)
    });
    assert_eq!(
        ok(db, |c| status_lists::set_indexes(c, "1")),
        vec![revoked.status_list_index.unwrap()]
    );
    assert_eq!(ok(db, |c| status_lists::get(c, "1")).unwrap().updated_at, later);
    // A revocation that fails (already revoked) leaves the list as it was.
    assert!(matches!(
        refused(db, |c| certificates::revoke(
            c,
            &issued[3].id,
            "again",
            at(2027, 5, 1, 10)
        )),
        Error::Conflict(_)
    ));
    assert_eq!(ok(db, |c| status_lists::get(c, "1")).unwrap().updated_at, later);

    // The spread order is a permutation: no index is handed out twice in a whole list.
    let mut seen = vec![false; list.size as usize];
    for n in 0..list.size {
        let index = list.index_of(n) as usize;
        assert!(!seen[index], "index {index} twice");
        seen[index] = true;
    }
    // A certificate from before status lists gets its entry when first asked, then keeps it.
    let old = issued[5].id.clone();
    ok(db, |c| {
        diesel::update(schema::certificates::table.find(&old))
            .set((
                schema::certificates::status_list_id.eq(None::<String>),
                schema::certificates::status_list_index.eq(None::<i32>),
            ))
            .execute(c)?;
        Ok(())
    });
    let first = ok(db, |c| certificates::status_entry(c, &old, now()));
    assert_eq!(ok(db, |c| certificates::status_entry(c, &old, now())), first);
    assert!(!entries.contains(&first), "a fresh entry");
}

// ---------------------------------------------------------------------------------------------
// Consent

fn granting_twice_at_once_keeps_one_consent(db: &Database) {
    let worker = person(db, "worker@example.org", "Pat Peer-worker");
    let samh = organisation(db, "SAMH");
    for round in 0..3 {
        let outcomes = at_once(4, |_| {
            db.write(|c| consents::grant(c, &worker.id, &samh.id, at(2027, 6, 1, 9 + round)))
                .expect("every click is answered")
        });
        assert_eq!(outcomes.iter().filter(|(_, granted)| *granted).count(), 1);
        let ids: BTreeSet<&str> = outcomes.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(ids.len(), 1, "everyone sees the one current consent");
        ok(db, |c| {
            consents::withdraw(c, &worker.id, &samh.id, at(2027, 6, 1, 12 + round))
        });
    }
    assert_eq!(ok(db, |c| consents::history(c, &worker.id)).len(), 3);
}

fn consent_is_current_once_and_keeps_its_history(db: &Database) {
    let worker = person(db, "worker@example.org", "Pat Peer-worker");
    let other = person(db, "other@example.org", "Other Worker");
    let samh = organisation(db, "SAMH");
    let penumbra = organisation(db, "Penumbra");
    let t = |hour| at(2027, 6, 1, hour);

    let (first, granted) = ok(db, |c| consents::grant(c, &worker.id, &samh.id, t(9)));
    assert!(granted);
    assert_eq!(first.withdrawn_at, None);
    let (again, granted) = ok(db, |c| consents::grant(c, &worker.id, &samh.id, t(10)));
    assert!(!granted, "granting twice keeps the one current consent");
    assert_eq!(again, first);
    assert_eq!(
        ok(db, |c| consents::current(c, &worker.id, &samh.id)),
        Some(first.clone())
    );
    assert_eq!(ok(db, |c| consents::current(c, &worker.id, &penumbra.id)), None);
    assert_eq!(ok(db, |c| consents::current(c, &other.id, &samh.id)), None);
    let (to_penumbra, _) = ok(db, |c| consents::grant(c, &worker.id, &penumbra.id, t(11)));

    assert!(ok(db, |c| consents::withdraw(c, &worker.id, &samh.id, t(12))));
    assert!(!ok(db, |c| consents::withdraw(c, &worker.id, &samh.id, t(13))));
    assert!(!ok(db, |c| consents::withdraw(c, &other.id, &samh.id, t(13))));
    assert_eq!(ok(db, |c| consents::current(c, &worker.id, &samh.id)), None);
    assert_eq!(
        ok(db, |c| consents::current(c, &worker.id, &penumbra.id)),
        Some(to_penumbra.clone()),
        "withdrawing from one organisation leaves the others"
    );

    let (renewed, granted) = ok(db, |c| consents::grant(c, &worker.id, &samh.id, t(14)));
    assert!(granted);
    assert_ne!(renewed.id, first.id);
    let withdrawn = consents::Consent {
        withdrawn_at: Some(t(12)),
        ..first
    };
    assert_eq!(
        ok(db, |c| consents::history(c, &worker.id)),
        [withdrawn, to_penumbra, renewed]
    );
    assert!(ok(db, |c| consents::history(c, &other.id)).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Credentials

fn tokens_are_stored_hashed_and_refused_once_spent(db: &Database) {
    let worker = person(db, "worker@example.org", "Pat Peer-worker");
    let other = person(db, "other@example.org", "Other Worker");
    let expires_at = now() + Duration::days(30);
    let (secret, token) = ok(db, |c| {
        tokens::create_token(c, &worker.id, TokenPurpose::Access, expires_at, now())
    });
    assert!(secret.starts_with("pt_"), "{secret}");
    assert!(secret.len() > 40, "long enough to be unguessable");
    assert_ne!(token.token_hash, secret);
    assert!(!token.token_hash.contains(&secret[3..]));
    assert_eq!(token.token_hash, tokens::hash_secret(&secret));
    assert_eq!(token.token_hash.len(), 64);
    assert_eq!(token.purpose, "access");

    let lookup = |secret: &str, purpose, when| ok(db, |c| tokens::person_for_token(c, secret, purpose, when));
    let row = lookup(&secret, TokenPurpose::Access, now()).expect("a usable token");
    assert_eq!(row, token, "the stored row holds the hash, not the secret");
    assert_eq!(lookup(&secret, TokenPurpose::SignIn, now()), None);
    assert_eq!(lookup("pt_not-the-secret", TokenPurpose::Access, now()), None);
    assert_eq!(lookup(&token.token_hash, TokenPurpose::Access, now()), None);
    assert!(lookup(&secret, TokenPurpose::Access, expires_at - Duration::seconds(1)).is_some());
    assert_eq!(
        lookup(&secret, TokenPurpose::Access, expires_at),
        None,
        "a token stops working when it expires"
    );

    // A sign-in link works exactly once, and only as a sign-in link.
    let (link, _) = ok(db, |c| {
        tokens::create_token(
            c,
            &worker.id,
            TokenPurpose::SignIn,
            now() + Duration::minutes(15),
            now(),
        )
    });
    assert!(link.starts_with("ptl_"), "{link}");
    let consume = |secret: &str, purpose, when| ok(db, |c| tokens::consume_token(c, secret, purpose, when));
    assert_eq!(consume(&link, TokenPurpose::Access, now()), None);
    assert_eq!(
        consume(&link, TokenPurpose::SignIn, now()),
        Some(worker.id.clone())
    );
    assert_eq!(consume(&link, TokenPurpose::SignIn, now()), None);
    assert_eq!(lookup(&link, TokenPurpose::SignIn, now()), None);

    let (old_link, _) = ok(db, |c| {
        tokens::create_token(
            c,
            &worker.id,
            TokenPurpose::SignIn,
            now() + Duration::minutes(15),
            now(),
        )
    });
    assert_eq!(
        consume(&old_link, TokenPurpose::SignIn, now() + Duration::minutes(15)),
        None,
        "an expired link is refused"
    );

    // Revoking a person's tokens ends them all, and only theirs.
    let (others, _) = ok(db, |c| {
        tokens::create_token(c, &other.id, TokenPurpose::Access, expires_at, now())
    });
    assert_eq!(ok(db, |c| tokens::revoke_tokens_of(c, &worker.id, now())), 3);
    assert_eq!(ok(db, |c| tokens::revoke_tokens_of(c, &worker.id, now())), 0);
    assert_eq!(lookup(&secret, TokenPurpose::Access, now()), None);
    assert_eq!(consume(&old_link, TokenPurpose::SignIn, now()), None);
    assert!(lookup(&others, TokenPurpose::Access, now()).is_some());
}

fn a_sign_in_link_is_used_once_under_concurrency(db: &Database) {
    let worker = person(db, "worker@example.org", "Pat Peer-worker");
    let (link, _) = ok(db, |c| {
        tokens::create_token(
            c,
            &worker.id,
            TokenPurpose::SignIn,
            now() + Duration::minutes(15),
            now(),
        )
    });
    let outcomes = at_once(6, |_| {
        db.write(|c| tokens::consume_token(c, &link, TokenPurpose::SignIn, now()))
            .expect("the store answered")
    });
    let used: Vec<&String> = outcomes.iter().flatten().collect();
    assert_eq!(used, [&worker.id], "exactly one caller signs in: {outcomes:?}");
}

fn api_keys_are_stored_hashed_and_revocable(db: &Database) {
    let samh = organisation(db, "SAMH");
    let (secret, key) = ok(db, |c| tokens::create_api_key(c, &samh.id, "HR system", now()));
    assert!(secret.starts_with("ptk_"), "{secret}");
    assert_ne!(key.key_hash, secret);
    assert_eq!(key.key_hash, tokens::hash_secret(&secret));
    assert_eq!((key.name.as_str(), key.revoked_at), ("HR system", None));
    assert_eq!(ok(db, |c| tokens::api_key(c, &secret)), Some(key.clone()));
    assert_eq!(ok(db, |c| tokens::api_key(c, "ptk_not-a-key")), None);
    assert_eq!(ok(db, |c| tokens::api_key(c, &key.key_hash)), None);

    let (spare, spare_key) = ok(db, |c| tokens::create_api_key(c, &samh.id, "Spare", now()));
    assert_ne!(spare, secret);
    ok(db, |c| tokens::revoke_api_key(c, &key.id, now()));
    assert_eq!(ok(db, |c| tokens::api_key(c, &secret)), None);
    assert_eq!(ok(db, |c| tokens::api_key(c, &spare)), Some(spare_key));
    assert!(matches!(
        refused(db, |c| tokens::revoke_api_key(c, "no-such-key", now())),
        Error::NotFound("API key")
    ));
}

// ---------------------------------------------------------------------------------------------
// Audit trail and outbox

fn the_audit_trail_lists_changes_in_order(db: &Database) {
    let tutor = person(db, "tutor@example.org", "Morag Tutor");
    let by_tutor = Actor::Person(tutor.id.clone());
    let events = [
        (
            by_tutor.clone(),
            "attendance.replaced",
            ("session", "s1"),
            serde_json::json!({"version": 1}),
        ),
        (
            Actor::System("cli"),
            "programme.published",
            ("programme", "P2P"),
            serde_json::json!({}),
        ),
        (
            by_tutor,
            "attendance.replaced",
            ("session", "s1"),
            serde_json::json!({"version": 2}),
        ),
    ];
    for (hour, (actor, action, entity, details)) in events.iter().enumerate() {
        ok(db, |c| {
            audit::record(
                c,
                actor,
                action,
                *entity,
                details.clone(),
                at(2027, 3, 1, hour as u32),
            )
        });
    }

    let all = ok(db, |c| audit::list(c, None, None, 10));
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "attendance.replaced",
            "programme.published",
            "attendance.replaced"
        ]
    );
    assert_eq!(all[0].actor_id.as_deref(), Some(tutor.id.as_str()));
    assert_eq!(all[0].actor_label, tutor.id);
    assert_eq!(
        (all[1].actor_id.as_deref(), all[1].actor_label.as_str()),
        (None, "cli")
    );
    assert_eq!(
        (all[1].entity_kind.as_str(), all[1].entity_id.as_str()),
        ("programme", "P2P")
    );
    assert_eq!(all[2].occurred_at, at(2027, 3, 1, 2));
    let details: serde_json::Value = serde_json::from_str(&all[2].details).expect("details are JSON");
    assert_eq!(details, serde_json::json!({"version": 2}));

    let session_events = ok(db, |c| audit::list(c, Some(("session", "s1")), None, 10));
    assert_eq!(session_events, [all[0].clone(), all[2].clone()]);
    assert_eq!(
        ok(db, |c| audit::list(c, None, Some(all[0].id), 1)),
        [all[1].clone()]
    );
    assert_eq!(
        ok(db, |c| audit::list(
            c,
            Some(("session", "s1")),
            Some(all[0].id),
            10
        )),
        [all[2].clone()]
    );
    assert!(ok(db, |c| audit::list(c, Some(("session", "s2")), None, 10)).is_empty());
}

fn message(key: &str, person: &Person) -> NewMessage {
    NewMessage {
        idempotency_key: key.to_string(),
        channel: "email".to_string(),
        template: "enrolled".to_string(),
        recipient: person.email.clone().expect("an address"),
        person_id: Some(person.id.clone()),
        payload: serde_json::json!({"cohort": "Dundee spring 2027"}),
        give_up_at: now() + Duration::days(2),
    }
}

fn the_outbox_queues_each_key_once(db: &Database) {
    let learner = person(db, "learner@example.org", "Jamie Learner");
    let welcome = message("enrolment:1", &learner);
    // In one transaction: the repeat is skipped and the transaction stays usable (PostgreSQL).
    let queued = ok(db, |c| {
        Ok([
            outbox::enqueue(c, &welcome, now())?,
            outbox::enqueue(c, &welcome, now())?,
            outbox::enqueue(c, &message("enrolment:2", &learner), now())?,
        ])
    });
    assert_eq!(queued, [true, false, true]);
    let changed = NewMessage {
        payload: serde_json::json!({"cohort": "something else"}),
        ..welcome.clone()
    };
    assert!(!ok(db, |c| outbox::enqueue(
        c,
        &changed,
        now() + Duration::hours(1)
    )));

    let messages = ok(db, |c| outbox::list(c, None, 10));
    assert_eq!(messages.len(), 2);
    let first = &messages[0];
    assert_eq!(first.idempotency_key, "enrolment:1");
    assert_eq!((first.status.as_str(), first.attempts), ("pending", 0));
    assert_eq!(first.recipient, "learner@example.org");
    assert_eq!(first.person_id.as_deref(), Some(learner.id.as_str()));
    assert_eq!(first.next_attempt_at, now());
    assert_eq!(first.give_up_at, welcome.give_up_at);
    assert_eq!((first.claimed_until, first.sent_at), (None, None));
    let payload: serde_json::Value = serde_json::from_str(&first.payload).expect("the payload is JSON");
    assert_eq!(payload, welcome.payload, "the first message stays as queued");

    assert_eq!(ok(db, |c| outbox::list(c, Some("pending"), 10)).len(), 2);
    assert_eq!(
        ok(db, |c| outbox::list(c, Some("pending"), 1)),
        std::slice::from_ref(first)
    );
    assert!(ok(db, |c| outbox::list(c, Some("sent"), 10)).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Transactions

fn a_failed_write_leaves_nothing_behind(db: &Database) {
    let outcome: Result<()> = db.write(|c| {
        organisations::create(c, "Penumbra", now())?;
        let (kai, _) = people::find_or_create(c, "kai@example.org", "Kai", now())?;
        outbox::enqueue(c, &message("welcome:kai", &kai), now())?;
        audit::record(
            c,
            &Actor::System("cli"),
            "person.created",
            ("person", kai.id.as_str()),
            serde_json::json!({}),
            now(),
        )?;
        Err(Error::invalid("reason", "the caller changed its mind"))
    });
    assert_eq!(invalid_field(outcome.expect_err("the write failed")), "reason");
    assert!(ok(db, |c| organisations::list(c, None, 10)).is_empty());
    assert_eq!(ok(db, |c| people::by_email(c, "kai@example.org")), None);
    assert!(ok(db, |c| outbox::list(c, None, 10)).is_empty());
    assert!(ok(db, |c| audit::list(c, None, None, 10)).is_empty());

    // A clash halfway through undoes what came before it, too.
    organisation(db, "SAMH");
    let clash = refused(db, |c| {
        people::find_or_create(c, "lee@example.org", "Lee", now())?;
        organisations::create(c, "SAMH", now())
    });
    assert!(matches!(clash, Error::Conflict(_)), "{clash:?}");
    assert_eq!(ok(db, |c| people::by_email(c, "lee@example.org")), None);

    // The database is fine afterwards, for reads and writes.
    db.ping().expect("the database answers");
    let listed = db.read(|c| organisations::list(c, None, 10)).expect("a read");
    assert_eq!(listed.len(), 1);
    person(db, "lee@example.org", "Lee");
}

fn async_reads_and_writes_see_the_same_database(db: &Database) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let created = runtime.block_on(async {
        let created = db
            .write_async(|c| organisations::create(c, "The Richmond Fellowship Scotland", now()))
            .await
            .expect("an async write");
        let id = created.id.clone();
        let read = db
            .read_async(move |c| organisations::get(c, &id))
            .await
            .expect("an async read");
        assert_eq!(read, created);
        let failed = db
            .write_async(|c| {
                organisations::create(c, "Hearing Voices Network", now())?;
                Err::<(), _>(Error::Stale)
            })
            .await;
        assert!(matches!(failed, Err(Error::Stale)));
        created
    });
    assert_eq!(ok(db, |c| organisations::list(c, None, 10)), [created]);
    assert_eq!(stored(utc(now())), now());
}

/// The bundled SQLite is built as `.cargo/config.toml` asks (see there for why): without these
/// options the register page is recompiled on every request and every allocation takes a lock.
#[test]
fn sqlite_is_built_for_a_server() {
    let test = peertrack_core::store::testing::TestDatabase::sqlite();
    let options: Vec<String> = ok(&test, |c| match c {
        DbConnection::Sqlite(c) => {
            #[derive(diesel::QueryableByName)]
            struct CompileOption {
                #[diesel(sql_type = diesel::sql_types::Text)]
                compile_options: String,
            }
            let rows: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options").load(c)?;
            Ok(rows.into_iter().map(|r| r.compile_options).collect())
        }
        DbConnection::Postgres(_) => unreachable!("a SQLite test database"),
    });
    for wanted in [
        "ENABLE_QPSG",
        "DEFAULT_MEMSTATUS=0",
        "THREADSAFE=2",
        "OMIT_SHARED_CACHE",
    ] {
        assert!(
            options.iter().any(|o| o == wanted),
            "SQLite lacks {wanted}: {options:?}"
        );
    }
    // With it, every connection's page cache sits behind one global lock.
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "SQLite has ENABLE_MEMORY_MANAGEMENT: {options:?}"
    );
}

/// Under register load the access log's writer commits every few milliseconds. What it commits
/// is copied from the write-ahead log into the database file by a thread of its own
/// (`store/checkpointer.rs`), not by whichever commit takes the log past `wal_autocheckpoint`
/// (which made that commit, and every answer waiting for it, wait for the copy). Seen from
/// outside: a reader of the database file alone, which ignores the log (`immutable=1`), soon
/// finds a look-up, though the log is far below the threshold at which a commit would copy it.
#[test]
fn the_access_logs_commits_reach_the_database_file_without_a_commit_copying_them() {
    use peertrack_core::store::register::LookUp;
    let test = peertrack_core::store::testing::TestDatabase::sqlite();
    let peertrack_core::store::DatabaseUrl::Sqlite(path) = &test.url else {
        unreachable!("a SQLite test database");
    };
    let look_up = LookUp {
        person_ids: vec!["someone".into()],
        organisation_id: "an organisation".into(),
        api_key_id: "a key".into(),
        endpoint: "register.search",
        at: now(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime
        .block_on(test.db.record_look_ups(vec![look_up]))
        .expect("the look-up is committed");

    let file_alone = format!("file:{}?immutable=1", path.display());
    let in_the_file = || -> i64 {
        let mut c = <diesel::SqliteConnection as diesel::Connection>::establish(&file_alone)
            .expect("the database file opens on its own");
        schema::access_log_pending::table
            .count()
            .get_result(&mut c)
            .expect("a count")
    };
    let started = std::time::Instant::now();
    while in_the_file() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the look-up is still only in the write-ahead log after 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A SQLite test database, and a second connection to its file as another process (a
/// `peertrack admin` command beside the service) would open it, waiting up to 10 s for the lock.
fn sqlite_and_another_process() -> (
    peertrack_core::store::testing::TestDatabase,
    diesel::SqliteConnection,
) {
    use diesel::connection::SimpleConnection;
    let test = peertrack_core::store::testing::TestDatabase::sqlite();
    let peertrack_core::store::DatabaseUrl::Sqlite(path) = &test.url else {
        unreachable!("a SQLite test database");
    };
    let mut other = <diesel::SqliteConnection as diesel::Connection>::establish(&path.display().to_string())
        .expect("a second connection");
    other
        .batch_execute("PRAGMA busy_timeout = 10000;")
        .expect("a busy timeout");
    (test, other)
}

/// A batch that cannot be spread (here: SQLite's one writer held elsewhere for longer than the
/// busy timeout) is tried again, without another register request to wake the writer: what
/// waits still reaches the person's log once the database is free.
#[test]
fn after_a_failed_spread_the_writer_tries_again_on_its_own() {
    use diesel::connection::SimpleConnection;
    use peertrack_core::store::register;
    let (test, mut other) = sqlite_and_another_process();
    let db = &test.db;
    let (worker, look_up) = one_peer_worker_looked_up(db);
    // Someone else holds the database's one writer, past the busy timeout (10 s).
    other
        .batch_execute("BEGIN IMMEDIATE;")
        .expect("the writer's lock");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The look-up is recorded once the lock is let go; the writer's first try to spread it,
    // right after, finds the database free. So hold it again, through that try.
    let recorded = std::thread::scope(|scope| {
        let waiting = scope.spawn(|| runtime.block_on(db.record_look_ups(vec![look_up(0)])));
        std::thread::sleep(std::time::Duration::from_millis(200));
        other.batch_execute("COMMIT;").expect("let go");
        waiting.join().expect("the request's thread")
    });
    recorded.expect("the look-up is committed");
    other
        .batch_execute("BEGIN IMMEDIATE;")
        .expect("the writer's lock again");
    std::thread::sleep(std::time::Duration::from_secs(11));
    other.batch_execute("COMMIT;").expect("let go");
    let started = std::time::Instant::now();
    loop {
        let waiting: i64 = db
            .read(|c| Ok(schema::access_log_pending::table.count().get_result(c)?))
            .expect("a count");
        if waiting == 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the look-up still waits 5 s after the database was free, with no request to wake the writer"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let logged = db
        .read(|c| register::access_log_of(c, &worker.id, None, 10))
        .expect("the log");
    assert_eq!(logged.len(), 1);
}

/// A write that reads first is not failed by another process's commit in between (SQLite): it
/// holds the database's write lock from its start, and the other process waits its turn. With
/// a plain `BEGIN`, the other process committed while this transaction read, and this one's
/// first write then failed at once with `database is locked` (`SQLITE_BUSY_SNAPSHOT`).
#[test]
fn a_write_that_reads_first_is_not_failed_by_another_process_committing() {
    use diesel::connection::SimpleConnection;
    // Another process: a `peertrack admin` command beside the service.
    let (test, mut other) = sqlite_and_another_process();
    let db = &test.db;
    let theirs = std::thread::scope(|scope| {
        db.write(|c| {
            let before = organisations::list(c, None, 10)?;
            let theirs = scope.spawn(|| {
                other.batch_execute(
                    "INSERT INTO organisations (id, name, created_at) \
                     VALUES ('beside', 'Written beside the service', '2026-12-07 12:00:00');",
                )
            });
            // Long enough for the other process to commit, were it let in.
            std::thread::sleep(std::time::Duration::from_millis(300));
            organisations::create(c, &format!("Saw {} before", before.len()), now())?;
            Ok(theirs)
        })
        .map(|theirs| theirs.join().expect("the other process's thread"))
    });
    theirs
        .expect("the service's write")
        .expect("the other process's write, once the service's was committed");
    let names: Vec<String> = ok(db, |c| organisations::list(c, None, 10))
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Saw 0 before".to_string()), "{names:?}");
}
