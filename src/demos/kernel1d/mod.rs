//! Demo: the troublesome kernel in one dimension (Gottschling, Antun, Adcock, Hansen, SIAM
//! Review 2025, arXiv:2001.01258; the numerics are [`crate::troublesome_kernel`]).
//!
//! A network learns to reconstruct piecewise cubic signals from a quarter of their Fourier
//! coefficients. With the switch **pairs** on, 256 of its 1,024 training signals also appear
//! with the tumour z added, whose measurements are delta ||z|| small: being accurate on both
//! x and x + z forces a local Lipschitz constant of at least (||z|| - 2 eta) / (delta ||z||),
//! and the lab's instability test finds a perturbation of size delta ||z|| that invents the
//! tumour on held-out signals. With pairs off it misses the tumour and stays about as stable
//! as the 1-D TV square-root LASSO.
//!
//! Jobs ([`crate::job::Job`]):
//! - [`TrainJob`]: the training, a few epochs per step, with its trace (pair accuracy and a
//!   cheap amplification estimate every [`TRACE_EVERY`] epochs: the trade-off traced live);
//! - [`EvalJob`]: the trained network and the TV map on the held-out signals: scores, the
//!   instability test on [`ATTACKED`] of them (one ascent per step, the TV ascent a few
//!   gradient steps per step), eta and the bound;
//! - [`SweepJob`]: the amplification against delta, retraining with pairs per delta.
//!
//! [`page::Kernel1dPage`] holds them for the page; the command line runs [`run`].

use crate::instability::InstabilityTest;
use crate::job::{Job, Num};
use crate::operators::{complex, LinearOperator, C64};
use crate::params::{Field, Kind, ParamError, Params};
use crate::recon::map::ReconMap;
use crate::troublesome_kernel::{
    attack_options, cheap_amplification, lipschitz_bound, norm2, outputs, pair_eta, scores,
    scores_of, tv_map, KernelNet, NetMap, Scores, Setup, Trainer, ATTACK_ITERATIONS, EPOCHS, N,
    TV_ITERATIONS, TV_LAMBDA,
};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod page;

pub use crate::troublesome_kernel::ATTACKED;

/// Epochs between two points of the training trace (after a point per epoch for the first
/// [`TRACE_EVERY`]: with pairs the network learns the tumour within a few epochs).
pub const TRACE_EVERY: usize = 5;
/// The deltas of the sweep.
pub const SWEEP_DELTAS: [f64; 5] = [0.02, 0.05, 0.1, 0.2, 0.4];

/// The switch: train on kernel-aware pairs (x, x + z) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pairs {
    On,
    Off,
}

impl Pairs {
    pub fn on(self) -> bool {
        self == Pairs::On
    }
    pub fn name(self) -> &'static str {
        match self {
            Pairs::On => "on",
            Pairs::Off => "off",
        }
    }
    pub fn flipped(self) -> Self {
        match self {
            Pairs::On => Pairs::Off,
            Pairs::Off => Pairs::On,
        }
    }
}

/// The demo's state. Every field has a row in [`Kernel1dParams::SCHEMA`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kernel1dParams {
    /// Train on the kernel-aware pairs too (on by default: the page opens on the phenomenon).
    pub pairs: Pairs,
    /// delta = ||A z|| / ||z||.
    pub delta: f64,
    /// Training epochs.
    pub epochs: usize,
    /// The signals (training and held-out streams) and the network's initial weights.
    pub seed: u32,
}

impl Default for Kernel1dParams {
    fn default() -> Self {
        Self {
            pairs: Pairs::On,
            delta: 0.05,
            epochs: EPOCHS,
            seed: 1,
        }
    }
}

impl Params for Kernel1dParams {
    const SCHEMA: &'static [Field] = &[
        Field {
            key: "pairs",
            label: "Kernel-aware pairs",
            unit: "",
            help: "Also train on 256 signals with the tumour added, x + z, whose measurements are nearly those of x.",
            kind: Kind::Choice(&["on", "off"], &["On: train on x and x + z", "Off: signals only"]),
        },
        Field {
            key: "delta",
            label: "δ = ‖Az‖ / ‖z‖",
            unit: "",
            help: "How much of the tumour the measurements see: any method accurate on x and x + z has a local Lipschitz constant of at least (‖z‖ - 2η) / (δ‖z‖).",
            kind: Kind::Float {
                min: 0.01,
                max: 0.5,
                step: 0.01,
                log: false,
            },
        },
        Field {
            key: "epochs",
            label: "Training epochs",
            unit: "epochs",
            help: "Passes of Adam (batches of 32) over the training signals.",
            kind: Kind::Int { min: 1, max: 400 },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "The signals and the network's initial weights.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
    ];

    fn check(&self) -> Result<(), ParamError> {
        if !(self.delta.is_finite() && (0.01..=0.5).contains(&self.delta)) {
            return Err(ParamError::new(
                Some("delta"),
                format!("expected a number from 0.01 to 0.5, got {}", self.delta),
            ));
        }
        Ok(())
    }
}

