//! The unstable network against the stable methods: one validated state, the experiment it
//! sets up (the network's own sampling pattern, a member of its image family, noise) and the
//! instability test run on any method.
//!
//! Everything happens at the network's setting: its side, image family, pattern, rate and
//! mask seed, read from its file's header, so the stable methods see exactly the
//! measurements the network sees.

use crate::data::family::{self, FamilyKind, Member, VALIDATION_MAX};
use crate::data::mri::MriSlices;
use crate::instability::{InstabilityOptions, InstabilityReport, InstabilityTest};
use crate::operators::sampling::{measure, SubsampledFourier};
use crate::operators::wavelet::WaveletKind;
use crate::operators::{complex, LinearOperator, C64};
use crate::params::{Field, Kind, ParamError, Params};
use crate::recon::map::ReconMap;
use crate::recon::net::{NetHeader, ReconNet};
use crate::recon::vjp::recon_map;
use crate::recon::{Method, Objective, Settings};
use crate::solvers::firenet::FirenetOptions;
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod tradeoff;

/// The methods the demo compares: the trained network and the four of the MRI demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Which {
    Net,
    Firenet,
    Tv,
    CsWavelet,
    Adjoint,
}

impl Which {
    pub const ALL: [Which; 5] = [
        Which::Net,
        Which::Firenet,
        Which::Tv,
        Which::CsWavelet,
        Which::Adjoint,
    ];
    pub const NAMES: &'static [&'static str] = &["net", "firenet", "tv", "cs-wavelet", "adjoint"];
    /// What a menu shows for each name.
    pub const LABELS: &'static [&'static str] = &[
        "Trained network",
        "FIRENET",
        "TV (square-root LASSO)",
        "Wavelet ℓ1 (square-root LASSO)",
        "Adjoint A*y",
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The stable method, if it is one.
    pub fn method(self) -> Option<Method> {
        match self {
            Which::Net => None,
            Which::Firenet => Some(Method::Firenet),
            Which::Tv => Some(Method::Tv),
            Which::CsWavelet => Some(Method::CsWavelet),
            Which::Adjoint => Some(Method::Adjoint),
        }
    }
}

/// The demo's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnstableParams {
    pub method: Which,
    /// The family member (seeds above 9000 are held out of training and tuning).
    pub image_seed: u64,
    /// ||e|| / ||A x||.
    pub noise: f64,
    /// The instability test: ||r|| <= budget ||x||, and its ascent.
    pub budget: f64,
    pub iters: usize,
    pub lambda: f64,
    pub eta: f64,
    pub gamma: f64,
    pub attack_seed: u32,
    /// The stable methods.
    pub lambda_tv: f64,
    pub lambda_w: f64,
    pub wavelet: WaveletKind,
    pub levels: usize,
    pub cp_iters: usize,
    pub restarts: usize,
    pub inner: usize,
    pub firenet_on: Objective,
    /// The page only (what it shows; the command line ignores them).
    pub view: View,
    /// The method the page feeds the found perturbation to.
    pub transfer_to: Which,
    /// The detail of the kernel and structural views: its centre (column, row) as fractions
    /// of the side (row = fraction x side, as the family's sites), or none.
    pub detail: Option<[f64; 2]>,
    /// Its radius (pixels) and contrast, and whether it is finely textured.
    pub detail_radius: f64,
    pub detail_amp: f64,
    pub detail_texture: DetailKind,
    /// ||A z|| / ||A w|| of the kernel view's z (0: z in the kernel of A).
    pub delta: f64,
    /// The more-samples view: the rate whose reconstructions are shown, and the number of
    /// held-out images of the curve.
    pub show_rate: f64,
    pub samples_images: usize,
    /// The trade-off view: test iterations per variant and clean images for the PSNR.
    pub tradeoff_iters: usize,
    pub tradeoff_images: usize,
}

impl Default for UnstableParams {
    fn default() -> Self {
        Self {
            method: Which::Net,
            image_seed: 9001,
            noise: 0.01,
            budget: 0.05,
            iters: 100,
            lambda: 0.01,
            eta: 0.01,
            gamma: 0.9,
            attack_seed: 1,
            lambda_tv: 0.01,
            lambda_w: 0.01,
            wavelet: WaveletKind::Db4,
            levels: 3,
            cp_iters: 300,
            restarts: 6,
            inner: 50,
            firenet_on: Objective::Tv,
            view: View::Test,
            transfer_to: Which::Tv,
            detail: Some([0.3125, 0.3125]),
            detail_radius: 2.5,
            detail_amp: 0.25,
            detail_texture: DetailKind::Textured,
            delta: 0.0,
            show_rate: 0.15,
            samples_images: 3,
            tradeoff_iters: 15,
            tradeoff_images: 3,
        }
    }
}

