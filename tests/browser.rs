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

/// `npm run bench` drives the real harness; here, bad assets are an error, not a panic.
#[wasm_bindgen_test]
fn benchmark_harness_refuses_bad_assets() {
    assert!(bench_run(
        3,
        1.0,
        vec![0; 10],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        String::new()
    )
    .is_err());
}

// ---------------------------------------------------------------------------------------
// The image demos' binding, on the shipped 8 x 8 digits and Fashion-MNIST, in Chromium.

use barriers_lab::wasm::{AttackDemo, DimensionDemo, UniversalDemo};
use std::io::Read;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn digits() -> (Vec<u8>, Vec<u8>) {
    (
        gunzip(include_bytes!("../www/data/sklearn_digits_u8_8x8.bin.gz")),
        gunzip(include_bytes!(
            "../www/data/sklearn_digits_labels_u8.bin.gz"
        )),
    )
}

const DIGITS_MLP: &[u8] = include_bytes!("../www/models/digits-mlp.blm");
const DIGITS_LINEAR: &[u8] = include_bytes!("../www/models/digits-linear.blm");
const DIGITS_CNN: &[u8] = include_bytes!("../www/models/digits-cnn.blm");

fn attack_demo(query: &str) -> AttackDemo {
    let mut d = AttackDemo::new();
    d.set_query(query).unwrap();
    let (p, l) = digits();
    d.load_data("digits", &p, &l).unwrap();
    d.load_model("digits", "mlp", DIGITS_MLP).unwrap();
    d
}

#[wasm_bindgen_test]
fn attack_page_needs_then_runs_every_attack() {
    let mut d = AttackDemo::new();
    d.set_query("data=digits&model=mlp&index=5").unwrap();
    let needs: serde_json::Value = serde_json::from_str(&d.needs()).unwrap();
    assert_eq!(needs.as_array().unwrap().len(), 2, "{needs}");
    assert!(
        d.run().is_err(),
        "running before the data is loaded must be an error"
    );
    let mut d = attack_demo("data=digits&model=mlp&index=5");
    assert_eq!(d.needs(), "[]");
    let o: serde_json::Value = serde_json::from_str(&d.run().unwrap()).unwrap();
    assert_eq!(o["table"].as_array().unwrap().len(), 5);
    assert_eq!(o["success"], true);
    assert_eq!(o["image"].as_array().unwrap().len(), 64);
    assert_eq!(
        o["steps"].as_array().unwrap().len(),
        o["iterations"].as_u64().unwrap() as usize
    );
}

/// A change of eps reruns only FGSM's step: the other attacks' rows stay, FGSM's step moves,
/// its flipping eps stays, and it is what a fresh page computes at that eps.
#[wasm_bindgen_test]
fn the_fgsm_slider_recomputes_only_fgsm() {
    let json = |t: String| serde_json::from_str::<serde_json::Value>(&t).unwrap();
    let mut d = attack_demo("data=digits&model=cnn&index=3&attack=fgsm&eps=0.05");
    d.load_model("digits", "cnn", DIGITS_CNN).unwrap();
    let a = json(d.run().unwrap());
    d.set_query("data=digits&model=cnn&index=3&attack=fgsm&eps=0.3")
        .unwrap();
    let b = json(d.run().unwrap());
    for i in [0, 1, 3, 4] {
        assert_eq!(a["table"][i], b["table"][i]);
    }
    assert_eq!(a["flip_eps"], b["flip_eps"]);
    assert_ne!(a["r_linf"], b["r_linf"]);
    let mut fresh = attack_demo("data=digits&model=cnn&index=3&attack=fgsm&eps=0.3");
    fresh.load_model("digits", "cnn", DIGITS_CNN).unwrap();
    assert_eq!(json(fresh.run().unwrap()), b);
}

