//! Posters: every demo's default figure as one still image, for printed handouts and for
//! slides where WebAssembly is unavailable, with its numbers ([`Numbers`]) for export. The
//! command line (`barriers-lab figures`) and the pages (each demo's `poster_png`,
//! `numbers_json` and `numbers_csv` in WebAssembly) call the same functions on the same
//! computed state, so both give the same image and the same numbers.
//!
//! Each demo's module has `poster(state, font, scale) -> Canvas` and `numbers(state) ->
//! Numbers`:
//! - [`toy`]: the decision map in data coordinates, the training points, DeepFool's path and
//!   the FGSM point (Moosavi-Dezfooli et al. 2016; Goodfellow et al. 2015).
//! - [`attacks`]: the digit, the perturbation and the perturbed digit with their predicted
//!   classes, and every attack's size on that digit (Moosavi-Dezfooli et al. 2016).
//! - [`universal`]: the universal perturbation, test digits without and with it, and its
//!   fooling rates against random noise of the same size (Moosavi-Dezfooli et al. 2017).
//! - [`dimension`]: the smallest flipping step against the number of pixels, and the score
//!   change a step can make against the margin (Goodfellow et al. 2015).
//! - [`mri`]: the image, the sampling pattern and every reconstruction with PSNR and SSIM
//!   (Colbrook, Antun, Hansen 2022).
//! - [`unstable`]: the figure of the page's view: the instability test (the clean and
//!   perturbed inputs and reconstructions and the amplification found; Antun et al. 2020),
//!   kernel awareness (Gottschling, Antun, Adcock, Hansen, arXiv:2001.01258), the structural
//!   change, more samples, or the trade-off plot (Antun, Colbrook, Hansen 2022).
//! - [`inexact`]: the barrier of inexact input (Colbrook, Antun, Hansen, PNAS 2022).
//! - [`kernel1d`]: the troublesome kernel in 1-D: the signals, the trade-off traced as the
//!   networks train with and without kernel-aware pairs, and the amplification against delta
//!   beside the bound (Gottschling, Antun, Adcock, Hansen, SIAM Review 2025).
//! - [`stripes`]: false structures: the stripe images, their false twins, DeepFool's
//!   perturbation and the accuracies (Thesing, Antun, Hansen, arXiv:1906.01478).
//!
//! - [`figures`]: the toy command's `--out` figures (the decision map, the training curves).
//!
//! Posters sit above the demos (they draw a demo's computed state) and below the binding and
//! the command line; [`crate::render`] below them knows nothing of the demos.
//!
//! Layouts are given at scale 1 (one unit, one pixel) and multiplied by the scale: at scale 2,
//! the posters' and exports' scale, body text is 26 px and tick labels 24 px.

pub mod attacks;
pub mod dimension;
pub mod figures;
pub mod inexact;
pub mod kernel1d;
pub mod mri;
pub mod stripes;
pub mod toy;
pub mod universal;
pub mod unstable;

use crate::render::plot::{self, Theme, FRAME, INK, MUTED, WHITE};
use crate::render::raster::Canvas;
use crate::render::text::{Font, Style};

/// An image panel: its RGBA pixels, heading and caption lines.
pub type Panel = (Vec<u8>, String, Vec<String>);

/// The scales a poster can be drawn at.
pub const MIN_SCALE: f64 = 0.5;
pub const MAX_SCALE: f64 = 6.0;

/// A poster being drawn: its canvas (tall enough, cropped at the end), the font and theme.
pub struct Poster<'f> {
    pub c: Canvas,
    pub font: Font<'f>,
    pub th: Theme,
    /// The width at scale 1.
    pub width: f64,
    /// Outer margin at scale 1.
    pub margin: f64,
}

impl<'f> Poster<'f> {
    /// A plot in `region` with its legend `items` across the top: the axes fitted into the
    /// rest (8 units below the legend) and drawn, the legend at the frame's left. Returns the
    /// axes, to draw the data on.
    pub fn axes_under_legend(
        &mut self,
        region: [f64; 4],
        (x, y): (plot::AxisScale, plot::AxisScale),
        (xspec, yspec): (&plot::AxisSpec, &plot::AxisSpec),
        items: &[(plot::Key, &str)],
    ) -> plot::Axes {
        let th = self.th;
        let lsize = plot::legend_size(&self.font, &th, items);
        let inner = [
            region[0],
            region[1] + lsize[1] + th.u(8.0),
            region[2],
            region[3],
        ];
        let axes = plot::Axes::fit(inner, x, y, xspec, yspec, &self.font, &th);
        axes.draw(&mut self.c, &self.font, &th, xspec, yspec);
        plot::legend(
            &mut self.c,
            &self.font,
            &th,
            axes.frame[0],
            region[1],
            items,
        );
        axes
    }

