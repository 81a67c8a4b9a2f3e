//! The benchmark kernels, defined once and timed both natively (`src/bin/bench.rs`) and in
//! headless Chromium (`www/bench.html` through the `wasm` binding), so the two medians
//! measure the same work and their ratio is meaningful.
//!
//! Timing: each kernel is warmed up, then repeated in samples long enough (at least
//! `min_sample_ms`) that the browser's coarse clock (0.1 ms without cross-origin isolation)
//! is negligible; the reported figure is the median over samples of the time per call.

use crate::attacks::deepfool::{deepfool, DeepFoolOptions};
use crate::attacks::fgsm::fgsm;
use crate::attacks::universal::labels;
use crate::data::images::{decode, mixed_order, split, ImageDataset};
use crate::demos::toy::{ToyLab, ToyParams};
use crate::models::{ImageModel, ImageTrainer};
use crate::nn::io::from_bytes;
use serde::Serialize;
use std::hint::black_box;

/// The files the image kernels need: MNIST (gunzipped pixels and labels) and the shipped
/// MLP and CNN model files. The native runner reads them from `www/`; the bench page fetches
/// them, so the library's wasm carries no data.
pub struct BenchAssets {
    pub mnist_pixels: Vec<u8>,
    pub mnist_labels: Vec<u8>,
    pub mlp: Vec<u8>,
    pub cnn: Vec<u8>,
}

/// One timed kernel.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub name: String,
    pub description: String,
    /// Median milliseconds per call.
    pub median_ms: f64,
    /// Fastest and slowest sample, per call.
    pub min_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
    pub calls_per_sample: usize,
}

pub struct Kernel {
    pub name: &'static str,
    pub description: &'static str,
    pub run: Box<dyn FnMut()>,
}

/// The toy demo's default model, trained for its 300 epochs, with a point to attack.
fn trained_toy() -> ToyLab {
    let mut lab = ToyLab::new(ToyParams {
        point: Some([0.5, 0.25]),
        ..ToyParams::default()
    });
    lab.train_to_target(usize::MAX);
    lab
}

/// Every kernel, set up and ready to run.
pub fn kernels(assets: &BenchAssets) -> Result<Vec<Kernel>, String> {
    let heat = trained_toy();
    let attack = trained_toy();
    let mut train = ToyLab::new(ToyParams::default());
    let (mnist_train, test) = split(&decode(
        ImageDataset::Mnist,
        &assets.mnist_pixels,
        &assets.mnist_labels,
    )?);
    let mlp = from_bytes(&assets.mlp)?.0;
    let cnn = from_bytes(&assets.cnn)?.0;
    // The first test digit (in the fixed mixed order) that both networks get right.
    let (pm, pc) = (
        labels(&mlp, test.images.view()),
        labels(&cnn, test.images.view()),
    );
    let i = mixed_order(test.len())
        .into_iter()
        .find(|&i| pm[i] == test.labels[i] && pc[i] == test.labels[i])
        .ok_or("no test digit classified correctly")?;
    let x = test.images.row(i).to_owned();
    let y = test.labels[i];
    let (x1, x2, x3, mlp2) = (x.clone(), x.clone(), x, mlp.clone());
    let mut trainer = ImageTrainer::new(ImageModel::Mlp, ImageDataset::Mnist, 1, None);
    let mut kernels = vec![
        Kernel {
            name: "toy_heatmap_200",
            description:
                "decision map repaint: 200 x 200 grid, MLP 2-16-16-2, colours and boundary",
            run: Box::new(move || {
                black_box(heat.decision_map(200));
            }),
        },
        Kernel {
            name: "toy_deepfool",
            description:
                "one DeepFool run (l2, eta 0.02) on the trained MLP 2-16-16-2 from (0.5, 0.25)",
            run: Box::new(move || {
                black_box(attack.attack());
            }),
        },
        Kernel {
            name: "toy_train_epoch",
            description: "one training epoch: 200 points, batches of 32, Adam, MLP 2-16-16-2",
            run: Box::new(move || {
                black_box(train.step_epoch());
            }),
        },
    ];
    kernels.extend([
        Kernel {
            name: "mnist_deepfool_mlp",
            description: "one DeepFool run (l2, at most 50 steps, top 10 classes) on a test digit, MLP 784-128-64-10",
            run: Box::new(move || {
                black_box(deepfool(&mlp, x1.view(), &DeepFoolOptions::default()));
            }),
        },
        Kernel {
            name: "mnist_deepfool_cnn",
            description: "the same DeepFool run on the CNN (two 3x3 convolutions with pooling, dense 784-64-10)",
            run: Box::new(move || {
                black_box(deepfool(&cnn, x2.view(), &DeepFoolOptions::default()));
            }),
        },
        Kernel {
            name: "mnist_fgsm_mlp",
            description: "one FGSM step (eps 0.1) on the same digit, MLP",
            run: Box::new(move || {
                black_box(fgsm(&mlp2, x3.view(), y, 0.1));
            }),
        },
        Kernel {
            name: "mnist_train_epoch_mlp",
            description: "one training epoch of the MLP: 8,000 distorted digits, batches of 64, Adam",
            run: Box::new(move || {
                black_box(trainer.step_epoch(&mnist_train));
            }),
        },
    ]);
    Ok(kernels)
}

