//! The image demos' binding: the attack page, the universal-perturbation page and the
//! dimension page. Each page's worker fetches the shipped data, model and result files (gzip
//! is undone by the browser's DecompressionStream) and hands the bytes over; the pages' held
//! state and jobs are [`AttackPage`], [`UniversalPage`] and [`DimensionPage`] (plain Rust),
//! and this module only converts between them and JavaScript.

use super::{js_error, json_result, json_text, state_methods};
use crate::demos::attacks::{page::AttackPage, AttackParams};
use crate::demos::dimension::{page::DimensionPage, DimensionParams};
use crate::demos::universal::{page::UniversalPage, UniversalParams};
use crate::posters::universal::EXAMPLES;
use crate::posters::{self as poster, attacks::AttackState, universal::UniversalState};
use crate::render::images::{diverging_rgba_at, diverging_scale, grey_rgba};
use ndarray::ArrayView1;
use wasm_bindgen::prelude::*;

/// A result, or its error as a `JsError`.
fn js<T>(result: Result<T, String>) -> Result<T, JsError> {
    result.map_err(js_error)
}

/// RGBA pixels of an image with values in [0, 1] (white ink on black).
#[wasm_bindgen]
pub fn image_rgba(values: &[f64], side: usize) -> Vec<u8> {
    grey_rgba(ArrayView1::from(values), side)
}

/// RGBA pixels of a perturbation (blue negative, red positive) at `scale`, or at its own
/// largest |value| if `scale` is not positive.
#[wasm_bindgen]
pub fn perturbation_rgba(values: &[f64], side: usize, scale: f64) -> Vec<u8> {
    diverging_rgba_at(ArrayView1::from(values), side, scale)
}

/// The largest |value| of a perturbation (the scale it is shown at).
#[wasm_bindgen]
pub fn perturbation_scale(values: &[f64]) -> f64 {
    diverging_scale(ArrayView1::from(values))
}

/// An image demo: its state and its page, with `new`, `needs()`, `load_data(name, pixels,
/// labels)` and the state's methods.
macro_rules! image_demo {
    ($demo:ident, $page:ident, $params:ident) => {
        #[wasm_bindgen]
        #[derive(Default)]
        pub struct $demo {
            params: $params,
            page: $page,
        }

        #[wasm_bindgen]
        impl $demo {
            #[wasm_bindgen(constructor)]
            pub fn new() -> $demo {
                $demo::default()
            }

            /// The files the state needs that are not loaded: JSON list.
            pub fn needs(&self) -> String {
                json_text(self.page.needs(&self.params))
            }

            /// Hands over a data set's gunzipped bytes (pixels and labels).
            pub fn load_data(
                &mut self,
                name: &str,
                pixels: &[u8],
                labels: &[u8],
            ) -> Result<(), JsError> {
                js(self.page.store.load_data(name, pixels, labels))
            }
        }

        state_methods!($demo, $params);
    };
}

image_demo!(AttackDemo, AttackPage, AttackParams);
image_demo!(UniversalDemo, UniversalPage, UniversalParams);
image_demo!(DimensionDemo, DimensionPage, DimensionParams);

/// The figure as a poster (PNG bytes) and its numbers (JSON, CSV), drawn by the poster module
/// `$module` from the state its `with_state` makes.
macro_rules! figure_methods {
    ($demo:ident, $module:ident) => {
        #[wasm_bindgen]
        impl $demo {
            /// The figure as a poster, PNG bytes; `font` is DejaVuSans.ttf, `scale` 0.5 to 6.
            pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
                super::png_bytes(self.with_state(|s| poster::$module::poster(s, font, scale))?)
            }

            /// The figure's numbers as JSON.
            pub fn numbers_json(&self) -> Result<String, JsError> {
                self.with_state(|s| poster::$module::numbers(s).to_json())
            }

            /// The figure's numbers as CSV, `table,row,column,value`.
            pub fn numbers_csv(&self) -> Result<String, JsError> {
                self.with_state(|s| poster::$module::numbers(s).to_csv())
            }
        }
    };
}

figure_methods!(AttackDemo, attacks);
figure_methods!(UniversalDemo, universal);

#[wasm_bindgen]
impl AttackDemo {
    /// Reads a model file for (data, model); returns its facts as JSON.
    pub fn load_model(&mut self, data: &str, model: &str, bytes: &[u8]) -> Result<String, JsError> {
        json_result(self.page.load_model(data, model, bytes))
    }

