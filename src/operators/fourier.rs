//! The unitary two-dimensional discrete Fourier transform.
//!
//! For an n x n image x (row r, column c, stored at r n + c),
//!
//! ```text
//! (F x)[k1, k2] = (1/n) sum_{r, c} x[r, c] exp(-2 pi i (k1 r + k2 c) / n),   k1, k2 = 0..n-1.
//! ```
//!
//! ### Normalisation
//!
//! rustfft computes the unnormalised sums; this operator divides by n, so F is unitary:
//! F* F = F F* = I and ||F x|| = ||x||. The adjoint F* is the inverse transform.
//!
//! ### Where the zero frequency sits
//!
//! k-space vectors are in **FFT order**: index k stands for the signed frequency
//! [`signed_freq`]`(k) = k` for k < n/2 and k - n otherwise, so the zero frequency is at index
//! 0. Pictures of k-space and mask files are in **centred order** (fftshift): the zero
//! frequency is at (n/2, n/2) and position j stands for frequency j - n/2. [`centred_to_fft`]
//! converts.

use super::{LinearOperator, Reuse, C64};
use ndarray::{Array1, ArrayView1};
use rustfft::{Fft, FftDirection};
use std::sync::Arc;

/// rustfft's plan for length n: natively from `FftPlanner` (AVX, SSE or scalar, chosen at run
/// time); in WebAssembly from its SIMD planner directly, which `FftPlanner` chooses there anyway
/// (the module is built with `simd128`), so the same plans and bits, but the scalar planner's
/// code stays out of the module (174 KB of 2.25 MB, 62 KB gzipped, measured 2026-12-04).
pub fn plan(n: usize, direction: FftDirection) -> Arc<dyn Fft<f64>> {
    #[cfg(target_arch = "wasm32")]
    let mut planner = rustfft::FftPlannerWasmSimd::new().expect("rustfft's SIMD planner takes f64");
    #[cfg(not(target_arch = "wasm32"))]
    let mut planner = rustfft::FftPlanner::new();
    planner.plan_fft(n, direction)
}

/// The signed frequency of FFT index k: k for k < n/2, k - n otherwise.
pub fn signed_freq(k: usize, n: usize) -> i64 {
    if k < n.div_ceil(2) {
        k as i64
    } else {
        k as i64 - n as i64
    }
}

/// The FFT index of centred position j (frequency j - n/2): (j + n - n/2) mod n.
pub fn centred_to_fft(j: usize, n: usize) -> usize {
    (j + n - n / 2) % n
}

/// The centred position of FFT index k.
pub fn fft_to_centred(k: usize, n: usize) -> usize {
    (k + n / 2) % n
}

/// The unitary 2-D DFT on n x n images.
#[derive(Clone)]
pub struct Fourier2d {
    n: usize,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    /// rustfft's scratch, kept between calls.
    scratch: Reuse,
    /// The n x n transposed copy of [`Self::forward_inplace`] and [`Self::inverse_inplace`].
    square: Reuse,
}

impl Fourier2d {
    /// The transform on n x n images, planned by [`plan`]: rustfft's planner for this machine
    /// (AVX or SSE natively; in WebAssembly its SIMD kernels, which the build compiles with the
    /// `simd128` target feature, see `.cargo/config.toml`: without it they are 10 to 40 times
    /// slower than the scalar code, with it as fast or faster at every size the lab uses).
    pub fn new(n: usize) -> Self {
        Self::with(
            n,
            plan(n, FftDirection::Forward),
            plan(n, FftDirection::Inverse),
        )
    }

