//! Demo 4: why adversarial examples exist, Goodfellow's linear argument in high dimension
//! (Goodfellow, Shlens and Szegedy, arXiv:1412.6572, section 3).
//!
//! For a linear score f(x) = w.x + b and a perturbation with ||dx||_inf <= eps, the largest
//! change of the score is eps ||w||_1, reached at dx = eps sign(w). With d inputs,
//! ||w||_1 ~ d mean|w|, so the change can grow with d while each pixel moves by eps only.
//! For a multiclass affine classifier with label k0 the smallest flipping l-inf perturbation
//! is exactly
//!
//!   eps* = min_{l != k0} |f_l(x) - f_k0(x)| / ||w_l - w_k0||_1,
//!
//! because the set where k0 wins is an intersection of half-spaces. The demo resamples the
//! same digits to d = 8^2, 14^2, 28^2 and 56^2 pixels (area averaging down, bilinear up),
//! trains a softmax-linear classifier at each d, and reports eps* and the smallest FGSM step
//! that flips the label, averaged over test images each classifier gets right.

use crate::attacks::fgsm::fgsm_flip_eps;
use crate::classifier::Classifier;
use crate::data::images::{mixed_order, ImageDataset, ImageSet};
use crate::data::resample::resample;
use crate::nn::layers::Layer;
use crate::nn::loss::softmax_cross_entropy;
use crate::nn::{Activation, Network, Optimizer, OptimizerKind};
use crate::params::{Field, Kind, ParamError, Params};
use crate::rng::{Rng, SplitMix64};
use ndarray::{Array2, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

/// The image sides compared.
pub const SIDES: [usize; 4] = [8, 14, 28, 56];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionParams {
    pub data: ImageDataset,
    /// Training images for each linear classifier.
    pub train: usize,
    /// Correctly classified test images the averages run over.
    pub n: usize,
    pub epochs: usize,
    /// The l-inf step whose effect on the score is shown.
    pub eps: f64,
    pub seed: u32,
}

impl Default for DimensionParams {
    fn default() -> Self {
        Self {
            data: ImageDataset::Mnist,
            train: 4000,
            n: 200,
            epochs: 10,
            eps: 0.02,
            seed: 1,
        }
    }
}

impl Params for DimensionParams {
    const SCHEMA: &'static [Field] = &[
        Field {
            key: "data",
            label: "Data set",
            unit: "",
            help: "MNIST digits or Fashion-MNIST (28 x 28 originals).",
            kind: Kind::Choice(&["mnist", "fashion"], &["MNIST digits", "Fashion-MNIST"]),
        },
        Field {
            key: "train",
            label: "Training images",
            unit: "",
            help: "Images each linear classifier is trained on.",
            kind: Kind::Int {
                min: 100,
                max: 8000,
            },
        },
        Field {
            key: "n",
            label: "Test images",
            unit: "",
            help: "Correctly classified test images the averages run over.",
            kind: Kind::Int { min: 10, max: 2000 },
        },
        Field {
            key: "epochs",
            label: "Epochs",
            unit: "",
            help: "Training epochs of each linear classifier (Adam).",
            kind: Kind::Int { min: 1, max: 50 },
        },
        Field {
            key: "eps",
            label: "ε, the step per pixel",
            unit: "pixel values, ℓ∞",
            help: "A step of this size changes the score by at most eps ||w||_1.",
            kind: Kind::Float {
                min: 0.0,
                max: 0.3,
                step: 0.001,
                log: false,
            },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "Initial weights and batch order.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
    ];

    fn check(&self) -> Result<(), ParamError> {
        let (train, test) = (
            self.data.count() - self.data.count() / 5,
            self.data.count() / 5,
        );
        if self.train > train {
            return Err(ParamError::new(
                Some("train"),
                format!(
                    "{} has {train} training images, got {}",
                    self.data.name(),
                    self.train
                ),
            ));
        }
        if self.n > test {
            return Err(ParamError::new(
                Some("n"),
                format!(
                    "{} has {test} test images, got {}",
                    self.data.name(),
                    self.n
                ),
            ));
        }
        Ok(())
    }
}

/// What one image size gives.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DimensionRow {
    pub side: usize,
    pub d: usize,
    pub test_accuracy: f64,
    /// Mean over the test images of eps*, the exact smallest flipping l-inf step.
    pub mean_eps_star: f64,
    /// Mean smallest flipping FGSM step (line search; at least eps*).
    pub mean_fgsm_eps: f64,
    /// Mean ||w_l - w_k0||_1 for the class l attaining eps*: the score change per unit eps.
    pub mean_w_l1: f64,
    /// Mean margin |f_l - f_k0| for that class.
    pub mean_margin: f64,
    /// Mean |w| over the weight differences above (||w||_1 / d).
    pub mean_abs_w: f64,
    pub images: usize,
}

