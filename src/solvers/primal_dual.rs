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
//!
//! The step is written once, in [`ChambollePock::step`], with its vector-Jacobian product
//! [`ChambollePock::back_step`] beside it (the equations are on [`ChambollePock`]);
//! [`PrimalDual`], FIRENET and the reconstruction maps with their VJPs all run it.

use super::prox::{project_l2_ball, project_pairs, soft_threshold};
use super::Iterative;
use crate::operators::finite_diff::isotropic_tv;
use crate::operators::{norm2, LinearOperator, C64};
use ndarray::{Array1, ArrayView1, ArrayViewMut1};
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

/// The TV part of the step: D, s = 1 / ||D||, and lambda / s, the radius of the pairs of p.
#[derive(Clone)]
struct TvPart {
    grad: Arc<dyn LinearOperator>,
    s: f64,
    radius: f64,
}

/// One Chambolle-Pock step on a square-root LASSO with the data left open, and its
/// reverse-mode step: the one place the iteration is written. [`PrimalDual`] runs it on data
/// alpha y; FIRENET's restarts ([`super::firenet`]) and the reconstruction maps with their
/// vector-Jacobian products ([`crate::recon::vjp`]) run it too, so all of them compute the
/// same numbers, bit for bit.
///
/// With data b (the module notes' alpha y), the forward step [`ChambollePock::step`] is
///
/// ```text
/// v  = x - tau (B* q + s D* p)            x+ = S(v)          (soft-threshold; identity for TV)
/// x_ = 2 x+ - x
/// u  = q + sigma (B x_ - b)                q+ = P_1(u)        (onto the unit ball)
/// w  = p + sigma s D x_                    p+ = P_pairs(w)    (each pair onto radius lambda / s)
/// ```
///
/// Complex vectors are taken as real ones (C^k as R^2k, <u, v> = Re sum conj(u_i) v_i).
/// Given the cotangents (X+, Q+, P+) of (x+, q+, p+), the chain rule read backwards gives
/// the reverse step [`ChambollePock::back_step`]:
///
/// ```text
/// U  = J_P1(u) Q+,   W = J_pairs(w) P+,   b^ -= sigma U
/// X_ = sigma B* U + sigma s D* W                         (the cotangent of x_)
/// V  = J_S(v) (X+ + 2 X_)
/// X  = V - X_,   Q = U - tau B V,   P = W - tau s D V    (the cotangents of x, q, p)
/// ```
///
/// with the derivatives of the nonsmooth pieces on the piece they are on, each a symmetric
/// real matrix (so J^T = J):
///
/// - soft-threshold S_t(z) = z (1 - t / |z|) for |z| > t, as a map of R^2:
///   J = (1 - t/|z|) I + (t/|z|) z^ z^^T with z^ = z / |z|, that is
///   J c = c - (t/|z|)(c - z^ Re(conj(z^) c)); J = 0 for |z| <= t, and J = I where t = 0
///   (the unweighted coarse scale);
/// - the ball projection q -> r q / ||q|| for ||q|| > r: J = (r / ||q||)(I - q^ q^^T), with
///   q^ = q / ||q|| over all 2m real coordinates; J = I inside;
/// - `project_pairs`: the same per pair (h_i, v_i), 4 real coordinates.
///
/// A reverse step costs what a forward step does (B, B*, and D, D* for TV). The forward step
/// records into a [`Tape`], when given one, v (l1 only), u and ||u||, and w (TV only): the
/// points the Jacobians are taken at, from which the active pieces follow by the same
/// comparisons the forward step made.
#[derive(Clone)]
pub struct ChambollePock {
    b: Arc<dyn LinearOperator>,
    tv: Option<TvPart>,
    /// tau lambda w_i per entry for the weighted l1 term (None for TV).
    thresholds: Option<Vec<f64>>,
    tau: f64,
    sigma: f64,
    /// The length of x (B's input) and of q (B's output).
    dim: usize,
    m: usize,
}

/// The iterate (x, q, p), p empty without TV.
#[derive(Clone)]
pub struct State {
    pub x: Array1<C64>,
    pub q: Array1<C64>,
    pub p: Array1<C64>,
}

impl State {
    /// Copies `other` into `self` (the same problem).
    pub fn copy_from(&mut self, other: &State) {
        self.x.assign(&other.x);
        self.q.assign(&other.q);
        self.p.assign(&other.p);
    }
}