    /// Loads a model file chosen by the student as the current state's model.
    pub fn load_model_file(&mut self, bytes: &[u8]) -> Result<String, JsError> {
        json_result(self.page.load_model_file(&self.params, bytes))
    }

    /// The current model as a model file.
    pub fn model_file(&self) -> Result<Vec<u8>, JsError> {
        js(self.page.model_file(&self.params))
    }

    /// Facts about the current model (from its file, and its measured test accuracy), or null.
    pub fn model_info(&self) -> String {
        json_text(self.page.model_info(&self.params))
    }

    /// The class names of the current data set, as JSON.
    pub fn class_names(&self) -> String {
        json_text(self.params.data.class_names())
    }

    /// Runs the five attacks on the state's image: JSON of the state's attack, with `table`.
    pub fn run(&mut self) -> Result<String, JsError> {
        json_result(self.page.run(&self.params))
    }

    /// The attacks of the current state on its image, as the poster draws them.
    fn with_state<T>(&self, draw: impl FnOnce(&AttackState) -> T) -> Result<T, JsError> {
        let (x, true_label, run) = js(self.page.current(&self.params))?;
        let (params, x, run) = (&self.params, x.view(), &run);
        Ok(draw(&AttackState {
            params,
            x,
            true_label,
            run,
        }))
    }

    /// Sets the state's drawing from the pad's RGBA pixels; false (cleared) if nothing is drawn.
    pub fn set_drawing(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<bool, JsError> {
        let (next, drawn) = js(AttackPage::with_drawing(&self.params, rgba, w, h))?;
        self.params = next;
        Ok(drawn)
    }

    /// Starts the ratio table for the current model (n from the state).
    pub fn start_ratios(&mut self) -> Result<(), JsError> {
        js(self.page.start_ratios(&self.params))
    }

    /// Attacks up to `budget` more images; returns [done, total].
    pub fn ratios_step(&mut self, budget: usize) -> Result<Vec<usize>, JsError> {
        js(self.page.ratios_step(budget)).map(Vec::from)
    }

    /// The ratio table so far, as JSON {"done", "rows"}, or null.
    pub fn ratios_result(&self) -> String {
        json_text(self.page.ratios_result())
    }

    /// Hands the ratio table's next image nobody has started to a helper: [run, part, test
    /// index], or undefined (none left, or the model is not a shipped file).
    pub fn ratios_hand_out(&mut self) -> Option<Vec<u32>> {
        self.page
            .ratios_hand_out()
            .map(|v| v.iter().map(|&x| x as u32).collect())
    }

    /// Takes back an image of run `run` whose helper failed.
    pub fn ratios_take_back(&mut self, run: u32, part: u32) {
        self.page.ratios_take_back(run as usize, part as usize);
    }

    /// Puts a helper's numbers for image `part` of run `run`; whether they were taken.
    pub fn ratios_put(&mut self, run: u32, part: u32, numbers: &[f64]) -> Result<bool, JsError> {
        js(self.page.ratios_put(run as usize, part as usize, numbers))
    }

    /// Whether the table only waits for images handed out.
    pub fn ratios_waiting(&self) -> bool {
        self.page.ratios_waiting()
    }

    /// In a helper: the ratio table's nine numbers for test image `index` (the state's data,
    /// model and settings).
    pub fn ratio_image(&self, index: u32) -> Result<Vec<f64>, JsError> {
        js(self.page.ratio_image(&self.params, index as usize))
    }

    /// Starts retraining the current model with `seed` (`epochs` 0: the recipe's number).
    pub fn start_training(&mut self, seed: u32, epochs: usize) -> Result<(), JsError> {
        js(self.page.start_training(&self.params, seed, epochs))
    }

    /// One epoch; returns [epochs done, epochs in all].
    pub fn training_step(&mut self) -> Result<Vec<usize>, JsError> {
        js(self.page.training_step(&self.params)).map(Vec::from)
    }

    /// Installs the (possibly partly) trained network as the current model; returns its info.
    pub fn finish_training(&mut self) -> Result<String, JsError> {
        json_result(self.page.finish_training())
    }

    /// Drops a retrained model so the shipped one is fetched again.
    pub fn forget_model(&mut self) {
        self.page.forget_model(&self.params);
    }
}

#[wasm_bindgen]
impl UniversalDemo {
    /// Reads a model file for (data, model); returns its facts as JSON.
    pub fn load_model(&mut self, data: &str, model: &str, bytes: &[u8]) -> Result<String, JsError> {
        json_result(self.page.load_model(data, model, bytes))
    }

