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

pub mod page;

use crate::attacks::fgsm::fgsm_flip_eps;
use crate::attacks::Bounds;
use crate::classifier::Classifier;
use crate::data::images::{mixed_order, ImageDataset, ImageSet};
use crate::data::resample::resample;
use crate::job::Job;
use crate::nn::io::{push_f64, read_header, take_f64, write_weights};
use crate::nn::layers::Layer;
use crate::nn::loss::softmax_cross_entropy;
use crate::nn::network::EVAL_CHUNK;
use crate::nn::{Activation, Network, Optimizer, OptimizerKind};
use crate::params::{Field, Kind, ParamError, Params};
use crate::rng::{Rng, SplitMix64};
use ndarray::{Array1, Array2, ArrayView1};
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
    /// The same with the image kept in [0, 1] (each step clipped, as a valid image must be):
    /// no smaller for a linear classifier, since clipping only takes away from the step.
    pub mean_fgsm_eps_box: f64,
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

/// The four classifiers of one training setting (data set, training images, epochs, seed),
/// as `barriers-lab dimension --save` writes them: the page and the command line use them
/// instead of training when the state asks for that setting (`www/models/dimension-DATA.bld`
/// holds the defaults), and retraining gives them bit for bit (a test).
///
/// File: the line `barriers-lab-dimension 1`, one line of JSON (the setting, the sides and
/// the command that made it), then for each side in [`SIDES`] the weights W (10 x d, row
/// by row) and the biases b (10) of its classifier as little-endian f64: the exact values,
/// so that a shipped classifier and a retrained one give the same numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct DimensionModels {
    pub data: ImageDataset,
    pub train: usize,
    pub epochs: usize,
    pub seed: u32,
    /// One affine classifier per side of [`SIDES`].
    pub nets: Vec<Network>,
}

const MODELS_MAGIC: &str = "barriers-lab-dimension 1\n";

#[derive(Serialize, Deserialize)]
struct ModelsHeader {
    data: ImageDataset,
    train: usize,
    epochs: usize,
    seed: u32,
    sides: Vec<usize>,
    #[serde(default)]
    command: String,
}

impl DimensionModels {
    /// The shipped file's name for a data set, e.g. `dimension-mnist.bld` (in `www/models/`).
    pub fn file_name(data: ImageDataset) -> String {
        format!("dimension-{}.bld", data.name())
    }

    /// Whether these are the classifiers the state `p` trains (eps and n only change what
    /// is measured with them).
    pub fn matches(&self, p: &DimensionParams) -> bool {
        (self.data, self.train, self.epochs, self.seed) == (p.data, p.train, p.epochs, p.seed)
    }

