//! Demo 3: one perturbation for all images (universal adversarial perturbations,
//! Moosavi-Dezfooli et al., CVPR 2017), and how it transfers between models.
//!
//! The perturbation v is computed on `n` training images with one model (the source), then
//! its fooling rate (the fraction of images whose label v changes) is measured on the held-out
//! test images, for the source and for the other two models: the lecture's transfer table.

pub mod page;

use crate::attacks::universal::{
    fooled_count, fooling_rate, labels, UniversalOptions, UniversalResult, UniversalSearch,
};
use crate::attacks::{Bounds, Norm, BOUNDS_FIELD};
use crate::data::images::{mixed_order, ImageDataset, ImageSet};
use crate::job::Job;
use crate::models::{ImageModel, DATA_FIELD, MODEL_FIELD};
use crate::nn::io::{push_f64, read_header, take_f64, write_weights};
use crate::nn::network::EVAL_CHUNK;
use crate::nn::Network;
use crate::params::{Field, Kind, ParamError, Params};
use crate::rng::{Rng, SplitMix64};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniversalParams {
    pub data: ImageDataset,
    /// The model v is computed on.
    pub model: ImageModel,
    pub norm: Norm,
    /// The radius of the l_p ball v stays in.
    pub xi: f64,
    /// Stop at a fooling rate of 1 - delta on the training images used.
    pub delta: f64,
    /// Training images v is computed on (the first n of the training split, mixed order).
    pub n: usize,
    pub max_passes: usize,
    pub seed: u32,
    /// The box of the inputs classified: P(x + v), P the clipping to [0, 1] (or none).
    pub bounds: Bounds,
}

impl Default for UniversalParams {
    fn default() -> Self {
        Self {
            data: ImageDataset::Mnist,
            model: ImageModel::Mlp,
            norm: Norm::Linf,
            xi: 0.25,
            delta: 0.2,
            n: 1000,
            max_passes: 5,
            seed: 1,
            bounds: Bounds::Pixels,
        }
    }
}

impl Params for UniversalParams {
    const SCHEMA: &'static [Field] = &[
        DATA_FIELD,
        MODEL_FIELD,
        Field {
            key: "norm",
            label: "Norm",
            unit: "",
            help: "The ball v is kept in: l-infinity (each pixel within xi) or l2.",
            kind: Kind::Choice(&["linf", "l2"], &["ℓ∞ (each pixel)", "ℓ2 (whole image)"]),
        },
        Field {
            key: "xi",
            label: "Radius ξ",
            unit: "pixel values",
            help: "The largest allowed ||v|| in the chosen norm.",
            kind: Kind::Float {
                min: 0.0,
                max: 10.0,
                step: 0.01,
                log: true,
            },
        },
        Field {
            key: "delta",
            label: "δ (stop at 1 − δ fooled)",
            unit: "%",
            help: "Stop once 1 - delta of the training images are fooled.",
            kind: Kind::Float {
                min: 0.0,
                max: 1.0,
                step: 0.01,
                log: false,
            },
        },
        Field {
            key: "n",
            label: "Training images",
            unit: "",
            help: "How many training images v is computed on.",
            kind: Kind::Int { min: 10, max: 8000 },
        },
        Field {
            key: "max_passes",
            label: "Passes",
            unit: "",
            help: "The most passes over the training images.",
            kind: Kind::Int { min: 1, max: 20 },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "The order in which images are visited.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        BOUNDS_FIELD,
    ];

    fn check(&self) -> Result<(), ParamError> {
        let train = self.data.count() - self.data.count() / 5;
        if self.n > train {
            return Err(ParamError::new(
                Some("n"),
                format!(
                    "{} has {train} training images, got {}",
                    self.data.name(),
                    self.n
                ),
            ));
        }
        Ok(())
    }
}

impl UniversalParams {
    pub fn options(&self) -> UniversalOptions {
        UniversalOptions {
            xi: self.xi,
            norm: self.norm,
            delta: self.delta,
            max_passes: self.max_passes,
            bounds: self.bounds,
            ..Default::default()
        }
    }

