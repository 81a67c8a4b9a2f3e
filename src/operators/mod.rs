//! Linear operators of the MRI model y = A x + e, each with its adjoint.
//!
//! An image is an n x n array stored row-major as a flat vector of complex numbers (real
//! images have zero imaginary part; iterates of the solvers need not). Every operator maps
//! C^{dim_in} to C^{dim_out} and has an adjoint with
//!
//! ```text
//! <A x, y> = <x, A* y>   for all x, y,   <u, v> = sum_i u_i conj(v_i),
//! ```
//!
//! which [`adjoint_mismatch`] measures (normalised by ||A|| ||x|| ||y||, as ODL does) and
//! every operator's tests check to 1e-12.
//!
//! - [`fourier`]: the unitary 2-D discrete Fourier transform F (F* F = I), and its conventions
//!   for where the zero frequency sits.
//! - [`sampling`]: A = P_Omega F, the measurements an MRI scanner makes; A A* = I.
//! - [`masks`]: the sampling patterns Omega (variable density, radial, Cartesian, uniform,
//!   multilevel, painted), nested as the sample count grows.
//! - [`wavelet`]: orthonormal periodic wavelets (Haar and Daubechies-4), several levels.
//! - [`finite_diff`]: periodic finite differences, the gradient behind total variation.

pub mod finite_diff;
pub mod fourier;
pub mod masks;
pub mod sampling;
pub mod wavelet;

use crate::rng::Rng;
use ndarray::{Array1, ArrayView1};
pub use num_complex::Complex64 as C64;
use std::sync::{Arc, Mutex};

/// A few work buffers an operator keeps between calls, so that the solvers' inner loops
/// (`apply_into`, `adjoint_into`, thousands of calls per reconstruction) allocate nothing
/// once warm. [`Reuse::take`] hands out a buffer of the asked length (its contents are
/// whatever the last user left; callers overwrite or clear it), [`Reuse::give`] returns it.
///
/// Operators are shared across threads (`Send + Sync`), so the pool sits behind a mutex; a
/// caller that finds it busy (another thread inside the same operator) simply allocates, so
/// no thread ever waits. It keeps at most [`Reuse::KEEP`] buffers. A clone starts empty.
#[derive(Default)]
pub struct Reuse(Mutex<Vec<Vec<C64>>>);

impl Reuse {
    /// At most this many buffers are kept (the most any operator takes at once).
    pub const KEEP: usize = 2;

    /// A buffer of `len` values (contents unspecified).
    pub fn take(&self, len: usize) -> Vec<C64> {
        let kept = self.0.try_lock().ok().and_then(|mut v| v.pop());
        let mut b = kept.unwrap_or_default();
        b.resize(len, C64::new(0.0, 0.0));
        b
    }

    /// Returns a buffer for a later [`Reuse::take`].
    pub fn give(&self, b: Vec<C64>) {
        if let Ok(mut v) = self.0.try_lock() {
            if v.len() < Self::KEEP {
                v.push(b);
            }
        }
    }
}

impl Clone for Reuse {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reuse")
    }
}

/// A linear map C^{dim_in} -> C^{dim_out} with its adjoint.
/// Operators are `Send + Sync` (plain data), so shared ones can cross threads.
pub trait LinearOperator: Send + Sync {
    /// Length of the vectors it takes.
    fn dim_in(&self) -> usize;
    /// Length of the vectors it returns.
    fn dim_out(&self) -> usize;
    /// y = A x.
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64>;
    /// x = A* y, the conjugate transpose.
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64>;
    /// The operator norm ||A|| (exact, or an upper bound where stated).
    fn norm(&self) -> f64;

    /// out = A x, into a buffer the caller keeps (the solvers' inner loops use this; the
    /// hot operators override it to avoid allocating).
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        let y = self.apply(ArrayView1::from(x));
        out.iter_mut().zip(y.iter()).for_each(|(o, v)| *o = *v);
    }

    /// out = A* y, into a buffer the caller keeps.
    fn adjoint_into(&self, y: &[C64], out: &mut [C64]) {
        let x = self.adjoint(ArrayView1::from(y));
        out.iter_mut().zip(x.iter()).for_each(|(o, v)| *o = *v);
    }
}

/// The inner product <u, v> = sum_i u_i conj(v_i).
pub fn inner(u: ArrayView1<C64>, v: ArrayView1<C64>) -> C64 {
    u.iter().zip(v.iter()).map(|(a, b)| a * b.conj()).sum()
}

/// The Euclidean norm of a complex vector.
pub fn norm2(u: ArrayView1<C64>) -> f64 {
    u.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt()
}

/// A real vector as a complex one.
pub fn complex(x: ArrayView1<f64>) -> Array1<C64> {
    x.mapv(|v| C64::new(v, 0.0))
}

