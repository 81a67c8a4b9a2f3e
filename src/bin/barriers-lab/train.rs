//! `barriers-lab train`: trains an image classifier by its recipe and writes a model file.

use crate::args::{self, UsageError};
use crate::output::print;
use barriers_lab::data::images::{load, shipped_data_dir, split};
use barriers_lab::job::Job;
use barriers_lab::models::{accuracy, model_file_name, TrainParams};
use barriers_lab::nn::io::{round_to_f32, to_bytes};
use barriers_lab::params;
use serde_json::{json, Map};
use std::path::PathBuf;
use std::time::Instant;

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<TrainParams>(argv, &["json", "quiet"], &["out"])?;
    let out = a
        .option("out")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("www/models").join(model_file_name(p.data, p.model)));
    Ok(train(p, out, a.flag("json"), a.flag("quiet")))
}

fn train(p: TrainParams, out: PathBuf, as_json: bool, quiet: bool) -> Result<(), String> {
    let set = load(p.data, &shipped_data_dir())?;
    let (train, test) = split(&set);
    let mut trainer = p.trainer();
    let start = Instant::now();
    while !trainer.done() {
        trainer.step(&train)?;
        let s = trainer.history[trainer.epochs_done() - 1];
        if !quiet {
            eprintln!(
                "epoch {:>3}/{}: loss {:.4}, training accuracy {:.4} ({:.1} s)",
                trainer.epochs_done(),
                trainer.recipe.epochs,
                s.loss,
                s.accuracy,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut net = trainer.net;
    round_to_f32(&mut net);
    let test_accuracy = accuracy(&net, &test);
    let train_accuracy = accuracy(&net, &train);
    let mut info = Map::new();
    info.insert("data".into(), json!(p.data));
    info.insert("model".into(), json!(p.model));
    info.insert("seed".into(), json!(p.seed));
    info.insert("epochs".into(), json!(trainer.recipe.epochs));
    info.insert("recipe".into(), json!(trainer.recipe));
    info.insert("train_images".into(), json!(train.len()));
    info.insert("test_images".into(), json!(test.len()));
    info.insert("train_accuracy".into(), json!(train_accuracy));
    info.insert("test_accuracy".into(), json!(test_accuracy));
    info.insert(
        "command".into(),
        json!(format!("barriers-lab train {}", params::to_cli(&p))),
    );
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&out, to_bytes(&net, info))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let summary = json!({
        "data": p.data, "model": p.model, "seed": p.seed, "epochs": trainer.recipe.epochs,
        "n_params": net.n_params(), "train_accuracy": train_accuracy, "test_accuracy": test_accuracy,
        "seconds": seconds, "out": out.display().to_string(),
    });
    print(&summary, as_json);
    Ok(())
}

pub fn help() -> String {
    args::help::<TrainParams>("barriers-lab train options (also --out FILE, --json, --quiet):")
}
