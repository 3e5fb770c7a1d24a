//! Self check-in by a code that changes every 30 seconds: the code of a moment, which codes are
//! accepted, when a session is open for check-in, and whether a learner is present or late.
//!
//! A session's code for the 30-second window `w = floor(unix time / 30)` is
//! HMAC-SHA256(session secret, session id, w), its first 64 bits written as 20 digits (easy to
//! type on a phone's number pad for someone who cannot scan). A code is accepted in its own
//! window and the next one, so a scan at the edge of a window still works: a photo of the code
//! sent to a friend is useless after at most 60 seconds. Pure functions of the time they are
//! given; no clock and no I/O here.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AttendanceStatus;

/// How long each code is shown, in seconds.
pub const WINDOW_SECONDS: i64 = 30;
/// Check-in opens this long before a session starts (people arrive early); it closes when the
/// session ends.
pub const OPENS_BEFORE_START: Duration = Duration::minutes(15);
/// A learner who checks in more than this long after the start is marked late.
pub const LATE_AFTER_START: Duration = Duration::minutes(10);
/// How many digits a code has: 64 bits of the HMAC, zero-padded.
pub const CODE_DIGITS: usize = 20;

/// The 30-second window `at` falls in.
pub fn window(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(WINDOW_SECONDS)
}

/// When the window after the one `at` falls in begins: when the screen shows the next code.
pub fn next_window_starts(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp((window(at) + 1) * WINDOW_SECONDS, 0).unwrap_or(at)
}

/// The code of a session for one window.
pub fn code_for(secret: &[u8], session_id: &str, window: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"peertrack check-in\0");
    mac.update(session_id.as_bytes());
    mac.update(b"\0");
    mac.update(&window.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    format!("{:0width$}", u64::from_be_bytes(first), width = CODE_DIGITS)
}

/// The code of a session at the moment `at`.
pub fn code_at(secret: &[u8], session_id: &str, at: DateTime<Utc>) -> String {
    code_for(secret, session_id, window(at))
}

/// A code as a person may type it ("1234 5678-9012..."): its digits alone.
pub fn normalise(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

/// The code in groups of four digits, for reading aloud or typing.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `sent` is the session's code for the window of `now` or the one before it.
pub fn accepts(secret: &[u8], session_id: &str, sent: &str, now: DateTime<Utc>) -> bool {
    let sent = normalise(sent);
    if sent.len() != CODE_DIGITS {
        return false;
    }
    let current = window(now);
    [current, current - 1]
        .iter()
        .map(|w| same(code_for(secret, session_id, *w).as_bytes(), sent.as_bytes()))
        .fold(false, |any, this| any | this)
}

/// Compares in time that does not depend on where two codes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// When check-in for a session opens and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInTimes {
    /// From this moment a learner can check in.
    pub opens_at: DateTime<Utc>,
    /// The session's start: lateness counts from here.
    pub starts_at: DateTime<Utc>,
    /// After this moment nobody can.
    pub closes_at: DateTime<Utc>,
}

impl CheckInTimes {
    /// The check-in times of a session stored as starting and ending at these UTC times.
    pub fn of_session(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> Self {
        let starts_at = starts_at.and_utc();
        CheckInTimes {
            opens_at: starts_at - OPENS_BEFORE_START,
            starts_at,
            closes_at: ends_at.and_utc(),
        }
    }

    /// Whether a learner can check in at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.opens_at <= now && now <= self.closes_at
    }

    /// The mark of a learner who checks in at `at`: late after [`LATE_AFTER_START`].
    pub fn mark_at(&self, at: DateTime<Utc>) -> AttendanceStatus {
        if at > self.starts_at + LATE_AFTER_START {
            AttendanceStatus::Late
        } else {
            AttendanceStatus::Present
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 4, h, m, s).unwrap()
    }

    #[test]
    fn a_code_changes_every_thirty_seconds_and_has_twenty_digits() {
        let first = code_at(SECRET, "s1", at(10, 0, 0));
        assert_eq!(first.len(), CODE_DIGITS);
        assert!(first.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(first, code_at(SECRET, "s1", at(10, 0, 29)));
        assert_ne!(first, code_at(SECRET, "s1", at(10, 0, 30)));
        assert_ne!(
            first,
            code_at(SECRET, "s2", at(10, 0, 0)),
            "each session has its own"
        );
        assert_ne!(first, code_at(b"another secret", "s1", at(10, 0, 0)));
    }

    #[test]
    fn a_code_is_accepted_in_its_window_and_the_next_only() {
        let shown = code_at(SECRET, "s1", at(10, 0, 29));
        assert!(accepts(SECRET, "s1", &shown, at(10, 0, 0)));
        assert!(
            accepts(SECRET, "s1", &shown, at(10, 0, 31)),
            "scanned at the edge"
        );
        assert!(accepts(SECRET, "s1", &shown, at(10, 0, 59)));
        assert!(
            !accepts(SECRET, "s1", &shown, at(10, 1, 0)),
            "old after at most 60 s"
        );
        assert!(
            !accepts(SECRET, "s1", &shown, at(9, 59, 59)),
            "not before it is shown"
        );
        assert!(
            !accepts(SECRET, "s2", &shown, at(10, 0, 0)),
            "not for another session"
        );
        assert!(!accepts(SECRET, "s1", "", at(10, 0, 0)));
        assert!(!accepts(SECRET, "s1", &shown[..19], at(10, 0, 0)));
    }

    #[test]
    fn a_typed_code_may_have_spaces_and_dashes() {
        let shown = code_at(SECRET, "s1", at(10, 0, 0));
        let typed = grouped(&shown);
        assert_eq!(typed.len(), 24);
        assert!(accepts(SECRET, "s1", &typed, at(10, 0, 5)));
        assert!(accepts(SECRET, "s1", &typed.replace(' ', "-"), at(10, 0, 5)));
    }

    #[test]
    fn the_next_code_comes_at_the_next_window() {
        assert_eq!(next_window_starts(at(10, 0, 0)), at(10, 0, 30));
        assert_eq!(next_window_starts(at(10, 0, 29)), at(10, 0, 30));
        assert_eq!(next_window_starts(at(10, 0, 30)), at(10, 1, 0));
    }

    #[test]
    fn check_in_is_open_from_before_the_start_to_the_end() {
        let times = CheckInTimes::of_session(at(10, 0, 0).naive_utc(), at(12, 0, 0).naive_utc());
        assert!(!times.is_open(at(9, 44, 59)));
        assert!(times.is_open(at(9, 45, 0)));
        assert!(times.is_open(at(12, 0, 0)));
        assert!(!times.is_open(at(12, 0, 1)));
    }

    #[test]
    fn a_learner_is_late_after_ten_minutes() {
        let times = CheckInTimes::of_session(at(10, 0, 0).naive_utc(), at(12, 0, 0).naive_utc());
        assert_eq!(times.mark_at(at(9, 50, 0)), AttendanceStatus::Present);
        assert_eq!(times.mark_at(at(10, 10, 0)), AttendanceStatus::Present);
        assert_eq!(times.mark_at(at(10, 10, 1)), AttendanceStatus::Late);
    }
}
