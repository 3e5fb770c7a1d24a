//! Measuring text in Helvetica, and fitting it into the space it has.

use super::canvas::Weight;
use super::MM_PER_PT;

/// Fits `text` into at most `max_lines` lines no wider than `max_width` mm.
///
/// Prefers one line at the largest size from `max_size` down to `min_size`; then breaks at words
/// into balanced lines; and only then goes below `min_size`, so nothing ever runs off the page.
pub(super) fn fit_lines(
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
pub(super) fn text_width_mm(text: &str, weight: Weight, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| glyph_width(c, weight)).sum();
    units as f32 / 1000.0 * size * MM_PER_PT
}

/// Helvetica and Helvetica-Bold advance widths (1/1000 em) for ' ' to '~', from Adobe's AFM files.
pub(super) const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' to '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0' to '?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@' to 'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P' to '_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`' to 'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p' to '~'
];
pub(super) const HELVETICA_BOLD_WIDTHS: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' to '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // '0' to '?'
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // '@' to 'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 'P' to '_'
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // '`' to 'o'
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 'p' to '~'
];

pub(super) fn glyph_width(c: char, weight: Weight) -> u32 {
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
