//! The multi-layer perceptron: forward pass, backpropagation, input vector-Jacobian products.
//!
//! Layer j computes z_j = W_j a_{j-1} + b_j and a_j = rho(z_j), with a_0 = x; the last layer
//! returns its z_L, the logits. With the loss gradient g_L = dL/dz_L, backpropagation reads
//!
//!   dL/dW_j = g_j a_{j-1}^T,   dL/db_j = g_j,   g_{j-1} = rho'(z_{j-1}) * (W_j^T g_j),
//!
//! and the same recursion continued to the input gives v^T J(x) = W_1^T g_1, the
//! vector-Jacobian product that DeepFool and FGSM need.

use crate::classifier::Classifier;
use crate::nn::Activation;
use crate::rng::Rng;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

/// One affine layer, V y = W y + b, with W of shape (outputs, inputs).
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
}

impl Dense {
    pub fn inputs(&self) -> usize {
        self.w.ncols()
    }
    pub fn outputs(&self) -> usize {
        self.w.nrows()
    }
}

/// A fully connected network with the same non-linearity after every hidden layer.
/// With no hidden layers it is the affine (softmax-linear) classifier f(x) = W x + b.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Dense>,
    pub activation: Activation,
}

/// What the forward pass keeps for backpropagation: the input a_{j-1} and the
/// pre-activation z_j of every layer (the last z is the logits).
pub struct Forward {
    pub inputs: Vec<Array2<f64>>,
    pub pre: Vec<Array2<f64>>,
}

impl Forward {
    pub fn logits(&self) -> &Array2<f64> {
        self.pre.last().expect("a network has at least one layer")
    }
}

/// dL/dW_j and dL/db_j for every layer.
#[derive(Clone, Debug)]
pub struct Gradient {
    pub w: Vec<Array2<f64>>,
    pub b: Vec<Array1<f64>>,
}

impl Gradient {
    /// The gradient as slices, in the order of [`Mlp::param_slices_mut`].
    pub fn slices(&self) -> Vec<&[f64]> {
        let mut out = Vec::with_capacity(2 * self.w.len());
        for (w, b) in self.w.iter().zip(&self.b) {
            out.push(w.as_slice().expect("standard layout"));
            out.push(b.as_slice().expect("standard layout"));
        }
        out
    }
}

impl Mlp {
    /// A network with layer widths `sizes = [d, h_1, ..., h_{L-1}, K]`, weights drawn from
    /// N(0, std^2) with the activation's initial scale and zero biases.
    pub fn new(sizes: &[usize], activation: Activation, rng: &mut Rng) -> Self {
        assert!(
            sizes.len() >= 2,
            "a network needs an input and an output size"
        );
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (j, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let is_output = j == sizes.len() - 2;
            // The output layer is linear: LeCun scaling keeps the initial logits O(1).
            let std = if is_output {
                (1.0 / fan_in as f64).sqrt()
            } else {
                activation.init_std(fan_in)
            };
            let w = Array2::from_shape_simple_fn((fan_out, fan_in), || std * rng.normal());
            layers.push(Dense {
                w,
                b: Array1::zeros(fan_out),
            });
        }
        Self { layers, activation }
    }

    /// An affine classifier f(x) = W x + b (no hidden layer).
    pub fn affine(w: Array2<f64>, b: Array1<f64>) -> Self {
        assert_eq!(w.nrows(), b.len());
        Self {
            layers: vec![Dense { w, b }],
            activation: Activation::Relu,
        }
    }

    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// The forward pass over a batch (one point per row), keeping what backpropagation needs.
    pub fn forward(&self, x: ArrayView2<f64>) -> Forward {
        let n_layers = self.layers.len();
        let mut inputs = Vec::with_capacity(n_layers);
        let mut pre = Vec::with_capacity(n_layers);
        let mut a = x.to_owned();
        for (j, layer) in self.layers.iter().enumerate() {
            let z = a.dot(&layer.w.t()) + &layer.b;
            let next = if j + 1 < n_layers {
                z.mapv(|v| self.activation.apply(v))
            } else {
                Array2::zeros((0, 0))
            };
            inputs.push(std::mem::replace(&mut a, next));
            pre.push(z);
        }
        Forward { inputs, pre }
    }

