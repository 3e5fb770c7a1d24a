//! Example-based tests of the pure domain rules: attendance, eligibility against the seeded
//! programmes and the certification schemes of domain.md, certificate expiry and renewal,
//! programme definition checks and the stored text forms.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use peertrack_core::domain::certificate::{expiry_after, renewed_expiry, CategoryMinimum};
use peertrack_core::domain::eligibility::FormatMinimum;
use peertrack_core::domain::{
    AssessmentKind, AssessmentOutcome, AttendanceRate, AttendanceStatus, CertificateStatus,
    CertificationRule, Clock, CpdEntry, EnrolmentStatus, FixedClock, HeldSession, LearnerRecord,
    ProgrammeDefinition, ProgrammeDefinitionError, RenewalRule, Requirement, RequirementKind,
    SupervisionFormat, VerifiedSupervision,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn at(y: i32, m: u32, d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, hour, 0, 0)
        .single()
        .expect("a real instant")
}

/// Weekly sessions at 10:00 UTC from `first`, one per mark.
fn weekly(first: DateTime<Utc>, marks: &[Option<AttendanceStatus>]) -> Vec<HeldSession> {
    marks
        .iter()
        .enumerate()
        .map(|(i, status)| HeldSession {
            starts_at: first + Duration::weeks(i as i64),
            status: *status,
        })
        .collect()
}

/// `attended` sessions present and the rest absent, all held and counted.
fn rate(attended: u32, counted: u32) -> AttendanceRate {
    AttendanceRate {
        attended,
        counted,
        excused: 0,
        unrecorded: 0,
    }
}

fn supervision(sessions: usize, format: SupervisionFormat, minutes: u32) -> Vec<VerifiedSupervision> {
    (0..sessions)
        .map(|i| VerifiedSupervision {
            occurred_on: date(2025, 3, 1) + Duration::days(7 * i as i64),
            duration_minutes: minutes,
            format,
        })
        .collect()
}

fn p2p() -> ProgrammeDefinition {
    ProgrammeDefinition::from_toml(include_str!("../../programmes/p2p.toml"))
        .expect("the seeded P2P programme reads and checks")
}

fn pda() -> ProgrammeDefinition {
    ProgrammeDefinition::from_toml(include_str!("../../programmes/pda-mhps.toml"))
        .expect("the seeded PDA programme reads and checks")
}

fn core_codes(programme: &ProgrammeDefinition) -> BTreeSet<String> {
    programme.core_modules().map(|m| m.code.clone()).collect()
}

/// A learner who meets the seeded P2P rule: 9 of 10 sessions, every core module, 6 sessions of
/// verified supervision.
fn eligible_p2p_learner(programme: &ProgrammeDefinition) -> LearnerRecord {
    LearnerRecord {
        attendance: rate(9, 10),
        achieved_modules: core_codes(programme),
        supervision: supervision(6, SupervisionFormat::Group, 60),
        verified_practice_minutes: 0,
    }
}

fn requirement(requirements: &[Requirement], kind: RequirementKind) -> &Requirement {
    requirements
        .iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} requirement in {requirements:#?}"))
}

fn cpd(y: i32, m: u32, d: u32, hours: u32, category: &str) -> CpdEntry {
    CpdEntry {
        completed_on: date(y, m, d),
        minutes: hours * 60,
        category: category.to_string(),
    }
}

fn all_met(requirements: &[Requirement]) -> bool {
    requirements.iter().all(|r| r.met)
}

fn invalid_reason(result: Result<ProgrammeDefinition, ProgrammeDefinitionError>) -> String {
    match result {
        Err(ProgrammeDefinitionError::Invalid { reason, .. }) => reason,
        other => panic!("expected the definition to be refused as invalid, got {other:?}"),
    }
}

/// A small valid programme in TOML; `rule` and `modules` are spliced in.
fn programme_toml(rule: &str, modules: &str) -> String {
    format!(
        r#"
code = "TEST"
title = "A test programme"
description = "Used by the tests."
awarding_body = "Peertrack tests"
version = 1

[rule]
{rule}

{modules}
"#
    )
}

const TWO_MODULES: &str = r#"
[[modules]]
code = "A"
title = "Module A"
core = true
planned_hours = 6
assessment_kind = "participation"

[[modules]]
code = "B"
title = "Module B"
core = false
planned_hours = 6
assessment_kind = "written"
"#;

// ---------------------------------------------------------------------------------------------
// Attendance

#[test]
fn only_sessions_already_started_count_towards_attendance() {
    let now = at(2025, 5, 1, 12);
    let sessions = vec![
        HeldSession {
            starts_at: now - Duration::days(7),
            status: Some(AttendanceStatus::Present),
        },
        // Starting exactly now counts as held.
        HeldSession {
            starts_at: now,
            status: Some(AttendanceStatus::Absent),
        },
        // Not yet started, even with a mark on the register already.
        HeldSession {
            starts_at: now + Duration::minutes(1),
            status: Some(AttendanceStatus::Absent),
        },
        HeldSession {
            starts_at: now + Duration::days(7),
            status: None,
        },
    ];
    let rate = AttendanceRate::compute(&sessions, date(2025, 1, 1), now);
    assert_eq!(
        rate,
        AttendanceRate {
            attended: 1,
            counted: 2,
            excused: 0,
            unrecorded: 0
        }
    );
    assert_eq!(rate.percent(), Some(50.0));
}

#[test]
fn sessions_before_enrolment_never_count_against_a_learner() {
    let enrolled_on = date(2025, 3, 10);
    let sessions = vec![
        // Missed, but held before the learner joined the cohort.
        HeldSession {
            starts_at: at(2025, 3, 3, 10),
            status: Some(AttendanceStatus::Absent),
        },
        HeldSession {
            starts_at: at(2025, 3, 9, 23),
            status: None,
        },
        // Held on the enrolment day itself: counts.
        HeldSession {
            starts_at: at(2025, 3, 10, 9),
            status: Some(AttendanceStatus::Present),
        },
        HeldSession {
            starts_at: at(2025, 3, 17, 10),
            status: Some(AttendanceStatus::Present),
        },
    ];
    let rate = AttendanceRate::compute(&sessions, enrolled_on, at(2025, 4, 1, 0));
    assert_eq!((rate.attended, rate.counted, rate.unrecorded), (2, 2, 0));
    assert!(rate.meets(100));
}

