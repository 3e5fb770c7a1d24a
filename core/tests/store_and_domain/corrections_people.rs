//! Records people can correct, through the services every front end calls, on both databases:
//! names and email addresses, certificates reissued, programmes published at run time, and
//! finding people.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use peertrack_core::access::{Caller, Partner};
use peertrack_core::seed;
use peertrack_core::service::cohorts::{self, NewCohort};
use peertrack_core::service::people::{self, Correction};
use peertrack_core::service::{consents, me, organisations, programmes, register};
use peertrack_core::store::certificates::{self as certificate_store, NewCertificate};
use peertrack_core::store::{self, stored, Database};
use peertrack_core::Error;

peertrack_core::on_both_backends!(
    partners_who_may_see_a_person_hear_their_name_changed,
    a_refused_correction_changes_nothing,
    an_email_address_belongs_to_one_person,
    a_reissued_certificate_keeps_its_number_and_code,
    programme_files_name_the_field_at_fault,
    cohorts_keep_the_version_they_started_with,
    people_are_found_by_part_of_a_name_in_any_script,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

/// The fields a refusal names, in order.
#[track_caller]
fn fields<T: std::fmt::Debug>(result: peertrack_core::Result<T>) -> Vec<String> {
    match result {
        Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a refusal naming fields, got {other:?}"),
    }
}

/// Seeded programmes and an administrator.
fn admin(db: &Database) -> Caller {
    db.write(|conn| {
        seed::seed_programmes(conn, stored(now()))?;
        let id = people::make_admin(conn, &Caller::Operator, "ada@example.org", "Ada Admin", now())?;
        Ok(Caller::person(id, true, "session"))
    })
    .unwrap()
}

/// A signed-in person.
fn person(db: &Database, email: &str, name: &str) -> Caller {
    db.write(|conn| {
        let (person, _) = store::people::find_or_create(conn, email, name, stored(now()))?;
        Ok(Caller::person(person.id, false, "session"))
    })
    .unwrap()
}

fn kinds_seen_by(db: &Database, organisation_id: &str) -> Vec<String> {
    let partner = Partner {
        organisation_id: organisation_id.into(),
        api_key_id: "key".into(),
    };
    db.read(|conn| register::changes_for(conn, &partner, 0, 100))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn partners_who_may_see_a_person_hear_their_name_changed(db: &Database) {
    let admin = admin(db);
    let zofia = person(db, "zofia@example.org", "Zofia Nowak");
    let shared = db
        .write(|conn| organisations::create(conn, &admin, "Shared", now()))
        .unwrap();
    let other = db
        .write(|conn| organisations::create(conn, &admin, "Other", now()))
        .unwrap();
    db.write(|conn| consents::share(conn, &zofia, &shared.id, now()))
        .unwrap();

    let minutes = |n: i64| now() + chrono::Duration::minutes(n);
    let renamed = db
        .write(|conn| me::rename(conn, &zofia, "  Zofia Nowak-Kowalczyk ", minutes(1)))
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Zofia Nowak-Kowalczyk"));
    assert_eq!(
        kinds_seen_by(db, &shared.id),
        ["consent.granted", "person_renamed"]
    );
    assert!(kinds_seen_by(db, &other.id).is_empty());

    // After she stops sharing, later changes are not the partner's to see.
    db.write(|conn| consents::stop_sharing(conn, &zofia, &shared.id, minutes(2)))
        .unwrap();
    db.write(|conn| me::rename(conn, &zofia, "Zofia N. Kowalczyk", minutes(3)))
        .unwrap();
    assert_eq!(
        kinds_seen_by(db, &shared.id),
        ["consent.granted", "person_renamed", "consent.withdrawn"]
    );
}

fn a_refused_correction_changes_nothing(db: &Database) {
    let admin = admin(db);
    let zofia = person(db, "zofia@example.org", "Zofia Nowak");
    let id = zofia.person_id().unwrap().to_string();
    assert_eq!(
        fields(db.write(|conn| me::rename(conn, &zofia, "Zofia\r\nBcc: x@y", now()))),
        ["name"]
    );
    // Both fields at fault are named; neither is written.
    let correction = Correction {
        name: Some(" ".into()),
        email: Some("nope".into()),
    };
    assert_eq!(
        fields(db.write(|conn| people::correct(conn, &admin, &id, &correction, now()))),
        ["name", "email"]
    );
    // Only administrators correct someone else.
    let correction = Correction {
        name: Some("Someone".into()),
        email: None,
    };
    let stranger = person(db, "jan@example.org", "Jan");
    assert!(matches!(
        db.write(|conn| people::correct(conn, &stranger, &id, &correction, now())),
        Err(Error::NotAllowed(_))
    ));
    let stored_person = db.read(|conn| store::people::get(conn, &id)).unwrap();
    assert_eq!(stored_person.name.as_deref(), Some("Zofia Nowak"));
    assert_eq!(stored_person.email.as_deref(), Some("zofia@example.org"));
}

fn an_email_address_belongs_to_one_person(db: &Database) {
    let admin = admin(db);
    let zofia = person(db, "zofia@example.org", "Zofia Nowak");
    person(db, "jan@example.org", "Jan Kowalski");
    let id = zofia.person_id().unwrap().to_string();
    let to = |email: &str| Correction {
        name: None,
        email: Some(email.into()),
    };
    assert_eq!(
        fields(db.write(|conn| people::correct(conn, &admin, &id, &to(" JAN@example.org"), now()))),
        ["email"]
    );
    let corrected = db
        .write(|conn| people::correct(conn, &admin, &id, &to("Zofia.Nowak@Example.org"), now()))
        .unwrap();
    assert_eq!(corrected.email.as_deref(), Some("zofia.nowak@example.org"));
    // Her own address again is no clash.
    db.write(|conn| people::correct(conn, &admin, &id, &to("zofia.nowak@example.org"), now()))
        .unwrap();
}

fn a_reissued_certificate_keeps_its_number_and_code(db: &Database) {
    let admin = admin(db);
    let anna = person(db, "anna@example.org", "Anna Kowalska");
    let anna_id = anna.person_id().unwrap().to_string();
    let certificate = db
        .write(|conn| {
            let version = store::programmes::current(conn, "P2P")?;
            certificate_store::issue(
                conn,
                &NewCertificate {
                    person_id: anna_id.clone(),
                    holder_name: "Anna Kowalska".into(),
                    programme_id: version.programme_id,
                    programme_code: "P2P".into(),
                    programme_version_id: version.version_id,
                    cohort_id: None,
                    issued_on: now().date_naive(),
                    expires_on: None,
                    issued_by: admin.person_id().unwrap().into(),
                },
                stored(now()),
            )
        })
        .unwrap();
    db.write(|conn| me::rename(conn, &anna, "Anna Wójcik", now()))
        .unwrap();
    let reissued = db
        .write(|conn| {
            peertrack_core::service::certificates::reissue_as(
                conn,
                &anna,
                &certificate.id,
                now(),
                "https://p.example",
            )
        })
        .unwrap();
    assert_eq!(reissued.certificate.holder_name.as_deref(), Some("Anna Wójcik"));
    assert_eq!(reissued.certificate.number, certificate.number);
    assert_eq!(
        reissued.certificate.verification_code,
        certificate.verification_code
    );
    let history = db
        .read(|conn| certificate_store::reissues(conn, &certificate.id))
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].previous_name.as_deref(), Some("Anna Kowalska"));

    db.write(|conn| {
        peertrack_core::service::certificates::revoke_as(
            conn,
            &admin,
            &certificate.id,
            "Issued in error",
            now(),
            "https://p.example",
        )
    })
    .unwrap();
    assert!(matches!(
        db.write(|conn| peertrack_core::service::certificates::reissue_as(
            conn,
            &admin,
            &certificate.id,
            now(),
            "https://p.example"
        )),
        Err(Error::Conflict(message)) if message.contains("revoked")
    ));
}

