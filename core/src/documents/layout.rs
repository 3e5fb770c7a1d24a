//! Where each part of the certificate goes on the page.

use qrcode::QrCode;

use super::canvas::{bold, regular, Canvas, TextLine, Weight};
use super::metrics::fit_lines;
use super::text::CertificateText;
use super::{
    BAND_TOP, CENTRE_X, COLUMN_WIDTH, GOLD, HEADING_RULE, INK, INNER_FRAME, MUTED, PAGE_HEIGHT, PAGE_WIDTH,
    QR_SIZE, SIDE_MARGIN, TEAL, TEXT_WIDTH,
};

const WITHDRAWN_RED: (f32, f32, f32) = (0.62, 0.10, 0.10);
const WITHDRAWN_PALE: (f32, f32, f32) = (0.96, 0.80, 0.80);

/// A revoked certificate says so for anyone who sees it: a red band under the frame's top
/// edge, and REVOKED across the page, under everything else.
pub(super) fn draw_withdrawn(canvas: &mut Canvas, text: &CertificateText) {
    let Some(withdrawn) = &text.withdrawn else {
        return;
    };
    canvas.text_turned(&bold("REVOKED", 110.0, WITHDRAWN_PALE), CENTRE_X, 100.0, 18.0);
    let top = PAGE_HEIGHT - INNER_FRAME - 1.5;
    canvas.block(
        INNER_FRAME + 1.5,
        top - 9.0,
        PAGE_WIDTH - 2.0 * INNER_FRAME - 3.0,
        9.0,
        WITHDRAWN_RED,
    );
    let (lines, size) = fit_lines(canvas.fonts, withdrawn, Weight::Bold, 11.0, 6.0, TEXT_WIDTH, 1);
    for line in &lines {
        canvas.text_centred(&bold(line, size, (1.0, 1.0, 1.0)), CENTRE_X, top - 6.0);
    }
}

/// Characters no font could show are named plainly at the foot of the page, so nobody takes
/// a box for a letter; the verification page shows the name in full.
pub(super) fn draw_missing_note(canvas: &mut Canvas) {
    if canvas.missing.is_empty() {
        return;
    }
    let characters: Vec<String> = canvas
        .missing
        .iter()
        .map(|c| format!("U+{:04X}", u32::from(*c)))
        .collect();
    // By code point: the characters themselves are what the fonts cannot draw.
    let note = format!(
        "This PDF cannot show some characters of the text above ({}); the verification page shows it in full.",
        characters.join(", ")
    );
    let (lines, size) = fit_lines(
        canvas.fonts,
        &note,
        Weight::Regular,
        8.0,
        5.0,
        TEXT_WIDTH + 20.0,
        1,
    );
    for line in &lines {
        canvas.text_centred(&regular(line, size, WITHDRAWN_RED), CENTRE_X, INNER_FRAME + 3.0);
    }
}

/// A calm double frame: a teal outer rule, a fine gold inner one, small diamonds at its corners.
pub(super) fn draw_frame(canvas: &mut Canvas) {
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

pub(super) fn draw_heading(canvas: &mut Canvas, text: &CertificateText) {
    let body = text.awarding_body.to_uppercase();
    let (body_lines, body_size) = fit_lines(canvas.fonts, &body, Weight::Bold, 11.0, 7.0, TEXT_WIDTH, 1);
    for line in &body_lines {
        canvas.text_centred(&bold(line, body_size, MUTED), CENTRE_X, 178.0);
    }
    canvas.text_centred(&bold("Certificate of Achievement", 34.0, TEAL), CENTRE_X, 162.0);
    canvas.rule(CENTRE_X - 28.0, CENTRE_X + 28.0, HEADING_RULE, GOLD, 1.0);
    canvas.diamond(CENTRE_X, HEADING_RULE, 1.4, GOLD);
}

/// The middle of the page: who, and what they achieved, centred between heading and bottom band.
pub(super) fn draw_achievement(canvas: &mut Canvas, text: &CertificateText) {
    let (name_lines, name_size) = fit_lines(
        canvas.fonts,
        &text.holder_name,
        Weight::Bold,
        36.0,
        22.0,
        TEXT_WIDTH,
        2,
    );
    let (title_lines, title_size) = fit_lines(
        canvas.fonts,
        &text.programme_title,
        Weight::Bold,
        20.0,
        13.0,
        TEXT_WIDTH,
        2,
    );

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
            let half = (canvas.width(line) / 2.0 + 8.0).clamp(45.0, TEXT_WIDTH / 2.0);
            canvas.rule(CENTRE_X - half, CENTRE_X + half, y - 3.5, GOLD, 0.6);
        }
    }
}