const fn float(min: f64, max: f64, step: f64, log: bool) -> Kind {
    Kind::Float {
        min,
        max,
        step,
        log,
    }
}

impl Params for UnstableParams {
    const SCHEMA: &'static [Field] = &[
        Field {
            key: "method",
            label: "Method",
            unit: "",
            help: "The reconstruction the instability test attacks.",
            kind: Kind::Choice(Which::NAMES, Which::LABELS),
        },
        Field {
            key: "image_seed",
            label: "Image",
            unit: "",
            help: "The family member: seeds above 9000 are held out of training and tuning.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        Field {
            key: "noise",
            label: "Noise ‖e‖ / ‖Ax‖",
            unit: "%",
            help: "||e|| / ||A x||, complex Gaussian, the same for every method.",
            kind: float(0.0, 0.2, 0.001, false),
        },
        Field {
            key: "budget",
            label: "Budget ‖r‖ / ‖x‖ at most",
            unit: "%",
            help: "The largest ||r|| / ||x|| the test may use.",
            kind: float(0.001, 0.2, 0.001, true),
        },
        Field {
            key: "iters",
            label: "Iterations",
            unit: "",
            help: "Gradient-ascent steps of the instability test (one forward and one backward pass each).",
            kind: Kind::Int { min: 1, max: 2000 },
        },
        Field {
            key: "lambda",
            label: "λ (test)",
            unit: "",
            help: "The price of ||r||^2 in Q(r) = ||Psi(A(x + r)) - Psi(A x)||^2 - λ ||r||^2.",
            kind: float(0.0, 10.0, 0.001, true),
        },
        Field {
            key: "eta",
            label: "Step η",
            unit: "",
            help: "The ascent's step size.",
            kind: float(1e-6, 10.0, 1e-6, true),
        },
        Field {
            key: "gamma",
            label: "Momentum γ",
            unit: "",
            help: "The ascent's momentum.",
            kind: float(0.0, 0.99, 0.01, false),
        },
        Field {
            key: "attack_seed",
            label: "Test seed",
            unit: "",
            help: "The random start of r and the Gaussian control.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        Field {
            key: "lambda_tv",
            label: "λ of TV",
            unit: "",
            help: "Weight of the total variation in the square-root LASSO.",
            kind: float(1e-6, 1.0, 1e-6, true),
        },
        Field {
            key: "lambda_w",
            label: "λ of the wavelet l1",
            unit: "",
            help: "Weight of the wavelet l1 term in the square-root LASSO.",
            kind: float(1e-6, 1.0, 1e-6, true),
        },
        Field {
            key: "wavelet",
            label: "Wavelet",
            unit: "",
            help: "The orthonormal wavelet of the l1 term.",
            kind: Kind::Choice(WaveletKind::NAMES, WaveletKind::LABELS),
        },
        Field {
            key: "levels",
            label: "Wavelet levels",
            unit: "",
            help: "Scales of the wavelet transform.",
            kind: Kind::Int { min: 1, max: 5 },
        },
        Field {
            key: "cp_iters",
            label: "Chambolle-Pock steps",
            unit: "",
            help: "Steps of the TV and wavelet reconstructions (each is a layer the test differentiates through).",
            kind: Kind::Int { min: 1, max: 2000 },
        },
        Field {
            key: "restarts",
            label: "FIRENET restarts n",
            unit: "",
            help: "FIRENET's restarts.",
            kind: Kind::Int { min: 1, max: 50 },
        },
        Field {
            key: "inner",
            label: "FIRENET steps per restart p",
            unit: "",
            help: "Primal-dual steps per restart.",
            kind: Kind::Int { min: 1, max: 200 },
        },
        Field {
            key: "firenet_on",
            label: "FIRENET objective",
            unit: "",
            help: "FIRENET on the wavelet or the TV square-root LASSO.",
            kind: Kind::Choice(Objective::NAMES, Objective::LABELS),
        },
        Field {
            key: "view",
            label: "View",
            unit: "",
            help: "What the page shows: the instability test, kernel awareness, a structural change, more samples, or the trade-off plot.",
            kind: Kind::Choice(View::NAMES, View::LABELS),
        },
        Field {
            key: "transfer_to",
            label: "Transfer to",
            unit: "",
            help: "The method the found perturbation is fed to.",
            kind: Kind::Choice(Which::NAMES, Which::LABELS),
        },
        Field {
            key: "detail",
            label: "Detail at",
            unit: "",
            help: "Where the detail (a small lesion) sits: column, row as fractions of the side; none for no detail.",
            kind: Kind::Point { min: 0.0, max: 1.0 },
        },
        Field {
            key: "detail_radius",
            label: "Detail radius",
            unit: "pixels",
            help: "The lesion's radius.",
            kind: float(0.5, 8.0, 0.1, false),
        },
        Field {
            key: "detail_amp",
            label: "Detail contrast",
            unit: "",
            help: "The intensity the lesion adds at its centre (a textured one alternates its sign from pixel to pixel).",
            kind: float(0.05, 1.0, 0.01, false),
        },
        Field {
            key: "detail_texture",
            label: "Detail kind",
            unit: "",
            help: "A finely textured lesion (its spectrum in the k-space corners the mask barely samples) or a plain soft disc.",
            kind: Kind::Choice(DetailKind::NAMES, DetailKind::LABELS),
        },
        Field {
            key: "delta",
            label: "δ = ‖A z‖ / ‖A w‖",
            unit: "",
            help: "How much of the detail the scanner sees: 0 puts z exactly in the kernel of A (identical measurements), 1 is the whole detail.",
            kind: float(0.0, 1.0, 0.01, false),
        },
        Field {
            key: "show_rate",
            label: "Rate shown",
            unit: "%",
            help: "The sampling rate whose reconstructions the more-samples view shows (nested masks of the network's pattern).",
            kind: float(0.05, 0.6, 0.05, false),
        },
        Field {
            key: "samples_images",
            label: "Images (curve)",
            unit: "",
            help: "Held-out images (family:9001 and on) the more-samples curve averages over.",
            kind: Kind::Int { min: 1, max: 8 },
        },
        Field {
            key: "tradeoff_iters",
            label: "Test iterations (trade-off)",
            unit: "",
            help: "Instability-test iterations for each point of the trade-off plot.",
            kind: Kind::Int { min: 1, max: 500 },
        },
        Field {
            key: "tradeoff_images",
            label: "Clean images (trade-off)",
            unit: "",
            help: "Held-out images (family:9001 and on) the trade-off plot's PSNR averages over.",
            kind: Kind::Int { min: 1, max: 8 },
        },
    ];

    fn check(&self) -> Result<(), ParamError> {
        if self.restarts * self.inner > 2000 {
            return Err(ParamError::new(
                Some("inner"),
                format!(
                    "FIRENET may have at most 2000 layers here, got {} x {}",
                    self.restarts, self.inner
                ),
            ));
        }
        Ok(())
    }
}