    /// Draws a row of image panels (each `n` x `n` pixels shown `w` wide, `gap` apart) from
    /// the content's left edge at height `y`; returns the y below the lowest caption.
    pub fn panel_row<H: AsRef<str>>(
        &mut self,
        panels: &[(Vec<u8>, H, Vec<String>)],
        n: usize,
        y: f64,
        w: f64,
        gap: f64,
    ) -> f64 {
        let (l, _) = self.content();
        let th = self.th;
        let mut bottom: f64 = y;
        for (i, (rgba, head, caps)) in panels.iter().enumerate() {
            let x = l + i as f64 * (w + gap);
            let yb = plot::image_panel(
                &mut self.c,
                &self.font,
                &th,
                rgba,
                (n, n),
                (x, y),
                w,
                head.as_ref(),
                caps,
            );
            bottom = bottom.max(yb);
        }
        bottom
    }

    /// A poster `width` units wide with room for `max_height` units (cropped by
    /// [`Poster::finish`]), at `scale` (from [`MIN_SCALE`] to [`MAX_SCALE`]).
    pub fn new(font: &'f [u8], scale: f64, width: f64, max_height: f64) -> Result<Self, String> {
        if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
            return Err(format!(
                "the scale must be from {MIN_SCALE} to {MAX_SCALE}, got {scale}"
            ));
        }
        let font = Font::new(font)?;
        let th = Theme::new(scale);
        let c = Canvas::new(
            th.u(width).round() as usize,
            th.u(max_height).round() as usize,
            WHITE,
        );
        Ok(Self {
            c,
            font,
            th,
            width,
            margin: 24.0,
        })
    }

    /// `v` units in pixels.
    pub fn u(&self, v: f64) -> f64 {
        self.th.u(v)
    }

    /// The left and right edges of the content, in pixels.
    pub fn content(&self) -> (f64, f64) {
        (self.u(self.margin), self.u(self.width - self.margin))
    }

    /// The title line (the demo, and the paper it follows) and a subtitle wrapped to the
    /// width; returns the y (pixels) below them.
    pub fn header(&mut self, title: &str, paper: &str, subtitle: &str) -> f64 {
        let (l, r) = self.content();
        let mut y = self.u(self.margin) + self.font.ascent(self.th.title());
        let head = Style::new(self.th.title(), INK);
        let b = self.font.draw(&mut self.c, title, l, y, head);
        let body = self.th.body();
        let paper_w = self.font.width(paper, body);
        if b[2] + self.u(16.0) + paper_w <= r {
            self.font
                .draw(&mut self.c, paper, r, y, Style::new(body, MUTED).right());
        } else {
            y += self.th.line_height(body);
            self.font
                .draw(&mut self.c, paper, l, y, Style::new(body, MUTED));
        }
        y += self.font.descent(self.th.title()) + self.u(8.0);
        self.c.line((l, y), (r, y), self.u(1.0), FRAME, 1.0);
        y += self.u(8.0);
        if !subtitle.is_empty() {
            let lines = plot::wrap(&self.font, subtitle, body, r - l);
            let style = Style::new(body, INK);
            for line in &lines {
                y += self.th.line_height(body);
                self.font.draw(&mut self.c, line, l, y - 0.3 * body, style);
            }
            y += self.u(8.0);
        }
        y
    }

    /// Lines of body text from the baseline-free top `y` (pixels), wrapped; returns the y
    /// below them.
    pub fn paragraph(&mut self, text: &str, y: f64, colour: [u8; 3]) -> f64 {
        let (l, r) = self.content();
        let body = self.th.body();
        let mut y = y;
        for line in plot::wrap(&self.font, text, body, r - l) {
            y += self.th.line_height(body);
            self.font.draw(
                &mut self.c,
                &line,
                l,
                y - 0.3 * body,
                Style::new(body, colour),
            );
        }
        y
    }

    /// The state's link under the figure (wrapped at '&'), then crops the canvas below it.
    pub fn finish(mut self, link: &str, y: f64) -> Canvas {
        let (l, r) = self.content();
        let small = self.th.small();
        let mut y = y + self.u(10.0);
        self.c.line((l, y), (r, y), self.u(1.0), FRAME, 1.0);
        y += self.u(4.0);
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::from("State (page link #): ");
        for (i, part) in link.split('&').enumerate() {
            let piece = if i == 0 {
                part.to_owned()
            } else {
                format!("&{part}")
            };
            if self.font.width(&(line.clone() + &piece), small) > r - l && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line += &piece;
        }
        lines.push(line);
        for l2 in lines {
            y += self.th.line_height(small);
            self.font.draw(
                &mut self.c,
                &l2,
                l,
                y - 0.3 * small,
                Style::new(small, MUTED),
            );
        }
        let h = ((y + self.u(self.margin * 0.6)).ceil() as usize).min(self.c.height);
        self.c.rgba.truncate(4 * self.c.width * h);
        self.c.height = h;
        self.c
    }
}

