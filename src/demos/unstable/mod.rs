//! The unstable network against the stable methods (`www/unstable.html`, `barriers-lab
//! instability`, `samples`, `tradeoff`): one validated state, the experiment it sets up (the
//! network's own sampling pattern, a member of its image family, noise), and one file per
//! experiment of the page, each a job done a little at a time:
//!
//! - [`test`]: the instability test (Antun et al., PNAS 2020) of any method, and the found
//!   perturbation fed to another method;
//! - [`detail`]: kernel awareness (a detail z near the kernel of A) and the structural change
//!   (a small lesion w), every method's reconstructions of x and x + z;
//! - [`samples`]: more samples can hurt (each method's PSNR against the sampling rate, with
//!   nested masks), and the reconstructions at one rate;
//! - [`tradeoff`]: accuracy against worst-case amplification, one point per method variant;
//! - [`page`]: what the page holds (the network, the slices, the jobs with the state they were
//!   made for) and its pictures.
//!
//! Everything happens at the network's setting: its side, image family, pattern, rate and
//! mask seed, read from its file's header, so the stable methods see exactly the
//! measurements the network sees.

use crate::data::family::{self, FamilyKind, Member, VALIDATION_MAX};
use crate::data::mri::MriSlices;
use crate::instability::InstabilityOptions;
use crate::operators::sampling::{measure, SubsampledFourier, NOISE_FIELD};
use crate::operators::wavelet::WaveletKind;
use crate::operators::{complex, LinearOperator, C64};
use crate::params::{join, Field, Kind, ParamError, Params};
use crate::recon::map::ReconMap;
use crate::recon::net::{NetHeader, ReconNet};
use crate::recon::train::{Architecture, TrainOptions};
use crate::recon::vjp::recon_map;
use crate::recon::{settings_fields, Method, Objective, Settings};
use crate::solvers::firenet::FirenetOptions;
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub mod detail;
pub mod page;
pub mod samples;
pub mod test;
pub mod tradeoff;

pub use detail::{
    detail_case, detail_kept, detail_outputs, state_detail, DetailCase, DetailJob, DetailOutputs,
    DetailSizes, Kept,
};
pub use page::UnstablePage;
pub use samples::{at_rate, samples_curve, RateImages, SamplesJob, SamplesPoint};
pub use test::{start, summarise, transfer, Summary, TestJob, Transfer};
pub use tradeoff::{tradeoff_variants, TradeoffJob, TradeoffPoint};

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
            Which::Firenet => Some(Method::FIRENET),
            Which::Tv => Some(Method::TV),
            Which::CsWavelet => Some(Method::CS_WAVELET),
            Which::Adjoint => Some(Method::ADJOINT),
        }
    }
}

/// The shipped networks the state can name. Three are the same recipe (`barriers-lab
/// train-recon`, seed 1, the dense network) trained with measurement noise ||e|| / ||A x|| of
/// 1 % (the shipped network, the lab's default), 0 % or 3 % in every batch: the "jitter" of
/// Genzel, Macdonald and März ("Solving inverse problems with deep neural networks:
/// robustness included?", IEEE TPAMI 2022), who report that noise in training buys
/// robustness. The fourth is the lab's cascade of small CNNs with data consistency
/// (`recon::net`), trained at the same mask: a network that is handed every extra sample,
/// for the more-samples view (Antun et al., PNAS 2020).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrainedNet {
    #[serde(rename = "noise-1")]
    Noise1,
    #[serde(rename = "noise-0")]
    Noise0,
    #[serde(rename = "noise-3")]
    Noise3,
    #[serde(rename = "cascade")]
    Cascade,
}