    /// The search, on the first n training images in the fixed mixed order.
    pub fn search(&self, net: &Network, train: &ImageSet) -> UniversalSearch {
        let images = train.select(&self.search_indices()).images;
        self.search_on(net, images)
    }

    /// Which training images the search visits: the first n of the training split in the
    /// fixed mixed order (indices into the split).
    pub fn search_indices(&self) -> Vec<usize> {
        let train = self.data.count() - self.data.count() / 5;
        mixed_order(train).into_iter().take(self.n).collect()
    }

    /// The search on those images, given (one per row, in the order of `search_indices`).
    pub fn search_on(&self, net: &Network, images: Array2<f64>) -> UniversalSearch {
        let rng = Rng::new(SplitMix64::new(self.seed as u64 ^ 0x756e_6976).next_u64());
        UniversalSearch::new(net.clone(), images, self.options(), rng)
    }
}

/// A universal perturbation computed beforehand (by `barriers-lab universal --table --save`)
/// for one state: shipped in `www/models/universal-DATA.buv` for the default state of each
/// model, so the page shows the default figure without the search, which takes seconds
/// (about 5 s for the MLP in Chromium). Held as f64, it is bit for bit what the search gives
/// (a test recomputes it).
#[derive(Clone, Debug, PartialEq)]
pub struct ShippedPerturbation {
    pub params: UniversalParams,
    /// v, the fooling rate on the training images after each pass, and whether it reached
    /// the target.
    pub result: UniversalResult,
}

const SHIPPED_MAGIC: &str = "barriers-lab-universal 1\n";

#[derive(Serialize, Deserialize)]
struct ShippedHeader {
    entries: Vec<ShippedEntry>,
    #[serde(default)]
    command: String,
}

#[derive(Serialize, Deserialize)]
struct ShippedEntry {
    params: UniversalParams,
    passes: usize,
    reached_target: bool,
    len: usize,
}

impl ShippedPerturbation {
    /// The perturbation of `list` computed for exactly the state `p`, if any.
    pub fn find<'a>(list: &'a [Self], p: &UniversalParams) -> Option<&'a Self> {
        list.iter().find(|s| s.params == *p)
    }

    /// The shipped file's name for a data set, e.g. `universal-mnist.buv` (in `www/models/`).
    pub fn file_name(data: ImageDataset) -> String {
        format!("universal-{}.buv", data.name())
    }

    /// A file of perturbations: the line `barriers-lab-universal 1`, one line of JSON (each
    /// entry's state, its number of passes, whether it reached the target and the length of
    /// v; the command that made the file), then for each entry its training fooling rates
    /// (one per pass) and v, as little-endian f64 (exact).
    pub fn to_bytes(list: &[ShippedPerturbation], command: &str) -> Vec<u8> {
        let header = ShippedHeader {
            entries: list
                .iter()
                .map(|e| ShippedEntry {
                    params: e.params.clone(),
                    passes: e.result.rates.len(),
                    reached_target: e.result.reached_target,
                    len: e.result.v.len(),
                })
                .collect(),
            command: command.to_owned(),
        };
        let mut out = write_weights(SHIPPED_MAGIC, &header, &[]);
        for e in list {
            push_f64(&mut out, &e.result.rates);
            push_f64(&mut out, &e.result.v.to_vec());
        }
        out
    }

    /// Reads such a file; every way it can be malformed is an error with a message.
    pub fn from_bytes(bytes: &[u8]) -> Result<Vec<ShippedPerturbation>, String> {
        const WHAT: &str = "universal perturbation file";
        let (h, mut data): (ShippedHeader, _) = read_header(bytes, SHIPPED_MAGIC, WHAT)?;
        let mut out = Vec::new();
        for e in h.entries {
            crate::params::validate(&e.params).map_err(|err| format!("the {WHAT}: {err}"))?;
            let d = e.params.data.side() * e.params.data.side();
            if e.len != d || e.passes > e.params.max_passes {
                return Err(format!(
                    "the {WHAT} holds a v of {} values after {} passes, not {d} values after at most {}",
                    e.len, e.passes, e.params.max_passes
                ));
            }
            let (rates, rest) = take_f64(data, e.passes, WHAT)?;
            let (v, rest) = take_f64(rest, e.len, WHAT)?;
            data = rest;
            out.push(ShippedPerturbation {
                params: e.params,
                result: UniversalResult {
                    v: Array1::from(v),
                    rates,
                    reached_target: e.reached_target,
                },
            });
        }
        if !data.is_empty() {
            return Err(format!("the {WHAT} has {} bytes too many", data.len()));
        }
        Ok(out)
    }
}

