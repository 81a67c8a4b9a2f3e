//! The image demos' binding: the attack page, the universal-perturbation page and the
//! dimension page. Each page's worker fetches the shipped data, model and result files (gzip
//! is undone by the browser's DecompressionStream) and hands the bytes over; everything else
//! is computed here. Long computations are jobs the worker steps a little at a time, so it can
//! report progress and cancel. A data set's test images are decoded when it arrives, its
//! training images only when something trains or searches (the bytes are kept for that).

use super::{js_error, state_methods};
use crate::classifier::Classifier;
use crate::data::drawing;
use crate::data::images::{decode_part, decode_part_rows, ImageDataset, ImageSet, Part};
use crate::demos::attacks::{AttackParams, AttackRun, RatioJob};
use crate::demos::dimension::{DimensionJob, DimensionModels, DimensionParams};
use crate::demos::universal::{
    fooled_part, random_control, ShippedPerturbation, UniversalJob, UniversalParams,
};
use crate::models::{accuracy, ImageModel, ImageTrainer};
use crate::nn::io::{from_bytes, round_to_f32, to_bytes};
use crate::nn::Network;
use crate::params;
use crate::posters as poster;
use crate::render::images::{diverging_rgba, diverging_scale, grey_rgba};
use crate::render::numbers::Numbers;
use crate::render::raster::Canvas;
use ndarray::ArrayView1;
use serde_json::{json, Value};
use std::cell::OnceCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

fn parse_dataset(name: &str) -> Result<ImageDataset, JsError> {
    serde_json::from_value(json!(name))
        .map_err(|_| JsError::new(&format!("unknown data set '{name}'")))
}

fn parse_model(name: &str) -> Result<ImageModel, JsError> {
    serde_json::from_value(json!(name))
        .map_err(|_| JsError::new(&format!("unknown model '{name}'")))
}

/// A data set as a page holds it: the test images decoded, the training images (four fifths)
/// decoded from the kept bytes only when something trains or searches on them (MNIST's take
/// 50 MB as f64, its bytes 6 MB).
struct DataSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    test: ImageSet,
    train: OnceCell<ImageSet>,
}

/// The data sets and models a page has loaded, shared by its demo.
#[derive(Default)]
struct Store {
    sets: HashMap<ImageDataset, DataSet>,
    models: HashMap<(ImageDataset, ImageModel), (Network, Value)>,
}

impl Store {
    fn load_data(&mut self, name: &str, pixels: &[u8], labels: &[u8]) -> Result<(), JsError> {
        let kind = parse_dataset(name)?;
        // Any previous copy goes first, so the memory is reused rather than grown.
        self.sets.remove(&kind);
        let test = decode_part(kind, pixels, labels, Part::Test).map_err(js_error)?;
        self.sets.insert(
            kind,
            DataSet {
                pixels: pixels.to_vec(),
                labels: labels.to_vec(),
                test,
                train: OnceCell::new(),
            },
        );
        Ok(())
    }

    /// Reads a model file for (data, model); checks it fits the data set's images. With
    /// `measure`, its accuracy on the test images (if loaded) joins its facts (the attack page
    /// shows it; for the CNN on MNIST it is 2,000 forward passes).
    fn load_model(
        &mut self,
        data: &str,
        model: &str,
        bytes: &[u8],
        measure: bool,
    ) -> Result<String, JsError> {
        let (kind, m) = (parse_dataset(data)?, parse_model(model)?);
        let (net, header) = from_bytes(bytes).map_err(js_error)?;
        let d = kind.side() * kind.side();
        if net.input_dim() != d || net.n_classes() != 10 {
            return Err(JsError::new(&format!("this model takes {} inputs and gives {} classes; {} needs {d} inputs and 10 classes", net.input_dim(), net.n_classes(), kind.name())));
        }
        let mut info = Value::Object(header.info);
        info["n_params"] = json!(net.n_params());
        if let Some(set) = self.sets.get(&kind).filter(|_| measure) {
            info["measured_test_accuracy"] = json!(accuracy(&net, &set.test));
        }
        let text = info.to_string();
        self.models.insert((kind, m), (net, info));
        Ok(text)
    }

