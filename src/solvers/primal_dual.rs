//! The square-root LASSO and Chambolle-Pock's primal-dual iteration for it.
//!
//! The problem, for a data operator B (||B|| <= 1 here: A W* or A) and measurements y:
//!
//! ```text
//! min_x  R(x) + ||B x - y||_2,     R(x) = lambda sum_i w_i |x_i|      (weighted l1, x = W z)
//!                                  R(x) = lambda sum_px ||(D x)_px||_2 (isotropic TV)
//! ```
//!
//! Unlike the LASSO, the best lambda of the square-root LASSO does not depend on the noise
//! level (Belloni, Chernozhukov, Wang, Biometrika 2011), and the problem is positively
//! homogeneous: the minimiser for data a y is a times the minimiser for y, which FIRENET's
//! restarts use.
//!
//! **Chambolle-Pock** (J. Math. Imaging Vis. 2011), in the order of Antun, Colbrook, Hansen
//! (PNAS 2022), with q the dual variable of the data term and, for TV, p that of D x:
//!
//! ```text
//! x+ = prox_{tau R0}(x - tau (B* q + s D* p))       (R0 = lambda ||.||_{1,w}, or 0 for TV)
//! x_ = 2 x+ - x
//! q+ = proj_{||q||_2 <= 1}(q + sigma (B x_ - y))
//! p+ = proj_{|p_px| <= lambda / s}(p + sigma s D x_) (TV only)
//! ```
//!
//! TV uses the normalised gradient s D with s = 1 / ||D|| (= 1 / sqrt 8), so that the stacked
//! operator K = [B; s D] has ||K||^2 <= 2. Convergence needs tau sigma ||K||^2 <= 1 (the
//! ergodic rate of Chambolle and Pock, "On the ergodic convergence rates of a first-order
//! primal-dual algorithm", Math. Program. 159, 2016, allows equality): the defaults are
//! tau = sigma = 1 / ||K|| (1 for the l1 problem, as the authors use).
//! The output of a run of p steps is the ergodic average (x_1 + ... + x_p) / p, for which the
//! O(1/p) bound on the primal-dual gap holds; [`PrimalDual::last`] is the last iterate.

use super::prox::{project_l2_ball, project_pairs, soft_threshold};
use super::Iterative;
use crate::operators::finite_diff::isotropic_tv;
use crate::operators::{norm2, LinearOperator, C64};
use ndarray::{Array1, ArrayView1};
use std::sync::Arc;

/// The regularising term R of the square-root LASSO.
#[derive(Clone)]
pub enum Regulariser {
    /// lambda sum_i w_i |x_i| (weights None: all 1).
    WeightedL1 {
        lambda: f64,
        weights: Option<Arc<Vec<f64>>>,
    },
    /// lambda sum over pixels of ||(D x)_px||_2, D a gradient with the pairs (h_i, v_i)
    /// stacked as [h; v] (see [`crate::operators::finite_diff`]).
    Tv {
        lambda: f64,
        grad: Arc<dyn LinearOperator>,
    },
}

/// min_x R(x) + ||B x - y||_2.
#[derive(Clone)]
pub struct SqrtLasso {
    pub b: Arc<dyn LinearOperator>,
    pub y: Array1<C64>,
    pub reg: Regulariser,
}

impl SqrtLasso {
    /// The objective R(x) + ||B x - y||_2.
    pub fn objective(&self, x: ArrayView1<C64>) -> f64 {
        let r = &self.b.apply(x) - &self.y;
        let reg = match &self.reg {
            Regulariser::WeightedL1 { lambda, weights } => {
                lambda
                    * match weights {
                        Some(w) => x.iter().zip(w.iter()).map(|(z, w)| w * z.norm()).sum(),
                        None => x.iter().map(|z| z.norm()).sum::<f64>(),
                    }
            }
            Regulariser::Tv { lambda, grad } => lambda * isotropic_tv(grad.apply(x).view()),
        };
        reg + norm2(r.view())
    }

    /// ||K|| for the stacked operator the iteration uses: ||B|| for l1, sqrt(||B||^2 + 1)
    /// for TV (normalised gradient).
    pub fn stacked_norm(&self) -> f64 {
        let nb = self.b.norm();
        match self.reg {
            Regulariser::WeightedL1 { .. } => nb,
            Regulariser::Tv { .. } => (nb * nb + 1.0).sqrt(),
        }
    }
}