#[test]
fn excused_absences_leave_the_denominator() {
    use AttendanceStatus::*;
    let marks = [
        Some(Present),
        Some(Excused),
        Some(Present),
        Some(Present),
        Some(Excused),
        Some(Absent),
    ];
    let sessions = weekly(at(2025, 1, 6, 10), &marks);
    let rate = AttendanceRate::compute(&sessions, date(2025, 1, 1), at(2025, 6, 1, 0));
    assert_eq!(
        rate,
        AttendanceRate {
            attended: 3,
            counted: 4,
            excused: 2,
            unrecorded: 0
        }
    );
    assert_eq!(rate.percent(), Some(75.0));
    // Had the excused sessions counted as absences, 3 of 6 would be 50%.
    assert!(rate.meets(75));
    assert!(!rate.meets(76));
}

#[test]
fn late_counts_as_attended_and_absent_does_not() {
    use AttendanceStatus::*;
    assert!(Present.counts_as_attended());
    assert!(Late.counts_as_attended());
    assert!(!Absent.counts_as_attended());
    assert!(!Excused.counts_as_attended());

    let sessions = weekly(
        at(2025, 1, 6, 10),
        &[Some(Late), Some(Late), Some(Absent), Some(Present)],
    );
    let rate = AttendanceRate::compute(&sessions, date(2025, 1, 1), at(2025, 6, 1, 0));
    assert_eq!((rate.attended, rate.counted), (3, 4));
}

#[test]
fn sessions_without_a_register_entry_stay_counted_and_are_reported() {
    use AttendanceStatus::*;
    let sessions = weekly(
        at(2025, 1, 6, 10),
        &[Some(Present), None, Some(Present), None, Some(Present)],
    );
    let rate = AttendanceRate::compute(&sessions, date(2025, 1, 1), at(2025, 6, 1, 0));
    assert_eq!(
        rate,
        AttendanceRate {
            attended: 3,
            counted: 5,
            excused: 0,
            unrecorded: 2
        }
    );
    assert!(!rate.meets(80));

    let programme = p2p();
    let record = LearnerRecord {
        attendance: rate,
        ..eligible_p2p_learner(&programme)
    };
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    let attendance = requirement(&eligibility.requirements, RequirementKind::Attendance);
    assert!(!attendance.met);
    assert!(
        attendance
            .explanation
            .contains("2 sessions have no register entry yet; a tutor can complete the register."),
        "{}",
        attendance.explanation
    );
}

#[test]
fn sessions_short_of_is_the_number_of_sessions_to_attend() {
    // 7 of 10 is 70%; attending 5 more gives 12 of 15, exactly 80%.
    let r = rate(7, 10);
    assert_eq!(r.sessions_short_of(80), 5);
    assert!(rate(12, 15).meets(80));
    assert!(!rate(11, 14).meets(80));

    assert_eq!(rate(3, 4).sessions_short_of(75), 0);
    assert_eq!(rate(0, 1).sessions_short_of(50), 1);
    assert_eq!(rate(0, 3).sessions_short_of(80), 12);
    assert_eq!(rate(0, 0).sessions_short_of(80), 0);
    assert_eq!(rate(5, 10).sessions_short_of(0), 0);
    // 100% after a missed session can never be reached again.
    assert_eq!(rate(9, 10).sessions_short_of(100), u32::MAX);
    assert_eq!(rate(10, 10).sessions_short_of(100), 0);
}

#[test]
fn the_attendance_outlook_says_who_is_on_track_and_who_is_at_risk() {
    use peertrack_core::domain::AttendanceOutlook as O;
    // 9 of 11 (81%) with 5 to come: 13 of 16 reaches 80%, so 1 can be missed (not 2: 12 of 16).
    assert_eq!(
        O::judge(&rate(9, 11), Some(80), 5),
        O::OnTrack {
            to_come: 5,
            can_miss: 1
        }
    );
    // At the minimum: 12 of 15 still makes it, with no room when only one is left to come.
    assert_eq!(
        O::judge(&rate(8, 10), Some(80), 5),
        O::OnTrack {
            to_come: 5,
            can_miss: 1
        }
    );
    assert_eq!(
        O::judge(&rate(8, 10), Some(80), 1),
        O::AtRisk {
            to_come: 1,
            can_miss: 0
        }
    );
    // Below the minimum now, reachable: 6 of 9 needs all 9 to come (15 of 18), or 18 of 20.
    assert_eq!(
        O::judge(&rate(6, 9), Some(80), 9),
        O::AtRisk {
            to_come: 9,
            can_miss: 0
        }
    );
    assert_eq!(
        O::judge(&rate(6, 9), Some(80), 20),
        O::AtRisk {
            to_come: 20,
            can_miss: 2
        }
    );
    // Out of reach even coming to all three still to come (8 of 12 is 66%).
    assert_eq!(O::judge(&rate(5, 9), Some(80), 3), O::Unreachable { to_come: 3 });
    // Nothing left to come: met or not, as it stands.
    assert_eq!(
        O::judge(&rate(9, 10), Some(80), 0),
        O::OnTrack {
            to_come: 0,
            can_miss: 0
        }
    );
    assert_eq!(O::judge(&rate(7, 10), Some(80), 0), O::Unreachable { to_come: 0 });
    // Nothing held yet: on track with room.
    assert_eq!(
        O::judge(&rate(0, 0), Some(80), 10),
        O::OnTrack {
            to_come: 10,
            can_miss: 2
        }
    );
    assert_eq!(O::judge(&rate(0, 4), None, 3), O::NoMinimum);
    // 100%: one missed session puts it out of reach.
    assert_eq!(O::judge(&rate(3, 4), Some(100), 6), O::Unreachable { to_come: 6 });
}

#[test]
fn no_counted_sessions_is_vacuously_met() {
    let nothing_yet = AttendanceRate::compute(&[], date(2025, 1, 1), at(2025, 1, 2, 0));
    assert_eq!(nothing_yet, AttendanceRate::default());
    assert_eq!(nothing_yet.percent(), None);
    assert!(nothing_yet.meets(80));
    assert!(nothing_yet.meets(100));

    // All excused also leaves nothing counted.
    let sessions = weekly(at(2025, 1, 6, 10), &[Some(AttendanceStatus::Excused); 3]);
    let all_excused = AttendanceRate::compute(&sessions, date(2025, 1, 1), at(2025, 6, 1, 0));
    assert_eq!((all_excused.counted, all_excused.excused), (0, 3));
    assert!(all_excused.meets(80));

    let programme = p2p();
    let record = LearnerRecord {
        attendance: nothing_yet,
        ..eligible_p2p_learner(&programme)
    };
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(eligibility.eligible);
    let attendance = requirement(&eligibility.requirements, RequirementKind::Attendance);
    assert!(attendance.met);
    assert!(attendance
        .explanation
        .starts_with("No sessions have been held since enrolment yet"));
}

