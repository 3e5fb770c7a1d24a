//! Peertrack's core: the domain of peer support training and certification, its storage on
//! SQLite or PostgreSQL, and notifications. No HTTP in here.

pub mod access;
pub mod credential;
#[cfg(feature = "demo")]
pub mod demo;
pub mod documents;
pub mod domain;
pub mod error;
pub mod export;
pub mod notify;
pub mod seed;
pub mod service;
pub mod store;
pub mod worker;

pub use error::{Error, Result};
