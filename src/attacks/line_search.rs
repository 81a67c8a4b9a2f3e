//! The line search the lecture's first two attacks share: the smallest step alpha > 0 along
//! a direction v that changes the label, found by growing alpha geometrically (x 1.1 from a
//! small alpha_0) until the label changes, then bisecting the last bracket to a relative
//! tolerance of 1e-3 (science.md, section A). With a box ([`Bounds`]) the points searched are
//! P(x + alpha v), the projections, so that the flip found is that of a valid input.

use super::Bounds;
use crate::classifier::Classifier;
use ndarray::{Array2, ArrayView1};

/// The growth factor of the bracketing phase.
pub const GROWTH: f64 = 1.1;
/// The relative width at which bisection stops.
pub const REL_TOL: f64 = 1e-3;
/// Growth steps evaluated in one batch.
pub const BATCH: usize = 8;

/// Where the label changed along the direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flip {
    /// The smallest step found with a different label (within REL_TOL of the true one, if
    /// the label is constant below it along the ray).
    pub alpha: f64,
    /// The label at x + alpha v.
    pub label: usize,
    /// Classifier evaluations used.
    pub evaluations: usize,
}

/// The smallest alpha in (0, alpha_max] with label(P(x + alpha v)) != label(x), or None if
/// the label never changes up to alpha_max (P the projection onto `bounds`, the identity for
/// [`Bounds::None`]).
///
/// The growth steps alpha_0, min(1.1 alpha_0, alpha_max), ... are evaluated [`BATCH`] at a
/// time (one batch pass of the classifier, each row's label exactly its own, see
/// [`Classifier::labels`]) and then read in order, so the result and the count of
/// evaluations are those of taking the steps one by one; the few steps a batch evaluates
/// beyond the flip are not counted.
pub fn smallest_flip<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    v: ArrayView1<f64>,
    alpha0: f64,
    alpha_max: f64,
    bounds: Bounds,
) -> Option<Flip> {
    let k0 = clf.label(x);
    let mut evaluations = 1;
    let at = |a: f64| (&x + &(&v * a)).mapv_into(|p| bounds.clip(p));
    let mut lo = 0.0;
    let mut next = alpha0.max(f64::MIN_POSITIVE);
    let (mut hi, mut hi_label);
    'growth: loop {
        let mut alphas = vec![next];
        while alphas.len() < BATCH && alphas[alphas.len() - 1] < alpha_max {
            alphas.push((alphas[alphas.len() - 1] * GROWTH).min(alpha_max));
        }
        // Row r is x + alphas[r] v, computed as in `at` (v a, then x plus it).
        let mut rows = Array2::zeros((alphas.len(), x.len()));
        for (mut row, &a) in rows.rows_mut().into_iter().zip(&alphas) {
            ndarray::Zip::from(&mut row)
                .and(&x)
                .and(&v)
                .for_each(|r, &xi, &vi| *r = bounds.clip(xi + vi * a));
        }
        for (&a, l) in alphas.iter().zip(clf.labels(rows.view())) {
            evaluations += 1;
            if l != k0 {
                (hi, hi_label) = (a, l);
                break 'growth;
            }
            if a >= alpha_max {
                return None;
            }
            lo = a;
        }
        next = (lo * GROWTH).min(alpha_max);
    }
    let mut label_at = |a: f64| {
        evaluations += 1;
        clf.label(at(a).view())
    };
    while hi - lo > REL_TOL * hi {
        let mid = 0.5 * (lo + hi);
        let l = label_at(mid);
        if l == k0 {
            lo = mid;
        } else {
            hi = mid;
            hi_label = l;
        }
    }
    Some(Flip {
        alpha: hi,
        label: hi_label,
        evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Network;
    use ndarray::{array, Array2};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Affine binary classifier f = w.x + b: along a unit direction u with w.u of the opposite
    /// sign to f, the label flips at alpha* = -f / (w.u) exactly.
    #[test]
    fn finds_the_affine_crossing_within_tolerance() {
        let w = array![1.0, -2.0, 0.5];
        let b = 0.25;
        let mut wm = Array2::zeros((2, 3));
        wm.row_mut(1).assign(&w);
        let net = Network::affine(wm, array![0.0, b]);
        let x = array![1.0, 0.1, 0.4];
        let f = w.dot(&x) + b;
        let u = array![-1.0, 1.0, 0.0] / 2f64.sqrt();
        let exact = -f / w.dot(&u);
        let flip = smallest_flip(&net, x.view(), u.view(), 1e-3, 100.0, Bounds::None).unwrap();
        assert!(
            flip.alpha >= exact && flip.alpha <= exact * (1.0 + REL_TOL),
            "{} vs {exact}",
            flip.alpha
        );
        assert_eq!(flip.label, 0);
        // The other way the label never changes.
        assert!(smallest_flip(&net, x.view(), (-&u).view(), 1e-3, 100.0, Bounds::None).is_none());
    }

    /// The search taken one step at a time, as it was written before its growth steps were
    /// batched.
    fn one_by_one(
        net: &Network,
        x: ArrayView1<f64>,
        v: ArrayView1<f64>,
        a0: f64,
        amax: f64,
    ) -> Option<Flip> {
        let k0 = net.label(x);
        let mut evaluations = 1;
        let mut label_at = |a: f64| {
            evaluations += 1;
            net.label((&x + &(&v * a)).view())
        };
        let (mut lo, mut hi) = (0.0, a0.max(f64::MIN_POSITIVE));
        let mut hi_label = label_at(hi);
        while hi_label == k0 {
            if hi >= amax {
                return None;
            }
            lo = hi;
            hi = (hi * GROWTH).min(amax);
            hi_label = label_at(hi);
        }
        while hi - lo > REL_TOL * hi {
            let mid = 0.5 * (lo + hi);
            let l = label_at(mid);
            if l == k0 {
                lo = mid;
            } else {
                hi = mid;
                hi_label = l;
            }
        }
        Some(Flip {
            alpha: hi,
            label: hi_label,
            evaluations,
        })
    }

    /// Batched growth gives the step-by-step search's flip and count exactly: flips after
    /// 1 to 40 growth steps (batch boundaries and all), at alpha_max, and none.
    #[test]
    fn batched_growth_equals_the_one_by_one_search() {
        let mut rng = crate::rng::Rng::new(8);
        let net = Network::mlp(&[5, 7, 3], crate::nn::Activation::Tanh, &mut rng);
        let x = ndarray::Array1::from_shape_simple_fn(5, || rng.normal());
        let mut seen = 0;
        for trial in 0..200 {
            let v = ndarray::Array1::from_shape_simple_fn(5, || rng.normal());
            let a0 = 10f64.powf(-1.0 - 4.0 * rng.uniform());
            let amax = if trial % 10 == 0 {
                a0 * GROWTH.powi(5)
            } else {
                100.0
            };
            let want = one_by_one(&net, x.view(), v.view(), a0, amax);
            assert_eq!(
                smallest_flip(&net, x.view(), v.view(), a0, amax, Bounds::None),
                want,
                "trial {trial}"
            );
            seen += usize::from(want.is_some());
        }
        assert!(seen > 50, "{seen} flips");
    }
}
