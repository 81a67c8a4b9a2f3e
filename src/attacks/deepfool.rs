//! DeepFool (Moosavi-Dezfooli, Fawzi and Frossard, "DeepFool: a simple and accurate method
//! to fool deep neural networks", CVPR 2016).
//!
//! At the current iterate x_i, linearise every candidate logit difference against the
//! original class k0,
//!
//!   f'_k = f_k(x_i) - f_k0(x_i),   w'_k = grad f_k(x_i) - grad f_k0(x_i),
//!
//! pick the class whose linearised boundary is nearest in the chosen norm,
//!
//!   l = argmin_{k != k0} |f'_k| / ||w'_k||_q   (q the dual exponent of p),
//!
//! and step exactly onto that hyperplane:
//!
//!   p = 2:   r_i = |f'_l| / ||w'_l||_2^2 * w'_l,
//!   p = inf: r_i = |f'_l| / ||w'_l||_1 * sign(w'_l).
//!
//! Then x_{i+1} = x_i + r_i and r = sum_i r_i.
//!
//! ### Where the overshoot goes
//!
//! Libraries disagree here, so the lab states its choice (science.md): the iterates x_i are
//! *not* overshot; the overshoot eta multiplies the total perturbation, both in the stopping
//! test, `label(x + (1 + eta) r) != k0`, and in the returned perturbation, (1 + eta) r.
//! For an affine binary classifier f(x) = w.x + b one step is then exact:
//! ||r||_2 = (1 + eta) |f(x)| / ||w||_2 in the direction -sign(f(x)) w.
//! Defaults: eta = 0.02, at most 50 iterations, the top 10 logits as candidates.
//!
//! ### Within a box
//!
//! With [`Bounds::Pixels`] every iterate is projected onto the box, P clipping to [0, 1]^n:
//! x_{i+1} = P(x_i + r_i) and r = x_{i+1} - x, the stopping test reads
//! label(P(x + (1 + eta) r)), and the returned perturbation is P(x + (1 + eta) r) - x, the
//! exact input classified. (Foolbox's bounded DeepFool clips its overshot iterates
//! likewise; here, as above, the iterates are not overshot.) A step the box cuts short is
//! taken again from the projected point, so DeepFool can need more iterations, and where the
//! box leaves no way across the linearised boundary it stops at `max_iter` without a flip.
//! Without a box the iteration is exactly the one above.

use super::{Bounds, Norm, PerturbationSize};
use crate::classifier::Classifier;
use crate::params::{Field, Kind};
use ndarray::{Array1, Array2, ArrayView1};
use serde::Serialize;

/// DeepFool's overshoot, as every page and command that runs DeepFool offers it.
pub const OVERSHOOT_FIELD: Field = Field {
    key: "overshoot",
    label: "Overshoot η",
    unit: "",
    help: "DeepFool returns (1 + eta) times the accumulated perturbation.",
    kind: Kind::Float {
        min: 0.0,
        max: 1.0,
        step: 0.01,
        log: false,
    },
};

/// DeepFool's iteration limit, as every page and command that runs DeepFool offers it.
pub const MAX_ITER_FIELD: Field = Field {
    key: "max_iter",
    label: "Max iterations",
    unit: "",
    help: "DeepFool stops after this many linearisation steps.",
    kind: Kind::Int { min: 1, max: 1000 },
};

/// DeepFool in l2 as the image pages offer it ([`super::ATTACKS`]).
pub const ATTACK_L2: super::Attack = super::Attack {
    name: "deepfool",
    label: "DeepFool (ℓ2)",
    counts: "Iterations",
    run: |q| run_deepfool(q, Norm::L2),
};

/// DeepFool in l-inf as the image pages offer it.
pub const ATTACK_LINF: super::Attack = super::Attack {
    name: "deepfool-linf",
    label: "DeepFool (ℓ∞)",
    counts: "Iterations",
    run: |q| run_deepfool(q, Norm::Linf),
};

/// DeepFool in `norm` with the request's overshoot and limit, with its iterates.
fn run_deepfool(q: &super::AttackRequest, norm: Norm) -> super::Found {
    let opts = DeepFoolOptions {
        norm,
        bounds: q.bounds,
        ..q.deepfool
    };
    let res = deepfool(q.net, q.x, &opts);
    let mut acc = q.x.to_owned();
    let steps = res
        .steps
        .iter()
        .map(|s| {
            acc += &ArrayView1::from(&s.step);
            acc.to_vec()
        })
        .collect();
    super::Found {
        perturbation: Array1::from(res.perturbation),
        iterations: res.iterations,
        steps,
        flip_eps: None,
    }
}

