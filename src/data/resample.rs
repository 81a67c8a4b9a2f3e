//! Resampling square images: area averaging to shrink (each new pixel is the mean of the
//! source area it covers, so ink is conserved), bilinear interpolation to enlarge. Used for
//! the dimension experiment (the same digits at 8^2 ... 56^2 pixels) and for drawings.

use ndarray::{Array1, ArrayView1};

/// The mean of `src` (sw x sh, row-major) over the rectangle [x0, x1) x [y0, y1) in source
/// pixel units (fractional edges weigh partial pixels).
fn area_mean(
    src: ArrayView1<f64>,
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
            sum += wx * wy * src[y * sw + x];
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
            out[ty * tw + tx] = area_mean(src, sw, sh, c, d, a, b);
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
}
