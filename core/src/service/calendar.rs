//! Calendar feeds: each learner and each tutor can subscribe to their sessions from a calendar
//! application, by a private address with a secret of its own. The secret is the only
//! credential (calendar applications carry no cookie), so it is stored hashed, shown once,
//! and can be replaced or stopped at any time; an unknown or stopped one finds nothing.

use chrono::{DateTime, Days, NaiveDateTime, Utc};
use serde_json::json;

use crate::access::Caller;
use crate::export::calendar::{self, CalendarEntry};
use crate::store::calendar_feeds::{self, SessionPart};
use crate::store::{audit, stored, DbConnection};
use crate::Result;

/// How far back a feed reaches: a year of past sessions, and every future one.
pub const FEED_PAST_DAYS: u64 = 366;
/// The most events one feed holds (a tutor of many cohorts stays well under it).
pub const FEED_MOST_EVENTS: i64 = 2_000;

/// When the caller's live calendar link was made, if they have one. The address itself is
/// not kept, so it cannot be shown again.
pub fn link_made_at(conn: &mut DbConnection, caller: &Caller) -> Result<Option<NaiveDateTime>> {
    let person_id = caller.require_person()?;
    Ok(calendar_feeds::live_of(conn, person_id)?.map(|feed| feed.created_at))
}

/// Makes the caller a new calendar link, stopping the old one; returns its secret, to put
/// in the address shown once (`/calendar/{secret}.ics`).
pub fn make_link(conn: &mut DbConnection, caller: &Caller, now: DateTime<Utc>) -> Result<String> {
    let person_id = caller.require_person()?;
    let now = stored(now);
    let (secret, feed) = calendar_feeds::replace(conn, person_id, now)?;
    audit::record(
        conn,
        &caller.actor(),
        "calendar_feed.made",
        ("person", person_id),
        json!({ "feed_id": feed.id }),
        now,
    )?;
    Ok(secret)
}

/// Stops the caller's calendar link; whether there was one.
pub fn stop_link(conn: &mut DbConnection, caller: &Caller, now: DateTime<Utc>) -> Result<bool> {
    let person_id = caller.require_person()?;
    let now = stored(now);
    let stopped = calendar_feeds::revoke_of(conn, person_id, now)?;
    if stopped {
        audit::record(
            conn,
            &caller.actor(),
            "calendar_feed.stopped",
            ("person", person_id),
            json!({}),
            now,
        )?;
    }
    Ok(stopped)
}

/// The iCalendar text of the feed with this secret, or `None` when no live feed has it.
/// It holds the sessions of the cohorts the person teaches and learns in, from a year ago
/// on (at most [`FEED_MOST_EVENTS`]); a cancelled session is there as cancelled, so that
/// calendars that had it take it off. `public_url` is where the pages are, for links.
pub fn feed(
    conn: &mut DbConnection,
    secret: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(person_id) = calendar_feeds::person_for_secret(conn, secret)? else {
        return Ok(None);
    };
    let from = now.date_naive() - Days::new(FEED_PAST_DAYS);
    let sessions = calendar_feeds::sessions_of_person(conn, &person_id, from, FEED_MOST_EVENTS)?;
    let base = public_url.trim_end_matches('/');
    let entries: Vec<CalendarEntry> = sessions
        .into_iter()
        .map(|(session, cohort, part)| {
            let mut description = match part {
                SessionPart::Tutor => format!("You are a tutor of {}.", cohort.name),
                SessionPart::Learner => format!("A session of {}, your course.", cohort.name),
            };
            if session.is_cancelled() {
                let reason = session.cancel_reason.as_deref().unwrap_or_default().trim();
                description = if reason.is_empty() {
                    format!("This session is cancelled. {description}")
                } else {
                    format!("This session is cancelled: {reason}. {description}")
                };
            }
            let url = match part {
                SessionPart::Tutor => format!("{base}/sessions/{}/register", session.id),
                SessionPart::Learner => format!("{base}/me/progress"),
            };
            let summary = if session.is_cancelled() {
                format!("Cancelled: {} ({})", session.title, cohort.name)
            } else {
                format!("{} ({})", session.title, cohort.name)
            };
            CalendarEntry {
                uid: format!("session-{}@peertrack", session.id),
                summary,
                description,
                starts_at: session.starts_at,
                ends_at: session.ends_at,
                cancelled: session.is_cancelled(),
                url: Some(url),
            }
        })
        .collect();
    Ok(Some(calendar::write("Peertrack: your sessions", &entries, now)))
}