/// For an affine classifier: eps* and, for the class attaining it, ||w_l - w_k0||_1 and the
/// margin.
pub fn eps_star(w: &Array2<f64>, b: ArrayView1<f64>, x: ArrayView1<f64>) -> (f64, f64, f64) {
    let f = w.dot(&x) + b;
    let k0 = crate::nn::loss::argmax(f.view());
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for l in (0..f.len()).filter(|&l| l != k0) {
        let l1: f64 = w
            .row(l)
            .iter()
            .zip(w.row(k0).iter())
            .map(|(a, c)| (a - c).abs())
            .sum();
        let margin = (f[l] - f[k0]).abs();
        if l1 > 0.0 && margin / l1 < best.0 {
            best = (margin / l1, l1, margin);
        }
    }
    best
}

/// Trains and measures one linear classifier per image side, one step at a time.
pub struct DimensionJob {
    params: DimensionParams,
    train: ImageSet,
    test: ImageSet,
    /// Index into SIDES of the size being worked on.
    size: usize,
    epoch: usize,
    net: Option<Network>,
    opt: Optimizer,
    rng: Rng,
    pub rows: Vec<DimensionRow>,
}

impl DimensionJob {
    /// `train` and `test` are the 28 x 28 splits.
    pub fn new(params: DimensionParams, train: &ImageSet, test: &ImageSet) -> Self {
        let idx: Vec<usize> = mixed_order(train.len())
            .into_iter()
            .take(params.train)
            .collect();
        Self {
            train: train.select(&idx),
            test: test.clone(),
            size: 0,
            epoch: 0,
            net: None,
            opt: Optimizer::new(OptimizerKind::Adam, 3e-3),
            rng: Rng::new(SplitMix64::new(params.seed as u64).next_u64()),
            params,
            rows: Vec::new(),
        }
    }

    pub fn done(&self) -> bool {
        self.size >= SIDES.len()
    }

    /// Units of work done and in all: each size is `epochs` epochs plus one evaluation.
    pub fn progress(&self) -> (usize, usize) {
        let per = self.params.epochs + 1;
        (self.size * per + self.epoch, SIDES.len() * per)
    }

    fn resampled(set: &ImageSet, rows: &[usize], side: usize) -> Array2<f64> {
        let src = set.side();
        let mut out = Array2::zeros((rows.len(), side * side));
        for (o, &i) in rows.iter().enumerate() {
            out.row_mut(o)
                .assign(&resample(set.images.row(i), src, side));
        }
        out
    }

