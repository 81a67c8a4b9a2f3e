//! Demo 2: adversarial examples on real images, the lecture's three attacks and FGSM.
//!
//! A test image (or a digit drawn by the student), a trained classifier (softmax-linear, MLP
//! or CNN), and an attack on its logits: random noise with a line search, the lecture's fast
//! gradient (at a small random s_0, then the line search), FGSM with a given eps, and DeepFool
//! in l2 or l-inf. Each reports ||r||_2 / ||x||_2, ||r||_inf, the new label and its
//! confidence, as science.md asks. The ratio table repeats the first three over many test
//! images: random needs far more than fast gradient, which needs far more than DeepFool (the
//! lecture's 1.47, 0.34 and 0.0052 on ImageNet).

pub mod page;

use crate::attacks::deepfool::DeepFoolOptions;
use crate::attacks::deepfool::{MAX_ITER_FIELD, OVERSHOOT_FIELD};
use crate::attacks::fgsm::fgsm;
use crate::attacks::{AttackRequest, Bounds, Norm, PerturbationSize, BOUNDS_FIELD};
use crate::classifier::Classifier;
use crate::data::drawing;
use crate::data::images::{mixed_order, ImageDataset, ImageSet};
use crate::job::{Job, Parts, Slots};
use crate::models::{ImageModel, DATA_FIELD, MODEL_FIELD};
use crate::nn::loss::softmax;
use crate::nn::Network;
use crate::params::{Field, Kind, ParamError, Params};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

pub use crate::attacks::{attack_rng, AttackKind};

/// The number of test images of each data set under the fixed split (one in five).
pub fn test_count(data: ImageDataset) -> usize {
    data.count() / 5
}

/// The attack demo's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttackParams {
    pub data: ImageDataset,
    pub model: ImageModel,
    /// Which test image (ignored while a drawing is given).
    pub index: usize,
    /// A drawn image, packed (see [`crate::data::drawing`]); empty for none.
    pub drawing: String,
    pub attack: AttackKind,
    pub eps: f64,
    pub seed: u32,
    pub overshoot: f64,
    pub max_iter: usize,
    /// Images in the ratio table.
    pub n: usize,
    /// Whether every attack keeps the image in [0, 1].
    pub bounds: Bounds,
}

impl Default for AttackParams {
    fn default() -> Self {
        Self {
            data: ImageDataset::Mnist,
            model: ImageModel::Mlp,
            index: 0,
            drawing: String::new(),
            attack: AttackKind::DEEPFOOL,
            eps: 0.1,
            seed: 1,
            overshoot: 0.02,
            max_iter: 50,
            n: 100,
            bounds: Bounds::Pixels,
        }
    }
}

impl Params for AttackParams {
    const SCHEMA: &'static [Field] = &[
        DATA_FIELD,
        MODEL_FIELD,
        Field {
            key: "index",
            label: "Test image",
            unit: "",
            help: "Which held-out test image to attack.",
            kind: Kind::Int { min: 0, max: 1999 },
        },
        Field {
            key: "drawing",
            label: "Drawing",
            unit: "",
            help: "A digit drawn on the pad (packed); empty for a test image.",
            kind: Kind::Token { max_len: 600 },
        },
        Field {
            key: "attack",
            label: "Attack",
            unit: "",
            help: "Random noise, the fast gradient, FGSM, or DeepFool (l2 or l-infinity).",
            kind: Kind::Choice(AttackKind::NAMES, AttackKind::LABELS),
        },
        Field {
            key: "eps",
            label: "FGSM ε",
            unit: "pixel values (0 to 1), ℓ∞",
            help: "Size of the FGSM step.",
            kind: Kind::Float {
                min: 0.0,
                max: 1.0,
                step: 0.001,
                log: false,
            },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "The random direction (random noise) and s_0 (fast gradient).",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        OVERSHOOT_FIELD,
        MAX_ITER_FIELD,
        Field {
            key: "n",
            label: "Images in the table",
            unit: "",
            help: "How many correctly classified test images the ratio table averages over.",
            kind: Kind::Int { min: 1, max: 2000 },
        },
        BOUNDS_FIELD,
    ];