    /// The transform planned by rustfft's portable scalar planner (natively only: the
    /// benchmarks compare it with [`Fourier2d::new`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn scalar(n: usize) -> Self {
        let mut planner = rustfft::FftPlannerScalar::new();
        Self::with(n, planner.plan_fft_forward(n), planner.plan_fft_inverse(n))
    }

    fn with(n: usize, forward: Arc<dyn Fft<f64>>, inverse: Arc<dyn Fft<f64>>) -> Self {
        assert!(n > 0, "an image needs at least one pixel");
        Self {
            n,
            forward,
            inverse,
            scratch: Reuse::default(),
            square: Reuse::default(),
        }
    }

    pub fn side(&self) -> usize {
        self.n
    }

    /// F x in place (x: n^2 values, row-major).
    pub fn forward_inplace(&self, data: &mut [C64]) {
        self.transform(data, &self.forward);
    }

    /// F* y in place.
    pub fn inverse_inplace(&self, data: &mut [C64]) {
        self.transform(data, &self.inverse);
    }

    /// The unnormalised n F x, transposed: out[k2 n + k1] = n (F x)[k1, k2]. Transforms the
    /// rows of `x` in place (x is overwritten), transposes into `out`, transforms its rows.
    /// One transpose instead of two: [`super::sampling::SubsampledFourier`] gathers its
    /// samples from the transposed layout and folds the 1/n into them.
    pub fn forward_unscaled_transposed(&self, x: &mut [C64], out: &mut [C64]) {
        let n = self.n;
        assert!(
            x.len() == n * n && out.len() == n * n,
            "expected {n} x {n} buffers"
        );
        let mut scratch = self.scratch.take(self.forward.get_inplace_scratch_len());
        self.forward.process_with_scratch(x, &mut scratch);
        transpose(x, out, n, None);
        self.forward.process_with_scratch(out, &mut scratch);
        self.scratch.give(scratch);
    }

    /// The inverse of [`Self::forward_unscaled_transposed`] up to the factor: from
    /// `yt[k2 n + k1] = y[k1, k2]` (overwritten), out = n F* y.
    pub fn inverse_unscaled_from_transposed(&self, yt: &mut [C64], out: &mut [C64]) {
        let n = self.n;
        assert!(
            yt.len() == n * n && out.len() == n * n,
            "expected {n} x {n} buffers"
        );
        let mut scratch = self.scratch.take(self.inverse.get_inplace_scratch_len());
        // The rows of yt run over k1: transform them (r replaces k1), transpose back to
        // (r, k2) rows, transform those (c replaces k2).
        self.inverse.process_with_scratch(yt, &mut scratch);
        transpose(yt, out, n, None);
        self.inverse.process_with_scratch(out, &mut scratch);
        self.scratch.give(scratch);
    }

    /// Transforms every row, then every column (through a transpose), and transposes back
    /// with the 1/n folded in (one multiplication per value, as a separate pass would make:
    /// the same result to the bit, one pass over the image fewer). The scratch and the
    /// transposed copy are kept between calls, so a warm call allocates nothing.
    fn transform(&self, data: &mut [C64], fft: &Arc<dyn Fft<f64>>) {
        let n = self.n;
        assert_eq!(data.len(), n * n, "expected an {n} x {n} image");
        let mut scratch = self.scratch.take(fft.get_inplace_scratch_len());
        // rustfft transforms each consecutive run of n values: the n rows at once.
        fft.process_with_scratch(data, &mut scratch);
        let mut t = self.square.take(n * n);
        transpose(data, &mut t, n, None);
        fft.process_with_scratch(&mut t, &mut scratch);
        transpose(&t, data, n, Some(1.0 / n as f64));
        self.square.give(t);
        self.scratch.give(scratch);
    }
}