#[wasm_bindgen_test]
fn attack_page_refuses_bad_input() {
    let mut d = attack_demo("data=digits&model=mlp");
    for bad in [
        "index=400&data=digits",
        "eps=2",
        "attack=pgd",
        "drawing=%%%",
        "drawing=AAAA&data=digits",
        "n=0",
    ] {
        assert!(d.set_query(bad).is_err(), "{bad} was accepted");
    }
    assert!(d.load_model("digits", "mlp", b"not a model").is_err());
    assert!(
        d.load_model("mnist", "mlp", DIGITS_MLP).is_err(),
        "an 8 x 8 model does not fit MNIST"
    );
    assert!(d.set_drawing(&[0; 10], 5, 5).is_err());
    assert!(
        !d.set_drawing(&[255; 400], 10, 10).unwrap(),
        "an empty (white) pad is no drawing"
    );
    assert!(d.ratios_step(1).is_err());
    // Nothing above changed the state.
    assert_eq!(d.query(), "data=digits&model=mlp&index=0&drawing=&attack=deepfool&eps=0.1&seed=1&overshoot=0.02&max_iter=50&n=100&bounds=pixels");
}

#[wasm_bindgen_test]
fn a_drawing_becomes_the_attacked_image_and_its_link() {
    let mut d = attack_demo("data=digits&model=mlp");
    // A dark bar on a white pad.
    let mut rgba = vec![255u8; 4 * 100 * 100];
    for y in 10..90 {
        for x in 45..55 {
            rgba[4 * (y * 100 + x)..4 * (y * 100 + x) + 3].fill(0);
        }
    }
    assert!(d.set_drawing(&rgba, 100, 100).unwrap());
    let q = d.query();
    assert!(q.contains("drawing=") && !q.contains("drawing=&"));
    let o: serde_json::Value = serde_json::from_str(&d.run().unwrap()).unwrap();
    assert_eq!(o["true_label"], serde_json::Value::Null);
    // The link restores the same pixels.
    let mut again = attack_demo(&q);
    let o2: serde_json::Value = serde_json::from_str(&again.run().unwrap()).unwrap();
    assert_eq!(o["image"], o2["image"]);
    again.set_query("data=digits").unwrap();
}

#[wasm_bindgen_test]
fn ratio_table_and_retraining_step_to_the_end() {
    let mut d = attack_demo("data=digits&model=mlp&n=20");
    d.start_ratios().unwrap();
    loop {
        let p = d.ratios_step(3).unwrap();
        if p[0] >= p[1] {
            break;
        }
    }
    let r: serde_json::Value = serde_json::from_str(&d.ratios_result()).unwrap();
    assert_eq!(r["rows"][2]["images"], 20);
    d.start_training(1, 2).unwrap();
    assert_eq!(d.training_step().unwrap(), vec![1, 2]);
    assert_eq!(d.training_step().unwrap(), vec![2, 2]);
    let info: serde_json::Value = serde_json::from_str(&d.finish_training().unwrap()).unwrap();
    assert_eq!(info["epochs"], 2);
    let file = d.model_file().unwrap();
    assert!(file.starts_with(b"barriers-lab-model 1\n"));
}

#[wasm_bindgen_test]
fn universal_page_computes_v_and_its_transfer_row() {
    let mut d = UniversalDemo::new();
    d.set_query("data=digits&n=100&xi=0.3&max_passes=2")
        .unwrap();
    let (p, l) = digits();
    d.load_data("digits", &p, &l).unwrap();
    for (m, bytes) in [
        ("linear", DIGITS_LINEAR),
        ("mlp", DIGITS_MLP),
        ("cnn", DIGITS_CNN),
    ] {
        d.load_model("digits", m, bytes).unwrap();
    }
    assert_eq!(d.needs(), "[]");
    d.start("mlp").unwrap();
    while d.step(25).unwrap()[2] == 0 {}
    let r: serde_json::Value = serde_json::from_str(&d.result().unwrap()).unwrap();
    assert_eq!(r["v"].as_array().unwrap().len(), 64);
    assert!(r["v_linf"].as_f64().unwrap() <= 0.3 + 1e-12);
    for m in ["linear", "mlp", "cnn"] {
        assert!(r["test_fooling"][m].as_f64().unwrap() >= 0.0);
    }
    assert!(d.start("resnet").is_err());
}