/// Work buffers of a forward step: B* q (+ s D* p), x_ = 2 x+ - x, B x_, D x_, D* p.
#[derive(Clone)]
pub struct Work {
    g: Vec<C64>,
    bar: Vec<C64>,
    bx: Vec<C64>,
    dx: Vec<C64>,
    dtp: Vec<C64>,
}

/// The cotangents of a reverse step, and its work buffers.
pub struct Back {
    /// Cotangents of x, q, p: of the state after a step on entry to
    /// [`ChambollePock::back_step`], of the state before it on return.
    pub cx: Vec<C64>,
    pub cq: Vec<C64>,
    pub cp: Vec<C64>,
    /// The cotangent of the data b, accumulated over the steps.
    pub cys: Vec<C64>,
    u: Vec<C64>,
    w: Vec<C64>,
    bar: Vec<C64>,
    v: Vec<C64>,
    t_dim: Vec<C64>,
    t_m: Vec<C64>,
    t_2d: Vec<C64>,
}

impl Back {
    /// Sets the cotangents (x, q, p and the data's) to zero.
    pub fn zero(&mut self) {
        for c in [&mut self.cx, &mut self.cq, &mut self.cp, &mut self.cys] {
            c.iter_mut().for_each(|z| *z = ZERO);
        }
    }
}

/// What consecutive forward steps recorded for their reverse steps: per step v (l1 only),
/// u, w (TV only), and ||u||.
pub struct Tape {
    nv: usize,
    nu: usize,
    nw: usize,
    data: Vec<C64>,
    unorm: Vec<f64>,
}

/// The record of one step: the points the Jacobians of its nonsmooth pieces are taken at.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    /// x - tau (B* q + s D* p), before the soft-threshold (empty for TV).
    pub v: &'a [C64],
    /// q + sigma (B x_ - b), before the projection onto the unit ball.
    pub u: &'a [C64],
    /// p + sigma s D x_, before the projection of the pairs (empty without TV).
    pub w: &'a [C64],
    /// ||u||.
    pub unorm: f64,
}

impl Tape {
    /// An empty tape with room for `steps` steps of `cp`.
    pub fn new(cp: &ChambollePock, steps: usize) -> Self {
        let (nv, nu, nw) = cp.record_lens();
        Self {
            nv,
            nu,
            nw,
            data: Vec::with_capacity(steps * (nv + nu + nw)),
            unorm: Vec::with_capacity(steps),
        }
    }

    /// Forgets the records (keeping the memory).
    pub fn clear(&mut self) {
        self.data.clear();
        self.unorm.clear();
    }

    /// Room for `steps` more steps.
    pub fn reserve(&mut self, steps: usize) {
        self.data.reserve(steps * (self.nv + self.nu + self.nw));
        self.unorm.reserve(steps);
    }

    /// The memory held (bytes).
    pub fn bytes(&self) -> usize {
        self.data.capacity() * std::mem::size_of::<C64>() + self.unorm.capacity() * 8
    }

    /// The record of step k (counted from the tape's first).
    pub fn record(&self, k: usize) -> Record<'_> {
        let len = self.nv + self.nu + self.nw;
        let r = &self.data[k * len..(k + 1) * len];
        let (v, rest) = r.split_at(self.nv);
        let (u, w) = rest.split_at(self.nu);
        Record {
            v,
            u,
            w,
            unorm: self.unorm[k],
        }
    }
}

const ZERO: C64 = C64 { re: 0.0, im: 0.0 };

/// Re <u, v>, the real inner product of complex vectors.
fn re_dot(u: &[C64], v: &[C64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| a.re * b.re + a.im * b.im)
        .sum()
}