    /// One epoch of training at the current size, or its evaluation once trained.
    pub fn step(&mut self) {
        if self.done() {
            return;
        }
        let side = SIDES[self.size];
        let d = side * side;
        let net = self.net.get_or_insert_with(|| {
            self.opt = Optimizer::new(OptimizerKind::Adam, 3e-3);
            Network::mlp(
                &[d, 10],
                Activation::Relu,
                &mut Rng::new(
                    SplitMix64::new(((self.params.seed as u64) << 8) | side as u64).next_u64(),
                ),
            )
        });
        if self.epoch < self.params.epochs {
            let mut order: Vec<usize> = (0..self.train.len()).collect();
            self.rng.shuffle(&mut order);
            self.opt.lr = 3e-3 * 0.5f64.powf(self.epoch as f64 / 8.0);
            for batch in order.chunks(64) {
                let xb = Self::resampled(&self.train, batch, side);
                let yb: Vec<usize> = batch.iter().map(|&i| self.train.labels[i]).collect();
                let fw = net.forward(xb.view());
                let (_, g, _) = softmax_cross_entropy(fw.logits().view(), &yb);
                let grad = net
                    .backward(&fw, g.view(), true)
                    .0
                    .expect("weights asked for");
                self.opt.step(&mut net.param_slices_mut(), &grad.slices());
            }
            self.epoch += 1;
            return;
        }
        // Evaluate: accuracy on all test images, eps* and the FGSM flip on the first n correct.
        let all: Vec<usize> = mixed_order(self.test.len());
        let x = Self::resampled(&self.test, &all, side);
        let logits = net.logits_batch(x.view());
        let predicted: Vec<usize> = logits
            .axis_iter(Axis(0))
            .map(|r| crate::nn::loss::argmax(r))
            .collect();
        let correct: Vec<usize> = (0..all.len())
            .filter(|&j| predicted[j] == self.test.labels[all[j]])
            .collect();
        let Layer::Dense(layer) = &net.layers[0] else {
            unreachable!("a linear classifier has one affine layer")
        };
        let mut row = DimensionRow {
            side,
            d,
            test_accuracy: correct.len() as f64 / all.len() as f64,
            ..Default::default()
        };
        for &j in correct.iter().take(self.params.n) {
            let xi = x.row(j);
            let (e, l1, margin) = eps_star(&layer.w, layer.b.view(), xi);
            let fgsm =
                fgsm_flip_eps(net, xi, self.test.labels[all[j]], 1.0).map_or(f64::NAN, |f| f.alpha);
            row.images += 1;
            let k = row.images as f64;
            row.mean_eps_star += (e - row.mean_eps_star) / k;
            row.mean_fgsm_eps += (fgsm - row.mean_fgsm_eps) / k;
            row.mean_w_l1 += (l1 - row.mean_w_l1) / k;
            row.mean_margin += (margin - row.mean_margin) / k;
        }
        row.mean_abs_w = row.mean_w_l1 / d as f64;
        debug_assert!(net.n_classes() == 10);
        self.rows.push(row);
        self.net = None;
        self.epoch = 0;
        self.size += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attacks::fgsm::fgsm;
    use ndarray::array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// eps* is exact: a step just beyond it along -sign(w_l - w_k0) flips the label, and no
    /// l-inf step just below it can (checked at the corners of the box, where a linear score
    /// attains its extremes).
    #[test]
    fn eps_star_is_the_smallest_flipping_linf_step() {
        let w = array![[1.0, -2.0, 0.5], [0.0, 1.0, -1.0], [-0.5, 0.2, 2.0]];
        let b = array![0.1, -0.2, 0.0];
        let x = array![0.6, 0.1, 0.2];
        let net = Network::affine(w.clone(), b.clone());
        let k0 = net.label(x.view());
        let (e, _, _) = eps_star(&w, b.view(), x.view());
        let mut flipped_above = false;
        for corner in 0..8 {
            let s = array![
                if corner & 1 == 0 { -1.0 } else { 1.0 },
                if corner & 2 == 0 { -1.0 } else { 1.0 },
                if corner & 4 == 0 { -1.0 } else { 1.0 }
            ];
            assert_eq!(
                net.label((&x + &(&s * (e * 0.999))).view()),
                k0,
                "a step below eps* flipped"
            );
            flipped_above |= net.label((&x + &(&s * (e * 1.001))).view()) != k0;
        }
        assert!(flipped_above);
        // FGSM's flipping step is never below eps*.
        assert!(!fgsm(&net, x.view(), k0, e * 0.999).flipped);
    }
}
