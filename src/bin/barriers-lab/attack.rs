//! `barriers-lab attack` (one attack on one image) and `barriers-lab ratios` (the ratio table).

use crate::args::{self, UsageError};
use crate::output::{create_dir, print, write_png};
use barriers_lab::data::images::{load, shipped_data_dir, split, ImageDataset, ImageSet};
use barriers_lab::data::luma;
use barriers_lab::data::resample::area_box;
use barriers_lab::demos::attacks::{run_attack, AttackParams, RatioJob};
use barriers_lab::job::run_to_end;
use barriers_lab::models::{accuracy, model_file_name};
use barriers_lab::nn::io::from_bytes;
use barriers_lab::nn::Network;
use barriers_lab::params;
use barriers_lab::render::images::{diverging_scale, strip, triptych};
use ndarray::{Array1, ArrayView1};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The network: a model file if given, else the shipped one for the data set and model.
fn network(p: &AttackParams, model_file: Option<&str>) -> Result<Network, String> {
    let path = match model_file {
        Some(f) => PathBuf::from(f),
        None => shipped_data_dir()
            .parent()
            .map(|d| d.join("models"))
            .unwrap_or_default()
            .join(model_file_name(p.data, p.model)),
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read the model {}: {e}", path.display()))?;
    let (net, _) = from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let d = p.data.side() * p.data.side();
    if net.input.len() != d {
        return Err(format!(
            "{}: the model takes {} inputs, but {} images have {d} pixels",
            path.display(),
            net.input.len(),
            p.data.name()
        ));
    }
    Ok(net)
}

/// An image from a file: a PNG (grey, RGB or with alpha, any size; a light background is
/// inverted to the data's white-on-black), or raw side x side u8 or f32 little-endian values.
pub fn read_image(path: &Path, side: usize) -> Result<Array1<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let n = side * side;
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return decode_png(&bytes, side).map_err(|e| format!("{}: {e}", path.display()));
    }
    if bytes.len() == n {
        return Ok(bytes.iter().map(|&b| b as f64 / 255.0).collect());
    }
    if bytes.len() == 4 * n {
        let v: Array1<f64> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            .collect();
        if v.iter().any(|x| !x.is_finite()) {
            return Err(format!(
                "{}: holds a value that is not a finite number",
                path.display()
            ));
        }
        return Ok(v);
    }
    Err(format!("{}: expected a PNG, or {n} bytes (u8) or {} bytes (f32) of a {side} x {side} image; got {} bytes", path.display(), 4 * n, bytes.len()))
}

fn decode_png(bytes: &[u8], side: usize) -> Result<Array1<f64>, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    let size = reader.output_buffer_size().ok_or("the PNG is too large")?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0 || h == 0 || w * h > 16_000_000 {
        return Err(format!("cannot use a {w} x {h} image"));
    }
    let channels = frame.color_type.samples();
    // Grey level of each pixel, composited over white where there is alpha.
    let grey: Vec<f64> = buf[..frame.buffer_size()]
        .chunks_exact(channels)
        .map(|p| {
            let (v, a) = match channels {
                1 => (p[0] as f64, 255.0),
                2 => (p[0] as f64, p[1] as f64),
                3 => (luma(p), 255.0),
                _ => (luma(p), p[3] as f64),
            };
            let a = a / 255.0;
            (v / 255.0) * a + (1.0 - a)
        })
        .collect();
    let border: Vec<f64> = (0..w)
        .flat_map(|x| [grey[x], grey[(h - 1) * w + x]])
        .chain((0..h).flat_map(|y| [grey[y * w], grey[y * w + w - 1]]))
        .collect();
    let light = border.iter().sum::<f64>() / border.len() as f64 > 0.5;
    let ink: Vec<f64> = grey
        .iter()
        .map(|&g| if light { 1.0 - g } else { g })
        .collect();
    Ok(area_box(
        ArrayView1::from(&ink),
        w,
        h,
        [0.0, 0.0, w as f64, h as f64],
        side,
        side,
    ))
}

fn test_set(data: ImageDataset) -> Result<ImageSet, String> {
    Ok(split(&load(data, &shipped_data_dir())?).1)
}