impl ChambollePock {
    /// The step for `problem` (its data unused) with step sizes `steps`, `None` picking
    /// tau = sigma = 1 / ||K||, and s = 1 / ||D|| for TV.
    pub fn new(problem: &SqrtLasso, steps: Steps) -> Self {
        let k = problem.stacked_norm().max(f64::MIN_POSITIVE);
        let tau = steps.tau.unwrap_or(1.0 / k);
        let sigma = steps.sigma.unwrap_or(1.0 / k);
        let (m, dim) = (problem.b.dim_out(), problem.b.dim_in());
        let (tv, thresholds) = match &problem.reg {
            Regulariser::Tv { lambda, grad } => {
                let s = 1.0 / grad.norm().max(f64::MIN_POSITIVE);
                let tv = TvPart {
                    grad: grad.clone(),
                    s,
                    radius: lambda / s,
                };
                (Some(tv), None)
            }
            Regulariser::WeightedL1 { lambda, weights } => {
                let t = tau * lambda;
                let th = (0..dim)
                    .map(|i| weights.as_deref().map_or(t, |w| t * w[i]))
                    .collect();
                (None, Some(th))
            }
        };
        Self {
            b: problem.b.clone(),
            tv,
            thresholds,
            tau,
            sigma,
            dim,
            m,
        }
    }

    /// The step sizes (tau, sigma).
    pub fn steps(&self) -> (f64, f64) {
        (self.tau, self.sigma)
    }

    /// For TV, s = 1 / ||D||.
    pub fn tv_scale(&self) -> Option<f64> {
        self.tv.as_ref().map(|tv| tv.s)
    }

    /// For TV, lambda / s, the radius each pair of p is projected onto.
    pub fn pair_radius(&self) -> Option<f64> {
        self.tv.as_ref().map(|tv| tv.radius)
    }

    /// For the weighted l1 term, the thresholds tau lambda w_i.
    pub fn thresholds(&self) -> Option<&[f64]> {
        self.thresholds.as_deref()
    }

    /// The lengths of x and of q (and of the data).
    pub fn dims(&self) -> (usize, usize) {
        (self.dim, self.m)
    }

    /// The length of p (0 without TV).
    fn dual_len(&self) -> usize {
        if self.tv.is_some() {
            2 * self.dim
        } else {
            0
        }
    }

    /// The lengths of v, u, w in a step's record.
    fn record_lens(&self) -> (usize, usize, usize) {
        let nv = if self.thresholds.is_some() {
            self.dim
        } else {
            0
        };
        (nv, self.m, self.dual_len())
    }

    /// Complex numbers in one step's record (besides ||u||).
    pub fn record_len(&self) -> usize {
        let (nv, nu, nw) = self.record_lens();
        nv + nu + nw
    }

    /// Complex numbers in a [`State`].
    pub fn state_len(&self) -> usize {
        self.dim + self.m + self.dual_len()
    }

    /// The state (x0, 0, 0).
    pub fn state(&self, x0: Array1<C64>) -> State {
        assert_eq!(x0.len(), self.dim, "the start has the wrong length");
        let x = if x0.is_standard_layout() {
            x0
        } else {
            x0.as_standard_layout().into_owned()
        };
        State {
            x,
            q: Array1::zeros(self.m),
            p: Array1::zeros(self.dual_len()),
        }
    }

    /// Work buffers for [`ChambollePock::step`].
    pub fn work(&self) -> Work {
        let d2 = self.dual_len();
        Work {
            g: vec![ZERO; self.dim],
            bar: vec![ZERO; self.dim],
            bx: vec![ZERO; self.m],
            dx: vec![ZERO; d2],
            dtp: vec![ZERO; if d2 > 0 { self.dim } else { 0 }],
        }
    }

    /// Zero cotangents and work buffers for [`ChambollePock::back_step`].
    pub fn back(&self) -> Back {
        let d2 = self.dual_len();
        Back {
            cx: vec![ZERO; self.dim],
            cq: vec![ZERO; self.m],
            cp: vec![ZERO; d2],
            cys: vec![ZERO; self.m],
            u: vec![ZERO; self.m],
            w: vec![ZERO; d2],
            bar: vec![ZERO; self.dim],
            v: vec![ZERO; self.dim],
            t_dim: vec![ZERO; self.dim],
            t_m: vec![ZERO; self.m],
            t_2d: vec![ZERO; d2],
        }
    }

