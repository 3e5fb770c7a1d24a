//! What a list of cohorts shows of each: the cohorts a tutor teaches, how many learners each
//! has, and when each meets next. A few queries for the whole list, not a few per cohort.

use std::collections::HashMap;

use super::*;

/// The cohorts `tutor` teaches (every cohort when `None`), the most recently started first,
/// at most `limit`.
pub fn latest_first(conn: &mut DbConnection, tutor: Option<&str>, limit: i64) -> Result<Vec<Cohort>> {
    let mut query = cohorts::table
        .select(Cohort::as_select())
        .order((cohorts::starts_on.desc(), cohorts::id))
        .limit(limit)
        .into_boxed();
    if let Some(tutor) = tutor {
        let tutored = cohort_tutors::table
            .filter(cohort_tutors::person_id.eq(tutor.to_string()))
            .select(cohort_tutors::cohort_id);
        query = query.filter(cohorts::id.eq_any(tutored));
    }
    Ok(query.load(conn)?)
}

/// How many cohorts `tutor` teaches (every cohort when `None`).
pub fn count(conn: &mut DbConnection, tutor: Option<&str>) -> Result<i64> {
    Ok(match tutor {
        Some(tutor) => cohort_tutors::table
            .filter(cohort_tutors::person_id.eq(tutor))
            .count()
            .get_result(conn)?,
        None => cohorts::table.count().get_result(conn)?,
    })
}

/// How many learners each of these cohorts has who have not withdrawn (cohorts with none are
/// left out).
pub fn learner_counts(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<HashMap<String, i64>> {
    let counts: Vec<(String, i64)> = enrolments::table
        .filter(enrolments::cohort_id.eq_any(cohort_ids))
        .filter(enrolments::withdrawn_at.is_null())
        .group_by(enrolments::cohort_id)
        .select((enrolments::cohort_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// When each of these cohorts next meets: its first session not cancelled that starts at or
/// after `from` (cohorts with none are left out).
pub fn next_sessions(
    conn: &mut DbConnection,
    cohort_ids: &[String],
    from: NaiveDateTime,
) -> Result<HashMap<String, NaiveDateTime>> {
    let next: Vec<(String, Option<NaiveDateTime>)> = sessions::table
        .filter(sessions::cohort_id.eq_any(cohort_ids))
        .filter(sessions::cancelled_at.is_null())
        .filter(sessions::starts_at.ge(from))
        .group_by(sessions::cohort_id)
        .select((sessions::cohort_id, diesel::dsl::min(sessions::starts_at)))
        .load(conn)?;
    Ok(next
        .into_iter()
        .filter_map(|(cohort, at)| at.map(|at| (cohort, at)))
        .collect())
}
