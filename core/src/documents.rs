//! Documents people keep: the PDF certificate.
//!
//! The certificate is drawn with printpdf's built-in Helvetica fonts, so nothing is embedded and
//! the file stays small. Those fonts speak only the WinAnsi (Windows-1252) character set: text is
//! first made to fit it (Latin letters keep or lose their accents, see `win_ansi_text`), and text
//! that cannot be made to fit is refused rather than printed with letters silently missing.

use chrono::{Datelike, NaiveDate};
use printpdf::path::{PaintMode, WindingOrder};
use printpdf::{
    BuiltinFont, Color, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Point, Polygon, Rect, Rgb,
};
use qrcode::{EcLevel, QrCode};

/// What a certificate shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDocument {
    /// The learner's name as it should be printed, e.g. "Rowan Learner".
    pub holder_name: String,
    /// The programme completed, e.g. "Peer2Peer: Vocational Peer Support Training".
    pub programme_title: String,
    /// Who awards the certificate, e.g. "Scottish Recovery Network".
    pub awarding_body: String,
    /// The organisation that delivered the cohort, e.g. "Making Recovery Real".
    pub issuing_organisation: String,
    /// The day the certificate was awarded.
    pub issued_on: NaiveDate,
    /// The last day the certificate is valid, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// The certificate number, e.g. "P2P-2027-000042".
    pub number: String,
    /// The code a reader types to check the certificate, e.g. "K7QM-4TXR-9HWD".
    pub verification_code: String,
    /// Where the certificate can be checked; the QR code links here.
    pub verification_url: String,
    /// SCQF credit points, e.g. 16.
    pub credits: Option<u32>,
    /// SCQF level, e.g. 7.
    pub level: Option<u32>,
}

/// Why a certificate could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Some text holds characters the certificate's fonts cannot show (for example Cyrillic or
    /// Chinese script); printing it with letters missing would misspell a person's name.
    #[error("the {field} contains characters the certificate cannot show yet: {characters}")]
    UnsupportedCharacters {
        /// Which field, in words, e.g. "holder name".
        field: &'static str,
        /// The characters that cannot be shown, each once.
        characters: String,
    },
    /// The verification link could not be made into a QR code (it is far too long).
    #[error("the verification link cannot be made into a QR code: {0}")]
    QrCode(#[from] qrcode::types::QrError),
    /// printpdf failed to write the document.
    #[error("the certificate PDF could not be written: {0}")]
    Pdf(#[from] printpdf::Error),
}

/// Draws the certificate as a one-page A4 landscape PDF.
pub fn certificate_pdf(document: &CertificateDocument) -> Result<Vec<u8>, DocumentError> {
    let text = CertificateText::from_document(document)?;
    let qr = QrCode::with_error_correction_level(document.verification_url.as_bytes(), EcLevel::M)?;

    let title: String = format!("Certificate {}", text.number)
        .chars()
        .filter(char::is_ascii)
        .collect();
    let (pdf, page, layer) = PdfDocument::new(title, Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), "Certificate");
    let regular = pdf.add_builtin_font(BuiltinFont::Helvetica)?;
    let bold = pdf.add_builtin_font(BuiltinFont::HelveticaBold)?;
    let canvas = Canvas {
        layer: pdf.get_page(page).get_layer(layer),
        regular,
        bold,
    };

    draw_frame(&canvas);
    draw_heading(&canvas, &text);
    draw_achievement(&canvas, &text);
    draw_awarded_by(&canvas, &text);
    draw_dates(&canvas, &text);
    draw_verification(&canvas, &text, &qr);

    Ok(pdf.save_to_bytes()?)
}

// The page, in millimetres from the bottom left corner.
const PAGE_WIDTH: f32 = 297.0;
const PAGE_HEIGHT: f32 = 210.0;
const CENTRE_X: f32 = PAGE_WIDTH / 2.0;
const INNER_FRAME: f32 = 13.5;
const HEADING_RULE: f32 = 154.0;
/// The widest any centred line may be: well inside the inner frame.
const TEXT_WIDTH: f32 = 225.0;
/// The top of the bottom band's three columns: who awarded, when, and how to check.
const BAND_TOP: f32 = 64.0;
/// The bottom band's distance from each side of the page.
const SIDE_MARGIN: f32 = 32.0;
const COLUMN_WIDTH: f32 = 72.0;
const QR_SIZE: f32 = 28.0;