    fn set(&self, kind: ImageDataset) -> Result<&DataSet, JsError> {
        self.sets
            .get(&kind)
            .ok_or_else(|| JsError::new(&format!("the {} images are not loaded yet", kind.name())))
    }

    fn test(&self, kind: ImageDataset) -> Result<&ImageSet, JsError> {
        Ok(&self.set(kind)?.test)
    }

    /// Some training images (indices into the training split): taken from the decoded split
    /// if it is there, else decoded alone.
    fn train_rows(&self, kind: ImageDataset, idx: &[usize]) -> Result<ImageSet, JsError> {
        let set = self.set(kind)?;
        match set.train.get() {
            Some(train) => Ok(train.select(idx)),
            None => {
                decode_part_rows(kind, &set.pixels, &set.labels, Part::Train, idx).map_err(js_error)
            }
        }
    }

    /// The training images, decoded on first use.
    fn train(&self, kind: ImageDataset) -> Result<&ImageSet, JsError> {
        let set = self.set(kind)?;
        if let Some(train) = set.train.get() {
            return Ok(train);
        }
        let train = decode_part(kind, &set.pixels, &set.labels, Part::Train).map_err(js_error)?;
        Ok(set.train.get_or_init(|| train))
    }

    fn net(&self, kind: ImageDataset, m: ImageModel) -> Result<&Network, JsError> {
        self.models.get(&(kind, m)).map(|x| &x.0).ok_or_else(|| {
            JsError::new(&format!(
                "the {} {} model is not loaded yet",
                kind.name(),
                m.name()
            ))
        })
    }
}

/// What a page must fetch: [{"data": .., "model": ..}] entries (model may be null).
fn needs(data: ImageDataset, models: &[ImageModel], store: &Store) -> String {
    let mut out = Vec::new();
    if !store.sets.contains_key(&data) {
        out.push(json!({ "data": data.name(), "files": data.files() }));
    }
    for &m in models {
        if !store.models.contains_key(&(data, m)) {
            out.push(json!({ "data": data.name(), "model": m.name(), "file": crate::models::model_file_name(data, m) }));
        }
    }
    Value::Array(out).to_string()
}

/// RGBA pixels of an image with values in [0, 1] (white ink on black).
#[wasm_bindgen]
pub fn image_rgba(values: &[f64], side: usize) -> Vec<u8> {
    grey_rgba(ArrayView1::from(values), side)
}

/// RGBA pixels of a perturbation (blue negative, red positive) at the scale given, or at its
/// own largest |value| if `scale` is not positive.
#[wasm_bindgen]
pub fn perturbation_rgba(values: &[f64], side: usize, scale: f64) -> Vec<u8> {
    let v = ArrayView1::from(values);
    let s = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        diverging_scale(v)
    };
    diverging_rgba(v, side, s)
}

/// The largest |value| of a perturbation (the scale it is shown at).
#[wasm_bindgen]
pub fn perturbation_scale(values: &[f64]) -> f64 {
    diverging_scale(ArrayView1::from(values))
}

/// Hands a data set to every image demo: `load_data(name, pixels, labels)`.
macro_rules! data_methods {
    ($demo:ident) => {
        #[wasm_bindgen]
        impl $demo {
            /// Hands over a data set's gunzipped bytes (pixels and labels).
            pub fn load_data(
                &mut self,
                name: &str,
                pixels: &[u8],
                labels: &[u8],
            ) -> Result<(), JsError> {
                self.store.load_data(name, pixels, labels)
            }
        }
    };
}

data_methods!(AttackDemo);
data_methods!(UniversalDemo);
data_methods!(DimensionDemo);
state_methods!(AttackDemo, AttackParams);
state_methods!(UniversalDemo, UniversalParams);
state_methods!(DimensionDemo, DimensionParams);

// ---------------------------------------------------------------------------------------

/// The attack page.
#[wasm_bindgen]
pub struct AttackDemo {
    store: Store,
    params: AttackParams,
    /// The attacks on the state's image, kept for the next change of eps.
    attacks: Option<AttackRun>,
    ratios: Option<RatioJob>,
    trainer: Option<ImageTrainer>,
}

