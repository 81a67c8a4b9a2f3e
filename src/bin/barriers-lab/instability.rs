//! `barriers-lab instability`: the instability test (Antun et al., PNAS 2020) of one method
//! on one image, at the trained network's setting (its side, pattern, rate and mask).

use crate::args::{self, UsageError};
use crate::output::{create_dir, print, write_png};
use crate::recon::image_file;
use barriers_lab::data::images::shipped_data_dir;
use barriers_lab::data::mri::{load_slices, MriSlices};
use barriers_lab::demos::unstable::{
    held_out, samples::samples_rates, test::equal_size, tradeoff_variants, Case, Nets, SamplesJob,
    Setting, TestJob, TradeoffJob, TrainedNet, UnstableParams, Which,
};
use barriers_lab::job::{run_to_end, Job};
use barriers_lab::params;
use barriers_lab::render::mri::{error_rgba, grey_scaled_rgba};
use barriers_lab::render::raster::Canvas;
use ndarray::Array1;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The shipped network.
pub const MODEL: &str = "www/models/recon-net.brn";

pub fn help() -> String {
    args::help::<UnstableParams>(
        "barriers-lab instability options (also --image family:SEED|FILE, --model-file FILE, --json, --out DIR,
--equal-size: with --method net, also test the method of --transfer-to and feed it its own perturbation, scaled up to the
network's size if smaller, and the network's; prints both as equal_size):",
    )
}

/// The network's setting from `--model-file` or the shipped file.
pub fn setting(parsed: &args::Parsed) -> Result<Setting, String> {
    let path = parsed
        .option("model-file")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(MODEL));
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Setting::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The file of the shipped network `n`, in `www/models/` beside the shipped data.
pub fn trained_file(n: TrainedNet) -> PathBuf {
    shipped_data_dir()
        .parent()
        .map(|d| d.join("models"))
        .unwrap_or_default()
        .join(n.file())
}

