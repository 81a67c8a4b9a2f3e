//! False structures (Thesing, Antun and Hansen, "What do AI algorithms actually learn? On
//! false structures in deep learning", arXiv:1906.01478, 2019, section 4 and its code,
//! github.com/vegarant/false_structures, folder `stripe`).
//!
//! ### The images
//!
//! An image is n x n = 32 x 32 pixels with one stripe w = 3 pixels wide, horizontal (rows
//! p, p + 1, p + 2) or vertical (columns p, p + 1, p + 2), p in 0..=n - w (30 positions). On
//! a background of constant value s a (s = -1 or +1), the stripe adds 1:
//!
//!   x[i, j] = s a + 1   on the stripe,   x[i, j] = s a   elsewhere.
//!
//! So "stripe 1 - a" of the paper is the stripe's value on the background -a (the stripe is
//! 1 above its background): the authors' data loader documents "Horizontal line images:
//! background colour -a, stripe colour 1-a; vertical line images: background colour a,
//! stripe colour 1+a", and builds the images as a constant +-a plus 1 on the stripe.
//!
//! - **Label backgrounds** (the paper's training set): the sign is tied to the label,
//!   s = -1 for horizontal stripes, s = +1 for vertical ones.
//! - **Random backgrounds** (the control): the sign is independent of the label. Within each
//!   class, half the positions get s = +1 and half s = -1, the halves chosen by a seeded
//!   shuffle, so that in the training set the sign carries no information on the label at
//!   all (its correlation with the label is exactly 0).
//!
//! The training set is every position of both orientations once, 2 (n - w + 1) = 60 images
//! at the given a (the paper's a = 0.01). The test set is fresh: each image draws its
//! orientation (1/2 each), its position (uniform on the 30) and its own a uniform on
//! [a / 10, a] (the authors' `a_low_test = 0.001` at a = 0.01), with the background sign
//! tied to the label. The **false set** is the same images with the background sign swapped,
//! s -> -s (the stripe, its position and a unchanged): horizontal stripes on +a, vertical
//! ones on -a. A network that has learned the stripe gets both sets right; one that has
//! learned the sign of the background (the false structure: the mean of the pixels, above or
//! below w / n) gets the false set wrong.
//!
//! ### Two training sets: the paper's text and the authors' code
//!
//! The paper describes a training set of horizontal and vertical stripes
//! ([`TrainingStripes::Oriented`]). The authors' public code (`stripe/Data_loader.py`,
//! `_generate_all_combinations_of_stripe_images`, read at commit f455808) builds its
//! training images with `data_hor[i, i+lidx, :] += 1` and `data_ver[i, i+lidx, :] += 1`:
//! both classes get their stripe on *rows*, so its "vertical" training images are
//! horizontal stripes on +a, while its test loader draws genuine vertical stripes
//! (`data[i, :, stripe_idx[i]+lidx] += 1`). On that set ([`TrainingStripes::Rows`]) the
//! background's sign is the only thing that tells the classes apart (with random
//! backgrounds, nothing does). Both are built here, a [`Stripe`] carrying its label
//! (`orientation`) apart from the way it is drawn (`drawn`); test and false sets always draw
//! the stripe as its label says. What each gives is measured in `demos::stripes`.
//!
//! ### The network
//!
//! The paper's network (`conv3_net`): a 5 x 5 convolution with 24 channels, ReLU, 2 x 2 max
//! pooling, a 5 x 5 convolution with 48 channels, ReLU, 2 x 2 max pooling, a dense layer of
//! 10 without a non-linearity, and the output, trained by Adam on the full batch of 60 (the
//! authors' `models/run_010/config.ini`: 10 epochs, start_lr 9e-5 with a staircase decay,
//! float64, a sigmoid cross-entropy on one logit). Here the
//! output is two logits with the softmax cross-entropy (for two classes the same model:
//! softmax(f)_1 = sigmoid(f_1 - f_0)), so that the lab's DeepFool and attacks apply as they
//! are. [`NetShape`] sets the channels and width; the demo's choice and its timing are in
//! `demos::stripes`.
//!
//! ### DeepFool
//!
//! The lab's [`crate::attacks::deepfool`] (l2, overshoot eta) on the first correctly
//! classified test images: ||r||_2 / ||x||_2 for each, and its mean. A network that reads the
//! background's sign is flipped by r close to a constant shift of the background,
//! ||r|| ~ a n, about 3 % of ||x|| ~ sqrt(w n); one that reads the stripe needs far more.

