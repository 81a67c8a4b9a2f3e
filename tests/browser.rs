//! The WebAssembly binding, exercised in headless Chromium (`wasm-pack test --headless
//! --chrome`, or `npm test`): what the page's worker calls, with good and bad input.
#![cfg(target_arch = "wasm32")]

use barriers_lab::wasm::{bench_run, ToyDemo};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const LINK: &str = "data=moons&n=200&noise=0.1&classes=3&seed=7&model=mlp&hidden=16,16&activation=relu&optimizer=adam&lr=0.01&batch=32&epochs=300&point=0.5,0.25&norm=l2&overshoot=0.02&max_iter=50&eps=0.1";

fn trained(query: &str) -> ToyDemo {
    let mut demo = ToyDemo::new(query).expect("valid link");
    assert_eq!(demo.train_to_target(usize::MAX), 0);
    demo
}

#[wasm_bindgen_test]
fn link_round_trips_and_trains_to_its_epochs() {
    let demo = trained(LINK);
    assert_eq!(demo.query(), LINK);
    assert_eq!(demo.epochs_done(), 300);
    let m: serde_json::Value = serde_json::from_str(&demo.metrics_json()).unwrap();
    assert!(m["train_accuracy"].as_f64().unwrap() >= 0.97, "{m}");
}

#[wasm_bindgen_test]
fn deepfool_flips_the_clicked_point() {
    let demo = trained(LINK);
    let a: serde_json::Value = serde_json::from_str(&demo.attack_json()).unwrap();
    let df = &a["deepfool"];
    assert_ne!(df["adv_label"], a["label"]);
    assert_eq!(df["stop"], "flipped");
    assert!(df["size"]["r_l2"].as_f64().unwrap() > 0.0);
    assert_eq!(
        a["iterates"].as_array().unwrap().len(),
        df["iterations"].as_u64().unwrap() as usize + 1
    );
}

#[wasm_bindgen_test]
fn decision_frame_has_the_right_shape() {
    let demo = trained(LINK);
    let f = demo.decision_frame(200).unwrap();
    assert_eq!(f.rgba().len(), 200 * 200 * 4);
    assert_eq!(f.boundary().len() % 4, 0);
    assert!(!f.boundary().is_empty());
    assert_eq!(f.view().len(), 4);
    assert!(demo.decision_frame(0).is_err());
    assert!(demo.decision_frame(1_000_000).is_err());
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_not_a_panic() {
    for bad in [
        "n=-5",
        "noise=NaN",
        "hidden=16,999999",
        "seed=x",
        "point=1",
        "data=mnist",
        "bogus=1",
        "lr=%zz",
    ] {
        assert!(ToyDemo::new(bad).is_err(), "{bad} was accepted");
    }
    let mut demo = ToyDemo::new("").unwrap();
    let before = demo.query();
    assert!(demo.set_state_json("{\"n\": \"many\"}").is_err());
    assert!(demo.set_state_json("not json").is_err());
    assert!(demo.set_query("eps=-1").is_err());
    assert!(demo.click(f64::NAN, 0.0, 0.1).is_err());
    assert!(demo.click(1e9, 0.0, 0.1).is_err());
    // A refused change leaves the state as it was.
    assert_eq!(demo.query(), before);
}

#[wasm_bindgen_test]
fn clicking_snaps_to_a_training_point() {
    let mut demo = ToyDemo::new("epochs=0").unwrap();
    let pts = demo.points();
    assert!(!demo.click(pts[0] + 1e-4, pts[1], 0.05).unwrap());
    let a: serde_json::Value = serde_json::from_str(&demo.attack_json()).unwrap();
    assert_eq!(a["point"][0].as_f64().unwrap(), pts[0]);
    assert_eq!(a["point"][1].as_f64().unwrap(), pts[1]);
}

#[wasm_bindgen_test]
fn benchmark_harness_runs_with_the_browser_clock() {
    let out: serde_json::Value = serde_json::from_str(&bench_run(3, 1.0).unwrap()).unwrap();
    let names: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["toy_heatmap_200", "toy_deepfool", "toy_train_epoch"]
    );
    assert!(out[0]["median_ms"].as_f64().unwrap() > 0.0);
}
