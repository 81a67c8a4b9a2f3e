//! A feed-forward network: a sequence of [`Layer`]s (affine, convolution, max pooling,
//! activation) with backpropagation to the weights and vector-Jacobian products with respect
//! to the input.
//!
//! Layer j maps its input a_{j-1} to a_j; with the loss gradient g_L = dL/da_L at the output
//! (the logits), backpropagation runs each layer's backward pass in reverse,
//! g_{j-1} = (da_j / da_{j-1})^T g_j, collecting dL/dW_j and dL/db_j on the way. Continued to
//! the input, the same recursion gives v^T J(x), which DeepFool and FGSM need.

use crate::classifier::Classifier;
use crate::nn::layers::{Conv2d, Dense, Layer, ParamGrad, Shape};
use crate::nn::Activation;
use crate::rng::Rng;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Examples per chunk of [`Network::logits_batch`]: about 13 MB of intermediate values for the
/// lab's CNN on 28 x 28 images (its second convolution's im2col matrix is 196 x 72 values per
/// image), where one pass over 2,000 test digits took over 500 MB of WebAssembly memory.
pub const EVAL_CHUNK: usize = 64;

/// Examples per tile of the MLPs' batch pass ([`Network::logits_batch`]): two buffers of
/// this many rows of the widest layer (32 KB each for the toy's 16-wide layers, 256 KB for
/// the MNIST MLP's 128), reused from tile to tile.
pub const MLP_TILE: usize = 256;

/// A network: the shape of one input and the layers in order. The last layer's output is
/// the logits.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub input: Shape,
    pub layers: Vec<Layer>,
}

/// The architecture without the weights (what a model file's header records).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerSpec {
    Dense { inputs: usize, outputs: usize },
    Conv { c_in: usize, c_out: usize, k: usize },
    MaxPool,
    Act(Activation),
}

/// What the forward pass keeps for backpropagation: every layer's input, and the output.
pub struct Forward {
    pub inputs: Vec<Array2<f64>>,
    pub output: Array2<f64>,
}

impl Forward {
    pub fn logits(&self) -> &Array2<f64> {
        &self.output
    }
}

/// dL/dW and dL/db of every layer with weights, in layer order.
#[derive(Clone, Debug)]
pub struct Gradient {
    pub layers: Vec<ParamGrad>,
}

impl Gradient {
    /// The gradient as slices, in the order of [`Network::param_slices_mut`].
    pub fn slices(&self) -> Vec<&[f64]> {
        let mut out = Vec::with_capacity(2 * self.layers.len());
        for g in &self.layers {
            out.push(g.w.as_slice().expect("standard layout"));
            out.push(g.b.as_slice().expect("standard layout"));
        }
        out
    }
}

fn normal_matrix(rows: usize, cols: usize, std: f64, rng: &mut Rng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || std * rng.normal())
}

impl Network {
    /// A fully connected network with widths `sizes = [d, h_1, ..., K]` and `activation`
    /// after every hidden layer; weights N(0, std^2) with the activation's initial scale
    /// (LeCun scale for the linear output layer, so the first logits are O(1)), biases 0.
    pub fn mlp(sizes: &[usize], activation: Activation, rng: &mut Rng) -> Self {
        assert!(
            sizes.len() >= 2,
            "a network needs an input and an output size"
        );
        let mut layers = Vec::new();
        for (j, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let is_output = j == sizes.len() - 2;
            let std = if is_output {
                (1.0 / fan_in as f64).sqrt()
            } else {
                activation.init_std(fan_in)
            };
            layers.push(Layer::Dense(Dense {
                w: normal_matrix(fan_out, fan_in, std, rng),
                b: Array1::zeros(fan_out),
            }));
            if !is_output {
                layers.push(Layer::Act(activation));
            }
        }
        Self {
            input: Shape::vector(sizes[0]),
            layers,
        }
    }

    /// An affine classifier f(x) = W x + b.
    pub fn affine(w: Array2<f64>, b: Array1<f64>) -> Self {
        assert_eq!(w.nrows(), b.len());
        Self {
            input: Shape::vector(w.ncols()),
            layers: vec![Layer::Dense(Dense { w, b })],
        }
    }