    /// Logits for a batch, without keeping intermediate values.
    pub fn logits_batch(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let n_layers = self.layers.len();
        let mut a = x.to_owned();
        for (j, layer) in self.layers.iter().enumerate() {
            a = a.dot(&layer.w.t()) + &layer.b;
            if j + 1 < n_layers {
                a.mapv_inplace(|v| self.activation.apply(v));
            }
        }
        a
    }

    /// Backpropagates dL/dlogits (one row per point of the forward batch) to the weights.
    pub fn backward(&self, fw: &Forward, dlogits: ArrayView2<f64>) -> Gradient {
        let n_layers = self.layers.len();
        let mut gw = vec![Array2::zeros((0, 0)); n_layers];
        let mut gb = vec![Array1::zeros(0); n_layers];
        let mut delta = dlogits.to_owned();
        for j in (0..n_layers).rev() {
            gw[j] = delta.t().dot(&fw.inputs[j]);
            gb[j] = delta.sum_axis(Axis(0));
            if j > 0 {
                let mut d = delta.dot(&self.layers[j].w);
                d.zip_mut_with(&fw.pre[j - 1], |g, &z| *g *= self.activation.derivative(z));
                delta = d;
            }
        }
        Gradient { w: gw, b: gb }
    }

    /// The trainable parameters as slices: W_1, b_1, W_2, b_2, ...
    pub fn param_slices_mut(&mut self) -> Vec<&mut [f64]> {
        let mut out = Vec::with_capacity(2 * self.layers.len());
        for l in &mut self.layers {
            out.push(l.w.as_slice_mut().expect("standard layout"));
            out.push(l.b.as_slice_mut().expect("standard layout"));
        }
        out
    }
}

impl Classifier for Mlp {
    fn input_dim(&self) -> usize {
        self.layers[0].inputs()
    }

    fn n_classes(&self) -> usize {
        self.layers.last().expect("at least one layer").outputs()
    }

    fn logits(&self, x: ArrayView1<f64>) -> Array1<f64> {
        let n_layers = self.layers.len();
        let mut a = x.to_owned();
        for (j, layer) in self.layers.iter().enumerate() {
            a = layer.w.dot(&a) + &layer.b;
            if j + 1 < n_layers {
                a.mapv_inplace(|v| self.activation.apply(v));
            }
        }
        a
    }

