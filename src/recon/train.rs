//! Training the reconstruction network ([`super::net`]) on the image family
//! ([`crate::data::family`]): minimise the mean squared error ||Psi(A x + e) - x||^2 / n^2 over
//! members x drawn from the training seeds, with Adam (Kingma and Ba, ICLR 2015) and a cosine
//! learning-rate decay, at one sampling pattern, rate and noise level.
//!
//! Each step draws a batch of training seeds from the run's seeded generator and fresh noise
//! for each, so a run is reproducible from its seed. Natively the batch is split over threads
//! (the gradients are summed in a fixed order, so the result does not depend on the thread
//! count); in WebAssembly it runs on one.

use super::metrics::psnr;
use super::net::{CascadeNet, ReconNet};
pub use super::recipe::{Architecture, TrainOptions};
use crate::data::family::{self, FamilyKind, TRAIN_MAX};
use crate::data::mri::MriSlices;
use crate::nn::layers::ParamGrad;
use crate::nn::{Optimizer, OptimizerKind};
use crate::operators::sampling::measure;
use crate::operators::sampling::SubsampledFourier;
use crate::operators::C64;
use crate::rng::Rng;
use ndarray::Array1;
use serde::Serialize;

/// One line of the training log.
#[derive(Clone, Debug, Serialize)]
pub struct LogLine {
    pub step: usize,
    pub loss: f64,
    pub validation_psnr: f64,
}

/// Mean PSNR of |Psi(A x + e)| over `count` members of a family from `first_seed`.
pub fn mean_psnr(
    net: &ReconNet,
    a: &SubsampledFourier,
    slices: &MriSlices,
    kind: FamilyKind,
    first_seed: u64,
    count: usize,
    level: f64,
) -> Result<f64, String> {
    let mut total = 0.0;
    for s in 0..count as u64 {
        let m = family::draw_kind(kind, slices, first_seed + s)?;
        let y = measure(a, m.image.view(), level, (first_seed + s) as u32);
        let out = net.apply(a, y.view())?;
        total += psnr(m.image.view(), out.mapv(|z| z.norm()).view());
    }
    Ok(total / count as f64)
}

fn add_grads(into: &mut [ParamGrad], from: &[ParamGrad]) {
    for (a, b) in into.iter_mut().zip(from) {
        a.w += &b.w;
        a.b += &b.b;
    }
}

/// The summed loss and gradients of a batch of (image, measurements) pairs. Each example's
/// gradient is computed on its own and the sum is taken in batch order, so the result is the
/// same bit for bit whatever the number of threads.
fn batch_grads(
    net: &CascadeNet,
    a: &SubsampledFourier,
    batch: &[(Array1<f64>, Array1<C64>)],
    threads: usize,
) -> (f64, Vec<ParamGrad>) {
    let one = |(x, y): &(Array1<f64>, Array1<C64>)| {
        let mut g = net.zero_grads();
        let loss = net.loss_and_grad(a, y.view(), x.view(), &mut g);
        (loss, g)
    };
    #[cfg(not(target_arch = "wasm32"))]
    let each: Vec<(f64, Vec<ParamGrad>)> = if threads > 1 && batch.len() > 1 {
        let chunk = batch.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a training thread panicked"))
                .collect()
        })
    } else {
        batch.iter().map(one).collect()
    };
    #[cfg(target_arch = "wasm32")]
    let each: Vec<(f64, Vec<ParamGrad>)> = {
        let _ = threads;
        batch.iter().map(one).collect()
    };
    let mut iter = each.into_iter();
    let (mut loss, mut g) = iter.next().expect("a batch has one example at least");
    for (l, gp) in iter {
        loss += l;
        add_grads(&mut g, &gp);
    }
    (loss, g)
}

/// The summed loss sum_b ||Psi(y_b) - x_b||^2 / n^2 of a batch of (image, measurements)
/// pairs and its weight gradient, flattened in `param_slices` order.
pub fn batch_gradient(
    net: &ReconNet,
    a: &SubsampledFourier,
    batch: &[(Array1<f64>, Array1<C64>)],
    threads: usize,
) -> Result<(f64, Vec<Vec<f64>>), String> {
    Ok(match net {
        ReconNet::Cascade(c) => {
            let (loss, grads) = batch_grads(c, a, batch, threads);
            let flat = grads
                .iter()
                .flat_map(|g| [g.w.iter().copied().collect(), g.b.to_vec()])
                .collect();
            (loss, flat)
        }
        ReconNet::Dense(d) => {
            // One batched pass: matrix products, no threads needed at these sizes.
            let (loss, grad) = d.loss_and_grad(&d.lookup(a)?, batch);
            (loss, grad.slices().iter().map(|s| s.to_vec()).collect())
        }
    })
}

