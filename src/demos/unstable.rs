//! The unstable network against the stable methods: one validated state, the experiment it
//! sets up (the network's own sampling pattern, a member of its image family, noise) and the
//! instability test run on any method.
//!
//! Everything happens at the network's setting: its side (64), pattern, rate and mask seed,
//! read from its file's header, so the stable methods see exactly the measurements the
//! network sees.

use crate::data::family::{self, Member, VALIDATION_MAX};
use crate::data::mri::MriSlices;
use crate::instability::{InstabilityOptions, InstabilityReport, InstabilityTest};
use crate::operators::sampling::SubsampledFourier;
use crate::operators::wavelet::WaveletKind;
use crate::operators::{complex, LinearOperator, C64};
use crate::params::{Field, Kind, ParamError, Params};
use crate::recon::map::ReconMap;
use crate::recon::net::{CascadeNet, NetHeader, NetMap};
use crate::recon::train::measure;
use crate::recon::vjp::recon_map;
use crate::recon::{Method, Objective, Settings};
use crate::solvers::firenet::FirenetOptions;
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
}

impl Default for UnstableParams {
    fn default() -> Self {
        Self {
            method: Which::Net,
            image_seed: 9001,
            noise: 0.01,
            budget: 0.03,
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
            kind: Kind::Choice(Which::NAMES),
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
            label: "Noise",
            unit: "",
            help: "||e|| / ||A x||, complex Gaussian, the same for every method.",
            kind: float(0.0, 0.2, 0.001, false),
        },
        Field {
            key: "budget",
            label: "Perturbation budget",
            unit: "",
            help: "The largest ||r|| / ||x|| the test may use.",
            kind: float(0.001, 0.2, 0.001, false),
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
            kind: float(0.0, 10.0, 0.001, false),
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
            kind: Kind::Choice(WaveletKind::NAMES),
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
            kind: Kind::Choice(Objective::NAMES),
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
        let i = self.iters;
        let mut snaps = vec![(i / 4).max(1), (i / 2).max(1), i];
        snaps.dedup();
        InstabilityOptions {
            lambda: self.lambda,
            eta: self.eta,
            gamma: self.gamma,
            iterations: i,
            snapshots: snaps,
            budget: Some(self.budget),
            seed: self.attack_seed as u64,
            ..InstabilityOptions::default()
        }
    }
}

/// The network and the measurement operator it was trained with.
pub struct Setting {
    pub net: Arc<CascadeNet>,
    pub header: NetHeader,
    pub a: Arc<SubsampledFourier>,
}

impl Setting {
    /// From a network file's bytes; the side is the one it was trained at (64).
    pub fn from_bytes(bytes: &[u8], side: usize) -> Result<Self, String> {
        let (net, header) = CascadeNet::from_bytes(bytes)?;
        let a = Arc::new(header.training.operator(side)?);
        Ok(Self {
            net: Arc::new(net),
            header,
            a,
        })
    }

    /// A method as a reconstruction map on this setting's measurements.
    pub fn map(&self, which: Which, p: &UnstableParams) -> Result<Arc<dyn ReconMap>, String> {
        match which.method() {
            None => Ok(Arc::new(NetMap {
                net: self.net.clone(),
                a: self.a.clone(),
            })),
            Some(m) => recon_map(m, &self.a, &p.settings()),
        }
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
        if slices.side() != setting.a.side() {
            return Err(format!(
                "the family is drawn at {0} x {0}, the network works at {1} x {1}",
                slices.side(),
                setting.a.side()
            ));
        }
        let m = family::draw(slices, seed)?;
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
        let y = measure(&setting.a, &x, noise, seed as u32);
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
/// the family members `seeds`. The network keeps its weights; only its data-consistency
/// steps (and every other method) see the new mask.
pub fn samples_curve(
    setting: &Setting,
    slices: &MriSlices,
    p: &UnstableParams,
    rates: &[f64],
    seeds: &[u64],
    methods: &[Which],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SamplesPoint>, String> {
    let n = setting.a.side();
    let members: Vec<Member> = seeds
        .iter()
        .map(|&s| family::draw(slices, s))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let total = rates.len() * methods.len();
    for (i, &rate) in rates.iter().enumerate() {
        let mut opts = setting.header.training.clone();
        opts.rate = rate;
        let a = Arc::new(opts.operator(n)?);
        let here = Setting {
            net: setting.net.clone(),
            header: setting.header.clone(),
            a: a.clone(),
        };
        for (j, &w) in methods.iter().enumerate() {
            let map = here.map(w, p)?;
            let mut total_psnr = 0.0;
            for m in &members {
                let y = measure(&a, &m.image, p.noise, m.seed as u32);
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
        .map(|(w, m)| {
            let d = &m.apply(y2.view()) - &m.apply(y.view());
            let kept = d.iter().zip(z).map(|(c, v)| c.re * v).sum::<f64>() / zz;
            Kept {
                method: w.name().into(),
                kept,
                visible,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::family::{add_lesion, Lesion};
    use crate::data::mri::shepp_logan;
    use crate::recon::train::TrainOptions;
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// An untrained network at 32 x 32 (it is the adjoint), with its setting.
    fn setting() -> Setting {
        let opts = TrainOptions {
            blocks: 1,
            depth: 2,
            channels: 2,
            ..TrainOptions::default()
        };
        let net = CascadeNet::new(opts.shape(), &mut Rng::new(1)).unwrap();
        let header = NetHeader {
            shape: net.shape,
            n_params: net.n_params(),
            training: opts,
            info: Default::default(),
        };
        Setting::from_bytes(&net.to_bytes(&header), 32).unwrap()
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
