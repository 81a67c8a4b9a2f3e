//! `barriers-lab universal` (a universal perturbation and its transfer table) and
//! `barriers-lab dimension` (Goodfellow's linear argument across image sizes).

use crate::args::{self, UsageError};
use crate::output::{create_dir, write_png};
use barriers_lab::data::images::{load, shipped_data_dir, split};
use barriers_lab::demos::dimension::{DimensionJob, DimensionModels, DimensionParams};
use barriers_lab::demos::universal::{ShippedPerturbation, UniversalJob, UniversalParams};
use barriers_lab::job::{run_to_end, Job};
use barriers_lab::models::{model_file_name, ImageModel};
use barriers_lab::nn::io::from_bytes;
use barriers_lab::nn::Network;
use barriers_lab::params;
use barriers_lab::render::images::diverging_rgba;
use barriers_lab::render::raster::Canvas;
use ndarray::ArrayView1;
use serde_json::{json, Value};
use std::path::PathBuf;

fn shipped(p: &UniversalParams, model: ImageModel) -> Result<Network, String> {
    let path = models_dir_file(&model_file_name(p.data, model));
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read the model {}: {e}", path.display()))?;
    Ok(from_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .0)
}

/// The shipped file `name` in `www/models/`.
fn models_dir_file(name: &str) -> PathBuf {
    shipped_data_dir()
        .parent()
        .map(|d| d.join("models"))
        .unwrap_or_default()
        .join(name)
}

pub fn run_universal(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<UniversalParams>(argv, &["json", "table"], &["out", "save"])?;
    Ok(universal(
        p,
        a.flag("table"),
        a.option("out").map(PathBuf::from),
        a.option("save").map(PathBuf::from),
        a.flag("json"),
    ))
}

fn universal(
    p: UniversalParams,
    table: bool,
    out: Option<PathBuf>,
    save: Option<PathBuf>,
    as_json: bool,
) -> Result<(), String> {
    let (train, test) = split(&load(p.data, &shipped_data_dir())?);
    let nets: Vec<(ImageModel, Network)> = ImageModel::ALL
        .iter()
        .map(|&m| shipped(&p, m).map(|n| (m, n)))
        .collect::<Result<_, _>>()?;
    let refs: Vec<(ImageModel, &Network)> = nets.iter().map(|(m, n)| (*m, n)).collect();
    let sources: Vec<ImageModel> = if table {
        ImageModel::ALL.to_vec()
    } else {
        vec![p.model]
    };
    let mut rows = Vec::new();
    let mut computed = Vec::new();
    for source in sources {
        let ps = UniversalParams {
            model: source,
            ..p.clone()
        };
        let mut job = UniversalJob::new(ps.clone(), &refs, Some(&train), test.len(), &[])?;
        let r = run_to_end(&mut job, (&test, usize::MAX))?;
        if let Some(dir) = &out {
            create_dir(dir)?;
            let side = p.data.side();
            let mut c = Canvas::new(side * 8, side * 8, [255, 255, 255]);
            c.draw_image(
                &diverging_rgba(ArrayView1::from(&r.v), side, p.xi),
                side,
                0,
                0,
                side * 8,
            );
            write_png(&dir.join(format!("universal-{}.png", source.name())), &c)?;
        }
        rows.push(json!({
            "computed_on": source,
            "train_rates": r.rates,
            "reached_target": r.reached_target,
            "v_linf": r.v_linf,
            "v_l2": r.v_l2,
            "test_fooling": r.test_fooling,
            "noise_test_fooling": r.noise_test_fooling,
        }));
        computed.push(ShippedPerturbation {
            params: ps,
            result: job.search_result(),
        });
    }
    if let Some(file) = &save {
        let command = format!(
            "barriers-lab universal {}{} --save {}",
            params::to_cli(&p),
            if table { " --table" } else { "" },
            file.display()
        );
        write_file(file, &ShippedPerturbation::to_bytes(&computed, &command))?;
    }
    let summary = json!({ "state": params::to_query(&p), "target": 1.0 - p.delta, "rows": rows });
    if as_json {
        println!("{summary}");
    } else {
        println!(
            "universal perturbations on {} ({} training images, xi {}), target fooling rate {:.0} %:",
            p.data.name(),
            p.n,
            p.xi,
            100.0 * (1.0 - p.delta)
        );
        println!(
            "  {:<12} {:>14} {:>9} {:>9} {:>9}   (test fooling rate on linear, mlp, cnn)",
            "computed on", "train (last)", "linear", "mlp", "cnn"
        );
        for r in &rows {
            let last = r["train_rates"]
                .as_array()
                .and_then(|a| a.last())
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let t = |m: &str| r["test_fooling"][m].as_f64().unwrap_or(f64::NAN) * 100.0;
            println!(
                "  {:<12} {:>13.1}% {:>8.1}% {:>8.1}% {:>8.1}%",
                r["computed_on"].as_str().unwrap_or(""),
                100.0 * last,
                t("linear"),
                t("mlp"),
                t("cnn")
            );
        }
    }
    Ok(())
}