impl Kernel1dParams {
    /// Err unless the state passes its schema (for states built in code).
    pub fn validated(&self) -> Result<&Self, String> {
        crate::params::validate(self).map_err(|e| e.to_string())?;
        Ok(self)
    }

    pub fn setup(&self) -> Result<Setup, String> {
        self.validated()?;
        Setup::new(self.delta, u64::from(self.seed))
    }
}

/// The scores as numbers for a result.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoreNums {
    /// Mean PSNR (dB) on held-out x + z: the accuracy on the pairs.
    pub pair_accuracy: Num,
    /// Mean ||Psi(A(x + z)) - (x + z)|| / ||x + z||.
    pub pair_error: Num,
    /// Mean ||(Psi(A(x + z)) - Psi(A x)) - z|| / ||z|| (1: the tumour missed).
    pub tumour_error: Num,
    /// Mean PSNR (dB) on held-out x.
    pub psnr_test: Num,
    /// Mean ||Psi(A x) - x|| / ||x||.
    pub test_error: Num,
}

impl From<Scores> for ScoreNums {
    fn from(s: Scores) -> Self {
        Self {
            pair_accuracy: Num(s.pair_accuracy),
            pair_error: Num(s.pair_error),
            tumour_error: Num(s.tumour_error),
            psnr_test: Num(s.psnr_test),
            test_error: Num(s.test_error),
        }
    }
}

/// One point of the training trace.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TracePoint {
    pub epoch: usize,
    /// The mean training loss of the epoch.
    pub loss: Num,
    #[serde(flatten)]
    pub scores: ScoreNums,
    /// The cheap estimate ([`cheap_amplification`]) at held-out signal 0: the larger of the
    /// two below.
    pub amplification: Num,
    /// The worst amplification of a 20-step instability test.
    pub amplification_ascent: Num,
    /// The amplification of r = budget ||x|| v (the tumour's visible part).
    pub amplification_v: Num,
}

/// The training of one network, a few epochs per step.
pub struct TrainJob {
    pub params: Kernel1dParams,
    pub pairs: Pairs,
    setup: Arc<Setup>,
    trainer: Trainer,
    trace: Vec<TracePoint>,
    /// Epochs per step.
    chunk: usize,
}

/// The training so far.
#[derive(Clone, Debug, Serialize)]
pub struct TrainResult {
    pub pairs: &'static str,
    pub delta: f64,
    pub epochs: usize,
    pub epochs_done: usize,
    pub trace: Vec<TracePoint>,
}

impl TrainJob {
    /// The training for the state, with `pairs` (the state's, or its flip for the contrast).
    pub fn new(params: &Kernel1dParams, pairs: Pairs) -> Result<Self, String> {
        let setup = Arc::new(params.setup()?);
        Self::with_setup(params, pairs, setup)
    }

    pub fn with_setup(
        params: &Kernel1dParams,
        pairs: Pairs,
        setup: Arc<Setup>,
    ) -> Result<Self, String> {
        params.validated()?;
        let trainer = setup.trainer(pairs.on())?;
        Ok(Self {
            params: params.clone(),
            pairs,
            setup,
            trainer,
            trace: Vec::new(),
            chunk: 1,
        })
    }

    /// Epochs per step (1 by default: about 15 ms natively).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    pub fn setup(&self) -> &Arc<Setup> {
        &self.setup
    }

    /// The network as trained so far.
    pub fn network(&self) -> Arc<KernelNet> {
        Arc::new(self.trainer.net.clone())
    }

    fn trace_point(&self) -> Result<TracePoint, String> {
        let s = &self.setup;
        let net = &self.trainer.net;
        let sc = scores(&s.a, &|y| net.apply(y), &s.test, &s.tumour.z);
        let map: Arc<dyn ReconMap> = Arc::new(NetMap {
            net: Arc::new(net.clone()),
            name: "net".into(),
        });
        let x = s.test.row(0).to_owned();
        let (est, ascent, along) =
            cheap_amplification(map, s.a.clone(), &x, &s.tumour.v, s.budget(0))?;
        Ok(TracePoint {
            epoch: self.trainer.epochs(),
            loss: Num(self.trainer.last_loss),
            scores: sc.into(),
            amplification: Num(est),
            amplification_ascent: Num(ascent),
            amplification_v: Num(along),
        })
    }
}

impl Job for TrainJob {
    type Input<'a> = ();
    type Output<'a> = TrainResult;