/// A vector of independent standard complex Gaussians (real and imaginary parts N(0, 1/2)).
pub fn complex_gaussian(n: usize, rng: &mut Rng) -> Array1<C64> {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    Array1::from_shape_fn(n, |_| C64::new(s * rng.normal(), s * rng.normal()))
}

/// The adjointness error |<A x, y> - <x, A* y>| / (||A|| ||x|| ||y||) at random complex x, y
/// (the normalisation of ODL's operator diagnostics). Exact arithmetic gives 0; f64 round-off
/// gives about 1e-16 times the number of operations each entry sees.
pub fn adjoint_mismatch<A: LinearOperator + ?Sized>(a: &A, rng: &mut Rng) -> f64 {
    let x = complex_gaussian(a.dim_in(), rng);
    let y = complex_gaussian(a.dim_out(), rng);
    let ax = a.apply(x.view());
    let aty = a.adjoint(y.view());
    assert_eq!(ax.len(), a.dim_out(), "apply returned the wrong length");
    assert_eq!(aty.len(), a.dim_in(), "adjoint returned the wrong length");
    (inner(ax.view(), y.view()) - inner(x.view(), aty.view())).norm()
        / (a.norm() * norm2(x.view()) * norm2(y.view()))
}

/// The largest difference between `apply`/`adjoint` and `apply_into`/`adjoint_into` at random
/// x, y (the two paths must agree; 0 when they run the same arithmetic).
pub fn into_forms_match<A: LinearOperator + ?Sized>(a: &A, rng: &mut Rng) -> f64 {
    let x = complex_gaussian(a.dim_in(), rng);
    let y = complex_gaussian(a.dim_out(), rng);
    let mut ax = vec![C64::new(7.0, 7.0); a.dim_out()];
    let mut aty = vec![C64::new(7.0, 7.0); a.dim_in()];
    a.apply_into(x.as_slice().expect("contiguous"), &mut ax);
    a.adjoint_into(y.as_slice().expect("contiguous"), &mut aty);
    let d1 = a
        .apply(x.view())
        .iter()
        .zip(&ax)
        .map(|(u, v)| (u - v).norm())
        .fold(0.0, f64::max);
    let d2 = a
        .adjoint(y.view())
        .iter()
        .zip(&aty)
        .map(|(u, v)| (u - v).norm())
        .fold(0.0, f64::max);
    d1.max(d2)
}

/// The composition A B (first B, then A).
#[derive(Clone)]
pub struct Compose {
    pub outer: Arc<dyn LinearOperator>,
    pub inner: Arc<dyn LinearOperator>,
    /// The intermediate B x (or A* y), kept between calls.
    mid: Reuse,
}

impl Compose {
    /// A B: first `inner` (B), then `outer` (A).
    pub fn new(outer: Arc<dyn LinearOperator>, inner: Arc<dyn LinearOperator>) -> Self {
        Self {
            outer,
            inner,
            mid: Reuse::default(),
        }
    }
}

impl LinearOperator for Compose {
    fn dim_in(&self) -> usize {
        self.inner.dim_in()
    }
    fn dim_out(&self) -> usize {
        self.outer.dim_out()
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        self.outer.apply(self.inner.apply(x).view())
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.inner.adjoint(self.outer.adjoint(y).view())
    }
    /// ||A B|| <= ||A|| ||B||.
    fn norm(&self) -> f64 {
        self.outer.norm() * self.inner.norm()
    }
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        let mut mid = self.mid.take(self.inner.dim_out());
        self.inner.apply_into(x, &mut mid);
        self.outer.apply_into(&mid, out);
        self.mid.give(mid);
    }
    fn adjoint_into(&self, y: &[C64], out: &mut [C64]) {
        let mut mid = self.mid.take(self.outer.dim_in());
        self.outer.adjoint_into(y, &mut mid);
        self.inner.adjoint_into(&mid, out);
        self.mid.give(mid);
    }
}

/// The adjoint A* as an operator in its own right (A** = A).
#[derive(Clone)]
pub struct Adjoint(pub Arc<dyn LinearOperator>);

impl LinearOperator for Adjoint {
    fn dim_in(&self) -> usize {
        self.0.dim_out()
    }
    fn dim_out(&self) -> usize {
        self.0.dim_in()
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        self.0.adjoint(x)
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.0.apply(y)
    }
    fn norm(&self) -> f64 {
        self.0.norm()
    }
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        self.0.adjoint_into(x, out)
    }
    fn adjoint_into(&self, y: &[C64], out: &mut [C64]) {
        self.0.apply_into(y, out)
    }
}

/// A dense matrix as an operator (for tests and tiny problems), with its spectral norm.
#[derive(Clone)]
pub struct Matrix {
    pub a: ndarray::Array2<C64>,
    norm: f64,
}

