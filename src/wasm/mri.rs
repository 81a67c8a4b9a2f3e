//! The MRI page's binding, forwarding to [`crate::demos::mri::MriPage`]. The worker fetches
//! the Colin27 stacks (gunzipped by the browser) and hands over the bytes, and the student's
//! picture as RGBA; everything else is computed there. The reconstructions are stepped a few
//! iterations at a time by the worker, which posts a frame after each chunk, so the page
//! shows the iterates as they converge.

use super::{js_error, json_result, json_text, state_methods};
use crate::demos::mri::{MriPage, MriParams};
use wasm_bindgen::prelude::*;

/// The MRI page.
#[wasm_bindgen]
#[derive(Default)]
pub struct MriDemo {
    page: MriPage,
}

state_methods!(MriDemo, MriParams, page.params);

#[wasm_bindgen]
impl MriDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> MriDemo {
        MriDemo::default()
    }

    /// Changes the image size, adapting what depends on it (wavelet levels, a painted mask).
    pub fn set_size(&mut self, size: &str) -> Result<(), JsError> {
        self.page.set_size(size).map_err(js_error)
    }

    /// The part of the state that decides the computed figure (as a URL hash).
    pub fn build_key(&self) -> String {
        self.page.build_key()
    }

    /// The Colin27 files the state needs and are not loaded: JSON [{side, file}].
    pub fn needs(&self) -> String {
        json_text(self.page.needs())
    }

    /// Hands over a gunzipped Colin27 stack of the given side.
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), JsError> {
        self.page.load_slices(side, bytes).map_err(js_error)
    }

    /// The student's picture (RGBA, w x h): kept at every size; the state switches to it.
    pub fn set_upload(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), JsError> {
        self.page.set_upload(rgba, w, h).map_err(js_error)
    }

    /// Builds the figure for the current state; returns facts about it as JSON.
    pub fn start(&mut self) -> Result<String, JsError> {
        json_result(self.page.start())
    }

    /// One iteration of every unfinished reconstruction; returns [done, total, finished].
    pub fn step(&mut self) -> Result<Vec<usize>, JsError> {
        self.page.step().map(Vec::from).map_err(js_error)
    }

    /// The figure's numbers (quality of every method, the kernel view's norms) as JSON.
    pub fn report(&self) -> Result<String, JsError> {
        json_result(self.page.report())
    }

    /// RGBA pixels of one picture ("truth", "kspace", "mask", "recon:METHOD", ...).
    pub fn picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        self.page.picture(which).map_err(js_error)
    }

    /// The figure as a poster, PNG bytes; `font` is the bytes of `www/fonts/DejaVuSans.ttf`,
    /// `scale` 0.5 to 6.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let exp = self.page.figure().map_err(js_error)?;
        super::png_bytes(crate::posters::mri::poster(exp, font, scale))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let exp = self.page.figure().map_err(js_error)?;
        Ok(crate::posters::mri::numbers(exp).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let exp = self.page.figure().map_err(js_error)?;
        Ok(crate::posters::mri::numbers(exp).to_csv())
    }

    /// The largest |z| of the kernel view's invisible part (the scale its picture uses).
    pub fn kernel_scale(&self) -> Result<f64, JsError> {
        self.page.kernel_scale().map_err(js_error)
    }

    /// Paints discs of `radius` around (row, column) points of centred k-space on the mask.
    pub fn paint(&mut self, points: &[f64], radius: f64, add: bool) -> Result<(), JsError> {
        self.page.paint(points, radius, add).map_err(js_error)
    }

    /// A mask picture (RGBA, n x n, light = sampled) becomes the painted mask.
    pub fn load_mask_rgba(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), JsError> {
        self.page.load_mask_rgba(rgba, w, h).map_err(js_error)
    }

    /// Starts the convergence comparison on the current figure.
    pub fn start_convergence(&mut self) -> Result<(), JsError> {
        self.page.start_convergence().map_err(js_error)
    }

    /// A few steps; returns [done, total, finished] ([0, 0, 1] after a new figure).
    pub fn convergence_step(&mut self) -> Vec<usize> {
        self.page
            .convergence_step()
            .map_or(vec![0, 0, 1], Vec::from)
    }

    /// The convergence curves (error and objective gap per step, restart gaps, slope) as JSON.
    pub fn convergence_result(&self) -> Result<String, JsError> {
        json_result(self.page.convergence_result())
    }
}
