//! A learner's progress in a cohort, and their eligibility for a programme's certificate.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::domain::{
    AttendanceRate, Eligibility, LearnerRecord, Requirement, RequirementKind, VerifiedSupervision,
};
use crate::store::cohorts::{self, Cohort, Enrolment};
use crate::store::people::Person;
use crate::store::programmes::{self, ProgrammeVersion};
use crate::store::{placements, records, DbConnection};
use crate::Result;

/// Where one learner stands in one cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerProgress {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// Attendance since enrolment.
    pub attendance: AttendanceRate,
    /// Modules achieved (with second sign-off where needed).
    pub achieved_modules: BTreeSet<String>,
    /// Verified supervision sessions.
    pub supervision: Vec<VerifiedSupervision>,
    /// Verified practice, in minutes.
    pub verified_practice_minutes: u32,
    /// The cohort's programme rule applied to all of the above.
    pub eligibility: Eligibility,
}

impl LearnerProgress {
    /// Verified supervision, in minutes.
    pub fn supervision_minutes(&self) -> u32 {
        self.supervision.iter().map(|s| s.duration_minutes).sum()
    }
}

/// Computes one learner's progress in a cohort that follows `version`.
pub fn learner_progress(
    conn: &mut DbConnection,
    enrolment: &Enrolment,
    version: &ProgrammeVersion,
    now: DateTime<Utc>,
) -> Result<LearnerProgress> {
    let sessions = records::held_sessions_for(conn, &enrolment.cohort_id, &enrolment.person_id)?;
    let attendance = AttendanceRate::compute(&sessions, enrolment.enrolled_on, now);
    let needs_verification: BTreeSet<String> = version
        .definition
        .modules
        .iter()
        .filter(|m| m.requires_verification)
        .map(|m| m.code.clone())
        .collect();
    let achieved_modules = records::achieved_modules(
        conn,
        &enrolment.cohort_id,
        &enrolment.person_id,
        &needs_verification,
    )?;
    let supervision = placements::verified_supervision_of(conn, &enrolment.person_id)?;
    let verified_practice_minutes = placements::verified_practice_minutes_of(conn, &enrolment.person_id)?;
    let record = LearnerRecord {
        attendance,
        achieved_modules: achieved_modules.clone(),
        supervision: supervision.clone(),
        verified_practice_minutes,
    };
    let eligibility = version
        .definition
        .rule
        .evaluate(&version.definition.modules, &record);
    Ok(LearnerProgress {
        enrolment: enrolment.clone(),
        attendance,
        achieved_modules,
        supervision,
        verified_practice_minutes,
        eligibility,
    })
}

/// Every learner of a cohort with their progress, by name.
pub fn cohort_progress(
    conn: &mut DbConnection,
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<Vec<(Person, LearnerProgress)>> {
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let learners = cohorts::learners(conn, &cohort.id)?;
    learners
        .into_iter()
        .map(|(enrolment, person)| Ok((person, learner_progress(conn, &enrolment, &version, now)?)))
        .collect()
}

/// A person's eligibility for a programme's certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeEligibility {
    /// The cohort whose record was judged, if the person is enrolled in one.
    pub cohort_id: Option<String>,
    /// The programme version that cohort follows.
    pub programme_version_id: Option<String>,
    /// The answer.
    pub eligibility: Eligibility,
}

/// Judges a person against a programme. With several cohorts of the programme, the first one
/// in which they are eligible counts, else their most recent enrolment. Each cohort is judged
/// by the programme version it follows, so a new version never changes an existing learner's
/// requirements.
pub fn eligibility_for(
    conn: &mut DbConnection,
    person_id: &str,
    programme_code: &str,
    now: DateTime<Utc>,
) -> Result<ProgrammeEligibility> {
    let current = programmes::current(conn, programme_code)?;
    let mut enrolments = cohorts::enrolments_in_programme(conn, person_id, &current.programme_id)?;
    enrolments.sort_by_key(|(e, _)| std::cmp::Reverse(e.enrolled_on));
    let mut judged = Vec::new();
    for (enrolment, cohort) in enrolments {
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        let progress = learner_progress(conn, &enrolment, &version, now)?;
        if progress.eligibility.eligible {
            return Ok(ProgrammeEligibility {
                cohort_id: Some(cohort.id),
                programme_version_id: Some(cohort.programme_version_id),
                eligibility: progress.eligibility,
            });
        }
        judged.push((cohort, progress));
    }
    Ok(match judged.into_iter().next() {
        Some((cohort, progress)) => ProgrammeEligibility {
            cohort_id: Some(cohort.id),
            programme_version_id: Some(cohort.programme_version_id),
            eligibility: progress.eligibility,
        },
        None => ProgrammeEligibility {
            cohort_id: None,
            programme_version_id: None,
            eligibility: Eligibility {
                eligible: false,
                requirements: vec![Requirement {
                    kind: RequirementKind::Enrolment,
                    required: 1.0,
                    actual: 0.0,
                    met: false,
                    explanation: format!(
                        "Not enrolled in a {} cohort yet. A tutor can enrol you.",
                        current.definition.title
                    ),
                }],
            },
        },
    })
}