    /// The shipped perturbations' file for the state's data set if not loaded yet, else "".
    pub fn shipped_file(&self) -> String {
        self.page.shipped_file(&self.params)
    }

    /// Hands over the shipped perturbations file of the state's data set.
    pub fn load_shipped(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        js(self.page.load_shipped(&self.params, bytes))
    }

    /// Starts the job (search for v, then its fooling rates) on the model `source`.
    pub fn start(&mut self, source: &str) -> Result<(), JsError> {
        js(self.page.start(&self.params, source))
    }

    /// Leaves all but `own_share` of `model`'s test images to another worker: [from, to] or [].
    pub fn delegate(&mut self, model: &str, own_share: f64) -> Result<Vec<usize>, JsError> {
        js(self.page.delegate(&self.params, model, own_share))
    }

    /// The counts of a delegated part: test images changed by v and by the noise.
    pub fn add_delegated(
        &mut self,
        model: &str,
        fooled_v: usize,
        fooled_noise: usize,
    ) -> Result<(), JsError> {
        js(self.page.add_delegated(model, fooled_v, fooled_noise))
    }

    /// Measures a delegated part here after all.
    pub fn take_back(&mut self, model: &str) -> Result<(), JsError> {
        js(self.page.take_back(model))
    }

    /// The perturbation of the job (final, or the search's so far).
    pub fn v(&self) -> Result<Vec<f64>, JsError> {
        js(self.page.v())
    }

    /// A helper's share: of test images from..to, [fooled by v, by noise] on `model`.
    pub fn fooled_part(
        &self,
        model: &str,
        v: &[f64],
        from: usize,
        to: usize,
    ) -> Result<Vec<usize>, JsError> {
        js(self.page.fooled_part(&self.params, model, v, from, to)).map(Vec::from)
    }

    /// A step; returns [done, total, finished, v ready, models measured, all measured here].
    pub fn step(&mut self, budget: usize) -> Result<Vec<usize>, JsError> {
        js(self.page.step(&self.params, budget)).map(Vec::from)
    }

    /// Ends the search with the v found so far (after a cancel); its rates are then measured.
    pub fn stop_search(&mut self) {
        self.page.stop_search();
    }

    /// The perturbation and what it does so far (v, its rates on every model measured): JSON.
    pub fn result(&self) -> Result<String, JsError> {
        json_result(self.page.result())
    }

    /// The job's figure: v, its rates measured so far and the page's examples.
    fn with_state<T>(&self, draw: impl FnOnce(&UniversalState) -> T) -> Result<T, JsError> {
        let (job, test, net) = js(self.page.figure())?;
        let state = UniversalState::of(job.params(), job, test, net, EXAMPLES);
        Ok(draw(&state))
    }

    /// A test image (the i-th in the fixed mixed order) with and without v, and their labels.
    pub fn example(&self, i: usize) -> Result<String, JsError> {
        json_result(self.page.example(&self.params, i))
    }
}

#[wasm_bindgen]
impl DimensionDemo {
    /// The shipped classifiers' file for the state's data set if not loaded yet, else "".
    pub fn shipped_file(&self) -> String {
        self.page.shipped_file(&self.params)
    }

    /// Hands over a shipped classifiers file.
    pub fn load_shipped(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        js(self.page.load_shipped(bytes))
    }

    /// Starts the experiment (everything but eps matters; eps only scales the readout).
    pub fn start(&mut self) -> Result<(), JsError> {
        js(self.page.start(&self.params))
    }

    /// One unit of work; returns [done, total, sizes measured].
    pub fn step(&mut self) -> Result<Vec<usize>, JsError> {
        js(self.page.step(&self.params)).map(Vec::from)
    }

    /// The figure of the rows measured so far as a poster, PNG bytes (as the others').
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let (rows, shipped) = self.page.rows();
        let poster = poster::dimension::poster(&self.params, rows, shipped, font, scale);
        super::png_bytes(poster)
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let (rows, shipped) = self.page.rows();
        Ok(poster::dimension::numbers(&self.params, rows, shipped).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let (rows, shipped) = self.page.rows();
        Ok(poster::dimension::numbers(&self.params, rows, shipped).to_csv())
    }

    /// The rows measured so far, with eps ||w'||_1 at the state's eps: JSON.
    pub fn result(&self) -> String {
        json_text(self.page.result(&self.params))
    }
}
