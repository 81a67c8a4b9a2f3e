//! FIRENET: the restarted, rescaled primal-dual iteration, unrolled into a network.
//!
//! Antun, Colbrook, Hansen, "The difficulty of computing stable and accurate neural networks:
//! on the barriers of deep learning and Smale's 18th problem", PNAS 2022 (FIRENET: "Fast
//! Iterative REstarted NETworks"). Each of the n restarts runs p steps of Chambolle-Pock
//! ([`super::primal_dual`]) on the square-root LASSO with the data rescaled by alpha_k and the
//! dual variable reset to zero; each step is a layer (a linear map and a nonlinearity), so
//! the whole map y -> psi_n is a neural network with n p layers:
//!
//! ```text
//! eps_0 = ||y||,  psi_0 = 0
//! for k = 1..n:
//!     eps_k   = e^{-1} (delta + eps_{k-1})
//!     beta_k  = eps_k / (2 L)
//!     alpha_k = 1 / (beta_k p)
//!     psi_k   = (1 / alpha_k) * ergodic average of p primal-dual steps on
//!               min R(x) + ||B x - alpha_k y||, started at alpha_k psi_{k-1} with q = 0
//! ```
//!
//! Under a robust null space property in levels the output obeys
//! ||psi_n - x|| <~ sigma_s(x)_{l1_w} / sqrt(s) + ||e|| + e^{-n}: stable in the noise e and
//! exponentially convergent in the number of restarts n. Defaults are the authors' MRI ones:
//! L = 1, delta = 1e-9, tau = sigma = 1 (for ||B|| = 1), n x p = 5 x 5.

use super::primal_dual::{Back, PrimalDual, SqrtLasso, Steps};
use super::Iterative;
use crate::operators::{norm2, C64};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// FIRENET's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FirenetOptions {
    /// n, the number of restarts.
    pub restarts: usize,
    /// p, the primal-dual steps per restart.
    pub inner: usize,
    /// delta, the accuracy floor the schedule aims at.
    pub delta: f64,
    /// L, the sharpness constant of the schedule.
    pub sharpness: f64,
    #[serde(skip)]
    pub steps: Steps,
}

impl Default for FirenetOptions {
    fn default() -> Self {
        Self {
            restarts: 5,
            inner: 5,
            delta: 1e-9,
            sharpness: 1.0,
            steps: Steps::default(),
        }
    }
}

/// FIRENET's restart schedule: eps_0 = ||y||, then per restart eps_k = e^{-1} (delta +
/// eps_{k-1}), beta_k = eps_k / (2 L), alpha_k = 1 / (beta_k p) (Antun, Colbrook, Hansen,
/// PNAS 2022). [`Firenet`] and the reconstruction map with its vector-Jacobian product
/// ([`crate::recon::vjp::FirenetMap`]) both draw their restarts from it.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    delta: f64,
    sharpness: f64,
    inner: usize,
    /// eps_k of the last restart drawn (eps_0 = ||y|| before the first).
    eps: f64,
}

/// One restart of the schedule: eps_k and alpha_k.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Restart {
    pub eps: f64,
    pub alpha: f64,
}

impl Schedule {
    /// The schedule for `opts` on data of norm `y_norm` (eps_0).
    pub fn new(opts: &FirenetOptions, y_norm: f64) -> Self {
        Self {
            delta: opts.delta,
            sharpness: opts.sharpness,
            inner: opts.inner,
            eps: y_norm,
        }
    }

    /// The next restart, k = 1, 2, ...
    pub fn next_restart(&mut self) -> Restart {
        self.eps = (self.delta + self.eps) / std::f64::consts::E;
        let beta = self.eps / (2.0 * self.sharpness);
        let alpha = 1.0 / (beta * self.inner as f64);
        Restart {
            eps: self.eps,
            alpha,
        }
    }
}

impl Restart {
    /// The restart's start alpha_k psi_{k-1}.
    pub fn start(&self, psi: &Array1<C64>) -> Array1<C64> {
        psi * C64::new(self.alpha, 0.0)
    }

    /// The restart's data alpha_k y.
    pub fn data(&self, y: ArrayView1<C64>) -> Array1<C64> {
        &y * C64::new(self.alpha, 0.0)
    }

    /// psi_k = (the ergodic average of the restart's steps) / alpha_k.
    pub fn rescale(&self, average: Array1<C64>) -> Array1<C64> {
        average * C64::new(1.0 / self.alpha, 0.0)
    }
}

