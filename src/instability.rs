//! The instability test of Antun, Renna, Poon, Adcock and Hansen ("On instabilities of deep
//! learning in image reconstruction and the potential costs of AI", PNAS 117, 2020): search
//! for a small perturbation r of the image x that a reconstruction map Psi amplifies.
//!
//! With the measurements y = A x + e (e a fixed noise, or none), maximise over **real**
//! images r
//!
//! ```text
//! Q(r) = ||Psi(A(x + r) + e) - Psi(A x + e)||^2 - lambda ||r||^2
//! ```
//!
//! by gradient ascent with momentum,
//!
//! ```text
//! v <- gamma v + eta grad Q(r),   r <- r + v,   r_0 = tau * peak(x) * U[0, 1] entries, v_0 = 0,
//! grad Q(r) = 2 Re(A* J^T delta) - 2 lambda r,   delta = Psi(A(x + r) + e) - Psi(A x + e),
//! ```
//!
//! J^T the vector-Jacobian product of Psi at A(x + r) + e ([`ReconMap::apply_vjp`]): with the
//! real inner product, the adjoint of r -> A r (real r) is g -> Re(A* g), A* taking
//! measurements to images. With a `budget`, r is projected after each step onto the ball
//! ||r|| <= budget ||x||, so that methods can be compared at one ||r|| / ||x|| (the momentum
//! v is left as it is). Without one, Q grows without bound once the map amplifies more than
//! sqrt(lambda), and snapshots at growing iteration counts give r_1 < r_2 < r_3 as in the
//! paper.
//!
//! What it reports, per snapshot r_j ([`Snapshot`]): Psi(A(x + r_j) + e) next to x + r_j,
//! ||r_j|| / ||x||, the errors ||Psi(.) - x|| / ||x|| with and without r_j, the
//! amplification ||Psi(A(x + r) + e) - Psi(A x + e)|| / ||r||, the local Lipschitz estimate
//! in the measurements ||Psi(A(x + r) + e) - Psi(A x + e)|| / ||A r||, and the control: the
//! amplification of Gaussian noise of the same norm. Over all iterates: the worst
//! amplification found among iterates with ||r|| >= half the final ||r|| (so that a tiny
//! early r, whose ratio reflects only the map's derivative at one point, cannot dominate a
//! table that compares perturbations of the final size), and the largest output change.
//!
//! A(x + r) + e is computed as (A x + e) + A r, which is the same by linearity and gives
//! ||A r|| for the Lipschitz ratio exactly. A stable method (FIRENET, compressed sensing)
//! should show amplifications of order one; a trained network that out-performs them need
//! not (science.md, "The instability test").

use crate::operators::{complex, norm2, LinearOperator, C64};
use crate::recon::map::ReconMap;
use crate::rng::Rng;
use ndarray::{Array1, ArrayView1, Zip};
use std::sync::Arc;

/// The most iterations the options accept (each costs one forward and one backward pass).
pub const MAX_ITERATIONS: usize = 100_000;

/// The settings of the ascent.
#[derive(Clone, Debug, PartialEq)]
pub struct InstabilityOptions {
    /// lambda, the price of ||r||^2 (the FIRENET demo of Antun, Colbrook, Hansen, PNAS 2022:
    /// 0.01; AUTOMAP in the 2020 paper: 0.1).
    pub lambda: f64,
    /// eta, the step size (FIRENET demo: 0.01; AUTOMAP: 1e-3).
    pub eta: f64,
    /// gamma, the momentum in [0, 1) (both demos: 0.9).
    pub gamma: f64,
    /// tau: r_0 has entries tau * peak(x) * U[0, 1], peak(x) = max |x_i| (the papers' 1e-5
    /// on images in [0, 1], made relative to the image's scale).
    pub tau: f64,
    /// Gradient steps in all (100: the FIRENET demo's perturbations appear within a few
    /// tens of steps; AUTOMAP used 12 to 24).
    pub iterations: usize,
    /// The iteration counts at which r is kept, increasing, in 1..=iterations (three, like the
    /// papers' r_1 < r_2 < r_3).
    pub snapshots: Vec<usize>,
    /// With a budget: the ball's radius grows linearly over the first `ramp` iterations,
    /// ||r_k|| <= budget ||x|| min(1, k / ramp) (0: the full budget from the start). Under a
    /// fixed budget the ascent reaches the sphere within a few tens of steps, after which
    /// snapshots all have the same norm; with a ramp of 3/4 of the iterations, snapshots
    /// after 1/4, 1/2 and all of them are the ascent's perturbations at 1/3, 2/3 and all of
    /// the budget: r_1 < r_2 < r_3.
    pub ramp: usize,
    /// If set, ||r|| <= budget ||x|| after every step (e.g. 0.03 or 0.05).
    pub budget: Option<f64>,
    /// Seeds r_0 and the Gaussian control.
    pub seed: u64,
}