/// The default MNIST state starts from the shipped perturbation: v is there before the first
/// step, and the rates then come in model by model, the source (the MLP) first; they are the
/// README's transfer row for the MLP (80.8 %, 17.9 %, 5.8 % of the test digits).
#[wasm_bindgen_test]
fn universal_page_starts_from_the_shipped_perturbation() {
    let mut d = UniversalDemo::new();
    d.load_data(
        "mnist",
        &gunzip(include_bytes!("../www/data/mnist10k_u8_28x28.bin.gz")),
        &gunzip(include_bytes!("../www/data/mnist10k_labels_u8.bin.gz")),
    )
    .unwrap();
    for (m, bytes) in [
        (
            "linear",
            &include_bytes!("../www/models/mnist-linear.blm")[..],
        ),
        ("mlp", &include_bytes!("../www/models/mnist-mlp.blm")[..]),
        ("cnn", &include_bytes!("../www/models/mnist-cnn.blm")[..]),
    ] {
        d.load_model("mnist", m, bytes).unwrap();
    }
    assert_eq!(d.shipped_file(), "universal-mnist.buv");
    d.load_shipped(include_bytes!("../www/models/universal-mnist.buv"))
        .unwrap();
    assert_eq!(d.shipped_file(), "");
    d.start("mlp").unwrap();
    let mut measured = vec![];
    loop {
        let s = d.step(20).unwrap();
        assert_eq!(s[3], 1, "v is ready from the start");
        measured.push(s[4]);
        if s[2] == 1 {
            break;
        }
    }
    assert!(measured.windows(2).all(|w| w[0] <= w[1]) && measured.contains(&1));
    let r: serde_json::Value = serde_json::from_str(&d.result().unwrap()).unwrap();
    assert_eq!(r["shipped"], true);
    // Within the pixel box (the default) the MLP's search runs all 5 passes (70 % at best).
    assert_eq!(r["rates"].as_array().unwrap().len(), 5);
    for (m, want) in [("mlp", 0.6645), ("linear", 0.3745), ("cnn", 0.034)] {
        let got = r["test_fooling"][m].as_f64().unwrap();
        assert!((got - want).abs() < 0.0006, "{m}: {got}");
    }
    // The page's helper worker measures 70 % of the CNN's test images: the same rates.
    d.start("mlp").unwrap();
    let part = d.delegate("cnn", 0.3).unwrap();
    assert_eq!(part, [600, 2000]);
    let counts = d.fooled_part("cnn", &d.v().unwrap(), 600, 2000).unwrap();
    while d.step(20).unwrap()[5] == 0 {}
    assert_eq!(
        d.step(20).unwrap()[2],
        0,
        "the helper's counts are still to come"
    );
    d.add_delegated("cnn", counts[0], counts[1]).unwrap();
    assert_eq!(d.step(20).unwrap()[2], 1);
    let again: serde_json::Value = serde_json::from_str(&d.result().unwrap()).unwrap();
    assert_eq!(again["test_fooling"], r["test_fooling"]);
    assert_eq!(again["noise_test_fooling"], r["noise_test_fooling"]);
    assert!(d.fooled_part("cnn", &[0.0; 3], 0, 10).is_err());
    assert!(d.load_shipped(b"garbage").is_err());
}

/// The shipped Fashion-MNIST classifiers (all 800 training images) are measured without
/// training: no epochs in the progress, and the rows of all four sizes.
#[wasm_bindgen_test]
fn dimension_page_measures_the_shipped_classifiers() {
    let mut d = DimensionDemo::new();
    d.set_query("data=fashion&train=800&n=20").unwrap();
    d.load_data(
        "fashion",
        &gunzip(include_bytes!("../www/data/fashion1k_u8_28x28.bin.gz")),
        &gunzip(include_bytes!("../www/data/fashion1k_labels_u8.bin.gz")),
    )
    .unwrap();
    assert_eq!(d.shipped_file(), "dimension-fashion.bld");
    d.load_shipped(include_bytes!("../www/models/dimension-fashion.bld"))
        .unwrap();
    d.start().unwrap();
    let total = d.step().unwrap()[1];
    assert_eq!(
        total,
        4 * 4,
        "four chunks of 64 test images per size, no training"
    );
    while d.step().unwrap()[0] < total {}
    let r: serde_json::Value = serde_json::from_str(&d.result()).unwrap();
    assert_eq!(r["shipped"], true);
    assert_eq!(r["rows"].as_array().unwrap().len(), 4);
    assert!(d.load_shipped(b"barriers-lab-dimension 1\n{}").is_err());
}