impl Matrix {
    /// Wraps `a`; its norm ||a||_2 comes from power iteration on a* a, run until it settles
    /// to round-off (at most 10,000 steps; meant for small matrices).
    pub fn new(a: ndarray::Array2<C64>) -> Self {
        let mut v = Array1::from_shape_fn(a.ncols(), |i| C64::new(1.0 + 0.1 * i as f64, 0.3));
        let mut est = 0.0;
        for _ in 0..10_000 {
            let nv = norm2(v.view());
            if nv == 0.0 {
                break;
            }
            v /= C64::new(nv, 0.0);
            let av = a.dot(&v);
            v = a.t().mapv(|z| z.conj()).dot(&av);
            let next = norm2(av.view());
            if (next - est).abs() <= 1e-15 * next {
                est = next;
                break;
            }
            est = next;
        }
        Self { a, norm: est }
    }
}

impl LinearOperator for Matrix {
    fn dim_in(&self) -> usize {
        self.a.ncols()
    }
    fn dim_out(&self) -> usize {
        self.a.nrows()
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        self.a.dot(&x)
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.a.t().mapv(|z| z.conj()).dot(&y)
    }
    fn norm(&self) -> f64 {
        self.norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The checker itself must fail on an operator whose "adjoint" is wrong: here the
    /// transpose without the conjugate.
    struct NotAdjoint(Matrix);
    impl LinearOperator for NotAdjoint {
        fn dim_in(&self) -> usize {
            self.0.dim_in()
        }
        fn dim_out(&self) -> usize {
            self.0.dim_out()
        }
        fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
            self.0.apply(x)
        }
        fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
            self.0.a.t().dot(&y)
        }
        fn norm(&self) -> f64 {
            self.0.norm()
        }
    }

    fn random_matrix(m: usize, n: usize, rng: &mut Rng) -> Matrix {
        let v = complex_gaussian(m * n, rng);
        Matrix::new(v.into_shape_with_order((m, n)).unwrap())
    }

    #[test]
    fn the_adjoint_checker_passes_a_matrix_and_catches_a_missing_conjugate() {
        let mut rng = Rng::new(1);
        let a = random_matrix(7, 5, &mut rng);
        assert!(adjoint_mismatch(&a, &mut rng) < 1e-15);
        let wrong = NotAdjoint(random_matrix(7, 5, &mut rng));
        assert!(adjoint_mismatch(&wrong, &mut rng) > 1e-3);
    }

    #[test]
    fn composition_is_adjoint_to_the_reversed_composition() {
        let mut rng = Rng::new(2);
        let a = Arc::new(random_matrix(4, 6, &mut rng));
        let b = Arc::new(random_matrix(6, 3, &mut rng));
        let ab = Compose::new(a.clone(), b.clone());
        assert_eq!((ab.dim_out(), ab.dim_in()), (4, 3));
        assert!(adjoint_mismatch(&ab, &mut rng) < 1e-15);
        let x = complex_gaussian(3, &mut rng);
        let direct = a.a.dot(&b.a.dot(&x));
        assert!(norm2((&ab.apply(x.view()) - &direct).view()) < 1e-12);
        let at = Adjoint(a.clone());
        assert_eq!((at.dim_out(), at.dim_in()), (6, 4));
        assert!(adjoint_mismatch(&at, &mut rng) < 1e-15);
    }

    #[test]
    fn into_forms_of_composition_and_adjoint_match() {
        let mut rng = Rng::new(3);
        let a = Arc::new(random_matrix(4, 6, &mut rng));
        let b = Arc::new(random_matrix(6, 3, &mut rng));
        let ab = Compose::new(a.clone(), b);
        assert!(into_forms_match(&ab, &mut rng) == 0.0);
        // Warm: the kept buffer's old contents must not leak into the next call.
        assert!(into_forms_match(&ab, &mut rng) == 0.0);
        assert!(into_forms_match(&Adjoint(a), &mut rng) == 0.0);
    }

    #[test]
    fn the_pool_hands_out_the_asked_length_and_keeps_at_most_two() {
        let pool = Reuse::default();
        let a = pool.take(5);
        let b = pool.take(3);
        let c = pool.take(4);
        assert_eq!((a.len(), b.len(), c.len()), (5, 3, 4));
        let a_ptr = a.as_ptr();
        pool.give(a);
        pool.give(b);
        pool.give(c);
        assert_eq!(pool.0.lock().unwrap().len(), Reuse::KEEP);
        // The last buffer given back is the next one taken (here b, then a), resized.
        let _b = pool.take(3);
        let a2 = pool.take(2);
        assert_eq!((a2.len(), a2.as_ptr()), (2, a_ptr));
        assert!(pool.clone().0.lock().unwrap().is_empty());
    }

    #[test]
    fn inner_product_conjugates_its_second_argument() {
        let u = ndarray::array![C64::new(0.0, 1.0)];
        let v = ndarray::array![C64::new(0.0, 1.0)];
        assert_eq!(inner(u.view(), v.view()), C64::new(1.0, 0.0));
        assert_eq!(norm2(u.view()), 1.0);
    }
}
