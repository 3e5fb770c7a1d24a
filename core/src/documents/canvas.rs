//! The page being drawn on: text lines, rules, frames and shapes, in millimetres from the
//! bottom left corner (krilla measures in points from the top left).

use std::collections::BTreeSet;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;

pub(super) use super::fonts::Weight;
use super::fonts::{Fonts, ShapedLine};
use super::{MM_PER_PT, PAGE_HEIGHT, PAGE_WIDTH};

/// DejaVu Sans's capital height, as a fraction of the font size.
const CAP_HEIGHT: f32 = 0.73;

pub(super) type Colour = (f32, f32, f32);

/// One line of text to draw: its words, weight, size in points and colour.
pub(super) struct TextLine<'a> {
    pub(super) text: &'a str,
    pub(super) weight: Weight,
    pub(super) size: f32,
    pub(super) colour: Colour,
}

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
    /// From the baseline to the top of a capital letter, in mm.
    pub(super) fn cap_height(&self) -> f32 {
        self.size * CAP_HEIGHT * MM_PER_PT
    }

    /// From one baseline to the next in a paragraph of this size, in mm.
    pub(super) fn leading(&self) -> f32 {
        self.size * 1.25 * MM_PER_PT
    }
}

/// Millimetres to points.
fn pt(mm: f32) -> f32 {
    mm / MM_PER_PT
}

/// A point given in mm from the bottom left, in krilla's points from the top left.
fn at(x: f32, y: f32) -> Point {
    Point::from_xy(pt(x), pt(PAGE_HEIGHT - y))
}

fn paint((r, g, b): Colour) -> rgb::Color {
    let channel = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    rgb::Color::new(channel(r), channel(g), channel(b))
}

fn fill(colour: Colour) -> Fill {
    Fill {
        paint: paint(colour).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn stroke(colour: Colour, width_pt: f32) -> Stroke {
    Stroke {
        paint: paint(colour).into(),
        width: width_pt,
        ..Stroke::default()
    }
}

/// The page being drawn on, its fonts, and the characters no font could show so far.
pub(super) struct Canvas<'s, 'f> {
    pub(super) surface: Surface<'s>,
    pub(super) fonts: &'f Fonts,
    pub(super) missing: BTreeSet<char>,
}

impl Canvas<'_, '_> {
    /// Ends drawing on the page.
    pub(super) fn finish(self) {
        self.surface.finish();
    }

    /// Shapes a line (to measure it or draw it).
    pub(super) fn shape(&self, line: &TextLine) -> ShapedLine<'_> {
        self.fonts.shape(line.text, line.weight)
    }

    /// The width of `line` in mm.
    pub(super) fn width(&self, line: &TextLine) -> f32 {
        self.shape(line).advance() * line.size * MM_PER_PT
    }

    /// Draws `line` with its left end at `x`; `y` is the baseline.
    pub(super) fn text_at(&mut self, line: &TextLine, x: f32, y: f32) {
        let fonts = self.fonts;
        let shaped = fonts.shape(line.text, line.weight);
        self.missing.extend(shaped.missing.iter().copied());
        let mut left = pt(x);
        for run in &shaped.runs {
            self.surface.set_fill(Some(fill(line.colour)));
            // A font without a bold face is made bold by stroking its outline as well.
            let synthetic = line.weight == Weight::Bold && run.face.synthetic_bold;
            self.surface
                .set_stroke(synthetic.then(|| stroke(line.colour, line.size * 0.03)));
            self.surface.draw_glyphs(
                Point::from_xy(left, pt(PAGE_HEIGHT - y)),
                &run.glyphs,
                run.face.font.clone(),
                &run.text,
                line.size,
                false,
            );
            left += run.advance * line.size;
        }
        self.surface.set_stroke(None);
    }

    /// Draws `line` centred on `centre_x`; `y` is the baseline.
    pub(super) fn text_centred(&mut self, line: &TextLine, centre_x: f32, y: f32) {
        let width = self.width(line);
        self.text_at(line, centre_x - width / 2.0, y);
    }

    /// Draws `line` centred on (`centre_x`, `centre_y`), turned by `degrees` anticlockwise.
    pub(super) fn text_turned(&mut self, line: &TextLine, centre_x: f32, centre_y: f32, degrees: f32) {
        let centre = at(centre_x, centre_y);
        let width = self.width(line);
        self.surface
            .push_transform(&Transform::from_rotate_at(-degrees, centre.x, centre.y));
        // Drawn level, centred on the point, then turned about it.
        self.text_at(line, centre_x - width / 2.0, centre_y - line.cap_height() / 2.0);
        self.surface.pop();
    }

    /// A straight rule from (`from_x`, `y`) to (`to_x`, `y`).
    pub(super) fn rule(&mut self, from_x: f32, to_x: f32, y: f32, colour: Colour, thickness_pt: f32) {
        let mut path = PathBuilder::new();
        let (start, end) = (at(from_x, y), at(to_x, y));
        path.move_to(start.x, start.y);
        path.line_to(end.x, end.y);
        self.stroke_path(path, colour, thickness_pt);
    }

    /// A rectangle `inset` mm inside the page's edges.
    pub(super) fn frame(&mut self, inset: f32, colour: Colour, thickness_pt: f32) {
        let mut path = PathBuilder::new();
        if let Some(rect) = Rect::from_ltrb(
            pt(inset),
            pt(inset),
            pt(PAGE_WIDTH - inset),
            pt(PAGE_HEIGHT - inset),
        ) {
            path.push_rect(rect);
        }
        self.stroke_path(path, colour, thickness_pt);
    }

    /// A filled rectangle from (`left`, `bottom`), `width` by `height` mm.
    pub(super) fn block(&mut self, left: f32, bottom: f32, width: f32, height: f32, colour: Colour) {
        let mut path = PathBuilder::new();
        let top_left = at(left, bottom + height);
        if let Some(rect) = Rect::from_xywh(top_left.x, top_left.y, pt(width), pt(height)) {
            path.push_rect(rect);
        }
        self.fill_path(path, colour);
    }

    /// Fills a diamond of half-width `r` centred on (x, y).
    pub(super) fn diamond(&mut self, x: f32, y: f32, r: f32, colour: Colour) {
        let mut path = PathBuilder::new();
        for (index, (px, py)) in [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            .into_iter()
            .enumerate()
        {
            let point = at(px, py);
            if index == 0 {
                path.move_to(point.x, point.y);
            } else {
                path.line_to(point.x, point.y);
            }
        }
        path.close();
        self.fill_path(path, colour);
    }

    /// Fills every square (left, bottom, side) in mm as one path, so that renderers show no
    /// hairline seams between neighbours.
    pub(super) fn squares(&mut self, squares: impl Iterator<Item = (f32, f32, f32)>, colour: Colour) {
        let mut path = PathBuilder::new();
        for (left, bottom, side) in squares {
            let top_left = at(left, bottom + side);
            if let Some(rect) = Rect::from_xywh(top_left.x, top_left.y, pt(side), pt(side)) {
                path.push_rect(rect);
            }
        }
        self.fill_path(path, colour);
    }

    fn fill_path(&mut self, path: PathBuilder, colour: Colour) {
        if let Some(path) = path.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(colour)));
            self.surface.draw_path(&path);
        }
    }

    fn stroke_path(&mut self, path: PathBuilder, colour: Colour, thickness_pt: f32) {
        if let Some(path) = path.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(stroke(colour, thickness_pt)));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }
}
