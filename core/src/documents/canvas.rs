//! The page being drawn on: text lines, rules, frames and shapes.

use printpdf::path::{PaintMode, WindingOrder};
use printpdf::{Color, IndirectFontRef, Mm, PdfLayerReference, Point, Polygon, Rect, Rgb};

use super::metrics::text_width_mm;
use super::{HELVETICA_CAP_HEIGHT, MM_PER_PT, PAGE_HEIGHT, PAGE_WIDTH};

/// The page being drawn on and its two fonts.
pub(super) struct Canvas {
    pub(super) layer: PdfLayerReference,
    pub(super) regular: IndirectFontRef,
    pub(super) bold: IndirectFontRef,
}

#[derive(Clone, Copy)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// One line of text to draw: its words, weight, size in points and colour.
pub(super) struct TextLine<'a> {
    pub(super) text: &'a str,
    pub(super) weight: Weight,
    pub(super) size: f32,
    pub(super) colour: Colour,
}

pub(super) type Colour = (f32, f32, f32);

pub(super) fn regular(text: &str, size: f32, colour: Colour) -> TextLine<'_> {
    TextLine {
        text,
        weight: Weight::Regular,
        size,
        colour,
    }
}

pub(super) fn bold(text: &str, size: f32, colour: Colour) -> TextLine<'_> {
    TextLine {
        text,
        weight: Weight::Bold,
        size,
        colour,
    }
}

impl TextLine<'_> {
    pub(super) fn width(&self) -> f32 {
        text_width_mm(self.text, self.weight, self.size)
    }

    /// From the baseline to the top of a capital letter, in mm.
    pub(super) fn cap_height(&self) -> f32 {
        self.size * HELVETICA_CAP_HEIGHT * MM_PER_PT
    }

    /// From one baseline to the next in a paragraph of this size, in mm.
    pub(super) fn leading(&self) -> f32 {
        self.size * 1.25 * MM_PER_PT
    }
}

impl Canvas {
    pub(super) fn fill(&self, (r, g, b): Colour) {
        self.layer.set_fill_color(Color::Rgb(Rgb::new(r, g, b, None)));
    }

    pub(super) fn stroke(&self, (r, g, b): Colour, thickness_pt: f32) {
        self.layer.set_outline_color(Color::Rgb(Rgb::new(r, g, b, None)));
        self.layer.set_outline_thickness(thickness_pt);
    }

    /// Draws `line` with its left end at `x`; `y` is the baseline.
    pub(super) fn text_at(&self, line: &TextLine, x: f32, y: f32) {
        let font = match line.weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        };
        self.fill(line.colour);
        self.layer.use_text(line.text, line.size, Mm(x), Mm(y), font);
    }

    /// Draws `line` centred on `centre_x`; `y` is the baseline.
    pub(super) fn text_centred(&self, line: &TextLine, centre_x: f32, y: f32) {
        self.text_at(line, centre_x - line.width() / 2.0, y);
    }

    pub(super) fn rule(&self, from_x: f32, to_x: f32, y: f32, colour: Colour, thickness_pt: f32) {
        self.stroke(colour, thickness_pt);
        self.layer.add_line(printpdf::Line {
            points: vec![
                (Point::new(Mm(from_x), Mm(y)), false),
                (Point::new(Mm(to_x), Mm(y)), false),
            ],
            is_closed: false,
        });
    }

    pub(super) fn frame(&self, inset: f32, colour: Colour, thickness_pt: f32) {
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
    pub(super) fn diamond(&self, x: f32, y: f32, r: f32, colour: Colour) {
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
