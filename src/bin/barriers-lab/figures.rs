//! `barriers-lab figures`: every demo's poster (PNG) and numbers (JSON and CSV), computed from
//! the shipped data and models by the same code the pages' workers call, at the pages' default
//! state or a page link's (read leniently, as the pages read links).

use crate::args::UsageError;
use crate::output::create_dir;
use barriers_lab::data::images::{load, shipped_data_dir, split};
use barriers_lab::data::mri::load_slices;
use barriers_lab::demos::attacks::{AttackParams, AttackRun};
use barriers_lab::demos::dimension::{DimensionJob, DimensionModels, DimensionParams};
use barriers_lab::demos::inexact::{CellJob, InexactParams, TableJob};
use barriers_lab::demos::kernel1d::page::Kernel1dPage;
use barriers_lab::demos::kernel1d::Kernel1dParams;
use barriers_lab::demos::mri::{MriExperiment, MriImages, MriParams};
use barriers_lab::demos::stripes::page::Figure as StripesFigure;
use barriers_lab::demos::stripes::{StripesParams, TrainJob as StripesJob};
use barriers_lab::demos::toy::{ToyLab, ToyParams};
use barriers_lab::demos::universal::{ShippedPerturbation, UniversalJob, UniversalParams};
use barriers_lab::demos::unstable::{
    Case, DetailJob, RateImages, SamplesJob, Setting, TestJob, TradeoffJob, UnstableParams, View,
};
use barriers_lab::job::run_to_end;
use barriers_lab::models::{model_file_name, ImageModel};
use barriers_lab::nn::io::from_bytes;
use barriers_lab::nn::Network;
use barriers_lab::params::{self, Params};
use barriers_lab::posters::{
    self as poster, attacks, dimension, inexact, kernel1d, mri, stripes, toy, universal,
};
use barriers_lab::render::numbers::Numbers;
use barriers_lab::render::raster::Canvas;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The font the posters are drawn in (the pages fetch the same file).
pub const FONT: &[u8] = include_bytes!("../../../www/fonts/DejaVuSans.ttf");

pub const DEMOS: [&str; 9] = [
    "toy",
    "attacks",
    "universal",
    "dimension",
    "mri",
    "unstable",
    "inexact",
    "kernel1d",
    "stripes",
];

pub fn help() -> String {
    format!(
        "barriers-lab figures --out DIR [--demo NAME]... [--scale S] [--link NAME=QUERY]...

Writes DIR/NAME.png (the demo's figure as a poster), DIR/NAME.json and DIR/NAME.csv (its
numbers) for every demo named, at the page's default state, computed from the shipped files
in www/ (kernel1d and stripes train their networks as their pages do). By default all {}:
{}.
    --out DIR          the folder to write into (created if missing)
    --demo NAME        one demo (repeatable)
    --scale S          pixels per layout unit, 0.5 to 6 (default 2: body text 26 px)
    --link NAME=QUERY  render NAME at a page link's state (the part after '#'; read leniently
                       as the page reads it: keys it cannot read are dropped with a warning)
                       (repeatable; also selects NAME); for unstable, its view= key picks
                       the figure: test, kernel, structure, samples or tradeoff, computed as
                       the page computes that view; for kernel1d, the part 'sweep' in
                       the link adds the sweep over delta (the page's Sweep button)
",
        DEMOS.len(),
        DEMOS.join(", ")
    )
}

pub fn run(argv: &[String]) -> Result<Result<(), String>, UsageError> {
    let mut out = None;
    let mut demos: Vec<String> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut scale = 2.0;
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| UsageError(format!("{key} needs a value")))
        };
        match key {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--demo" => {
                let d = value()?;
                if !DEMOS.contains(&d.as_str()) {
                    return Err(UsageError(format!(
                        "--demo: expected one of {}, got '{d}'",
                        DEMOS.join(", ")
                    )));
                }
                demos.push(d);
            }
            "--scale" => {
                let v = value()?;
                scale = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (poster::MIN_SCALE..=poster::MAX_SCALE).contains(s))
                    .ok_or_else(|| {
                        UsageError(format!(
                            "--scale: expected a number from {} to {}, got '{v}'",
                            poster::MIN_SCALE,
                            poster::MAX_SCALE
                        ))
                    })?;
            }
            "--link" => {
                let v = value()?;
                let (name, query) = v
                    .split_once('=')
                    .ok_or_else(|| UsageError(format!("--link: expected NAME=QUERY, got '{v}'")))?;
                if !DEMOS.contains(&name) {
                    return Err(UsageError(format!(
                        "--link: expected one of {} before '=', got '{name}'",
                        DEMOS.join(", ")
                    )));
                }
                links.push((name.to_owned(), query.trim_start_matches('#').to_owned()));
            }
            other => return Err(UsageError(format!("unexpected argument '{other}'"))),
        }
    }
    let out = out.ok_or_else(|| UsageError("--out DIR is needed".into()))?;
    for (name, _) in &links {
        if !demos.contains(name) {
            demos.push(name.clone());
        }
    }
    if demos.is_empty() {
        demos = DEMOS.iter().map(|d| (*d).to_owned()).collect();
    }
    demos.sort_by_key(|d| DEMOS.iter().position(|x| x == d));
    demos.dedup();
    Ok(write_all(&out, &demos, &links, scale))
}

