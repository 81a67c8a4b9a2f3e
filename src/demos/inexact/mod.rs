//! Demo 7: the barrier of inexact input, and algorithm unrolling (Colbrook, Antun, Hansen,
//! PNAS 2022, Theorem 2 and Table 1).
//!
//! For accuracy K and inexactness n the family of [`crate::barrier`] gives two exact
//! square-root LASSO problems, j = 1 (the exact one) and j = 2, whose matrices differ by at
//! most 2^-n and whose data are equal, while their minimisers are 3 10^-K apart. Each method
//! is given the j = 2 instance, as an input known to 2^-n would be, and scored against the
//! exact problem (its error, and whether it has K - 1 and K correct digits: error at most
//! 10^-(K-1), 10^-K) and against both (the worse of the two errors, which no method can bring
//! below 1.5 10^-K):
//!
//! - FIRENET ([`crate::solvers::firenet`]), with the authors' settings for this experiment
//!   (their `inexact_input/Demo_test_firenet.py`): p = 50 steps per restart, n = 30
//!   restarts, delta = 1e-6, tau = sigma = sqrt(1 / ||A||) - 1e-4, eps_0 = ||y||, and the
//!   sharpness constant of the schedule L = ||A|| (their `L_A`). Note tau sigma ||A||^2 is
//!   about ||A||, above Chambolle-Pock's condition tau sigma ||A||^2 <= 1; the ergodic
//!   averages still settle here, and with tau = sigma = 1 / ||A|| the table is the same (a
//!   test).
//! - A long Chambolle-Pock run ([`crate::solvers::primal_dual::PrimalDual`], tau = sigma =
//!   1 / ||A||, the ergodic average).
//! - LISTA ([`crate::lista`]), 10 layers trained by Adam on 1,000 examples of the j = 2
//!   family (the paper's: 5-sparse Gaussian tails, scaled by 1 / ||a||).
//!
//! The state [`InexactParams`] fixes everything; [`CellJob`] computes one cell (the figure),
//! [`TableJob`] the nine cells K in {1, 3, 6}, n in {10, 20, 30} of the paper's table;
//! [`page::InexactPage`] holds both for the page.

use crate::barrier::{Instance, N1};
use crate::job::{Job, Num};
use crate::lista::{TrainSettings, Trainer};
use crate::operators::{LinearOperator, Matrix, C64};
use crate::params::{Field, Kind, Params};
use crate::solvers::firenet::{Firenet, FirenetOptions};
use crate::solvers::primal_dual::{PrimalDual, Steps};
use crate::solvers::Iterative;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

pub mod page;

/// The cells of the paper's table.
pub use crate::barrier::TABLE_CELLS;

/// LISTA's layers, training examples, batch and learning rate (the number of Adam steps and
/// the seed are in the state).
pub const LISTA_LAYERS: usize = 10;
pub const LISTA_EXAMPLES: usize = 1000;
pub const LISTA_BATCH: usize = 100;
pub const LISTA_RATE: f64 = 1e-3;

/// The demo's state. Every field has a row in [`InexactParams::SCHEMA`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InexactParams {
    /// K, the digits asked for.
    pub k: u32,
    /// n, the input known to 2^-n.
    pub n: u32,
    /// FIRENET's restarts and steps per restart.
    pub restarts: usize,
    pub inner: usize,
    /// FIRENET's accuracy floor delta.
    pub delta: f64,
    /// Steps of the long Chambolle-Pock run.
    pub cp_iters: usize,
    /// LISTA's Adam steps.
    pub lista_steps: usize,
    pub seed: u32,
}

impl Default for InexactParams {
    fn default() -> Self {
        Self {
            k: 3,
            n: 20,
            restarts: 30,
            inner: 50,
            delta: 1e-6,
            cp_iters: 20_000,
            lista_steps: 1000,
            seed: 1,
        }
    }
}