/// Step sizes; `None` picks tau = sigma = 1 / ||K||.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Steps {
    pub tau: Option<f64>,
    pub sigma: Option<f64>,
}

/// Chambolle-Pock on the problem with data scaled by `alpha` (min R(x) + ||B x - alpha y||),
/// for a planned number of steps.
#[derive(Clone)]
pub struct PrimalDual {
    problem: Arc<SqrtLasso>,
    y: Array1<C64>,
    x: Array1<C64>,
    q: Array1<C64>,
    p: Option<Array1<C64>>,
    sum: Array1<C64>,
    tau: f64,
    sigma: f64,
    /// s = 1 / ||D|| for TV.
    s: f64,
    iterations: usize,
    planned: usize,
    /// Work buffers, kept between steps: B* q (+ s D* p), x_ = 2 x+ - x, B x_, D x_, D* p.
    g: Vec<C64>,
    bar: Vec<C64>,
    bx: Vec<C64>,
    dx: Vec<C64>,
    dtp: Vec<C64>,
}

impl PrimalDual {
    /// Starts at primal x0 with zero dual variables, on data alpha y.
    pub fn new(
        problem: Arc<SqrtLasso>,
        alpha: f64,
        x0: Array1<C64>,
        planned: usize,
        steps: Steps,
    ) -> Self {
        let k = problem.stacked_norm().max(f64::MIN_POSITIVE);
        let tau = steps.tau.unwrap_or(1.0 / k);
        let sigma = steps.sigma.unwrap_or(1.0 / k);
        let (p, s) = match &problem.reg {
            Regulariser::Tv { grad, .. } => (
                Some(Array1::zeros(grad.dim_out())),
                1.0 / grad.norm().max(f64::MIN_POSITIVE),
            ),
            Regulariser::WeightedL1 { .. } => (None, 1.0),
        };
        let y = &problem.y * C64::new(alpha, 0.0);
        let (m, dim) = (problem.b.dim_out(), problem.b.dim_in());
        assert_eq!(x0.len(), dim, "the start has the wrong length");
        let q = Array1::zeros(m);
        let sum = Array1::zeros(dim);
        let zero = C64::new(0.0, 0.0);
        let dlen = p.as_ref().map_or(0, |p| p.len());
        Self {
            problem,
            y,
            x: x0.as_standard_layout().into_owned(),
            q,
            p,
            sum,
            tau,
            sigma,
            s,
            iterations: 0,
            planned,
            g: vec![zero; dim],
            bar: vec![zero; dim],
            bx: vec![zero; m],
            dx: vec![zero; dlen],
            dtp: vec![zero; if dlen > 0 { dim } else { 0 }],
        }
    }

    /// The step sizes (tau, sigma) in use.
    pub fn steps(&self) -> (f64, f64) {
        (self.tau, self.sigma)
    }

    /// The last iterate x_k.
    pub fn last(&self) -> &Array1<C64> {
        &self.x
    }

    /// The ergodic average (x_1 + ... + x_k) / k (x_0 before the first step).
    pub fn ergodic(&self) -> Array1<C64> {
        if self.iterations == 0 {
            self.x.clone()
        } else {
            &self.sum * C64::new(1.0 / self.iterations as f64, 0.0)
        }
    }

    /// The dual iterate q of the data term.
    pub fn dual(&self) -> &Array1<C64> {
        &self.q
    }

    /// For TV: the dual iterate p of the normalised gradient s D x, and s.
    pub fn tv_dual(&self) -> Option<(&Array1<C64>, f64)> {
        self.p.as_ref().map(|p| (p, self.s))
    }

