//! The errors `peertrack-core` returns. The API maps each variant to one HTTP answer, in one place.

/// Why a store or service call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or the caller may not know it does).
    #[error("{0} was not found")]
    NotFound(&'static str),
    /// The request clashes with what is stored, e.g. a duplicate.
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the caller read it (a stale `If-Match`).
    #[error("the record changed since it was read; read it again and retry")]
    Stale,
    /// The request is well-formed but breaks a rule; `field` names what to fix.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field at fault.
        field: String,
        /// What is wrong with it, in plain words.
        message: String,
    },
    /// A learner does not meet a certificate's requirements yet: `(requirement, explanation)`
    /// for each one unmet.
    #[error("the requirements are not met yet")]
    NotEligible(Vec<(String, String)>),
    /// The database could not be reached or refused a connection.
    #[error("the database is not available: {0}")]
    Unavailable(String),
    /// A query failed for a reason that is not the caller's.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// Stored data did not read back as expected.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl Error {
    /// A validation failure on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(error: r2d2::Error) -> Self {
        Error::Unavailable(error.to_string())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
