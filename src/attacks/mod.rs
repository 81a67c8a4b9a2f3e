//! Adversarial attacks on a [`Classifier`](crate::classifier::Classifier)'s logits, in the
//! lecture's order: how small a perturbation changes a network's answer.
//!
//! - [`random`]: attack 1, random noise, scaled until the label changes.
//! - [`fastgrad`]: attack 2, the fast gradient direction (the gradient of
//!   ||f(x + s) - f(x)||^2 at a tiny random s_0), scaled until the label changes.
//! - [`line_search`]: the smallest step along a direction that changes the label, shared by
//!   the first two.
//! - [`deepfool`]: attack 3, the smallest perturbation that crosses the linearised decision
//!   boundary, iterated (Moosavi-Dezfooli, Fawzi, Frossard, CVPR 2016), in l2 and l-inf.
//! - [`fgsm`]: one signed-gradient step of the cross-entropy (Goodfellow, Shlens, Szegedy,
//!   arXiv:1412.6572), and the smallest step along it that changes the label.
//! - [`universal`]: one perturbation that changes the label of most images at once
//!   (Moosavi-Dezfooli, Fawzi, Fawzi, Frossard, CVPR 2017), built from DeepFool steps.
//!
//! The attacks a page or command offers on an image are the entries of [`ATTACKS`]: each file
//! defines its entry (an [`Attack`]: its name in links, its words in menus, and how it runs on
//! one image), so a new attack is a new file and one line in that list.
//!
//! Every attack reports the perturbation r it found and what it did to the label; the
//! magnitudes the lecture compares are in [`PerturbationSize`].
//!
//! ### Valid images
//!
//! On images every attack can keep its adversarial input in the pixel range ([`Bounds`]):
//! the input it classifies and returns is P(x + r), P the projection onto the box [0, 1]^n
//! (entrywise clipping), as the bounded attacks of Foolbox, ART and torchattacks do, and the
//! perturbation it reports is r = P(x + r') - x, so that x + r is exactly the input that was
//! classified. How each attack projects is in its file.

pub mod deepfool;
pub mod fastgrad;
pub mod fgsm;
pub mod line_search;
pub mod random;
pub mod universal;

use crate::nn::Network;
use crate::rng::{Rng, SplitMix64};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The norm an attack minimises (DeepFool) or bounds (FGSM: always l-inf).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    L2,
    Linf,
}

impl Norm {
    pub fn name(self) -> &'static str {
        match self {
            Norm::L2 => "l2",
            Norm::Linf => "linf",
        }
    }
}

/// The box an attack keeps its adversarial input in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bounds {
    /// Every entry in [0, 1]: the pixel range of the lab's images.
    Pixels,
    /// No box: entries may leave the pixel range (the 2-D toy, and the comparison).
    None,
}

impl Bounds {
    pub const NAMES: &'static [&'static str] = &["pixels", "none"];
    pub const LABELS: &'static [&'static str] = &[
        "valid images: pixels kept in [0, 1]",
        "none: pixels may leave [0, 1]",
    ];

    /// The box's [lo, hi], if there is one.
    pub fn range(self) -> Option<(f64, f64)> {
        match self {
            Bounds::Pixels => Some((0.0, 1.0)),
            Bounds::None => None,
        }
    }

    /// P(v) for one entry: v clipped to the box (v itself without one; NaN stays NaN).
    pub fn clip(self, v: f64) -> f64 {
        match self.range() {
            Some((lo, hi)) => v.clamp(lo, hi),
            None => v,
        }
    }

    /// r <- P(x + r) - x: the perturbation that takes x to the projection of x + r. Without a
    /// box, r is left exactly as it is. In floating point x + r then equals P(x + r) exactly
    /// at the box's edges 0 and 1 (0 - x is exact, and x + fl(1 - x) rounds to 1 or just
    /// below it); inside, to within the rounding of x (1.1e-16 for x <= 1), so a value within
    /// that of an edge could in principle land just past it (not seen on the lab's data).
    pub fn project(self, x: ArrayView1<f64>, r: &mut Array1<f64>) {
        if self == Bounds::None {
            return;
        }
        ndarray::Zip::from(r)
            .and(&x)
            .for_each(|ri, &xi| *ri = self.clip(xi + *ri) - xi);
    }
}

/// Whether attacks keep images valid, as every page and command that attacks images offers it.
pub const BOUNDS_FIELD: crate::params::Field = crate::params::Field {
    key: "bounds",
    label: "Pixel range",
    unit: "",
    help: "Keep the adversarial image in [0, 1], as a real image must be (the default), or let pixels leave it.",
    kind: crate::params::Kind::Choice(Bounds::NAMES, Bounds::LABELS),
};

/// ||r||_2, ||r||_inf and ||r||_2 / ||x||_2 of a perturbation r of an input x.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PerturbationSize {
    pub r_l2: f64,
    pub r_linf: f64,
    /// ||r||_2 / ||x||_2 (infinite for x = 0, as the ratio is undefined there).
    pub r_over_x: f64,
}

impl PerturbationSize {
    pub fn of(x: ArrayView1<f64>, r: ArrayView1<f64>) -> Self {
        let r_l2 = r.dot(&r).sqrt();
        let x_l2 = x.dot(&x).sqrt();
        Self {
            r_l2,
            r_linf: r.fold(0.0, |m: f64, v| m.max(v.abs())),
            r_over_x: if x_l2 > 0.0 {
                r_l2 / x_l2
            } else {
                f64::INFINITY
            },
        }
    }
}

