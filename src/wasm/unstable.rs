//! The unstable-network page's binding (`www/unstable.html`). The worker fetches the network
//! file and the Colin27 stack and hands over their bytes; every number and picture is
//! computed here by [`crate::demos::unstable`], [`crate::kernel_awareness`] and the
//! instability test.
//!
//! The long computations (the instability test, the two detail views, the more-samples curve,
//! the trade-off plot) are jobs: `*_prepare` makes one for the current state unless the one
//! held is already for it (its key: the state minus what the job does not depend on), and
//! `*_step` does a little of it and returns `[done, total, finished]`, so that the worker
//! reports progress and stops for Cancel or a newer state. A stopped job is kept and resumes
//! where it was; switching views, or changing what is only shown, recomputes nothing.

use super::{js_error, state_methods};
use crate::data::family::{FamilyKind, SITES};
use crate::data::mri::{decode_slices, file_name, MriSlices, SHIPPED_SIDES};
use crate::demos::mri::modulus;
use crate::demos::unstable::tradeoff::{
    samples_rates, DetailJob, RateImages, SamplesJob, TradeoffJob, SAMPLES_METHODS,
};
use crate::demos::unstable::{self, Case, Setting, Summary, Transfer, UnstableParams, View, Which};
use crate::instability::{InstabilityTest, Snapshot};
use crate::operators::{complex, norm2};
use crate::params;
use crate::posters as poster;
use crate::recon::metrics::psnr;
use crate::render::images::{diverging_rgba, diverging_scale};
use crate::render::mri::grey_scaled_rgba;
use ndarray::Array1;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// The shipped network, relative to `www/models/`.
pub const NETWORK_FILE: &str = "recon-net.brn";

/// Keys that only decide what the page shows.
const PAGE_ONLY: &[&str] = &[
    "view",
    "transfer_to",
    "detail",
    "detail_radius",
    "detail_amp",
    "detail_texture",
    "delta",
    "show_rate",
    "samples_images",
    "tradeoff_iters",
    "tradeoff_images",
];
/// Keys of the instability test alone.
const TEST_ONLY: &[&str] = &[
    "method",
    "budget",
    "iters",
    "lambda",
    "eta",
    "gamma",
    "attack_seed",
];
/// Keys the trade-off plot sets itself in each variant (its base keeps the defaults).
const TRADEOFF_SETS: &[&str] = &["method", "iters", "lambda_tv", "lambda_w", "restarts"];
const DETAIL_KEYS: &[&str] = &["detail", "detail_radius", "detail_amp", "detail_texture"];

/// The state as text without the keys in `drop` (unless in `keep`): what a job depends on.
fn key(p: &UnstableParams, drop: &[&[&str]], keep: &[&str]) -> String {
    let Ok(Value::Object(mut m)) = serde_json::to_value(p) else {
        return String::new();
    };
    m.retain(|k, _| keep.contains(&k.as_str()) || !drop.iter().any(|d| d.contains(&k.as_str())));
    Value::Object(m).to_string()
}

fn test_key(p: &UnstableParams) -> String {
    key(p, &[PAGE_ONLY], &[])
}

fn transfer_key(p: &UnstableParams) -> String {
    key(p, &[PAGE_ONLY], &["transfer_to"])
}

fn detail_key(p: &UnstableParams) -> String {
    let mut keep = DETAIL_KEYS.to_vec();
    keep.push("view");
    if p.view == View::Kernel {
        keep.push("delta");
    }
    key(p, &[PAGE_ONLY, TEST_ONLY], &keep)
}

fn samples_key(p: &UnstableParams) -> String {
    key(
        p,
        &[PAGE_ONLY, TEST_ONLY, &["image_seed"]],
        &["samples_images"],
    )
}

fn rate_key(p: &UnstableParams) -> String {
    key(p, &[PAGE_ONLY, TEST_ONLY], &["show_rate"])
}

fn tradeoff_key(p: &UnstableParams) -> String {
    key(
        p,
        &[PAGE_ONLY, TRADEOFF_SETS],
        &["tradeoff_iters", "tradeoff_images"],
    )
}

fn parse_which(name: &str) -> Result<Which, JsError> {
    serde_json::from_value(json!(name))
        .map_err(|_| JsError::new(&format!("unknown method '{name}'")))
}

