//! The layers a [`Network`](super::Network) is built from, each with its forward pass and
//! its backward pass (the vector-Jacobian product with respect to its input and, for layers
//! with weights, to the weights).
//!
//! A batch is a matrix with one example per row. Images are stored channel-major in a row:
//! pixel (y, x) of channel c of an image of shape (C, H, W) is at column c H W + y W + x.

use crate::nn::Activation;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// The shape (channels, height, width) of one example; a vector of length d is (d, 1, 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Shape {
    pub fn new(c: usize, h: usize, w: usize) -> Self {
        Self { c, h, w }
    }
    pub fn vector(d: usize) -> Self {
        Self { c: d, h: 1, w: 1 }
    }
    pub fn len(&self) -> usize {
        self.c * self.h * self.w
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Gradients of one layer's weights and biases.
#[derive(Clone, Debug)]
pub struct ParamGrad {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
}

/// An affine layer, V y = W y + b, with W of shape (outputs, inputs).
///
/// Backward: dL/dW = g^T a, dL/db = sum of the rows of g, dL/da = g W, for the input a
/// (one example per row) and the output gradient g.
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

    pub fn forward(&self, x: ArrayView2<f64>) -> Array2<f64> {
        x.dot(&self.w.t()) + &self.b
    }

    /// Returns dL/dx; fills the weight gradient if asked.
    pub fn backward(
        &self,
        x: ArrayView2<f64>,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
    ) -> Array2<f64> {
        if let Some(pg) = grad {
            pg.w = g.t().dot(&x);
            pg.b = g.sum_axis(Axis(0));
        }
        g.dot(&self.w)
    }
}

/// A 2-D convolution with k x k kernels (k odd), stride 1 and zero padding k / 2, so the
/// output has the input's height and width:
///
///   out[o, y, x] = b[o] + sum_{c, dy, dx} W[o, c, dy, dx] in[c, y + dy - k/2, x + dx - k/2].
///
/// Computed as a matrix product with the im2col matrix (one row per output pixel, one column
/// per (c, dy, dx)); the backward pass is the transposed product followed by col2im, the
/// adjoint of im2col. W is stored as a (c_out, c_in k k) matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
    pub c_in: usize,
    pub c_out: usize,
    pub k: usize,
}

