//! Plots on a [`Canvas`]: axes with "nice" ticks and tick labels, axis titles, line series with
//! markers, bars, scatter points, a legend box, and image panels with captions.
//!
//! Every length is given at scale 1 and multiplied by the [`Theme`]'s scale, so a figure at
//! scale 2 is the same figure with twice the pixels (text included). Ticks are "nice": a step
//! of 1, 2 or 5 times a power of ten, about as many as asked for ([`nice_step`]); a log axis
//! has its ticks at 1, 2 and 5 times powers of ten ([`log_ticks`]).

use super::raster::{Canvas, Rgb};
use super::text::{Anchor, Font, Style};

pub const INK: Rgb = [0x22, 0x22, 0x22];
pub const MUTED: Rgb = [0x55, 0x55, 0x55];
pub const FRAME: Rgb = [0x88, 0x88, 0x88];
pub const GRID: Rgb = [0xE4, 0xE4, 0xE4];
pub const WHITE: Rgb = [0xFF, 0xFF, 0xFF];

/// Sizes of a figure at its scale: text sizes, strokes and gaps, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    pub scale: f64,
}

impl Theme {
    pub fn new(scale: f64) -> Self {
        Self { scale }
    }
    /// `v` units at this scale (1 unit = 1 pixel at scale 1).
    pub fn u(&self, v: f64) -> f64 {
        v * self.scale
    }
    /// Body text: captions, legends, axis titles (13 px at scale 1, 26 at scale 2).
    pub fn body(&self) -> f64 {
        self.u(13.0)
    }
    /// Tick labels (12 px at scale 1, 24 at scale 2).
    pub fn small(&self) -> f64 {
        self.u(12.0)
    }
    /// The title line.
    pub fn title(&self) -> f64 {
        self.u(18.0)
    }
    pub fn line_height(&self, size: f64) -> f64 {
        1.3 * size
    }
}

/// The step of about `target` ticks over a range of `range`: 1, 2 or 5 times a power of ten,
/// the smallest such step s with range / s <= target (for target >= 1 and range > 0).
pub fn nice_step(range: f64, target: usize) -> f64 {
    let range = range.abs();
    if !(range > 0.0 && range.is_finite()) {
        return 1.0;
    }
    let raw = range / target.max(1) as f64;
    let p = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        // A little slack so that exact decimal ranges (1.0 / 5 = 0.2) pick their own step.
        if m * p >= raw * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// Ticks at the multiples of [`nice_step`] inside [lo, hi] (ends included, to round-off).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let step = nice_step(hi - lo, target);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // k m 10^e computed as (k m) / 10^-e for negative e: 6 / 10 is 0.6, where 3 * 0.2 is
    // 0.6000000000000001.
    let e = step.log10().floor() as i32;
    let m = (step / 10f64.powi(e)).round();
    (first..=last)
        .map(|k| {
            let km = k as f64 * m;
            let v = if e < 0 {
                km / 10f64.powi(-e)
            } else {
                km * 10f64.powi(e)
            };
            // -0 reads as 0.
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// The ticks of a log axis over [lo, hi] (both positive): 1, 2 and 5 times powers of ten.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if !(lo > 0.0 && hi.is_finite()) {
        return vec![];
    }
    let mut out = Vec::new();
    let mut e = lo.log10().floor() as i32;
    while 10f64.powi(e) <= hi * (1.0 + 1e-9) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
        e += 1;
    }
    out
}

/// A tick value written with the decimals its step needs (step 0.2: "0.4"; step 5: "15").
pub fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step > 0.0 && step.is_finite() {
        (-(step.log10() + 1e-9).floor()).max(0.0) as usize
    } else {
        0
    };
    let s = format!("{v:.decimals$}");
    // "-0.0" and the like read as 0.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    }
}

/// A number for a caption or a tick: `digits` significant digits, without an exponent
/// between 1e-4 and 1e6.
pub fn format_sig(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "n/a".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{:.*e}", digits.saturating_sub(1), v);
    }
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

/// One axis: its data range and whether it is logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisScale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

