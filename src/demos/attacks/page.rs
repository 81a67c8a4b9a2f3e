//! The attack page as its worker holds it: the loaded data sets and models, the five attacks
//! on the state's image (kept for the next change of eps, see [`AttackRun`]), the ratio table
//! being computed and a classifier being retrained. Every method answers for the state it is
//! given (the page's link).

use super::{ratio_numbers, AttackOutcome, AttackParams, AttackRun, RatioJob, RatioTable};
use crate::data::drawing;
use crate::data::images::ImageDataset;
use crate::demos::images::{info_map, parse_dataset, parse_model, ImageStore, ModelInfo, Need};
use crate::job::{Job, Parts};
use crate::models::{accuracy, ImageModel, ImageTrainer, Recipe, TrainParams};
use crate::nn::io::{round_to_f32, to_bytes};
use crate::params;
use crate::render::images::diverging_scale;
use ndarray::{Array1, ArrayView1};
use serde::Serialize;

/// One attack's line of the page's table: the new label, whether it changed,
/// ||r||_2 / ||x||_2, ||r||_2, ||r||_inf, the confidence in the new label and the work done.
#[derive(Clone, Debug, Serialize)]
pub struct AttackSummary {
    pub attack: super::AttackKind,
    pub adv_label: usize,
    pub success: bool,
    pub r_over_x: f64,
    pub r_l2: f64,
    pub r_linf: f64,
    pub confidence_after: f64,
    pub iterations: usize,
}

/// What the page shows: the state's attack's outcome, with the image attacked, its true label
/// if known, the side, the scale the perturbation is drawn at (its largest |value|) and every
/// attack's line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct AttackView<'a> {
    #[serde(flatten)]
    pub outcome: &'a AttackOutcome,
    pub image: Vec<f64>,
    pub true_label: Option<usize>,
    pub side: usize,
    pub perturbation_scale: f64,
    pub table: Vec<AttackSummary>,
}

/// The facts of a classifier retrained on the page: its recipe and epochs, its accuracy on
/// the test images (measured after rounding to f32, as a saved file holds it).
#[derive(Clone, Debug, Serialize)]
pub struct RetrainedInfo {
    pub data: ImageDataset,
    pub model: ImageModel,
    pub epochs: usize,
    pub recipe: Recipe,
    pub test_accuracy: f64,
    pub measured_test_accuracy: f64,
    pub n_params: usize,
    pub retrained_in_browser: bool,
}

/// The attack page's held state.
#[derive(Default)]
pub struct AttackPage {
    pub store: ImageStore,
    /// The attacks on the state's image, kept for the next change of eps.
    attacks: Option<AttackRun>,
    ratios: Option<RatioJob>,
    /// Bumped by every start of the ratio table: a helper's numbers for an older one are
    /// dropped.
    ratios_run: u32,
    /// Whether the ratio table's model is a shipped file, which helpers load too (a model
    /// retrained here or chosen by the student stays with this worker).
    ratios_shared: bool,
    /// The models that are not the shipped files: retrained here or chosen by the student.
    own: Vec<(ImageDataset, ImageModel)>,
    trainer: Option<ImageTrainer>,
}

impl AttackPage {
    /// The files the state needs that are not loaded: its data set and model.
    pub fn needs(&self, p: &AttackParams) -> Vec<Need> {
        self.store.needs(p.data, &[p.model])
    }

    /// Reads a model file for (data, model), with its measured test accuracy; returns its
    /// facts.
    pub fn load_model(
        &mut self,
        data: &str,
        model: &str,
        bytes: &[u8],
    ) -> Result<&ModelInfo, String> {
        self.attacks = None;
        let key = (parse_dataset(data)?, parse_model(model)?);
        self.own.retain(|k| *k != key);
        self.store.load_model(data, model, bytes, true)
    }

    /// Reads a model file chosen by the student as the state's model.
    pub fn load_model_file(
        &mut self,
        p: &AttackParams,
        bytes: &[u8],
    ) -> Result<&ModelInfo, String> {
        self.load_model(p.data.name(), p.model.name(), bytes)?;
        self.own.push((p.data, p.model));
        self.model_info(p)
            .ok_or_else(|| "the model was not kept".into())
    }

    /// The state's model as a model file.
    pub fn model_file(&self, p: &AttackParams) -> Result<Vec<u8>, String> {
        let (net, info) = self.store.model(p.data, p.model).ok_or("no model loaded")?;
        Ok(to_bytes(net, info.clone()))
    }

    /// Facts about the state's model, if loaded.
    pub fn model_info(&self, p: &AttackParams) -> Option<&ModelInfo> {
        self.store.model(p.data, p.model).map(|m| &m.1)
    }