/// FIRENET's reverse pass, restart by restart from the last, complex vectors taken as real
/// ones (<u, v> = Re sum conj(u_i) v_i). Restart k (x0 = alpha_k psi_{k-1}, b = alpha_k y,
/// psi_k = (sum_j x_j) / (p alpha_k)) sends the cotangent psi^_k of psi_k into every iterate
/// x_j as psi^_k / (p alpha_k); the p reverse primal-dual steps
/// ([`ChambollePock::back_step`]) then give X0, the cotangent of the restart's start, and b^,
/// that of its data; and
///
/// ```text
/// alpha^_k = -Re<psi^_k, psi_k> / alpha_k + Re<b^, y> + Re<X0, psi_{k-1}>,
/// psi^_{k-1} = alpha_k X0,   y^ += alpha_k b^,
/// eps^_k = -alpha^_k alpha_k / eps_k + eps^_{k+1} / e,   and at the end y^ += eps^_0 y / ||y||
/// ```
///
/// (alpha_k = 2 L / (p eps_k), so d alpha_k / d eps_k = -alpha_k / eps_k; eps_k depends on
/// eps_{k-1} through the factor 1 / e, and eps_0 = ||y|| has gradient y / ||y||).
///
/// [`ChambollePock::back_step`]: super::primal_dual::ChambollePock::back_step
pub struct Reverse {
    /// psi^_k, the cotangent of the output of the restart to be reversed next.
    cpsi: Vec<C64>,
    /// y^, accumulated.
    cy: Vec<C64>,
    /// eps^_{k+1} / e: the cotangent of eps_k through eps_{k+1}.
    carry: f64,
    /// psi^_k / (p alpha_k).
    inject: Vec<C64>,
    /// p, the steps per restart.
    inner: f64,
}

impl Reverse {
    /// From the cotangent of the output psi_n, for data of length `m` and `inner` steps per
    /// restart.
    pub fn new(cpsi: Vec<C64>, m: usize, inner: usize) -> Self {
        let dim = cpsi.len();
        Self {
            cpsi,
            cy: vec![C64::new(0.0, 0.0); m],
            carry: 0.0,
            inject: vec![C64::new(0.0, 0.0); dim],
            inner: inner as f64,
        }
    }

    /// Reverses restart k (`restart`, from psi_{k-1} = `psi_prev` to psi_k = `psi`, on data
    /// y). `steps_back(inject, bk)` must run the restart's p reverse steps on the zeroed
    /// cotangents `bk`, adding `inject` to the cotangent of every x+; it leaves X0 in `bk.cx`
    /// and b^ in `bk.cys`.
    pub fn restart(
        &mut self,
        restart: Restart,
        y: &[C64],
        (psi_prev, psi): (&[C64], &[C64]),
        bk: &mut Back,
        steps_back: impl FnOnce(&[C64], &mut Back),
    ) {
        let Restart { eps, alpha } = restart;
        let mut calpha = -re_dot(&self.cpsi, psi) / alpha;
        let f = 1.0 / (self.inner * alpha);
        for (i, c) in self.inject.iter_mut().zip(&self.cpsi) {
            *i = c * f;
        }
        bk.zero();
        steps_back(&self.inject, bk);
        for (o, c) in self.cy.iter_mut().zip(&bk.cys) {
            *o += c * alpha;
        }
        calpha += re_dot(&bk.cys, y) + re_dot(&bk.cx, psi_prev);
        for (c, x) in self.cpsi.iter_mut().zip(&bk.cx) {
            *c = x * alpha;
        }
        let ceps = -calpha * alpha / eps + self.carry;
        self.carry = ceps / std::f64::consts::E;
    }

    /// y^ after the first restart has been reversed, adding the term through eps_0 = ||y||
    /// when `through_norm` (left out at y = 0, where the norm is not differentiable, and in
    /// the test that shows its omission is caught).
    pub fn finish(self, y: &[C64], y_norm: f64, through_norm: bool) -> Vec<C64> {
        let mut out = self.cy;
        if through_norm && y_norm > 0.0 {
            let f = self.carry / y_norm;
            for (o, y) in out.iter_mut().zip(y) {
                *o += y * f;
            }
        }
        out
    }
}

/// Re <u, v>, the real inner product of complex vectors.
fn re_dot(u: &[C64], v: &[C64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| a.re * b.re + a.im * b.im)
        .sum()
}

/// FIRENET, run one layer (one primal-dual step) at a time.
pub struct Firenet {
    problem: Arc<SqrtLasso>,
    opts: FirenetOptions,
    /// psi_k after the last finished restart.
    psi: Array1<C64>,
    schedule: Schedule,
    /// Restarts finished.
    restarts_done: usize,
    /// The running restart.
    inner: Option<(PrimalDual, Restart)>,
}

impl Firenet {
    pub fn new(problem: Arc<SqrtLasso>, opts: FirenetOptions) -> Self {
        let schedule = Schedule::new(&opts, norm2(problem.y.view()));
        let psi = Array1::zeros(problem.b.dim_in());
        Self {
            problem,
            opts,
            psi,
            schedule,
            restarts_done: 0,
            inner: None,
        }
    }

    /// Restarts finished so far.
    pub fn restarts_done(&self) -> usize {
        self.restarts_done
    }