impl Params for InexactParams {
    const SCHEMA: &'static [Field] = &[
        Field {
            key: "k",
            label: "K, the digits asked for",
            unit: "",
            help: "The two exact minimisers are 3·10^-K apart.",
            kind: Kind::Int { min: 1, max: 8 },
        },
        Field {
            key: "n",
            label: "n, the input known to 2^-n",
            unit: "",
            help: "The two exact problems differ by at most 2^-n in A and not at all in y.",
            kind: Kind::Int { min: 5, max: 40 },
        },
        Field {
            key: "restarts",
            label: "FIRENET restarts",
            unit: "",
            help: "n in FIRENET's n·p layers (the authors' 30).",
            kind: Kind::Int { min: 1, max: 60 },
        },
        Field {
            key: "inner",
            label: "FIRENET steps per restart",
            unit: "",
            help: "p in FIRENET's n·p layers (the authors' 50).",
            kind: Kind::Int { min: 1, max: 200 },
        },
        Field {
            key: "delta",
            label: "FIRENET's floor δ",
            unit: "",
            help: "The accuracy FIRENET's restart schedule aims at (the authors' 1e-6).",
            kind: Kind::Float {
                min: 1e-12,
                max: 1e-2,
                step: 1e-12,
                log: true,
            },
        },
        Field {
            key: "cp_iters",
            label: "Chambolle-Pock steps",
            unit: "",
            help: "The long primal-dual run, with no restarts.",
            kind: Kind::Int {
                min: 10,
                max: 200_000,
            },
        },
        Field {
            key: "lista_steps",
            label: "LISTA training steps",
            unit: "Adam steps",
            help: "Adam steps on 1,000 examples of the given problem, batches of 100.",
            kind: Kind::Int {
                min: 0,
                max: 20_000,
            },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "LISTA's training examples and batch order.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
    ];
}

/// The two exact problems of a cell: the exact one (j = 1) and the one every method is given
/// (j = 2), which fits an input known to 2^-n of the exact one.
#[derive(Clone, Debug)]
pub struct Pair {
    pub exact: Instance,
    pub given: Instance,
}

impl Pair {
    pub fn new(k: u32, n: u32) -> Result<Self, String> {
        Ok(Self {
            exact: Instance::new(k, n, 1)?,
            given: Instance::new(k, n, 2)?,
        })
    }

    /// ||A_exact - A_given||_2 (by the lab's power iteration).
    pub fn a_dist(&self) -> f64 {
        Matrix::new((&self.exact.a - &self.given.a).mapv(|v| C64::new(v, 0.0))).norm()
    }

    /// ||y_exact - y_given||_2.
    pub fn y_dist(&self) -> f64 {
        distance(&self.exact.y, &self.given.y)
    }

    /// The distance between the two exact minimisers.
    pub fn minimiser_gap(&self) -> f64 {
        distance(&self.exact.minimiser, &self.given.minimiser)
    }

    /// How a point x scores: its errors against both exact problems.
    pub fn score(&self, x: &Array1<f64>) -> Score {
        let k = self.exact.k as i32;
        let error = distance(x, &self.exact.minimiser);
        let error_given = distance(x, &self.given.minimiser);
        let worst = error.max(error_given);
        Score {
            x: [x[0], x[1]],
            tail: x.iter().skip(N1).map(|v| v * v).sum::<f64>().sqrt(),
            error: Num(error),
            error_given: Num(error_given),
            worst: Num(worst),
            digits: digits(error),
            k_minus_1_digits: error <= 10f64.powi(1 - k),
            k_digits: error <= 10f64.powi(-k),
            k_digits_both: worst <= 10f64.powi(-k),
        }
    }
}

/// ||u - v||_2.
pub fn distance(u: &Array1<f64>, v: &Array1<f64>) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

/// Correct digits of an error: the largest d >= 0 with error <= 10^-d (0 for no digit, 17
/// at most).
pub fn digits(error: f64) -> u32 {
    if !error.is_finite() {
        return 0;
    }
    (0..=17)
        .rev()
        .find(|&d| error <= 10f64.powi(-d))
        .unwrap_or(0) as u32
}

