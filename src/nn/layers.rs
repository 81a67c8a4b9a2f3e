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

    /// The forward pass: natively ndarray's matrix product; in WebAssembly
    /// [`Dense::forward_blocked`], the same sums in the same order, faster there (most of all
    /// for one example at a time, as the line searches and DeepFool ask).
    pub fn forward(&self, x: ArrayView2<f64>) -> Array2<f64> {
        if cfg!(target_arch = "wasm32") {
            self.forward_blocked(x)
        } else {
            self.forward_product(x)
        }
    }

    /// x W^T + b by ndarray's matrix product (matrixmultiply).
    pub fn forward_product(&self, x: ArrayView2<f64>) -> Array2<f64> {
        x.dot(&self.w.t()) + &self.b
    }

    /// x W^T + b summed as matrixmultiply's portable kernel (the one WebAssembly uses) sums
    /// it: the inner dimension in blocks of [`KC`] = 256, each block's sum s_q = 0 + x_k w_k +
    /// ... added one product at a time, the blocks then added in order, c = ((s_0 + s_1) +
    /// s_2) + ..., and b added last. In WebAssembly the two agree bit for bit (a test checks
    /// it there); two examples go together through its 128-bit lanes, with none of the
    /// packing a general product does (for a single example it was 4 times the work).
    pub fn forward_blocked(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let (m, k, n) = (x.nrows(), self.inputs(), self.outputs());
        assert_eq!(x.ncols(), k, "one input per weight column");
        let x = x.as_standard_layout();
        let w = self.w.as_standard_layout();
        let mut out = Array2::zeros((m, n));
        let o = out.as_slice_mut().expect("new array");
        dense_sums(
            x.as_slice().expect("standard layout"),
            w.as_slice().expect("standard layout"),
            m,
            k,
            n,
            o,
        );
        for row in o.chunks_exact_mut(n) {
            for (c, b) in row.iter_mut().zip(&self.b) {
                *c += b;
            }
        }
        out
    }

    /// The forward pass of `m` examples into a buffer the caller keeps, with the following
    /// activation (if any) fused in: out = rho(x W^T + b), x and out row-major (m x inputs,
    /// m x outputs). The same sums as [`Dense::forward`] on each target (ndarray's product
    /// natively, [`Dense::forward_blocked`]'s in WebAssembly), then b and rho in one pass
    /// over out instead of two: bit for bit `forward` followed by the activation layer.
    pub fn forward_into(&self, x: &[f64], m: usize, act: Option<Activation>, out: &mut [f64]) {
        let (k, n) = (self.inputs(), self.outputs());
        assert!(
            x.len() == m * k && out.len() == m * n,
            "{m} examples of {k} inputs into {n} outputs"
        );
        if cfg!(target_arch = "wasm32") {
            let w = self.w.as_standard_layout();
            dense_sums(x, w.as_slice().expect("standard layout"), m, k, n, out);
        } else {
            let xv = ArrayView2::from_shape((m, k), x).expect("checked length");
            let mut ov = ndarray::ArrayViewMut2::from_shape((m, n), out).expect("checked length");
            // x.dot(&w.t()) is this call with alpha 1 and beta 0 (C is overwritten, not read).
            ndarray::linalg::general_mat_mul(1.0, &xv, &self.w.t(), 0.0, &mut ov);
        }
        for row in out.chunks_exact_mut(n) {
            match act {
                Some(a) => {
                    for (c, b) in row.iter_mut().zip(&self.b) {
                        *c = a.apply(*c + b);
                    }
                }
                None => {
                    for (c, b) in row.iter_mut().zip(&self.b) {
                        *c += b;
                    }
                }
            }
        }
    }

    /// Returns dL/dx; fills the weight gradient if asked.
    pub fn backward(
        &self,
        x: ArrayView2<f64>,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
    ) -> Array2<f64> {
        self.backward_to(x, g, grad, true)
            .expect("the input gradient was asked for")
    }

    /// [`Dense::backward`], with dL/dx only if `want_input` (a network's first layer in
    /// training needs only its weight gradient: the largest product of the pass, skipped).
    /// Products by [`product_at_b`] and [`product_ab`].
    pub fn backward_to(
        &self,
        x: ArrayView2<f64>,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
        want_input: bool,
    ) -> Option<Array2<f64>> {
        if let Some(pg) = grad {
            pg.w = product_at_b(g, x);
            pg.b = g.sum_axis(Axis(0));
        }
        want_input.then(|| product_ab(g, self.w.view()))
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

    /// The forward pass: natively through im2col and the matrix product; in WebAssembly by
    /// [`Conv2d::forward_direct`], the same sums in the same order, twice as fast there.
    pub fn forward(&self, x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
        if cfg!(target_arch = "wasm32") {
            self.forward_direct(x, shape)
        } else {
            self.forward_im2col(x, shape)
        }
    }

    /// The forward pass as the im2col matrix times W^T, plus b.
    pub fn forward_im2col(&self, x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
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

    /// The forward pass without the im2col matrix: each input channel is copied once into a
    /// zero-bordered plane of (h + 2p) x (w + 2p) pixels; then, for every output channel o and
    /// every pixel,
    ///
    ///   out[o, y, x] = (0 + a_0 W[o, t_0] + a_1 W[o, t_1] + ...) + b[o]
    ///
    /// over the k k c_in taps t = (c, dy, dx) in im2col's column order, each product and each
    /// sum rounded in turn, the padding's zeros included, where a_t is the padded input at
    /// (c, y + dy, x + dx). That is exactly what matrixmultiply's portable kernel (the one
    /// WebAssembly uses) computes for the im2col product, to which b is then added; so in
    /// WebAssembly the two agree bit for bit (a test checks it there). Four output channels
    /// and two pixels go together through WebAssembly's 128-bit lanes. Natively matrixmultiply's
    /// kernels fuse the multiply-adds, which is why the native build keeps the im2col product.
    pub fn forward_direct(&self, x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
        let (h, w, k, p) = (shape.h, shape.w, self.k, self.k / 2);
        let (pw, ph) = (w + 2 * p, h + 2 * p);
        let hw = h * w;
        let taps = self.c_in * k * k;
        let offsets: Vec<usize> = (0..self.c_in)
            .flat_map(|c| {
                (0..k).flat_map(move |dy| (0..k).map(move |dx| c * ph * pw + dy * pw + dx))
            })
            .collect();
        // Weights in blocks of four output channels, [block][tap][channel in the block]; a
        // missing channel of the last block has zero weights and is dropped.
        let blocks = self.c_out.div_ceil(BLOCK);
        let mut weights = vec![0.0; blocks * taps * BLOCK];
        for o in 0..self.c_out {
            for t in 0..taps {
                weights[(o / BLOCK * taps + t) * BLOCK + o % BLOCK] = self.w[[o, t]];
            }
        }
        let geometry = PlaneGeometry { h, w, pw };
        let mut planes = vec![0.0; self.c_in * ph * pw];
        let mut acc = vec![0.0; BLOCK * hw];
        let x = x.as_standard_layout();
        let mut out = Array2::zeros((x.nrows(), self.c_out * hw));
        for (row, mut out_row) in x.rows().into_iter().zip(out.rows_mut()) {
            let row = row.as_slice().expect("standard layout");
            let out_row = out_row.as_slice_mut().expect("new array");
            for c in 0..self.c_in {
                for y in 0..h {
                    let dst = c * ph * pw + (y + p) * pw + p;
                    planes[dst..dst + w]
                        .copy_from_slice(&row[c * hw + y * w..c * hw + (y + 1) * w]);
                }
            }
            for (block, wb) in weights.chunks_exact(taps * BLOCK).enumerate() {
                conv_taps(&planes, &offsets, wb, geometry, &mut acc);
                for j in 0..BLOCK.min(self.c_out - block * BLOCK) {
                    let o = block * BLOCK + j;
                    let b = self.b[o];
                    for (dst, &a) in out_row[o * hw..(o + 1) * hw]
                        .iter_mut()
                        .zip(&acc[j * hw..(j + 1) * hw])
                    {
                        *dst = a + b;
                    }
                }
            }
        }
        out
    }

    /// Returns dL/dx; fills the weight gradient if asked.
    pub fn backward(
        &self,
        x: ArrayView2<f64>,
        shape: Shape,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
    ) -> Array2<f64> {
        self.backward_to(x, shape, g, grad, true)
            .expect("the input gradient was asked for")
    }

    /// [`Conv2d::backward`], with dL/dx only if `want_input`.
    pub fn backward_to(
        &self,
        x: ArrayView2<f64>,
        shape: Shape,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
        want_input: bool,
    ) -> Option<Array2<f64>> {
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
        want_input.then(|| self.col2im(gm.dot(&self.w).view(), n, shape.h, shape.w))
    }
}

/// a^T b for a (r x p) and b (r x q): the weight gradient g^T x of an affine layer. Natively
/// ndarray's product; in WebAssembly the lab's kernels ([`blocked_pays`] says which), the same
/// sums in the same order as ndarray's portable kernel there (so the same bits, tested)
/// without its packing.
pub fn product_at_b(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    assert_eq!(
        a.nrows(),
        b.nrows(),
        "a^T b needs as many rows in a as in b"
    );
    if !cfg!(target_arch = "wasm32") {
        a.t().dot(&b)
    } else if blocked_pays(a.ncols(), a.nrows()) {
        blocked_product(a.t(), b.t())
    } else {
        axpy_product(a.ncols(), a.nrows(), |u, t| a[[t, u]], b)
    }
}

/// a b for a (m x p) and b (p x q): the input gradient g W of an affine layer, as
/// [`product_at_b`] computes its product.
pub fn product_ab(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    assert_eq!(
        a.ncols(),
        b.nrows(),
        "a b needs as many columns in a as rows in b"
    );
    if !cfg!(target_arch = "wasm32") {
        a.dot(&b)
    } else if blocked_pays(a.nrows(), a.ncols()) {
        blocked_product(a, b.t())
    } else {
        axpy_product(a.nrows(), a.ncols(), |u, t| a[[u, t]], b)
    }
}

/// Whether an (m x k) (k x q) product in WebAssembly goes through [`dense_sums`] (four rows
/// by four columns in registers, after transposed copies of the operands) rather than
/// [`axpy_product`] (no copies, one pass over b per row of the result): when there are rows
/// and an inner dimension enough to pay for the copies. Measured (`npm run bench`): a batch of
/// 64 trains the MNIST MLP in 420 ms per epoch by the first, 560 by the second; a batch of one
/// (the instability test's VJP) takes 5.05 ms per step by the first, 0.71 by the second. Both
/// give the same bits.
fn blocked_pays(m: usize, k: usize) -> bool {
    m >= 8 && k >= 8
}

/// x w^T by [`dense_sums`] for x (m x k) and w (q x k), copied to standard layout if needed.
fn blocked_product(x: ArrayView2<f64>, w: ArrayView2<f64>) -> Array2<f64> {
    let (m, k, q) = (x.nrows(), x.ncols(), w.nrows());
    let x = x.as_standard_layout();
    let w = w.as_standard_layout();
    let mut out = Array2::zeros((m, q));
    dense_sums(
        x.as_slice().expect("standard layout"),
        w.as_slice().expect("standard layout"),
        m,
        k,
        q,
        out.as_slice_mut().expect("new array"),
    );
    out
}

/// out (m x q) with row u = sum over t < k of coef(u, t) b[t, :], summed as matrixmultiply's
/// portable kernel sums (see [`Dense::forward_blocked`]): in blocks of [`KC`] values of t, each
/// block's sum started from 0 and added one product at a time, the blocks added in order. Row
/// by row of b (contiguous, and vectorised across q by the compiler, a product and a sum per
/// lane as the scalar code rounds), so neither operand is transposed or packed: a batch of one
/// (DeepFool, the instability test's VJP) costs one pass over b.
fn axpy_product(
    m: usize,
    k: usize,
    coef: impl Fn(usize, usize) -> f64,
    b: ArrayView2<f64>,
) -> Array2<f64> {
    let q = b.ncols();
    let b = b.as_standard_layout();
    let b = b.as_slice().expect("standard layout");
    let mut out = Array2::zeros((m, q));
    let mut block = vec![0.0; if k > KC { q } else { 0 }];
    for (u, row) in out
        .as_slice_mut()
        .expect("new array")
        .chunks_exact_mut(q.max(1))
        .enumerate()
        .take(m)
    {
        for t0 in (0..k).step_by(KC) {
            // The first block sums straight into the row (it starts at 0); later ones into
            // `block`, then added.
            let acc: &mut [f64] = if t0 == 0 { row } else { &mut block };
            if t0 > 0 {
                acc.fill(0.0);
            }
            for t in t0..(t0 + KC).min(k) {
                let c = coef(u, t);
                for (o, &v) in acc.iter_mut().zip(&b[t * q..(t + 1) * q]) {
                    *o += c * v;
                }
            }
            if t0 > 0 {
                for (o, &v) in row.iter_mut().zip(block.iter()) {
                    *o += v;
                }
            }
        }
    }
    out
}

/// The block of the inner dimension in matrixmultiply's f64 products (its `D_KC`).
pub const KC: usize = 256;

/// out[i n + j] = sum over k of x[i k + .] w[j k + .] in [`KC`] blocks, as
/// [`Dense::forward_blocked`] states: s_q = 0 + x w + x w + ... over block q, one product at a
/// time; out = ((s_0 + s_1) + s_2) + ....
#[cfg(not(target_arch = "wasm32"))]
fn dense_sums(x: &[f64], w: &[f64], m: usize, k: usize, n: usize, out: &mut [f64]) {
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = blocked_dot(&x[i * k..(i + 1) * k], &w[j * k..(j + 1) * k]);
        }
    }
}

