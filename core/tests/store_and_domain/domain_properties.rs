//! Property tests of the pure domain rules: what must hold for every register, record, rule and
//! date, not only for the examples in `domain_rules.rs`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use peertrack_core::domain::certificate::{expiry_after, renewed_expiry, CategoryMinimum};
use peertrack_core::domain::eligibility::FormatMinimum;
use peertrack_core::domain::{
    AttendanceRate, AttendanceStatus, CertificateStatus, CertificationRule, CpdEntry, HeldSession,
    LearnerRecord, PlannedSession, ProgrammeDefinition, RenewalRule, Requirement, SupervisionFormat,
    VerifiedSupervision,
};
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------------
// Fixed points in time and strategies

fn enrolled_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn p2p() -> ProgrammeDefinition {
    ProgrammeDefinition::from_toml(include_str!("../../programmes/p2p.toml")).unwrap()
}

fn any_mark() -> impl Strategy<Value = Option<AttendanceStatus>> {
    prop::option::weighted(0.85, select(AttendanceStatus::ALL))
}

fn attended_mark() -> impl Strategy<Value = AttendanceStatus> {
    select(vec![AttendanceStatus::Present, AttendanceStatus::Late])
}

/// A session held between enrolment and now (inclusive), so it always counts unless excused.
fn counted_session(
    mark: impl Strategy<Value = Option<AttendanceStatus>>,
) -> impl Strategy<Value = HeldSession> {
    let span = (now() - enrolled_on().and_hms_opt(0, 0, 0).unwrap().and_utc()).num_minutes();
    (0..=span, mark).prop_map(|(minutes, status)| HeldSession {
        starts_at: enrolled_on().and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::minutes(minutes),
        status,
    })
}

/// A session before the enrolment date or after now: never counts.
fn uncounted_session() -> impl Strategy<Value = HeldSession> {
    let before = (1i64..=60 * 24 * 365).prop_map(|minutes| {
        enrolled_on().and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::minutes(minutes)
    });
    let after = (1i64..=60 * 24 * 365).prop_map(|minutes| now() + Duration::minutes(minutes));
    (prop_oneof![before, after], any_mark()).prop_map(|(starts_at, status)| HeldSession { starts_at, status })
}

/// Sessions anywhere around the enrolment and now.
fn sessions() -> impl Strategy<Value = Vec<HeldSession>> {
    prop::collection::vec(
        prop_oneof![3 => counted_session(any_mark()), 1 => uncounted_session()],
        0..40,
    )
}

fn rate_of(sessions: &[HeldSession]) -> AttendanceRate {
    AttendanceRate::compute(sessions, enrolled_on(), now())
}

/// A rate with `attended <= counted`, as `compute` produces.
fn any_rate() -> impl Strategy<Value = AttendanceRate> {
    (0u32..200, 0u32..200, 0u32..20, 0u32..200).prop_map(|(a, b, excused, u)| {
        let (attended, counted) = (a.min(b), a.max(b));
        AttendanceRate {
            attended,
            counted,
            excused,
            unrecorded: u.min(counted - attended),
        }
    })
}

fn any_format() -> impl Strategy<Value = SupervisionFormat> {
    select(SupervisionFormat::ALL)
}

fn any_supervision() -> impl Strategy<Value = VerifiedSupervision> {
    (0i64..400, 15u32..=180, any_format()).prop_map(|(day, duration_minutes, format)| VerifiedSupervision {
        occurred_on: enrolled_on() + Duration::days(day),
        duration_minutes,
        format,
    })
}

fn p2p_codes() -> Vec<String> {
    p2p().modules.iter().map(|m| m.code.clone()).collect()
}

/// A learner record against the P2P modules, with a stray unknown code now and then.
fn any_record() -> impl Strategy<Value = LearnerRecord> {
    let mut codes = p2p_codes();
    codes.push("UNKNOWN".into());
    (
        any_rate(),
        prop::sample::subsequence(codes.clone(), 0..=codes.len()),
        prop::collection::vec(any_supervision(), 0..12),
        0u32..(40 * 60),
    )
        .prop_map(
            |(attendance, achieved, supervision, verified_practice_minutes)| LearnerRecord {
                attendance,
                achieved_modules: achieved.into_iter().collect(),
                supervision,
                verified_practice_minutes,
            },
        )
}