#[test]
fn attendance_just_short_of_the_minimum_never_reads_as_reaching_it() {
    // 199 of 250 is 79.6%: shown as 79%, not rounded up to the 80% it misses.
    let programme = p2p();
    let record = LearnerRecord {
        attendance: rate(199, 250),
        ..eligible_p2p_learner(&programme)
    };
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    let attendance = requirement(&eligibility.requirements, RequirementKind::Attendance);
    assert!(!attendance.met);
    assert_eq!(attendance.required, 80.0);
    assert_eq!(attendance.actual, 79.6);
    assert!(attendance.actual < attendance.required);
    assert!(
        attendance
            .explanation
            .starts_with("Attended 199 of 250 sessions (79%)"),
        "{}",
        attendance.explanation
    );
    assert!(attendance
        .explanation
        .contains("attending the next 5 sessions would get there"));
}

// ---------------------------------------------------------------------------------------------
// Eligibility against the seeded programmes

#[test]
fn the_seeded_p2p_rule_is_the_default_from_domain_md() {
    let programme = p2p();
    assert_eq!(programme.code, "P2P");
    assert_eq!(programme.rule.min_attendance_percent, Some(80));
    assert!(programme.rule.all_core_modules);
    assert_eq!(programme.rule.min_optional_modules, 0);
    assert_eq!(programme.rule.min_supervision_sessions, Some(6));
    assert_eq!(
        programme.rule.validity_months, None,
        "Peer2Peer certificates do not expire"
    );
    assert_eq!(programme.rule.renewal, None);
    let core: Vec<&str> = programme.core_modules().map(|m| m.code.as_str()).collect();
    assert_eq!(core, ["PRE", "M1", "M2", "M3", "M5", "M7"]);
    let review = programme.modules.iter().find(|m| m.code == "M7").unwrap();
    assert_eq!(review.assessment_kind, AssessmentKind::Written);
}

#[test]
fn a_learner_meeting_every_p2p_requirement_is_eligible() {
    let programme = p2p();
    let eligibility = programme
        .rule
        .evaluate(&programme.modules, &eligible_p2p_learner(&programme));
    assert!(eligibility.eligible, "{eligibility:#?}");
    assert_eq!(eligibility.unmet().count(), 0);
    let kinds: Vec<RequirementKind> = eligibility.requirements.iter().map(|r| r.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            RequirementKind::Attendance,
            RequirementKind::CoreModules,
            RequirementKind::SupervisionSessions
        ]
    );
    let attendance = requirement(&eligibility.requirements, RequirementKind::Attendance);
    assert_eq!(
        attendance.explanation,
        "Attended 9 of 10 sessions (90%); at least 80% is needed. Done."
    );
    let core = requirement(&eligibility.requirements, RequirementKind::CoreModules);
    assert_eq!(core.explanation, "All 6 core modules achieved. Done.");
    assert!(programme
        .rule
        .unmet_requirements(&programme.modules, &eligible_p2p_learner(&programme))
        .is_empty());
}

#[test]
fn a_missing_core_module_is_named_by_its_title() {
    let programme = p2p();
    let mut record = eligible_p2p_learner(&programme);
    record.achieved_modules.remove("M5");
    // An optional module does not stand in for a core one.
    record.achieved_modules.insert("M4".into());

    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(!eligibility.eligible);
    let unmet = programme.rule.unmet_requirements(&programme.modules, &record);
    assert_eq!(unmet.len(), 1);
    assert_eq!(unmet[0].kind, RequirementKind::CoreModules);
    assert_eq!(
        unmet[0].explanation,
        "5 of 6 core modules achieved. Still to achieve: Boundaries in Formalised Peer Support."
    );
    assert_eq!((unmet[0].required, unmet[0].actual), (6.0, 5.0));
}

#[test]
fn every_missing_core_module_is_listed_in_teaching_order() {
    let programme = p2p();
    let mut record = eligible_p2p_learner(&programme);
    record.achieved_modules = ["M7", "M1"].iter().map(|c| c.to_string()).collect();
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    let core = requirement(&eligibility.requirements, RequirementKind::CoreModules);
    assert_eq!(
        core.explanation,
        "2 of 6 core modules achieved. Still to achieve: Preparing for Peer2Peer; \
         The Peer Support Relationship; Use of Language and Communication; \
         Boundaries in Formalised Peer Support."
    );
}

#[test]
fn too_few_verified_supervision_sessions_say_how_many_more() {
    let programme = p2p();
    let mut record = eligible_p2p_learner(&programme);
    record.supervision = supervision(4, SupervisionFormat::Individual, 60);
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(!eligibility.eligible);
    let sessions = requirement(&eligibility.requirements, RequirementKind::SupervisionSessions);
    assert!(!sessions.met);
    assert!(
        sessions
            .explanation
            .contains("2 more verified supervision sessions are needed"),
        "{}",
        sessions.explanation
    );
    assert!(sessions.explanation.contains("(4 of 6 so far)"));
    assert!(sessions
        .explanation
        .contains("Only sessions your supervisor has verified count."));

    record.supervision = supervision(5, SupervisionFormat::CoReflection, 60);
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    let sessions = requirement(&eligibility.requirements, RequirementKind::SupervisionSessions);
    assert!(sessions
        .explanation
        .starts_with("1 more verified supervision session is needed (5 of 6 so far)."));

    record.supervision = supervision(7, SupervisionFormat::Observation, 30);
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(eligibility.eligible);
    let sessions = requirement(&eligibility.requirements, RequirementKind::SupervisionSessions);
    assert_eq!(
        sessions.explanation,
        "7 verified supervision sessions recorded. Done."
    );
}

