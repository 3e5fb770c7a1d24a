//! Time as people in the service read it: UK local time (Greenwich Mean Time in winter, British
//! Summer Time in summer), for every page, email and spreadsheet that shows a time to a person.
//!
//! Instants are stored and exchanged in UTC (the databases, the REST API, the iCalendar feed);
//! this module is the one place that turns them into what a clock on the wall says, and turns
//! a day and a clock time typed in a form back into an instant. Date-only values (a
//! certificate's issue date) are no instant and need no zone.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The zone people in the service read clocks in.
pub const ZONE: Tz = chrono_tz::Europe::London;

/// An instant in UTC: a `DateTime<Utc>`, or a stored timestamp (UTC without a zone).
pub trait UtcInstant: Copy {
    /// The instant as `DateTime<Utc>`.
    fn to_utc(self) -> DateTime<Utc>;
}

impl UtcInstant for DateTime<Utc> {
    fn to_utc(self) -> DateTime<Utc> {
        self
    }
}

impl UtcInstant for NaiveDateTime {
    fn to_utc(self) -> DateTime<Utc> {
        self.and_utc()
    }
}

/// The instant as a UK clock and calendar read it.
pub fn local(at: impl UtcInstant) -> DateTime<Tz> {
    at.to_utc().with_timezone(&ZONE)
}

/// The UK calendar day an instant falls on.
pub fn local_date(at: impl UtcInstant) -> NaiveDate {
    local(at).date_naive()
}

/// Today's date in the UK at `now`, for pages that say a session is today or to come.
pub fn today(now: impl UtcInstant) -> NaiveDate {
    local_date(now)
}

/// A day in words with its weekday: "Tuesday 3 March 2027".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%A %-d %B %Y").to_string()
}

/// A day in words: "3 March 2027".
pub fn day_month_year(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The UK clock time of an instant: "18:00" (24-hour).
pub fn clock_time(at: impl UtcInstant) -> String {
    local(at).format("%H:%M").to_string()
}

/// When something starts, in UK time: "Tuesday 3 March 2027, 18:00".
pub fn day_and_time(at: impl UtcInstant) -> String {
    let at = local(at);
    format!("{}, {}", long_date(at.date_naive()), at.format("%H:%M"))
}

/// A session from start to end, in UK time: "Tuesday 3 March 2027, 18:00 to 20:00"; an end on
/// another UK day is said in full ("... 22:00 to Wednesday 4 March 2027, 02:00").
pub fn session_span(starts_at: impl UtcInstant, ends_at: impl UtcInstant) -> String {
    let (starts, ends) = (local(starts_at), local(ends_at));
    let end = if ends.date_naive() == starts.date_naive() {
        ends.format("%H:%M").to_string()
    } else {
        day_and_time(ends_at)
    };
    format!("{} to {end}", day_and_time(starts_at))
}

/// When something happened, in UK time: "21:14 on 3 March 2027".
pub fn moment(at: impl UtcInstant) -> String {
    let at = local(at);
    format!("{} on {}", at.format("%H:%M"), day_month_year(at.date_naive()))
}

/// An instant as a spreadsheet cell in UK time: "2026-10-26 10:05".
pub fn uk_time(at: impl UtcInstant) -> String {
    local(at).format("%Y-%m-%d %H:%M").to_string()
}

/// A UK clock time that does not happen on its day: the clocks go forward over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedTime {
    /// The day typed.
    pub date: NaiveDate,
    /// The clock time typed.
    pub asked: NaiveTime,
    /// The clock time at which the clocks go forward that day (01:00 in the UK).
    pub clocks_change_at: NaiveTime,
}

impl std::fmt::Display for SkippedTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Clocks go forward at {} on {}, so {} does not happen that day. Choose another time.",
            self.clocks_change_at.format("%H:%M"),
            long_date(self.date),
            self.asked.format("%H:%M"),
        )
    }
}

impl std::error::Error for SkippedTime {}

/// The instant a UK day begins (midnight, which the UK's clock changes never skip: they
/// change at 01:00 and 02:00).
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    to_utc(date, NaiveTime::MIN).unwrap_or_else(|_| date.and_time(NaiveTime::MIN).and_utc())
}