    fn step(&mut self, _: ()) -> Result<(), String> {
        for _ in 0..self.chunk {
            if self.done() {
                break;
            }
            self.trainer.epoch();
            let e = self.trainer.epochs();
            if e <= TRACE_EVERY || e % TRACE_EVERY == 0 || e == self.params.epochs {
                let p = self.trace_point()?;
                self.trace.push(p);
            }
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.trainer.epochs() >= self.params.epochs
    }

    fn progress(&self) -> (usize, usize) {
        (self.trainer.epochs(), self.params.epochs)
    }

    fn result(&self) -> TrainResult {
        TrainResult {
            pairs: self.pairs.name(),
            delta: self.params.delta,
            epochs: self.params.epochs,
            epochs_done: self.trainer.epochs(),
            trace: self.trace.clone(),
        }
    }
}

/// One attacked held-out signal.
#[derive(Clone, Debug, Serialize)]
pub struct Attacked {
    pub index: usize,
    /// The budget ||r|| / ||x|| = delta ||z|| / ||x||.
    pub budget: f64,
    /// The instability test's worst amplification and the Lipschitz ratio
    /// ||Psi(A(x + r)) - Psi(A x)|| / ||A r|| at its last iterate.
    pub net: Num,
    pub net_lipschitz: Num,
    pub tv: Num,
    pub tv_lipschitz: Num,
}

/// The attack at one signal: the network's result (worst amplification, Lipschitz ratio)
/// and TV's test, stepped.
struct Ascent {
    net: (f64, f64),
    test: InstabilityTest,
}

/// The evaluation of a trained network against TV on the held-out signals.
pub struct EvalJob {
    pub params: Kernel1dParams,
    pub pairs: Pairs,
    setup: Arc<Setup>,
    net: Arc<KernelNet>,
    tv: Arc<dyn ReconMap>,
    net_scores: Scores,
    /// TV's outputs on the held-out signals so far (one signal per step), then its scores.
    tv_outputs: Vec<(Array1<f64>, Array1<f64>)>,
    tv_scores: Option<Scores>,
    attacked: Vec<Attacked>,
    /// The attack of the next signal, once the network's ascent is done.
    current: Option<Ascent>,
    /// The network's and TV's last perturbed output at signal 0 (for the page's plot).
    pub perturbed: Option<(Array1<f64>, Array1<f64>, Array1<f64>)>,
    /// TV gradient steps per job step.
    chunk: usize,
    /// Held-out signals attacked, and the test's gradient steps.
    count: usize,
    iterations: usize,
    amplification_v: f64,
}

/// The evaluation, as far as it has run.
#[derive(Clone, Debug, Serialize)]
pub struct EvalResult {
    pub pairs: &'static str,
    pub delta: f64,
    /// ||z|| and ||A z|| = delta ||z||.
    pub z_norm: f64,
    pub az_norm: f64,
    pub net: ScoreNums,
    pub tv: Option<ScoreNums>,
    /// The network's worst error over the held-out pair (x_0, x_0 + z), and its output gap
    /// ||Psi(A(x_0 + z)) - Psi(A x_0)|| / ||A z||: a local Lipschitz ratio along the pair.
    pub eta: Num,
    pub pair_lipschitz: Num,
    /// (||z|| - 2 eta) / (delta ||z||), None when ||z|| <= 2 eta.
    pub bound: Option<Num>,
    /// The worst-case amplification (the largest over the attacked signals) of the network
    /// and of TV, and the means.
    pub amplification: Option<Num>,
    pub amplification_tv: Option<Num>,
    pub amplification_mean: Option<Num>,
    pub amplification_tv_mean: Option<Num>,
    /// The Lipschitz ratio ||Psi(A(x + r)) - Psi(A x)|| / ||A r|| of the network's attack
    /// with the worst amplification.
    pub lipschitz: Option<Num>,
    /// Not a search: the network's amplification of the one perturbation
    /// r = delta ||z|| v (the tumour's visible part) at held-out signal 0, a lower bound on
    /// its worst case that needs no ascent (the test, a local search, can stall on the flat
    /// side of a network that switches the tumour on sharply).
    pub amplification_v: Num,
    pub attacked: Vec<Attacked>,
}

impl EvalJob {
    pub fn new(
        params: &Kernel1dParams,
        pairs: Pairs,
        setup: Arc<Setup>,
        net: Arc<KernelNet>,
    ) -> Result<Self, String> {
        params.validated()?;
        let net_scores = scores(&setup.a, &|y| net.apply(y), &setup.test, &setup.tumour.z);
        let x0 = setup.test.row(0).to_owned();
        let r = &setup.tumour.v * setup.tumour.measured_norm();
        let y0 = setup.a.apply(complex(x0.view()).view());
        let yr = setup.a.apply(complex((&x0 + &r).view()).view());
        let amplification_v = norm2(&(&net.apply(yr.view()) - &net.apply(y0.view()))) / norm2(&r);
        Ok(Self {
            amplification_v,
            params: params.clone(),
            pairs,
            tv: Arc::new(tv_map(setup.a.clone(), TV_LAMBDA, TV_ITERATIONS)),
            setup,
            net,
            net_scores,
            tv_outputs: Vec::new(),
            tv_scores: None,
            attacked: Vec::new(),
            current: None,
            perturbed: None,
            chunk: 4,
            count: ATTACKED,
            iterations: ATTACK_ITERATIONS,
        })
    }

