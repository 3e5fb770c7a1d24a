//! Spreadsheets as CSV (RFC 4180: a header row, commas, CRLF line ends, quotes where needed),
//! written and read with the `csv` crate.
//!
//! Two things make a CSV file open well in Excel as well as in LibreOffice:
//!
//! - **A UTF-8 byte order mark first.** Without it, Excel reads a double-clicked CSV file in
//!   the computer's legacy code page (Windows-1252 in the UK) and shows "Ã“" for "Ó" and
//!   question marks for names in Arabic or Chinese. With it, Excel reads UTF-8; LibreOffice,
//!   Numbers, Google Sheets and the `csv` crate read it too (readers here skip it).
//! - **No cell that a spreadsheet runs as a formula.** A cell that starts with `=`, `+`, `-`,
//!   `@`, a tab or a carriage return can be taken as a formula (CSV injection: `=HYPERLINK(…)`
//!   in a learner's name). Such a cell gets a leading apostrophe, as OWASP advises, which
//!   spreadsheets show as text. The apostrophe is only in the file: names are stored and shown
//!   everywhere else exactly as the person gave them, and [`restore`] takes it off again when a
//!   file made here is read back (the enrol page does), so an export re-imports cleanly.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::{Error, Result};

/// The UTF-8 byte order mark every CSV file made here starts with (see the module's notes).
pub const BOM: &str = "\u{feff}";

/// The characters a spreadsheet may read as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as written to a file: with a leading apostrophe when it would otherwise start a
/// formula.
pub fn inert(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as it was before [`inert`]: the apostrophe before a formula character removed.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// A CSV file: the byte order mark, the header row, then each row; every cell made inert.
pub fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut bytes = BOM.as_bytes().to_vec();
    {
        let mut writer = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(&mut bytes);
        let failed = |e: ::csv::Error| Error::Corrupt(format!("writing a CSV file: {e}"));
        writer
            .write_record(header.iter().map(|cell| inert(cell).into_owned()))
            .map_err(failed)?;
        for row in rows {
            writer
                .write_record(row.iter().map(|cell| inert(cell).into_owned()))
                .map_err(failed)?;
        }
        writer
            .flush()
            .map_err(|e| Error::Corrupt(format!("writing a CSV file: {e}")))?;
    }
    Ok(bytes)
}

/// The rows of a CSV text as they are, without treating the first as a header: any number of
/// cells per row, a leading byte order mark skipped, cells trimmed and [`restore`]d, blank
/// lines left out. Each row comes with its line number in the text (from 1). A text whose
/// first line has semicolons and no commas is read as semicolon-separated (Excel writes CSV
/// that way where the decimal separator is a comma).
pub fn read(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(at) => format!("line {} could not be read as CSV", at.line()),
            None => "the text could not be read as CSV".to_string(),
        })?;
        // The line where the record starts. The reader's own count lags after CRLF line ends
        // and blank lines (it places a record at the line end before it), so count here: the
        // record starts at the first byte from its position that ends no line.
        let line = record.position().map_or(rows.len() + 1, |p| {
            let from = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(text.len());
            let start = text[from..]
                .find(|c| c != '\r' && c != '\n')
                .map_or(text.len(), |skip| from + skip);
            text[..start].matches('\n').count() + 1
        });
        let cells: Vec<String> = record.iter().map(|c| restore(c.trim()).to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        rows.push((line, cells));
    }
    Ok(rows)
}

/// A file name for a download: `{kind}-{label}-{date}.csv`, the label cut down to lower-case
/// ASCII letters, digits and hyphens (any browser saves that as it is).
pub fn file_name(kind: &str, label: &str, date: NaiveDate) -> String {
    let mut slug = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("{kind}-{date}.csv")
    } else {
        format!("{kind}-{slug}-{date}.csv")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert_and_restored() {
        for cell in ["=HYPERLINK(\"x\")", "+44 1382", "-1", "@SUM(A1)", "\tx", "\rx"] {
            let written = inert(cell);
            assert!(written.starts_with('\''), "{cell:?}");
            assert_eq!(restore(&written), cell);
        }
        for cell in ["Ada", "Łukasz", "فاطمة", "'quoted'", "O'Neill", ""] {
            assert_eq!(inert(cell), cell);
            assert_eq!(restore(cell), cell);
        }
    }

    #[test]
    fn files_start_with_the_mark_and_read_back() {
        let bytes = write(
            &["Name", "Email"],
            [
                vec!["=cmd|' /C calc'!A0".to_string(), "a@example.org".to_string()],
                vec!["Niamh, Ní Bhriain".to_string(), "n@example.org".to_string()],
            ],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("\r\n"));
        let rows = read(&text).unwrap();
        assert_eq!(rows[1].1, ["=cmd|' /C calc'!A0", "a@example.org"]);
        assert_eq!(
            rows[2],
            (
                3,
                vec!["Niamh, Ní Bhriain".to_string(), "n@example.org".to_string()]
            )
        );
    }

    #[test]
    fn semicolons_and_blank_lines() {
        let rows = read("name;email\n\nAda;ada@example.org\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            (3, vec!["Ada".to_string(), "ada@example.org".to_string()])
        );
    }

    #[test]
    fn lines_are_counted_with_either_line_end() {
        for end in ["\n", "\r\n"] {
            let text = [
                "name,email",
                "Ada,a@example.org",
                "",
                "\"Bo\nBell\",b@example.org",
                "Cy,c@example.org",
                "",
            ]
            .join(end);
            let lines: Vec<usize> = read(&text).unwrap().into_iter().map(|(line, _)| line).collect();
            assert_eq!(lines, [1, 2, 4, 6], "{end:?}");
        }
    }

    #[test]
    fn file_names_are_plain() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        assert_eq!(
            file_name("progress", "Dundee – Autumn 2026!", day),
            "progress-dundee-autumn-2026-2026-10-26.csv"
        );
        assert_eq!(file_name("register", "王小明", day), "register-2026-10-26.csv");
    }
}