/// Where a method lands and how it scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// The first two coordinates of its output.
    pub x: [f64; 2],
    /// The norm of the rest of its output.
    pub tail: f64,
    /// ||x - z*(exact)||, the table's error.
    pub error: Num,
    /// ||x - z*(given)||.
    pub error_given: Num,
    /// The worse of the two: at least 1.5 10^-K for any x.
    pub worst: Num,
    /// Correct digits against the exact problem.
    pub digits: u32,
    pub k_minus_1_digits: bool,
    pub k_digits: bool,
    /// K digits against both exact problems (impossible).
    pub k_digits_both: bool,
}

/// A point of an error curve: after `at` layers, iterations or training steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    pub at: usize,
    pub error: Num,
    pub error_given: Num,
    /// LISTA: the relative training error sum ||x_L - x||^2 / sum ||x||^2 of the step's
    /// batch; absent for the solvers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<Num>,
}

/// FIRENET's settings for a cell, the authors' (see the module notes), with tau = sigma =
/// `step` (None: sqrt(1 / ||A||) - 1e-4).
pub fn firenet_options(p: &InexactParams, norm: f64, step: Option<f64>) -> FirenetOptions {
    let s = step.unwrap_or((1.0 / norm).sqrt() - 1e-4);
    FirenetOptions {
        restarts: p.restarts,
        inner: p.inner,
        delta: p.delta,
        sharpness: norm,
        steps: Steps {
            tau: Some(s),
            sigma: Some(s),
        },
    }
}

fn real(x: &Array1<C64>) -> Array1<f64> {
    x.mapv(|v| v.re)
}

/// Whether `i` (1-based) is a point of a curve of `total` steps: about 60 points, spaced
/// evenly in log i, and the last.
fn log_point(i: usize, total: usize) -> bool {
    if i == total || i <= 3 {
        return true;
    }
    let r = (total.max(2) as f64).ln() / 60.0;
    let a = ((i - 1) as f64).ln() / r;
    let b = (i as f64).ln() / r;
    a.floor() != b.floor()
}

/// Work units of a LISTA step next to a solver step, for progress (a batch of 100 through 10
/// layers, against one step on one vector).
const LISTA_WEIGHT: usize = 50;

/// One cell: FIRENET, then the long Chambolle-Pock run, then LISTA's training, each scored
/// as it goes.
pub struct CellJob {
    pub params: InexactParams,
    pub pair: Pair,
    firenet: Firenet,
    cp: PrimalDual,
    trainer: Trainer,
    firenet_curve: Vec<CurvePoint>,
    cp_curve: Vec<CurvePoint>,
    lista_curve: Vec<CurvePoint>,
    /// The mean ||x||^2 of LISTA's training examples (to make its loss relative).
    target_norm2: f64,
    /// Work units per call of [`Job::step`].
    chunk: usize,
}

impl CellJob {
    /// The cell (params.k, params.n).
    pub fn new(params: &InexactParams) -> Result<Self, String> {
        Self::at(params, params.k, params.n)
    }

    /// The cell (k, n) with the other settings of `params`.
    pub fn at(params: &InexactParams, k: u32, n: u32) -> Result<Self, String> {
        let pair = Pair::new(k, n)?;
        let norm = pair.given.norm();
        let problem = pair.given.problem();
        let firenet = Firenet::new(problem.clone(), firenet_options(params, norm, None));
        let cp = PrimalDual::new(
            problem,
            1.0,
            Array1::zeros(pair.given.a.ncols()),
            params.cp_iters,
            Steps {
                tau: Some(1.0 / norm),
                sigma: Some(1.0 / norm),
            },
        );
        let (ys, xs) = pair
            .given
            .training_set(LISTA_EXAMPLES, u64::from(params.seed));
        let target_norm2 = xs.iter().map(|v| v * v).sum::<f64>() / xs.nrows().max(1) as f64;
        let trainer = Trainer::new(
            pair.given.a.view(),
            norm,
            ys,
            xs,
            TrainSettings {
                layers: LISTA_LAYERS,
                steps: params.lista_steps,
                batch: LISTA_BATCH,
                learning_rate: LISTA_RATE,
                seed: u64::from(params.seed),
            },
        );
        Ok(Self {
            params: params.clone(),
            pair,
            firenet,
            cp,
            trainer,
            firenet_curve: Vec::new(),
            cp_curve: Vec::new(),
            lista_curve: Vec::new(),
            target_norm2,
            chunk: 2000,
        })
    }

