//! Files people download: spreadsheets (CSV) and calendars (iCalendar), built from plain
//! values, so that the pages, the API and the command line can all offer the same files.
//! Which rows a person may have is decided by the services that call these
//! (`service::exports`, `service::calendar`).

pub mod calendar;
pub mod csv;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Europe::London;

/// An instant as UK local time (`2026-10-26 10:05`), as people in the service read clocks:
/// Greenwich Mean Time in winter, British Summer Time in summer.
pub fn uk_time(at: NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(at, Utc)
        .with_timezone(&London)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_time_follows_the_clock_changes() {
        let at = |text: &str| text.parse::<NaiveDateTime>().unwrap();
        // British Summer Time: one hour ahead of UTC.
        assert_eq!(uk_time(at("2026-10-23T09:00:00")), "2026-10-23 10:00");
        // Clocks went back on Sunday 25 October 2026: UTC again.
        assert_eq!(uk_time(at("2026-10-26T10:00:00")), "2026-10-26 10:00");
    }
}