    /// A network of the given architecture with freshly initialised weights: He scaling
    /// before ReLU, LeCun otherwise (and for the last layer), zero biases.
    pub fn from_spec(input: Shape, spec: &[LayerSpec], rng: &mut Rng) -> Result<Self, String> {
        let mut layers = Vec::with_capacity(spec.len());
        let mut shape = input;
        for (i, ls) in spec.iter().enumerate() {
            let next_act = spec[i + 1..]
                .iter()
                .take_while(|l| !matches!(l, LayerSpec::Dense { .. } | LayerSpec::Conv { .. }))
                .find_map(|l| match l {
                    LayerSpec::Act(a) => Some(*a),
                    _ => None,
                });
            let std_for = |fan_in: usize| match next_act {
                Some(a) => a.init_std(fan_in),
                None => (1.0 / fan_in as f64).sqrt(),
            };
            let layer = match *ls {
                LayerSpec::Dense { inputs, outputs } => {
                    if inputs != shape.len() {
                        return Err(format!(
                            "layer {i}: dense layer takes {inputs} inputs but receives {}",
                            shape.len()
                        ));
                    }
                    Layer::Dense(Dense {
                        w: normal_matrix(outputs, inputs, std_for(inputs), rng),
                        b: Array1::zeros(outputs),
                    })
                }
                LayerSpec::Conv { c_in, c_out, k } => {
                    if c_in != shape.c || k % 2 == 0 || shape.h == 1 {
                        return Err(format!("layer {i}: convolution {c_in} -> {c_out} ({k}x{k}) does not fit an input of shape {shape:?}"));
                    }
                    Layer::Conv(Conv2d {
                        w: normal_matrix(c_out, c_in * k * k, std_for(c_in * k * k), rng),
                        b: Array1::zeros(c_out),
                        c_in,
                        c_out,
                        k,
                    })
                }
                LayerSpec::MaxPool => {
                    if shape.h % 2 != 0 || shape.w % 2 != 0 {
                        return Err(format!("layer {i}: 2 x 2 pooling needs an even height and width, got {shape:?}"));
                    }
                    Layer::MaxPool
                }
                LayerSpec::Act(a) => Layer::Act(a),
            };
            shape = layer.output_shape(shape);
            layers.push(layer);
        }
        Ok(Self { input, layers })
    }