impl Default for InstabilityOptions {
    fn default() -> Self {
        Self {
            lambda: 0.01,
            eta: 0.01,
            gamma: 0.9,
            tau: 1e-5,
            iterations: 100,
            snapshots: vec![25, 50, 100],
            ramp: 0,
            budget: None,
            seed: 1,
        }
    }
}

impl InstabilityOptions {
    /// Err with the reason unless every setting is usable.
    pub fn check(&self) -> Result<(), String> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number, not {v}"))
            }
        };
        finite("lambda", self.lambda)?;
        finite("eta", self.eta)?;
        finite("gamma", self.gamma)?;
        finite("tau", self.tau)?;
        if self.lambda < 0.0 {
            return Err(format!("lambda must be >= 0, not {}", self.lambda));
        }
        if self.eta <= 0.0 {
            return Err(format!("the step size eta must be > 0, not {}", self.eta));
        }
        if !(0.0..1.0).contains(&self.gamma) {
            return Err(format!(
                "the momentum gamma must be in [0, 1), not {}",
                self.gamma
            ));
        }
        if self.tau <= 0.0 {
            return Err(format!(
                "tau (the size of r_0) must be > 0, not {}",
                self.tau
            ));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "iterations must be in 1..={MAX_ITERATIONS}, not {}",
                self.iterations
            ));
        }
        if self.snapshots.is_empty() {
            return Err("at least one snapshot is needed".into());
        }
        for (i, &s) in self.snapshots.iter().enumerate() {
            if s == 0 || s > self.iterations {
                return Err(format!(
                    "snapshot {s} is outside 1..={} (the iterations)",
                    self.iterations
                ));
            }
            if i > 0 && s <= self.snapshots[i - 1] {
                return Err(format!(
                    "snapshots must increase: {} then {s}",
                    self.snapshots[i - 1]
                ));
            }
        }
        if self.ramp > self.iterations {
            return Err(format!(
                "the ramp ({}) must not be longer than the iterations ({})",
                self.ramp, self.iterations
            ));
        }
        if let Some(b) = self.budget {
            finite("the budget", b)?;
            if b <= 0.0 {
                return Err(format!("the budget ||r|| / ||x|| must be > 0, not {b}"));
            }
        }
        Ok(())
    }
}

/// One evaluated iterate r_k (k = 0..=iterations).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IterateRecord {
    pub iteration: usize,
    /// ||r_k||.
    pub r_norm: f64,
    /// ||A r_k||.
    pub ar_norm: f64,
    /// ||Psi(A(x + r_k) + e) - Psi(A x + e)||.
    pub change: f64,
    /// change / ||r_k||.
    pub amplification: f64,
    /// change / ||A r_k|| (infinite when A r_k = 0 and the output moved).
    pub lipschitz: f64,
}

/// A kept perturbation r_j and what it does.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub iteration: usize,
    /// r_j (real, row-major n x n).
    pub r: Array1<f64>,
    /// Psi(A(x + r_j) + e).
    pub output: Array1<C64>,
    /// ||r_j|| / ||x||.
    pub r_rel: f64,
    /// ||Psi(A(x + r_j) + e) - x|| / ||x||.
    pub error: f64,
    /// ||Psi(A x + e) - x|| / ||x||.
    pub clean_error: f64,
    /// ||Psi(A(x + r_j) + e) - Psi(A x + e)||.
    pub change: f64,
    /// change / ||r_j||.
    pub amplification: f64,
    /// change / ||A r_j||.
    pub lipschitz: f64,
    /// The same amplification for Gaussian noise r_g of norm ||r_j|| (one seeded direction,
    /// scaled to each snapshot's norm).
    pub noise_amplification: f64,
    /// ||Psi(A(x + r_g) + e) - x|| / ||x|| for that Gaussian r_g.
    pub noise_error: f64,
}

/// The largest amplification among iterates with ||r|| >= half the final ||r||.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorstCase {
    pub iteration: usize,
    pub r_rel: f64,
    pub amplification: f64,
}

/// The largest output change over all iterates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LargestChange {
    pub iteration: usize,
    pub r_rel: f64,
    /// ||Psi(A(x + r) + e) - Psi(A x + e)||.
    pub change: f64,
    /// change / ||x||.
    pub change_rel: f64,
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct InstabilityReport {
    /// The map's name.
    pub method: String,
    /// Psi(A x + e).
    pub clean_output: Array1<C64>,
    /// ||Psi(A x + e) - x|| / ||x||.
    pub clean_error: f64,
    pub snapshots: Vec<Snapshot>,
    /// None before the first step.
    pub worst: Option<WorstCase>,
    pub largest_change: Option<LargestChange>,
    /// Every evaluated iterate, r_0 first.
    pub history: Vec<IterateRecord>,
}

