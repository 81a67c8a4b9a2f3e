//! The 1-D troublesome-kernel page as its worker holds it: the state, the training for the
//! state's switch and its contrast (the other switch, for the trade-off traced for both),
//! the evaluation of the state's network, and the sweep over delta, each job with the key of
//! the state it was made for. A stopped job resumes where it was while it is for the current
//! state.

use super::{
    signal_plot, EvalJob, EvalResult, Kernel1dParams, Pairs, SignalPlot, SweepJob, SweepResult,
    TrainJob, TrainResult,
};
use crate::instability::InstabilityTest;
use crate::job::Job;
use crate::operators::{complex, LinearOperator, C64};
use crate::params;
use crate::recon::map::ReconMap;
use crate::troublesome_kernel::{
    attack, attack_options, norm2, tv_map, NetMap, TV_ITERATIONS, TV_LAMBDA,
};
use ndarray::Array1;
use serde::Serialize;
use std::sync::Arc;

/// A job with the key of the state it was made for.
struct Keyed<J> {
    key: String,
    job: J,
}

/// [done, total, finished (1 or 0)] of a job.
fn progress<J: Job>(job: &J) -> [usize; 3] {
    let (done, total) = job.progress();
    [done, total, usize::from(job.done())]
}

/// Which training: the state's switch, or the other one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    State,
    Contrast,
}

/// A job's result, whether it was made for the current state, and whether it is finished.
#[derive(Clone, Debug, Serialize)]
pub struct PageResult<T: Serialize> {
    pub current: bool,
    pub done: bool,
    #[serde(flatten)]
    pub result: T,
}

/// The page: its state and its jobs.
#[derive(Default)]
pub struct Kernel1dPage {
    pub params: Kernel1dParams,
    train: Option<Keyed<TrainJob>>,
    contrast: Option<Keyed<TrainJob>>,
    eval: Option<Keyed<EvalJob>>,
    sweep: Option<Keyed<SweepJob>>,
}