impl Conv2d {
    /// Calls `f(sample, row, col, pixel)` for every entry of the im2col matrix that reads an
    /// input pixel (zero padding reads none): row s h w + y w + x of the matrix, column
    /// c k k + dy k + dx, and the pixel c h w + (y + dy - p) w + (x + dx - p) of sample s.
    fn for_each_tap(
        &self,
        n: usize,
        h: usize,
        w: usize,
        mut f: impl FnMut(usize, usize, usize, usize),
    ) {
        let (k, p) = (self.k, self.k / 2);
        let hw = h * w;
        for s in 0..n {
            for c in 0..self.c_in {
                for dy in 0..k {
                    for dx in 0..k {
                        let col = c * k * k + dy * k + dx;
                        for y in 0..h {
                            let yy = y + dy;
                            if yy < p || yy - p >= h {
                                continue;
                            }
                            let src = c * hw + (yy - p) * w;
                            let row = s * hw + y * w;
                            // x + dx - p in [0, w): x from max(p - dx, 0) to min(w + p - dx, w).
                            let x0 = p.saturating_sub(dx);
                            let x1 = (w + p).saturating_sub(dx).min(w);
                            for xx in x0..x1 {
                                f(s, row + xx, col, src + xx + dx - p);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The im2col matrix of a batch of images of shape (c_in, h, w).
    fn im2col(&self, x: ArrayView2<f64>, h: usize, w: usize) -> Array2<f64> {
        let mut cols = Array2::zeros((x.nrows() * h * w, self.c_in * self.k * self.k));
        self.for_each_tap(x.nrows(), h, w, |s, row, col, pixel| {
            cols[[row, col]] = x[[s, pixel]]
        });
        cols
    }

    /// The adjoint of im2col: adds every column entry back onto the pixel it came from.
    fn col2im(&self, cols: ArrayView2<f64>, n: usize, h: usize, w: usize) -> Array2<f64> {
        let mut x = Array2::zeros((n, self.c_in * h * w));
        self.for_each_tap(n, h, w, |s, row, col, pixel| {
            x[[s, pixel]] += cols[[row, col]]
        });
        x
    }

    pub fn forward(&self, x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
        let (n, hw) = (x.nrows(), shape.h * shape.w);
        let m = self.im2col(x, shape.h, shape.w).dot(&self.w.t()) + &self.b;
        let mut out = Array2::zeros((n, self.c_out * hw));
        for s in 0..n {
            let block = m.slice(s![s * hw..(s + 1) * hw, ..]);
            let mut row = out.row_mut(s);
            for o in 0..self.c_out {
                row.slice_mut(s![o * hw..(o + 1) * hw])
                    .assign(&block.column(o));
            }
        }
        out
    }

    pub fn backward(
        &self,
        x: ArrayView2<f64>,
        shape: Shape,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
    ) -> Array2<f64> {
        let (n, hw) = (x.nrows(), shape.h * shape.w);
        // g as a (n hw, c_out) matrix, matching the forward product.
        let mut gm = Array2::zeros((n * hw, self.c_out));
        for s in 0..n {
            let row = g.row(s);
            let mut block = gm.slice_mut(s![s * hw..(s + 1) * hw, ..]);
            for o in 0..self.c_out {
                block
                    .column_mut(o)
                    .assign(&row.slice(s![o * hw..(o + 1) * hw]));
            }
        }
        if let Some(pg) = grad {
            pg.w = gm.t().dot(&self.im2col(x, shape.h, shape.w));
            pg.b = gm.sum_axis(Axis(0));
        }
        self.col2im(gm.dot(&self.w).view(), n, shape.h, shape.w)
    }
}

/// 2 x 2 max pooling with stride 2 (height and width must be even). The gradient goes to
/// the largest input of each window (the first one on ties).
pub fn maxpool_forward(x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
    let (h2, w2) = (shape.h / 2, shape.w / 2);
    let mut out = Array2::zeros((x.nrows(), shape.c * h2 * w2));
    for (s, row) in x.rows().into_iter().enumerate() {
        for c in 0..shape.c {
            for y in 0..h2 {
                for xx in 0..w2 {
                    let i =
                        argmax_window(row.as_slice().expect("standard layout"), shape, c, y, xx);
                    out[[s, c * h2 * w2 + y * w2 + xx]] = row[i];
                }
            }
        }
    }
    out
}

pub fn maxpool_backward(x: ArrayView2<f64>, shape: Shape, g: ArrayView2<f64>) -> Array2<f64> {
    let (h2, w2) = (shape.h / 2, shape.w / 2);
    let mut dx = Array2::zeros(x.raw_dim());
    for (s, row) in x.rows().into_iter().enumerate() {
        for c in 0..shape.c {
            for y in 0..h2 {
                for xx in 0..w2 {
                    let i =
                        argmax_window(row.as_slice().expect("standard layout"), shape, c, y, xx);
                    dx[[s, i]] += g[[s, c * h2 * w2 + y * w2 + xx]];
                }
            }
        }
    }
    dx
}

/// The index (in the row) of the largest of the four inputs of window (y, x) of channel c.
#[inline]
fn argmax_window(row: &[f64], shape: Shape, c: usize, y: usize, x: usize) -> usize {
    let base = c * shape.h * shape.w + 2 * y * shape.w + 2 * x;
    let mut best = base;
    for i in [base + 1, base + shape.w, base + shape.w + 1] {
        if row[i] > row[best] {
            best = i;
        }
    }
    best
}

/// One layer of a network.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Dense(Dense),
    Conv(Conv2d),
    MaxPool,
    Act(Activation),
}

impl Layer {
    /// The shape of this layer's output for an input of shape `s`.
    pub fn output_shape(&self, s: Shape) -> Shape {
        match self {
            Layer::Dense(d) => Shape::vector(d.outputs()),
            Layer::Conv(c) => Shape::new(c.c_out, s.h, s.w),
            Layer::MaxPool => Shape::new(s.c, s.h / 2, s.w / 2),
            Layer::Act(_) => s,
        }
    }

    pub fn forward(&self, x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
        match self {
            Layer::Dense(d) => d.forward(x),
            Layer::Conv(c) => c.forward(x, shape),
            Layer::MaxPool => maxpool_forward(x, shape),
            Layer::Act(a) => x.mapv(|v| a.apply(v)),
        }
    }

    /// dL/dx from dL/dout `g`, for the input `x` this layer saw; fills the weight gradient
    /// of a layer with weights if `grad` is given.
    pub fn backward(
        &self,
        x: ArrayView2<f64>,
        shape: Shape,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
    ) -> Array2<f64> {
        match self {
            Layer::Dense(d) => d.backward(x, g, grad),
            Layer::Conv(c) => c.backward(x, shape, g, grad),
            Layer::MaxPool => maxpool_backward(x, shape, g),
            Layer::Act(a) => {
                let mut d = g.to_owned();
                d.zip_mut_with(&x, |gi, &xi| *gi *= a.derivative(xi));
                d
            }
        }
    }

    /// (W, b) of a layer with weights.
    pub fn params(&self) -> Option<(&Array2<f64>, &Array1<f64>)> {
        match self {
            Layer::Dense(d) => Some((&d.w, &d.b)),
            Layer::Conv(c) => Some((&c.w, &c.b)),
            _ => None,
        }
    }

    pub fn params_mut(&mut self) -> Option<(&mut Array2<f64>, &mut Array1<f64>)> {
        match self {
            Layer::Dense(d) => Some((&mut d.w, &mut d.b)),
            Layer::Conv(c) => Some((&mut c.w, &mut c.b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use ndarray::Array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn random(rng: &mut Rng, shape: (usize, usize)) -> Array2<f64> {
        Array::from_shape_simple_fn(shape, || rng.normal())
    }

    /// The convolution against its definition, computed by brute force.
    #[test]
    fn conv_matches_the_definition() {
        let mut rng = Rng::new(1);
        let (c_in, c_out, k, h, w) = (2, 3, 3, 5, 4);
        let conv = Conv2d {
            w: random(&mut rng, (c_out, c_in * k * k)),
            b: Array1::from_shape_simple_fn(c_out, || rng.normal()),
            c_in,
            c_out,
            k,
        };
        let x = random(&mut rng, (2, c_in * h * w));
        let out = conv.forward(x.view(), Shape::new(c_in, h, w));
        for s in 0..2 {
            for o in 0..c_out {
                for y in 0..h as i64 {
                    for xx in 0..w as i64 {
                        let mut v = conv.b[o];
                        for c in 0..c_in {
                            for dy in 0..3i64 {
                                for dx in 0..3i64 {
                                    let (yy, xs) = (y + dy - 1, xx + dx - 1);
                                    if yy >= 0 && yy < h as i64 && xs >= 0 && xs < w as i64 {
                                        v += conv.w[[o, c * 9 + (dy * 3 + dx) as usize]]
                                            * x[[s, c * h * w + (yy * w as i64 + xs) as usize]];
                                    }
                                }
                            }
                        }
                        let got = out[[s, o * h * w + (y * w as i64 + xx) as usize]];
                        assert!((got - v).abs() < 1e-12, "{got} vs {v}");
                    }
                }
            }
        }
    }

    /// col2im is the adjoint of im2col: <im2col x, C> = <x, col2im C>, to 1e-12 relative.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        let mut rng = Rng::new(2);
        for (k, h, w) in [(3, 6, 5), (5, 4, 7), (1, 3, 3)] {
            let conv = Conv2d {
                w: Array2::zeros((1, 2 * k * k)),
                b: Array1::zeros(1),
                c_in: 2,
                c_out: 1,
                k,
            };
            let x = random(&mut rng, (3, 2 * h * w));
            let c = random(&mut rng, (3 * h * w, 2 * k * k));
            let lhs = (&conv.im2col(x.view(), h, w) * &c).sum();
            let rhs = (&x * &conv.col2im(c.view(), 3, h, w)).sum();
            let scale = (x.mapv(|v| v * v).sum() * c.mapv(|v| v * v).sum()).sqrt() * (k * k) as f64;
            assert!((lhs - rhs).abs() < 1e-12 * scale, "{lhs} vs {rhs}");
        }
    }

    #[test]
    fn maxpool_picks_the_largest_and_routes_back() {
        let x = Array2::from_shape_vec((1, 16), (0..16).map(|v| v as f64).collect()).unwrap();
        let s = Shape::new(1, 4, 4);
        let out = maxpool_forward(x.view(), s);
        assert_eq!(out.row(0).to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
        let g = Array2::from_shape_vec((1, 4), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let dx = maxpool_backward(x.view(), s, g.view());
        let expected: Vec<f64> = (0..16)
            .map(|i| match i {
                5 => 1.0,
                7 => 2.0,
                13 => 3.0,
                15 => 4.0,
                _ => 0.0,
            })
            .collect();
        assert_eq!(dx.row(0).to_vec(), expected);
    }
}