/// Bottom left: who awards the certificate and who delivered the training.
pub(super) fn draw_awarded_by(canvas: &mut Canvas, text: &CertificateText) {
    let mut top = BAND_TOP;
    for (label, value) in [
        ("Awarded by", &text.awarding_body),
        ("Delivered by", &text.issuing_organisation),
    ] {
        let label = regular(label, 9.0, MUTED);
        let mut y = top - label.cap_height();
        canvas.text_at(&label, SIDE_MARGIN, y);
        let (lines, size) = fit_lines(canvas.fonts, value, Weight::Bold, 12.0, 8.0, COLUMN_WIDTH, 2);
        for line in &lines {
            let line = bold(line, size, INK);
            y -= line.leading();
            canvas.text_at(&line, SIDE_MARGIN, y);
        }
        top = y - 6.5;
    }
}

/// Bottom centre: when it was awarded, until when it is valid, and its number.
pub(super) fn draw_dates(canvas: &mut Canvas, text: &CertificateText) {
    let awarded = bold(&text.awarded_on, 12.0, INK);
    let mut y = BAND_TOP - awarded.cap_height();
    canvas.text_centred(&awarded, CENTRE_X, y);
    if let Some(valid_until) = &text.valid_until {
        let line = regular(valid_until, 11.0, INK);
        y -= line.leading() + 1.5;
        canvas.text_centred(&line, CENTRE_X, y);
    }
    let number = format!("Certificate number {}", text.number);
    let (lines, size) = fit_lines(canvas.fonts, &number, Weight::Regular, 10.0, 7.0, COLUMN_WIDTH, 1);
    y -= 9.0;
    for line in &lines {
        canvas.text_centred(&regular(line, size, MUTED), CENTRE_X, y);
    }
}

/// Bottom right: the QR code, and the same link and code in words under it.
///
/// The block's right edge mirrors the left column's margin, whatever the link's length.
pub(super) fn draw_verification(canvas: &mut Canvas, text: &CertificateText, qr: &QrCode) {
    let intro = regular("Check this certificate at", 8.0, MUTED);
    let (url_lines, url_size) = fit_lines(
        canvas.fonts,
        &text.verification_url,
        Weight::Regular,
        8.0,
        5.0,
        80.0,
        1,
    );
    let url_lines: Vec<TextLine> = url_lines
        .iter()
        .map(|line| regular(line, url_size, INK))
        .collect();
    let code_text = format!("with the code {}", text.verification_code);
    let code = regular(&code_text, 8.0, MUTED);

    let widest = url_lines
        .iter()
        .chain([&intro, &code])
        .map(|line| canvas.width(line))
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
pub(super) fn draw_qr(canvas: &mut Canvas, qr: &QrCode, x: f32, y: f32, size: f32) {
    let modules = qr.width();
    let module = size / modules as f32;
    let squares = dark_modules(qr).map(|(column, row)| {
        let left = x + column as f32 * module;
        let bottom = y + size - (row + 1) as f32 * module;
        (left, bottom, module)
    });
    canvas.squares(squares, INK);
}

/// The (column, row) of every dark module, row 0 at the top.
pub(super) fn dark_modules(qr: &QrCode) -> impl Iterator<Item = (usize, usize)> + '_ {
    let width = qr.width();
    (0..width * width)
        .map(move |index| (index % width, index / width))
        .filter(|&(column, row)| qr[(column, row)] == qrcode::Color::Dark)
}