fn write_all(
    out: &Path,
    demos: &[String],
    links: &[(String, String)],
    scale: f64,
) -> Result<(), String> {
    create_dir(out)?;
    let all = Instant::now();
    for d in demos {
        let t0 = Instant::now();
        let query = links
            .iter()
            .rev()
            .find(|(n, _)| n == d)
            .map_or("", |(_, q)| q.as_str());
        let (canvas, numbers) = render(d, query, scale)?;
        let write = |ext: &str, bytes: &[u8]| {
            let path = out.join(format!("{d}.{ext}"));
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write("png", &canvas.to_png()?)?;
        write("json", numbers.to_json().as_bytes())?;
        write("csv", numbers.to_csv().as_bytes())?;
        println!(
            "{d}: {} x {} px, {} metrics, {:.2} s",
            canvas.width,
            canvas.height,
            numbers.metrics.0.len(),
            t0.elapsed().as_secs_f64()
        );
    }
    println!(
        "figures: {} ({:.2} s in all)",
        out.display(),
        all.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A page link's state, read as the page reads it; what it drops is reported on stderr.
fn state<P: Params>(demo: &str, query: &str) -> P {
    let (p, dropped) = params::from_query_lenient::<P>(query);
    for e in dropped {
        eprintln!("barriers-lab: --link {demo}: dropped {e}");
    }
    p
}

fn models_dir() -> PathBuf {
    shipped_data_dir()
        .parent()
        .map(|d| d.join("models"))
        .unwrap_or_default()
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn shipped_net(
    data: barriers_lab::data::images::ImageDataset,
    m: ImageModel,
) -> Result<Network, String> {
    let path = models_dir().join(model_file_name(data, m));
    Ok(from_bytes(&read(&path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .0)
}

/// Computes one demo's state as its page's worker does and draws it.
fn render(demo: &str, query: &str, scale: f64) -> Result<(Canvas, Numbers), String> {
    match demo {
        "toy" => {
            let mut lab = ToyLab::new(state::<ToyParams>(demo, query));
            barriers_lab::job::run_to_end(&mut lab, ())?;
            Ok((toy::poster(&lab, FONT, scale)?, toy::numbers(&lab)))
        }
        "attacks" => {
            let p = state::<AttackParams>(demo, query);
            let (_, test) = split(&load(p.data, &shipped_data_dir())?);
            let net = shipped_net(p.data, p.model)?;
            let (x, true_label) = p.input(&test)?;
            let run = AttackRun::new(&net, x.view(), true_label, &p);
            let s = attacks::AttackState {
                params: &p,
                x: x.view(),
                true_label,
                run: &run,
            };
            Ok((attacks::poster(&s, FONT, scale)?, attacks::numbers(&s)))
        }
        "universal" => {
            let p = state::<UniversalParams>(demo, query);
            let (train, test) = split(&load(p.data, &shipped_data_dir())?);
            let nets: Vec<(ImageModel, Network)> = ImageModel::ALL
                .iter()
                .map(|&m| shipped_net(p.data, m).map(|n| (m, n)))
                .collect::<Result<_, _>>()?;
            let refs: Vec<(ImageModel, &Network)> = nets.iter().map(|(m, n)| (*m, n)).collect();
            let shipped =
                match std::fs::read(models_dir().join(ShippedPerturbation::file_name(p.data))) {
                    Ok(bytes) => ShippedPerturbation::from_bytes(&bytes)?,
                    Err(_) => Vec::new(),
                };
            let mut job = UniversalJob::new(p.clone(), &refs, Some(&train), test.len(), &shipped)?;
            run_to_end(&mut job, (&test, 200))?;
            let source = refs
                .iter()
                .find(|(m, _)| *m == p.model)
                .map(|(_, n)| *n)
                .ok_or("the source model is not loaded")?;
            let s = universal::UniversalState::of(&p, &job, &test, source, universal::EXAMPLES);
            Ok((universal::poster(&s, FONT, scale)?, universal::numbers(&s)))
        }
        "dimension" => {
            let p = state::<DimensionParams>(demo, query);
            let (train, test) = split(&load(p.data, &shipped_data_dir())?);
            let shipped = match std::fs::read(models_dir().join(DimensionModels::file_name(p.data)))
            {
                Ok(bytes) => Some(DimensionModels::from_bytes(&bytes)?),
                Err(_) => None,
            };
            let mut job = DimensionJob::new(p.clone(), shipped.as_ref());
            run_to_end(&mut job, (Some(&train), &test))?;
            let given = job.uses_given();
            Ok((
                dimension::poster(&p, &job.rows, given, FONT, scale)?,
                dimension::numbers(&p, &job.rows, given),
            ))
        }
        "mri" => {
            let p = state::<MriParams>(demo, query);
            let mut images = MriImages::default();
            for side in images.missing(&p) {
                images.slices.push(load_slices(side, &shipped_data_dir())?);
            }
            let mut exp = MriExperiment::new(p, &images)?;
            barriers_lab::job::run_to_end(&mut exp, ())?;
            Ok((mri::poster(&exp, FONT, scale)?, mri::numbers(&exp)))
        }
        "unstable" => unstable_figure(state::<UnstableParams>(demo, query), scale),
        "inexact" => {
            let p = state::<InexactParams>(demo, query);
            let mut cell = CellJob::new(&p)?;
            let cell = run_to_end(&mut cell, ())?;
            let mut nine = TableJob::new(&p)?;
            let nine = run_to_end(&mut nine, ())?;
            Ok((
                inexact::poster(&p, &cell, Some(&nine), FONT, scale)?,
                inexact::numbers(&p, &cell, Some(&nine)),
            ))
        }
        "kernel1d" => {
            // The page's "Sweep δ" button adds the sweep over delta to the figure; a link asks
            // for it here with the part "sweep", which is not a key of the page's state.
            let mut sweep = false;
            let parts: Vec<&str> = query
                .split('&')
                .filter(|part| {
                    let is = *part == "sweep";
                    sweep |= is;
                    !is
                })
                .collect();
            let p = state::<Kernel1dParams>(demo, &parts.join("&"));
            let f = Kernel1dPage::new(p).compute_figure(sweep)?;
            Ok((kernel1d::poster(&f, FONT, scale)?, kernel1d::numbers(&f)))
        }
        "stripes" => {
            let p = state::<StripesParams>(demo, query);
            let mut job = StripesJob::new(&p)?;
            run_to_end(&mut job, ())?;
            let fig = StripesFigure::of(&job)?;
            Ok((
                stripes::poster(&p, &fig, FONT, scale)?,
                stripes::numbers(&p, &fig),
            ))
        }
        other => Err(format!("unknown demo '{other}'")),
    }
}

/// The unstable page's figure of the state's view, computed as the page's worker computes it
/// (the same jobs, run to the end).
fn unstable_figure(p: UnstableParams, scale: f64) -> Result<(Canvas, Numbers), String> {
    use poster::unstable::{detail, samples, tradeoff, Figure, UnstableState};
    let main = Setting::from_bytes(&read(&models_dir().join("recon-net.brn"))?)?;
    // The state's network (the trade-off plot takes each variant's from `main` and those
    // beside it).
    let setting = match crate::instability::trained_nets(&main, &[p.net])?.pop() {
        Some((_, s)) if p.view != View::Tradeoff => s,
        _ => main,
    };
    let slices = crate::instability::slices_for(&setting)?;
    let draw = |f: Figure| -> Result<(Canvas, Numbers), String> {
        Ok((
            poster::unstable::poster(&f, FONT, scale)?,
            poster::unstable::numbers(&f),
        ))
    };
    match p.view {
        View::Test => {
            let case = Case::family(&setting, &slices, p.image_seed, p.noise)?;
            let mut job = TestJob::new(&setting, case, &p)?;
            run_to_end(&mut job, ())?;
            let summary = job.summary.as_ref().ok_or("the test did not finish")?;
            draw(Figure::Test(UnstableState {
                params: &p,
                case: &job.case,
                test: &job.test,
                summary,
            }))
        }
        View::Kernel | View::Structure => {
            let mut job = DetailJob::new(&setting, &slices, &p)?;
            run_to_end(&mut job, &setting)?;
            draw(Figure::Detail(detail::DetailState {
                params: &p,
                job: &job,
            }))
        }
        View::Samples => {
            let rate = RateImages::new(&setting, &slices, &p)?;
            let mut job = SamplesJob::new(&setting, &p);
            run_to_end(&mut job, (&setting, &slices))?;
            draw(Figure::Samples(samples::SamplesState {
                params: &p,
                job: &job,
                rate: &rate,
            }))
        }
        View::Tradeoff => {
            let mut job = TradeoffJob::new(&p, &setting);
            let others = crate::instability::trained_nets(&setting, &job.nets())?;
            let nets = barriers_lab::demos::unstable::Nets {
                main: &setting,
                others: &others,
            };
            run_to_end(&mut job, (nets, &slices))?;
            draw(Figure::Tradeoff(tradeoff::TradeoffState {
                params: &p,
                job: &job,
            }))
        }
    }
}
