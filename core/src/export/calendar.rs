//! Calendars as iCalendar (RFC 5545), written with the `icalendar` crate.
//!
//! Times are written in UTC (`DTSTART:20261026T100000Z`): sessions are stored in UTC, and a
//! UTC time means one instant in every calendar application, so a session is at the right
//! time on either side of the change to and from British Summer Time without a `VTIMEZONE`
//! block that each application reads a little differently. The application shows it in the
//! person's own time zone.

use chrono::{DateTime, NaiveDateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

/// One event in a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Its identity across every reading of the feed: an application updates the event with
    /// this UID rather than adding another.
    pub uid: String,
    /// What the calendar shows.
    pub summary: String,
    /// More words, shown when the event is opened.
    pub description: String,
    /// Start, in UTC.
    pub starts_at: NaiveDateTime,
    /// End, in UTC.
    pub ends_at: NaiveDateTime,
    /// Whether it was called off (`STATUS:CANCELLED`).
    pub cancelled: bool,
    /// A page about it, if any.
    pub url: Option<String>,
}

/// How often a calendar application should read the feed again.
const REFRESH: chrono::Duration = chrono::Duration::hours(6);

/// The calendar named `name` with these events, as iCalendar text (CRLF line ends, long lines
/// folded, text escaped by the crate). `now` is each event's `DTSTAMP`.
pub fn write(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).ttl(&REFRESH);
    for entry in entries {
        let mut event = Event::new();
        event
            .uid(&entry.uid)
            .timestamp(now)
            .summary(&entry.summary)
            .description(&entry.description)
            .starts(entry.starts_at.and_utc())
            .ends(entry.ends_at.and_utc())
            .status(if entry.cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        if let Some(url) = &entry.url {
            event.url(url);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_in_utc_with_their_status() {
        let at = |text: &str| text.parse::<NaiveDateTime>().unwrap();
        let text = write(
            "Peertrack",
            &[CalendarEntry {
                uid: "s1@peertrack".into(),
                summary: "Week 1, boundaries; and care".into(),
                description: "Cancelled: the hall is closed".into(),
                starts_at: at("2026-10-23T09:00:00"),
                ends_at: at("2026-10-23T11:00:00"),
                cancelled: true,
                url: None,
            }],
            Utc::now(),
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.contains("DTSTART:20261023T090000Z\r\n"), "{text}");
        assert!(text.contains("DTEND:20261023T110000Z\r\n"), "{text}");
        assert!(text.contains("STATUS:CANCELLED\r\n"), "{text}");
        assert!(text.contains("UID:s1@peertrack\r\n"), "{text}");
        assert!(
            text.contains("SUMMARY:Week 1\\, boundaries\\; and care"),
            "{text}"
        );
    }
}