const MM_PER_PT: f32 = 25.4 / 72.0;
/// Helvetica's capital height, as a fraction of the font size.
const HELVETICA_CAP_HEIGHT: f32 = 0.718;

const TEAL: Colour = (0.10, 0.33, 0.37);
const GOLD: Colour = (0.74, 0.60, 0.33);
const INK: Colour = (0.13, 0.15, 0.18);
const MUTED: Colour = (0.38, 0.42, 0.45);

/// Every line of words on the certificate, already in the fonts' character set.
struct CertificateText {
    holder_name: String,
    programme_title: String,
    awarding_body: String,
    issuing_organisation: String,
    awarded_on: String,
    valid_until: Option<String>,
    number: String,
    verification_code: String,
    verification_url: String,
    credits: Option<String>,
}

impl CertificateText {
    fn from_document(document: &CertificateDocument) -> Result<Self, DocumentError> {
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

fn plural(count: u32, word: &str) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// A date the way a UK reader writes it: "21 November 2026".
fn date_in_words(date: NaiveDate) -> String {
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
fn win_ansi_text(field: &'static str, text: &str) -> Result<String, DocumentError> {
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

fn is_win_ansi(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{ff}') || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c)
}

fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Composes a letter and a combining mark into one WinAnsi letter, where WinAnsi has one.
fn compose(base: char, mark: char) -> Option<char> {
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
fn fold_to_win_ansi(c: char) -> Option<&'static str> {
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

/// The page being drawn on and its two fonts.
struct Canvas {
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
}

#[derive(Clone, Copy)]
enum Weight {
    Regular,
    Bold,
}

/// One line of text to draw: its words, weight, size in points and colour.
struct TextLine<'a> {
    text: &'a str,
    weight: Weight,
    size: f32,
    colour: Colour,
}

type Colour = (f32, f32, f32);

fn regular(text: &str, size: f32, colour: Colour) -> TextLine<'_> {
    TextLine {
        text,
        weight: Weight::Regular,
        size,
        colour,
    }
}

fn bold(text: &str, size: f32, colour: Colour) -> TextLine<'_> {
    TextLine {
        text,
        weight: Weight::Bold,
        size,
        colour,
    }
}

impl TextLine<'_> {
    fn width(&self) -> f32 {
        text_width_mm(self.text, self.weight, self.size)
    }

    /// From the baseline to the top of a capital letter, in mm.
    fn cap_height(&self) -> f32 {
        self.size * HELVETICA_CAP_HEIGHT * MM_PER_PT
    }

    /// From one baseline to the next in a paragraph of this size, in mm.
    fn leading(&self) -> f32 {
        self.size * 1.25 * MM_PER_PT
    }
}

impl Canvas {
    fn fill(&self, (r, g, b): Colour) {
        self.layer.set_fill_color(Color::Rgb(Rgb::new(r, g, b, None)));
    }

    fn stroke(&self, (r, g, b): Colour, thickness_pt: f32) {
        self.layer.set_outline_color(Color::Rgb(Rgb::new(r, g, b, None)));
        self.layer.set_outline_thickness(thickness_pt);
    }

    /// Draws `line` with its left end at `x`; `y` is the baseline.
    fn text_at(&self, line: &TextLine, x: f32, y: f32) {
        let font = match line.weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        };
        self.fill(line.colour);
        self.layer.use_text(line.text, line.size, Mm(x), Mm(y), font);
    }

    /// Draws `line` centred on `centre_x`; `y` is the baseline.
    fn text_centred(&self, line: &TextLine, centre_x: f32, y: f32) {
        self.text_at(line, centre_x - line.width() / 2.0, y);
    }

    fn rule(&self, from_x: f32, to_x: f32, y: f32, colour: Colour, thickness_pt: f32) {
        self.stroke(colour, thickness_pt);
        self.layer.add_line(printpdf::Line {
            points: vec![
                (Point::new(Mm(from_x), Mm(y)), false),
                (Point::new(Mm(to_x), Mm(y)), false),
            ],
            is_closed: false,
        });
    }