impl UnstableParams {
    pub fn settings(&self) -> Settings {
        Settings {
            wavelet: self.wavelet,
            levels: self.levels,
            lambda_wavelet: self.lambda_w,
            lambda_tv: self.lambda_tv,
            iterations: self.cp_iters,
            firenet: FirenetOptions {
                restarts: self.restarts,
                inner: self.inner,
                ..Default::default()
            },
            firenet_on: self.firenet_on,
        }
    }

    pub fn instability_options(&self) -> InstabilityOptions {
        // The budget ramps up over 3/4 of the iterations, so the snapshots after 1/4, 1/2 and
        // all of them are the ascent's perturbations at about 1/3, 2/3 and all of it.
        let i = self.iters;
        let mut snaps = vec![(i / 4).max(1), (i / 2).max(1), i];
        snaps.dedup();
        InstabilityOptions {
            lambda: self.lambda,
            eta: self.eta,
            gamma: self.gamma,
            iterations: i,
            snapshots: snaps,
            ramp: 3 * i / 4,
            budget: Some(self.budget),
            seed: self.attack_seed as u64,
            ..InstabilityOptions::default()
        }
    }
}

/// The network and the measurement operator it was trained with.
pub struct Setting {
    pub net: ReconNet,
    pub header: NetHeader,
    pub a: Arc<SubsampledFourier>,
}

impl Setting {
    /// From a network file's bytes, at the side it was trained at.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let (net, header) = ReconNet::from_bytes(bytes)?;
        let a = Arc::new(header.training.operator(header.training.side)?);
        Ok(Self { net, header, a })
    }

    /// The image side.
    pub fn side(&self) -> usize {
        self.a.side()
    }

    /// The network's image family.
    pub fn family(&self) -> FamilyKind {
        self.header.training.family
    }

    /// A method as a reconstruction map on this setting's measurements.
    pub fn map(&self, which: Which, p: &UnstableParams) -> Result<Arc<dyn ReconMap>, String> {
        match which.method() {
            None => self.net.map(&self.a),
            Some(m) => recon_map(m, &self.a, &p.settings()),
        }
    }

    /// A member of the network's family (slices at any side that halves to the setting's).
    pub fn draw(&self, slices: &MriSlices, seed: u64) -> Result<Member, String> {
        if slices.side() != self.side() {
            return Err(format!(
                "the family is drawn at {0} x {0}, the network works at {1} x {1}",
                slices.side(),
                self.side()
            ));
        }
        family::draw_kind(self.family(), slices, seed)
    }
}

