//! `barriers-lab train-recon`: trains the reconstruction network on the image family and
//! writes a network file (`www/models/recon-net.brn` by default).

use crate::args::{self, UsageError};
use crate::output::print;
use barriers_lab::data::images::shipped_data_dir;
use barriers_lab::data::mri::load_slices;
use barriers_lab::params;
use barriers_lab::recon::net::{NetHeader, ReconNet};
use barriers_lab::recon::train::{train, TrainOptions};
use serde_json::{json, Map};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The shipped slices the family is drawn from (halved for smaller sides).
const SIDE: usize = 64;

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) =
        args::parse::<TrainOptions>(argv, &["json", "quiet"], &["out", "threads", "checkpoint"])?;
    let out = PathBuf::from(a.option("out").unwrap_or("www/models/recon-net.brn"));
    let threads = match a.option("threads") {
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|t| (1..=64).contains(t))
            .ok_or_else(|| UsageError(format!("--threads: '{t}' is not 1 to 64")))?,
    };
    // --checkpoint STEP: also write the network after STEP steps (FILE-STEP.brn).
    let checkpoint = match a.option("checkpoint") {
        None => None,
        Some(s) => Some(
            s.parse::<usize>()
                .ok()
                .filter(|&s| s >= 1 && s <= p.steps)
                .ok_or_else(|| UsageError(format!("--checkpoint: '{s}' is not 1 to --steps")))?,
        ),
    };
    Ok(run_training(
        p,
        &out,
        threads,
        checkpoint,
        a.flag("json"),
        a.flag("quiet"),
    ))
}

fn write(path: &Path, net: &ReconNet, header: &NetHeader) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, net.to_bytes(header))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn header(
    net: &ReconNet,
    p: &TrainOptions,
    steps: usize,
    log: &[serde_json::Value],
    seconds: f64,
) -> NetHeader {
    let mut info = Map::new();
    info.insert("steps_done".into(), json!(steps));
    info.insert("seconds".into(), json!(seconds));
    info.insert("log".into(), json!(log));
    info.insert(
        "command".into(),
        json!(format!("barriers-lab train-recon {}", params::to_cli(p))),
    );
    net.header(p, info)
}

fn run_training(
    p: TrainOptions,
    out: &Path,
    threads: usize,
    checkpoint: Option<usize>,
    as_json: bool,
    quiet: bool,
) -> Result<(), String> {
    let slices = load_slices(SIDE, &shipped_data_dir())?.at_side(p.side)?;
    let start = Instant::now();
    let mut log = Vec::new();
    let mut last_psnr = f64::NAN;
    let mut ckpt_err = Ok(());
    let net = train(
        &slices,
        &p,
        threads,
        checkpoint.as_slice(),
        |l| {
            let secs = start.elapsed().as_secs_f64();
            if !quiet {
                eprintln!(
                    "step {:>6}/{}: loss {:.5}, validation PSNR {:.2} dB ({:.0} s)",
                    l.step, p.steps, l.loss, l.validation_psnr, secs
                );
            }
            last_psnr = l.validation_psnr;
            log.push(json!({"step": l.step, "loss": l.loss, "validation_psnr": l.validation_psnr, "seconds": secs}));
        },
        |step, net| {
            let stem = out.with_extension("");
            let path = PathBuf::from(format!("{}-{step}.brn", stem.display()));
            let h = header(net, &p, step, &[], start.elapsed().as_secs_f64());
            if let Err(e) = write(&path, net, &h) {
                ckpt_err = Err(e);
            }
        },
    )?;
    ckpt_err?;
    let seconds = start.elapsed().as_secs_f64();
    write(out, &net, &header(&net, &p, p.steps, &log, seconds))?;
    let summary = json!({
        "n_params": net.n_params(), "steps": p.steps, "validation_psnr": last_psnr,
        "seconds": seconds, "threads": threads, "out": out.display().to_string(),
    });
    print(&summary, as_json);
    Ok(())
}

pub fn help() -> String {
    args::help::<TrainOptions>(
        "barriers-lab train-recon options (also --out FILE, --threads N, --checkpoint STEP, --json, --quiet):",
    )
}
