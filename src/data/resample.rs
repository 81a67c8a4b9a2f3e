//! Resampling square images: area averaging to shrink (each new pixel is the mean of the
//! source area it covers, so ink is conserved), bilinear interpolation to enlarge. Used for
//! the dimension experiment (the same digits at 8^2 ... 56^2 pixels) and for drawings.
//! [`resample_cubic`] (Keys' cubic convolution) enlarges the MRI slices.

use ndarray::{Array1, ArrayView1};

/// The mean of the image `at(x, y)` (sw x sh) over the rectangle [x0, x1) x [y0, y1) in
/// source pixel units (fractional edges weigh partial pixels).
fn area_mean(
    at: &impl Fn(usize, usize) -> f64,
    sw: usize,
    sh: usize,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
) -> f64 {
    let mut sum = 0.0;
    let (ya, yb) = (y0.floor().max(0.0) as usize, (y1.ceil() as usize).min(sh));
    let (xa, xb) = (x0.floor().max(0.0) as usize, (x1.ceil() as usize).min(sw));
    for y in ya..yb {
        let wy = (y1.min(y as f64 + 1.0) - y0.max(y as f64)).max(0.0);
        for x in xa..xb {
            let wx = (x1.min(x as f64 + 1.0) - x0.max(x as f64)).max(0.0);
            sum += wx * wy * at(x, y);
        }
    }
    let area = (x1 - x0) * (y1 - y0);
    if area > 0.0 {
        sum / area
    } else {
        0.0
    }
}

/// Area-averages the rectangle [x0, x0 + w) x [y0, y0 + h) of `src` (sw x sh) onto a
/// tw x th grid.
pub fn area_box(
    src: ArrayView1<f64>,
    sw: usize,
    sh: usize,
    rect: [f64; 4],
    tw: usize,
    th: usize,
) -> Array1<f64> {
    area_box_with(|x, y| src[y * sw + x], sw, sh, rect, tw, th)
}

/// [`area_box`] of the image whose pixel (x, y) is `at(x, y)`, so that a large picture (a
/// photograph of many megapixels) can be averaged straight from its bytes, without a copy.
pub fn area_box_with(
    at: impl Fn(usize, usize) -> f64,
    sw: usize,
    sh: usize,
    rect: [f64; 4],
    tw: usize,
    th: usize,
) -> Array1<f64> {
    let [x0, y0, w, h] = rect;
    let mut out = Array1::zeros(tw * th);
    for ty in 0..th {
        let (a, b) = (
            y0 + h * ty as f64 / th as f64,
            y0 + h * (ty + 1) as f64 / th as f64,
        );
        for tx in 0..tw {
            let (c, d) = (
                x0 + w * tx as f64 / tw as f64,
                x0 + w * (tx + 1) as f64 / tw as f64,
            );
            out[ty * tw + tx] = area_mean(&at, sw, sh, c, d, a, b);
        }
    }
    out
}