    /// Attack the first `count` held-out signals with `iterations` gradient steps each
    /// (the defaults: [`ATTACKED`], [`ATTACK_ITERATIONS`]).
    pub fn with_attacks(mut self, count: usize, iterations: usize) -> Self {
        self.count = count.clamp(1, self.setup.test.nrows());
        self.iterations = iterations.max(1);
        self
    }

    /// TV gradient steps per step (4 by default: about 50 ms natively).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    fn net_map(&self) -> Arc<dyn ReconMap> {
        Arc::new(NetMap {
            net: self.net.clone(),
            name: "net".into(),
        })
    }

    fn total(&self) -> usize {
        // The TV scores count as one unit per held-out signal; each attack as its steps.
        self.setup.test.nrows() + self.count * (self.iterations + 1)
    }
}

impl Job for EvalJob {
    type Input<'a> = ();
    type Output<'a> = EvalResult;

    fn step(&mut self, _: ()) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let s = self.setup.clone();
        if self.tv_scores.is_none() {
            // One held-out signal (two TV solves) per step.
            let tv = self.tv.clone();
            let f = move |y: ArrayView1<C64>| tv.apply(y).mapv(|z| z.re);
            let k = self.tv_outputs.len();
            let o = outputs(&s.a, &f, s.test.row(k), &s.tumour.z);
            self.tv_outputs.push(o);
            if self.tv_outputs.len() == s.test.nrows() {
                self.tv_scores = Some(scores_of(&s.test, &s.tumour.z, &self.tv_outputs));
            }
            return Ok(());
        }
        let i = self.attacked.len();
        let x = s.test.row(i).to_owned();
        let budget = s.budget(i);
        if self.current.is_none() {
            // The network's ascent is cheap: all of it at once.
            let rep = crate::troublesome_kernel::attack(
                self.net_map(),
                s.a.clone(),
                &x,
                budget,
                self.iterations,
                1,
            )?;
            let worst = rep.worst.map_or(f64::NAN, |w| w.amplification);
            let lip = rep.snapshots.last().map_or(f64::NAN, |sn| sn.lipschitz);
            if i == 0 {
                if let Some(sn) = rep.snapshots.last() {
                    let p = self.perturbed.get_or_insert_with(Default::default);
                    p.0 = sn.output.mapv(|z| z.re);
                    p.2 = sn.r.clone();
                }
            }
            let test = InstabilityTest::new(
                self.tv.clone(),
                s.a.clone(),
                x,
                None,
                attack_options(budget, self.iterations, 1),
            )?;
            self.current = Some(Ascent {
                net: (worst, lip),
                test,
            });
            return Ok(());
        }
        let ascent = self.current.as_mut().expect("checked");
        for _ in 0..self.chunk {
            if ascent.test.done() {
                break;
            }
            ascent.test.step();
        }
        if ascent.test.done() {
            let rep = ascent.test.report();
            let (nw, nl) = ascent.net;
            if i == 0 {
                if let Some(sn) = rep.snapshots.last() {
                    let p = self.perturbed.get_or_insert_with(Default::default);
                    p.1 = sn.output.mapv(|z| z.re);
                }
            }
            self.attacked.push(Attacked {
                index: i,
                budget,
                net: Num(nw),
                net_lipschitz: Num(nl),
                tv: Num(rep.worst.map_or(f64::NAN, |w| w.amplification)),
                tv_lipschitz: Num(rep.snapshots.last().map_or(f64::NAN, |sn| sn.lipschitz)),
            });
            self.current = None;
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.attacked.len() >= self.count
    }

    fn progress(&self) -> (usize, usize) {
        let mut done = self.tv_outputs.len();
        done += self.attacked.len() * (self.iterations + 1);
        if let Some(a) = &self.current {
            done += 1 + a.test.iterations();
        }
        (done, self.total())
    }

