//! The reconstruction maps of [`super::Recon`] as [`ReconMap`]s: the same outputs, with their
//! vector-Jacobian products by reverse mode through the unrolled iterations.
//!
//! - [`AdjointMap`]: Psi(y) = A* y. Complex-linear, so J^T g = (A*)* g = A g.
//! - [`ChambollePockMap`]: what `Recon::new(Method::CS_WAVELET | Method::TV, ..)` then `run()`
//!   then `image()` computes: K Chambolle-Pock steps on the data scaled by alpha = 1 / ||y||,
//!   started at zero, and the last iterate divided by alpha (then W* for the wavelet variable).
//! - [`FirenetMap`]: `Recon::new(Method::FIRENET, ..)` run to the end: n restarts of p steps,
//!   ergodic averages, and the schedule eps_0 = ||y||, eps_k = (delta + eps_{k-1}) / e,
//!   alpha_k = 2 L / (p eps_k) (Antun, Colbrook, Hansen, PNAS 2022), which depends on y.
//!
//! Vectors are real (C^k as R^2k, inner product <u, v> = Re sum conj(u_i) v_i), as in
//! [`super::map`].
//!
//! The iterations are not written here: one primal-dual step and its reverse step are
//! [`ChambollePock::step`] and [`ChambollePock::back_step`] (their equations are there), and
//! FIRENET's restarts and their reverse are [`Schedule`] and [`Reverse`] in
//! [`crate::solvers::firenet`], the very code [`super::Recon`] runs. This module holds what
//! the maps add: the data scalings, the tapes, and when to recompute.
//!
//! ## The data scalings
//!
//! Chambolle-Pock: b = alpha y and x^ = W* (x_K / alpha), alpha = 1 / ||y||, so besides
//! y^ += alpha b^ the scalar alpha collects alpha^ = Re<b^, y> - Re<W g, x_K> / alpha^2, and
//! since grad ||y||^-1 = -y / ||y||^3, y^ += -alpha^3 alpha^ y. (The map is positively
//! homogeneous, Psi(c y) = c Psi(y), so <y, J^T g> = <Psi(y), g>: a test.)
//!
//! FIRENET's scalings alpha_k = 2 L / (p eps_k) are reversed by [`Reverse`]. At y = 0 the
//! norm is not differentiable: the terms through ||y|| are then left out (Psi(0) = 0 for
//! both).
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
use super::{data_scale, problem, Method, Objective, Settings};
use crate::operators::sampling::SubsampledFourier;
use crate::operators::wavelet::Wavelet2d;
use crate::operators::{norm2, LinearOperator, C64};
use crate::solvers::firenet::{Restart, Reverse, Schedule};
use crate::solvers::primal_dual::{
    ergodic_average, Back, ChambollePock, SqrtLasso, State, Steps, Tape,
};
use ndarray::{Array1, ArrayView1};
use std::cell::RefCell;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// The tape memory a map keeps by default before it recomputes (256 MiB: every map the page
/// attacks at 128 x 128, FIRENET 6 x 50 on TV included, keeps its whole tape).
pub const DEFAULT_TAPE_BUDGET: usize = 256 << 20;

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
    (method.spec().map)(a, settings)
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
// Runs of primal-dual steps with tapes: what to record, what to recompute.