#[wasm_bindgen]
impl AttackDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> AttackDemo {
        AttackDemo {
            store: Store::default(),
            params: AttackParams::default(),
            attacks: None,
            ratios: None,
            trainer: None,
        }
    }

    /// The files the current state needs that are not loaded: JSON list.
    pub fn needs(&self) -> String {
        needs(self.params.data, &[self.params.model], &self.store)
    }

    pub fn load_model(&mut self, data: &str, model: &str, bytes: &[u8]) -> Result<String, JsError> {
        self.attacks = None;
        self.store.load_model(data, model, bytes, true)
    }

    /// Loads a model file chosen by the student as the current state's model.
    pub fn load_model_file(&mut self, bytes: &[u8]) -> Result<String, JsError> {
        self.attacks = None;
        let (d, m) = (self.params.data.name(), self.params.model.name());
        self.store.load_model(d, m, bytes, true)
    }

    /// The current model as a model file.
    pub fn model_file(&self) -> Result<Vec<u8>, JsError> {
        let (net, info) = self
            .store
            .models
            .get(&(self.params.data, self.params.model))
            .ok_or_else(|| JsError::new("no model loaded"))?;
        let info = info.as_object().cloned().unwrap_or_default();
        Ok(to_bytes(net, info))
    }

    /// Facts about the current model (from its file, and its measured test accuracy).
    pub fn model_info(&self) -> String {
        self.store
            .models
            .get(&(self.params.data, self.params.model))
            .map_or_else(|| "null".into(), |(_, i)| i.to_string())
    }

    /// The class names of the current data set, as JSON.
    pub fn class_names(&self) -> String {
        json!(self.params.data.class_names()).to_string()
    }

    /// Runs all five attacks on the state's image (after a change of eps only FGSM's step,
    /// see [`AttackRun`]): JSON of the state's attack's outcome, with the image itself
    /// (`image`), its true label if known, the side, and `table`, a summary of every attack
    /// (without pixel arrays).
    pub fn run(&mut self) -> Result<String, JsError> {
        let p = &self.params;
        let net = self.store.net(p.data, p.model)?;
        let (x, true_label) = p.input(self.store.test(p.data)?).map_err(js_error)?;
        match &mut self.attacks {
            Some(run) => run.update(net, x.view(), true_label, p),
            None => self.attacks = Some(AttackRun::new(net, x.view(), true_label, p)),
        }
        let outcomes = self.attacks.as_ref().expect("set above").outcomes();
        let table: Vec<Value> = outcomes
            .iter()
            .map(|o| {
                json!({ "attack": o.attack, "adv_label": o.adv_label, "success": o.success, "r_over_x": o.size.r_over_x,
                        "r_l2": o.size.r_l2, "r_linf": o.size.r_linf, "confidence_after": o.confidence_after, "iterations": o.iterations })
            })
            .collect();
        let o = outcomes
            .iter()
            .find(|o| o.attack == p.attack)
            .expect("every attack ran");
        let mut v = serde_json::to_value(o).map_err(js_error)?;
        v["image"] = json!(x.to_vec());
        v["true_label"] = json!(true_label);
        v["side"] = json!(p.data.side());
        v["perturbation_scale"] = json!(diverging_scale(ArrayView1::from(&o.perturbation)));
        v["table"] = Value::Array(table);
        Ok(v.to_string())
    }

    /// The attacks of the current state on its image (those kept by [`AttackDemo::run`],
    /// brought up to the state as `run` would), drawn by `draw`.
    fn with_state<T>(
        &self,
        draw: impl FnOnce(&poster::attacks::AttackState) -> T,
    ) -> Result<T, JsError> {
        let p = &self.params;
        let net = self.store.net(p.data, p.model)?;
        let (x, true_label) = p.input(self.store.test(p.data)?).map_err(js_error)?;
        let run = match &self.attacks {
            Some(run) => {
                let mut run = run.clone();
                run.update(net, x.view(), true_label, p);
                run
            }
            None => AttackRun::new(net, x.view(), true_label, p),
        };
        let s = poster::attacks::AttackState {
            params: p,
            x: x.view(),
            true_label,
            run: &run,
        };
        Ok(draw(&s))
    }

    /// The figure of the current state as a poster, PNG bytes; `font` is the bytes of
    /// `www/fonts/DejaVuSans.ttf`, `scale` 0.5 to 6 (2 for exports).
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(self.with_state(|s| poster::attacks::poster(s, font, scale))?)
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        self.with_state(|s| poster::attacks::numbers(s).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        self.with_state(|s| poster::attacks::numbers(s).to_csv())
    }

    /// Sets the state's drawing from the pad's RGBA pixels (`w` x `h`, dark ink on a light
    /// background: the ink is one minus the luminance). Returns false (and clears the drawing)
    /// if nothing is drawn.
    pub fn set_drawing(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<bool, JsError> {
        if rgba.len() != 4 * w * h || w == 0 || h == 0 || w * h > 4_000_000 {
            return Err(JsError::new(&format!(
                "a drawing of {w} x {h} pixels needs {} RGBA values, got {}",
                4 * w * h,
                rgba.len()
            )));
        }
        let cover: Vec<f64> = rgba
            .chunks_exact(4)
            .map(|p| 1.0 - crate::data::luma(p) / 255.0)
            .collect();
        let packed = drawing::from_canvas(&cover, w, h, self.params.data.side())
            .map(|img| drawing::pack(img.view()));
        let drawn = packed.is_some();
        let next = AttackParams {
            drawing: packed.unwrap_or_default(),
            ..self.params.clone()
        };
        params::validate(&next).map_err(js_error)?;
        self.params = next;
        Ok(drawn)
    }

    /// Starts the ratio table for the current model (n from the state).
    pub fn start_ratios(&mut self) -> Result<(), JsError> {
        let p = &self.params;
        let net = self.store.net(p.data, p.model)?.clone();
        self.ratios = Some(RatioJob::new(net, self.store.test(p.data)?, p.clone()));
        Ok(())
    }

    /// Attacks up to `budget` more images; returns [done, total].
    pub fn ratios_step(&mut self, budget: usize) -> Result<Vec<usize>, JsError> {
        let job = self
            .ratios
            .as_mut()
            .ok_or_else(|| JsError::new("no ratio table is being computed"))?;
        job.step(budget);
        let (d, t) = job.progress();
        Ok(vec![d, t])
    }

    /// The ratio table so far, as JSON rows.
    pub fn ratios_result(&self) -> String {
        self.ratios.as_ref().map_or_else(
            || "null".into(),
            |j| json!({ "done": j.progress().0, "rows": j.rows() }).to_string(),
        )
    }

    /// Starts retraining the current model from its recipe with `seed` (`epochs` 0: the
    /// recipe's number).
    pub fn start_training(&mut self, seed: u32, epochs: usize) -> Result<(), JsError> {
        let p = &self.params;
        self.store.train(p.data)?;
        let t = ImageTrainer::new(p.model, p.data, seed as u64, (epochs > 0).then_some(epochs));
        self.trainer = Some(t);
        Ok(())
    }

    /// One epoch; returns [epochs done, epochs in all].
    pub fn training_step(&mut self) -> Result<Vec<usize>, JsError> {
        let train = self.store.train(self.params.data)?;
        let t = self
            .trainer
            .as_mut()
            .ok_or_else(|| JsError::new("no training is running"))?;
        if !t.done() {
            t.step_epoch(train);
        }
        Ok(vec![t.epochs_done(), t.recipe.epochs])
    }

    /// Installs the (possibly partly) trained network as the current model; returns its info.
    pub fn finish_training(&mut self) -> Result<String, JsError> {
        let t = self
            .trainer
            .take()
            .ok_or_else(|| JsError::new("no training is running"))?;
        let mut net = t.net;
        round_to_f32(&mut net);
        self.attacks = None;
        let test = self.store.test(t.data)?;
        let info = json!({ "data": t.data, "model": t.model, "epochs": t.history.len(), "recipe": t.recipe,
                           "test_accuracy": accuracy(&net, test), "measured_test_accuracy": accuracy(&net, test), "n_params": net.n_params(), "retrained_in_browser": true });
        let text = info.to_string();
        self.store.models.insert((t.data, t.model), (net, info));
        Ok(text)
    }

    /// Drops a retrained model so the shipped one is fetched again.
    pub fn forget_model(&mut self) {
        self.attacks = None;
        self.store
            .models
            .remove(&(self.params.data, self.params.model));
    }
}

