//! `barriers-lab stripes`: false structures (Thesing, Antun, Hansen, arXiv:1906.01478): the
//! stripe network trained with the background's sign tied to the label or random, scored on
//! fresh test images and on the false set, and attacked by DeepFool.

use crate::args::{self, UsageError};
use crate::output::print;
use barriers_lab::demos::stripes::{StripesParams, TrainJob};
use barriers_lab::job::run_to_end;
use barriers_lab::params;
use serde_json::{json, Value};

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<StripesParams>(argv, &["json", "curve"], &[])?;
    Ok(run_job(&p, a.flag("json"), a.flag("curve")))
}

fn run_job(p: &StripesParams, as_json: bool, with_curve: bool) -> Result<(), String> {
    let mut job = TrainJob::new(p)?.with_chunk(usize::MAX);
    let result = run_to_end(&mut job, ())?;
    let curve = json!(result.curve);
    let mut out = json!(job.summary());
    if let Value::Object(o) = &mut out {
        o.insert("demo".into(), json!("stripes"));
        o.insert("state".into(), json!(params::to_query(p)));
        if with_curve {
            o.insert("curve".into(), curve);
        }
    }
    print(&out, as_json);
    Ok(())
}

pub fn help() -> String {
    args::help::<StripesParams>(
        "barriers-lab stripes options (the keys of the page's link; --json; --curve adds the \
         training curve, loss and accuracy per epoch):",
    )
}
