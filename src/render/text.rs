//! Anti-aliased text on a [`Canvas`], from a TrueType font's outlines (rasterised by
//! `ab_glyph`).
//!
//! The library embeds no font: the caller hands over the font file's bytes (the command line
//! embeds `www/fonts/DejaVuSans.ttf`; a page fetches it), so the WebAssembly module stays
//! small. Sizes are em sizes in pixels, as CSS's `font-size`. A text is placed by one point on
//! its baseline, which is its left end, centre or right end ([`Anchor`]); a rotated text reads
//! from bottom to top (turned 90 degrees counter-clockwise, as a y-axis title), its baseline
//! then a vertical line at x with the glyphs to its left.

use super::raster::{Canvas, Rgb};
use ab_glyph::{point, Font as _, FontRef, PxScale, ScaleFont as _};

/// Which point of the text the given position is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Left,
    Centre,
    Right,
}

/// How a text is drawn: em size in pixels, colour, anchoring and orientation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub size: f64,
    pub colour: Rgb,
    pub anchor: Anchor,
    /// Turned 90 degrees counter-clockwise (reading upwards).
    pub rotated: bool,
}

impl Style {
    pub fn new(size: f64, colour: Rgb) -> Self {
        Self {
            size,
            colour,
            anchor: Anchor::Left,
            rotated: false,
        }
    }
    pub fn anchor(self, anchor: Anchor) -> Self {
        Self { anchor, ..self }
    }
    pub fn centred(self) -> Self {
        self.anchor(Anchor::Centre)
    }
    pub fn right(self) -> Self {
        self.anchor(Anchor::Right)
    }
    pub fn rotated(self) -> Self {
        Self {
            rotated: true,
            ..self
        }
    }
}

/// A font read from the bytes of a TrueType or OpenType file.
pub struct Font<'a> {
    inner: FontRef<'a>,
}

