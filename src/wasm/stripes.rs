//! The stripes page's binding (`www/stripes.html`): forwards to
//! [`crate::demos::stripes::page::StripesPage`], which holds the state and the training job
//! with the key of the state it was made for.
//!
//! `prepare` makes the job for the current state unless the one held is already for it and
//! returns whether it is finished; `step` does a little of it and returns its progress, so that
//! the worker reports progress and stops for Cancel or a newer state; `result` is the job's
//! result so far, as JSON.

use super::{js_error, json_result, state_methods};
use crate::demos::stripes::page::{StripesPage, SHOWN_TRAIN_IMAGE};
use crate::demos::stripes::StripesParams;
use crate::params;
use crate::posters::stripes as poster;
use wasm_bindgen::prelude::*;

/// The stripes page.
#[wasm_bindgen]
#[derive(Default)]
pub struct StripesDemo {
    page: StripesPage,
}

state_methods!(StripesDemo, StripesParams, page.params);

#[wasm_bindgen]
impl StripesDemo {
    /// The page at the state of a URL hash ("" for the defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<StripesDemo, JsError> {
        let p = params::from_query(query).map_err(js_error)?;
        Ok(StripesDemo {
            page: StripesPage::new(p),
        })
    }

    /// Makes (or keeps) the current state's job; whether it is finished.
    pub fn prepare(&mut self) -> Result<bool, JsError> {
        self.page.prepare().map_err(js_error)
    }

    /// A little of the job: [done, total, finished, trained (1 or 0), epochs done].
    pub fn step(&mut self) -> Result<Vec<f64>, JsError> {
        let s = self.page.step().map_err(js_error)?;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        Ok(vec![
            s.done as f64,
            s.total as f64,
            flag(s.finished),
            flag(s.trained),
            s.epochs_done as f64,
        ])
    }

    /// The job so far, as JSON.
    pub fn result(&self) -> Result<String, JsError> {
        json_result(self.page.result())
    }

    /// The pictures of the trained network (the middle horizontal training image, the first
    /// attacked test image, its false twin, DeepFool's r), as JSON.
    pub fn pictures(&self) -> Result<String, JsError> {
        json_result(self.page.pictures(SHOWN_TRAIN_IMAGE))
    }

    /// A drawing from the pad (RGBA, `w` x `h`) on the background `sign` a, classified and
    /// attacked, as JSON.
    pub fn drawing(&self, rgba: &[u8], w: usize, h: usize, sign: i32) -> Result<String, JsError> {
        json_result(self.page.drawing(rgba, w, h, sign))
    }

    /// The figure as a poster, PNG bytes.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let fig = self.page.figure().map_err(js_error)?;
        super::png_bytes(poster::poster(&self.page.params, &fig, font, scale))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let fig = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&self.page.params, &fig).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let fig = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&self.page.params, &fig).to_csv())
    }
}
