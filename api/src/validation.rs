//! Input checks that poem-openapi's field validators cannot express (cross-field rules, email
//! addresses), through the `validator` crate, answered as 422 problems naming each field.

use poem::http::StatusCode;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::problem::{ApiError, FieldError, Problem};
use crate::types::Text;

/// Runs `input`'s `validator` checks; every failure becomes an entry of `errors`.
pub fn check<T: Validate>(input: &T) -> Result<(), ApiError> {
    match input.validate() {
        Ok(()) => Ok(()),
        Err(errors) => {
            let mut fields = Vec::new();
            collect(&errors, "", &mut fields);
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            Err(ApiError::from_problem(Problem::invalid(
                StatusCode::UNPROCESSABLE_ENTITY,
                fields,
            )))
        }
    }
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    // Struct-level rules name their field in the error's code.
                    let field = if *field == "__all__" {
                        error.code.to_string()
                    } else {
                        path.clone()
                    };
                    out.push(FieldError {
                        field,
                        message: error
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| "is not valid".into()),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A failure of field `field` with a plain message.
pub fn failure(field: &'static str, message: &'static str) -> ValidationError {
    let mut error = ValidationError::new(field);
    error.message = Some(message.into());
    error
}

/// The earliest and latest years a date may have: far beyond what training records need, and
/// well inside what both databases store.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// `validator`-style check that a date is plausible; names `field` when it is not.
pub fn plausible_date(field: &'static str, date: chrono::NaiveDate) -> Result<(), ValidationError> {
    use chrono::Datelike;
    if YEARS.contains(&date.year()) {
        Ok(())
    } else {
        Err(failure(field, "must be a date between the years 1900 and 2199"))
    }
}

/// The same check, answered directly as a 422 problem naming `field`.
pub fn require_plausible_date(field: &'static str, date: chrono::NaiveDate) -> Result<(), ApiError> {
    plausible_date(field, date)
        .map_err(|e| ApiError::invalid(field, e.message.map(|m| m.to_string()).unwrap_or_default()))
}

/// `validator` check: the text is an email address.
pub fn email_address(text: &Text) -> Result<(), ValidationError> {
    if validator::ValidateEmail::validate_email(&text.trimmed()) {
        Ok(())
    } else {
        Err(failure("email", "is not an email address"))
    }
}

/// `validator` check: every text in the list is an email address.
pub fn email_addresses(list: &[Text]) -> Result<(), ValidationError> {
    for text in list {
        email_address(text).map_err(|_| failure("tutor_emails", "every entry must be an email address"))?;
    }
    Ok(())
}

/// `validator` check: the text is not only spaces.
pub fn not_blank(text: &Text) -> Result<(), ValidationError> {
    if text.trimmed().is_empty() {
        Err(failure("blank", "must not be blank"))
    } else {
        Ok(())
    }
}

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
