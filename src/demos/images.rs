//! What the image pages (attacks, universal perturbations, dimension) load and share: the
//! data sets and the trained classifiers, handed over as the bytes of the shipped files, and
//! the list of files a state still needs.
//!
//! A data set's test images are decoded when it arrives, its training images only when
//! something trains or searches on them (the bytes are kept for that: MNIST's training images
//! take 50 MB as f64, its bytes 6 MB).

use crate::classifier::Classifier;
use crate::data::images::{decode_part, decode_part_rows, ImageDataset, ImageSet, Part};
use crate::models::{accuracy, model_file_name, ImageModel};
use crate::nn::io::from_bytes;
use crate::nn::Network;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::cell::OnceCell;
use std::collections::HashMap;

/// A name of the schema's menu (a data set, a model) read as its type.
fn parse<T: DeserializeOwned>(what: &str, name: &str) -> Result<T, String> {
    serde_json::from_value(Value::from(name)).map_err(|_| format!("unknown {what} '{name}'"))
}

/// A data set by its name (mnist, fashion, digits).
pub fn parse_dataset(name: &str) -> Result<ImageDataset, String> {
    parse("data set", name)
}

/// A model by its name (linear, mlp, cnn).
pub fn parse_model(name: &str) -> Result<ImageModel, String> {
    parse("model", name)
}

/// A data set as a page holds it: the test images decoded, the training images (four fifths)
/// decoded from the kept bytes only when something trains or searches on them.
struct DataSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    test: ImageSet,
    train: OnceCell<ImageSet>,
}

/// Facts about a loaded model: those of its file's header, with its number of parameters and
/// (when measured) its accuracy on the loaded test images, `measured_test_accuracy`.
pub type ModelInfo = Map<String, Value>;

/// Facts as a model file's header holds them (a field per key).
pub fn info_map(facts: &impl Serialize) -> ModelInfo {
    match serde_json::to_value(facts) {
        Ok(Value::Object(map)) => map,
        _ => ModelInfo::new(),
    }
}

/// A file a state needs that is not loaded yet: a data set's two files (pixels, labels), or
/// a model's file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Need {
    Data {
        data: ImageDataset,
        files: (&'static str, &'static str),
    },
    Model {
        data: ImageDataset,
        model: ImageModel,
        file: String,
    },
}

/// The data sets and models a page has loaded.
#[derive(Default)]
pub struct ImageStore {
    sets: HashMap<ImageDataset, DataSet>,
    models: HashMap<(ImageDataset, ImageModel), (Network, ModelInfo)>,
}