use crate::attacks::deepfool::{deepfool, DeepFoolOptions, DeepFoolResult};
use crate::classifier::Classifier;
use crate::nn::layers::Shape;
use crate::nn::loss::{argmax, softmax};
use crate::nn::network::LayerSpec;
use crate::nn::train::{evaluate, train_epoch, EpochStats};
use crate::nn::{Activation, Network, Optimizer, OptimizerKind};
use crate::rng::Rng;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// The image side n.
pub const SIZE: usize = 32;
/// The number of pixels n^2.
pub const PIXELS: usize = SIZE * SIZE;
/// The stripe's width w.
pub const WIDTH: usize = 3;
/// The stripe's positions per orientation, n - w + 1.
pub const POSITIONS: usize = SIZE - WIDTH + 1;
/// The paper's a.
pub const PAPER_A: f64 = 0.01;
/// The test set's a is uniform on [TEST_A_LOW a, a] (the authors' 0.001 at a = 0.01).
pub const TEST_A_LOW: f64 = 0.1;

/// A stripe's orientation, which is its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    /// Class 0.
    Horizontal,
    /// Class 1.
    Vertical,
}

impl Orientation {
    pub const ALL: [Orientation; 2] = [Orientation::Horizontal, Orientation::Vertical];
    /// The class names, by class index.
    pub const NAMES: [&'static str; 2] = ["horizontal", "vertical"];

    /// The class index: 0 horizontal, 1 vertical.
    pub fn class(self) -> usize {
        match self {
            Orientation::Horizontal => 0,
            Orientation::Vertical => 1,
        }
    }

    pub fn from_class(c: usize) -> Option<Self> {
        Self::ALL.get(c).copied()
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self.class()]
    }

    /// The background's sign on the paper's training images: -1 horizontal, +1 vertical.
    pub fn label_sign(self) -> f64 {
        match self {
            Orientation::Horizontal => -1.0,
            Orientation::Vertical => 1.0,
        }
    }
}

/// How the training images' background sign is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Background {
    /// Tied to the label (the paper's): -a under horizontal stripes, +a under vertical ones.
    Label,
    /// Independent of the label: half of each class on -a, half on +a (seeded).
    Random,
}

impl Background {
    pub const NAMES: &'static [&'static str] = &["label", "random"];
    pub const LABELS: &'static [&'static str] = &[
        "tied to the label (−a horizontal, +a vertical)",
        "random (independent of the label)",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Background::Label => "label",
            Background::Random => "random",
        }
    }
}

/// How the training images' stripes are drawn (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingStripes {
    /// As the paper describes: each stripe along its label's orientation.
    Oriented,
    /// As the authors' code builds them: every training stripe along rows, whatever its label.
    Rows,
}

impl TrainingStripes {
    pub const NAMES: &'static [&'static str] = &["oriented", "rows"];
    pub const LABELS: &'static [&'static str] = &[
        "horizontal and vertical (the paper's text)",
        "all along rows (the authors' code)",
    ];

    pub fn name(self) -> &'static str {
        match self {
            TrainingStripes::Oriented => "oriented",
            TrainingStripes::Rows => "rows",
        }
    }
}

/// One image: a stripe at `position` on a background of `sign * a`, the stripe 1 above it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stripe {
    /// The label.
    pub orientation: Orientation,
    /// The way the stripe is drawn: the label's orientation, except in the training set of
    /// [`TrainingStripes::Rows`], where it is always horizontal.
    pub drawn: Orientation,
    /// The first row (horizontal) or column (vertical) of the stripe, 0..[`POSITIONS`].
    pub position: usize,
    pub a: f64,
    /// The background's sign, -1 or +1.
    pub sign: f64,
}