impl AxisScale {
    pub fn linear(lo: f64, hi: f64) -> Self {
        Self { lo, hi, log: false }
    }
    pub fn log(lo: f64, hi: f64) -> Self {
        Self { lo, hi, log: true }
    }
    /// Where v lies, 0 at lo and 1 at hi.
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// What an axis shows: tick positions with their labels, and a title.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AxisSpec {
    pub ticks: Vec<(f64, String)>,
    pub title: String,
}

impl AxisSpec {
    /// Nice ticks over the scale's range (log ticks on a log axis), labelled to their step.
    pub fn auto(scale: AxisScale, target: usize, title: &str) -> Self {
        let ticks = if scale.log {
            log_ticks(scale.lo, scale.hi)
                .into_iter()
                .map(|v| (v, format_sig(v, 1)))
                .collect()
        } else {
            let step = nice_step(scale.hi - scale.lo, target);
            nice_ticks(scale.lo, scale.hi, target)
                .into_iter()
                .map(|v| (v, tick_label(v, step)))
                .collect()
        };
        Self {
            ticks,
            title: title.to_owned(),
        }
    }
}

/// A plot's frame in pixels and its two scales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axes {
    /// The frame [left, top, right, bottom] in pixels.
    pub frame: [f64; 4],
    pub x: AxisScale,
    pub y: AxisScale,
}

impl Axes {
    /// Axes in `region` [left, top, right, bottom], the frame inset to leave room for the tick
    /// labels and titles of `xs` and `ys`.
    pub fn fit(
        region: [f64; 4],
        x: AxisScale,
        y: AxisScale,
        xs: &AxisSpec,
        ys: &AxisSpec,
        font: &Font,
        th: &Theme,
    ) -> Self {
        let label_w = ys
            .ticks
            .iter()
            .map(|(_, l)| font.width(l, th.small()))
            .fold(0.0, f64::max);
        let mut left = region[0] + label_w + th.u(10.0);
        if !ys.title.is_empty() {
            left += th.line_height(th.body());
        }
        let mut bottom = region[3] - th.line_height(th.small()) - th.u(6.0);
        if !xs.title.is_empty() {
            bottom -= th.line_height(th.body()) + th.u(2.0);
        }
        // Half a tick label's width to the right, so the last label fits.
        let right = region[2]
            - xs.ticks
                .last()
                .map_or(0.0, |(_, l)| font.width(l, th.small()) / 2.0)
                .max(th.u(4.0));
        let top = region[1] + th.small() / 2.0;
        Self {
            frame: [left, top, right, bottom],
            x,
            y,
        }
    }

    /// Pixel position of the data point (x, y).
    pub fn px(&self, x: f64, y: f64) -> (f64, f64) {
        let [l, t, r, b] = self.frame;
        (l + self.x.frac(x) * (r - l), b - self.y.frac(y) * (b - t))
    }

    /// Draws the grid, the frame, the ticks with their labels and the axis titles.
    pub fn draw(&self, c: &mut Canvas, font: &Font, th: &Theme, xs: &AxisSpec, ys: &AxisSpec) {
        let [l, t, r, b] = self.frame;
        let lw = th.u(1.0);
        let tick = th.u(5.0);
        let small = Style::new(th.small(), INK);
        for (v, label) in &xs.ticks {
            let x = self.px(*v, self.y.lo).0;
            if !(l - 0.5..=r + 0.5).contains(&x) {
                continue;
            }
            c.line((x, t), (x, b), lw, GRID, 1.0);
            c.line((x, b), (x, b + tick), lw, FRAME, 1.0);
            let base = b + tick + th.u(2.0) + font.ascent(th.small());
            font.draw(c, label, x, base, small.centred());
        }
        let mut label_w: f64 = 0.0;
        for (v, label) in &ys.ticks {
            let y = self.px(self.x.lo, *v).1;
            if !(t - 0.5..=b + 0.5).contains(&y) {
                continue;
            }
            c.line((l, y), (r, y), lw, GRID, 1.0);
            c.line((l - tick, y), (l, y), lw, FRAME, 1.0);
            // Digits are centred on the tick: their height is about 0.73 em.
            let base = y + 0.36 * th.small();
            let bx = font.draw(c, label, l - tick - th.u(3.0), base, small.right());
            label_w = label_w.max(bx[2] - bx[0]);
        }
        c.rect(l, t, r, b, FRAME);
        let body = Style::new(th.body(), INK);
        if !xs.title.is_empty() {
            let base = b
                + tick
                + th.u(2.0)
                + th.line_height(th.small())
                + th.u(2.0)
                + font.ascent(th.body());
            font.draw(c, &xs.title, (l + r) / 2.0, base, body.centred());
        }
        if !ys.title.is_empty() {
            let x = l - tick - th.u(6.0) - label_w - font.descent(th.body());
            font.draw(c, &ys.title, x, (t + b) / 2.0, body.centred().rotated());
        }
    }