    /// One step from `st` on data `b` (length m): (x, q, p) -> (x+, q+, p+), adding x+ to
    /// `sum` if given (the ergodic average's running sum) and recording what
    /// [`ChambollePock::back_step`] needs into `tape` if given.
    pub fn step(
        &self,
        st: &mut State,
        sum: Option<&mut [C64]>,
        b: &[C64],
        w: &mut Work,
        tape: Option<&mut Tape>,
    ) {
        let contiguous = "the iterate is contiguous";
        let (tau, sigma) = (self.tau, self.sigma);
        let x = st.x.as_slice_mut().expect(contiguous);
        let q = st.q.as_slice_mut().expect(contiguous);
        let p = st.p.as_slice_mut().expect(contiguous);
        // g = B* q + s D* p
        self.b.adjoint_into(q, &mut w.g);
        if let Some(tv) = &self.tv {
            tv.grad.adjoint_into(p, &mut w.dtp);
            for (g, d) in w.g.iter_mut().zip(&w.dtp) {
                *g += d * tv.s;
            }
        }
        let mut tape = tape;
        // x+ = prox_{tau R0}(x - tau g), x_ = 2 x+ - x, sum += x+
        let mut primal = |i: usize, x: &mut C64, g: &C64, bar: &mut C64| -> C64 {
            let mut v = *x - g * tau;
            if let Some(t) = &self.thresholds {
                if let Some(tape) = tape.as_deref_mut() {
                    tape.data.push(v);
                }
                v = soft_threshold(v, t[i]);
            }
            *bar = v * 2.0 - *x;
            *x = v;
            v
        };
        let rows = x.iter_mut().zip(&w.g).zip(w.bar.iter_mut()).enumerate();
        match sum {
            Some(sum) => {
                for ((i, ((x, g), bar)), s) in rows.zip(sum.iter_mut()) {
                    *s += primal(i, x, g, bar);
                }
            }
            None => {
                for (i, ((x, g), bar)) in rows {
                    primal(i, x, g, bar);
                }
            }
        }
        // q+ = proj_{||q|| <= 1}(q + sigma (B x_ - b))
        self.b.apply_into(&w.bar, &mut w.bx);
        for ((q, bx), b) in q.iter_mut().zip(&w.bx).zip(b) {
            *q += (bx - b) * sigma;
        }
        if let Some(tape) = tape.as_deref_mut() {
            tape.data.extend_from_slice(q);
            tape.unorm
                .push(q.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt());
        }
        project_l2_ball(ArrayViewMut1::from(&mut q[..]), 1.0);
        // p+ = proj_{|p_px| <= lambda / s}(p + sigma s D x_)
        if let Some(tv) = &self.tv {
            tv.grad.apply_into(&w.bar, &mut w.dx);
            p.iter_mut()
                .zip(&w.dx)
                .for_each(|(p, d)| *p += d * (sigma * tv.s));
            if let Some(tape) = tape {
                tape.data.extend_from_slice(p);
            }
            project_pairs(ArrayViewMut1::from(&mut p[..]), tv.radius);
        }
    }