impl Stripe {
    /// The stripe on the background the paper's training set gives its class.
    pub fn on_label_background(orientation: Orientation, position: usize, a: f64) -> Self {
        Self {
            orientation,
            drawn: orientation,
            position,
            a,
            sign: orientation.label_sign(),
        }
    }

    /// The same stripe with the background's sign swapped.
    pub fn swapped(&self) -> Self {
        Self {
            sign: -self.sign,
            ..*self
        }
    }

    /// The background's value s a.
    pub fn background(&self) -> f64 {
        self.sign * self.a
    }

    /// Whether pixel (row i, column j) is on the stripe.
    pub fn covers(&self, i: usize, j: usize) -> bool {
        let k = match self.drawn {
            Orientation::Horizontal => i,
            Orientation::Vertical => j,
        };
        (self.position..self.position + WIDTH).contains(&k)
    }

    /// Writes the image into `out` (row-major, n^2 values): s a, plus 1 on the stripe.
    pub fn write(&self, out: &mut [f64]) {
        assert_eq!(out.len(), PIXELS, "an image has {PIXELS} pixels");
        assert!(self.position < POSITIONS, "the stripe must fit the image");
        let bg = self.background();
        for i in 0..SIZE {
            for j in 0..SIZE {
                out[i * SIZE + j] = if self.covers(i, j) { bg + 1.0 } else { bg };
            }
        }
    }

    /// The image as a vector of n^2 pixels.
    pub fn pixels(&self) -> Vec<f64> {
        let mut v = vec![0.0; PIXELS];
        self.write(&mut v);
        v
    }
}

/// Images (one per row), their classes and how each was made.
#[derive(Clone, Debug, PartialEq)]
pub struct StripeSet {
    pub images: Array2<f64>,
    pub labels: Vec<usize>,
    pub stripes: Vec<Stripe>,
}

impl StripeSet {
    pub fn from_stripes(stripes: Vec<Stripe>) -> Self {
        let mut images = Array2::zeros((stripes.len(), PIXELS));
        for (mut row, s) in images.rows_mut().into_iter().zip(&stripes) {
            s.write(row.as_slice_mut().expect("a new array is contiguous"));
        }
        let labels = stripes.iter().map(|s| s.orientation.class()).collect();
        Self {
            images,
            labels,
            stripes,
        }
    }

    pub fn len(&self) -> usize {
        self.stripes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stripes.is_empty()
    }

    /// The same images with every background's sign swapped (the false set of a test set).
    pub fn swapped(&self) -> Self {
        Self::from_stripes(self.stripes.iter().map(Stripe::swapped).collect())
    }
}

