//! The barrier of inexact input: a family of square-root LASSO problems where K correct digits
//! cannot be computed from inexact input, by any method (Colbrook, Antun, Hansen, "The
//! difficulty of computing stable and accurate neural networks: On the barriers of deep
//! learning and Smale's 18th problem", PNAS 2022, Theorem 2 and Table 1).
//!
//! The problem is min_z lambda ||z||_1 + ||A z - y||_2 with z in R^(N1 + N2), N1 = 2, N2 = 20,
//! delta = 1/6, lambda = 1. For accuracy K and inexactness n:
//!
//! ```text
//! gamma   = sqrt(2) (1 - delta) 10^K / (3 lambda),   rho = 1 - delta,   eps = 2^(-n-1)
//! t       = (eps / (gamma lambda)) rho^2 / (1 + (eps / (gamma lambda)) rho),   rho_min = rho - t
//! a       = (gamma lambda / rho, ..., gamma lambda / rho_min (entry j), ...)   in R^N1
//! A       = D [[a^T, 0], [0, ||a|| I_N2]],   y = D e_0      (D: the orthonormal DCT-II, 21 x 21)
//! z*      = rho_min / (lambda gamma) e_j                     (about 2.12 10^-K)
//! ```
//!
//! Since 1 / rho_min - 1 / rho = eps / (gamma lambda) exactly, the instances j = 1 and j = 2
//! differ by eps in two entries of the first row, so by sqrt(2) eps < 2^-n in operator norm
//! (D is orthonormal, ||a|| is the same for both), and not at all in y; yet their minimisers
//! are sqrt(2) rho_min / (lambda gamma), about 3 10^-K, apart. An input known to 2^-n fits both
//! problems, so no method returns a point within 1.5 10^-K of both minimisers: K digits are
//! impossible. Here j counts from 1, as in the paper.

use crate::operators::{Matrix, C64};
use crate::rng::Rng;
use crate::solvers::primal_dual::{Regulariser, SqrtLasso};
use ndarray::{Array1, Array2};
use std::f64::consts::PI;
use std::sync::Arc;

/// The sizes and constants of the family.
pub const N1: usize = 2;
pub const N2: usize = 20;
pub const DELTA: f64 = 1.0 / 6.0;
pub const LAMBDA: f64 = 1.0;
/// The cells (K, n) of the paper's table: K in {1, 3, 6}, n in {10, 20, 30}.
pub const TABLE_CELLS: [(u32, u32); 9] = [
    (1, 10),
    (1, 20),
    (1, 30),
    (3, 10),
    (3, 20),
    (3, 30),
    (6, 10),
    (6, 20),
    (6, 30),
];
/// Non-zeros in the tail of a training example.
pub const SPARSITY: usize = 5;

/// gamma = sqrt(2) (1 - delta) 10^K / (3 lambda).
pub fn gamma(k: u32) -> f64 {
    2f64.sqrt() * (1.0 - DELTA) * 10f64.powi(k as i32) / (3.0 * LAMBDA)
}

/// rho_min = rho - t for accuracy K and inexactness n.
pub fn rho_min(k: u32, n: u32) -> f64 {
    let rho = 1.0 - DELTA;
    let s = eps(n) / (gamma(k) * LAMBDA);
    rho - s * rho * rho / (1.0 + s * rho)
}

/// eps = 2^(-n-1), half the inexactness.
pub fn eps(n: u32) -> f64 {
    0.5f64.powi(n as i32 + 1)
}

/// The orthonormal DCT-II of size m: D[k][i] = c_k cos(pi (2 i + 1) k / (2 m)), c_0 =
/// sqrt(1 / m), c_k = sqrt(2 / m).
pub fn dct_ii(m: usize) -> Array2<f64> {
    Array2::from_shape_fn((m, m), |(k, i)| {
        let c = if k == 0 {
            1.0 / m as f64
        } else {
            2.0 / m as f64
        };
        c.sqrt() * (PI * (2 * i + 1) as f64 * k as f64 / (2 * m) as f64).cos()
    })
}

