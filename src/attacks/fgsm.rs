//! The fast gradient sign method (Goodfellow, Shlens and Szegedy, "Explaining and harnessing
//! adversarial examples", arXiv:1412.6572):
//!
//!   x' = x + eps * sign(grad_x CE(f(x), y)),
//!
//! one step of size eps in l-inf that increases the cross-entropy of the label y to first
//! order. The gradient of CE with respect to the logits is softmax(f(x)) - e_y, so the input
//! gradient is one vector-Jacobian product. sign(0) = 0.
//!
//! With a box, x' = P(x + eps sign(g)), P the clipping to [0, 1]^n, and r = x' - x (as the
//! bounded FGSM of Foolbox and torchattacks): pixels already at 0 or 1 that the step would push
//! out stay put.

use super::line_search::{smallest_flip, Flip};
use super::{Bounds, PerturbationSize};
use crate::classifier::Classifier;
use crate::nn::loss::softmax;
use ndarray::{Array1, ArrayView1, Axis};
use serde::Serialize;

/// FGSM as the image pages offer it ([`super::ATTACKS`]): the step of size eps against the
/// true label (else the predicted one), with the smallest eps up to 1 that flips it.
pub const ATTACK: super::Attack = super::Attack {
    name: "fgsm",
    label: "FGSM",
    counts: "Steps",
    run: run_fgsm,
};

fn run_fgsm(q: &super::AttackRequest) -> super::Found {
    let target = q.true_label.unwrap_or_else(|| q.net.label(q.x));
    super::Found {
        perturbation: Array1::from(fgsm(q.net, q.x, target, q.eps, q.bounds).perturbation),
        iterations: 1,
        steps: Vec::new(),
        flip_eps: fgsm_flip_eps(q.net, q.x, target, 1.0, q.bounds).map(|f| f.alpha),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FgsmResult {
    pub eps: f64,
    /// eps * sign(grad_x CE), or P(x + eps sign(grad_x CE)) - x with a box.
    pub perturbation: Vec<f64>,
    /// The label y the loss was taken against.
    pub label: usize,
    /// The predicted label of x + perturbation.
    pub adv_label: usize,
    pub flipped: bool,
    pub size: PerturbationSize,
}

/// grad_x CE(f(x), y).
pub fn loss_gradient<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    label: usize,
) -> Array1<f64> {
    let mut g = softmax(clf.logits(x).view());
    g[label] -= 1.0;
    clf.vjp(x, g.insert_axis(Axis(0)).view()).row(0).to_owned()
}

/// One FGSM step of size `eps` from x against `label` (the true label if known, else the
/// predicted one), projected onto `bounds`.
pub fn fgsm<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    label: usize,
    eps: f64,
    bounds: Bounds,
) -> FgsmResult {
    let g = loss_gradient(clf, x, label);
    let mut r = g.mapv(|v| {
        if v > 0.0 {
            eps
        } else if v < 0.0 {
            -eps
        } else {
            0.0
        }
    });
    bounds.project(x, &mut r);
    let adv = &x + &r;
    let adv_label = clf.label(adv.view());
    FgsmResult {
        eps,
        size: PerturbationSize::of(x, r.view()),
        perturbation: r.to_vec(),
        label,
        adv_label,
        flipped: adv_label != clf.label(x),
    }
}

/// sign(grad_x CE(f(x), y)), the FGSM direction (entries -1, 0, 1).
pub fn fgsm_direction<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    label: usize,
) -> Array1<f64> {
    loss_gradient(clf, x, label).mapv(|v| {
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    })
}

/// The smallest FGSM step eps (up to `eps_max`) whose P(x + eps sign(grad)) has another
/// label, by the line search of the random and fast gradient attacks (relative tolerance
/// 1e-3).
pub fn fgsm_flip_eps<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    label: usize,
    eps_max: f64,
    bounds: Bounds,
) -> Option<Flip> {
    let d = fgsm_direction(clf, x, label);
    smallest_flip(clf, x, d.view(), 1e-4 * eps_max, eps_max, bounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Network};
    use crate::rng::Rng;
    use ndarray::{array, Array2};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn loss_gradient_matches_finite_differences() {
        let mut rng = Rng::new(2);
        let net = Network::mlp(&[3, 8, 3], Activation::Tanh, &mut rng);
        let x = array![0.2, -0.4, 0.9];
        let g = loss_gradient(&net, x.view(), 1);
        let h = 1e-6;
        for i in 0..3 {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[i] += h;
            m[i] -= h;
            let ce =
                |v: &Array1<f64>| crate::nn::loss::cross_entropy(net.logits(v.view()).view(), 1);
            let fd = (ce(&p) - ce(&m)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-9, "{fd} vs {}", g[i]);
        }
    }

    /// For a binary affine classifier with f_1 - f_0 = w.x + b and label 1, the loss gradient
    /// is -(1 - p_1) w, so FGSM moves by -eps sign(w): it flips exactly when
    /// eps > |f| / ||w||_1 (Goodfellow's eps*).
    #[test]
    fn affine_flips_exactly_beyond_eps_star() {
        let w = array![1.0, -0.5, 2.0];
        let b = -0.2;
        let mut wm = Array2::zeros((2, 3));
        wm.row_mut(1).assign(&w);
        let net = Network::affine(wm, array![0.0, b]);
        let x = array![0.5, 0.4, 0.3];
        let f = w.dot(&x) + b;
        assert!(f > 0.0);
        let eps_star = f / 3.5;
        let below = fgsm(&net, x.view(), 1, eps_star * 0.999, Bounds::None);
        let above = fgsm(&net, x.view(), 1, eps_star * 1.001, Bounds::None);
        assert!(!below.flipped);
        assert!(above.flipped);
        assert_eq!(above.adv_label, 0);
        for (r, wi) in above.perturbation.iter().zip(w.iter()) {
            assert_eq!(r.signum(), -wi.signum());
            assert!((r.abs() - eps_star * 1.001).abs() < 1e-15);
        }
        assert!((above.size.r_linf - eps_star * 1.001).abs() < 1e-15);
        let flip = fgsm_flip_eps(&net, x.view(), 1, 1.0, Bounds::None).unwrap();
        assert!(
            flip.alpha >= eps_star && flip.alpha <= eps_star * 1.001 + 1e-15,
            "{} vs {eps_star}",
            flip.alpha
        );
    }
}