impl Kernel1dPage {
    pub fn new(params: Kernel1dParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    fn key(&self) -> String {
        params::to_query(&self.params)
    }

    /// The sweep depends on everything but the switch and delta.
    fn sweep_key(&self) -> String {
        params::to_query(&Kernel1dParams {
            pairs: Pairs::On,
            delta: 0.05,
            ..self.params.clone()
        })
    }

    fn slot(&mut self, which: Which) -> &mut Option<Keyed<TrainJob>> {
        match which {
            Which::State => &mut self.train,
            Which::Contrast => &mut self.contrast,
        }
    }

    fn slot_ref(&self, which: Which) -> &Option<Keyed<TrainJob>> {
        match which {
            Which::State => &self.train,
            Which::Contrast => &self.contrast,
        }
    }

    /// Makes the training (the state's switch, or its contrast) unless the one held is for
    /// the current state; whether it is finished.
    pub fn train_prepare(&mut self, which: Which) -> Result<bool, String> {
        self.swap_on_flip();
        let key = self.key();
        let pairs = match which {
            Which::State => self.params.pairs,
            Which::Contrast => self.params.pairs.flipped(),
        };
        let params = self.params.clone();
        let slot = self.slot(which);
        if slot.as_ref().is_none_or(|t| t.key != key) {
            *slot = None;
            let job = TrainJob::new(&params, pairs)?;
            *slot = Some(Keyed { key, job });
        }
        Ok(slot.as_ref().is_some_and(|t| t.job.done()))
    }

    /// After a flip of the switch the two trainings change places: the other switch's
    /// network, trained for the rest of the same state, is the new state's, and the old
    /// state's is the new contrast (the training does not depend on the state's own switch,
    /// only on the one it is made for).
    fn swap_on_flip(&mut self) {
        let key = self.key();
        let flipped = params::to_query(&Kernel1dParams {
            pairs: self.params.pairs.flipped(),
            ..self.params.clone()
        });
        let was = |s: &Option<Keyed<TrainJob>>| s.as_ref().is_some_and(|t| t.key == flipped);
        if was(&self.train) || was(&self.contrast) {
            std::mem::swap(&mut self.train, &mut self.contrast);
            for slot in [&mut self.train, &mut self.contrast] {
                if slot.as_ref().is_some_and(|t| t.key != flipped) {
                    *slot = None;
                }
                if let Some(t) = slot.as_mut() {
                    t.key.clone_from(&key);
                }
            }
        }
    }

    /// A few more epochs: [done, total, finished].
    pub fn train_step(&mut self, which: Which) -> Result<[usize; 3], String> {
        let t = self
            .slot(which)
            .as_mut()
            .ok_or("nothing is being trained")?;
        t.job.step(())?;
        Ok(progress(&t.job))
    }

    /// The training so far with its trace.
    pub fn train_result(&self, which: Which) -> Result<PageResult<TrainResult>, String> {
        let t = self
            .slot_ref(which)
            .as_ref()
            .ok_or("nothing has been trained yet")?;
        Ok(PageResult {
            current: t.key == self.key(),
            done: t.job.done(),
            result: t.job.result(),
        })
    }

    /// Makes the evaluation of the state's finished network unless the one held is for the
    /// current state; whether it is finished. Err while the training is not finished.
    pub fn eval_prepare(&mut self) -> Result<bool, String> {
        let key = self.key();
        if self.eval.as_ref().is_none_or(|e| e.key != key) {
            self.eval = None;
            let t = self
                .train
                .as_ref()
                .filter(|t| t.key == key && t.job.done())
                .ok_or("the network is not trained yet")?;
            let job = EvalJob::new(
                &self.params,
                t.job.pairs,
                t.job.setup().clone(),
                t.job.network(),
            )?;
            self.eval = Some(Keyed { key, job });
        }
        Ok(self.eval.as_ref().is_some_and(|e| e.job.done()))
    }

    pub fn eval_step(&mut self) -> Result<[usize; 3], String> {
        let e = self.eval.as_mut().ok_or("nothing is being evaluated")?;
        e.job.step(())?;
        Ok(progress(&e.job))
    }

    pub fn eval_result(&self) -> Result<PageResult<EvalResult>, String> {
        let e = self.eval.as_ref().ok_or("nothing has been evaluated yet")?;
        Ok(PageResult {
            current: e.key == self.key(),
            done: e.job.done(),
            result: e.job.result(),
        })
    }

    pub fn sweep_prepare(&mut self) -> Result<bool, String> {
        let key = self.sweep_key();
        if self.sweep.as_ref().is_none_or(|s| s.key != key) {
            self.sweep = None;
            let job = SweepJob::new(&self.params)?;
            self.sweep = Some(Keyed { key, job });
        }
        Ok(self.sweep.as_ref().is_some_and(|s| s.job.done()))
    }

    pub fn sweep_step(&mut self) -> Result<[usize; 3], String> {
        let s = self.sweep.as_mut().ok_or("nothing is being swept")?;
        s.job.step(())?;
        Ok(progress(&s.job))
    }

    pub fn sweep_result(&self) -> Result<PageResult<SweepResult>, String> {
        let s = self.sweep.as_ref().ok_or("nothing has been swept yet")?;
        Ok(PageResult {
            current: s.key == self.sweep_key(),
            done: s.job.done(),
            result: s.job.result(),
        })
    }

    /// The signals of held-out signal 0 with the state's network as trained so far (and TV).
    pub fn signals(&self) -> Result<SignalPlot, String> {
        let t = self
            .train
            .as_ref()
            .filter(|t| t.key == self.key())
            .ok_or("the network has not been trained yet")?;
        let setup = t.job.setup();
        let tv = tv_map(setup.a.clone(), TV_LAMBDA, TV_ITERATIONS);
        Ok(signal_plot(setup, &t.job.network(), &tv as &dyn ReconMap))
    }
}

// ---------------------------------------------------------------------------------------
// The figure: what the page draws, for its poster and its numbers.

/// The instability test's worst case, drawn: the held-out signal where the test found the
/// network's worst amplification, the perturbation r it found there (||r|| <= delta ||z||, the
/// iterate of the worst amplification, recomputed by the same seeded ascent), and what the
/// network and TV return from A x and from A(x + r): trained with pairs, the network invents
/// (or erases) the tumour; TV, given the same r, hardly moves.
#[derive(Clone, Debug, Serialize)]
pub struct Perturbed {
    /// The held-out signal's index and its ascent's iteration.
    pub index: usize,
    pub iteration: usize,
    /// 0..N, x, x + z and the part A sees, A* A x.
    pub t: Vec<f64>,
    pub x: Vec<f64>,
    pub x_z: Vec<f64>,
    pub measured: Vec<f64>,
    pub r: Vec<f64>,
    /// Psi(A x), Psi(A(x + r)), TV(A x), TV(A(x + r)).
    pub net: Vec<f64>,
    pub net_r: Vec<f64>,
    pub tv: Vec<f64>,
    pub tv_r: Vec<f64>,
    /// ||r||, ||Psi(A(x + r)) - Psi(A x)|| and ||TV(A(x + r)) - TV(A x)||, and the network's
    /// amplification net_change / ||r|| (the test's worst).
    pub r_norm: f64,
    pub net_change: f64,
    pub tv_change: f64,
    pub amplification: f64,
}

/// Everything the page's figure shows, once the evaluation is done: the state's training
/// (its trace), the other switch's training, the evaluation, the signals at held-out signal
/// 0 with the perturbed outputs, and the sweep over delta if it was computed.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub params: Kernel1dParams,
    pub train: TrainResult,
    pub contrast: Option<TrainResult>,
    pub eval: EvalResult,
    pub signals: SignalPlot,
    pub perturbed: Option<Perturbed>,
    pub sweep: Option<SweepResult>,
}