    fn result(&self) -> EvalResult {
        let s = &self.setup;
        let net = &self.net;
        let x0 = s.test.row(0);
        let (eta, gap) = pair_eta(&s.a, &|y| net.apply(y), x0, &s.tumour.z);
        let az = s.tumour.measured_norm();
        let max = |f: &dyn Fn(&Attacked) -> f64| {
            (!self.attacked.is_empty()).then(|| {
                Num(self
                    .attacked
                    .iter()
                    .map(f)
                    .fold(f64::NEG_INFINITY, f64::max))
            })
        };
        let mean = |f: &dyn Fn(&Attacked) -> f64| {
            (!self.attacked.is_empty())
                .then(|| Num(self.attacked.iter().map(f).sum::<f64>() / self.attacked.len() as f64))
        };
        let worst = self
            .attacked
            .iter()
            .max_by(|a, b| a.net.0.total_cmp(&b.net.0));
        EvalResult {
            pairs: self.pairs.name(),
            delta: self.params.delta,
            z_norm: s.tumour.norm,
            az_norm: az,
            net: self.net_scores.into(),
            tv: self.tv_scores.map(Into::into),
            eta: Num(eta),
            pair_lipschitz: Num(gap / az),
            bound: lipschitz_bound(s.tumour.norm, eta, az).map(Num),
            amplification: max(&|a| a.net.0),
            amplification_tv: max(&|a| a.tv.0),
            amplification_mean: mean(&|a| a.net.0),
            amplification_tv_mean: mean(&|a| a.tv.0),
            lipschitz: worst.map(|w| w.net_lipschitz),
            amplification_v: Num(self.amplification_v),
            attacked: self.attacked.clone(),
        }
    }
}

/// The flat summary of `barriers-lab kernel1d --json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub pairs: &'static str,
    pub delta: f64,
    pub epochs: usize,
    pub seed: u32,
    pub pair_accuracy: Num,
    pub pair_error: Num,
    pub tumour_error: Num,
    pub psnr_test: Num,
    pub psnr_test_tv: Option<Num>,
    pub pair_accuracy_tv: Option<Num>,
    pub amplification: Option<Num>,
    pub amplification_tv: Option<Num>,
    pub amplification_mean: Option<Num>,
    pub amplification_tv_mean: Option<Num>,
    pub lipschitz: Option<Num>,
    pub amplification_v: Num,
    pub pair_lipschitz: Num,
    pub bound: Option<Num>,
    pub eta: Num,
    pub z_norm: f64,
    pub az_norm: f64,
}

impl Summary {
    pub fn new(p: &Kernel1dParams, e: &EvalResult) -> Self {
        Self {
            pairs: e.pairs,
            delta: e.delta,
            epochs: p.epochs,
            seed: p.seed,
            pair_accuracy: e.net.pair_accuracy,
            pair_error: e.net.pair_error,
            tumour_error: e.net.tumour_error,
            psnr_test: e.net.psnr_test,
            psnr_test_tv: e.tv.map(|t| t.psnr_test),
            pair_accuracy_tv: e.tv.map(|t| t.pair_accuracy),
            amplification: e.amplification,
            amplification_tv: e.amplification_tv,
            amplification_mean: e.amplification_mean,
            amplification_tv_mean: e.amplification_tv_mean,
            lipschitz: e.lipschitz,
            amplification_v: e.amplification_v,
            pair_lipschitz: e.pair_lipschitz,
            bound: e.bound,
            eta: e.eta,
            z_norm: e.z_norm,
            az_norm: e.az_norm,
        }
    }
}

/// What the command line does: the state's training to the end, then the evaluation.
pub fn run(p: &Kernel1dParams) -> Result<(TrainResult, EvalResult), String> {
    let mut train = TrainJob::new(p, p.pairs)?.with_chunk(usize::MAX);
    let tr = crate::job::run_to_end(&mut train, ())?;
    let mut eval =
        EvalJob::new(p, p.pairs, train.setup().clone(), train.network())?.with_chunk(usize::MAX);
    let ev = crate::job::run_to_end(&mut eval, ())?;
    Ok((tr, ev))
}

/// One delta of the sweep.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SweepPoint {
    pub delta: f64,
    /// 1 / delta: the most a method accurate on both can be forced to amplify.
    pub inverse_delta: f64,
    /// The worst amplification of the instability test over the attacked signals, and the
    /// amplification along the tumour's visible part at signal 0.
    pub amplification: Num,
    pub amplification_v: Num,
    pub eta: Num,
    pub bound: Option<Num>,
    pub pair_error: Num,
    pub psnr_test: Num,
}

/// The amplification against delta: for each delta of [`SWEEP_DELTAS`], a network trained
/// with pairs (the state's epochs and seed), attacked on [`ATTACKED`] held-out signals.
/// Costs five trainings (about 5 s natively at the default 60 epochs).
pub struct SweepJob {
    pub params: Kernel1dParams,
    current: Option<TrainJob>,
    points: Vec<SweepPoint>,
    chunk: usize,
}

/// The sweep so far.
#[derive(Clone, Debug, Serialize)]
pub struct SweepResult {
    pub points: Vec<SweepPoint>,
}

impl SweepJob {
    pub fn new(params: &Kernel1dParams) -> Result<Self, String> {
        params.validated()?;
        Ok(Self {
            params: params.clone(),
            current: None,
            points: Vec::new(),
            chunk: 1,
        })
    }