impl Default for AttackDemo {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------

/// The universal-perturbation page.
#[wasm_bindgen]
pub struct UniversalDemo {
    store: Store,
    params: UniversalParams,
    /// Perturbations shipped for the default states, per data set.
    shipped: HashMap<ImageDataset, Vec<ShippedPerturbation>>,
    job: Option<UniversalJob>,
}

#[wasm_bindgen]
impl UniversalDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> UniversalDemo {
        UniversalDemo {
            store: Store::default(),
            params: UniversalParams::default(),
            shipped: HashMap::new(),
            job: None,
        }
    }

    /// Files still to fetch: the data set and all three models (for the transfer row).
    pub fn needs(&self) -> String {
        needs(self.params.data, &ImageModel::ALL, &self.store)
    }

    pub fn load_model(&mut self, data: &str, model: &str, bytes: &[u8]) -> Result<String, JsError> {
        self.store.load_model(data, model, bytes, false)
    }

    /// The file of shipped perturbations for the state's data set (in `www/models/`) if there
    /// is one and it is not loaded yet, else "".
    pub fn shipped_file(&self) -> String {
        let d = self.params.data;
        if d == ImageDataset::Mnist && !self.shipped.contains_key(&d) {
            ShippedPerturbation::file_name(d)
        } else {
            String::new()
        }
    }

