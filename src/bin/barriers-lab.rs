//! `barriers-lab`: the lab's experiments on the command line, from the same parameters as
//! the page (every `--key value` is the `key=value` of a page link).
//!
//! Exit status: 0 on success, 2 with a one-line message on bad arguments, 1 if an output
//! file cannot be written.

use barriers_lab::demos::toy::{ToyLab, ToyParams};
use barriers_lab::params::{self, ParamError, Params};
use barriers_lab::render::figures::{toy_figure, training_figure};
use barriers_lab::render::raster::Canvas;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
barriers-lab: the Barriers Lab experiments on the command line

USAGE:
    barriers-lab toy [--KEY VALUE]... [--params FILE] [--attack deepfool|fgsm] [--json] [--out DIR]
    barriers-lab help [toy]

toy: decision boundaries of a 2-D classifier, attacked by DeepFool and FGSM.
    Every key of the page's link is an option (--data moons --hidden 16,16 ...); run
    `barriers-lab help toy` for the list with ranges and defaults.
    --params FILE   start from a state file saved by the page (options given too override it)
    --attack NAME   report DeepFool (default) or FGSM from --point
    --json          print the metrics as one JSON object
    --out DIR       write decision.png and training.png into DIR

EXAMPLE:
    barriers-lab toy --data moons --model mlp --hidden 16,16 --seed 7 --epochs 300 \\
        --point 0.5,0.25 --attack deepfool --json
";

/// A usage error: printed on one line, exit status 2.
struct UsageError(String);

impl From<ParamError> for UsageError {
    fn from(e: ParamError) -> Self {
        UsageError(match e.key {
            Some(k) => format!("--{k}: {}", e.message),
            None => e.message,
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Attack {
    DeepFool,
    Fgsm,
}

struct ToyArgs {
    params: ToyParams,
    attack: Attack,
    json: bool,
    out: Option<PathBuf>,
}

fn parse_toy(args: &[String]) -> Result<ToyArgs, UsageError> {
    let mut obj = Map::new();
    let mut from_file: Option<Map<String, Value>> = None;
    let mut attack = None;
    let mut json = false;
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg.strip_prefix("--") else {
            return Err(UsageError(format!("unexpected argument '{arg}'")));
        };
        let (key, inline) = match name.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (name, None),
        };
        if key == "json" {
            json = true;
            continue;
        }
        let mut value = || -> Result<String, UsageError> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| UsageError(format!("--{key} needs a value")))
        };
        match key {
            "out" => out = Some(PathBuf::from(value()?)),
            "attack" => {
                attack = Some(match value()?.as_str() {
                    "deepfool" => Attack::DeepFool,
                    "fgsm" => Attack::Fgsm,
                    other => {
                        return Err(UsageError(format!(
                            "--attack: expected deepfool or fgsm, got '{other}'"
                        )))
                    }
                })
            }
            "params" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| UsageError(format!("--params: cannot read {path}: {e}")))?;
                match serde_json::from_str(&text) {
                    Ok(Value::Object(m)) => from_file = Some(m),
                    Ok(_) => {
                        return Err(UsageError(format!("--params: {path} is not a JSON object")))
                    }
                    Err(e) => {
                        return Err(UsageError(format!(
                            "--params: {path} is not valid JSON: {e}"
                        )))
                    }
                }
            }
            _ => {
                let v = params::parse_pair::<ToyParams>(key, &value()?)?;
                if obj.insert(key.to_owned(), v).is_some() {
                    return Err(UsageError(format!("--{key} given twice")));
                }
            }
        }
    }
    let mut merged = from_file.unwrap_or_default();
    merged.extend(obj);
    let params: ToyParams = params::from_object(merged)?;
    if attack.is_some() && params.point.is_none() {
        return Err(UsageError("--attack needs --point x,y".into()));
    }
    Ok(ToyArgs {
        params,
        attack: attack.unwrap_or(Attack::DeepFool),
        json,
        out,
    })
}