/// Any rule the P2P modules can satisfy (P2P has two optional modules).
fn any_rule() -> impl Strategy<Value = CertificationRule> {
    (
        prop::option::of(0u8..=100),
        any::<bool>(),
        0u32..=2,
        prop::option::of(0u32..10),
        prop::option::of(0u32..15),
        prop::collection::vec(
            (any_format(), 0u32..6).prop_map(|(format, hours)| FormatMinimum { format, hours }),
            0..3,
        ),
        prop::option::of(0u32..30),
    )
        .prop_map(
            |(
                min_attendance_percent,
                all_core_modules,
                min_optional_modules,
                min_supervision_sessions,
                min_supervision_hours,
                min_supervision_hours_by_format,
                min_practice_hours,
            )| CertificationRule {
                min_attendance_percent,
                all_core_modules,
                min_optional_modules,
                min_supervision_sessions,
                min_supervision_hours,
                min_supervision_hours_by_format,
                min_practice_hours,
                validity_months: None,
                renewal: None,
            },
        )
}

const CATEGORIES: [&str; 4] = ["ethics", "peer_recovery", "advocacy", "wellness"];

fn any_renewal() -> impl Strategy<Value = RenewalRule> {
    (
        1u32..=36,
        0u32..=40,
        prop::collection::vec((select(CATEGORIES.to_vec()), 0u32..=10), 0..3),
    )
        .prop_map(|(period_months, min_hours, categories)| RenewalRule {
            period_months,
            min_hours,
            categories: categories
                .into_iter()
                .map(|(category, hours)| CategoryMinimum {
                    category: category.to_string(),
                    hours,
                })
                .collect(),
        })
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 2020-01-01 plus up to about 15 years, leap days included.
    (0i64..5500).prop_map(|days| NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days(days))
}

fn any_cpd() -> impl Strategy<Value = CpdEntry> {
    (any_date(), 0u32..=600, select(CATEGORIES.to_vec())).prop_map(|(completed_on, minutes, category)| {
        CpdEntry {
            completed_on,
            minutes,
            category: category.to_string(),
        }
    })
}

