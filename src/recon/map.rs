//! A reconstruction map Psi: y -> x^ with its vector-Jacobian product, so the instability
//! test ([`crate::instability`]) attacks every method the same way.
//!
//! Complex vectors are treated as real ones (C^k as R^2k) with the real inner product
//! <u, v> = Re sum conj(u_i) v_i. The vector-Jacobian product of Psi at y is then the map
//! g -> J^T g with <J d, g> = <d, J^T g> for every direction d; for a complex-linear map
//! M it is the adjoint M*. A map that is only piecewise smooth (soft-thresholding, the
//! projections onto balls, ReLU) gets the derivative of the piece it is on.

use crate::operators::C64;
use ndarray::{Array1, ArrayView1};

/// The real inner product of complex vectors, <u, v> = Re sum conj(u_i) v_i, the convention
/// of every vector-Jacobian product here.
pub fn re_inner(u: ArrayView1<C64>, v: ArrayView1<C64>) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| a.re * b.re + a.im * b.im)
        .sum()
}

/// The backward pass of one evaluation: g (a cotangent of the output) -> J^T g.
pub type Vjp<'a> = Box<dyn Fn(ArrayView1<C64>) -> Array1<C64> + 'a>;

/// A reconstruction map from measurements (length [`ReconMap::dim_in`]) to a complex image
/// (length [`ReconMap::dim_out`], row-major n x n).
pub trait ReconMap: Send + Sync {
    /// A short name for tables and files.
    fn name(&self) -> String;
    fn dim_in(&self) -> usize;
    fn dim_out(&self) -> usize;
    /// Psi(y).
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64>;
    /// Psi(y), and the vector-Jacobian product at y.
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>);
}

/// The two sides of a central-difference check of a vector-Jacobian product at y, in
/// direction d, against cotangent g (see [`check_vjp`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VjpCheck {
    /// The central difference <(Psi(y + h d) - Psi(y - h d)) / 2h, g>.
    pub fd: f64,
    /// <d, J^T g>, from the vector-Jacobian product.
    pub vjp: f64,
}

impl VjpCheck {
    /// |fd - vjp| / max(|fd|, |vjp|), the relative disagreement of the two sides.
    pub fn relative_error(&self) -> f64 {
        (self.fd - self.vjp).abs() / self.fd.abs().max(self.vjp.abs())
    }
}

/// J^T g at y, as a function of (y, g).
pub type VjpAt<'a> = dyn Fn(ArrayView1<C64>, ArrayView1<C64>) -> Array1<C64> + 'a;

/// Checks `map`'s vector-Jacobian product at y against central differences: the derivative
/// along d seen through g, <(Psi(y + h d) - Psi(y - h d)) / 2h, g>, against <d, J^T g>
/// (equal when the VJP is right, since <J d, g> = <d, J^T g>).
///
/// The tolerance on [`VjpCheck::relative_error`]. For Psi three times differentiable near
/// y, the central difference errs by the truncation h^2 |Psi'''(y)[d, d, d]| / 6 plus the
/// round-off of the two evaluations, about eps |Psi(y)| / h (eps = 2.2e-16), times the growth
/// of round-off through a map's layers or iterations. With ||d|| comparable to ||y|| (the
/// scale of Psi's variation) and h = 1e-6 or 1e-5, the first is about 1e-12 to 1e-10 and
/// the second 1e-10 to 1e-11 relative, so a right VJP agrees to about 1e-9 and a tolerance
/// of 1e-7 or 1e-6 leaves a margin of a hundred or more; a wrong term (a sign, a factor, a
/// swapped real and imaginary part, a missing derivative) shows as an error of order 1
/// (the unrolled iterations' tests measure how large). The maps here are only piecewise
/// smooth (soft-thresholds, projections, ReLU): the check holds where no kink lies within
/// h ||d|| of y, which generic data give; a kink crossed shows as a failure, never as a
/// false pass. Each test states its h and tolerance with the numbers for its map.
pub fn check_vjp(
    map: &dyn ReconMap,
    y: ArrayView1<C64>,
    d: ArrayView1<C64>,
    g: ArrayView1<C64>,
    h: f64,
) -> VjpCheck {
    check_vjp_with(map, &|y, g| map.apply_vjp(y).1(g), y, d, g, h)
}

