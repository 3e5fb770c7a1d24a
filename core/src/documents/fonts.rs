//! The fonts the certificate carries, and turning a line of text into positioned glyphs.
//!
//! DejaVu Sans (regular and bold, embedded by the `dejavu` crate) shows Latin, Greek, Cyrillic
//! and Arabic; a subset of Noto Sans CJK SC (`core/fonts/`) shows Chinese, Japanese and Korean.
//! Nothing is read from the system. Each character goes to the first font that has it; a line
//! is split into right-to-left and left-to-right runs (Unicode bidi), and each run is shaped
//! with HarfRust, so Arabic letters join and marks sit on their letters. A character neither
//! font has is drawn as the fonts' "missing" box and reported, never silently changed.

use std::collections::BTreeSet;
use std::ops::Range;

use harfrust::{Direction, ShapeOptions, ShaperData, UnicodeBuffer};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::MetadataProvider as _;
use unicode_bidi::BidiInfo;

const CJK: &[u8] = include_bytes!("../../fonts/NotoSansCJKsc-Regular-subset.otf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// One font: its bytes, for HarfRust's shaping and for krilla's embedding.
pub(super) struct Face {
    data: &'static [u8],
    shaping: ShaperData,
    pub(super) font: Font,
    /// A font without a bold face of its own: bold is drawn by also stroking the outline.
    pub(super) synthetic_bold: bool,
}

impl Face {
    fn load(data: &'static [u8], synthetic_bold: bool) -> Option<Face> {
        let parsed = harfrust::FontRef::new(data).ok()?;
        Some(Face {
            data,
            shaping: ShaperData::new(&parsed),
            font: Font::new(data.into(), 0)?,
            synthetic_bold,
        })
    }

    fn has(&self, c: char) -> bool {
        skrifa::FontRef::new(self.data).is_ok_and(|font| font.charmap().map(c).is_some())
    }

    /// Shapes `text` (one script, one direction) into glyphs with advances in em.
    fn shape(&self, text: &str, direction: Direction) -> Vec<KrillaGlyph> {
        let Ok(parsed) = harfrust::FontRef::new(self.data) else {
            return Vec::new();
        };
        let shaper = self.shaping.shaper(&parsed).build();
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(direction);
        let shaped = shaper.shape(buffer, ShapeOptions::new());
        let em = shaper.units_per_em() as f32;
        let mut clusters: Vec<usize> = shaped.glyph_infos().iter().map(|g| g.cluster as usize).collect();
        clusters.sort_unstable();
        clusters.dedup();
        // A glyph stands for the text from its cluster to the next cluster (in logical order),
        // which is what a PDF reader copies or extracts for it.
        let range_of = |start: usize| -> Range<usize> {
            let end = clusters
                .iter()
                .copied()
                .find(|&c| c > start)
                .unwrap_or(text.len());
            start..end
        };
        shaped
            .glyph_infos()
            .iter()
            .zip(shaped.glyph_positions())
            .map(|(info, position)| {
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    position.x_advance as f32 / em,
                    position.x_offset as f32 / em,
                    position.y_offset as f32 / em,
                    position.y_advance as f32 / em,
                    range_of(info.cluster as usize),
                    None,
                )
            })
            .collect()
    }
}

/// The certificate's three fonts.
pub(super) struct Fonts {
    regular: Face,
    bold: Face,
    cjk: Face,
}

/// A piece of a line in one font, ready to draw from its left end.
pub(super) struct Run<'f> {
    pub(super) face: &'f Face,
    pub(super) text: String,
    pub(super) glyphs: Vec<KrillaGlyph>,
    /// Its width in em.
    pub(super) advance: f32,
}

/// A line of text as glyph runs, left to right, and the characters no font could show.
pub(super) struct ShapedLine<'f> {
    pub(super) runs: Vec<Run<'f>>,
    pub(super) missing: BTreeSet<char>,
}

impl ShapedLine<'_> {
    /// Its width in em.
    pub(super) fn advance(&self) -> f32 {
        self.runs.iter().map(|run| run.advance).sum()
    }
}

impl Fonts {
    /// The embedded fonts; `None` only if the fonts compiled into the binary are damaged.
    pub(super) fn load() -> Option<Fonts> {
        Some(Fonts {
            regular: Face::load(dejavu::sans::regular(), false)?,
            bold: Face::load(dejavu::sans::bold(), false)?,
            cjk: Face::load(CJK, true)?,
        })
    }

