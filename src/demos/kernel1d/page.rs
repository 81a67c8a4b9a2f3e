//! The 1-D troublesome-kernel page as its worker holds it: the state, the training for the
//! state's switch and its contrast (the other switch, for the trade-off traced for both),
//! the evaluation of the state's network, and the sweep over delta, each job with the key of
//! the state it was made for. A stopped job resumes where it was while it is for the current
//! state.

use super::{
    signal_plot, EvalJob, EvalResult, Kernel1dParams, Pairs, SignalPlot, SweepJob, SweepResult,
    TrainJob, TrainResult,
};
use crate::job::Job;
use crate::params;
use crate::recon::map::ReconMap;
use crate::troublesome_kernel::{tv_map, TV_ITERATIONS, TV_LAMBDA};
use serde::Serialize;

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
