//! The 1-D troublesome-kernel page's binding (`www/kernel1d.html`): forwards to
//! [`crate::demos::kernel1d::page::Kernel1dPage`], which holds the state, the two trainings
//! (the state's switch and the other one), the evaluation and the sweep over delta, each with
//! the key of the state it was made for.
//!
//! `*_prepare` makes a job for the current state unless the one held is already for it and
//! returns whether it is finished; `*_step` does a little of it and returns [done, total,
//! finished], so that the worker reports progress and stops for Cancel or a newer state;
//! `*_result` is the job's result so far, as JSON. `contrast` picks the other switch's
//! training.

use super::{js_error, json_result, json_text, state_methods};
use crate::demos::kernel1d::page::{inverse_delta_curve, Kernel1dPage, Which};
use crate::demos::kernel1d::{Kernel1dParams, SWEEP_DELTAS};
use crate::params;
use crate::posters::kernel1d as poster;
use wasm_bindgen::prelude::*;

/// The 1-D troublesome-kernel page.
#[wasm_bindgen]
#[derive(Default)]
pub struct Kernel1dDemo {
    page: Kernel1dPage,
}

state_methods!(Kernel1dDemo, Kernel1dParams, page.params);

fn which(contrast: bool) -> Which {
    if contrast {
        Which::Contrast
    } else {
        Which::State
    }
}

fn progress(s: [usize; 3]) -> Vec<f64> {
    s.iter().map(|&v| v as f64).collect()
}

#[wasm_bindgen]
impl Kernel1dDemo {
    /// The page at the state of a URL hash ("" for the defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<Kernel1dDemo, JsError> {
        let p = params::from_query(query).map_err(js_error)?;
        Ok(Kernel1dDemo {
            page: Kernel1dPage::new(p),
        })
    }

    /// Makes (or keeps) the training of the state's switch, or of the other one.
    pub fn train_prepare(&mut self, contrast: bool) -> Result<bool, JsError> {
        self.page.train_prepare(which(contrast)).map_err(js_error)
    }

    /// A few epochs: [done, total, finished].
    pub fn train_step(&mut self, contrast: bool) -> Result<Vec<f64>, JsError> {
        self.page
            .train_step(which(contrast))
            .map(progress)
            .map_err(js_error)
    }

    /// The training so far with its trace, as JSON.
    pub fn train_result(&self, contrast: bool) -> Result<String, JsError> {
        json_result(self.page.train_result(which(contrast)))
    }

    /// Makes (or keeps) the evaluation of the state's trained network.
    pub fn eval_prepare(&mut self) -> Result<bool, JsError> {
        self.page.eval_prepare().map_err(js_error)
    }

    pub fn eval_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.eval_step().map(progress).map_err(js_error)
    }

    pub fn eval_result(&self) -> Result<String, JsError> {
        json_result(self.page.eval_result())
    }

    /// Makes (or keeps) the sweep over delta for the state's epochs and seed.
    pub fn sweep_prepare(&mut self) -> Result<bool, JsError> {
        self.page.sweep_prepare().map_err(js_error)
    }

    pub fn sweep_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.sweep_step().map(progress).map_err(js_error)
    }

    /// The sweep so far, as JSON.
    pub fn sweep_result(&self) -> Result<String, JsError> {
        json_result(self.page.sweep_result())
    }

    /// The signals at held-out signal 0 with the state's network as trained so far, as JSON.
    pub fn signals(&self) -> Result<String, JsError> {
        json_result(self.page.signals())
    }

    /// The outputs on the instability test's perturbation at held-out signal 0, as JSON
    /// (null before the evaluation has attacked it).
    pub fn perturbed(&self) -> String {
        json_text(self.page.perturbed())
    }

    /// The curve 1 / delta over the slider's range, as JSON [[delta, 1 / delta], ...].
    pub fn inverse_delta_curve() -> String {
        json_text(inverse_delta_curve())
    }

    /// The values of delta the sweep retrains at, as JSON.
    pub fn sweep_deltas() -> String {
        json_text(SWEEP_DELTAS)
    }

    /// The figure as a poster, PNG bytes.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let f = self.page.figure().map_err(js_error)?;
        super::png_bytes(poster::poster(&f, font, scale))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let f = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&f).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let f = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&f).to_csv())
    }
}
