//! Module assessments, with a second sign-off where a programme asks for one.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::assessments;
use super::{new_id, DbConnection};
use crate::domain::AssessmentOutcome;
use crate::{Error, Result};

/// A module assessment of one learner in one cohort.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = assessments, treat_none_as_default_value = false)]
pub struct Assessment {
    /// Its id.
    pub id: String,
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The module.
    pub module_code: String,
    /// `achieved` or `not_yet_achieved`.
    pub outcome: String,
    /// An optional note.
    pub note: Option<String>,
    /// The assessor.
    pub assessed_by: String,
    /// When assessed.
    pub assessed_on: NaiveDate,
    /// The internal verifier who gave the second sign-off, if any.
    pub verified_by: Option<String>,
    /// When verified.
    pub verified_on: Option<NaiveDate>,
    /// Bumped on every change; the ETag.
    pub version: i32,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// What an assessor records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentInput {
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// The module.
    pub module_code: String,
    /// The outcome.
    pub outcome: AssessmentOutcome,
    /// An optional note.
    pub note: Option<String>,
    /// Who assessed.
    pub assessed_by: String,
    /// When.
    pub assessed_on: NaiveDate,
}

/// The learner's assessment of a module in a cohort, if any.
pub fn assessment(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
    module_code: &str,
) -> Result<Option<Assessment>> {
    Ok(assessments::table
        .filter(assessments::cohort_id.eq(cohort_id))
        .filter(assessments::person_id.eq(person_id))
        .filter(assessments::module_code.eq(module_code))
        .select(Assessment::as_select())
        .first(conn)
        .optional()?)
}