/// A side x side image at a new side: area averaging when shrinking, bilinear
/// interpolation (pixel centres aligned, edges clamped) when enlarging.
pub fn resample(src: ArrayView1<f64>, side: usize, new_side: usize) -> Array1<f64> {
    if new_side <= side {
        return area_box(
            src,
            side,
            side,
            [0.0, 0.0, side as f64, side as f64],
            new_side,
            new_side,
        );
    }
    let scale = side as f64 / new_side as f64;
    let at = |x: usize, y: usize| src[y.min(side - 1) * side + x.min(side - 1)];
    let mut out = Array1::zeros(new_side * new_side);
    for ty in 0..new_side {
        let sy = ((ty as f64 + 0.5) * scale - 0.5).max(0.0);
        let (y0, fy) = (sy.floor() as usize, sy - sy.floor());
        for tx in 0..new_side {
            let sx = ((tx as f64 + 0.5) * scale - 0.5).max(0.0);
            let (x0, fx) = (sx.floor() as usize, sx - sx.floor());
            out[ty * new_side + tx] = (1.0 - fy) * ((1.0 - fx) * at(x0, y0) + fx * at(x0 + 1, y0))
                + fy * ((1.0 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
        }
    }
    out
}

/// Keys' cubic convolution kernel with a = -1/2 (R. G. Keys, "Cubic convolution
/// interpolation for digital image processing", IEEE Trans. ASSP 29(6), 1981):
///
/// ```text
/// W(t) = 3/2 |t|^3 - 5/2 |t|^2 + 1              for |t| <= 1,
///      = -1/2 |t|^3 + 5/2 |t|^2 - 4 |t| + 2     for 1 < |t| < 2,   0 otherwise.
/// ```
///
/// It interpolates (W(0) = 1, W(k) = 0 for other integers k) and reproduces polynomials of
/// degree up to 2 exactly.
pub fn keys_cubic(t: f64) -> f64 {
    let t = t.abs();
    if t <= 1.0 {
        (1.5 * t - 2.5) * t * t + 1.0
    } else if t < 2.0 {
        ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    } else {
        0.0
    }
}

/// For each target index along one axis: the four source indices (clamped to the edge) and
/// their [`keys_cubic`] weights, pixel centres aligned as in [`resample`].
fn cubic_taps(side: usize, new_side: usize) -> Vec<([usize; 4], [f64; 4])> {
    let scale = side as f64 / new_side as f64;
    (0..new_side)
        .map(|t| {
            let s = (t as f64 + 0.5) * scale - 0.5;
            let i = s.floor();
            let f = s - i;
            let mut idx = [0; 4];
            let mut w = [0.0; 4];
            for k in 0..4 {
                let j = i as i64 + k as i64 - 1;
                idx[k] = j.clamp(0, side as i64 - 1) as usize;
                w[k] = keys_cubic(f + 1.0 - k as f64);
            }
            (idx, w)
        })
        .collect()
}

/// A side x side image at a new side by separable cubic convolution ([`keys_cubic`]; pixel
/// centres aligned, edges clamped): rows first, then columns. Meant for enlarging (it does
/// not average away detail when shrinking; use [`resample`] for that). The kernel has
/// negative lobes, so the result can overshoot the source's range by a few percent at sharp
/// edges; callers that need [0, 1] clip.
pub fn resample_cubic(src: ArrayView1<f64>, side: usize, new_side: usize) -> Array1<f64> {
    let taps = cubic_taps(side, new_side);
    // Horizontal pass: side rows of new_side values.
    let mut rows = vec![0.0; side * new_side];
    for y in 0..side {
        for (tx, (idx, w)) in taps.iter().enumerate() {
            rows[y * new_side + tx] = (0..4).map(|k| w[k] * src[y * side + idx[k]]).sum();
        }
    }
    let mut out = Array1::zeros(new_side * new_side);
    for (ty, (idx, w)) in taps.iter().enumerate() {
        for tx in 0..new_side {
            out[ty * new_side + tx] = (0..4).map(|k| w[k] * rows[idx[k] * new_side + tx]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn image(side: usize) -> Array1<f64> {
        Array1::from_shape_fn(side * side, |i| ((i * 7919) % 13) as f64 / 12.0)
    }

    /// Shrinking by an integer factor is the block mean; any shrink keeps the mean intensity.
    #[test]
    fn shrinking_averages_blocks_and_keeps_the_mean() {
        let src = image(28);
        let half = resample(src.view(), 28, 14);
        for y in 0..14 {
            for x in 0..14 {
                let m = (src[2 * y * 28 + 2 * x]
                    + src[2 * y * 28 + 2 * x + 1]
                    + src[(2 * y + 1) * 28 + 2 * x]
                    + src[(2 * y + 1) * 28 + 2 * x + 1])
                    / 4.0;
                assert!((half[y * 14 + x] - m).abs() < 1e-14);
            }
        }
        for side in [8, 14, 20] {
            let r = resample(src.view(), 28, side);
            assert!(
                (r.mean().unwrap() - src.mean().unwrap()).abs() < 1e-12,
                "{side}"
            );
        }
    }

    /// Enlarging a constant image gives the constant; enlarging then shrinking by 2 returns
    /// the original where bilinear weights are symmetric (a linear ramp).
    #[test]
    fn enlarging_is_bilinear() {
        let c = Array1::from_elem(49, 0.3);
        assert!(resample(c.view(), 7, 20)
            .iter()
            .all(|v| (v - 0.3).abs() < 1e-15));
        let ramp = Array1::from_shape_fn(64, |i| (i % 8) as f64);
        let up = resample(ramp.view(), 8, 16);
        // Interior columns of the ramp: centre-aligned bilinear gives x / 2 - 0.25.
        for y in 0..16 {
            for x in 1..15 {
                assert!((up[y * 16 + x] - (x as f64 / 2.0 - 0.25)).abs() < 1e-14);
            }
        }
        assert_eq!(resample(ramp.view(), 8, 8), ramp);
    }

    /// The cubic kernel interpolates, keeps constants, and reproduces a quadratic exactly
    /// away from the clamped edges; at the same side it is the identity.
    #[test]
    fn cubic_interpolates_and_reproduces_quadratics() {
        assert_eq!(keys_cubic(0.0), 1.0);
        for k in [1.0, 2.0, -1.0, -2.0, 3.5] {
            assert_eq!(keys_cubic(k), 0.0);
        }
        // The weights of any shift sum to 1.
        for f in [0.1, 0.25, 0.5, 0.9] {
            let s: f64 = (0..4).map(|k| keys_cubic(f + 1.0 - k as f64)).sum();
            assert!((s - 1.0).abs() < 1e-15);
        }
        let c = Array1::from_elem(49, 0.3);
        assert!(resample_cubic(c.view(), 7, 20)
            .iter()
            .all(|v| (v - 0.3).abs() < 1e-15));
        let n = 12;
        let q = Array1::from_shape_fn(n * n, |i| {
            let (y, x) = ((i / n) as f64, (i % n) as f64);
            0.02 * x * x - 0.03 * x * y + 0.01 * y * y + 0.1 * x
        });
        assert_eq!(resample_cubic(q.view(), n, n), q);
        let up = resample_cubic(q.view(), n, 2 * n);
        for ty in 4..2 * n - 4 {
            for tx in 4..2 * n - 4 {
                // Target centre (t + 0.5) / 2 - 0.5 in source pixel units.
                let (y, x) = (ty as f64 / 2.0 - 0.25, tx as f64 / 2.0 - 0.25);
                let want = 0.02 * x * x - 0.03 * x * y + 0.01 * y * y + 0.1 * x;
                assert!((up[ty * 2 * n + tx] - want).abs() < 1e-13, "{ty} {tx}");
            }
        }
    }
}
