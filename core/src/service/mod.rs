//! Services: the use cases, one function each. Every front end (the API, the pages, the
//! command line, the worker) calls these and nothing below them.
//!
//! A service takes the [`crate::access::Caller`] and plain input, checks every rule and every
//! access decision, writes its audit record and queues its emails in the caller's transaction,
//! and returns a typed result or a typed [`crate::Error`]. Reads run on a plain connection;
//! writes inside [`crate::store::Database::write`] (one transaction).

pub mod administration;
pub mod assessments;
pub mod attendance;
pub mod audit;
pub mod calendar;
pub mod certificates;
pub mod check_in;
pub mod cohorts;
pub mod consents;
pub mod exports;
pub mod me;
pub mod organisations;
pub mod outbox;
pub mod people;
pub mod personal_data;
pub mod placements;
pub mod programmes;
pub mod progress;
pub mod register;
pub mod sessions;
pub mod sign_in;
pub mod webhooks;
