//! Two-dimensional toy data sets for watching decision boundaries form: two moons,
//! concentric circles, XOR, Gaussian blobs and spirals.
//!
//! Every set is a clean shape plus isotropic Gaussian noise of standard deviation `noise`
//! (in data units) added to each coordinate, drawn from a seeded [`Rng`], so a seed fixes
//! the set exactly. Points come in class order with balanced classes; training shuffles.
//! The moons and circles follow the shapes of scikit-learn's `make_moons` and
//! `make_circles` (evenly spaced angles, inner circle at half the radius).

use crate::rng::Rng;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToyKind {
    Moons,
    Circles,
    Xor,
    Blobs,
    Spiral,
}

impl ToyKind {
    pub const NAMES: &'static [&'static str] = &["moons", "circles", "xor", "blobs", "spiral"];
    pub const LABELS: &'static [&'static str] =
        &["Two moons", "Circles", "XOR", "Gaussian blobs", "Spiral"];

    /// The number of classes: fixed at two, except for blobs and spirals.
    pub fn n_classes(self, requested: usize) -> usize {
        match self {
            ToyKind::Moons | ToyKind::Circles | ToyKind::Xor => 2,
            ToyKind::Blobs | ToyKind::Spiral => requested,
        }
    }
}

/// A labelled point set: `x` has one point per row.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyData {
    pub x: Array2<f64>,
    pub y: Vec<usize>,
    pub n_classes: usize,
}

/// Splits n points into k balanced class sizes (the first n mod k classes get one more).
fn class_sizes(n: usize, k: usize) -> Vec<usize> {
    (0..k).map(|c| n / k + usize::from(c < n % k)).collect()
}

/// `count` evenly spaced values from a to b inclusive (a alone for count = 1).
fn linspace(a: f64, b: f64, count: usize) -> impl Iterator<Item = f64> {
    let step = if count > 1 {
        (b - a) / (count - 1) as f64
    } else {
        0.0
    };
    (0..count).map(move |i| a + step * i as f64)
}

/// Generates `n` points of the given kind; `classes` matters for blobs and spirals only.
pub fn generate(kind: ToyKind, n: usize, noise: f64, classes: usize, seed: u64) -> ToyData {
    let k = kind.n_classes(classes).max(2);
    let sizes = class_sizes(n, k);
    let mut rng = Rng::new(seed);
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for (c, &m) in sizes.iter().enumerate() {
        match kind {
            ToyKind::Moons => {
                for t in linspace(0.0, PI, m) {
                    pts.push(if c == 0 {
                        [t.cos(), t.sin()]
                    } else {
                        [1.0 - t.cos(), 0.5 - t.sin()]
                    });
                }
            }
            ToyKind::Circles => {
                let radius = if c == 0 { 1.0 } else { 0.5 };
                // Evenly spaced, without repeating the starting angle.
                for i in 0..m {
                    let t = TAU * i as f64 / m as f64;
                    pts.push([radius * t.cos(), radius * t.sin()]);
                }
            }
            ToyKind::Xor => {
                // Uniform in the square, kept 0.05 away from the axes so the clean labels
                // are unambiguous; class 1 where x and y have the same sign.
                let mut placed = 0;
                while placed < m {
                    let p = [rng.uniform_in(-1.0, 1.0), rng.uniform_in(-1.0, 1.0)];
                    let same = (p[0] > 0.0) == (p[1] > 0.0);
                    if p[0].abs() > 0.05 && p[1].abs() > 0.05 && usize::from(same) == c {
                        pts.push(p);
                        placed += 1;
                    }
                }
            }
            ToyKind::Blobs => {
                // Centres on a circle of radius 1.5, spread 0.3 before the extra noise.
                let a = TAU * c as f64 / k as f64 + PI / 4.0;
                for _ in 0..m {
                    pts.push([
                        1.5 * a.cos() + 0.3 * rng.normal(),
                        1.5 * a.sin() + 0.3 * rng.normal(),
                    ]);
                }
            }
            ToyKind::Spiral => {
                // Arm c: radius t, angle 1.75 pi t + 2 pi c / k, for t from 0.1 to 1.
                for t in linspace(0.1, 1.0, m) {
                    let a = 1.75 * PI * t + TAU * c as f64 / k as f64;
                    pts.push([t * a.cos(), t * a.sin()]);
                }
            }
        }
        y.extend(std::iter::repeat_n(c, m));
    }
    let mut x = Array2::zeros((n, 2));
    for (i, p) in pts.iter().enumerate() {
        x[[i, 0]] = p[0] + noise * rng.normal();
        x[[i, 1]] = p[1] + noise * rng.normal();
    }
    ToyData { x, y, n_classes: k }
}