    /// Work units per step (the worker's chunk; the default suits ~10 ms).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    fn point(&self, at: usize, x: &Array1<f64>, loss: Option<f64>) -> CurvePoint {
        let s = self.pair.score(x);
        CurvePoint {
            at,
            error: s.error,
            error_given: s.error_given,
            loss: loss.map(Num),
        }
    }

    fn lista_output(&self) -> Array1<f64> {
        self.trainer.net.apply(self.pair.given.y.view())
    }

    /// One unit of work: a FIRENET layer, a Chambolle-Pock step or LISTA's Adam step.
    fn advance(&mut self) -> usize {
        if !self.firenet.done() {
            self.firenet.step();
            let (i, total) = (self.firenet.iterations(), self.firenet.planned());
            if log_point(i, total) || i % self.params.inner.max(1) == 0 {
                let p = self.point(i, &real(&self.firenet.estimate()), None);
                self.firenet_curve.push(p);
            }
            1
        } else if !self.cp.done() {
            self.cp.step();
            let (i, total) = (self.cp.iterations(), self.cp.planned());
            if log_point(i, total) {
                let p = self.point(i, &real(&self.cp.ergodic()), None);
                self.cp_curve.push(p);
            }
            1
        } else if !self.trainer.done() {
            let loss = self.trainer.step();
            let (i, total) = (self.trainer.steps_done(), self.params.lista_steps);
            if i == total || i % (total / 100).max(1) == 0 {
                let scale = self.pair.given.norm();
                let rel = loss / (scale * scale * self.target_norm2);
                let p = self.point(i, &self.lista_output(), Some(rel));
                self.lista_curve.push(p);
            }
            LISTA_WEIGHT
        } else {
            0
        }
    }

    /// The flat summary of the command line's `inexact --json`.
    pub fn summary(&self) -> Summary {
        let r = self.result();
        let score = |m: &Option<Score>| m.as_ref().map(|s| s.error);
        let digits = |m: &Option<Score>| m.as_ref().map(|s| s.digits);
        Summary {
            about: r.about,
            firenet_error: score(&r.firenet),
            cp_error: score(&r.cp),
            lista_error: score(&r.lista),
            digits_firenet: digits(&r.firenet),
            digits_cp: digits(&r.cp),
            digits_lista: digits(&r.lista),
            firenet_worst: r.firenet.as_ref().map(|s| s.worst),
            cp_worst: r.cp.as_ref().map(|s| s.worst),
            lista_worst: r.lista.as_ref().map(|s| s.worst),
        }
    }
}

/// A cell, computed or so far.
#[derive(Clone, Debug, Serialize)]
pub struct CellResult {
    #[serde(flatten)]
    pub about: CellNumbers,
    /// 10^-K, the unit of the picture's axes.
    pub unit: f64,
    /// 10^-(K-1): an error below it is K - 1 correct digits.
    pub k_minus_1: f64,
    /// The first two coordinates of the exact problem's and the given problem's minimisers.
    pub exact: [f64; 2],
    pub given: [f64; 2],
    pub firenet: Option<Score>,
    pub cp: Option<Score>,
    pub lista: Option<Score>,
    pub firenet_curve: Vec<CurvePoint>,
    pub cp_curve: Vec<CurvePoint>,
    pub lista_curve: Vec<CurvePoint>,
    /// The picture of the barrier, in units of 10^-K.
    pub picture: Picture,
    /// FIRENET's layers n p, Chambolle-Pock's steps, LISTA's training steps.
    pub firenet_layers: usize,
    pub cp_iters: usize,
    pub lista_steps: usize,
}

/// The barrier's radius in units of 10^-K: half the minimisers' distance 3 10^-K.
pub const RADIUS: f64 = 1.5;

