//! Measuring text in the certificate's fonts, and fitting it into the space it has.

use super::fonts::{Fonts, Weight};
use super::MM_PER_PT;

/// Fits `text` into at most `max_lines` lines no wider than `max_width` mm.
///
/// Prefers one line at the largest size from `max_size` down to `min_size`; then breaks at words
/// into balanced lines; and only then goes below `min_size`, so nothing ever runs off the page.
pub(super) fn fit_lines(
    fonts: &Fonts,
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
            .map(|line| text_width_mm(fonts, line, weight, 1.0))
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

/// The width of `text` in mm at `size` points, as shaped in the certificate's fonts.
pub(super) fn text_width_mm(fonts: &Fonts, text: &str, weight: Weight, size: f32) -> f32 {
    fonts.shape(text, weight).advance() * size * MM_PER_PT
}
