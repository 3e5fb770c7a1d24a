//! Peertrack-core's integration tests, in one test binary: the pure domain rules (examples and
//! properties) and the store, delivery and demo data on fresh databases from
//! `peertrack_core::store::testing`, on SQLite and PostgreSQL. One binary, not one per file:
//! each binary links the whole crate and its dependencies again.
//!
//! Run one part with a filter: `cargo test -p peertrack-core --test store_and_domain store::`.

mod corrections;
mod corrections_people;
mod delivery;
mod demo;
mod dialects;
mod domain_properties;
mod domain_rules;
mod plans;
mod rate_limits;
mod register_plans;
mod services;
mod store;
mod supervision_plans;
