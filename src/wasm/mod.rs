//! The WebAssembly binding: the only module that touches wasm-bindgen, web-sys and js-sys.
//!
//! It wraps the plain-Rust experiments for the pages' workers (`www/js/*-worker.js`). The
//! state crosses as text (a URL hash or a JSON object) and is validated by
//! [`crate::params`] on the way in; results cross as JSON text or typed arrays copied out of
//! wasm memory. Every fallible call returns `Result<_, JsError>`, so bad input becomes a
//! JavaScript exception with a message, never a panic.
//!
//! - [`toy`]: the 2-D decision-boundary demo; [`bench`]: the benchmark entry point.
//! - [`images`]: the image demos (attacks, universal perturbations, dimension), sharing the
//!   loaded data sets and models.
//! - [`mri`]: the MRI page (sampling, reconstructions, the kernel view, convergence).
//! - [`unstable`]: the unstable-network page (the instability test, kernel awareness, a
//!   structural change, more samples, the trade-off plot).
//! - [`inexact`]: the inexact-input page (one cell of the barrier, the nine-cell table).
//! - [`kernel1d`]: the 1-D troublesome-kernel page (two trainings, the evaluation, the sweep).
//! - [`stripes`]: the false-structures page (the stripes network's training, scores,
//!   DeepFool, and a drawn stripe).

pub mod bench;
pub mod images;
pub mod inexact;
pub mod kernel1d;
pub mod mri;
pub mod stripes;
pub mod toy;
pub mod unstable;

pub use bench::bench_run;
pub use images::{AttackDemo, DimensionDemo, UniversalDemo};
pub use inexact::InexactDemo;
pub use kernel1d::Kernel1dDemo;
pub use mri::MriDemo;
pub use stripes::StripesDemo;
pub use toy::{DecisionFrame, ToyDemo};
pub use unstable::UnstableDemo;

use wasm_bindgen::prelude::*;

pub(crate) fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A poster as PNG bytes, or its error as a `JsError`.
pub(crate) fn png_bytes(
    canvas: Result<crate::render::raster::Canvas, String>,
) -> Result<Vec<u8>, JsError> {
    canvas.and_then(|c| c.to_png()).map_err(js_error)
}

/// A plain-Rust result as JSON text, or its error as a `JsError` (what most forwarders return).
pub(crate) fn json_result<T: serde::Serialize>(r: Result<T, String>) -> Result<String, JsError> {
    r.and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string()))
        .map_err(js_error)
}

/// A result that cannot fail to serialise (no maps with non-text keys) as JSON text.
pub(crate) fn json_text(v: impl serde::Serialize) -> String {
    serde_json::to_string(&v).unwrap_or_else(|_| "null".into())
}

/// What a lenient link reader dropped, as a JSON list of messages.
pub(crate) fn dropped_json(dropped: &[crate::params::ParamError]) -> String {
    let list: Vec<String> = dropped.iter().map(|e| e.to_string()).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// The methods every demo with a `params` field has: its schema, and its state through links
/// and files (validated by [`crate::params`]; a refused one changes nothing). A third argument
/// names where the state is held when it is not `self.params` (`page.params`).
macro_rules! state_methods {
    ($demo:ident, $params:ty) => {
        $crate::wasm::state_methods!($demo, $params, params);
    };
    ($demo:ident, $params:ty, $($field:ident).+) => {
        #[wasm_bindgen]
        impl $demo {
            /// The state's schema (keys, kinds, ranges, labels) as JSON.
            pub fn schema() -> String {
                $crate::params::schema_json::<$params>()
            }

            /// Replaces the state from a URL hash; a refused one changes nothing.
            pub fn set_query(&mut self, query: &str) -> Result<(), JsError> {
                self.$($field).+ = $crate::params::from_query(query).map_err($crate::wasm::js_error)?;
                Ok(())
            }

            /// Replaces the state from a link, keeping every key it can read; returns what it
            /// dropped, as a JSON list of messages (empty for a good link).
            pub fn set_link(&mut self, query: &str) -> String {
                let (p, dropped) = $crate::params::from_query_lenient(query);
                self.$($field).+ = p;
                $crate::wasm::dropped_json(&dropped)
            }

            /// Replaces the state from a JSON object (a file, or the page's controls).
            pub fn set_state_json(&mut self, json: &str) -> Result<(), JsError> {
                self.$($field).+ = $crate::params::from_json(json).map_err($crate::wasm::js_error)?;
                Ok(())
            }

            /// The state as a URL hash (without '#').
            pub fn query(&self) -> String {
                $crate::params::to_query(&self.$($field).+)
            }

            /// The state as a JSON object.
            pub fn state_json(&self) -> String {
                $crate::params::to_json(&self.$($field).+)
            }
        }
    };
}
pub(crate) use state_methods;

/// Sends panic messages to the console (a panic is a bug: every input error is a `JsError`).
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!(
            "barriers-lab panicked: {info}"
        )));
    }));
}
