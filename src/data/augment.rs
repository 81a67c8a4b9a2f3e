//! Data augmentation for training on images: small random affine distortions (rotation,
//! scaling, translation), sampled with bilinear interpolation and zero outside the image.
//! Simard, Steinkraus and Platt (ICDAR 2003) showed that such distortions let small networks
//! trained on few digits generalise much better; the lab uses them so that its networks reach
//! good accuracy from 8,000 MNIST digits.

use crate::rng::Rng;
use ndarray::{ArrayView1, ArrayViewMut1};
use serde::{Deserialize, Serialize};

/// The range of the random distortions (uniform in each).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distortion {
    /// Largest rotation, in degrees.
    pub max_rotation_deg: f64,
    /// Largest relative change of scale (0.1: from 0.9 to 1.1).
    pub max_scale: f64,
    /// Largest shift, in pixels, along each axis.
    pub max_shift: f64,
    /// Largest standard deviation of Gaussian noise added to every pixel afterwards (the
    /// standard deviation itself is drawn uniformly from [0, max_noise]); 0 for none.
    #[serde(default)]
    pub max_noise: f64,
}

impl Default for Distortion {
    fn default() -> Self {
        Self {
            max_rotation_deg: 12.0,
            max_scale: 0.1,
            max_shift: 2.0,
            max_noise: 0.0,
        }
    }
}

/// Writes into `out` the image `src` (side x side, row-major) rotated by `angle` radians and
/// scaled by `scale` about the centre, then shifted by (dx, dy) pixels: out(p) = src(q) with
/// q = c + R(-angle) (p - c - d) / scale, bilinear, zero outside.
pub fn affine(
    src: ArrayView1<f64>,
    side: usize,
    angle: f64,
    scale: f64,
    dx: f64,
    dy: f64,
    mut out: ArrayViewMut1<f64>,
) {
    let c = (side as f64 - 1.0) / 2.0;
    let (sin, cos) = angle.sin_cos();
    let at = |x: isize, y: isize| -> f64 {
        if x < 0 || y < 0 || x >= side as isize || y >= side as isize {
            0.0
        } else {
            src[y as usize * side + x as usize]
        }
    };
    for py in 0..side {
        for px in 0..side {
            let (ux, uy) = ((px as f64 - c - dx) / scale, (py as f64 - c - dy) / scale);
            let qx = c + cos * ux + sin * uy;
            let qy = c - sin * ux + cos * uy;
            let (x0, y0) = (qx.floor(), qy.floor());
            let (fx, fy) = (qx - x0, qy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            out[py * side + px] = (1.0 - fy) * ((1.0 - fx) * at(x0, y0) + fx * at(x0 + 1, y0))
                + fy * ((1.0 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
        }
    }
}

/// A random distortion of `src` within the ranges of `d`, into `out`.
pub fn distort(
    src: ArrayView1<f64>,
    side: usize,
    d: &Distortion,
    rng: &mut Rng,
    mut out: ArrayViewMut1<f64>,
) {
    let angle = rng.uniform_in(-1.0, 1.0) * d.max_rotation_deg.to_radians();
    let scale = 1.0 + rng.uniform_in(-1.0, 1.0) * d.max_scale;
    let dx = rng.uniform_in(-1.0, 1.0) * d.max_shift;
    let dy = rng.uniform_in(-1.0, 1.0) * d.max_shift;
    affine(src, side, angle, scale, dx, dy, out.view_mut());
    if d.max_noise > 0.0 {
        let std = rng.uniform() * d.max_noise;
        out.mapv_inplace(|v| v + std * rng.normal());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn image(side: usize) -> Array1<f64> {
        Array1::from_shape_fn(side * side, |i| ((i * 37) % 11) as f64 / 10.0)
    }

    #[test]
    fn identity_and_whole_pixel_shifts_are_exact() {
        let side = 7;
        let src = image(side);
        let mut out = Array1::zeros(side * side);
        affine(src.view(), side, 0.0, 1.0, 0.0, 0.0, out.view_mut());
        assert_eq!(out, src);
        affine(src.view(), side, 0.0, 1.0, 2.0, -1.0, out.view_mut());
        for y in 0..side {
            for x in 0..side {
                let (sx, sy) = (x as isize - 2, y as isize + 1);
                let expected = if sx >= 0 && sy < side as isize {
                    src[sy as usize * side + sx as usize]
                } else {
                    0.0
                };
                assert!((out[y * side + x] - expected).abs() < 1e-12, "({x}, {y})");
            }
        }
    }

    /// A quarter turn of a square image about its centre is a permutation of the pixels.
    #[test]
    fn quarter_turn_permutes_pixels() {
        let side = 6;
        let src = image(side);
        let mut out = Array1::zeros(side * side);
        affine(
            src.view(),
            side,
            std::f64::consts::FRAC_PI_2,
            1.0,
            0.0,
            0.0,
            out.view_mut(),
        );
        let mut a = src.to_vec();
        let mut b = out.to_vec();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-12);
        }
    }
}
