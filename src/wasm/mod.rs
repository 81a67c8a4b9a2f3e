//! The WebAssembly binding: the only module that touches wasm-bindgen, web-sys and js-sys.
//!
//! It wraps the plain-Rust experiments for the pages' workers (`www/js/*-worker.js`). The
//! state crosses as text (a URL hash or a JSON object) and is validated by
//! [`crate::params`] on the way in; results cross as JSON text or typed arrays copied out of
//! wasm memory. Every fallible call returns `Result<_, JsError>`, so bad input becomes a
//! JavaScript exception with a message, never a panic.
//!
//! - [`toy`]: the 2-D decision-boundary demo, and the benchmark entry point.
//! - [`images`]: the image demos (attacks, universal perturbations, dimension), sharing the
//!   loaded data sets and models.
//! - [`mri`]: the MRI page (sampling, reconstructions, the kernel view, convergence).

pub mod images;
pub mod mri;
pub mod toy;

pub use images::{AttackDemo, DimensionDemo, UniversalDemo};
pub use mri::MriDemo;
pub use toy::{bench_run, DecisionFrame, ToyDemo};

use wasm_bindgen::prelude::*;

pub(crate) fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Sends panic messages to the console (a panic is a bug: every input error is a `JsError`).
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!(
            "barriers-lab panicked: {info}"
        )));
    }));
}
