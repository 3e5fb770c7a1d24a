//! The source of "now", injected wherever a rule or a service depends on the date.

use chrono::{DateTime, NaiveDate, Utc};

/// Tells the current time. Services take one so tests can fix the date.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant, for tests and demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A stored UTC timestamp (the databases keep them without a zone) as `DateTime<Utc>`.
pub fn utc(stored: chrono::NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}