/// The instant a UK clock shows `time` on `date`. A time the clocks skip when they go forward
/// is refused ([`SkippedTime`]); a time that happens twice when they go back is taken as the
/// first, in British Summer Time.
pub fn to_utc(date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, SkippedTime> {
    let wanted = date.and_time(time);
    match ZONE.from_local_datetime(&wanted) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Ok(first.min(second).with_timezone(&Utc)),
        LocalResult::None => {
            // Back, a minute at a time, to the last minute the clocks show: the gap starts
            // one minute later. (A gap is an hour in the UK; the bound only guards the loop.)
            let mut gap_start = wanted.with_second(0).unwrap_or(wanted);
            for _ in 0..24 * 60 {
                let earlier = gap_start - Duration::minutes(1);
                if !matches!(ZONE.from_local_datetime(&earlier), LocalResult::None) {
                    break;
                }
                gap_start = earlier;
            }
            Err(SkippedTime {
                date,
                asked: time,
                clocks_change_at: gap_start.time(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse::<DateTime<Utc>>().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    #[test]
    fn summer_times_are_an_hour_ahead_of_utc_and_winter_times_are_utc() {
        assert_eq!(clock_time(at("2027-07-06T09:00:00Z")), "10:00");
        assert_eq!(clock_time(at("2027-01-12T09:00:00Z")), "09:00");
        // A stored timestamp is UTC too.
        let stored = "2027-07-06T09:00:00".parse::<NaiveDateTime>().unwrap();
        assert_eq!(clock_time(stored), "10:00");
    }

    #[test]
    fn dates_and_spans_are_said_in_words() {
        assert_eq!(long_date(day("2027-03-02")), "Tuesday 2 March 2027");
        assert_eq!(day_month_year(day("2027-03-02")), "2 March 2027");
        assert_eq!(
            session_span(at("2027-03-02T18:00:00Z"), at("2027-03-02T20:00:00Z")),
            "Tuesday 2 March 2027, 18:00 to 20:00"
        );
        assert_eq!(
            session_span(at("2027-07-06T09:00:00Z"), at("2027-07-06T11:00:00Z")),
            "Tuesday 6 July 2027, 10:00 to 12:00"
        );
        assert_eq!(
            day_and_time(at("2027-07-06T09:00:00Z")),
            "Tuesday 6 July 2027, 10:00"
        );
        assert_eq!(moment(at("2027-03-02T21:14:00Z")), "21:14 on 2 March 2027");
    }

    #[test]
    fn a_span_that_crosses_midnight_in_the_uk_names_its_end_day() {
        // 22:30 to 23:30 UTC in July is 23:30 to 00:30 in the UK: the end is the next day.
        assert_eq!(
            session_span(at("2027-07-06T22:30:00Z"), at("2027-07-06T23:30:00Z")),
            "Tuesday 6 July 2027, 23:30 to Wednesday 7 July 2027, 00:30"
        );
        // The same instants in winter stay on one day.
        assert_eq!(
            session_span(at("2027-01-12T22:30:00Z"), at("2027-01-12T23:30:00Z")),
            "Tuesday 12 January 2027, 22:30 to 23:30"
        );
    }

    #[test]
    fn the_day_is_the_uk_day() {
        // 23:30 UTC on 6 July is already 7 July on a UK calendar.
        assert_eq!(local_date(at("2027-07-06T23:30:00Z")), day("2027-07-07"));
        assert_eq!(today(at("2027-07-06T23:30:00Z")), day("2027-07-07"));
        assert_eq!(today(at("2027-01-12T23:30:00Z")), day("2027-01-12"));
        assert_eq!(moment(at("2027-07-06T23:30:00Z")), "00:30 on 7 July 2027");
    }

    #[test]
    fn spreadsheet_times_follow_the_clock_changes() {
        // British Summer Time: one hour ahead of UTC.
        assert_eq!(uk_time(at("2026-10-23T09:00:00Z")), "2026-10-23 10:00");
        // Clocks went back on Sunday 25 October 2026: UTC again.
        assert_eq!(uk_time(at("2026-10-26T10:00:00Z")), "2026-10-26 10:00");
    }

    #[test]
    fn a_typed_time_becomes_the_instant_in_summer_and_in_winter() {
        assert_eq!(
            to_utc(day("2027-07-06"), time("10:00")),
            Ok(at("2027-07-06T09:00:00Z"))
        );
        assert_eq!(
            to_utc(day("2027-01-12"), time("09:00")),
            Ok(at("2027-01-12T09:00:00Z"))
        );
        // Either side of the change, a typed time reads back as typed.
        for (d, t) in [
            ("2026-03-28", "23:59"),
            ("2026-03-29", "02:00"),
            ("2026-10-25", "02:00"),
        ] {
            let instant = to_utc(day(d), time(t)).unwrap();
            assert_eq!(
                (local_date(instant), clock_time(instant)),
                (day(d), t.to_string())
            );
        }
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_in_plain_words() {
        let refused = to_utc(day("2026-03-29"), time("01:30")).unwrap_err();
        assert_eq!(refused.clocks_change_at, time("01:00"));
        assert_eq!(
            refused.to_string(),
            "Clocks go forward at 01:00 on Sunday 29 March 2026, so 01:30 does not happen that day. Choose another time."
        );
        assert!(to_utc(day("2026-03-29"), time("01:00")).is_err());
        assert_eq!(
            to_utc(day("2026-03-29"), time("00:59")),
            Ok(at("2026-03-29T00:59:00Z"))
        );
        assert_eq!(
            to_utc(day("2026-03-29"), time("02:00")),
            Ok(at("2026-03-29T01:00:00Z"))
        );
        // With seconds, the same.
        let with_seconds = NaiveTime::from_hms_opt(1, 30, 15).unwrap();
        assert_eq!(
            to_utc(day("2026-03-29"), with_seconds)
                .unwrap_err()
                .clocks_change_at,
            time("01:00")
        );
    }

    #[test]
    fn a_time_that_happens_twice_is_the_first_in_summer_time() {
        // Clocks go back at 02:00 BST on 25 October 2026: 01:00 to 01:59 happen twice.
        assert_eq!(
            to_utc(day("2026-10-25"), time("01:30")),
            Ok(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            to_utc(day("2026-10-25"), time("01:00")),
            Ok(at("2026-10-25T00:00:00Z"))
        );
        assert_eq!(
            to_utc(day("2026-10-25"), time("00:59")),
            Ok(at("2026-10-24T23:59:00Z"))
        );
    }
}