/// Writes a file, creating its folder.
fn write_file(file: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

pub fn run_dimension(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<DimensionParams>(argv, &["json"], &["save"])?;
    Ok(dimension(
        p,
        a.option("save").map(PathBuf::from),
        a.flag("json"),
    ))
}

/// Measures the classifiers of `p`: the shipped ones (`www/models/dimension-DATA.bld`) when
/// they are for its training setting, as the page does, else trained here; with `save`,
/// always trained here and written to that file.
fn dimension(p: DimensionParams, save: Option<PathBuf>, as_json: bool) -> Result<(), String> {
    let (train, test) = split(&load(p.data, &shipped_data_dir())?);
    let shipped = match &save {
        Some(_) => None,
        None => {
            let path = models_dir_file(&DimensionModels::file_name(p.data));
            match std::fs::read(&path) {
                Ok(bytes) => Some(
                    DimensionModels::from_bytes(&bytes)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                ),
                Err(_) => None,
            }
        }
    };
    let mut job = DimensionJob::new(p.clone(), shipped.as_ref());
    run_to_end(&mut job, (Some(&train), &test))?;
    if let Some(file) = &save {
        let models = job.models().expect("the job is done");
        let command = format!(
            "barriers-lab dimension {} --save {}",
            params::to_cli(&p),
            file.display()
        );
        write_file(file, &models.to_bytes(&command))?;
    }
    let rows = job.result().rows;
    if as_json {
        println!(
            "{}",
            json!({ "state": params::to_query(&p), "rows": rows, "shipped_classifiers": job.uses_given() })
        );
    } else {
        println!(
            "linear classifiers on {} resampled to d pixels ({} test images each):",
            p.data.name(),
            p.n
        );
        println!(
            "  {:>6} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>14}",
            "d",
            "accuracy",
            "eps*",
            "FGSM eps",
            "in [0, 1]",
            "||w'||_1",
            "margin",
            format!("eps ||w'||_1 at eps {}", p.eps)
        );
        for r in &job.rows {
            println!(
                "  {:>6} {:>8.1}% {:>10.4} {:>10.4} {:>10.4} {:>10.1} {:>10.3} {:>14.3}",
                r.d,
                100.0 * r.test_accuracy,
                r.mean_eps_star,
                r.mean_fgsm_eps,
                r.mean_fgsm_eps_box,
                r.mean_w_l1,
                r.mean_margin,
                p.eps * r.mean_w_l1
            );
        }
    }
    Ok(())
}

pub fn help() -> String {
    format!(
        "{}\n{}",
        args::help::<UniversalParams>("barriers-lab universal options (also --table: compute on every model; --out DIR; --json; --save FILE: write each v computed, f64, with its state and training fooling rates, as the page's shipped www/models/universal-mnist.buv):"),
        args::help::<DimensionParams>("barriers-lab dimension options (also --json; --save FILE: train the four classifiers even when shipped ones match, and write them, f64, as www/models/dimension-DATA.bld):")
    )
}