/// The test in progress, one gradient step at a time (for a worker that reports progress).
pub struct InstabilityTest {
    map: Arc<dyn ReconMap>,
    a: Arc<dyn LinearOperator>,
    x: Array1<f64>,
    opts: InstabilityOptions,
    /// A x + e.
    y0: Array1<C64>,
    /// Psi(A x + e).
    psi0: Array1<C64>,
    x_norm: f64,
    clean_error: f64,
    r: Array1<f64>,
    v: Array1<f64>,
    /// The Gaussian control's direction (unit norm).
    noise: Array1<f64>,
    iterations: usize,
    history: Vec<IterateRecord>,
    snapshots: Vec<Snapshot>,
}

impl InstabilityTest {
    /// The test of `map` at the real image `x` (length n^2, row-major) measured by `a`,
    /// with fixed measurement noise `e` (None: no noise). Err if the options or the sizes
    /// do not fit, or x is zero or not finite.
    pub fn new(
        map: Arc<dyn ReconMap>,
        a: Arc<dyn LinearOperator>,
        x: Array1<f64>,
        e: Option<Array1<C64>>,
        opts: InstabilityOptions,
    ) -> Result<Self, String> {
        opts.check()?;
        if x.len() != a.dim_in() || map.dim_out() != x.len() {
            return Err(format!(
                "the image has {} pixels, A takes {} and Psi returns {}",
                x.len(),
                a.dim_in(),
                map.dim_out()
            ));
        }
        if map.dim_in() != a.dim_out() {
            return Err(format!(
                "A makes {} measurements, Psi takes {}",
                a.dim_out(),
                map.dim_in()
            ));
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err("the image has a value that is not finite".into());
        }
        let x_norm = x.dot(&x).sqrt();
        if x_norm == 0.0 {
            return Err("the image is zero: relative sizes are undefined".into());
        }
        let xc = complex(x.view());
        let mut y0 = a.apply(xc.view());
        if let Some(e) = &e {
            if e.len() != y0.len() || !e.iter().all(|z| z.re.is_finite() && z.im.is_finite()) {
                return Err(format!(
                    "the noise needs {} finite values, one per measurement",
                    y0.len()
                ));
            }
            y0 += e;
        }
        let psi0 = map.apply(y0.view());
        let clean_error = norm2((&psi0 - &xc).view()) / x_norm;
        let mut rng = Rng::new(opts.seed);
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let r = Array1::from_shape_fn(x.len(), |_| opts.tau * peak * rng.uniform());
        let noise = Array1::from_shape_fn(x.len(), |_| rng.normal());
        let noise = &noise / noise.dot(&noise).sqrt();
        let mut test = Self {
            map,
            a,
            v: Array1::zeros(x.len()),
            x,
            y0,
            psi0,
            x_norm,
            clean_error,
            r,
            noise,
            iterations: 0,
            history: Vec::with_capacity(opts.iterations + 1),
            snapshots: Vec::with_capacity(opts.snapshots.len()),
            opts,
        };
        test.project();
        Ok(test)
    }

    /// r_{k+1} (k = the steps taken so far) onto the budget's ball, ramped.
    fn project(&mut self) {
        if let Some(b) = self.opts.budget {
            let ramp = self.opts.ramp;
            let scale = if ramp == 0 {
                1.0
            } else {
                ((self.iterations + 1) as f64 / ramp as f64).min(1.0)
            };
            let radius = b * scale * self.x_norm;
            let n = self.r.dot(&self.r).sqrt();
            if n > radius {
                self.r *= radius / n;
            }
        }
    }

    /// grad Q(r) = 2 Re(A* J^T delta) - 2 lambda r, from jt = J^T delta.
    fn gradient(&self, jt: &Array1<C64>, r: &Array1<f64>) -> Array1<f64> {
        let back = self.a.adjoint(jt.view());
        let lambda = self.opts.lambda;
        Array1::from_shape_fn(r.len(), |i| 2.0 * back[i].re - 2.0 * lambda * r[i])
    }

    /// Psi at A(x + r) + e, with A r.
    fn measure(&self, r: &Array1<f64>) -> (Array1<C64>, Array1<C64>) {
        let ar = self.a.apply(complex(r.view()).view());
        (&self.y0 + &ar, ar)
    }

