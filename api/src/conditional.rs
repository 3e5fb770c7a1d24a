//! Conditional requests: the `ETag` a record carries and the `If-Match` a write sends back.

use poem::http::StatusCode;

use crate::problem::ApiError;

/// Parses an `If-Match` header into the version it names: `"3"` or `W/"3"`; `*` matches any.
/// A value we did not issue can never match, so it is a 412.
pub fn if_match(header: Option<&str>) -> Result<Option<i32>, ApiError> {
    let Some(value) = header.map(str::trim) else {
        return Ok(None);
    };
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i32>()
        .map(Some)
        .map_err(|_| {
            ApiError::status(
                StatusCode::PRECONDITION_FAILED,
                "If-Match does not name a version of this record.",
            )
        })
}

/// The `ETag` for a version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}