    pub fn to_bytes(&self, command: &str) -> Vec<u8> {
        let header = ModelsHeader {
            data: self.data,
            train: self.train,
            epochs: self.epochs,
            seed: self.seed,
            sides: SIDES.to_vec(),
            command: command.to_owned(),
        };
        let mut out = write_weights(MODELS_MAGIC, &header, &[]);
        for net in &self.nets {
            for s in net.param_slices() {
                push_f64(&mut out, s);
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        const WHAT: &str = "dimension classifiers file";
        let (h, mut data): (ModelsHeader, _) = read_header(bytes, MODELS_MAGIC, WHAT)?;
        if h.sides != SIDES {
            return Err(format!(
                "the {WHAT} is for the sides {:?}, not {SIDES:?}",
                h.sides
            ));
        }
        let mut nets = Vec::new();
        for side in SIDES {
            let d = side * side;
            let (w, rest) = take_f64(data, 10 * d, WHAT)?;
            let (b, rest) = take_f64(rest, 10, WHAT)?;
            data = rest;
            let w = Array2::from_shape_vec((10, d), w).map_err(|e| e.to_string())?;
            nets.push(Network::affine(w, Array1::from(b)));
        }
        if !data.is_empty() {
            return Err(format!("the {WHAT} has {} bytes too many", data.len()));
        }
        Ok(Self {
            data: h.data,
            train: h.train,
            epochs: h.epochs,
            seed: h.seed,
            nets,
        })
    }
}

/// Trains (or takes from [`DimensionModels`]) and measures one linear classifier per image
/// side, one step at a time: an epoch of training, or the measurement of [`EVAL_CHUNK`] test
/// images. The data are not copied: every step is given the 28 x 28 splits.
pub struct DimensionJob {
    params: DimensionParams,
    /// The training images used, as indices into the training split (the first `train` in
    /// the fixed mixed order).
    train_idx: Vec<usize>,
    /// Classifiers to use instead of training, one per side.
    given: Option<Vec<Network>>,
    /// Index into SIDES of the size being worked on.
    size: usize,
    epoch: usize,
    net: Option<Network>,
    opt: Optimizer,
    rng: Rng,
    /// Test images measured so far at this size (a position in the fixed mixed order).
    measured: usize,
    correct: usize,
    row: DimensionRow,
    /// Rows of the sizes measured so far.
    pub rows: Vec<DimensionRow>,
    /// The classifiers of the sizes done so far.
    pub nets: Vec<Network>,
}

impl DimensionJob {
    /// The experiment of `params`; with `models` that match it ([`DimensionModels::matches`]),
    /// their classifiers are measured without training.
    pub fn new(params: DimensionParams, models: Option<&DimensionModels>) -> Self {
        let n_train = params.data.count() - params.data.count() / 5;
        let train_idx: Vec<usize> = mixed_order(n_train)
            .into_iter()
            .take(params.train)
            .collect();
        Self {
            train_idx,
            given: models
                .filter(|m| m.matches(&params))
                .map(|m| m.nets.clone()),
            size: 0,
            epoch: 0,
            net: None,
            opt: Optimizer::new(OptimizerKind::Adam, 3e-3),
            rng: Rng::new(SplitMix64::new(params.seed as u64).next_u64()),
            measured: 0,
            correct: 0,
            row: DimensionRow::default(),
            params,
            rows: Vec::new(),
            nets: Vec::new(),
        }
    }

    /// Whether the classifiers are given (shipped) rather than trained.
    pub fn uses_given(&self) -> bool {
        self.given.is_some()
    }

    /// Whether the job trains, so that its steps need the training split.
    pub fn trains(&self) -> bool {
        self.given.is_none()
    }

    /// The rows of `set` at `rows`, resampled to side x side.
    fn resampled(set: &ImageSet, rows: &[usize], side: usize) -> Array2<f64> {
        let src = set.side();
        let mut out = Array2::zeros((rows.len(), side * side));
        for (o, &i) in rows.iter().enumerate() {
            out.row_mut(o)
                .assign(&resample(set.images.row(i), src, side));
        }
        out
    }

    /// The rows measured so far, read at the step `eps` (eps is not part of the experiment:
    /// it only scales eps ||w'||_1).
    pub fn readout(&self, eps: f64) -> DimensionReadout<'_> {
        DimensionReadout {
            eps,
            rows: self
                .rows
                .iter()
                .map(|row| RowAtEps {
                    row,
                    score_change_at_eps: eps * row.mean_w_l1,
                })
                .collect(),
            sides: SIDES,
            shipped: self.uses_given(),
        }
    }

    /// The classifiers of a finished job, as a [`DimensionModels`] for its setting.
    pub fn models(&self) -> Option<DimensionModels> {
        self.done().then(|| DimensionModels {
            data: self.params.data,
            train: self.params.train,
            epochs: self.params.epochs,
            seed: self.params.seed,
            nets: self.nets.clone(),
        })
    }
}

/// A row of [`DimensionRow`] with eps ||w'||_1 at a step eps: the largest change of the
/// linear score a step of eps per pixel makes (on average over the images).
#[derive(Clone, Debug, Serialize)]
pub struct RowAtEps<'a> {
    #[serde(flatten)]
    pub row: &'a DimensionRow,
    pub score_change_at_eps: f64,
}

