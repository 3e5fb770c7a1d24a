//! Documents people keep: the PDF certificate.
//!
//! Drawn with krilla, in fonts the binary carries and embeds as subsets ([`fonts`]): every
//! name prints exactly as written, in Latin, Greek, Cyrillic, Arabic (right to left, letters
//! joined) or Chinese, Japanese and Korean. A character no font has still leaves a whole
//! certificate, which names that character plainly at its foot; no letter is ever changed.
//! A revoked certificate is marked as withdrawn across the page.
//!
//! The modules: [`text`] makes every line of words, [`fonts`] shapes them, [`metrics`]
//! measures and fits them, [`canvas`] draws on the page, and [`layout`] places each part.

mod canvas;
mod fonts;
mod layout;
mod metrics;
mod text;

use chrono::NaiveDate;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::Document;
use qrcode::{EcLevel, QrCode};

use canvas::{Canvas, Colour};
use layout::{
    draw_achievement, draw_awarded_by, draw_dates, draw_frame, draw_heading, draw_missing_note,
    draw_verification, draw_withdrawn,
};
use text::CertificateText;

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
    /// The day it was revoked: the page then says, across it, that it is no longer valid.
    pub revoked_on: Option<NaiveDate>,
}

/// Why a certificate could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The verification link could not be made into a QR code (it is far too long).
    #[error("the verification link cannot be made into a QR code: {0}")]
    QrCode(#[from] qrcode::types::QrError),
    /// The fonts compiled into the program could not be read.
    #[error("the certificate's fonts could not be read")]
    Fonts,
    /// krilla failed to write the document.
    #[error("the certificate PDF could not be written: {0}")]
    Pdf(String),
}

/// Draws the certificate as a one-page A4 landscape PDF.
pub fn certificate_pdf(document: &CertificateDocument) -> Result<Vec<u8>, DocumentError> {
    let text = CertificateText::from_document(document);
    let qr = QrCode::with_error_correction_level(document.verification_url.as_bytes(), EcLevel::M)?;
    let fonts = fonts::Fonts::load().ok_or(DocumentError::Fonts)?;

    let mut pdf = Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(format!("Certificate {}", text.number))
            .creator("Peertrack".to_string()),
    );
    let size = PageSettings::from_wh(PAGE_WIDTH / MM_PER_PT, PAGE_HEIGHT / MM_PER_PT)
        .ok_or_else(|| DocumentError::Pdf("the page size".into()))?;
    {
        let mut page = pdf.start_page_with(size);
        let mut canvas = Canvas {
            surface: page.surface(),
            fonts: &fonts,
            missing: Default::default(),
        };
        draw_withdrawn(&mut canvas, &text);
        draw_frame(&mut canvas);
        draw_heading(&mut canvas, &text);
        draw_achievement(&mut canvas, &text);
        draw_awarded_by(&mut canvas, &text);
        draw_dates(&mut canvas, &text);
        draw_verification(&mut canvas, &text, &qr);
        draw_missing_note(&mut canvas);
        canvas.finish();
        page.finish();
    }
    pdf.finish()
        .map_err(|error| DocumentError::Pdf(format!("{error:?}")))
}

// The page, in millimetres from the bottom left corner.
pub(super) const PAGE_WIDTH: f32 = 297.0;
pub(super) const PAGE_HEIGHT: f32 = 210.0;
pub(super) const CENTRE_X: f32 = PAGE_WIDTH / 2.0;
pub(super) const INNER_FRAME: f32 = 13.5;
pub(super) const HEADING_RULE: f32 = 154.0;
/// The widest any centred line may be: well inside the inner frame.
pub(super) const TEXT_WIDTH: f32 = 225.0;
/// The top of the bottom band's three columns: who awarded, when, and how to check.
pub(super) const BAND_TOP: f32 = 64.0;
/// The bottom band's distance from each side of the page.
pub(super) const SIDE_MARGIN: f32 = 32.0;
pub(super) const COLUMN_WIDTH: f32 = 72.0;
pub(super) const QR_SIZE: f32 = 28.0;

pub(super) const MM_PER_PT: f32 = 25.4 / 72.0;

pub(super) const TEAL: Colour = (0.10, 0.33, 0.37);
pub(super) const GOLD: Colour = (0.74, 0.60, 0.33);
pub(super) const INK: Colour = (0.13, 0.15, 0.18);
pub(super) const MUTED: Colour = (0.38, 0.42, 0.45);

