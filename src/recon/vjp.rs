//! The reconstruction maps of [`super::Recon`] as [`ReconMap`]s: the same outputs, with their
//! vector-Jacobian products by reverse mode through the unrolled iterations.
//!
//! - [`AdjointMap`]: Psi(y) = A* y. Complex-linear, so J^T g = (A*)* g = A g.
//! - [`ChambollePockMap`]: what `Recon::new(Method::CsWavelet | Method::Tv, ..)` then `run()`
//!   then `image()` computes: K Chambolle-Pock steps on the data scaled by alpha = 1 / ||y||,
//!   started at zero, and the last iterate divided by alpha (then W* for the wavelet variable).
//! - [`FirenetMap`]: `Recon::new(Method::Firenet, ..)` run to the end: n restarts of p steps,
//!   ergodic averages, and the schedule eps_0 = ||y||, eps_k = (delta + eps_{k-1}) / e,
//!   alpha_k = 2 L / (p eps_k) (Antun, Colbrook, Hansen, PNAS 2022), which depends on y.
//!
//! Vectors are real (C^k as R^2k, inner product <u, v> = Re sum conj(u_i) v_i), as in
//! [`super::map`].
//!
//! ## One primal-dual step and its adjoint
//!
//! With data b = alpha y, the step of [`crate::solvers::primal_dual`] (s D the normalised
//! gradient, TV only; R0 the weighted l1 norm, or 0 for TV) is
//!
//! ```text
//! v  = x - tau (B* q + s D* p)            x+ = S(v)          (soft-threshold; identity for TV)
//! x_ = 2 x+ - x
//! u  = q + sigma (B x_ - b)                q+ = P_1(u)        (onto the unit ball)
//! w  = p + sigma s D x_                    p+ = P_pairs(w)    (each pair onto radius lambda / s)
//! ```
//!
//! Given the cotangents (X+, Q+, P+) of (x+, q+, p+), the chain rule read backwards gives
//!
//! ```text
//! U  = J_P1(u) Q+,   W = J_pairs(w) P+,   b^ -= sigma U
//! X_ = sigma B* U + sigma s D* W                         (the cotangent of x_)
//! V  = J_S(v) (X+ + 2 X_)
//! X  = V - X_,   Q = U - tau B V,   P = W - tau s D V    (the cotangents of x, q, p)
//! ```
//!
//! with the derivatives of the nonsmooth pieces on the piece they are on, each a symmetric
//! real matrix (so J^T = J):
//!
//! - soft-threshold S_t(z) = z (1 - t / |z|) for |z| > t, as a map of R^2:
//!   J = (1 - t/|z|) I + (t/|z|) z^ z^^T with z^ = z / |z|, that is
//!   J c = c - (t/|z|)(c - z^ Re(conj(z^) c)); J = 0 for |z| <= t, and J = I where t = 0
//!   (the unweighted coarse scale);
//! - the ball projection q -> r q / ||q|| for ||q|| > r: J = (r / ||q||)(I - q^ q^^T), with
//!   q^ = q / ||q|| over all 2m real coordinates; J = I inside;
//! - `project_pairs`: the same per pair (h_i, v_i), 4 real coordinates.
//!
//! A backward step costs what a forward step does (B, B*, and D, D* for TV). The forward pass
//! records, per step, v (l1 only), u and ||u||, and w (TV only): the points the Jacobians are
//! taken at, from which the active pieces follow by the same comparisons the forward pass
//! made.
//!
//! ## The data scalings
//!
//! Chambolle-Pock: b = alpha y and x^ = W* (x_K / alpha), alpha = 1 / ||y||, so besides
//! y^ += alpha b^ the scalar alpha collects alpha^ = Re<b^, y> - Re<W g, x_K> / alpha^2, and
//! since grad ||y||^-1 = -y / ||y||^3, y^ += -alpha^3 alpha^ y. (The map is positively
//! homogeneous, Psi(c y) = c Psi(y), so <y, J^T g> = <Psi(y), g>: a test.)
//!
//! FIRENET, restart k (x0 = alpha_k psi_{k-1}, b = alpha_k y, psi_k = (sum_j x_j) / (p alpha_k)):
//! the cotangent psi^_k of psi_k enters every iterate x_j as psi^_k / (p alpha_k), and
//!
//! ```text
//! alpha^_k = -Re<psi^_k, psi_k> / alpha_k + Re<b^, y> + Re<X0, psi_{k-1}>,
//! psi^_{k-1} = alpha_k X0,   y^ += alpha_k b^,
//! eps^_k = -alpha^_k alpha_k / eps_k + eps^_{k+1} / e,   y^ += eps^_0 y / ||y||,
//! ```
//!
//! X0 being the cotangent of the restart's start. At y = 0 the norm is not differentiable:
//! the terms through ||y|| are then left out (Psi(0) = 0 for both).
//!
//! ## Memory
//!
//! A step's record holds n^2 (l1 only) + m + 2 n^2 (TV only) complex numbers, about 0.59 MB
//! on TV at 128 x 128 and 25 % sampling, so FIRENET 6 x 50 records 177 MB. Records beyond
//! [`DEFAULT_TAPE_BUDGET`] (settable per map) are not kept: the steps are cut into segments of
//! about sqrt(steps), each starts from a stored state (x, q, p), the last segments keep their
//! records, and the others are recomputed, once, during the backward pass (one more forward
//! step per step not kept). The recomputation repeats the same arithmetic, so the result is
//! bitwise the same (a test). When a VJP is dropped its tapes go back to the map, which reuses
//! them in the next call (at most the budget's worth; `release_memory` frees them): writing a
//! fresh 177 MB tape cost about 100 ms natively, in page faults, against 150 ms for the
//! forward pass itself.

use super::map::{ReconMap, Vjp};
use super::{problem, Method, Objective, Settings};
use crate::operators::sampling::SubsampledFourier;
use crate::operators::wavelet::Wavelet2d;
use crate::operators::{norm2, LinearOperator, C64};
use crate::solvers::primal_dual::{PrimalDual, Regulariser, Steps};
use crate::solvers::prox::{project_l2_ball, project_pairs, soft_threshold};
use ndarray::{Array1, ArrayView1, ArrayViewMut1};
use std::cell::RefCell;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// The tape memory a map keeps by default before it recomputes (256 MiB: every map the page
/// attacks at 128 x 128, FIRENET 6 x 50 on TV included, keeps its whole tape).
pub const DEFAULT_TAPE_BUDGET: usize = 256 << 20;

const ZERO: C64 = C64 { re: 0.0, im: 0.0 };

