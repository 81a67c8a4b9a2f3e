//! Attack 2 of the lecture: the fast gradient direction. With L(s) = ||f(x + s) - f(x)||^2,
//! the gradient grad_s L = 2 J(x + s)^T (f(x + s) - f(x)) vanishes at s = 0, so it is taken at
//! a small random s_0 = 1e-5 * U[0, 1] (the authors' choice); then the label is changed by
//! the shared line search along v = grad L(s_0) / ||grad L(s_0)||.
//!
//! For a linear f = W x, grad L(s_0) = 2 W^T W s_0: one step of the power iteration towards
//! the top right singular vector of W, the direction in which f changes fastest.
//!
//! ### Both ways along the line
//!
//! L is even in s to second order, so the sign of v only reflects s_0's (all positive here).
//! The lab searches the whole line x + t v, t of either sign, and keeps the smaller flip
//! (+v on a tie). This matters for ReLU networks, which are nearly positively homogeneous:
//! their fastest-changing direction is close to x itself, and along +v the image mostly gets
//! brighter and the logits larger without the label changing. Measured on the lab's MNIST CNN
//! (100 test digits, seed 1): along +v alone 29 digits never flipped (within 100 ||x||) and
//! the other 71 needed ||r||_2 / ||x||_2 = 2.55 on average; along the line all 100 flip, at
//! 0.43 on average (random noise: 4.56, DeepFool: 0.15).

use super::line_search::{smallest_flip, Flip};
use super::random::DirectionalAttack;
use super::Bounds;
use crate::classifier::Classifier;
use crate::rng::Rng;
use ndarray::{Array1, ArrayView1, Axis};

/// Attack 2 as the image pages offer it ([`super::ATTACKS`]).
pub const ATTACK: super::Attack = super::Attack {
    name: "fastgrad",
    label: "Fast gradient",
    counts: "Evaluations",
    run: run_fast_gradient,
};

fn run_fast_gradient(q: &super::AttackRequest) -> super::Found {
    fast_gradient(q.net, q.x, &mut q.rng(), q.bounds).into()
}

/// The direction grad_s L(s_0) (not normalised) for the random s_0.
pub fn fast_gradient_direction<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    rng: &mut Rng,
) -> Array1<f64> {
    let s0 = Array1::from_shape_simple_fn(x.len(), || 1e-5 * rng.uniform());
    let xs = &x + &s0;
    let diff = (clf.logits(xs.view()) - clf.logits(x)) * 2.0;
    clf.vjp(xs.view(), diff.insert_axis(Axis(0)).view())
        .row(0)
        .to_owned()
}

/// The fast gradient attack from x, both ways along the line; the same search limits as the
/// random attack. The evaluations of both searches are counted. With a box, both searches
/// run over the projections P(x + t v), and the smaller step t wins.
pub fn fast_gradient<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    rng: &mut Rng,
    bounds: Bounds,
) -> DirectionalAttack {
    let mut v = fast_gradient_direction(clf, x, rng);
    let n = v.dot(&v).sqrt();
    if n == 0.0 || !n.is_finite() {
        return DirectionalAttack::new(x, Array1::zeros(x.len()), None, bounds);
    }
    v /= n;
    let scale = x.dot(&x).sqrt().max(1.0);
    let search =
        |d: &Array1<f64>| smallest_flip(clf, x, d.view(), 1e-3 * scale, 100.0 * scale, bounds);
    let back = -&v;
    let (fwd, bwd) = (search(&v), search(&back));
    let used = fwd.map_or(0, |f| f.evaluations) + bwd.map_or(0, |f| f.evaluations);
    let (direction, flip) = match (fwd, bwd) {
        (Some(a), Some(b)) if b.alpha < a.alpha => (back, Some(b)),
        (None, Some(b)) => (back, Some(b)),
        (a, _) => (v, a),
    };
    let flip = flip.map(|f| Flip {
        evaluations: used,
        ..f
    });
    DirectionalAttack::new(x, direction, flip, bounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Network;
    use ndarray::{Array, Array2};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// For f = W x (+ b) the direction is exactly 2 W^T W s_0 with the same s_0.
    #[test]
    fn linear_direction_is_one_power_iteration_step() {
        let mut rng = Rng::new(4);
        let w: Array2<f64> = Array::from_shape_simple_fn((3, 5), || rng.normal());
        let net = Network::affine(w.clone(), Array::from_shape_simple_fn(3, || rng.normal()));
        let x = Array::from_shape_simple_fn(5, || rng.normal());
        let v = fast_gradient_direction(&net, x.view(), &mut Rng::new(9));
        let mut r = Rng::new(9);
        let s0 = Array1::from_shape_simple_fn(5, || 1e-5 * r.uniform());
        let expected = w.t().dot(&w.dot(&s0)) * 2.0;
        for (a, e) in v.iter().zip(expected.iter()) {
            // |v| ~ 1e-5: rounding in f(x + s0) - f(x) (eps |f| ~ 1e-16) limits the match.
            assert!(
                (a - e).abs() < 1e-9 * expected.dot(&expected).sqrt().max(1e-5),
                "{a} vs {e}"
            );
        }
    }

    /// On an affine binary classifier the line through x along v crosses the boundary once,
    /// at |f| / |w.u| from x (u = v / ||v||), on whichever side it lies.
    #[test]
    fn searches_both_ways_along_the_line() {
        use crate::attacks::line_search::REL_TOL;
        use ndarray::array;
        let w = array![0.5, -1.5, 1.0];
        let mut wm = Array2::zeros((2, 3));
        wm.row_mut(1).assign(&w);
        let net = Network::affine(wm, array![0.0, 0.3]);
        for seed in 0..10 {
            let x = Array::from_shape_simple_fn(3, || Rng::new(seed + 100).normal());
            let f = w.dot(&x) + 0.3;
            let a = fast_gradient(&net, x.view(), &mut Rng::new(seed), Bounds::None);
            let flip = a
                .flip
                .expect("an affine boundary is crossed one way or the other");
            let exact = f.abs() / w.dot(&a.direction).abs();
            assert!(
                flip.alpha >= exact && flip.alpha <= exact * (1.0 + REL_TOL),
                "{} vs {exact}",
                flip.alpha
            );
            assert!(
                w.dot(&a.direction) * f < 0.0,
                "the chosen side moves towards the boundary"
            );
        }
    }
}
