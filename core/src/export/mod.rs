//! Files people download: spreadsheets (CSV) and calendars (iCalendar), built from plain
//! values, so that the pages, the API and the command line can all offer the same files.
//! Which rows a person may have is decided by the services that call these
//! (`service::exports`, `service::calendar`). Spreadsheets give times in UK time
//! ([`crate::domain::local_time::uk_time`]); calendars in UTC, which every calendar reads.

pub mod calendar;
pub mod csv;