/// One exact problem of the family.
#[derive(Clone, Debug)]
pub struct Instance {
    pub k: u32,
    pub n: u32,
    /// Which of the first N1 entries carries the minimiser (1 or 2).
    pub j: usize,
    /// A, (1 + N2) x (N1 + N2), and y.
    pub a: Array2<f64>,
    pub y: Array1<f64>,
    /// The exact minimiser, rho_min / (lambda gamma) e_j.
    pub minimiser: Array1<f64>,
}

impl Instance {
    /// The instance j (1 or 2) for accuracy K (1..=8) and inexactness n (1..=60).
    pub fn new(k: u32, n: u32, j: usize) -> Result<Self, String> {
        if !(1..=8).contains(&k) {
            return Err(format!("K must be 1 to 8, not {k}"));
        }
        if !(1..=60).contains(&n) {
            return Err(format!("n must be 1 to 60, not {n}"));
        }
        if !(1..=N1).contains(&j) {
            return Err(format!("j must be 1 or 2, not {j}"));
        }
        let (g, rm) = (gamma(k), rho_min(k, n));
        let mut row = Array1::from_elem(N1, g * LAMBDA / (1.0 - DELTA));
        row[j - 1] = g * LAMBDA / rm;
        let norm = row.dot(&row).sqrt();
        let (m, cols) = (1 + N2, N1 + N2);
        let mut raw = Array2::zeros((m, cols));
        for (c, v) in row.iter().enumerate() {
            raw[[0, c]] = *v;
        }
        for i in 0..N2 {
            raw[[1 + i, N1 + i]] = norm;
        }
        let d = dct_ii(m);
        let mut e0 = Array1::zeros(m);
        e0[0] = 1.0;
        let mut minimiser = Array1::zeros(cols);
        minimiser[j - 1] = rm / (LAMBDA * g);
        Ok(Self {
            k,
            n,
            j,
            a: d.dot(&raw),
            y: d.dot(&e0),
            minimiser,
        })
    }

    /// A as the lab's (complex) linear operator, for the solvers.
    pub fn operator(&self) -> Matrix {
        Matrix::new(self.a.mapv(|v| C64::new(v, 0.0)))
    }

    /// ||A|| in closed form: ||a|| (D is orthonormal, and both blocks of
    /// [[a^T, 0], [0, ||a|| I]] have norm ||a||).
    pub fn norm(&self) -> f64 {
        let (g, rm) = (gamma(self.k) * LAMBDA, rho_min(self.k, self.n));
        (g / (1.0 - DELTA)).hypot(g / rm)
    }

    /// The problem as the lab's solvers take it: weighted l1 with all weights 1.
    pub fn problem(&self) -> Arc<SqrtLasso> {
        Arc::new(SqrtLasso {
            b: Arc::new(self.operator()),
            y: self.y.mapv(|v| C64::new(v, 0.0)),
            reg: Regulariser::WeightedL1 {
                lambda: LAMBDA,
                weights: None,
            },
        })
    }

    /// A training example of the family as the paper draws it: x = z* plus a
    /// [`SPARSITY`]-sparse tail in the last N2 entries (positions uniform, values N(0, 1) /
    /// ||a||), and y = A x = D (1, ||a|| x_tail). x is the minimiser for y
    /// ([`Instance::sample_certificate`] proves it).
    pub fn sample(&self, rng: &mut Rng) -> (Array1<f64>, Array1<f64>) {
        let mut x = self.minimiser.clone();
        let mut positions: Vec<usize> = (0..N2).collect();
        rng.shuffle(&mut positions);
        let na = self.norm();
        for &p in &positions[..SPARSITY] {
            x[N1 + p] = rng.normal() / na;
        }
        (self.a.dot(&x), x)
    }

    /// `count` training examples from a seeded generator, one per row: (ys, xs).
    pub fn training_set(&self, count: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
        let mut rng = Rng::new(seed);
        let mut ys = Array2::zeros((count, 1 + N2));
        let mut xs = Array2::zeros((count, N1 + N2));
        for i in 0..count {
            let (y, x) = self.sample(&mut rng);
            ys.row_mut(i).assign(&y);
            xs.row_mut(i).assign(&x);
        }
        (ys, xs)
    }