/// A universal perturbation and what it does, as one job a page can step: the search for v on
/// the source model (or v shipped for this state), then the fooling rates of v and of random
/// noise of the same size on the test images for every model, [`EVAL_CHUNK`] images at a time
/// (the source model first). Every step is given the same test split.
///
/// The last test images of a model may be measured elsewhere (the page hands part of the CNN's
/// 6,000 forward passes to a second worker): [`UniversalJob::delegate`] leaves them out and
/// [`UniversalJob::add_delegated`] adds their counts. The counts are whole numbers of images
/// and each image's labels are its own, so the rates are the same however the images are
/// shared out.
pub struct UniversalJob {
    params: UniversalParams,
    search: Option<UniversalSearch>,
    /// v and its training fooling rates, once the search is over.
    result: Option<UniversalResult>,
    shipped: bool,
    noise: Option<Array1<f64>>,
    /// Images the finished search visited (for the progress).
    searched: usize,
    /// The models the rates are measured on, the source first.
    nets: Vec<(ImageModel, Network)>,
    test_len: usize,
    /// Per model: test images changed by v and by the noise, among those counted.
    fooled: Vec<(usize, usize)>,
    /// Ranges of test images still to measure here, (model, from, to), the first one being
    /// measured (from moves up).
    todo: VecDeque<(usize, usize, usize)>,
    /// Per model: the start of the part measured elsewhere, if its counts are still to come.
    pending: Vec<Option<usize>>,
    /// Test images counted so far, over all models.
    counted: usize,
}

impl UniversalJob {
    /// The job of `params` (its model is the source), measuring on `nets` (which must hold the
    /// source). With a shipped perturbation for exactly this state there is no search (and
    /// `train`, the training split, may be None).
    pub fn new(
        params: UniversalParams,
        nets: &[(ImageModel, &Network)],
        train: Option<&ImageSet>,
        test_len: usize,
        shipped: &[ShippedPerturbation],
    ) -> Result<Self, String> {
        let images = train.map(|t| t.select(&params.search_indices()).images);
        Self::with_images(params, nets, images, test_len, shipped)
    }

    /// [`UniversalJob::new`] given only the training images the search visits (see
    /// [`UniversalParams::search_indices`]), not the whole training split.
    pub fn with_images(
        params: UniversalParams,
        nets: &[(ImageModel, &Network)],
        search_images: Option<Array2<f64>>,
        test_len: usize,
        shipped: &[ShippedPerturbation],
    ) -> Result<Self, String> {
        let source = nets
            .iter()
            .find(|(m, _)| *m == params.model)
            .ok_or_else(|| format!("the {} model is not loaded", params.model.name()))?
            .1;
        let mut ordered: Vec<(ImageModel, Network)> = vec![(params.model, source.clone())];
        ordered.extend(
            nets.iter()
                .filter(|(m, _)| *m != params.model)
                .map(|(m, n)| (*m, (*n).clone())),
        );
        let given = ShippedPerturbation::find(shipped, &params);
        let mut job = Self {
            search: None,
            result: None,
            shipped: given.is_some(),
            noise: None,
            searched: 0,
            fooled: vec![(0, 0); ordered.len()],
            todo: (0..ordered.len()).map(|i| (i, 0, test_len)).collect(),
            pending: vec![None; ordered.len()],
            counted: 0,
            nets: ordered,
            test_len,
            params,
        };
        match (given, search_images) {
            (Some(s), _) => job.finish_search(s.result.clone()),
            (None, Some(images)) => job.search = Some(job.params.search_on(source, images)),
            (None, None) => return Err("the search needs the training images".into()),
        }
        Ok(job)
    }

