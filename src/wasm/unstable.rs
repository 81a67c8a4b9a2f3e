//! The unstable-network page's binding (`www/unstable.html`): forwards to
//! [`crate::demos::unstable::UnstablePage`], which holds the network, the slices and the
//! page's jobs (the instability test, the two detail views, the more-samples curve, the
//! trade-off plot), and returns their results as JSON and their pictures as RGBA.
//!
//! `*_prepare` makes a view's job for the current state unless the one held is already for it
//! and returns whether it is finished; `*_step` does a little of it and returns `[done,
//! total, finished]`, so that the worker reports progress and stops for Cancel or a newer
//! state.

use super::{js_error, json_result, png_bytes, state_methods};
use crate::demos::unstable::{UnstablePage, UnstableParams};
use crate::posters::unstable::{self as poster, Figure};
use wasm_bindgen::prelude::*;

/// The unstable-network page.
#[wasm_bindgen]
#[derive(Default)]
pub struct UnstableDemo {
    params: UnstableParams,
    page: UnstablePage,
}

state_methods!(UnstableDemo, UnstableParams);

#[wasm_bindgen]
impl UnstableDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> UnstableDemo {
        UnstableDemo::default()
    }

    /// The files still to load, in order: JSON [{kind: "network", file}] (relative to
    /// `www/models/`) until the network is loaded, then [{kind: "slices", side, file}]
    /// (relative to `www/data/`, gzip), then [{kind: "trained", net, file}] for each network
    /// of another training noise the state or the unfinished trade-off plot uses, then [].
    pub fn needs(&self) -> String {
        serde_json::to_string(&self.page.needs(&self.params)).unwrap_or_else(|_| "[]".into())
    }

    /// Hands over the file of the shipped network `name` of another training noise (after
    /// the network).
    pub fn load_trained(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        self.page.load_trained(name, bytes).map_err(js_error)
    }

    /// Hands over a network file (`.brn`): the setting (side, family, mask) is its header's.
    pub fn load_network(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.page.load_network(bytes).map_err(js_error)
    }

    /// Hands over a gunzipped Colin27 stack of the given side (after the network).
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), JsError> {
        self.page.load_slices(side, bytes).map_err(js_error)
    }

    /// Facts about the network and its setting, as JSON.
    pub fn info(&self) -> Result<String, JsError> {
        json_result(self.page.info(&self.params))
    }

    /// Makes (or resumes) the instability test of the current state; whether it is finished.
    pub fn test_prepare(&mut self) -> Result<bool, JsError> {
        self.page.test_prepare(&self.params).map_err(js_error)
    }

    /// One gradient step of the test: [iterations done, planned, finished, amplification].
    pub fn test_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.test_step().map_err(js_error)
    }

    /// The test's numbers (finished or not), as JSON.
    pub fn test_result(&self) -> Result<String, JsError> {
        json_result(self.page.test_result(&self.params))
    }

    /// The current view's figure as a poster, PNG bytes, once its computation has finished
    /// for the current state; `font` is the bytes of `www/fonts/DejaVuSans.ttf`, `scale` 0.5
    /// to 6.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        png_bytes(
            Figure::of(&self.page, &self.params).and_then(|f| poster::poster(&f, font, scale)),
        )
    }

    /// The current view's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let f = Figure::of(&self.page, &self.params).map_err(js_error)?;
        Ok(poster::numbers(&f).to_json())
    }

    /// The current view's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let f = Figure::of(&self.page, &self.params).map_err(js_error)?;
        Ok(poster::numbers(&f).to_csv())
    }

    /// RGBA pixels of the test's pictures: "truth", "clean", "r:J", "xr:J", "out:J", "diff:J".
    pub fn test_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.test_picture(which).map_err(js_error)
    }

    /// Feeds the finished test's last perturbation to `transfer_to`: its numbers, as JSON.
    pub fn transfer(&mut self) -> Result<String, JsError> {
        json_result(self.page.transfer(&self.params))
    }

    /// RGBA pixels of the transfer: "clean", "out", "diff".
    pub fn transfer_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.transfer_picture(which).map_err(js_error)
    }

    /// Makes (or keeps) the comparison at equal size (the transfer method's own test, after
    /// the network's); whether it is finished.
    pub fn equal_prepare(&mut self) -> Result<bool, JsError> {
        self.page.equal_prepare(&self.params).map_err(js_error)
    }

    /// A step of the comparison: [done, total, finished].
    pub fn equal_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.equal_step(&self.params).map_err(js_error)
    }

    /// The comparison's numbers, as JSON.
    pub fn equal_result(&self) -> Result<String, JsError> {
        json_result(self.page.equal_result(&self.params))
    }

    /// RGBA pixels of the comparison: "own:out", "own:diff", "r:out", "r:diff".
    pub fn equal_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.equal_picture(which).map_err(js_error)
    }

    /// Makes (or keeps) the current view's detail job; whether it is finished.
    pub fn detail_prepare(&mut self) -> Result<bool, JsError> {
        self.page.detail_prepare(&self.params).map_err(js_error)
    }

    /// One method of the detail job: [done, total, finished].
    pub fn detail_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.detail_step().map_err(js_error)
    }

    /// The detail job's numbers, as JSON.
    pub fn detail_result(&self) -> Result<String, JsError> {
        json_result(self.page.detail_result(&self.params))
    }

    /// RGBA pixels of the detail view: "x", "x2", "w", "z", "out:M", "out2:M", "change:M".
    pub fn detail_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.detail_picture(which).map_err(js_error)
    }

    /// Makes (or keeps) the more-samples curve's job; whether it is finished.
    pub fn samples_prepare(&mut self) -> Result<bool, JsError> {
        self.page.samples_prepare(&self.params).map_err(js_error)
    }

    /// One (rate, method) of the curve: [done, total, finished].
    pub fn samples_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.samples_step().map_err(js_error)
    }

    /// The curve so far, as JSON.
    pub fn samples_result(&self) -> Result<String, JsError> {
        json_result(self.page.samples_result(&self.params))
    }

    /// The reconstructions at the rate shown, with their PSNR, as JSON.
    pub fn rate_images(&mut self) -> Result<String, JsError> {
        json_result(self.page.rate_images(&self.params))
    }

    /// RGBA pixels of the rate view: "x", or "out:METHOD".
    pub fn rate_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.rate_picture(which).map_err(js_error)
    }

    /// Makes (or keeps) the trade-off job; whether it is finished.
    pub fn tradeoff_prepare(&mut self) -> Result<bool, JsError> {
        self.page.tradeoff_prepare(&self.params).map_err(js_error)
    }

    /// Offers the shipped trade-off plot (`www/models/tradeoff-default.json`); whether the
    /// prepared job took it.
    pub fn tradeoff_ship(&mut self, json: &str) -> Result<bool, JsError> {
        Ok(self.page.tradeoff_ship(&self.params, json))
    }

    /// A little of the trade-off job: [done, total, finished] in steps.
    pub fn tradeoff_step(&mut self) -> Result<Vec<f64>, JsError> {
        self.page.tradeoff_step().map_err(js_error)
    }

    /// The points so far, as JSON.
    pub fn tradeoff_result(&self) -> Result<String, JsError> {
        json_result(self.page.tradeoff_result(&self.params))
    }

    /// Hands the first part of job `kind` ("tradeoff": a variant, "samples": a rate and a
    /// method) that nobody has started to a helper worker: its index, or undefined.
    pub fn part_hand_out(&mut self, kind: &str) -> Result<Option<u32>, JsError> {
        let i = self.page.part_hand_out(kind).map_err(js_error)?;
        Ok(i.map(|i| i as u32))
    }

    /// Takes back a part handed out for the state of the link `query` whose helper failed:
    /// this worker's steps will compute it (if the job held is still for that state).
    pub fn part_take_back(&mut self, kind: &str, query: &str, part: u32) -> Result<(), JsError> {
        let made_for = crate::params::from_query::<UnstableParams>(query).map_err(js_error)?;
        self.page
            .part_take_back(kind, &made_for, part as usize)
            .map_err(js_error)
    }

    /// Whether job `kind` only waits for parts handed out.
    pub fn part_waiting(&mut self, kind: &str) -> Result<bool, JsError> {
        self.page.part_waiting(kind).map_err(js_error)
    }

    /// In a helper: computes part `part` of the current state's job `kind` alone, its numbers.
    pub fn part_compute(&mut self, kind: &str, part: u32) -> Result<Vec<f64>, JsError> {
        self.page
            .part_compute(kind, &self.params, part as usize)
            .map_err(js_error)
    }

    /// Puts a helper's numbers for part `part` of job `kind`, computed for the state of the
    /// link `query`, into the job held if it is still for that state; whether it did.
    pub fn part_put(
        &mut self,
        kind: &str,
        query: &str,
        part: u32,
        numbers: &[f64],
    ) -> Result<bool, JsError> {
        let made_for = crate::params::from_query::<UnstableParams>(query).map_err(js_error)?;
        self.page
            .part_put(kind, &made_for, part as usize, numbers)
            .map_err(js_error)
    }
}