/// The rows measured so far at a step eps, the sides compared, and whether the classifiers
/// were the shipped ones.
#[derive(Clone, Debug, Serialize)]
pub struct DimensionReadout<'a> {
    pub eps: f64,
    pub rows: Vec<RowAtEps<'a>>,
    pub sides: [usize; 4],
    pub shipped: bool,
}

impl Job for DimensionJob {
    /// The 28 x 28 training split (None when the job does not train, see
    /// [`DimensionJob::trains`]) and test split, the same at every step.
    type Input<'a> = (Option<&'a ImageSet>, &'a ImageSet);
    type Output<'a> = DimensionReadout<'a>;

    fn done(&self) -> bool {
        self.size >= SIDES.len()
    }

    /// Units of work done and in all: each size is `epochs` epochs (none when the
    /// classifiers are given) plus one unit per [`EVAL_CHUNK`] test images measured.
    fn progress(&self) -> (usize, usize) {
        let epochs = if self.given.is_some() {
            0
        } else {
            self.params.epochs
        };
        let chunks = (self.params.data.count() / 5).div_ceil(EVAL_CHUNK);
        let per = epochs + chunks;
        let now = if self.done() {
            0
        } else {
            self.epoch + self.measured.div_ceil(EVAL_CHUNK)
        };
        (self.size * per + now, SIDES.len() * per)
    }