/// The shipped networks of other training noises among `nets`, each checked to be its recipe
/// at its noise and to work on `main`'s measurements.
pub fn trained_nets(
    main: &Setting,
    nets: &[TrainedNet],
) -> Result<Vec<(TrainedNet, Setting)>, String> {
    let mut out = Vec::new();
    for &n in nets {
        if n == TrainedNet::Noise1 || out.iter().any(|(m, _)| *m == n) {
            continue;
        }
        let path = trained_file(n);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let s = main
            .companion(n, &bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((n, s));
    }
    Ok(out)
}

/// The network the state names (`--net`): the loaded one (`--model-file` or the shipped
/// file) for `noise-1`, else the shipped file of that training noise.
pub fn setting_for(parsed: &args::Parsed, p: &UnstableParams) -> Result<Setting, String> {
    let main = setting(parsed)?;
    match trained_nets(&main, &[p.net])?.pop() {
        Some((_, s)) => Ok(s),
        None => Ok(main),
    }
}

/// The shipped 64 x 64 slices, halved to the setting's side.
pub fn slices_for(s: &Setting) -> Result<MriSlices, String> {
    load_slices(64, &shipped_data_dir())?.at_side(s.side())
}

/// `--image family:SEED` (or the state's image_seed) or `--image FILE`.
pub fn case(
    p: &mut UnstableParams,
    parsed: &args::Parsed,
    s: &Setting,
) -> Result<Result<Case, String>, UsageError> {
    let n = s.a.side();
    let src = parsed.option("image");
    if let Some(seed) = src.and_then(|v| v.strip_prefix("family:")) {
        p.image_seed = seed.parse().map_err(|_| {
            UsageError(format!(
                "--image: expected family:SEED with SEED a whole number, got '{seed}'"
            ))
        })?;
    }
    Ok(match src {
        Some(file) if !file.starts_with("family:") => {
            let x =
                image_file(Path::new(file), n).map_err(|e| UsageError(format!("--image: {e}")))?;
            Case::image(s, x, None, p.image_seed, p.noise)
        }
        _ => slices_for(s).and_then(|sl| Case::family(s, &sl, p.image_seed, p.noise)),
    })
}

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (mut p, parsed) = args::parse::<UnstableParams>(
        argv,
        &["json", "equal-size"],
        &["image", "model-file", "out"],
    )?;
    let s =
        setting_for(&parsed, &p).map_err(|e| UsageError(format!("--model-file, --net: {e}")))?;
    let case = match case(&mut p, &parsed, &s)? {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    params::validate(&p)?;
    let equal = parsed.flag("equal-size");
    if equal && (p.method != Which::Net || p.transfer_to == Which::Net) {
        return Err(UsageError(
            "--equal-size compares the trained network (--method net) with a stable method (--transfer-to, not net)".into(),
        ));
    }
    Ok(attack(
        &p,
        &s,
        case,
        parsed.flag("json"),
        parsed.option("out"),
        equal,
    ))
}

fn attack(
    p: &UnstableParams,
    s: &Setting,
    case: Case,
    json: bool,
    out: Option<&str>,
    equal: bool,
) -> Result<(), String> {
    let t0 = std::time::Instant::now();
    let stable_case = equal.then(|| case.clone());
    let mut job = TestJob::new(s, case, p)?;
    run_to_end(&mut job, ())?;
    let equal_size = match stable_case {
        Some(c) => {
            let sp = UnstableParams {
                method: p.transfer_to,
                ..p.clone()
            };
            let mut stable = TestJob::new(s, c, &sp)?;
            run_to_end(&mut stable, ())?;
            Some(equal_size(s, &job, &stable)?)
        }
        None => None,
    };
    let (case, report) = (&job.case, job.test.report());
    let sum = job.summary.as_ref().ok_or("the test did not finish")?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let mut v = serde_json::to_value(sum).map_err(|e| e.to_string())?;
    v["ms"] = json!(ms);
    v["image_seed"] = json!(p.image_seed);
    v["held_out"] = json!(case.held_out());
    v["rate"] = json!(s.a.rate());
    v["state"] = json!(params::to_query(p));
    if let Some(e) = &equal_size {
        v["equal_size"] = serde_json::to_value(e).map_err(|e| e.to_string())?;
    }
    print(&v, json);
    if let Some(dir) = out {
        let dir = Path::new(dir);
        create_dir(dir)?;
        let n = s.a.side();
        let peak = case.x.fold(0.0f64, |a, v| a.max(*v));
        let png = |name: String, rgba: Vec<u8>| {
            write_png(
                &dir.join(name),
                &Canvas {
                    width: n,
                    height: n,
                    rgba,
                },
            )
        };
        png("image.png".into(), grey_scaled_rgba(case.x.view(), peak))?;
        let clean = report.clean_output.mapv(|z| z.norm());
        png("recon.png".into(), grey_scaled_rgba(clean.view(), peak))?;
        for (j, snap) in report.snapshots.iter().enumerate() {
            let xr: Array1<f64> = &case.x + &snap.r;
            let o = snap.output.mapv(|z| z.norm());
            png(
                format!("perturbed-{}.png", j + 1),
                grey_scaled_rgba(xr.view(), peak),
            )?;
            png(
                format!("recon-perturbed-{}.png", j + 1),
                grey_scaled_rgba(o.view(), peak),
            )?;
            png(
                format!("change-{}.png", j + 1),
                error_rgba(o.view(), clean.view(), peak),
            )?;
        }
    }
    Ok(())
}

/// A count option, 1..=max.
fn count(
    parsed: &args::Parsed,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, UsageError> {
    match parsed.option(name) {
        None => Ok(default),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|v| (1..=max).contains(v))
            .ok_or_else(|| UsageError(format!("--{name}: '{t}' is not 1 to {max}"))),
    }
}

pub fn samples_help() -> String {
    args::help::<UnstableParams>(
        "barriers-lab samples options (also --rates R1,R2,.. --images N --model-file FILE --json):",
    )
}

/// `barriers-lab samples`: PSNR against sampling rate with nested masks.
pub fn run_samples(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, parsed) = args::parse::<UnstableParams>(
        argv,
        &["json", "quiet"],
        &["rates", "images", "model-file"],
    )?;
    let rates: Vec<f64> = match parsed.option("rates") {
        None => samples_rates(),
        Some(t) => t
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| *r > 0.0 && *r <= 1.0)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                UsageError(format!("--rates: '{t}' is not a list of rates in (0, 1]"))
            })?,
    };
    let k = count(&parsed, "images", 8, 100)?;
    let quiet = parsed.flag("quiet");
    Ok((|| {
        let s = setting_for(&parsed, &p)?;
        let slices = slices_for(&s)?;
        let mut job = SamplesJob::with(&s, &p, rates, held_out(k));
        step_all(&mut job, (&s, &slices), |j| {
            if !quiet {
                let (i, n) = j.progress();
                eprintln!("samples: {i}/{n}");
            }
        })?;
        let pts = job.points();
        print(
            &json!({"trained_rate": s.header.training.rate, "images": k, "points": pts, "network": job.network_across_rates(), "state": params::to_query(&p)}),
            parsed.flag("json"),
        );
        Ok(())
    })())
}

