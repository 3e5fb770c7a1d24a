//! The demo data set on both backends: the same seed gives the same people and certificates,
//! the proportions are as described, every certificate went to someone who met the rule, and
//! certificate numbers continue their sequences.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use peertrack_core::demo::{self, DemoOptions, DemoSummary};
use peertrack_core::service::progress;
use peertrack_core::store::schema::{
    certificate_sequences, certificates, consents, organisations, people, programmes,
};
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::Database;
use peertrack_core::Error;

peertrack_core::on_both_backends!(
    the_demo_is_realistic_and_every_certificate_was_earned,
    the_demo_refuses_a_database_that_already_has_it,
);

fn options(seed: u64) -> DemoOptions {
    DemoOptions {
        people: 600,
        seed,
        today: NaiveDate::from_ymd_opt(2027, 3, 1).expect("a date"),
    }
}

/// What a person would compare between two runs: who is there, and who holds which certificate.
/// People (id, name), certificates (number, code) and the access-log size.
type Contents = (Vec<(String, Option<String>)>, Vec<(String, String)>, usize);

fn contents(db: &Database) -> Contents {
    db.read(|conn| {
        let everyone: Vec<(String, Option<String>)> = people::table
            .order(people::id)
            .select((people::id, people::name))
            .load(conn)?;
        let held: Vec<(String, String)> = certificates::table
            .order(certificates::number)
            .select((certificates::number, certificates::person_id))
            .load(conn)?;
        let sharing: i64 = consents::table.count().get_result(conn)?;
        Ok((everyone, held, usize::try_from(sharing).unwrap_or(0)))
    })
    .expect("read the demo data")
}

fn the_demo_is_realistic_and_every_certificate_was_earned(db: &Database) {
    let summary: DemoSummary = demo::generate(db, &options(42)).expect("the demo data");

    // The same seed on another database gives the same data; another seed does not.
    let again = TestDatabase::sqlite();
    assert_eq!(
        demo::generate(&again, &options(42)).expect("the demo again"),
        summary
    );
    let (people_here, certificates_here, consents_here) = contents(db);
    let (people_there, certificates_there, consents_there) = contents(&again);
    assert_eq!(people_here, people_there);
    assert_eq!(certificates_here, certificates_there);
    assert_eq!(consents_here, consents_there);
    let other = TestDatabase::sqlite();
    demo::generate(&other, &options(43)).expect("another seed");
    assert_ne!(contents(&other).0, people_here);

    // About 60% certified, about half of them sharing with the partner, some expired or revoked.
    assert_eq!(summary.learners, 600);
    let certified = summary.certificates as f64 / summary.learners as f64;
    assert!((0.5..=0.7).contains(&certified), "{certified:.2} certified");
    let sharing = summary.consents as f64 / summary.certificates as f64;
    assert!(
        (0.35..=0.65).contains(&sharing),
        "{sharing:.2} of the certified share"
    );
    assert!(summary.expired_certificates > 0 && summary.revoked_certificates > 0);
    assert!(summary.access_log_entries > 0 && summary.supervision_sessions > 0);
    let partner: String = db
        .read(|conn| {
            Ok(organisations::table
                .filter(organisations::name.eq(demo::PARTNER_NAME))
                .select(organisations::id)
                .first(conn)?)
        })
        .unwrap();
    assert_eq!(summary.partner_organisation_id, partner);

    // Every certificate went to a learner who meets the rule of the cohort it names.
    let now = options(42).today.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let mut eligible = HashSet::new();
    let totals = db
        .read(|conn| {
            progress::every_learner_progress(conn, now, |p| {
                if p.eligibility.eligible {
                    eligible.insert((p.enrolment.cohort_id.clone(), p.enrolment.person_id.clone()));
                }
            })
        })
        .unwrap();
    assert_eq!(totals.enrolments, 600);
    // Judged on three connections at once, the register comes out the same, learner by learner.
    let in_parallel = std::sync::Mutex::new(HashSet::new());
    let parallel_totals = progress::every_learner_progress_in_parallel(db, now, 3, |p| {
        if p.eligibility.eligible {
            in_parallel
                .lock()
                .unwrap()
                .insert((p.enrolment.cohort_id.clone(), p.enrolment.person_id.clone()));
        }
    })
    .unwrap();
    assert_eq!(parallel_totals, totals);
    assert_eq!(in_parallel.into_inner().unwrap(), eligible);
    let held: Vec<(Option<String>, String, String, String)> = db
        .read(|conn| {
            Ok(certificates::table
                .inner_join(programmes::table)
                .select((
                    certificates::cohort_id,
                    certificates::person_id,
                    certificates::number,
                    programmes::code,
                ))
                .load(conn)?)
        })
        .unwrap();
    assert_eq!(held.len(), summary.certificates);
    let mut highest: BTreeMap<(String, i32), i32> = BTreeMap::new();
    let mut numbers = HashSet::new();
    for (cohort, person, number, code) in &held {
        let cohort = cohort.clone().expect("demo certificates name their cohort");
        assert!(
            eligible.contains(&(cohort, person.clone())),
            "{number} went to someone not eligible"
        );
        // PROGRAMME-YEAR-NNNNNN
        let (rest, sequence) = number.rsplit_once('-').unwrap();
        let (programme, year) = rest.rsplit_once('-').unwrap();
        assert_eq!(programme, code);
        assert_eq!(sequence.len(), 6, "{number}");
        assert!(numbers.insert(number.clone()), "{number} issued twice");
        let entry = highest.entry((code.clone(), year.parse().unwrap())).or_default();
        *entry = (*entry).max(sequence.parse().unwrap());
    }
    // The sequences carry on after the demo's numbers.
    let sequences: HashMap<(String, i32), i32> = db
        .read(|conn| {
            Ok(certificate_sequences::table
                .inner_join(programmes::table)
                .select((
                    programmes::code,
                    certificate_sequences::year,
                    certificate_sequences::last_number,
                ))
                .load::<(String, i32, i32)>(conn)?
                .into_iter()
                .map(|(code, year, last)| ((code, year), last))
                .collect())
        })
        .unwrap();
    for (key, last) in &highest {
        assert_eq!(sequences.get(key), Some(last), "sequence of {key:?}");
    }
    let codes: HashSet<String> = db
        .read(|conn| {
            Ok(certificates::table
                .select(certificates::verification_code)
                .load(conn)?)
        })
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(codes.len(), summary.certificates, "verification codes are unique");
}

fn the_demo_refuses_a_database_that_already_has_it(db: &Database) {
    let small = DemoOptions {
        people: 30,
        seed: 1,
        today: Utc::now().date_naive(),
    };
    demo::generate(db, &small).expect("the demo data");
    assert!(matches!(demo::generate(db, &small), Err(Error::Conflict(_))));
}
