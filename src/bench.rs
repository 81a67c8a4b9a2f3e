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
use crate::attacks::Bounds;
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
    /// The Colin27 stack at 128 x 128 (gunzipped).
    pub colin27_128: Vec<u8>,
    /// The Colin27 stack at 64 x 64 (gunzipped) and the trained reconstruction network.
    pub colin27_64: Vec<u8>,
    pub recon_net: Vec<u8>,
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
    let chunk = test
        .images
        .slice(ndarray::s![..crate::nn::network::EVAL_CHUNK, ..])
        .to_owned();
    let cnn2 = cnn.clone();
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
            name: "mnist_cnn_logits_64",
            description: "the CNN's logits of 64 test digits, one chunk of its batch passes (accuracy, labels, fooling rates)",
            run: Box::new(move || {
                black_box(cnn2.logits_batch(chunk.view()));
            }),
        },
        Kernel {
            name: "mnist_fgsm_mlp",
            description: "one FGSM step (eps 0.1) on the same digit, MLP",
            run: Box::new(move || {
                black_box(fgsm(&mlp2, x3.view(), y, 0.1, Bounds::None));
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
    kernels.extend(mri_kernels(assets)?);
    kernels.extend(instability_kernels(assets)?);
    kernels.extend(network_kernels(assets)?);
    kernels.extend(inexact_kernels()?);
    kernels.extend(kernel1d_kernels()?);
    kernels.extend(stripes_kernels()?);
    kernels.extend(peer_kernels()?);
    kernels.extend(scalar_fft_kernels());
    Ok(kernels)
}

/// The 2-D FFT with rustfft's portable scalar planner, natively only: the WebAssembly module
/// leaves the scalar planner out (see [`crate::operators::fourier::Fourier2d::new`]), so these
/// rows have no Chromium column.
#[cfg(not(target_arch = "wasm32"))]
fn scalar_fft_kernels() -> Vec<Kernel> {
    use crate::operators::complex_gaussian;
    use crate::operators::fourier::Fourier2d;
    use crate::rng::Rng;
    [
        (
            256,
            "fft2_scalar_256",
            "fft2_256 with rustfft's portable scalar planner (native only)",
        ),
        (
            128,
            "fft2_scalar_128",
            "fft2_128 with rustfft's portable scalar planner (native only)",
        ),
        (
            64,
            "fft2_scalar_64",
            "fft2_64 with rustfft's portable scalar planner (native only)",
        ),
        (
            32,
            "fft2_scalar_32",
            "fft2_default_32 with rustfft's portable scalar planner (native only)",
        ),
    ]
    .into_iter()
    .map(|(n, name, description)| {
        let f = Fourier2d::scalar(n);
        let mut b = complex_gaussian(n * n, &mut Rng::new(1)).to_vec();
        Kernel {
            name,
            description,
            run: Box::new(move || f.forward_inplace(&mut b)),
        }
    })
    .collect()
}

#[cfg(target_arch = "wasm32")]
fn scalar_fft_kernels() -> Vec<Kernel> {
    Vec::new()
}

/// rustfft used plainly, as its documentation suggests for a 2-D transform (planned by
/// rustfft's own planner for this target, as the lab's transform is): the rows in one call, a transpose (the `transpose` crate rustfft itself depends on), the rows again, a
/// transpose back, then the 1/n of the unitary transform in a separate pass; every buffer
/// allocated once. This is the peer the lab's own 2-D FFT ([`Fourier2d`]) is compared with
/// in `npm run bench` (the same crate, the same planner and target features, no lab code).
///
/// [`Fourier2d`]: crate::operators::fourier::Fourier2d
pub struct PlainFft2 {
    n: usize,
    fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
    scratch: Vec<crate::operators::C64>,
    t: Vec<crate::operators::C64>,
}

impl PlainFft2 {
    pub fn new(n: usize) -> Self {
        let fft = crate::operators::fourier::plan(n, rustfft::FftDirection::Forward);
        let scratch = vec![crate::operators::C64::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Self {
            n,
            fft,
            scratch,
            t: vec![crate::operators::C64::new(0.0, 0.0); n * n],
        }
    }

    /// The unitary forward transform of the n x n image `data`, in place.
    pub fn forward(&mut self, data: &mut [crate::operators::C64]) {
        let n = self.n;
        self.fft.process_with_scratch(data, &mut self.scratch);
        transpose::transpose(data, &mut self.t, n, n);
        self.fft
            .process_with_scratch(&mut self.t, &mut self.scratch);
        transpose::transpose(&self.t, data, n, n);
        let s = 1.0 / n as f64;
        for z in data.iter_mut() {
            *z *= s;
        }
    }
}

/// The points of the toy's decision map at `size` x `size` pixels.
pub fn toy_grid(lab: &ToyLab, size: usize) -> ndarray::Array2<f64> {
    crate::render::PixelGrid {
        view: lab.view(),
        size,
    }
    .centres()
}

/// The heat map's forward pass as a peer sees it: the toy's trained MLP (its dense layers
/// with the activation after each hidden one), the 200 x 200 grid points and the lab's
/// logits there, for the TF.js peer in `www/bench-peers.html` to run and check against.
#[derive(Serialize)]
pub struct ToyForwardProblem {
    /// Each dense layer: weights row-major (outputs x inputs), bias, sizes.
    pub layers: Vec<PeerDense>,
    /// The activation after every hidden layer ("relu", "tanh" or "sigmoid").
    pub activation: &'static str,
    /// The points, (x, y) pairs row-major.
    pub points: Vec<f64>,
    /// The lab's logits at the points, row-major.
    pub logits: Vec<f64>,
    pub classes: usize,
}

#[derive(Serialize)]
pub struct PeerDense {
    pub w: Vec<f64>,
    pub b: Vec<f64>,
    pub inputs: usize,
    pub outputs: usize,
}

/// The toy's default network, trained, at the 200 x 200 grid: see [`ToyForwardProblem`].
pub fn toy_forward_problem() -> ToyForwardProblem {
    use crate::nn::layers::Layer;
    let lab = trained_toy();
    let net = lab.net();
    let points = toy_grid(&lab, 200);
    let logits = net.logits_batch(points.view());
    let layers = net
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Dense(d) => Some(PeerDense {
                w: d.w.iter().copied().collect(),
                b: d.b.to_vec(),
                inputs: d.inputs(),
                outputs: d.outputs(),
            }),
            _ => None,
        })
        .collect();
    ToyForwardProblem {
        layers,
        activation: ToyParams::default().activation.name(),
        points: points.iter().copied().collect(),
        logits: logits.iter().copied().collect(),
        classes: logits.ncols(),
    }
}

/// The lab's side of the peer comparisons in `npm run bench` (the peers themselves run in
/// `www/bench-peers.html`: TF.js's wasm backend and fft.js; and here, rustfft used plainly).
fn peer_kernels() -> Result<Vec<Kernel>, String> {
    use crate::operators::complex_gaussian;
    use crate::rng::Rng;
    let lab = trained_toy();
    let points = toy_grid(&lab, 200);
    let mut p256 = PlainFft2::new(256);
    let mut b256 = complex_gaussian(256 * 256, &mut Rng::new(1)).to_vec();
    let mut p128 = PlainFft2::new(128);
    let mut b128 = complex_gaussian(128 * 128, &mut Rng::new(1)).to_vec();
    Ok(vec![
        Kernel {
            name: "toy_logits_200",
            description: "the heat map's forward pass alone: logits of the MLP 2-16-16-2 at 200 x 200 points (the TF.js peer's work)",
            run: Box::new(move || {
                black_box(lab.net().logits_batch(points.view()));
            }),
        },
        Kernel {
            name: "peer_rustfft2_256",
            description: "peer: rustfft used plainly (rows, transpose, rows, transpose, 1/n), 256 x 256",
            run: Box::new(move || p256.forward(&mut b256)),
        },
        Kernel {
            name: "peer_rustfft2_128",
            description: "peer: the same at 128 x 128",
            run: Box::new(move || p128.forward(&mut b128)),
        },
    ])
}

/// The 1-D troublesome-kernel page's training: the default state (pairs on, delta 0.05, 60
/// epochs of Adam over 1,024 signals and 256 pairs, with the trace every 5 epochs), from
/// drawing the signals to the last trace point. The page must finish it in under 10 s.
fn kernel1d_kernels() -> Result<Vec<Kernel>, String> {
    use crate::demos::kernel1d::{Kernel1dParams, TrainJob};
    use crate::job::run_to_end;
    let p = Kernel1dParams::default();
    TrainJob::new(&p, p.pairs)?;
    Ok(vec![Kernel {
        name: "kernel1d_train_default",
        description: "the 1-D troublesome kernel's default training: pairs on, 60 epochs of Adam over 1,280 signals (N = 128, MLP 33-64-64-128), with its trace",
        run: Box::new(move || {
            let mut job = TrainJob::new(&p, p.pairs).expect("checked above");
            black_box(run_to_end(&mut job, ()).map(|t| t.trace.len()).ok());
        }),
    }])
}

/// The barrier page's work: the nine-cell table with FIRENET (30 x 50 layers) and the long
/// Chambolle-Pock run (20,000 steps) per cell, and one epoch of LISTA's training (10 Adam
/// steps of batch 100 over its 1,000 examples) at the default cell K = 3, n = 20.
fn inexact_kernels() -> Result<Vec<Kernel>, String> {
    use crate::demos::inexact::{CellJob, InexactParams, TableJob, LISTA_BATCH, LISTA_EXAMPLES};
    use crate::job::{run_to_end, Job};
    let solvers_only = InexactParams {
        lista_steps: 0,
        ..InexactParams::default()
    };
    TableJob::new(&solvers_only)?;
    let epoch = LISTA_EXAMPLES / LISTA_BATCH;
    let lista = InexactParams {
        restarts: 1,
        inner: 1,
        cp_iters: 10,
        lista_steps: epoch,
        ..InexactParams::default()
    };
    CellJob::new(&lista)?;
    Ok(vec![
        Kernel {
            name: "inexact_table_solvers",
            description: "the barrier's nine-cell table: FIRENET (30 x 50 layers) and 20,000 Chambolle-Pock steps per cell",
            run: Box::new(move || {
                let mut job = TableJob::new(&solvers_only).expect("checked above");
                black_box(run_to_end(&mut job, ()).map(|t| t.rows.len()).ok());
            }),
        },
        Kernel {
            name: "inexact_lista_epoch",
            description: "one epoch of LISTA's training at K = 3, n = 20: 10 Adam steps of batch 100, 10 layers (with drawing its 1,000 examples)",
            run: Box::new(move || {
                let mut job = CellJob::new(&lista).expect("checked above");
                black_box(run_to_end(&mut job, ()).map(|c| c.lista.is_some()).ok());
                black_box(job.done());
            }),
        },
    ])
}

/// The stripes page's work at its default state (a = 0.01, label backgrounds, seed 1): the
/// network's full training (30 full-batch Adam epochs on the 60 images, 8 and 16 channels),
/// and the whole job the page waits for (the training, the scores on the training, test and
/// false sets of 60, 200 and 200 images, and DeepFool on 20 test images).
fn stripes_kernels() -> Result<Vec<Kernel>, String> {
    use crate::demos::stripes::{StripesParams, TrainJob};
    use crate::false_structures::{training_set, Trainer};
    use crate::job::run_to_end;
    let p = StripesParams::default();
    TrainJob::new(&p)?;
    let q = p.clone();
    Ok(vec![
        Kernel {
            name: "stripes_train",
            description: "the stripe network's full training: 30 Adam epochs on the full batch of 60 images (conv 5x5x8, pool, conv 5x5x16, pool, dense 1024-10-2)",
            run: Box::new(move || {
                let set = training_set(p.a, p.background, p.training, u64::from(p.seed));
                let mut t = Trainer::new(set, p.train_settings());
                t.run();
                black_box(t.curve.len());
            }),
        },
        Kernel {
            name: "stripes_job",
            description: "the stripes page's whole job: the training, the scores on 60 + 200 + 200 images, DeepFool on 20 test images",
            run: Box::new(move || {
                let mut job = TrainJob::new(&q).expect("checked above").with_chunk(usize::MAX);
                black_box(run_to_end(&mut job, ()).map(|r| r.epochs_done).ok());
            }),
        },
    ])
}

/// One step of the instability test (forward pass, vector-Jacobian product, update) at the
/// page's 25 % variable density and 1 % noise, with a budget of 0.05 ||x|| so that the calls
/// can go on without r growing without bound. The 64 x 64 kernels use the Shepp-Logan phantom
/// (the assets hold only the 128 x 128 Colin27 stack), the 128 x 128 one the default slice.
fn instability_kernels(assets: &BenchAssets) -> Result<Vec<Kernel>, String> {
    use crate::data::mri::decode_slices;
    use crate::demos::mri::{ImageSource, MriExperiment, MriImages, MriParams, Size};
    use crate::instability::{InstabilityOptions, InstabilityTest, MAX_ITERATIONS};
    use crate::operators::{complex, LinearOperator};
    use crate::recon::vjp::recon_map;
    use crate::recon::{Method, Objective};

    let images = MriImages {
        slices: vec![decode_slices(128, &assets.colin27_128)?],
        upload: None,
    };
    let test = |size: Size, method: Method, iterations: usize, n: usize, p: usize| {
        let params = MriParams {
            size,
            image: if size == Size::S64 {
                ImageSource::SheppLogan
            } else {
                ImageSource::Colin27
            },
            iters: iterations,
            restarts: n,
            inner: p,
            firenet_on: Objective::Tv,
            ..MriParams::default()
        };
        let exp = MriExperiment::new(params.clone(), &images)?;
        let e = &exp.y - &exp.a.apply(complex(exp.x.view()).view());
        let map = recon_map(method, &exp.a, &params.settings())?;
        let opts = InstabilityOptions {
            iterations: MAX_ITERATIONS,
            snapshots: vec![MAX_ITERATIONS],
            budget: Some(0.05),
            ..Default::default()
        };
        InstabilityTest::new(map, exp.a.clone(), exp.x.clone(), Some(e), opts)
    };
    // (The settings a method does not use are the page's defaults.)
    let mut adjoint = test(Size::S64, Method::ADJOINT, 100, 5, 10)?;
    let mut tv = test(Size::S64, Method::TV, 100, 5, 10)?;
    let mut firenet = test(Size::S64, Method::FIRENET, 100, 5, 10)?;
    let mut firenet128 = test(Size::S128, Method::FIRENET, 100, 6, 50)?;
    Ok(vec![
        Kernel {
            name: "instab_step_adjoint_64",
            description: "one instability-test step (forward, VJP, update) on the adjoint reconstruction, 64 x 64 Shepp-Logan",
            run: Box::new(move || adjoint.step()),
        },
        Kernel {
            name: "instab_step_tv_64",
            description: "the same through 100 Chambolle-Pock steps on the TV square-root LASSO, 64 x 64",
            run: Box::new(move || tv.step()),
        },
        Kernel {
            name: "instab_step_firenet_64",
            description: "the same through FIRENET 5 x 10 on the TV square-root LASSO, 64 x 64",
            run: Box::new(move || firenet.step()),
        },
        Kernel {
            name: "instab_step_firenet_6x50_128",
            description: "the same through FIRENET as the page runs it, 6 x 50 on TV, 128 x 128",
            run: Box::new(move || firenet128.step()),
        },
    ])
}

/// The trained network at its setting (32 x 32, its mask), on held-out family member 9001 at
/// 1 % noise: one forward and backward pass (the loss and its weight gradients), and one
/// instability-test step on the network, FIRENET 6 x 50 on TV, TV and the Db4 wavelet
/// square-root LASSO (300 Chambolle-Pock steps each) and the adjoint, with the demo's
/// defaults.
fn network_kernels(assets: &BenchAssets) -> Result<Vec<Kernel>, String> {
    use crate::data::mri::decode_slices;
    use crate::demos::unstable::{start, Case, Setting, UnstableParams, Which};
    use crate::instability::MAX_ITERATIONS;
    use crate::operators::{complex, LinearOperator};

    let setting = Setting::from_bytes(&assets.recon_net)?;
    let slices = decode_slices(64, &assets.colin27_64)?.at_side(setting.side())?;
    let p = UnstableParams {
        iters: MAX_ITERATIONS,
        ..UnstableParams::default()
    };
    let case = Case::family(&setting, &slices, 9001, p.noise)?;
    let y = setting.a.apply(complex(case.x.view()).view()) + &case.e;
    let (net, a, x) = (setting.net.clone(), setting.a.clone(), case.x.clone());
    let batch = [(x, y)];
    let mut kernels = vec![Kernel {
        name: "net_forward_backward",
        description: "the trained network (dense, 32 x 32): one forward and backward pass (loss and weight gradients)",
        run: Box::new(move || {
            black_box(crate::recon::train::batch_gradient(&net, &a, &batch, 1).expect("fits"));
        }),
    }];
    let tests = [
        (
            Which::Net,
            "instab_step_net",
            "one instability-test step (forward, VJP, update) on the trained network, 32 x 32",
        ),
        (
            Which::Firenet,
            "instab_step_net_firenet_6x50",
            "the same on FIRENET 6 x 50 (TV) at the network's setting",
        ),
        (
            Which::Tv,
            "instab_step_net_tv_300",
            "the same on TV, 300 Chambolle-Pock steps, at the network's setting",
        ),
        (
            Which::CsWavelet,
            "instab_step_net_wavelet_300",
            "the same on the Daubechies-4 square-root LASSO, 300 Chambolle-Pock steps, at the network's setting",
        ),
        (
            Which::Adjoint,
            "instab_step_net_adjoint",
            "the same on the adjoint at the network's setting",
        ),
    ];
    for (w, name, description) in tests {
        let mut t = start(&setting, &case, w, &p)?;
        kernels.push(Kernel {
            name,
            description,
            run: Box::new(move || t.step()),
        });
    }
    Ok(kernels)
}

/// The MRI kernels: the 2-D FFT, the adjoint reconstruction, FIRENET, one Chambolle-Pock
/// step, and one frame of the page (metrics of four reconstructions and their pictures).
fn mri_kernels(assets: &BenchAssets) -> Result<Vec<Kernel>, String> {
    use crate::data::mri::decode_slices;
    use crate::demos::mri::{modulus, MriExperiment, MriImages, MriParams, Size};
    use crate::operators::fourier::Fourier2d;
    use crate::operators::{complex_gaussian, LinearOperator};
    use crate::recon::{Method, Objective, Recon};
    use crate::render::mri::{error_rgba, grey_scaled_rgba, kspace_log, kspace_rgba};
    use crate::rng::Rng;

    let images = MriImages {
        slices: vec![decode_slices(128, &assets.colin27_128)?],
        upload: None,
    };
    let fft = Fourier2d::new(256);
    let mut buf = complex_gaussian(256 * 256, &mut Rng::new(1)).to_vec();
    let fft128 = Fourier2d::new(128);
    let mut buf128 = complex_gaussian(128 * 128, &mut Rng::new(1)).to_vec();
    let fft64 = Fourier2d::new(64);
    let mut buf64 = complex_gaussian(64 * 64, &mut Rng::new(1)).to_vec();
    let d128 = Fourier2d::new(128);
    let d32 = Fourier2d::new(32);
    let mut bd32 = complex_gaussian(32 * 32, &mut Rng::new(1)).to_vec();
    let mut bd128 = buf128.clone();
    let default = MriParams::default();
    let at256 = MriExperiment::new(
        MriParams {
            size: Size::S256,
            ..default.clone()
        },
        &images,
    )?;
    let (a256, y256) = (at256.a.clone(), at256.y.clone());
    let exp = MriExperiment::new(default.clone(), &images)?;
    let (a, y) = (exp.a.clone(), exp.y.clone());
    let settings_for = |on: Objective| {
        MriParams {
            restarts: 5,
            inner: 10,
            firenet_on: on,
            ..default.clone()
        }
        .settings()
    };
    let (sw, st) = (
        settings_for(Objective::Wavelet),
        settings_for(Objective::Tv),
    );
    let (a6, y6, s6) = (a.clone(), y.clone(), default.settings());
    let p256 = MriParams {
        size: Size::S256,
        ..default.clone()
    };
    let images256 = MriImages {
        slices: vec![decode_slices(128, &assets.colin27_128)?],
        upload: None,
    };
    let (a2, y2, a3, y3) = (a.clone(), y.clone(), a.clone(), y.clone());
    // A run that never ends, so every call is one more step.
    let endless = crate::recon::Settings {
        iterations: usize::MAX,
        ..default.settings()
    };
    let mut tv = Recon::new(Method::TV, &a, &y, &endless)?;
    let a4 = exp.a.clone();
    let mut x4 = complex_gaussian(128 * 128, &mut Rng::new(2)).to_vec();
    let mut ax4 = vec![crate::operators::C64::new(0.0, 0.0); a4.dim_out()];
    let w5 = crate::operators::wavelet::Wavelet2d::new(
        128,
        crate::operators::wavelet::WaveletKind::Db4,
        4,
    )?;
    let mut x5 = complex_gaussian(128 * 128, &mut Rng::new(3)).to_vec();
    let mut z5 = x5.clone();
    let mut framed = MriExperiment::new(default, &images)?;
    for _ in 0..20 {
        crate::job::Job::step(&mut framed, ())?;
    }
    Ok(vec![
        Kernel {
            name: "fft2_256",
            description: "unitary 2-D FFT of a 256 x 256 complex image (rustfft, rows and columns)",
            run: Box::new(move || fft.forward_inplace(&mut buf)),
        },
        Kernel {
            name: "fft2_128",
            description: "unitary 2-D FFT of a 128 x 128 complex image",
            run: Box::new(move || fft128.forward_inplace(&mut buf128)),
        },
        Kernel {
            name: "fft2_64",
            description: "unitary 2-D FFT of a 64 x 64 complex image",
            run: Box::new(move || fft64.forward_inplace(&mut buf64)),
        },
        Kernel {
            name: "fft2_default_32",
            description: "unitary 2-D FFT of a 32 x 32 complex image, the lab's planner (SIMD in WebAssembly)",
            run: Box::new(move || d32.forward_inplace(&mut bd32)),
        },
        Kernel {
            name: "fft2_default_128",
            description: "fft2_128 again (it was rustfft's default planner when 128 used the scalar one in WebAssembly)",
            run: Box::new(move || d128.forward_inplace(&mut bd128)),
        },
        Kernel {
            name: "mri_adjoint_256",
            description: "the adjoint (zero-filled) reconstruction, the modulus of A* y, at 256 x 256, 25 % variable density",
            run: Box::new(move || {
                black_box(modulus(&a256.adjoint(y256.view())));
            }),
        },
        Kernel {
            name: "mri_firenet_wavelet_5x10_128",
            description: "one FIRENET reconstruction, n x p = 5 x 10 on the Daubechies-4 square-root LASSO, 128 x 128",
            run: Box::new(move || {
                let mut r = Recon::new(Method::FIRENET, &a2, &y2, &sw).expect("valid settings");
                r.run();
                black_box(r.image());
            }),
        },
        Kernel {
            name: "mri_firenet_tv_5x10_128",
            description: "the same on the TV square-root LASSO",
            run: Box::new(move || {
                let mut r = Recon::new(Method::FIRENET, &a3, &y3, &st).expect("valid settings");
                r.run();
                black_box(r.image());
            }),
        },
        Kernel {
            name: "mri_firenet_tv_6x50_128",
            description: "FIRENET as the page runs it by default: 6 x 50 on the TV square-root LASSO, 128 x 128",
            run: Box::new(move || {
                let mut r = Recon::new(Method::FIRENET, &a6, &y6, &s6).expect("valid settings");
                r.run();
                black_box(r.image());
            }),
        },
        Kernel {
            name: "mri_figure_256",
            description: "what a slider change costs before the first iteration at 256 x 256: mask, noise, data, the four methods set up, k-space, metrics and 10 pictures",
            run: Box::new(move || {
                let e = MriExperiment::new(p256.clone(), &images256).expect("valid state");
                let peak = e.x.fold(0.0f64, |m, v| m.max(*v));
                black_box(kspace_rgba(kspace_log(e.x.view(), 256).view(), e.mask.bits()));
                black_box(grey_scaled_rgba(e.x.view(), peak));
                black_box(e.quality());
                for m in Method::ALL {
                    let img = modulus(&e.recon(m).image());
                    black_box(grey_scaled_rgba(img.view(), peak));
                    black_box(error_rgba(img.view(), e.x.view(), peak));
                }
            }),
        },
        Kernel {
            name: "mri_a_adjoint_128",
            description: "A x and A* y at 128 x 128 (two FFTs), as one primal-dual step uses them",
            run: Box::new(move || {
                a4.apply_into(&x4, &mut ax4);
                a4.adjoint_into(&ax4, &mut x4);
            }),
        },
        Kernel {
            name: "mri_wavelet_128",
            description: "W x and W* z at 128 x 128, Daubechies-4, 4 levels",
            run: Box::new(move || {
                w5.apply_into(&x5, &mut z5);
                w5.adjoint_into(&z5, &mut x5);
            }),
        },
        Kernel {
            name: "mri_tv_step_128",
            description: "one Chambolle-Pock step on the TV square-root LASSO, 128 x 128",
            run: Box::new(move || tv.step()),
        },
        Kernel {
            name: "mri_frame_128",
            description: "one page frame at 128 x 128: PSNR, SSIM, error of four reconstructions and their 8 pictures",
            run: Box::new(move || {
                let q = framed.quality();
                let peak = framed.x.fold(0.0f64, |m, v| m.max(*v));
                for m in Method::ALL {
                    let img = modulus(&framed.recon(m).image());
                    black_box(grey_scaled_rgba(img.view(), peak));
                    black_box(error_rgba(img.view(), framed.x.view(), peak));
                }
                black_box(q);
            }),
        },
    ])
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
            colin27_128: crate::data::images::read_gz(&data.join("colin27_axial_128_u8.bin.gz"))?,
            colin27_64: crate::data::images::read_gz(&data.join("colin27_axial_64_u8.bin.gz"))?,
            recon_net: read(models.join("recon-net.brn"))?,
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

/// Runs every kernel whose name contains `filter` ("" for all; several, comma-separated, for
/// any of them) and returns the measurements.
pub fn run_all(
    assets: &BenchAssets,
    now: &dyn Fn() -> f64,
    samples: usize,
    min_sample_ms: f64,
    filter: &str,
) -> Result<Vec<Measurement>, String> {
    Ok(kernels(assets)?
        .iter_mut()
        .filter(|k| filter.split(',').any(|f| k.name.contains(f)))
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

    /// The plain-rustfft peer computes the lab's transform (else the comparison is of
    /// different work): the same unitary 2-D DFT to round-off.
    #[test]
    fn the_fft_peer_computes_the_labs_transform() {
        use crate::operators::fourier::Fourier2d;
        use crate::operators::{complex_gaussian, norm2, LinearOperator};
        use crate::rng::Rng;
        for n in [16, 128] {
            let x = complex_gaussian(n * n, &mut Rng::new(5));
            let lab = Fourier2d::new(n).apply(x.view());
            let mut peer = x.to_vec();
            PlainFft2::new(n).forward(&mut peer);
            let d = norm2((&lab - &ndarray::Array1::from(peer)).view());
            assert!(d < 1e-13 * norm2(x.view()), "n = {n}: {d}");
        }
    }

    /// The grid is row-major with row 0 at the top: pixel (row 3, column 5) of 7.
    #[test]
    fn the_toy_grid_is_the_decision_maps() {
        let lab = ToyLab::new(ToyParams::default());
        let g = toy_grid(&lab, 7);
        let grid = crate::render::PixelGrid {
            view: lab.view(),
            size: 7,
        };
        assert_eq!(
            g.row(7 * 3 + 5).to_vec(),
            vec![grid.x_at(5.0), grid.y_at(3.0)]
        );
    }
}
