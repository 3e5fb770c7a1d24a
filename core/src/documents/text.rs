//! Every line of words on the certificate, made to fit the fonts' character set.

use chrono::{Datelike, NaiveDate};

use super::{CertificateDocument, DocumentError};

/// Every line of words on the certificate, already in the fonts' character set.
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
}

impl CertificateText {
    pub(super) fn from_document(document: &CertificateDocument) -> Result<Self, DocumentError> {
        let credits = match (document.credits, document.level) {
            (Some(credits), Some(level)) => Some(format!(
                "{credits} SCQF credit {} at SCQF level {level}",
                plural(credits, "point")
            )),
            (Some(credits), None) => Some(format!("{credits} SCQF credit {}", plural(credits, "point"))),
            (None, Some(level)) => Some(format!("At SCQF level {level}")),
            (None, None) => None,
        };
        Ok(Self {
            holder_name: win_ansi_text("holder name", &document.holder_name)?,
            programme_title: win_ansi_text("programme title", &document.programme_title)?,
            awarding_body: win_ansi_text("awarding body", &document.awarding_body)?,
            issuing_organisation: win_ansi_text("issuing organisation", &document.issuing_organisation)?,
            awarded_on: format!("Awarded on {}", date_in_words(document.issued_on)),
            valid_until: document
                .expires_on
                .map(|date| format!("Valid until {}", date_in_words(date))),
            number: win_ansi_text("certificate number", &document.number)?,
            verification_code: win_ansi_text("verification code", &document.verification_code)?,
            verification_url: win_ansi_text("verification link", &document.verification_url)?,
            credits,
        })
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

/// Makes `text` printable in WinAnsi, the only encoding printpdf 0.7 gives the built-in fonts.
///
/// Latin-1 letters (á, Ó, ñ, ß...) and WinAnsi's extras (Š, Œ, curly quotes, dashes, €) are kept.
/// Letters outside it that are Latin letters with marks (ł, ř, ő, ș...) lose the mark, the way
/// people already write such names on forms that cannot take them; decomposed accents (a letter
/// followed by a combining mark) are composed first. Anything else (other scripts, emoji) is an
/// error: without it printpdf would silently leave those characters out.
pub(super) fn win_ansi_text(field: &'static str, text: &str) -> Result<String, DocumentError> {
    let mut printable = String::with_capacity(text.len());
    let mut unsupported = String::new();
    for c in text.trim().chars() {
        if is_combining_mark(c) {
            // Without a composed form in WinAnsi the bare letter stays and the mark goes.
            if let Some(base) = printable.pop() {
                printable.push(compose(base, c).unwrap_or(base));
            }
            continue;
        }
        if c.is_whitespace() && c != '\u{a0}' {
            if !printable.ends_with(' ') {
                printable.push(' ');
            }
        } else if is_win_ansi(c) {
            printable.push(c);
        } else if let Some(folded) = fold_to_win_ansi(c) {
            printable.push_str(folded);
        } else if !unsupported.contains(c) {
            unsupported.push(c);
        }
    }
    if unsupported.is_empty() {
        Ok(printable)
    } else {
        Err(DocumentError::UnsupportedCharacters {
            field,
            characters: unsupported,
        })
    }
}

pub(super) fn is_win_ansi(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{ff}') || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c)
}

pub(super) fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Composes a letter and a combining mark into one WinAnsi letter, where WinAnsi has one.
pub(super) fn compose(base: char, mark: char) -> Option<char> {
    let (bases, composed) = match mark {
        '\u{300}' => ("AEIOUaeiou", "ÀÈÌÒÙàèìòù"),
        '\u{301}' => ("AEIOUYaeiouy", "ÁÉÍÓÚÝáéíóúý"),
        '\u{302}' => ("AEIOUaeiou", "ÂÊÎÔÛâêîôû"),
        '\u{303}' => ("ANOano", "ÃÑÕãñõ"),
        '\u{308}' => ("AEIOUYaeiouy", "ÄËÏÖÜŸäëïöüÿ"),
        '\u{30a}' => ("Aa", "Åå"),
        '\u{30c}' => ("SZsz", "ŠŽšž"),
        '\u{327}' => ("Cc", "Çç"),
        _ => return None,
    };
    let index = bases.chars().position(|b| b == base)?;
    composed.chars().nth(index)
}

/// The nearest WinAnsi spelling of a character outside it, if there is an obvious one.
pub(super) fn fold_to_win_ansi(c: char) -> Option<&'static str> {
    // Latin Extended-A, U+0100 to U+017F, by code point; '?' marks those handled elsewhere.
    const LATIN_EXTENDED_A: &str = concat!(
        "AaAaAaCcCcCcCcDd",
        "DdEeEeEeEeEeGgGg",
        "GgGgHhHhIiIiIiIi",
        "Ii??JjKkkLlLlLlL",
        "lLlNnNnNnnNnOoOo",
        "Oo??RrRrRrSsSsSs",
        "??TtTtTtUuUuUuUu",
        "UuUuWwYy?ZzZz??s",
    );
    match c {
        'Ĳ' => Some("IJ"),
        'ĳ' => Some("ij"),
        '\u{100}'..='\u{17f}' => {
            let index = c as usize - 0x100;
            LATIN_EXTENDED_A
                .get(index..index + 1)
                .filter(|folded| *folded != "?")
        }
        'Ș' => Some("S"),
        'ș' => Some("s"),
        'Ț' => Some("T"),
        'ț' => Some("t"),
        '\u{2010}' | '\u{2011}' | '\u{2212}' => Some("-"),
        '\u{201b}' | '\u{2032}' => Some("'"),
        '\u{201f}' | '\u{2033}' => Some("\""),
        _ => None,
    }
}
