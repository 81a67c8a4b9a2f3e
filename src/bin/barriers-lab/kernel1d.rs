//! `barriers-lab kernel1d`: the troublesome kernel in 1-D (Gottschling, Antun, Adcock,
//! Hansen, SIAM Review 2025): a network trained with or without kernel-aware pairs, the TV
//! square-root LASSO, the instability test on held-out signals and the bound.

use crate::args::{self, UsageError};
use crate::output::print;
use barriers_lab::demos::kernel1d::{run as run_demo, Kernel1dParams, Summary, SweepJob};
use barriers_lab::job::run_to_end;
use barriers_lab::params;
use serde_json::{json, Value};

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<Kernel1dParams>(argv, &["json", "sweep", "trace"], &[])?;
    Ok(if a.flag("sweep") {
        run_sweep(&p, a.flag("json"))
    } else {
        run_one(&p, a.flag("json"), a.flag("trace"))
    })
}

fn run_one(p: &Kernel1dParams, as_json: bool, trace: bool) -> Result<(), String> {
    let (tr, ev) = run_demo(p)?;
    let mut out = json!(Summary::new(p, &ev));
    if let Value::Object(o) = &mut out {
        o.insert("demo".into(), json!("kernel1d"));
        o.insert("state".into(), json!(params::to_query(p)));
        if trace {
            o.insert("trace".into(), json!(tr.trace));
            o.insert("attacked".into(), json!(ev.attacked));
        }
    }
    print(&out, as_json);
    Ok(())
}

fn run_sweep(p: &Kernel1dParams, as_json: bool) -> Result<(), String> {
    let mut job = SweepJob::new(p)?;
    let r = run_to_end(&mut job, ())?;
    if as_json {
        println!("{}", json!(r));
        return Ok(());
    }
    println!(
        "{:>6} {:>8} {:>14} {:>10} {:>8} {:>8}",
        "delta", "1/delta", "amplification", "bound", "eta", "pair_err"
    );
    for q in &r.points {
        println!(
            "{:>6} {:>8.1} {:>14.3} {:>10} {:>8.3} {:>8.3}",
            q.delta,
            q.inverse_delta,
            q.amplification.0,
            q.bound.map_or("-".into(), |b| format!("{:.3}", b.0)),
            q.eta.0,
            q.pair_error.0
        );
    }
    Ok(())
}

pub fn help() -> String {
    args::help::<Kernel1dParams>(
        "barriers-lab kernel1d options (the keys of the page's link; --json; --trace adds the \
         training trace and the attacked signals; --sweep: the amplification against delta, \
         retraining with pairs at delta = 0.02, 0.05, 0.1, 0.2, 0.4):",
    )
}