/// What a cell is: its K and n, and how far apart its two problems are (the first fields of
/// both [`CellResult`] and [`Summary`]).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CellNumbers {
    pub k: u32,
    pub n: u32,
    /// ||A_n - A||_2 and ||y_n - y||_2: how far the given input is from the exact problem.
    pub a_dist: f64,
    pub y_dist: f64,
    /// ||z*(exact) - z*(given)||, about 3 10^-K.
    pub minimiser_gap: f64,
    /// 1.5 10^-K: no point is closer than this to both minimisers.
    pub barrier: f64,
}

/// The picture of the barrier: the first two coordinates in units of 10^-K (so its scale
/// follows K), the two exact minimisers, the radius 1.5 around each (no point is within it of
/// both), and where each finished method landed.
#[derive(Clone, Debug, Serialize)]
pub struct Picture {
    /// 10^-K.
    pub unit: f64,
    pub radius: f64,
    pub exact: [f64; 2],
    pub given: [f64; 2],
    pub marks: Vec<Mark>,
    /// The window to draw, the same on the page and the poster.
    pub view: View,
}

/// Marks farther than this (in units of 10^-K) from the minimisers' midpoint are drawn at the
/// window's edge, so that one method far off does not shrink the barrier to a dot.
pub const FAR: f64 = 12.0;

/// The picture's window, in its units: the square of half-side `half` around `centre`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct View {
    pub centre: [f64; 2],
    pub half: f64,
}

impl View {
    /// Centred on the minimisers' midpoint; holds both circles with a 12 % margin, and every
    /// mark nearer than [`FAR`] (in the max norm) with a 10 % margin.
    fn around(exact: [f64; 2], given: [f64; 2], radius: f64, marks: &[[f64; 2]]) -> Self {
        let centre = [(exact[0] + given[0]) / 2.0, (exact[1] + given[1]) / 2.0];
        let reach = |p: [f64; 2]| reach(centre, p);
        let mut half = 1.12 * (reach(exact).max(reach(given)) + radius);
        for &m in marks {
            if reach(m) < FAR {
                half = half.max(1.1 * reach(m));
            }
        }
        Self { centre, half }
    }
}

/// max(|p_1 - c_1|, |p_2 - c_2|); infinite for a point that is not finite.
fn reach(c: [f64; 2], p: [f64; 2]) -> f64 {
    if p.iter().all(|v| v.is_finite()) {
        (p[0] - c[0]).abs().max((p[1] - c[1]).abs())
    } else {
        f64::INFINITY
    }
}

/// Where one method landed, in the picture's units.
#[derive(Clone, Debug, Serialize)]
pub struct Mark {
    /// "firenet", "cp" or "lista".
    pub method: &'static str,
    pub label: &'static str,
    pub at: [f64; 2],
    /// Outside the window (beyond [`FAR`]): drawn at its edge, named "off the picture".
    pub far: bool,
}

/// The methods' names and labels, in the table's order.
pub const METHODS: [(&str, &str); 3] = [
    ("firenet", "FIRENET"),
    ("cp", "Chambolle-Pock"),
    ("lista", "LISTA"),
];

/// The numbers of one cell as the command line prints them (`inexact --json`; one row of
/// `inexact --table --json`). A method not yet run is null.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub about: CellNumbers,
    pub firenet_error: Option<Num>,
    pub cp_error: Option<Num>,
    pub lista_error: Option<Num>,
    pub digits_firenet: Option<u32>,
    pub digits_cp: Option<u32>,
    pub digits_lista: Option<u32>,
    pub firenet_worst: Option<Num>,
    pub cp_worst: Option<Num>,
    pub lista_worst: Option<Num>,
}

impl Job for CellJob {
    type Input<'a> = ();
    type Output<'a> = CellResult;

