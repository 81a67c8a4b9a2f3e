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