    /// A polyline through the data points (skipping non-finite ones), clipped to the frame's
    /// neighbourhood by the canvas.
    pub fn line(&self, c: &mut Canvas, pts: &[(f64, f64)], colour: Rgb, width: f64) {
        let px: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| self.px(x, y))
            .collect();
        for w in px.windows(2) {
            c.line(w[0], w[1], width, colour, 1.0);
        }
    }

    /// Markers at the data points: discs of radius `r` with a white rim.
    pub fn markers(&self, c: &mut Canvas, pts: &[(f64, f64)], colour: Rgb, r: f64) {
        for &(x, y) in pts {
            let p = self.px(x, y);
            c.disc(p, r + r * 0.35, WHITE, 1.0);
            c.disc(p, r, colour, 1.0);
        }
    }

    /// A bar from the x axis's baseline (y = lo) up to `value`, centred at pixel column `cx`.
    pub fn bar(&self, c: &mut Canvas, cx: f64, width: f64, value: f64, colour: Rgb) {
        let base = self.frame[3];
        let top = self
            .px(self.x.lo, value.max(self.y.lo))
            .1
            .max(self.frame[1]);
        c.fill_rect(cx - width / 2.0, top, cx + width / 2.0, base, colour, 1.0);
    }
}

/// What a legend entry's key looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Key {
    /// A line with a marker on it.
    Line(Rgb),
    /// A plain line (a curve or a level).
    Stroke(Rgb),
    /// A filled disc (a point), with an optional ring colour.
    Disc(Rgb, Option<Rgb>),
    /// A filled square (a bar or a region).
    Square(Rgb),
}

/// Draws a legend box with its top-left corner at (x, y): a key and a label per line. Returns
/// its box [x0, y0, x1, y1].
pub fn legend(
    c: &mut Canvas,
    font: &Font,
    th: &Theme,
    x: f64,
    y: f64,
    items: &[(Key, &str)],
) -> [f64; 4] {
    let [w, h] = legend_size(font, th, items);
    let pad = th.u(8.0);
    c.fill_rect(x, y, x + w, y + h, WHITE, 0.92);
    c.rect(x, y, x + w, y + h, FRAME);
    let lh = th.line_height(th.body());
    let key_w = th.u(22.0);
    for (i, (key, label)) in items.iter().enumerate() {
        let mid = y + pad + (i as f64 + 0.5) * lh;
        let kx = x + pad;
        match *key {
            Key::Line(col) => {
                c.line((kx, mid), (kx + key_w, mid), th.u(2.0), col, 1.0);
                c.disc((kx + key_w / 2.0, mid), th.u(3.5), col, 1.0);
            }
            Key::Stroke(col) => {
                c.line((kx, mid), (kx + key_w, mid), th.u(2.5), col, 1.0);
            }
            Key::Disc(col, ring) => {
                if let Some(rc) = ring {
                    c.disc((kx + key_w / 2.0, mid), th.u(6.0), rc, 1.0);
                }
                c.disc((kx + key_w / 2.0, mid), th.u(4.5), col, 1.0);
            }
            Key::Square(col) => {
                let s = th.u(6.0);
                let cx = kx + key_w / 2.0;
                c.fill_rect(cx - s, mid - s, cx + s, mid + s, col, 1.0);
            }
        }
        let base = mid + 0.36 * th.body();
        font.draw(
            c,
            label,
            kx + key_w + th.u(8.0),
            base,
            Style::new(th.body(), INK),
        );
    }
    [x, y, x + w, y + h]
}