    /// Epochs per step (1 by default).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    fn point(job: &TrainJob) -> Result<SweepPoint, String> {
        let s = job.setup().clone();
        let net = job.network();
        let map: Arc<dyn ReconMap> = Arc::new(NetMap {
            net: net.clone(),
            name: "net".into(),
        });
        let mut worst = f64::NEG_INFINITY;
        for i in 0..ATTACKED {
            let x = s.test.row(i).to_owned();
            let rep = crate::troublesome_kernel::attack(
                map.clone(),
                s.a.clone(),
                &x,
                s.budget(i),
                ATTACK_ITERATIONS,
                1,
            )?;
            worst = worst.max(rep.worst.map_or(f64::NAN, |w| w.amplification));
        }
        let x0 = s.test.row(0).to_owned();
        let (_, _, along) = cheap_amplification(map, s.a.clone(), &x0, &s.tumour.v, s.budget(0))?;
        let (eta, _) = pair_eta(&s.a, &|y| net.apply(y), x0.view(), &s.tumour.z);
        let sc = scores(&s.a, &|y| net.apply(y), &s.test, &s.tumour.z);
        Ok(SweepPoint {
            delta: s.tumour.delta,
            inverse_delta: 1.0 / s.tumour.delta,
            amplification: Num(worst),
            amplification_v: Num(along),
            eta: Num(eta),
            bound: lipschitz_bound(s.tumour.norm, eta, s.tumour.measured_norm()).map(Num),
            pair_error: Num(sc.pair_error),
            psnr_test: Num(sc.psnr_test),
        })
    }
}

impl Job for SweepJob {
    type Input<'a> = ();
    type Output<'a> = SweepResult;

    fn step(&mut self, _: ()) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        if self.current.is_none() {
            let p = Kernel1dParams {
                delta: SWEEP_DELTAS[self.points.len()],
                pairs: Pairs::On,
                ..self.params.clone()
            };
            self.current = Some(TrainJob::new(&p, Pairs::On)?);
            return Ok(());
        }
        let job = self.current.as_mut().expect("checked");
        for _ in 0..self.chunk {
            if job.trainer.epochs() >= job.params.epochs {
                break;
            }
            job.trainer.epoch();
        }
        if job.trainer.epochs() >= job.params.epochs {
            let p = Self::point(job)?;
            self.points.push(p);
            self.current = None;
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.points.len() >= SWEEP_DELTAS.len()
    }

    fn progress(&self) -> (usize, usize) {
        let e = self.params.epochs;
        let cur = self.current.as_ref().map_or(0, |j| j.trainer.epochs());
        (self.points.len() * e + cur, SWEEP_DELTAS.len() * e)
    }

    fn result(&self) -> SweepResult {
        SweepResult {
            points: self.points.clone(),
        }
    }
}

/// The signals the page draws, at held-out signal 0: the truth x and x + z, the part the
/// measurements see (P x, P(x + z)), each method's reconstructions, and the tumour.
#[derive(Clone, Debug, Serialize)]
pub struct SignalPlot {
    /// 0..N.
    pub t: Vec<f64>,
    pub x: Vec<f64>,
    pub x_z: Vec<f64>,
    pub measured: Vec<f64>,
    pub measured_z: Vec<f64>,
    pub net: Vec<f64>,
    pub net_z: Vec<f64>,
    pub tv: Vec<f64>,
    pub tv_z: Vec<f64>,
    pub z: Vec<f64>,
}

/// The signal plot of a network (and the TV map) on the setup's held-out signal 0.
pub fn signal_plot(setup: &Setup, net: &KernelNet, tv: &dyn ReconMap) -> SignalPlot {
    let a = &setup.a;
    let x = setup.test.row(0).to_owned();
    let xz = &x + &setup.tumour.z;
    let y = a.apply(complex(x.view()).view());
    let yz = a.apply(complex(xz.view()).view());
    let re = |v: Array1<C64>| v.iter().map(|z| z.re).collect::<Vec<f64>>();
    SignalPlot {
        t: (0..N).map(|t| t as f64).collect(),
        measured: re(a.adjoint(y.view())),
        measured_z: re(a.adjoint(yz.view())),
        net: net.apply(y.view()).to_vec(),
        net_z: net.apply(yz.view()).to_vec(),
        tv: re(tv.apply(y.view())),
        tv_z: re(tv.apply(yz.view())),
        z: setup.tumour.z.to_vec(),
        x: x.to_vec(),
        x_z: xz.to_vec(),
    }
}