fn peak(x: &Array1<f64>) -> f64 {
    x.fold(0.0f64, |m, v| m.max(*v))
}

fn largest(x: &Array1<f64>) -> f64 {
    x.fold(0.0f64, |m, v| m.max(v.abs()))
}

/// A number for JSON: non-finite values become the text "inf", "-inf" or "nan".
fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else if v.is_nan() {
        json!("nan")
    } else if v > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn snapshot_json(s: &Snapshot) -> Value {
    json!({
        "iteration": s.iteration, "r_rel": num(s.r_rel), "error": num(s.error),
        "clean_error": num(s.clean_error), "change": num(s.change),
        "amplification": num(s.amplification), "lipschitz": num(s.lipschitz),
        "noise_amplification": num(s.noise_amplification), "noise_error": num(s.noise_error),
    })
}

/// The instability test of the current state, in progress or finished.
struct TestJob {
    key: String,
    which: Which,
    params: UnstableParams,
    case: Case,
    test: InstabilityTest,
    summary: Option<Summary>,
}

impl TestJob {
    fn done(&self) -> bool {
        self.summary.is_some()
    }
}

/// The found perturbation fed to another method.
struct TransferView {
    key: String,
    t: Transfer,
}

/// A job of [`crate::demos::unstable::tradeoff`] with the key of the state it was made for.
struct Keyed<J> {
    key: String,
    job: J,
}

/// The unstable-network page.
#[wasm_bindgen]
pub struct UnstableDemo {
    params: UnstableParams,
    setting: Option<Setting>,
    /// The family's slices at the setting's side.
    slices: Option<MriSlices>,
    test: Option<TestJob>,
    transfer: Option<TransferView>,
    detail: Option<Keyed<DetailJob>>,
    samples: Option<Keyed<SamplesJob>>,
    rate_view: Option<Keyed<RateImages>>,
    tradeoff: Option<Keyed<TradeoffJob>>,
}

impl Default for UnstableDemo {
    fn default() -> Self {
        Self::new()
    }
}

state_methods!(UnstableDemo, UnstableParams);

fn progress(done: usize, total: usize, finished: bool) -> Vec<f64> {
    vec![done as f64, total as f64, if finished { 1.0 } else { 0.0 }]
}

impl UnstableDemo {
    fn ready(&self) -> Result<(&Setting, &MriSlices), JsError> {
        match (&self.setting, &self.slices) {
            (Some(s), Some(sl)) => Ok((s, sl)),
            (None, _) => Err(JsError::new("the network file has not been loaded")),
            _ => Err(JsError::new("the MRI slices have not been loaded")),
        }
    }

    fn drop_jobs(&mut self) {
        self.test = None;
        self.transfer = None;
        self.detail = None;
        self.samples = None;
        self.rate_view = None;
        self.tradeoff = None;
    }

    /// The finished test of the current state.
    fn finished_test(&self) -> Result<&TestJob, JsError> {
        match &self.test {
            Some(t) if t.key == test_key(&self.params) && t.done() => Ok(t),
            _ => Err(JsError::new(
                "the instability test has not been run to the end for this state",
            )),
        }
    }

    fn test_job(&self) -> Result<&TestJob, JsError> {
        self.test
            .as_ref()
            .ok_or_else(|| JsError::new("no instability test has been started"))
    }

    fn detail_job(&self) -> Result<&DetailJob, JsError> {
        self.detail
            .as_ref()
            .map(|d| &d.job)
            .ok_or_else(|| JsError::new("the detail view has not been computed"))
    }
}