    fn check(&self) -> Result<(), ParamError> {
        let count = test_count(self.data);
        if self.index >= count {
            return Err(ParamError::new(
                Some("index"),
                format!(
                    "{} has {count} test images (0 to {}), got {}",
                    self.data.name(),
                    count - 1,
                    self.index
                ),
            ));
        }
        if !self.drawing.is_empty() {
            drawing::unpack(&self.drawing, self.data.side())
                .map_err(|e| ParamError::new(Some("drawing"), e))?;
        }
        Ok(())
    }
}

impl AttackParams {
    /// The image attacked: the drawing if there is one, else the test image; with its true
    /// label if known.
    pub fn input(&self, test: &ImageSet) -> Result<(Array1<f64>, Option<usize>), String> {
        if !self.drawing.is_empty() {
            return Ok((drawing::unpack(&self.drawing, self.data.side())?, None));
        }
        if self.index >= test.len() {
            return Err(format!(
                "test image {} does not exist ({} test images)",
                self.index,
                test.len()
            ));
        }
        Ok((
            test.images.row(self.index).to_owned(),
            Some(test.labels[self.index]),
        ))
    }

    pub fn deepfool_options(&self, norm: Norm) -> DeepFoolOptions {
        DeepFoolOptions {
            norm,
            overshoot: self.overshoot,
            max_iter: self.max_iter,
            bounds: self.bounds,
            ..Default::default()
        }
    }
}

/// What one attack did to one image.
#[derive(Clone, Debug, Serialize)]
pub struct AttackOutcome {
    pub attack: AttackKind,
    pub label: usize,
    pub adv_label: usize,
    pub success: bool,
    /// Probability of `label` before the attack, and of `adv_label` after.
    pub confidence_before: f64,
    pub confidence_after: f64,
    /// The three most likely classes with their probabilities, before and after.
    pub top3_before: Vec<(usize, f64)>,
    pub top3_after: Vec<(usize, f64)>,
    #[serde(flatten)]
    pub size: PerturbationSize,
    /// The range of x + r, the input that was classified (in [0, 1] with the box).
    pub adv_min: f64,
    pub adv_max: f64,
    /// DeepFool's steps; the line search's classifier evaluations; 1 for FGSM.
    pub iterations: usize,
    /// What `iterations` counts, in the readout's words ("Iterations", "Evaluations", ...).
    pub counts: &'static str,
    pub perturbation: Vec<f64>,
    pub adversarial: Vec<f64>,
    /// DeepFool's iterates x_1, ..., x_n (without the overshoot), for the strip of steps.
    pub steps: Vec<Vec<f64>>,
    /// FGSM only: the smallest eps (to 1e-3 relative) that changes the label, if one up to 1 does.
    pub flip_eps: Option<f64>,
}

fn top3(p: &Array1<f64>) -> Vec<(usize, f64)> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    idx.into_iter().take(3).map(|i| (i, p[i])).collect()
}

/// Runs `kind` on x. FGSM ascends the loss of `true_label` if known, else of the predicted
/// label.
pub fn run_attack(
    net: &Network,
    x: ArrayView1<f64>,
    true_label: Option<usize>,
    kind: AttackKind,
    p: &AttackParams,
    image_id: usize,
) -> AttackOutcome {
    let found = kind.run(&AttackRequest {
        net,
        x,
        true_label,
        eps: p.eps,
        deepfool: p.deepfool_options(Norm::L2),
        bounds: p.bounds,
        seed: p.seed,
        image_id,
    });
    outcome(
        net,
        x,
        kind,
        found.perturbation,
        found.iterations,
        found.steps,
        found.flip_eps,
    )
}