pub fn tradeoff_help() -> String {
    args::help::<UnstableParams>(
        "barriers-lab tradeoff options (also --images N (clean), --attacked M, --checkpoint FILE (a less-trained network), --model-file FILE, --json):",
    )
}

/// `barriers-lab tradeoff`: accuracy against worst-case amplification, one point per variant.
pub fn run_tradeoff(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, parsed) = args::parse::<UnstableParams>(
        argv,
        &["json", "quiet"],
        &["images", "attacked", "checkpoint", "model-file"],
    )?;
    let k = count(&parsed, "images", 8, 100)?;
    let m = count(&parsed, "attacked", 2, 20)?;
    let quiet = parsed.flag("quiet");
    Ok((|| {
        let s = setting(&parsed)?;
        let slices = slices_for(&s)?;
        let mut shown = 0;
        let report = |j: &TradeoffJob| {
            // One worker: the variants finish in order.
            let n = j.slots.count_done();
            if !quiet && n > shown {
                shown = n;
                let label = j.slots.get(shown - 1).map_or("", |q| q.label.as_str());
                eprintln!("tradeoff: {shown}/{} {label}", j.variants.len());
            }
        };
        let variants = tradeoff_variants(&p, s.is_shipped_recipe());
        let mut job = TradeoffJob::with(variants, held_out(k), held_out(m));
        let others = trained_nets(&s, &job.nets())?;
        let nets = Nets {
            main: &s,
            others: &others,
        };
        step_all(&mut job, (nets, &slices), report)?;
        let mut pts = job.points();
        if let Some(file) = parsed.option("checkpoint") {
            let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let c = Setting::from_bytes(&bytes)?;
            if c.a.indices() != s.a.indices() {
                return Err(format!(
                    "{file} was trained at another mask than the network"
                ));
            }
            let v = UnstableParams {
                method: Which::Net,
                ..p.clone()
            };
            let steps = c
                .header
                .info
                .get("steps_done")
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            let label = format!("network after {steps} steps");
            let mut job = TradeoffJob::with(vec![(label, v)], held_out(k), held_out(m));
            run_to_end(&mut job, (Nets::one(&c), &slices))?;
            pts.extend(job.points());
        }
        print(
            &json!({"images": k, "attacked": m, "budget": p.budget, "points": pts}),
            parsed.flag("json"),
        );
        Ok(())
    })())
}

/// Steps a job to its end (as [`run_to_end`]), calling `each` after every step.
fn step_all<'i, J: Job>(
    job: &mut J,
    input: J::Input<'i>,
    mut each: impl FnMut(&J),
) -> Result<(), String>
where
    J::Input<'i>: Copy,
{
    while !job.done() {
        job.step(input)?;
        each(job);
    }
    Ok(())
}