/// Points of the curve 1 / delta over the slider's range (0.01 to 0.5, log-spaced): the
/// bound (||z|| - 2 eta) / (delta ||z||) of a method exact on both x and x + z (eta = 0),
/// the most any accurate method can be forced to amplify, drawn beside what is measured.
pub fn inverse_delta_curve() -> Vec<[f64; 2]> {
    let (lo, hi): (f64, f64) = (0.01, 0.5);
    let n = 24;
    (0..=n)
        .map(|i| {
            let d = lo * (hi / lo).powf(i as f64 / n as f64);
            [d, 1.0 / d]
        })
        .collect()
}

impl Kernel1dPage {
    /// The instability test's worst case for the current state, once the evaluation is done.
    pub fn perturbed(&self) -> Option<Perturbed> {
        let e = self
            .eval
            .as_ref()
            .filter(|e| e.key == self.key() && e.job.done())?;
        // A child module sees the job's fields: its setup, network and the test's length.
        let job = &e.job;
        let worst = job
            .attacked
            .iter()
            .max_by(|a, b| a.net.0.total_cmp(&b.net.0))?;
        let s = &job.setup;
        let x = s.test.row(worst.index).to_owned();
        let map: Arc<dyn ReconMap> = Arc::new(NetMap {
            net: job.net.clone(),
            name: "net".into(),
        });
        // The same ascent as the evaluation's (seeded), stopped at its worst iterate.
        let full = attack(
            map.clone(),
            s.a.clone(),
            &x,
            worst.budget,
            job.iterations,
            1,
        )
        .ok()?;
        let iteration = full.worst?.iteration.max(1);
        let mut opts = attack_options(worst.budget, iteration, 1);
        opts.snapshots = vec![iteration];
        let mut test = InstabilityTest::new(map, s.a.clone(), x.clone(), None, opts).ok()?;
        while !test.done() {
            test.step();
        }
        let snap = test.report().snapshots.pop()?;
        let xr = &x + &snap.r;
        let y = s.a.apply(complex(x.view()).view());
        let yr = s.a.apply(complex(xr.view()).view());
        let tv = tv_map(s.a.clone(), TV_LAMBDA, TV_ITERATIONS);
        let re = |v: Array1<C64>| v.mapv(|z| z.re);
        let (net, net_r) = (job.net.apply(y.view()), job.net.apply(yr.view()));
        let (tv0, tv_r) = (re(tv.apply(y.view())), re(tv.apply(yr.view())));
        let r_norm = norm2(&snap.r);
        let net_change = norm2(&(&net_r - &net));
        Some(Perturbed {
            index: worst.index,
            iteration,
            t: (0..x.len()).map(|t| t as f64).collect(),
            x_z: (&x + &s.tumour.z).to_vec(),
            measured: re(s.a.adjoint(y.view())).to_vec(),
            r: snap.r.to_vec(),
            tv_change: norm2(&(&tv_r - &tv0)),
            amplification: net_change / r_norm,
            r_norm,
            net_change,
            x: x.to_vec(),
            net: net.to_vec(),
            net_r: net_r.to_vec(),
            tv: tv0.to_vec(),
            tv_r: tv_r.to_vec(),
        })
    }

