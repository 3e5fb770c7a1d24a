//! Peertrack's REST service: poem-openapi operations over `peertrack-core`.

pub mod auth;
pub mod body;
pub mod cli;
pub mod conditional;
pub mod config;
pub mod connection_deadlines;
pub mod demo_command;
pub mod forwarded;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod payload;
pub mod problem;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod types;