    /// Shapes one line: bidi runs in visual order, each split by font and shaped.
    pub(super) fn shape(&self, text: &str, weight: Weight) -> ShapedLine<'_> {
        let main = match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        };
        let mut missing = BTreeSet::new();
        let mut runs = Vec::new();
        if text.is_empty() {
            return ShapedLine { runs, missing };
        }
        let bidi = BidiInfo::new(text, None);
        for paragraph in &bidi.paragraphs {
            let (levels, visual) = bidi.visual_runs(paragraph, paragraph.range.clone());
            for range in visual {
                let rtl = levels[range.start].is_rtl();
                let mut pieces = self.split_by_font(main, &text[range.clone()], &mut missing);
                if rtl {
                    pieces.reverse();
                }
                let direction = if rtl {
                    Direction::RightToLeft
                } else {
                    Direction::LeftToRight
                };
                for (face, piece) in pieces {
                    let glyphs = face.shape(&piece, direction);
                    let advance = glyphs.iter().map(|g| g.x_advance).sum();
                    runs.push(Run {
                        face,
                        text: piece,
                        glyphs,
                        advance,
                    });
                }
            }
        }
        ShapedLine { runs, missing }
    }

    /// Splits text (in logical order) into pieces that one font shows; spaces, marks and
    /// joiners stay with the letter before them.
    fn split_by_font<'f>(
        &'f self,
        main: &'f Face,
        text: &str,
        missing: &mut BTreeSet<char>,
    ) -> Vec<(&'f Face, String)> {
        let mut pieces: Vec<(&'f Face, String)> = Vec::new();
        for c in text.chars() {
            let previous = pieces.last().map(|(face, _)| *face);
            let face = match previous {
                Some(face) if is_mark_or_space(c) && face.has(c) => face,
                _ if main.has(c) => main,
                _ if self.cjk.has(c) => &self.cjk,
                _ => {
                    if !c.is_whitespace() && !c.is_control() {
                        missing.insert(c);
                    }
                    main
                }
            };
            match pieces.last_mut() {
                Some((last, piece)) if std::ptr::eq(*last, face) => piece.push(c),
                _ => pieces.push((face, c.to_string())),
            }
        }
        pieces
    }
}

/// Characters that belong with the one before them: spaces, combining marks, joiners and
/// variation selectors.
fn is_mark_or_space(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{300}'..='\u{36F}' | '\u{483}'..='\u{489}' | '\u{591}'..='\u{5BD}'
            | '\u{610}'..='\u{61A}' | '\u{64B}'..='\u{65F}' | '\u{670}' | '\u{6D6}'..='\u{6ED}'
            | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{200C}'..='\u{200F}'
            | '\u{20D0}'..='\u{20FF}' | '\u{3099}'..='\u{309A}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FE20}'..='\u{FE2F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_script_goes_to_a_font_that_has_it() {
        let fonts = Fonts::load().unwrap();
        for name in [
            "Łukasz Wójcik-Żółć",
            "Σοφία Παπαδοπούλου",
            "Олена Коваленко",
            "فاطمة الزهراء",
            "Niamh Ní Bhriain",
        ] {
            let line = fonts.shape(name, Weight::Bold);
            assert!(line.missing.is_empty(), "{name}: {:?}", line.missing);
            assert!(
                line.runs.iter().all(|r| std::ptr::eq(r.face, &fonts.bold)),
                "{name}"
            );
        }
        let line = fonts.shape("王小明", Weight::Bold);
        assert!(line.missing.is_empty());
        assert!(std::ptr::eq(line.runs[0].face, &fonts.cjk));
        assert!(
            line.advance() > 2.9 && line.advance() < 3.1,
            "three full-width characters"
        );
    }

    #[test]
    fn arabic_letters_join_and_run_right_to_left() {
        let fonts = Fonts::load().unwrap();
        let line = fonts.shape("فاطمة", Weight::Regular);
        assert_eq!(line.runs.len(), 1);
        let glyphs = &line.runs[0].glyphs;
        // Visual order: the last letter (ة, at the highest byte offset) comes first.
        assert_eq!(glyphs.first().unwrap().text_range.start, "فاطم".len());
        assert_eq!(glyphs.last().unwrap().text_range.start, 0);
        // Joined forms differ from the letters alone.
        let alone = fonts.shape("ف", Weight::Regular).runs[0].glyphs[0].glyph_id;
        assert_ne!(glyphs.last().unwrap().glyph_id, alone, "the initial form of ف");
    }

    #[test]
    fn a_character_no_font_has_is_reported_not_dropped() {
        let fonts = Fonts::load().unwrap();
        let line = fonts.shape("Ada 𓀀 Lovelace", Weight::Regular);
        assert_eq!(line.missing, BTreeSet::from(['𓀀']));
        let text: String = line.runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(text, "Ada 𓀀 Lovelace", "every character is still drawn");
    }
}
