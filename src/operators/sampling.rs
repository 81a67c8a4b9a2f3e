//! The MRI measurement operator A = P_Omega F.
//!
//! F is the unitary 2-D DFT ([`super::fourier`]); P_Omega keeps the Fourier coefficients whose
//! (FFT-order) index is in Omega, in increasing order. Then
//!
//! ```text
//! A A* = I (on C^m),   A* A = F* P_Omega* P_Omega F,   ||A|| = 1 (Omega not empty),
//! ```
//!
//! and the orthogonal projector onto the kernel of A is I - A* A. A* y is the zero-filled
//! reconstruction: the missing coefficients set to zero, then the inverse transform.

use super::fourier::Fourier2d;
use super::{complex, complex_gaussian, norm2, LinearOperator, Reuse, C64};
use crate::params::{Field, Kind};
use crate::rng::Rng;
use ndarray::{Array1, ArrayView1};

/// A = P_Omega F on n x n images.
#[derive(Clone)]
pub struct SubsampledFourier {
    fourier: Fourier2d,
    /// Omega: sorted, distinct FFT-order indices k1 n + k2.
    indices: Vec<usize>,
    /// The same coefficients in the transposed layout k2 n + k1 the fast path uses.
    transposed: Vec<usize>,
    /// The two n x n work buffers of `apply_into` / `adjoint_into`, kept between calls.
    work: Reuse,
}

impl SubsampledFourier {
    /// `indices`: the sampled coefficients in FFT order (any order, no repeats, each < n^2).
    pub fn new(n: usize, mut indices: Vec<usize>) -> Result<Self, String> {
        indices.sort_unstable();
        indices.dedup();
        if indices.last().is_some_and(|&i| i >= n * n) {
            return Err(format!("a sample index is outside the {n} x {n} k-space"));
        }
        let transposed = indices.iter().map(|&i| (i % n) * n + i / n).collect();
        Ok(Self {
            fourier: Fourier2d::new(n),
            indices,
            transposed,
            work: Reuse::default(),
        })
    }

    pub fn side(&self) -> usize {
        self.fourier.side()
    }

    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    pub fn fourier(&self) -> &Fourier2d {
        &self.fourier
    }

    /// The fraction of k-space sampled, |Omega| / n^2.
    pub fn rate(&self) -> f64 {
        self.indices.len() as f64 / self.dim_in() as f64
    }
}

impl LinearOperator for SubsampledFourier {
    fn dim_in(&self) -> usize {
        self.side() * self.side()
    }
    fn dim_out(&self) -> usize {
        self.indices.len()
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        let mut out = Array1::zeros(self.dim_out());
        let x = x.to_vec();
        self.apply_into(&x, out.as_slice_mut().expect("contiguous"));
        out
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        let mut out = Array1::zeros(self.dim_in());
        let y = y.to_vec();
        self.adjoint_into(&y, out.as_slice_mut().expect("contiguous"));
        out
    }
    /// The FFT with one transpose, gathering from the transposed layout; the 1/n of the
    /// unitary transform is applied to the m gathered values only.
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        let n = self.side();
        assert_eq!(
            out.len(),
            self.indices.len(),
            "expected one value per sample"
        );
        let mut work = self.work.take(n * n);
        work.copy_from_slice(x);
        let mut k = self.work.take(n * n);
        self.fourier.forward_unscaled_transposed(&mut work, &mut k);
        let s = 1.0 / n as f64;
        for (o, &t) in out.iter_mut().zip(&self.transposed) {
            *o = k[t] * s;
        }
        self.work.give(k);
        self.work.give(work);
    }
    fn adjoint_into(&self, y: &[C64], out: &mut [C64]) {
        let n = self.side();
        assert_eq!(y.len(), self.indices.len(), "expected one value per sample");
        // The unsampled coefficients are zero: a kept buffer is cleared first.
        let mut kt = self.work.take(n * n);
        kt.fill(C64::new(0.0, 0.0));
        let s = 1.0 / n as f64;
        for (&t, &v) in self.transposed.iter().zip(y) {
            kt[t] = v * s;
        }
        self.fourier.inverse_unscaled_from_transposed(&mut kt, out);
        self.work.give(kt);
    }
    /// A partial isometry: 1 (0 with no samples).
    fn norm(&self) -> f64 {
        if self.indices.is_empty() {
            0.0
        } else {
            1.0
        }
    }
}