    /// Hands over the shipped perturbations file of the state's data set.
    pub fn load_shipped(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let list = ShippedPerturbation::from_bytes(bytes).map_err(js_error)?;
        self.shipped.insert(self.params.data, list);
        Ok(())
    }

    /// Starts the job on the model `source` (one of linear, mlp, cnn) with the state's
    /// settings: the search for v (none if v is shipped for this state), then its fooling
    /// rates on the test images of every model.
    pub fn start(&mut self, source: &str) -> Result<(), JsError> {
        let m = parse_model(source)?;
        let p = UniversalParams {
            model: m,
            ..self.params.clone()
        };
        self.job = None;
        let nets: Vec<(ImageModel, &Network)> = ImageModel::ALL
            .iter()
            .filter_map(|&m| self.store.net(p.data, m).ok().map(|n| (m, n)))
            .collect();
        self.store.net(p.data, m)?;
        let shipped = self.shipped.get(&p.data).map_or(&[][..], |v| &v[..]);
        let test_len = self.store.test(p.data)?.len();
        // The search needs only the training images it visits, not the whole split.
        let images = match ShippedPerturbation::find(shipped, &p) {
            Some(_) => None,
            None => Some(self.store.train_rows(p.data, &p.search_indices())?.images),
        };
        let job = UniversalJob::with_images(p.clone(), &nets, images, test_len, shipped)
            .map_err(js_error)?;
        self.job = Some(job);
        Ok(())
    }

    fn job(&self) -> Result<&UniversalJob, JsError> {
        self.job
            .as_ref()
            .ok_or_else(|| JsError::new("no universal perturbation has been started"))
    }

    /// Leaves all but the first `own_share` of the test images of `model` to be measured by
    /// another worker (see [`UniversalJob::delegate`]); returns [from, to], the images left,
    /// or [] if it did not.
    pub fn delegate(&mut self, model: &str, own_share: f64) -> Result<Vec<usize>, JsError> {
        let m = parse_model(model)?;
        let n = self.store.test(self.params.data)?.len();
        let from = (own_share.clamp(0.0, 1.0) * n as f64).round() as usize;
        let j = self
            .job
            .as_mut()
            .ok_or_else(|| JsError::new("no universal perturbation has been started"))?;
        Ok(if j.delegate(m, from) {
            vec![from, n]
        } else {
            vec![]
        })
    }

    /// The counts of a delegated part: test images changed by v and by the noise.
    pub fn add_delegated(
        &mut self,
        model: &str,
        fooled_v: usize,
        fooled_noise: usize,
    ) -> Result<(), JsError> {
        let m = parse_model(model)?;
        if let Some(j) = &mut self.job {
            j.add_delegated(m, fooled_v, fooled_noise);
        }
        Ok(())
    }

    /// Measures a delegated part here after all.
    pub fn take_back(&mut self, model: &str) -> Result<(), JsError> {
        let m = parse_model(model)?;
        if let Some(j) = &mut self.job {
            j.take_back(m);
        }
        Ok(())
    }