/// The label FGSM ascends the loss of: the true one if known, else the predicted one.
fn fgsm_target(net: &Network, x: ArrayView1<f64>, true_label: Option<usize>) -> usize {
    true_label.unwrap_or_else(|| net.label(x))
}

/// FGSM's step of size `eps` on x, reported with its flipping eps (found beforehand: it does
/// not depend on `eps`).
fn fgsm_outcome(
    net: &Network,
    x: ArrayView1<f64>,
    true_label: Option<usize>,
    eps: f64,
    bounds: Bounds,
    flip_eps: Option<f64>,
) -> AttackOutcome {
    let target = fgsm_target(net, x, true_label);
    let r = Array1::from(fgsm(net, x, target, eps, bounds).perturbation);
    outcome(net, x, AttackKind::FGSM, r, 1, Vec::new(), flip_eps)
}

/// What the perturbation r does to x.
fn outcome(
    net: &Network,
    x: ArrayView1<f64>,
    kind: AttackKind,
    r: Array1<f64>,
    iterations: usize,
    steps: Vec<Vec<f64>>,
    flip_eps: Option<f64>,
) -> AttackOutcome {
    let before = softmax(net.logits(x).view());
    let label = net.label(x);
    let adv = &x + &r;
    let after = softmax(net.logits(adv.view()).view());
    let adv_label = net.label(adv.view());
    AttackOutcome {
        attack: kind,
        label,
        adv_label,
        success: adv_label != label,
        confidence_before: before[label],
        confidence_after: after[adv_label],
        top3_before: top3(&before),
        top3_after: top3(&after),
        size: PerturbationSize::of(x, r.view()),
        adv_min: adv.fold(f64::INFINITY, |m, &v| m.min(v)),
        adv_max: adv.fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
        iterations,
        counts: kind.attack().counts,
        perturbation: r.to_vec(),
        adversarial: adv.to_vec(),
        steps,
        flip_eps,
    }
}

/// The five attacks on one image, kept between changes of state: a change of eps (the FGSM
/// slider) or of the attack shown recomputes only FGSM's step, since nothing else depends on
/// them (FGSM's flipping eps included), so the slider answers at once even on the CNN.
#[derive(Clone)]
pub struct AttackRun {
    /// The state the outcomes belong to, with eps, the attack shown and the ratio table's n
    /// set to fixed values.
    key: AttackParams,
    eps: f64,
    outcomes: Vec<AttackOutcome>,
}

impl AttackRun {
    fn key(p: &AttackParams) -> AttackParams {
        AttackParams {
            eps: 0.0,
            attack: AttackKind::DEEPFOOL,
            n: 1,
            ..p.clone()
        }
    }

    /// Runs every attack of [`crate::attacks::ATTACKS`] on x (the state's image, `p.input`), with
    /// `p.index` fixing the random streams as in [`run_attack`].
    pub fn new(
        net: &Network,
        x: ArrayView1<f64>,
        true_label: Option<usize>,
        p: &AttackParams,
    ) -> Self {
        Self {
            key: Self::key(p),
            eps: p.eps,
            outcomes: AttackKind::all()
                .map(|k| run_attack(net, x, true_label, k, p, p.index))
                .collect(),
        }
    }

    /// Brings the outcomes up to the state `p` for the same network and the same image
    /// (`x` and `true_label` from `p.input`): nothing if only the attack shown or n changed,
    /// FGSM's step if eps changed too, all five attacks otherwise. The outcomes are exactly
    /// those of [`AttackRun::new`] at `p`.
    pub fn update(
        &mut self,
        net: &Network,
        x: ArrayView1<f64>,
        true_label: Option<usize>,
        p: &AttackParams,
    ) {
        if Self::key(p) != self.key {
            *self = Self::new(net, x, true_label, p);
        } else if p.eps.to_bits() != self.eps.to_bits() {
            let fgsm = &mut self.outcomes[AttackKind::FGSM.index()];
            *fgsm = fgsm_outcome(net, x, true_label, p.eps, p.bounds, fgsm.flip_eps);
            self.eps = p.eps;
        }
    }