    fn frame(&self, inset: f32, colour: Colour, thickness_pt: f32) {
        self.stroke(colour, thickness_pt);
        self.layer.add_rect(
            Rect::new(
                Mm(inset),
                Mm(inset),
                Mm(PAGE_WIDTH - inset),
                Mm(PAGE_HEIGHT - inset),
            )
            .with_mode(PaintMode::Stroke),
        );
    }

    /// Fills a diamond of half-width `r` centred on (x, y).
    fn diamond(&self, x: f32, y: f32, r: f32, colour: Colour) {
        self.fill(colour);
        let ring = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            .iter()
            .map(|&(px, py)| (Point::new(Mm(px), Mm(py)), false))
            .collect();
        self.layer.add_polygon(Polygon {
            rings: vec![ring],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        });
    }
}

/// A calm double frame: a teal outer rule, a fine gold inner one, small diamonds at its corners.
fn draw_frame(canvas: &Canvas) {
    canvas.frame(10.0, TEAL, 2.4);
    canvas.frame(INNER_FRAME, GOLD, 0.7);
    for (x, y) in [
        (INNER_FRAME, INNER_FRAME),
        (PAGE_WIDTH - INNER_FRAME, INNER_FRAME),
        (INNER_FRAME, PAGE_HEIGHT - INNER_FRAME),
        (PAGE_WIDTH - INNER_FRAME, PAGE_HEIGHT - INNER_FRAME),
    ] {
        canvas.diamond(x, y, 2.2, GOLD);
    }
}

fn draw_heading(canvas: &Canvas, text: &CertificateText) {
    let body = text.awarding_body.to_uppercase();
    let (body_lines, body_size) = fit_lines(&body, Weight::Bold, 11.0, 7.0, TEXT_WIDTH, 1);
    for line in &body_lines {
        canvas.text_centred(&bold(line, body_size, MUTED), CENTRE_X, 178.0);
    }
    canvas.text_centred(&bold("Certificate of Achievement", 34.0, TEAL), CENTRE_X, 162.0);
    canvas.rule(CENTRE_X - 28.0, CENTRE_X + 28.0, HEADING_RULE, GOLD, 1.0);
    canvas.diamond(CENTRE_X, HEADING_RULE, 1.4, GOLD);
}