    fn finish_search(&mut self, result: UniversalResult) {
        if let Some(s) = &self.search {
            self.searched = s.progress().0;
        }
        self.noise = Some(random_control(
            self.params.norm,
            result.v.view(),
            self.params.seed,
        ));
        self.result = Some(result);
        self.search = None;
    }

    /// Ends the search with the v found so far (a cancel); the rates are then measured for it.
    pub fn stop_search(&mut self) {
        if let Some(s) = &self.search {
            let r = s.result();
            self.finish_search(r);
        }
    }

    /// Whether v came from a shipped file.
    pub fn shipped(&self) -> bool {
        self.shipped
    }

    /// Whether v is final (the search is over, or there was none).
    pub fn v_ready(&self) -> bool {
        self.result.is_some()
    }

    /// Whether everything to be measured here is measured (counts from elsewhere may still be
    /// to come).
    pub fn local_done(&self) -> bool {
        self.v_ready() && self.todo.is_empty()
    }

    fn index(&self, model: ImageModel) -> Option<usize> {
        self.nets.iter().position(|(m, _)| *m == model)
    }

    /// Leaves the test images from..test_len of `model` to be measured elsewhere; only before
    /// this job has measured any of that model's images. Returns whether it did.
    pub fn delegate(&mut self, model: ImageModel, from: usize) -> bool {
        let Some(i) = self.index(model) else {
            return false;
        };
        let Some(k) = self.todo.iter().position(|r| r.0 == i) else {
            return false;
        };
        let (_, start, to) = self.todo[k];
        let from = from.min(self.test_len);
        if start > 0 || to < self.test_len || from >= self.test_len || !self.v_ready() {
            return false;
        }
        self.pending[i] = Some(from);
        if from == 0 {
            self.todo.remove(k);
        } else {
            self.todo[k].2 = from;
        }
        true
    }

    /// Measures a delegated part here after all (when the helper failed).
    pub fn take_back(&mut self, model: ImageModel) {
        if let Some(i) = self.index(model) {
            if let Some(from) = self.pending[i].take() {
                self.todo.push_back((i, from, self.test_len));
            }
        }
    }

    /// Adds the counts of a delegated part: its test images changed by v and by the noise.
    pub fn add_delegated(&mut self, model: ImageModel, fooled_v: usize, fooled_noise: usize) {
        if let Some(i) = self.index(model) {
            if let Some(from) = self.pending[i].take() {
                self.fooled[i].0 += fooled_v;
                self.fooled[i].1 += fooled_noise;
                self.counted += self.test_len - from;
            }
        }
    }

    /// The state the job runs (its model is the source).
    pub fn params(&self) -> &UniversalParams {
        &self.params
    }

    /// The perturbation: final, or the search's so far.
    pub fn v(&self) -> &Array1<f64> {
        match (&self.result, &self.search) {
            (Some(r), _) => &r.v,
            (None, Some(s)) => s.v(),
            (None, None) => unreachable!("a job has a result or a search"),
        }
    }

    /// The random noise of v's size (once v is final).
    pub fn noise(&self) -> Option<&Array1<f64>> {
        self.noise.as_ref()
    }

    /// v with its training fooling rates: final, or the search's so far.
    pub fn search_result(&self) -> UniversalResult {
        match (&self.result, &self.search) {
            (Some(r), _) => r.clone(),
            (None, Some(s)) => s.result(),
            (None, None) => unreachable!("a job has a result or a search"),
        }
    }

    /// The test fooling rates of v and of the noise, for each model whose images are all
    /// counted, in the job's order.
    pub fn rates(&self) -> Vec<(ImageModel, f64, f64)> {
        let n = self.test_len.max(1) as f64;
        (0..self.nets.len())
            .filter(|&i| self.pending[i].is_none() && self.todo.iter().all(|r| r.0 != i))
            .map(|i| {
                let (a, b) = self.fooled[i];
                (self.nets[i].0, a as f64 / n, b as f64 / n)
            })
            .collect()
    }
}

