//! Reconstruction maps Psi: y -> x^ for the MRI model y = A x + e, A = P_Omega F.
//!
//! - **adjoint** (zero-filled): x^ = A* y, the missing Fourier coefficients set to zero.
//! - **cs-wavelet**: the weighted-l1 square-root LASSO in an orthonormal wavelet basis W,
//!   min_z lambda ||z||_{1,w} + ||A W* z - y||_2, x^ = W* z, solved by Chambolle-Pock.
//! - **tv**: min_x lambda TV(x) + ||A x - y||_2, solved by Chambolle-Pock.
//! - **firenet**: FIRENET (restarted primal-dual, unrolled) on either objective.
//!
//! The methods are the entries of [`METHODS`] ([`MethodSpec`]: name, menu words, how each
//! starts and its map with VJP); [`Method`] indexes that list. Every iterative method is a
//! [`Recon`] that can be stepped, so the page shows the iterate
//! as it converges. Images are complex (A* y is); pictures and metrics use the modulus |x^|,
//! as is usual for MRI magnitude images.
//!
//! The plain Chambolle-Pock runs solve the problem with the data scaled to unit norm
//! (y / ||y||, then the result times ||y||): the problem is positively homogeneous, so the
//! minimiser just scales, and this balances the primal variable against the dual one (whose
//! norm is at most 1). Their output is the last iterate, which converges much faster than
//! the ergodic average here (on Colin27 at 128 x 128, 25 %: 32.2 dB after 200 TV steps
//! against 32.0 for the average). FIRENET follows the authors' scheme exactly (its own
//! rescaling, ergodic averages).
//!
//! The submodules:
//!
//! - [`map`]: the [`map::ReconMap`] trait (Psi and its vector-Jacobian product, the form the
//!   instability test attacks) and [`map::check_vjp`], the one central-difference check of
//!   every map's VJP.
//! - [`vjp`]: the adjoint, Chambolle-Pock and FIRENET as [`map::ReconMap`]s: the data
//!   scalings, the tapes and their recomputation around the steps of [`crate::solvers`]
//!   (no iteration of its own).
//! - [`net`]: the trained cascade network (convolutions and data consistency), [`dense`]:
//!   the dense AUTOMAP-like network, each a [`map::ReconMap`]; [`recipe`]: what a network is
//!   and the setting it is trained at (a network file's header); [`train`]: their training.
//! - [`metrics`]: PSNR, SSIM and relative errors of magnitude images.

pub mod dense;
pub mod map;
pub mod metrics;
pub mod net;
pub mod recipe;
pub mod train;
pub mod vjp;

use crate::operators::finite_diff::Gradient2d;
use crate::operators::sampling::SubsampledFourier;
use crate::operators::wavelet::{Wavelet2d, WaveletKind};
use crate::operators::{norm2, Adjoint, Compose, LinearOperator, C64};
use crate::params::{Field, Kind};
use crate::solvers::firenet::{Firenet, FirenetOptions};
use crate::solvers::primal_dual::{PrimalDual, Regulariser, SqrtLasso, Steps};
use crate::solvers::Iterative;
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a method starts its reconstruction of measurements y of A.
pub type StartFn =
    fn(Method, &Arc<SubsampledFourier>, &Array1<C64>, &Settings) -> Result<Recon, String>;

/// How a method becomes a map with its vector-Jacobian product.
pub type MapFn = fn(&Arc<SubsampledFourier>, &Settings) -> Result<Arc<dyn map::ReconMap>, String>;

/// One reconstruction method as the pages and the command line offer it: an entry of
/// [`METHODS`]. A new method is a new file that defines its entry and one line in that list.
#[derive(Clone, Copy)]
pub struct MethodSpec {
    /// Its name in links, files and on the command line.
    pub name: &'static str,
    /// What a menu shows for it.
    pub label: &'static str,
    /// Its short title over a poster's column.
    pub title: &'static str,
    /// The reconstruction of measurements y of A, to be stepped.
    pub start: StartFn,
    /// The same reconstruction as a map with its vector-Jacobian product (what the
    /// instability test differentiates).
    pub map: MapFn,
}

