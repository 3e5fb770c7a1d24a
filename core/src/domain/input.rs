//! Checks on what people type, shared by every front end: each failure names the field and
//! says in plain words what to change. Services run these before they touch storage.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, FieldError};

/// The earliest and latest years a date may have: far beyond what training records need, and
/// well inside what both databases store.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// The longest a person's name, a cohort's or an organisation's name, or a title may be.
pub const NAME_MAX: usize = 200;
/// The longest an email address may be (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// The longest a note or a reason may be.
pub const NOTE_MAX: usize = 500;

/// Why a one-line text (a name, a title) is refused, if it is: control characters (line
/// breaks, escape, bell) would let someone write extra lines into an email others read, and
/// bidirectional overrides make text display as something other than what it is. Every letter
/// of every script, combining marks, joiners (ZWJ, ZWNJ) and the right-to-left mark pass.
pub fn one_line_fault(text: &str) -> Option<&'static str> {
    if text.chars().any(char::is_control) {
        return Some("must be one line of text, without control characters");
    }
    if text.chars().any(is_bidi_override) {
        return Some("must not contain characters that change the direction of the text");
    }
    None
}

/// Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether the text reads as an email address.
pub fn is_email_address(text: &str) -> bool {
    validator::ValidateEmail::validate_email(&text)
}

/// What is wrong with an input, field by field; [`Checks::finish`] turns any failure into
/// [`Error::Invalid`].
#[derive(Debug, Default)]
#[must_use = "call finish() to learn whether the input passed"]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// No failures yet.
    pub fn new() -> Self {
        Checks::default()
    }

    /// Records a failure of `field`.
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) -> &mut Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// Fails `field` with `message` unless `holds`.
    pub fn require(&mut self, holds: bool, field: &str, message: &str) -> &mut Self {
        if !holds {
            self.fail(field, message);
        }
        self
    }

    /// A name or a title: not blank, at most `max` characters, one line.
    pub fn name(&mut self, field: &str, text: &str, max: usize) -> &mut Self {
        if text.trim().is_empty() {
            self.fail(field, "must not be blank");
        } else if text.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters long"));
        } else if let Some(fault) = one_line_fault(text) {
            self.fail(field, fault);
        }
        self
    }

    /// A reason people will read: at least 3 characters of words, at most `max`.
    pub fn reason(&mut self, field: &str, text: &str, max: usize) -> &mut Self {
        if text.trim().chars().count() < 3 {
            self.fail(
                field,
                "must say why in words the person will read, at least 3 characters long",
            );
        } else if text.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters long"));
        }
        self
    }

    /// An email address.
    pub fn email(&mut self, field: &str, text: &str) -> &mut Self {
        if !is_email_address(text.trim()) || text.chars().count() > EMAIL_MAX {
            self.fail(field, "is not an email address");
        }
        self
    }

    /// A date within [`YEARS`].
    pub fn date(&mut self, field: &str, date: NaiveDate) -> &mut Self {
        if !YEARS.contains(&date.year()) {
            self.fail(field, "must be a date between the years 1900 and 2199");
        }
        self
    }

    /// Whether every check so far passed.
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when every check passed; otherwise every failure, in order.
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(std::mem::take(&mut self.errors)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_script_are_one_line() {
        for name in [
            "Łukasz Wójcik-Żółć",
            "Σοφία Παπαδοπούλου",
            "Олена Коваленко",
            "فاطمة الزهراء",
            "王小明",
            "Niamh Ní Bhriain",
            "Nguyễn Thị Minh Khai",
            "می\u{200C}خواهم",
            "\u{200F}سارا",
        ] {
            assert_eq!(one_line_fault(name), None, "{name}");
        }
    }

    #[test]
    fn control_characters_and_overrides_are_refused() {
        for text in [
            "Ada\nBcc: x@y",
            "Ada\r",
            "Ada\u{1b}[31m",
            "Ada\u{7}",
            "Ada\u{202E}gnp.exe",
            "Ada\u{2066}",
        ] {
            assert!(one_line_fault(text).is_some(), "{text:?}");
        }
    }

    #[test]
    fn checks_list_every_failure_in_order() {
        let error = Checks::new()
            .name("name", "  ", NAME_MAX)
            .email("email", "nope")
            .date("starts_on", NaiveDate::from_ymd_opt(1800, 1, 1).unwrap())
            .finish()
            .unwrap_err();
        let fields: Vec<_> = error
            .field_errors()
            .unwrap()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["name", "email", "starts_on"]);
    }
}