/// The primal-dual step of a map's problem, with its tapes.
struct Core {
    cp: ChambollePock,
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
        let mut held: usize = pool.iter().map(Tape::bytes).sum();
        for tape in self.list.drain(..).filter_map(|s| s.tape) {
            if held + tape.bytes() <= self.cap {
                held += tape.bytes();
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
        Ok(Self::from_problem(&pb, wavelet, steps))
    }

    /// The step of any square-root LASSO (its data unused), with W* after it if given.
    fn from_problem(pb: &SqrtLasso, wavelet: Option<Arc<Wavelet2d>>, steps: Steps) -> Self {
        let cp = ChambollePock::new(pb, steps);
        let (dim, m) = cp.dims();
        Self {
            cp,
            wavelet,
            dim,
            m,
            tape_budget: DEFAULT_TAPE_BUDGET,
            pool: Arc::default(),
        }
    }

    /// Bytes of one step's record, and of one stored state.
    fn step_bytes(&self) -> (usize, usize) {
        let c = std::mem::size_of::<C64>();
        (self.cp.record_len() * c + 8, self.cp.state_len() * c)
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

    /// `steps` steps from `st` on data `ys` without records, adding each x+ to `sum` if given.
    fn run(&self, st: &mut State, mut sum: Option<&mut [C64]>, ys: &[C64], steps: usize) {
        let mut w = self.cp.work();
        for _ in 0..steps {
            self.cp.step(st, sum.as_deref_mut(), ys, &mut w, None);
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
        let mut w = self.cp.work();
        let mut segments = Vec::new();
        let mut done = 0;
        while done < steps {
            let len = plan.seg_len.min(steps - done);
            let keep = first + done >= plan.keep_from;
            let mut tape = keep.then(|| self.tape(len));
            let start = (!keep).then(|| st.clone());
            for _ in 0..len {
                self.cp
                    .step(st, sum.as_deref_mut(), ys, &mut w, tape.as_mut());
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
                t.reserve(steps);
                t
            }
            None => Tape::new(&self.cp, steps),
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
                        .get_or_insert_with(|| Tape::new(&self.cp, seg.len));
                    tape.clear();
                    let st = scratch.state.get_or_insert_with(|| start.clone());
                    st.copy_from(start);
                    let w = scratch.work.get_or_insert_with(|| self.cp.work());
                    for _ in 0..seg.len {
                        self.cp.step(st, None, ys, w, Some(tape));
                    }
                    &*tape
                }
                (None, None) => unreachable!("a segment keeps its records or its start"),
            };
            for k in (0..seg.len).rev() {
                self.cp
                    .back_step(tape.record(k), inject, bk, terms.nonsmooth);
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
    work: Option<crate::solvers::primal_dual::Work>,
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
/// [`ChambollePockMap::from_problem`] runs the same on any square-root LASSO (another data
/// operator B, another gradient D for TV), such as the 1-D TV of
/// [`crate::troublesome_kernel`].
pub struct ChambollePockMap {
    name: String,
    /// K, the steps of a run.
    iterations: usize,
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
        let name = match objective {
            Objective::Wavelet => Method::CS_WAVELET.name(),
            Objective::Tv => Method::TV.name(),
        };
        Ok(Self {
            name: name.into(),
            iterations: settings.iterations,
            core: Core::new(a, objective, settings, Steps::default())?,
        })
    }

    /// The map Psi(y) = x_K(alpha y) / alpha of `iterations` steps on `problem` (its data y
    /// unused; the image is the problem's own variable), with tau = sigma = 1 / ||K||.
    pub fn from_problem(name: &str, problem: &SqrtLasso, iterations: usize) -> Self {
        Self {
            name: name.into(),
            iterations,
            core: Core::from_problem(problem, None, Steps::default()),
        }
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
        let (alpha, ny) = data_scale(y);
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
        let k = self.iterations;
        let plan = core.plan(k, k);
        let mut st = core.cp.state(Array1::zeros(core.dim));
        let segments = core.run_traced(&mut st, None, &ys, k, plan, 0);
        CpTrace {
            alpha,
            ny,
            ys,
            last: st.x.to_vec(),
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
        let mut bk = core.cp.back();
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
        self.name.clone()
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
        let mut st = core.cp.state(Array1::zeros(core.dim));
        core.run(&mut st, None, &ys, self.iterations);
        self.output(st.x.as_slice().expect("contiguous"), alpha)
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
    /// The restarts 1..n (eps_k, alpha_k).
    restarts: Vec<Restart>,
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

    /// The forward pass, [`Schedule`]'s restarts of p steps each; with a trace when `traced`.
    fn forward(&self, y: ArrayView1<C64>, traced: bool) -> (Vec<C64>, Option<FirenetTrace>) {
        let core = &self.core;
        let o = &self.settings.firenet;
        let (n, p) = (o.restarts, o.inner);
        let ny = norm2(y);
        let mut schedule = Schedule::new(o, ny);
        let mut psi = Array1::<C64>::zeros(core.dim);
        let plan = core.plan(n * p, p);
        let mut tr = traced.then(|| FirenetTrace {
            ny,
            restarts: Vec::with_capacity(n),
            psi: vec![psi.to_vec()],
            runs: Vec::with_capacity(n),
        });
        for k in 0..n {
            let restart = schedule.next_restart();
            let ys = restart.data(y).to_vec();
            let mut st = core.cp.state(restart.start(&psi));
            let mut sum = Array1::<C64>::zeros(core.dim);
            let s = sum.as_slice_mut().expect("contiguous");
            match tr.as_mut() {
                Some(tr) => {
                    let segs = core.run_traced(&mut st, Some(s), &ys, p, plan, k * p);
                    tr.runs.push((ys, segs));
                }
                None => core.run(&mut st, Some(s), &ys, p),
            }
            psi = restart.rescale(ergodic_average(&sum, p));
            if let Some(tr) = tr.as_mut() {
                tr.restarts.push(restart);
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
        let mut rev = Reverse::new(core.to_variable(g), core.m, self.settings.firenet.inner);
        let mut bk = core.cp.back();
        for k in (0..tr.runs.len()).rev() {
            let (ys, segments) = &tr.runs[k];
            rev.restart(
                tr.restarts[k],
                y,
                (&tr.psi[k], &tr.psi[k + 1]),
                &mut bk,
                |inject, bk| core.back_run(segments, ys, Some(inject), bk, sc, terms),
            );
        }
        Array1::from(rev.finish(y, tr.ny, terms.scaling))
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
    use crate::recon::map::{check_vjp_with, VjpAt};
    use crate::recon::Recon;
    use crate::rng::Rng;
    use crate::solvers::firenet::FirenetOptions;
    use crate::solvers::primal_dual::Record;
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
                    Objective::Wavelet => (Method::CS_WAVELET, "cs-wavelet"),
                    Objective::Tv => (Method::TV, "tv"),
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
                    Method::FIRENET,
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

    /// The maps compute what `Recon` computes, bit for bit, through `apply` and through
    /// `apply_vjp`: both run the one step `ChambollePock::step` and FIRENET's `Schedule`, so
    /// this checks what the maps put around them (the scalings, the ergodic averages, W*).
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
        for method in [Method::CS_WAVELET, Method::TV, Method::FIRENET] {
            let map = recon_map(method, &a, &s).unwrap();
            let mut r = Recon::new(method, &a, &y, &s).unwrap();
            r.run();
            assert_eq!(map.apply(y.view()), r.image(), "{}", map.name());
        }
    }

    /// The central-difference check ([`crate::recon::map::check_vjp`]) of J^T g at y along a random d with the
    /// norm of y, and a random g:
    ///
    /// - h = 1e-6: the truncation error is O(h^2 ||Psi'''||) ~ 1e-12 relative (Psi is smooth
    ///   between kinks, its scale set by ||y||), the round-off O(eps / h) ~ 1e-10 relative
    ///   (times the growth of round-off through the steps), so a correct VJP agrees to about
    ///   1e-9 and the bound 1e-6 leaves a wide margin;
    /// - no kink lies within h ||d|| of y at these seeds (generic data: a threshold hit
    ///   between y - h d and y + h d would show as an O(1) error), and the pieces tested
    ///   include active and inactive thresholds and projections (see
    ///   `both_pieces_of_every_nonlinearity_are_visited`).
    ///
    /// A missing term is caught: see `a_missing_term_is_caught`.
    fn fd_error(map: &dyn ReconMap, y: &Array1<C64>, rng: &mut Rng) -> (f64, f64) {
        fd_error_with(map, &|y, g| map.apply_vjp(y).1(g), y, 0.0, rng)
    }

    /// [`fd_error`] with the VJP from `vjp(y, g)`, and `radial` y added to d: the relative
    /// error and <d, J^T g>.
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
        let check = check_vjp_with(map, vjp, y.view(), d.view(), g.view(), 1e-6);
        (check.relative_error(), check.vjp)
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
    /// 0.12 (FIRENET); without the nonsmooth Jacobians 0.67 and 0.59 (relative to the larger
    /// side, as [`crate::recon::map::VjpCheck::relative_error`] measures: 2.1 relative to
    /// <d, J^T g> for CP). The bound, 1e-4, is a hundred times the tolerance of the checks.
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
                let Record { v, w, unorm, .. } = tape.record(k);
                if let Some(th) = core.cp.thresholds() {
                    for (z, &t) in v.iter().zip(th) {
                        if t > 0.0 {
                            n[if z.norm() > t { 0 } else { 1 }] += 1;
                        }
                    }
                }
                n[if unorm > 1.0 { 2 } else { 3 }] += 1;
                if let Some(radius) = core.cp.pair_radius() {
                    let d = core.dim;
                    for i in 0..d {
                        let n2 = w[i].norm_sqr() + w[d + i].norm_sqr();
                        n[if n2 > radius * radius { 4 } else { 5 }] += 1;
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
