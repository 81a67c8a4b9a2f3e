//! What the unstable-network page (`www/unstable.html`) holds between calls: the network
//! (its setting), the family's slices, and each experiment's job with the key of the state
//! it was made for (the state minus what the job does not depend on). A job is made for the
//! current state unless the one held is already for it; a stopped job is kept and resumes
//! where it was, so switching views, or changing what is only shown, recomputes nothing.
//!
//! Its pictures are made here, each at its scale: images in grey from black to the brightest
//! pixel of x, perturbations and changes diverging (blue negative, red positive) or in grey at
//! their largest value.

use super::detail::DetailResult;
use super::samples::{samples_rates, RateResult, SamplesResult};
use super::test::{equal_size, EqualSize, TestResult, TransferResult};
use super::tradeoff::TradeoffResult;
use super::{
    largest, peak, transfer, Case, DetailJob, DetailOutputs, Nets, RateImages, SamplesJob, Setting,
    TestJob, TradeoffJob, TrainedNet, Transfer, UnstableParams, View, Which,
};
use crate::data::family::{FamilyKind, SITES};
use crate::data::mri::{decode_slices, file_name, MriSlices, SHIPPED_SIDES};
use crate::demos::mri::modulus;
use crate::instability::Snapshot;
use crate::job::{Job, Num, PartJob, Parts};
use crate::operators::masks::Pattern;
use crate::params;
use crate::recon::train::Architecture;
use crate::render::images::{diverging_rgba, diverging_scale};
use crate::render::mri::grey_scaled_rgba;
use crate::render::numbers::Numbers;
use serde::Serialize;
use serde_json::Value;

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
const TRADEOFF_SETS: &[&str] = &[
    "method",
    "net",
    "iters",
    "lambda_tv",
    "lambda_w",
    "restarts",
];
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

/// A method by its name ("net", "firenet", "tv", "cs-wavelet", "adjoint").
fn parse_which(name: &str) -> Result<Which, String> {
    Which::NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| Which::ALL[i])
        .ok_or_else(|| format!("unknown method '{name}'"))
}

/// The smallest shipped stack that halves to side n.
fn stack_side(n: usize) -> Option<usize> {
    SHIPPED_SIDES
        .iter()
        .copied()
        .filter(|&s| s >= n && n > 0 && s % n == 0 && (s / n).is_power_of_two())
        .min()
}

/// [done, total, finished (1 or 0)]: what a step tells the worker.
fn progress<J: Job>(job: &J) -> Vec<f64> {
    let (done, total) = job.progress();
    vec![
        done as f64,
        total as f64,
        if job.done() { 1.0 } else { 0.0 },
    ]
}

/// A job with the key of the state it was made for, and the network it runs with.
struct Keyed<J> {
    key: String,
    job: J,
    net: TrainedNet,
}

/// A file the page still has to load: the network (relative to `www/models/`), then the
/// slices of a side (relative to `www/data/`, gzip), then a network of another training noise
/// (`trained`, named by `net`) that the state or the trade-off plot uses.
#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<usize>,
    pub file: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<&'static str>,
}

/// Facts about the network and its setting: side, architecture, family, mask and rate it was
/// trained at (and |Omega| / n^2, |Omega| sampled), noise, weights, validation PSNR, training
/// steps; the family's lesion sites (column, row fractions) and the more-samples rates.
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    pub side: usize,
    pub architecture: Architecture,
    pub family: FamilyKind,
    pub mask: Pattern,
    pub rate: f64,
    pub sampled: f64,
    pub samples: usize,
    pub noise: f64,
    pub n_params: usize,
    /// As the file's header has them (null when absent).
    pub validation_psnr: Value,
    pub steps: Value,
    pub sites: Vec<[f64; 2]>,
    pub rates: Vec<f64>,
}

/// A job's result and whether its job was made for the current state.
#[derive(Clone, Debug, Serialize)]
pub struct Current<T> {
    pub current: bool,
    #[serde(flatten)]
    pub result: T,
}

/// The detail job's result, with the network's instability test when it was run to the end
/// on the same image (same seed and noise).
#[derive(Clone, Debug, Serialize)]
pub struct DetailPageResult {
    pub current: bool,
    #[serde(flatten)]
    pub result: DetailResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_test: Option<NetTest>,
}

/// The network's worst-case amplification and last Lipschitz estimate from its test.
#[derive(Clone, Debug, Serialize)]
pub struct NetTest {
    pub amplification: Option<Num>,
    pub lipschitz: Option<Num>,
    pub budget: f64,
    pub iterations: usize,
}

/// The comparison at equal size as the page shows it: the stable method's own test so far,
/// and once finished, [`EqualSize`] with the scales of its change pictures.
#[derive(Clone, Debug, Serialize)]
pub struct EqualPageResult {
    pub stable: &'static str,
    pub iterations: usize,
    pub planned: usize,
    pub own_amplification: Option<Num>,
    pub own_diff_scale: Option<f64>,
    pub r_diff_scale: Option<f64>,
    pub equal: Option<EqualSize>,
}

/// The trade-off job's result with the current state's budget.
#[derive(Clone, Debug, Serialize)]
pub struct TradeoffPageResult {
    pub current: bool,
    pub budget: f64,
    #[serde(flatten)]
    pub result: TradeoffResult,
}

/// The networks loaded (borrowing only the page's two fields).
fn nets_of<'a>(
    main: &'a Option<Setting>,
    others: &'a [(TrainedNet, Setting)],
) -> Result<Nets<'a>, String> {
    let main = main
        .as_ref()
        .ok_or("the network file has not been loaded")?;
    Ok(Nets { main, others })
}

/// The unstable-network page: the loaded network and slices, and its jobs.
#[derive(Default)]
pub struct UnstablePage {
    setting: Option<Setting>,
    /// The shipped networks of other training noises loaded so far (they share the
    /// setting's measurements).
    others: Vec<(TrainedNet, Setting)>,
    /// The family's slices at the setting's side.
    slices: Option<MriSlices>,
    test: Option<Keyed<TestJob>>,
    /// The found perturbation fed to another method.
    transfer: Option<Keyed<Transfer>>,
    /// The comparison at equal size: the `transfer_to` method's own instability test (on the
    /// network's case and settings), then [`EqualSize`] once it is finished.
    equal: Option<Keyed<(TestJob, Option<EqualSize>)>>,
    detail: Option<Keyed<DetailJob>>,
    samples: Option<Keyed<SamplesJob>>,
    rate_view: Option<Keyed<RateImages>>,
    tradeoff: Option<Keyed<TradeoffJob>>,
}

