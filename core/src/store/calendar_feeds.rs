//! Calendar feeds: a person's private subscription address for their sessions. Only a SHA-256
//! hash of each secret is stored (as for sign-in tokens, [`super::tokens::hash_secret`]); the
//! address is shown once, when it is made.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::cohorts::{Cohort, Session};
use super::schema::{calendar_feeds, cohort_tutors, cohorts, enrolments, people, sessions};
use super::tokens::{hash_secret, new_secret};
use super::{new_id, DbConnection};
use crate::Result;

/// A person's calendar feed (its hash, never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_feeds, treat_none_as_default_value = false)]
pub struct CalendarFeed {
    /// Its id.
    pub id: String,
    /// Whose sessions it lists.
    pub person_id: String,
    /// SHA-256 of the secret in its address.
    pub token_hash: String,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// When it was stopped (or replaced by a new one).
    pub revoked_at: Option<NaiveDateTime>,
}

/// The person's live feed, if they have one.
pub fn live_of(conn: &mut DbConnection, person_id: &str) -> Result<Option<CalendarFeed>> {
    Ok(calendar_feeds::table
        .filter(calendar_feeds::person_id.eq(person_id))
        .filter(calendar_feeds::revoked_at.is_null())
        .select(CalendarFeed::as_select())
        .first(conn)
        .optional()?)
}

/// Every feed the person has had, live or stopped, oldest first (for their data export).
pub fn all_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<CalendarFeed>> {
    Ok(calendar_feeds::table
        .filter(calendar_feeds::person_id.eq(person_id))
        .order((calendar_feeds::created_at, calendar_feeds::id))
        .select(CalendarFeed::as_select())
        .load(conn)?)
}

/// Stops the person's live feed, if any; whether there was one.
pub fn revoke_of(conn: &mut DbConnection, person_id: &str, now: NaiveDateTime) -> Result<bool> {
    let changed = diesel::update(
        calendar_feeds::table
            .filter(calendar_feeds::person_id.eq(person_id))
            .filter(calendar_feeds::revoked_at.is_null()),
    )
    .set(calendar_feeds::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Makes a new feed for the person, stopping any live one first (in the caller's
/// transaction); returns the secret (shown once) and the stored row.
pub fn replace(
    conn: &mut DbConnection,
    person_id: &str,
    now: NaiveDateTime,
) -> Result<(String, CalendarFeed)> {
    revoke_of(conn, person_id, now)?;
    let secret = new_secret("ptc");
    let feed = CalendarFeed {
        id: new_id(),
        person_id: person_id.to_string(),
        token_hash: hash_secret(&secret),
        created_at: now,
        revoked_at: None,
    };
    diesel::insert_into(calendar_feeds::table)
        .values(&feed)
        .execute(conn)?;
    Ok((secret, feed))
}

/// The person whose live feed has this secret, if any (an erased person has none).
pub fn person_for_secret(conn: &mut DbConnection, secret: &str) -> Result<Option<String>> {
    Ok(calendar_feeds::table
        .inner_join(people::table)
        .filter(calendar_feeds::token_hash.eq(hash_secret(secret)))
        .filter(calendar_feeds::revoked_at.is_null())
        .filter(people::erased_at.is_null())
        .select(calendar_feeds::person_id)
        .first(conn)
        .optional()?)
}

/// Deletes every feed of a person (erasure).
pub fn delete_of(conn: &mut DbConnection, person_id: &str) -> Result<()> {
    diesel::delete(calendar_feeds::table.filter(calendar_feeds::person_id.eq(person_id))).execute(conn)?;
    Ok(())
}

/// How the person is in a session's cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPart {
    /// They teach the cohort.
    Tutor,
    /// They learn in it.
    Learner,
}

/// The sessions of the cohorts the person teaches or learns in (a learner who left a cohort
/// keeps only the sessions that started before they left) that start on or after `from`, in
/// time order, at most `limit`; each with its cohort and how the person takes part.
pub fn sessions_of_person(
    conn: &mut DbConnection,
    person_id: &str,
    from: NaiveDate,
    limit: i64,
) -> Result<Vec<(Session, Cohort, SessionPart)>> {
    let from = from.and_hms_opt(0, 0, 0).expect("midnight exists");
    let taught: Vec<(Session, Cohort)> = sessions::table
        .inner_join(cohorts::table)
        .filter(
            sessions::cohort_id.eq_any(
                cohort_tutors::table
                    .filter(cohort_tutors::person_id.eq(person_id))
                    .select(cohort_tutors::cohort_id),
            ),
        )
        .filter(sessions::starts_at.ge(from))
        .order((sessions::starts_at, sessions::id))
        .limit(limit)
        .select((Session::as_select(), Cohort::as_select()))
        .load(conn)?;
    let learnt: Vec<(Session, Cohort, Option<NaiveDateTime>)> = sessions::table
        .inner_join(cohorts::table)
        .inner_join(enrolments::table.on(enrolments::cohort_id.eq(sessions::cohort_id)))
        .filter(enrolments::person_id.eq(person_id))
        .filter(sessions::starts_at.ge(from))
        .order((sessions::starts_at, sessions::id))
        .limit(limit)
        .select((
            Session::as_select(),
            Cohort::as_select(),
            enrolments::withdrawn_at,
        ))
        .load(conn)?;
    let mut all: Vec<(Session, Cohort, SessionPart)> = taught
        .into_iter()
        .map(|(s, c)| (s, c, SessionPart::Tutor))
        .collect();
    // A tutor who is also enrolled in the same cohort sees the session once, as its tutor.
    let taught_ids: std::collections::HashSet<String> = all.iter().map(|(s, _, _)| s.id.clone()).collect();
    for (session, cohort, left) in learnt {
        let still_in = left.is_none_or(|left| session.starts_at < left);
        if still_in && !taught_ids.contains(&session.id) {
            all.push((session, cohort, SessionPart::Learner));
        }
    }
    all.sort_by(|(a, _, _), (b, _, _)| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
    all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(all)
}
