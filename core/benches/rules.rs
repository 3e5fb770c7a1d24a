//! Benchmarks of the pure rules, without a database: the attendance rate over a cohort's
//! sessions, and eligibility for one learner and for 100,000.
//!
//! ```sh
//! cargo bench -p peertrack-core --bench rules
//! ```

use std::collections::BTreeSet;
use std::hint::black_box;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use peertrack_core::domain::{
    AttendanceRate, AttendanceStatus, HeldSession, LearnerRecord, ProgrammeDefinition, SupervisionFormat,
    VerifiedSupervision,
};
use peertrack_core::seed::seeded_definitions;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid instant")
}

fn enrolled_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 4).expect("a valid date")
}

/// A cohort's weekly sessions as one learner's register shows them: mostly present, some late,
/// absent or excused, the last few not yet held.
fn sessions(count: usize, variant: usize) -> Vec<HeldSession> {
    let first = Utc
        .with_ymd_and_hms(2027, 1, 6, 10, 0, 0)
        .single()
        .expect("a valid instant");
    (0..count)
        .map(|k| HeldSession {
            starts_at: first + Duration::weeks(k as i64 * 2),
            status: match (k + variant) % 13 {
                0 => Some(AttendanceStatus::Absent),
                1 => Some(AttendanceStatus::Late),
                2 => Some(AttendanceStatus::Excused),
                3 if variant % 7 == 0 => None,
                _ => Some(AttendanceStatus::Present),
            },
        })
        .collect()
}

/// A learner's record against `definition`, varied by `variant` so that some are eligible and
/// some fall short in different ways.
fn record(definition: &ProgrammeDefinition, variant: usize) -> LearnerRecord {
    let achieved: BTreeSet<String> = definition
        .modules
        .iter()
        .enumerate()
        .filter(|(i, _)| (variant + i) % 11 != 0)
        .map(|(_, m)| m.code.clone())
        .collect();
    let supervision = (0..(variant % 9))
        .map(|k| VerifiedSupervision {
            occurred_on: enrolled_on() + Duration::weeks(k as i64 + 4),
            duration_minutes: 60,
            format: if k % 3 == 0 {
                SupervisionFormat::Group
            } else {
                SupervisionFormat::Individual
            },
        })
        .collect();
    LearnerRecord {
        attendance: AttendanceRate::compute(&sessions(12, variant), enrolled_on(), now()),
        achieved_modules: achieved,
        supervision,
        verified_practice_minutes: u32::try_from((variant % 30) * 60).unwrap_or(0),
    }
}

fn attendance_rate(c: &mut Criterion) {
    let cohort = sessions(12, 3);
    c.bench_function("attendance rate, one learner over a cohort's 12 sessions", |b| {
        b.iter(|| AttendanceRate::compute(black_box(&cohort), enrolled_on(), now()))
    });
}

fn eligibility(c: &mut Criterion) {
    let definitions = seeded_definitions().expect("the seeded programmes read");
    for definition in &definitions {
        let learner = record(definition, 5);
        c.bench_function(&format!("eligibility, one learner ({})", definition.code), |b| {
            b.iter(|| definition.rule.evaluate(&definition.modules, black_box(&learner)))
        });
    }
    // Three in four learners on Peer2Peer, as in the demo data.
    let learners: Vec<(&ProgrammeDefinition, LearnerRecord)> = (0..100_000)
        .map(|i| {
            let definition = &definitions[usize::from(i % 4 == 3)];
            (definition, record(definition, i))
        })
        .collect();
    let mut group = c.benchmark_group("eligibility, 100,000 learners");
    group.sample_size(10);
    group.bench_function("evaluate every record", |b| {
        b.iter(|| {
            learners
                .iter()
                .filter(|(definition, learner)| {
                    definition.rule.evaluate(&definition.modules, learner).eligible
                })
                .count()
        })
    });
    group.finish();
}

criterion_group!(rules, attendance_rate, eligibility);
criterion_main!(rules);