/// One sum of [`dense_sums`], for one example and one output.
fn blocked_dot(x: &[f64], w: &[f64]) -> f64 {
    let mut c = 0.0;
    for (q, (xb, wb)) in x.chunks(KC).zip(w.chunks(KC)).enumerate() {
        let mut s = 0.0;
        for (a, b) in xb.iter().zip(wb) {
            s += a * b;
        }
        c = if q == 0 { s } else { c + s };
    }
    c
}

/// The same sums in WebAssembly: two examples at a time in 128-bit lanes (f64x2 products and
/// sums round lane by lane exactly as scalar ones), four outputs and up to four examples at a
/// time.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn dense_sums(x: &[f64], w: &[f64], m: usize, k: usize, n: usize, out: &mut [f64]) {
    use core::arch::wasm32::{f64x2, f64x2_add, f64x2_extract_lane, f64x2_mul, f64x2_splat};
    assert!(x.len() == m * k && w.len() == n * k && out.len() == m * n);
    // Two examples interleaved, (x0[0], x1[0], x0[1], x1[1], ...), so a lane pair is one load.
    let mut pair = vec![f64x2_splat(0.0); k];
    let mut pair2 = vec![f64x2_splat(0.0); k];
    let mut i = 0;
    // Four examples (two pairs) at a time: each weight loaded once for both.
    while i + 4 <= m {
        let rows: [&[f64]; 4] = std::array::from_fn(|r| &x[(i + r) * k..(i + r + 1) * k]);
        for (kk, (p, p2)) in pair.iter_mut().zip(pair2.iter_mut()).enumerate() {
            *p = f64x2(rows[0][kk], rows[1][kk]);
            *p2 = f64x2(rows[2][kk], rows[3][kk]);
        }
        let mut j = 0;
        while j + 4 <= n {
            let ws = [
                &w[j * k..(j + 1) * k],
                &w[(j + 1) * k..(j + 2) * k],
                &w[(j + 2) * k..(j + 3) * k],
                &w[(j + 3) * k..(j + 4) * k],
            ];
            let zero = f64x2_splat(0.0);
            let (mut c, mut c2) = ([zero; 4], [zero; 4]);
            for q in 0..k.div_ceil(KC) {
                let (k0, k1) = (q * KC, ((q + 1) * KC).min(k));
                let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
                let (mut u0, mut u1, mut u2, mut u3) = (zero, zero, zero, zero);
                let block = pair[k0..k1]
                    .iter()
                    .zip(&pair2[k0..k1])
                    .zip(&ws[0][k0..k1])
                    .zip(&ws[1][k0..k1])
                    .zip(&ws[2][k0..k1])
                    .zip(&ws[3][k0..k1]);
                for (((((&xv, &yv), &w0), &w1), &w2), &w3) in block {
                    let (v0, v1, v2, v3) = (
                        f64x2_splat(w0),
                        f64x2_splat(w1),
                        f64x2_splat(w2),
                        f64x2_splat(w3),
                    );
                    s0 = f64x2_add(s0, f64x2_mul(xv, v0));
                    s1 = f64x2_add(s1, f64x2_mul(xv, v1));
                    s2 = f64x2_add(s2, f64x2_mul(xv, v2));
                    s3 = f64x2_add(s3, f64x2_mul(xv, v3));
                    u0 = f64x2_add(u0, f64x2_mul(yv, v0));
                    u1 = f64x2_add(u1, f64x2_mul(yv, v1));
                    u2 = f64x2_add(u2, f64x2_mul(yv, v2));
                    u3 = f64x2_add(u3, f64x2_mul(yv, v3));
                }
                let (s, u) = ([s0, s1, s2, s3], [u0, u1, u2, u3]);
                for t in 0..4 {
                    c[t] = if q == 0 { s[t] } else { f64x2_add(c[t], s[t]) };
                    c2[t] = if q == 0 { u[t] } else { f64x2_add(c2[t], u[t]) };
                }
            }
            for t in 0..4 {
                out[i * n + j + t] = f64x2_extract_lane::<0>(c[t]);
                out[(i + 1) * n + j + t] = f64x2_extract_lane::<1>(c[t]);
                out[(i + 2) * n + j + t] = f64x2_extract_lane::<0>(c2[t]);
                out[(i + 3) * n + j + t] = f64x2_extract_lane::<1>(c2[t]);
            }
            j += 4;
        }
        for j in j..n {
            for (r, row) in rows.iter().enumerate() {
                out[(i + r) * n + j] = blocked_dot(row, &w[j * k..(j + 1) * k]);
            }
        }
        i += 4;
    }
    while i + 2 <= m {
        let (x0, x1) = (&x[i * k..(i + 1) * k], &x[(i + 1) * k..(i + 2) * k]);
        for (p, (&a, &b)) in pair.iter_mut().zip(x0.iter().zip(x1)) {
            *p = f64x2(a, b);
        }
        let mut j = 0;
        while j + 4 <= n {
            let ws = [
                &w[j * k..(j + 1) * k],
                &w[(j + 1) * k..(j + 2) * k],
                &w[(j + 2) * k..(j + 3) * k],
                &w[(j + 3) * k..(j + 4) * k],
            ];
            let mut c = [f64x2_splat(0.0); 4];
            for q in 0..k.div_ceil(KC) {
                let (k0, k1) = (q * KC, ((q + 1) * KC).min(k));
                let zero = f64x2_splat(0.0);
                let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
                let block = pair[k0..k1]
                    .iter()
                    .zip(&ws[0][k0..k1])
                    .zip(&ws[1][k0..k1])
                    .zip(&ws[2][k0..k1])
                    .zip(&ws[3][k0..k1]);
                for ((((&xv, &w0), &w1), &w2), &w3) in block {
                    s0 = f64x2_add(s0, f64x2_mul(xv, f64x2_splat(w0)));
                    s1 = f64x2_add(s1, f64x2_mul(xv, f64x2_splat(w1)));
                    s2 = f64x2_add(s2, f64x2_mul(xv, f64x2_splat(w2)));
                    s3 = f64x2_add(s3, f64x2_mul(xv, f64x2_splat(w3)));
                }
                let s = [s0, s1, s2, s3];
                for t in 0..4 {
                    c[t] = if q == 0 { s[t] } else { f64x2_add(c[t], s[t]) };
                }
            }
            for (t, ct) in c.iter().enumerate() {
                out[i * n + j + t] = f64x2_extract_lane::<0>(*ct);
                out[(i + 1) * n + j + t] = f64x2_extract_lane::<1>(*ct);
            }
            j += 4;
        }
        for j in j..n {
            out[i * n + j] = blocked_dot(x0, &w[j * k..(j + 1) * k]);
            out[(i + 1) * n + j] = blocked_dot(x1, &w[j * k..(j + 1) * k]);
        }
        i += 2;
    }
    if i < m {
        // The last (or only) example: four outputs at a time, scalar.
        let x0 = &x[i * k..(i + 1) * k];
        let mut j = 0;
        while j + 4 <= n {
            let ws = [
                &w[j * k..(j + 1) * k],
                &w[(j + 1) * k..(j + 2) * k],
                &w[(j + 2) * k..(j + 3) * k],
                &w[(j + 3) * k..(j + 4) * k],
            ];
            let mut c = [0.0; 4];
            for q in 0..k.div_ceil(KC) {
                let (k0, k1) = (q * KC, ((q + 1) * KC).min(k));
                let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
                let block = x0[k0..k1]
                    .iter()
                    .zip(&ws[0][k0..k1])
                    .zip(&ws[1][k0..k1])
                    .zip(&ws[2][k0..k1])
                    .zip(&ws[3][k0..k1]);
                for ((((&xk, &w0), &w1), &w2), &w3) in block {
                    s0 += xk * w0;
                    s1 += xk * w1;
                    s2 += xk * w2;
                    s3 += xk * w3;
                }
                let s = [s0, s1, s2, s3];
                for t in 0..4 {
                    c[t] = if q == 0 { s[t] } else { c[t] + s[t] };
                }
            }
            out[i * n + j..i * n + j + 4].copy_from_slice(&c);
            j += 4;
        }
        for j in j..n {
            out[i * n + j] = blocked_dot(x0, &w[j * k..(j + 1) * k]);
        }
    }
}

