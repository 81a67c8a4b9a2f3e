//! `barriers-lab toy`: decision boundaries of a 2-D classifier, attacked by DeepFool and FGSM.

use crate::args::{self, UsageError};
use crate::output::{create_dir, print, write_png};
use barriers_lab::demos::toy::{ToyLab, ToyParams};
use barriers_lab::job::run_to_end;
use barriers_lab::params;
use barriers_lab::posters::figures::{toy_figure, training_figure};
use serde_json::{json, Value};
use std::path::PathBuf;

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<ToyParams>(argv, &["json"], &["out", "attack"])?;
    let attack = match a.option("attack") {
        None | Some("deepfool") => "deepfool",
        Some("fgsm") => "fgsm",
        Some(other) => {
            return Err(UsageError(format!(
                "--attack: expected deepfool or fgsm, got '{other}'"
            )))
        }
    };
    if a.option("attack").is_some() && p.point.is_none() {
        return Err(UsageError("--attack needs --point x,y".into()));
    }
    let out_dir = a.option("out").map(PathBuf::from);
    Ok(run_toy(p, attack, a.flag("json"), out_dir))
}

fn run_toy(
    p: ToyParams,
    attack: &str,
    as_json: bool,
    out_dir: Option<PathBuf>,
) -> Result<(), String> {
    let mut lab = ToyLab::new(p);
    let metrics = run_to_end(&mut lab, ())?;
    let mut out = json!(metrics);
    let p = lab.params();
    if let Value::Object(o) = &mut out {
        o.insert("demo".into(), json!("toy"));
        o.insert("state".into(), json!(params::to_query(p)));
    }
    if let (Some(rep), Value::Object(o)) = (lab.attack(), &mut out) {
        o.insert("point".into(), json!(rep.point));
        o.insert("label".into(), json!(rep.label));
        o.insert("confidence".into(), json!(rep.probabilities[rep.label]));
        o.insert("attack".into(), json!(attack));
        if attack == "deepfool" {
            let d = &rep.deepfool;
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
        } else {
            let f = &rep.fgsm;
            o.insert("eps".into(), json!(f.eps));
            o.insert("adv_label".into(), json!(f.adv_label));
            o.insert("flipped".into(), json!(f.flipped));
            o.insert("r_l2".into(), json!(f.size.r_l2));
            o.insert("r_linf".into(), json!(f.size.r_linf));
            o.insert("r_over_x".into(), json!(f.size.r_over_x));
            o.insert("perturbation".into(), json!(f.perturbation));
        }
    }
    if let Some(dir) = &out_dir {
        create_dir(dir)?;
        write_png(&dir.join("decision.png"), &toy_figure(&lab, 480))?;
        write_png(
            &dir.join("training.png"),
            &training_figure(lab.history(), 480, 240),
        )?;
    }
    print(&out, as_json);
    if let (Some(dir), false) = (&out_dir, as_json) {
        println!("figures: {}", dir.display());
    }
    Ok(())
}

pub fn help() -> String {
    args::help::<ToyParams>("barriers-lab toy options (the keys of the page's link):")
}