/// Every reconstruction method, in the order of the MRI page's figure.
pub const METHODS: &[MethodSpec] = &[
    MethodSpec {
        name: "adjoint",
        label: "Adjoint A*y",
        title: "Adjoint A*y",
        start: |m, a, y, _| Ok(Recon::direct(m, a.adjoint(y.view()))),
        map: |a, _| Ok(Arc::new(vjp::AdjointMap::new(a.clone()))),
    },
    MethodSpec {
        name: "cs-wavelet",
        label: "Wavelet ℓ1 (square-root LASSO)",
        title: "Wavelet ℓ1",
        start: |m, a, y, s| Recon::chambolle_pock(m, Objective::Wavelet, a, y, s),
        map: |a, s| {
            Ok(Arc::new(vjp::ChambollePockMap::new(
                a,
                Objective::Wavelet,
                s,
            )?))
        },
    },
    MethodSpec {
        name: "tv",
        label: "TV (square-root LASSO)",
        title: "TV",
        start: |m, a, y, s| Recon::chambolle_pock(m, Objective::Tv, a, y, s),
        map: |a, s| Ok(Arc::new(vjp::ChambollePockMap::new(a, Objective::Tv, s)?)),
    },
    MethodSpec {
        name: "firenet",
        label: "FIRENET",
        title: "FIRENET",
        start: Recon::firenet,
        map: |a, s| Ok(Arc::new(vjp::FirenetMap::new(a, s.firenet_on, s)?)),
    },
];

const fn method_texts<const N: usize>(which: u8) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = match which {
            0 => METHODS[i].name,
            _ => METHODS[i].label,
        };
        i += 1;
    }
    out
}

const fn method_list<const N: usize>() -> [Method; N] {
    let mut out = [Method(0); N];
    let mut i = 0;
    while i < N {
        out[i] = Method(i);
        i += 1;
    }
    out
}

const METHOD_NAMES: [&str; METHODS.len()] = method_texts(0);
const METHOD_LABELS: [&str; METHODS.len()] = method_texts(1);

/// One of [`METHODS`], by its place in the list; links and files carry its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Method(usize);

impl Method {
    pub const ADJOINT: Method = Method(0);
    pub const CS_WAVELET: Method = Method(1);
    pub const TV: Method = Method(2);
    pub const FIRENET: Method = Method(3);
    /// Every method, in the list's order.
    pub const ALL: [Method; METHODS.len()] = method_list();
    pub const NAMES: &'static [&'static str] = &METHOD_NAMES;
    /// What a menu shows for each name.
    pub const LABELS: &'static [&'static str] = &METHOD_LABELS;

    /// Its place in [`METHODS`] (and in the MRI page's figure).
    pub fn index(self) -> usize {
        self.0
    }

    pub fn spec(self) -> &'static MethodSpec {
        &METHODS[self.0]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn from_name(name: &str) -> Option<Method> {
        METHODS.iter().position(|m| m.name == name).map(Method)
    }
}

impl Serialize for Method {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Method::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown method '{name}' (one of {})",
                METHOD_NAMES.join(", ")
            ))
        })
    }
}

/// The objective FIRENET minimises: the wavelet square-root LASSO (as in the paper) or TV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    Wavelet,
    Tv,
}

impl Objective {
    pub const NAMES: &'static [&'static str] = &["wavelet", "tv"];
    pub const LABELS: &'static [&'static str] = &["Wavelet ℓ1", "TV"];
}

/// The reconstruction settings, one definition for every page, link and command that
/// reconstructs (keys, ranges, labels): the wavelet and its levels, the two lambdas, the
/// Chambolle-Pock steps, FIRENET's restarts n, steps p and objective. `cp_key` names the
/// Chambolle-Pock steps: "iters" on the MRI page and "cp_iters" on the unstable page, where
/// "iters" was already the instability test's (both spellings are in links that must keep
/// working). Levels are checked against the image side where it is known.
pub const fn settings_fields(cp_key: &'static str) -> [Field; 8] {
    const fn lambda(key: &'static str, label: &'static str, help: &'static str) -> Field {
        Field {
            key,
            label,
            unit: "",
            help,
            kind: Kind::Float {
                min: 1e-6,
                max: 1.0,
                step: 0.0,
                log: true,
            },
        }
    }
    [
        Field {
            key: "wavelet",
            label: "Wavelet",
            unit: "",
            help: "The orthonormal wavelet of the l1 term: Haar or Daubechies-4.",
            kind: Kind::Choice(WaveletKind::NAMES, WaveletKind::LABELS),
        },
        Field {
            key: "levels",
            label: "Wavelet levels",
            unit: "",
            help: "Scales of the wavelet transform (at most what the image side allows).",
            kind: Kind::Int { min: 1, max: 8 },
        },
        lambda(
            "lambda_w",
            "λ (wavelet)",
            "Weight of the wavelet l1 term in the square-root LASSO.",
        ),
        lambda(
            "lambda_tv",
            "λ (TV)",
            "Weight of the total variation in the square-root LASSO.",
        ),
        Field {
            key: cp_key,
            label: "Chambolle-Pock steps",
            unit: "",
            help: "Steps of the wavelet and TV reconstructions (each a layer the instability test differentiates through).",
            kind: Kind::Int { min: 1, max: 5000 },
        },
        Field {
            key: "restarts",
            label: "FIRENET restarts n",
            unit: "",
            help: "FIRENET's restarts: its error falls like e^-n down to the noise floor.",
            kind: Kind::Int { min: 1, max: 50 },
        },
        Field {
            key: "inner",
            label: "FIRENET steps p",
            unit: "",
            help: "Primal-dual steps per restart: the network has n p layers.",
            kind: Kind::Int { min: 1, max: 200 },
        },
        Field {
            key: "firenet_on",
            label: "FIRENET objective",
            unit: "",
            help: "FIRENET on the wavelet square-root LASSO (as in the paper) or on TV.",
            kind: Kind::Choice(Objective::NAMES, Objective::LABELS),
        },
    ]
}