impl TrainedNet {
    pub const ALL: [TrainedNet; 4] = [
        TrainedNet::Noise1,
        TrainedNet::Noise0,
        TrainedNet::Noise3,
        TrainedNet::Cascade,
    ];
    pub const NAMES: &'static [&'static str] = &["noise-1", "noise-0", "noise-3", "cascade"];
    pub const LABELS: &'static [&'static str] = &[
        "dense, trained at 1 % noise (shipped)",
        "dense, trained at 0 % noise",
        "dense, trained at 3 % noise",
        "cascade with data consistency",
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Its file, relative to `www/models/`.
    pub fn file(self) -> &'static str {
        match self {
            TrainedNet::Noise1 => "recon-net.brn",
            TrainedNet::Noise0 => "recon-net-noise-0.brn",
            TrainedNet::Noise3 => "recon-net-noise-3.brn",
            TrainedNet::Cascade => "recon-cascade.brn",
        }
    }

    /// The recipe its file was trained with (`barriers-lab train-recon` with these options;
    /// the README gives the commands).
    pub fn recipe(self) -> TrainOptions {
        let d = TrainOptions::default();
        match self {
            TrainedNet::Noise1 => d,
            TrainedNet::Noise0 => TrainOptions { noise: 0.0, ..d },
            TrainedNet::Noise3 => TrainOptions { noise: 0.03, ..d },
            TrainedNet::Cascade => TrainOptions {
                architecture: Architecture::Cascade,
                steps: 2000,
                eval_every: 500,
                ..d
            },
        }
    }

    /// The training noise ||e|| / ||A x|| of its recipe.
    pub fn noise(self) -> f64 {
        self.recipe().noise
    }
}

/// The demo's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnstableParams {
    pub method: Which,
    /// The network (when `method` is the network, and for the views that show it): the
    /// shipped one or the same recipe trained at another noise level.
    pub net: TrainedNet,
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
            net: TrainedNet::Noise1,
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

/// The unstable page's own keys: the method attacked and the image.
const UNSTABLE_CASE_FIELDS: &[Field] = &[
    Field {
        key: "method",
        label: "Method",
        unit: "",
        help: "The reconstruction the instability test attacks.",
        kind: Kind::Choice(Which::NAMES, Which::LABELS),
    },
    Field {
        key: "net",
        label: "Network",
        unit: "",
        help: "The trained network: the shipped dense one (1 % noise in training), the same recipe trained at 0 % or 3 % noise, or a cascade of CNNs with data consistency (it sees every extra sample).",
        kind: Kind::Choice(TrainedNet::NAMES, TrainedNet::LABELS),
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
];

/// The instability test's keys.
const UNSTABLE_TEST_FIELDS: &[Field] = &[
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
];

/// The page's views (what it shows; the command line ignores them).
const UNSTABLE_VIEW_FIELDS: &[Field] = &[
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

const UNSTABLE_SCHEMA_LEN: usize =
    UNSTABLE_CASE_FIELDS.len() + 1 + UNSTABLE_TEST_FIELDS.len() + 8 + UNSTABLE_VIEW_FIELDS.len();
const UNSTABLE_SCHEMA: [Field; UNSTABLE_SCHEMA_LEN] = join(&[
    UNSTABLE_CASE_FIELDS,
    &[NOISE_FIELD],
    UNSTABLE_TEST_FIELDS,
    &settings_fields("cp_iters"),
    UNSTABLE_VIEW_FIELDS,
]);

impl Params for UnstableParams {
    const SCHEMA: &'static [Field] = &UNSTABLE_SCHEMA;

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

    /// Whether the network is the shipped recipe, up to its training noise (the shipped
    /// networks of [`TrainedNet`] all are; a network file given by the student may not be).
    pub fn is_shipped_recipe(&self) -> bool {
        let t = &self.header.training;
        *t == TrainOptions {
            noise: t.noise,
            ..TrainOptions::default()
        }
    }

    /// The file of shipped network `n` (its bytes), checked: trained with `n`'s recipe, and
    /// working on this setting's measurements.
    pub fn companion(&self, n: TrainedNet, bytes: &[u8]) -> Result<Setting, String> {
        let s = Setting::from_bytes(bytes).map_err(|e| format!("{}: {e}", n.file()))?;
        if s.header.training != n.recipe() {
            return Err(format!(
                "{} was not trained with the recipe of '{}'",
                n.file(),
                n.name()
            ));
        }
        self.check_companion(&s, n.file())?;
        Ok(s)
    }

    /// Checks that `other` (a network of [`TrainedNet`]) works on this setting's
    /// measurements: the same side, image family and mask.
    pub fn check_companion(&self, other: &Setting, name: &str) -> Result<(), String> {
        if other.side() != self.side()
            || other.family() != self.family()
            || other.a.indices() != self.a.indices()
        {
            return Err(format!(
                "the network {name} was trained at another side, family or mask than the network loaded"
            ));
        }
        Ok(())
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

/// The networks a computation may use: the loaded one (`main`: the shipped network, or a file
/// given, standing for [`TrainedNet::Noise1`]) and those of the other training noises loaded
/// so far.
#[derive(Clone, Copy)]
pub struct Nets<'a> {
    pub main: &'a Setting,
    pub others: &'a [(TrainedNet, Setting)],
}

impl<'a> Nets<'a> {
    /// Only the loaded network.
    pub fn one(main: &'a Setting) -> Self {
        Self { main, others: &[] }
    }

    /// The setting whose network is `n`.
    pub fn get(self, n: TrainedNet) -> Result<&'a Setting, String> {
        if n == TrainedNet::Noise1 {
            return Ok(self.main);
        }
        self.others
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, s)| s)
            .ok_or_else(|| format!("the network {} has not been loaded", n.file()))
    }
}

