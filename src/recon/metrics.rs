//! How close a reconstruction is to the true image: PSNR, relative error and SSIM.
//!
//! Images are n x n, row-major, flat; the first argument is always the reference (the true
//! image x), the second the estimate (the reconstruction). PSNR and SSIM take their scale
//! from the reference alone, so the score of an estimate does not depend on the estimate's
//! own range.

use ndarray::ArrayView1;
use std::borrow::Cow;

/// Peak signal-to-noise ratio in decibels,
///
/// ```text
/// PSNR = 10 log10(peak^2 / MSE),   MSE = (1/N) sum_i (estimate_i - reference_i)^2,
/// peak = max_i reference_i,
/// ```
///
/// the usual choice for MRI magnitude images scaled to [0, 1] (the peak is 1 for the
/// shipped slices and the phantom; fastMRI, for instance, also takes the reference's
/// maximum). Identical images give +infinity; a reference whose maximum is 0 or negative
/// gives -infinity (or NaN if the images are also identical).
///
/// Panics if the lengths differ.
pub fn psnr(reference: ArrayView1<f64>, estimate: ArrayView1<f64>) -> f64 {
    assert_eq!(
        reference.len(),
        estimate.len(),
        "PSNR of images of different sizes"
    );
    let mse = reference
        .iter()
        .zip(estimate.iter())
        .map(|(r, e)| (e - r) * (e - r))
        .sum::<f64>()
        / reference.len() as f64;
    let peak = reference.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if peak <= 0.0 {
        return if mse == 0.0 {
            f64::NAN
        } else {
            f64::NEG_INFINITY
        };
    }
    10.0 * (peak * peak / mse).log10()
}

/// The relative l2 error ||estimate - reference||_2 / ||reference||_2: 0 for a perfect
/// reconstruction, 1 for the zero image. For a zero reference: 0 if the estimate is zero
/// too, +infinity otherwise.
///
/// Panics if the lengths differ.
pub fn rel_error(reference: ArrayView1<f64>, estimate: ArrayView1<f64>) -> f64 {
    assert_eq!(
        reference.len(),
        estimate.len(),
        "relative error of images of different sizes"
    );
    let diff = reference
        .iter()
        .zip(estimate.iter())
        .map(|(r, e)| (e - r) * (e - r))
        .sum::<f64>()
        .sqrt();
    let norm = reference.dot(&reference).sqrt();
    if diff == 0.0 {
        0.0
    } else {
        diff / norm
    }
}

/// Standard deviation of the SSIM window (pixels).
pub const SSIM_SIGMA: f64 = 1.5;
/// The SSIM window is (2 r + 1) x (2 r + 1) = 11 x 11 with r = 5.
pub const SSIM_RADIUS: usize = 5;
/// SSIM's stabilising constants C1 = (K1 L)^2, C2 = (K2 L)^2.
pub const SSIM_K1: f64 = 0.01;
pub const SSIM_K2: f64 = 0.03;

/// The one-dimensional window: g_k proportional to exp(-k^2 / (2 sigma^2)) for
/// k = -5..=5, normalised to sum 1.
fn gaussian_window() -> [f64; 2 * SSIM_RADIUS + 1] {
    let mut g = [0.0; 2 * SSIM_RADIUS + 1];
    for (i, w) in g.iter_mut().enumerate() {
        let k = i as f64 - SSIM_RADIUS as f64;
        *w = (-0.5 * k * k / (SSIM_SIGMA * SSIM_SIGMA)).exp();
    }
    let total: f64 = g.iter().sum();
    g.map(|w| w / total)
}