/// Everything the methods need besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub wavelet: WaveletKind,
    pub levels: usize,
    /// lambda of the wavelet l1 term.
    pub lambda_wavelet: f64,
    /// lambda of the TV term.
    pub lambda_tv: f64,
    /// Chambolle-Pock steps for cs-wavelet and tv.
    pub iterations: usize,
    pub firenet: FirenetOptions,
    pub firenet_on: Objective,
}

/// The square-root LASSO for `objective` on the measurements (A, y), and the wavelet
/// transform when its variable is wavelet coefficients (so x^ = W* z).
pub fn problem(
    objective: Objective,
    a: &Arc<SubsampledFourier>,
    y: &Array1<C64>,
    s: &Settings,
) -> Result<(SqrtLasso, Option<Arc<Wavelet2d>>), String> {
    let n = a.side();
    Ok(match objective {
        Objective::Wavelet => {
            let w = Arc::new(Wavelet2d::new(n, s.wavelet, s.levels)?);
            let b = Compose::new(a.clone(), Arc::new(Adjoint(w.clone())));
            let weights = level_weights(&w);
            (
                SqrtLasso {
                    b: Arc::new(b),
                    y: y.clone(),
                    reg: Regulariser::WeightedL1 {
                        lambda: s.lambda_wavelet,
                        weights: Some(Arc::new(weights)),
                    },
                },
                Some(w),
            )
        }
        Objective::Tv => (
            SqrtLasso {
                b: a.clone(),
                y: y.clone(),
                reg: Regulariser::Tv {
                    lambda: s.lambda_tv,
                    grad: Arc::new(Gradient2d::new(n)),
                },
            },
            None,
        ),
    })
}

/// The weights w_i of the wavelet l1 norm, one per coefficient: 1 for every detail
/// coefficient and 0 for the coarsest approximation (the low-resolution image, which is
/// fully sampled in the lab's patterns and is not sparse), so lambda only acts on detail.
pub fn level_weights(w: &Wavelet2d) -> Vec<f64> {
    (0..w.dim_in())
        .map(|i| if w.level_of(i) == 0 { 0.0 } else { 1.0 })
        .collect()
}

/// (alpha, ||y||) with alpha = 1 / ||y|| (1 at y = 0): the plain Chambolle-Pock runs solve
/// the problem on the data alpha y and divide the result by alpha (see the module notes).
pub(crate) fn data_scale(y: ArrayView1<C64>) -> (f64, f64) {
    let ny = norm2(y);
    let alpha = if ny > 0.0 { 1.0 / ny } else { 1.0 };
    (alpha, ny)
}

enum Engine {
    /// A* y, computed at once.
    Direct(Array1<C64>),
    /// Chambolle-Pock on the data scaled by alpha; the last iterate / alpha.
    ChambollePock(PrimalDual, f64),
    Firenet(Firenet),
    /// Any other iteration on the image.
    Other(Box<dyn Iterative + Send + Sync>),
}

/// A reconstruction in progress: step it, read its current image.
pub struct Recon {
    pub method: Method,
    engine: Engine,
    /// W, when the variable is wavelet coefficients.
    wavelet: Option<Arc<Wavelet2d>>,
    problem: Option<Arc<SqrtLasso>>,
}

impl Recon {
    /// The method's reconstruction of measurements y of A ([`MethodSpec::start`]).
    pub fn new(
        method: Method,
        a: &Arc<SubsampledFourier>,
        y: &Array1<C64>,
        s: &Settings,
    ) -> Result<Self, String> {
        (method.spec().start)(method, a, y, s)
    }

    /// A reconstruction computed at once (x^ given).
    pub fn direct(method: Method, x: Array1<C64>) -> Self {
        Self {
            method,
            engine: Engine::Direct(x),
            wavelet: None,
            problem: None,
        }
    }

    /// A reconstruction by any iteration on the image itself (a new method's own).
    pub fn iterative(method: Method, it: Box<dyn Iterative + Send + Sync>) -> Self {
        Self {
            method,
            engine: Engine::Other(it),
            wavelet: None,
            problem: None,
        }
    }