/// Output channels computed together by [`Conv2d::forward_direct`].
const BLOCK: usize = 4;

/// Output pixels (h x w) read from zero-bordered planes of width pw.
#[derive(Clone, Copy)]
struct PlaneGeometry {
    h: usize,
    w: usize,
    pw: usize,
}

/// acc[j h w + y w + x] = 0 + planes[o_0 + i] w[0][j] + planes[o_1 + i] w[1][j] + ..., with
/// i = y pw + x, over the taps' offsets o_t in order, each product and sum rounded in turn,
/// for the BLOCK channels j of `weights` ([tap][j]).
#[cfg(not(target_arch = "wasm32"))]
fn conv_taps(
    planes: &[f64],
    offsets: &[usize],
    weights: &[f64],
    g: PlaneGeometry,
    acc: &mut [f64],
) {
    for j in 0..BLOCK {
        for y in 0..g.h {
            for x in 0..g.w {
                let i = y * g.pw + x;
                let mut a = 0.0;
                for (&o, w) in offsets.iter().zip(weights.chunks_exact(BLOCK)) {
                    a += planes[o + i] * w[j];
                }
                acc[j * g.h * g.w + y * g.w + x] = a;
            }
        }
    }
}

/// The same sums, two pixels of a row at a time in 128-bit lanes: f64x2 products and sums are
/// rounded lane by lane exactly as the scalar ones.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn conv_taps(
    planes: &[f64],
    offsets: &[usize],
    weights: &[f64],
    g: PlaneGeometry,
    acc: &mut [f64],
) {
    use core::arch::wasm32::{f64x2_add, f64x2_mul, f64x2_splat, v128, v128_load, v128_store};
    let hw = g.h * g.w;
    assert!(weights.len() == offsets.len() * BLOCK && acc.len() == BLOCK * hw);
    // The last pixel read is at o + (h - 1) pw + w - 1 for every offset o.
    assert!(offsets
        .iter()
        .all(|&o| o + (g.h - 1) * g.pw + g.w <= planes.len()));
    let w: Vec<v128> = weights.iter().map(|&v| f64x2_splat(v)).collect();
    let (base, out) = (planes.as_ptr(), acc.as_mut_ptr());
    for y in 0..g.h {
        let mut x = 0;
        while x + 2 <= g.w {
            let i = y * g.pw + x;
            let zero = f64x2_splat(0.0);
            let (mut a0, mut a1, mut a2, mut a3) = (zero, zero, zero, zero);
            for (&o, wt) in offsets.iter().zip(w.chunks_exact(BLOCK)) {
                // SAFETY: o + i + 2 <= o + (h - 1) pw + w <= planes.len() (asserted above);
                // v128_load takes unaligned addresses.
                let s = unsafe { v128_load(base.add(o + i) as *const v128) };
                a0 = f64x2_add(a0, f64x2_mul(s, wt[0]));
                a1 = f64x2_add(a1, f64x2_mul(s, wt[1]));
                a2 = f64x2_add(a2, f64x2_mul(s, wt[2]));
                a3 = f64x2_add(a3, f64x2_mul(s, wt[3]));
            }
            for (j, a) in [a0, a1, a2, a3].into_iter().enumerate() {
                // SAFETY: j hw + y w + x + 2 <= BLOCK hw = acc.len() (asserted above).
                unsafe { v128_store(out.add(j * hw + y * g.w + x) as *mut v128, a) };
            }
            x += 2;
        }
        for x in x..g.w {
            let i = y * g.pw + x;
            for j in 0..BLOCK {
                let mut a = 0.0;
                for (&o, wt) in offsets.iter().zip(weights.chunks_exact(BLOCK)) {
                    a += planes[o + i] * wt[j];
                }
                acc[j * hw + y * g.w + x] = a;
            }
        }
    }
}