pub fn run_attack_cmd(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<AttackParams>(argv, &["json"], &["out", "input", "model-file"])?;
    Ok(attack(
        p,
        a.option("input"),
        a.option("model-file"),
        a.option("out").map(PathBuf::from),
        a.flag("json"),
    ))
}

fn attack(
    p: AttackParams,
    input: Option<&str>,
    model_file: Option<&str>,
    out: Option<PathBuf>,
    as_json: bool,
) -> Result<(), String> {
    let net = network(&p, model_file)?;
    let test = test_set(p.data)?;
    let side = p.data.side();
    let (x, true_label, source) = match input {
        Some(f) => (read_image(Path::new(f), side)?, None, f.to_owned()),
        None => {
            let (x, l) = p.input(&test)?;
            (
                x,
                l,
                if p.drawing.is_empty() {
                    format!("{} test image {}", p.data.name(), p.index)
                } else {
                    "drawing".into()
                },
            )
        }
    };
    let o = run_attack(&net, x.view(), true_label, p.attack, &p, p.index);
    let summary = json!({
        "image": source, "true_label": true_label, "state": params::to_query(&p),
        "attack": p.attack, "label": o.label, "adv_label": o.adv_label, "success": o.success,
        "r_l2": o.size.r_l2, "r_linf": o.size.r_linf, "r_over_x": o.size.r_over_x,
        "bounds": p.bounds, "adv_min": o.adv_min, "adv_max": o.adv_max,
        "iterations": o.iterations, "confidence_before": o.confidence_before, "confidence_after": o.confidence_after,
        "top3_before": o.top3_before, "top3_after": o.top3_after, "eps": p.eps, "flip_eps": o.flip_eps,
        "perturbation_scale": diverging_scale(ArrayView1::from(&o.perturbation)),
    });
    if let Some(dir) = &out {
        create_dir(dir)?;
        let (r, adv) = (
            ArrayView1::from(&o.perturbation),
            ArrayView1::from(&o.adversarial),
        );
        write_png(
            &dir.join("triptych.png"),
            &triptych(x.view(), r, adv, side, 224 / side, 12),
        )?;
        if !o.steps.is_empty() {
            let mut frames: Vec<ArrayView1<f64>> = vec![x.view()];
            frames.extend(o.steps.iter().map(ArrayView1::from));
            frames.push(adv);
            write_png(
                &dir.join("deepfool-steps.png"),
                &strip(&frames, side, 112 / side, 6),
            )?;
        }
    }
    print(&summary, as_json);
    Ok(())
}

pub fn run_ratios_cmd(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<AttackParams>(argv, &["json"], &["model-file"])?;
    Ok(ratios(p, a.option("model-file"), a.flag("json")))
}

fn ratios(p: AttackParams, model_file: Option<&str>, as_json: bool) -> Result<(), String> {
    let net = network(&p, model_file)?;
    let test = test_set(p.data)?;
    let test_accuracy = accuracy(&net, &test);
    let mut job = RatioJob::new(net, &test, p.clone());
    let table = run_to_end(&mut job, usize::MAX)?;
    let (n, rows) = (table.done, table.rows);
    if as_json {
        println!(
            "{}",
            json!({ "data": p.data, "model": p.model, "n": n, "seed": p.seed, "test_accuracy": test_accuracy, "rows": rows })
        );
    } else {
        println!(
            "{} {} (test accuracy {:.2} %), {} correctly classified test images, seed {}:",
            p.data.name(),
            p.model.name(),
            100.0 * test_accuracy,
            n,
            p.seed
        );
        println!(
            "  {:<10} {:>14} {:>12} {:>10}",
            "attack", "mean r2/x2", "mean r_inf", "flipped"
        );
        for r in rows {
            println!(
                "  {:<10} {:>14.4} {:>12.4} {:>6}/{}",
                r.attack, r.mean_r_over_x, r.mean_r_linf, r.successes, r.images
            );
        }
    }
    Ok(())
}

pub fn help() -> String {
    args::help::<AttackParams>("barriers-lab attack and ratios options (the keys of the attack page's link; also --input FILE, --model-file FILE, --out DIR, --json):")
}