    /// Every attack's outcome, in the order of [`crate::attacks::ATTACKS`].
    pub fn outcomes(&self) -> &[AttackOutcome] {
        &self.outcomes
    }

    pub fn outcome(&self, kind: AttackKind) -> &AttackOutcome {
        &self.outcomes[kind.index()]
    }
}

/// One row of the ratio table: an attack's mean perturbation size over the images it was
/// run on, where it succeeded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RatioRow {
    pub attack: String,
    /// Mean ||r||_2 / ||x||_2 over the successful attacks.
    pub mean_r_over_x: f64,
    /// Mean ||r||_inf over the successful attacks.
    pub mean_r_linf: f64,
    pub successes: usize,
    pub images: usize,
}

/// The ratio table as a job that can be stepped a few images at a time: random, fast
/// gradient and DeepFool (l2) on the first `n` test images the network classifies correctly,
/// in the fixed mixed order of [`mixed_order`] (so every class is represented). Each image is
/// a part ([`Parts`]) another worker may attack ([`ratio_numbers`]); the rows are running means
/// taken in the images' order, so a pool gives one worker's table bit for bit.
pub struct RatioJob {
    net: Network,
    params: AttackParams,
    /// (test index, image) of the images to attack, in order.
    images: Vec<(usize, Array1<f64>)>,
    /// Each image's [`ratio_numbers`], computed here or by another worker.
    slots: Slots<Vec<f64>>,
}

const RATIO_ATTACKS: [AttackKind; 3] = [
    AttackKind::RANDOM,
    AttackKind::FASTGRAD,
    AttackKind::DEEPFOOL,
];

/// The ratio table's three attacks on test image `index` (`x`): per attack [1 if it succeeded
/// else 0, ||r||_2 / ||x||_2, ||r||_inf], nine numbers.
pub fn ratio_numbers(
    net: &Network,
    x: ArrayView1<f64>,
    params: &AttackParams,
    index: usize,
) -> Vec<f64> {
    RATIO_ATTACKS
        .iter()
        .flat_map(|&kind| {
            let o = run_attack(net, x, None, kind, params, index);
            [
                if o.success { 1.0 } else { 0.0 },
                o.size.r_over_x,
                o.size.r_linf,
            ]
        })
        .collect()
}

impl RatioJob {
    pub fn new(net: Network, test: &ImageSet, params: AttackParams) -> Self {
        let predicted = crate::attacks::universal::labels(&net, test.images.view());
        let images: Vec<(usize, Array1<f64>)> = mixed_order(test.len())
            .into_iter()
            .filter(|&i| predicted[i] == test.labels[i])
            .take(params.n)
            .map(|i| (i, test.images.row(i).to_owned()))
            .collect();
        Self {
            net,
            params,
            slots: Slots::new(images.len()),
            images,
        }
    }

    /// The test index of part `part`'s image.
    pub fn test_index(&self, part: usize) -> Option<usize> {
        self.images.get(part).map(|(i, _)| *i)
    }

    /// The rows so far: running means over the successes, image by image in order.
    pub fn rows(&self) -> [RatioRow; 3] {
        let mut rows = RATIO_ATTACKS.map(|k| RatioRow {
            attack: k.name().to_owned(),
            ..Default::default()
        });
        for numbers in self.slots.values() {
            for (row, o) in rows.iter_mut().zip(numbers.chunks_exact(3)) {
                row.images += 1;
                if o[0] == 1.0 {
                    row.successes += 1;
                    let k = row.successes as f64;
                    row.mean_r_over_x += (o[1] - row.mean_r_over_x) / k;
                    row.mean_r_linf += (o[2] - row.mean_r_linf) / k;
                }
            }
        }
        rows
    }
}