/// A generator for one purpose of one seed: the training signs, the test set and the
/// network's initialisation draw from separate streams, so that changing one leaves the
/// others as they were.
pub fn stream(seed: u64, purpose: u64) -> Rng {
    Rng::new(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Streams of [`stream`].
pub const STREAM_SIGNS: u64 = 1;
pub const STREAM_TEST: u64 = 2;
pub const STREAM_INIT: u64 = 3;
pub const STREAM_SHUFFLE: u64 = 4;

/// The training set: every position of both labels once (30 horizontal, then 30 vertical,
/// in order of position) at the given a, with the backgrounds of `background` (for
/// [`Background::Random`], half of each class on each sign, from the seed's stream), the
/// stripes drawn as `drawing` says.
pub fn training_set(
    a: f64,
    background: Background,
    drawing: TrainingStripes,
    seed: u64,
) -> StripeSet {
    let mut rng = stream(seed, STREAM_SIGNS);
    let mut stripes = Vec::with_capacity(2 * POSITIONS);
    for o in Orientation::ALL {
        let signs: Vec<f64> = match background {
            Background::Label => vec![o.label_sign(); POSITIONS],
            Background::Random => {
                let mut s: Vec<f64> = (0..POSITIONS)
                    .map(|p| if p < POSITIONS / 2 { -1.0 } else { 1.0 })
                    .collect();
                rng.shuffle(&mut s);
                s
            }
        };
        for (position, sign) in signs.into_iter().enumerate() {
            stripes.push(Stripe {
                orientation: o,
                drawn: match drawing {
                    TrainingStripes::Oriented => o,
                    TrainingStripes::Rows => Orientation::Horizontal,
                },
                position,
                a,
                sign,
            });
        }
    }
    StripeSet::from_stripes(stripes)
}

/// The fresh test set: `n` images, each with its orientation (1/2 each), its position
/// (uniform) and its a (uniform on [TEST_A_LOW a, a]) drawn from the seed's test stream, on
/// the background its label gives it. Its [`StripeSet::swapped`] is the false set.
pub fn test_set(a: f64, n: usize, seed: u64) -> StripeSet {
    let mut rng = stream(seed, STREAM_TEST);
    let stripes = (0..n)
        .map(|_| {
            let o = Orientation::ALL[rng.below(2)];
            let position = rng.below(POSITIONS);
            let ai = rng.uniform_in(TEST_A_LOW * a, a);
            Stripe::on_label_background(o, position, ai)
        })
        .collect();
    StripeSet::from_stripes(stripes)
}

/// The network's channels and width: conv 5x5 (1 -> c1), ReLU, pool, conv 5x5 (c1 -> c2),
/// ReLU, pool, dense (c2 (n/4)^2 -> hidden), dense (hidden -> 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NetShape {
    pub c1: usize,
    pub c2: usize,
    pub hidden: usize,
}

impl NetShape {
    /// The paper's: 24 and 48 channels, 10 hidden units.
    pub const PAPER: NetShape = NetShape {
        c1: 24,
        c2: 48,
        hidden: 10,
    };

    /// The layers.
    pub fn spec(&self) -> Vec<LayerSpec> {
        let q = SIZE / 4;
        vec![
            LayerSpec::Conv {
                c_in: 1,
                c_out: self.c1,
                k: 5,
            },
            LayerSpec::Act(Activation::Relu),
            LayerSpec::MaxPool,
            LayerSpec::Conv {
                c_in: self.c1,
                c_out: self.c2,
                k: 5,
            },
            LayerSpec::Act(Activation::Relu),
            LayerSpec::MaxPool,
            LayerSpec::Dense {
                inputs: self.c2 * q * q,
                outputs: self.hidden,
            },
            LayerSpec::Dense {
                inputs: self.hidden,
                outputs: 2,
            },
        ]
    }

    /// A freshly initialised network (He before ReLU, LeCun otherwise, zero biases).
    pub fn network(&self, rng: &mut Rng) -> Network {
        Network::from_spec(Shape::new(1, SIZE, SIZE), &self.spec(), rng)
            .expect("the layers fit a 32 x 32 image")
    }
}

/// How the network is trained: Adam at `learning_rate` for `epochs` passes over the training
/// set in batches of `batch` (60: the full batch, as the authors), seeded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrainSettings {
    pub net: NetShape,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// A network in training on a training set, an epoch at a time.
#[derive(Clone, Debug)]
pub struct Trainer {
    pub net: Network,
    pub settings: TrainSettings,
    pub set: StripeSet,
    opt: Optimizer,
    rng: Rng,
    /// Each finished epoch's mean loss and accuracy (as its batches were seen).
    pub curve: Vec<EpochStats>,
}

impl Trainer {
    pub fn new(set: StripeSet, settings: TrainSettings) -> Self {
        let net = settings
            .net
            .network(&mut stream(settings.seed, STREAM_INIT));
        Self {
            net,
            set,
            opt: Optimizer::new(OptimizerKind::Adam, settings.learning_rate),
            rng: stream(settings.seed, STREAM_SHUFFLE),
            curve: Vec::new(),
            settings,
        }
    }

    pub fn epochs_done(&self) -> usize {
        self.curve.len()
    }

    pub fn done(&self) -> bool {
        self.epochs_done() >= self.settings.epochs
    }

    /// One more epoch (nothing once done).
    pub fn step(&mut self) -> Option<EpochStats> {
        if self.done() {
            return None;
        }
        let s = train_epoch(
            &mut self.net,
            &mut self.opt,
            &mut self.rng,
            self.set.images.view(),
            &self.set.labels,
            self.settings.batch.max(1),
        );
        self.curve.push(s);
        Some(s)
    }

    /// Every remaining epoch.
    pub fn run(&mut self) {
        while self.step().is_some() {}
    }
}

/// Loss and accuracy of `net` on a set (the accuracy a fraction in [0, 1]).
pub fn score(net: &Network, set: &StripeSet) -> EpochStats {
    evaluate(net, set.images.view(), &set.labels)
}

/// The accuracy on each class's images of `set`: [horizontal, vertical] (NaN for a class
/// with no image). On a false set it tells the stripes a network was trained on from those
/// it never saw, when the training set is the authors' ([`TrainingStripes::Rows`]).
pub fn accuracy_by_class(net: &Network, set: &StripeSet) -> [f64; 2] {
    let mut right = [0usize; 2];
    let mut count = [0usize; 2];
    let logits = net.logits_batch(set.images.view());
    for (row, &label) in logits.rows().into_iter().zip(&set.labels) {
        count[label] += 1;
        if argmax(row) == label {
            right[label] += 1;
        }
    }
    [0, 1].map(|c| right[c] as f64 / count[c] as f64)
}

/// The class and the two class probabilities of one image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub class: usize,
    /// "horizontal" or "vertical".
    pub name: &'static str,
    /// softmax of the logits: [P(horizontal), P(vertical)].
    pub probabilities: [f64; 2],
    pub logits: [f64; 2],
}