/// A text table at (x, y) (pixels, y the top): a header row in the muted colour, a rule, then
/// the rows; each column `(heading, width in units)`, the first left-aligned and the others
/// right-aligned. Returns the y below it.
pub fn table(p: &mut Poster, x: f64, y: f64, columns: &[(&str, f64)], rows: &[Vec<String>]) -> f64 {
    let th = p.th;
    let body = th.body();
    let lh = th.line_height(body);
    let mut edges = vec![x];
    for (_, w) in columns {
        edges.push(edges.last().copied().unwrap_or(x) + th.u(*w));
    }
    let right = *edges.last().unwrap_or(&x);
    let cell = |p: &mut Poster, k: usize, text: &str, base: f64, colour| {
        let style = Style::new(body, colour);
        if k == 0 {
            p.font.draw(&mut p.c, text, edges[0], base, style);
        } else {
            p.font.draw(
                &mut p.c,
                text,
                edges[k + 1] - th.u(4.0),
                base,
                style.right(),
            );
        }
    };
    let mut base = y + lh - 0.3 * body;
    for (k, (head, _)) in columns.iter().enumerate() {
        cell(p, k, head, base, MUTED);
    }
    let rule = y + lh + th.u(3.0);
    p.c.line((x, rule), (right, rule), th.u(1.0), FRAME, 1.0);
    base = rule + th.u(3.0);
    for row in rows {
        base += lh;
        for (k, text) in row.iter().enumerate().take(columns.len()) {
            cell(p, k, text, base - 0.3 * body, INK);
        }
    }
    base + th.u(4.0)
}

/// A poster's PNG bytes.
pub fn png(c: &Canvas) -> Result<Vec<u8>, String> {
    c.to_png()
}

/// A percentage with one decimal, as the pages write them.
pub fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1} %", 100.0 * v)
    } else {
        "n/a".into()
    }
}

#[cfg(test)]
pub(crate) mod test_font {
    /// The posters' font, read from the repository by the tests.
    pub const FONT: &[u8] = include_bytes!("../../www/fonts/DejaVuSans.ttf");

    /// How many distinct colours a canvas uses (a blank one has 1).
    pub fn colours(c: &crate::render::raster::Canvas) -> usize {
        let mut set: Vec<[u8; 3]> = c.rgba.chunks(4).map(|p| [p[0], p[1], p[2]]).collect();
        set.sort_unstable();
        set.dedup();
        set.len()
    }
}

#[cfg(test)]
mod tests {
    use super::test_font::*;
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn scale_out_of_range_is_refused_and_sizes_follow_the_scale() {
        assert!(Poster::new(FONT, 0.1, 800.0, 600.0).is_err());
        assert!(Poster::new(FONT, f64::NAN, 800.0, 600.0).is_err());
        assert!(Poster::new(b"no font", 2.0, 800.0, 600.0).is_err());
        let mut p = Poster::new(FONT, 2.0, 800.0, 600.0).unwrap();
        let y = p.header("Title", "Someone et al. 2020", "A subtitle.");
        let c = p.finish("a=1&b=2", y);
        assert_eq!(c.width, 1600);
        assert!(c.height < 1200 && c.height > 100, "{}", c.height);
        assert!(colours(&c) > 20);
    }
}