/// out = transpose of the n x n matrix `a`, times `scale` if given (one multiplication per
/// value, as a separate pass would make).
///
/// In blocks of [`TB`] x [`TB`]: each block's rows are copied into a local array (contiguous
/// reads), then written out column by column (contiguous writes), so that neither side is
/// bounds-checked per value and both stay in the cache. The edges of a side that is not a
/// multiple of [`TB`] go value by value.
fn transpose(a: &[C64], out: &mut [C64], n: usize, scale: Option<f64>) {
    assert!(a.len() == n * n && out.len() == n * n, "expected {n} x {n}");
    let full = n - n % TB;
    let mut block = [[C64::new(0.0, 0.0); TB]; TB];
    for r0 in (0..full).step_by(TB) {
        for c0 in (0..full).step_by(TB) {
            for (i, row) in block.iter_mut().enumerate() {
                row.copy_from_slice(&a[(r0 + i) * n + c0..(r0 + i) * n + c0 + TB]);
            }
            for j in 0..TB {
                let dst = &mut out[(c0 + j) * n + r0..(c0 + j) * n + r0 + TB];
                match scale {
                    None => dst.iter_mut().zip(&block).for_each(|(d, row)| *d = row[j]),
                    Some(s) => dst
                        .iter_mut()
                        .zip(&block)
                        .for_each(|(d, row)| *d = row[j] * s),
                }
            }
        }
    }
    // The edges: rows or columns from `full` on.
    let s = scale.unwrap_or(1.0);
    for r in 0..n {
        let cols = if r < full { full..n } else { 0..n };
        for c in cols {
            out[c * n + r] = if scale.is_some() {
                a[r * n + c] * s
            } else {
                a[r * n + c]
            };
        }
    }
}

/// The block side of [`transpose`]: 16 x 16 complex values, 4 KB.
const TB: usize = 16;

impl LinearOperator for Fourier2d {
    fn dim_in(&self) -> usize {
        self.n * self.n
    }
    fn dim_out(&self) -> usize {
        self.n * self.n
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        let mut v = x.to_vec();
        self.forward_inplace(&mut v);
        Array1::from(v)
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        let mut v = y.to_vec();
        self.inverse_inplace(&mut v);
        Array1::from(v)
    }
    /// Unitary: exactly 1.
    fn norm(&self) -> f64 {
        1.0
    }
}

