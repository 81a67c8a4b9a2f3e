//! Softmax cross-entropy, the training loss of every classifier in the lab.
//!
//! For logits f in R^K and label y: CE(f, y) = log sum_k e^{f_k} - f_y, whose gradient is
//! softmax(f) - e_y. Computed with the max subtracted, so it never overflows.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// softmax(f)_k = e^{f_k} / sum_j e^{f_j}, shifted by max f for stability.
pub fn softmax(logits: ArrayView1<f64>) -> Array1<f64> {
    let m = logits.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let mut p = logits.mapv(|f| (f - m).exp());
    let s = p.sum();
    p /= s;
    p
}

/// log sum_k e^{f_k}.
pub fn log_sum_exp(logits: ArrayView1<f64>) -> f64 {
    let m = logits.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    m + logits.iter().map(|&f| (f - m).exp()).sum::<f64>().ln()
}

/// Cross-entropy of one logit vector against a label.
pub fn cross_entropy(logits: ArrayView1<f64>, label: usize) -> f64 {
    log_sum_exp(logits) - logits[label]
}

/// The index of the largest entry (the first one on ties).
pub fn argmax(v: ArrayView1<f64>) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Mean cross-entropy over a batch (rows of `logits`), its gradient with respect to the
/// logits (already divided by the batch size), and the number of correct argmax predictions.
pub fn softmax_cross_entropy(
    logits: ArrayView2<f64>,
    labels: &[usize],
) -> (f64, Array2<f64>, usize) {
    let n = logits.nrows();
    assert_eq!(n, labels.len(), "one label per row");
    let mut grad = Array2::zeros(logits.raw_dim());
    let mut loss = 0.0;
    let mut correct = 0;
    for (i, row) in logits.rows().into_iter().enumerate() {
        let y = labels[i];
        loss += cross_entropy(row, y);
        if argmax(row) == y {
            correct += 1;
        }
        let mut g = softmax(row);
        g[y] -= 1.0;
        grad.row_mut(i).assign(&(g / n as f64));
    }
    (loss / n as f64, grad, correct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn cross_entropy_closed_form() {
        // Two equal logits: CE = log 2 whatever the label.
        assert!((cross_entropy(array![3.0, 3.0].view(), 1) - 2f64.ln()).abs() < 1e-15);
        // Huge logits do not overflow.
        let ce = cross_entropy(array![1000.0, 0.0].view(), 1);
        assert!((ce - 1000.0).abs() < 1e-12);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let logits = array![[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]];
        let labels = [2, 0];
        let (_, grad, _) = softmax_cross_entropy(logits.view(), &labels);
        let h = 1e-6;
        for i in 0..2 {
            for k in 0..3 {
                let mut p = logits.clone();
                p[[i, k]] += h;
                let mut m = logits.clone();
                m[[i, k]] -= h;
                let fd = (softmax_cross_entropy(p.view(), &labels).0
                    - softmax_cross_entropy(m.view(), &labels).0)
                    / (2.0 * h);
                assert!(
                    (fd - grad[[i, k]]).abs() < 1e-9,
                    "({i},{k}): {fd} vs {}",
                    grad[[i, k]]
                );
            }
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(array![1.0, 2.0, 3.0].view());
        assert!((p.sum() - 1.0).abs() < 1e-15);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