/// The mean structural similarity index (Z. Wang, A. C. Bovik, H. R. Sheikh and
/// E. P. Simoncelli, "Image quality assessment: from error visibility to structural
/// similarity", IEEE Trans. Image Process. 13(4), 2004) of two side x side images x (the
/// reference) and y (the estimate).
///
/// Exactly what is computed: with the 11 x 11 Gaussian window w[k, l] = g_k g_l (sigma = 1.5,
/// truncated at radius 5, normalised to sum 1, as in the paper), at every pixel p whose whole
/// window lies inside the image (rows and columns 5 ..= side - 6), the weighted local
/// statistics
///
/// ```text
/// mu_x = sum_q w_q x_{p+q},   sigma_x^2 = sum_q w_q x_{p+q}^2 - mu_x^2   (population: no n/(n-1)),
/// mu_y, sigma_y^2 likewise,   sigma_xy = sum_q w_q x_{p+q} y_{p+q} - mu_x mu_y,
/// ```
///
/// then
///
/// ```text
/// SSIM(p) = (2 mu_x mu_y + C1) (2 sigma_xy + C2)
///           / ((mu_x^2 + mu_y^2 + C1) (sigma_x^2 + sigma_y^2 + C2)),
/// C1 = (K1 L)^2, C2 = (K2 L)^2,   K1 = 0.01, K2 = 0.03,
/// ```
///
/// with L the data range of the reference, max(x) - min(x) (or 1 if x is constant), and the
/// result is the plain mean of SSIM(p) over those (side - 10)^2 pixels. This is
/// scikit-image's `structural_similarity(x, y, data_range=x.max() - x.min(),
/// gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`: its window has radius
/// int(3.5 sigma + 0.5) = 5 and it drops (11 - 1) / 2 = 5 pixels at each border before
/// averaging, so the border handling of its filter never enters (Wang's own MATLAB code
/// likewise filters with 'valid'). On the test images we agree with it to 1e-15.
///
/// The window sums are separable (a column pass, then a row pass, over the five images
/// x, y, x^2, y^2, x y), about 2 x 11 x 5 multiply-adds per pixel: 2 to 3 ms at 256 x 256
/// natively (release build, one core of a shared 2-core virtual machine). Symmetric in x and y
/// when L is; within [-1, 1] and 1 when y = x (up to rounding). NaN if side < 11 (no
/// pixel has a whole window).
///
/// Panics if the lengths are not side^2.
pub fn ssim(reference: ArrayView1<f64>, estimate: ArrayView1<f64>, side: usize) -> f64 {
    assert_eq!(
        reference.len(),
        side * side,
        "SSIM: reference is not side^2"
    );
    assert_eq!(estimate.len(), side * side, "SSIM: estimate is not side^2");
    let r = SSIM_RADIUS;
    if side < 2 * r + 1 {
        return f64::NAN;
    }
    let (lo, hi) = reference
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let c1 = (SSIM_K1 * range).powi(2);
    let c2 = (SSIM_K2 * range).powi(2);
    let g = gaussian_window();
    let m = side - 2 * r; // the valid rows and columns
    let xs = reference
        .as_slice()
        .map_or_else(|| reference.to_vec().into(), Cow::Borrowed);
    let ys = estimate
        .as_slice()
        .map_or_else(|| estimate.to_vec().into(), Cow::Borrowed);

    // One valid row at a time: the column pass gives the window sums down each column of the
    // five images x, y, x^2, y^2, x y (cols[t][c]); the row pass then sums those along the
    // row for each valid column (sums[t][c]).
    let mut cols = [(); 5].map(|_| vec![0.0f64; side]);
    let mut sums = [(); 5].map(|_| vec![0.0f64; m]);
    let mut total = 0.0;
    for row in 0..m {
        for col in cols.iter_mut() {
            col.fill(0.0);
        }
        let [cx, cy, cxx, cyy, cxy] = &mut cols;
        for (k, &w) in g.iter().enumerate() {
            let line = (row + k) * side..(row + k + 1) * side;
            let (xr, yr) = (&xs[line.clone()], &ys[line]);
            for (o, &a) in cx.iter_mut().zip(xr) {
                *o += w * a;
            }
            for (o, &b) in cy.iter_mut().zip(yr) {
                *o += w * b;
            }
            for (o, &a) in cxx.iter_mut().zip(xr) {
                *o += w * a * a;
            }
            for (o, &b) in cyy.iter_mut().zip(yr) {
                *o += w * b * b;
            }
            for ((o, &a), &b) in cxy.iter_mut().zip(xr).zip(yr) {
                *o += w * a * b;
            }
        }
        for (sum, col) in sums.iter_mut().zip(&cols) {
            sum.fill(0.0);
            for (k, &w) in g.iter().enumerate() {
                for (o, &v) in sum.iter_mut().zip(&col[k..k + m]) {
                    *o += w * v;
                }
            }
        }
        let [mx, my, mxx, myy, mxy] = &sums;
        for c in 0..m {
            let (mx, my) = (mx[c], my[c]);
            let (vx, vy, vxy) = (mxx[c] - mx * mx, myy[c] - my * my, mxy[c] - mx * my);
            total += (2.0 * mx * my + c1) * (2.0 * vxy + c2)
                / ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
    }
    total / (m * m) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// 0.5 + 0.3 sin(0.7 i + 0.2) cos(0.45 j) + 0.01 ((7 i + 13 j) mod 11) at row i, column j.
    fn pattern(n: usize) -> Array1<f64> {
        Array1::from_shape_fn(n * n, |p| {
            let (i, j) = (p / n, p % n);
            0.5 + 0.3 * (0.7 * i as f64 + 0.2).sin() * (0.45 * j as f64).cos()
                + 0.01 * ((7 * i + 13 * j) % 11) as f64
        })
    }

    #[test]
    fn psnr_and_relative_error_closed_forms() {
        let x = pattern(16);
        let x = &x / x.iter().cloned().fold(0.0, f64::max); // peak 1
        for e in [0.1, 0.01, 1e-4] {
            let y = &x + e;
            assert!((psnr(x.view(), y.view()) + 20.0 * e.log10()).abs() < 1e-9);
            let y = &x - e;
            assert!((psnr(x.view(), y.view()) + 20.0 * e.log10()).abs() < 1e-9);
        }
        // The peak scales: halving both images keeps the PSNR.
        let y = &x + 0.05;
        let (xh, yh) = (&x * 0.5, &y * 0.5);
        assert!((psnr(xh.view(), yh.view()) - psnr(x.view(), y.view())).abs() < 1e-9);
        assert_eq!(psnr(x.view(), x.view()), f64::INFINITY);
        let zero = Array1::zeros(x.len());
        assert_eq!(psnr(zero.view(), x.view()), f64::NEG_INFINITY);

        for t in [0.5, -0.1, 2.0] {
            let y = &x * (1.0 + t);
            assert!((rel_error(x.view(), y.view()) - t.abs()).abs() < 1e-14);
        }
        assert!((rel_error(x.view(), zero.view()) - 1.0).abs() < 1e-15);
        assert_eq!(rel_error(x.view(), x.view()), 0.0);
        assert_eq!(rel_error(zero.view(), zero.view()), 0.0);
        assert_eq!(rel_error(zero.view(), x.view()), f64::INFINITY);
    }

    /// The image affinely mapped onto [lo, lo + width].
    fn with_range(x: &Array1<f64>, lo: f64, width: f64) -> Array1<f64> {
        let (a, b) = x
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        x.mapv(|v| lo + (v - a) / (b - a) * width)
    }

    #[test]
    fn ssim_is_one_on_identical_images_symmetric_and_bounded() {
        let x = pattern(24);
        assert!((ssim(x.view(), x.view(), 24) - 1.0).abs() < 1e-14);
        // Symmetric when both images have the same data range L = max - min.
        let mut rng = crate::rng::Rng::new(7);
        for noise in [0.01, 0.1, 1.0, 10.0] {
            let y = Array1::from_shape_fn(x.len(), |i| x[i] + noise * rng.normal());
            let y = with_range(&y, 0.2, 1.0);
            let x = with_range(&x, 0.0, 1.0);
            let (s1, s2) = (ssim(x.view(), y.view(), 24), ssim(y.view(), x.view(), 24));
            assert!((s1 - s2).abs() < 1e-14, "{s1} vs {s2}");
            assert!((-1.0..1.0).contains(&s1), "{s1}");
        }
        // Anticorrelated images score below 0, and at least -1.
        let z = x.mapv(|v| 1.4 - v);
        let s = ssim(x.view(), z.view(), 24);
        assert!((-1.0..-0.5).contains(&s), "{s}");
        // Too small for one whole window.
        let small = pattern(10);
        assert!(ssim(small.view(), small.view(), 10).is_nan());
    }

    /// On a checkerboard x = a (-1)^(i + j) every local statistic has a closed form. With
    /// s = sum_k g_k (-1)^k, the window mean is mu_x = a s^2 (-1)^(i + j) and, since x^2 = a^2,
    /// the variance is sigma_x^2 = a^2 (1 - s^4) everywhere. Then
    ///
    /// - y = x + c: mu_y = mu_x + c, sigma_y^2 = sigma_xy = sigma_x^2, so
    ///   SSIM(p) = 1 - c^2 / (mu^2 + (mu + c)^2 + C1) with mu = +-a s^2, half the pixels each;
    /// - y = alpha x: SSIM(p) = (2 alpha u + C1)(2 alpha v + C2) / (((1 + alpha^2) u + C1)
    ///   ((1 + alpha^2) v + C2)) with u = a^2 s^4, v = a^2 (1 - s^4), the same at every pixel.
    #[test]
    fn ssim_closed_forms_on_a_checkerboard() {
        let (n, a) = (20, 0.4); // (20 - 10)^2 valid pixels: as many of each sign
        let x = Array1::from_shape_fn(n * n, |p| if (p / n + p % n) % 2 == 0 { a } else { -a });
        let g = gaussian_window();
        let s: f64 = g
            .iter()
            .enumerate()
            .map(|(k, w)| if k % 2 == 0 { *w } else { -w })
            .sum();
        let l = 2.0 * a;
        let (c1, c2) = ((SSIM_K1 * l).powi(2), (SSIM_K2 * l).powi(2));
        let mu = a * s * s;
        for c in [0.01, 0.1, 0.5] {
            let y = &x + c;
            let want = 1.0
                - 0.5 * c * c / (mu * mu + (mu + c).powi(2) + c1)
                - 0.5 * c * c / (mu * mu + (c - mu).powi(2) + c1);
            let got = ssim(x.view(), y.view(), n);
            assert!((got - want).abs() < 1e-13, "offset {c}: {got} vs {want}");
        }
        let (u, v) = (a * a * s.powi(4), a * a * (1.0 - s.powi(4)));
        for alpha in [0.5, 0.9, 2.0, -1.0] {
            let y = &x * alpha;
            let want = (2.0 * alpha * u + c1) * (2.0 * alpha * v + c2)
                / (((1.0 + alpha * alpha) * u + c1) * ((1.0 + alpha * alpha) * v + c2));
            let got = ssim(x.view(), y.view(), n);
            assert!((got - want).abs() < 1e-13, "scale {alpha}: {got} vs {want}");
        }
    }

    /// Reference values from scikit-image 0.26.0 (numpy 2.4.6, scipy 1.17.1):
    ///
    /// ```python
    /// import numpy as np
    /// from skimage.metrics import structural_similarity
    /// def pattern(n):
    ///     i, j = np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float), indexing="ij")
    ///     ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ///     a = 0.5 + 0.3 * np.sin(0.7 * i + 0.2) * np.cos(0.45 * j) + 0.01 * ((7 * ii + 13 * jj) % 11)
    ///     return a, i, j, ii, jj
    /// def ssim(a, b):
    ///     return structural_similarity(a, b, data_range=a.max() - a.min(), gaussian_weights=True,
    ///         sigma=1.5, use_sample_covariance=False, K1=0.01, K2=0.03)
    /// a, i, j, ii, jj = pattern(24)
    /// b = a + 0.05 * np.cos(1.3 * i - 0.9 * j) + 0.02 * ((ii * jj) % 5)
    /// print(repr(ssim(a, b)))   # 0.9427810583104617
    /// a, i, j, ii, jj = pattern(32)
    /// b = 0.8 - 0.6 * a + 0.03 * np.sin(0.1 * i * j)
    /// print(repr(ssim(a, b)))   # -0.8100685672087022
    /// a, i, j, ii, jj = pattern(20)
    /// b = (np.roll(a, 1, axis=1) + a + np.roll(a, -1, axis=1)) / 3
    /// print(repr(ssim(a, b)))   # 0.983690793665377
    /// ```
    #[test]
    fn ssim_agrees_with_scikit_image() {
        let ij = |n: usize, p: usize| ((p / n) as f64, (p % n) as f64, p / n, p % n);

        let a = pattern(24);
        let b = Array1::from_shape_fn(24 * 24, |p| {
            let (i, j, ii, jj) = ij(24, p);
            a[p] + 0.05 * (1.3 * i - 0.9 * j).cos() + 0.02 * ((ii * jj) % 5) as f64
        });
        let got = ssim(a.view(), b.view(), 24);
        assert!((got - 0.9427810583104617).abs() < 1e-12, "{got}");

        let a = pattern(32);
        let b = Array1::from_shape_fn(32 * 32, |p| {
            let (i, j, _, _) = ij(32, p);
            0.8 - 0.6 * a[p] + 0.03 * (0.1 * i * j).sin()
        });
        let got = ssim(a.view(), b.view(), 32);
        assert!((got - -0.8100685672087022).abs() < 1e-12, "{got}");

        let n = 20;
        let a = pattern(n);
        let b = Array1::from_shape_fn(n * n, |p| {
            let (i, j) = (p / n, p % n);
            (a[i * n + (j + n - 1) % n] + a[p] + a[i * n + (j + 1) % n]) / 3.0
        });
        let got = ssim(a.view(), b.view(), n);
        assert!((got - 0.983690793665377).abs() < 1e-12, "{got}");
    }
}