/// [`check_vjp`] with the VJP from `vjp(y, g)` instead of `map.apply_vjp` (to show that the
/// check catches a VJP with a term left out).
pub fn check_vjp_with(
    map: &dyn ReconMap,
    vjp: &VjpAt<'_>,
    y: ArrayView1<C64>,
    d: ArrayView1<C64>,
    g: ArrayView1<C64>,
    h: f64,
) -> VjpCheck {
    assert_eq!(d.len(), map.dim_in(), "the direction has the wrong length");
    assert_eq!(g.len(), map.dim_out(), "the cotangent has the wrong length");
    let step = &d * C64::new(h, 0.0);
    let plus = map.apply((&y + &step).view());
    let minus = map.apply((&y - &step).view());
    let diff = (&plus - &minus).mapv(|z| z / (2.0 * h));
    VjpCheck {
        fd: re_inner(diff.view(), g),
        vjp: re_inner(d, vjp(y, g).view()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{complex_gaussian, LinearOperator, Matrix};
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Psi(y) = M f(y) with f(y)_i = y_i |y_i|^2, whose VJP is
    /// J^T g = J_f (M* g), J_f c = |z|^2 c + 2 z Re(conj(z) c) per entry z = y_i (a symmetric
    /// real 2 x 2 matrix), or, with `factor` other than 2, a VJP with a wrong term.
    struct Cubic {
        m: Matrix,
        factor: f64,
    }

    impl ReconMap for Cubic {
        fn name(&self) -> String {
            "cubic".into()
        }
        fn dim_in(&self) -> usize {
            self.m.dim_in()
        }
        fn dim_out(&self) -> usize {
            self.m.dim_out()
        }
        fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
            self.m.apply(y.mapv(|z| z * z.norm_sqr()).view())
        }
        fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
            let y = y.to_owned();
            let out = self.apply(y.view());
            let vjp = move |g: ArrayView1<C64>| {
                let c = self.m.adjoint(g);
                Array1::from_shape_fn(y.len(), |i| {
                    let (z, c) = (y[i], c[i]);
                    c * z.norm_sqr() + z * (self.factor * (z.re * c.re + z.im * c.im))
                })
            };
            (out, Box::new(vjp))
        }
    }

    /// On a smooth map (h = 1e-5: truncation about 1e-10 relative, round-off about 1e-11)
    /// the check passes a right VJP to 1e-8 and fails one with a wrong factor (measured
    /// errors: 1e-11 to 6e-11, and 0.17 to 0.54).
    #[test]
    fn check_vjp_passes_a_right_vjp_and_fails_a_wrong_one() {
        let mut rng = Rng::new(3);
        let (m, n) = (7, 5);
        let entries = complex_gaussian(m * n, &mut rng);
        let matrix = Matrix::new(entries.into_shape_with_order((m, n)).unwrap());
        let right = Cubic {
            m: matrix.clone(),
            factor: 2.0,
        };
        let wrong = Cubic {
            m: matrix,
            factor: 1.0,
        };
        for trial in 0..3 {
            let y = complex_gaussian(n, &mut rng);
            let d = complex_gaussian(n, &mut rng);
            let g = complex_gaussian(m, &mut rng);
            let ok = check_vjp(&right, y.view(), d.view(), g.view(), 1e-5);
            let bad = check_vjp(&wrong, y.view(), d.view(), g.view(), 1e-5);
            eprintln!(
                "trial {trial}: right {:.1e}, wrong {:.1e}",
                ok.relative_error(),
                bad.relative_error()
            );
            assert!(ok.relative_error() < 1e-8, "{ok:?}");
            assert!(bad.relative_error() > 1e-2, "{bad:?}");
            // The wrong VJP's own side differs; the central difference is the map's.
            assert_eq!(ok.fd, bad.fd);
        }
    }
}