/// The ratio table so far: the images attacked and a row per attack.
#[derive(Clone, Debug, Serialize)]
pub struct RatioTable {
    pub done: usize,
    pub rows: [RatioRow; 3],
}

impl Job for RatioJob {
    /// How many more images a step may attack.
    type Input<'a> = usize;
    type Output<'a> = RatioTable;

    /// Attacks up to `budget` more images (not handed out) with all three attacks.
    fn step(&mut self, budget: usize) -> Result<(), String> {
        for _ in 0..budget {
            let Some(part) = self.slots.start_here() else {
                break;
            };
            let (i, x) = &self.images[part];
            let numbers = ratio_numbers(&self.net, x.view(), &self.params, *i);
            self.slots.finish(part, numbers)?;
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.slots.all_done()
    }

    /// Images attacked, of the `n` correctly classified ones (fewer if the network gets fewer
    /// right).
    fn progress(&self) -> (usize, usize) {
        (self.slots.count_done(), self.slots.len())
    }

    fn result(&self) -> RatioTable {
        RatioTable {
            done: self.progress().0,
            rows: self.rows(),
        }
    }
}

/// A part is an image: its numbers are [`ratio_numbers`]'s nine.
impl Parts for RatioJob {
    fn hand_out(&mut self) -> Option<usize> {
        self.slots.hand_out()
    }

    fn take_back(&mut self, part: usize) {
        self.slots.take_back(part);
    }

    fn put_part(&mut self, part: usize, numbers: &[f64]) -> Result<(), String> {
        if numbers.len() != 3 * RATIO_ATTACKS.len() {
            return Err(format!(
                "an image of the ratio table has {} numbers, not {}",
                3 * RATIO_ATTACKS.len(),
                numbers.len()
            ));
        }
        self.slots.finish(part, numbers.to_vec())
    }

