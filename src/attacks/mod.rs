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
//! Every attack reports the perturbation r it found and what it did to the label; the
//! magnitudes the lecture compares are in [`PerturbationSize`].

pub mod deepfool;
pub mod fastgrad;
pub mod fgsm;
pub mod line_search;
pub mod random;
pub mod universal;

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

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