/// The width and height a legend of these items takes.
pub fn legend_size(font: &Font, th: &Theme, items: &[(Key, &str)]) -> [f64; 2] {
    let pad = th.u(8.0);
    let text_w = items
        .iter()
        .map(|(_, l)| font.width(l, th.body()))
        .fold(0.0, f64::max);
    [
        pad + th.u(22.0) + th.u(8.0) + text_w + pad,
        2.0 * pad + items.len() as f64 * th.line_height(th.body()),
    ]
}

/// Splits `text` at spaces into lines no wider than `width` (a longer word stays whole).
pub fn wrap(font: &Font, text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let next = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && font.width(&next, size) > width {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = next;
        }
    }
    lines.push(line);
    lines
}

/// Draws lines of text centred on `cx` from the baseline `y` down; returns the y below them.
pub fn text_lines(
    c: &mut Canvas,
    font: &Font,
    lines: &[String],
    cx: f64,
    y: f64,
    style: Style,
) -> f64 {
    let lh = 1.3 * style.size;
    for (i, l) in lines.iter().enumerate() {
        font.draw(c, l, cx, y + i as f64 * lh, style);
    }
    y + lines.len() as f64 * lh
}

/// An image panel: RGBA pixels (`src_w` x `src_h`) enlarged by nearest neighbour to `w`
/// pixels wide at (x, y), a thin frame, a heading above (if any) and caption lines below,
/// centred and wrapped to the panel's width. Returns the y below the captions.
#[allow(clippy::too_many_arguments)]
pub fn image_panel(
    c: &mut Canvas,
    font: &Font,
    th: &Theme,
    rgba: &[u8],
    (src_w, src_h): (usize, usize),
    (x, y): (f64, f64),
    w: f64,
    heading: &str,
    captions: &[String],
) -> f64 {
    let h = w * src_h as f64 / src_w.max(1) as f64;
    let mut top = y;
    let cx = x + w / 2.0;
    if !heading.is_empty() {
        let style = Style::new(th.body(), INK).centred();
        let lines = wrap(font, heading, th.body(), w + th.u(16.0));
        top = text_lines(c, font, &lines, cx, y + font.ascent(th.body()), style) - th.body() * 0.3
            + th.u(4.0);
    }
    let (x0, y0) = (x.round(), top.round());
    c.draw_image_rect(
        rgba,
        src_w,
        src_h,
        x0 as usize,
        y0 as usize,
        w.round() as usize,
        h.round() as usize,
    );
    c.rect(
        x0 - 0.5,
        y0 - 0.5,
        x0 + w.round() + 0.5,
        y0 + h.round() + 0.5,
        FRAME,
    );
    let mut yb = y0 + h.round() + th.u(6.0) + font.ascent(th.body());
    let style = Style::new(th.body(), MUTED).anchor(Anchor::Centre);
    for cap in captions {
        let lines = wrap(font, cap, th.body(), w + th.u(16.0));
        yb = text_lines(c, font, &lines, cx, yb, style);
    }
    yb - font.ascent(th.body())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const FONT: &[u8] = include_bytes!("../../www/fonts/DejaVuSans.ttf");

    #[test]
    fn nice_steps_are_one_two_five_times_powers_of_ten() {
        // range / target = 2, 0.2, 1.4 (-> 2), 0.35 (-> 0.5), 6e-4 (-> 1e-3), 30 (-> 50).
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(1.0, 5), 0.2);
        assert_eq!(nice_step(7.0, 5), 2.0);
        assert!((nice_step(1.75, 5) - 0.5).abs() < 1e-15);
        assert!((nice_step(3e-3, 5) - 1e-3).abs() < 1e-18);
        assert_eq!(nice_step(150.0, 5), 50.0);
        assert_eq!(nice_step(0.0, 5), 1.0);
        // In closed form: for every range, the step is the smallest m 10^k >= range / target.
        for i in 1..200 {
            let range = 0.013 * i as f64 * 1.7f64.powi(i % 9);
            let s = nice_step(range, 6);
            let k = s.log10().floor();
            let m = (s / 10f64.powf(k)).round();
            assert!([1.0, 2.0, 5.0].contains(&m), "{range}: {s}");
            assert!(s >= range / 6.0 * (1.0 - 1e-9), "{range}: {s}");
            // The next smaller nice step would give too many ticks.
            let smaller = if m == 1.0 {
                0.5
            } else if m == 2.0 {
                1.0
            } else {
                2.0
            } * 10f64.powf(k);
            assert!(smaller < range / 6.0, "{range}: {s}");
        }
    }

    #[test]
    fn nice_ticks_cover_the_range_at_multiples_of_the_step() {
        assert_eq!(nice_ticks(0.13, 0.97, 5), vec![0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_ticks(-1.0, 1.0, 4), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(1.0, 0.0, 5).len(), 6);
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(0.1, 0.05), "0.10");
        assert_eq!(tick_label(15.0, 5.0), "15");
        assert_eq!(tick_label(-0.0, 0.5), "0.0");
        assert_eq!(tick_label(-1e-17, 1.0), "0");
        let lt = log_ticks(0.015, 0.3);
        let expected = [0.02, 0.05, 0.1, 0.2];
        assert_eq!(lt.len(), 4);
        for (a, b) in lt.iter().zip(expected) {
            assert!((a / b - 1.0).abs() < 1e-12, "{lt:?}");
        }
        assert_eq!(format_sig(0.12345, 3), "0.123");
        assert_eq!(format_sig(31.6, 2), "32");
        assert_eq!(format_sig(2.5e-7, 2), "2.5e-7");
    }

    #[test]
    fn axes_map_data_to_the_frame() {
        let a = Axes {
            frame: [10.0, 20.0, 110.0, 220.0],
            x: AxisScale::linear(-1.0, 1.0),
            y: AxisScale::log(0.01, 1.0),
        };
        assert_eq!(a.px(-1.0, 0.01), (10.0, 220.0));
        assert_eq!(a.px(1.0, 1.0), (110.0, 20.0));
        let (x, y) = a.px(0.0, 0.1);
        assert!((x - 60.0).abs() < 1e-12 && (y - 120.0).abs() < 1e-9);
    }

    /// A drawn plot keeps its ink inside the region it was fitted to.
    #[test]
    fn fitted_axes_stay_inside_their_region() {
        let font = Font::new(FONT).unwrap();
        let th = Theme::new(2.0);
        let mut c = Canvas::new(700, 500, WHITE);
        let region = [50.0, 40.0, 650.0, 460.0];
        let (x, y) = (AxisScale::linear(0.0, 3.0), AxisScale::linear(0.0, 0.9));
        let xs = AxisSpec::auto(x, 6, "pixels d");
        let ys = AxisSpec::auto(y, 5, "fooling rate (%)");
        let a = Axes::fit(region, x, y, &xs, &ys, &font, &th);
        a.draw(&mut c, &font, &th, &xs, &ys);
        a.line(
            &mut c,
            &[(0.0, 0.1), (1.5, 0.8), (3.0, 0.2)],
            [200, 0, 0],
            3.0,
        );
        let mut inked = 0;
        for py in 0..c.height {
            for px in 0..c.width {
                let i = 4 * (py * c.width + px);
                if c.rgba[i..i + 3] != WHITE {
                    inked += 1;
                    let (fx, fy) = (px as f64, py as f64);
                    assert!(
                        fx >= region[0] - 1.0
                            && fx <= region[2] + 1.0
                            && fy >= region[1] - 1.0
                            && fy <= region[3] + 1.0,
                        "ink at ({px}, {py})"
                    );
                }
            }
        }
        assert!(inked > 2000);
    }

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let font = Font::new(FONT).unwrap();
        let text = "the smallest flipping FGSM step against the number of pixels";
        let lines = wrap(&font, text, 20.0, 200.0);
        assert!(lines.len() >= 3);
        assert_eq!(lines.join(" "), text);
        for l in &lines {
            assert!(font.width(l, 20.0) <= 200.0, "{l}");
        }
    }
}
