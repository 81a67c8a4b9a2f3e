//! The toy demo's binding, and the benchmark entry point.

use super::js_error;
use crate::bench;
use crate::demos::toy::{ToyLab, ToyParams};
use crate::params;
use crate::posters as poster;
use wasm_bindgen::prelude::*;

/// The largest decision map the binding renders, in pixels per side.
const MAX_MAP_SIZE: usize = 1024;

/// One rendering of the decision map.
#[wasm_bindgen]
pub struct DecisionFrame {
    rgba: Vec<u8>,
    boundary: Vec<f64>,
    view: Vec<f64>,
    size: usize,
}

#[wasm_bindgen]
impl DecisionFrame {
    /// RGBA pixels, row 0 at the top (y largest).
    pub fn rgba(&self) -> Vec<u8> {
        self.rgba.clone()
    }
    /// Boundary segments, flattened: x0, y0, x1, y1, ... in data coordinates.
    pub fn boundary(&self) -> Vec<f64> {
        self.boundary.clone()
    }
    /// The data window [x0, x1, y0, y1].
    pub fn view(&self) -> Vec<f64> {
        self.view.clone()
    }
    pub fn size(&self) -> usize {
        self.size
    }
}

/// The toy demo (decision boundaries and DeepFool in 2-D) for the page.
#[wasm_bindgen]
pub struct ToyDemo {
    lab: ToyLab,
}

#[wasm_bindgen]
impl ToyDemo {
    /// Starts from a URL hash (empty for the defaults). Training to the state's epoch count
    /// is left to [`ToyDemo::train_to_target`], so the caller can show progress.
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<ToyDemo, JsError> {
        let p: ToyParams = params::from_query(query).map_err(js_error)?;
        Ok(ToyDemo {
            lab: ToyLab::new(p),
        })
    }

    /// The state's schema (keys, kinds, ranges, labels) as JSON, for building controls.
    pub fn schema() -> String {
        params::schema_json::<ToyParams>()
    }

    /// The class colours as CSS hex strings, as JSON (the same the decision map uses).
    pub fn class_colours_json() -> String {
        let hex: Vec<String> = crate::render::CLASS_COLOURS
            .iter()
            .map(|c| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]))
            .collect();
        serde_json::to_string(&hex).unwrap_or_else(|_| "[]".into())
    }

    /// Replaces the state from a URL hash. Returns true if training starts again.
    pub fn set_query(&mut self, query: &str) -> Result<bool, JsError> {
        let p = params::from_query(query).map_err(js_error)?;
        Ok(self.lab.set_params(p))
    }

    /// Replaces the state from a link, keeping every key it can read. Returns JSON
    /// `{"restart": whether training starts again, "dropped": [messages]}`.
    pub fn set_link(&mut self, query: &str) -> String {
        let (p, dropped) = params::from_query_lenient(query);
        let restart = self.lab.set_params(p);
        format!(
            "{{\"restart\":{restart},\"dropped\":{}}}",
            super::dropped_json(&dropped)
        )
    }

    /// Replaces the state from a JSON object (a saved file, or the page's controls).
    /// Returns true if training starts again.
    pub fn set_state_json(&mut self, json: &str) -> Result<bool, JsError> {
        let p = params::from_json(json).map_err(js_error)?;
        Ok(self.lab.set_params(p))
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
        if !(1..=MAX_MAP_SIZE).contains(&size) {
            return Err(JsError::new(&format!(
                "map size must be from 1 to {MAX_MAP_SIZE} pixels, got {size}"
            )));
        }
        let map = self.lab.decision_map(size);
        Ok(DecisionFrame {
            rgba: map.rgba,
            boundary: map.boundary.iter().flatten().copied().collect(),
            view: map.grid.view.to_vec(),
            size,
        })
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

    /// Loss and accuracy of the current network on all training points, and its size, as
    /// JSON: {"train_loss", "train_accuracy", "epochs", "n_params"}.
    pub fn metrics_json(&self) -> String {
        let m = self.lab.train_metrics();
        serde_json::json!({
            "train_loss": m.loss,
            "train_accuracy": m.accuracy,
            "epochs": self.lab.epochs_done(),
            "n_params": self.lab.net().n_params(),
        })
        .to_string()
    }

    /// DeepFool and FGSM from the state's point as JSON (`null` without a point).
    pub fn attack_json(&self) -> String {
        serde_json::to_string(&self.lab.attack()).unwrap_or_else(|_| "null".into())
    }

    /// The figure of the current state as a poster, PNG bytes (see
    /// [`crate::posters::toy`]); `font` is the bytes of `www/fonts/DejaVuSans.ttf`,
    /// `scale` 0.5 to 6 (2 for exports).
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(poster::toy::poster(&self.lab, font, scale))
    }

    /// The figure's numbers as JSON (see [`crate::render::numbers`]).
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(poster::toy::numbers(&self.lab).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(poster::toy::numbers(&self.lab).to_csv())
    }

    /// Attacks the point clicked at (x, y): the nearest training point within `radius`, or
    /// (x, y) itself. Returns true if training starts again (it never does).
    pub fn click(&mut self, x: f64, y: f64, radius: f64) -> Result<bool, JsError> {
        let p = ToyParams {
            point: Some(self.lab.click_point(x, y, radius)),
            ..self.lab.params().clone()
        };
        params::validate(&p).map_err(js_error)?;
        Ok(self.lab.set_params(p))
    }
}

/// Runs the benchmark kernels (see [`crate::bench`]) whose name contains `filter` ("" for
/// all) with `performance.now()` and returns the measurements as JSON. The page passes the
/// gunzipped MNIST bytes, the MLP and CNN model files, the gunzipped Colin27 stacks (128 and
/// 64) and the reconstruction network's file.
#[wasm_bindgen]
// One argument per asset crosses the JavaScript boundary as a typed array each.
#[allow(clippy::too_many_arguments)]
pub fn bench_run(
    samples: usize,
    min_sample_ms: f64,
    mnist_pixels: Vec<u8>,
    mnist_labels: Vec<u8>,
    mlp: Vec<u8>,
    cnn: Vec<u8>,
    colin27_128: Vec<u8>,
    colin27_64: Vec<u8>,
    recon_net: Vec<u8>,
    filter: String,
) -> Result<String, JsError> {
    let assets = bench::BenchAssets {
        mnist_pixels,
        mnist_labels,
        mlp,
        cnn,
        colin27_128,
        colin27_64,
        recon_net,
    };
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .ok_or_else(|| JsError::new("performance.now() is not available here"))?;
    let now = move || perf.now();
    let results =
        bench::run_all(&assets, &now, samples, min_sample_ms, &filter).map_err(js_error)?;
    serde_json::to_string(&results).map_err(|e| JsError::new(&e.to_string()))
}