/// A family member (or any image of the setting's side) with its noise.
#[derive(Clone)]
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

// ---------------------------------------------------------------------------------------
// The page's own pieces (www/unstable.html): its views, its detail.

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

/// Held-out family seeds 9001, 9002, ... (k of them).
pub fn held_out(k: usize) -> Vec<u64> {
    (0..k as u64).map(|i| VALIDATION_MAX + 1 + i).collect()
}

/// What a view's figure says when asked for before its computation has finished: "the
/// kernel awareness figure is still being computed".
pub fn unfinished(view: View) -> String {
    format!(
        "the {} figure is still being computed",
        View::LABELS[view as usize].to_lowercase()
    )
}

/// The brightest pixel of an image (0 for a black one): the white of its grey pictures.
pub fn peak(x: &Array1<f64>) -> f64 {
    x.fold(0.0f64, |m, v| m.max(*v))
}

/// The largest |value| (0 for none).
pub fn largest(x: &Array1<f64>) -> f64 {
    x.fold(0.0f64, |m, v| m.max(v.abs()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::recon::train::TrainOptions;
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The file of an untrained network at 32 x 32 (it is the adjoint).
    pub(crate) fn network_bytes() -> Vec<u8> {
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
        net.to_bytes(&header)
    }

    /// The untrained network's setting.
    pub(crate) fn setting() -> Setting {
        Setting::from_bytes(&network_bytes()).unwrap()
    }

    /// A made-up stack of 32 x 32 slices (a bright disc on black, a little different in
    /// each slice) for the family's members at the untrained network's side, as bytes.
    pub(crate) fn slice_bytes() -> Vec<u8> {
        let n = 32;
        let count = crate::data::mri::SLICE_COUNT;
        let mut bytes = Vec::with_capacity(count * n * n);
        for k in 0..count {
            for r in 0..n {
                for c in 0..n {
                    let (dr, dc) = (r as f64 - 15.5, c as f64 - 15.5);
                    let inside = dr * dr + dc * dc < 13.0f64.powi(2);
                    let v = if inside {
                        120 + ((r * 7 + c * 3 + k) % 100)
                    } else {
                        0
                    };
                    bytes.push(v as u8);
                }
            }
        }
        bytes
    }

    /// The made-up stack.
    pub(crate) fn slices() -> MriSlices {
        crate::data::mri::decode_slices(32, &slice_bytes()).unwrap()
    }

    #[test]
    fn an_unfinished_view_says_so() {
        assert_eq!(
            unfinished(View::Kernel),
            "the kernel awareness figure is still being computed"
        );
        assert_eq!(
            unfinished(View::Tradeoff),
            "the trade-off figure is still being computed"
        );
    }
}
