//! The end-to-end tests, in one test binary: the real server on a fresh database on a loopback
//! port, driven over HTTP, each test on SQLite and PostgreSQL (`e2e_on_both_backends!`). One
//! binary, not one per file: each binary links the whole service and its dependencies again.
//! (`query_counts` is a binary of its own: it counts every SQL statement of the process.)
//!
//! Run one part with a filter: `cargo test -p peertrack-e2e --test e2e certificates::`.

mod admin_cohorts;
mod admin_pages;
mod authorisation;
mod bad_input;
mod certificates;
mod check_in;
mod corrections_people;
mod corrections_sessions;
mod email;
mod field_errors;
mod local_time;
mod pages;
mod probe_findings;
mod proxies;
mod register;
mod revocation;
mod service;
mod sign_in;
mod spreadsheets;
mod supervision;
mod tutor_pages;
mod tutor_records;
mod tutor_term;
mod webhooks;