    /// The reverse of one step through its record: the cotangents of the state after the
    /// step in `bk.cx, bk.cq, bk.cp` become those of the state before it, `inject` (the
    /// cotangent the ergodic sum gives x+) being added to that of x+ first, and the cotangent
    /// of the data is accumulated into `bk.cys`. With `nonsmooth` false the Jacobians of the
    /// thresholds and projections are taken as the identity (only to show that the
    /// derivative checks catch the omission).
    pub fn back_step(
        &self,
        rec: Record<'_>,
        inject: Option<&[C64]>,
        bk: &mut Back,
        nonsmooth: bool,
    ) {
        let Record { v, u, w, unorm } = rec;
        let (tau, sigma) = (self.tau, self.sigma);
        if let Some(s) = inject {
            for (c, s) in bk.cx.iter_mut().zip(s) {
                *c += s;
            }
        }
        // U = J_P1(u) Q+.
        if unorm > 1.0 && nonsmooth {
            let dot = re_dot(u, &bk.cq) / (unorm * unorm);
            let k = 1.0 / unorm;
            for ((o, c), u) in bk.u.iter_mut().zip(&bk.cq).zip(u) {
                *o = (c - u * dot) * k;
            }
        } else {
            bk.u.copy_from_slice(&bk.cq);
        }
        for (c, u) in bk.cys.iter_mut().zip(&bk.u) {
            *c -= u * sigma;
        }
        // X_ = sigma B* U (+ sigma s D* W)
        self.b.adjoint_into(&bk.u, &mut bk.bar);
        bk.bar.iter_mut().for_each(|z| *z *= sigma);
        if let Some(tv) = &self.tv {
            // W = J_pairs(w) P+.
            let r = tv.radius;
            let r2 = r * r;
            let d = self.dim;
            let (wh, wv) = w.split_at(d);
            let (ch, cv) = bk.cp.split_at(d);
            let (oh, ov) = bk.w.split_at_mut(d);
            for i in 0..d {
                let (a, b) = (wh[i], wv[i]);
                let n2 = a.norm_sqr() + b.norm_sqr();
                if n2 > r2 && nonsmooth {
                    let k = r / n2.sqrt();
                    let dot =
                        (a.re * ch[i].re + a.im * ch[i].im + b.re * cv[i].re + b.im * cv[i].im)
                            / n2;
                    oh[i] = (ch[i] - a * dot) * k;
                    ov[i] = (cv[i] - b * dot) * k;
                } else {
                    oh[i] = ch[i];
                    ov[i] = cv[i];
                }
            }
            tv.grad.adjoint_into(&bk.w, &mut bk.t_dim);
            let f = sigma * tv.s;
            for (o, t) in bk.bar.iter_mut().zip(&bk.t_dim) {
                *o += t * f;
            }
        }
        // V = J_S(v) (X+ + 2 X_)
        for ((o, c), b) in bk.v.iter_mut().zip(&bk.cx).zip(&bk.bar) {
            *o = c + b * 2.0;
        }
        if let Some(th) = &self.thresholds {
            for ((o, z), &t) in bk.v.iter_mut().zip(v).zip(th) {
                if t == 0.0 || !nonsmooth {
                    continue;
                }
                let a = z.norm_sqr().sqrt();
                if a <= t {
                    *o = ZERO;
                } else {
                    let dot = (z.re * o.re + z.im * o.im) / (a * a);
                    *o -= (*o - z * dot) * (t / a);
                }
            }
        }
        // X = V - X_, Q = U - tau B V, P = W - tau s D V
        for ((c, v), b) in bk.cx.iter_mut().zip(&bk.v).zip(&bk.bar) {
            *c = v - b;
        }
        self.b.apply_into(&bk.v, &mut bk.t_m);
        for ((c, u), t) in bk.cq.iter_mut().zip(&bk.u).zip(&bk.t_m) {
            *c = u - t * tau;
        }
        if let Some(tv) = &self.tv {
            tv.grad.apply_into(&bk.v, &mut bk.t_2d);
            let f = tau * tv.s;
            for ((c, w), t) in bk.cp.iter_mut().zip(&bk.w).zip(&bk.t_2d) {
                *c = w - t * f;
            }
        }
    }
}

/// The ergodic average (x_1 + ... + x_k) / k from the running sum of k iterates.
pub fn ergodic_average(sum: &Array1<C64>, k: usize) -> Array1<C64> {
    sum * C64::new(1.0 / k as f64, 0.0)
}

