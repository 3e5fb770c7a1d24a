//! RFC 9457 problem details: the one place where errors become HTTP answers.
//!
//! Every error the service returns is `application/problem+json` with `type`, `title`,
//! `status`, `detail` and, for validation failures, `errors: [{field, message}]`.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// Problem details (RFC 9457).
#[derive(Debug, Clone, PartialEq, Object, serde::Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in plain words.
    pub detail: String,
    /// For validation failures: each field at fault and why.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Object, serde::Serialize)]
pub struct FieldError {
    /// The field, e.g. `ends_on` or `records[2].status`.
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl Problem {
    /// A problem with a status, a title and a detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let slug = match status.as_u16() {
            400 => "bad-request",
            401 => "unauthenticated",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            408 => "request-timeout",
            409 => "conflict",
            412 => "precondition-failed",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "unprocessable",
            428 => "precondition-required",
            429 => "too-many-requests",
            503 => "unavailable",
            _ => "internal",
        };
        Problem {
            kind: format!("https://peertrack.org/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
        }
    }

    /// A validation problem listing fields.
    pub fn invalid(status: StatusCode, errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields need attention", errors.len()),
        };
        Problem {
            errors: Some(errors),
            ..Problem::new(status, detail)
        }
    }
}

/// Every error answer an operation can give.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "from_request_error")]
pub enum ApiError {
    /// The request could not be read: malformed JSON, a wrong type, an unknown value.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No credentials, or credentials that are not valid.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Signed in, but not allowed to do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// Nothing here, or nothing the caller may know of.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request clashes with what exists.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The resource changed since the caller read it (stale `If-Match`).
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// The body is larger than 1 MiB.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not JSON (send `Content-Type: application/json`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// The request reads fine but breaks a rule; `errors` names each field.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many requests; try again later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
    /// Something failed on our side.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database is not available right now.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ApiError {
    /// An answer with this status and detail.
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(status, detail))
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::status(StatusCode::FORBIDDEN, detail)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::status(StatusCode::NOT_FOUND, format!("{what} was not found"))
    }

    /// 400 naming one field that could not be read.
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::from_problem(Problem::invalid(
            StatusCode::BAD_REQUEST,
            vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        ))
    }

    /// 422 naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::from_problem(Problem::invalid(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        ))
    }

    /// The answer for a problem, by its status.
    pub fn from_problem(problem: Problem) -> Self {
        let body = Json(problem);
        match body.0.status {
            400 => ApiError::BadRequest(body),
            401 => ApiError::Unauthorized(body),
            403 => ApiError::Forbidden(body),
            404 => ApiError::NotFound(body),
            409 => ApiError::Conflict(body),
            412 => ApiError::PreconditionFailed(body),
            413 => ApiError::PayloadTooLarge(body),
            415 => ApiError::UnsupportedMediaType(body),
            422 => ApiError::Unprocessable(body),
            429 => ApiError::TooManyRequests(body),
            503 => ApiError::Unavailable(body),
            _ => ApiError::Internal(Json(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                body.0.detail,
            ))),
        }
    }

    /// The problem inside.
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PreconditionFailed(p)
            | ApiError::PayloadTooLarge(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p)
            | ApiError::Internal(p)
            | ApiError::Unavailable(p) => &p.0,
        }
    }
}

