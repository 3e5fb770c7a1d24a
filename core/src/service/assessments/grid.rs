//! A module's assessments for a whole cohort at once: what a tutor sees and saves in one grid.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{record, AssessmentOf, NewAssessment};
use crate::access::{self, Caller};
use crate::domain::{AssessmentOutcome, ModuleSpec};
use crate::error::FieldError;
use crate::store::assessments::{self, Assessment};
use crate::store::cohorts::{self, Cohort, Enrolment};
use crate::store::people::Person;
use crate::store::{programmes, DbConnection};
use crate::{Error, Result};

/// One learner's line in a module's grid.
#[derive(Debug, Clone)]
pub struct GridLearner {
    /// Their place in the cohort (withdrawn learners are listed too: what they did counts later).
    pub enrolment: Enrolment,
    /// The learner.
    pub person: Person,
    /// Their assessment of the module, if one is recorded.
    pub assessment: Option<Assessment>,
}

/// A module's assessments for every learner of a cohort, by name.
#[derive(Debug, Clone)]
pub struct ModuleGrid {
    /// The cohort.
    pub cohort: Cohort,
    /// Every module of the cohort's programme, in programme order.
    pub modules: Vec<ModuleSpec>,
    /// The module shown.
    pub module: ModuleSpec,
    /// Each learner with their assessment of it.
    pub learners: Vec<GridLearner>,
}

/// The cohort's learners with their assessment of a module (the programme's first module
/// when `module_code` is `None`); for its tutors and administrators.
pub fn module_grid(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    module_code: Option<&str>,
) -> Result<ModuleGrid> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    let modules = programmes::version(conn, &cohort.programme_version_id)?
        .definition
        .modules;
    let module = match module_code {
        Some(code) => modules.iter().find(|m| m.code == code),
        None => modules.first(),
    }
    .cloned()
    .ok_or(Error::NotFound("module in this cohort's programme"))?;
    let mut recorded: HashMap<String, Assessment> = assessments::of_module(conn, cohort_id, &module.code)?
        .into_iter()
        .map(|a| (a.person_id.clone(), a))
        .collect();
    let learners = cohorts::learners(conn, cohort_id)?
        .into_iter()
        .map(|(enrolment, person)| GridLearner {
            assessment: recorded.remove(&person.id),
            enrolment,
            person,
        })
        .collect();
    Ok(ModuleGrid {
        cohort,
        modules,
        module,
        learners,
    })
}

/// One line of a grid as the tutor sent it.
#[derive(Debug, Clone)]
pub struct GridEntry {
    /// The learner.
    pub person_id: String,
    /// The outcome; `None` leaves the learner as they are (not assessed yet).
    pub outcome: Option<AssessmentOutcome>,
    /// Feedback for the learner.
    pub note: Option<String>,
    /// The version of their assessment the tutor saw (0: none was recorded); `None` replaces
    /// whatever is recorded.
    pub expected_version: Option<i32>,
}

/// What saving a grid did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridSaved {
    /// Assessments recorded or changed (each learner concerned is emailed).
    pub recorded: usize,
}

/// Records a module's outcomes for learners of a cohort, each as [`record`] does (the learner
/// is emailed), in the caller's transaction; its tutors and administrators may. Lines without
/// an outcome, and lines that change nothing, are left alone. All or nothing: when any line
/// fails, [`Error::Invalid`] names every line at fault as `rows[i].outcome` or `rows[i].note`
/// (`i` its index in `entries`) and the caller's transaction must not be kept. A line whose
/// assessment someone else changed since `expected_version` is one at fault.
pub fn record_module(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    module_code: &str,
    entries: &[GridEntry],
    now: DateTime<Utc>,
) -> Result<GridSaved> {
    let grid = module_grid(conn, caller, cohort_id, Some(module_code))?;
    let current: HashMap<&str, &Assessment> = grid
        .learners
        .iter()
        .filter_map(|l| l.assessment.as_ref().map(|a| (l.person.id.as_str(), a)))
        .collect();
    let at_fault = |index: usize, field: &str, message: String| FieldError {
        field: format!("rows[{index}].{field}"),
        message,
    };
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut recorded = 0;
    for (index, entry) in entries.iter().enumerate() {
        let Some(outcome) = entry.outcome else {
            continue;
        };
        if !seen.insert(entry.person_id.as_str()) {
            problems.push(at_fault(
                index,
                "outcome",
                "names a learner already in the grid".into(),
            ));
            continue;
        }
        let note = entry.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if let Some(existing) = current.get(entry.person_id.as_str()) {
            let seen_current = entry.expected_version.is_none_or(|v| v == existing.version);
            if seen_current && existing.outcome == outcome.as_str() && existing.note.as_deref() == note {
                continue;
            }
        }
        let of = AssessmentOf {
            cohort_id,
            person_id: &entry.person_id,
            module_code,
        };
        let new = NewAssessment {
            outcome,
            note: note.map(str::to_string),
        };
        match record(conn, caller, of, &new, entry.expected_version, now) {
            Ok(_) => recorded += 1,
            Err(Error::Invalid(errors)) => {
                problems.extend(errors.into_iter().map(|e| at_fault(index, &e.field, e.message)));
            }
            Err(Error::Stale) => {
                let now_recorded = assessments::assessment(conn, cohort_id, &entry.person_id, module_code)?;
                let words = match now_recorded.and_then(|a| AssessmentOutcome::parse(&a.outcome)) {
                    Some(AssessmentOutcome::Achieved) => "achieved",
                    Some(AssessmentOutcome::NotYetAchieved) => "not yet achieved",
                    None => "not assessed",
                };
                problems.push(at_fault(
                    index,
                    "outcome",
                    format!(
                        "was changed by someone else while you were working: it is now \"{words}\". \
                         Check it and save again"
                    ),
                ));
            }
            Err(Error::NotFound(_)) => {
                problems.push(at_fault(
                    index,
                    "outcome",
                    "is not for a learner in this cohort".into(),
                ));
            }
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(GridSaved { recorded })
}