/// Chambolle-Pock on the problem with data scaled by `alpha` (min R(x) + ||B x - alpha y||),
/// for a planned number of steps: [`ChambollePock::step`] from x0 with zero dual variables.
#[derive(Clone)]
pub struct PrimalDual {
    cp: ChambollePock,
    /// alpha y.
    y: Array1<C64>,
    state: State,
    /// x_1 + ... + x_k.
    sum: Array1<C64>,
    work: Work,
    iterations: usize,
    planned: usize,
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
        let cp = ChambollePock::new(&problem, steps);
        let y = &problem.y * C64::new(alpha, 0.0);
        let state = cp.state(x0);
        let sum = Array1::zeros(cp.dim);
        let work = cp.work();
        Self {
            cp,
            y,
            state,
            sum,
            work,
            iterations: 0,
            planned,
        }
    }

    /// The step sizes (tau, sigma) in use.
    pub fn steps(&self) -> (f64, f64) {
        self.cp.steps()
    }

    /// The last iterate x_k.
    pub fn last(&self) -> &Array1<C64> {
        &self.state.x
    }

    /// The ergodic average (x_1 + ... + x_k) / k (x_0 before the first step).
    pub fn ergodic(&self) -> Array1<C64> {
        if self.iterations == 0 {
            self.state.x.clone()
        } else {
            ergodic_average(&self.sum, self.iterations)
        }
    }

    /// The dual iterate q of the data term.
    pub fn dual(&self) -> &Array1<C64> {
        &self.state.q
    }

    /// For TV: the dual iterate p of the normalised gradient s D x, and s.
    pub fn tv_dual(&self) -> Option<(&Array1<C64>, f64)> {
        self.cp.tv_scale().map(|s| (&self.state.p, s))
    }

    fn iterate(&mut self) {
        let contiguous = "arrays are contiguous";
        let sum = self.sum.as_slice_mut().expect(contiguous);
        let y = self.y.as_slice().expect(contiguous);
        self.cp
            .step(&mut self.state, Some(sum), y, &mut self.work, None);
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

    /// Re <u, v> summed over pairs of vectors.
    fn re_dots(pairs: &[(&Array1<C64>, &Array1<C64>)]) -> f64 {
        pairs
            .iter()
            .map(|(u, v)| re_dot(u.as_slice().unwrap(), v.as_slice().unwrap()))
            .sum()
    }

    /// `back_step` is the vector-Jacobian product of `step`, as a map (x, q, p, b) ->
    /// (x+, q+, p+): for random directions d and cotangents c, the central difference
    /// <(F(z + h d) - F(z - h d)) / 2h, c> against <d, J^T c>, on a 6-entry weighted l1
    /// problem (one weight 0) and a 4 x 4 TV problem, from random states, small in every
    /// other trial so that the unit-ball projection acts in some trials and not in others
    /// (each nonsmooth piece is visited on both sides: counted and asserted). F is piecewise
    /// smooth, and at these random points no kink lies within h = 1e-7 of the point, so the
    /// truncation error is O(h^2) ~ 1e-14 and the round-off O(eps / h) ~ 1e-9 relative:
    /// measured errors are 8e-11 to 1.6e-8, the bound is 1e-6. With the nonsmooth Jacobians
    /// taken as the identity the errors are 0.38 to 1.9 (asserted above 1e-2), so the check
    /// can fail.
    #[test]
    fn back_step_is_the_vjp_of_step() {
        let mut rng = Rng::new(57);
        let n = 4;
        let mut omega: Vec<usize> = (0..n * n).collect();
        rng.shuffle(&mut omega);
        omega.truncate(8);
        let g = complex_gaussian(6 * 6, &mut rng)
            .into_shape_with_order((6, 6))
            .unwrap();
        let b0 = Matrix::new(g.clone());
        let l1 = SqrtLasso {
            b: Arc::new(Matrix::new(g / C64::new(b0.norm(), 0.0))),
            y: Array1::zeros(6),
            reg: Regulariser::WeightedL1 {
                lambda: 0.5,
                weights: Some(Arc::new(vec![1.0, 0.5, 2.0, 1.0, 0.25, 0.0])),
            },
        };
        let tv = SqrtLasso {
            b: Arc::new(SubsampledFourier::new(n, omega).unwrap()),
            y: Array1::zeros(8),
            reg: Regulariser::Tv {
                lambda: 0.3,
                grad: Arc::new(Gradient2d::new(n)),
            },
        };
        let mut total_visits = [0usize; 2];
        for (name, problem) in [("l1", l1), ("tv", tv)] {
            let cp = ChambollePock::new(&problem, Steps::default());
            let (dim, m) = cp.dims();
            let plen = cp.state(Array1::zeros(dim)).p.len();
            // (x, q, p, b) -> (x+, q+, p+), and the record of the step at (x, q, p, b).
            let f = |x: &Array1<C64>, q: &Array1<C64>, p: &Array1<C64>, b: &Array1<C64>| {
                let mut st = State {
                    x: x.clone(),
                    q: q.clone(),
                    p: p.clone(),
                };
                let mut tape = Tape::new(&cp, 1);
                let b = b.as_slice().unwrap();
                cp.step(&mut st, None, b, &mut cp.work(), Some(&mut tape));
                (st, tape)
            };
            let mut visits = [0usize; 6];
            let mut worst_wrong = 0.0f64;
            for trial in 0..4 {
                // Small primal and data terms in every other trial, so that u stays inside
                // the unit ball there.
                let scale = C64::new(if trial % 2 == 0 { 0.05 } else { 1.0 }, 0.0);
                let x = complex_gaussian(dim, &mut rng) * scale;
                let q = complex_gaussian(m, &mut rng) * scale;
                let p = complex_gaussian(plen, &mut rng);
                let b = complex_gaussian(m, &mut rng) * scale;
                let (dx, dq, dp, db) = (
                    complex_gaussian(dim, &mut rng),
                    complex_gaussian(m, &mut rng),
                    complex_gaussian(plen, &mut rng),
                    complex_gaussian(m, &mut rng),
                );
                let (cx, cq, cp_) = (
                    complex_gaussian(dim, &mut rng),
                    complex_gaussian(m, &mut rng),
                    complex_gaussian(plen, &mut rng),
                );
                let h = 1e-7;
                let at = |t: f64| {
                    let t = C64::new(t, 0.0);
                    f(
                        &(&x + &(&dx * t)),
                        &(&q + &(&dq * t)),
                        &(&p + &(&dp * t)),
                        &(&b + &(&db * t)),
                    )
                };
                let ((plus, _), (minus, _)) = (at(h), at(-h));
                let k = C64::new(1.0 / (2.0 * h), 0.0);
                let (fx, fq, fp) = (
                    (&plus.x - &minus.x) * k,
                    (&plus.q - &minus.q) * k,
                    (&plus.p - &minus.p) * k,
                );
                let fd = re_dots(&[(&fx, &cx), (&fq, &cq), (&fp, &cp_)]);
                let (_, tape) = f(&x, &q, &p, &b);
                let rec = tape.record(0);
                // Which pieces this trial visits: [ball, thresholds, pairs] x [on, off].
                visits[usize::from(rec.unorm <= 1.0)] += 1;
                if let Some(th) = cp.thresholds() {
                    for (z, &t) in rec.v.iter().zip(th).filter(|(_, &t)| t > 0.0) {
                        visits[2 + usize::from(z.norm() <= t)] += 1;
                    }
                }
                if let Some(r) = cp.pair_radius() {
                    for i in 0..dim {
                        let norm = (rec.w[i].norm_sqr() + rec.w[dim + i].norm_sqr()).sqrt();
                        visits[4 + usize::from(norm <= r)] += 1;
                    }
                }
                let mut bk = cp.back();
                bk.cx.copy_from_slice(cx.as_slice().unwrap());
                bk.cq.copy_from_slice(cq.as_slice().unwrap());
                bk.cp.copy_from_slice(cp_.as_slice().unwrap());
                // <d, J^T c>, and the same with the nonsmooth Jacobians left out.
                let vjp = |nonsmooth: bool| {
                    let mut bk = cp.back();
                    bk.cx.copy_from_slice(cx.as_slice().unwrap());
                    bk.cq.copy_from_slice(cq.as_slice().unwrap());
                    bk.cp.copy_from_slice(cp_.as_slice().unwrap());
                    cp.back_step(rec, None, &mut bk, nonsmooth);
                    re_dot(&bk.cx, dx.as_slice().unwrap())
                        + re_dot(&bk.cq, dq.as_slice().unwrap())
                        + re_dot(&bk.cp, dp.as_slice().unwrap())
                        + re_dot(&bk.cys, db.as_slice().unwrap())
                };
                let rel = |an: f64| (fd - an).abs() / fd.abs().max(an.abs());
                let (an, wrong) = (vjp(true), vjp(false));
                let (err, err_wrong) = (rel(an), rel(wrong));
                eprintln!(
                    "{name}, trial {trial}: <d, J^T c> = {an:.6e}, relative error {err:.1e} \
                     ({err_wrong:.1e} without the nonsmooth Jacobians)"
                );
                assert!(err < 1e-6, "{name}, trial {trial}: {fd} vs {an}");
                worst_wrong = worst_wrong.max(err_wrong);
            }
            eprintln!("{name}: pieces visited {visits:?}");
            total_visits[0] += visits[0];
            total_visits[1] += visits[1];
            match name {
                "l1" => assert!(visits[2] > 0 && visits[3] > 0, "{visits:?}"),
                _ => assert!(visits[4] > 0 && visits[5] > 0, "{visits:?}"),
            }
            assert!(worst_wrong > 1e-2, "{name}: the check misses a wrong term");
        }
        assert!(
            total_visits[0] > 0 && total_visits[1] > 0,
            "{total_visits:?}"
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
