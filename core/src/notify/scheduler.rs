//! Time-based emails, found by looking at the records rather than caused by a change: a
//! reminder the day before a session, a note to tutors after two absences in a row, notices
//! 60 and 14 days before a certificate expires, and a nudge when a running placement has had no
//! supervision logged for four weeks.
//!
//! Each email's idempotency key names the thing it is about, so running the scheduler again
//! (the same day, after a restart, or on several instances at once) queues nothing twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;

use super::{queue_email, queue_email_until, Email};
use crate::domain::certificate::verification_url;
use crate::domain::{local_time, EnrolmentStatus};
use crate::store::delivery::{self, Mark};
use crate::store::people::Person;
use crate::store::{cohorts, organisations, people, programmes, stored, DbConnection};
use crate::Result;

/// A certificate's holder hears this many days before it expires.
pub const EXPIRY_NOTICE_DAYS: [u64; 2] = [60, 14];
/// A running placement with no supervision logged for this many days gets a nudge.
pub const SUPERVISION_GAP_DAYS: u64 = 28;
/// Absences further back than this are not looked at (no notes about old history).
pub const ABSENCE_LOOKBACK_DAYS: u64 = 28;

/// How many emails of each kind one run queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scheduled {
    /// Session reminders.
    pub reminders: usize,
    /// Notes to tutors about two absences in a row.
    pub absence_notes: usize,
    /// Certificate expiry notices.
    pub expiry_notices: usize,
    /// Supervision nudges (to learners and supervisors).
    pub supervision_nudges: usize,
}

impl Scheduled {
    /// All of them.
    pub fn total(&self) -> usize {
        self.reminders + self.absence_notes + self.expiry_notices + self.supervision_nudges
    }
}

/// Queues every time-based email due at `now`, in the caller's transaction.
pub fn queue_due(conn: &mut DbConnection, now: DateTime<Utc>, public_url: &str) -> Result<Scheduled> {
    let today = now.date_naive();
    Ok(Scheduled {
        reminders: session_reminders(conn, now)?,
        absence_notes: absence_notes(conn, now)?,
        expiry_notices: expiry_notices(conn, today, stored(now), public_url)?,
        supervision_nudges: supervision_nudges(conn, today, stored(now))?,
    })
}

fn wants_reminders(person: &Person) -> bool {
    person.reminders_enabled && person.erased_at.is_none() && person.email.is_some()
}