    /// The history entry of r with A r and the output change delta.
    fn record(&mut self, ar: &Array1<C64>, delta: &Array1<C64>) -> IterateRecord {
        let r_norm = self.r.dot(&self.r).sqrt();
        let ar_norm = norm2(ar.view());
        let change = norm2(delta.view());
        let rec = IterateRecord {
            iteration: self.iterations,
            r_norm,
            ar_norm,
            change,
            amplification: change / r_norm,
            lipschitz: change / ar_norm,
        };
        self.history.push(rec);
        rec
    }

    /// The snapshot of the current r, if this iteration count is one.
    fn maybe_snapshot(&mut self, rec: IterateRecord, output: &Array1<C64>) {
        if !self.opts.snapshots.contains(&self.iterations) {
            return;
        }
        let noise_r = &self.noise * rec.r_norm;
        let (y, _) = self.measure(&noise_r);
        let noise_out = self.map.apply(y.view());
        let noise_change = norm2((&noise_out - &self.psi0).view());
        let xc = complex(self.x.view());
        let noise_error = norm2((&noise_out - &xc).view()) / self.x_norm;
        self.snapshots.push(Snapshot {
            iteration: self.iterations,
            r: self.r.clone(),
            output: output.clone(),
            r_rel: rec.r_norm / self.x_norm,
            error: norm2((output - &xc).view()) / self.x_norm,
            clean_error: self.clean_error,
            change: rec.change,
            amplification: rec.amplification,
            lipschitz: rec.lipschitz,
            noise_amplification: noise_change / rec.r_norm,
            noise_error,
        });
    }

    /// One gradient step: evaluates r_k (forward and backward), records it, moves to
    /// r_{k+1}; after the last step also evaluates the final r.
    pub fn step(&mut self) {
        if self.done() {
            return;
        }
        let (y, ar) = self.measure(&self.r);
        let (out, vjp) = self.map.apply_vjp(y.view());
        let delta = &out - &self.psi0;
        let grad = self.gradient(&vjp(delta.view()), &self.r);
        drop(vjp);
        let rec = self.record(&ar, &delta);
        self.maybe_snapshot(rec, &out);
        let (gamma, eta) = (self.opts.gamma, self.opts.eta);
        Zip::from(&mut self.v)
            .and(&mut self.r)
            .and(&grad)
            .for_each(|v, r, g| {
                *v = gamma * *v + eta * g;
                *r += *v;
            });
        self.project();
        self.iterations += 1;
        if self.done() {
            let (y, ar) = self.measure(&self.r);
            let out = self.map.apply(y.view());
            let delta = &out - &self.psi0;
            let rec = self.record(&ar, &delta);
            self.maybe_snapshot(rec, &out);
        }
    }

    pub fn done(&self) -> bool {
        self.iterations >= self.opts.iterations
    }

    /// Gradient steps taken.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    pub fn planned(&self) -> usize {
        self.opts.iterations
    }

    pub fn options(&self) -> &InstabilityOptions {
        &self.opts
    }

    /// The current perturbation r.
    pub fn r(&self) -> ArrayView1<'_, f64> {
        self.r.view()
    }

    /// Every evaluated iterate so far, r_0 first.
    pub fn history(&self) -> &[IterateRecord] {
        &self.history
    }

    pub fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }

    /// Psi(A x + e).
    pub fn clean_output(&self) -> &Array1<C64> {
        &self.psi0
    }

    /// The worst case so far: the largest amplification among evaluated iterates with
    /// ||r|| >= half the last one's.
    pub fn worst(&self) -> Option<WorstCase> {
        let last = self.history.last()?;
        self.history
            .iter()
            .filter(|h| h.r_norm >= 0.5 * last.r_norm)
            .max_by(|a, b| a.amplification.total_cmp(&b.amplification))
            .map(|h| WorstCase {
                iteration: h.iteration,
                r_rel: h.r_norm / self.x_norm,
                amplification: h.amplification,
            })
    }

    /// The largest output change so far.
    pub fn largest_change(&self) -> Option<LargestChange> {
        self.history
            .iter()
            .max_by(|a, b| a.change.total_cmp(&b.change))
            .map(|h| LargestChange {
                iteration: h.iteration,
                r_rel: h.r_norm / self.x_norm,
                change: h.change,
                change_rel: h.change / self.x_norm,
            })
    }

    /// What the test found so far.
    pub fn report(&self) -> InstabilityReport {
        InstabilityReport {
            method: self.map.name(),
            clean_output: self.psi0.clone(),
            clean_error: self.clean_error,
            snapshots: self.snapshots.clone(),
            worst: self.worst(),
            largest_change: self.largest_change(),
            history: self.history.clone(),
        }
    }

    /// Q(r) and grad Q(r) at the current r (for tests of the gradient).
    #[cfg(test)]
    fn objective_and_gradient(&self, r: &Array1<f64>) -> (f64, Array1<f64>) {
        let (y, _) = self.measure(r);
        let (out, vjp) = self.map.apply_vjp(y.view());
        let delta = &out - &self.psi0;
        let q = norm2(delta.view()).powi(2) - self.opts.lambda * r.dot(r);
        (q, self.gradient(&vjp(delta.view()), r))
    }
}