const OWN_PROGRAMME: &str = r#"
code = "LPN"
title = "Lothian Peer Network Foundation"
description = "Our own peer support course."
awarding_body = "Lothian Peer Network"
version = 1

[rule]
min_attendance_percent = 75

[[modules]]
code = "A"
title = "Module A"
core = true
planned_hours = 6
assessment_kind = "participation"
"#;

fn programme_files_name_the_field_at_fault(db: &Database) {
    let admin = admin(db);
    let publish =
        |text: &str, caller: &Caller| db.write(|conn| programmes::publish_toml(conn, caller, text, now()));
    for (change, field) in [
        (
            ("min_attendance_percent = 75", "min_attendance_percent = 175"),
            "rule.min_attendance_percent",
        ),
        (
            ("min_attendance_percent = 75", "min_attendance_percent = 975"),
            "rule.min_attendance_percent",
        ),
        (
            ("min_attendance_percent = 75", "validity_months = 0"),
            "rule.validity_months",
        ),
        (
            ("min_attendance_percent = 75", "min_attendance = 75"),
            "rule.min_attendance",
        ),
        (("code = \"LPN\"", "code = \"L P N\""), "code"),
        (("core = true", "core = \"yes\""), "modules[0].core"),
        (("planned_hours = 6\n", ""), "modules[0].planned_hours"),
        (("title = \"Module A\"", "title = \"\""), "modules[0].title"),
    ] {
        let text = OWN_PROGRAMME.replace(change.0, change.1);
        assert_eq!(fields(publish(&text, &admin)), [field], "{}", change.1);
    }
    assert_eq!(fields(publish("code = ", &admin)), ["file"]);
    let stranger = person(db, "jan@example.org", "Jan");
    assert!(matches!(
        publish(OWN_PROGRAMME, &stranger),
        Err(Error::NotAllowed(_))
    ));

    let (version, _) = publish(OWN_PROGRAMME, &admin).unwrap();
    assert_eq!(version.definition.code, "LPN");
    // The same version again, or a lower one, is refused naming `version`.
    assert_eq!(fields(publish(OWN_PROGRAMME, &admin)), ["version"]);
    let two = OWN_PROGRAMME.replace("version = 1", "version = 2");
    publish(&two, &admin).unwrap();
    assert_eq!(fields(publish(OWN_PROGRAMME, &admin)), ["version"]);
    let versions = db
        .read(|conn| programmes::versions(conn, &admin, "LPN"))
        .unwrap()
        .into_iter()
        .map(|v| v.definition.version)
        .collect::<Vec<_>>();
    assert_eq!(versions, [2, 1]);
}