/// The middle of the page: who, and what they achieved, centred between heading and bottom band.
fn draw_achievement(canvas: &Canvas, text: &CertificateText) {
    let (name_lines, name_size) = fit_lines(&text.holder_name, Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
    let (title_lines, title_size) = fit_lines(&text.programme_title, Weight::Bold, 20.0, 13.0, TEXT_WIDTH, 2);

    // Each line with the space from the previous baseline down to its own, in mm.
    let mut lines: Vec<(TextLine, f32)> = vec![(regular("This is to certify that", 14.0, MUTED), 0.0)];
    for (index, name) in name_lines.iter().enumerate() {
        let line = bold(name, name_size, INK);
        let gap = if index == 0 {
            line.leading() + 4.0
        } else {
            line.leading() * 0.92
        };
        lines.push((line, gap));
    }
    let completed = regular("has completed", 14.0, MUTED);
    let gap = completed.leading() + 6.0;
    lines.push((completed, gap));
    for (index, title) in title_lines.iter().enumerate() {
        let line = bold(title, title_size, TEAL);
        let gap = if index == 0 {
            line.leading() + 3.0
        } else {
            line.leading() * 0.96
        };
        lines.push((line, gap));
    }
    if let Some(credits) = &text.credits {
        let line = regular(credits, 12.0, MUTED);
        let gap = line.leading() + 2.0;
        lines.push((line, gap));
    }

    // Centre the block, from the first line's cap height to the last baseline, in the space left.
    let first_cap = lines[0].0.cap_height();
    let block_height: f32 = first_cap + lines.iter().map(|(_, gap)| gap).sum::<f32>();
    let (space_top, space_bottom) = (HEADING_RULE - 4.0, BAND_TOP + 4.0);
    let mut y = (space_top + space_bottom + block_height) / 2.0 - first_cap;
    for (index, (line, gap)) in lines.iter().enumerate() {
        y -= gap;
        canvas.text_centred(line, CENTRE_X, y);
        if index == name_lines.len() {
            // Under the last line of the name, a fine rule a little wider than the name.
            let half = (line.width() / 2.0 + 8.0).clamp(45.0, TEXT_WIDTH / 2.0);
            canvas.rule(CENTRE_X - half, CENTRE_X + half, y - 3.5, GOLD, 0.6);
        }
    }
}

/// Bottom left: who awards the certificate and who delivered the training.
fn draw_awarded_by(canvas: &Canvas, text: &CertificateText) {
    let mut top = BAND_TOP;
    for (label, value) in [
        ("Awarded by", &text.awarding_body),
        ("Delivered by", &text.issuing_organisation),
    ] {
        let label = regular(label, 9.0, MUTED);
        let mut y = top - label.cap_height();
        canvas.text_at(&label, SIDE_MARGIN, y);
        let (lines, size) = fit_lines(value, Weight::Bold, 12.0, 8.0, COLUMN_WIDTH, 2);
        for line in &lines {
            let line = bold(line, size, INK);
            y -= line.leading();
            canvas.text_at(&line, SIDE_MARGIN, y);
        }
        top = y - 6.5;
    }
}

/// Bottom centre: when it was awarded, until when it is valid, and its number.
fn draw_dates(canvas: &Canvas, text: &CertificateText) {
    let awarded = bold(&text.awarded_on, 12.0, INK);
    let mut y = BAND_TOP - awarded.cap_height();
    canvas.text_centred(&awarded, CENTRE_X, y);
    if let Some(valid_until) = &text.valid_until {
        let line = regular(valid_until, 11.0, INK);
        y -= line.leading() + 1.5;
        canvas.text_centred(&line, CENTRE_X, y);
    }
    let number = format!("Certificate number {}", text.number);
    let (lines, size) = fit_lines(&number, Weight::Regular, 10.0, 7.0, COLUMN_WIDTH, 1);
    y -= 9.0;
    for line in &lines {
        canvas.text_centred(&regular(line, size, MUTED), CENTRE_X, y);
    }
}

/// Bottom right: the QR code, and the same link and code in words under it.
///
/// The block's right edge mirrors the left column's margin, whatever the link's length.
fn draw_verification(canvas: &Canvas, text: &CertificateText, qr: &QrCode) {
    let intro = regular("Check this certificate at", 8.0, MUTED);
    let (url_lines, url_size) = fit_lines(&text.verification_url, Weight::Regular, 8.0, 5.0, 80.0, 1);
    let url_lines: Vec<TextLine> = url_lines
        .iter()
        .map(|line| regular(line, url_size, INK))
        .collect();
    let code_text = format!("with the code {}", text.verification_code);
    let code = regular(&code_text, 8.0, MUTED);

    let widest = url_lines
        .iter()
        .chain([&intro, &code])
        .map(TextLine::width)
        .fold(QR_SIZE, f32::max);
    let centre_x = PAGE_WIDTH - SIDE_MARGIN - widest / 2.0;
    draw_qr(canvas, qr, centre_x - QR_SIZE / 2.0, BAND_TOP - QR_SIZE, QR_SIZE);

    let mut y = BAND_TOP - QR_SIZE - 1.5;
    for line in std::iter::once(&intro).chain(&url_lines).chain([&code]) {
        y -= line.leading();
        canvas.text_centred(line, centre_x, y);
    }
}

/// Draws the QR code with its lower left corner at (x, y), `size` mm square.
///
/// Every dark module is one square, all in a single filled path, so that renderers do not show
/// hairline seams between neighbouring squares.
fn draw_qr(canvas: &Canvas, qr: &QrCode, x: f32, y: f32, size: f32) {
    let modules = qr.width();
    let module = size / modules as f32;
    let rings = dark_modules(qr)
        .map(|(column, row)| {
            let left = x + column as f32 * module;
            let top = y + size - row as f32 * module;
            [
                (left, top),
                (left + module, top),
                (left + module, top - module),
                (left, top - module),
            ]
            .iter()
            .map(|&(px, py)| (Point::new(Mm(px), Mm(py)), false))
            .collect()
        })
        .collect();
    canvas.fill(INK);
    canvas.layer.add_polygon(Polygon {
        rings,
        mode: PaintMode::Fill,
        winding_order: WindingOrder::NonZero,
    });
}

/// The (column, row) of every dark module, row 0 at the top.
fn dark_modules(qr: &QrCode) -> impl Iterator<Item = (usize, usize)> + '_ {
    let width = qr.width();
    (0..width * width)
        .map(move |index| (index % width, index / width))
        .filter(|&(column, row)| qr[(column, row)] == qrcode::Color::Dark)
}