#[wasm_bindgen_test]
fn dimension_page_measures_four_sizes() {
    let mut d = DimensionDemo::new();
    d.set_query("data=fashion&train=200&n=20&epochs=1").unwrap();
    let p = gunzip(include_bytes!("../www/data/fashion1k_u8_28x28.bin.gz"));
    let l = gunzip(include_bytes!("../www/data/fashion1k_labels_u8.bin.gz"));
    d.load_data("fashion", &p, &l).unwrap();
    d.start().unwrap();
    loop {
        let s = d.step().unwrap();
        if s[0] >= s[1] {
            break;
        }
    }
    let r: serde_json::Value = serde_json::from_str(&d.result()).unwrap();
    let sides: Vec<u64> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["side"].as_u64().unwrap())
        .collect();
    assert_eq!(sides, [8, 14, 28, 56]);
    assert!(
        d.set_query("data=digits").is_err(),
        "the dimension demo resamples 28 x 28 images only"
    );
}

// ---------------------------------------------------------------------------------------
// The MRI page's binding, on the shipped Colin27 slices at 64 x 64.

use barriers_lab::wasm::MriDemo;

const QUICK: &str = "size=64&iters=30&restarts=2&inner=15";

fn mri_demo(query: &str) -> MriDemo {
    let mut d = MriDemo::new();
    d.set_query(query).unwrap();
    let needs: serde_json::Value = serde_json::from_str(&d.needs()).unwrap();
    let sides: Vec<u64> = needs
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["side"].as_u64().unwrap())
        .collect();
    assert_eq!(sides, [128, 64], "a 64 x 64 figure needs both stacks");
    d.load_slices(
        128,
        &gunzip(include_bytes!("../www/data/colin27_axial_128_u8.bin.gz")),
    )
    .unwrap();
    d.load_slices(
        64,
        &gunzip(include_bytes!("../www/data/colin27_axial_64_u8.bin.gz")),
    )
    .unwrap();
    assert_eq!(d.needs(), "[]");
    d
}