    fn vjp(&self, x: ArrayView1<f64>, cotangents: ArrayView2<f64>) -> Array2<f64> {
        assert_eq!(cotangents.ncols(), self.n_classes());
        let fw = self.forward(x.insert_axis(Axis(0)));
        let mut delta = cotangents.to_owned();
        for j in (0..self.layers.len()).rev() {
            delta = delta.dot(&self.layers[j].w);
            if j > 0 {
                let z = fw.pre[j - 1].row(0);
                for mut row in delta.rows_mut() {
                    row.zip_mut_with(&z, |g, &zz| *g *= self.activation.derivative(zz));
                }
            }
        }
        delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::loss::softmax_cross_entropy;
    use ndarray::{array, Array};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The loss of `net` on a fixed batch.
    fn loss(net: &Mlp, x: &Array2<f64>, y: &[usize]) -> f64 {
        softmax_cross_entropy(net.logits_batch(x.view()).view(), y).0
    }

    fn batch(rng: &mut Rng, n: usize, d: usize) -> Array2<f64> {
        Array::from_shape_simple_fn((n, d), || rng.normal())
    }

    /// Compares the backpropagated gradient of the mean cross-entropy with respect to every
    /// weight and bias against central differences with step h, to `tol` relative to
    /// 1 + |gradient|.
    fn check_weight_gradients(net: &Mlp, x: &Array2<f64>, y: &[usize], h: f64, tol: f64) {
        let fw = net.forward(x.view());
        let (_, dlogits, _) = softmax_cross_entropy(fw.logits().view(), y);
        let grad = net.backward(&fw, dlogits.view());
        for (p, g) in grad.slices().into_iter().enumerate() {
            for (i, &gi) in g.iter().enumerate() {
                let mut plus = net.clone();
                plus.param_slices_mut()[p][i] += h;
                let mut minus = net.clone();
                minus.param_slices_mut()[p][i] -= h;
                let fd = (loss(&plus, x, y) - loss(&minus, x, y)) / (2.0 * h);
                let act = net.activation;
                assert!(
                    (fd - gi).abs() < tol * (1.0 + gi.abs()),
                    "{act:?} param {p}[{i}]: fd {fd} vs {gi}"
                );
            }
        }
    }

    /// Every weight and bias gradient of every layer against central differences of the mean
    /// cross-entropy. Smooth activations: with h = 1e-5 the truncation error is
    /// ~h^2 |f'''| ~ 1e-10 and the rounding error eps |f| / h ~ 1e-11, so 1e-8 is tight.
    #[test]
    fn weight_gradients_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Sigmoid] {
            let mut rng = Rng::new(11);
            let mut net = Mlp::new(&[3, 5, 4, 3], act, &mut rng);
            for l in &mut net.layers {
                l.b.mapv_inplace(|_| 0.3 * rng.normal());
            }
            let x = batch(&mut rng, 6, 3);
            check_weight_gradients(&net, &x, &[0, 2, 1, 1, 0, 2], 1e-5, 1e-8);
        }
    }

    /// ReLU networks are piecewise affine: away from the kinks central differences are exact
    /// up to rounding (~eps / h ~ 1e-10). The test first checks that no pre-activation is
    /// within 10 h of zero, where a kink could fall between x - h and x + h.
    #[test]
    fn relu_gradients_match_finite_differences_away_from_kinks() {
        let mut rng = Rng::new(5);
        let net = Mlp::new(&[2, 8, 8, 2], Activation::Relu, &mut rng);
        let x = batch(&mut rng, 4, 2);
        let h = 1e-6;
        let fw = net.forward(x.view());
        for z in &fw.pre[..fw.pre.len() - 1] {
            assert!(
                z.iter().all(|v| v.abs() > 10.0 * h),
                "a pre-activation sits on a kink"
            );
        }
        check_weight_gradients(&net, &x, &[0, 1, 1, 0], h, 1e-8);
    }

    /// The input gradient of every logit (rows of the Jacobian, as DeepFool uses them) and of
    /// a general cotangent, against central differences in each input coordinate.
    #[test]
    fn input_vjp_matches_finite_differences() {
        for act in Activation::ALL {
            let mut rng = Rng::new(3);
            let net = Mlp::new(&[4, 6, 6, 3], act, &mut rng);
            let x = array![0.3, -0.8, 1.1, 0.05];
            let cot = array![
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0],
                [0.5, -2.0, 0.7]
            ];
            let j = net.vjp(x.view(), cot.view());
            let h = 1e-6;
            for (r, v) in cot.rows().into_iter().enumerate() {
                for i in 0..4 {
                    let mut xp = x.clone();
                    xp[i] += h;
                    let mut xm = x.clone();
                    xm[i] -= h;
                    let fd =
                        (v.dot(&net.logits(xp.view())) - v.dot(&net.logits(xm.view()))) / (2.0 * h);
                    assert!(
                        (fd - j[[r, i]]).abs() < 1e-8,
                        "{act:?} row {r} x{i}: {fd} vs {}",
                        j[[r, i]]
                    );
                }
            }
        }
    }

    #[test]
    fn batch_and_single_forward_agree() {
        let mut rng = Rng::new(9);
        let net = Mlp::new(&[2, 16, 16, 3], Activation::Tanh, &mut rng);
        let x = batch(&mut rng, 5, 2);
        let lb = net.logits_batch(x.view());
        let fw = net.forward(x.view());
        for i in 0..5 {
            let l = net.logits(x.row(i));
            for k in 0..3 {
                assert!((l[k] - lb[[i, k]]).abs() < 1e-13);
                assert!((l[k] - fw.logits()[[i, k]]).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn affine_classifier_is_affine() {
        let net = Mlp::affine(array![[1.0, 2.0], [-1.0, 0.5]], array![0.5, -0.25]);
        let l = net.logits(array![2.0, 1.0].view());
        assert_eq!(l, array![4.5, -1.75]);
        assert_eq!(net.n_params(), 6);
    }
}