fn cohorts_keep_the_version_they_started_with(db: &Database) {
    let admin = admin(db);
    let organisation = db
        .write(|conn| organisations::create(conn, &admin, "Penumbra", now()))
        .unwrap();
    let new_cohort = |name: &str| NewCohort {
        programme_code: "LPN".into(),
        organisation_id: organisation.id.clone(),
        name: name.into(),
        starts_on: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        ends_on: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
        tutor_emails: vec![],
    };
    db.write(|conn| programmes::publish_toml(conn, &admin, OWN_PROGRAMME, now()))
        .unwrap();
    let running = db
        .write(|conn| cohorts::create(conn, &admin, &new_cohort("Running"), now()))
        .unwrap();
    let two = OWN_PROGRAMME
        .replace("version = 1", "version = 2")
        .replace("min_attendance_percent = 75", "min_attendance_percent = 85");
    db.write(|conn| programmes::publish_toml(conn, &admin, &two, now()))
        .unwrap();
    let later = db
        .write(|conn| cohorts::create(conn, &admin, &new_cohort("Later"), now()))
        .unwrap();
    let running = db
        .read(|conn| cohorts::get(conn, &admin, &running.cohort.id))
        .unwrap();
    assert_eq!(running.programme_version, 1);
    assert_eq!(later.programme_version, 2);
}

fn people_are_found_by_part_of_a_name_in_any_script(db: &Database) {
    let admin = admin(db);
    for (email, name) in [
        ("lucja@example.org", "Łucja Żółkiewska"),
        ("sofia@example.org", "Σοφία Παπαδοπούλου"),
        ("nikos@example.org", "ΝΙΚΟΣ ΠΑΠΑΣ"),
        ("olena@example.org", "Олена Коваленко"),
        ("wang@example.org", "王小明"),
    ] {
        person(db, email, name);
    }
    let find = |q: &str| {
        let mut names: Vec<String> = db
            .read(|conn| people::search(conn, &admin, q, None, 50))
            .unwrap()
            .into_iter()
            .filter_map(|p| p.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(find("ŻÓŁKIEW"), ["Łucja Żółkiewska"]);
    assert_eq!(find("ΠΑΠΑΔ"), ["Σοφία Παπαδοπούλου"]);
    assert_eq!(find("παπας"), ["ΝΙΚΟΣ ΠΑΠΑΣ"]);
    assert_eq!(find("олена"), ["Олена Коваленко"]);
    assert_eq!(find("小明"), ["王小明"]);
    assert_eq!(find("OLENA@"), ["Олена Коваленко"]);
    assert_eq!(find("ada admin"), ["Ada Admin"]);
    assert!(find("nobody").is_empty());
    assert_eq!(
        fields(db.read(|conn| people::search(conn, &admin, "  ", None, 50))),
        ["q"]
    );
    let stranger = person(db, "jan@example.org", "Jan");
    assert!(matches!(
        db.read(|conn| people::search(conn, &stranger, "a", None, 50)),
        Err(Error::NotAllowed(_))
    ));
}