fn run_toy(args: ToyArgs) -> Result<(), String> {
    let mut lab = ToyLab::new(args.params);
    lab.train_to_target(usize::MAX);
    let m = lab.train_metrics();
    let p = lab.params();
    let mut out = json!({
        "demo": "toy",
        "state": params::to_query(p),
        "epochs": lab.epochs_done(),
        "n_params": lab.net().n_params(),
        "train_loss": m.loss,
        "train_accuracy": m.accuracy,
    });
    if let (Some(rep), Value::Object(o)) = (lab.attack(), &mut out) {
        o.insert("point".into(), json!(rep.point));
        o.insert("label".into(), json!(rep.label));
        o.insert("confidence".into(), json!(rep.probabilities[rep.label]));
        match args.attack {
            Attack::DeepFool => {
                let d = &rep.deepfool;
                o.insert("attack".into(), json!("deepfool"));
                o.insert("norm".into(), json!(p.norm.name()));
                o.insert("adv_label".into(), json!(d.adv_label));
                o.insert(
                    "adv_confidence".into(),
                    json!(rep.deepfool_probabilities[d.adv_label]),
                );
                o.insert("success".into(), json!(d.success()));
                o.insert("stop".into(), json!(d.stop));
                o.insert("iterations".into(), json!(d.iterations));
                o.insert("r_l2".into(), json!(d.size.r_l2));
                o.insert("r_linf".into(), json!(d.size.r_linf));
                o.insert("r_over_x".into(), json!(d.size.r_over_x));
                o.insert("perturbation".into(), json!(d.perturbation));
            }
            Attack::Fgsm => {
                let f = &rep.fgsm;
                o.insert("attack".into(), json!("fgsm"));
                o.insert("eps".into(), json!(f.eps));
                o.insert("adv_label".into(), json!(f.adv_label));
                o.insert("flipped".into(), json!(f.flipped));
                o.insert("r_l2".into(), json!(f.size.r_l2));
                o.insert("r_linf".into(), json!(f.size.r_linf));
                o.insert("r_over_x".into(), json!(f.size.r_over_x));
                o.insert("perturbation".into(), json!(f.perturbation));
            }
        }
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        write_png(&dir.join("decision.png"), &toy_figure(&lab, 480))?;
        write_png(
            &dir.join("training.png"),
            &training_figure(lab.history(), 480, 240),
        )?;
    }
    if args.json {
        println!("{out}");
    } else {
        print_human(&out);
        if let Some(dir) = &args.out {
            println!("figures: {}", dir.display());
        }
    }
    Ok(())
}

/// `key: value` lines, for reading in a terminal.
fn print_human(v: &Value) {
    if let Value::Object(o) = v {
        for (k, v) in o {
            match v {
                Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() != 0.0) => {
                    println!("{k}: {:.6}", n.as_f64().unwrap_or(f64::NAN))
                }
                Value::String(s) => println!("{k}: {s}"),
                other => println!("{k}: {other}"),
            }
        }
    }
}

fn write_png(path: &Path, canvas: &Canvas) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        canvas.width as u32,
        canvas.height as u32,
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| fail(&e))?;
    writer
        .write_image_data(&canvas.rgba)
        .map_err(|e| fail(&e))?;
    writer.finish().map_err(|e| fail(&e))
}

/// The toy demo's options, from its schema.
fn toy_help() -> String {
    let defaults = serde_json::to_value(ToyParams::default()).unwrap_or(Value::Null);
    let mut s = String::from("barriers-lab toy options (the keys of the page's link):\n");
    for f in ToyParams::SCHEMA {
        let d = defaults
            .get(f.key)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let range = match f.kind {
            params::Kind::Int { min, max } => format!("{min}..{max}"),
            params::Kind::Float { min, max, .. } => format!("{min}..{max}"),
            params::Kind::Choice(o) => o.join("|"),
            params::Kind::IntList {
                min_len,
                max_len,
                min,
                max,
            } => format!("{min_len}-{max_len} of {min}..{max}, comma-separated"),
            params::Kind::Point { min, max } => format!("x,y in {min}..{max}"),
        };
        s += &format!("    --{:<11} {} [{range}] (default {d})\n", f.key, f.help);
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("toy") if args[1..].iter().any(|a| a == "--help" || a == "-h") => {
            print!("{}", toy_help());
            return ExitCode::SUCCESS;
        }
        Some("toy") => parse_toy(&args[1..]).map(|a| run_toy(a).map_err(|e| (1, e))),
        Some("help") | Some("--help") | Some("-h") => {
            if args.get(1).map(String::as_str) == Some("toy") {
                print!("{}", toy_help());
            } else {
                print!("{USAGE}");
            }
            return ExitCode::SUCCESS;
        }
        Some("--version") | Some("-V") => {
            println!("barriers-lab {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(UsageError(format!("unknown command '{other}'"))),
        None => Err(UsageError("no command given".into())),
    };
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err((code, msg))) => {
            eprintln!("barriers-lab: {msg}");
            ExitCode::from(code)
        }
        Err(UsageError(msg)) => {
            eprintln!("barriers-lab: {msg} (see barriers-lab --help)");
            ExitCode::from(2)
        }
    }
}
