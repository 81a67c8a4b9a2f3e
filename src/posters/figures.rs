//! The command line's figures, drawn from the same pixels and geometry the page shows.

use crate::demos::toy::ToyLab;
use crate::nn::train::EpochStats;
use crate::render::raster::{Canvas, Rgb};
use crate::render::{class_colour, PixelGrid};

const INK: Rgb = [0x22, 0x22, 0x22];
const WHITE: Rgb = [0xFF, 0xFF, 0xFF];
const FGSM: Rgb = [0xC0, 0x1C, 0x8B];

/// The toy demo's main figure, `size` pixels square: the decision map and its boundary, the
/// training points, and, if the state has a point, DeepFool's path (black, with each step's
/// linearised boundary in grey and the final point as a white disc) and the FGSM point
/// (magenta).
pub fn toy_figure(lab: &ToyLab, size: usize) -> Canvas {
    let map = lab.decision_map(size);
    let grid: PixelGrid = map.grid;
    let mut c = Canvas::new(size, size, WHITE);
    c.draw_image(&map.rgba, size, 0, 0, size);
    let px = |x: f64, y: f64| grid.to_pixel(x, y);
    for s in &map.boundary {
        c.line(px(s[0], s[1]), px(s[2], s[3]), 2.0, INK, 0.8);
    }
    let data = lab.data();
    for (row, &label) in data.x.rows().into_iter().zip(&data.y) {
        let p = px(row[0], row[1]);
        c.disc(p, 4.0, WHITE, 1.0);
        c.disc(p, 3.0, class_colour(label), 1.0);
    }
    if let Some(rep) = lab.attack() {
        for h in rep.hyperplanes.iter().filter(|h| h.len() == 4) {
            c.line(px(h[0], h[1]), px(h[2], h[3]), 1.0, [0x66, 0x66, 0x66], 0.9);
        }
        let x = px(rep.point[0], rep.point[1]);
        let mut prev = x;
        for it in &rep.iterates[1..] {
            let p = px(it[0], it[1]);
            c.line(prev, p, 2.0, INK, 1.0);
            c.disc(p, 2.5, INK, 1.0);
            prev = p;
        }
        let adv = px(rep.adversarial[0], rep.adversarial[1]);
        c.line(prev, adv, 2.0, INK, 1.0);
        let fp = px(rep.fgsm_point[0], rep.fgsm_point[1]);
        c.line(x, fp, 1.5, FGSM, 1.0);
        c.disc(fp, 4.5, FGSM, 1.0);
        c.disc(adv, 5.5, INK, 1.0);
        c.disc(adv, 4.0, WHITE, 1.0);
        c.disc(x, 5.0, INK, 1.0);
    }
    c
}

/// Training curves, `width` x `height`: the mean loss per epoch (orange, scaled so its
/// largest value touches the top) and the accuracy (blue, from 0 at the bottom to 1 at the
/// top), against the epoch.
pub fn training_figure(history: &[EpochStats], width: usize, height: usize) -> Canvas {
    let mut c = Canvas::new(width, height, WHITE);
    let (l, t, r, b) = (10.0, 10.0, width as f64 - 10.0, height as f64 - 10.0);
    for k in 1..4 {
        let y = b - (b - t) * k as f64 / 4.0;
        c.line((l, y), (r, y), 1.0, [0xE0, 0xE0, 0xE0], 1.0);
    }
    c.rect(l, t, r, b, [0x99, 0x99, 0x99]);
    if history.is_empty() {
        return c;
    }
    let max_loss = history
        .iter()
        .map(|s| s.loss)
        .fold(0.0, f64::max)
        .max(1e-12);
    let n = history.len();
    let x_at = |i: usize| {
        if n > 1 {
            l + (r - l) * i as f64 / (n - 1) as f64
        } else {
            l
        }
    };
    let loss: Vec<f64> = history.iter().map(|s| s.loss / max_loss).collect();
    let accuracy: Vec<f64> = history.iter().map(|s| s.accuracy).collect();
    for (colour, values) in [(class_colour(0), loss), (class_colour(1), accuracy)] {
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (x_at(i), b - (b - t) * v))
            .collect();
        for w in pts.windows(2) {
            c.line(w[0], w[1], 2.0, colour, 1.0);
        }
    }
    c
}