#[test]
fn attendance_of_70_percent_misses_the_p2p_minimum_of_80() {
    use AttendanceStatus::*;
    let programme = p2p();
    let marks = [
        Some(Present),
        Some(Present),
        Some(Absent),
        Some(Present),
        Some(Late),
        Some(Absent),
        Some(Present),
        Some(Present),
        Some(Absent),
        Some(Present),
    ];
    let sessions = weekly(at(2025, 1, 6, 10), &marks);
    let record = LearnerRecord {
        attendance: AttendanceRate::compute(&sessions, date(2025, 1, 6), at(2025, 6, 1, 0)),
        ..eligible_p2p_learner(&programme)
    };
    let unmet = programme.rule.unmet_requirements(&programme.modules, &record);
    assert_eq!(unmet.len(), 1);
    let attendance = &unmet[0];
    assert_eq!(attendance.kind, RequirementKind::Attendance);
    assert_eq!((attendance.required, attendance.actual), (80.0, 70.0));
    assert_eq!(
        attendance.explanation,
        "Attended 7 of 10 sessions (70%); at least 80% is needed, so attending the next 5 \
         sessions would get there."
    );
}

#[test]
fn a_missed_session_under_a_100_percent_rule_cannot_be_made_up() {
    let rule: CertificationRule = toml::from_str("min_attendance_percent = 100").unwrap();
    let record = LearnerRecord {
        attendance: rate(9, 10),
        ..LearnerRecord::default()
    };
    let eligibility = rule.evaluate(&[], &record);
    let attendance = requirement(&eligibility.requirements, RequirementKind::Attendance);
    assert!(!attendance.met);
    assert!(attendance
        .explanation
        .contains("which can no longer be reached by attending more sessions"));
}

#[test]
fn every_unmet_p2p_requirement_is_listed_at_once() {
    let programme = p2p();
    let record = LearnerRecord {
        attendance: rate(1, 4),
        achieved_modules: BTreeSet::new(),
        supervision: Vec::new(),
        verified_practice_minutes: 0,
    };
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(!eligibility.eligible);
    assert_eq!(eligibility.unmet().count(), 3);
    let sessions = requirement(&eligibility.requirements, RequirementKind::SupervisionSessions);
    assert!(sessions
        .explanation
        .starts_with("6 more verified supervision sessions are needed (0 of 6 so far)."));
}

#[test]
fn the_pda_needs_both_units_and_20_hours_of_verified_practice() {
    let programme = pda();
    assert_eq!(programme.code, "PDA-MHPS");
    assert_eq!(programme.credits, Some(16));
    assert_eq!(programme.level, Some(7));
    let credit_sum: u32 = programme.modules.iter().filter_map(|m| m.credit_value).sum();
    assert_eq!(credit_sum, 16, "the two units carry all 16 SCQF credits");
    assert!(programme
        .modules
        .iter()
        .all(|m| m.core && m.requires_verification && m.level == Some(7)));
    let titles: Vec<&str> = programme.modules.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["Recovery Context", "Developing Practice"]);
    assert_eq!(programme.rule.min_practice_hours, Some(20));

    let mut record = LearnerRecord {
        attendance: rate(10, 10),
        achieved_modules: core_codes(&programme),
        supervision: Vec::new(),
        verified_practice_minutes: 19 * 60 + 30,
    };
    let unmet = programme.rule.unmet_requirements(&programme.modules, &record);
    assert_eq!(unmet.len(), 1);
    assert_eq!(unmet[0].kind, RequirementKind::PracticeHours);
    assert_eq!((unmet[0].required, unmet[0].actual), (20.0, 19.5));
    assert_eq!(
        unmet[0].explanation,
        "0.5 hours more of verified practice needed (19.5 hours of 20 hours so far)."
    );

    record.verified_practice_minutes = 20 * 60;
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(eligibility.eligible, "{eligibility:#?}");
    let practice = requirement(&eligibility.requirements, RequirementKind::PracticeHours);
    assert_eq!(
        practice.explanation,
        "20 hours of verified practice recorded; 20 hours needed. Done."
    );

    record.achieved_modules.remove("DP");
    let unmet = programme.rule.unmet_requirements(&programme.modules, &record);
    assert_eq!(unmet.len(), 1);
    assert!(unmet[0].explanation.contains("Developing Practice"));
}

#[test]
fn hours_just_short_are_never_shown_as_reached() {
    let rule: CertificationRule = toml::from_str("min_practice_hours = 2").unwrap();
    let record = LearnerRecord {
        verified_practice_minutes: 119,
        ..LearnerRecord::default()
    };
    let practice = requirement(
        &rule.evaluate(&[], &record).requirements,
        RequirementKind::PracticeHours,
    )
    .clone();
    assert!(!practice.met);
    assert!(practice.actual < practice.required, "{practice:?}");
    assert_eq!(practice.actual, 1.9);
    assert_eq!(
        practice.explanation,
        "0.1 hours more of verified practice needed (1.9 hours of 2 hours so far)."
    );

    let record = LearnerRecord {
        verified_practice_minutes: 61,
        ..LearnerRecord::default()
    };
    let practice = requirement(
        &rule.evaluate(&[], &record).requirements,
        RequirementKind::PracticeHours,
    )
    .clone();
    assert_eq!(
        practice.explanation,
        "1 hour more of verified practice needed (1 hour of 2 hours so far)."
    );
}

#[test]
fn supervision_hours_by_format_count_only_that_format() {
    let rule = CertificationRule {
        all_core_modules: false,
        min_supervision_hours: Some(4),
        min_supervision_hours_by_format: vec![FormatMinimum {
            format: SupervisionFormat::Observation,
            hours: 2,
        }],
        ..CertificationRule::default()
    };
    let mut record = LearnerRecord {
        supervision: supervision(4, SupervisionFormat::Group, 90),
        ..LearnerRecord::default()
    };
    record
        .supervision
        .extend(supervision(1, SupervisionFormat::Observation, 60));

    let eligibility = rule.evaluate(&[], &record);
    assert!(!eligibility.eligible);
    let total = requirement(&eligibility.requirements, RequirementKind::SupervisionHours);
    assert!(total.met);
    assert_eq!(total.actual, 7.0);
    let observed = requirement(
        &eligibility.requirements,
        RequirementKind::SupervisionHoursInFormat(SupervisionFormat::Observation),
    );
    assert!(!observed.met);
    assert_eq!(
        observed.explanation,
        "1 hour more of verified observed-practice supervision needed (1 hour of 2 hours so far)."
    );
    assert_eq!(observed.kind.code(), "supervision_hours:observation");

    record
        .supervision
        .extend(supervision(1, SupervisionFormat::Observation, 60));
    assert!(rule.evaluate(&[], &record).eligible);
}