/// A universal perturbation and what it does, as the page shows it: v (final or the search's
/// so far) with its norms and its fooling rates on the training images after each pass, the
/// target 1 - delta, and the test fooling rates of v and of random noise of v's size for each
/// model measured so far.
#[derive(Clone, Debug, Serialize)]
pub struct UniversalOutcome {
    pub v: Vec<f64>,
    pub side: usize,
    /// The fooling rate on the training images searched, after each pass.
    pub rates: Vec<f64>,
    pub reached_target: bool,
    pub target: f64,
    /// Per model measured: the fraction of test images whose label v changes.
    pub test_fooling: BTreeMap<&'static str, f64>,
    /// The same for random noise of v's size ([`random_control`]).
    pub noise_test_fooling: BTreeMap<&'static str, f64>,
    pub v_linf: f64,
    pub v_l2: f64,
    /// Whether v is final.
    pub v_ready: bool,
    /// Whether v came from a shipped file.
    pub shipped: bool,
    /// Whether every rate is measured.
    pub complete: bool,
}

impl Job for UniversalJob {
    /// The test images (the same at every step), and how many images of the search a step
    /// may visit.
    type Input<'a> = (&'a ImageSet, usize);
    type Output<'a> = UniversalOutcome;

    fn done(&self) -> bool {
        self.local_done() && self.pending.iter().all(Option::is_none)
    }

    /// Units done and in all: images visited by the search (at most n per pass), then test
    /// images counted per model (a delegated part once its counts are in).
    fn progress(&self) -> (usize, usize) {
        let (searched, most) = match &self.search {
            Some(s) => s.progress(),
            None => (self.searched, self.searched),
        };
        (
            searched + self.counted,
            most + self.nets.len() * self.test_len,
        )
    }

    /// Visits up to `budget` images of the search, or measures the next [`EVAL_CHUNK`] test
    /// images here.
    fn step(&mut self, (test, budget): (&ImageSet, usize)) -> Result<(), String> {
        if let Some(s) = &mut self.search {
            s.step(budget);
            if s.done() {
                let r = s.result();
                self.finish_search(r);
            }
            return Ok(());
        }
        let Some(&(i, from, to)) = self.todo.front() else {
            return Ok(());
        };
        if test.len() != self.test_len {
            return Err(format!(
                "the job measures {} test images, not {}",
                self.test_len,
                test.len()
            ));
        }
        let (v, noise) = (
            &self.result.as_ref().expect("search over").v,
            self.noise.as_ref().expect("made with v"),
        );
        let end = (from + EVAL_CHUNK).min(to);
        let (a, b) = fooled_part(
            &self.nets[i].1,
            test.images.slice(s![from..end, ..]),
            v.view(),
            noise.view(),
            self.params.bounds,
        );
        self.fooled[i].0 += a;
        self.fooled[i].1 += b;
        self.counted += end - from;
        if end >= to {
            self.todo.pop_front();
        } else {
            self.todo[0].1 = end;
        }
        Ok(())
    }

    fn result(&self) -> UniversalOutcome {
        let res = self.search_result();
        let rates = self.rates();
        let map = |pick: fn(&(ImageModel, f64, f64)) -> f64| {
            rates.iter().map(|r| (r.0.name(), pick(r))).collect()
        };
        UniversalOutcome {
            side: self.params.data.side(),
            rates: res.rates,
            reached_target: res.reached_target,
            target: 1.0 - self.params.delta,
            test_fooling: map(|r| r.1),
            noise_test_fooling: map(|r| r.2),
            v_linf: res.v.fold(0.0f64, |m, e| m.max(e.abs())),
            v_l2: res.v.dot(&res.v).sqrt(),
            v: res.v.to_vec(),
            v_ready: self.v_ready(),
            shipped: self.shipped(),
            complete: self.done(),
        }
    }
}

/// How many of `images` (one per row) v changes the label of, and how many the noise does,
/// against their labels without either (the inputs P(x + v) in `bounds`): what a page's
/// second worker measures for its share.
pub fn fooled_part(
    net: &Network,
    images: ArrayView2<f64>,
    v: ArrayView1<f64>,
    noise: ArrayView1<f64>,
    bounds: Bounds,
) -> (usize, usize) {
    let clean = labels(net, images);
    (
        fooled_count(net, images, &clean, v, bounds),
        fooled_count(net, images, &clean, noise, bounds),
    )
}