    /// The figure of the current state: Err until its evaluation is done. The contrast and
    /// the sweep are in it when they are finished for the current state.
    pub fn figure(&self) -> Result<Figure, String> {
        let not_yet = "the figure has not been computed yet";
        let key = self.key();
        let t = self
            .train
            .as_ref()
            .filter(|t| t.key == key && t.job.done())
            .ok_or(not_yet)?;
        let e = self
            .eval
            .as_ref()
            .filter(|e| e.key == key && e.job.done())
            .ok_or(not_yet)?;
        let contrast = self
            .contrast
            .as_ref()
            .filter(|c| c.key == key && c.job.done())
            .map(|c| c.job.result());
        let sweep = self
            .sweep
            .as_ref()
            .filter(|s| s.key == self.sweep_key() && s.job.done())
            .map(|s| s.job.result());
        Ok(Figure {
            params: self.params.clone(),
            train: t.job.result(),
            contrast,
            eval: e.job.result(),
            signals: self.signals()?,
            perturbed: self.perturbed(),
            sweep,
        })
    }

    /// Computes the figure as the page's worker does, each job stepped to its end: the
    /// state's training, the other switch's, the evaluation and, with `sweep`, the sweep
    /// over delta (what `barriers-lab figures` draws).
    pub fn compute_figure(&mut self, sweep: bool) -> Result<Figure, String> {
        for which in [Which::State, Which::Contrast] {
            if !self.train_prepare(which)? {
                while self.train_step(which)?[2] == 0 {}
            }
        }
        if !self.eval_prepare()? {
            while self.eval_step()?[2] == 0 {}
        }
        if sweep && !self.sweep_prepare()? {
            while self.sweep_step()?[2] == 0 {}
        }
        self.figure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::run_to_end;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Flipping the switch keeps both networks: the contrast becomes the state's, done, and
    /// gives what a fresh training for the new state gives; the evaluation is made anew.
    #[test]
    fn a_flip_of_the_switch_keeps_both_trainings() {
        let p = Kernel1dParams {
            epochs: 3,
            ..Kernel1dParams::default()
        };
        let mut page = Kernel1dPage::new(p.clone());
        for which in [Which::State, Which::Contrast] {
            page.train_prepare(which).unwrap();
            while page.train_step(which).unwrap()[2] == 0 {}
        }
        page.eval_prepare().unwrap();
        page.params.pairs = Pairs::Off;
        assert!(page.train_prepare(Which::State).unwrap(), "trained already");
        assert!(page.train_prepare(Which::Contrast).unwrap());
        let off = Kernel1dParams {
            pairs: Pairs::Off,
            ..p
        };
        for (which, pairs) in [(Which::State, Pairs::Off), (Which::Contrast, Pairs::On)] {
            let got = page.train_result(which).unwrap();
            assert!(got.current && got.done);
            let mut fresh = TrainJob::new(&off, pairs).unwrap();
            let want = run_to_end(&mut fresh, ()).unwrap();
            assert_eq!(
                serde_json::to_string(&got.result).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
        }
        assert!(!page.eval_prepare().unwrap(), "a new evaluation");
        // A change of anything else trains again.
        page.params.seed = 2;
        assert!(!page.train_prepare(Which::State).unwrap());
    }
}