#[test]
fn optional_modules_count_towards_their_own_minimum_only() {
    let definition =
        ProgrammeDefinition::from_toml(&programme_toml("min_optional_modules = 1", TWO_MODULES)).unwrap();
    let mut record = LearnerRecord::default();
    record.achieved_modules.insert("A".into());
    // A module code the programme does not have counts for nothing.
    record.achieved_modules.insert("Z".into());

    let eligibility = definition.rule.evaluate(&definition.modules, &record);
    assert!(!eligibility.eligible);
    let optional = requirement(&eligibility.requirements, RequirementKind::OptionalModules);
    assert_eq!(
        optional.explanation,
        "1 optional module more needed (0 of 1 achieved so far)."
    );
    assert!(requirement(&eligibility.requirements, RequirementKind::CoreModules).met);

    record.achieved_modules.insert("B".into());
    let eligibility = definition.rule.evaluate(&definition.modules, &record);
    assert!(eligibility.eligible);
    assert_eq!(
        requirement(&eligibility.requirements, RequirementKind::OptionalModules).explanation,
        "1 optional module achieved. Done."
    );
}

#[test]
fn requirement_codes_are_stable() {
    assert_eq!(RequirementKind::Attendance.code(), "attendance");
    assert_eq!(RequirementKind::CoreModules.code(), "core_modules");
    assert_eq!(RequirementKind::OptionalModules.code(), "optional_modules");
    assert_eq!(
        RequirementKind::SupervisionSessions.code(),
        "supervision_sessions"
    );
    assert_eq!(RequirementKind::SupervisionHours.code(), "supervision_hours");
    assert_eq!(
        RequirementKind::SupervisionHoursInFormat(SupervisionFormat::CoReflection).code(),
        "supervision_hours:co_reflection"
    );
    assert_eq!(RequirementKind::PracticeHours.code(), "practice_hours");
    assert_eq!(RequirementKind::CpdHours.code(), "cpd_hours");
    assert_eq!(
        RequirementKind::CpdHoursInCategory("ethics".into()).code(),
        "cpd_hours:ethics"
    );
}

// ---------------------------------------------------------------------------------------------
// The certification schemes of domain.md, written down as data

const ICRC_PEER_RECOVERY: &str = r#"
code = "ICRC-PR"
title = "IC&RC Peer Recovery"
description = "Peer recovery credential with supervised practice and renewal by continuing education."
awarding_body = "IC&RC"
version = 1

[rule]
all_core_modules = true
min_practice_hours = 500
min_supervision_hours = 25
validity_months = 24

[rule.renewal]
period_months = 24
min_hours = 20
categories = [{ category = "ethics", hours = 6 }]

[[modules]]
code = "ADV"
title = "Advocacy"
core = true
planned_hours = 10
assessment_kind = "participation"

[[modules]]
code = "MENT"
title = "Mentoring and Education"
core = true
planned_hours = 10
assessment_kind = "participation"

[[modules]]
code = "REC"
title = "Recovery and Wellness Support"
core = true
planned_hours = 10
assessment_kind = "participation"

[[modules]]
code = "ETH"
title = "Ethical Responsibility"
core = true
planned_hours = 16
assessment_kind = "participation"
"#;

#[test]
fn icrc_peer_recovery_needs_500_practice_hours_and_25_supervision_hours() {
    let programme = ProgrammeDefinition::from_toml(ICRC_PEER_RECOVERY).expect("IC&RC is expressible");
    let training: u32 = programme.modules.iter().map(|m| m.planned_hours).sum();
    assert_eq!(training, 46);

    let mut record = LearnerRecord {
        achieved_modules: core_codes(&programme),
        supervision: supervision(25, SupervisionFormat::Individual, 60),
        verified_practice_minutes: 500 * 60,
        ..LearnerRecord::default()
    };
    let eligibility = programme.rule.evaluate(&programme.modules, &record);
    assert!(eligibility.eligible, "{eligibility:#?}");
    assert_eq!(eligibility.requirements.len(), 3);

    record.verified_practice_minutes = 499 * 60;
    record.supervision.pop();
    let unmet = programme.rule.unmet_requirements(&programme.modules, &record);
    let kinds: Vec<&RequirementKind> = unmet.iter().map(|r| &r.kind).collect();
    assert_eq!(
        kinds,
        [
            &RequirementKind::SupervisionHours,
            &RequirementKind::PracticeHours
        ]
    );
    assert_eq!(
        unmet[1].explanation,
        "1 hour more of verified practice needed (499 hours of 500 hours so far)."
    );
}

#[test]
fn icrc_renewal_needs_20_hours_in_24_months_with_6_in_ethics() {
    let programme = ProgrammeDefinition::from_toml(ICRC_PEER_RECOVERY).unwrap();
    let renewal = programme.rule.renewal.as_ref().expect("IC&RC renews");
    let issued_on = date(2024, 3, 1);
    let expires_on = expiry_after(issued_on, programme.rule.validity_months).unwrap();
    assert_eq!(expires_on, date(2026, 3, 1));
    assert_eq!(renewal.window_start(expires_on), issued_on);
    let today = date(2026, 1, 15);

    let met = [
        cpd(2024, 6, 1, 8, "advocacy"),
        cpd(2025, 1, 10, 6, "mentoring"),
        cpd(2025, 9, 2, 6, "Ethics"),
    ];
    let requirements = renewal.evaluate(&met, expires_on, today);
    assert!(all_met(&requirements), "{requirements:#?}");
    assert_eq!(requirements.len(), 2);
    let ethics = requirement(
        &requirements,
        RequirementKind::CpdHoursInCategory("ethics".into()),
    );
    assert_eq!(
        ethics.explanation,
        "6 hours of continuing development in ethics recorded; 6 hours needed. Done."
    );

    // 20 hours in all, but only 5 in ethics.
    let short_on_ethics = [
        cpd(2024, 6, 1, 9, "advocacy"),
        cpd(2025, 1, 10, 6, "mentoring"),
        cpd(2025, 9, 2, 5, "ethics"),
    ];
    let requirements = renewal.evaluate(&short_on_ethics, expires_on, today);
    assert!(requirement(&requirements, RequirementKind::CpdHours).met);
    let ethics = requirement(
        &requirements,
        RequirementKind::CpdHoursInCategory("ethics".into()),
    );
    assert!(!ethics.met);
    assert_eq!(
        ethics.explanation,
        "1 hour more of continuing development in ethics needed (5 hours of 6 hours so far)."
    );
}

