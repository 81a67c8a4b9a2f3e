//! The universal-perturbation page as its worker holds it: the loaded data set and models,
//! the perturbations shipped for the default states, and the job (the search for v on one
//! model, then its fooling rates on every model's test images). Part of the CNN's test images
//! may be measured by a second worker: [`UniversalPage::delegate`] hands them out,
//! [`UniversalPage::fooled_part`] is what the helper computes, [`UniversalPage::add_delegated`]
//! takes its counts and [`UniversalPage::take_back`] measures them here after all.

use super::{
    fooled_part, random_control, ShippedPerturbation, UniversalJob, UniversalOutcome,
    UniversalParams,
};
use crate::classifier::Classifier;
use crate::data::images::{mixed_order, ImageDataset, ImageSet};
use crate::demos::images::{parse_model, ImageStore, ModelInfo, Need};
use crate::job::Job;
use crate::models::ImageModel;
use crate::nn::Network;
use ndarray::{s, ArrayView1};
use serde::Serialize;
use std::collections::HashMap;

/// A test image (one of the page's examples) with and without v, and the labels the source
/// model gives them.
#[derive(Clone, Debug, Serialize)]
pub struct UniversalExample {
    pub image: Vec<f64>,
    pub perturbed: Vec<f64>,
    pub label: usize,
    pub adv_label: usize,
    pub class_names: &'static [&'static str],
}

/// The universal page's held state.
#[derive(Default)]
pub struct UniversalPage {
    pub store: ImageStore,
    /// Perturbations shipped for the default states, per data set.
    shipped: HashMap<ImageDataset, Vec<ShippedPerturbation>>,
    job: Option<UniversalJob>,
}

const NO_JOB: &str = "no universal perturbation has been started";

impl UniversalPage {
    /// Files still to fetch: the data set and all three models (for the transfer row).
    pub fn needs(&self, p: &UniversalParams) -> Vec<Need> {
        self.store.needs(p.data, &ImageModel::ALL)
    }

    /// Reads a model file for (data, model); returns its facts.
    pub fn load_model(
        &mut self,
        data: &str,
        model: &str,
        bytes: &[u8],
    ) -> Result<&ModelInfo, String> {
        self.store.load_model(data, model, bytes, false)
    }

    /// The file of shipped perturbations for the state's data set (in `www/models/`) if there
    /// is one and it is not loaded yet, else "".
    pub fn shipped_file(&self, p: &UniversalParams) -> String {
        if p.data == ImageDataset::Mnist && !self.shipped.contains_key(&p.data) {
            ShippedPerturbation::file_name(p.data)
        } else {
            String::new()
        }
    }

    /// Takes the shipped perturbations file of the state's data set.
    pub fn load_shipped(&mut self, p: &UniversalParams, bytes: &[u8]) -> Result<(), String> {
        let list = ShippedPerturbation::from_bytes(bytes)?;
        self.shipped.insert(p.data, list);
        Ok(())
    }

    /// Starts the job on the model `source` (one of linear, mlp, cnn) with the state's
    /// settings: the search for v (none if v is shipped for this state), then its fooling
    /// rates on the test images of every model loaded.
    pub fn start(&mut self, p: &UniversalParams, source: &str) -> Result<(), String> {
        let m = parse_model(source)?;
        let p = UniversalParams {
            model: m,
            ..p.clone()
        };
        self.job = None;
        let store = &self.store;
        let nets: Vec<(ImageModel, &Network)> = ImageModel::ALL
            .iter()
            .filter_map(|&m| store.net(p.data, m).ok().map(|n| (m, n)))
            .collect();
        store.net(p.data, m)?;
        let shipped = self.shipped.get(&p.data).map_or(&[][..], |v| &v[..]);
        let test_len = store.test(p.data)?.len();
        // The search needs only the training images it visits, not the whole split.
        let images = match ShippedPerturbation::find(shipped, &p) {
            Some(_) => None,
            None => Some(store.train_rows(p.data, &p.search_indices())?.images),
        };
        self.job = Some(UniversalJob::with_images(
            p, &nets, images, test_len, shipped,
        )?);
        Ok(())
    }

    fn job(&self) -> Result<&UniversalJob, String> {
        self.job.as_ref().ok_or_else(|| NO_JOB.into())
    }

    /// Leaves all but the first `own_share` of the test images of `model` to be measured by
    /// another worker (see [`UniversalJob::delegate`]); returns [from, to], the images left,
    /// or [] if it did not.
    pub fn delegate(
        &mut self,
        p: &UniversalParams,
        model: &str,
        own_share: f64,
    ) -> Result<Vec<usize>, String> {
        let m = parse_model(model)?;
        let n = self.store.test(p.data)?.len();
        let from = (own_share.clamp(0.0, 1.0) * n as f64).round() as usize;
        let j = self.job.as_mut().ok_or(NO_JOB)?;
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
    ) -> Result<(), String> {
        let m = parse_model(model)?;
        if let Some(j) = &mut self.job {
            j.add_delegated(m, fooled_v, fooled_noise);
        }
        Ok(())
    }

    /// Measures a delegated part here after all.
    pub fn take_back(&mut self, model: &str) -> Result<(), String> {
        let m = parse_model(model)?;
        if let Some(j) = &mut self.job {
            j.take_back(m);
        }
        Ok(())
    }