impl UnstablePage {
    pub fn new() -> Self {
        Self::default()
    }

    fn setting(&self) -> Result<&Setting, String> {
        self.setting
            .as_ref()
            .ok_or_else(|| "the network file has not been loaded".into())
    }

    /// The networks loaded so far.
    fn nets(&self) -> Result<Nets<'_>, String> {
        nets_of(&self.setting, &self.others)
    }

    /// The setting of network `net` (the loaded network for [`TrainedNet::Noise1`]) and the
    /// slices.
    fn ready(&self, net: TrainedNet) -> Result<(&Setting, &MriSlices), String> {
        let s = self.nets()?.get(net)?;
        let sl = self
            .slices
            .as_ref()
            .ok_or("the MRI slices have not been loaded")?;
        Ok((s, sl))
    }

    fn drop_jobs(&mut self) {
        self.test = None;
        self.transfer = None;
        self.equal = None;
        self.detail = None;
        self.samples = None;
        self.rate_view = None;
        self.tradeoff = None;
    }

    /// The files still to load, in order: the network until it is loaded, then the slices at
    /// the smallest shipped side that halves to the network's, then the networks of other
    /// training noises that state `p` names or that the unfinished trade-off plot held uses.
    pub fn needs(&self, p: &UnstableParams) -> Vec<Need> {
        match (&self.setting, &self.slices) {
            (None, _) => vec![Need {
                kind: "network",
                side: None,
                file: Some(NETWORK_FILE),
                net: None,
            }],
            (Some(s), None) => stack_side(s.side())
                .map(|side| Need {
                    kind: "slices",
                    side: Some(side),
                    file: file_name(side),
                    net: None,
                })
                .into_iter()
                .collect(),
            _ => {
                let mut nets = vec![p.net];
                if let Some(t) = self.tradeoff.as_ref().filter(|t| !t.job.done()) {
                    nets.extend(t.job.nets());
                }
                let mut out: Vec<Need> = Vec::new();
                for n in nets {
                    let loaded =
                        n == TrainedNet::Noise1 || self.others.iter().any(|(m, _)| *m == n);
                    if !loaded && !out.iter().any(|o| o.net == Some(n.name())) {
                        out.push(Need {
                            kind: "trained",
                            side: None,
                            file: Some(n.file()),
                            net: Some(n.name()),
                        });
                    }
                }
                out
            }
        }
    }

    /// Takes a network file (`.brn`): the setting (side, family, mask) is its header's.
    pub fn load_network(&mut self, bytes: &[u8]) -> Result<(), String> {
        let s = Setting::from_bytes(bytes).map_err(|e| format!("{NETWORK_FILE}: {e}"))?;
        if stack_side(s.side()).is_none() {
            return Err(format!(
                "the network works at {0} x {0}; the shipped slices ({1:?}) cannot be halved to that",
                s.side(),
                SHIPPED_SIDES
            ));
        }
        if self.slices.as_ref().is_some_and(|sl| sl.side() != s.side()) {
            self.slices = None;
        }
        self.setting = Some(s);
        self.others.clear();
        self.drop_jobs();
        Ok(())
    }

    /// Takes the file of the shipped network `name` (a [`TrainedNet`]), after the network:
    /// it must be that recipe at that noise, on the loaded network's measurements.
    pub fn load_trained(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let n = TrainedNet::NAMES
            .iter()
            .position(|m| *m == name)
            .map(|i| TrainedNet::ALL[i])
            .ok_or_else(|| format!("unknown network '{name}'"))?;
        let s = self.setting()?.companion(n, bytes)?;
        self.others.retain(|(m, _)| *m != n);
        self.others.push((n, s));
        Ok(())
    }

    /// Takes a gunzipped Colin27 stack of the given side (after the network), brought to the
    /// network's side.
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), String> {
        let s = self
            .setting
            .as_ref()
            .ok_or("load the network before the slices")?;
        let stack = decode_slices(side, bytes)?;
        self.slices = Some(stack.at_side(s.side())?);
        self.drop_jobs();
        Ok(())
    }

    /// Facts about the state's network and its setting.
    pub fn info(&self, p: &UnstableParams) -> Result<Info, String> {
        // The state's network once loaded (the loaded one until then).
        let s = self.nets()?.get(p.net).or_else(|_| self.setting())?;
        let t = &s.header.training;
        let info = &s.header.info;
        let validation = info
            .get("log")
            .and_then(|l| l.as_array())
            .and_then(|l| l.iter().rev().find_map(|e| e.get("validation_psnr")))
            .cloned()
            .unwrap_or(Value::Null);
        let sites = if s.family() == FamilyKind::Sites {
            SITES.iter().map(|&(r, c)| [c, r]).collect()
        } else {
            vec![]
        };
        Ok(Info {
            side: s.side(),
            architecture: t.architecture,
            family: s.family(),
            mask: t.mask,
            rate: t.rate,
            sampled: s.a.rate(),
            samples: s.a.indices().len(),
            noise: t.noise,
            n_params: s.header.n_params,
            validation_psnr: validation,
            steps: info
                .get("steps_done")
                .cloned()
                .unwrap_or_else(|| t.steps.into()),
            sites,
            rates: samples_rates(),
        })
    }

    // ------------------------------------------------------------------ the instability test

    /// Makes the instability test of the state unless the one held is for it (then it
    /// resumes where it stopped). Returns whether it is finished.
    pub fn test_prepare(&mut self, p: &UnstableParams) -> Result<bool, String> {
        let k = test_key(p);
        if let Some(t) = &self.test {
            if t.key == k {
                return Ok(t.job.done());
            }
        }
        self.test = None;
        self.transfer = None;
        self.equal = None;
        let (s, sl) = self.ready(p.net)?;
        let case = Case::family(s, sl, p.image_seed, p.noise)?;
        let job = TestJob::new(s, case, p)?;
        self.test = Some(Keyed {
            key: k,
            job,
            net: p.net,
        });
        Ok(false)
    }

    fn test_job(&self) -> Result<&TestJob, String> {
        self.test
            .as_ref()
            .map(|t| &t.job)
            .ok_or_else(|| "no instability test has been started".into())
    }

    /// The test of the state, if it has been run to the end.
    pub fn finished_test(&self, p: &UnstableParams) -> Option<&TestJob> {
        self.test
            .as_ref()
            .filter(|t| t.key == test_key(p) && t.job.done())
            .map(|t| &t.job)
    }

    /// One gradient step of the test: [iterations done, planned, finished, the current
    /// iterate's amplification].
    pub fn test_step(&mut self) -> Result<Vec<f64>, String> {
        let t = &mut self
            .test
            .as_mut()
            .ok_or("no instability test has been started")?
            .job;
        t.step(())?;
        let mut v = progress(t);
        v.push(t.amplification());
        Ok(v)
    }

    /// The test's numbers, finished or not.
    pub fn test_result(&self, p: &UnstableParams) -> Result<Current<TestResult>, String> {
        let t = self
            .test
            .as_ref()
            .ok_or("no instability test has been started")?;
        Ok(Current {
            current: t.key == test_key(p),
            result: t.job.result(),
        })
    }

    /// RGBA pixels of the test's pictures: "truth" (x), "clean" (|Psi(A x + e)|), and for
    /// snapshot J (0, 1, 2): "r:J" (r_J, diverging at the largest |r_j|), "xr:J" (x + r_J),
    /// "out:J" (|Psi(A(x + r_J) + e)|), "diff:J" (|Psi(A(x + r_J) + e) - Psi(A x + e)|, at
    /// the largest over the snapshots).
    pub fn test_picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let job = self.test_job()?;
        let t = &job.test;
        let x = &job.case.x;
        let pk = peak(x);
        let n = self.setting.as_ref().map_or(0, |s| s.side());
        let snap = |j: &str| -> Result<&Snapshot, String> {
            j.parse::<usize>()
                .ok()
                .and_then(|j| t.snapshots().get(j))
                .ok_or_else(|| format!("no snapshot '{j}'"))
        };
        Ok(match which.split_once(':') {
            None if which == "truth" => grey_scaled_rgba(x.view(), pk),
            None if which == "clean" => grey_scaled_rgba(modulus(t.clean_output()).view(), pk),
            Some(("r", j)) => {
                let s = snap(j)?;
                let scale = job.r_scale();
                diverging_rgba(s.r.view(), n, if scale > 0.0 { scale } else { 1.0 })
            }
            Some(("xr", j)) => grey_scaled_rgba((x + &snap(j)?.r).view(), pk),
            Some(("out", j)) => grey_scaled_rgba(modulus(&snap(j)?.output).view(), pk),
            Some(("diff", j)) => {
                let d = modulus(&(&snap(j)?.output - t.clean_output()));
                grey_scaled_rgba(d.view(), job.diff_scale())
            }
            _ => return Err(format!("unknown picture '{which}'")),
        })
    }

    /// Feeds the last snapshot's perturbation of the finished test to the state's
    /// `transfer_to` method: its amplification and errors beside the test's.
    pub fn transfer(&mut self, p: &UnstableParams) -> Result<TransferResult, String> {
        let unfinished = || "the instability test has not been run to the end for this state";
        let k = transfer_key(p);
        if self.transfer.as_ref().is_none_or(|t| t.key != k) {
            let job = self.finished_test(p).ok_or_else(unfinished)?;
            let (s, _) = self.ready(p.net)?;
            let r = &job
                .test
                .snapshots()
                .last()
                .ok_or("the test kept no snapshot")?
                .r;
            let t = transfer(s, &job.case, p.transfer_to, p, r)?;
            self.transfer = Some(Keyed {
                key: k,
                job: t,
                net: p.net,
            });
        }
        let t = &self.transfer.as_ref().expect("just made").job;
        let from = self.finished_test(p).ok_or_else(unfinished)?;
        Ok(TransferResult::new(t, from))
    }

    /// RGBA pixels of the transfer: "clean" (|Psi(A x + e)|), "out" (|Psi(A(x + r) + e)|),
    /// "diff" (|Psi(A(x + r) + e) - Psi(A x + e)|, at its own largest value).
    pub fn transfer_picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let t = &self
            .transfer
            .as_ref()
            .ok_or("no perturbation has been transferred")?
            .job;
        let pk = peak(&self.test_job()?.case.x);
        Ok(match which {
            "clean" => grey_scaled_rgba(modulus(&t.clean_output).view(), pk),
            "out" => grey_scaled_rgba(modulus(&t.output).view(), pk),
            "diff" => {
                let d = modulus(&(&t.output - &t.clean_output));
                grey_scaled_rgba(d.view(), largest(&d))
            }
            _ => return Err(format!("unknown picture '{which}'")),
        })
    }

    // ------------------------------------------------------------------ at equal size

    /// Makes the comparison at equal size for the state unless the one held is for it:
    /// the `transfer_to` method's own test on the network's case, after the network's test
    /// has finished. Returns whether it is finished; an error if the state does not test the
    /// network against a stable method.
    pub fn equal_prepare(&mut self, p: &UnstableParams) -> Result<bool, String> {
        if p.method != Which::Net || p.transfer_to == Which::Net {
            return Err(
                "the comparison at equal size is the network's test against a stable method".into(),
            );
        }
        let k = transfer_key(p);
        if let Some(e) = &self.equal {
            if e.key == k {
                return Ok(e.job.1.is_some());
            }
        }
        let net_test = self
            .finished_test(p)
            .ok_or("the network's instability test has not been run to the end for this state")?;
        let case = net_test.case.clone();
        let sp = UnstableParams {
            method: p.transfer_to,
            ..p.clone()
        };
        let (s, _) = self.ready(TrainedNet::Noise1)?;
        let job = TestJob::new(s, case, &sp)?;
        self.equal = Some(Keyed {
            key: k,
            job: (job, None),
            net: p.net,
        });
        Ok(false)
    }

    /// One gradient step of the stable method's test, and the comparison once it finishes:
    /// [iterations done, planned, finished].
    pub fn equal_step(&mut self, p: &UnstableParams) -> Result<Vec<f64>, String> {
        let e = self
            .equal
            .as_mut()
            .ok_or("the comparison at equal size has not been prepared")?;
        let (job, out) = &mut e.job;
        if out.is_none() {
            job.step(())?;
        }
        let mut v = progress(job);
        if job.done() && out.is_none() {
            let net_test = self
                .test
                .as_ref()
                .filter(|t| t.key == test_key(p) && t.job.done())
                .ok_or("the network's test is not the state's")?;
            let main = self
                .setting
                .as_ref()
                .ok_or("the network file has not been loaded")?;
            let e = self.equal.as_mut().expect("checked");
            e.job.1 = Some(equal_size(main, &net_test.job, &e.job.0)?);
        }
        let finished = self.equal.as_ref().is_some_and(|e| e.job.1.is_some());
        v[2] = if finished { 1.0 } else { 0.0 };
        Ok(v)
    }

    /// The comparison's numbers (once finished), or the stable test's progress.
    pub fn equal_result(&self, p: &UnstableParams) -> Result<Current<EqualPageResult>, String> {
        let e = self
            .equal
            .as_ref()
            .ok_or("the comparison at equal size has not been prepared")?;
        let (job, out) = &e.job;
        let diff = |t: &Transfer| largest(&modulus(&(&t.output - &t.clean_output)));
        Ok(Current {
            current: e.key == transfer_key(p),
            result: EqualPageResult {
                stable: job.which.name(),
                iterations: job.test.iterations(),
                planned: job.params.iters,
                own_amplification: job.summary.as_ref().map(|s| Num(s.amplification)),
                own_diff_scale: out.as_ref().map(|o| diff(&o.own)),
                r_diff_scale: out.as_ref().map(|o| diff(&o.network_r)),
                equal: out.clone(),
            },
        })
    }

    /// RGBA pixels of the comparison: "own:out" (the stable method's output under its own
    /// perturbation, scaled up to the network's size), "own:diff" (its change, at its own
    /// largest value), "r:out" and "r:diff" (the same under the network's r).
    pub fn equal_picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let e = &self
            .equal
            .as_ref()
            .ok_or("the comparison at equal size has not been prepared")?
            .job;
        let out =
            e.1.as_ref()
                .ok_or("the comparison at equal size has not finished")?;
        let pk = peak(&e.0.case.x);
        let t = match which.split_once(':') {
            Some(("own", _)) => &out.own,
            Some(("r", _)) => &out.network_r,
            _ => return Err(format!("unknown picture '{which}'")),
        };
        Ok(match which.split_once(':').map(|w| w.1) {
            Some("out") => grey_scaled_rgba(modulus(&t.output).view(), pk),
            Some("diff") => {
                let d = modulus(&(&t.output - &t.clean_output));
                grey_scaled_rgba(d.view(), largest(&d))
            }
            _ => return Err(format!("unknown picture '{which}'")),
        })
    }

    // ------------------------------------------------- kernel awareness, structural change

    /// Makes the view's detail job (the kernel view, or the structural change) unless the
    /// one held is for the state. Returns whether it is finished.
    pub fn detail_prepare(&mut self, p: &UnstableParams) -> Result<bool, String> {
        let k = detail_key(p);
        if let Some(d) = &self.detail {
            if d.key == k {
                return Ok(d.job.done());
            }
        }
        self.detail = None;
        let (s, sl) = self.ready(p.net)?;
        let job = DetailJob::new(s, sl, p)?;
        let done = job.done();
        self.detail = Some(Keyed {
            key: k,
            job,
            net: p.net,
        });
        Ok(done)
    }

    fn detail_job(&self) -> Result<&DetailJob, String> {
        self.detail
            .as_ref()
            .map(|d| &d.job)
            .ok_or_else(|| "the detail view has not been computed".into())
    }

    /// The detail job of the state, if finished.
    pub fn finished_detail(&self, p: &UnstableParams) -> Option<&DetailJob> {
        self.detail
            .as_ref()
            .filter(|d| d.key == detail_key(p) && d.job.done())
            .map(|d| &d.job)
    }

    /// One method of the detail job: [done, total, finished].
    pub fn detail_step(&mut self) -> Result<Vec<f64>, String> {
        let net = self
            .detail
            .as_ref()
            .ok_or("the detail view has not been prepared")?
            .net;
        let s = nets_of(&self.setting, &self.others)?.get(net)?;
        let d = &mut self.detail.as_mut().expect("checked").job;
        d.step(s)?;
        Ok(progress(d))
    }

    /// The detail job's numbers, with the network's instability test when it was run to the
    /// end on this image (its amplification and last Lipschitz estimate).
    pub fn detail_result(&self, p: &UnstableParams) -> Result<DetailPageResult, String> {
        let d = self.detail_job()?;
        let net_test = self.test.as_ref().map(|t| &t.job).and_then(|t| {
            let same_image =
                t.params.image_seed == d.params.image_seed && t.params.noise == d.params.noise;
            (t.done() && t.which == Which::Net && same_image).then(|| {
                let last = t.test.snapshots().last();
                NetTest {
                    amplification: t.summary.as_ref().map(|s| Num(s.amplification)),
                    lipschitz: last.map(|s| Num(s.lipschitz)),
                    budget: t.params.budget,
                    iterations: t.test.iterations(),
                }
            })
        });
        Ok(DetailPageResult {
            current: self.detail.as_ref().is_some_and(|k| k.key == detail_key(p)),
            result: d.result(),
            net_test,
        })
    }

    /// RGBA pixels of the detail view: "x", "x2" (x + z), "w" and "z" (diverging at the
    /// largest |w|), and for METHOD: "out:METHOD" (|Psi(y)|), "out2:METHOD" (|Psi(y')|),
    /// "change:METHOD" (Re(Psi(y') - Psi(y)), diverging at the largest |w|).
    pub fn detail_picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let d = self.detail_job()?;
        let x = &d.case.x;
        let n = (x.len() as f64).sqrt().round() as usize;
        let pk = peak(x);
        let row = |m: &str| -> Result<&DetailOutputs, String> {
            let w = parse_which(m)?;
            d.rows
                .iter()
                .find(|r| r.which == w)
                .ok_or_else(|| format!("'{m}' has not been computed yet"))
        };
        let w = || d.dc.w.as_ref().ok_or("no detail has been placed");
        Ok(match which.split_once(':') {
            None if which == "x" => grey_scaled_rgba(x.view(), pk),
            None if which == "x2" => grey_scaled_rgba((x + &d.dc.z).view(), pk),
            None if which == "w" => {
                let w = w()?;
                diverging_rgba(w.view(), n, diverging_scale(w.view()))
            }
            None if which == "z" => diverging_rgba(d.dc.z.view(), n, diverging_scale(w()?.view())),
            Some(("out", m)) => grey_scaled_rgba(modulus(&row(m)?.out).view(), pk),
            Some(("out2", m)) => grey_scaled_rgba(modulus(&row(m)?.out2).view(), pk),
            Some(("change", m)) => {
                let r = row(m)?;
                let c = (&r.out2 - &r.out).mapv(|c| c.re);
                diverging_rgba(c.view(), n, diverging_scale(w()?.view()))
            }
            _ => return Err(format!("unknown picture '{which}'")),
        })
    }

    // ------------------------------------------------------------------ more samples

    /// Makes the more-samples curve's job unless the one held is for the state. Returns
    /// whether it is finished.
    pub fn samples_prepare(&mut self, p: &UnstableParams) -> Result<bool, String> {
        let k = samples_key(p);
        if let Some(j) = &self.samples {
            if j.key == k {
                return Ok(j.job.done());
            }
        }
        let (s, _) = self.ready(p.net)?;
        let job = SamplesJob::new(s, p);
        self.samples = Some(Keyed {
            key: k,
            job,
            net: p.net,
        });
        Ok(false)
    }

    /// One (rate, method) of the curve: [done, total, finished].
    pub fn samples_step(&mut self) -> Result<Vec<f64>, String> {
        let net = self
            .samples
            .as_ref()
            .ok_or("the more-samples curve has not been prepared")?
            .net;
        let s = nets_of(&self.setting, &self.others)?.get(net)?;
        let sl = self
            .slices
            .as_ref()
            .ok_or("the MRI slices have not been loaded")?;
        let j = &mut self.samples.as_mut().expect("checked").job;
        j.step((s, sl))?;
        Ok(progress(j))
    }

    /// The curve so far.
    pub fn samples_result(&self, p: &UnstableParams) -> Result<Current<SamplesResult>, String> {
        let k = self
            .samples
            .as_ref()
            .ok_or("the more-samples curve has not been prepared")?;
        Ok(Current {
            current: samples_key(p) == k.key,
            result: k.job.result(),
        })
    }

    /// The finished curve of the state and its reconstructions at the rate shown.
    pub fn finished_samples(&self, p: &UnstableParams) -> Option<(&SamplesJob, &RateImages)> {
        match (&self.samples, &self.rate_view) {
            (Some(j), Some(r))
                if j.key == samples_key(p) && j.job.done() && r.key == rate_key(p) =>
            {
                Some((&j.job, &r.job))
            }
            _ => None,
        }
    }

    /// The state's image reconstructed by the curve's methods at the rate shown (nested masks
    /// of the network's pattern), with their PSNR.
    pub fn rate_images(&mut self, p: &UnstableParams) -> Result<RateResult, String> {
        let k = rate_key(p);
        if self.rate_view.as_ref().is_none_or(|r| r.key != k) {
            let (s, sl) = self.ready(p.net)?;
            let job = RateImages::new(s, sl, p)?;
            self.rate_view = Some(Keyed {
                key: k,
                job,
                net: p.net,
            });
        }
        Ok(self.rate_view.as_ref().expect("just made").job.result())
    }

    /// RGBA pixels of the rate view: "x", or "out:METHOD" (a method of the curve).
    pub fn rate_picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let r = &self
            .rate_view
            .as_ref()
            .ok_or("the rate view has not been computed")?
            .job;
        let pk = peak(&r.x);
        if which == "x" {
            return Ok(grey_scaled_rgba(r.x.view(), pk));
        }
        let m = which
            .strip_prefix("out:")
            .ok_or_else(|| format!("unknown picture '{which}'"))?;
        let w = parse_which(m)?;
        let (_, est, _) = r
            .outs
            .iter()
            .find(|(v, _, _)| *v == w)
            .ok_or_else(|| format!("'{m}' is not on the more-samples curve"))?;
        Ok(grey_scaled_rgba(est.view(), pk))
    }

    // ------------------------------------------------------------------ the trade-off plot

    /// Makes the trade-off job unless the one held is for the state. Returns whether it is
    /// finished.
    pub fn tradeoff_prepare(&mut self, p: &UnstableParams) -> Result<bool, String> {
        let k = tradeoff_key(p);
        if let Some(j) = &self.tradeoff {
            if j.key == k {
                return Ok(j.job.done());
            }
        }
        let (s, _) = self.ready(TrainedNet::Noise1)?;
        self.tradeoff = Some(Keyed {
            key: k,
            job: TradeoffJob::new(p, s),
            net: TrainedNet::Noise1,
        });
        Ok(false)
    }

    /// Offers a shipped trade-off plot (the numbers `barriers-lab figures` wrote): taken if
    /// it was made for the state the prepared job is for. Returns whether it was (then the
    /// job is done).
    pub fn tradeoff_ship(&mut self, p: &UnstableParams, json: &str) -> bool {
        let Ok(numbers) = Numbers::from_json(json) else {
            return false;
        };
        let Ok(made_for) = params::from_query::<UnstableParams>(&numbers.link) else {
            return false;
        };
        let k = tradeoff_key(p);
        match self.tradeoff.as_mut() {
            Some(j) if j.key == k && tradeoff_key(&made_for) == k && !j.job.done() => {
                j.job.take_shipped(&numbers)
            }
            _ => false,
        }
    }

    /// A little of the trade-off job (one variant's PSNR, or one step of its test): [done,
    /// total, finished] in steps.
    pub fn tradeoff_step(&mut self) -> Result<Vec<f64>, String> {
        let nets = nets_of(&self.setting, &self.others)?;
        let sl = self
            .slices
            .as_ref()
            .ok_or("the MRI slices have not been loaded")?;
        let j = &mut self
            .tradeoff
            .as_mut()
            .ok_or("the trade-off plot has not been prepared")?
            .job;
        j.step((nets, sl))?;
        Ok(progress(j))
    }

    /// The points so far, with the state's budget.
    pub fn tradeoff_result(&self, p: &UnstableParams) -> Result<TradeoffPageResult, String> {
        let k = self
            .tradeoff
            .as_ref()
            .ok_or("the trade-off plot has not been prepared")?;
        Ok(TradeoffPageResult {
            current: tradeoff_key(p) == k.key,
            budget: p.budget,
            result: k.job.result(),
        })
    }

    /// The finished trade-off job of the state.
    pub fn finished_tradeoff(&self, p: &UnstableParams) -> Option<&TradeoffJob> {
        self.tradeoff
            .as_ref()
            .filter(|j| j.key == tradeoff_key(p) && j.job.done())
            .map(|j| &j.job)
    }

    // ------------------------------------------------------------------ parts for a pool

    /// The jobs whose parts other workers may compute ([`Parts`]): "tradeoff" (a part is a
    /// variant) and "samples" (a part is a rate and a method).
    fn pooled(&mut self, kind: &str) -> Result<&mut dyn Parts, String> {
        match kind {
            "tradeoff" => Ok(&mut self
                .tradeoff
                .as_mut()
                .ok_or("the trade-off plot has not been prepared")?
                .job),
            "samples" => Ok(&mut self
                .samples
                .as_mut()
                .ok_or("the more-samples curve has not been prepared")?
                .job),
            _ => Err(format!("'{kind}' is not a job of parts")),
        }
    }

    /// Hands the first part of job `kind` that nobody has started to another worker: its
    /// index, or none.
    pub fn part_hand_out(&mut self, kind: &str) -> Result<Option<usize>, String> {
        Ok(self.pooled(kind)?.hand_out())
    }

    /// Takes back a part of job `kind` handed out for the state `made_for` whose worker
    /// failed (this worker's steps will compute it), if the job held is still for that state.
    pub fn part_take_back(
        &mut self,
        kind: &str,
        made_for: &UnstableParams,
        part: usize,
    ) -> Result<(), String> {
        if self.holds(kind, made_for)? {
            self.pooled(kind)?.take_back(part);
        }
        Ok(())
    }

    /// Whether the job `kind` held is the one for the state `made_for`.
    fn holds(&self, kind: &str, made_for: &UnstableParams) -> Result<bool, String> {
        Ok(match kind {
            "tradeoff" => self
                .tradeoff
                .as_ref()
                .is_some_and(|j| j.key == tradeoff_key(made_for)),
            "samples" => self
                .samples
                .as_ref()
                .is_some_and(|j| j.key == samples_key(made_for)),
            _ => return Err(format!("'{kind}' is not a job of parts")),
        })
    }

    /// Whether job `kind` waits for parts other workers compute (its own steps have nothing
    /// left to do).
    pub fn part_waiting(&mut self, kind: &str) -> Result<bool, String> {
        Ok(self.pooled(kind)?.waiting())
    }

    /// Computes part `part` of the state's job `kind` alone (in a helper worker; the job is
    /// made for the state if it is not held): its numbers.
    pub fn part_compute(
        &mut self,
        kind: &str,
        p: &UnstableParams,
        part: usize,
    ) -> Result<Vec<f64>, String> {
        match kind {
            "tradeoff" => {
                self.tradeoff_prepare(p)?;
                let nets = nets_of(&self.setting, &self.others)?;
                let sl = self
                    .slices
                    .as_ref()
                    .ok_or("the MRI slices have not been loaded")?;
                let j = &self.tradeoff.as_ref().expect("prepared").job;
                j.compute_part(part, (nets, sl))
            }
            "samples" => {
                self.samples_prepare(p)?;
                let k = self.samples.as_ref().expect("prepared");
                let (s, sl) = self.ready(k.net)?;
                k.job.compute_part(part, (s, sl))
            }
            _ => Err(format!("'{kind}' is not a job of parts")),
        }
    }

    /// Puts the numbers another worker computed for part `part` of job `kind` for the state
    /// `made_for` into the job held, if that job is still for it. Returns whether it did.
    pub fn part_put(
        &mut self,
        kind: &str,
        made_for: &UnstableParams,
        part: usize,
        numbers: &[f64],
    ) -> Result<bool, String> {
        let same = self.holds(kind, made_for)?;
        if same {
            self.pooled(kind)?.put_part(part, numbers)?;
        }
        Ok(same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::unstable::samples::SAMPLES_METHODS;
    use crate::demos::unstable::tests::{network_bytes, setting, slice_bytes, slices};
    use crate::demos::unstable::{held_out, samples_curve, DetailKind};
    use crate::job::run_to_end;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A small state: few test iterations, short stable methods, one image per curve.
    fn small() -> UnstableParams {
        UnstableParams {
            method: Which::Tv,
            iters: 6,
            cp_iters: 10,
            restarts: 2,
            inner: 4,
            samples_images: 1,
            tradeoff_iters: 2,
            tradeoff_images: 1,
            ..UnstableParams::default()
        }
    }

    /// The page with the untrained network and the made-up slices loaded.
    fn loaded() -> UnstablePage {
        let mut page = UnstablePage::new();
        let p = UnstableParams::default();
        assert_eq!(page.needs(&p)[0].kind, "network");
        page.load_network(&network_bytes()).unwrap();
        assert_eq!(page.needs(&p)[0].side, Some(64));
        page.load_slices(32, &slice_bytes()).unwrap();
        assert!(page.needs(&p).is_empty());
        page
    }

    fn text<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// Steps until a step says it finished (the worker's loop), at most `limit` steps.
    fn step_until_done(mut step: impl FnMut() -> Result<Vec<f64>, String>, limit: usize) -> usize {
        for n in 1..=limit {
            if step().unwrap()[2] == 1.0 {
                return n;
            }
        }
        panic!("not finished after {limit} steps");
    }

    /// Prepares, steps and reads the job of parts `kind` through the page, as the worker does.
    fn parts_job(
        page: &mut UnstablePage,
        kind: &str,
        p: &UnstableParams,
    ) -> (bool, Vec<f64>, String) {
        match kind {
            "tradeoff" => {
                page.tradeoff_prepare(p).unwrap();
                let s = page.tradeoff_step().unwrap();
                (
                    s[2] == 1.0,
                    s,
                    text(&page.tradeoff_result(p).unwrap().result),
                )
            }
            _ => {
                page.samples_prepare(p).unwrap();
                let s = page.samples_step().unwrap();
                (
                    s[2] == 1.0,
                    s,
                    text(&page.samples_result(p).unwrap().result),
                )
            }
        }
    }

    /// A pool (this page and a helper page with the same files) gives the numbers of one
    /// worker, bit for bit: parts handed out and computed by the helper out of order, one
    /// taken back after its helper failed, numbers for another state dropped, numbers of the
    /// wrong length refused, and this worker waiting once only handed-out parts are left.
    fn a_pool_gives_one_workers_numbers(kind: &str, p: &UnstableParams, other: &UnstableParams) {
        let mut alone = loaded();
        let mut steps = 0;
        let alone_result = loop {
            let (finished, _, r) = parts_job(&mut alone, kind, p);
            steps += 1;
            assert!(steps < 10_000);
            if finished {
                break r;
            }
        };
        let (mut main, mut helper) = (loaded(), loaded());
        match kind {
            "tradeoff" => main.tradeoff_prepare(p).unwrap(),
            _ => main.samples_prepare(p).unwrap(),
        };
        let a = main.part_hand_out(kind).unwrap().unwrap();
        let b = main.part_hand_out(kind).unwrap().unwrap();
        let c = main.part_hand_out(kind).unwrap().unwrap();
        assert_eq!((a, b, c), (0, 1, 2));
        main.part_take_back(kind, p, b).unwrap();
        let nc = helper.part_compute(kind, p, c).unwrap();
        assert!(main.part_put(kind, p, c, &nc).unwrap());
        assert!(!main.part_put(kind, other, a, &nc).unwrap());
        assert!(main.part_put(kind, p, a, &[1.0]).is_err());
        assert!(main.part_put(kind, p, 10_000, &nc).is_err());
        let mut steps = 0;
        while !main.part_waiting(kind).unwrap() {
            let (finished, _, _) = parts_job(&mut main, kind, p);
            assert!(!finished, "part {a} is still out");
            steps += 1;
            assert!(steps < 10_000);
        }
        let na = helper.part_compute(kind, p, a).unwrap();
        assert!(main.part_put(kind, p, a, &na).unwrap());
        // A part put twice keeps its first numbers.
        assert!(main.part_put(kind, p, a, &nc).unwrap());
        let (finished, progress, pooled) = parts_job(&mut main, kind, p);
        assert!(finished && progress[0] == progress[1]);
        assert_eq!(pooled, alone_result);
        assert!(!main.part_waiting(kind).unwrap());
    }

    #[test]
    fn a_pool_gives_one_workers_trade_off_plot() {
        let p = UnstableParams {
            view: View::Tradeoff,
            ..small()
        };
        let other = UnstableParams {
            tradeoff_images: 2,
            ..p.clone()
        };
        a_pool_gives_one_workers_numbers("tradeoff", &p, &other);
    }

    #[test]
    fn a_pool_gives_one_workers_samples_curve() {
        let p = UnstableParams {
            view: View::Samples,
            ..small()
        };
        let other = UnstableParams {
            samples_images: 2,
            ..p.clone()
        };
        a_pool_gives_one_workers_numbers("samples", &p, &other);
        assert!(loaded().part_hand_out("samples").is_err(), "not prepared");
        assert!(loaded().part_hand_out("test").is_err());
    }

    /// The instability test stepped by the page, one gradient step at a time, gives the
    /// numbers of `barriers-lab instability` (the job run to the end on the same case),
    /// and its summary is the one of the test run directly.
    #[test]
    fn the_test_stepped_by_the_page_is_the_command_lines() {
        let p = small();
        let mut page = loaded();
        assert!(!page.test_prepare(&p).unwrap());
        assert_eq!(step_until_done(|| page.test_step(), 100), p.iters);
        let stepped = page.test_result(&p).unwrap();
        assert!(stepped.current && stepped.result.done);
        let (s, sl) = (setting(), slices());
        let case = Case::family(&s, &sl, p.image_seed, p.noise).unwrap();
        let mut job = TestJob::new(&s, case, &p).unwrap();
        let cli = text(&run_to_end(&mut job, ()).unwrap());
        assert_eq!(text(&stepped.result), cli);
        let case = Case::family(&s, &sl, p.image_seed, p.noise).unwrap();
        let mut t = super::super::start(&s, &case, p.method, &p).unwrap();
        while !t.done() {
            t.step();
        }
        let direct = super::super::summarise(&case, p.method, &t.report()).unwrap();
        assert_eq!(text(job.summary.as_ref().unwrap()), text(&direct));
        // Its pictures, and the transfer of its last perturbation.
        assert_eq!(page.test_picture("r:0").unwrap().len(), 32 * 32 * 4);
        assert!(page.test_picture("r:9").is_err());
        let tr = page.transfer(&p).unwrap();
        assert_eq!((tr.method.as_str(), tr.from), ("tv", "tv"));
        assert_eq!(page.transfer_picture("diff").unwrap().len(), 32 * 32 * 4);
        // Another state's test is not this one: no transfer until it has run.
        let q = UnstableParams {
            budget: 0.04,
            ..p.clone()
        };
        assert!(!page.test_prepare(&q).unwrap());
        assert!(page.transfer(&q).is_err());
    }

    /// Both detail views stepped by the page, one method at a time, give the numbers of
    /// `barriers-lab figures` (the job run to the end).
    #[test]
    fn the_detail_views_stepped_by_the_page_are_the_command_lines() {
        let mut page = loaded();
        for view in [View::Kernel, View::Structure] {
            let p = UnstableParams {
                view,
                detail_texture: DetailKind::Plain,
                ..small()
            };
            assert!(!page.detail_prepare(&p).unwrap());
            assert_eq!(step_until_done(|| page.detail_step(), 10), Which::ALL.len());
            let stepped = page.detail_result(&p).unwrap();
            assert!(stepped.current && stepped.result.done && stepped.net_test.is_none());
            let (s, sl) = (setting(), slices());
            let mut job = DetailJob::new(&s, &sl, &p).unwrap();
            let cli = text(&run_to_end(&mut job, &s).unwrap());
            assert_eq!(text(&stepped.result), cli);
            assert!(page.finished_detail(&p).is_some());
            assert_eq!(page.detail_picture("change:tv").unwrap().len(), 32 * 32 * 4);
            assert!(page.detail_picture("change:unet").is_err());
        }
    }

    /// The more-samples curve stepped by the page, one (rate, method) at a time, gives the
    /// numbers of `barriers-lab samples` (the job run to the end, and the whole curve computed
    /// at once).
    #[test]
    fn the_samples_curve_stepped_by_the_page_is_the_command_lines() {
        let p = UnstableParams {
            view: View::Samples,
            ..small()
        };
        let mut page = loaded();
        let rate = page.rate_images(&p).unwrap();
        assert_eq!(rate.methods, ["net", "firenet", "tv"]);
        assert!(page.rate_picture("out:firenet").is_ok());
        assert!(!page.samples_prepare(&p).unwrap());
        assert_eq!(step_until_done(|| page.samples_step(), 100), 12 * 3);
        let stepped = page.samples_result(&p).unwrap();
        assert!(stepped.current && stepped.result.done);
        assert!(page.finished_samples(&p).is_some());
        let (s, sl) = (setting(), slices());
        let mut job = SamplesJob::new(&s, &p);
        let cli = text(&run_to_end(&mut job, (&s, &sl)).unwrap());
        assert_eq!(text(&stepped.result), cli);
        let rates = samples_rates();
        let seeds = held_out(1);
        let once = samples_curve(&s, &sl, &p, &rates, &seeds, &SAMPLES_METHODS, |_, _| {});
        assert_eq!(text(&job.points()), text(&once.unwrap()));
    }

    /// A state naming another shipped network asks for its file after the slices; a file of
    /// another recipe (here the test's small network) or an unknown name is refused, and the
    /// state's jobs then say the network is missing instead of using another one.
    #[test]
    fn other_networks_are_asked_for_and_checked() {
        let mut page = loaded();
        let p = UnstableParams {
            net: TrainedNet::Noise3,
            ..small()
        };
        let needs = page.needs(&p);
        assert_eq!(needs.len(), 1);
        assert_eq!(
            (needs[0].kind, needs[0].file, needs[0].net),
            ("trained", Some("recon-net-noise-3.brn"), Some("noise-3"))
        );
        let e = page.load_trained("noise-3", &network_bytes()).unwrap_err();
        assert!(e.contains("recipe"), "{e}");
        assert!(page.load_trained("noise-7", &network_bytes()).is_err());
        let e = page.test_prepare(&p).unwrap_err();
        assert!(e.contains("recon-net-noise-3.brn"), "{e}");
        assert!(page.needs(&small()).is_empty());
    }

    /// The comparison at equal size stepped by the page is [`equal_size`] of the two tests
    /// run to the end; it is refused before the network's test has finished and for a state
    /// that does not test the network against a stable method.
    #[test]
    fn the_equal_size_comparison_stepped_by_the_page_is_the_command_lines() {
        let p = UnstableParams {
            method: Which::Net,
            transfer_to: Which::Tv,
            ..small()
        };
        let mut page = loaded();
        assert!(page.equal_prepare(&p).is_err());
        assert!(page
            .equal_prepare(&UnstableParams {
                transfer_to: Which::Net,
                ..p.clone()
            })
            .is_err());
        page.test_prepare(&p).unwrap();
        step_until_done(|| page.test_step().map(|v| v[..3].to_vec()), 1000);
        assert!(!page.equal_prepare(&p).unwrap());
        let steps = step_until_done(|| page.equal_step(&p), 1000);
        assert_eq!(steps, p.iters);
        assert!(page.equal_prepare(&p).unwrap());
        let stepped = page.equal_result(&p).unwrap();
        assert!(stepped.current);
        let (s, sl) = (setting(), slices());
        let case = Case::family(&s, &sl, p.image_seed, p.noise).unwrap();
        let mut net = TestJob::new(&s, case.clone(), &p).unwrap();
        run_to_end(&mut net, ()).unwrap();
        let q = UnstableParams {
            method: Which::Tv,
            ..p.clone()
        };
        let mut tv = TestJob::new(&s, case, &q).unwrap();
        run_to_end(&mut tv, ()).unwrap();
        let direct = equal_size(&s, &net, &tv).unwrap();
        assert_eq!(text(&stepped.result.equal), text(&Some(direct)));
        for pic in ["own:out", "own:diff", "r:out", "r:diff"] {
            assert_eq!(page.equal_picture(pic).unwrap().len(), 4 * 32 * 32, "{pic}");
        }
        assert!(page.equal_picture("own").is_err());
    }

    /// The trade-off plot stepped by the page (a variant's PSNR, then one test step, at a
    /// time) gives the numbers of the job run to the end.
    #[test]
    fn the_tradeoff_plot_stepped_by_the_page_is_the_command_lines() {
        let p = UnstableParams {
            view: View::Tradeoff,
            ..small()
        };
        let mut page = loaded();
        assert!(!page.tradeoff_prepare(&p).unwrap());
        let variants = TradeoffJob::new(&p, &setting()).variants.len();
        let steps = step_until_done(|| page.tradeoff_step(), 1000);
        assert_eq!(steps, variants * (1 + p.tradeoff_iters));
        let stepped = page.tradeoff_result(&p).unwrap();
        assert!(stepped.current && stepped.result.done);
        assert!(page.finished_tradeoff(&p).is_some());
        let (s, sl) = (setting(), slices());
        let mut job = TradeoffJob::new(&p, &s);
        let cli = text(&run_to_end(&mut job, (Nets::one(&s), &sl)).unwrap());
        assert_eq!(text(&stepped.result), cli);
        // A shipped plot made for another state is not taken.
        assert!(!page.tradeoff_ship(&p, "{}"));
    }
}