/// Re <u, v>, the real inner product of complex vectors.
fn re_dot(u: &[C64], v: &[C64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| a.re * b.re + a.im * b.im)
        .sum()
}

/// The map for a [`Method`], as [`super::Recon`] computes it (FIRENET on
/// `settings.firenet_on`).
pub fn recon_map(
    method: Method,
    a: &Arc<SubsampledFourier>,
    settings: &Settings,
) -> Result<Arc<dyn ReconMap>, String> {
    Ok(match method {
        Method::Adjoint => Arc::new(AdjointMap::new(a.clone())),
        Method::CsWavelet => Arc::new(ChambollePockMap::new(a, Objective::Wavelet, settings)?),
        Method::Tv => Arc::new(ChambollePockMap::new(a, Objective::Tv, settings)?),
        Method::Firenet => Arc::new(FirenetMap::new(a, settings.firenet_on, settings)?),
    })
}

/// Psi(y) = A* y, the zero-filled reconstruction; its vector-Jacobian product is A.
pub struct AdjointMap {
    a: Arc<SubsampledFourier>,
}

impl AdjointMap {
    pub fn new(a: Arc<SubsampledFourier>) -> Self {
        Self { a }
    }
}

impl ReconMap for AdjointMap {
    fn name(&self) -> String {
        "adjoint".into()
    }
    fn dim_in(&self) -> usize {
        self.a.dim_out()
    }
    fn dim_out(&self) -> usize {
        self.a.dim_in()
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.a.adjoint(y)
    }
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        (self.a.adjoint(y), Box::new(move |g| self.a.apply(g)))
    }
}

// ---------------------------------------------------------------------------------------
// The primal-dual engine: forward steps that can record, backward steps.

/// The TV part of the iteration.
struct TvPart {
    grad: Arc<dyn LinearOperator>,
    /// s = 1 / ||D||.
    s: f64,
    /// lambda / s, the radius of the pairs of p.
    radius: f64,
}

/// A primal-dual iteration on a fixed problem, the data left open.
struct Core {
    b: Arc<dyn LinearOperator>,
    tv: Option<TvPart>,
    /// tau lambda w_i per entry for the weighted l1 term (None for TV).
    thresholds: Option<Vec<f64>>,
    tau: f64,
    sigma: f64,
    /// W, when the variable is wavelet coefficients.
    wavelet: Option<Arc<Wavelet2d>>,
    dim: usize,
    m: usize,
    tape_budget: usize,
    /// Tapes of earlier calls, reused (writing a fresh 177 MB tape costs about as much as
    /// 100 ms of the forward pass natively, in page faults).
    pool: Pool,
}

/// Tapes kept for reuse, at most the budget's worth.
type Pool = Arc<Mutex<Vec<Tape>>>;

/// The iterate (x, q, p) (p empty without TV).
#[derive(Clone)]
struct State {
    x: Vec<C64>,
    q: Vec<C64>,
    p: Vec<C64>,
}

/// Work buffers of a forward step.
struct Work {
    g: Vec<C64>,
    bar: Vec<C64>,
    bx: Vec<C64>,
    dx: Vec<C64>,
    dtp: Vec<C64>,
}

/// Work buffers and cotangents of the backward pass.
struct Back {
    /// Cotangents of x, q, p.
    cx: Vec<C64>,
    cq: Vec<C64>,
    cp: Vec<C64>,
    /// The cotangent of the data alpha y, accumulated over the steps.
    cys: Vec<C64>,
    u: Vec<C64>,
    w: Vec<C64>,
    bar: Vec<C64>,
    v: Vec<C64>,
    t_dim: Vec<C64>,
    t_m: Vec<C64>,
    t_2d: Vec<C64>,
}

/// The records of consecutive steps: per step v (l1 only), u, w (TV only), and ||u||.
struct Tape {
    nv: usize,
    nu: usize,
    nw: usize,
    data: Vec<C64>,
    unorm: Vec<f64>,
}

impl Tape {
    fn with_capacity(core: &Core, steps: usize) -> Self {
        let (nv, nu, nw) = core.record_lens();
        Self {
            nv,
            nu,
            nw,
            data: Vec::with_capacity(steps * (nv + nu + nw)),
            unorm: Vec::with_capacity(steps),
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.unorm.clear();
    }

    /// (v, u, w, ||u||) of step k.
    fn record(&self, k: usize) -> (&[C64], &[C64], &[C64], f64) {
        let len = self.nv + self.nu + self.nw;
        let r = &self.data[k * len..(k + 1) * len];
        let (v, rest) = r.split_at(self.nv);
        let (u, w) = rest.split_at(self.nu);
        (v, u, w, self.unorm[k])
    }
}

/// Consecutive steps of a run: either their records, or the state they start from.
struct Segment {
    len: usize,
    start: Option<State>,
    tape: Option<Tape>,
}

/// The segments of a traced run; their tapes go back to the map's pool when dropped (with
/// the VJP that holds them).
struct Segments {
    list: Vec<Segment>,
    pool: Pool,
    /// The most tape memory the pool keeps (bytes).
    cap: usize,
}

impl Deref for Segments {
    type Target = [Segment];
    fn deref(&self) -> &[Segment] {
        &self.list
    }
}

impl Drop for Segments {
    fn drop(&mut self) {
        let Ok(mut pool) = self.pool.lock() else {
            return;
        };
        let bytes =
            |t: &Tape| t.data.capacity() * std::mem::size_of::<C64>() + t.unorm.capacity() * 8;
        let mut held: usize = pool.iter().map(bytes).sum();
        for tape in self.list.drain(..).filter_map(|s| s.tape) {
            if held + bytes(&tape) <= self.cap {
                held += bytes(&tape);
                pool.push(tape);
            }
        }
    }
}

/// How the steps are cut into segments and which keep their records.
#[derive(Clone, Copy)]
struct Plan {
    seg_len: usize,
    /// Segments starting at or after this global step keep their records.
    keep_from: usize,
}

impl Core {
    fn new(
        a: &Arc<SubsampledFourier>,
        objective: Objective,
        settings: &Settings,
        steps: Steps,
    ) -> Result<Self, String> {
        let m = a.dim_out();
        let (pb, wavelet) = problem(objective, a, &Array1::zeros(m), settings)?;
        let pb = Arc::new(pb);
        let dim = pb.b.dim_in();
        // The step sizes and s exactly as the solver computes them.
        let pd = PrimalDual::new(pb.clone(), 1.0, Array1::zeros(dim), 0, steps);
        let (tau, sigma) = pd.steps();
        let (tv, thresholds) = match &pb.reg {
            Regulariser::Tv { lambda, grad } => {
                let s = pd.tv_dual().map_or(1.0, |(_, s)| s);
                (
                    Some(TvPart {
                        grad: grad.clone(),
                        s,
                        radius: lambda / s,
                    }),
                    None,
                )
            }
            Regulariser::WeightedL1 { lambda, weights } => {
                let t = tau * lambda;
                let th = (0..dim)
                    .map(|i| weights.as_deref().map_or(t, |w| t * w[i]))
                    .collect();
                (None, Some(th))
            }
        };
        Ok(Self {
            b: pb.b.clone(),
            tv,
            thresholds,
            tau,
            sigma,
            wavelet,
            dim,
            m,
            tape_budget: DEFAULT_TAPE_BUDGET,
            pool: Arc::default(),
        })
    }