/// A family member (or any image of the setting's side) with its noise.
pub struct Case {
    pub x: Array1<f64>,
    pub member: Option<Member>,
    /// e, the noise of the clean measurements (kept under every perturbation).
    pub e: Array1<C64>,
}

impl Case {
    pub fn family(
        setting: &Setting,
        slices: &MriSlices,
        seed: u64,
        noise: f64,
    ) -> Result<Self, String> {
        let m = setting.draw(slices, seed)?;
        Self::image(setting, m.image.clone(), Some(m), seed, noise)
    }

    pub fn image(
        setting: &Setting,
        x: Array1<f64>,
        member: Option<Member>,
        seed: u64,
        noise: f64,
    ) -> Result<Self, String> {
        if x.len() != setting.a.dim_in() {
            return Err(format!(
                "the image has {} pixels; the network works at {} x {}",
                x.len(),
                setting.a.side(),
                setting.a.side()
            ));
        }
        let y = measure(&*setting.a, x.view(), noise, seed as u32);
        let e = &y - &setting.a.apply(complex(x.view()).view());
        Ok(Self { x, member, e })
    }

    /// Whether the image is held out of training and tuning.
    pub fn held_out(&self) -> bool {
        self.member
            .as_ref()
            .is_some_and(|m| m.seed > VALIDATION_MAX)
    }
}

/// What the command line and the page report of one instability test.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub method: String,
    pub psnr_clean: f64,
    pub r_over_x: f64,
    pub err_clean: f64,
    pub err_perturbed: f64,
    pub err_gaussian: f64,
    pub amplification: f64,
    pub amplification_gaussian: f64,
    pub lipschitz: f64,
    pub iterations: usize,
}

/// Starts the instability test of `which` on a case.
pub fn start(
    setting: &Setting,
    case: &Case,
    which: Which,
    p: &UnstableParams,
) -> Result<InstabilityTest, String> {
    let map = setting.map(which, p)?;
    InstabilityTest::new(
        map,
        setting.a.clone(),
        case.x.clone(),
        Some(case.e.clone()),
        p.instability_options(),
    )
}

/// The summary of a finished test: the worst case found, the last snapshot, and the
/// Gaussian control at its norm.
pub fn summarise(case: &Case, which: Which, report: &InstabilityReport) -> Result<Summary, String> {
    let last = report.snapshots.last().ok_or("the test kept no snapshot")?;
    let worst = report.worst.ok_or("the test found no worst case")?;
    let clean = report.clean_output.mapv(|z| z.norm());
    let psnr_clean = crate::recon::metrics::psnr(case.x.view(), clean.view());
    Ok(Summary {
        method: which.name().into(),
        psnr_clean,
        r_over_x: last.r_rel,
        err_clean: report.clean_error,
        err_perturbed: last.error,
        err_gaussian: last.noise_error,
        amplification: worst.amplification,
        amplification_gaussian: last.noise_amplification,
        lipschitz: last.lipschitz,
        iterations: last.iteration,
    })
}

/// A perturbation found for one method, fed to another (the page's "transfer" button).
#[derive(Clone, Debug, Serialize)]
pub struct Transfer {
    pub method: String,
    /// ||r|| / ||x||.
    pub r_rel: f64,
    /// ||Psi(A(x + r) + e) - Psi(A x + e)|| / ||r||.
    pub amplification: f64,
    /// ||Psi(A(x + r) + e) - x|| / ||x||.
    pub err_perturbed: f64,
    /// ||Psi(A x + e) - x|| / ||x||.
    pub err_clean: f64,
    /// Psi(A(x + r) + e).
    #[serde(skip)]
    pub output: Array1<C64>,
    /// Psi(A x + e).
    #[serde(skip)]
    pub clean_output: Array1<C64>,
}