/// The measurement y = A x + e of a real image x, with a given noise e (none: e = 0). Every
/// measurement in the lab (the MRI page, the network's training and tests, the instability
/// test, kernel awareness) is made here.
pub fn measure_with<A: LinearOperator + ?Sized>(
    a: &A,
    x: ArrayView1<f64>,
    e: Option<&Array1<C64>>,
) -> Array1<C64> {
    let mut y = a.apply(complex(x).view());
    if let Some(e) = e {
        y += e;
    }
    y
}

/// The measurement of a real image with seeded noise: (A x, e) with ||e|| = level ||A x||
/// ([`noise`]), so y = A x + e.
pub fn measure_parts<A: LinearOperator + ?Sized>(
    a: &A,
    x: ArrayView1<f64>,
    level: f64,
    seed: u32,
) -> (Array1<C64>, Array1<C64>) {
    let ax = measure_with(a, x, None);
    let e = noise(&ax, level, seed);
    (ax, e)
}

/// y = A x + e with seeded noise of ||e|| = level ||A x|| ([`measure_parts`]).
pub fn measure<A: LinearOperator + ?Sized>(
    a: &A,
    x: ArrayView1<f64>,
    level: f64,
    seed: u32,
) -> Array1<C64> {
    let (ax, e) = measure_parts(a, x, level, seed);
    ax + e
}

/// The measurement noise ||e|| / ||A x|| as every page and command that measures offers it.
pub const NOISE_FIELD: Field = Field {
    key: "noise",
    label: "Noise ‖e‖ / ‖Ax‖",
    unit: "%",
    help: "Complex Gaussian noise added to the measurements, relative to their size (the same for every method).",
    kind: Kind::Float {
        min: 0.0,
        max: 0.2,
        step: 0.001,
        log: false,
    },
};

/// The noise e: a complex Gaussian vector scaled to ||e|| = level ||A x|| exactly (seeded).
pub fn noise(ax: &Array1<C64>, level: f64, seed: u32) -> Array1<C64> {
    if level == 0.0 || ax.is_empty() {
        return Array1::zeros(ax.len());
    }
    let mut rng = Rng::new(((seed as u64) << 32) ^ 0x6e6f_6973);
    let g = complex_gaussian(ax.len(), &mut rng);
    let s = level * norm2(ax.view()) / norm2(g.view());
    g * C64::new(s, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::fourier::Fourier2d;
    use crate::operators::{adjoint_mismatch, complex_gaussian, norm2};
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn random_omega(n: usize, m: usize, rng: &mut Rng) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n * n).collect();
        rng.shuffle(&mut all);
        all.truncate(m);
        all
    }

    #[test]
    fn adjointness_and_a_a_star_is_the_identity() {
        let mut rng = Rng::new(21);
        for (n, m) in [(8, 20), (15, 50), (32, 300), (64, 1000), (128, 4096)] {
            let a = SubsampledFourier::new(n, random_omega(n, m, &mut rng)).unwrap();
            assert_eq!((a.dim_out(), a.dim_in()), (m, n * n));
            assert!(adjoint_mismatch(&a, &mut rng) < 1e-12);
            // Against the definition: the full unitary FFT, then the samples.
            let x = complex_gaussian(n * n, &mut rng);
            let full = Fourier2d::new(n).apply(x.view());
            let direct: Array1<C64> = a.indices().iter().map(|&i| full[i]).collect();
            assert!(norm2((&a.apply(x.view()) - &direct).view()) < 1e-13 * norm2(x.view()));
            let y = complex_gaussian(m, &mut rng);
            let back = a.apply(a.adjoint(y.view()).view());
            assert!(norm2((&back - &y).view()) < 1e-13 * norm2(y.view()));
        }
    }

    #[test]
    fn the_kernel_projector_removes_exactly_what_a_sees() {
        let mut rng = Rng::new(22);
        let n = 16;
        let a = SubsampledFourier::new(n, random_omega(n, 60, &mut rng)).unwrap();
        let w = complex_gaussian(n * n, &mut rng);
        // z = w - A* A w is in the kernel, and orthogonal to A* A w.
        let z = &w - &a.adjoint(a.apply(w.view()).view());
        assert!(norm2(a.apply(z.view()).view()) < 1e-14 * norm2(w.view()));
        let seen = &w - &z;
        let dot = crate::operators::inner(z.view(), seen.view()).norm();
        assert!(dot < 1e-13 * norm2(w.view()).powi(2));
    }

    #[test]
    fn bad_indices_are_refused_and_repeats_merged() {
        assert!(SubsampledFourier::new(4, vec![16]).is_err());
        let a = SubsampledFourier::new(4, vec![3, 1, 3]).unwrap();
        assert_eq!(a.indices(), &[1, 3]);
        assert_eq!(a.rate(), 2.0 / 16.0);
    }
}
