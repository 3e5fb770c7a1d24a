//! The attendance rate: which sessions count towards it, and how.

use chrono::{DateTime, NaiveDate, Utc};

use super::records::text_enum;

text_enum! {
    /// A learner's mark on one session's register.
    AttendanceStatus {
        /// Attended.
        Present => "present",
        /// Arrived late; counts as attended.
        Late => "late",
        /// Did not attend.
        Absent => "absent",
        /// Did not attend, with good reason; the session leaves the denominator.
        Excused => "excused",
    }
}

impl AttendanceStatus {
    /// Whether this mark counts as having attended.
    pub fn counts_as_attended(self) -> bool {
        matches!(self, AttendanceStatus::Present | AttendanceStatus::Late)
    }
}

/// One planned session of a cohort as seen from one learner's register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldSession {
    /// When the session starts (UTC).
    pub starts_at: DateTime<Utc>,
    /// The learner's mark, or `None` when the register has no entry for them.
    pub status: Option<AttendanceStatus>,
}

/// How much of the counted sessions a learner attended.
///
/// Counted sessions are those already started, on or after the learner's enrolment date, and
/// not excused. Sessions with no register entry stay counted: certification needs evidence of
/// attendance, and `unrecorded` lets the explanation ask the tutor to complete the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttendanceRate {
    /// Sessions attended (present or late).
    pub attended: u32,
    /// Sessions that count: held since enrolment, less excused absences.
    pub counted: u32,
    /// Excused absences, left out of `counted`.
    pub excused: u32,
    /// Counted sessions with no register entry for the learner.
    pub unrecorded: u32,
}

impl AttendanceRate {
    /// Computes the rate from a learner's sessions as of `now`.
    pub fn compute(sessions: &[HeldSession], enrolled_on: NaiveDate, now: DateTime<Utc>) -> Self {
        let mut rate = AttendanceRate::default();
        for session in sessions {
            let held = session.starts_at <= now;
            let after_enrolment = session.starts_at.date_naive() >= enrolled_on;
            if !held || !after_enrolment {
                continue;
            }
            match session.status {
                Some(AttendanceStatus::Excused) => rate.excused += 1,
                Some(status) => {
                    rate.counted += 1;
                    if status.counts_as_attended() {
                        rate.attended += 1;
                    }
                }
                None => {
                    rate.counted += 1;
                    rate.unrecorded += 1;
                }
            }
        }
        rate
    }

    /// The rate as a percentage, or `None` when no session counts yet.
    pub fn percent(&self) -> Option<f64> {
        (self.counted > 0).then(|| f64::from(self.attended) * 100.0 / f64::from(self.counted))
    }

    /// Whether the rate reaches `minimum_percent`; vacuously true when nothing counts yet.
    /// A minimum above 100 is read as 100, as `sessions_short_of` does.
    pub fn meets(&self, minimum_percent: u8) -> bool {
        let minimum = u64::from(minimum_percent.min(100));
        u64::from(self.attended) * 100 >= minimum * u64::from(self.counted)
    }

    /// The rate in tenths of a percent, rounded down, or `None` when no session counts yet.
    ///
    /// Rounding down keeps what people are shown consistent with `meets`: 79.96% shows as
    /// 79.9%, never as the 80% it does not reach.
    pub fn permille_floor(&self) -> Option<u32> {
        (self.counted > 0).then(|| {
            let permille = u64::from(self.attended) * 1000 / u64::from(self.counted);
            u32::try_from(permille).unwrap_or(u32::MAX)
        })
    }

    /// How many more sessions, all attended, would bring the rate up to `minimum_percent`;
    /// `u32::MAX` when attending more can never get there (100% after a missed session).
    pub fn sessions_short_of(&self, minimum_percent: u8) -> u32 {
        let minimum = u64::from(minimum_percent.min(100));
        if minimum == 100 {
            return if self.attended >= self.counted {
                0
            } else {
                u32::MAX
            };
        }
        // Smallest k with (attended + k) * 100 >= minimum * (counted + k).
        let needed = minimum * u64::from(self.counted);
        let have = u64::from(self.attended) * 100;
        if have >= needed {
            return 0;
        }
        let k = (needed - have).div_ceil(100 - minimum);
        u32::try_from(k).unwrap_or(u32::MAX)
    }
}

/// One session on a cohort's timetable as seen from one learner's register, whether it was
/// held or called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSession {
    /// When the session starts (UTC).
    pub starts_at: DateTime<Utc>,
    /// The learner's mark, or `None` when the register has no entry for them.
    pub status: Option<AttendanceStatus>,
    /// Whether the session was cancelled.
    pub cancelled: bool,
}

impl AttendanceRate {
    /// The rate over the sessions held for a learner: cancelled sessions count for nobody (as
    /// if they had never been planned), and sessions that start after the learner left the
    /// cohort (`left_at`) are not theirs. Otherwise as [`AttendanceRate::compute`].
    pub fn over_planned(
        planned: &[PlannedSession],
        enrolled_on: NaiveDate,
        left_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let held: Vec<HeldSession> = planned
            .iter()
            .filter(|s| !s.cancelled && left_at.is_none_or(|left| s.starts_at < left))
            .map(|s| HeldSession {
                starts_at: s.starts_at,
                status: s.status,
            })
            .collect();
        AttendanceRate::compute(&held, enrolled_on, now)
    }
}

/// How a learner stands against a minimum attendance, looking ahead to the sessions still to
/// come: what a tutor reads to see who is on track and who is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceOutlook {
    /// The programme asks for no minimum attendance.
    NoMinimum,
    /// At or above the minimum now, with room to miss `can_miss` of the `to_come` sessions
    /// still to come (at least one, or none are left).
    OnTrack {
        /// Sessions still to come.
        to_come: u32,
        /// How many of them the learner can miss and still reach the minimum.
        can_miss: u32,
    },
    /// The minimum can still be reached, but only by missing at most `can_miss` of the
    /// `to_come` sessions still to come (none, when every one is needed), or the rate is below
    /// the minimum now.
    AtRisk {
        /// Sessions still to come.
        to_come: u32,
        /// How many of them the learner can miss and still reach the minimum.
        can_miss: u32,
    },
    /// Even coming to every session still to come would not reach the minimum.
    Unreachable {
        /// Sessions still to come.
        to_come: u32,
    },
}

impl AttendanceOutlook {
    /// Judges `rate` against `minimum_percent` (none: [`AttendanceOutlook::NoMinimum`]) with
    /// `to_come` sessions still to come, each counted as if it will be held and not excused.
    pub fn judge(rate: &AttendanceRate, minimum_percent: Option<u8>, to_come: u32) -> Self {
        let Some(minimum) = minimum_percent else {
            return AttendanceOutlook::NoMinimum;
        };
        let minimum = u64::from(minimum.min(100));
        let (attended, counted, ahead) = (
            u64::from(rate.attended),
            u64::from(rate.counted),
            u64::from(to_come),
        );
        // The fewest of the sessions to come the learner must attend:
        // smallest k with (attended + k) * 100 >= minimum * (counted + to_come).
        let needed = minimum * (counted + ahead);
        let must_attend = needed.saturating_sub(attended * 100).div_ceil(100);
        if must_attend > ahead {
            return AttendanceOutlook::Unreachable { to_come };
        }
        let can_miss = u32::try_from(ahead - must_attend).unwrap_or(u32::MAX);
        if rate.meets(minimum as u8) && (can_miss > 0 || to_come == 0) {
            AttendanceOutlook::OnTrack { to_come, can_miss }
        } else {
            AttendanceOutlook::AtRisk { to_come, can_miss }
        }
    }
}