/// Fits `text` into at most `max_lines` lines no wider than `max_width` mm.
///
/// Prefers one line at the largest size from `max_size` down to `min_size`; then breaks at words
/// into balanced lines; and only then goes below `min_size`, so nothing ever runs off the page.
fn fit_lines(
    text: &str,
    weight: Weight,
    max_size: f32,
    min_size: f32,
    max_width: f32,
    max_lines: usize,
) -> (Vec<String>, f32) {
    let size_for = |lines: &[String]| {
        let widest = lines
            .iter()
            .map(|line| text_width_mm(line, weight, 1.0))
            .fold(0.0, f32::max);
        if widest <= 0.0 {
            max_size
        } else {
            (max_width / widest).min(max_size)
        }
    };
    let one_line = vec![text.to_string()];
    let one_line_size = size_for(&one_line);
    if one_line_size >= min_size || max_lines < 2 {
        return (one_line, one_line_size);
    }
    let words: Vec<&str> = text.split(' ').filter(|word| !word.is_empty()).collect();
    let best_split = (1..words.len())
        .map(|split| vec![words[..split].join(" "), words[split..].join(" ")])
        .max_by(|a, b| size_for(a).total_cmp(&size_for(b)));
    match best_split {
        Some(lines) if size_for(&lines) > one_line_size => {
            let size = size_for(&lines);
            (lines, size)
        }
        _ => (one_line, one_line_size),
    }
}

/// The width of `text` in mm at `size` points, from Helvetica's published glyph widths.
fn text_width_mm(text: &str, weight: Weight, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| glyph_width(c, weight)).sum();
    units as f32 / 1000.0 * size * MM_PER_PT
}

/// Helvetica and Helvetica-Bold advance widths (1/1000 em) for ' ' to '~', from Adobe's AFM files.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' to '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0' to '?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@' to 'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P' to '_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`' to 'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p' to '~'
];
const HELVETICA_BOLD_WIDTHS: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' to '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // '0' to '?'
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // '@' to 'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 'P' to '_'
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // '`' to 'o'
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 'p' to '~'
];