impl BenchAssets {
    /// Reads the assets from the source tree.
    pub fn from_source_tree() -> Result<Self, String> {
        let data = crate::data::images::shipped_data_dir();
        let (pf, lf) = ImageDataset::Mnist.files();
        let models = data.parent().map(|d| d.join("models")).unwrap_or_default();
        let read = |p: std::path::PathBuf| {
            std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        Ok(Self {
            mnist_pixels: crate::data::images::read_gz(&data.join(pf))?,
            mnist_labels: crate::data::images::read_gz(&data.join(lf))?,
            mlp: read(models.join("mnist-mlp.blm"))?,
            cnn: read(models.join("mnist-cnn.blm"))?,
        })
    }
}

/// Times `kernel` with the clock `now` (milliseconds).
pub fn measure(
    kernel: &mut Kernel,
    now: &dyn Fn() -> f64,
    samples: usize,
    min_sample_ms: f64,
) -> Measurement {
    // Warm up, and find how many calls make a sample of at least min_sample_ms.
    let mut calls = 1usize;
    loop {
        let t0 = now();
        for _ in 0..calls {
            (kernel.run)();
        }
        let dt = now() - t0;
        if dt >= min_sample_ms || calls >= 1 << 20 {
            break;
        }
        let factor = if dt > 0.0 {
            (min_sample_ms / dt * 1.2).ceil() as usize
        } else {
            10
        };
        calls = (calls * factor.clamp(2, 100)).min(1 << 20);
    }
    // Slow kernels (a training epoch) get fewer samples: about 10 s in all, at least 5.
    let first = {
        let t0 = now();
        (kernel.run)();
        now() - t0
    };
    let samples = if first * calls as f64 * samples as f64 > 10_000.0 {
        ((10_000.0 / (first * calls as f64)) as usize).clamp(5, samples.max(5))
    } else {
        samples
    };
    let mut per_call: Vec<f64> = (0..samples.max(1))
        .map(|_| {
            let t0 = now();
            for _ in 0..calls {
                (kernel.run)();
            }
            (now() - t0) / calls as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    Measurement {
        name: kernel.name.to_owned(),
        description: kernel.description.to_owned(),
        median_ms: median(&per_call),
        min_ms: per_call[0],
        max_ms: per_call[per_call.len() - 1],
        samples: per_call.len(),
        calls_per_sample: calls,
    }
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

/// Runs every kernel and returns the measurements.
pub fn run_all(
    assets: &BenchAssets,
    now: &dyn Fn() -> f64,
    samples: usize,
    min_sample_ms: f64,
) -> Result<Vec<Measurement>, String> {
    Ok(kernels(assets)?
        .iter_mut()
        .map(|k| measure(k, now, samples, min_sample_ms))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The harness with a fake clock that advances 1 ms per reading and kernels that count
    /// their calls: the bookkeeping, not the machine, is under test.
    #[test]
    fn measure_calibrates_and_takes_the_median() {
        use std::cell::Cell;
        use std::rc::Rc;
        let calls = Rc::new(Cell::new(0usize));
        let c = calls.clone();
        let mut k = Kernel {
            name: "k",
            description: "",
            run: Box::new(move || c.set(c.get() + 1)),
        };
        let clock = Cell::new(0.0);
        let now = || {
            clock.set(clock.get() + 1.0);
            clock.get()
        };
        let m = measure(&mut k, &now, 5, 0.5);
        // Each sample reads the clock twice: 1 ms per sample of one call.
        assert_eq!(m.calls_per_sample, 1);
        assert_eq!(m.median_ms, 1.0);
        assert_eq!(m.samples, 5);
        // One warm-up call, one timed call that sizes the samples, five samples of one.
        assert_eq!(calls.get(), 7);
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
    }
}