/// Checks an image given from outside (a drawing): n^2 finite values.
pub fn check_image(x: &[f64]) -> Result<(), String> {
    if x.len() != PIXELS {
        return Err(format!(
            "an image has {SIZE} x {SIZE} = {PIXELS} pixels, got {}",
            x.len()
        ));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "pixel {i} (row {}, column {}) is not a finite number",
            i / SIZE,
            i % SIZE
        ));
    }
    Ok(())
}

/// Classifies one image (checked by [`check_image`]).
pub fn classify(net: &Network, x: &[f64]) -> Result<Classification, String> {
    check_image(x)?;
    let f = net.logits(ArrayView1::from(x));
    let p = softmax(f.view());
    let class = argmax(f.view());
    Ok(Classification {
        class,
        name: Orientation::NAMES[class],
        probabilities: [p[0], p[1]],
        logits: [f[0], f[1]],
    })
}

/// DeepFool on one image (checked by [`check_image`]).
pub fn fool(net: &Network, x: &[f64], opts: &DeepFoolOptions) -> Result<DeepFoolResult, String> {
    check_image(x)?;
    Ok(deepfool(net, ArrayView1::from(x), opts))
}

/// DeepFool on the first `count` test images the network classifies correctly.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoolSummary {
    /// The test images attacked (indices into the test set).
    pub attacked: Vec<usize>,
    /// ||r||_2 / ||x||_2 of each (its perturbation flipped the label or not).
    pub r_over_x: Vec<f64>,
    /// Whether each one's label flipped.
    pub flipped: Vec<bool>,
    /// The mean of `r_over_x` over the flipped ones (NaN if none flipped).
    pub mean_r_over_x: f64,
    /// How many flipped.
    pub flipped_count: usize,
}

/// The indices of the first `count` images of `set` that `net` classifies correctly.
pub fn correct_indices(net: &Network, set: &StripeSet, count: usize) -> Vec<usize> {
    let labels = net.labels(set.images.view());
    labels
        .iter()
        .zip(&set.labels)
        .enumerate()
        .filter(|(_, (p, y))| p == y)
        .map(|(i, _)| i)
        .take(count)
        .collect()
}

/// Runs DeepFool on the given images of a set.
pub fn fool_all(
    net: &Network,
    images: ArrayView2<f64>,
    which: &[usize],
    opts: &DeepFoolOptions,
) -> FoolSummary {
    let results: Vec<DeepFoolResult> = which
        .iter()
        .map(|&i| deepfool(net, images.index_axis(Axis(0), i), opts))
        .collect();
    summarise(which.to_vec(), &results)
}