impl From<peertrack_core::Error> for ApiError {
    fn from(error: peertrack_core::Error) -> Self {
        use peertrack_core::Error as E;
        match error {
            E::NotFound(what) => ApiError::not_found(&capitalise(what)),
            E::NotAllowed(detail) => ApiError::forbidden(detail),
            E::Conflict(detail) => ApiError::status(StatusCode::CONFLICT, detail),
            E::Stale => ApiError::status(
                StatusCode::PRECONDITION_FAILED,
                "This record changed since you read it. Read it again, then make your change.",
            ),
            E::Invalid(errors) => ApiError::from_problem(Problem::invalid(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            )),
            E::NotEnrolled { .. } => {
                ApiError::invalid("person_id", "this person is not enrolled in the session's cohort")
            }
            E::MarkedTwice { .. } => {
                ApiError::invalid("person_id", "this person appears twice in the register")
            }
            E::NotEligible(unmet) => {
                let errors = unmet
                    .into_iter()
                    .map(|(requirement, explanation)| FieldError {
                        field: requirement,
                        message: explanation,
                    })
                    .collect::<Vec<_>>();
                let mut problem = Problem::invalid(StatusCode::UNPROCESSABLE_ENTITY, errors);
                problem.kind = "https://peertrack.org/problems/requirements-not-met".into();
                problem.detail = format!(
                    "Not every requirement is met yet ({} still to go); each is listed in `errors`.",
                    problem.errors.as_ref().map_or(0, Vec::len)
                );
                ApiError::from_problem(problem)
            }
            E::Unavailable(reason) => {
                tracing::error!(%reason, "database unavailable");
                ApiError::status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is not available right now. Please try again shortly.",
                )
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. It has been logged; please try again.",
                )
            }
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A parameter's fault without poem-openapi's wrapping: its `ParseError` keeps only a
/// formatted string, `failed to parse "integer(limit)": <our words> (occurred while parsing
/// "optional_integer(limit)")`, whose type names mean nothing to a caller. Our parameter types
/// give the words in between; this keeps those.
fn plain_reason(reason: &str) -> String {
    let mut words = reason.trim();
    while let Some(rest) = words.strip_prefix("failed to parse \"") {
        match rest.split_once("\": ") {
            Some((_, inner)) => words = inner,
            None => break,
        }
    }
    while let Some(start) = words.rfind(" (occurred while parsing \"") {
        if !words.ends_with("\")") {
            break;
        }
        words = &words[..start];
    }
    words.to_string()
}

/// Turns poem's request errors (unreadable body, missing credentials, ...) into problems.
pub fn from_request_error(error: poem::Error) -> ApiError {
    ApiError::from_problem(problem_for_poem_error(&error))
}

/// The problem for any error poem raises before or around an operation. Bodies and parameters
/// are read by Peertrack's own types, whose errors already say what is wrong in plain words.
pub fn problem_for_poem_error(error: &poem::Error) -> Problem {
    if let Some(unreadable) = error.downcast_ref::<crate::body::UnreadableBody>() {
        return unreadable.0.clone();
    }
    if let Some(parameter) = error.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return Problem::invalid(
            StatusCode::BAD_REQUEST,
            vec![FieldError {
                field: parameter.name.to_string(),
                message: plain_reason(&parameter.reason),
            }],
        );
    }
    if error.is::<poem_openapi::error::ParsePathError>() {
        // A path segment that cannot be read (an id with a NUL, a number that is not one)
        // names nothing that exists.
        return Problem::new(StatusCode::NOT_FOUND, "There is nothing at this address.");
    }
    let status = error.status();
    match status.as_u16() {
        400 => Problem::new(StatusCode::BAD_REQUEST, "The request could not be read."),
        401 => Problem::new(
            status,
            "Please sign in: send `Authorization: Bearer <token>`, or `X-Api-Key: <key>` for partner systems.",
        ),
        404 => Problem::new(status, "There is nothing at this address."),
        405 => Problem::new(status, "This address does not accept that method."),
        413 => Problem::new(status, "The request body is larger than the 1 MiB allowed."),
        415 => Problem::new(status, "Please send JSON with `Content-Type: application/json`."),
        s if s >= 500 => {
            tracing::error!(error = %error, "request failed");
            Problem::new(status, "Something went wrong on our side. It has been logged; please try again.")
        }
        _ => Problem::new(status, status.canonical_reason().unwrap_or("The request was refused.")),
    }
}

#[cfg(test)]
mod tests {
    use super::plain_reason;

    #[test]
    fn parameter_faults_lose_the_frameworks_wrapping() {
        assert_eq!(
            plain_reason(
                "failed to parse \"integer(limit)\": must be a whole number from 1 to 500 (occurred while parsing \"optional_integer(limit)\")"
            ),
            "must be a whole number from 1 to 500"
        );
        assert_eq!(
            plain_reason("must be a date like 2026-09-01"),
            "must be a date like 2026-09-01"
        );
    }
}
