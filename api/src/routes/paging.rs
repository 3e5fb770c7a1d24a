//! Cursor pagination: `?limit=` (default 50, at most 500) and an opaque `?cursor=`.

use base64::Engine;

use crate::problem::ApiError;

/// Items per page when the caller does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items per page.
pub const MAX_LIMIT: u32 = 500;

/// The page size to use.
pub fn limit(requested: Option<u32>) -> i64 {
    i64::from(requested.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
}

/// Wraps a position in the list as an opaque cursor.
pub fn encode_cursor(position: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.as_bytes())
}

/// Reads a cursor back; a cursor we did not make is a 400 naming `cursor`.
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor else { return Ok(None) };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        // PostgreSQL cannot compare text holding NUL; no cursor of ours holds one.
        .filter(|position| !position.contains('\0'))
        .map(Some)
        .ok_or_else(bad_cursor)
}

/// The answer to a cursor this list did not make, however it was found out: 400 naming `cursor`.
pub fn bad_cursor() -> ApiError {
    bad_cursor_in("cursor")
}

/// The 400 for a cursor-like parameter `field` that this service did not hand out.
pub fn bad_cursor_in(field: &str) -> ApiError {
    ApiError::from_problem(crate::problem::Problem::invalid(
        poem::http::StatusCode::BAD_REQUEST,
        vec![crate::problem::FieldError {
            field: field.into(),
            message: "is not a cursor from this list; start again without it".into(),
        }],
    ))
}

/// Splits one extra fetched item off: returns the page and, if more follow, the next cursor.
pub fn page<T>(
    mut items: Vec<T>,
    limit: i64,
    position_of: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|last| encode_cursor(&position_of(last)));
        (items, next)
    } else {
        (items, None)
    }
}
