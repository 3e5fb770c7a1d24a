//! What a tutor sees of their cohorts: the list of the cohorts they teach, and one cohort's
//! sessions and learners with who is on track for the attendance rule and who is at risk.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{details, CohortDetails};
use crate::access::{self, Caller};
use crate::domain::AttendanceOutlook;
use crate::service::progress::{self, LearnerProgress};
use crate::store::cohorts::{self, overview as listing, Cohort, Session};
use crate::store::people::Person;
use crate::store::{programmes, stored, DbConnection};
use crate::{Error, Result};

/// A cohort as a list of cohorts shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortSummary {
    /// The cohort.
    pub cohort: Cohort,
    /// Its programme's title.
    pub programme_title: String,
    /// Its learners who have not withdrawn.
    pub learners: i64,
    /// The start of its next session not cancelled, if one is still to come.
    pub next_session: Option<NaiveDateTime>,
}

/// The cohorts the caller teaches, the most recently started first, at most `limit`, with how
/// many there are in all. Administrators teach none of their own here: they get every cohort.
pub fn taught(
    conn: &mut DbConnection,
    caller: &Caller,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<CohortSummary>, i64)> {
    let tutor = if caller.is_admin() {
        None
    } else {
        Some(caller.require_person()?)
    };
    let found = listing::latest_first(conn, tutor, limit)?;
    let total = if (found.len() as i64) < limit {
        found.len() as i64
    } else {
        listing::count(conn, tutor)?
    };
    let ids: Vec<String> = found.iter().map(|c| c.id.clone()).collect();
    let learners = listing::learner_counts(conn, &ids)?;
    let next = listing::next_sessions(conn, &ids, stored(now))?;
    let mut version_ids: Vec<String> = found.iter().map(|c| c.programme_version_id.clone()).collect();
    version_ids.sort_unstable();
    version_ids.dedup();
    let titles = programmes::titles(conn, &version_ids)?;
    let mut summaries = Vec::with_capacity(found.len());
    for cohort in found {
        let programme_title = titles
            .get(&cohort.programme_version_id)
            .cloned()
            .ok_or_else(|| Error::Corrupt(format!("cohort {} follows no programme version", cohort.id)))?;
        summaries.push(CohortSummary {
            programme_title,
            learners: learners.get(&cohort.id).copied().unwrap_or(0),
            next_session: next.get(&cohort.id).copied(),
            cohort,
        });
    }
    Ok((summaries, total))
}

/// One learner of a cohort as its tutors see them.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerStanding {
    /// The learner.
    pub person: Person,
    /// Where they stand (their enrolment, attendance, modules, eligibility).
    pub progress: LearnerProgress,
    /// Whether they are on track for the programme's minimum attendance.
    pub outlook: AttendanceOutlook,
    /// Sessions held for them with no mark on the register yet.
    pub unmarked: u32,
}

/// A cohort as its tutors see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOverview {
    /// The cohort, its programme and tutors.
    pub details: CohortDetails,
    /// The programme's minimum attendance, in percent, if it has one.
    pub min_attendance_percent: Option<u8>,
    /// Every session, in time order.
    pub sessions: Vec<Session>,
    /// Every learner, withdrawn or not, by name.
    pub learners: Vec<LearnerStanding>,
}

/// The most sessions a cohort page lists; a cohort has tens.
const SESSIONS_SHOWN: i64 = 500;

/// A cohort's sessions and learners, with each learner's progress and attendance outlook as
/// of `now`; for its tutors and administrators.
pub fn overview(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
) -> Result<CohortOverview> {
    access::require_cohort_staff(conn, caller, cohort_id)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let min_attendance_percent = version.definition.rule.min_attendance_percent;
    let sessions = cohorts::sessions(conn, cohort_id, None, SESSIONS_SHOWN)?;
    let progress = progress::cohort_progress(conn, &cohort, now)?;
    let now_stored = stored(now);
    let learners = progress
        .into_iter()
        .map(|(person, progress)| {
            let left = progress.enrolment.withdrawn_at;
            let to_come = sessions
                .iter()
                .filter(|s| !s.is_cancelled() && s.starts_at > now_stored)
                .filter(|s| left.is_none_or(|left| s.starts_at < left))
                .count();
            let to_come = u32::try_from(to_come).unwrap_or(u32::MAX);
            LearnerStanding {
                outlook: AttendanceOutlook::judge(&progress.attendance, min_attendance_percent, to_come),
                unmarked: progress.attendance.unrecorded,
                person,
                progress,
            }
        })
        .collect();
    Ok(CohortOverview {
        details: details(conn, cohort)?,
        min_attendance_percent,
        sessions,
        learners,
    })
}
