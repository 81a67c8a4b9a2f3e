//! The benchmark page's entry point (`www/bench.html`, `npm run bench`).

use super::json_result;
use crate::bench;
use wasm_bindgen::prelude::*;

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
    json_result(bench::run_all(
        &assets,
        &now,
        samples,
        min_sample_ms,
        &filter,
    ))
}

/// The heat map's forward problem for the TF.js peer on `www/bench-peers.html`: the toy's
/// trained network, the 200 x 200 grid points and the lab's logits there (see
/// [`bench::toy_forward_problem`]), as JSON.
#[wasm_bindgen]
pub fn bench_toy_forward_problem() -> Result<String, JsError> {
    json_result(Ok(bench::toy_forward_problem()))
}