fn glyph_width(c: char, weight: Weight) -> u32 {
    let table = match weight {
        Weight::Regular => &HELVETICA_WIDTHS,
        Weight::Bold => &HELVETICA_BOLD_WIDTHS,
    };
    let ascii = |c: char| u32::from(table[c as usize - 0x20]);
    match c {
        ' '..='~' => ascii(c),
        // Accented letters are as wide as their base letter, except those built on a dotless i.
        'À'..='Å' => ascii('A'),
        'à'..='å' => ascii('a'),
        'È'..='Ë' => ascii('E'),
        'è'..='ë' => ascii('e'),
        'Ì'..='Ï' | 'ì'..='ï' => 278,
        'Ò'..='Ö' | 'Ø' => ascii('O'),
        'ò'..='ö' | 'ð' | 'þ' => ascii('o'),
        'Ù'..='Ü' => ascii('U'),
        'ù'..='ü' => ascii('u'),
        'Ç' => ascii('C'),
        'ç' => ascii('c'),
        'Ð' => ascii('D'),
        'Ñ' => ascii('N'),
        'ñ' => ascii('n'),
        'Ý' | 'Ÿ' => ascii('Y'),
        'ý' | 'ÿ' => ascii('y'),
        'Š' => ascii('S'),
        'š' => ascii('s'),
        'Ž' => ascii('Z'),
        'ž' => ascii('z'),
        'Þ' => ascii('P'),
        'ß' | 'ø' => 611,
        'Æ' | 'Œ' | '—' | '…' | '™' => 1000,
        'æ' => 889,
        'œ' => 944,
        '•' => 350,
        '‘' | '’' | '‚' => match weight {
            Weight::Regular => 222,
            Weight::Bold => 278,
        },
        '“' | '”' | '„' => match weight {
            Weight::Regular => 333,
            Weight::Bold => 500,
        },
        _ => 556,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::Command;

    fn sample() -> CertificateDocument {
        CertificateDocument {
            holder_name: "Rowan Learner".to_string(),
            programme_title: "Peer2Peer: Vocational Peer Support Training".to_string(),
            awarding_body: "Scottish Recovery Network".to_string(),
            issuing_organisation: "Making Recovery Real".to_string(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            expires_on: Some(NaiveDate::from_ymd_opt(2028, 11, 20).unwrap()),
            number: "P2P-2027-000042".to_string(),
            verification_code: "K7QM-4TXR-9HWD".to_string(),
            verification_url: "https://peertrack.example.org/verify/K7QM-4TXR-9HWD".to_string(),
            credits: Some(16),
            level: Some(7),
        }
    }

    /// Whether to skip a test that reads the PDF back: `pdftotext` (poppler-utils) is missing on
    /// this machine. CI (`CI` set) must have it, so there a missing `pdftotext` fails instead.
    fn skip_without_pdftotext() -> bool {
        let installed = Command::new("pdftotext").arg("-v").output().is_ok();
        if installed {
            return false;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftotext is not installed: CI needs poppler-utils (apt-get install poppler-utils)"
        );
        eprintln!("SKIPPED: install poppler-utils (pdftotext) to read the certificate PDF back");
        true
    }

    /// Runs `pdftotext` with `options` on `pdf` and returns what it prints.
    fn pdftotext(pdf: &[u8], options: &[&str]) -> String {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(pdf).expect("the PDF written to a temporary file");
        let output = match Command::new("pdftotext")
            .args(options)
            .arg(file.path())
            .arg("-")
            .output()
        {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
                "pdftotext is not installed: the certificate tests need poppler-utils \
                 (apt-get install poppler-utils)"
            ),
            Err(error) => panic!("pdftotext could not run: {error}"),
        };
        assert!(
            output.status.success(),
            "pdftotext failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("pdftotext prints UTF-8")
    }

    /// The PDF's text as `pdftotext -layout` extracts it, whitespace runs collapsed to one space.
    fn extracted_text(pdf: &[u8]) -> String {
        pdftotext(pdf, &["-layout"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Every word's box (x min, y min, x max, y max, in points from the top left) and text.
    fn word_boxes(pdf: &[u8]) -> Vec<([f32; 4], String)> {
        let attribute = |line: &str, name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).expect("a word box") + name.len() + 2;
            line[start..].split('"').next().unwrap().parse().unwrap()
        };
        pdftotext(pdf, &["-bbox"])
            .lines()
            .filter(|line| line.trim_start().starts_with("<word "))
            .map(|line| {
                let corners = ["xMin", "yMin", "xMax", "yMax"].map(|name| attribute(line, name));
                let word = line
                    .split('>')
                    .nth(1)
                    .unwrap()
                    .trim_end_matches("</word")
                    .to_string();
                (corners, word)
            })
            .collect()
    }

    #[test]
    fn the_certificate_is_a_pdf_showing_who_what_and_how_to_check_it() {
        if skip_without_pdftotext() {
            return;
        }
        let pdf = certificate_pdf(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF"));

        let text = extracted_text(&pdf);
        for expected in [
            "Certificate of Achievement",
            "This is to certify that",
            "Rowan Learner",
            "has completed",
            "Peer2Peer: Vocational Peer Support Training",
            "Scottish Recovery Network",
            "Making Recovery Real",
            "Awarded on 21 November 2026",
            "Valid until 20 November 2028",
            "16 SCQF credit points at SCQF level 7",
            "P2P-2027-000042",
            "https://peertrack.example.org/verify/K7QM-4TXR-9HWD",
            "K7QM-4TXR-9HWD",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} is missing from the certificate: {text}"
            );
        }
    }

    #[test]
    fn a_certificate_without_expiry_says_nothing_about_validity() {
        if skip_without_pdftotext() {
            return;
        }
        let document = CertificateDocument {
            expires_on: None,
            ..sample()
        };
        let text = extracted_text(&certificate_pdf(&document).unwrap());
        assert!(!text.contains("Valid until"), "{text}");
        assert!(text.contains("Awarded on 21 November 2026"), "{text}");
    }

    #[test]
    fn the_credits_line_appears_only_with_credits() {
        if skip_without_pdftotext() {
            return;
        }
        let without = CertificateDocument {
            credits: None,
            level: None,
            ..sample()
        };
        let text = extracted_text(&certificate_pdf(&without).unwrap());
        assert!(!text.contains("SCQF"), "{text}");

        let credits_only = CertificateDocument {
            credits: Some(1),
            level: None,
            ..sample()
        };
        let text = extracted_text(&certificate_pdf(&credits_only).unwrap());
        assert!(text.contains("1 SCQF credit point"), "{text}");
        assert!(!text.contains("level"), "{text}");
    }

    #[test]
    fn a_very_long_name_and_title_still_fit_and_are_all_there() {
        if skip_without_pdftotext() {
            return;
        }
        let document = CertificateDocument {
            holder_name: "Alexandra Margaret Elizabeth Catriona Montgomery-Fitzgerald-MacLeod of Inverness"
                .to_string(),
            programme_title:
                "Professional Development Award in Mental Health Peer Support: Recovery Context \
                              and Developing Practice with Supervised Voluntary Placement"
                    .to_string(),
            ..sample()
        };
        let pdf = certificate_pdf(&document).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let text = extracted_text(&pdf);
        assert!(text.contains(&document.holder_name), "{text}");
        assert!(text.contains(&document.programme_title), "{text}");
    }

    #[test]
    fn everything_stays_inside_the_frame_without_overlapping_even_at_its_fullest() {
        if skip_without_pdftotext() {
            return;
        }
        let document = CertificateDocument {
            holder_name: "Siobhán Alexandra Margaret Elizabeth Catriona Ó Ceallaigh-Fitzgerald-MacLeod"
                .to_string(),
            programme_title:
                "Professional Development Award in Mental Health Peer Support: Recovery Context \
                              and Developing Practice with Supervised Voluntary Placement"
                    .to_string(),
            awarding_body: "Scottish Qualifications Authority and the Scottish Recovery Network".to_string(),
            issuing_organisation: "The Richmond Fellowship Scotland, Dundee and Angus Services".to_string(),
            verification_url: format!(
                "https://certificates.peertrack.example.org/verify/{}",
                "K7QM-4TXR-9HWD"
            ),
            ..sample()
        };
        let boxes = word_boxes(&certificate_pdf(&document).unwrap());
        assert!(boxes.len() > 40, "{boxes:?}");

        let frame = INNER_FRAME / MM_PER_PT;
        let (width, height) = (PAGE_WIDTH / MM_PER_PT, PAGE_HEIGHT / MM_PER_PT);
        for ([x_min, y_min, x_max, y_max], word) in &boxes {
            assert!(
                *x_min > frame && *y_min > frame && *x_max < width - frame && *y_max < height - frame,
                "{word:?} reaches the frame"
            );
        }
        for (index, (a, word_a)) in boxes.iter().enumerate() {
            for (b, word_b) in &boxes[index + 1..] {
                let overlap =
                    a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;
                assert!(!overlap, "{word_a:?} overlaps {word_b:?}");
            }
        }
    }

    #[test]
    fn long_lines_are_shrunk_or_broken_to_stay_on_the_page() {
        let name = "Alexandra Margaret Elizabeth Catriona Montgomery-Fitzgerald-MacLeod of Inverness";
        let (lines, size) = fit_lines(name, Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!(lines.len(), 2);
        assert!(size >= 22.0, "two lines should allow a readable size, got {size}");
        assert!(lines
            .iter()
            .all(|line| text_width_mm(line, Weight::Bold, size) <= TEXT_WIDTH + 0.01));

        let (lines, size) = fit_lines("Rowan Learner", Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!((lines.len(), size), (1, 36.0));

        // One unbreakable word shrinks for as long as it must.
        let word = "x".repeat(400);
        let (lines, size) = fit_lines(&word, Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!(lines.len(), 1);
        assert!(text_width_mm(&lines[0], Weight::Bold, size) <= TEXT_WIDTH + 0.01);
    }

    #[test]
    fn irish_and_other_latin_1_names_print_with_their_accents() {
        if skip_without_pdftotext() {
            return;
        }
        let document = CertificateDocument {
            holder_name: "Siobhán Ó Ceallaigh".to_string(),
            issuing_organisation: "Comhairle nan Eilean Siar – Slàinte".to_string(),
            ..sample()
        };
        let text = extracted_text(&certificate_pdf(&document).unwrap());
        assert!(text.contains("Siobhán Ó Ceallaigh"), "{text}");
        assert!(text.contains("Comhairle nan Eilean Siar – Slàinte"), "{text}");
    }

    #[test]
    fn decomposed_accents_are_composed_and_other_latin_marks_are_dropped() {
        if skip_without_pdftotext() {
            return;
        }
        assert_eq!(
            win_ansi_text("holder name", "Siobha\u{301}n O\u{301} Ceallaigh").unwrap(),
            "Siobhán Ó Ceallaigh"
        );
        assert_eq!(
            win_ansi_text("holder name", "Łucja Wróbel-Dvořák").unwrap(),
            "Lucja Wróbel-Dvorák"
        );
        assert_eq!(
            win_ansi_text("holder name", "Ștefan Ţepeş").unwrap(),
            "Stefan Tepes"
        );
        assert_eq!(win_ansi_text("holder name", "Zoë Šimić").unwrap(), "Zoë Šimic");
        assert_eq!(
            win_ansi_text("holder name", "  Rowan\u{2003}Learner ").unwrap(),
            "Rowan Learner"
        );

        let document = CertificateDocument {
            holder_name: "Łucja Dvořák".to_string(),
            ..sample()
        };
        let text = extracted_text(&certificate_pdf(&document).unwrap());
        assert!(text.contains("Lucja Dvorák"), "{text}");
    }

    #[test]
    fn names_in_other_scripts_are_refused_rather_than_misspelled() {
        let document = CertificateDocument {
            holder_name: "Ольга Петрова".to_string(),
            ..sample()
        };
        match certificate_pdf(&document) {
            Err(DocumentError::UnsupportedCharacters { field, characters }) => {
                assert_eq!(field, "holder name");
                assert_eq!(characters, "ОльгаПетров");
            }
            other => panic!("expected UnsupportedCharacters, got {other:?}"),
        }
    }

    #[test]
    fn the_qr_code_is_a_sane_size_with_dark_finder_corners() {
        let url = sample().verification_url;
        let qr = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).unwrap();
        // 51 bytes at level M needs version 4: 33 modules a side, each over 0.9 mm at 30 mm.
        assert_eq!(qr.width(), 33);
        assert!(QR_SIZE / qr.width() as f32 > 0.8);
        let dark = dark_modules(&qr).count();
        assert!(
            dark > 33 * 33 / 3 && dark < 33 * 33 * 2 / 3,
            "{dark} dark modules"
        );
        // The three finder patterns' corners are dark.
        for corner in [(0, 0), (32, 0), (0, 32)] {
            assert!(dark_modules(&qr).any(|module| module == corner), "{corner:?}");
        }
    }

    #[test]
    fn dates_are_written_out_the_uk_way() {
        assert_eq!(
            date_in_words(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()),
            "21 November 2026"
        );
        assert_eq!(
            date_in_words(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            "1 March 2027"
        );
    }

    #[test]
    fn every_latin_extended_a_letter_prints_somehow() {
        for c in '\u{100}'..='\u{17f}' {
            let printed = win_ansi_text("holder name", &c.to_string()).unwrap();
            assert!(
                printed.chars().all(|p| p.is_ascii_alphabetic() || is_win_ansi(p)),
                "{c}: {printed}"
            );
        }
        assert_eq!(win_ansi_text("holder name", "Ā ő ſ Ŵ ź").unwrap(), "A o s W z");
        assert_eq!(win_ansi_text("holder name", "Œ Ÿ").unwrap(), "Œ Ÿ");
    }

    /// Writes a sample certificate for a person to look at:
    /// `cargo test -p peertrack-core --lib documents -- --ignored`, then open the printed path.
    #[test]
    #[ignore = "writes a sample file for a person to look at"]
    fn write_sample_certificate() {
        let path = std::env::temp_dir().join("certificate-sample.pdf");
        std::fs::write(&path, certificate_pdf(&sample()).unwrap()).unwrap();
        println!("wrote {}", path.display());
    }
}