/// DeepFool's settings; the defaults are the paper's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeepFoolOptions {
    pub norm: Norm,
    /// eta: the final perturbation is (1 + eta) times the accumulated one.
    pub overshoot: f64,
    pub max_iter: usize,
    /// How many of the largest logits (including the original class) are candidates.
    pub candidates: usize,
    /// The box the iterates and the result are kept in.
    pub bounds: Bounds,
}

impl Default for DeepFoolOptions {
    fn default() -> Self {
        Self {
            norm: Norm::L2,
            overshoot: 0.02,
            max_iter: 50,
            candidates: 10,
            bounds: Bounds::None,
        }
    }
}

/// One DeepFool iteration: the linearised boundary it aimed at, seen from the iterate x_i:
/// the hyperplane { z : f'_l + w'_l . (z - x_i) = 0 }.
#[derive(Clone, Debug, Serialize)]
pub struct DeepFoolStep {
    /// x_i, where the classifier was linearised.
    pub at: Vec<f64>,
    /// l, the class whose boundary was nearest.
    pub target: usize,
    /// f'_l = f_l(x_i) - f_k0(x_i).
    pub margin: f64,
    /// w'_l = grad f_l(x_i) - grad f_k0(x_i).
    pub normal: Vec<f64>,
    /// r_i, the step taken.
    pub step: Vec<f64>,
}

/// Why DeepFool stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeepFoolStop {
    /// x + (1 + eta) r has a different label.
    Flipped,
    /// max_iter steps were taken without flipping the label.
    MaxIterations,
    /// Every candidate's w'_k was zero (a flat region of a ReLU network, say): no direction.
    VanishingGradient,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeepFoolResult {
    /// The returned perturbation, (1 + eta) sum_i r_i.
    pub perturbation: Vec<f64>,
    /// k0, the label of x.
    pub label: usize,
    /// The label of x + perturbation.
    pub adv_label: usize,
    /// The number of linearisation steps taken.
    pub iterations: usize,
    pub stop: DeepFoolStop,
    pub size: PerturbationSize,
    /// Each iteration's linearisation and step, in order.
    pub steps: Vec<DeepFoolStep>,
}

impl DeepFoolResult {
    pub fn success(&self) -> bool {
        self.adv_label != self.label
    }
}

/// The indices of the `n` largest entries, largest first (ties by index).
fn top_indices(v: ArrayView1<f64>, n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
    idx.truncate(n);
    idx
}

/// Runs DeepFool from x. See the module documentation for the equations.
pub fn deepfool<C: Classifier + ?Sized>(
    clf: &C,
    x: ArrayView1<f64>,
    opts: &DeepFoolOptions,
) -> DeepFoolResult {
    let k = clf.n_classes();
    let logits0 = clf.logits(x);
    let candidates = top_indices(logits0.view(), opts.candidates.clamp(2, k.max(2)).min(k));
    let k0 = candidates[0];
    let others: Vec<usize> = candidates[1..].to_vec();

    // Rows e_k - e_k0 of the cotangent matrix give grad f_k - grad f_k0 in one backward pass.
    let mut cot = Array2::<f64>::zeros((others.len(), k));
    for (row, &c) in others.iter().enumerate() {
        cot[[row, c]] = 1.0;
        cot[[row, k0]] = -1.0;
    }

    let scale = 1.0 + opts.overshoot;
    let mut r_tot = Array1::<f64>::zeros(x.len());
    let mut xi = x.to_owned();
    let mut steps = Vec::new();
    let mut adv_label;
    // P(x + (1 + eta) r), the input the stopping test classifies and the result.
    let overshoot = |r_tot: &Array1<f64>| {
        let mut r = r_tot * scale;
        opts.bounds.project(x, &mut r);
        r
    };
    let stop = loop {
        let overshot = &x + &overshoot(&r_tot);
        adv_label = if steps.is_empty() {
            k0
        } else {
            clf.label(overshot.view())
        };
        if adv_label != k0 {
            break DeepFoolStop::Flipped;
        }
        if steps.len() >= opts.max_iter {
            break DeepFoolStop::MaxIterations;
        }
        let f = clf.logits(xi.view());
        let w = clf.vjp(xi.view(), cot.view());
        let mut best: Option<(f64, usize)> = None;
        for (row, &c) in others.iter().enumerate() {
            let wk = w.row(row);
            let dual = match opts.norm {
                Norm::L2 => wk.dot(&wk).sqrt(),
                Norm::Linf => wk.fold(0.0, |s, v| s + v.abs()),
            };
            if dual == 0.0 {
                continue;
            }
            let dist = (f[c] - f[k0]).abs() / dual;
            if best.is_none_or(|(d, _)| dist < d) {
                best = Some((dist, row));
            }
        }
        let Some((_, row)) = best else {
            break DeepFoolStop::VanishingGradient;
        };
        let l = others[row];
        let wl = w.row(row);
        let fl = f[l] - f[k0];
        let r_i: Array1<f64> = match opts.norm {
            Norm::L2 => &wl * (fl.abs() / wl.dot(&wl)),
            Norm::Linf => {
                let l1 = wl.fold(0.0, |s, v| s + v.abs());
                wl.mapv(|v| sign(v) * fl.abs() / l1)
            }
        };
        let mut r_i = r_i;
        if opts.bounds != Bounds::None {
            // The step the box allows: P(x_i + r_i) - x_i.
            opts.bounds.project(xi.view(), &mut r_i);
        }
        steps.push(DeepFoolStep {
            at: xi.to_vec(),
            target: l,
            margin: fl,
            normal: wl.to_vec(),
            step: r_i.to_vec(),
        });
        r_tot += &r_i;
        xi = &x + &r_tot;
    };
    let perturbation = overshoot(&r_tot);
    DeepFoolResult {
        size: PerturbationSize::of(x, perturbation.view()),
        perturbation: perturbation.to_vec(),
        label: k0,
        adv_label,
        iterations: steps.len(),
        stop,
        steps,
    }
}