    /// The perturbation of the job (final, or the search's so far).
    pub fn v(&self) -> Result<Vec<f64>, JsError> {
        Ok(self.job()?.v().to_vec())
    }

    /// What a helper worker measures for another: of the test images from..to, how many `v`
    /// changes the label of on `model` and how many random noise of its size does (the noise
    /// drawn from the state's norm and seed, as the job draws it): [fooled by v, by noise].
    pub fn fooled_part(
        &self,
        model: &str,
        v: &[f64],
        from: usize,
        to: usize,
    ) -> Result<Vec<usize>, JsError> {
        let m = parse_model(model)?;
        let p = &self.params;
        let test = self.store.test(p.data)?;
        let net = self.store.net(p.data, m)?;
        if v.len() != test.images.ncols() || from > to || to > test.len() {
            return Err(JsError::new("a part of the test images needs a v of the images' size and from <= to <= their count"));
        }
        let v = ndarray::ArrayView1::from(v);
        let noise = random_control(p.norm, v, p.seed);
        let (a, b) = fooled_part(
            net,
            test.images.slice(ndarray::s![from..to, ..]),
            v,
            noise.view(),
        );
        Ok(vec![a, b])
    }

    /// Visits up to `budget` images of the search, or measures a few test images; returns
    /// [done, total, finished (0/1), v ready (0/1), models measured, all measured here (0/1)].
    pub fn step(&mut self, budget: usize) -> Result<Vec<usize>, JsError> {
        let test = self.store.test(self.params.data)?;
        let j = self
            .job
            .as_mut()
            .ok_or_else(|| JsError::new("no universal perturbation has been started"))?;
        j.step(test, budget);
        let (d, t) = j.progress();
        Ok(vec![
            d,
            t,
            usize::from(j.done()),
            usize::from(j.v_ready()),
            j.rates().len(),
            usize::from(j.local_done()),
        ])
    }

    /// Ends the search with the v found so far (after a cancel); its rates are then measured.
    pub fn stop_search(&mut self) {
        if let Some(j) = &mut self.job {
            j.stop_search();
        }
    }

    /// The perturbation and what it does so far: JSON with v, the fooling rates per pass on
    /// the training images, and the fooling rates on the test images of each model measured
    /// so far (`test_fooling`), next to random noise of the same size (`noise_test_fooling`).
    pub fn result(&self) -> Result<String, JsError> {
        let j = self.job()?;
        let res = j.result();
        let p = &self.params;
        let rates = j.rates();
        let as_map = |pick: fn(&(ImageModel, f64, f64)) -> f64| {
            rates
                .iter()
                .map(|r| (r.0.name().to_owned(), json!(pick(r))))
                .collect::<serde_json::Map<String, Value>>()
        };
        Ok(json!({
            "v": res.v.to_vec(), "side": p.data.side(), "rates": res.rates, "reached_target": res.reached_target,
            "target": 1.0 - p.delta, "test_fooling": as_map(|r| r.1), "noise_test_fooling": as_map(|r| r.2),
            "v_linf": res.v.fold(0.0f64, |m, e| m.max(e.abs())), "v_l2": res.v.dot(&res.v).sqrt(),
            "v_ready": j.v_ready(), "shipped": j.shipped(), "complete": j.done(),
        })
        .to_string())
    }

    /// The job's figure: v, its rates measured so far and the page's examples.
    fn poster_state(&self) -> Result<poster::universal::UniversalState, JsError> {
        let j = self.job()?;
        let p = j.params();
        let test = self.store.test(p.data)?;
        let net = self.store.net(p.data, p.model)?;
        Ok(poster::universal::UniversalState::of(
            p,
            j,
            test,
            net,
            poster::universal::EXAMPLES,
        ))
    }

    /// The figure of the job (v and the rates measured so far) as a poster, PNG bytes; `font`
    /// is the bytes of `www/fonts/DejaVuSans.ttf`, `scale` 0.5 to 6 (2 for exports).
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(poster::universal::poster(
            &self.poster_state()?,
            font,
            scale,
        ))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(poster::universal::numbers(&self.poster_state()?).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(poster::universal::numbers(&self.poster_state()?).to_csv())
    }

