//! Periodic finite differences: the discrete gradient behind total variation.
//!
//! For an n x n image x (indices mod n),
//!
//! ```text
//! (D x)_h[r, c] = x[r, c+1] - x[r, c],     (D x)_v[r, c] = x[r+1, c] - x[r, c],
//! ```
//!
//! stored as the n^2 horizontal differences followed by the n^2 vertical ones. The adjoint is
//! minus the divergence,
//!
//! ```text
//! (D* p)[r, c] = p_h[r, c-1] - p_h[r, c] + p_v[r-1, c] - p_v[r, c].
//! ```
//!
//! D* D is the periodic Laplacian (with sign), whose eigenvalues are
//! 4 sin^2(pi k1 / n) + 4 sin^2(pi k2 / n), so ||D|| = sqrt(8) for even n (the checkerboard).
//! The isotropic total variation is TV(x) = sum_{r,c} sqrt(|(Dx)_h|^2 + |(Dx)_v|^2).

use super::{LinearOperator, C64};
use ndarray::{Array1, ArrayView1};

/// The periodic forward-difference gradient on n x n images.
#[derive(Clone, Copy, Debug)]
pub struct Gradient2d {
    pub n: usize,
}

impl Gradient2d {
    pub fn new(n: usize) -> Self {
        Self { n }
    }
}

impl LinearOperator for Gradient2d {
    fn dim_in(&self) -> usize {
        self.n * self.n
    }
    fn dim_out(&self) -> usize {
        2 * self.n * self.n
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        let mut out = Array1::zeros(self.dim_out());
        let x = x.to_vec();
        self.apply_into(&x, out.as_slice_mut().expect("contiguous"));
        out
    }
    fn adjoint(&self, p: ArrayView1<C64>) -> Array1<C64> {
        let mut out = Array1::zeros(self.dim_in());
        let p = p.to_vec();
        self.adjoint_into(&p, out.as_slice_mut().expect("contiguous"));
        out
    }
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        let n = self.n;
        assert!(x.len() == n * n && out.len() == 2 * n * n, "wrong lengths");
        let (h, v) = out.split_at_mut(n * n);
        for r in 0..n {
            let row = &x[r * n..(r + 1) * n];
            let below = &x[((r + 1) % n) * n..((r + 1) % n + 1) * n];
            let hr = &mut h[r * n..(r + 1) * n];
            for c in 0..n - 1 {
                hr[c] = row[c + 1] - row[c];
            }
            hr[n - 1] = row[0] - row[n - 1];
            for ((o, b), a) in v[r * n..(r + 1) * n].iter_mut().zip(below).zip(row) {
                *o = b - a;
            }
        }
    }
    fn adjoint_into(&self, p: &[C64], out: &mut [C64]) {
        let n = self.n;
        assert!(p.len() == 2 * n * n && out.len() == n * n, "wrong lengths");
        let (h, v) = p.split_at(n * n);
        for r in 0..n {
            let hr = &h[r * n..(r + 1) * n];
            let vr = &v[r * n..(r + 1) * n];
            let up = (r + n - 1) % n;
            let vu = &v[up * n..(up + 1) * n];
            let o = &mut out[r * n..(r + 1) * n];
            o[0] = hr[n - 1] - hr[0];
            for c in 1..n {
                o[c] = hr[c - 1] - hr[c];
            }
            for ((o, a), b) in o.iter_mut().zip(vu).zip(vr) {
                *o += a - b;
            }
        }
    }
    /// sqrt(8): exact for even n, an upper bound for odd n.
    fn norm(&self) -> f64 {
        8f64.sqrt()
    }
}

/// The isotropic total variation sum sqrt(|h|^2 + |v|^2) of a gradient D x.
pub fn isotropic_tv(grad: ArrayView1<C64>) -> f64 {
    let m = grad.len() / 2;
    (0..m)
        .map(|i| (grad[i].norm_sqr() + grad[m + i].norm_sqr()).sqrt())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{adjoint_mismatch, complex, norm2};
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn adjointness() {
        let mut rng = Rng::new(31);
        for n in [1, 2, 3, 8, 33, 64] {
            assert!(
                adjoint_mismatch(&Gradient2d::new(n), &mut rng) < 1e-12,
                "n = {n}"
            );
        }
    }

    #[test]
    fn differences_of_a_ramp_wrap_around() {
        // x[r, c] = c on a 4 x 4 image: horizontal differences 1, 1, 1, then -3 (periodic),
        // vertical differences 0.
        let n = 4;
        let x = complex(Array1::from_shape_fn(n * n, |i| (i % n) as f64).view());
        let g = Gradient2d::new(n).apply(x.view());
        for r in 0..n {
            let row: Vec<f64> = (0..n).map(|c| g[r * n + c].re).collect();
            assert_eq!(row, [1.0, 1.0, 1.0, -3.0]);
        }
        assert!(g.iter().skip(n * n).all(|z| z.norm() == 0.0));
        // Constant images have no variation.
        let ones = complex(Array1::from_elem(n * n, 1.0).view());
        assert_eq!(
            isotropic_tv(Gradient2d::new(n).apply(ones.view()).view()),
            0.0
        );
    }

    #[test]
    fn the_checkerboard_attains_the_norm_sqrt_8() {
        let n = 8;
        let x = complex(
            Array1::from_shape_fn(n * n, |i| if (i / n + i % n) % 2 == 0 { 1.0 } else { -1.0 })
                .view(),
        );
        let g = Gradient2d::new(n);
        let ratio = norm2(g.apply(x.view()).view()) / norm2(x.view());
        assert!((ratio - g.norm()).abs() < 1e-14);
    }

    #[test]
    fn total_variation_of_a_square() {
        // A 3 x 3 square of ones in a 8 x 8 image: anisotropic edges of length 3 on each of
        // four sides, corners where both differences are nonzero count sqrt(2).
        let n = 8;
        let x = complex(
            Array1::from_shape_fn(n * n, |i| {
                let (r, c) = (i / n, i % n);
                if (2..5).contains(&r) && (2..5).contains(&c) {
                    1.0
                } else {
                    0.0
                }
            })
            .view(),
        );
        let tv = isotropic_tv(Gradient2d::new(n).apply(x.view()).view());
        // Forward differences: at (r, 1) for r in 2..5 (h = 1), (1, c) (v = 1), at (r, 4)
        // h = -1 and at (4, c) v = -1; (4, 4) has both: sqrt(2). 12 edges, one of them doubled.
        let want = 10.0 + 2f64.sqrt();
        assert!((tv - want).abs() < 1e-12, "TV {tv}, want {want}");
    }
}