    fn waiting(&self) -> bool {
        self.slots.waiting()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::*;
    use crate::attacks::deepfool::deepfool;
    use crate::data::images::{load, shipped_data_dir, split};
    use crate::job::run_to_end;
    use crate::models::model_file_name;
    use crate::nn::io::from_bytes;
    use crate::params::{from_query, to_query};
    use crate::render::images::grey_rgba;

    pub(crate) fn shipped(data: ImageDataset, model: ImageModel) -> Network {
        let path = shipped_data_dir()
            .parent()
            .unwrap()
            .join("models")
            .join(model_file_name(data, model));
        from_bytes(&std::fs::read(&path).unwrap()).unwrap().0
    }

    #[test]
    fn state_round_trips_and_bad_values_are_named() {
        let p = AttackParams {
            index: 17,
            attack: AttackKind::DEEPFOOL_LINF,
            eps: 0.125,
            ..Default::default()
        };
        assert_eq!(from_query::<AttackParams>(&to_query(&p)).unwrap(), p);
        let e = |q: &str| from_query::<AttackParams>(q).unwrap_err().to_string();
        assert_eq!(
            e("data=fashion&index=500"),
            "index: fashion has 200 test images (0 to 199), got 500"
        );
        assert!(e("drawing=AAAA").starts_with("drawing: a 28 x 28 drawing packs into 392 bytes"));
        assert!(e("drawing=<script>").starts_with("drawing: expected text of letters"));
        assert!(e("attack=pgd").starts_with(
            "attack: expected one of random, fastgrad, fgsm, deepfool, deepfool-linf"
        ));
    }

    /// Moving the FGSM slider recomputes only FGSM's step, and gives exactly what running
    /// every attack afresh gives; another image or seed reruns them all.
    #[test]
    fn an_attack_run_follows_eps_with_the_same_outcomes() {
        let set = load(ImageDataset::Digits, &shipped_data_dir()).unwrap();
        let (_, test) = split(&set);
        let net = shipped(ImageDataset::Digits, ImageModel::Cnn);
        let json = |o: &AttackOutcome| serde_json::to_string(o).unwrap();
        let mut p = AttackParams {
            data: ImageDataset::Digits,
            model: ImageModel::Cnn,
            index: 7,
            ..Default::default()
        };
        let (x, y) = p.input(&test).unwrap();
        let mut run = AttackRun::new(&net, x.view(), y, &p);
        for (eps, attack, seed, index) in [
            (0.05, AttackKind::FGSM, 1, 7),
            (0.3, AttackKind::RANDOM, 1, 7),
            (0.3, AttackKind::RANDOM, 2, 7),
            (0.01, AttackKind::FGSM, 2, 9),
        ] {
            p = AttackParams {
                eps,
                attack,
                seed,
                index,
                ..p
            };
            let (x, y) = p.input(&test).unwrap();
            run.update(&net, x.view(), y, &p);
            let fresh = AttackRun::new(&net, x.view(), y, &p);
            for k in AttackKind::all() {
                assert_eq!(
                    json(run.outcome(k)),
                    json(fresh.outcome(k)),
                    "{k:?} at {p:?}"
                );
                assert_eq!(
                    json(run.outcome(k)),
                    json(&run_attack(&net, x.view(), y, k, &p, p.index))
                );
            }
        }
    }

    /// The batch passes go [`crate::nn::network::EVAL_CHUNK`] images at a time; on every
    /// shipped model and its data set's test images that gives the logits of one pass over
    /// all of them, bit for bit (so no number the lab reports moved when they were chunked).
    #[test]
    fn chunked_logits_equal_one_pass_bit_for_bit() {
        for data in [
            ImageDataset::Mnist,
            ImageDataset::Fashion,
            ImageDataset::Digits,
        ] {
            let (_, test) = split(&load(data, &shipped_data_dir()).unwrap());
            for model in ImageModel::ALL {
                let net = shipped(data, model);
                // 500 MNIST digits are 8 chunks; all 2,000 would take 0.5 GB in one CNN pass.
                let rows = if model == ImageModel::Cnn {
                    500
                } else {
                    test.len()
                };
                let x = test.images.slice(ndarray::s![..rows.min(test.len()), ..]);
                let chunked = net.logits_batch(x);
                let whole = net.logits_unchunked(x);
                assert!(
                    chunked
                        .iter()
                        .zip(whole.iter())
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{data:?} {model:?}"
                );
            }
        }
    }

    /// DeepFool (l2, at most 50 iterations) changes the label of every test digit each model
    /// classifies correctly, all 2,000 of them, with the box and without.
    #[test]
    fn deepfool_flips_every_correctly_classified_test_digit() {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (_, test) = split(&set);
        for model in ImageModel::ALL {
            let net = shipped(ImageDataset::Mnist, model);
            let predicted = crate::attacks::universal::labels(&net, test.images.view());
            let mut correct = 0;
            for i in (0..test.len()).filter(|&i| predicted[i] == test.labels[i]) {
                correct += 1;
                for bounds in [Bounds::None, Bounds::Pixels] {
                    let opts = DeepFoolOptions {
                        bounds,
                        ..Default::default()
                    };
                    let r = deepfool(&net, test.images.row(i), &opts);
                    assert!(
                        r.success(),
                        "{model:?} {bounds:?}: test digit {i} not flipped ({:?} after {} steps)",
                        r.stop,
                        r.iterations
                    );
                }
            }
            assert!(correct as f64 >= 0.9 * test.len() as f64);
        }
    }

    /// The lecture's ordering on 100 MNIST test digits, for every model: the mean
    /// ||r||_2/||x||_2 of random noise exceeds the fast gradient's, which exceeds DeepFool's.
    /// Without the box random / DeepFool is at least 10; with it (valid images) at least 5:
    /// clipping cuts random noise's r most, since its line search runs far outside [0, 1]
    /// (measured: 10.0, 7.1 and 7.2 for the linear model, the MLP and the CNN, against 61, 47
    /// and 31 without the box). Seeded; DeepFool flips every digit either way.
    #[test]
    fn random_needs_more_than_fast_gradient_needs_more_than_deepfool() {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (_, test) = split(&set);
        for model in ImageModel::ALL {
            for (bounds, least) in [(Bounds::None, 10.0), (Bounds::Pixels, 5.0)] {
                let mut job = RatioJob::new(
                    shipped(ImageDataset::Mnist, model),
                    &test,
                    AttackParams {
                        model,
                        n: 100,
                        bounds,
                        ..Default::default()
                    },
                );
                let [random, fastgrad, df] = run_to_end(&mut job, usize::MAX).unwrap().rows;
                assert_eq!(df.images, 100);
                assert_eq!(
                    df.successes, 100,
                    "{model:?} {bounds:?}: DeepFool failed on some digit"
                );
                assert!(
                    random.mean_r_over_x > fastgrad.mean_r_over_x
                        && fastgrad.mean_r_over_x > df.mean_r_over_x,
                    "{model:?} {bounds:?}: {:?}",
                    [random, fastgrad, df]
                );
                assert!(
                    random.mean_r_over_x / df.mean_r_over_x >= least,
                    "{model:?} {bounds:?}: random / DeepFool = {}",
                    random.mean_r_over_x / df.mean_r_over_x
                );
            }
        }
    }

    /// With the box (the default), every attack's adversarial on held-out digits is a valid
    /// image, x + r in [0, 1], and is exactly the input classified: the outcome's adversarial
    /// is x + r, its label adv_label, and adv_min / adv_max its range, and the triptych's grey
    /// picture of it shows those values unclamped. Without the box DeepFool's leaves [0, 1] on
    /// at least 25 of the 30 (model, digit) pairs, and its picture then is not the input.
    /// 10 test digits, every model and attack.
    #[test]
    fn bounded_attacks_return_valid_images() {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (_, test) = split(&set);
        let mut outside = 0;
        for model in ImageModel::ALL {
            let net = shipped(ImageDataset::Mnist, model);
            for i in 0..10 {
                let x = test.images.row(i);
                for bounds in [Bounds::Pixels, Bounds::None] {
                    let p = AttackParams {
                        model,
                        bounds,
                        eps: 0.1,
                        ..Default::default()
                    };
                    for kind in AttackKind::all() {
                        let o = run_attack(&net, x, Some(test.labels[i]), kind, &p, i);
                        let adv: Vec<f64> =
                            x.iter().zip(&o.perturbation).map(|(a, r)| a + r).collect();
                        assert_eq!(o.adversarial, adv, "{model:?} {kind:?} {i}");
                        assert_eq!(net.label(ArrayView1::from(&adv)), o.adv_label);
                        let lo = adv.iter().fold(f64::INFINITY, |m, &v| m.min(v));
                        let hi = adv.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                        assert_eq!((o.adv_min, o.adv_max), (lo, hi));
                        // The triptych's x + r: the grey level of each value, which is the
                        // classified input only where no value was clamped into [0, 1].
                        let shown = grey_rgba(ArrayView1::from(&adv), 28);
                        let exact = adv
                            .iter()
                            .zip(shown.chunks(4))
                            .all(|(v, px)| f64::from(px[0]) == (v * 255.0).round());
                        if bounds == Bounds::Pixels {
                            assert!(
                                lo >= 0.0 && hi <= 1.0,
                                "{model:?} {kind:?} {i}: [{lo}, {hi}]"
                            );
                            assert!(
                                exact,
                                "{model:?} {kind:?} {i}: the picture is not the input"
                            );
                        } else if kind == AttackKind::DEEPFOOL && (lo < 0.0 || hi > 1.0) {
                            assert!(!exact, "{model:?} {i}: clamping changed nothing");
                            outside += 1;
                        }
                    }
                }
            }
        }
        assert!(
            outside >= 25,
            "unbounded DeepFool left [0, 1] on {outside} of 30"
        );
    }
}