#[wasm_bindgen]
impl UnstableDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> UnstableDemo {
        UnstableDemo {
            params: UnstableParams::default(),
            setting: None,
            slices: None,
            test: None,
            transfer: None,
            detail: None,
            samples: None,
            rate_view: None,
            tradeoff: None,
        }
    }

    /// The files still to load, in order: JSON [{kind: "network", file}] (relative to
    /// `www/models/`) until the network is loaded, then [{kind: "slices", side, file}]
    /// (relative to `www/data/`, gzip), then [].
    pub fn needs(&self) -> String {
        let list = match (&self.setting, &self.slices) {
            (None, _) => json!([{ "kind": "network", "file": NETWORK_FILE }]),
            (Some(s), None) => match stack_side(s.side()) {
                Some(side) => json!([{ "kind": "slices", "side": side, "file": file_name(side) }]),
                None => json!([]),
            },
            _ => json!([]),
        };
        list.to_string()
    }

    /// Hands over a network file (`.brn`): the setting (side, family, mask) is its header's.
    pub fn load_network(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let s = Setting::from_bytes(bytes).map_err(|e| js_error(format!("{NETWORK_FILE}: {e}")))?;
        if stack_side(s.side()).is_none() {
            return Err(JsError::new(&format!(
                "the network works at {0} x {0}; the shipped slices ({1:?}) cannot be halved to that",
                s.side(),
                SHIPPED_SIDES
            )));
        }
        if self.slices.as_ref().is_some_and(|sl| sl.side() != s.side()) {
            self.slices = None;
        }
        self.setting = Some(s);
        self.drop_jobs();
        Ok(())
    }

    /// Hands over a gunzipped Colin27 stack of the given side (after the network): it is
    /// brought to the network's side.
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), JsError> {
        let s = self
            .setting
            .as_ref()
            .ok_or_else(|| JsError::new("load the network before the slices"))?;
        let stack = decode_slices(side, bytes).map_err(js_error)?;
        self.slices = Some(stack.at_side(s.side()).map_err(js_error)?);
        self.drop_jobs();
        Ok(())
    }

    /// Facts about the network and its setting, as JSON.
    pub fn info(&self) -> Result<String, JsError> {
        let s = self
            .setting
            .as_ref()
            .ok_or_else(|| JsError::new("the network file has not been loaded"))?;
        let t = &s.header.training;
        let info = &s.header.info;
        let validation = info
            .get("log")
            .and_then(|l| l.as_array())
            .and_then(|l| l.iter().rev().find_map(|e| e.get("validation_psnr")))
            .cloned()
            .unwrap_or(Value::Null);
        let sites: Vec<[f64; 2]> = if s.family() == FamilyKind::Sites {
            SITES.iter().map(|&(r, c)| [c, r]).collect()
        } else {
            vec![]
        };
        Ok(json!({
            "side": s.side(), "architecture": t.architecture, "family": s.family(),
            "mask": t.mask, "rate": t.rate, "sampled": s.a.rate(), "samples": s.a.indices().len(),
            "noise": t.noise, "n_params": s.header.n_params, "validation_psnr": validation,
            "steps": info.get("steps_done").cloned().unwrap_or(json!(t.steps)),
            "sites": sites, "rates": samples_rates(),
        })
        .to_string())
    }

    // ------------------------------------------------------------------ the instability test

    /// Makes the instability test of the current state unless the one held is for it (then
    /// it resumes where it stopped). Returns whether it is finished.
    pub fn test_prepare(&mut self) -> Result<bool, JsError> {
        let k = test_key(&self.params);
        if let Some(t) = &self.test {
            if t.key == k {
                return Ok(t.done());
            }
        }
        self.test = None;
        self.transfer = None;
        let (s, sl) = self.ready()?;
        let p = &self.params;
        let case = Case::family(s, sl, p.image_seed, p.noise).map_err(js_error)?;
        let test = unstable::start(s, &case, p.method, p).map_err(js_error)?;
        self.test = Some(TestJob {
            key: k,
            which: p.method,
            params: p.clone(),
            case,
            test,
            summary: None,
        });
        Ok(false)
    }

    /// One gradient step of the test: [iterations done, planned, finished, the current
    /// iterate's amplification].
    pub fn test_step(&mut self) -> Result<Vec<f64>, JsError> {
        let job = self
            .test
            .as_mut()
            .ok_or_else(|| JsError::new("no instability test has been started"))?;
        if !job.test.done() {
            job.test.step();
        }
        if job.test.done() && job.summary.is_none() {
            job.summary = Some(
                unstable::summarise(&job.case, job.which, &job.test.report()).map_err(js_error)?,
            );
        }
        let amp = job
            .test
            .history()
            .last()
            .map_or(f64::NAN, |h| h.amplification);
        let mut v = progress(job.test.iterations(), job.test.planned(), job.done());
        v.push(amp);
        Ok(v)
    }

    /// The test's numbers (finished or not): the snapshots with their Gaussian controls, the
    /// summary when finished, and the scales its pictures use.
    pub fn test_result(&self) -> Result<String, JsError> {
        let job = self.test_job()?;
        let t = &job.test;
        let x = &job.case.x;
        let clean = modulus(t.clean_output());
        let snaps = t.snapshots();
        let r_scale = snaps.iter().map(|s| largest(&s.r)).fold(0.0, f64::max);
        let diff_scale = snaps
            .iter()
            .map(|s| largest(&modulus(&(&s.output - t.clean_output()))))
            .fold(0.0, f64::max);
        let current = test_key(&self.params) == job.key;
        Ok(json!({
            "method": job.which.name(), "current": current,
            "iterations": t.iterations(), "planned": t.planned(), "done": job.done(),
            "image_seed": job.params.image_seed, "held_out": job.case.held_out(),
            "budget": job.params.budget, "x_norm": x.dot(x).sqrt(), "peak": peak(x),
            "psnr_clean": num(psnr(x.view(), clean.view())),
            "clean_error": num(norm2((t.clean_output() - &complex(x.view())).view()) / x.dot(x).sqrt()),
            "snapshots": snaps.iter().map(snapshot_json).collect::<Vec<_>>(),
            "worst": t.worst().map(|w| json!({"iteration": w.iteration, "r_rel": num(w.r_rel), "amplification": num(w.amplification)})),
            "summary": job.summary.as_ref().map(|s| json!({
                "method": s.method, "psnr_clean": num(s.psnr_clean), "r_over_x": num(s.r_over_x),
                "err_clean": num(s.err_clean), "err_perturbed": num(s.err_perturbed),
                "err_gaussian": num(s.err_gaussian), "amplification": num(s.amplification),
                "amplification_gaussian": num(s.amplification_gaussian),
                "lipschitz": num(s.lipschitz), "iterations": s.iterations,
            })),
            "r_scale": r_scale, "diff_scale": diff_scale,
            "history": t.history().iter().map(|h| num(h.amplification)).collect::<Vec<_>>(),
        })
        .to_string())
    }

    /// The figure of the current state's view, if that view's computation has finished for
    /// this state.
    fn figure(&self) -> Result<poster::unstable::Figure<'_>, JsError> {
        use poster::unstable::{detail, samples, tradeoff, Figure};
        let p = &self.params;
        let figure = match p.view {
            View::Test => self.test.as_ref().and_then(|t| {
                let summary = t.summary.as_ref()?;
                (t.key == test_key(p)).then_some(Figure::Test(poster::unstable::UnstableState {
                    params: &t.params,
                    case: &t.case,
                    test: &t.test,
                    summary,
                }))
            }),
            View::Kernel | View::Structure => self
                .detail
                .as_ref()
                .filter(|d| d.key == detail_key(p) && d.job.done())
                .map(|d| {
                    Figure::Detail(detail::DetailState {
                        params: p,
                        job: &d.job,
                    })
                }),
            View::Samples => match (&self.samples, &self.rate_view) {
                (Some(j), Some(r))
                    if j.key == samples_key(p) && j.job.done() && r.key == rate_key(p) =>
                {
                    Some(Figure::Samples(samples::SamplesState {
                        params: p,
                        job: &j.job,
                        rate: &r.job,
                    }))
                }
                _ => None,
            },
            View::Tradeoff => self
                .tradeoff
                .as_ref()
                .filter(|j| j.key == tradeoff_key(p) && j.job.done())
                .map(|j| {
                    Figure::Tradeoff(tradeoff::TradeoffState {
                        params: p,
                        job: &j.job,
                    })
                }),
        };
        figure.ok_or_else(|| JsError::new(&crate::demos::unstable::tradeoff::unfinished(p.view)))
    }

    /// The current view's figure as a poster, PNG bytes, once its computation has finished
    /// for the current state; `font` is the bytes of `www/fonts/DejaVuSans.ttf`, `scale` 0.5
    /// to 6.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(poster::unstable::poster(&self.figure()?, font, scale))
    }

    /// The current view's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(poster::unstable::numbers(&self.figure()?).to_json())
    }

    /// The current view's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(poster::unstable::numbers(&self.figure()?).to_csv())
    }

    /// RGBA pixels of the test's pictures: "truth" (x), "clean" (|Psi(A x + e)|), and for
    /// snapshot J (0, 1, 2): "r:J" (r_J, diverging), "xr:J" (x + r_J), "out:J"
    /// (|Psi(A(x + r_J) + e)|), "diff:J" (|Psi(A(x + r_J) + e) - Psi(A x + e)|).
    pub fn test_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        let job = self.test_job()?;
        let t = &job.test;
        let x = &job.case.x;
        let pk = peak(x);
        let n = self.setting.as_ref().map_or(0, |s| s.side());
        let snap = |j: &str| -> Result<&Snapshot, JsError> {
            j.parse::<usize>()
                .ok()
                .and_then(|j| t.snapshots().get(j))
                .ok_or_else(|| JsError::new(&format!("no snapshot '{j}'")))
        };
        Ok(match which.split_once(':') {
            None if which == "truth" => grey_scaled_rgba(x.view(), pk),
            None if which == "clean" => grey_scaled_rgba(modulus(t.clean_output()).view(), pk),
            Some(("r", j)) => {
                let s = snap(j)?;
                let scale = t
                    .snapshots()
                    .iter()
                    .map(|s| largest(&s.r))
                    .fold(0.0, f64::max);
                diverging_rgba(s.r.view(), n, if scale > 0.0 { scale } else { 1.0 })
            }
            Some(("xr", j)) => grey_scaled_rgba((x + &snap(j)?.r).view(), pk),
            Some(("out", j)) => grey_scaled_rgba(modulus(&snap(j)?.output).view(), pk),
            Some(("diff", j)) => {
                let scale = t
                    .snapshots()
                    .iter()
                    .map(|s| largest(&modulus(&(&s.output - t.clean_output()))))
                    .fold(0.0, f64::max);
                let d = modulus(&(&snap(j)?.output - t.clean_output()));
                grey_scaled_rgba(d.view(), scale)
            }
            _ => return Err(JsError::new(&format!("unknown picture '{which}'"))),
        })
    }

    /// Feeds the last snapshot's perturbation of the finished test to the state's
    /// `transfer_to` method: its amplification and errors, as JSON.
    pub fn transfer(&mut self) -> Result<String, JsError> {
        let k = transfer_key(&self.params);
        if self.transfer.as_ref().is_none_or(|t| t.key != k) {
            let job = self.finished_test()?;
            let (s, _) = self.ready()?;
            let r = &job
                .test
                .snapshots()
                .last()
                .ok_or_else(|| JsError::new("the test kept no snapshot"))?
                .r;
            let t = unstable::transfer(s, &job.case, self.params.transfer_to, &self.params, r)
                .map_err(js_error)?;
            self.transfer = Some(TransferView { key: k, t });
        }
        let tv = self.transfer.as_ref().expect("just made");
        let t = &tv.t;
        let from = self.finished_test()?;
        let last = from.test.snapshots().last();
        Ok(json!({
            "method": t.method, "from": from.which.name(), "r_rel": num(t.r_rel),
            "amplification": num(t.amplification), "err_perturbed": num(t.err_perturbed),
            "err_clean": num(t.err_clean),
            "from_amplification": last.map(|s| num(s.amplification)),
            "from_error": last.map(|s| num(s.error)),
            "diff_scale": largest(&modulus(&(&t.output - &t.clean_output))),
        })
        .to_string())
    }

    /// RGBA pixels of the transfer: "clean" (|Psi(A x + e)|), "out" (|Psi(A(x + r) + e)|),
    /// "diff" (|Psi(A(x + r) + e) - Psi(A x + e)|, at its own largest value).
    pub fn transfer_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        let tv = self
            .transfer
            .as_ref()
            .ok_or_else(|| JsError::new("no perturbation has been transferred"))?;
        let pk = peak(&self.test_job()?.case.x);
        let t = &tv.t;
        Ok(match which {
            "clean" => grey_scaled_rgba(modulus(&t.clean_output).view(), pk),
            "out" => grey_scaled_rgba(modulus(&t.output).view(), pk),
            "diff" => {
                let d = modulus(&(&t.output - &t.clean_output));
                grey_scaled_rgba(d.view(), largest(&d))
            }
            _ => return Err(JsError::new(&format!("unknown picture '{which}'"))),
        })
    }

    // ------------------------------------------------- kernel awareness, structural change

    /// Makes the current view's detail job (the kernel view, or the structural change)
    /// unless the one held is for this state. Returns whether it is finished.
    pub fn detail_prepare(&mut self) -> Result<bool, JsError> {
        let k = detail_key(&self.params);
        if let Some(d) = &self.detail {
            if d.key == k {
                return Ok(d.job.done());
            }
        }
        self.detail = None;
        let (s, sl) = self.ready()?;
        let job = DetailJob::new(s, sl, &self.params).map_err(js_error)?;
        let done = job.done();
        self.detail = Some(Keyed { key: k, job });
        Ok(done)
    }

    /// One method of the detail job: [done, total, finished].
    pub fn detail_step(&mut self) -> Result<Vec<f64>, JsError> {
        let s = self
            .setting
            .as_ref()
            .ok_or_else(|| JsError::new("the network file has not been loaded"))?;
        let d = self
            .detail
            .as_mut()
            .ok_or_else(|| JsError::new("the detail view has not been prepared"))?;
        d.job.step(s).map_err(js_error)?;
        Ok(progress(d.job.rows.len(), d.job.total(), d.job.done()))
    }

    /// The detail job's numbers: the detail's norms and, per method, the kernel view's
    /// errors, gap, bound (||z|| - 2 eta) / delta and ratio gap / delta, or the structural
    /// change's kept fraction; with the network's instability test when it was run on this
    /// image (its amplification and Lipschitz estimate).
    pub fn detail_result(&self) -> Result<String, JsError> {
        let d = self.detail_job()?;
        let x = &d.case.x;
        let mut v = json!({
            "view": d.params.view, "x_norm": x.dot(x).sqrt(), "peak": peak(x),
            "detail": d.dc.w.is_some(),
        });
        if let (Some(w), Some(sz)) = (&d.dc.w, d.dc.sizes) {
            v["w_norm"] = num(sz.w_norm);
            v["aw_norm"] = num(sz.aw_norm);
            v["visible"] = num(sz.visible);
            v["z_norm"] = num(sz.z_norm);
            v["az_norm"] = num(sz.az_norm);
            v["delta"] = num(d.params.delta);
            v["z_scale"] = num(largest(&d.dc.z));
            v["w_scale"] = num(largest(w));
        }
        v["current"] = json!(self
            .detail
            .as_ref()
            .is_some_and(|k| k.key == detail_key(&self.params)));
        v["done"] = json!(d.done());
        let visible = v.get("visible").cloned();
        v["rows"] = d
            .rows
            .iter()
            .map(|o| {
                let mut row = match &o.awareness {
                    Some(a) => json!({
                        "error": num(a.error), "error_detail": num(a.error_detail), "eta": num(a.eta),
                        "rel_error": num(o.rel_error),
                        "rel_error_detail": o.rel_error_detail.map(num),
                        "gap": num(a.gap), "delta": num(a.delta), "z_norm": num(a.z_norm),
                        "bound": a.bound.map(num), "ratio": num(a.ratio),
                    }),
                    None => json!({
                        "kept": o.kept.map(num), "visible": visible.clone(),
                        "rel_error": num(o.rel_error),
                    }),
                };
                row["method"] = json!(o.which.name());
                row
            })
            .collect();
        let change_scale = d
            .rows
            .iter()
            .map(|r| largest(&(&r.out2 - &r.out).mapv(|c| c.re)))
            .fold(0.0, f64::max);
        v["change_scale"] = num(change_scale);
        if let Some(t) = &self.test {
            let same_image =
                t.params.image_seed == d.params.image_seed && t.params.noise == d.params.noise;
            if t.done() && t.which == Which::Net && same_image {
                let last = t.test.snapshots().last();
                v["net_test"] = json!({
                    "amplification": t.summary.as_ref().map(|s| num(s.amplification)),
                    "lipschitz": last.map(|s| num(s.lipschitz)),
                    "budget": t.params.budget, "iterations": t.test.iterations(),
                });
            }
        }
        Ok(v.to_string())
    }

    /// RGBA pixels of the detail view: "x", "x2" (x + z), "w" and "z" (diverging, each at
    /// its largest |value|), and for METHOD: "out:METHOD" (|Psi(y)|), "out2:METHOD"
    /// (|Psi(y')|), "change:METHOD" (Re(Psi(y') - Psi(y)), diverging at the largest |z|).
    pub fn detail_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        let d = self.detail_job()?;
        let x = &d.case.x;
        let n = (x.len() as f64).sqrt().round() as usize;
        let pk = peak(x);
        let row = |m: &str| -> Result<&unstable::DetailOutputs, JsError> {
            let w = parse_which(m)?;
            d.rows
                .iter()
                .find(|r| r.which == w)
                .ok_or_else(|| JsError::new(&format!("'{m}' has not been computed yet")))
        };
        let w = || {
            d.dc.w
                .as_ref()
                .ok_or_else(|| JsError::new("no detail has been placed"))
        };
        Ok(match which.split_once(':') {
            None if which == "x" => grey_scaled_rgba(x.view(), pk),
            None if which == "x2" => grey_scaled_rgba((x + &d.dc.z).view(), pk),
            None if which == "w" => {
                let w = w()?;
                diverging_rgba(w.view(), n, diverging_scale(w.view()))
            }
            None if which == "z" => {
                w()?;
                diverging_rgba(d.dc.z.view(), n, diverging_scale(w()?.view()))
            }
            Some(("out", m)) => grey_scaled_rgba(modulus(&row(m)?.out).view(), pk),
            Some(("out2", m)) => grey_scaled_rgba(modulus(&row(m)?.out2).view(), pk),
            Some(("change", m)) => {
                let r = row(m)?;
                let c = (&r.out2 - &r.out).mapv(|c| c.re);
                diverging_rgba(c.view(), n, diverging_scale(w()?.view()))
            }
            _ => return Err(JsError::new(&format!("unknown picture '{which}'"))),
        })
    }

    // ------------------------------------------------------------------ more samples

    /// Makes the more-samples curve's job unless the one held is for this state. Returns
    /// whether it is finished.
    pub fn samples_prepare(&mut self) -> Result<bool, JsError> {
        let k = samples_key(&self.params);
        if let Some(j) = &self.samples {
            if j.key == k {
                return Ok(j.job.done());
            }
        }
        let (s, _) = self.ready()?;
        let job = SamplesJob::new(s, &self.params);
        self.samples = Some(Keyed { key: k, job });
        Ok(false)
    }

    /// One (rate, method) of the curve: [done, total, finished].
    pub fn samples_step(&mut self) -> Result<Vec<f64>, JsError> {
        let (s, sl) = match (&self.setting, &self.slices) {
            (Some(s), Some(sl)) => (s, sl),
            _ => return Err(JsError::new("the network and the slices must be loaded")),
        };
        let j = &mut self
            .samples
            .as_mut()
            .ok_or_else(|| JsError::new("the more-samples curve has not been prepared"))?
            .job;
        j.step(s, sl).map_err(js_error)?;
        Ok(progress(j.points.len(), j.total(), j.done()))
    }

    /// The curve so far: JSON {rates, seeds, trained_rate, points: [{rate, sampled, method,
    /// psnr}], done}.
    pub fn samples_result(&self) -> Result<String, JsError> {
        let k = self
            .samples
            .as_ref()
            .ok_or_else(|| JsError::new("the more-samples curve has not been prepared"))?;
        let j = &k.job;
        Ok(json!({
            "rates": j.rates, "seeds": j.seeds, "trained_rate": j.trained_rate, "done": j.done(),
            "current": samples_key(&self.params) == k.key,
            "methods": SAMPLES_METHODS.iter().map(|w| w.name()).collect::<Vec<_>>(),
            "points": j.points.iter().map(|p| json!({
                "rate": p.rate, "sampled": p.sampled, "method": p.method, "psnr": num(p.psnr),
            })).collect::<Vec<_>>(),
        })
        .to_string())
    }

    /// The state's image reconstructed by the network, FIRENET and TV at the rate shown
    /// (nested masks of the network's pattern), with their PSNR: JSON.
    pub fn rate_images(&mut self) -> Result<String, JsError> {
        let k = rate_key(&self.params);
        if self.rate_view.as_ref().is_none_or(|r| r.key != k) {
            let (s, sl) = self.ready()?;
            let job = RateImages::new(s, sl, &self.params).map_err(js_error)?;
            self.rate_view = Some(Keyed { key: k, job });
        }
        let r = &self.rate_view.as_ref().expect("just made").job;
        Ok(json!({
            "rate": r.rate, "sampled": r.sampled, "samples": r.samples,
            "image_seed": r.image_seed,
            "psnr": r.outs.iter().map(|(w, _, q)| json!({"method": w.name(), "psnr": num(*q)})).collect::<Vec<_>>(),
        })
        .to_string())
    }

    /// RGBA pixels of the rate view: "x", or "out:METHOD" (net, firenet, tv).
    pub fn rate_picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        let r = &self
            .rate_view
            .as_ref()
            .ok_or_else(|| JsError::new("the rate view has not been computed"))?
            .job;
        let pk = peak(&r.x);
        if which == "x" {
            return Ok(grey_scaled_rgba(r.x.view(), pk));
        }
        let m = which
            .strip_prefix("out:")
            .ok_or_else(|| JsError::new(&format!("unknown picture '{which}'")))?;
        let w = parse_which(m)?;
        let (_, est, _) = r
            .outs
            .iter()
            .find(|(v, _, _)| *v == w)
            .ok_or_else(|| JsError::new(&format!("'{m}' is not on the more-samples curve")))?;
        Ok(grey_scaled_rgba(est.view(), pk))
    }

    // ------------------------------------------------------------------ the trade-off plot

    /// Makes the trade-off job unless the one held is for this state (see
    /// [`TradeoffJob`]). Returns whether it is finished.
    pub fn tradeoff_prepare(&mut self) -> Result<bool, JsError> {
        let k = tradeoff_key(&self.params);
        if let Some(j) = &self.tradeoff {
            if j.key == k {
                return Ok(j.job.done());
            }
        }
        self.ready()?;
        let job = TradeoffJob::new(&self.params);
        self.tradeoff = Some(Keyed { key: k, job });
        Ok(false)
    }

    /// Offers the shipped trade-off plot of the default state (`www/models/
    /// tradeoff-default.json`, the numbers `barriers-lab figures` wrote): taken if it was made
    /// for the state the prepared job is for. Returns whether it was (then the job is done).
    pub fn tradeoff_ship(&mut self, json: &str) -> Result<bool, JsError> {
        let Ok(numbers) = crate::render::numbers::Numbers::from_json(json) else {
            return Ok(false);
        };
        let Ok(made_for) = params::from_query::<UnstableParams>(&numbers.link) else {
            return Ok(false);
        };
        let k = tradeoff_key(&self.params);
        match self.tradeoff.as_mut() {
            Some(j) if j.key == k && tradeoff_key(&made_for) == k && !j.job.done() => {
                Ok(j.job.take_shipped(&numbers))
            }
            _ => Ok(false),
        }
    }

    /// A little of the trade-off job (one variant's PSNR, or one step of its test): [done,
    /// total, finished] in steps.
    pub fn tradeoff_step(&mut self) -> Result<Vec<f64>, JsError> {
        let (s, sl) = match (&self.setting, &self.slices) {
            (Some(s), Some(sl)) => (s, sl),
            _ => return Err(JsError::new("the network and the slices must be loaded")),
        };
        let j = &mut self
            .tradeoff
            .as_mut()
            .ok_or_else(|| JsError::new("the trade-off plot has not been prepared"))?
            .job;
        j.step(s, sl).map_err(js_error)?;
        let [d, total] = j.progress();
        Ok(progress(d, total, j.done()))
    }

    /// The points so far: JSON {points: [{label, method, psnr, amplification, query}],
    /// variants, done, clean, attack, iters}; `query` is the link that opens the point's
    /// instability test.
    pub fn tradeoff_result(&self) -> Result<String, JsError> {
        let k = self
            .tradeoff
            .as_ref()
            .ok_or_else(|| JsError::new("the trade-off plot has not been prepared"))?;
        let j = &k.job;
        let points: Vec<Value> = j
            .points
            .iter()
            .map(|p| {
                let state = UnstableParams {
                    view: View::Test,
                    ..p.state.clone()
                };
                json!({
                    "label": p.label, "method": p.method, "psnr": num(p.psnr),
                    "amplification": num(p.amplification), "query": params::to_query(&state),
                })
            })
            .collect();
        Ok(json!({
            "points": points, "variants": j.variants.len(), "done": j.done(),
            "current": tradeoff_key(&self.params) == k.key,
            "running": j.running(),
            "clean": j.clean, "attack": j.attack, "iters": j.iters,
            "budget": self.params.budget, "shipped": j.shipped,
        })
        .to_string())
    }
}

/// The smallest shipped stack that halves to side n.
fn stack_side(n: usize) -> Option<usize> {
    SHIPPED_SIDES
        .iter()
        .copied()
        .filter(|&s| s >= n && n > 0 && s % n == 0 && (s / n).is_power_of_two())
        .min()
}
