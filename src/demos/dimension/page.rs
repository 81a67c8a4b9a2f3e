//! The dimension page as its worker holds it: the loaded data sets, the shipped classifiers
//! (those of the default training setting, per data set) and the experiment being run.

use super::{
    DimensionJob, DimensionModels, DimensionParams, DimensionReadout, DimensionRow, SIDES,
};
use crate::data::images::ImageDataset;
use crate::demos::images::{ImageStore, Need};
use crate::job::Job;
use std::collections::HashMap;

/// The dimension page's held state.
#[derive(Default)]
pub struct DimensionPage {
    pub store: ImageStore,
    /// The shipped classifiers of the default training setting, per data set.
    shipped: HashMap<ImageDataset, DimensionModels>,
    job: Option<DimensionJob>,
}

impl DimensionPage {
    /// The state's data set, if not loaded.
    pub fn needs(&self, p: &DimensionParams) -> Vec<Need> {
        self.store.needs(p.data, &[])
    }

    /// The shipped classifiers' file (in `www/models/`) for the state's data set if it is not
    /// loaded yet, else "".
    pub fn shipped_file(&self, p: &DimensionParams) -> String {
        if self.shipped.contains_key(&p.data) {
            String::new()
        } else {
            DimensionModels::file_name(p.data)
        }
    }

    /// Takes a shipped classifiers file.
    pub fn load_shipped(&mut self, bytes: &[u8]) -> Result<(), String> {
        let m = DimensionModels::from_bytes(bytes)?;
        self.shipped.insert(m.data, m);
        Ok(())
    }

    /// Starts the experiment (everything but eps matters; eps only scales the readout). The
    /// shipped classifiers are measured when they are for the state's training setting.
    pub fn start(&mut self, p: &DimensionParams) -> Result<(), String> {
        self.store.test(p.data)?;
        self.job = Some(DimensionJob::new(p.clone(), self.shipped.get(&p.data)));
        Ok(())
    }

    /// One unit of work (an epoch, or some test images measured); returns [done, total,
    /// sizes measured].
    pub fn step(&mut self, p: &DimensionParams) -> Result<[usize; 3], String> {
        let j = self.job.as_mut().ok_or("nothing is being computed")?;
        let test = self.store.test(p.data)?;
        let train = match j.trains() {
            true => Some(self.store.train(p.data)?),
            false => None,
        };
        j.step((train, test))?;
        let (d, t) = j.progress();
        Ok([d, t, j.rows.len()])
    }

    /// The rows measured so far, and whether the classifiers are the shipped ones.
    pub fn rows(&self) -> (&[DimensionRow], bool) {
        self.job
            .as_ref()
            .map_or((&[][..], false), |j| (&j.rows[..], j.uses_given()))
    }

    /// The rows measured so far, with eps ||w'||_1 at the state's eps.
    pub fn result(&self, p: &DimensionParams) -> DimensionReadout<'_> {
        match &self.job {
            Some(j) => j.readout(p.eps),
            None => DimensionReadout {
                eps: p.eps,
                rows: Vec::new(),
                sides: SIDES,
                shipped: false,
            },
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::data::images::{load, shipped_data_dir, split};
    use crate::demos::images::tests::store;
    use crate::job::run_to_end;

    /// The experiment stepped as the page's worker does gives the JSON the command line's job
    /// gives run to the end (`barriers-lab dimension`), training and with given classifiers;
    /// the readout follows eps without a new run.
    #[test]
    fn the_stepped_experiment_is_the_commands() {
        let data = ImageDataset::Fashion;
        let p = DimensionParams {
            data,
            train: 120,
            n: 10,
            epochs: 1,
            ..Default::default()
        };
        let mut page = DimensionPage {
            store: store(data, &[], false),
            ..Default::default()
        };
        assert!(page.needs(&p).is_empty());
        assert_eq!(
            serde_json::to_string(&page.result(&p)).unwrap(),
            r#"{"eps":0.02,"rows":[],"sides":[8,14,28,56],"shipped":false}"#
        );
        assert!(page.step(&p).is_err());
        let (train, test) = split(&load(data, &shipped_data_dir()).unwrap());
        let mut models = None;
        for round in 0..2 {
            page.start(&p).unwrap();
            while {
                let [d, t, _] = page.step(&p).unwrap();
                d < t
            } {}
            let stepped = serde_json::to_string(&page.result(&p)).unwrap();
            let mut cli = DimensionJob::new(p.clone(), models.as_ref());
            let whole =
                serde_json::to_string(&run_to_end(&mut cli, (Some(&train), &test)).unwrap())
                    .unwrap();
            assert_eq!(stepped, whole);
            assert_eq!(page.rows().1, round == 1);
            if round == 0 {
                models = cli.models();
                let file = models.as_ref().unwrap().to_bytes("test");
                page.load_shipped(&file).unwrap();
                assert_eq!(page.shipped_file(&p), "");
            }
        }
        let wider = DimensionParams {
            eps: 0.1,
            ..p.clone()
        };
        let r = page.result(&wider);
        assert_eq!(r.rows[2].score_change_at_eps, 0.1 * r.rows[2].row.mean_w_l1);
    }
}