/// ||x|| of held-out signal i (for the page's readouts).
pub fn test_norm(setup: &Setup, i: usize) -> f64 {
    norm2(&setup.test.row(i).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::run_to_end;
    use crate::params::{from_json, from_query};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The issue's claim, seeded, at the defaults (delta = 0.05, 60 epochs, seed 1): with
    /// pairs on, the network's worst-case amplification on held-out signals (the lab's
    /// instability test at ||r|| = delta ||z||, the largest over 4 signals) is at least 3
    /// times that with pairs off and that of TV, while its error on the held-out pairs
    /// x + z is at most half that with pairs off. Measured natively (release): 22.3 (on),
    /// 3.76 (off), 4.03 (TV); pair errors 0.098 and 0.458. (Seed 2: 22.0, 4.00, 4.08. At seed
    /// 3 the test, a local ascent, stalls at 3.6 on all eight signals though the network is
    /// accurate on the held-out pair, eta 0.30, so the bound is 16.0: see `amplification_v`.) The pairs-on network is accurate on the
    /// held-out pair (eta 0.49 < ||z|| / 2 = 1.5), so the bound holds and the network's
    /// Lipschitz ratio along the pair and the test's exceed it. About 6 s natively.
    #[test]
    fn pairs_make_the_network_accurate_on_the_tumour_and_unstable() {
        let on = Kernel1dParams::default();
        assert_eq!(on.pairs, Pairs::On);
        let off = Kernel1dParams {
            pairs: Pairs::Off,
            ..on.clone()
        };
        let (_, e_on) = run(&on).unwrap();
        // The off network's evaluation: the same held-out signals and TV (TV's numbers are
        // the same as in the pairs-on evaluation: compared below).
        let mut t_off = TrainJob::new(&off, Pairs::Off)
            .unwrap()
            .with_chunk(usize::MAX);
        run_to_end(&mut t_off, ()).unwrap();
        let mut ev_off = EvalJob::new(&off, Pairs::Off, t_off.setup().clone(), t_off.network())
            .unwrap()
            .with_chunk(usize::MAX);
        let e_off = run_to_end(&mut ev_off, ()).unwrap();
        let (a_on, a_off) = (
            e_on.amplification.unwrap().0,
            e_off.amplification.unwrap().0,
        );
        let a_tv = e_on.amplification_tv.unwrap().0;
        assert_eq!(a_tv, e_off.amplification_tv.unwrap().0);
        let (p_on, p_off) = (e_on.net.pair_error.0, e_off.net.pair_error.0);
        eprintln!(
            "amplification on {a_on:.3}, off {a_off:.3}, TV {a_tv:.3}; pair error on {p_on:.4}, \
             off {p_off:.4}; pair accuracy {:.2} / {:.2} dB; eta {:.3}, bound {:?}, \
             Lipschitz along the pair {:.2}, of the test {:?}",
            e_on.net.pair_accuracy.0,
            e_off.net.pair_accuracy.0,
            e_on.eta.0,
            e_on.bound,
            e_on.pair_lipschitz.0,
            e_on.lipschitz
        );
        assert!(a_on >= 3.0 * a_off, "{a_on} vs {a_off}");
        assert!(a_on >= 3.0 * a_tv, "{a_on} vs TV {a_tv}");
        assert!(p_on <= 0.5 * p_off, "{p_on} vs {p_off}");
        assert!(e_on.net.pair_accuracy.0 > e_off.net.pair_accuracy.0);
        // The bound: the pairs-on network is eta-accurate on the held-out pair with
        // ||z|| > 2 eta, and along the pair it moves by at least ||z|| - 2 eta.
        let bound = e_on.bound.expect("accurate on both").0;
        assert!(e_on.pair_lipschitz.0 >= bound * (1.0 - 1e-12));
        assert!(e_on.lipschitz.unwrap().0 >= bound);
        // With pairs off it misses the tumour: its error on the pair is at least
        // ||z|| / 2 and the bound says nothing.
        assert!(e_off.bound.is_none());
        assert!(e_off.net.tumour_error.0 > 0.9);
    }

    fn small() -> Kernel1dParams {
        Kernel1dParams {
            epochs: 7,
            ..Kernel1dParams::default()
        }
    }

    /// The training stepped an epoch at a time (as the worker does) gives the command's
    /// result, byte for byte; so does the evaluation stepped a few TV steps at a time.
    #[test]
    fn a_job_stepped_in_chunks_is_the_job_run_to_the_end() {
        let p = small();
        let mut a = TrainJob::new(&p, Pairs::On).unwrap();
        let mut b = TrainJob::new(&p, Pairs::On).unwrap().with_chunk(usize::MAX);
        let mut steps = 0;
        while !a.done() {
            a.step(()).unwrap();
            steps += 1;
            assert!(a.progress().0 <= a.progress().1);
        }
        assert_eq!(steps, 7);
        let ra = serde_json::to_string(&a.result()).unwrap();
        let rb = serde_json::to_string(&run_to_end(&mut b, ()).unwrap()).unwrap();
        assert_eq!(ra, rb);
        // Trace points at epochs 1 to 5, then 7 (the last).
        assert_eq!(
            a.result().trace.iter().map(|t| t.epoch).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 7]
        );
        let eval = |chunk| {
            let mut e = EvalJob::new(&p, Pairs::On, a.setup().clone(), a.network())
                .unwrap()
                .with_attacks(2, 6)
                .with_chunk(chunk);
            let mut steps = 0;
            while !e.done() {
                e.step(()).unwrap();
                steps += 1;
                let (d, t) = e.progress();
                assert!(d <= t);
            }
            assert_eq!(e.progress().0, e.progress().1);
            (serde_json::to_string(&e.result()).unwrap(), steps)
        };
        let ((one, n1), (all, n2)) = (eval(1), eval(usize::MAX));
        assert_eq!(one, all);
        assert!(n1 > n2, "{n1} {n2}");
    }

    /// The page steps its jobs and gives the same numbers; a new state makes new jobs.
    #[test]
    fn the_page_gives_the_commands_numbers() {
        let mut page = page::Kernel1dPage::new(small());
        assert!(page.train_step(page::Which::State).is_err());
        assert!(page.eval_prepare().is_err(), "no network yet");
        assert!(page.signals().is_err());
        page.train_prepare(page::Which::State).unwrap();
        while page.train_step(page::Which::State).unwrap()[2] == 0 {}
        page.train_prepare(page::Which::Contrast).unwrap();
        while page.train_step(page::Which::Contrast).unwrap()[2] == 0 {}
        let mut cli = TrainJob::new(&small(), Pairs::On).unwrap();
        let want = serde_json::to_string(&run_to_end(&mut cli, ()).unwrap()).unwrap();
        let got = page.train_result(page::Which::State).unwrap();
        assert!(got.current && got.done);
        assert_eq!(serde_json::to_string(&got.result).unwrap(), want);
        assert_eq!(
            page.train_result(page::Which::Contrast)
                .unwrap()
                .result
                .pairs,
            "off"
        );
        let plot = page.signals().unwrap();
        assert_eq!(plot.x.len(), N);
        assert!(plot.net.iter().chain(&plot.tv_z).all(|v| v.is_finite()));
        assert!(!page.eval_prepare().unwrap());
        page.params.delta = 0.1;
        assert!(!page.train_result(page::Which::State).unwrap().current);
        assert!(
            page.eval_prepare().is_err(),
            "the new state's network is not trained"
        );
    }

    /// Bad values in links, files and code are errors, not panics.
    #[test]
    fn bad_states_are_errors() {
        for q in [
            "delta=nan",
            "delta=NaN",
            "delta=0",
            "delta=0.6",
            "delta=inf",
            "pairs=maybe",
            "epochs=0",
            "epochs=1000",
            "seed=-1",
            "epochs=2.5",
        ] {
            assert!(from_query::<Kernel1dParams>(q).is_err(), "{q}");
        }
        assert!(from_json::<Kernel1dParams>(r#"{"delta": null}"#).is_err());
        assert!(from_json::<Kernel1dParams>(r#"{"pairs": true}"#).is_err());
        let p = from_query::<Kernel1dParams>("pairs=off&delta=0.2&seed=3").unwrap();
        assert_eq!((p.pairs, p.delta, p.seed), (Pairs::Off, 0.2, 3));
        // Built in code: refused by the jobs.
        for delta in [f64::NAN, -0.1, 0.0, 2.0] {
            let bad = Kernel1dParams {
                delta,
                ..Kernel1dParams::default()
            };
            assert!(TrainJob::new(&bad, Pairs::On).is_err(), "{delta}");
            assert!(SweepJob::new(&bad).is_err());
        }
        let bad = Kernel1dParams {
            epochs: 0,
            ..Kernel1dParams::default()
        };
        assert!(TrainJob::new(&bad, Pairs::Off).is_err());
    }

    /// The sweep over delta: one point per delta of [`SWEEP_DELTAS`], stepped or run to the
    /// end alike; at each, ||A z|| = delta ||z|| sets 1 / delta and the bound.
    #[test]
    fn the_sweep_has_a_point_per_delta() {
        let p = Kernel1dParams {
            epochs: 2,
            ..Kernel1dParams::default()
        };
        let mut a = SweepJob::new(&p).unwrap();
        while !a.done() {
            a.step(()).unwrap();
        }
        let mut b = SweepJob::new(&p).unwrap().with_chunk(usize::MAX);
        let rb = run_to_end(&mut b, ()).unwrap();
        assert_eq!(
            serde_json::to_string(&a.result()).unwrap(),
            serde_json::to_string(&rb).unwrap()
        );
        assert_eq!(a.progress(), (10, 10));
        let deltas: Vec<f64> = rb.points.iter().map(|q| q.delta).collect();
        assert_eq!(deltas, SWEEP_DELTAS);
        for q in &rb.points {
            assert_eq!(q.inverse_delta, 1.0 / q.delta);
            assert!(q.amplification.0.is_finite() && q.amplification.0 > 0.0);
            if let Some(b) = q.bound {
                let want = (crate::troublesome_kernel::TUMOUR_NORM - 2.0 * q.eta.0)
                    / (q.delta * crate::troublesome_kernel::TUMOUR_NORM);
                assert!((b.0 - want).abs() < 1e-12 * want);
            }
        }
    }
}