/// A square viewing window [x0, x1] x [y0, y1] around the data: the bounding box grown by
/// 15 % on each side, then widened to a square about its centre.
pub fn view_bounds(data: &ToyData) -> [f64; 4] {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for row in data.x.rows() {
        for d in 0..2 {
            lo[d] = lo[d].min(row[d]);
            hi[d] = hi[d].max(row[d]);
        }
    }
    if !lo[0].is_finite() {
        return [-1.0, 1.0, -1.0, 1.0];
    }
    let half = 0.5 * 1.3 * (hi[0] - lo[0]).max(hi[1] - lo[1]).max(0.1);
    let c = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
    [c[0] - half, c[0] + half, c[1] - half, c[1] + half]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sizes_labels_and_balance() {
        for (i, kind) in [
            ToyKind::Moons,
            ToyKind::Circles,
            ToyKind::Xor,
            ToyKind::Blobs,
            ToyKind::Spiral,
        ]
        .into_iter()
        .enumerate()
        {
            let d = generate(kind, 101, 0.1, 3, i as u64);
            assert_eq!(d.x.nrows(), 101);
            assert_eq!(d.y.len(), 101);
            let k = d.n_classes;
            assert_eq!(
                k,
                if matches!(kind, ToyKind::Blobs | ToyKind::Spiral) {
                    3
                } else {
                    2
                }
            );
            let counts: Vec<usize> = (0..k)
                .map(|c| d.y.iter().filter(|&&y| y == c).count())
                .collect();
            assert!(
                counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
                "{kind:?} {counts:?}"
            );
            assert!(d.x.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn noiseless_shapes_are_exact() {
        let m = generate(ToyKind::Moons, 4, 0.0, 2, 0);
        // Upper moon at t = 0 and pi, lower moon at t = 0 and pi.
        let expected = [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]];
        for (row, e) in m.x.rows().into_iter().zip(expected) {
            assert!(
                (row[0] - e[0]).abs() < 1e-15 && (row[1] - e[1]).abs() < 1e-15,
                "{row} vs {e:?}"
            );
        }
        let c = generate(ToyKind::Circles, 40, 0.0, 2, 0);
        for (row, &label) in c.x.rows().into_iter().zip(&c.y) {
            let r = row.dot(&row).sqrt();
            assert!((r - if label == 0 { 1.0 } else { 0.5 }).abs() < 1e-15);
        }
        let x = generate(ToyKind::Xor, 200, 0.0, 2, 3);
        for (row, &label) in x.x.rows().into_iter().zip(&x.y) {
            assert_eq!(usize::from((row[0] > 0.0) == (row[1] > 0.0)), label);
        }
    }

    #[test]
    fn noise_has_the_requested_spread() {
        // Circles use no random numbers for their shape, so with the same seed the
        // difference between a noisy and a clean set is the noise alone: 4000 deviates whose
        // sample standard deviation is within 0.003 (five standard errors) of 0.05.
        let clean = generate(ToyKind::Circles, 2000, 0.0, 2, 5);
        let noisy = generate(ToyKind::Circles, 2000, 0.05, 2, 5);
        let diff = &noisy.x - &clean.x;
        let var = diff.mapv(|v| v * v).mean().unwrap();
        assert!((var.sqrt() - 0.05).abs() < 0.003, "std {}", var.sqrt());
    }

    #[test]
    fn seed_fixes_the_set() {
        let a = generate(ToyKind::Blobs, 50, 0.2, 4, 9);
        assert_eq!(a, generate(ToyKind::Blobs, 50, 0.2, 4, 9));
        assert_ne!(a, generate(ToyKind::Blobs, 50, 0.2, 4, 10));
    }

    #[test]
    fn view_is_a_square_around_the_data() {
        let d = generate(ToyKind::Moons, 100, 0.1, 2, 1);
        let [x0, x1, y0, y1] = view_bounds(&d);
        assert!((x1 - x0 - (y1 - y0)).abs() < 1e-12);
        assert!(d
            .x
            .rows()
            .into_iter()
            .all(|r| r[0] > x0 && r[0] < x1 && r[1] > y0 && r[1] < y1));
    }
}