    fn iterate(&mut self) {
        let pb = &*self.problem;
        let (tau, sigma, s) = (self.tau, self.sigma, self.s);
        let contiguous = "arrays are contiguous";
        let x = self.x.as_slice_mut().expect(contiguous);
        let q = self.q.as_slice_mut().expect(contiguous);
        let sum = self.sum.as_slice_mut().expect(contiguous);
        let y = self.y.as_slice().expect(contiguous);
        // g = B* q + s D* p
        pb.b.adjoint_into(q, &mut self.g);
        if let (Some(p), Regulariser::Tv { grad, .. }) = (&self.p, &pb.reg) {
            grad.adjoint_into(p.as_slice().expect(contiguous), &mut self.dtp);
            for (g, d) in self.g.iter_mut().zip(&self.dtp) {
                *g += d * s;
            }
        }
        // x+ = prox_{tau R0}(x - tau g), x_ = 2 x+ - x, and the running sum of the x+.
        let (threshold, weights) = match &pb.reg {
            Regulariser::WeightedL1 { lambda, weights } => {
                (Some(tau * lambda), weights.as_deref().map(Vec::as_slice))
            }
            Regulariser::Tv { .. } => (None, None),
        };
        let rows = x
            .iter_mut()
            .zip(sum.iter_mut())
            .zip(self.bar.iter_mut())
            .zip(&self.g);
        for (i, (((x, sum), bar), g)) in rows.enumerate() {
            let mut v = *x - g * tau;
            if let Some(t) = threshold {
                v = soft_threshold(v, weights.map_or(t, |w| t * w[i]));
            }
            *bar = v * 2.0 - *x;
            *sum += v;
            *x = v;
        }
        // q+ = proj_ball(q + sigma (B x_ - y))
        pb.b.apply_into(&self.bar, &mut self.bx);
        for ((q, b), y) in q.iter_mut().zip(&self.bx).zip(y) {
            *q += (b - y) * sigma;
        }
        project_l2_ball(self.q.view_mut(), 1.0);
        // p+ = proj_{|p_px| <= lambda / s}(p + sigma s D x_)
        if let (Some(p), Regulariser::Tv { lambda, grad }) = (&mut self.p, &pb.reg) {
            grad.apply_into(&self.bar, &mut self.dx);
            p.iter_mut()
                .zip(&self.dx)
                .for_each(|(p, d)| *p += d * (sigma * s));
            project_pairs(p.view_mut(), lambda / s);
        }
    }
}