/// Applies `which` to the case's image with and without the perturbation r (same noise e).
pub fn transfer(
    setting: &Setting,
    case: &Case,
    which: Which,
    p: &UnstableParams,
    r: &Array1<f64>,
) -> Result<Transfer, String> {
    if r.len() != case.x.len() {
        return Err(format!(
            "the perturbation has {} pixels, the image {}",
            r.len(),
            case.x.len()
        ));
    }
    let r_norm = r.dot(r).sqrt();
    if !r_norm.is_finite() || r_norm == 0.0 {
        return Err("the perturbation must be finite and not zero".into());
    }
    let map = setting.map(which, p)?;
    let a = &setting.a;
    let y0 = a.apply(complex(case.x.view()).view()) + &case.e;
    let y = &y0 + &a.apply(complex(r.view()).view());
    let clean_output = map.apply(y0.view());
    let output = map.apply(y.view());
    let xc = complex(case.x.view());
    let x_norm = case.x.dot(&case.x).sqrt();
    Ok(Transfer {
        method: which.name().into(),
        r_rel: r_norm / x_norm,
        amplification: crate::operators::norm2((&output - &clean_output).view()) / r_norm,
        err_perturbed: crate::operators::norm2((&output - &xc).view()) / x_norm,
        err_clean: crate::operators::norm2((&clean_output - &xc).view()) / x_norm,
        output,
        clean_output,
    })
}

/// One point of the more-samples curve: a method's mean PSNR over the images at one rate.
#[derive(Clone, Debug, Serialize)]
pub struct SamplesPoint {
    pub rate: f64,
    /// |Omega| / n^2 actually sampled.
    pub sampled: f64,
    pub method: String,
    pub psnr: f64,
}