impl<'a> Font<'a> {
    pub fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let inner = FontRef::try_from_slice(bytes)
            .map_err(|e| format!("the font file cannot be read ({e})"))?;
        Ok(Self { inner })
    }

    /// ab_glyph scales by the height ascent - descent; this is the scale whose em is `size`.
    fn scale(&self, size: f64) -> PxScale {
        let em = self.inner.units_per_em().unwrap_or(1000.0);
        PxScale::from((size as f32) * self.inner.height_unscaled() / em)
    }

    /// How far above the baseline the font's tallest glyphs reach at `size`.
    pub fn ascent(&self, size: f64) -> f64 {
        self.inner.as_scaled(self.scale(size)).ascent() as f64
    }

    /// How far below the baseline its deepest glyphs reach (positive).
    pub fn descent(&self, size: f64) -> f64 {
        -self.inner.as_scaled(self.scale(size)).descent() as f64
    }

    /// The advance width of `text` at `size`: the sum of its glyphs' advances and kerning.
    pub fn width(&self, text: &str, size: f64) -> f64 {
        self.layout(text, size).1
    }

    /// Each glyph's pen position along the baseline (from 0), and the total advance.
    fn layout(&self, text: &str, size: f64) -> (Vec<(ab_glyph::GlyphId, f32)>, f64) {
        let scaled = self.inner.as_scaled(self.scale(size));
        let mut pen = 0.0f32;
        let mut prev = None;
        let mut out = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            out.push((id, pen));
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        (out, pen as f64)
    }

    /// Draws `text` with its anchor point at (x, y) on the baseline. Returns the box it was
    /// measured to occupy, [x0, y0, x1, y1]: its advance width along the baseline by the font's
    /// ascent and descent across it (the ink stays within a pixel of this box).
    pub fn draw(&self, c: &mut Canvas, text: &str, x: f64, y: f64, style: Style) -> [f64; 4] {
        let (glyphs, width) = self.layout(text, style.size);
        let start = match style.anchor {
            Anchor::Left => 0.0,
            Anchor::Centre => -width / 2.0,
            Anchor::Right => -width,
        };
        let (asc, desc) = (self.ascent(style.size), self.descent(style.size));
        let scale = self.scale(style.size);
        if !(x.is_finite() && y.is_finite()) {
            return [x, y, x, y];
        }
        // Horizontal text is placed at sub-pixel positions; rotated text on whole pixels.
        let (ox, oy) = if style.rotated {
            (x.round(), y.round())
        } else {
            (x, y)
        };
        for (id, pen) in glyphs {
            let u = (start as f32) + pen;
            let glyph = if style.rotated {
                id.with_scale_and_position(scale, point(u, 0.0))
            } else {
                id.with_scale_and_position(scale, point(ox as f32 + u, oy as f32))
            };
            let Some(outline) = self.inner.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            let (bx, by) = (b.min.x as i64, b.min.y as i64);
            outline.draw(|gx, gy, cov| {
                let (lx, ly) = (bx + gx as i64, by + gy as i64);
                // Rotated: local (u right, v down) goes to canvas (x + v, y - u).
                let (px, py) = if style.rotated {
                    (ox as i64 + ly, oy as i64 - lx - 1)
                } else {
                    (lx, ly)
                };
                if px >= 0 && py >= 0 {
                    c.blend(px as usize, py as usize, style.colour, cov as f64);
                }
            });
        }
        if style.rotated {
            [ox - asc, oy - start - width, ox + desc, oy - start]
        } else {
            [ox + start, oy - asc, ox + start + width, oy + desc]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The font the posters use (the tests read it from the repository).
    const FONT: &[u8] = include_bytes!("../../www/fonts/DejaVuSans.ttf");

    /// Pixels that differ from the white background, as (x, y).
    fn inked(c: &Canvas) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for y in 0..c.height {
            for x in 0..c.width {
                let i = 4 * (y * c.width + x);
                if c.rgba[i..i + 3] != [255, 255, 255] {
                    out.push((x, y));
                }
            }
        }
        out
    }

    fn check_inside(c: &Canvas, b: [f64; 4]) -> usize {
        let ink = inked(c);
        for &(x, y) in &ink {
            let (xf, yf) = (x as f64 + 0.5, y as f64 + 0.5);
            assert!(
                xf > b[0] - 1.0 && xf < b[2] + 1.0 && yf > b[1] - 1.0 && yf < b[3] + 1.0,
                "pixel ({x}, {y}) outside the box {b:?}"
            );
        }
        ink.len()
    }

    #[test]
    fn text_inks_inside_its_measured_box_only() {
        let font = Font::new(FONT).unwrap();
        for anchor in [Anchor::Left, Anchor::Centre, Anchor::Right] {
            let mut c = Canvas::new(300, 80, [255, 255, 255]);
            let style = Style::new(24.0, [0, 0, 0]).anchor(anchor);
            let b = font.draw(&mut c, "Ag|jy ||r||₂ ε*", 150.3, 50.0, style);
            let n = check_inside(&c, b);
            // A good part of the box is inked, and the box's width is the measured width.
            assert!(n > 300, "{n} pixels inked");
            assert!((b[2] - b[0] - font.width("Ag|jy ||r||₂ ε*", 24.0)).abs() < 1e-9);
            let expected_x0 = match anchor {
                Anchor::Left => 150.3,
                Anchor::Centre => 150.3 - (b[2] - b[0]) / 2.0,
                Anchor::Right => 150.3 - (b[2] - b[0]),
            };
            assert!((b[0] - expected_x0).abs() < 1e-9, "{anchor:?}: {b:?}");
        }
    }

    #[test]
    fn rotated_text_reads_upwards_inside_its_box() {
        let font = Font::new(FONT).unwrap();
        let mut c = Canvas::new(80, 300, [255, 255, 255]);
        let style = Style::new(24.0, [0, 0, 0]).centred().rotated();
        let b = font.draw(&mut c, "accuracy (%)", 50.0, 150.0, style);
        assert!(check_inside(&c, b) > 300);
        // Tall and narrow, centred on y = 150, the glyphs left of the baseline x = 50.
        assert!(b[3] - b[1] > 3.0 * (b[2] - b[0]), "{b:?}");
        assert!(((b[1] + b[3]) / 2.0 - 150.0).abs() < 1e-9);
        assert!(b[0] < 50.0 && b[2] > 50.0 && 50.0 - b[0] > b[2] - 50.0);
        // The text starts at the bottom: its first letter 'a' is ink in the lower part.
        let ink = inked(&c);
        let lowest = ink.iter().map(|p| p.1).max().unwrap();
        assert!(lowest as f64 > 150.0 + (b[3] - b[1]) / 2.0 - 3.0);
    }

    #[test]
    fn width_adds_up_and_scales_with_size() {
        let font = Font::new(FONT).unwrap();
        let w12 = font.width("DeepFool", 12.0);
        let w24 = font.width("DeepFool", 24.0);
        assert!(w12 > 30.0 && w12 < 70.0, "{w12}");
        assert!((w24 - 2.0 * w12).abs() < 1e-3, "{w12} {w24}");
        assert_eq!(font.width("", 24.0), 0.0);
        // Without kerning pairs, a word is the sum of its letters.
        let sum = font.width("1", 20.0) + font.width("2", 20.0);
        assert!((font.width("12", 20.0) - sum).abs() < 0.5);
        // The em is the size: DejaVu's ascent is 0.928 em, its descent 0.236 em.
        assert!(
            (font.ascent(100.0) - 92.8).abs() < 0.5,
            "{}",
            font.ascent(100.0)
        );
        assert!(
            (font.descent(100.0) - 23.6).abs() < 0.5,
            "{}",
            font.descent(100.0)
        );
    }

    #[test]
    fn bad_font_bytes_are_an_error() {
        assert!(Font::new(b"not a font").is_err());
    }
}
