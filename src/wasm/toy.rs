//! The toy demo's binding, forwarding to [`crate::demos::toy::ToyLab`].

use super::{js_error, json_text};
use crate::demos::toy::{class_colours, ToyLab, ToyParams};
use crate::params;
use crate::posters::toy as poster;
use crate::render::decision::DecisionMap;
use wasm_bindgen::prelude::*;

/// One rendering of the decision map.
#[wasm_bindgen]
pub struct DecisionFrame(DecisionMap);

#[wasm_bindgen]
impl DecisionFrame {
    /// RGBA pixels, row 0 at the top (y largest).
    pub fn rgba(&self) -> Vec<u8> {
        self.0.rgba.clone()
    }
    /// Boundary segments, flattened: x0, y0, x1, y1, ... in data coordinates.
    pub fn boundary(&self) -> Vec<f64> {
        self.0.boundary.iter().flatten().copied().collect()
    }
    /// The data window [x0, x1, y0, y1].
    pub fn view(&self) -> Vec<f64> {
        self.0.grid.view.to_vec()
    }
    pub fn size(&self) -> usize {
        self.0.grid.size
    }
}

/// The toy demo (decision boundaries and DeepFool in 2-D) for the page.
#[wasm_bindgen]
pub struct ToyDemo {
    lab: ToyLab,
}

#[wasm_bindgen]
impl ToyDemo {
    /// Starts untrained from a URL hash ("" for the defaults); see `train_to_target`.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<ToyDemo, JsError> {
        let lab = ToyLab::new(params::from_query(query).map_err(js_error)?);
        Ok(ToyDemo { lab })
    }

    /// The state's schema (keys, kinds, ranges, labels) as JSON, for building controls.
    pub fn schema() -> String {
        params::schema_json::<ToyParams>()
    }

    /// The class colours as CSS hex strings, as JSON (the same the decision map uses).
    pub fn class_colours_json() -> String {
        json_text(class_colours())
    }

    /// Replaces the state from a URL hash. Returns true if training starts again.
    pub fn set_query(&mut self, query: &str) -> Result<bool, JsError> {
        self.lab.set_query(query).map_err(js_error)
    }

    /// Replaces the state from a link, keeping every key it can read: JSON {restart, dropped}.
    pub fn set_link(&mut self, query: &str) -> String {
        json_text(self.lab.set_link(query))
    }

    /// Replaces the state from a JSON object; returns true if training starts again.
    pub fn set_state_json(&mut self, json: &str) -> Result<bool, JsError> {
        self.lab.set_state_json(json).map_err(js_error)
    }

    /// The state as a URL hash (without '#').
    pub fn query(&self) -> String {
        params::to_query(self.lab.params())
    }

    /// The state as a JSON object.
    pub fn state_json(&self) -> String {
        params::to_json(self.lab.params())
    }

    pub fn epochs_done(&self) -> usize {
        self.lab.epochs_done()
    }

    pub fn epochs_to_target(&self) -> usize {
        self.lab.epochs_to_target()
    }

    /// Trains at most `max_epochs` towards the state's epoch count; returns how many remain.
    pub fn train_to_target(&mut self, max_epochs: usize) -> usize {
        self.lab.train_to_target(max_epochs)
    }

    /// Stops at the epochs done so far (a cancelled training run).
    pub fn settle(&mut self) {
        self.lab.settle();
    }

    /// Trains one more epoch (the state's epoch count grows with it).
    pub fn step_epoch(&mut self) {
        self.lab.step_epoch();
    }

    /// Renders the decision map at `size` x `size` pixels (1 to 1024).
    pub fn decision_frame(&self, size: usize) -> Result<DecisionFrame, JsError> {
        self.lab
            .decision_frame(size)
            .map(DecisionFrame)
            .map_err(js_error)
    }

    /// Training points, flattened: x0, y0, x1, y1, ...
    pub fn points(&self) -> Vec<f64> {
        self.lab.data().x.iter().copied().collect()
    }

    /// Training labels, one per point.
    pub fn labels(&self) -> Vec<u8> {
        self.lab.data().y.iter().map(|&y| y as u8).collect()
    }

    /// Mean training loss of every epoch so far.
    pub fn history_loss(&self) -> Vec<f64> {
        self.lab.history().iter().map(|s| s.loss).collect()
    }

    /// Training accuracy of every epoch so far (as seen during the epoch).
    pub fn history_accuracy(&self) -> Vec<f64> {
        self.lab.history().iter().map(|s| s.accuracy).collect()
    }

    /// JSON {"train_loss", "train_accuracy", "epochs", "n_params"} of the current network.
    pub fn metrics_json(&self) -> String {
        json_text(self.lab.metrics())
    }

    /// DeepFool and FGSM from the state's point as JSON (`null` without a point).
    pub fn attack_json(&self) -> String {
        json_text(self.lab.attack())
    }

    /// The figure as a poster, PNG bytes (`font`: DejaVuSans.ttf's bytes, `scale` 0.5 to 6).
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(poster::poster(&self.lab, font, scale))
    }

    /// The figure's numbers as JSON (see [`crate::render::numbers`]).
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(poster::numbers(&self.lab).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(poster::numbers(&self.lab).to_csv())
    }

    /// Attacks the training point within `radius` of (x, y), or (x, y); false (no restart).
    pub fn click(&mut self, x: f64, y: f64, radius: f64) -> Result<bool, JsError> {
        self.lab.click(x, y, radius).map_err(js_error)
    }
}
