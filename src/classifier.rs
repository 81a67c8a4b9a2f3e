//! The interface every attack works on: a classifier's logits and their input gradients.

use crate::nn::loss::argmax;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// A differentiable classifier f: R^d -> R^K that outputs logits.
pub trait Classifier {
    /// d, the input dimension.
    fn input_dim(&self) -> usize;

    /// K, the number of classes.
    fn n_classes(&self) -> usize;

    /// The logits f(x).
    fn logits(&self, x: ArrayView1<f64>) -> Array1<f64>;

    /// Vector-Jacobian products at x: row i of the result is v_i^T J_f(x) = grad_x (v_i . f(x))
    /// for row v_i of `cotangents` (shape m x K); the result has shape m x d.
    fn vjp(&self, x: ArrayView1<f64>, cotangents: ArrayView2<f64>) -> Array2<f64>;

    /// The predicted class, argmax_k f_k(x).
    fn label(&self, x: ArrayView1<f64>) -> usize {
        argmax(self.logits(x).view())
    }

    /// The predicted classes of several inputs (one per row): row i's is exactly
    /// `label(row i)`; an implementation may compute them in one batch pass.
    fn labels(&self, xs: ArrayView2<f64>) -> Vec<usize> {
        xs.rows().into_iter().map(|r| self.label(r)).collect()
    }
}