    /// A test image (the i-th in the fixed mixed order) with and without v: JSON with both
    /// images and the labels the source model gives them.
    pub fn example(&self, i: usize) -> Result<String, JsError> {
        let j = self.job()?;
        let p = &self.params;
        let test = self.store.test(p.data)?;
        let order = crate::data::images::mixed_order(test.len());
        let idx = order[i % order.len()];
        let x = test.images.row(idx);
        let xv = &x + j.v();
        let net = self.store.net(p.data, p.model)?;
        Ok(json!({ "image": x.to_vec(), "perturbed": xv.to_vec(), "label": net.label(x), "adv_label": net.label(xv.view()),
                   "class_names": p.data.class_names() })
        .to_string())
    }
}

impl Default for UniversalDemo {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------

/// The dimension page.
#[wasm_bindgen]
pub struct DimensionDemo {
    store: Store,
    params: DimensionParams,
    /// The shipped classifiers of the default training setting, per data set.
    shipped: HashMap<ImageDataset, DimensionModels>,
    job: Option<DimensionJob>,
}

#[wasm_bindgen]
impl DimensionDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> DimensionDemo {
        DimensionDemo {
            store: Store::default(),
            params: DimensionParams::default(),
            shipped: HashMap::new(),
            job: None,
        }
    }

    pub fn needs(&self) -> String {
        needs(self.params.data, &[], &self.store)
    }

    /// The shipped classifiers' file (in `www/models/`) for the state's data set if it is not
    /// loaded yet, else "".
    pub fn shipped_file(&self) -> String {
        if self.shipped.contains_key(&self.params.data) {
            String::new()
        } else {
            DimensionModels::file_name(self.params.data)
        }
    }

    /// Hands over a shipped classifiers file.
    pub fn load_shipped(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let m = DimensionModels::from_bytes(bytes).map_err(js_error)?;
        self.shipped.insert(m.data, m);
        Ok(())
    }

    /// Starts the experiment (everything but eps matters; eps only scales the readout). The
    /// shipped classifiers are measured when they are for the state's training setting.
    pub fn start(&mut self) -> Result<(), JsError> {
        let p = &self.params;
        self.store.test(p.data)?;
        self.job = Some(DimensionJob::new(p.clone(), self.shipped.get(&p.data)));
        Ok(())
    }

    /// One unit of work; returns [done, total, sizes measured].
    pub fn step(&mut self) -> Result<Vec<usize>, JsError> {
        let j = self
            .job
            .as_mut()
            .ok_or_else(|| JsError::new("nothing is being computed"))?;
        let test = self.store.test(self.params.data)?;
        let train = match j.trains() {
            true => Some(self.store.train(self.params.data)?),
            false => None,
        };
        j.step(train, test);
        let (d, t) = j.progress();
        Ok(vec![d, t, j.rows.len()])
    }

    fn rows(&self) -> (&[crate::demos::dimension::DimensionRow], bool) {
        self.job
            .as_ref()
            .map_or((&[][..], false), |j| (&j.rows[..], j.uses_given()))
    }

    fn numbers(&self) -> Numbers {
        let (rows, shipped) = self.rows();
        poster::dimension::numbers(&self.params, rows, shipped)
    }

    /// The figure of the rows measured so far (at the state's eps) as a poster, PNG bytes;
    /// `font` is the bytes of `www/fonts/DejaVuSans.ttf`, `scale` 0.5 to 6 (2 for exports).
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let (rows, shipped) = self.rows();
        let c: Result<Canvas, String> =
            poster::dimension::poster(&self.params, rows, shipped, font, scale);
        super::png_bytes(c)
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(self.numbers().to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(self.numbers().to_csv())
    }

    /// The rows measured so far, with eps ||w'||_1 at the state's eps: JSON.
    pub fn result(&self) -> String {
        let eps = self.params.eps;
        let rows: Vec<Value> = self.job.as_ref().map_or_else(Vec::new, |j| {
            j.rows
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                    v["score_change_at_eps"] = json!(eps * r.mean_w_l1);
                    v
                })
                .collect()
        });
        let shipped = self.job.as_ref().is_some_and(|j| j.uses_given());
        json!({ "eps": eps, "rows": rows, "sides": crate::demos::dimension::SIDES, "shipped": shipped }).to_string()
    }
}

impl Default for DimensionDemo {
    fn default() -> Self {
        Self::new()
    }
}