    /// psi_k, the output of the last finished restart (psi_0 = 0).
    pub fn psi(&self) -> &Array1<C64> {
        &self.psi
    }

    /// The rescaling alpha_k of the running (or last) restart.
    pub fn alpha(&self) -> Option<f64> {
        self.inner.as_ref().map(|(_, r)| r.alpha)
    }

    fn start_restart(&mut self) {
        let o = &self.opts;
        let r = self.schedule.next_restart();
        let pd = PrimalDual::new(
            self.problem.clone(),
            r.alpha,
            r.start(&self.psi),
            o.inner,
            o.steps,
        );
        self.inner = Some((pd, r));
    }
}

impl Iterative for Firenet {
    fn step(&mut self) {
        if self.done() {
            return;
        }
        if self.inner.as_ref().is_none_or(|(pd, _)| pd.done()) {
            self.start_restart();
        }
        let Some((pd, r)) = self.inner.as_mut() else {
            return;
        };
        pd.step();
        if pd.done() {
            self.psi = r.rescale(pd.ergodic());
            self.restarts_done += 1;
        }
    }
    fn done(&self) -> bool {
        self.restarts_done >= self.opts.restarts
    }
    /// Layers run: primal-dual steps over all restarts.
    fn iterations(&self) -> usize {
        let running = match &self.inner {
            Some((pd, _)) if !pd.done() => pd.iterations(),
            _ => 0,
        };
        self.restarts_done * self.opts.inner + running
    }
    fn planned(&self) -> usize {
        self.opts.restarts * self.opts.inner
    }
    /// psi_k after a finished restart; within a restart, its running ergodic average
    /// rescaled (what the network's output would be if cut at this layer).
    fn estimate(&self) -> Array1<C64> {
        match &self.inner {
            Some((pd, r)) if !pd.done() && pd.iterations() > 0 => r.rescale(pd.ergodic()),
            _ => self.psi.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{complex_gaussian, LinearOperator, Matrix};
    use crate::rng::Rng;
    use crate::solvers::primal_dual::Regulariser;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The least-squares slope of log(errors) against 1, 2, 3, ...
    fn log_slope(errors: &[f64]) -> f64 {
        let n = errors.len() as f64;
        let xs: Vec<f64> = (1..=errors.len()).map(|k| k as f64).collect();
        let ys: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        sxy / sxx
    }

    /// Compressed sensing in its home regime: a 3-sparse x in C^60 seen through 24 random
    /// Gaussian measurements (||B|| = 1), no noise. The square-root LASSO then recovers x
    /// exactly (zero residual), the objective grows linearly away from x (sharpness), and
    /// FIRENET's error ||psi_k - x|| falls geometrically with the restarts k.
    #[test]
    fn firenet_converges_geometrically_with_restarts_on_a_sparse_problem() {
        let mut rng = Rng::new(61);
        let (m, n) = (24, 60);
        let g = complex_gaussian(m * n, &mut rng)
            .into_shape_with_order((m, n))
            .unwrap();
        let b0 = Matrix::new(g.clone());
        let b = Matrix::new(g / C64::new(b0.norm(), 0.0));
        let mut x = Array1::<C64>::zeros(n);
        for (i, v) in [(3, 1.0), (17, -0.7), (41, 0.5)] {
            x[i] = C64::new(v, 0.3 * v);
        }
        let y = b.apply(x.view());
        let lambda = 0.05;
        let problem = Arc::new(SqrtLasso {
            b: Arc::new(b),
            y,
            reg: Regulariser::WeightedL1 {
                lambda,
                weights: None,
            },
        });
        let opts = FirenetOptions {
            restarts: 15,
            inner: 20,
            ..Default::default()
        };
        let mut net = Firenet::new(problem.clone(), opts);
        let mut errors = Vec::new();
        while !net.done() {
            net.step();
            if net.iterations() % opts.inner == 0 {
                assert_eq!(net.restarts_done(), errors.len() + 1);
                errors.push(norm2((net.psi() - &x).view()));
            }
        }
        assert_eq!(errors.len(), 15);
        assert_eq!(net.iterations(), 300);
        // The same 300 primal-dual steps as one run (FIRENET without restarts).
        let mut flat = Firenet::new(
            problem,
            FirenetOptions {
                restarts: 1,
                inner: 300,
                ..opts
            },
        );
        flat.run();
        let flat_error = norm2((flat.psi() - &x).view());
        assert!(flat_error > 1e3 * errors[14], "{flat_error}");
        // The schedule divides eps by e per restart: a slope of -1 in log(error). Measured:
        // errors from 0.23 down to 5.9e-8; without restarts the same 300 steps reach 0.059.
        let slope = log_slope(&errors);
        assert!(slope <= -0.9, "slope {slope}, errors {errors:?}");
        assert!(errors[14] < 1e-7, "{errors:?}");
    }
}