/// sign(v) with sign(0) = 0.
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Network};
    use crate::rng::Rng;
    use ndarray::{array, Array};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A two-class affine classifier with logit difference f_1 - f_0 = w.x + b.
    fn binary_affine(w: &Array1<f64>, b: f64) -> Network {
        let mut wm = Array2::zeros((2, w.len()));
        wm.row_mut(1).assign(w);
        Network::affine(wm, array![0.0, b])
    }

    #[test]
    fn binary_affine_is_exact_in_one_step() {
        let mut rng = Rng::new(21);
        for trial in 0..20 {
            let d = 2 + trial % 7;
            let w = Array::from_shape_simple_fn(d, || rng.normal());
            let b = rng.normal();
            let x = Array::from_shape_simple_fn(d, || 2.0 * rng.normal());
            let net = binary_affine(&w, b);
            let f = w.dot(&x) + b;
            let res = deepfool(&net, x.view(), &DeepFoolOptions::default());
            let r = Array1::from(res.perturbation.clone());
            let wn = w.dot(&w).sqrt();
            let expected_norm = 1.02 * f.abs() / wn;
            assert_eq!(res.iterations, 1);
            assert_eq!(res.stop, DeepFoolStop::Flipped);
            assert!(res.success());
            assert!((res.size.r_l2 - expected_norm).abs() < 1e-9 * expected_norm.max(1.0));
            // Direction -sign(f) w, componentwise.
            let expected = &w * (-f.signum() * expected_norm / wn);
            for (a, e) in r.iter().zip(expected.iter()) {
                assert!((a - e).abs() < 1e-9, "trial {trial}: {a} vs {e}");
            }
        }
    }

    /// l-inf on an affine classifier: the smallest flipping l-inf step is |f| / ||w||_1
    /// along sign(w) (Goodfellow's eps*), times the overshoot.
    #[test]
    fn binary_affine_linf_matches_eps_star() {
        let w = array![0.5, -2.0, 1.0, 0.25];
        let b = 0.3;
        let x = array![1.0, -0.5, 0.2, 0.0];
        let f = w.dot(&x) + b;
        let net = binary_affine(&w, b);
        let opts = DeepFoolOptions {
            norm: Norm::Linf,
            ..Default::default()
        };
        let res = deepfool(&net, x.view(), &opts);
        let eps_star = f.abs() / w.iter().map(|v: &f64| v.abs()).sum::<f64>();
        assert_eq!(res.iterations, 1);
        assert!((res.size.r_linf - 1.02 * eps_star).abs() < 1e-12);
        for (r, wi) in res.perturbation.iter().zip(w.iter()) {
            assert!((r.abs() - 1.02 * eps_star).abs() < 1e-12);
            assert_eq!(r.signum(), -f.signum() * wi.signum());
        }
    }

    /// On an affine multiclass classifier the first step lands exactly on the nearest
    /// hyperplane { f_l = f_k0 }, and that hyperplane is the nearest of all.
    #[test]
    fn multiclass_affine_first_step_hits_nearest_hyperplane() {
        let mut rng = Rng::new(8);
        for _ in 0..20 {
            let (k, d) = (5, 6);
            let w = Array::from_shape_simple_fn((k, d), || rng.normal());
            let b = Array::from_shape_simple_fn(k, || rng.normal());
            let net = Network::affine(w.clone(), b.clone());
            let x = Array::from_shape_simple_fn(d, || rng.normal());
            let f = net.logits(x.view());
            let k0 = net.label(x.view());
            let (mut best, mut best_k) = (f64::INFINITY, 0);
            for c in (0..k).filter(|&c| c != k0) {
                let wd = &w.row(c) - &w.row(k0);
                let dist = (f[c] - f[k0]).abs() / wd.dot(&wd).sqrt();
                if dist < best {
                    best = dist;
                    best_k = c;
                }
            }
            let res = deepfool(&net, x.view(), &DeepFoolOptions::default());
            let first = &res.steps[0];
            assert_eq!(first.target, best_k);
            let x1 = &x + &Array1::from(first.step.clone());
            let f1 = net.logits(x1.view());
            assert!(
                (f1[best_k] - f1[k0]).abs() < 1e-12,
                "x_1 is not on the hyperplane"
            );
            let step_norm = first.step.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((step_norm - best).abs() < 1e-12);
            assert!(res.success());
        }
    }

    #[test]
    fn flips_a_nonlinear_network_and_records_its_path() {
        let mut rng = Rng::new(4);
        let net = Network::mlp(&[2, 16, 16, 3], Activation::Tanh, &mut rng);
        let x = array![0.4, -0.3];
        let res = deepfool(&net, x.view(), &DeepFoolOptions::default());
        assert!(res.success());
        assert_eq!(res.stop, DeepFoolStop::Flipped);
        assert_eq!(res.steps.len(), res.iterations);
        assert_eq!(res.steps[0].at, vec![0.4, -0.3]);
        let adv = &x + &Array1::from(res.perturbation.clone());
        assert_eq!(net.label(adv.view()), res.adv_label);
        // The returned perturbation is (1 + eta) times the sum of the recorded steps.
        let mut sum = Array1::<f64>::zeros(2);
        for s in &res.steps {
            sum += &Array1::from(s.step.clone());
        }
        for (r, s) in res.perturbation.iter().zip(sum.iter()) {
            assert!((r - 1.02 * s).abs() < 1e-12);
        }
    }

    #[test]
    fn vanishing_gradient_is_reported_not_looped() {
        // A ReLU network whose first layer is all dead at x: every gradient is zero.
        let mut rng = Rng::new(1);
        let mut net = Network::mlp(&[2, 4, 2], Activation::Relu, &mut rng);
        net.dense_mut(0).w.fill(0.0);
        net.dense_mut(0).b.fill(-1.0);
        net.dense_mut(1).b = array![1.0, 0.0];
        let res = deepfool(&net, array![0.1, 0.2].view(), &DeepFoolOptions::default());
        assert_eq!(res.stop, DeepFoolStop::VanishingGradient);
        assert_eq!(res.iterations, 0);
        assert!(!res.success());
        assert_eq!(res.size.r_l2, 0.0);
    }

    /// The box-constrained smallest l2 perturbation across an affine boundary, in closed form
    /// up to one scalar: the KKT conditions of min ||z - x|| subject to w.z + b = 0 and z in
    /// [0, 1]^n give z(t) = clip(x - t sign(f(x)) w), t >= 0, with t the root of
    /// w.z(t) + b, found here by bisection (w.z(t) is monotone in t). None if no t crosses.
    fn box_projection(w: &Array1<f64>, b: f64, x: &Array1<f64>) -> Option<Array1<f64>> {
        let s = (w.dot(x) + b).signum();
        let z = |t: f64| (x - &(w * (s * t))).mapv(|v| v.clamp(0.0, 1.0));
        let g = |t: f64| s * (w.dot(&z(t)) + b);
        let mut hi = 1.0;
        while g(hi) > 0.0 {
            hi *= 2.0;
            if hi > 1e6 {
                return None;
            }
        }
        let mut lo = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(z(hi) - x)
    }

    /// The same projected iteration as [`deepfool`] for an affine two-class model, written
    /// out on plain vectors: x_{i+1} = clip(x_i + r_i) with the l2 or l-inf step onto the
    /// boundary, stopping once clip(x + (1 + eta)(x_i - x)) has the other sign.
    fn naive_box_deepfool(w: &[f64], b: f64, x: &[f64], eta: f64, linf: bool) -> Vec<f64> {
        let f = |z: &[f64]| z.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b;
        let clip = |v: f64| v.clamp(0.0, 1.0);
        let sign0 = f(x) > 0.0;
        let mut xi = x.to_vec();
        for i in 0..=MAX_ITER {
            let cand: Vec<f64> = x
                .iter()
                .zip(&xi)
                .map(|(a, c)| clip(a + (1.0 + eta) * (c - a)))
                .collect();
            if (i > 0 && (f(&cand) > 0.0) != sign0) || i == MAX_ITER {
                return cand.iter().zip(x).map(|(c, a)| c - a).collect();
            }
            let fi = f(&xi);
            let w2: f64 = w.iter().map(|v| v * v).sum();
            let w1: f64 = w.iter().map(|v| v.abs()).sum();
            for (z, &c) in xi.iter_mut().zip(w) {
                let step = if linf {
                    -fi.signum() * fi.abs() / w1 * c.signum()
                } else {
                    -fi / w2 * c
                };
                *z = clip(*z + step);
            }
        }
        unreachable!()
    }

    /// Iterations of the bounded affine tests: the box slows the iteration down where most
    /// entries are at its edges (each step moves only the free ones).
    const MAX_ITER: usize = 1000;

    /// Bounded DeepFool on affine two-class models with x in [0, 1]^n: its result is in the
    /// box and flips the label; it equals the projected iteration written out independently
    /// (l2 and l-inf, to 1e-12); its l2 norm lies between the box-constrained optimum ||r*||
    /// (the closed form above) and (1 + eta) ||r*|| (the iterates follow the path
    /// clip(x - t w) towards r* from below; the overshoot scales the last); and where the
    /// first step stays inside the box it is the unbounded result, to rounding.
    #[test]
    fn bounded_deepfool_on_affine_models() {
        let mut rng = Rng::new(17);
        let (mut clipped, mut inside, mut unreachable_boundary) = (0, 0, 0);
        for trial in 0..40 {
            let d = 3 + trial % 10;
            let w = Array::from_shape_simple_fn(d, || rng.normal());
            let x = Array::from_shape_simple_fn(d, || rng.uniform());
            // Put the boundary at a random distance: near enough to stay inside the box on
            // some trials, far enough to need the box's edges on others.
            let b = -w.dot(&x) + rng.normal() * (0.1 + 0.8 * (trial % 3) as f64);
            let net = binary_affine(&w, b);
            for norm in [Norm::L2, Norm::Linf] {
                let opts = DeepFoolOptions {
                    norm,
                    bounds: Bounds::Pixels,
                    max_iter: MAX_ITER,
                    ..Default::default()
                };
                let res = deepfool(&net, x.view(), &opts);
                let r = Array1::from(res.perturbation.clone());
                let adv = &x + &r;
                assert!(adv.iter().all(|v| (0.0..=1.0).contains(v)), "{trial}");
                let naive = naive_box_deepfool(
                    w.as_slice().unwrap(),
                    b,
                    x.as_slice().unwrap(),
                    0.02,
                    norm == Norm::Linf,
                );
                for (a, e) in r.iter().zip(&naive) {
                    assert!((a - e).abs() < 1e-12, "{trial} {norm:?}: {a} vs {e}");
                }
                let Some(opt) = box_projection(&w, b, &x) else {
                    assert!(!res.success(), "{trial}: no valid input crosses");
                    unreachable_boundary += 1;
                    continue;
                };
                assert!(res.success(), "{trial} {norm:?}: {:?}", res.stop);
                if norm == Norm::L2 {
                    let (n, n_opt) = (res.size.r_l2, opt.dot(&opt).sqrt());
                    assert!(n >= n_opt * (1.0 - 1e-9), "{trial}: {n} < {n_opt}");
                    assert!(n <= 1.02 * n_opt * (1.0 + 1e-9), "{trial}: {n} vs {n_opt}");
                    let free = deepfool(&net, x.view(), &DeepFoolOptions::default());
                    if free.iterations == 1
                        && (&x + &Array1::from(free.perturbation.clone()))
                            .iter()
                            .all(|v| (0.0..=1.0).contains(v))
                    {
                        inside += 1;
                        // To the rounding of P(x + r) - x on entries below 1 (2^-52).
                        for (a, e) in res.perturbation.iter().zip(&free.perturbation) {
                            assert!((a - e).abs() <= 4e-16, "{trial}: {a} vs {e}");
                        }
                    } else {
                        clipped += 1;
                    }
                }
            }
        }
        // Both cases were exercised.
        assert!(
            clipped >= 5 && inside >= 5,
            "clipped {clipped}, inside {inside}"
        );
        println!(
            "bounded affine DeepFool: {clipped} l2 runs clipped, {inside} inside the box, \
             {unreachable_boundary} of 80 with no valid input across"
        );
    }
}
