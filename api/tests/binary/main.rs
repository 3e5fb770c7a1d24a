//! The real `peertrack` executable, in one test binary: the command line, backups, stopping and
//! crashing (durability), the email worker, and the committed OpenAPI document. The harness
//! (`peertrack_e2e::process`) runs the executable Cargo built for these tests, [`PEERTRACK`].
//!
//! These tests live in this package because only its integration tests are given the path of
//! its executable (`CARGO_BIN_EXE_peertrack`), and Cargo builds the executable for them.
//! Run one part with a filter: `cargo test -p peertrack-api --test binary durability::`.

mod backup;
mod command_line;
mod durability;
mod email_worker;
mod openapi_spec;

/// The `peertrack` executable under test.
pub const PEERTRACK: &str = env!("CARGO_BIN_EXE_peertrack");