/// Runs the whole test.
pub fn run(
    map: Arc<dyn ReconMap>,
    a: Arc<dyn LinearOperator>,
    x: Array1<f64>,
    e: Option<Array1<C64>>,
    opts: InstabilityOptions,
) -> Result<InstabilityReport, String> {
    let mut test = InstabilityTest::new(map, a, x, e, opts)?;
    while !test.done() {
        test.step();
    }
    Ok(test.report())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::shepp_logan;
    use crate::operators::masks::{mask, MaskParams, Pattern};
    use crate::operators::sampling::SubsampledFourier;
    use crate::operators::{complex_gaussian, Matrix};
    use crate::recon::map::Vjp;
    use crate::recon::vjp::{recon_map, AdjointMap};
    use crate::recon::{Method, Objective, Settings};
    use crate::solvers::firenet::FirenetOptions;
    use ndarray::Array2;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The 16 x 16 phantom at 30 % variable density (the fully sampled centre holds
    /// conjugate-symmetric pairs of frequencies).
    fn mri_16() -> (Arc<SubsampledFourier>, Array1<f64>) {
        let omega = mask(Pattern::VariableDensity, 16, 0.3, 1, &MaskParams::default())
            .unwrap()
            .fft_indices();
        (
            Arc::new(SubsampledFourier::new(16, omega).unwrap()),
            shepp_logan(16).unwrap(),
        )
    }

    /// Psi(y) = M y for a dense matrix M: J^T g = M* g.
    struct LinearMap(Matrix);

    impl ReconMap for LinearMap {
        fn name(&self) -> String {
            "linear".into()
        }
        fn dim_in(&self) -> usize {
            self.0.dim_in()
        }
        fn dim_out(&self) -> usize {
            self.0.dim_out()
        }
        fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
            self.0.apply(y)
        }
        fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
            (self.0.apply(y), Box::new(move |g| self.0.adjoint(g)))
        }
    }

    /// A random real orthogonal n x n matrix (Gram-Schmidt on Gaussian columns).
    fn orthogonal(n: usize, rng: &mut Rng) -> Array2<f64> {
        let mut q = Array2::<f64>::zeros((n, n));
        for j in 0..n {
            let mut v = Array1::from_shape_fn(n, |_| rng.normal());
            for k in 0..j {
                let c = q.column(k).to_owned();
                let p = v.dot(&c);
                v.scaled_add(-p, &c);
            }
            let nv = v.dot(&v).sqrt();
            q.column_mut(j).assign(&(v / nv));
        }
        q
    }

    fn to_complex(m: &Array2<f64>) -> Array2<C64> {
        m.mapv(|v| C64::new(v, 0.0))
    }

    /// (Psi, A, x, the top right singular vector of r -> Psi(A r)).
    type LinearProblem = (
        Arc<dyn ReconMap>,
        Arc<dyn LinearOperator>,
        Array1<f64>,
        Array1<f64>,
    );

    /// A 4 x 4 "image" measured by a real orthogonal A = Q (16 x 16), and the linear map
    /// Psi = U diag(s) V^T Q^T, so that r -> Psi(A r) = U diag(s) V^T r has largest singular
    /// value s_1 = 3 (next 1.5) with right singular vector V e_1.
    fn linear_problem() -> LinearProblem {
        let mut rng = Rng::new(11);
        let n = 16;
        let (q, u, v) = (
            orthogonal(n, &mut rng),
            orthogonal(n, &mut rng),
            orthogonal(n, &mut rng),
        );
        let s = Array1::from_shape_fn(n, |i| match i {
            0 => 3.0,
            1 => 1.5,
            _ => 1.0 / (1 + i) as f64,
        });
        let m = u.dot(&Array2::from_diag(&s)).dot(&v.t()).dot(&q.t());
        let x = Array1::from_shape_fn(n, |i| 0.2 + 0.05 * i as f64);
        (
            Arc::new(LinearMap(Matrix::new(to_complex(&m)))),
            Arc::new(Matrix::new(to_complex(&q))),
            x,
            v.column(0).to_owned(),
        )
    }

    /// (a) Psi = A*: Psi(A(x + r)) - Psi(A x) = A* A r, whose amplification over real r is at
    /// most 1, with equality for r whose spectrum lies in Omega (real r: in the part of
    /// Omega closed under k -> -k, which the sampled centre provides). The ascent finds it;
    /// and since A A* = I, the Lipschitz ratio ||A* A r|| / ||A r|| is exactly 1.
    #[test]
    fn the_adjoint_map_amplifies_at_most_one_and_the_ascent_reaches_it() {
        let (a, x) = mri_16();
        let mut rng = Rng::new(3);
        let e = complex_gaussian(a.dim_out(), &mut rng) * C64::new(0.01, 0.0);
        let rep = run(
            Arc::new(AdjointMap::new(a.clone())),
            a,
            x,
            Some(e),
            InstabilityOptions::default(),
        )
        .unwrap();
        assert_eq!(rep.history.len(), 101);
        assert_eq!(
            rep.snapshots
                .iter()
                .map(|s| s.iteration)
                .collect::<Vec<_>>(),
            [25, 50, 100]
        );
        let top = rep
            .history
            .iter()
            .map(|h| h.amplification)
            .fold(0.0, f64::max);
        assert!(top <= 1.0 + 1e-12, "amplification {top}");
        let worst = rep.worst.unwrap();
        assert!(worst.amplification > 0.99, "{worst:?}");
        let last = rep.snapshots.last().unwrap();
        assert!(last.amplification > 0.99, "{}", last.amplification);
        // ||A* z|| = ||z||: the Lipschitz ratio is 1 up to the round-off of the difference
        // of two outputs (largest at the tiny r_0).
        let lip = rep
            .history
            .iter()
            .map(|h| (h.lipschitz - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(lip < 1e-9, "{lip}");
        // Growing snapshots, and Gaussian noise is amplified far less (about sqrt(rate)).
        assert!(rep.snapshots.windows(2).all(|w| w[0].r_rel < w[1].r_rel));
        assert!(
            last.noise_amplification < 0.8,
            "{}",
            last.noise_amplification
        );
        eprintln!(
            "adjoint: first amplification {:.4}, largest {top:.15}, worst {:.12} at {}, \
             noise {:.3}, |Lipschitz - 1| <= {lip:.1e}",
            rep.history[0].amplification,
            worst.amplification,
            worst.iteration,
            last.noise_amplification
        );
    }

    /// (b) A linear map with known largest singular value 3: the ascent approaches it (the
    /// component along the second singular value, 1.5, falls by about 1.24 per step with
    /// these settings, so after 100 steps the gap is far below 1e-9) and never exceeds it.
    #[test]
    fn the_ascent_finds_the_largest_singular_value_of_a_linear_map() {
        let (map, a, x, v1) = linear_problem();
        let rep = run(map, a, x, None, InstabilityOptions::default()).unwrap();
        let worst = rep.worst.unwrap();
        let top = rep
            .history
            .iter()
            .map(|h| h.amplification)
            .fold(0.0, f64::max);
        assert!(top <= 3.0 * (1.0 + 1e-12), "{top}");
        assert!(worst.amplification >= 3.0 * (1.0 - 1e-9), "{worst:?}");
        // With an orthogonal A the Lipschitz ratio is the amplification.
        let last = rep.snapshots.last().unwrap();
        assert!((last.lipschitz - last.amplification).abs() < 1e-12 * last.amplification);
        // r lines up with the top right singular vector.
        let cos = last.r.dot(&v1).abs() / last.r.dot(&last.r).sqrt();
        assert!(cos > 1.0 - 1e-9, "{cos}");
        eprintln!(
            "linear: worst amplification {:.15} at {}",
            worst.amplification, worst.iteration
        );
    }

    /// (c) With a budget, ||r|| <= budget ||x|| after every step (also r_0), and the ascent
    /// pushes r to the sphere; on the linear map it still finds the top singular value.
    #[test]
    fn the_budget_is_respected() {
        let (map, a, x, _) = linear_problem();
        let opts = InstabilityOptions {
            budget: Some(0.05),
            ..Default::default()
        };
        let x_norm = x.dot(&x).sqrt();
        let rep = run(map, a, x, None, opts).unwrap();
        assert!(rep
            .history
            .iter()
            .all(|h| h.r_norm <= 0.05 * x_norm * (1.0 + 1e-12)));
        // Growing until the sphere is reached (after 25 steps r is at 0.011 ||x||).
        let rels: Vec<f64> = rep.snapshots.iter().map(|s| s.r_rel).collect();
        assert!(
            rels.windows(2).all(|w| w[0] <= w[1] * (1.0 + 1e-12)),
            "{rels:?}"
        );
        let last = rep.snapshots.last().unwrap();
        assert!((last.r_rel - 0.05).abs() < 1e-12, "{}", last.r_rel);
        let worst = rep.worst.unwrap();
        assert!(worst.amplification > 3.0 * (1.0 - 1e-6), "{worst:?}");
        // And on an MRI map.
        let (a, x) = mri_16();
        let s = settings_16();
        let map = recon_map(Method::TV, &a, &s).unwrap();
        // A larger start: from tau = 1e-5 the ascent on this map grows r only about 40-fold
        // in 30 steps.
        let opts = InstabilityOptions {
            budget: Some(0.03),
            iterations: 30,
            snapshots: vec![10, 20, 30],
            tau: 3e-3,
            ..Default::default()
        };
        let x_norm = x.dot(&x).sqrt();
        let rep = run(map, a, x, None, opts).unwrap();
        assert!(rep
            .history
            .iter()
            .all(|h| h.r_norm <= 0.03 * x_norm * (1.0 + 1e-12)));
        let last = rep.snapshots.last().unwrap();
        eprintln!(
            "TV at 0.03: amplification {:.3}, noise {:.3}, worst {:?}",
            last.amplification, last.noise_amplification, rep.worst
        );
        assert!((last.r_rel - 0.03).abs() < 1e-12, "{}", last.r_rel);
    }

    /// A ramped budget: ||r_k|| <= budget ||x|| min(1, k / ramp) at every iterate, and
    /// snapshots after 1/4, 1/2 and all of the iterations, with a ramp of 3/4 of them, sit at
    /// 1/3, 2/3 and all of the budget (the ascent on a linear map reaches the ball at once).
    #[test]
    fn a_ramped_budget_gives_growing_snapshots() {
        let (map, a, x, _) = linear_problem();
        let x_norm = x.dot(&x).sqrt();
        let opts = InstabilityOptions {
            budget: Some(0.05),
            iterations: 100,
            snapshots: vec![25, 50, 100],
            ramp: 75,
            tau: 1e-2,
            ..Default::default()
        };
        let rep = run(map.clone(), a.clone(), x.clone(), None, opts).unwrap();
        for h in &rep.history {
            let cap = 0.05 * (h.iteration as f64 / 75.0).min(1.0);
            assert!(
                h.r_norm <= cap * x_norm * (1.0 + 1e-12) || h.iteration == 0,
                "{h:?}"
            );
        }
        let rels: Vec<f64> = rep.snapshots.iter().map(|s| s.r_rel).collect();
        for (r, want) in rels.iter().zip([0.05 / 3.0, 0.1 / 3.0, 0.05]) {
            assert!((r - want).abs() < 1e-12, "{rels:?}");
        }
        let long = InstabilityOptions {
            iterations: 10,
            snapshots: vec![10],
            ramp: 11,
            ..Default::default()
        };
        assert!(run(map, a, x, None, long).is_err());
    }

    fn settings_16() -> Settings {
        Settings {
            wavelet: crate::operators::wavelet::WaveletKind::Haar,
            levels: 3,
            lambda_wavelet: 0.02,
            lambda_tv: 0.01,
            iterations: 20,
            firenet: FirenetOptions {
                restarts: 3,
                inner: 4,
                ..Default::default()
            },
            firenet_on: Objective::Tv,
        }
    }

    /// (d) Unusable options and inputs are refused with a reason, not a panic.
    #[test]
    fn bad_options_and_inputs_are_refused() {
        let (a, x) = mri_16();
        let map: Arc<dyn ReconMap> = Arc::new(AdjointMap::new(a.clone()));
        let ok = InstabilityOptions::default();
        assert!(ok.check().is_ok());
        let bad = [
            InstabilityOptions {
                lambda: -1.0,
                ..ok.clone()
            },
            InstabilityOptions {
                lambda: f64::NAN,
                ..ok.clone()
            },
            InstabilityOptions {
                eta: 0.0,
                ..ok.clone()
            },
            InstabilityOptions {
                eta: f64::INFINITY,
                ..ok.clone()
            },
            InstabilityOptions {
                gamma: 1.0,
                ..ok.clone()
            },
            InstabilityOptions {
                gamma: -0.1,
                ..ok.clone()
            },
            InstabilityOptions {
                tau: 0.0,
                ..ok.clone()
            },
            InstabilityOptions {
                tau: f64::NAN,
                ..ok.clone()
            },
            InstabilityOptions {
                iterations: 0,
                snapshots: vec![],
                ..ok.clone()
            },
            InstabilityOptions {
                iterations: MAX_ITERATIONS + 1,
                ..ok.clone()
            },
            InstabilityOptions {
                snapshots: vec![],
                ..ok.clone()
            },
            InstabilityOptions {
                snapshots: vec![0, 50],
                ..ok.clone()
            },
            InstabilityOptions {
                snapshots: vec![50, 50],
                ..ok.clone()
            },
            InstabilityOptions {
                snapshots: vec![50, 25],
                ..ok.clone()
            },
            InstabilityOptions {
                snapshots: vec![101],
                ..ok.clone()
            },
            InstabilityOptions {
                budget: Some(0.0),
                ..ok.clone()
            },
            InstabilityOptions {
                budget: Some(f64::NAN),
                ..ok.clone()
            },
        ];
        for o in bad {
            let err = InstabilityTest::new(map.clone(), a.clone(), x.clone(), None, o.clone());
            assert!(err.is_err(), "{o:?}");
            assert!(o.check().is_err());
        }
        let new = |x: Array1<f64>, e: Option<Array1<C64>>| {
            InstabilityTest::new(map.clone(), a.clone(), x, e, ok.clone()).map(|_| ())
        };
        assert!(new(Array1::zeros(256), None).is_err());
        assert!(new(Array1::ones(255), None).is_err());
        let mut nan = x.clone();
        nan[3] = f64::NAN;
        assert!(new(nan, None).is_err());
        assert!(new(x.clone(), Some(Array1::zeros(3))).is_err());
        assert!(new(x.clone(), Some(Array1::zeros(a.dim_out()))).is_ok());
        // A map whose sizes do not match A.
        let (other, _, _, _) = linear_problem();
        assert!(InstabilityTest::new(other, a, x, None, ok).is_err());
    }

    /// (e) The same seed gives the same run, bit for bit; another seed another r_0.
    #[test]
    fn runs_are_deterministic_for_a_seed() {
        let (a, x) = mri_16();
        let map = recon_map(Method::FIRENET, &a, &settings_16()).unwrap();
        let opts = InstabilityOptions {
            iterations: 6,
            snapshots: vec![2, 4, 6],
            budget: Some(0.05),
            ..Default::default()
        };
        let one = run(map.clone(), a.clone(), x.clone(), None, opts.clone()).unwrap();
        let two = run(map.clone(), a.clone(), x.clone(), None, opts.clone()).unwrap();
        assert_eq!(one.history, two.history);
        for (s, t) in one.snapshots.iter().zip(&two.snapshots) {
            assert_eq!(s.r, t.r);
            assert_eq!(s.output, t.output);
            assert_eq!(s.noise_amplification, t.noise_amplification);
        }
        let other = run(map, a, x, None, InstabilityOptions { seed: 2, ..opts }).unwrap();
        assert_ne!(other.snapshots[0].r, one.snapshots[0].r);
    }

    /// The ascent's gradient 2 Re(A* J^T delta) - 2 lambda r against a central difference of
    /// Q along a random real direction, on TV Chambolle-Pock and FIRENET (wavelet): this ties
    /// the VJP, A* and the real part together. h = 1e-6 ||r||-relative on r of size 0.05 ||x||
    /// (so Q is far from its flat start); agreement measured about 1e-9, bound 1e-6.
    #[test]
    fn the_gradient_of_q_matches_central_differences() {
        let (a, x) = mri_16();
        let mut s = settings_16();
        s.firenet_on = Objective::Wavelet;
        let mut rng = Rng::new(13);
        for method in [Method::TV, Method::FIRENET, Method::CS_WAVELET] {
            let map = recon_map(method, &a, &s).unwrap();
            let test =
                InstabilityTest::new(map, a.clone(), x.clone(), None, Default::default()).unwrap();
            let x_norm = x.dot(&x).sqrt();
            let mut r = Array1::from_shape_fn(x.len(), |_| rng.normal());
            r *= 0.05 * x_norm / r.dot(&r).sqrt();
            let mut d = Array1::from_shape_fn(x.len(), |_| rng.normal());
            d *= r.dot(&r).sqrt() / d.dot(&d).sqrt();
            let h = 1e-6;
            let (qp, _) = test.objective_and_gradient(&(&r + &(&d * h)));
            let (qm, _) = test.objective_and_gradient(&(&r - &(&d * h)));
            let (_, grad) = test.objective_and_gradient(&r);
            let (fd, an) = ((qp - qm) / (2.0 * h), grad.dot(&d));
            let err = (fd - an).abs() / an.abs();
            eprintln!("{}: dQ = {an:.6e}, relative error {err:.1e}", method.name());
            assert!(err < 1e-6, "{}: {err:e}", method.name());
        }
    }
}
