//! Mini-batch training: one epoch is one pass over the data in a seeded random order.

use crate::nn::loss::softmax_cross_entropy;
use crate::nn::{Network, Optimizer};
use crate::rng::Rng;
use ndarray::{Array2, ArrayView2, Axis};

/// The loss and accuracy measured during one epoch.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// Mean cross-entropy over the epoch's mini-batches, weighted by batch size.
    pub loss: f64,
    /// Fraction of points classified correctly when their batch was seen.
    pub accuracy: f64,
}

/// Runs one epoch of mini-batch gradient descent on the mean cross-entropy.
pub fn train_epoch(
    net: &mut Network,
    opt: &mut Optimizer,
    rng: &mut Rng,
    x: ArrayView2<f64>,
    y: &[usize],
    batch_size: usize,
) -> EpochStats {
    train_epoch_with(net, opt, rng, x, y, batch_size, None)
}

/// A transformation applied to each training example as its batch is formed (data
/// augmentation): it reads the example and writes the transformed one, drawing from the
/// training generator.
pub type Augment<'a> = &'a dyn Fn(ndarray::ArrayView1<f64>, ndarray::ArrayViewMut1<f64>, &mut Rng);

/// [`train_epoch`] with an optional augmentation of every example.
pub fn train_epoch_with(
    net: &mut Network,
    opt: &mut Optimizer,
    rng: &mut Rng,
    x: ArrayView2<f64>,
    y: &[usize],
    batch_size: usize,
    augment: Option<Augment>,
) -> EpochStats {
    let n = x.nrows();
    assert_eq!(n, y.len());
    assert!(batch_size > 0 && n > 0);
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut loss_sum = 0.0;
    let mut correct = 0;
    for idx in order.chunks(batch_size) {
        let mut xb: Array2<f64> = x.select(Axis(0), idx);
        if let Some(aug) = augment {
            for (mut row, &i) in xb.rows_mut().into_iter().zip(idx) {
                aug(x.row(i), row.view_mut(), rng);
            }
        }
        let yb: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
        let fw = net.forward(xb.view());
        let (loss, dlogits, c) = softmax_cross_entropy(fw.logits().view(), &yb);
        let grad = net.weight_gradient(&fw, dlogits.view());
        opt.step(&mut net.param_slices_mut(), &grad.slices());
        loss_sum += loss * idx.len() as f64;
        correct += c;
    }
    EpochStats {
        loss: loss_sum / n as f64,
        accuracy: correct as f64 / n as f64,
    }
}

/// Loss and accuracy of the current network on a whole data set.
pub fn evaluate(net: &Network, x: ArrayView2<f64>, y: &[usize]) -> EpochStats {
    let (loss, _, correct) = softmax_cross_entropy(net.logits_batch(x).view(), y);
    EpochStats {
        loss,
        accuracy: correct as f64 / y.len() as f64,
    }
}