    fn step(&mut self, _: ()) -> Result<(), String> {
        let mut work = 0;
        while work < self.chunk && !self.done() {
            work += self.advance();
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.firenet.done() && self.cp.done() && self.trainer.done()
    }

    fn progress(&self) -> (usize, usize) {
        let p = &self.params;
        let total = p.restarts * p.inner + p.cp_iters + p.lista_steps * LISTA_WEIGHT;
        let done = self.firenet.iterations()
            + self.cp.iterations()
            + self.trainer.steps_done() * LISTA_WEIGHT;
        (done, total)
    }

    fn result(&self) -> CellResult {
        let (e, g) = (&self.pair.exact.minimiser, &self.pair.given.minimiser);
        let k = self.pair.exact.k;
        let unit = 10f64.powi(-(k as i32));
        let firenet = self
            .firenet
            .done()
            .then(|| self.pair.score(&real(&self.firenet.estimate())));
        let cp = self
            .cp
            .done()
            .then(|| self.pair.score(&real(&self.cp.ergodic())));
        let lista = self
            .trainer
            .done()
            .then(|| self.pair.score(&self.lista_output()));
        let scaled = |p: [f64; 2]| [p[0] / unit, p[1] / unit];
        let (exact, given) = (scaled([e[0], e[1]]), scaled([g[0], g[1]]));
        let landed: Vec<_> = METHODS
            .iter()
            .zip([&firenet, &cp, &lista])
            .filter_map(|(&(method, label), s)| s.as_ref().map(|s| (method, label, scaled(s.x))))
            .collect();
        let view = View::around(
            exact,
            given,
            RADIUS,
            &landed.iter().map(|m| m.2).collect::<Vec<_>>(),
        );
        let marks = landed
            .into_iter()
            .map(|(method, label, at)| Mark {
                method,
                label,
                at,
                far: reach(view.centre, at) >= FAR,
            })
            .collect();
        CellResult {
            about: CellNumbers {
                k,
                n: self.pair.exact.n,
                a_dist: self.pair.a_dist(),
                y_dist: self.pair.y_dist(),
                minimiser_gap: self.pair.minimiser_gap(),
                barrier: RADIUS * unit,
            },
            unit,
            k_minus_1: 10.0 * unit,
            exact: [e[0], e[1]],
            given: [g[0], g[1]],
            picture: Picture {
                unit,
                radius: RADIUS,
                exact,
                given,
                marks,
                view,
            },
            firenet,
            cp,
            lista,
            firenet_curve: self.firenet_curve.clone(),
            cp_curve: self.cp_curve.clone(),
            lista_curve: self.lista_curve.clone(),
            firenet_layers: self.params.restarts * self.params.inner,
            cp_iters: self.params.cp_iters,
            lista_steps: self.params.lista_steps,
        }
    }
}

/// The nine cells of the paper's table with the state's settings, one after another.
pub struct TableJob {
    cells: Vec<CellJob>,
}

impl TableJob {
    pub fn new(params: &InexactParams) -> Result<Self, String> {
        let cells = TABLE_CELLS
            .iter()
            .map(|&(k, n)| CellJob::at(params, k, n))
            .collect::<Result<_, _>>()?;
        Ok(Self { cells })
    }
}

/// The table, computed or so far: a row per cell (methods not yet run are null).
#[derive(Clone, Debug, Serialize)]
pub struct TableResult {
    pub rows: Vec<Summary>,
}

impl Job for TableJob {
    type Input<'a> = ();
    type Output<'a> = TableResult;

    fn step(&mut self, _: ()) -> Result<(), String> {
        match self.cells.iter_mut().find(|c| !c.done()) {
            Some(c) => c.step(()),
            None => Ok(()),
        }
    }

    fn done(&self) -> bool {
        self.cells.iter().all(|c| c.done())
    }

    fn progress(&self) -> (usize, usize) {
        self.cells.iter().fold((0, 0), |(d, t), c| {
            let (a, b) = c.progress();
            (d + a, t + b)
        })
    }