fn run_to_end(d: &mut MriDemo) -> serde_json::Value {
    d.start().unwrap();
    let mut steps = 0;
    while d.step().unwrap()[2] == 0 {
        steps += 1;
        assert!(steps < 10_000);
    }
    serde_json::from_str(&d.report().unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn mri_figure_steps_to_the_end_and_the_stable_methods_win() {
    let mut d = mri_demo(QUICK);
    let r = run_to_end(&mut d);
    let q = r["quality"].as_array().unwrap();
    let psnr = |i: usize| q[i]["psnr"].as_f64().unwrap();
    assert_eq!(q[2]["iterations"], 30);
    assert_eq!(q[3]["iterations"], 30);
    assert!(
        psnr(2) > psnr(0) + 3.0,
        "TV {} vs adjoint {}",
        psnr(2),
        psnr(0)
    );
    for which in ["truth", "kspace", "mask", "recon:tv", "error:firenet"] {
        assert_eq!(d.picture(which).unwrap().len(), 4 * 64 * 64, "{which}");
    }
    assert!(d.picture("recon:unet").is_err());
    assert!(d.picture("kernel-z").is_err(), "no detail placed");
    // The convergence comparison runs to the end and fits a slope over its 4 restarts
    // (measured -0.93 here; the schedule aims at -1).
    d.set_query("size=64&iters=30&restarts=4&inner=30").unwrap();
    d.start().unwrap();
    d.start_convergence().unwrap();
    while d.convergence_step()[2] == 0 {}
    let c: serde_json::Value = serde_json::from_str(&d.convergence_result().unwrap()).unwrap();
    assert_eq!(c["restarted_error"].as_array().unwrap().len(), 120);
    assert_eq!(c["restart_gaps"].as_array().unwrap().len(), 4);
    assert!(c["slope"].as_f64().unwrap() < -0.6, "{c}");
    // A new figure drops the comparison; stepping it then just says it is over.
    d.start().unwrap();
    assert_eq!(d.convergence_step(), [0, 0, 1]);
}

#[wasm_bindgen_test]
fn mri_kernel_view_keeps_the_measurements_and_the_reconstructions() {
    let mut d = mri_demo(&format!("{QUICK}&detail=0.5,0.5"));
    let r = run_to_end(&mut d);
    let k = &r["kernel"];
    assert!(k["az_norm"].as_f64().unwrap() < 1e-14 * k["z_norm"].as_f64().unwrap());
    for diff in k["differences"].as_array().unwrap() {
        assert!(diff.as_f64().unwrap() < 1e-10, "{k}");
    }
    assert_eq!(
        d.picture("kernel-recon:tv").unwrap(),
        d.picture("recon:tv").unwrap()
    );
}

#[wasm_bindgen_test]
fn mri_page_refuses_bad_input() {
    let mut d = mri_demo(QUICK);
    for bad in [
        "rate=0",
        "rate=NaN",
        "size=100",
        "levels=99",
        "mask=painted",
        "painted=%%",
    ] {
        assert!(d.set_query(bad).is_err(), "{bad}");
    }
    assert_eq!(
        d.query(),
        mri_demo(QUICK).query(),
        "a refused link changes nothing"
    );
    assert!(
        d.paint(&[1.0], 1.0, true).is_err(),
        "odd number of coordinates"
    );
    assert!(d.paint(&[f64::NAN, 3.0], 1.0, true).is_err());
    assert!(d.paint(&[3.0, 3.0], f64::INFINITY, true).is_err());
    assert!(d.load_mask_rgba(&[255; 4 * 10 * 10], 10, 10).is_err());
    assert!(d.set_upload(&[0; 7], 2, 2).is_err());
    assert!(d.set_upload(&[], 0, 0).is_err());
    assert!(d.set_size("100").is_err());
    assert!(d.step().is_err(), "nothing started yet");
    // An uploaded picture: any size, RGBA.
    let (w, h) = (30, 20);
    let rgba: Vec<u8> = (0..w * h)
        .flat_map(|i| [(i % 255) as u8, 40, 90, 255])
        .collect();
    d.set_upload(&rgba, w, h).unwrap();
    assert!(d.query().contains("image=upload"));
    d.start().unwrap();
    // Painting makes a painted mask the link carries.
    d.paint(&[32.0, 10.0, 32.0, 12.0], 1.5, true).unwrap();
    assert!(d.query().contains("mask=painted&"));
    let link = d.query();
    let mut e = mri_demo(QUICK);
    e.set_query(&link).unwrap();
    assert_eq!(e.query(), link);
}

// ---------------------------------------------------------------------------------------
// The unstable-network page's binding, on the shipped network and Colin27 slices.

use barriers_lab::wasm::UnstableDemo;

const RECON_NET: &[u8] = include_bytes!("../www/models/recon-net.brn");
/// Short stable methods (the defaults are exercised natively).
const UNSTABLE_QUICK: &str = "cp_iters=30&restarts=2&inner=15";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

fn unstable_demo(query: &str) -> UnstableDemo {
    let mut d = UnstableDemo::new();
    d.set_query(query).unwrap();
    let needs = json(&d.needs());
    assert_eq!(needs[0]["kind"], "network", "{needs}");
    assert_eq!(needs[0]["file"], "recon-net.brn");
    d.load_network(RECON_NET).unwrap();
    let needs = json(&d.needs());
    assert_eq!(needs[0]["kind"], "slices", "{needs}");
    assert_eq!(
        needs[0]["side"], 64,
        "the family is drawn from the shipped 64 x 64 stack"
    );
    d.load_slices(
        64,
        &gunzip(include_bytes!("../www/data/colin27_axial_64_u8.bin.gz")),
    )
    .unwrap();
    assert_eq!(d.needs(), "[]");
    d
}

/// Steps a job to its end; returns the number of steps.
fn to_end(mut step: impl FnMut() -> Vec<f64>) -> usize {
    let mut n = 0;
    while step()[2] == 0.0 {
        n += 1;
        assert!(n < 100_000, "the job does not end");
    }
    n
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("not a finite number: {v}"))
}

#[wasm_bindgen_test]
fn unstable_page_refuses_bad_input_without_panicking() {
    let mut d = UnstableDemo::new();
    assert!(d.test_prepare().is_err(), "nothing loaded");
    assert!(d.info().is_err());
    assert!(
        d.load_slices(64, &[0; 100]).is_err(),
        "slices before the network"
    );
    assert!(d.load_network(b"not a network").is_err());
    assert!(d.load_network(&[]).is_err());
    assert!(
        d.load_network(&RECON_NET[..RECON_NET.len() / 2]).is_err(),
        "a cut file"
    );
    let before = d.query();
    for bad in [
        "budget=5",
        "budget=NaN",
        "view=slides",
        "detail=2,0.5",
        "detail=0.5",
        "delta=-0.1",
        "show_rate=inf",
        "samples_images=0",
        "tradeoff_iters=0",
        "transfer_to=unet",
        "detail_texture=spotted",
        "restarts=50&inner=100",
        "bogus=1",
    ] {
        assert!(d.set_query(bad).is_err(), "{bad} was accepted");
    }
    assert!(d.set_state_json("{\"iters\": \"many\"}").is_err());
    assert_eq!(d.query(), before, "a refused link changes nothing");
    let mut d = unstable_demo(UNSTABLE_QUICK);
    assert!(
        d.load_slices(64, &[0; 10]).is_err(),
        "a stack of the wrong length"
    );
    assert!(d.test_picture("truth").is_err(), "no test yet");
    assert!(d.transfer().is_err(), "no finished test to transfer");
    assert!(d.detail_prepare().is_err(), "the test view has no detail");
    d.set_query(&format!("iters=3&{UNSTABLE_QUICK}")).unwrap();
    d.test_prepare().unwrap();
    for bad in ["r:7", "r:x", "out", "diff:-1", "kspace"] {
        assert!(d.test_picture(bad).is_err(), "{bad}");
    }
    d.set_query(&format!("view=kernel&{UNSTABLE_QUICK}"))
        .unwrap();
    d.detail_prepare().unwrap();
    assert!(d.detail_picture("out:unet").is_err());
    assert!(d.detail_picture("out:tv").is_err(), "not computed yet");
}

#[wasm_bindgen_test]
fn unstable_short_instability_run_gives_finite_increasing_snapshots() {
    let mut d = unstable_demo(&format!("iters=12&budget=0.2&{UNSTABLE_QUICK}"));
    let info = json(&d.info().unwrap());
    let n = info["side"].as_u64().unwrap() as usize;
    assert!(!d.test_prepare().unwrap());
    let steps = to_end(|| d.test_step().unwrap());
    assert_eq!(steps, 11, "one call per gradient step");
    assert!(
        d.test_prepare().unwrap(),
        "the same state: the finished test is kept"
    );
    let r = json(&d.test_result().unwrap());
    assert_eq!(r["iterations"], 12);
    let snaps = r["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 3);
    let norms: Vec<f64> = snaps.iter().map(|s| f(&s["r_rel"])).collect();
    assert!(
        norms[0] > 0.0 && norms[0] < norms[1] && norms[1] < norms[2] && norms[2] <= 0.2 + 1e-12,
        "r_1 < r_2 < r_3 <= budget: {norms:?}"
    );
    for s in snaps {
        for k in [
            "error",
            "amplification",
            "lipschitz",
            "noise_amplification",
            "noise_error",
        ] {
            assert!(f(&s[k]).is_finite(), "{k}: {s}");
        }
    }
    let sum = &r["summary"];
    let worst = f(&sum["amplification"]);
    assert!(
        worst >= f(&snaps[2]["amplification"]) * (1.0 - 1e-12),
        "{r}"
    );
    assert!(worst > f(&sum["amplification_gaussian"]), "{r}");
    for p in ["truth", "clean", "r:0", "xr:1", "out:2", "diff:2"] {
        assert_eq!(d.test_picture(p).unwrap().len(), 4 * n * n, "{p}");
    }
    // The perturbation fed to the adjoint (a projection: at most 1) and back to the network.
    d.set_query(&format!(
        "iters=12&budget=0.2&{UNSTABLE_QUICK}&transfer_to=adjoint"
    ))
    .unwrap();
    assert!(
        d.test_prepare().unwrap(),
        "the transfer target does not rerun the test"
    );
    let t = json(&d.transfer().unwrap());
    assert!(f(&t["amplification"]) <= 1.0 + 1e-12, "{t}");
    d.set_query(&format!(
        "iters=12&budget=0.2&{UNSTABLE_QUICK}&transfer_to=net"
    ))
    .unwrap();
    let t = json(&d.transfer().unwrap());
    let own = f(&snaps[2]["amplification"]);
    assert!((f(&t["amplification"]) - own).abs() < 1e-9 * own, "{t}");
    assert_eq!(d.transfer_picture("out").unwrap().len(), 4 * n * n);
}

#[wasm_bindgen_test]
fn unstable_kernel_and_structure_views() {
    let mut d = unstable_demo(&format!("view=kernel&delta=0&{UNSTABLE_QUICK}"));
    d.detail_prepare().unwrap();
    assert_eq!(to_end(|| d.detail_step().unwrap()), 4, "five methods");
    let k = json(&d.detail_result().unwrap());
    let z = f(&k["z_norm"]);
    assert!(z > 0.0 && f(&k["az_norm"]) < 1e-12 * z, "{k}");
    let rows = k["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        assert!(
            f(&row["gap"]) < 1e-9,
            "the same measurements, the same output: {row}"
        );
    }
    assert_eq!(
        d.detail_picture("out:tv").unwrap(),
        d.detail_picture("out2:tv").unwrap()
    );
    // Half the detail's visible part: ||A z|| = delta ||A w||.
    d.set_query(&format!("view=kernel&delta=0.5&{UNSTABLE_QUICK}"))
        .unwrap();
    d.detail_prepare().unwrap();
    to_end(|| d.detail_step().unwrap());
    let k = json(&d.detail_result().unwrap());
    let (az, aw) = (f(&k["az_norm"]), f(&k["aw_norm"]));
    assert!((az - 0.5 * aw).abs() < 1e-12 * aw, "{k}");
    // The structural change: the adjoint keeps exactly the part the scanner sees.
    d.set_query(&format!(
        "view=structure&detail_texture=plain&{UNSTABLE_QUICK}"
    ))
    .unwrap();
    d.detail_prepare().unwrap();
    to_end(|| d.detail_step().unwrap());
    let s = json(&d.detail_result().unwrap());
    let rows = s["rows"].as_array().unwrap();
    let adjoint = rows.iter().find(|r| r["method"] == "adjoint").unwrap();
    let seen = f(&adjoint["visible"]);
    assert!((f(&adjoint["kept"]) - seen * seen).abs() < 1e-9, "{s}");
}

#[wasm_bindgen_test]
fn unstable_samples_curve_and_tradeoff_points() {
    let quick =
        "samples_images=1&tradeoff_iters=2&tradeoff_images=1&cp_iters=10&restarts=1&inner=10";
    let mut d = unstable_demo(&format!("view=samples&{quick}"));
    assert!(!d.samples_prepare().unwrap());
    to_end(|| d.samples_step().unwrap());
    let c = json(&d.samples_result().unwrap());
    let pts = c["points"].as_array().unwrap();
    assert_eq!(pts.len(), 36, "12 rates x 3 methods");
    assert!(pts.iter().all(|p| f(&p["psnr"]).is_finite()));
    let r = json(&d.rate_images().unwrap());
    assert_eq!(r["psnr"].as_array().unwrap().len(), 3);
    assert!(d.rate_picture("out:net").is_ok());
    assert!(d.rate_picture("out:adjoint").is_err(), "not on the curve");
    d.set_query(&format!("view=tradeoff&{quick}")).unwrap();
    assert!(!d.tradeoff_prepare().unwrap());
    // The plot's networks of other training noises: asked for, as the worker loads them.
    let needs = json(&d.needs());
    let asked: Vec<&str> = needs
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["net"].as_str().unwrap())
        .collect();
    assert_eq!(asked, ["noise-0", "noise-3"]);
    d.load_trained(
        "noise-0",
        include_bytes!("../www/models/recon-net-noise-0.brn"),
    )
    .unwrap();
    d.load_trained(
        "noise-3",
        include_bytes!("../www/models/recon-net-noise-3.brn"),
    )
    .unwrap();
    assert!(d
        .load_trained("noise-3", include_bytes!("../www/models/recon-cascade.brn"))
        .is_err());
    assert_eq!(d.needs(), "[]");
    to_end(|| d.tradeoff_step().unwrap());
    let t = json(&d.tradeoff_result().unwrap());
    let pts = t["points"].as_array().unwrap();
    assert_eq!(pts.len(), 16);
    // A point's link opens its instability test, which finds the point's amplification.
    let net = pts
        .iter()
        .find(|p| p["label"] == "network, 3 % training noise")
        .unwrap();
    d.set_query(net["query"].as_str().unwrap()).unwrap();
    assert!(d.query().contains("view=test"));
    d.test_prepare().unwrap();
    to_end(|| d.test_step().unwrap());
    let r = json(&d.test_result().unwrap());
    assert_eq!(
        f(&r["summary"]["amplification"]),
        f(&net["amplification"]),
        "{r}"
    );
}