/// 2 x 2 max pooling with stride 2 (height and width must be even). The gradient goes to
/// the largest input of each window (the first one on ties).
pub fn maxpool_forward(x: ArrayView2<f64>, shape: Shape) -> Array2<f64> {
    let (h2, w2) = (shape.h / 2, shape.w / 2);
    let mut out = Array2::zeros((x.nrows(), shape.c * h2 * w2));
    let x = x.as_standard_layout();
    for (row, mut out_row) in x.rows().into_iter().zip(out.rows_mut()) {
        let row = row.as_slice().expect("standard layout");
        let out_row = out_row.as_slice_mut().expect("new array");
        for c in 0..shape.c {
            for y in 0..h2 {
                for xx in 0..w2 {
                    out_row[c * h2 * w2 + y * w2 + xx] = row[argmax_window(row, shape, c, y, xx)];
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
        self.backward_to(x, shape, g, grad, true)
            .expect("the input gradient was asked for")
    }

    /// [`Layer::backward`], with dL/dx only if `want_input` (layers without weights always
    /// give it: they have nothing else to give).
    pub fn backward_to(
        &self,
        x: ArrayView2<f64>,
        shape: Shape,
        g: ArrayView2<f64>,
        grad: Option<&mut ParamGrad>,
        want_input: bool,
    ) -> Option<Array2<f64>> {
        match self {
            Layer::Dense(d) => d.backward_to(x, g, grad, want_input),
            Layer::Conv(c) => c.backward_to(x, shape, g, grad, want_input),
            Layer::MaxPool => Some(maxpool_backward(x, shape, g)),
            Layer::Act(a) => {
                let mut d = g.to_owned();
                d.zip_mut_with(&x, |gi, &xi| *gi *= a.derivative(xi));
                Some(d)
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

    /// The direct convolution against the im2col product, on random inputs with exact zeros
    /// (as images have) and kernels of size 1, 3 and 5: in WebAssembly, where the page uses
    /// it, bit for bit; natively (where matrixmultiply fuses multiply-adds) to rounding.
    #[test]
    fn direct_convolution_equals_the_im2col_product() {
        let mut rng = Rng::new(4);
        for (c_in, c_out, k, h, w, n) in [
            (1, 8, 3, 28, 28, 3),
            (8, 16, 3, 14, 14, 2),
            (2, 3, 5, 6, 7, 2),
            (3, 2, 1, 4, 5, 1),
        ] {
            let conv = Conv2d {
                w: random(&mut rng, (c_out, c_in * k * k)),
                b: Array1::from_shape_simple_fn(c_out, || rng.normal()),
                c_in,
                c_out,
                k,
            };
            let x = Array::from_shape_simple_fn((n, c_in * h * w), || {
                let v = rng.normal();
                if v < 0.0 {
                    0.0
                } else {
                    v
                }
            });
            let shape = Shape::new(c_in, h, w);
            let direct = conv.forward_direct(x.view(), shape);
            let product = conv.forward_im2col(x.view(), shape);
            for (a, b) in direct.iter().zip(product.iter()) {
                if cfg!(target_arch = "wasm32") {
                    assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
                } else {
                    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
                }
            }
        }
    }

    /// The blocked affine layer against ndarray's product, for one and several examples,
    /// inner dimensions below, at and above the 256 of a block (the lab's 64 to 3,136) and
    /// output counts that are and are not multiples of four: in WebAssembly bit for bit;
    /// natively (fused multiply-adds in the product) to rounding.
    #[test]
    fn blocked_affine_layer_equals_the_matrix_product() {
        let mut rng = Rng::new(6);
        for (m, k, n) in [
            (1, 3136, 10),
            (5, 784, 128),
            (64, 784, 64),
            (3, 256, 7),
            (2, 64, 10),
            (7, 600, 5),
            (1, 9, 1),
        ] {
            let layer = Dense {
                w: random(&mut rng, (n, k)),
                b: Array1::from_shape_simple_fn(n, || rng.normal()),
            };
            let x = Array::from_shape_simple_fn((m, k), || {
                let v = rng.normal();
                if v < 0.0 {
                    0.0
                } else {
                    v
                }
            });
            let blocked = layer.forward_blocked(x.view());
            let product = layer.forward_product(x.view());
            for (a, b) in blocked.iter().zip(product.iter()) {
                if cfg!(target_arch = "wasm32") {
                    assert_eq!(a.to_bits(), b.to_bits(), "{m} x {k} x {n}: {a} vs {b}");
                } else {
                    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
                }
            }
            // A single example viewed as a row of a one-dimensional array.
            let row = x.row(0).to_owned();
            let one = layer.forward_blocked(row.view().insert_axis(Axis(0)));
            assert_eq!(one.row(0), blocked.row(0));
        }
    }

    /// The backward products against ndarray's: the same bits in WebAssembly (where they
    /// are the lab's kernel), to round-off natively (where they are ndarray's own), at shapes
    /// with inner dimensions below, at and above a block of [`KC`] and ragged edges.
    #[test]
    fn backward_products_are_ndarrays_products() {
        let mut rng = Rng::new(31);
        for (r, p, q) in [
            (64, 128, 784),
            (7, 5, 3),
            (300, 9, 6),
            (4, 600, 7),
            (20, 300, 9),
            (1, 4, 5),
            (5, 1, 1),
        ] {
            let a = random(&mut rng, (r, p));
            let b = random(&mut rng, (r, q));
            let c = random(&mut rng, (p, q));
            for (got, want) in [
                (product_at_b(a.view(), b.view()), a.t().dot(&b)),
                (product_ab(a.view(), c.view()), a.dot(&c)),
                // A transposed (not standard-layout) input.
                (product_ab(a.t().t(), c.t().to_owned().t()), a.dot(&c)),
            ] {
                assert_eq!(got.dim(), want.dim());
                for (x, y) in got.iter().zip(want.iter()) {
                    if cfg!(target_arch = "wasm32") {
                        assert_eq!(x.to_bits(), y.to_bits(), "{r} x {p} x {q}: {x} vs {y}");
                    } else {
                        assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
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