/// Trains a network; `on_log` sees a line every `eval_every` steps and at the end, and
/// `on_checkpoint` the network at the steps listed in `checkpoints`. The slices must be at
/// the options' side ([`MriSlices::at_side`]).
pub fn train(
    slices: &MriSlices,
    opts: &TrainOptions,
    threads: usize,
    checkpoints: &[usize],
    on_log: impl FnMut(&LogLine),
    on_checkpoint: impl FnMut(usize, &ReconNet),
) -> Result<ReconNet, String> {
    train_until(
        slices,
        opts,
        threads,
        opts.steps,
        checkpoints,
        on_log,
        on_checkpoint,
    )
}

/// The first `until` steps of the run `opts` describes (the learning-rate schedule is the full
/// run's): the network after `until` steps is the run's checkpoint at that step, bit for bit.
pub fn train_until(
    slices: &MriSlices,
    opts: &TrainOptions,
    threads: usize,
    until: usize,
    checkpoints: &[usize],
    mut on_log: impl FnMut(&LogLine),
    mut on_checkpoint: impl FnMut(usize, &ReconNet),
) -> Result<ReconNet, String> {
    opts.validate()?;
    let n = slices.side();
    if n != opts.side {
        return Err(format!(
            "the options say {0} x {0} but the slices are {1} x {1}",
            opts.side, n
        ));
    }
    let a = opts.operator(n)?;
    let mut rng = Rng::new(opts.seed as u64);
    let mut net = ReconNet::new(opts, &a, &mut rng)?;
    let mut adam = Optimizer::new(OptimizerKind::Adam, opts.lr);
    let mut running = 0.0;
    let mut seen = 0usize;
    for step in 1..=until.min(opts.steps) {
        let batch: Vec<(Array1<f64>, Array1<C64>)> = (0..opts.batch)
            .map(|_| {
                let seed = rng.below(TRAIN_MAX as usize + 1) as u64;
                let m = family::draw_kind(opts.family, slices, seed)?;
                let y = measure(&a, m.image.view(), opts.noise, rng.next_u64() as u32);
                Ok((m.image, y))
            })
            .collect::<Result<_, String>>()?;
        let (loss, mut flat) = batch_gradient(&net, &a, &batch, threads)?;
        let scale = 1.0 / opts.batch as f64;
        for g in &mut flat {
            g.iter_mut().for_each(|v| *v *= scale);
        }
        let refs: Vec<&[f64]> = flat.iter().map(Vec::as_slice).collect();
        // Cosine decay from lr to lr / 20.
        let t = (step - 1) as f64 / opts.steps.max(1) as f64;
        adam.lr = opts.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()));
        adam.step(&mut net.param_slices_mut(), &refs);
        running += loss * scale;
        seen += 1;
        if checkpoints.contains(&step) {
            on_checkpoint(step, &net);
        }
        if step % opts.eval_every == 0 || step == opts.steps || step == until {
            let v = mean_psnr(
                &net,
                &a,
                slices,
                opts.family,
                TRAIN_MAX + 1,
                opts.validation,
                opts.noise,
            )?;
            on_log(&LogLine {
                step,
                loss: running / seen as f64,
                validation_psnr: v,
            });
            running = 0.0;
            seen = 0;
        }
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::{decode_slices, SLICE_COUNT};
    use crate::operators::masks::Pattern;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A synthetic 16 x 16 stack: slice i a disc whose radius grows with i.
    fn stack() -> MriSlices {
        let n = 16;
        let mut bytes = Vec::with_capacity(SLICE_COUNT * n * n);
        for i in 0..SLICE_COUNT {
            let rad = 3.0 + (i % 5) as f64;
            for p in 0..n * n {
                let (r, c) = ((p / n) as f64 - 7.5, (p % n) as f64 - 7.5);
                bytes.push(if r * r + c * c < rad * rad { 150 } else { 10 });
            }
        }
        decode_slices(n, &bytes).unwrap()
    }

    fn small() -> TrainOptions {
        TrainOptions {
            blocks: 2,
            depth: 2,
            channels: 4,
            mask: Pattern::VariableDensity,
            density: 1.0,
            rate: 0.3,
            steps: 80,
            batch: 4,
            lr: 3e-3,
            validation: 4,
            eval_every: 40,
            side: 16,
            architecture: Architecture::Cascade,
            family: FamilyKind::Lesions,
            ..TrainOptions::default()
        }
    }

    /// The dense network learns too (the sites family at 16 x 16): its validation PSNR ends
    /// well above the untrained network's, and the run is reproducible from the seed.
    #[test]
    fn dense_training_learns() {
        let slices = stack();
        let opts = TrainOptions {
            architecture: Architecture::Dense,
            family: FamilyKind::Sites,
            hidden: 32,
            batch: 8,
            steps: 150,
            lr: 3e-3,
            ..small()
        };
        let a = opts.operator(16).unwrap();
        let untrained = ReconNet::new(&opts, &a, &mut Rng::new(opts.seed as u64)).unwrap();
        let before = mean_psnr(
            &untrained,
            &a,
            &slices,
            FamilyKind::Sites,
            TRAIN_MAX + 1,
            4,
            opts.noise,
        )
        .unwrap();
        let mut log = Vec::new();
        let net = train(&slices, &opts, 1, &[75], |l| log.push(l.clone()), |_, _| {}).unwrap();
        let after = log.last().unwrap().validation_psnr;
        assert!(after > before + 5.0, "{before} -> {after}");
        assert!(matches!(net, ReconNet::Dense(_)));
        let again = train(&slices, &opts, 2, &[], |_| {}, |_, _| {}).unwrap();
        assert_eq!(again, net);
    }

    /// Training lowers the loss and raises the validation PSNR above the adjoint's (the
    /// untrained network's), and a run depends on its seed only, not on the thread count.
    #[test]
    fn training_learns_and_is_reproducible() {
        let slices = stack();
        let opts = small();
        let a = opts.operator(16).unwrap();
        let untrained = CascadeNet::new(opts.shape(), &mut Rng::new(1)).unwrap();
        let before = mean_psnr(
            &ReconNet::Cascade(std::sync::Arc::new(untrained.clone())),
            &a,
            &slices,
            opts.family,
            TRAIN_MAX + 1,
            4,
            opts.noise,
        )
        .unwrap();
        let mut log = Vec::new();
        let net = train(&slices, &opts, 1, &[], |l| log.push(l.clone()), |_, _| {}).unwrap();
        assert_eq!(log.len(), 2);
        let after = log[1].validation_psnr;
        assert!(after > before + 1.0, "{before} -> {after}");
        // The training loss ends below the untrained network's on training members.
        let mut scratch = untrained.zero_grads();
        let initial = (0..8u64)
            .map(|s| {
                let m = family::draw(&slices, s).unwrap();
                let y = measure(&a, m.image.view(), opts.noise, s as u32);
                untrained.loss_and_grad(&a, y.view(), m.image.view(), &mut scratch)
            })
            .sum::<f64>()
            / 8.0;
        assert!(log[1].loss < 0.8 * initial, "{initial} -> {log:?}");
        #[cfg(not(target_arch = "wasm32"))]
        {
            let again = train(&slices, &opts, 2, &[], |_| {}, |_, _| {}).unwrap();
            assert_eq!(again, net, "two threads give the same network bit for bit");
        }
        let mut other = opts.clone();
        other.seed = 2;
        let different = train(&slices, &other, 1, &[], |_| {}, |_, _| {}).unwrap();
        assert_ne!(different, net);
    }

    #[test]
    fn bad_options_are_errors() {
        let slices = stack();
        let mut o = small();
        o.blocks = 0;
        assert!(train(&slices, &o, 1, &[], |_| {}, |_, _| {}).is_err());
        let mut o = small();
        o.rate = f64::NAN;
        assert!(train(&slices, &o, 1, &[], |_| {}, |_, _| {}).is_err());
        let mut o = small();
        o.mask = Pattern::Painted;
        assert!(train(&slices, &o, 1, &[], |_| {}, |_, _| {})
            .unwrap_err()
            .contains("painted"));
    }
}