    /// The dual certificate of a training example x (from [`Instance::sample`]): in the
    /// unmixed coordinates u' = (-rho_min / gamma, -sign(x_tail) / ||a||), so that
    /// B^T u' is -lambda sign(x) on x's support; u = D u'.
    pub fn sample_certificate(&self, x: &Array1<f64>) -> Array1<f64> {
        let na = self.norm();
        let mut u = Array1::zeros(1 + N2);
        u[0] = -rho_min(self.k, self.n) / gamma(self.k);
        for i in 0..N2 {
            u[1 + i] = -LAMBDA * x[N1 + i].signum() / na * f64::from(x[N1 + i] != 0.0);
        }
        dct_ii(1 + N2).dot(&u)
    }

    /// The objective lambda ||z||_1 + ||A z - y||_2.
    pub fn objective(&self, z: &Array1<f64>) -> f64 {
        let r = self.a.dot(z) - &self.y;
        LAMBDA * z.iter().map(|v| v.abs()).sum::<f64>() + r.dot(&r).sqrt()
    }

    /// The dual certificate of the minimiser. There A z* = y (the first row gives
    /// a_j z*_j = 1), where ||A z - y|| is not differentiable; optimality is 0 in
    /// lambda d||z*||_1 + A^T u for some u with ||u|| <= 1. With A = D B and y = D e_0,
    /// u = -(rho_min / gamma) y gives A^T u = -(rho_min / gamma) B^T e_0 = -(rho_min / gamma) a
    /// on the first N1 entries (-lambda at j, -lambda rho_min / rho at the other) and 0 below.
    pub fn certificate(&self) -> Array1<f64> {
        &self.y * (-rho_min(self.k, self.n) / gamma(self.k))
    }