const PENNSYLVANIA_CPS: &str = r#"
# Valid 2 years; 36 CEUs per renewal: 24 peer/recovery, 3 ethics and 9 elective hours. The 9
# elective hours are any topic, so they are the part of the total no category minimum claims.
validity_months = 24

[renewal]
period_months = 24
min_hours = 36
categories = [
  { category = "peer_recovery", hours = 24 },
  { category = "ethics", hours = 3 },
]
"#;

#[test]
fn pennsylvania_cps_renewal_needs_36_hours_with_24_peer_recovery_and_3_ethics() {
    let rule: CertificationRule = toml::from_str(PENNSYLVANIA_CPS).expect("PA CPS is expressible");
    rule.check().expect("the PA CPS rule makes sense");
    let renewal = rule.renewal.as_ref().unwrap();
    let expires_on = expiry_after(date(2023, 7, 1), rule.validity_months).unwrap();
    assert_eq!(expires_on, date(2025, 7, 1));
    let today = date(2025, 6, 1);

    let met = [
        cpd(2023, 9, 1, 12, "peer_recovery"),
        cpd(2024, 9, 1, 12, "peer_recovery"),
        cpd(2024, 10, 1, 3, "ethics"),
        cpd(2025, 2, 1, 4, "trauma_informed_care"),
        cpd(2025, 3, 1, 5, "wellness"),
    ];
    let requirements = renewal.evaluate(&met, expires_on, today);
    assert!(all_met(&requirements), "{requirements:#?}");
    assert_eq!(requirements.len(), 3);

    // Only 8 elective hours: the categories are met, the total is not.
    let short = &met[..4];
    let requirements = renewal.evaluate(short, expires_on, today);
    let total = requirement(&requirements, RequirementKind::CpdHours);
    assert!(!total.met);
    assert_eq!((total.required, total.actual), (36.0, 31.0));
    assert!(
        requirement(
            &requirements,
            RequirementKind::CpdHoursInCategory("peer_recovery".into())
        )
        .met
    );
    assert!(
        requirement(
            &requirements,
            RequirementKind::CpdHoursInCategory("ethics".into())
        )
        .met
    );

    // Plenty of hours, but none in ethics.
    let no_ethics = [
        cpd(2024, 1, 1, 24, "peer_recovery"),
        cpd(2024, 2, 1, 20, "wellness"),
    ];
    let requirements = renewal.evaluate(&no_ethics, expires_on, today);
    let unmet: Vec<String> = requirements
        .iter()
        .filter(|r| !r.met)
        .map(|r| r.kind.code())
        .collect();
    assert_eq!(unmet, ["cpd_hours:ethics"]);
}

#[test]
fn texas_renewal_counts_only_hours_inside_the_window_up_to_today() {
    let rule: CertificationRule = toml::from_str(
        r#"
        validity_months = 24
        renewal = { period_months = 24, min_hours = 20 }
        "#,
    )
    .expect("Texas is expressible");
    rule.check().unwrap();
    let renewal = rule.renewal.as_ref().unwrap();
    let expires_on = date(2026, 4, 30);
    assert_eq!(renewal.window_start(expires_on), date(2024, 4, 30));
    let today = date(2026, 4, 1);

    let entries = [
        // One day before the window opens: does not count.
        cpd(2024, 4, 29, 10, "general"),
        // The first day of the window counts.
        cpd(2024, 4, 30, 10, "general"),
        cpd(2025, 5, 1, 8, "general"),
        // Logged in advance for a course after today: does not count yet.
        cpd(2026, 4, 20, 5, "general"),
    ];
    let requirements = renewal.evaluate(&entries, expires_on, today);
    let total = requirement(&requirements, RequirementKind::CpdHours);
    assert!(!total.met);
    assert_eq!(total.actual, 18.0);
    assert_eq!(
        total.explanation,
        "2 hours more of continuing development needed (18 hours of 20 hours so far)."
    );

    // On the day of the future course, it counts.
    let requirements = renewal.evaluate(&entries, expires_on, date(2026, 4, 20));
    assert!(all_met(&requirements));
}

#[test]
fn georgia_renewal_needs_12_hours_every_12_months() {
    let rule: CertificationRule = toml::from_str(
        r#"
        validity_months = 12

        [renewal]
        period_months = 12
        min_hours = 12
        "#,
    )
    .expect("Georgia is expressible");
    rule.check().unwrap();
    let renewal = rule.renewal.as_ref().unwrap();
    let issued_on = date(2025, 1, 1);
    let expires_on = expiry_after(issued_on, rule.validity_months).unwrap();
    assert_eq!(expires_on, date(2026, 1, 1));
    let today = date(2025, 12, 20);

    let last_year = [cpd(2024, 11, 1, 12, "ethics")];
    assert!(!all_met(&renewal.evaluate(&last_year, expires_on, today)));

    let this_year = [
        cpd(2025, 1, 1, 6, "ethics"),
        CpdEntry {
            completed_on: date(2025, 6, 1),
            minutes: 5 * 60 + 30,
            category: "wellness".into(),
        },
    ];
    let requirements = renewal.evaluate(&this_year, expires_on, today);
    let total = requirement(&requirements, RequirementKind::CpdHours);
    assert!(!total.met);
    assert_eq!(total.actual, 11.5);
    assert_eq!(
        total.explanation,
        "0.5 hours more of continuing development needed (11.5 hours of 12 hours so far)."
    );

    let with_one_more = [
        this_year[0].clone(),
        this_year[1].clone(),
        cpd(2025, 12, 19, 1, "ethics"),
    ];
    assert!(all_met(&renewal.evaluate(&with_one_more, expires_on, today)));
}