    fn record_lens(&self) -> (usize, usize, usize) {
        (
            if self.thresholds.is_some() {
                self.dim
            } else {
                0
            },
            self.m,
            if self.tv.is_some() { 2 * self.dim } else { 0 },
        )
    }

    /// Bytes of one step's record, and of one stored state.
    fn step_bytes(&self) -> (usize, usize) {
        let (nv, nu, nw) = self.record_lens();
        let c = std::mem::size_of::<C64>();
        ((nv + nu + nw) * c + 8, (self.dim + self.m + nw) * c)
    }

    fn state(&self, x0: Vec<C64>) -> State {
        State {
            x: x0,
            q: vec![ZERO; self.m],
            p: vec![ZERO; if self.tv.is_some() { 2 * self.dim } else { 0 }],
        }
    }

    fn work(&self) -> Work {
        let d2 = if self.tv.is_some() { 2 * self.dim } else { 0 };
        Work {
            g: vec![ZERO; self.dim],
            bar: vec![ZERO; self.dim],
            bx: vec![ZERO; self.m],
            dx: vec![ZERO; d2],
            dtp: vec![ZERO; if d2 > 0 { self.dim } else { 0 }],
        }
    }

    fn back(&self) -> Back {
        let d2 = if self.tv.is_some() { 2 * self.dim } else { 0 };
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

    /// The plan for `total` steps in runs of `run_len`: everything kept if it fits the
    /// budget; otherwise segments of about sqrt(total) steps, the last ones kept as far as
    /// the budget allows after the stored states and one segment of recomputation.
    fn plan(&self, total: usize, run_len: usize) -> Plan {
        let (b, c) = self.step_bytes();
        if total.saturating_mul(b) <= self.tape_budget {
            return Plan {
                seg_len: run_len.max(1),
                keep_from: 0,
            };
        }
        let seg_len = ((total as f64).sqrt().ceil() as usize).clamp(1, run_len.max(1));
        let segments = run_len.div_ceil(seg_len) * total.div_ceil(run_len.max(1));
        let spare = self.tape_budget.saturating_sub(segments * c + seg_len * b);
        Plan {
            seg_len,
            keep_from: total - (spare / b).min(total),
        }
    }

    /// One step from `st` on data `ys`, adding x+ to `sum` if given, recording into `tape`
    /// if given. The arithmetic is that of `PrimalDual::iterate`, operation for operation.
    fn step(
        &self,
        st: &mut State,
        sum: Option<&mut [C64]>,
        ys: &[C64],
        w: &mut Work,
        tape: Option<&mut Tape>,
    ) {
        let (tau, sigma) = (self.tau, self.sigma);
        // g = B* q + s D* p
        self.b.adjoint_into(&st.q, &mut w.g);
        if let Some(tv) = &self.tv {
            tv.grad.adjoint_into(&st.p, &mut w.dtp);
            for (g, d) in w.g.iter_mut().zip(&w.dtp) {
                *g += d * tv.s;
            }
        }
        let mut tape = tape;
        // x+ = prox(x - tau g), x_ = 2 x+ - x, sum += x+
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
        let rows = st.x.iter_mut().zip(&w.g).zip(w.bar.iter_mut()).enumerate();
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
        // q+ = P_1(q + sigma (B x_ - y))
        self.b.apply_into(&w.bar, &mut w.bx);
        for ((q, b), y) in st.q.iter_mut().zip(&w.bx).zip(ys) {
            *q += (b - y) * sigma;
        }
        if let Some(tape) = tape.as_deref_mut() {
            tape.data.extend_from_slice(&st.q);
            tape.unorm
                .push(st.q.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt());
        }
        project_l2_ball(ArrayViewMut1::from(&mut st.q[..]), 1.0);
        // p+ = P_pairs(p + sigma s D x_)
        if let Some(tv) = &self.tv {
            tv.grad.apply_into(&w.bar, &mut w.dx);
            st.p.iter_mut()
                .zip(&w.dx)
                .for_each(|(p, d)| *p += d * (sigma * tv.s));
            if let Some(tape) = tape {
                tape.data.extend_from_slice(&st.p);
            }
            project_pairs(ArrayViewMut1::from(&mut st.p[..]), tv.radius);
        }
    }

    /// `steps` steps from `st` without records.
    fn run(&self, st: &mut State, mut sum: Option<&mut [C64]>, ys: &[C64], steps: usize) {
        let mut w = self.work();
        for _ in 0..steps {
            self.step(st, sum.as_deref_mut(), ys, &mut w, None);
        }
    }

    /// `steps` steps from `st` with what the backward pass needs, the run's first step being
    /// global step `first` of the plan.
    fn run_traced(
        &self,
        st: &mut State,
        mut sum: Option<&mut [C64]>,
        ys: &[C64],
        steps: usize,
        plan: Plan,
        first: usize,
    ) -> Segments {
        let mut w = self.work();
        let mut segments = Vec::new();
        let mut done = 0;
        while done < steps {
            let len = plan.seg_len.min(steps - done);
            let keep = first + done >= plan.keep_from;
            let mut tape = keep.then(|| self.tape(len));
            let start = (!keep).then(|| st.clone());
            for _ in 0..len {
                self.step(st, sum.as_deref_mut(), ys, &mut w, tape.as_mut());
            }
            segments.push(Segment { len, start, tape });
            done += len;
        }
        Segments {
            list: segments,
            pool: self.pool.clone(),
            cap: self.tape_budget,
        }
    }

    /// An empty tape for `steps` steps, from the pool if it has one.
    fn tape(&self, steps: usize) -> Tape {
        let reused = self.pool.lock().ok().and_then(|mut p| p.pop());
        match reused {
            Some(mut t) => {
                t.clear();
                let len = t.nv + t.nu + t.nw;
                t.data.reserve(steps * len);
                t.unorm.reserve(steps);
                t
            }
            None => Tape::with_capacity(self, steps),
        }
    }

    /// One backward step through the record (v, u, w, ||u||), the cotangents of the state
    /// after the step in `bk.cx, bk.cq, bk.cp` becoming those of the state before it; `inject`
    /// is added to the cotangent of x+ first (the ergodic sum), and the cotangent of the data
    /// is accumulated into `bk.cys`.
    fn back_step(
        &self,
        rec: (&[C64], &[C64], &[C64], f64),
        inject: Option<&[C64]>,
        bk: &mut Back,
        terms: Terms,
    ) {
        let (v, u, w, unorm) = rec;
        let (tau, sigma) = (self.tau, self.sigma);
        if let Some(s) = inject {
            for (c, s) in bk.cx.iter_mut().zip(s) {
                *c += s;
            }
        }
        // U = J_P1(u) Q+.
        if unorm > 1.0 && terms.nonsmooth {
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
                if n2 > r2 && terms.nonsmooth {
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
                if t == 0.0 || !terms.nonsmooth {
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

    /// The backward pass through a traced run, from the cotangents in `bk` (those of the
    /// final state) to those of its start, recomputing segments without records.
    fn back_run(
        &self,
        segments: &[Segment],
        ys: &[C64],
        inject: Option<&[C64]>,
        bk: &mut Back,
        scratch: &mut Scratch,
        terms: Terms,
    ) {
        for seg in segments.iter().rev() {
            let tape = match (&seg.tape, &seg.start) {
                (Some(t), _) => t,
                (None, Some(start)) => {
                    let tape = scratch
                        .tape
                        .get_or_insert_with(|| Tape::with_capacity(self, seg.len));
                    tape.clear();
                    let st = scratch.state.get_or_insert_with(|| start.clone());
                    st.x.copy_from_slice(&start.x);
                    st.q.copy_from_slice(&start.q);
                    st.p.copy_from_slice(&start.p);
                    let w = scratch.work.get_or_insert_with(|| self.work());
                    for _ in 0..seg.len {
                        self.step(st, None, ys, w, Some(tape));
                    }
                    &*tape
                }
                (None, None) => unreachable!("a segment keeps its records or its start"),
            };
            for k in (0..seg.len).rev() {
                self.back_step(tape.record(k), inject, bk, terms);
            }
        }
    }

    fn release_memory(&self) {
        if let Ok(mut p) = self.pool.lock() {
            p.clear();
            p.shrink_to_fit();
        }
    }

    /// The cotangent of the variable from that of the image: W g (x^ = W* z), or g.
    fn to_variable(&self, g: ArrayView1<C64>) -> Vec<C64> {
        match &self.wavelet {
            Some(w) => w.apply(g).to_vec(),
            None => g.to_vec(),
        }
    }

    /// The image from the variable: W* z, or z.
    fn to_image(&self, z: Array1<C64>) -> Array1<C64> {
        match &self.wavelet {
            Some(w) => w.adjoint(z.view()),
            None => z,
        }
    }
}

/// What the backward pass recomputes into, kept between segments and calls.
#[derive(Default)]
struct Scratch {
    tape: Option<Tape>,
    state: Option<State>,
    work: Option<Work>,
}

/// Which terms of the backward pass to include (all, except in tests that show that the
/// finite-difference checks catch a missing one).
#[derive(Clone, Copy)]
struct Terms {
    /// The derivatives through ||y|| (the scalings alpha, eps_0).
    scaling: bool,
    /// The Jacobians of the thresholds and projections (false: taken as the identity).
    nonsmooth: bool,
}

const ALL_TERMS: Terms = Terms {
    scaling: true,
    nonsmooth: true,
};

// ---------------------------------------------------------------------------------------
// Chambolle-Pock.

/// Chambolle-Pock as [`super::Recon`] runs it for `cs-wavelet` and `tv`:
/// Psi(y) = W* x_K(alpha y) / alpha with alpha = 1 / ||y|| (1 at y = 0), x_K the last of
/// K = `settings.iterations` steps from x = 0, q = 0 (p = 0), steps tau = sigma = 1 / ||K||.
pub struct ChambollePockMap {
    objective: Objective,
    settings: Settings,
    core: Core,
}

/// The forward pass of [`ChambollePockMap`] with its trace.
struct CpTrace {
    alpha: f64,
    ny: f64,
    ys: Vec<C64>,
    last: Vec<C64>,
    segments: Segments,
}

impl ChambollePockMap {
    pub fn new(
        a: &Arc<SubsampledFourier>,
        objective: Objective,
        settings: &Settings,
    ) -> Result<Self, String> {
        Ok(Self {
            objective,
            settings: settings.clone(),
            core: Core::new(a, objective, settings, Steps::default())?,
        })
    }

    /// The tape memory kept before recomputing (bytes; see the module notes).
    pub fn with_tape_budget(mut self, bytes: usize) -> Self {
        self.core.tape_budget = bytes;
        self
    }

    /// Frees the tapes kept for reuse (up to the budget's worth, held between calls).
    pub fn release_memory(&self) {
        self.core.release_memory();
    }

    /// (alpha, ||y||, alpha y), as `Recon::new` computes them.
    fn scaling(y: ArrayView1<C64>) -> (f64, f64, Vec<C64>) {
        let ny = norm2(y);
        let alpha = if ny > 0.0 { 1.0 / ny } else { 1.0 };
        let ys = (&y * C64::new(alpha, 0.0)).to_vec();
        (alpha, ny, ys)
    }

    fn output(&self, last: &[C64], alpha: f64) -> Array1<C64> {
        let z = ArrayView1::from(last).to_owned() * C64::new(1.0 / alpha, 0.0);
        self.core.to_image(z)
    }

    fn forward_traced(&self, y: ArrayView1<C64>) -> CpTrace {
        let core = &self.core;
        let (alpha, ny, ys) = Self::scaling(y);
        let k = self.settings.iterations;
        let plan = core.plan(k, k);
        let mut st = core.state(vec![ZERO; core.dim]);
        let segments = core.run_traced(&mut st, None, &ys, k, plan, 0);
        CpTrace {
            alpha,
            ny,
            ys,
            last: st.x,
            segments,
        }
    }

    fn vjp(
        &self,
        y: &[C64],
        tr: &CpTrace,
        g: ArrayView1<C64>,
        terms: Terms,
        sc: &mut Scratch,
    ) -> Array1<C64> {
        let core = &self.core;
        let alpha = tr.alpha;
        let gz = core.to_variable(g);
        let mut bk = core.back();
        for (c, g) in bk.cx.iter_mut().zip(&gz) {
            *c = g * (1.0 / alpha);
        }
        core.back_run(&tr.segments, &tr.ys, None, &mut bk, sc, terms);
        let mut out: Array1<C64> = bk.cys.iter().map(|c| c * alpha).collect();
        if terms.scaling && tr.ny > 0.0 {
            let ca = re_dot(&bk.cys, y) - re_dot(&gz, &tr.last) / (alpha * alpha);
            let f = -alpha * alpha * alpha * ca;
            for (o, y) in out.iter_mut().zip(y) {
                *o += y * f;
            }
        }
        out
    }

    fn apply_vjp_terms(&self, y: ArrayView1<C64>, terms: Terms) -> (Array1<C64>, Vjp<'_>) {
        let tr = self.forward_traced(y);
        let out = self.output(&tr.last, tr.alpha);
        let y = y.to_vec();
        let scratch = RefCell::new(Scratch::default());
        (
            out,
            Box::new(move |g| self.vjp(&y, &tr, g, terms, &mut scratch.borrow_mut())),
        )
    }
}

impl ReconMap for ChambollePockMap {
    fn name(&self) -> String {
        match self.objective {
            Objective::Wavelet => Method::CsWavelet.name().into(),
            Objective::Tv => Method::Tv.name().into(),
        }
    }
    fn dim_in(&self) -> usize {
        self.core.m
    }
    fn dim_out(&self) -> usize {
        self.core.dim
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        let core = &self.core;
        let (alpha, _, ys) = Self::scaling(y);
        let mut st = core.state(vec![ZERO; core.dim]);
        core.run(&mut st, None, &ys, self.settings.iterations);
        self.output(&st.x, alpha)
    }
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        self.apply_vjp_terms(y, ALL_TERMS)
    }
}

// ---------------------------------------------------------------------------------------
// FIRENET.

/// FIRENET as [`super::Recon`] runs it (see [`crate::solvers::firenet`]): n restarts of p
/// Chambolle-Pock steps on `objective`, psi_k = (ergodic average of restart k) / alpha_k,
/// the image W* psi_n (or psi_n).
pub struct FirenetMap {
    objective: Objective,
    settings: Settings,
    core: Core,
}

/// The forward pass of [`FirenetMap`] with its trace.
struct FirenetTrace {
    ny: f64,
    /// eps_0..eps_n and alpha_1..alpha_n.
    eps: Vec<f64>,
    alpha: Vec<f64>,
    /// psi_0..psi_n.
    psi: Vec<Vec<C64>>,
    /// Per restart: alpha_k y and the segments.
    runs: Vec<(Vec<C64>, Segments)>,
}

impl FirenetMap {
    pub fn new(
        a: &Arc<SubsampledFourier>,
        objective: Objective,
        settings: &Settings,
    ) -> Result<Self, String> {
        let o = &settings.firenet;
        if o.inner == 0 {
            return Err("FIRENET needs at least one step per restart".into());
        }
        if !(o.sharpness.is_finite() && o.sharpness > 0.0 && o.delta.is_finite() && o.delta >= 0.0)
        {
            return Err("FIRENET needs a positive sharpness L and a delta >= 0".into());
        }
        Ok(Self {
            objective,
            settings: settings.clone(),
            core: Core::new(a, objective, settings, settings.firenet.steps)?,
        })
    }

    /// The tape memory kept before recomputing (bytes; see the module notes).
    pub fn with_tape_budget(mut self, bytes: usize) -> Self {
        self.core.tape_budget = bytes;
        self
    }

    /// Frees the tapes kept for reuse (up to the budget's worth, held between calls).
    pub fn release_memory(&self) {
        self.core.release_memory();
    }

    /// The forward pass; with a trace when `traced`.
    fn forward(&self, y: ArrayView1<C64>, traced: bool) -> (Vec<C64>, Option<FirenetTrace>) {
        let core = &self.core;
        let o = &self.settings.firenet;
        let (n, p) = (o.restarts, o.inner);
        let ny = norm2(y);
        let mut eps = ny;
        let mut psi = Array1::<C64>::zeros(core.dim);
        let plan = core.plan(n * p, p);
        let mut tr = traced.then(|| FirenetTrace {
            ny,
            eps: vec![eps],
            alpha: Vec::with_capacity(n),
            psi: vec![psi.to_vec()],
            runs: Vec::with_capacity(n),
        });
        for k in 0..n {
            // Firenet::start_restart, then p steps, then the rescaled ergodic average.
            eps = (o.delta + eps) / std::f64::consts::E;
            let beta = eps / (2.0 * o.sharpness);
            let alpha = 1.0 / (beta * p as f64);
            let x0 = (&psi * C64::new(alpha, 0.0)).to_vec();
            let ys = (&y * C64::new(alpha, 0.0)).to_vec();
            let mut st = core.state(x0);
            let mut sum = Array1::<C64>::zeros(core.dim);
            let s = sum.as_slice_mut().expect("contiguous");
            match tr.as_mut() {
                Some(tr) => {
                    let segs = core.run_traced(&mut st, Some(s), &ys, p, plan, k * p);
                    tr.runs.push((ys, segs));
                }
                None => core.run(&mut st, Some(s), &ys, p),
            }
            psi = (&sum * C64::new(1.0 / p as f64, 0.0)) * C64::new(1.0 / alpha, 0.0);
            if let Some(tr) = tr.as_mut() {
                tr.eps.push(eps);
                tr.alpha.push(alpha);
                tr.psi.push(psi.to_vec());
            }
        }
        (psi.to_vec(), tr)
    }

    fn vjp(
        &self,
        y: &[C64],
        tr: &FirenetTrace,
        g: ArrayView1<C64>,
        terms: Terms,
        sc: &mut Scratch,
    ) -> Array1<C64> {
        let core = &self.core;
        let p = self.settings.firenet.inner as f64;
        let mut cpsi = core.to_variable(g);
        let mut out = vec![ZERO; core.m];
        let mut bk = core.back();
        let mut inject = vec![ZERO; core.dim];
        // The cotangent of eps_{k+1}, divided by e (that of eps_k through eps_{k+1}).
        let mut carry = 0.0;
        for k in (0..tr.runs.len()).rev() {
            let (alpha, eps) = (tr.alpha[k], tr.eps[k + 1]);
            let (ys, segments) = &tr.runs[k];
            let mut calpha = -re_dot(&cpsi, &tr.psi[k + 1]) / alpha;
            let f = 1.0 / (p * alpha);
            for (i, c) in inject.iter_mut().zip(&cpsi) {
                *i = c * f;
            }
            bk.cx.iter_mut().for_each(|z| *z = ZERO);
            bk.cq.iter_mut().for_each(|z| *z = ZERO);
            bk.cp.iter_mut().for_each(|z| *z = ZERO);
            bk.cys.iter_mut().for_each(|z| *z = ZERO);
            core.back_run(segments, ys, Some(&inject), &mut bk, sc, terms);
            for (o, c) in out.iter_mut().zip(&bk.cys) {
                *o += c * alpha;
            }
            calpha += re_dot(&bk.cys, y) + re_dot(&bk.cx, &tr.psi[k]);
            for (c, x) in cpsi.iter_mut().zip(&bk.cx) {
                *c = x * alpha;
            }
            let ceps = -calpha * alpha / eps + carry;
            carry = ceps / std::f64::consts::E;
        }
        if terms.scaling && tr.ny > 0.0 {
            let f = carry / tr.ny;
            for (o, y) in out.iter_mut().zip(y) {
                *o += y * f;
            }
        }
        Array1::from(out)
    }

    fn apply_vjp_terms(&self, y: ArrayView1<C64>, terms: Terms) -> (Array1<C64>, Vjp<'_>) {
        let (psi, tr) = self.forward(y, true);
        let tr = tr.expect("traced");
        let out = self.core.to_image(Array1::from(psi));
        let y = y.to_vec();
        let scratch = RefCell::new(Scratch::default());
        (
            out,
            Box::new(move |g| self.vjp(&y, &tr, g, terms, &mut scratch.borrow_mut())),
        )
    }
}

impl ReconMap for FirenetMap {
    fn name(&self) -> String {
        let o = &self.settings.firenet;
        let on = match self.objective {
            Objective::Wavelet => "wavelet",
            Objective::Tv => "tv",
        };
        format!("firenet-{on}-{}x{}", o.restarts, o.inner)
    }
    fn dim_in(&self) -> usize {
        self.core.m
    }
    fn dim_out(&self) -> usize {
        self.core.dim
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        let (psi, _) = self.forward(y, false);
        self.core.to_image(Array1::from(psi))
    }
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        self.apply_vjp_terms(y, ALL_TERMS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::shepp_logan;
    use crate::operators::masks::{mask, MaskParams, Pattern};
    use crate::operators::wavelet::WaveletKind;
    use crate::operators::{complex, complex_gaussian};
    use crate::recon::Recon;
    use crate::rng::Rng;
    use crate::solvers::firenet::FirenetOptions;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const N: usize = 16;

    /// A 16 x 16 Shepp-Logan phantom seen at 30 % variable density with 2 % noise:
    /// (A, y).
    fn problem_16(seed: u64) -> (Arc<SubsampledFourier>, Array1<C64>) {
        let omega = mask(
            Pattern::VariableDensity,
            N,
            0.3,
            seed,
            &MaskParams::default(),
        )
        .unwrap()
        .fft_indices();
        let a = Arc::new(SubsampledFourier::new(N, omega).unwrap());
        let x = complex(shepp_logan(N).unwrap().view());
        let ax = a.apply(x.view());
        let mut rng = Rng::new(seed);
        let e = complex_gaussian(a.dim_out(), &mut rng);
        let scale = 0.02 * norm2(ax.view()) / norm2(e.view());
        (a, &ax + &(e * C64::new(scale, 0.0)))
    }

    fn settings(
        kind: WaveletKind,
        levels: usize,
        iterations: usize,
        restarts: usize,
        inner: usize,
    ) -> Settings {
        Settings {
            wavelet: kind,
            levels,
            lambda_wavelet: 0.02,
            lambda_tv: 0.01,
            iterations,
            firenet: FirenetOptions {
                restarts,
                inner,
                ..Default::default()
            },
            firenet_on: Objective::Tv,
        }
    }

    /// The settings the checks run: the moderate lambdas of [`settings`] with 20 steps and
    /// FIRENET 3 x 4, and strong lambdas (0.1) with 60 steps and FIRENET 3 x 12, where the
    /// residual stays large and the unit-ball projection of q is active (it rarely is at
    /// the moderate ones).
    fn setting_groups() -> Vec<(&'static str, Settings)> {
        let strong = |kind, levels| Settings {
            lambda_wavelet: 0.1,
            lambda_tv: 0.1,
            ..settings(kind, levels, 60, 3, 12)
        };
        vec![
            ("haar", settings(WaveletKind::Haar, 3, 20, 3, 4)),
            ("db4", settings(WaveletKind::Db4, 2, 20, 3, 4)),
            ("haar, strong", strong(WaveletKind::Haar, 3)),
            ("db4, strong", strong(WaveletKind::Db4, 2)),
        ]
    }

    /// The cases every check runs: CP and FIRENET on both objectives in every group.
    type Case = (String, Box<dyn ReconMap>, Method, Settings);
    fn cases(a: &Arc<SubsampledFourier>) -> Vec<Case> {
        let mut out: Vec<Case> = Vec::new();
        for (group, s) in setting_groups() {
            for objective in [Objective::Wavelet, Objective::Tv] {
                let (method, label) = match objective {
                    Objective::Wavelet => (Method::CsWavelet, "cs-wavelet"),
                    Objective::Tv => (Method::Tv, "tv"),
                };
                // TV does not depend on the wavelet: once per lambda.
                if objective == Objective::Tv && group.starts_with("haar") {
                    continue;
                }
                let s = Settings {
                    firenet_on: objective,
                    ..s.clone()
                };
                out.push((
                    format!("{label} ({group})"),
                    Box::new(ChambollePockMap::new(a, objective, &s).unwrap()),
                    method,
                    s.clone(),
                ));
                out.push((
                    format!("firenet on {label} ({group})"),
                    Box::new(FirenetMap::new(a, objective, &s).unwrap()),
                    Method::Firenet,
                    s,
                ));
            }
        }
        out
    }

    /// Re <u, v>.
    fn rdot(u: &Array1<C64>, v: &Array1<C64>) -> f64 {
        re_dot(u.as_slice().unwrap(), v.as_slice().unwrap())
    }

    #[test]
    fn the_adjoint_maps_vjp_is_a() {
        let (a, y) = problem_16(1);
        let map = AdjointMap::new(a.clone());
        assert_eq!((map.dim_in(), map.dim_out()), (a.dim_out(), N * N));
        let (out, vjp) = map.apply_vjp(y.view());
        assert_eq!(out, a.adjoint(y.view()));
        assert_eq!(map.apply(y.view()), out);
        let mut rng = Rng::new(2);
        let (d, g) = (
            complex_gaussian(a.dim_out(), &mut rng),
            complex_gaussian(N * N, &mut rng),
        );
        let jtg = vjp(g.view());
        assert_eq!(jtg, a.apply(g.view()));
        // <J d, g> = <d, J^T g> in the real inner product.
        let lhs = rdot(&a.adjoint(d.view()), &g);
        let rhs = rdot(&d, &jtg);
        assert!((lhs - rhs).abs() < 1e-12 * norm2(d.view()) * norm2(g.view()));
    }

    /// The maps compute what `Recon` computes, bit for bit (the same operations in the same
    /// order), through `apply` and through `apply_vjp`.
    #[test]
    fn the_maps_reproduce_recon_exactly() {
        let (a, y) = problem_16(3);
        for (name, map, method, s) in cases(&a) {
            let mut r = Recon::new(method, &a, &y, &s).unwrap();
            r.run();
            let want = r.image();
            assert_eq!(map.apply(y.view()), want, "{name}: apply");
            assert_eq!(map.apply_vjp(y.view()).0, want, "{name}: apply_vjp");
        }
        // And at the page's settings for a CP run of 200 steps and FIRENET 6 x 50 (TV).
        let s = Settings {
            lambda_tv: 3e-3,
            lambda_wavelet: 3e-3,
            ..settings(WaveletKind::Db4, 2, 200, 6, 50)
        };
        for method in [Method::CsWavelet, Method::Tv, Method::Firenet] {
            let map = recon_map(method, &a, &s).unwrap();
            let mut r = Recon::new(method, &a, &y, &s).unwrap();
            r.run();
            assert_eq!(map.apply(y.view()), r.image(), "{}", map.name());
        }
    }

    /// The central difference (Psi(y + h d) - Psi(y - h d)) / 2h against J d, through
    /// <., g>, for random d and g:
    ///
    /// - d has the norm of y, and h = 1e-6: the truncation error is O(h^2 ||Psi'''||) ~ 1e-12
    ///   relative (Psi is smooth between kinks, its scale set by ||y||), the round-off
    ///   O(eps / h) ~ 1e-10 relative (times the growth of round-off through the steps), so
    ///   a correct VJP agrees to about 1e-9 and the bound 1e-6 leaves a wide margin;
    /// - no kink lies within h ||d|| of y at these seeds (generic data: a threshold hit
    ///   between y - h d and y + h d would show as an O(1) error), and the pieces tested
    ///   include active and inactive thresholds and projections (see
    ///   `both_pieces_of_every_nonlinearity_are_visited`).
    ///
    /// A missing term is caught: see `a_missing_scaling_term_is_caught`.
    fn fd_error(map: &dyn ReconMap, y: &Array1<C64>, rng: &mut Rng) -> (f64, f64) {
        fd_error_with(map, &|y, g| map.apply_vjp(y).1(g), y, 0.0, rng)
    }

    /// J^T g at y, as a function of (y, g).
    type VjpAt<'a> = dyn Fn(ArrayView1<C64>, ArrayView1<C64>) -> Array1<C64> + 'a;

    /// [`fd_error`] with the VJP from `vjp(y, g)`, and `radial` y added to d.
    fn fd_error_with(
        map: &dyn ReconMap,
        vjp: &VjpAt<'_>,
        y: &Array1<C64>,
        radial: f64,
        rng: &mut Rng,
    ) -> (f64, f64) {
        let mut d = complex_gaussian(map.dim_in(), rng);
        d *= C64::new(norm2(y.view()) / norm2(d.view()), 0.0);
        d.scaled_add(C64::new(radial, 0.0), y);
        let g = complex_gaussian(map.dim_out(), rng);
        let h = 1e-6;
        let plus = map.apply((y + &(&d * C64::new(h, 0.0))).view());
        let minus = map.apply((y - &(&d * C64::new(h, 0.0))).view());
        let fd = rdot(&((&plus - &minus) / C64::new(2.0 * h, 0.0)), &g);
        let an = rdot(&d, &vjp(y.view(), g.view()));
        ((fd - an).abs() / an.abs(), an)
    }

    #[test]
    fn vjps_match_central_differences() {
        let (a, y) = problem_16(4);
        let mut rng = Rng::new(5);
        for (name, map, _, _) in cases(&a) {
            for trial in 0..3 {
                let (err, an) = fd_error(map.as_ref(), &y, &mut rng);
                eprintln!("{name}, trial {trial}: <d, J^T g> = {an:.6e}, relative error {err:.2e}");
                assert!(err < 1e-6, "{name}, trial {trial}: relative error {err:e}");
            }
        }
    }

    /// The same checks fail when a term is left out: the derivative through the scaling
    /// alpha = 1 / ||y|| (FIRENET: eps_0 = ||y||), or the Jacobians of the thresholds and
    /// projections (taken as the identity). The scaling only acts along y (the data are
    /// used through y / ||y||, up to FIRENET's delta), so d has a component along y here: a
    /// random d alone has one of relative size about 1 / sqrt(2m) and the missing term then
    /// shows as an error of about 1e-4. Measured: without the scaling 1.6e-3 (CP; small
    /// because near convergence the iterate is nearly homogeneous in the data anyway) and
    /// 0.12 (FIRENET); without the nonsmooth Jacobians 2.1 and 0.59. The bound, 1e-4, is a
    /// hundred times the tolerance of the checks.
    #[test]
    fn a_missing_term_is_caught() {
        let (a, y) = problem_16(4);
        let s = settings(WaveletKind::Haar, 3, 20, 3, 4);
        let cp = ChambollePockMap::new(&a, Objective::Wavelet, &s).unwrap();
        let fire = FirenetMap::new(&a, Objective::Tv, &s).unwrap();
        let no_scaling = Terms {
            scaling: false,
            ..ALL_TERMS
        };
        let no_kinks = Terms {
            nonsmooth: false,
            ..ALL_TERMS
        };
        for terms in [no_scaling, no_kinks] {
            let mut rng = Rng::new(5);
            let (e_cp, _) = fd_error_with(
                &cp,
                &|y, g| cp.apply_vjp_terms(y, terms).1(g),
                &y,
                1.0,
                &mut rng,
            );
            let (e_fire, _) = fd_error_with(
                &fire,
                &|y, g| fire.apply_vjp_terms(y, terms).1(g),
                &y,
                1.0,
                &mut rng,
            );
            eprintln!(
                "scaling {}, nonsmooth {}: errors {e_cp:.2e} (CP), {e_fire:.2e} (FIRENET)",
                terms.scaling, terms.nonsmooth
            );
            assert!(e_cp > 1e-4 && e_fire > 1e-4, "{e_cp} {e_fire}");
        }
    }

    /// Chambolle-Pock on the data y / ||y||, times ||y||, is positively homogeneous:
    /// Psi(c y) = c Psi(y), so J(y) y = Psi(y) and <y, J^T g> = <Psi(y), g> exactly, which
    /// holds only with the derivative through alpha. FIRENET is too when delta = 0 (then
    /// eps_k = ||y|| / e^k). Measured agreement: about 1e-15 relative; bound 1e-12.
    #[test]
    fn homogeneity_euler_identity() {
        let (a, y) = problem_16(6);
        let mut rng = Rng::new(7);
        let mut s = settings(WaveletKind::Db4, 2, 20, 3, 4);
        s.firenet.delta = 0.0;
        let maps: Vec<Box<dyn ReconMap>> = vec![
            Box::new(ChambollePockMap::new(&a, Objective::Wavelet, &s).unwrap()),
            Box::new(ChambollePockMap::new(&a, Objective::Tv, &s).unwrap()),
            Box::new(FirenetMap::new(&a, Objective::Wavelet, &s).unwrap()),
            Box::new(FirenetMap::new(&a, Objective::Tv, &s).unwrap()),
        ];
        for map in maps {
            let g = complex_gaussian(map.dim_out(), &mut rng);
            let (out, vjp) = map.apply_vjp(y.view());
            let (lhs, rhs) = (rdot(&y, &vjp(g.view())), rdot(&out, &g));
            let err = (lhs - rhs).abs() / (norm2(out.view()) * norm2(g.view()));
            eprintln!(
                "{}: <y, J^T g> = {lhs:.6e}, <Psi(y), g> = {rhs:.6e}, error {err:.1e}",
                map.name()
            );
            assert!(err < 1e-12, "{}: {err:e}", map.name());
        }
    }

    /// Budgets too small for the whole tape: segments are recomputed during the backward
    /// pass, and the VJP is bitwise the one from the whole tape (also on a second call,
    /// through the reused scratch).
    #[test]
    fn recomputed_segments_give_the_same_vjp() {
        let (a, y) = problem_16(8);
        let mut rng = Rng::new(9);
        let s = settings(WaveletKind::Haar, 3, 23, 3, 7);
        for objective in [Objective::Wavelet, Objective::Tv] {
            let cp = ChambollePockMap::new(&a, objective, &s).unwrap();
            let fire = FirenetMap::new(&a, objective, &s).unwrap();
            let g = complex_gaussian(cp.dim_out(), &mut rng);
            let want_cp = cp.apply_vjp(y.view()).1(g.view());
            let want_fire = fire.apply_vjp(y.view()).1(g.view());
            let (b, c) = cp.core.step_bytes();
            for budget in [0, 5 * b + 3 * c, 12 * b + 4 * c] {
                let cp = ChambollePockMap::new(&a, objective, &s)
                    .unwrap()
                    .with_tape_budget(budget);
                let tr = cp.forward_traced(y.view());
                let dropped = tr.segments.iter().filter(|s| s.tape.is_none()).count();
                assert!(dropped > 0 && (budget > 0 || dropped == tr.segments.len()));
                let (out, vjp) = cp.apply_vjp(y.view());
                assert_eq!(out, cp.apply(y.view()));
                assert_eq!(vjp(g.view()), want_cp, "CP, budget {budget}");
                assert_eq!(vjp(g.view()), want_cp, "CP, budget {budget}, second call");
                let fire = FirenetMap::new(&a, objective, &s)
                    .unwrap()
                    .with_tape_budget(budget);
                let (_, tr) = fire.forward(y.view(), true);
                let dropped: usize = tr
                    .unwrap()
                    .runs
                    .iter()
                    .map(|(_, segs)| segs.iter().filter(|s| s.tape.is_none()).count())
                    .sum();
                assert!(dropped > 0);
                let vjp = fire.apply_vjp(y.view()).1;
                assert_eq!(vjp(g.view()), want_fire, "FIRENET, budget {budget}");
                assert_eq!(
                    vjp(g.view()),
                    want_fire,
                    "FIRENET, budget {budget}, second call"
                );
            }
        }
    }

    /// Counts over a traced run: thresholds active / inactive (t > 0), the unit-ball
    /// projection active / inactive, pairs active / inactive.
    fn pieces(core: &Core, segments: &[Segment]) -> [usize; 6] {
        let mut n = [0; 6];
        for seg in segments {
            let tape = seg.tape.as_ref().expect("the whole tape");
            for k in 0..seg.len {
                let (v, _, w, unorm) = tape.record(k);
                if let Some(th) = &core.thresholds {
                    for (z, &t) in v.iter().zip(th) {
                        if t > 0.0 {
                            n[if z.norm() > t { 0 } else { 1 }] += 1;
                        }
                    }
                }
                n[if unorm > 1.0 { 2 } else { 3 }] += 1;
                if let Some(tv) = &core.tv {
                    let d = core.dim;
                    for i in 0..d {
                        let n2 = w[i].norm_sqr() + w[d + i].norm_sqr();
                        n[if n2 > tv.radius * tv.radius { 4 } else { 5 }] += 1;
                    }
                }
            }
        }
        n
    }

    /// The derivative checks see both pieces of every nonlinearity, over the setting groups:
    /// thresholds, pair projections and the unit-ball projection each active and inactive.
    #[test]
    fn both_pieces_of_every_nonlinearity_are_visited() {
        let (a, y) = problem_16(4);
        for objective in [Objective::Wavelet, Objective::Tv] {
            let mut total = [0; 6];
            for (group, s) in setting_groups() {
                let cp = ChambollePockMap::new(&a, objective, &s).unwrap();
                let fire = FirenetMap::new(&a, objective, &s).unwrap();
                let mut n = pieces(&cp.core, &cp.forward_traced(y.view()).segments);
                eprintln!("{objective:?} ({group}), CP: {n:?}");
                for (_, segs) in fire.forward(y.view(), true).1.unwrap().runs {
                    let more = pieces(&fire.core, &segs);
                    n.iter_mut().zip(more).for_each(|(a, b)| *a += b);
                }
                total.iter_mut().zip(n).for_each(|(a, b)| *a += b);
            }
            eprintln!("{objective:?}, all: {total:?}");
            assert!(total[2] > 0 && total[3] > 0, "{total:?}");
            match objective {
                Objective::Wavelet => assert!(total[0] > 0 && total[1] > 0),
                Objective::Tv => assert!(total[4] > 0 && total[5] > 0),
            }
        }
    }
}
