//! A peer worker's own pages under `/me/`: progress, certificates, sharing, who looked them
//! up, supervision, continuing development, and their data; one module each.

pub mod access_log;
pub mod certificates;
pub mod cpd;
pub mod data;
pub mod progress;
pub mod sharing;
pub mod supervision;

use chrono::NaiveDate;
use peertrack_core::domain::local_time::{self, UtcInstant};
use peertrack_core::Error;

use super::PageError;

/// Field errors from core, by field, for showing beside each field.
#[derive(Debug, Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    /// The field errors of `error`; any other error is the page's error.
    pub(crate) fn from_error(error: Error) -> Result<Self, PageError> {
        match error {
            Error::Invalid(errors) => Ok(Problems(
                errors.into_iter().map(|e| (e.field, e.message)).collect(),
            )),
            other => Err(other.into()),
        }
    }

    /// The message for a field, if it is at fault.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// Whether anything is at fault.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// "3 March 2027".
pub fn long_date(date: NaiveDate) -> String {
    local_time::day_month_year(date)
}

/// "3 March 2027": the day an instant falls on in the UK.
pub fn day_of(at: impl UtcInstant) -> String {
    long_date(local_time::local_date(at))
}

/// What a page may say just happened (`?done=...` after a form).
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    pub(crate) done: Option<String>,
}
