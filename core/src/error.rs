//! The errors `peertrack-core` returns. Every front end (the API, the pages, the command line)
//! maps each variant to one answer of its own, in one place.

/// One input field at fault, and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, by the name the service's input gives it (`ends_on`, `tutor_emails`).
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
}

/// Why a store or service call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or the caller may not know it does).
    #[error("{0} was not found")]
    NotFound(&'static str),
    /// The caller may know the thing exists but may not do this with it.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The request clashes with what is stored, e.g. a duplicate.
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the caller read it (a stale `If-Match`).
    #[error("the record changed since it was read; read it again and retry")]
    Stale,
    /// The input is well-formed but breaks a rule; each field at fault says why.
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// A mark on a register names someone who is not enrolled in the session's cohort; the
    /// front end names the field (it knows where that person's mark was).
    #[error("{person_id} is not enrolled in the session's cohort")]
    NotEnrolled {
        /// The person marked.
        person_id: String,
    },
    /// A register names the same person twice.
    #[error("{person_id} appears twice in the register")]
    MarkedTwice {
        /// The person marked twice.
        person_id: String,
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

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A validation failure on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The fields at fault, when this is a validation failure.
    pub fn field_errors(&self) -> Option<&[FieldError]> {
        match self {
            Error::Invalid(errors) => Some(errors),
            _ => None,
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