/// The summary of DeepFool's results on the images `attacked`.
pub fn summarise(attacked: Vec<usize>, results: &[DeepFoolResult]) -> FoolSummary {
    let r_over_x: Vec<f64> = results.iter().map(|r| r.size.r_over_x).collect();
    let flipped: Vec<bool> = results.iter().map(|r| r.success()).collect();
    let ok: Vec<f64> = r_over_x
        .iter()
        .zip(&flipped)
        .filter(|(_, &f)| f)
        .map(|(&v, _)| v)
        .collect();
    FoolSummary {
        attacked,
        mean_r_over_x: if ok.is_empty() {
            f64::NAN
        } else {
            ok.iter().sum::<f64>() / ok.len() as f64
        },
        flipped_count: ok.len(),
        r_over_x,
        flipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The pixel values as documented: s a off the stripe, s a + 1 on its three rows (or
    /// columns), checked pixel by pixel against the paper's four values -a, 1 - a, a, 1 + a.
    #[test]
    fn pixels_are_the_papers_values() {
        let a = 0.01;
        let h = Stripe::on_label_background(Orientation::Horizontal, 5, a).pixels();
        let v = Stripe::on_label_background(Orientation::Vertical, 29, a).pixels();
        for i in 0..SIZE {
            for j in 0..SIZE {
                let on_h = (5..8).contains(&i);
                assert_eq!(
                    h[i * SIZE + j],
                    if on_h { 1.0 - a } else { -a },
                    "({i}, {j})"
                );
                let on_v = (29..32).contains(&j);
                assert_eq!(
                    v[i * SIZE + j],
                    if on_v { 1.0 + a } else { a },
                    "({i}, {j})"
                );
            }
        }
        // The sums the false structure reads: w n -+ a n^2, to the rounding of 1,024
        // additions of partial sums below 130 (1024 * 130 * 2^-53 < 1.5e-11).
        let sum = |x: &[f64]| x.iter().sum::<f64>();
        assert!((sum(&h) - (96.0 - 1024.0 * a)).abs() < 1.5e-11);
        assert!((sum(&v) - (96.0 + 1024.0 * a)).abs() < 1.5e-11);
    }

    /// 60 distinct images, each orientation at each of the 30 positions once, with the label
    /// of its orientation; label backgrounds follow the label; random ones put 15 of each
    /// class on each sign, and differ between seeds.
    #[test]
    fn the_training_set_covers_every_position_once() {
        let a = 0.01;
        for bg in [Background::Label, Background::Random] {
            let set = training_set(a, bg, TrainingStripes::Oriented, 7);
            assert_eq!(set.len(), 2 * POSITIONS);
            assert_eq!(set.images.dim(), (60, PIXELS));
            let cells: HashSet<(usize, usize)> = set
                .stripes
                .iter()
                .map(|s| (s.orientation.class(), s.position))
                .collect();
            assert_eq!(cells.len(), 60);
            let distinct: HashSet<Vec<u64>> = set
                .images
                .rows()
                .into_iter()
                .map(|r| r.iter().map(|v| v.to_bits()).collect())
                .collect();
            assert_eq!(distinct.len(), 60);
            for (k, s) in set.stripes.iter().enumerate() {
                assert_eq!(set.labels[k], s.orientation.class());
                assert_eq!(s.a, a);
                assert_eq!(set.images.row(k).to_vec(), s.pixels());
                if bg == Background::Label {
                    assert_eq!(s.sign, s.orientation.label_sign());
                }
            }
            if bg == Background::Random {
                for o in Orientation::ALL {
                    let plus = set
                        .stripes
                        .iter()
                        .filter(|s| s.orientation == o && s.sign > 0.0)
                        .count();
                    assert_eq!(plus, POSITIONS / 2, "{o:?}");
                }
                assert_ne!(set, training_set(a, bg, TrainingStripes::Oriented, 8));
                assert_eq!(set, training_set(a, bg, TrainingStripes::Oriented, 7));
            }
        }
    }

    /// The authors' training set: every stripe along rows, so that each vertical-labelled
    /// image is the horizontal one at its position shifted by 2a on every pixel: the
    /// background's sign is the only difference between the classes.
    #[test]
    fn the_authors_set_differs_only_in_the_background() {
        let a = 0.01;
        let set = training_set(a, Background::Label, TrainingStripes::Rows, 7);
        assert_eq!(set.len(), 2 * POSITIONS);
        for p in 0..POSITIONS {
            let (h, v) = (set.images.row(p), set.images.row(POSITIONS + p));
            assert_eq!((set.labels[p], set.labels[POSITIONS + p]), (0, 1));
            assert_eq!(set.stripes[POSITIONS + p].drawn, Orientation::Horizontal);
            for (i, (x, y)) in h.iter().zip(v).enumerate() {
                let on = (p..p + WIDTH).contains(&(i / SIZE));
                assert_eq!(*x, if on { 1.0 - a } else { -a }, "{p}, {i}");
                assert!((y - x - 2.0 * a).abs() < 1e-15, "{p}, {i}");
            }
        }
        // The paper's set draws the vertical class along columns.
        let paper = training_set(a, Background::Label, TrainingStripes::Oriented, 7);
        assert_eq!(paper.stripes[POSITIONS].drawn, Orientation::Vertical);
        assert_eq!(paper.images.row(0), set.images.row(0));
        assert_ne!(paper.images.row(POSITIONS), set.images.row(POSITIONS));
    }

    /// The test set: labels from the stripes, a within [a / 10, a], backgrounds tied to the
    /// label; the false set is the same images with the background's sign swapped: the
    /// difference is -2 s a on every pixel.
    #[test]
    fn the_false_set_swaps_the_backgrounds() {
        let a = 0.02;
        let test = test_set(a, 100, 3);
        let false_set = test.swapped();
        assert_eq!(test, test_set(a, 100, 3));
        assert_eq!(test.labels, false_set.labels);
        let horizontal = test.labels.iter().filter(|&&c| c == 0).count();
        assert!((30..=70).contains(&horizontal), "{horizontal}");
        for (k, (s, f)) in test.stripes.iter().zip(&false_set.stripes).enumerate() {
            assert!((0.1 * a..a).contains(&s.a), "{s:?}");
            assert_eq!(s.sign, s.orientation.label_sign());
            assert_eq!(
                (f.orientation, f.position, f.a),
                (s.orientation, s.position, s.a)
            );
            assert_eq!(f.sign, -s.sign);
            for (x, y) in test.images.row(k).iter().zip(false_set.images.row(k)) {
                assert!((y - x + 2.0 * s.sign * s.a).abs() < 1e-15);
            }
        }
    }

    /// The accuracy by class counts what [`classify`] says image by image, and its classes'
    /// weighted mean is [`score`]'s accuracy.
    #[test]
    fn accuracy_by_class_counts_each_class() {
        let net = NetShape {
            c1: 2,
            c2: 2,
            hidden: 3,
        }
        .network(&mut Rng::new(5));
        let set = test_set(0.05, 40, 9).swapped();
        let mut right = [0.0; 2];
        let mut count = [0.0; 2];
        for (k, &c) in set.labels.iter().enumerate() {
            let x = set.images.row(k).to_vec();
            count[c] += 1.0;
            if classify(&net, &x).unwrap().class == c {
                right[c] += 1.0;
            }
        }
        let by = accuracy_by_class(&net, &set);
        assert_eq!(by, [right[0] / count[0], right[1] / count[1]]);
        let mean = (by[0] * count[0] + by[1] * count[1]) / 40.0;
        assert!((mean - score(&net, &set).accuracy).abs() < 1e-15);
    }

    /// Drawn images are checked: 1,024 finite values, or an error naming the problem.
    #[test]
    fn drawn_images_are_checked() {
        let net = NetShape {
            c1: 2,
            c2: 2,
            hidden: 3,
        }
        .network(&mut Rng::new(1));
        assert!(classify(&net, &[0.0; 10]).unwrap_err().contains("1024"));
        let mut x = Stripe::on_label_background(Orientation::Vertical, 3, 0.01).pixels();
        let c = classify(&net, &x).unwrap();
        assert!((c.probabilities[0] + c.probabilities[1] - 1.0).abs() < 1e-12);
        assert_eq!(c.class, usize::from(c.logits[1] > c.logits[0]));
        x[40] = f64::NAN;
        assert!(classify(&net, &x).unwrap_err().contains("pixel 40"));
        x[40] = f64::INFINITY;
        assert!(fool(&net, &x, &DeepFoolOptions::default()).is_err());
    }
}