impl Iterative for PrimalDual {
    fn step(&mut self) {
        if !self.done() {
            self.iterate();
            self.iterations += 1;
        }
    }
    fn done(&self) -> bool {
        self.iterations >= self.planned
    }
    fn iterations(&self) -> usize {
        self.iterations
    }
    fn planned(&self) -> usize {
        self.planned
    }
    /// The ergodic average, the output of a run.
    fn estimate(&self) -> Array1<C64> {
        self.ergodic()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::operators::finite_diff::Gradient2d;
    use crate::operators::sampling::SubsampledFourier;
    use crate::operators::{complex_gaussian, inner, Matrix};
    use crate::rng::Rng;
    use ndarray::Array2;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A random unitary matrix: Gram-Schmidt on complex Gaussian columns.
    pub(crate) fn random_unitary(n: usize, rng: &mut Rng) -> Array2<C64> {
        let mut q = Array2::<C64>::zeros((n, n));
        for j in 0..n {
            let mut v = complex_gaussian(n, rng);
            for k in 0..j {
                let col = q.column(k).to_owned();
                let proj = inner(v.view(), col.view());
                v.scaled_add(-proj, &col);
            }
            let nv = norm2(v.view());
            q.column_mut(j).assign(&(v / C64::new(nv, 0.0)));
        }
        q
    }

    /// The exact minimiser of lambda sum w_i |x_i| + ||Q x - y||_2 for unitary Q. With
    /// c = Q* y and r = y - Q x the residual, optimality reads x_i = S_{T w_i}(c_i) with
    /// T = lambda ||r||, and ||r||^2 = sum_i min(|c_i|, T w_i)^2: T is the positive root of
    /// T = lambda sqrt(sum_i min(|c_i|, T w_i)^2), found by bisection to machine precision
    /// (it exists when lambda ||w|| > 1; otherwise x = c).
    pub(crate) fn sqrt_lasso_unitary_exact(c: &Array1<C64>, w: &[f64], lambda: f64) -> Array1<C64> {
        let phi = |t: f64| {
            lambda
                * c.iter()
                    .zip(w)
                    .map(|(ci, wi)| ci.norm().min(t * wi).powi(2))
                    .sum::<f64>()
                    .sqrt()
                - t
        };
        // Below min |c_i| / w_i every min() is T w_i, so phi(T) = T (lambda ||w|| - 1) there.
        let floor = c
            .iter()
            .zip(w)
            .map(|(ci, wi)| ci.norm() / wi)
            .fold(f64::INFINITY, f64::min);
        let (mut lo, mut hi) = (1e-3 * floor, lambda * norm2(c.view()) * 2.0 + 1.0);
        assert!(phi(lo) > 0.0, "lambda ||w|| <= 1: the exact fit x = c");
        for _ in 0..2000 {
            let mid = 0.5 * (lo + hi);
            if phi(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-16 * hi {
                break;
            }
        }
        let t = 0.5 * (lo + hi);
        c.iter()
            .zip(w)
            .map(|(&ci, &wi)| super::super::prox::soft_threshold(ci, t * wi))
            .collect()
    }

    /// Chambolle-Pock on a 5 x 5 weighted square-root LASSO with a unitary operator, against
    /// the exact solution: the last iterate agrees to 1e-10 after 2,000 steps (the iteration
    /// converges linearly here; the tolerance is far above round-off, 1e-15, and far below
    /// the solution's size, 1).
    #[test]
    fn chambolle_pock_solves_a_5x5_problem_exactly() {
        let mut rng = Rng::new(51);
        for case in 0..5 {
            let q = random_unitary(5, &mut rng);
            let y = complex_gaussian(5, &mut rng);
            let w = vec![1.0, 0.5, 2.0, 1.0, 0.25];
            let lambda = 0.4 + 0.1 * case as f64;
            let c = q.t().mapv(|z| z.conj()).dot(&y);
            let exact = sqrt_lasso_unitary_exact(&c, &w, lambda);
            // Some entries are zero and some are not: a real test of the thresholds.
            let zeros = exact.iter().filter(|z| z.norm() == 0.0).count();
            assert!(zeros > 0 && zeros < 5, "case {case}: {zeros} zeros");
            let problem = Arc::new(SqrtLasso {
                b: Arc::new(Matrix::new(q)),
                y,
                reg: Regulariser::WeightedL1 {
                    lambda,
                    weights: Some(Arc::new(w)),
                },
            });
            let mut pd = PrimalDual::new(
                problem.clone(),
                1.0,
                Array1::zeros(5),
                2000,
                Steps::default(),
            );
            // tau = sigma = 1 / ||Q|| = 1 (the norm from power iteration, to round-off).
            assert!((pd.steps().0 - 1.0).abs() < 1e-12 && pd.steps().0 == pd.steps().1);
            pd.run();
            let err = norm2((pd.last() - &exact).view());
            assert!(err < 1e-10, "case {case}: error {err}");
            assert!(problem.objective(pd.last().view()) <= problem.objective(exact.view()) + 1e-12);
        }
    }

    /// TV with a large lambda on a subsampled Fourier problem: the minimiser has no variation
    /// at all, so it is the constant image c 1 that best fits the data. A (c 1) = c n e_0 (the
    /// zero frequency, which Omega contains), so c = y_0 / n exactly.
    #[test]
    fn chambolle_pock_tv_with_large_lambda_gives_the_exact_constant() {
        let mut rng = Rng::new(52);
        let n = 8;
        let mut omega: Vec<usize> = (1..n * n).collect();
        rng.shuffle(&mut omega);
        omega.truncate(20);
        omega.push(0);
        let a = SubsampledFourier::new(n, omega).unwrap();
        let y = complex_gaussian(a.dim_out(), &mut rng);
        let c = y[0] / n as f64;
        let problem = Arc::new(SqrtLasso {
            b: Arc::new(a),
            y,
            reg: Regulariser::Tv {
                lambda: 10.0,
                grad: Arc::new(Gradient2d::new(n)),
            },
        });
        let mut pd = PrimalDual::new(problem, 1.0, Array1::zeros(n * n), 3000, Steps::default());
        pd.run();
        let err = pd.last().iter().map(|z| (z - c).norm()).fold(0.0, f64::max);
        assert!(err < 1e-9, "largest deviation from the constant {c}: {err}");
    }

    /// At a moderate lambda the TV solution is not known in closed form: check the optimality
    /// (KKT) conditions with the primal and dual iterates. x minimises
    /// lambda ||D x||_{2,1} + ||B x - y|| if and only if some q, p have
    ///   B* q + s D* p = 0,   q = (B x - y) / ||B x - y||,
    ///   |p_px| <= lambda / s, and p_px = (lambda / s) (D x)_px / |(D x)_px| where (D x)_px != 0.
    /// After 20,000 steps on an 8 x 8 problem the first two hold to 1e-8 relative and the
    /// subgradient to 1e-5 at the 33 pixels where |(D x)_px| > 1e-2 (measured 2.8e-7). Where
    /// the variation is nearly zero its direction converges slowly (1.1e-6 at a pixel with
    /// variation 5e-3, 1.4e-7 after 60,000 steps), so those pixels are left out.
    #[test]
    fn chambolle_pock_tv_satisfies_the_optimality_conditions() {
        let mut rng = Rng::new(53);
        let n = 8;
        let mut omega: Vec<usize> = (0..n * n).collect();
        rng.shuffle(&mut omega);
        omega.truncate(30);
        let a = SubsampledFourier::new(n, omega).unwrap();
        // Data of a square (piecewise constant, TV's home ground) with noise, so that at this
        // lambda the solution neither fits the data exactly nor is constant.
        let square = Array1::from_shape_fn(n * n, |i| {
            let (r, c) = (i / n, i % n);
            C64::new(
                if (2..6).contains(&r) && (3..7).contains(&c) {
                    1.0
                } else {
                    0.0
                },
                0.0,
            )
        });
        let y = &a.apply(square.view())
            + &(complex_gaussian(a.dim_out(), &mut rng) * C64::new(0.1, 0.0));
        let grad = Gradient2d::new(n);
        let lambda = 0.1;
        let problem = Arc::new(SqrtLasso {
            b: Arc::new(a.clone()),
            y: y.clone(),
            reg: Regulariser::Tv {
                lambda,
                grad: Arc::new(grad),
            },
        });
        let mut pd = PrimalDual::new(problem, 1.0, Array1::zeros(n * n), 20000, Steps::default());
        pd.run();
        let x = pd.last();
        let q = pd.dual();
        let (p, s) = pd.tv_dual().unwrap();
        // Stationarity.
        let btq = a.adjoint(q.view());
        let station = &btq + &(grad.adjoint(p.view()) * C64::new(s, 0.0));
        assert!(
            norm2(station.view()) < 1e-8 * norm2(btq.view()),
            "{}",
            norm2(station.view())
        );
        // q is the residual's direction.
        let r = &a.apply(x.view()) - &y;
        let dir = &r / C64::new(norm2(r.view()), 0.0);
        assert!(
            norm2(r.view()) > 0.1,
            "the data are not fitted exactly at this lambda"
        );
        assert!(norm2((q - &dir).view()) < 1e-8);
        // p is the TV term's subgradient (scaled), and the TV is not trivial here.
        let dx = grad.apply(x.view());
        let m = n * n;
        let bound = lambda / s;
        let mut edges = 0;
        let mut worst = 0.0f64;
        for i in 0..m {
            let (ph, pv) = (p[i], p[m + i]);
            assert!((ph.norm_sqr() + pv.norm_sqr()).sqrt() <= bound * (1.0 + 1e-12));
            let g = (dx[i].norm_sqr() + dx[m + i].norm_sqr()).sqrt();
            if g > 1e-2 {
                edges += 1;
                let (eh, ev) = (ph - dx[i] / g * bound, pv - dx[m + i] / g * bound);
                let err = (eh.norm_sqr() + ev.norm_sqr()).sqrt() / bound;
                assert!(
                    err < 1e-5,
                    "pixel {i}: |(D x)_px| = {g}, misaligned by {err}"
                );
                worst = worst.max(err);
            }
        }
        assert!(
            edges > 10 && edges < m - 10,
            "{edges} pixels with variation"
        );
    }

    #[test]
    fn the_ergodic_average_averages_the_iterates() {
        let mut rng = Rng::new(54);
        let q = random_unitary(3, &mut rng);
        let problem = Arc::new(SqrtLasso {
            b: Arc::new(Matrix::new(q)),
            y: complex_gaussian(3, &mut rng),
            reg: Regulariser::WeightedL1 {
                lambda: 0.3,
                weights: None,
            },
        });
        let mut pd = PrimalDual::new(problem, 1.0, Array1::zeros(3), 3, Steps::default());
        let mut iterates = Vec::new();
        while !pd.done() {
            pd.step();
            iterates.push(pd.last().clone());
        }
        pd.step(); // past the plan: nothing happens
        assert_eq!(pd.iterations(), 3);
        let mean = (&iterates[0] + &iterates[1] + &iterates[2]) / C64::new(3.0, 0.0);
        assert!(norm2((&pd.estimate() - &mean).view()) < 1e-15);
    }
}
