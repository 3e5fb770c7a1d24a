//! Every line of words on the certificate, each letter as given.

use chrono::{Datelike, NaiveDate};

use super::CertificateDocument;

/// Every line of words on the certificate.
pub(super) struct CertificateText {
    pub(super) holder_name: String,
    pub(super) programme_title: String,
    pub(super) awarding_body: String,
    pub(super) issuing_organisation: String,
    pub(super) awarded_on: String,
    pub(super) valid_until: Option<String>,
    pub(super) number: String,
    pub(super) verification_code: String,
    pub(super) verification_url: String,
    pub(super) credits: Option<String>,
    /// Said across the top when the certificate was revoked.
    pub(super) withdrawn: Option<String>,
}

impl CertificateText {
    pub(super) fn from_document(document: &CertificateDocument) -> Self {
        let credits = match (document.credits, document.level) {
            (Some(credits), Some(level)) => Some(format!(
                "{credits} SCQF credit {} at SCQF level {level}",
                plural(credits, "point")
            )),
            (Some(credits), None) => Some(format!("{credits} SCQF credit {}", plural(credits, "point"))),
            (None, Some(level)) => Some(format!("At SCQF level {level}")),
            (None, None) => None,
        };
        Self {
            holder_name: one_line(&document.holder_name),
            programme_title: one_line(&document.programme_title),
            awarding_body: one_line(&document.awarding_body),
            issuing_organisation: one_line(&document.issuing_organisation),
            awarded_on: format!("Awarded on {}", date_in_words(document.issued_on)),
            valid_until: document
                .expires_on
                .map(|date| format!("Valid until {}", date_in_words(date))),
            number: one_line(&document.number),
            verification_code: one_line(&document.verification_code),
            verification_url: one_line(&document.verification_url),
            credits,
            withdrawn: document.revoked_on.map(|date| {
                format!(
                    "WITHDRAWN: this certificate was revoked on {} and is no longer valid",
                    date_in_words(date)
                )
            }),
        }
    }
}

pub(super) fn plural(count: u32, word: &str) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// A date the way a UK reader writes it: "21 November 2026".
pub(super) fn date_in_words(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// The text as given, with runs of spaces (and line breaks) made one space: every letter is
/// kept exactly, whatever its script.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
