//! `barriers-lab universal` (a universal perturbation and its transfer table) and
//! `barriers-lab dimension` (Goodfellow's linear argument across image sizes).

use crate::args::{self, UsageError};
use crate::output::{create_dir, write_png};
use barriers_lab::data::images::{load, shipped_data_dir, split};
use barriers_lab::demos::dimension::{DimensionJob, DimensionParams};
use barriers_lab::demos::universal::{random_control, transfer_row, UniversalParams};
use barriers_lab::models::{model_file_name, ImageModel};
use barriers_lab::nn::io::from_bytes;
use barriers_lab::nn::Network;
use barriers_lab::params;
use barriers_lab::render::images::diverging_rgba;
use barriers_lab::render::raster::Canvas;
use serde_json::{json, Value};
use std::path::PathBuf;

fn shipped(p: &UniversalParams, model: ImageModel) -> Result<Network, String> {
    let path = shipped_data_dir()
        .parent()
        .map(|d| d.join("models"))
        .unwrap_or_default()
        .join(model_file_name(p.data, model));
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read the model {}: {e}", path.display()))?;
    Ok(from_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .0)
}

pub fn run_universal(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<UniversalParams>(argv, &["json", "table"], &["out"])?;
    Ok(universal(
        p,
        a.flag("table"),
        a.option("out").map(PathBuf::from),
        a.flag("json"),
    ))
}

fn universal(
    p: UniversalParams,
    table: bool,
    out: Option<PathBuf>,
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
    for source in sources {
        let ps = UniversalParams {
            model: source,
            ..p.clone()
        };
        let net = &nets
            .iter()
            .find(|(m, _)| *m == source)
            .expect("every model loaded")
            .1;
        let mut search = ps.search(net, &train);
        search.step(usize::MAX);
        let res = search.result();
        let test_rates = transfer_row(&refs, &test, res.v.view());
        let noise = random_control(p.norm, res.v.view(), p.seed);
        let noise_rates = transfer_row(&refs, &test, noise.view());
        if let Some(dir) = &out {
            create_dir(dir)?;
            let side = p.data.side();
            let mut c = Canvas::new(side * 8, side * 8, [255, 255, 255]);
            c.draw_image(
                &diverging_rgba(res.v.view(), side, p.xi),
                side,
                0,
                0,
                side * 8,
            );
            write_png(&dir.join(format!("universal-{}.png", source.name())), &c)?;
        }
        rows.push(json!({
            "computed_on": source,
            "train_rates": res.rates,
            "reached_target": res.reached_target,
            "v_linf": res.v.fold(0.0f64, |m, e| m.max(e.abs())),
            "v_l2": res.v.dot(&res.v).sqrt(),
            "test_fooling": test_rates.iter().map(|(m, r)| (m.name().to_owned(), json!(r))).collect::<serde_json::Map<String, Value>>(),
            "noise_test_fooling": noise_rates.iter().map(|(m, r)| (m.name().to_owned(), json!(r))).collect::<serde_json::Map<String, Value>>(),
        }));
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

pub fn run_dimension(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<DimensionParams>(argv, &["json"], &[])?;
    Ok(dimension(p, a.flag("json")))
}

fn dimension(p: DimensionParams, as_json: bool) -> Result<(), String> {
    let (train, test) = split(&load(p.data, &shipped_data_dir())?);
    let mut job = DimensionJob::new(p.clone(), &train, &test);
    while !job.done() {
        job.step();
    }
    let rows: Vec<Value> = job
        .rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            v["score_change_at_eps"] = json!(p.eps * r.mean_w_l1);
            v
        })
        .collect();
    if as_json {
        println!("{}", json!({ "state": params::to_query(&p), "rows": rows }));
    } else {
        println!(
            "linear classifiers on {} resampled to d pixels ({} test images each):",
            p.data.name(),
            p.n
        );
        println!(
            "  {:>6} {:>9} {:>10} {:>10} {:>10} {:>10} {:>14}",
            "d",
            "accuracy",
            "eps*",
            "FGSM eps",
            "||w'||_1",
            "margin",
            format!("eps ||w'||_1 at eps {}", p.eps)
        );
        for r in &job.rows {
            println!(
                "  {:>6} {:>8.1}% {:>10.4} {:>10.4} {:>10.1} {:>10.3} {:>14.3}",
                r.d,
                100.0 * r.test_accuracy,
                r.mean_eps_star,
                r.mean_fgsm_eps,
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
        args::help::<UniversalParams>("barriers-lab universal options (also --table: compute on every model; --out DIR; --json):"),
        args::help::<DimensionParams>("barriers-lab dimension options (also --json):")
    )
}