/// A k-space vector (FFT order) rearranged into centred order, for pictures.
pub fn fftshift(y: ArrayView1<C64>, n: usize) -> Array1<C64> {
    let mut out = Array1::from_elem(n * n, C64::new(0.0, 0.0));
    for k1 in 0..n {
        for k2 in 0..n {
            out[fft_to_centred(k1, n) * n + fft_to_centred(k2, n)] = y[k1 * n + k2];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{adjoint_mismatch, complex_gaussian, norm2};
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The definition, term by term: O(n^4), the reference every fast transform is checked
    /// against (angles reduced mod n first, so the reference itself is accurate).
    fn naive_dft(x: &[C64], n: usize) -> Vec<C64> {
        let mut out = vec![C64::new(0.0, 0.0); n * n];
        for k1 in 0..n {
            for k2 in 0..n {
                let mut s = C64::new(0.0, 0.0);
                for r in 0..n {
                    for c in 0..n {
                        let m = (k1 * r + k2 * c) % n;
                        let ang = -2.0 * std::f64::consts::PI * m as f64 / n as f64;
                        s += x[r * n + c] * C64::from_polar(1.0, ang);
                    }
                }
                out[k1 * n + k2] = s / n as f64;
            }
        }
        out
    }

    #[test]
    fn matches_the_naive_dft_on_small_sizes() {
        let mut rng = Rng::new(11);
        // Powers of two, an odd size and sizes with 3 and 5 as factors (other rustfft paths).
        for n in [1, 2, 3, 4, 5, 6, 8, 12, 15, 16, 32] {
            let f = Fourier2d::new(n);
            let x = complex_gaussian(n * n, &mut rng);
            let fast = f.apply(x.view());
            let slow = naive_dft(x.as_slice().unwrap(), n);
            let err = fast
                .iter()
                .zip(&slow)
                .map(|(a, b)| (a - b).norm_sqr())
                .sum::<f64>()
                .sqrt();
            assert!(err < 1e-13 * norm2(x.view()), "n = {n}: error {err}");
        }
    }

    /// Both planners (the default one the lab uses, and the portable scalar one the benchmarks
    /// compare it with) give the same transform at the page's sizes, to round-off.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn scalar_and_default_planners_agree() {
        let mut rng = Rng::new(13);
        for n in [32, 64, 128, 256] {
            let x = complex_gaussian(n * n, &mut rng);
            let a = Fourier2d::scalar(n).apply(x.view());
            let b = Fourier2d::new(n).apply(x.view());
            assert!(norm2((&a - &b).view()) < 1e-13 * norm2(x.view()), "n = {n}");
        }
    }

    /// The blocked transpose against the definition, at sides with and without edges, with
    /// and without the scale.
    #[test]
    fn the_blocked_transpose_is_the_transpose() {
        let mut rng = Rng::new(14);
        for n in [1, 5, 16, 17, 40, 128] {
            let a = complex_gaussian(n * n, &mut rng).to_vec();
            let mut out = vec![C64::new(f64::NAN, 0.0); n * n];
            transpose(&a, &mut out, n, None);
            let mut scaled = vec![C64::new(f64::NAN, 0.0); n * n];
            transpose(&a, &mut scaled, n, Some(0.25));
            for r in 0..n {
                for c in 0..n {
                    assert_eq!(out[c * n + r], a[r * n + c], "n = {n}");
                    assert_eq!(scaled[c * n + r], a[r * n + c] * 0.25, "n = {n}");
                }
            }
        }
    }

    #[test]
    fn known_values_delta_and_constant() {
        let n = 8;
        let f = Fourier2d::new(n);
        // A delta at the origin has a flat spectrum 1/n; a constant image is n at frequency 0.
        let mut delta = Array1::from_elem(n * n, C64::new(0.0, 0.0));
        delta[0] = C64::new(1.0, 0.0);
        assert!(f
            .apply(delta.view())
            .iter()
            .all(|z| (z - C64::new(1.0 / n as f64, 0.0)).norm() < 1e-15));
        let ones = Array1::from_elem(n * n, C64::new(1.0, 0.0));
        let k = f.apply(ones.view());
        assert!((k[0] - C64::new(n as f64, 0.0)).norm() < 1e-13);
        assert!(k.iter().skip(1).all(|z| z.norm() < 1e-13));
        // A plane wave exp(2 pi i (2 r + 3 c) / n) is a single spike at (2, 3) of height n.
        let wave = Array1::from_shape_fn(n * n, |i| {
            let (r, c) = (i / n, i % n);
            C64::from_polar(
                1.0,
                2.0 * std::f64::consts::PI * (2 * r + 3 * c) as f64 / 8.0,
            )
        });
        let k = f.apply(wave.view());
        for (i, z) in k.iter().enumerate() {
            let want = if i == 2 * n + 3 { n as f64 } else { 0.0 };
            assert!((z - C64::new(want, 0.0)).norm() < 1e-12, "index {i}: {z}");
        }
    }

    #[test]
    fn is_unitary_and_adjoint_to_its_inverse() {
        let mut rng = Rng::new(12);
        for n in [16, 64, 128] {
            let f = Fourier2d::new(n);
            assert!(adjoint_mismatch(&f, &mut rng) < 1e-12);
            let x = complex_gaussian(n * n, &mut rng);
            let y = f.apply(x.view());
            assert!((norm2(y.view()) - norm2(x.view())).abs() < 1e-12 * norm2(x.view()));
            let back = f.adjoint(y.view());
            assert!(norm2((&back - &x).view()) < 1e-13 * norm2(x.view()));
        }
    }

    #[test]
    fn frequency_conventions() {
        assert_eq!(
            (0..8).map(|k| signed_freq(k, 8)).collect::<Vec<_>>(),
            [0, 1, 2, 3, -4, -3, -2, -1]
        );
        assert_eq!(
            (0..5).map(|k| signed_freq(k, 5)).collect::<Vec<_>>(),
            [0, 1, 2, -2, -1]
        );
        for n in [7, 8] {
            for j in 0..n {
                let k = centred_to_fft(j, n);
                assert_eq!(fft_to_centred(k, n), j);
                // Centred position j stands for frequency j - n/2.
                assert_eq!(signed_freq(k, n), j as i64 - (n / 2) as i64);
            }
        }
        // fftshift puts the zero frequency in the middle.
        let n = 4;
        let mut y = Array1::from_elem(n * n, C64::new(0.0, 0.0));
        y[0] = C64::new(1.0, 0.0);
        let s = fftshift(y.view(), n);
        assert_eq!(s[2 * n + 2], C64::new(1.0, 0.0));
    }
}