#[test]
fn renewal_rules_written_in_a_programme_file_round_trip() {
    let programme = ProgrammeDefinition::from_toml(ICRC_PEER_RECOVERY).unwrap();
    let text = toml::to_string(&programme).expect("a definition writes back to TOML");
    let again = ProgrammeDefinition::from_toml(&text).expect("and reads again");
    assert_eq!(again, programme);
    assert_eq!(
        again.rule.renewal,
        Some(RenewalRule {
            period_months: 24,
            min_hours: 20,
            categories: vec![CategoryMinimum {
                category: "ethics".into(),
                hours: 6,
            }],
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Certificate status, expiry and renewal dates

#[test]
fn a_certificate_is_valid_before_expiry_and_expired_on_the_expiry_date() {
    let expires_on = Some(date(2026, 3, 1));
    assert_eq!(
        CertificateStatus::on(date(2026, 2, 28), expires_on, false),
        CertificateStatus::Valid
    );
    assert_eq!(
        CertificateStatus::on(date(2026, 3, 1), expires_on, false),
        CertificateStatus::Expired
    );
    assert_eq!(
        CertificateStatus::on(date(2030, 1, 1), expires_on, false),
        CertificateStatus::Expired
    );
    // A certificate that does not expire stays valid.
    assert_eq!(
        CertificateStatus::on(date(2099, 12, 31), None, false),
        CertificateStatus::Valid
    );
}

#[test]
fn a_revoked_certificate_is_revoked_whatever_the_date() {
    for (day, expiry) in [
        (date(2025, 1, 1), Some(date(2026, 1, 1))),
        (date(2027, 1, 1), Some(date(2026, 1, 1))),
        (date(2026, 1, 1), Some(date(2026, 1, 1))),
        (date(2025, 1, 1), None),
    ] {
        assert_eq!(
            CertificateStatus::on(day, expiry, true),
            CertificateStatus::Revoked
        );
    }
    assert_eq!(CertificateStatus::Valid.as_str(), "valid");
    assert_eq!(CertificateStatus::Expired.as_str(), "expired");
    assert_eq!(CertificateStatus::Revoked.as_str(), "revoked");
}

#[test]
fn expiry_adds_calendar_months_and_clamps_to_the_month_end() {
    assert_eq!(expiry_after(date(2024, 2, 29), Some(12)), Some(date(2025, 2, 28)));
    assert_eq!(expiry_after(date(2024, 2, 29), Some(48)), Some(date(2028, 2, 29)));
    assert_eq!(expiry_after(date(2024, 1, 31), Some(1)), Some(date(2024, 2, 29)));
    assert_eq!(expiry_after(date(2023, 8, 31), Some(6)), Some(date(2024, 2, 29)));
    assert_eq!(
        expiry_after(date(2024, 12, 15), Some(24)),
        Some(date(2026, 12, 15))
    );
    assert_eq!(expiry_after(date(2024, 12, 15), None), None);
}

#[test]
fn early_renewal_continues_the_cycle_and_late_renewal_starts_a_new_one() {
    let current = date(2026, 6, 1);
    // Early: the months renewed run on from the old expiry, so nothing is lost by renewing early.
    assert_eq!(renewed_expiry(current, date(2026, 3, 15), 24), date(2028, 6, 1));
    // On the expiry date itself: the same either way.
    assert_eq!(renewed_expiry(current, current, 24), date(2028, 6, 1));
    // Late: a new cycle from the day of renewal.
    assert_eq!(renewed_expiry(current, date(2026, 7, 10), 24), date(2028, 7, 10));
    assert_eq!(
        renewed_expiry(date(2024, 2, 29), date(2024, 1, 1), 12),
        date(2025, 2, 28)
    );
}

#[test]
fn a_fixed_clock_tells_its_date() {
    let clock = FixedClock(at(2025, 7, 14, 23));
    assert_eq!(clock.now(), at(2025, 7, 14, 23));
    assert_eq!(clock.today(), date(2025, 7, 14));
}

// ---------------------------------------------------------------------------------------------
// Programme definitions that are refused

#[test]
fn duplicate_module_codes_are_refused() {
    let modules = format!(
        "{TWO_MODULES}{}",
        TWO_MODULES.replace("Module B", "Module B again")
    );
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml("", &modules)));
    assert_eq!(reason, "modules[2].code: module code A appears twice");
}

#[test]
fn a_programme_without_modules_is_refused() {
    // `modules = []` must sit before the [rule] table.
    let text = programme_toml("", "").replacen("version = 1", "version = 1\nmodules = []", 1);
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&text));
    assert_eq!(reason, "modules: a programme needs at least one module");

    let mut definition = p2p();
    definition.modules.clear();
    assert!(matches!(
        definition.check(),
        Err(ProgrammeDefinitionError::Invalid { code, .. }) if code == "P2P"
    ));
}

#[test]
fn a_rule_asking_for_more_optional_modules_than_exist_is_refused() {
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(
        "min_optional_modules = 2",
        TWO_MODULES,
    )));
    assert_eq!(
        reason,
        "rule.min_optional_modules: the rule asks for 2 optional modules but the programme has 1"
    );

    let mut definition = p2p();
    definition.rule.min_optional_modules = 2;
    assert!(definition.check().is_ok(), "P2P has two optional modules");
    definition.rule.min_optional_modules = 3;
    assert!(definition.check().is_err());
}

#[test]
fn attendance_over_100_percent_is_refused() {
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(
        "min_attendance_percent = 101",
        TWO_MODULES,
    )));
    assert_eq!(
        reason,
        "rule.min_attendance_percent: must be a percentage from 0 to 100"
    );
    assert!(
        ProgrammeDefinition::from_toml(&programme_toml("min_attendance_percent = 100", TWO_MODULES)).is_ok()
    );
    // Out of range for a percentage at all: refused when reading.
    assert!(matches!(
        ProgrammeDefinition::from_toml(&programme_toml("min_attendance_percent = 300", TWO_MODULES)),
        Err(ProgrammeDefinitionError::Syntax(_))
    ));
}

#[test]
fn renewal_without_a_validity_period_is_refused() {
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(
        "renewal = { period_months = 24, min_hours = 20 }",
        TWO_MODULES,
    )));
    assert!(reason.starts_with("rule.renewal: renewal only makes sense for a certificate that expires"));

    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(
        "validity_months = 0",
        TWO_MODULES,
    )));
    assert!(
        reason.starts_with("rule.validity_months: a validity of 0 months would expire on the day of issue")
    );

    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(
        "validity_months = 24\nrenewal = { period_months = 0, min_hours = 20 }",
        TWO_MODULES,
    )));
    assert_eq!(
        reason,
        "rule.renewal.period_months: a renewal period of 0 months counts nothing"
    );
}