/// Every requirement met after the change was already met before it, or newly met.
fn no_requirement_lost(before: &[Requirement], after: &[Requirement]) -> Result<(), TestCaseError> {
    prop_assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(after) {
        prop_assert_eq!(&b.kind, &a.kind);
        prop_assert!(!b.met || a.met, "{:?} was met and no longer is: {:?}", b, a);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Attendance

proptest! {
    #[test]
    fn attendance_percent_is_always_between_0_and_100(sessions in sessions()) {
        let rate = rate_of(&sessions);
        prop_assert!(rate.attended <= rate.counted);
        prop_assert!(rate.unrecorded <= rate.counted - rate.attended);
        prop_assert!(rate.counted + rate.excused <= sessions.len() as u32);
        match rate.percent() {
            None => prop_assert_eq!(rate.counted, 0),
            Some(percent) => prop_assert!((0.0..=100.0).contains(&percent), "{}", percent),
        }
        if let Some(permille) = rate.permille_floor() {
            prop_assert!(permille <= 1000);
        }
    }

    #[test]
    fn attending_one_more_held_session_never_lowers_the_rate(
        sessions in sessions(),
        extra in counted_session(attended_mark().prop_map(Some)),
        minimum in 0u8..=100,
    ) {
        let before = rate_of(&sessions);
        let mut more = sessions.clone();
        more.push(extra);
        let after = rate_of(&more);
        prop_assert_eq!(after.attended, before.attended + 1);
        prop_assert_eq!(after.counted, before.counted + 1);
        // attended / counted never decreases: compare without floating point.
        prop_assert!(
            u64::from(after.attended) * u64::from(before.counted)
                >= u64::from(before.attended) * u64::from(after.counted)
        );
        prop_assert!(!before.meets(minimum) || after.meets(minimum));
        prop_assert!(after.sessions_short_of(minimum) <= before.sessions_short_of(minimum));
    }

    #[test]
    fn sessions_before_enrolment_or_in_the_future_change_nothing(
        sessions in sessions(),
        ignored in prop::collection::vec(uncounted_session(), 1..10),
    ) {
        let before = rate_of(&sessions);
        let mut more = sessions.clone();
        more.extend(ignored);
        prop_assert_eq!(rate_of(&more), before);
    }

    #[test]
    fn the_order_of_sessions_does_not_matter(sessions in sessions()) {
        let mut reversed = sessions.clone();
        reversed.reverse();
        prop_assert_eq!(rate_of(&reversed), rate_of(&sessions));
    }

    #[test]
    fn excused_sessions_never_change_whether_the_minimum_is_met(
        sessions in sessions(),
        excused in prop::collection::vec(counted_session(Just(Some(AttendanceStatus::Excused))), 1..10),
        minimum in 0u8..=100,
    ) {
        let before = rate_of(&sessions);
        let mut more = sessions.clone();
        more.extend(excused.iter().copied());
        let after = rate_of(&more);
        prop_assert_eq!(after.excused, before.excused + excused.len() as u32);
        prop_assert_eq!((after.attended, after.counted, after.unrecorded), (before.attended, before.counted, before.unrecorded));
        prop_assert_eq!(after.meets(minimum), before.meets(minimum));
    }

    #[test]
    fn sessions_short_of_is_the_fewest_sessions_that_reach_the_minimum(
        rate in any_rate(),
        minimum in 0u8..100,
    ) {
        let k = rate.sessions_short_of(minimum);
        prop_assert!(k < u32::MAX);
        let after = |extra: u32| AttendanceRate {
            attended: rate.attended + extra,
            counted: rate.counted + extra,
            ..rate
        };
        prop_assert!(after(k).meets(minimum), "{} more sessions do not reach {}%", k, minimum);
        if k > 0 {
            prop_assert!(!after(k - 1).meets(minimum), "{} sessions would already do", k - 1);
        } else {
            prop_assert!(rate.meets(minimum));
        }
    }

    #[test]
    fn at_100_percent_a_missed_session_can_never_be_made_up(rate in any_rate()) {
        if rate.attended < rate.counted {
            prop_assert!(!rate.meets(100));
            prop_assert_eq!(rate.sessions_short_of(100), u32::MAX);
        } else {
            prop_assert!(rate.meets(100));
            prop_assert_eq!(rate.sessions_short_of(100), 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Eligibility

proptest! {
    #[test]
    fn eligible_exactly_when_every_requirement_is_met(rule in any_rule(), record in any_record()) {
        let modules = p2p().modules;
        let eligibility = rule.evaluate(&modules, &record);
        prop_assert_eq!(eligibility.eligible, eligibility.requirements.iter().all(|r| r.met));
        let unmet = rule.unmet_requirements(&modules, &record);
        prop_assert_eq!(unmet.len(), eligibility.unmet().count());
        prop_assert!(unmet.iter().all(|r| !r.met));
        prop_assert_eq!(eligibility.eligible, unmet.is_empty());
        // No requirement is listed twice.
        let kinds: BTreeSet<_> = eligibility.requirements.iter().map(|r| r.kind.clone()).collect();
        let distinct_formats: BTreeSet<_> = rule.min_supervision_hours_by_format.iter().map(|m| m.format).collect();
        let duplicated_formats = rule.min_supervision_hours_by_format.len() - distinct_formats.len();
        prop_assert_eq!(kinds.len() + duplicated_formats, eligibility.requirements.len());
    }

    #[test]
    fn what_people_are_shown_agrees_with_met(rule in any_rule(), record in any_record()) {
        let eligibility = rule.evaluate(&p2p().modules, &record);
        for requirement in &eligibility.requirements {
            // A requirement shown as reached is met, and one shown as short is not.
            prop_assert_eq!(
                requirement.met,
                requirement.actual >= requirement.required,
                "{:?}", requirement
            );
            prop_assert!(!requirement.explanation.is_empty());
            let says_done = requirement.explanation.contains("Done.")
                || requirement.explanation.contains("not holding anything up");
            prop_assert_eq!(requirement.met, says_done, "{:?}", requirement);
        }
    }

    #[test]
    fn more_verified_supervision_never_makes_a_learner_ineligible(
        rule in any_rule(),
        record in any_record(),
        extra in prop::collection::vec(any_supervision(), 1..5),
    ) {
        let modules = p2p().modules;
        let before = rule.evaluate(&modules, &record);
        let mut more = record.clone();
        more.supervision.extend(extra);
        let after = rule.evaluate(&modules, &more);
        prop_assert!(!before.eligible || after.eligible);
        no_requirement_lost(&before.requirements, &after.requirements)?;
    }

    #[test]
    fn more_achieved_modules_or_practice_never_make_a_learner_ineligible(
        rule in any_rule(),
        record in any_record(),
        module in select(p2p_codes()),
        extra_minutes in 0u32..600,
    ) {
        let modules = p2p().modules;
        let before = rule.evaluate(&modules, &record);
        let mut more = record.clone();
        more.achieved_modules.insert(module);
        more.verified_practice_minutes += extra_minutes;
        let after = rule.evaluate(&modules, &more);
        prop_assert!(!before.eligible || after.eligible);
        no_requirement_lost(&before.requirements, &after.requirements)?;
    }

    #[test]
    fn a_p2p_learner_with_everything_is_eligible_and_each_gap_is_reported(record in any_record()) {
        let programme = p2p();
        let eligibility = programme.rule.evaluate(&programme.modules, &record);
        let all_core = programme.core_modules().all(|m| record.achieved_modules.contains(&m.code));
        let expected = record.attendance.meets(80) && all_core && record.supervision.len() >= 6;
        prop_assert_eq!(eligibility.eligible, expected);
        prop_assert_eq!(eligibility.requirements.len(), 3);
    }
}

// ---------------------------------------------------------------------------------------------
// Renewal and certificate dates

proptest! {
    #[test]
    fn more_development_never_undoes_a_renewal(
        rule in any_renewal(),
        entries in prop::collection::vec(any_cpd(), 0..15),
        extra in prop::collection::vec(any_cpd(), 1..5),
        expires_on in any_date(),
        today in any_date(),
    ) {
        let before = rule.evaluate(&entries, expires_on, today);
        let mut more = entries.clone();
        more.extend(extra);
        let after = rule.evaluate(&more, expires_on, today);
        prop_assert_eq!(before.len(), 1 + rule.categories.len());
        no_requirement_lost(&before, &after)?;
    }

    #[test]
    fn development_outside_the_window_never_counts(
        rule in any_renewal(),
        entries in prop::collection::vec(any_cpd(), 0..15),
        outside in prop::collection::vec(any_cpd(), 1..10),
        expires_on in any_date(),
        today in any_date(),
    ) {
        let start = rule.window_start(expires_on);
        let outside: Vec<CpdEntry> = outside
            .into_iter()
            .filter(|e| e.completed_on < start || e.completed_on > today)
            .collect();
        let mut more = entries.clone();
        more.extend(outside);
        prop_assert_eq!(rule.evaluate(&more, expires_on, today), rule.evaluate(&entries, expires_on, today));
    }

    #[test]
    fn renewal_total_is_the_minutes_inside_the_window(
        rule in any_renewal(),
        entries in prop::collection::vec(any_cpd(), 0..15),
        expires_on in any_date(),
        today in any_date(),
    ) {
        let start = rule.window_start(expires_on);
        let minutes: u64 = entries
            .iter()
            .filter(|e| start <= e.completed_on && e.completed_on <= today)
            .map(|e| u64::from(e.minutes))
            .sum();
        let requirements = rule.evaluate(&entries, expires_on, today);
        prop_assert_eq!(requirements[0].met, minutes >= u64::from(rule.min_hours) * 60);
        for requirement in &requirements {
            prop_assert_eq!(requirement.met, requirement.actual >= requirement.required, "{:?}", requirement);
        }
        // The window is `period_months` back from the expiry date.
        prop_assert!(start < expires_on);
        prop_assert_eq!(expiry_after(start, Some(rule.period_months)).map(|d| d <= expires_on), Some(true));
    }

    #[test]
    fn status_on_a_date_agrees_with_the_expiry_date(
        issued_on in any_date(),
        validity in prop::option::of(1u32..=60),
        day in any_date(),
        revoked in any::<bool>(),
    ) {
        let expires_on = expiry_after(issued_on, validity);
        prop_assert_eq!(expires_on.is_some(), validity.is_some());
        let status = CertificateStatus::on(day, expires_on, revoked);
        let expected = if revoked {
            CertificateStatus::Revoked
        } else if expires_on.is_some_and(|e| day >= e) {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        };
        prop_assert_eq!(status, expected);
        if let Some(expires_on) = expires_on {
            prop_assert!(expires_on > issued_on);
            // Never more than the months asked for (month ends are clamped, never overrun).
            prop_assert!(expires_on.signed_duration_since(issued_on).num_days() <= i64::from(validity.unwrap()) * 31);
            if !revoked {
                prop_assert_eq!(CertificateStatus::on(issued_on, Some(expires_on), false), CertificateStatus::Valid);
                prop_assert_eq!(CertificateStatus::on(expires_on, Some(expires_on), false), CertificateStatus::Expired);
                prop_assert_eq!(CertificateStatus::on(expires_on.pred_opt().unwrap(), Some(expires_on), false), CertificateStatus::Valid);
            }
        }
    }

    #[test]
    fn renewal_never_shortens_a_certificate_and_never_loses_months(
        current in any_date(),
        today in any_date(),
        validity in 1u32..=60,
    ) {
        let renewed = renewed_expiry(current, today, validity);
        prop_assert!(renewed > current);
        prop_assert!(renewed > today);
        // Valid again on the day of renewal and for the whole new cycle.
        prop_assert_eq!(CertificateStatus::on(today, Some(renewed), false), CertificateStatus::Valid);
        let from = current.max(today);
        prop_assert_eq!(Some(renewed), expiry_after(from, Some(validity)));
    }
}

// ---------------------------------------------------------------------------------------------
// Cancelled sessions

/// A timetable around the enrolment and now, with any of its sessions cancelled.
fn timetable() -> impl Strategy<Value = Vec<PlannedSession>> {
    prop::collection::vec(
        (
            prop_oneof![3 => counted_session(any_mark()), 1 => uncounted_session()],
            prop::bool::weighted(0.3),
        )
            .prop_map(|(held, cancelled)| PlannedSession {
                starts_at: held.starts_at,
                status: held.status,
                cancelled,
            }),
        0..40,
    )
}

/// The timetable as if its cancelled sessions had never been planned.
fn never_planned_cancelled(timetable: &[PlannedSession]) -> Vec<HeldSession> {
    timetable
        .iter()
        .filter(|s| !s.cancelled)
        .map(|s| HeldSession {
            starts_at: s.starts_at,
            status: s.status,
        })
        .collect()
}

proptest! {
    /// With any sessions cancelled, every learner's rate equals the rate computed as if those
    /// sessions had never been planned: a cancelled session, marked or not, attended or
    /// missed, moves nothing.
    #[test]
    fn cancelled_sessions_count_as_never_planned(timetable in timetable()) {
        let rate = AttendanceRate::over_planned(&timetable, enrolled_on(), None, now());
        prop_assert_eq!(rate, rate_of(&never_planned_cancelled(&timetable)));
    }

    /// Cancelling one more session never changes what the others say: the rate over the
    /// timetable equals the rate over it with that session taken out altogether.
    #[test]
    fn cancelling_a_session_is_taking_it_off_the_timetable(
        timetable in timetable(),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!timetable.is_empty());
        let at = pick.index(timetable.len());
        let mut cancelled = timetable.clone();
        cancelled[at].cancelled = true;
        let mut removed = timetable.clone();
        removed.remove(at);
        prop_assert_eq!(
            AttendanceRate::over_planned(&cancelled, enrolled_on(), None, now()),
            AttendanceRate::over_planned(&removed, enrolled_on(), None, now())
        );
    }

    /// A learner who left is judged on the sessions held before they left, as if the later
    /// ones were never theirs.
    #[test]
    fn sessions_after_leaving_are_not_the_learners(
        timetable in timetable(),
        left_after_minutes in 0i64..=60 * 24 * 100,
    ) {
        let left_at = enrolled_on().and_hms_opt(0, 0, 0).unwrap().and_utc()
            + Duration::minutes(left_after_minutes);
        let before: Vec<PlannedSession> =
            timetable.iter().copied().filter(|s| s.starts_at < left_at).collect();
        prop_assert_eq!(
            AttendanceRate::over_planned(&timetable, enrolled_on(), Some(left_at), now()),
            AttendanceRate::over_planned(&before, enrolled_on(), None, now())
        );
    }
}