/// One attack as the image pages and the command line offer it.
#[derive(Clone, Copy, Debug)]
pub struct Attack {
    /// Its name in links, files and on the command line.
    pub name: &'static str,
    /// What a menu and the tables show for it.
    pub label: &'static str,
    /// What its count of iterations counts, as the page's readout names it.
    pub counts: &'static str,
    /// Runs it on one image.
    pub run: fn(&AttackRequest) -> Found,
}

/// What a page or command asks of an attack on one image.
pub struct AttackRequest<'a> {
    pub net: &'a Network,
    pub x: ArrayView1<'a, f64>,
    /// The true label, if known (FGSM ascends its loss; else the predicted label's).
    pub true_label: Option<usize>,
    /// FGSM's step.
    pub eps: f64,
    /// DeepFool's overshoot and iteration limit (each DeepFool entry sets its norm).
    pub deepfool: deepfool::DeepFoolOptions,
    /// The box every attack keeps x + r in.
    pub bounds: Bounds,
    /// The random stream of the attacks that draw ([`attack_rng`] of the seed and the image).
    pub seed: u32,
    pub image_id: usize,
}

impl AttackRequest<'_> {
    /// The random stream of this attack on this image.
    pub fn rng(&self) -> Rng {
        attack_rng(self.seed, self.image_id)
    }
}

/// What an attack found on one image.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub perturbation: Array1<f64>,
    /// DeepFool's steps; the line search's classifier evaluations; 1 for FGSM.
    pub iterations: usize,
    /// DeepFool's iterates x_1, ..., x_n (without the overshoot).
    pub steps: Vec<Vec<f64>>,
    /// FGSM only: the smallest eps that changes the label, if one up to 1 does.
    pub flip_eps: Option<f64>,
}

/// The random stream of an attack on one image: the seed and the image index fix it.
pub fn attack_rng(seed: u32, image: usize) -> Rng {
    Rng::new(SplitMix64::new(((seed as u64) << 32) ^ image as u64).next_u64())
}

/// Every attack the image pages offer, in the lecture's order (the order of their menus).
pub const ATTACKS: &[Attack] = &[
    random::ATTACK,
    fastgrad::ATTACK,
    fgsm::ATTACK,
    deepfool::ATTACK_L2,
    deepfool::ATTACK_LINF,
];

const fn names<const N: usize>(label: bool) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if label {
            ATTACKS[i].label
        } else {
            ATTACKS[i].name
        };
        i += 1;
    }
    out
}

const ATTACK_NAMES: [&str; ATTACKS.len()] = names(false);
const ATTACK_LABELS: [&str; ATTACKS.len()] = names(true);

/// One of [`ATTACKS`], by its place in the list; links and files carry its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttackKind(usize);

impl AttackKind {
    pub const RANDOM: AttackKind = AttackKind::named("random");
    pub const FASTGRAD: AttackKind = AttackKind::named("fastgrad");
    pub const FGSM: AttackKind = AttackKind::named("fgsm");
    pub const DEEPFOOL: AttackKind = AttackKind::named("deepfool");
    pub const DEEPFOOL_LINF: AttackKind = AttackKind::named("deepfool-linf");
    /// Every name, in the list's order.
    pub const NAMES: &'static [&'static str] = &ATTACK_NAMES;
    /// What a menu and the tables show for each name.
    pub const LABELS: &'static [&'static str] = &ATTACK_LABELS;

    /// The attack of a name in [`ATTACKS`] (a name not there does not compile).
    const fn named(name: &str) -> AttackKind {
        let mut i = 0;
        while i < ATTACKS.len() {
            if const_eq(ATTACKS[i].name, name) {
                return AttackKind(i);
            }
            i += 1;
        }
        panic!("no such attack")
    }

    /// Every attack, in the list's order.
    pub fn all() -> impl Iterator<Item = AttackKind> {
        (0..ATTACKS.len()).map(AttackKind)
    }

    pub fn from_name(name: &str) -> Option<AttackKind> {
        ATTACKS.iter().position(|a| a.name == name).map(AttackKind)
    }

    /// Its place in [`ATTACKS`].
    pub fn index(self) -> usize {
        self.0
    }

    pub fn attack(self) -> &'static Attack {
        &ATTACKS[self.0]
    }

    pub fn name(self) -> &'static str {
        self.attack().name
    }

    pub fn label(self) -> &'static str {
        self.attack().label
    }

    /// Runs the attack.
    pub fn run(self, request: &AttackRequest) -> Found {
        (self.attack().run)(request)
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Serialize for AttackKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for AttackKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        AttackKind::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown attack '{name}' (one of {})",
                ATTACK_NAMES.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Names are unique and safe in links; each travels as its name and back.
    #[test]
    fn every_attack_travels_by_its_name() {
        for (i, k) in AttackKind::all().enumerate() {
            assert_eq!(k, AttackKind(i));
            assert!(k.name().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert_eq!(AttackKind::from_name(k.name()), Some(k));
            let text = serde_json::to_string(&k).unwrap();
            assert_eq!(text, format!("\"{}\"", k.name()));
            assert_eq!(serde_json::from_str::<AttackKind>(&text).unwrap(), k);
        }
        assert_eq!(AttackKind::NAMES.len(), ATTACKS.len());
        assert_eq!(AttackKind::FGSM.label(), "FGSM");
        let err = serde_json::from_str::<AttackKind>("\"pgd\"").unwrap_err();
        assert!(err.to_string().contains("unknown attack 'pgd'"), "{err}");
    }
}
