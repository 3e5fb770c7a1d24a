//! Peertrack's REST service: poem-openapi operations over `peertrack-core`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod problem;
pub mod routes;
pub mod server;
pub mod types;
pub mod validation;