/// The fooling rate of v on the test images for each model, in the order given (the inputs
/// P(x + v) in `bounds`).
pub fn transfer_row(
    nets: &[(ImageModel, &Network)],
    test: &ImageSet,
    v: ArrayView1<f64>,
    bounds: Bounds,
) -> Vec<(ImageModel, f64)> {
    nets.iter()
        .map(|(m, net)| {
            let clean = labels(net, test.images.view());
            (*m, fooling_rate(net, test.images.view(), &clean, v, bounds))
        })
        .collect()
}

/// The fooling rate of random noise of the same norm as v (uniform signs times xi for l-inf,
/// a random Gaussian direction for l2): the control that shows v is not just large.
pub fn random_control(norm: Norm, v: ArrayView1<f64>, seed: u32) -> Array1<f64> {
    let mut rng = Rng::new(SplitMix64::new(seed as u64 ^ 0x6e6f_6973).next_u64());
    match norm {
        Norm::Linf => {
            let xi = v.fold(0.0f64, |m, e| m.max(e.abs()));
            Array1::from_shape_simple_fn(v.len(), || if rng.uniform() < 0.5 { -xi } else { xi })
        }
        Norm::L2 => {
            let mut g = Array1::from_shape_simple_fn(v.len(), || rng.normal());
            let scale = v.dot(&v).sqrt() / g.dot(&g).sqrt();
            g *= scale;
            g
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::data::images::{load, shipped_data_dir, split};
    use crate::demos::attacks::tests::shipped;
    use crate::params::{from_query, to_query};

    #[test]
    fn state_round_trips_and_is_checked() {
        let p = UniversalParams {
            xi: 0.15,
            norm: Norm::L2,
            n: 300,
            ..Default::default()
        };
        assert_eq!(from_query::<UniversalParams>(&to_query(&p)).unwrap(), p);
        assert_eq!(
            from_query::<UniversalParams>("data=fashion&n=900")
                .unwrap_err()
                .to_string(),
            "n: fashion has 800 training images, got 900"
        );
    }

    /// On MNIST with the defaults (the MLP, xi = 0.25 in l-inf, delta = 0.2, 1,000 training
    /// digits). Without the pixel box the perturbation reaches the 80 % target on the digits it
    /// was computed on (in two passes), fools most held-out test digits too (measured: 81 %),
    /// and does far better than random signs of the same size (measured: 14 %). Within the box
    /// (the default) it stops short of the target (70 % at best over 5 passes) and fools 66 %
    /// of the test digits; random signs, clipped, become a one-signed haze on the black
    /// background (the negative half is cut off) and fool 48 %: v still does better, by less.
    #[test]
    fn reaches_the_target_and_generalises() {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (train, test) = split(&set);
        let boxed = UniversalParams::default();
        assert_eq!(boxed.bounds, Bounds::Pixels);
        let net = shipped(ImageDataset::Mnist, boxed.model);
        let run = |p: &UniversalParams| {
            let mut search = p.search(&net, &train);
            search.step(usize::MAX);
            let res = search.result();
            assert!(res.v.iter().all(|e| e.abs() <= p.xi + 1e-12));
            let row = transfer_row(&[(p.model, &net)], &test, res.v.view(), p.bounds)[0].1;
            let noise = random_control(p.norm, res.v.view(), 1);
            let noise_rate = transfer_row(&[(p.model, &net)], &test, noise.view(), p.bounds)[0].1;
            (res, row, noise_rate)
        };
        let free = UniversalParams {
            bounds: Bounds::None,
            ..boxed.clone()
        };
        let (res, row, noise) = run(&free);
        assert!(res.reached_target, "rates per pass {:?}", res.rates);
        assert!(row > 0.6, "test fooling rate {row}");
        assert!(noise < row / 2.0, "noise {noise} vs universal {row}");
        let (res, row, noise) = run(&boxed);
        assert!(!res.reached_target, "rates per pass {:?}", res.rates);
        assert!(row > 0.6, "test fooling rate {row}");
        assert!(
            noise > 0.4 && noise < row - 0.1,
            "noise {noise} vs universal {row}"
        );
    }

    fn shipped_file() -> Vec<ShippedPerturbation> {
        let path = shipped_data_dir()
            .parent()
            .unwrap()
            .join("models")
            .join(ShippedPerturbation::file_name(ImageDataset::Mnist));
        ShippedPerturbation::from_bytes(&std::fs::read(path).unwrap()).unwrap()
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// The shipped perturbation of `model` is its default state, and the search gives it
    /// again bit for bit: v, the training fooling rate after each pass and whether the target
    /// was reached. The file was made on x86-64 with FMA and AVX2 (matrixmultiply's FMA
    /// kernel); a CPU without them may differ in the last bits.
    fn search_gives_the_shipped_perturbation(model: ImageModel) {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (train, _) = split(&set);
        let file = shipped_file();
        assert_eq!(
            file.iter().map(|e| e.params.model).collect::<Vec<_>>(),
            ImageModel::ALL
        );
        let entry = &file[model as usize];
        assert_eq!(
            entry.params,
            UniversalParams {
                model,
                ..Default::default()
            }
        );
        let net = shipped(ImageDataset::Mnist, model);
        let mut search = entry.params.search(&net, &train);
        search.step(usize::MAX);
        let res = search.result();
        assert!(
            same_bits(
                res.v.as_slice().unwrap(),
                entry.result.v.as_slice().unwrap()
            ),
            "{model:?}: v differs"
        );
        assert!(
            same_bits(&res.rates, &entry.result.rates),
            "{model:?}: {:?} vs {:?}",
            res.rates,
            entry.result.rates
        );
        assert_eq!(res.reached_target, entry.result.reached_target);
    }

    #[test]
    fn the_search_gives_the_shipped_linear_perturbation() {
        search_gives_the_shipped_perturbation(ImageModel::Linear);
    }

    #[test]
    fn the_search_gives_the_shipped_mlp_perturbation() {
        search_gives_the_shipped_perturbation(ImageModel::Mlp);
    }

    /// The CNN's search (5 passes over 1,000 digits, DeepFool on the CNN) takes about 50 s in
    /// the test profile (10 s in release), so it runs on request:
    /// `cargo test --lib -- --ignored the_search_gives_the_shipped_cnn_perturbation`.
    #[test]
    #[ignore = "about 50 s: the CNN's full search"]
    fn the_search_gives_the_shipped_cnn_perturbation() {
        search_gives_the_shipped_perturbation(ImageModel::Cnn);
    }

    /// The job measures exactly what the search and `transfer_row` give: on a small search
    /// (8 x 8 digits, every model), and from a shipped v (MNIST, the MLP's; measured on the
    /// linear model and the MLP, the CNN's 2,000 digits being slow in the test profile),
    /// where it does no search.
    #[test]
    fn the_job_gives_the_transfer_row_and_uses_shipped_v() {
        for data in [ImageDataset::Digits, ImageDataset::Mnist] {
            let (train, test) = split(&load(data, &shipped_data_dir()).unwrap());
            let models = match data {
                ImageDataset::Mnist => &ImageModel::ALL[..2],
                _ => &ImageModel::ALL[..],
            };
            let nets: Vec<(ImageModel, Network)> =
                models.iter().map(|&m| (m, shipped(data, m))).collect();
            let refs: Vec<(ImageModel, &Network)> = nets.iter().map(|(m, n)| (*m, n)).collect();
            let p = match data {
                ImageDataset::Digits => UniversalParams {
                    data,
                    n: 200,
                    xi: 0.3,
                    max_passes: 2,
                    ..Default::default()
                },
                _ => UniversalParams::default(),
            };
            let file = if data == ImageDataset::Mnist {
                shipped_file()
            } else {
                vec![]
            };
            let mut job =
                UniversalJob::new(p.clone(), &refs, Some(&train), test.len(), &file).unwrap();
            assert_eq!(
                UniversalJob::new(p.clone(), &refs, None, test.len(), &file).is_ok(),
                data == ImageDataset::Mnist,
                "only a shipped v needs no training images"
            );
            assert_eq!(job.shipped(), data == ImageDataset::Mnist);
            assert_eq!(job.v_ready(), job.shipped());
            let mut last = 0;
            while !job.done() {
                job.step((&test, 50)).unwrap();
                let (d, t) = job.progress();
                assert!(d > last && d <= t, "progress {d} of {t} after {last}");
                last = d;
                if !job.v_ready() {
                    assert!(job.rates().is_empty());
                }
            }
            let res = job.search_result();
            // The last test images of the CNN measured elsewhere (as the page's second worker
            // does), or taken back after all: the same rates (on the small set).
            for take_back in [false, true]
                .into_iter()
                .filter(|_| data == ImageDataset::Digits)
            {
                let mut split =
                    UniversalJob::new(p.clone(), &refs, Some(&train), test.len(), &file).unwrap();
                while !split.v_ready() {
                    split.step((&test, usize::MAX)).unwrap();
                }
                let from = test.len() / 3;
                assert!(split.delegate(ImageModel::Cnn, from));
                assert!(!split.delegate(ImageModel::Cnn, from), "once only");
                while !split.local_done() {
                    split.step((&test, 50)).unwrap();
                }
                assert!(!split.done() && split.rates().iter().all(|r| r.0 != ImageModel::Cnn));
                if take_back {
                    split.take_back(ImageModel::Cnn);
                    while !split.done() {
                        split.step((&test, 50)).unwrap();
                    }
                } else {
                    let (a, b) = fooled_part(
                        &nets[2].1,
                        test.images.slice(s![from.., ..]),
                        split.v().view(),
                        split.noise().unwrap().view(),
                        p.bounds,
                    );
                    split.add_delegated(ImageModel::Cnn, a, b);
                }
                assert!(split.done());
                assert_eq!(split.progress().0, job.progress().0);
                let mut want = job.rates();
                let mut got = split.rates();
                want.sort_by_key(|r| r.0 as usize);
                got.sort_by_key(|r| r.0 as usize);
                assert_eq!(got, want, "take back: {take_back}");
            }
            if !job.shipped() {
                let mut search = p.search(&shipped(data, p.model), &train);
                search.step(usize::MAX);
                assert_eq!(search.result(), res);
            }
            let rates = job.rates();
            assert_eq!(rates[0].0, p.model, "the source model comes first");
            let row = transfer_row(&refs, &test, res.v.view(), p.bounds);
            let noise = random_control(p.norm, res.v.view(), p.seed);
            let noise_row = transfer_row(&refs, &test, noise.view(), p.bounds);
            for (m, rate, noise_rate) in rates {
                let i = m as usize;
                assert_eq!(row[i], (m, rate));
                assert_eq!(noise_row[i], (m, noise_rate));
            }
        }
    }

    #[test]
    fn perturbation_files_round_trip_and_bad_ones_are_refused() {
        let list = vec![ShippedPerturbation {
            params: UniversalParams {
                data: ImageDataset::Digits,
                ..Default::default()
            },
            result: UniversalResult {
                v: Array1::from_shape_fn(64, |i| (i as f64 / 7.0).sin() * 0.25),
                rates: vec![0.5, 0.81],
                reached_target: true,
            },
        }];
        let bytes = ShippedPerturbation::to_bytes(&list, "test");
        assert_eq!(ShippedPerturbation::from_bytes(&bytes).unwrap(), list);
        let e = |b: &[u8]| ShippedPerturbation::from_bytes(b).unwrap_err();
        assert!(e(b"hello").contains("not a Barriers Lab universal perturbation file"));
        assert!(e(&bytes[..bytes.len() - 1]).contains("ends early"));
        let mut long = bytes.clone();
        long.push(0);
        assert!(e(&long).contains("too many"));
        let wrong = String::from_utf8_lossy(&bytes).replacen("\"len\":64", "\"len\":784", 1);
        assert!(e(wrong.as_bytes()).contains("not 64 values"));
        let bad = String::from_utf8_lossy(&bytes).replacen("\"xi\":0.25", "\"xi\":-1.0", 1);
        assert!(e(bad.as_bytes()).contains("xi"));
    }
}
