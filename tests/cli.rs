//! The `barriers-lab` command line, run as a user would.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_barriers-lab"))
        .args(args)
        .output()
        .expect("barriers-lab runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim().lines().count(),
        1,
        "--json prints one line: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

const TOY: &[&str] = &[
    "toy", "--data", "moons", "--model", "mlp", "--hidden", "16,16", "--seed", "7", "--epochs",
    "300", "--point", "0.5,0.25",
];

#[test]
fn deepfool_metrics_as_json() {
    let v = json(&[TOY, &["--attack", "deepfool", "--json"]].concat());
    for key in [
        "train_accuracy",
        "label",
        "adv_label",
        "r_l2",
        "r_over_x",
        "iterations",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert!(v["train_accuracy"].as_f64().unwrap() >= 0.97);
    assert_ne!(v["label"], v["adv_label"]);
    assert_eq!(v["success"], true);
    let (r, x) = (
        v["r_l2"].as_f64().unwrap(),
        (0.5f64 * 0.5 + 0.25 * 0.25).sqrt(),
    );
    assert!((v["r_over_x"].as_f64().unwrap() - r / x).abs() < 1e-12);
}

#[test]
fn fgsm_reports_the_flip_and_new_label() {
    let v = json(&[TOY, &["--attack", "fgsm", "--eps", "0.1", "--json"]].concat());
    assert!(v["flipped"].is_boolean());
    assert!(v["adv_label"].is_u64());
    assert_eq!(v["eps"], 0.1);
    assert_eq!(v["r_linf"], 0.1);
}

/// The command line and a page link with the same state give the same numbers.
#[test]
fn same_state_same_numbers() {
    let a = json(&[TOY, &["--json"]].concat());
    let state = a["state"].as_str().unwrap().to_owned();
    let pairs: Vec<String> = state
        .split('&')
        .flat_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            [format!("--{k}"), v.replace("%2C", ",")]
        })
        .collect();
    let mut args = vec!["toy", "--json"];
    args.extend(pairs.iter().map(String::as_str));
    let b = json(&args);
    assert_eq!(a, b);
}

#[test]
fn state_file_from_the_page_is_accepted() {
    let dir = std::env::temp_dir().join(format!("barriers-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    std::fs::write(
        &file,
        r#"{"data": "xor", "epochs": 20, "point": [0.3, -0.2]}"#,
    )
    .unwrap();
    let v = json(&[
        "toy",
        "--params",
        file.to_str().unwrap(),
        "--epochs",
        "30",
        "--json",
    ]);
    assert_eq!(v["epochs"], 30);
    assert!(v["state"].as_str().unwrap().starts_with("data=xor&"));
    assert_eq!(v["point"], serde_json::json!([0.3, -0.2]));
}

#[test]
fn figures_are_written_as_png() {
    let dir = std::env::temp_dir().join(format!("barriers-lab-fig-{}", std::process::id()));
    let out = run(&[
        "toy",
        "--epochs",
        "20",
        "--point",
        "0.5,0.25",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["decision.png", "training.png"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name} is not a PNG");
        // The IHDR chunk: width and height, big-endian, at bytes 16..24.
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        assert_eq!(w, 480);
    }
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        &["toy", "--n", "-5"][..],
        &["toy", "--noise", "NaN"],
        &["toy", "--hidden", "100000"],
        &["toy", "--data", "mnist"],
        &["toy", "--colour", "red"],
        &["toy", "--attack", "deepfool"],
        &["toy", "--point"],
        &["toy", "--seed", "1", "--seed", "2"],
        &["toy", "stray"],
        &["toy", "--params", "/nonexistent/state.json"],
        &["frobnicate"],
        &[],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("barriers-lab: "), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_lists_every_option() {
    let out = run(&["help", "toy"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for key in ["--data", "--hidden", "--point", "--eps", "--max_iter"] {
        assert!(text.contains(key), "{key} missing from help");
    }
}
