//! Module assessments: a tutor records a learner's outcome for a module; the learner is told.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::access::{self, Caller, CohortRole};
use crate::domain::input::Checks;
use crate::domain::AssessmentOutcome;
use crate::notify::{self, Email};
pub use crate::store::assessments::Assessment;
use crate::store::assessments::{self, AssessmentInput};
use crate::store::audit;
use crate::store::{cohorts, people, programmes, stored, DbConnection};
use crate::{Error, Result};

/// The longest feedback on an assessment may be.
pub const FEEDBACK_MAX: usize = 2000;

/// Which assessment: a learner's, in a cohort, of a module.
#[derive(Debug, Clone, Copy)]
pub struct AssessmentOf<'a> {
    /// The cohort.
    pub cohort_id: &'a str,
    /// The learner.
    pub person_id: &'a str,
    /// The module, by code.
    pub module_code: &'a str,
}

/// An outcome as a tutor records it.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    /// Achieved, or not yet.
    pub outcome: AssessmentOutcome,
    /// Feedback for the learner, kind and specific.
    pub note: Option<String>,
}

/// Records a module assessment of a learner enrolled in the cohort; its tutors and
/// administrators may. With `expected_version` the write happens only if nobody changed it
/// since ([`Error::Stale`]). A changed outcome needs any second sign-off again.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    of: AssessmentOf<'_>,
    new: &NewAssessment,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Assessment> {
    let AssessmentOf {
        cohort_id,
        person_id,
        module_code,
    } = of;
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let note = new.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > FEEDBACK_MAX) {
        Checks::new()
            .fail("note", format!("must be at most {FEEDBACK_MAX} characters long"))
            .finish()?;
    }
    let cohort = cohorts::get(conn, cohort_id)?;
    if cohorts::enrolment_of(conn, &cohort.id, person_id)?.is_none() {
        return Err(Error::NotFound("learner in this cohort"));
    }
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    if !version.definition.modules.iter().any(|m| m.code == module_code) {
        return Err(Error::NotFound("module in this cohort's programme"));
    }
    let now = stored(now);
    let assessment = assessments::record_assessment(
        conn,
        &AssessmentInput {
            cohort_id: cohort.id.clone(),
            person_id: person_id.to_string(),
            module_code: module_code.to_string(),
            outcome: new.outcome,
            note: note.map(str::to_string),
            assessed_by: caller.person_id().unwrap_or("cli").to_string(),
            assessed_on: now.date(),
        },
        expected_version,
        now,
    )?;
    audit::record(
        conn,
        &caller.actor(),
        "assessment.recorded",
        ("assessment", &assessment.id),
        json!({ "person_id": person_id, "module_code": module_code, "outcome": new.outcome.as_str(), "version": assessment.version }),
        now,
    )?;
    let person = people::get(conn, person_id)?;
    notify::queue_email(
        conn,
        format!("assessment:{}:{}", assessment.id, assessment.version),
        Email::AssessmentRecorded,
        &person,
        json!({ "name": person.display_name(), "module_code": module_code, "outcome": new.outcome.as_str() }),
        now,
    )?;
    Ok(assessment)
}

/// A learner's assessment of a module, for the cohort's tutors, administrators, and the
/// learner themselves.
pub fn read(conn: &mut DbConnection, caller: &Caller, of: AssessmentOf<'_>) -> Result<Assessment> {
    let AssessmentOf {
        cohort_id,
        person_id,
        module_code,
    } = of;
    let role = access::cohort_role(conn, caller, cohort_id)?;
    if role == CohortRole::Learner && !caller.is(person_id) {
        return Err(Error::NotFound("assessment"));
    }
    assessments::assessment(conn, cohort_id, person_id, module_code)?.ok_or(Error::NotFound("assessment"))
}

mod grid;
pub use grid::*;