    /// One epoch of training at the current size, or the measurement of the next test images
    /// once trained. `train` and `test` are the 28 x 28 splits, the same at every step (`train`
    /// may be None when the job does not train, see [`DimensionJob::trains`]).
    fn step(&mut self, (train, test): (Option<&ImageSet>, &ImageSet)) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let side = SIDES[self.size];
        let d = side * side;
        if self.net.is_none() {
            self.opt = Optimizer::new(OptimizerKind::Adam, 3e-3);
            self.net = Some(match &self.given {
                Some(nets) => nets[self.size].clone(),
                None => Network::mlp(
                    &[d, 10],
                    Activation::Relu,
                    &mut Rng::new(
                        SplitMix64::new(((self.params.seed as u64) << 8) | side as u64).next_u64(),
                    ),
                ),
            });
        }
        let net = self.net.as_mut().expect("made above");
        if self.given.is_none() && self.epoch < self.params.epochs {
            let train = train.ok_or("the classifiers are trained on the training images")?;
            let mut order: Vec<usize> = (0..self.train_idx.len()).collect();
            self.rng.shuffle(&mut order);
            self.opt.lr = 3e-3 * 0.5f64.powf(self.epoch as f64 / 8.0);
            for batch in order.chunks(64) {
                let rows: Vec<usize> = batch.iter().map(|&i| self.train_idx[i]).collect();
                let xb = Self::resampled(train, &rows, side);
                let yb: Vec<usize> = rows.iter().map(|&i| train.labels[i]).collect();
                let fw = net.forward(xb.view());
                let (_, g, _) = softmax_cross_entropy(fw.logits().view(), &yb);
                let grad = net.weight_gradient(&fw, g.view());
                self.opt.step(&mut net.param_slices_mut(), &grad.slices());
            }
            self.epoch += 1;
            return Ok(());
        }
        // Measure the next test images (in the fixed mixed order): accuracy on all of them,
        // eps* and the FGSM flip on the first n it classifies correctly.
        let order = mixed_order(test.len());
        let end = (self.measured + EVAL_CHUNK).min(order.len());
        let idx = &order[self.measured..end];
        let x = Self::resampled(test, idx, side);
        let logits = net.logits_batch(x.view());
        let Layer::Dense(layer) = &net.layers[0] else {
            unreachable!("a linear classifier has one affine layer")
        };
        let row = &mut self.row;
        for (j, &i) in idx.iter().enumerate() {
            if crate::nn::loss::argmax(logits.row(j)) != test.labels[i] {
                continue;
            }
            self.correct += 1;
            if row.images >= self.params.n {
                continue;
            }
            let xi = x.row(j);
            let (e, l1, margin) = eps_star(&layer.w, layer.b.view(), xi);
            // Unbounded, as the closed form eps* it is compared with; and within [0, 1].
            let flip = |bounds| {
                fgsm_flip_eps(net, xi, test.labels[i], 1.0, bounds).map_or(f64::NAN, |f| f.alpha)
            };
            let (fgsm, fgsm_box) = (flip(Bounds::None), flip(Bounds::Pixels));
            row.images += 1;
            let k = row.images as f64;
            row.mean_eps_star += (e - row.mean_eps_star) / k;
            row.mean_fgsm_eps += (fgsm - row.mean_fgsm_eps) / k;
            row.mean_fgsm_eps_box += (fgsm_box - row.mean_fgsm_eps_box) / k;
            row.mean_w_l1 += (l1 - row.mean_w_l1) / k;
            row.mean_margin += (margin - row.mean_margin) / k;
        }
        self.measured = end;
        if self.measured < order.len() {
            return Ok(());
        }
        let mut row = std::mem::take(&mut self.row);
        row.side = side;
        row.d = d;
        row.test_accuracy = self.correct as f64 / order.len() as f64;
        row.mean_abs_w = row.mean_w_l1 / d as f64;
        debug_assert!(net.n_classes() == 10);
        self.rows.push(row);
        self.nets.push(self.net.take().expect("trained above"));
        self.epoch = 0;
        self.measured = 0;
        self.correct = 0;
        self.size += 1;
        Ok(())
    }

    /// The rows so far, at the state's eps.
    fn result(&self) -> DimensionReadout<'_> {
        self.readout(self.params.eps)
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
        // FGSM's flipping step is never below eps*, and with the box (x is in [0, 1]) not
        // below the unbounded one: clipping only takes from the step (to the line search's
        // relative tolerance, 1e-3, on each).
        assert!(!fgsm(&net, x.view(), k0, e * 0.999, Bounds::None).flipped);
        let free = fgsm_flip_eps(&net, x.view(), k0, 1.0, Bounds::None)
            .unwrap()
            .alpha;
        let boxed = fgsm_flip_eps(&net, x.view(), k0, 1.0, Bounds::Pixels)
            .unwrap()
            .alpha;
        assert!(boxed >= free * (1.0 - 2e-3), "{boxed} < {free}");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod shipped_tests {
    use super::*;
    use crate::data::images::{load, shipped_data_dir, split};

    fn shipped(data: ImageDataset) -> DimensionModels {
        let path = shipped_data_dir()
            .parent()
            .unwrap()
            .join("models")
            .join(DimensionModels::file_name(data));
        DimensionModels::from_bytes(&std::fs::read(path).unwrap()).unwrap()
    }

    fn run(p: &DimensionParams, models: Option<&DimensionModels>) -> DimensionJob {
        let (train, test) = split(&load(p.data, &shipped_data_dir()).unwrap());
        let mut job = DimensionJob::new(p.clone(), models);
        while !job.done() {
            // Measuring given classifiers needs no training images.
            job.step((job.trains().then_some(&train), &test)).unwrap();
        }
        job
    }

    /// The shipped classifiers are what training gives, bit for bit (the default setting for
    /// MNIST; for Fashion-MNIST, which has 800 training images, all of them), and measuring
    /// them gives the same rows as measuring the freshly trained ones. The files were made on
    /// x86-64 with FMA and AVX2, where matrixmultiply uses its FMA kernel; a CPU without them
    /// may differ in the last bits.
    #[test]
    fn retraining_gives_the_shipped_classifiers_bit_for_bit() {
        for (data, train) in [(ImageDataset::Mnist, 4000), (ImageDataset::Fashion, 800)] {
            let p = DimensionParams {
                data,
                train,
                ..Default::default()
            };
            let file = shipped(data);
            assert!(
                file.matches(&p),
                "{data:?}: the file is for another setting"
            );
            let trained = run(&p, None);
            assert!(!trained.uses_given());
            let models = trained.models().unwrap();
            for (a, b) in models.nets.iter().zip(&file.nets) {
                for (x, y) in a.param_slices().iter().zip(b.param_slices()) {
                    assert!(
                        x.iter()
                            .zip(y.iter())
                            .all(|(u, v)| u.to_bits() == v.to_bits()),
                        "{data:?}: a weight differs"
                    );
                }
            }
            // Measuring them is the same code either way: checked on the smaller set.
            if data == ImageDataset::Fashion {
                let given = run(&p, Some(&file));
                assert!(given.uses_given());
                assert_eq!(
                    serde_json::to_string(&given.rows).unwrap(),
                    serde_json::to_string(&trained.rows).unwrap()
                );
            }
            // Another setting (here n) still uses them; another seed trains.
            assert!(
                DimensionJob::new(DimensionParams { n: 50, ..p.clone() }, Some(&file)).uses_given()
            );
            assert!(!DimensionJob::new(DimensionParams { seed: 2, ..p }, Some(&file)).uses_given());
        }
    }

    #[test]
    fn classifier_files_round_trip_and_bad_ones_are_refused() {
        let file = shipped(ImageDataset::Fashion);
        let bytes = file.to_bytes("test");
        assert_eq!(DimensionModels::from_bytes(&bytes).unwrap(), file);
        let e = |b: &[u8]| DimensionModels::from_bytes(b).unwrap_err();
        assert!(e(b"hello").contains("not a Barriers Lab dimension classifiers file"));
        assert!(e(&bytes[..bytes.len() - 3]).contains("ends early"));
        let mut long = bytes.clone();
        long.push(0);
        assert!(e(&long).contains("too many"));
        let text = String::from_utf8_lossy(&bytes).replacen("[8,14,28,56]", "[8,14,28,57]", 1);
        assert!(e(text.as_bytes()).contains("sides"));
    }

    /// The rows come one size at a time, with progress that only grows, and a job measured
    /// The shipped MNIST classifiers at the default setting: at every size FGSM's flipping
    /// step with the image kept in [0, 1] is no smaller than without (means over 200 digits;
    /// measured 0.068, 0.077, 0.066, 0.037 against 0.053, 0.054, 0.042, 0.023 for 8² to 56²).
    #[test]
    fn the_box_makes_fgsm_need_more() {
        let p = DimensionParams::default();
        let job = run(&p, Some(&shipped(p.data)));
        assert_eq!(job.rows.len(), 4);
        for r in &job.rows {
            assert!(r.mean_fgsm_eps_box.is_finite(), "{r:?}");
            assert!(r.mean_fgsm_eps_box >= r.mean_fgsm_eps, "{r:?}");
            assert!(r.mean_fgsm_eps >= r.mean_eps_star * (1.0 - 2e-3), "{r:?}");
        }
    }

    /// from given classifiers reports no training epochs.
    #[test]
    fn rows_arrive_size_by_size() {
        let p = DimensionParams {
            data: ImageDataset::Fashion,
            train: 200,
            n: 20,
            epochs: 2,
            ..Default::default()
        };
        let (train, test) = split(&load(p.data, &shipped_data_dir()).unwrap());
        let mut job = DimensionJob::new(p, None);
        let (mut last, total) = job.progress();
        assert_eq!(total, 4 * (2 + 200usize.div_ceil(EVAL_CHUNK)));
        let mut rows_seen = vec![];
        while !job.done() {
            job.step((Some(&train), &test)).unwrap();
            let (d, t) = job.progress();
            assert!(d > last && t == total, "{d} after {last}");
            last = d;
            rows_seen.push(job.rows.len());
        }
        assert_eq!(last, total);
        assert_eq!(rows_seen.iter().filter(|&&r| r == 1).count(), 2 + 4);
        let given = DimensionJob::new(
            DimensionParams {
                train: 200,
                n: 20,
                epochs: 2,
                data: ImageDataset::Fashion,
                ..Default::default()
            },
            job.models().as_ref(),
        );
        assert_eq!(given.progress().1, 4 * 200usize.div_ceil(EVAL_CHUNK));
    }
}
