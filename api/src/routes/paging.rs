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

/// `?limit=`: items per page, a whole number from 1 to [`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub u32);

const LIMIT_FAULT: &str = "must be a whole number from 1 to 500";

impl poem_openapi::types::Type for Limit {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "integer(limit)".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(poem_openapi::registry::MetaSchema {
            minimum: Some(1.0),
            maximum: Some(f64::from(MAX_LIMIT)),
            default: Some(DEFAULT_LIMIT.into()),
            ..poem_openapi::registry::MetaSchema::new_with_format("integer", "int32")
        }))
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ParseFromParameter for Limit {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .map(Limit)
            .ok_or_else(|| poem_openapi::types::ParseError::custom(LIMIT_FAULT))
    }
}

/// The page size to use for an optional `?limit=`.
pub fn page_size(requested: Option<Limit>) -> i64 {
    limit(requested.map(|l| l.0))
}

/// Lists that fit in memory (a cohort's learners) page by position: the position a cursor names.
pub fn offset(position: Option<String>) -> Result<usize, ApiError> {
    match position {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| bad_cursor()),
    }
}

/// The page of `rows` from position `skip`, and the cursor of the next one.
pub fn offset_page<T>(rows: Vec<T>, skip: usize, limit: i64) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let total = rows.len();
    let page: Vec<T> = rows.into_iter().skip(skip).take(limit).collect();
    // A cursor names any position, however far past the end.
    let end = skip.saturating_add(limit);
    let next = (end < total).then(|| encode_cursor(&end.to_string()));
    (page, next)
}