    /// The perturbation of the job (final, or the search's so far).
    pub fn v(&self) -> Result<Vec<f64>, String> {
        Ok(self.job()?.v().to_vec())
    }

    /// What a helper worker measures for another: of the test images from..to, how many `v`
    /// changes the label of on `model` and how many random noise of its size does (the noise
    /// drawn from the state's norm and seed, as the job draws it): [fooled by v, by noise].
    pub fn fooled_part(
        &self,
        p: &UniversalParams,
        model: &str,
        v: &[f64],
        from: usize,
        to: usize,
    ) -> Result<[usize; 2], String> {
        let m = parse_model(model)?;
        let test = self.store.test(p.data)?;
        let net = self.store.net(p.data, m)?;
        if v.len() != test.images.ncols() || from > to || to > test.len() {
            return Err("a part of the test images needs a v of the images' size and from <= to <= their count".into());
        }
        let v = ArrayView1::from(v);
        let noise = random_control(p.norm, v, p.seed);
        let (a, b) = fooled_part(
            net,
            test.images.slice(s![from..to, ..]),
            v,
            noise.view(),
            p.bounds,
        );
        Ok([a, b])
    }

    /// Visits up to `budget` images of the search, or measures a few test images; returns
    /// [done, total, finished (0/1), v ready (0/1), models measured, all measured here (0/1)].
    pub fn step(&mut self, p: &UniversalParams, budget: usize) -> Result<[usize; 6], String> {
        let test = self.store.test(p.data)?;
        let j = self.job.as_mut().ok_or(NO_JOB)?;
        j.step((test, budget))?;
        let (d, t) = j.progress();
        Ok([
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

    /// The perturbation and what it does so far (see [`UniversalOutcome`]).
    pub fn result(&self) -> Result<UniversalOutcome, String> {
        Ok(self.job()?.result())
    }

    /// The job with the test images and its source model: what its figure is drawn from.
    pub fn figure(&self) -> Result<(&UniversalJob, &ImageSet, &Network), String> {
        let j = self.job()?;
        let p = j.params();
        Ok((
            j,
            self.store.test(p.data)?,
            self.store.net(p.data, p.model)?,
        ))
    }

    /// A test image (the i-th in the fixed mixed order) without and with v: the input
    /// classified, P(x + v) in the state's box.
    pub fn example(&self, p: &UniversalParams, i: usize) -> Result<UniversalExample, String> {
        let j = self.job()?;
        let test = self.store.test(p.data)?;
        let order = mixed_order(test.len());
        let x = test.images.row(order[i % order.len()]);
        let xv = (&x + j.v()).mapv(|e| p.bounds.clip(e));
        let net = self.store.net(p.data, p.model)?;
        Ok(UniversalExample {
            image: x.to_vec(),
            perturbed: xv.to_vec(),
            label: net.label(x),
            adv_label: net.label(xv.view()),
            class_names: p.data.class_names(),
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::data::images::{load, shipped_data_dir, split};
    use crate::demos::images::tests::store;
    use crate::job::run_to_end;

    /// The page's job stepped a few images at a time (as the worker does, the CNN's last test
    /// images measured by the "helper" through `fooled_part`) gives the JSON the command line's
    /// job gives run to the end in one go (`barriers-lab universal`), on a small search.
    #[test]
    fn the_stepped_job_with_a_helper_is_the_commands() {
        let data = ImageDataset::Digits;
        let p = UniversalParams {
            data,
            n: 60,
            xi: 0.3,
            max_passes: 2,
            ..Default::default()
        };
        let mut page = UniversalPage {
            store: store(data, &ImageModel::ALL, false),
            ..Default::default()
        };
        assert!(page.needs(&p).is_empty());
        assert!(page.step(&p, 5).is_err() && page.result().is_err());
        page.start(&p, "mlp").unwrap();
        let mut helped = false;
        loop {
            let s = page.step(&p, 5).unwrap();
            if s[3] == 1 && !helped {
                helped = true;
                let part = page.delegate(&p, "cnn", 0.35).unwrap();
                let v = page.v().unwrap();
                let [a, b] = page.fooled_part(&p, "cnn", &v, part[0], part[1]).unwrap();
                page.add_delegated("cnn", a, b).unwrap();
            }
            if s[2] == 1 {
                break;
            }
        }
        let stepped = serde_json::to_string(&page.result().unwrap()).unwrap();
        let (train, test) = split(&load(data, &shipped_data_dir()).unwrap());
        let refs: Vec<(ImageModel, &Network)> = ImageModel::ALL
            .iter()
            .map(|&m| (m, page.store.net(data, m).unwrap()))
            .collect();
        let mut cli = UniversalJob::new(p, &refs, Some(&train), test.len(), &[]).unwrap();
        let whole =
            serde_json::to_string(&run_to_end(&mut cli, (&test, usize::MAX)).unwrap()).unwrap();
        assert_eq!(stepped, whole);
        let e = page
            .example(
                &UniversalParams {
                    data,
                    ..Default::default()
                },
                3,
            )
            .unwrap();
        assert_eq!((e.image.len(), e.perturbed.len()), (64, 64));
    }
}