/// A reminder to each active learner with reminders on, for sessions starting tomorrow: the
/// next day in the UK, between its midnights (in summer a UTC day would take in the first hour
/// of the day after, and from 23:00 UTC call today's sessions "tomorrow").
fn session_reminders(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize> {
    let tomorrow = local_time::today(now) + Days::new(1);
    let from = stored(local_time::start_of_day(tomorrow));
    let until = stored(local_time::start_of_day(tomorrow + Days::new(1)));
    let mut queued = 0;
    for (session, cohort) in delivery::sessions_starting(conn, from, until)? {
        for (enrolment, learner) in cohorts::learners(conn, &cohort.id)? {
            let active = enrolment.status == EnrolmentStatus::Active.as_str();
            if !active || enrolment.enrolled_on > tomorrow || !wants_reminders(&learner) {
                continue;
            }
            // A reminder that arrives after the session has started helps nobody.
            queued += usize::from(queue_email_until(
                conn,
                format!("session_reminder:{}:{}", session.id, learner.id),
                Email::SessionReminder,
                &learner,
                json!({
                    "name": learner.display_name(),
                    "cohort_name": cohort.name,
                    "session_title": session.title,
                    "starts_at": session.starts_at,
                    "ends_at": session.ends_at,
                }),
                stored(now),
                session.starts_at,
            )?);
        }
    }
    Ok(queued)
}

/// The sessions that begin each run of two or more absences in a row, per learner, from marks
/// in session order. An excused absence or an attendance ends a run.
pub fn absence_runs(marks: &[Mark]) -> Vec<(&Mark, &Mark)> {
    let mut runs = Vec::new();
    let mut by_learner: BTreeMap<(&str, &str), Vec<&Mark>> = BTreeMap::new();
    for mark in marks {
        by_learner
            .entry((mark.cohort_id.as_str(), mark.person_id.as_str()))
            .or_default()
            .push(mark);
    }
    for (_, mut learner_marks) in by_learner {
        learner_marks.sort_by(|a, b| (a.starts_at, &a.session_id).cmp(&(b.starts_at, &b.session_id)));
        for (i, pair) in learner_marks.windows(2).enumerate() {
            let starts_run = i == 0 || learner_marks[i - 1].status != "absent";
            if pair[0].status == "absent" && pair[1].status == "absent" && starts_run {
                runs.push((pair[0], pair[1]));
            }
        }
    }
    runs
}

/// A note to each tutor (with reminders on) of a learner who missed two sessions in a row.
fn absence_notes(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize> {
    let from = stored(now) - chrono::Duration::days(ABSENCE_LOOKBACK_DAYS as i64);
    let marks = delivery::marks_between(conn, from, stored(now))?;
    let mut queued = 0;
    for (first, second) in absence_runs(&marks) {
        let Some(enrolment) = cohorts::enrolment_of(conn, &first.cohort_id, &first.person_id)? else {
            continue;
        };
        if enrolment.status != EnrolmentStatus::Active.as_str() {
            continue;
        }
        let learner = people::get(conn, &first.person_id)?;
        if learner.erased_at.is_some() {
            continue;
        }
        let cohort = cohorts::get(conn, &first.cohort_id)?;
        for tutor in cohorts::tutors(conn, &cohort.id)? {
            if tutor.id == learner.id || !wants_reminders(&tutor) {
                continue;
            }
            queued += usize::from(queue_email(
                conn,
                format!(
                    "absences_noted:{}:{}:{}:{}",
                    cohort.id, learner.id, first.session_id, tutor.id
                ),
                Email::AbsencesNoted,
                &tutor,
                json!({
                    "name": tutor.display_name(),
                    "learner_name": learner.display_name(),
                    "person_id": learner.id,
                    "cohort_name": cohort.name,
                    "sessions": [
                        {"title": first.session_title, "starts_at": first.starts_at},
                        {"title": second.session_title, "starts_at": second.starts_at},
                    ],
                }),
                stored(now),
            )?);
        }
    }
    Ok(queued)
}

/// Notices to holders of certificates that expire within 60 days (and again within 14). A
/// notice missed on its exact day (the worker was down) goes out on the next run instead.
fn expiry_notices(
    conn: &mut DbConnection,
    today: NaiveDate,
    now: NaiveDateTime,
    public_url: &str,
) -> Result<usize> {
    let [early, late] = EXPIRY_NOTICE_DAYS;
    let mut queued = 0;
    for certificate in delivery::certificates_expiring(conn, today + Days::new(1), today + Days::new(early))?
    {
        let Some(expires_on) = certificate.expires_on else {
            continue;
        };
        let days_left = (expires_on - today).num_days();
        let notice = if days_left <= late as i64 { late } else { early };
        let holder = people::get(conn, &certificate.person_id)?;
        let version = programmes::version(conn, &certificate.programme_version_id)?;
        queued += usize::from(queue_email(
            conn,
            format!("certificate_expiring:{}:{expires_on}:{notice}", certificate.id),
            Email::CertificateExpiring,
            &holder,
            json!({
                "name": holder.display_name(),
                "certificate_id": certificate.id,
                "number": certificate.number,
                "programme_title": version.definition.title,
                "expires_on": expires_on,
                "days_left": days_left,
                "verification_url": verification_url(public_url, &certificate.verification_code),
            }),
            now,
        )?);
    }
    Ok(queued)
}

/// Nudges to the learner and the supervisor of each running placement with no supervision
/// logged for four weeks, and again every further four weeks of quiet.
fn supervision_nudges(conn: &mut DbConnection, today: NaiveDate, now: NaiveDateTime) -> Result<usize> {
    let started_by = today - Days::new(SUPERVISION_GAP_DAYS);
    let mut queued = 0;
    for (placement, last_on) in delivery::placements_with_last_supervision(conn, today, started_by)? {
        let quiet_since = last_on.unwrap_or(placement.starts_on).max(placement.starts_on);
        let quiet_days = (today - quiet_since).num_days();
        if quiet_days < SUPERVISION_GAP_DAYS as i64 {
            continue;
        }
        let stretch = quiet_days / SUPERVISION_GAP_DAYS as i64;
        let learner = people::get(conn, &placement.person_id)?;
        if learner.erased_at.is_some() {
            continue;
        }
        let supervisor = people::get(conn, &placement.supervisor_id)?;
        let organisation = organisations::get(conn, &placement.organisation_id)?;
        for (role, recipient) in [("learner", &learner), ("supervisor", &supervisor)] {
            if !wants_reminders(recipient) {
                continue;
            }
            queued += usize::from(queue_email(
                conn,
                format!(
                    "supervision_nudge:{}:{quiet_since}:{stretch}:{role}",
                    placement.id
                ),
                Email::SupervisionNudge,
                recipient,
                json!({
                    "name": recipient.display_name(),
                    "role": role,
                    "learner_name": learner.display_name(),
                    "organisation_name": organisation.name,
                    "placement_id": placement.id,
                    "weeks": quiet_days / 7,
                    "last_on": last_on,
                }),
                now,
            )?);
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(session: &str, day: u32, person: &str, status: &str) -> Mark {
        Mark {
            cohort_id: "c".into(),
            session_id: session.into(),
            session_title: format!("Session {session}"),
            starts_at: NaiveDate::from_ymd_opt(2027, 3, day)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap(),
            person_id: person.into(),
            status: status.into(),
        }
    }

    #[test]
    fn two_absences_in_a_row_make_one_run_however_long_it_lasts() {
        let marks = vec![
            mark("s1", 1, "a", "present"),
            mark("s2", 8, "a", "absent"),
            mark("s3", 15, "a", "absent"),
            mark("s4", 22, "a", "absent"),
            mark("s1", 1, "b", "absent"),
            mark("s2", 8, "b", "excused"),
            mark("s3", 15, "b", "absent"),
            mark("s4", 22, "b", "present"),
        ];
        let runs: Vec<(&str, &str, &str)> = absence_runs(&marks)
            .into_iter()
            .map(|(first, second)| {
                (
                    first.person_id.as_str(),
                    first.session_id.as_str(),
                    second.session_id.as_str(),
                )
            })
            .collect();
        assert_eq!(runs, [("a", "s2", "s3")], "an excused absence breaks a run");
    }

    #[test]
    fn a_new_run_after_coming_back_is_noted_again() {
        let marks = vec![
            mark("s1", 1, "a", "absent"),
            mark("s2", 8, "a", "absent"),
            mark("s3", 15, "a", "late"),
            mark("s4", 22, "a", "absent"),
            mark("s5", 29, "a", "absent"),
        ];
        let firsts: Vec<&str> = absence_runs(&marks)
            .into_iter()
            .map(|(first, _)| first.session_id.as_str())
            .collect();
        assert_eq!(firsts, ["s1", "s4"]);
    }
}