#[cfg(test)]
mod tests {
    use super::canvas::Weight;
    use super::fonts::Fonts;
    use super::layout::dark_modules;
    use super::metrics::{fit_lines, text_width_mm};
    use super::text::date_in_words;
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
            revoked_on: None,
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
        let fonts = Fonts::load().unwrap();
        let fonts = &fonts;
        let name = "Alexandra Margaret Elizabeth Catriona Montgomery-Fitzgerald-MacLeod of Inverness";
        let (lines, size) = fit_lines(fonts, name, Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!(lines.len(), 2);
        assert!(size >= 22.0, "two lines should allow a readable size, got {size}");
        assert!(lines
            .iter()
            .all(|line| text_width_mm(fonts, line, Weight::Bold, size) <= TEXT_WIDTH + 0.01));

        let (lines, size) = fit_lines(fonts, "Rowan Learner", Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!((lines.len(), size), (1, 36.0));

        // One unbreakable word shrinks for as long as it must.
        let word = "x".repeat(400);
        let (lines, size) = fit_lines(fonts, &word, Weight::Bold, 36.0, 22.0, TEXT_WIDTH, 2);
        assert_eq!(lines.len(), 1);
        assert!(text_width_mm(fonts, &lines[0], Weight::Bold, size) <= TEXT_WIDTH + 0.01);
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
    fn names_in_every_script_print_exactly_and_the_file_stays_small() {
        if skip_without_pdftotext() {
            return;
        }
        for name in [
            "Łukasz Wójcik-Żółć",
            "Σοφία Παπαδοπούλου",
            "Олена Коваленко",
            "فاطمة الزهراء",
            "王小明",
            "Niamh Ní Bhriain",
            "Nguyễn Thị Minh Khai",
            "김민준",
            "さくら 山田",
        ] {
            let pdf = certificate_pdf(&CertificateDocument {
                holder_name: name.to_string(),
                ..sample()
            })
            .unwrap();
            assert!(pdf.len() < 250 * 1024, "{name}: {} bytes", pdf.len());
            let text = pdftotext(&pdf, &[]);
            assert!(text.contains(name), "{name} is missing: {text}");
            assert!(!text.contains("cannot show"), "{name}: {text}");
        }
    }

    #[test]
    fn a_character_no_font_has_is_named_plainly_and_the_rest_still_prints() {
        if skip_without_pdftotext() {
            return;
        }
        let pdf = certificate_pdf(&CertificateDocument {
            holder_name: "Ada 𓀀 Lovelace".to_string(),
            ..sample()
        })
        .unwrap();
        let text = extracted_text(&pdf);
        assert!(text.contains("Ada"), "{text}");
        assert!(text.contains("Lovelace"), "{text}");
        assert!(
            text.contains("This PDF cannot show some characters of the text above (U+13000)"),
            "{text}"
        );
    }

    #[test]
    fn a_revoked_certificate_says_so_across_the_page() {
        if skip_without_pdftotext() {
            return;
        }
        let pdf = certificate_pdf(&CertificateDocument {
            revoked_on: NaiveDate::from_ymd_opt(2027, 3, 3),
            ..sample()
        })
        .unwrap();
        let text = extracted_text(&pdf);
        assert!(
            text.contains("WITHDRAWN: this certificate was revoked on 3 March 2027 and is no longer valid"),
            "{text}"
        );
        let valid = extracted_text(&certificate_pdf(&sample()).unwrap());
        assert!(
            !valid.contains("REVOKED") && !valid.contains("WITHDRAWN"),
            "{valid}"
        );
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
    #[ignore = "writes a sample file for a person to look at"]
    fn write_sample_certificate() {
        let path = std::env::temp_dir().join("certificate-sample.pdf");
        std::fs::write(&path, certificate_pdf(&sample()).unwrap()).unwrap();
        println!("wrote {}", path.display());
        let revoked = CertificateDocument {
            holder_name: "فاطمة الزهراء".into(),
            revoked_on: NaiveDate::from_ymd_opt(2027, 3, 3),
            ..sample()
        };
        let path = std::env::temp_dir().join("certificate-sample-revoked.pdf");
        std::fs::write(&path, certificate_pdf(&revoked).unwrap()).unwrap();
        println!("wrote {}", path.display());
    }
}