    /// How far (z, u) is from satisfying the optimality conditions of a zero-residual point:
    /// the largest of ||A z - y|| / ||y||, ||u|| - 1 (if positive), and, relative to lambda,
    /// |(A^T u)_i + lambda sign z_i| where z_i != 0 and |(A^T u)_i| - lambda (if positive)
    /// where z_i = 0.
    pub fn optimality_gap(&self, z: &Array1<f64>, u: &Array1<f64>) -> f64 {
        let r = self.a.dot(z) - &self.y;
        let residual = r.dot(&r).sqrt() / self.y.dot(&self.y).sqrt();
        let excess = (u.dot(u).sqrt() - 1.0).max(0.0);
        let g = self.a.t().dot(u);
        let stationarity = z
            .iter()
            .zip(g.iter())
            .map(|(&zi, &gi)| {
                if zi != 0.0 {
                    (gi + LAMBDA * zi.signum()).abs()
                } else {
                    (gi.abs() - LAMBDA).max(0.0)
                }
            })
            .fold(0.0, f64::max)
            / LAMBDA;
        residual.max(excess).max(stationarity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::LinearOperator;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CELLS: [(u32, u32); 9] = TABLE_CELLS;

    /// The DCT-II is orthonormal: D D^T = I to 1e-14.
    #[test]
    fn the_dct_is_orthonormal() {
        let d = dct_ii(1 + N2);
        let e = d.dot(&d.t()) - Array2::<f64>::eye(1 + N2);
        assert!(e.iter().all(|v| v.abs() < 1e-14), "{e}");
    }

    /// The closed-form minimiser satisfies the optimality conditions (to 1e-12) with its
    /// certificate, on every cell of the table and for both instances; a nearby point does
    /// not, and costs more.
    #[test]
    fn the_closed_form_minimisers_are_optimal() {
        for (k, n) in CELLS {
            for j in 1..=N1 {
                let p = Instance::new(k, n, j).unwrap();
                let u = p.certificate();
                let gap = p.optimality_gap(&p.minimiser, &u);
                assert!(gap < 1e-12, "K {k} n {n} j {j}: {gap}");
                assert!(u.dot(&u).sqrt() < 1.0);
                // The value is about 2.12 10^-K, as the paper says.
                let v = p.minimiser[j - 1] * 10f64.powi(k as i32);
                assert!((v - 3.0 / 2f64.sqrt()).abs() < 1e-3, "{v}");
                // A nearby point is not optimal, and its objective is larger.
                let mut z = p.minimiser.clone();
                z[j - 1] *= 1.01;
                assert!(p.optimality_gap(&z, &u) > 1e-6);
                assert!(p.objective(&z) > p.objective(&p.minimiser));
            }
        }
    }

    /// The two instances differ by at most 2^-n in A (sqrt(2) 2^(-n-1) up to rounding) and not
    /// at all in y, while their minimisers are 3 10^-K apart (to 1e-3 relative).
    #[test]
    fn inexact_input_fits_two_problems_whose_minimisers_differ() {
        for (k, n) in CELLS {
            let (p1, p2) = (
                Instance::new(k, n, 1).unwrap(),
                Instance::new(k, n, 2).unwrap(),
            );
            let da = Matrix::new((&p1.a - &p2.a).mapv(|v| C64::new(v, 0.0))).norm();
            assert!(da <= 0.5f64.powi(n as i32), "K {k} n {n}: {da}");
            // sqrt(2) eps exactly in real numbers; in f64 the entries (up to 10^K) are rounded
            // to their last place, which is 2.5 % of eps at K = 6, n = 30 (measured; 1e-14 at
            // K = 1, n = 10).
            let want = 2f64.sqrt() * eps(n);
            assert!((da - want).abs() <= 0.1 * want, "{da} vs {want}");
            assert_eq!(p1.y, p2.y);
            let dz = &p1.minimiser - &p2.minimiser;
            let gap = dz.dot(&dz).sqrt() * 10f64.powi(k as i32);
            assert!((gap - 3.0).abs() < 3e-3, "K {k} n {n}: gap {gap} 10^-K");
        }
    }

    /// A as the lab's operator: adjoint to 1e-12, its norm ||a|| (D is orthonormal and both
    /// blocks of [[a^T, 0], [0, ||a|| I]] have norm ||a||), and it maps the minimiser onto y.
    #[test]
    fn the_operator_is_the_matrix() {
        use crate::operators::{adjoint_mismatch, complex};
        let p = Instance::new(3, 20, 2).unwrap();
        let op = p.operator();
        assert!(adjoint_mismatch(&op, &mut crate::rng::Rng::new(4)) < 1e-12);
        let g = gamma(3) * LAMBDA;
        let s = ((g / (1.0 - DELTA)).powi(2) + (g / rho_min(3, 20)).powi(2)).sqrt();
        assert!((op.norm() - s).abs() <= 1e-12 * s, "{} vs {s}", op.norm());
        let az = op.apply(complex(p.minimiser.view()).view());
        let err = az
            .iter()
            .zip(p.y.iter())
            .map(|(a, y)| (a - y).norm())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "{err}");
    }

    /// Every training example is the minimiser of its own problem (certificate to 1e-12),
    /// with a 5-sparse tail; a seed gives the same set.
    #[test]
    fn training_examples_are_minimisers() {
        for (k, n) in [(1, 10), (6, 30)] {
            let p = Instance::new(k, n, 2).unwrap();
            let (ys, xs) = p.training_set(50, 7);
            for (y, x) in ys.rows().into_iter().zip(xs.rows()) {
                let q = Instance {
                    y: y.to_owned(),
                    ..p.clone()
                };
                let u = p.sample_certificate(&x.to_owned());
                assert!(u.dot(&u).sqrt() < 1.0);
                let gap = q.optimality_gap(&x.to_owned(), &u);
                assert!(gap < 1e-12, "K {k} n {n}: {gap}");
                assert_eq!(x.iter().skip(N1).filter(|v| **v != 0.0).count(), SPARSITY);
            }
            assert_eq!(p.training_set(50, 7), (ys, xs));
        }
    }

    #[test]
    fn bad_cells_are_errors() {
        assert!(Instance::new(0, 10, 1).is_err());
        assert!(Instance::new(9, 10, 1).is_err());
        assert!(Instance::new(3, 0, 1).is_err());
        assert!(Instance::new(3, 10, 3).is_err());
    }
}
