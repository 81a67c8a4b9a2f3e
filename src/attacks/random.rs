//! Attack 1 of the lecture: random noise. Draw v ~ N(0, I), normalise it, and find the
//! smallest alpha with label(x + alpha v) != label(x) by the shared line search. It shows how
//! far a random direction must go: in high dimension almost every direction is nearly
//! orthogonal to the few that matter, so the needed perturbation is large. With a box the
//! search runs over P(x + alpha v) and r = P(x + alpha v) - x.

use super::line_search::{smallest_flip, Flip};
use super::Bounds;
use crate::classifier::Classifier;
use crate::rng::Rng;
use ndarray::{Array1, ArrayView1};

/// Attack 1 as the image pages offer it ([`super::ATTACKS`]).
pub const ATTACK: super::Attack = super::Attack {
    name: "random",
    label: "Random noise",
    counts: "Evaluations",
    run: run_random,
};

fn run_random(q: &super::AttackRequest) -> super::Found {
    random_noise(q.net, q.x, &mut q.rng(), q.bounds).into()
}

impl From<DirectionalAttack> for super::Found {
    /// r = P(x + alpha v) - x; its iterations are the line search's classifier evaluations.
    fn from(a: DirectionalAttack) -> Self {
        Self {
            perturbation: a.perturbation,
            iterations: a.flip.map_or(0, |f| f.evaluations),
            ..Default::default()
        }
    }
}

/// The result of a line search along one direction: the direction and where it flipped.
#[derive(Clone, Debug)]
pub struct DirectionalAttack {
    /// The unit direction searched along.
    pub direction: Array1<f64>,
    /// Where the label changed, if it did below the search limit.
    pub flip: Option<Flip>,
    /// r = P(x + alpha v) - x (alpha v without a box), or zero if the label never changed.
    pub perturbation: Array1<f64>,
}

impl DirectionalAttack {
    /// The attack along `direction` from x that flipped at `flip` (if it did), in `bounds`.
    pub fn new(
        x: ArrayView1<f64>,
        direction: Array1<f64>,
        flip: Option<Flip>,
        bounds: Bounds,
    ) -> Self {
        let mut perturbation = match flip {
            Some(f) => &direction * f.alpha,
            None => Array1::zeros(direction.len()),
        };
        if flip.is_some() {
            bounds.project(x, &mut perturbation);
        }
        Self {
            direction,
            flip,
            perturbation,
        }
    }
}

/// Random-noise attack from x; the search starts at alpha_0 = 1e-3 ||x|| and gives up beyond
/// 100 ||x|| (or beyond 100 for x = 0).
pub fn random_noise<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    rng: &mut Rng,
    bounds: Bounds,
) -> DirectionalAttack {
    let mut v = Array1::from_shape_simple_fn(x.len(), || rng.normal());
    let n = v.dot(&v).sqrt();
    v /= n;
    let scale = x.dot(&x).sqrt().max(1.0);
    let flip = smallest_flip(clf, x, v.view(), 1e-3 * scale, 100.0 * scale, bounds);
    DirectionalAttack::new(x, v, flip, bounds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attacks::line_search::REL_TOL;
    use crate::nn::Network;
    use ndarray::{array, Array2};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// On an affine binary classifier the flip happens at |f| / |w.v| along v (when w.v has the
    /// right sign), which is at least DeepFool's |f| / ||w||.
    #[test]
    fn affine_flip_matches_the_closed_form() {
        let w = array![0.3, -1.0, 2.0, 0.7];
        let b = -0.4;
        let mut wm = Array2::zeros((2, 4));
        wm.row_mut(1).assign(&w);
        let net = Network::affine(wm, array![0.0, b]);
        let x = array![0.5, 0.2, 0.6, -0.1];
        let f = w.dot(&x) + b;
        let mut hits = 0;
        for seed in 0..20 {
            let a = random_noise(&net, x.view(), &mut Rng::new(seed), Bounds::None);
            let wv = w.dot(&a.direction);
            assert!((a.direction.dot(&a.direction) - 1.0).abs() < 1e-12);
            match a.flip {
                Some(flip) => {
                    hits += 1;
                    let exact = -f / wv;
                    assert!(
                        exact > 0.0 && flip.alpha >= exact && flip.alpha <= exact * (1.0 + REL_TOL)
                    );
                    assert!(flip.alpha >= f.abs() / w.dot(&w).sqrt());
                }
                None => assert!(-f / wv <= 0.0 || -f / wv > 100.0),
            }
        }
        assert!(hits > 0);
    }
}