/// More samples can hurt: nested masks of the network's pattern and seed at each rate (a
/// larger rate keeps every sample of a smaller one), each method's mean PSNR of |Psi(y)| on
/// the family members `seeds`. The network keeps its weights: a cascade's data-consistency
/// steps see the new mask; the dense network reads the samples at its own positions (zero
/// where a smaller mask lacks them) and cannot use the others.
pub fn samples_curve(
    setting: &Setting,
    slices: &MriSlices,
    p: &UnstableParams,
    rates: &[f64],
    seeds: &[u64],
    methods: &[Which],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SamplesPoint>, String> {
    let members: Vec<Member> = seeds
        .iter()
        .map(|&s| setting.draw(slices, s))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let total = rates.len() * methods.len();
    for (i, &rate) in rates.iter().enumerate() {
        let here = at_rate(setting, rate)?;
        let a = here.a.clone();
        for (j, &w) in methods.iter().enumerate() {
            let map = here.map(w, p)?;
            let mut total_psnr = 0.0;
            for m in &members {
                let y = measure(&*a, m.image.view(), p.noise, m.seed as u32);
                let est = map.apply(y.view()).mapv(|z| z.norm());
                total_psnr += crate::recon::metrics::psnr(m.image.view(), est.view());
            }
            out.push(SamplesPoint {
                rate,
                sampled: a.rate(),
                method: w.name().into(),
                psnr: total_psnr / members.len().max(1) as f64,
            });
            progress(i * methods.len() + j + 1, total);
        }
    }
    Ok(out)
}

/// One method variant on the trade-off plot.
#[derive(Clone, Debug, Serialize)]
pub struct TradeoffPoint {
    pub label: String,
    pub method: String,
    /// Mean PSNR of |Psi(A x + e)| over the clean held-out images.
    pub psnr: f64,
    /// The largest worst-case amplification the instability test found over the attacked
    /// images, at ||r|| <= budget ||x||.
    pub amplification: f64,
    /// The state that opens this method's instability test.
    pub state: UnstableParams,
}

/// The variants of the trade-off plot: FIRENET with fewer or more restarts, TV and wavelet
/// square-root LASSO with smaller or larger lambda, and the network(s) given.
pub fn tradeoff_variants(p: &UnstableParams) -> Vec<(String, UnstableParams)> {
    let mut v = Vec::new();
    for restarts in [1, 2, 4, 6, 8] {
        v.push((
            format!("FIRENET n = {restarts}"),
            UnstableParams {
                method: Which::Firenet,
                restarts,
                ..p.clone()
            },
        ));
    }
    for scale in [0.3, 1.0, 3.0, 10.0] {
        v.push((
            format!("TV λ = {:.3}", p.lambda_tv * scale),
            UnstableParams {
                method: Which::Tv,
                lambda_tv: p.lambda_tv * scale,
                ..p.clone()
            },
        ));
        v.push((
            format!("wavelet λ = {:.3}", p.lambda_w * scale),
            UnstableParams {
                method: Which::CsWavelet,
                lambda_w: p.lambda_w * scale,
                ..p.clone()
            },
        ));
    }
    v.push((
        "network".into(),
        UnstableParams {
            method: Which::Net,
            ..p.clone()
        },
    ));
    v
}

/// Computes one trade-off point: PSNR over `clean_seeds`, worst amplification over
/// `attack_seeds`.
pub fn tradeoff_point(
    setting: &Setting,
    slices: &MriSlices,
    label: &str,
    p: &UnstableParams,
    clean_seeds: &[u64],
    attack_seeds: &[u64],
) -> Result<TradeoffPoint, String> {
    let map = setting.map(p.method, p)?;
    let mut total = 0.0;
    for &s in clean_seeds {
        let c = Case::family(setting, slices, s, p.noise)?;
        let y = setting.a.apply(complex(c.x.view()).view()) + &c.e;
        let est = map.apply(y.view()).mapv(|z| z.norm());
        total += crate::recon::metrics::psnr(c.x.view(), est.view());
    }
    let mut amp = 0.0f64;
    for &s in attack_seeds {
        let c = Case::family(setting, slices, s, p.noise)?;
        let mut t = start(setting, &c, p.method, p)?;
        while !t.done() {
            t.step();
        }
        if let Some(w) = t.worst() {
            amp = amp.max(w.amplification);
        }
    }
    Ok(TradeoffPoint {
        label: label.into(),
        method: p.method.name().into(),
        psnr: total / clean_seeds.len().max(1) as f64,
        amplification: amp,
        state: p.clone(),
    })
}

/// How much of a detail z added to x a method keeps: the component of the change it makes,
/// kept = <Re(Psi(A(x + z) + e) - Psi(A x + e)), z> / ||z||^2 (1: all of it, 0: erased; the
/// adjoint keeps the measured part, ||A z||^2 / ||z||^2), with the same noise e for both.
#[derive(Clone, Debug, Serialize)]
pub struct Kept {
    pub method: String,
    pub kept: f64,
    /// ||A z|| / ||z||: how much of the detail the scanner sees.
    pub visible: f64,
}

pub fn detail_kept(
    setting: &Setting,
    maps: &[(Which, Arc<dyn ReconMap>)],
    x: &Array1<f64>,
    z: &Array1<f64>,
    e: &Array1<C64>,
) -> Result<Vec<Kept>, String> {
    let a = &setting.a;
    if x.len() != a.dim_in() || z.len() != x.len() {
        return Err("the image, the detail and the operator do not fit together".into());
    }
    let zz = z.dot(z);
    if zz == 0.0 {
        return Err("the detail is zero".into());
    }
    let y = a.apply(complex(x.view()).view()) + e;
    let az = a.apply(complex(z.view()).view());
    let y2 = &y + &az;
    let visible = (az.iter().map(|c| c.norm_sqr()).sum::<f64>() / zz).sqrt();
    Ok(maps
        .iter()
        .map(|(w, m)| Kept {
            method: w.name().into(),
            kept: kept_fraction(&m.apply(y.view()), &m.apply(y2.view()), z),
            visible,
        })
        .collect())
}

/// <Re(out2 - out), z> / ||z||^2: how much of the detail z the change of output keeps.
fn kept_fraction(out: &Array1<C64>, out2: &Array1<C64>, z: &Array1<f64>) -> f64 {
    let d = out2 - out;
    d.iter().zip(z).map(|(c, v)| c.re * v).sum::<f64>() / z.dot(z)
}

/// The kernel and structural views of one state: the detail w on the image (None: none
/// placed), what is added, z (w pushed towards the kernel of A until ||A z|| = delta ||A w||
/// in the kernel view, w itself in the structural one), and the measurements of x and of
/// x + z with the case's noise.
pub struct DetailCase {
    pub w: Option<Array1<f64>>,
    pub z: Array1<f64>,
    pub y: Array1<C64>,
    pub y2: Array1<C64>,
    pub sizes: Option<DetailSizes>,
}

/// The sizes of a placed detail.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DetailSizes {
    pub w_norm: f64,
    pub aw_norm: f64,
    /// ||A w|| / ||w||: how much of the detail the scanner sees.
    pub visible: f64,
    pub z_norm: f64,
    pub az_norm: f64,
}