    fn result(&self) -> TableResult {
        TableResult {
            rows: self.cells.iter().map(|c| c.summary()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::run_to_end;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_window_holds_both_circles_and_the_near_marks() {
        let inside = |v: &View, p: [f64; 2], r: f64| {
            (p[0] - v.centre[0]).abs() + r <= v.half && (p[1] - v.centre[1]).abs() + r <= v.half
        };
        let (e, g) = ([0.0, 0.0], [3.0, 0.0]);
        let v = View::around(e, g, RADIUS, &[]);
        assert_eq!(v.centre, [1.5, 0.0]);
        // Reach 1.5 + radius 1.5, with the 12 % margin.
        assert!((v.half - 1.12 * 3.0).abs() < 1e-15);
        assert!(inside(&v, e, RADIUS) && inside(&v, g, RADIUS));
        // A mark at reach 8 widens the window to hold it; one at reach 20 (beyond FAR) and one
        // that is not finite do not.
        let near = [1.5, 8.0];
        let v = View::around(e, g, RADIUS, &[near, [21.5, 0.0], [f64::NAN, 0.0]]);
        assert!((v.half - 8.8).abs() < 1e-15 && inside(&v, near, 0.0));
        assert!(reach(v.centre, [21.5, 0.0]) >= FAR && reach(v.centre, [f64::NAN, 0.0]) >= FAR);
    }

    #[test]
    fn digits_count_powers_of_ten() {
        assert_eq!(digits(0.15), 0);
        assert_eq!(digits(0.1), 1);
        assert_eq!(digits(1.5e-3), 2);
        assert_eq!(digits(3e-6), 5);
        assert_eq!(digits(f64::NAN), 0);
        assert_eq!(digits(0.0), 17);
    }

    /// The table, as the paper's Theorem 2 says it must come out: on all nine cells the input
    /// is 2^-n close (A) and equal (y), the minimisers are 3 10^-K apart (1e-3 relative);
    /// FIRENET has K - 1 digits; and no method (FIRENET, the long Chambolle-Pock run, LISTA)
    /// has K digits against both exact problems.
    #[test]
    fn the_table_shows_the_barrier() {
        let params = InexactParams::default();
        let mut job = TableJob::new(&params).unwrap();
        let table = run_to_end(&mut job, ()).unwrap();
        for row in &table.rows {
            let (k, n) = (row.about.k as i32, row.about.n as i32);
            assert!(row.about.a_dist <= 0.5f64.powi(n), "{row:?}");
            assert_eq!(row.about.y_dist, 0.0);
            let gap = row.about.minimiser_gap * 10f64.powi(k);
            assert!((gap - 3.0).abs() <= 3e-3, "{row:?}");
            assert!(row.digits_firenet.unwrap() >= (k - 1) as u32, "{row:?}");
            // Implied by the gap (a point within 10^-K of both minimisers would put them
            // 2 10^-K apart); checked here on what the methods returned.
            for worst in [row.firenet_worst, row.cp_worst, row.lista_worst] {
                assert!(worst.unwrap().0 > 10f64.powi(-k), "{row:?}");
            }
        }
    }

    /// With steps that satisfy Chambolle-Pock's condition (tau = sigma = 1 / ||A||) FIRENET's
    /// digits are the same as with the authors' larger steps, on every cell.
    #[test]
    fn firenet_with_convergent_steps_gives_the_same_digits() {
        let params = InexactParams::default();
        for (k, n) in TABLE_CELLS {
            let pair = Pair::new(k, n).unwrap();
            let norm = pair.given.norm();
            let run = |step| {
                let opts = firenet_options(&params, norm, step);
                let mut f = Firenet::new(pair.given.problem(), opts);
                f.run();
                pair.score(&real(&f.estimate()))
            };
            let (authors, convergent) = (run(None), run(Some(1.0 / norm)));
            assert_eq!(authors.digits, convergent.digits, "K {k} n {n}");
            assert!(convergent.k_minus_1_digits, "K {k} n {n}");
        }
    }

    /// The worker steps a cell in small chunks; the command line runs it to the end in large
    /// ones: the same numbers, bit for bit.
    #[test]
    fn chunking_does_not_change_the_cell() {
        let params = InexactParams {
            restarts: 4,
            inner: 10,
            cp_iters: 300,
            lista_steps: 20,
            ..InexactParams::default()
        };
        let mut a = CellJob::new(&params).unwrap().with_chunk(7);
        let mut b = CellJob::new(&params).unwrap().with_chunk(100_000);
        let ra = serde_json::to_string(&run_to_end(&mut a, ()).unwrap()).unwrap();
        let rb = serde_json::to_string(&run_to_end(&mut b, ()).unwrap()).unwrap();
        assert_eq!(ra, rb);
        assert!(ra.contains("\"lista\":{"));
    }
}