/// Records or replaces an assessment; with `expected_version`, only if unchanged since read.
/// A changed outcome clears any second sign-off, which must then be given again.
/// When two callers with `expected_version` record at once, one wins and the other gets
/// [`Error::Stale`]; without it, the later one reads the winner's row and replaces it (last
/// write wins; the audit trail keeps both).
pub fn record_assessment(
    conn: &mut DbConnection,
    input: &AssessmentInput,
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Assessment> {
    let attempts = if expected_version.is_some() { 1 } else { 3 };
    for _ in 0..attempts {
        match record_assessment_once(conn, input, expected_version, now) {
            Err(Error::Stale) => continue,
            done => return done,
        }
    }
    Err(Error::Stale)
}

fn record_assessment_once(
    conn: &mut DbConnection,
    input: &AssessmentInput,
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Assessment> {
    let current = assessment(conn, &input.cohort_id, &input.person_id, &input.module_code)?;
    match current {
        None => {
            if expected_version.is_some_and(|v| v != 0) {
                return Err(Error::Stale);
            }
            let row = Assessment {
                id: new_id(),
                cohort_id: input.cohort_id.clone(),
                person_id: input.person_id.clone(),
                module_code: input.module_code.clone(),
                outcome: input.outcome.as_str().to_string(),
                note: input.note.clone(),
                assessed_by: input.assessed_by.clone(),
                assessed_on: input.assessed_on,
                verified_by: None,
                verified_on: None,
                version: 1,
                updated_at: now,
            };
            // Another assessor may record this module at the same moment: theirs stands, and
            // this caller must read it first (DO NOTHING keeps a PostgreSQL transaction usable).
            let inserted = match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(assessments::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(assessments::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c)?,
            };
            if inserted == 0 {
                return Err(Error::Stale);
            }
            Ok(row)
        }
        Some(old) => {
            if expected_version.is_some_and(|v| v != old.version) {
                return Err(Error::Stale);
            }
            let outcome_changed = old.outcome != input.outcome.as_str();
            let changed = diesel::update(
                assessments::table
                    .filter(assessments::id.eq(&old.id))
                    .filter(assessments::version.eq(old.version)),
            )
            .set((
                assessments::outcome.eq(input.outcome.as_str()),
                assessments::note.eq(&input.note),
                assessments::assessed_by.eq(&input.assessed_by),
                assessments::assessed_on.eq(input.assessed_on),
                assessments::verified_by.eq(if outcome_changed {
                    None
                } else {
                    old.verified_by.clone()
                }),
                assessments::verified_on.eq(if outcome_changed { None } else { old.verified_on }),
                assessments::version.eq(old.version + 1),
                assessments::updated_at.eq(now),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Err(Error::Stale);
            }
            assessment(conn, &input.cohort_id, &input.person_id, &input.module_code)?
                .ok_or(Error::NotFound("assessment"))
        }
    }
}

/// Gives the second sign-off (internal verification) to an assessment.
pub fn verify_assessment(conn: &mut DbConnection, id: &str, verifier_id: &str, on: NaiveDate) -> Result<()> {
    let changed = diesel::update(assessments::table.find(id))
        .set((
            assessments::verified_by.eq(verifier_id),
            assessments::verified_on.eq(on),
            assessments::version.eq(assessments::version + 1),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("assessment"));
    }
    Ok(())
}

/// A learner's assessments in a cohort, by module.
pub fn assessments_for(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<Vec<Assessment>> {
    Ok(assessments::table
        .filter(assessments::cohort_id.eq(cohort_id))
        .filter(assessments::person_id.eq(person_id))
        .order(assessments::module_code)
        .select(Assessment::as_select())
        .load(conn)?)
}

/// Module codes achieved by a learner in a cohort. Modules in `needs_verification` count only
/// with a second sign-off.
pub fn achieved_modules(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
    needs_verification: &BTreeSet<String>,
) -> Result<BTreeSet<String>> {
    let achievements = achievements_of(conn, &[cohort_id.to_string()])?;
    Ok(achievements.achieved_modules(cohort_id, person_id, needs_verification))
}

/// The modules some learners achieved in some cohorts, read in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Achievements {
    /// By cohort, then learner: each module achieved, and whether it has its second sign-off.
    modules: HashMap<String, HashMap<String, Vec<(String, bool)>>>,
}

impl Achievements {
    /// Module codes a learner achieved in a cohort; modules in `needs_verification` count only
    /// with a second sign-off.
    pub fn achieved_modules(
        &self,
        cohort_id: &str,
        person_id: &str,
        needs_verification: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        self.modules
            .get(cohort_id)
            .and_then(|learners| learners.get(person_id))
            .into_iter()
            .flatten()
            .filter(|(module, verified)| *verified || !needs_verification.contains(module))
            .map(|(module, _)| module.clone())
            .collect()
    }
}

impl Achievements {
    /// Adds what another read found (for other cohorts).
    pub fn extend(&mut self, other: Achievements) {
        for (cohort_id, learners) in other.modules {
            let mine = self.modules.entry(cohort_id).or_default();
            for (person_id, modules) in learners {
                mine.entry(person_id).or_insert(modules);
            }
        }
    }
}

/// The achieved assessments in `cohort_ids` (filtered by cohort alone, as [`registers_of`]).
pub fn achievements_of(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<Achievements> {
    let rows: Vec<(String, String, String, bool)> = assessments::table
        .filter(assessments::cohort_id.eq_any(cohort_ids))
        .filter(assessments::outcome.eq(AssessmentOutcome::Achieved.as_str()))
        .select((
            assessments::cohort_id,
            assessments::person_id,
            assessments::module_code,
            assessments::verified_by.is_not_null(),
        ))
        .load(conn)?;
    let mut achievements = Achievements::default();
    for (cohort_id, person_id, module_code, verified) in rows {
        achievements
            .modules
            .entry(cohort_id)
            .or_default()
            .entry(person_id)
            .or_default()
            .push((module_code, verified));
    }
    Ok(achievements)
}

/// Every assessment of one module in a cohort.
pub fn of_module(conn: &mut DbConnection, cohort_id: &str, module_code: &str) -> Result<Vec<Assessment>> {
    Ok(assessments::table
        .filter(assessments::cohort_id.eq(cohort_id))
        .filter(assessments::module_code.eq(module_code))
        .select(Assessment::as_select())
        .load(conn)?)
}