    /// The architecture, without the weights.
    pub fn spec(&self) -> Vec<LayerSpec> {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::Dense(d) => LayerSpec::Dense {
                    inputs: d.inputs(),
                    outputs: d.outputs(),
                },
                Layer::Conv(c) => LayerSpec::Conv {
                    c_in: c.c_in,
                    c_out: c.c_out,
                    k: c.k,
                },
                Layer::MaxPool => LayerSpec::MaxPool,
                Layer::Act(a) => LayerSpec::Act(*a),
            })
            .collect()
    }

    /// The input shape of every layer, then the output shape.
    pub fn shapes(&self) -> Vec<Shape> {
        let mut shapes = vec![self.input];
        for l in &self.layers {
            let next = l.output_shape(*shapes.last().expect("non-empty"));
            shapes.push(next);
        }
        shapes
    }

    pub fn n_params(&self) -> usize {
        self.layers
            .iter()
            .filter_map(|l| l.params())
            .map(|(w, b)| w.len() + b.len())
            .sum()
    }

    /// The `i`-th affine layer (counting affine layers only).
    pub fn dense_mut(&mut self, i: usize) -> &mut Dense {
        self.layers
            .iter_mut()
            .filter_map(|l| match l {
                Layer::Dense(d) => Some(d),
                _ => None,
            })
            .nth(i)
            .expect("no such affine layer")
    }

    /// The forward pass over a batch (one example per row), keeping what backpropagation
    /// needs.
    pub fn forward(&self, x: ArrayView2<f64>) -> Forward {
        let shapes = self.shapes();
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut a = x.to_owned();
        for (layer, &shape) in self.layers.iter().zip(&shapes) {
            let next = layer.forward(a.view(), shape);
            inputs.push(std::mem::replace(&mut a, next));
        }
        Forward { inputs, output: a }
    }

    /// Logits for a batch, without keeping intermediate values, computed [`EVAL_CHUNK`]
    /// examples at a time so that memory stays bounded however many examples there are.
    ///
    /// Row i of the logits depends only on row i of x: every layer acts on each example on
    /// its own, and the matrix products (ndarray's, through matrixmultiply) sum each entry
    /// over the inner dimension in an order that does not depend on the number of rows. So the
    /// chunked pass gives the same bits as one pass over the whole batch (tested on the shipped
    /// models and the MNIST test digits).
    pub fn logits_batch(&self, x: ArrayView2<f64>) -> Array2<f64> {
        if let Some(logits) = self.mlp_logits_tiled(x) {
            return logits;
        }
        if x.nrows() <= EVAL_CHUNK {
            return self.logits_unchunked(x);
        }
        let mut out = Array2::zeros((x.nrows(), self.n_classes()));
        for (chunk, mut rows) in x
            .axis_chunks_iter(Axis(0), EVAL_CHUNK)
            .zip(out.axis_chunks_iter_mut(Axis(0), EVAL_CHUNK))
        {
            rows.assign(&self.logits_unchunked(chunk));
        }
        out
    }

    /// [`Network::logits_batch`] for a network of affine layers and activations only (the
    /// MLPs: the toy's decision map evaluates 40,000 points per repaint): [`MLP_TILE`]
    /// examples at a time through two buffers made once, each affine layer's bias and the
    /// activation after it applied in one pass ([`Dense::forward_into`]). The same sums in the
    /// same order as the layer-by-layer pass, so the same bits (tested). None for a network
    /// with other layers.
    fn mlp_logits_tiled(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        let dense_only = self
            .layers
            .iter()
            .all(|l| matches!(l, Layer::Dense(_) | Layer::Act(_)));
        let first_dense = self
            .layers
            .iter()
            .position(|l| matches!(l, Layer::Dense(_)));
        // A leading activation (none in the lab) is left to the general path.
        if !dense_only || first_dense != Some(0) || x.nrows() == 0 {
            return None;
        }
        let (m, k0) = (x.nrows(), x.ncols());
        let widest = self
            .layers
            .iter()
            .filter_map(|l| match l {
                Layer::Dense(d) => Some(d.outputs()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("standard layout");
        let classes = self.n_classes();
        if classes == 0 {
            return None;
        }
        let mut out = Array2::zeros((m, classes));
        // A single example (DeepFool's steps, the line searches) gets buffers of one row.
        let tile = m.min(MLP_TILE);
        let (mut a, mut b) = (vec![0.0; tile * widest], vec![0.0; tile * widest]);
        for (t, logits) in out
            .as_slice_mut()
            .expect("new array")
            .chunks_mut(MLP_TILE * classes)
            .enumerate()
        {
            let rows = logits.len() / classes;
            let mut width = k0;
            let mut first = true;
            let mut i = 0;
            while i < self.layers.len() {
                let Layer::Dense(d) = &self.layers[i] else {
                    // An activation not after an affine layer: in place.
                    let Layer::Act(act) = self.layers[i] else {
                        unreachable!("dense-only network")
                    };
                    a[..rows * width]
                        .iter_mut()
                        .for_each(|v| *v = act.apply(*v));
                    i += 1;
                    continue;
                };
                let act = match self.layers.get(i + 1) {
                    Some(Layer::Act(act)) => Some(*act),
                    _ => None,
                };
                let input = if first {
                    &x[t * MLP_TILE * k0..(t * MLP_TILE + rows) * k0]
                } else {
                    &a[..rows * width]
                };
                d.forward_into(input, rows, act, &mut b[..rows * d.outputs()]);
                std::mem::swap(&mut a, &mut b);
                width = d.outputs();
                first = false;
                i += if act.is_some() { 2 } else { 1 };
            }
            logits.copy_from_slice(&a[..rows * classes]);
        }
        Some(out)
    }

    /// Logits for a batch in one pass: the CNN's im2col matrices take about 200 KB per
    /// example (1.9 KB per example for the MLP), so use [`Network::logits_batch`] for large
    /// batches.
    pub fn logits_unchunked(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let shapes = self.shapes();
        let Some((first, rest)) = self.layers.split_first() else {
            return x.to_owned();
        };
        // The first layer reads x where it is; the others work on the activations in place.
        let mut a = first.forward(x, shapes[0]);
        for (layer, &shape) in rest.iter().zip(&shapes[1..]) {
            a = match layer {
                Layer::Act(act) => {
                    a.mapv_inplace(|v| act.apply(v));
                    a
                }
                _ => layer.forward(a.view(), shape),
            };
        }
        a
    }

    /// Backpropagates dL/dlogits `g` (one row per example of the forward batch). Returns the
    /// weight gradient (if `want_weights`) and dL/dx.
    pub fn backward(
        &self,
        fw: &Forward,
        g: ArrayView2<f64>,
        want_weights: bool,
    ) -> (Option<Gradient>, Array2<f64>) {
        let (grad, dx) = self.backward_to(fw, g, want_weights, true);
        (grad, dx.expect("the input gradient was asked for"))
    }

    /// The weight gradient alone (training): [`Network::backward`] without dL/dx, whose
    /// product at the first layer is the largest of the pass (784 x 128 per MNIST digit).
    pub fn weight_gradient(&self, fw: &Forward, g: ArrayView2<f64>) -> Gradient {
        self.backward_to(fw, g, true, false)
            .0
            .expect("weights asked for")
    }

    fn backward_to(
        &self,
        fw: &Forward,
        g: ArrayView2<f64>,
        want_weights: bool,
        want_input: bool,
    ) -> (Option<Gradient>, Option<Array2<f64>>) {
        let shapes = self.shapes();
        let mut grads = Vec::new();
        let mut delta = g.to_owned();
        for j in (0..self.layers.len()).rev() {
            let layer = &self.layers[j];
            let mut pg = (want_weights && layer.params().is_some()).then(|| ParamGrad {
                w: Array2::zeros((0, 0)),
                b: Array1::zeros(0),
            });
            let dx = layer.backward_to(
                fw.inputs[j].view(),
                shapes[j],
                delta.view(),
                pg.as_mut(),
                want_input || j > 0,
            );
            if let Some(pg) = pg {
                grads.push(pg);
            }
            match dx {
                Some(d) => delta = d,
                None => break,
            }
        }
        grads.reverse();
        let dx = want_input.then_some(delta);
        (want_weights.then_some(Gradient { layers: grads }), dx)
    }

    /// The trainable parameters as slices: W and b of each layer with weights, in order.
    pub fn param_slices_mut(&mut self) -> Vec<&mut [f64]> {
        let mut out = Vec::new();
        for l in &mut self.layers {
            if let Some((w, b)) = l.params_mut() {
                out.push(w.as_slice_mut().expect("standard layout"));
                out.push(b.as_slice_mut().expect("standard layout"));
            }
        }
        out
    }

    /// The parameters, read-only, in the same order.
    pub fn param_slices(&self) -> Vec<&[f64]> {
        let mut out = Vec::new();
        for l in &self.layers {
            if let Some((w, b)) = l.params() {
                out.push(w.as_slice().expect("standard layout"));
                out.push(b.as_slice().expect("standard layout"));
            }
        }
        out
    }
}

impl Classifier for Network {
    fn input_dim(&self) -> usize {
        self.input.len()
    }

    fn n_classes(&self) -> usize {
        self.shapes().last().expect("non-empty").len()
    }

    fn logits(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.logits_batch(x.insert_axis(Axis(0))).row(0).to_owned()
    }

    /// In one batch pass: each row's logits are its own, bit for bit (see
    /// [`Network::logits_batch`]).
    fn labels(&self, xs: ArrayView2<f64>) -> Vec<usize> {
        self.logits_batch(xs)
            .rows()
            .into_iter()
            .map(|r| crate::nn::loss::argmax(r))
            .collect()
    }

    /// One forward pass of m copies of x, then one backward pass of the m cotangents.
    fn vjp(&self, x: ArrayView1<f64>, cotangents: ArrayView2<f64>) -> Array2<f64> {
        assert_eq!(cotangents.ncols(), self.n_classes());
        let m = cotangents.nrows();
        let xs = x
            .insert_axis(Axis(0))
            .broadcast((m, x.len()))
            .expect("broadcast a row")
            .to_owned();
        let fw = self.forward(xs.view());
        self.backward(&fw, cotangents, false).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::loss::softmax_cross_entropy;
    use ndarray::{array, Array};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The MLPs' tiled batch pass gives the layer-by-layer pass's bits: every activation,
    /// batches smaller than, equal to and not a multiple of a tile, one example, an input not
    /// in standard layout, and a network whose last layer is an activation.
    #[test]
    fn the_tiled_mlp_pass_is_the_layer_by_layer_pass_bit_for_bit() {
        let mut rng = Rng::new(21);
        for act in Activation::ALL {
            let net = Network::mlp(&[5, 16, 9, 3], act, &mut rng);
            for m in [1, 7, MLP_TILE, 2 * MLP_TILE + 13] {
                let x = Array::from_shape_simple_fn((m, 5), || 2.0 * rng.normal());
                let want = net.logits_unchunked(x.view());
                assert!(net.mlp_logits_tiled(x.view()).is_some());
                assert_eq!(net.logits_batch(x.view()), want, "{act:?}, {m} examples");
                let xt = x.t().to_owned();
                assert_eq!(net.logits_batch(xt.t()), want, "{act:?}, transposed input");
            }
        }
        let mut net = Network::mlp(&[4, 6, 2], Activation::Tanh, &mut rng);
        net.layers.push(Layer::Act(Activation::Sigmoid));
        let x = Array::from_shape_simple_fn((300, 4), || rng.normal());
        assert_eq!(net.logits_batch(x.view()), net.logits_unchunked(x.view()));
        // A CNN takes the general path.
        let cnn = Network::from_spec(
            Shape::new(1, 4, 4),
            &[
                LayerSpec::Conv {
                    c_in: 1,
                    c_out: 2,
                    k: 3,
                },
                LayerSpec::MaxPool,
            ],
            &mut rng,
        )
        .unwrap();
        assert!(cnn
            .mlp_logits_tiled(Array2::zeros((2, 16)).view())
            .is_none());
    }

    fn loss(net: &Network, x: &Array2<f64>, y: &[usize]) -> f64 {
        softmax_cross_entropy(net.logits_batch(x.view()).view(), y).0
    }

    fn batch(rng: &mut Rng, n: usize, d: usize) -> Array2<f64> {
        Array::from_shape_simple_fn((n, d), || rng.normal())
    }

    /// Compares the backpropagated gradient of the mean cross-entropy with respect to every
    /// weight and bias against central differences with step h, to `tol` relative to
    /// 1 + |gradient|. `stride` > 1 checks every stride-th parameter (large layers).
    fn check_weight_gradients(
        net: &Network,
        x: &Array2<f64>,
        y: &[usize],
        h: f64,
        tol: f64,
        stride: usize,
    ) {
        let fw = net.forward(x.view());
        let (_, dlogits, _) = softmax_cross_entropy(fw.logits().view(), y);
        let grad = net.backward(&fw, dlogits.view(), true).0.unwrap();
        // Training's pass without the input gradient: the same weight gradient, bit for bit.
        let alone = net.weight_gradient(&fw, dlogits.view());
        assert_eq!(alone.slices(), grad.slices());
        for (p, g) in grad.slices().into_iter().enumerate() {
            for (i, &gi) in g.iter().enumerate().step_by(stride) {
                let mut plus = net.clone();
                plus.param_slices_mut()[p][i] += h;
                let mut minus = net.clone();
                minus.param_slices_mut()[p][i] -= h;
                let fd = (loss(&plus, x, y) - loss(&minus, x, y)) / (2.0 * h);
                assert!(
                    (fd - gi).abs() < tol * (1.0 + gi.abs()),
                    "param {p}[{i}]: fd {fd} vs {gi}"
                );
            }
        }
    }

    /// Compares dL/dx from backpropagation with central differences in every input.
    fn check_input_gradient(net: &Network, x: &Array2<f64>, y: &[usize], h: f64, tol: f64) {
        let fw = net.forward(x.view());
        let (_, dlogits, _) = softmax_cross_entropy(fw.logits().view(), y);
        let dx = net.backward(&fw, dlogits.view(), false).1;
        for s in 0..x.nrows() {
            for i in 0..x.ncols() {
                let (mut p, mut m) = (x.clone(), x.clone());
                p[[s, i]] += h;
                m[[s, i]] -= h;
                let fd = (loss(net, &p, y) - loss(net, &m, y)) / (2.0 * h);
                assert!(
                    (fd - dx[[s, i]]).abs() < tol * (1.0 + fd.abs()),
                    "x[{s},{i}]: fd {fd} vs {}",
                    dx[[s, i]]
                );
            }
        }
    }

    /// Smooth activations: with h = 1e-5 the truncation error is ~h^2 |f'''| ~ 1e-10 and the
    /// rounding error eps |f| / h ~ 1e-11, so 1e-8 is tight.
    #[test]
    fn mlp_weight_gradients_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Sigmoid] {
            let mut rng = Rng::new(11);
            let mut net = Network::mlp(&[3, 5, 4, 3], act, &mut rng);
            for l in &mut net.layers {
                if let Some((_, b)) = l.params_mut() {
                    b.mapv_inplace(|_| 0.3 * rng.normal());
                }
            }
            let x = batch(&mut rng, 6, 3);
            check_weight_gradients(&net, &x, &[0, 2, 1, 1, 0, 2], 1e-5, 1e-8, 1);
            check_input_gradient(&net, &x, &[0, 2, 1, 1, 0, 2], 1e-5, 1e-8);
        }
    }

    /// ReLU networks are piecewise affine: away from the kinks central differences are exact
    /// up to rounding (~eps / h ~ 1e-10). The test first checks that no pre-activation is
    /// within 10 h of zero, where a kink could fall between x - h and x + h.
    #[test]
    fn relu_gradients_match_finite_differences_away_from_kinks() {
        let mut rng = Rng::new(5);
        let net = Network::mlp(&[2, 8, 8, 2], Activation::Relu, &mut rng);
        let x = batch(&mut rng, 4, 2);
        let h = 1e-6;
        let fw = net.forward(x.view());
        for (l, a) in net.layers.iter().zip(&fw.inputs) {
            if matches!(l, Layer::Act(_)) {
                assert!(
                    a.iter().all(|v| v.abs() > 10.0 * h),
                    "a pre-activation sits on a kink"
                );
            }
        }
        check_weight_gradients(&net, &x, &[0, 1, 1, 0], h, 1e-8, 1);
        check_input_gradient(&net, &x, &[0, 1, 1, 0], h, 1e-8);
    }

    /// A small CNN (convolution, tanh, max pooling, convolution, tanh, pooling, affine): every
    /// weight and every input. Max pooling is piecewise: the random inputs have no ties, and
    /// h = 1e-6 is far below the gaps between the entries of each window (checked).
    #[test]
    fn cnn_gradients_match_finite_differences() {
        let mut rng = Rng::new(7);
        let spec = [
            LayerSpec::Conv {
                c_in: 1,
                c_out: 3,
                k: 3,
            },
            LayerSpec::Act(Activation::Tanh),
            LayerSpec::MaxPool,
            LayerSpec::Conv {
                c_in: 3,
                c_out: 2,
                k: 3,
            },
            LayerSpec::Act(Activation::Tanh),
            LayerSpec::MaxPool,
            LayerSpec::Dense {
                inputs: 2 * 2 * 2,
                outputs: 3,
            },
        ];
        let mut net = Network::from_spec(Shape::new(1, 8, 8), &spec, &mut rng).unwrap();
        for l in &mut net.layers {
            if let Some((_, b)) = l.params_mut() {
                b.mapv_inplace(|_| 0.2 * rng.normal());
            }
        }
        let x = batch(&mut rng, 3, 64);
        let y = [0, 2, 1];
        let fw = net.forward(x.view());
        for (l, (a, shape)) in net.layers.iter().zip(fw.inputs.iter().zip(net.shapes())) {
            if matches!(l, Layer::MaxPool) {
                for row in a.rows() {
                    for c in 0..shape.c {
                        for yy in 0..shape.h / 2 {
                            for xx in 0..shape.w / 2 {
                                let base = c * shape.h * shape.w + 2 * yy * shape.w + 2 * xx;
                                let mut v = [
                                    row[base],
                                    row[base + 1],
                                    row[base + shape.w],
                                    row[base + shape.w + 1],
                                ];
                                v.sort_by(f64::total_cmp);
                                assert!(v[3] - v[2] > 1e-4, "a pooling window is nearly tied");
                            }
                        }
                    }
                }
            }
        }
        check_weight_gradients(&net, &x, &y, 1e-6, 1e-7, 1);
        check_input_gradient(&net, &x, &y, 1e-6, 1e-7);
    }

    /// The input gradient of every logit (rows of the Jacobian, as DeepFool uses them) and of
    /// a general cotangent, against central differences in each input coordinate.
    #[test]
    fn input_vjp_matches_finite_differences() {
        for act in Activation::ALL {
            let mut rng = Rng::new(3);
            let net = Network::mlp(&[4, 6, 6, 3], act, &mut rng);
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

    /// A batch's logits are each row's own, bit for bit, for an MLP and a CNN (in wasm too,
    /// where the layers take their own paths for one example and for several).
    #[test]
    fn batch_rows_are_single_logits_bit_for_bit() {
        let mut rng = Rng::new(12);
        let mlp = Network::mlp(&[30, 17, 9, 10], Activation::Relu, &mut rng);
        let spec = [
            LayerSpec::Conv {
                c_in: 1,
                c_out: 5,
                k: 3,
            },
            LayerSpec::Act(Activation::Relu),
            LayerSpec::MaxPool,
            LayerSpec::Dense {
                inputs: 5 * 3 * 3,
                outputs: 10,
            },
        ];
        let cnn = Network::from_spec(Shape::new(1, 6, 6), &spec, &mut rng).unwrap();
        for (net, d) in [(mlp, 30), (cnn, 36)] {
            for n in [1, 2, 5, 8, 70] {
                let x = batch(&mut rng, n, d);
                let lb = net.logits_batch(x.view());
                let labels = net.labels(x.view());
                for (i, &label) in labels.iter().enumerate() {
                    let l = net.logits(x.row(i));
                    assert!(l
                        .iter()
                        .zip(lb.row(i))
                        .all(|(a, b)| a.to_bits() == b.to_bits()));
                    assert_eq!(label, net.label(x.row(i)));
                }
                assert_eq!(labels.len(), n);
            }
        }
    }

    #[test]
    fn batch_and_single_forward_agree() {
        let mut rng = Rng::new(9);
        let net = Network::mlp(&[2, 16, 16, 3], Activation::Tanh, &mut rng);
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
        let net = Network::affine(array![[1.0, 2.0], [-1.0, 0.5]], array![0.5, -0.25]);
        let l = net.logits(array![2.0, 1.0].view());
        assert_eq!(l, array![4.5, -1.75]);
        assert_eq!(net.n_params(), 6);
    }

    #[test]
    fn spec_round_trips_and_bad_specs_are_refused() {
        let mut rng = Rng::new(1);
        let net = Network::mlp(&[4, 3, 2], Activation::Relu, &mut rng);
        let again = Network::from_spec(net.input, &net.spec(), &mut rng).unwrap();
        assert_eq!(again.spec(), net.spec());
        assert!(Network::from_spec(Shape::vector(5), &net.spec(), &mut rng).is_err());
        assert!(Network::from_spec(Shape::new(1, 7, 7), &[LayerSpec::MaxPool], &mut rng).is_err());
        assert!(Network::from_spec(
            Shape::new(2, 8, 8),
            &[LayerSpec::Conv {
                c_in: 1,
                c_out: 2,
                k: 3
            }],
            &mut rng
        )
        .is_err());
    }
}