pub fn detail_case(
    setting: &Setting,
    case: &Case,
    p: &UnstableParams,
    kernel: bool,
) -> Result<DetailCase, String> {
    let a = &setting.a;
    let y = a.apply(complex(case.x.view()).view()) + &case.e;
    let w = state_detail(p, &case.x, setting.side());
    let (z, sizes) = match &w {
        None => (Array1::zeros(case.x.len()), None),
        Some(w) => {
            let w_norm = w.dot(w).sqrt();
            if w_norm == 0.0 {
                return Err("the detail adds nothing there (the image is black under it): place it inside the head".into());
            }
            let aw_norm = crate::operators::norm2(a.apply(complex(w.view()).view()).view());
            let z = if kernel {
                crate::kernel_awareness::near_kernel_detail(w, a, p.delta * aw_norm)?
            } else {
                w.clone()
            };
            let sizes = DetailSizes {
                w_norm,
                aw_norm,
                visible: aw_norm / w_norm,
                z_norm: z.dot(&z).sqrt(),
                az_norm: crate::operators::norm2(a.apply(complex(z.view()).view()).view()),
            };
            (z, Some(sizes))
        }
    };
    let y2 = &y + &a.apply(complex(z.view()).view());
    Ok(DetailCase { w, z, y, y2, sizes })
}

/// One method on a detail case: Psi(y), Psi(y'), its relative error on x, and the kernel
/// view's numbers or the structural view's kept fraction, all from those two outputs.
pub struct DetailOutputs {
    pub which: Which,
    pub out: Array1<C64>,
    pub out2: Array1<C64>,
    pub rel_error: f64,
    pub awareness: Option<crate::kernel_awareness::Awareness>,
    /// ||Psi(y') - x'|| / ||x'|| (the kernel view).
    pub rel_error_detail: Option<f64>,
    pub kept: Option<f64>,
}

pub fn detail_outputs(
    setting: &Setting,
    case: &Case,
    d: &DetailCase,
    which: Which,
    p: &UnstableParams,
    kernel: bool,
) -> Result<DetailOutputs, String> {
    let map = setting.map(which, p)?;
    let out = map.apply(d.y.view());
    let out2 = map.apply(d.y2.view());
    let x = &case.x;
    let x_norm = x.dot(x).sqrt();
    let rel_error = crate::operators::norm2((&out - &complex(x.view())).view()) / x_norm;
    let (mut awareness, mut rel_error_detail, mut kept) = (None, None, None);
    if kernel {
        let delta = crate::operators::norm2((&d.y2 - &d.y).view());
        let a =
            crate::kernel_awareness::awareness(which.name().into(), x, &d.z, &out, &out2, delta);
        let x2 = x + &d.z;
        rel_error_detail = Some(a.error_detail / x2.dot(&x2).sqrt());
        awareness = Some(a);
    } else if d.w.is_some() {
        kept = Some(kept_fraction(&out, &out2, &d.z));
    }
    Ok(DetailOutputs {
        which,
        out,
        out2,
        rel_error,
        awareness,
        rel_error_detail,
        kept,
    })
}

// ---------------------------------------------------------------------------------------
// The page's own pieces (www/unstable.html): its views, its detail, the setting at another
// rate.

/// What the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    Test,
    Kernel,
    Structure,
    Samples,
    Tradeoff,
}

impl View {
    pub const NAMES: &'static [&'static str] =
        &["test", "kernel", "structure", "samples", "tradeoff"];
    pub const LABELS: &'static [&'static str] = &[
        "Instability test",
        "Kernel awareness",
        "Structural change",
        "More samples",
        "Trade-off",
    ];
}

/// The page's detail: a finely textured lesion or a plain soft disc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetailKind {
    Textured,
    Plain,
}

impl DetailKind {
    pub const NAMES: &'static [&'static str] = &["textured", "plain"];
    pub const LABELS: &'static [&'static str] = &["Finely textured", "Plain disc"];
}

/// The detail w the state places on x: the lesion added to x (intensities kept at or above
/// zero, as in the family) minus x, so that x + w is the image with the lesion. None when
/// the state has no detail.
pub fn state_detail(p: &UnstableParams, x: &Array1<f64>, n: usize) -> Option<Array1<f64>> {
    let [fc, fr] = p.detail?;
    let mut with = x.clone();
    family::add_lesion(
        &mut with,
        n,
        &family::Lesion {
            row: fr * n as f64,
            col: fc * n as f64,
            radius: p.detail_radius,
            contrast: p.detail_amp,
            texture: p.detail_texture == DetailKind::Textured,
        },
    );
    Some(with - x)
}