    /// Runs all five attacks on the state's image (after a change of eps only FGSM's step,
    /// see [`AttackRun`]).
    pub fn run(&mut self, p: &AttackParams) -> Result<AttackView<'_>, String> {
        let net = self.store.net(p.data, p.model)?;
        let (x, true_label) = p.input(self.store.test(p.data)?)?;
        let run = match self.attacks.take() {
            Some(mut run) => {
                run.update(net, x.view(), true_label, p);
                run
            }
            None => AttackRun::new(net, x.view(), true_label, p),
        };
        let run = self.attacks.insert(run);
        let outcomes = run.outcomes();
        let table = outcomes
            .iter()
            .map(|o| AttackSummary {
                attack: o.attack,
                adv_label: o.adv_label,
                success: o.success,
                r_over_x: o.size.r_over_x,
                r_l2: o.size.r_l2,
                r_linf: o.size.r_linf,
                confidence_after: o.confidence_after,
                iterations: o.iterations,
            })
            .collect();
        let outcome = run.outcome(p.attack);
        Ok(AttackView {
            outcome,
            image: x.to_vec(),
            true_label,
            side: p.data.side(),
            perturbation_scale: diverging_scale(ArrayView1::from(&outcome.perturbation)),
            table,
        })
    }

    /// The state's image, its true label if known, and the attacks on it: those kept by
    /// [`AttackPage::run`], brought up to the state as `run` would (what the poster draws).
    pub fn current(
        &self,
        p: &AttackParams,
    ) -> Result<(Array1<f64>, Option<usize>, AttackRun), String> {
        let net = self.store.net(p.data, p.model)?;
        let (x, true_label) = p.input(self.store.test(p.data)?)?;
        let run = match &self.attacks {
            Some(run) => {
                let mut run = run.clone();
                run.update(net, x.view(), true_label, p);
                run
            }
            None => AttackRun::new(net, x.view(), true_label, p),
        };
        Ok((x, true_label, run))
    }

    /// The state `p` with the drawing made from the pad's RGBA pixels (see
    /// [`drawing::from_rgba`]), and whether anything is drawn (if not, the drawing is
    /// cleared).
    pub fn with_drawing(
        p: &AttackParams,
        rgba: &[u8],
        w: usize,
        h: usize,
    ) -> Result<(AttackParams, bool), String> {
        let packed =
            drawing::from_rgba(rgba, w, h, p.data.side())?.map(|img| drawing::pack(img.view()));
        let drawn = packed.is_some();
        let next = AttackParams {
            drawing: packed.unwrap_or_default(),
            ..p.clone()
        };
        params::validate(&next).map_err(|e| e.to_string())?;
        Ok((next, drawn))
    }

    /// Starts the ratio table for the state's model (n from the state).
    pub fn start_ratios(&mut self, p: &AttackParams) -> Result<(), String> {
        let net = self.store.net(p.data, p.model)?.clone();
        self.ratios = Some(RatioJob::new(net, self.store.test(p.data)?, p.clone()));
        self.ratios_run = self.ratios_run.wrapping_add(1);
        self.ratios_shared = !self.own.contains(&(p.data, p.model));
        Ok(())
    }

    /// Hands the next image of the ratio table nobody has started to a helper: [the table's
    /// run, the part, the image's test index], or none (none left, or the model is not a
    /// shipped file).
    pub fn ratios_hand_out(&mut self) -> Option<[usize; 3]> {
        if !self.ratios_shared {
            return None;
        }
        let job = self.ratios.as_mut()?;
        let part = job.hand_out()?;
        let index = job.test_index(part)?;
        Some([self.ratios_run as usize, part, index])
    }

    /// Takes back an image of run `run` whose helper failed.
    pub fn ratios_take_back(&mut self, run: usize, part: usize) {
        if run == self.ratios_run as usize {
            if let Some(job) = self.ratios.as_mut() {
                job.take_back(part);
            }
        }
    }

    /// Puts a helper's numbers for image `part` of run `run` into the table, if it is still
    /// that run's; whether it did.
    pub fn ratios_put(&mut self, run: usize, part: usize, numbers: &[f64]) -> Result<bool, String> {
        match self.ratios.as_mut() {
            Some(job) if run == self.ratios_run as usize => {
                job.put_part(part, numbers)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Whether the table only waits for images handed out.
    pub fn ratios_waiting(&self) -> bool {
        self.ratios.as_ref().is_some_and(|j| j.waiting())
    }

    /// In a helper: the ratio table's numbers for test image `index` of the state's data set,
    /// with the state's model and settings ([`ratio_numbers`]).
    pub fn ratio_image(&self, p: &AttackParams, index: usize) -> Result<Vec<f64>, String> {
        let test = self.store.test(p.data)?;
        if index >= test.len() {
            return Err(format!(
                "there are {} test images, not {}",
                test.len(),
                index + 1
            ));
        }
        let net = self.store.net(p.data, p.model)?;
        Ok(ratio_numbers(net, test.images.row(index), p, index))
    }

    /// Attacks up to `budget` more images; returns [done, total].
    pub fn ratios_step(&mut self, budget: usize) -> Result<[usize; 2], String> {
        let job = self
            .ratios
            .as_mut()
            .ok_or("no ratio table is being computed")?;
        job.step(budget)?;
        Ok(job.progress().into())
    }

    /// The ratio table so far, if one was started.
    pub fn ratios_result(&self) -> Option<RatioTable> {
        self.ratios.as_ref().map(Job::result)
    }

    /// Starts retraining the state's model from its recipe with `seed` (`epochs` 0: the
    /// recipe's number).
    pub fn start_training(
        &mut self,
        p: &AttackParams,
        seed: u32,
        epochs: usize,
    ) -> Result<(), String> {
        self.store.train(p.data)?;
        let t = TrainParams {
            data: p.data,
            model: p.model,
            seed,
            epochs,
        };
        self.trainer = Some(t.trainer());
        Ok(())
    }

    /// One epoch; returns [epochs done, epochs in all].
    pub fn training_step(&mut self, p: &AttackParams) -> Result<[usize; 2], String> {
        let train = self.store.train(p.data)?;
        let t = self.trainer.as_mut().ok_or("no training is running")?;
        t.step(train)?;
        Ok(t.progress().into())
    }

    /// Installs the (possibly partly) trained network, rounded to f32 as a file holds it, as
    /// the model of its data set; returns its facts.
    pub fn finish_training(&mut self) -> Result<&ModelInfo, String> {
        let t = self.trainer.take().ok_or("no training is running")?;
        let mut net = t.net;
        round_to_f32(&mut net);
        self.attacks = None;
        let test_accuracy = accuracy(&net, self.store.test(t.data)?);
        let info = RetrainedInfo {
            data: t.data,
            model: t.model,
            epochs: t.history.len(),
            recipe: t.recipe,
            test_accuracy,
            measured_test_accuracy: test_accuracy,
            n_params: net.n_params(),
            retrained_in_browser: true,
        };
        self.own.push((t.data, t.model));
        Ok(self
            .store
            .insert_model(t.data, t.model, net, info_map(&info)))
    }

    /// Drops a retrained model so the shipped one is fetched again.
    pub fn forget_model(&mut self, p: &AttackParams) {
        self.attacks = None;
        self.own.retain(|k| *k != (p.data, p.model));
        self.store.remove_model(p.data, p.model);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::demos::images::tests::store;
    use crate::job::run_to_end;

    fn page(data: ImageDataset, model: ImageModel) -> AttackPage {
        AttackPage {
            store: store(data, &[model], true),
            ..Default::default()
        }
    }

    /// The ratio table stepped one image at a time, as the page's worker does, is the table
    /// the command line computes to the end in one go (`barriers-lab ratios`).
    #[test]
    fn the_stepped_ratio_table_is_the_commands() {
        let (data, model) = (ImageDataset::Digits, ImageModel::Mlp);
        let p = AttackParams {
            data,
            model,
            n: 6,
            ..Default::default()
        };
        let mut page = page(data, model);
        assert!(page.ratios_step(1).is_err());
        page.start_ratios(&p).unwrap();
        let mut last = 0;
        loop {
            let [d, t] = page.ratios_step(1).unwrap();
            assert_eq!((d, t), (last + 1, 6));
            last = d;
            if d >= t {
                break;
            }
        }
        let stepped = serde_json::to_string(&page.ratios_result()).unwrap();
        let net = page.store.net(data, model).unwrap().clone();
        let mut cli = RatioJob::new(net, page.store.test(data).unwrap(), p);
        let whole = serde_json::to_string(&run_to_end(&mut cli, usize::MAX).unwrap()).unwrap();
        assert_eq!(stepped, whole);
        assert!(
            whole.starts_with(r#"{"done":6,"rows":[{"attack":"random","#),
            "{whole}"
        );
    }

    /// A pool (this page and a helper page with the same files) gives one worker's ratio
    /// table, bit for bit: images handed out and attacked by the helper out of order, one
    /// taken back, an older run's numbers dropped, numbers of the wrong length refused; a
    /// model chosen by the student is not handed out (helpers load the shipped files).
    #[test]
    fn a_pool_gives_one_workers_ratio_table() {
        let (data, model) = (ImageDataset::Digits, ImageModel::Mlp);
        let p = AttackParams {
            data,
            model,
            n: 6,
            ..Default::default()
        };
        let mut alone = page(data, model);
        alone.start_ratios(&p).unwrap();
        while alone.ratios_step(1).unwrap()[0] < 6 {}
        let one = serde_json::to_string(&alone.ratios_result()).unwrap();

        let (mut main, helper) = (page(data, model), page(data, model));
        assert_eq!(main.ratios_hand_out(), None, "not started");
        main.start_ratios(&p).unwrap();
        let old_run = main.ratios_hand_out().unwrap();
        // A new start: the older run's numbers are dropped.
        main.start_ratios(&p).unwrap();
        let [run, a, ia] = main.ratios_hand_out().unwrap();
        let [_, b, _] = main.ratios_hand_out().unwrap();
        let [_, c, ic] = main.ratios_hand_out().unwrap();
        assert_eq!((a, b, c), (0, 1, 2));
        assert_ne!(run, old_run[0]);
        main.ratios_take_back(run, b);
        let nc = helper.ratio_image(&p, ic).unwrap();
        assert!(!main.ratios_put(old_run[0], old_run[1], &nc).unwrap());
        assert!(main.ratios_put(run, a, &[0.0; 3]).is_err());
        assert!(main.ratios_put(run, c, &nc).unwrap());
        while !main.ratios_waiting() {
            main.ratios_step(1).unwrap();
        }
        assert_eq!(main.ratios_step(1).unwrap(), [5, 6]);
        let na = helper.ratio_image(&p, ia).unwrap();
        assert!(main.ratios_put(run, a, &na).unwrap());
        assert_eq!(main.ratios_step(1).unwrap(), [6, 6]);
        assert_eq!(serde_json::to_string(&main.ratios_result()).unwrap(), one);
        assert!(helper.ratio_image(&p, 10_000).is_err());

        // The student's own model stays with this worker.
        let file = main.model_file(&p).unwrap();
        main.load_model_file(&p, &file).unwrap();
        main.start_ratios(&p).unwrap();
        assert_eq!(main.ratios_hand_out(), None);
        main.forget_model(&p);
        main.load_model(data.name(), model.name(), &file).unwrap();
        main.start_ratios(&p).unwrap();
        assert!(main.ratios_hand_out().is_some());
    }

    /// Retraining epoch by epoch, as the page does, gives the network training to the end
    /// gives (`barriers-lab train`), and the page then holds it as the state's model.
    #[test]
    fn stepped_retraining_is_the_commands() {
        let (data, model) = (ImageDataset::Digits, ImageModel::Linear);
        let p = AttackParams {
            data,
            model,
            ..Default::default()
        };
        let mut page = page(data, model);
        page.start_training(&p, 3, 2).unwrap();
        assert_eq!(page.training_step(&p).unwrap(), [1, 2]);
        assert_eq!(page.training_step(&p).unwrap(), [2, 2]);
        assert_eq!(page.training_step(&p).unwrap(), [2, 2]);
        let mut cli = TrainParams {
            data,
            model,
            seed: 3,
            epochs: 2,
        }
        .trainer();
        let whole =
            serde_json::to_string(&run_to_end(&mut cli, page.store.train(data).unwrap()).unwrap())
                .unwrap();
        let stepped = serde_json::to_string(&page.trainer.as_ref().unwrap().result()).unwrap();
        assert_eq!(stepped, whole);
        let info = page.finish_training().unwrap().clone();
        assert_eq!(info["epochs"], 2);
        assert_eq!(info["retrained_in_browser"], true);
        round_to_f32(&mut cli.net);
        assert_eq!(
            page.store.net(data, model).unwrap().param_slices(),
            cli.net.param_slices()
        );
        assert_eq!(page.model_info(&p), Some(&info));
        assert!(page.finish_training().is_err());
    }

    /// A dark bar on a white pad becomes the state's drawing; a white pad clears it; pixels
    /// that do not fit the size are refused.
    #[test]
    fn a_drawing_enters_the_state() {
        let p = AttackParams::default();
        let mut rgba = vec![255u8; 4 * 50 * 50];
        for y in 5..45 {
            for x in 20..28 {
                rgba[4 * (y * 50 + x)..4 * (y * 50 + x) + 3].fill(0);
            }
        }
        let (q, drawn) = AttackPage::with_drawing(&p, &rgba, 50, 50).unwrap();
        assert!(drawn && q.drawing.len() == 523);
        let (q, drawn) = AttackPage::with_drawing(&q, &[255; 400], 10, 10).unwrap();
        assert!(!drawn && q == p);
        assert!(AttackPage::with_drawing(&p, &[0; 10], 5, 5).is_err());
    }
}