#[test]
fn category_minimums_above_the_total_are_refused() {
    let rule = r#"
validity_months = 24
renewal = { period_months = 24, min_hours = 20, categories = [
  { category = "ethics", hours = 16 },
  { category = "advocacy", hours = 6 },
] }
"#;
    let reason = invalid_reason(ProgrammeDefinition::from_toml(&programme_toml(rule, TWO_MODULES)));
    assert_eq!(
        reason,
        "rule.renewal.categories: the category minimums add up to 22 hours, more than the 20 hours asked for in all"
    );
    // Exactly the total is fine (Pennsylvania's 24 + 3 + 9 = 36).
    let fits = rule.replace("hours = 16", "hours = 14");
    assert!(ProgrammeDefinition::from_toml(&programme_toml(&fits, TWO_MODULES)).is_ok());
}

#[test]
fn a_programme_needs_codes_and_a_title() {
    let reason = invalid_reason(ProgrammeDefinition::from_toml(
        &programme_toml("", TWO_MODULES).replace("code = \"TEST\"", "code = \"  \""),
    ));
    assert!(reason.starts_with("code: must be 1 to 50 letters"), "{reason}");
    let reason = invalid_reason(ProgrammeDefinition::from_toml(
        &programme_toml("", TWO_MODULES).replace("code = \"A\"", "code = \"\""),
    ));
    assert_eq!(reason, "modules[0].code: every module needs a code");
}

#[test]
fn unknown_fields_in_a_programme_file_are_refused() {
    // A misspelt field would otherwise be silently ignored and the rule quietly weaker.
    let misspelt_rule = programme_toml("min_attendence_percent = 80", TWO_MODULES);
    assert!(matches!(
        ProgrammeDefinition::from_toml(&misspelt_rule),
        Err(ProgrammeDefinitionError::Syntax(message)) if message.contains("min_attendence_percent")
    ));
    let top_level = programme_toml("", TWO_MODULES).replace("version = 1", "version = 1\nexpires = true");
    assert!(matches!(
        ProgrammeDefinition::from_toml(&top_level),
        Err(ProgrammeDefinitionError::Syntax(_))
    ));
    let in_module = programme_toml(
        "",
        &TWO_MODULES.replacen("core = true", "core = true\nmandatory = true", 1),
    );
    assert!(matches!(
        ProgrammeDefinition::from_toml(&in_module),
        Err(ProgrammeDefinitionError::Syntax(_))
    ));
    let in_renewal = programme_toml(
        "validity_months = 24\nrenewal = { period_months = 24, min_hours = 20, hours_per_year = 10 }",
        TWO_MODULES,
    );
    assert!(matches!(
        ProgrammeDefinition::from_toml(&in_renewal),
        Err(ProgrammeDefinitionError::Syntax(_))
    ));
    let unknown_format = programme_toml(
        "min_supervision_hours_by_format = [{ format = \"telepathy\", hours = 1 }]",
        TWO_MODULES,
    );
    assert!(matches!(
        ProgrammeDefinition::from_toml(&unknown_format),
        Err(ProgrammeDefinitionError::Syntax(_))
    ));
}

#[test]
fn an_empty_rule_means_every_core_module_and_nothing_else() {
    let definition = ProgrammeDefinition::from_toml(&programme_toml("", TWO_MODULES)).unwrap();
    assert_eq!(definition.rule, CertificationRule::default());
    let mut record = LearnerRecord::default();
    assert!(!definition.rule.evaluate(&definition.modules, &record).eligible);
    record.achieved_modules.insert("A".into());
    let eligibility = definition.rule.evaluate(&definition.modules, &record);
    assert!(eligibility.eligible);
    assert_eq!(eligibility.requirements.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Stored text forms

fn assert_text_forms<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
where
    T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + serde::Serialize,
{
    let mut seen = BTreeSet::new();
    for &value in all {
        let text = as_str(value);
        assert_eq!(parse(text), Some(value), "{text} parses back");
        assert_eq!(value.to_string(), text, "Display is the stored form");
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            serde_json::Value::String(text.to_string()),
            "the wire form is the stored form"
        );
        assert!(seen.insert(text), "{text} is used twice");
        assert_eq!(parse(&text.to_uppercase()), None, "parsing is exact");
        assert_eq!(parse(&format!(" {text}")), None, "parsing does not trim");
    }
    assert_eq!(parse(""), None);
    assert_eq!(parse("unknown"), None);
}

#[test]
fn attendance_status_text_round_trips() {
    assert_eq!(AttendanceStatus::ALL.len(), 4);
    assert_text_forms(
        AttendanceStatus::ALL,
        AttendanceStatus::as_str,
        AttendanceStatus::parse,
    );
    assert_eq!(
        AttendanceStatus::parse("excused"),
        Some(AttendanceStatus::Excused)
    );
    assert_eq!(AttendanceStatus::parse("authorised"), None);
}

#[test]
fn supervision_format_text_round_trips() {
    assert_eq!(SupervisionFormat::ALL.len(), 4);
    assert_text_forms(
        SupervisionFormat::ALL,
        SupervisionFormat::as_str,
        SupervisionFormat::parse,
    );
    assert_eq!(
        SupervisionFormat::parse("co_reflection"),
        Some(SupervisionFormat::CoReflection)
    );
    assert_eq!(SupervisionFormat::parse("co-reflection"), None);
}

#[test]
fn assessment_outcome_text_round_trips() {
    assert_eq!(AssessmentOutcome::ALL.len(), 2);
    assert_text_forms(
        AssessmentOutcome::ALL,
        AssessmentOutcome::as_str,
        AssessmentOutcome::parse,
    );
    assert_eq!(
        AssessmentOutcome::parse("not_yet_achieved"),
        Some(AssessmentOutcome::NotYetAchieved)
    );
    assert_eq!(AssessmentOutcome::parse("failed"), None);
}

#[test]
fn enrolment_status_text_round_trips() {
    assert_eq!(EnrolmentStatus::ALL.len(), 3);
    assert_text_forms(
        EnrolmentStatus::ALL,
        EnrolmentStatus::as_str,
        EnrolmentStatus::parse,
    );
    assert_eq!(
        EnrolmentStatus::parse("withdrawn"),
        Some(EnrolmentStatus::Withdrawn)
    );
    assert_eq!(EnrolmentStatus::parse("dropped_out"), None);
}

#[test]
fn assessment_kind_text_round_trips() {
    assert_eq!(AssessmentKind::ALL.len(), 5);
    assert_text_forms(AssessmentKind::ALL, AssessmentKind::as_str, AssessmentKind::parse);
    assert_eq!(AssessmentKind::parse("exam"), None);
}