impl ImageStore {
    /// Takes a data set's gunzipped bytes (pixels and labels) and decodes its test images.
    pub fn load_data(&mut self, name: &str, pixels: &[u8], labels: &[u8]) -> Result<(), String> {
        let kind = parse_dataset(name)?;
        // Any previous copy goes first, so the memory is reused rather than grown.
        self.sets.remove(&kind);
        let test = decode_part(kind, pixels, labels, Part::Test)?;
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
    pub fn load_model(
        &mut self,
        data: &str,
        model: &str,
        bytes: &[u8],
        measure: bool,
    ) -> Result<&ModelInfo, String> {
        let (kind, m) = (parse_dataset(data)?, parse_model(model)?);
        let (net, header) = from_bytes(bytes)?;
        let d = kind.side() * kind.side();
        if net.input_dim() != d || net.n_classes() != 10 {
            return Err(format!("this model takes {} inputs and gives {} classes; {} needs {d} inputs and 10 classes", net.input_dim(), net.n_classes(), kind.name()));
        }
        let mut info = header.info;
        info.insert("n_params".into(), net.n_params().into());
        if let Some(set) = self.sets.get(&kind).filter(|_| measure) {
            info.insert(
                "measured_test_accuracy".into(),
                accuracy(&net, &set.test).into(),
            );
        }
        Ok(self.insert_model(kind, m, net, info))
    }

    /// Keeps `net` as the (data, model) classifier, with its facts.
    pub fn insert_model(
        &mut self,
        data: ImageDataset,
        model: ImageModel,
        net: Network,
        info: ModelInfo,
    ) -> &ModelInfo {
        use std::collections::hash_map::Entry;
        let slot = match self.models.entry((data, model)) {
            Entry::Occupied(mut e) => {
                e.insert((net, info));
                e.into_mut()
            }
            Entry::Vacant(e) => e.insert((net, info)),
        };
        &slot.1
    }

    /// Drops the (data, model) classifier.
    pub fn remove_model(&mut self, data: ImageDataset, model: ImageModel) {
        self.models.remove(&(data, model));
    }

    /// The (data, model) classifier with its facts, if loaded.
    pub fn model(&self, data: ImageDataset, model: ImageModel) -> Option<&(Network, ModelInfo)> {
        self.models.get(&(data, model))
    }

    fn set(&self, kind: ImageDataset) -> Result<&DataSet, String> {
        self.sets
            .get(&kind)
            .ok_or_else(|| format!("the {} images are not loaded yet", kind.name()))
    }

    /// The test images (the held-out fifth).
    pub fn test(&self, kind: ImageDataset) -> Result<&ImageSet, String> {
        Ok(&self.set(kind)?.test)
    }

    /// Some training images (indices into the training split): taken from the decoded split
    /// if it is there, else decoded alone.
    pub fn train_rows(&self, kind: ImageDataset, idx: &[usize]) -> Result<ImageSet, String> {
        let set = self.set(kind)?;
        match set.train.get() {
            Some(train) => Ok(train.select(idx)),
            None => decode_part_rows(kind, &set.pixels, &set.labels, Part::Train, idx),
        }
    }

    /// The training images, decoded on first use.
    pub fn train(&self, kind: ImageDataset) -> Result<&ImageSet, String> {
        let set = self.set(kind)?;
        if let Some(train) = set.train.get() {
            return Ok(train);
        }
        let train = decode_part(kind, &set.pixels, &set.labels, Part::Train)?;
        Ok(set.train.get_or_init(|| train))
    }

    /// The (data, model) classifier.
    pub fn net(&self, kind: ImageDataset, m: ImageModel) -> Result<&Network, String> {
        self.model(kind, m)
            .map(|x| &x.0)
            .ok_or_else(|| format!("the {} {} model is not loaded yet", kind.name(), m.name()))
    }

    /// What a page must fetch for the data set `data` and the `models` on it: the data set's
    /// files if it is not loaded, then each model's file not loaded.
    pub fn needs(&self, data: ImageDataset, models: &[ImageModel]) -> Vec<Need> {
        let mut out = Vec::new();
        if !self.sets.contains_key(&data) {
            out.push(Need::Data {
                data,
                files: data.files(),
            });
        }
        for &model in models {
            if !self.models.contains_key(&(data, model)) {
                out.push(Need::Model {
                    data,
                    model,
                    file: model_file_name(data, model),
                });
            }
        }
        out
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::*;
    use crate::data::images::shipped_data_dir;
    use std::io::Read;

    fn gunzip(path: &std::path::Path) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// A store with the shipped files of `data` and its `models` loaded, as a page's worker
    /// hands them over.
    pub(crate) fn store(data: ImageDataset, models: &[ImageModel], measure: bool) -> ImageStore {
        let mut s = ImageStore::default();
        let dir = shipped_data_dir();
        let (px, lb) = data.files();
        s.load_data(data.name(), &gunzip(&dir.join(px)), &gunzip(&dir.join(lb)))
            .unwrap();
        for &m in models {
            let file = dir
                .parent()
                .unwrap()
                .join("models")
                .join(model_file_name(data, m));
            s.load_model(
                data.name(),
                m.name(),
                &std::fs::read(file).unwrap(),
                measure,
            )
            .unwrap();
        }
        s
    }

    /// The list of files is what the pages' workers read: the data set's two files, then the
    /// models' files, each once loaded no longer listed.
    #[test]
    fn needs_lists_what_is_not_loaded() {
        let empty = ImageStore::default();
        let list =
            serde_json::to_string(&empty.needs(ImageDataset::Digits, &[ImageModel::Mlp])).unwrap();
        assert_eq!(
            list,
            r#"[{"data":"digits","files":["sklearn_digits_u8_8x8.bin.gz","sklearn_digits_labels_u8.bin.gz"]},{"data":"digits","model":"mlp","file":"digits-mlp.blm"}]"#
        );
        let s = store(ImageDataset::Digits, &[ImageModel::Mlp], true);
        assert!(s.needs(ImageDataset::Digits, &[ImageModel::Mlp]).is_empty());
        let info = &s.model(ImageDataset::Digits, ImageModel::Mlp).unwrap().1;
        assert!(info["measured_test_accuracy"].as_f64().unwrap() > 0.9);
        assert!(parse_model("resnet")
            .unwrap_err()
            .contains("unknown model 'resnet'"));
        assert!(s.net(ImageDataset::Digits, ImageModel::Cnn).is_err());
    }
}
