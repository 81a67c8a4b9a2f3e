//! `barriers-lab inexact`: the barrier of inexact input (PNAS 2022, Theorem 2 and Table 1),
//! one cell or the paper's nine.

use crate::args::{self, UsageError};
use crate::output::{create_dir, print, write_png};
use barriers_lab::demos::inexact::{CellJob, InexactParams, TableJob};
use barriers_lab::job::{run_to_end, Job};
use barriers_lab::params;
use barriers_lab::posters::inexact as poster;
use serde_json::{json, Value};
use std::path::PathBuf;

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, a) = args::parse::<InexactParams>(argv, &["json", "table"], &["out"])?;
    let out_dir = a.option("out").map(PathBuf::from);
    Ok(if a.flag("table") {
        run_table(&p, a.flag("json"))
    } else {
        run_cell(&p, a.flag("json"), out_dir)
    })
}

fn run_cell(p: &InexactParams, as_json: bool, out_dir: Option<PathBuf>) -> Result<(), String> {
    let mut job = CellJob::new(p)?.with_chunk(usize::MAX);
    run_to_end(&mut job, ())?;
    let mut out = json!(job.summary());
    if let Value::Object(o) = &mut out {
        o.insert("demo".into(), json!("inexact"));
        o.insert("state".into(), json!(params::to_query(p)));
    }
    if let Some(dir) = &out_dir {
        create_dir(dir)?;
        let canvas = poster::poster(p, &job.result(), None, crate::figures::FONT, 2.0)?;
        write_png(&dir.join("inexact.png"), &canvas)?;
    }
    print(&out, as_json);
    Ok(())
}

fn run_table(p: &InexactParams, as_json: bool) -> Result<(), String> {
    let mut job = TableJob::new(p)?;
    let table = run_to_end(&mut job, ())?;
    if as_json {
        println!("{}", json!(table));
        return Ok(());
    }
    let cell = |v: Option<barriers_lab::job::Num>| v.map_or("-".into(), |n| format!("{:.3e}", n.0));
    println!(
        "{:>2} {:>3} {:>10} {:>6} {:>10} {:>10} {:>3} {:>10} {:>3} {:>10} {:>3}",
        "K", "n", "|A_n-A|", "|y_n-y|", "gap", "FIRENET", "d", "CP", "d", "LISTA", "d"
    );
    for r in &table.rows {
        let d = |v: Option<u32>| v.map_or("-".into(), |d| d.to_string());
        println!(
            "{:>2} {:>3} {:>10.3e} {:>6} {:>10.3e} {:>10} {:>3} {:>10} {:>3} {:>10} {:>3}",
            r.about.k,
            r.about.n,
            r.about.a_dist,
            r.about.y_dist,
            r.about.minimiser_gap,
            cell(r.firenet_error),
            d(r.digits_firenet),
            cell(r.cp_error),
            d(r.digits_cp),
            cell(r.lista_error),
            d(r.digits_lista)
        );
    }
    Ok(())
}

pub fn help() -> String {
    args::help::<InexactParams>(
        "barriers-lab inexact options (the keys of the page's link; --table for the nine cells \
         K = 1, 3, 6 by n = 10, 20, 30; --json; --out DIR writes the poster):",
    )
}