    /// Chambolle-Pock on the square-root LASSO for `objective`, with the data scaled to unit
    /// norm.
    pub fn chambolle_pock(
        method: Method,
        objective: Objective,
        a: &Arc<SubsampledFourier>,
        y: &Array1<C64>,
        s: &Settings,
    ) -> Result<Self, String> {
        let (pb, wavelet) = problem(objective, a, y, s)?;
        let pb = Arc::new(pb);
        let dim = pb.b.dim_in();
        let (alpha, _) = data_scale(y.view());
        let pd = PrimalDual::new(
            pb.clone(),
            alpha,
            Array1::zeros(dim),
            s.iterations,
            Steps::default(),
        );
        Ok(Self {
            method,
            engine: Engine::ChambollePock(pd, alpha),
            wavelet,
            problem: Some(pb),
        })
    }

    /// FIRENET on `s.firenet_on`.
    pub fn firenet(
        method: Method,
        a: &Arc<SubsampledFourier>,
        y: &Array1<C64>,
        s: &Settings,
    ) -> Result<Self, String> {
        let (pb, wavelet) = problem(s.firenet_on, a, y, s)?;
        let pb = Arc::new(pb);
        Ok(Self {
            method,
            engine: Engine::Firenet(Firenet::new(pb.clone(), s.firenet)),
            wavelet,
            problem: Some(pb),
        })
    }

    /// The square-root LASSO this method minimises (None for the adjoint).
    pub fn problem(&self) -> Option<&SqrtLasso> {
        self.problem.as_deref()
    }

    /// The current estimate in the problem's own variable (wavelet coefficients or image).
    pub fn variable(&self) -> Array1<C64> {
        match &self.engine {
            Engine::Direct(x) => x.clone(),
            Engine::ChambollePock(pd, alpha) => pd.last() * C64::new(1.0 / alpha, 0.0),
            Engine::Firenet(f) => f.estimate(),
            Engine::Other(it) => it.estimate(),
        }
    }

    /// The current image x^ (complex).
    pub fn image(&self) -> Array1<C64> {
        let v = self.variable();
        match &self.wavelet {
            Some(w) => w.adjoint(v.view()),
            None => v,
        }
    }

    /// The objective value of the current estimate (None for the adjoint).
    pub fn objective(&self) -> Option<f64> {
        self.problem
            .as_ref()
            .map(|p| p.objective(self.variable().view()))
    }

    pub fn step(&mut self) {
        match &mut self.engine {
            Engine::Direct(_) => {}
            Engine::ChambollePock(pd, _) => pd.step(),
            Engine::Firenet(f) => f.step(),
            Engine::Other(it) => it.step(),
        }
    }

    pub fn done(&self) -> bool {
        match &self.engine {
            Engine::Direct(_) => true,
            Engine::ChambollePock(pd, _) => pd.done(),
            Engine::Firenet(f) => f.done(),
            Engine::Other(it) => it.done(),
        }
    }

    /// Iterations (primal-dual steps, FIRENET's layers) so far.
    pub fn iterations(&self) -> usize {
        match &self.engine {
            Engine::Direct(_) => 0,
            Engine::ChambollePock(pd, _) => pd.iterations(),
            Engine::Firenet(f) => f.iterations(),
            Engine::Other(it) => it.iterations(),
        }
    }

    pub fn planned(&self) -> usize {
        match &self.engine {
            Engine::Direct(_) => 0,
            Engine::ChambollePock(pd, _) => pd.planned(),
            Engine::Firenet(f) => f.planned(),
            Engine::Other(it) => it.planned(),
        }
    }

    /// FIRENET's restarts finished so far.
    pub fn restarts_done(&self) -> Option<usize> {
        match &self.engine {
            Engine::Firenet(f) => Some(f.restarts_done()),
            _ => None,
        }
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while !self.done() {
            self.step();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Every method of the list travels by its name, and the named handles are the list's.
    #[test]
    fn every_method_travels_by_its_name() {
        assert_eq!(Method::ALL.len(), METHODS.len());
        for (i, m) in Method::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(Method::NAMES[i], m.name());
            assert_eq!(Method::from_name(m.name()), Some(*m));
            let text = serde_json::to_string(m).unwrap();
            assert_eq!(serde_json::from_str::<Method>(&text).unwrap(), *m);
        }
        let named = [
            (Method::ADJOINT, "adjoint"),
            (Method::CS_WAVELET, "cs-wavelet"),
            (Method::TV, "tv"),
            (Method::FIRENET, "firenet"),
        ];
        for (m, name) in named {
            assert_eq!(m.name(), name);
        }
        let err = serde_json::from_str::<Method>("\"ista\"").unwrap_err();
        assert!(err.to_string().contains("unknown method 'ista'"), "{err}");
    }
}