/// The setting with the network's pattern and mask seed at another rate (nested: a larger
/// rate keeps every sample of a smaller one), the network unchanged, as [`samples_curve`]
/// builds it.
pub fn at_rate(setting: &Setting, rate: f64) -> Result<Setting, String> {
    let mut opts = setting.header.training.clone();
    opts.rate = rate;
    Ok(Setting {
        net: setting.net.clone(),
        header: setting.header.clone(),
        a: Arc::new(opts.operator(setting.side())?),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::family::{add_lesion, Lesion};
    use crate::data::mri::shepp_logan;
    use crate::recon::train::TrainOptions;
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// An untrained network at 32 x 32 (it is the adjoint), with its setting.
    pub(crate) fn setting() -> Setting {
        let opts = TrainOptions {
            blocks: 1,
            depth: 2,
            channels: 2,
            side: 32,
            architecture: crate::recon::train::Architecture::Cascade,
            ..TrainOptions::default()
        };
        let a = opts.operator(opts.side).unwrap();
        let net = ReconNet::new(&opts, &a, &mut Rng::new(1)).unwrap();
        let header = net.header(&opts, Default::default());
        Setting::from_bytes(&net.to_bytes(&header)).unwrap()
    }

    /// The adjoint keeps exactly the measured part of a detail, ||A z||^2 / ||z||^2 (to
    /// 1e-12), and so does the untrained network, which is the adjoint.
    #[test]
    fn detail_kept_by_the_adjoint_is_its_measured_part() {
        let s = setting();
        let x = shepp_logan(32).unwrap();
        for texture in [false, true] {
            // The lesion on a flat grey background, minus the background (nothing clipped).
            let mut z = Array1::from_elem(32 * 32, 1.0);
            let l = Lesion {
                row: 14.3,
                col: 17.8,
                radius: 2.5,
                contrast: 0.5,
                texture,
            };
            add_lesion(&mut z, 32, &l);
            z -= 1.0;
            let p = UnstableParams::default();
            let maps = vec![
                (Which::Adjoint, s.map(Which::Adjoint, &p).unwrap()),
                (Which::Net, s.map(Which::Net, &p).unwrap()),
            ];
            let e = Array1::zeros(s.a.dim_out());
            let k = detail_kept(&s, &maps, &x, &z, &e).unwrap();
            let want = k[0].visible.powi(2);
            for row in &k {
                assert!((row.kept - want).abs() < 1e-12, "{row:?} vs {want}");
            }
            if texture {
                assert!(
                    k[0].visible < 0.2,
                    "a textured lesion is barely seen: {}",
                    k[0].visible
                );
            } else {
                assert!(k[0].visible > 0.5, "a plain one is seen: {}", k[0].visible);
            }
        }
    }

    /// Fed back to the method that found it, a snapshot's perturbation gives the snapshot's
    /// numbers (to rounding); fed to the adjoint, its amplification is ||A* A r|| / ||r||,
    /// at most 1.
    #[test]
    fn transfer_reproduces_the_snapshot_and_bounds_the_adjoint() {
        let s = setting();
        let x = shepp_logan(32).unwrap();
        let case = Case::image(&s, x, None, 3, 0.01).unwrap();
        let p = UnstableParams {
            method: Which::Tv,
            iters: 6,
            cp_iters: 20,
            ..UnstableParams::default()
        };
        let mut t = start(&s, &case, Which::Tv, &p).unwrap();
        while !t.done() {
            t.step();
        }
        let snap = t.snapshots().last().unwrap().clone();
        let tr = transfer(&s, &case, Which::Tv, &p, &snap.r).unwrap();
        assert!((tr.amplification - snap.amplification).abs() < 1e-12 * snap.amplification);
        assert!((tr.err_perturbed - snap.error).abs() < 1e-12);
        assert!((tr.r_rel - snap.r_rel).abs() < 1e-15);
        let adj = transfer(&s, &case, Which::Adjoint, &p, &snap.r).unwrap();
        let ar = s.a.adjoint(s.a.apply(complex(snap.r.view()).view()).view());
        let want = crate::operators::norm2(ar.view()) / snap.r.dot(&snap.r).sqrt();
        assert!(
            (adj.amplification - want).abs() < 1e-12,
            "{adj:?} vs {want}"
        );
        assert!(adj.amplification <= 1.0 + 1e-12);
        assert!(transfer(&s, &case, Which::Tv, &p, &Array1::zeros(4)).is_err());
        assert!(transfer(&s, &case, Which::Tv, &p, &Array1::zeros(32 * 32)).is_err());
    }

    #[test]
    fn params_defaults_validate_and_variants_cover_the_methods() {
        crate::params::validate(&UnstableParams::default()).unwrap();
        let v = tradeoff_variants(&UnstableParams::default());
        for w in [Which::Firenet, Which::Tv, Which::CsWavelet, Which::Net] {
            assert!(v.iter().any(|(_, p)| p.method == w), "{w:?}");
        }
        for (_, p) in &v {
            crate::params::validate(p).unwrap();
        }
    }
}
