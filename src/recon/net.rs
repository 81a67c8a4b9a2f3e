//! The trained reconstruction network: a cascade of small convolutional networks, each
//! followed by a data-consistency step, in the spirit of the deep cascades of Schlemper et al.
//! (IEEE TMI 2018) and of the "DeepMRINet" that Antun, Renna, Poon, Adcock and Hansen attacked
//! ("On instabilities of deep learning in image reconstruction and the potential costs of
//! AI", PNAS 2020).
//!
//! With A = P_Omega F (A A* = I), measurements y and K blocks:
//!
//! ```text
//! x_0     = A* y                                   (zero-filled, complex: 2 channels re, im)
//! u_k     = x_k + CNN_k(x_k)                       (residual block, k = 0..K-1)
//! x_{k+1} = u_k + A* (y - A u_k)                   (data consistency: keep the measured
//!         = (I - A* A) u_k + A* y                   coefficients, fill the missing ones)
//! Psi(y)  = x_K
//! ```
//!
//! Each CNN_k is 3 x 3 convolutions with ReLU between them (2 -> c -> ... -> c -> 2 channels,
//! zero padding); its last convolution starts at zero, so the untrained network is the
//! adjoint. The backward pass (the vector-Jacobian product) runs the same steps in reverse:
//! for data consistency, g_u = (I - A* A) g_x (the map is self-adjoint) and g_y += A g_x; for
//! the residual block g_x = g_u + J_CNN^T g_u; and g_y += A g_{x_0} for the first step.

use super::dense::{DenseMap, DenseNet};
use super::map::{ReconMap, Vjp};
use super::recipe::{Architecture, NetShape, TrainOptions};
use crate::nn::io::{read_header, read_weights, write_weights};
use crate::nn::layers::{Conv2d, ParamGrad, Shape};
use crate::operators::sampling::SubsampledFourier;
use crate::operators::{LinearOperator, C64};
use crate::rng::Rng;
use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The weights of the cascade (they do not depend on the image size).
#[derive(Clone, Debug, PartialEq)]
pub struct CascadeNet {
    pub shape: NetShape,
    /// blocks[k][l]: the l-th convolution of block k.
    pub blocks: Vec<Vec<Conv2d>>,
}

/// What the backward pass needs of one forward pass.
pub struct Tape {
    n: usize,
    /// The inputs of each convolution (after the ReLU) of each block.
    acts: Vec<Vec<Array2<f64>>>,
}

/// A complex image as two channels (re, im), one row each.
fn to_channels(x: &Array1<C64>) -> Array2<f64> {
    let mut out = Array2::zeros((2, x.len()));
    for (i, z) in x.iter().enumerate() {
        out[[0, i]] = z.re;
        out[[1, i]] = z.im;
    }
    out
}

fn from_channels(c: &Array2<f64>) -> Array1<C64> {
    Array1::from_shape_fn(c.ncols(), |i| C64::new(c[[0, i]], c[[1, i]]))
}

/// out = conv(x) for one image with channels in rows (c x n^2), through the network
/// library's [`Conv2d`] (a batch of one).
fn conv_forward(conv: &Conv2d, x: &Array2<f64>, n: usize) -> Array2<f64> {
    let flat = x
        .view()
        .into_shape_with_order((1, x.len()))
        .expect("standard layout");
    conv.forward(flat, Shape::new(x.nrows(), n, n))
        .into_shape_with_order((conv.c_out, n * n))
        .expect("standard layout")
}

/// The backward pass of [`conv_forward`] for the output cotangent g: dL/dx, and the weight
/// gradients added to `grad` if given.
fn conv_backward(
    conv: &Conv2d,
    x: &Array2<f64>,
    n: usize,
    g: &Array2<f64>,
    grad: Option<&mut ParamGrad>,
) -> Array2<f64> {
    let flat = |m: &Array2<f64>| {
        m.to_shape((1, m.len()))
            .expect("standard layout")
            .to_owned()
    };
    let shape = Shape::new(x.nrows(), n, n);
    let mut pg = grad.as_ref().map(|_| ParamGrad {
        w: Array2::zeros(conv.w.raw_dim()),
        b: Array1::zeros(conv.b.len()),
    });
    let gx = conv.backward(flat(x).view(), shape, flat(g).view(), pg.as_mut());
    if let (Some(acc), Some(pg)) = (grad, pg) {
        acc.w += &pg.w;
        acc.b += &pg.b;
    }
    gx.into_shape_with_order((x.nrows(), n * n))
        .expect("standard layout")
}

impl CascadeNet {
    /// He-initialised convolutions (std sqrt(2 / fan_in)), the last of each block zero.
    pub fn new(shape: NetShape, rng: &mut Rng) -> Result<Self, String> {
        shape.check()?;
        let k = 3;
        let blocks = (0..shape.blocks)
            .map(|_| {
                (0..shape.depth)
                    .map(|l| {
                        let c_in = if l == 0 { 2 } else { shape.channels };
                        let c_out = if l + 1 == shape.depth {
                            2
                        } else {
                            shape.channels
                        };
                        let fan_in = (c_in * k * k) as f64;
                        let std = (2.0 / fan_in).sqrt();
                        let last = l + 1 == shape.depth;
                        Conv2d {
                            w: Array2::from_shape_simple_fn((c_out, c_in * k * k), || {
                                if last {
                                    0.0
                                } else {
                                    std * rng.normal()
                                }
                            }),
                            b: Array1::zeros(c_out),
                            c_in,
                            c_out,
                            k,
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Self { shape, blocks })
    }

    pub fn n_params(&self) -> usize {
        self.blocks
            .iter()
            .flatten()
            .map(|c| c.w.len() + c.b.len())
            .sum()
    }

    /// Every weight and bias, in a fixed order.
    pub fn param_slices_mut(&mut self) -> Vec<&mut [f64]> {
        let mut out = Vec::new();
        for c in self.blocks.iter_mut().flatten() {
            out.push(c.w.as_slice_mut().expect("standard layout"));
            out.push(c.b.as_slice_mut().expect("standard layout"));
        }
        out
    }

    pub fn param_slices(&self) -> Vec<&[f64]> {
        let mut out = Vec::new();
        for c in self.blocks.iter().flatten() {
            out.push(c.w.as_slice().expect("standard layout"));
            out.push(c.b.as_slice().expect("standard layout"));
        }
        out
    }

    /// Zero gradients shaped like the parameters.
    pub fn zero_grads(&self) -> Vec<ParamGrad> {
        self.blocks
            .iter()
            .flatten()
            .map(|c| ParamGrad {
                w: Array2::zeros(c.w.raw_dim()),
                b: Array1::zeros(c.b.len()),
            })
            .collect()
    }

    /// CNN_k applied to the 2-channel image h; records the convolutions' inputs if asked.
    fn cnn(
        &self,
        k: usize,
        h: &Array2<f64>,
        n: usize,
        record: Option<&mut Vec<Array2<f64>>>,
    ) -> Array2<f64> {
        let mut acts = Vec::with_capacity(self.shape.depth);
        let mut cur = h.clone();
        let last = self.blocks[k].len() - 1;
        for (l, conv) in self.blocks[k].iter().enumerate() {
            let mut out = conv_forward(conv, &cur, n);
            if l < last {
                out.mapv_inplace(|v| v.max(0.0));
            }
            acts.push(cur);
            cur = out;
        }
        if let Some(r) = record {
            *r = acts;
        }
        cur
    }

    /// Psi(y), and the tape for the backward pass if asked.
    pub fn forward(
        &self,
        a: &SubsampledFourier,
        y: ArrayView1<C64>,
        tape: bool,
    ) -> (Array1<C64>, Option<Tape>) {
        let n = a.side();
        let aty = a.adjoint(y);
        let mut x = aty.clone();
        let mut acts_all = Vec::new();
        for k in 0..self.shape.blocks {
            let h = to_channels(&x);
            let mut acts = Vec::new();
            let r = self.cnn(k, &h, n, tape.then_some(&mut acts));
            let u = from_channels(&(&h + &r));
            x = if self.shape.consistency {
                // x+ = u - A* A u + A* y
                let atau = a.adjoint(a.apply(u.view()).view());
                &u - &atau + &aty
            } else {
                u
            };
            if tape {
                acts_all.push(acts);
            }
        }
        let t = tape.then_some(Tape { n, acts: acts_all });
        (x, t)
    }

    /// The backward pass from the output cotangent g: returns g_y = J_y^T g, and adds the
    /// weight gradients to `grads` (ordered like [`CascadeNet::zero_grads`]) if given.
    pub fn backward(
        &self,
        a: &SubsampledFourier,
        tape: &Tape,
        g: ArrayView1<C64>,
        mut grads: Option<&mut [ParamGrad]>,
    ) -> Array1<C64> {
        let n = tape.n;
        let depth = self.shape.depth;
        let mut gx = g.to_owned();
        let mut gy = Array1::<C64>::zeros(a.dim_out());
        for k in (0..self.shape.blocks).rev() {
            // Data consistency: g_u = g_x - A* A g_x, g_y += A g_x.
            let gu = if self.shape.consistency {
                let agx = a.apply(gx.view());
                gy += &agx;
                &gx - &a.adjoint(agx.view())
            } else {
                gx.clone()
            };
            // Residual block: g_h = g_u + J_CNN^T g_u.
            let gu_c = to_channels(&gu);
            let mut gcur = gu_c.clone();
            let acts = &tape.acts[k];
            for l in (0..depth).rev() {
                let conv = &self.blocks[k][l];
                let input = &acts[l];
                let slot = grads.as_deref_mut().map(|gs| &mut gs[k * depth + l]);
                gcur = conv_backward(conv, input, n, &gcur, slot);
                if l > 0 {
                    // Through the ReLU that produced this input.
                    gcur.zip_mut_with(input, |gv, &xv| {
                        if xv <= 0.0 {
                            *gv = 0.0
                        }
                    });
                }
            }
            gx = from_channels(&(&gu_c + &gcur));
        }
        // x_0 = A* y.
        gy += &a.apply(gx.view());
        gy
    }

    /// The mean squared error ||Psi(y) - x||^2 / n^2 against a real image, its gradient
    /// added to `grads`; returns the loss.
    pub fn loss_and_grad(
        &self,
        a: &SubsampledFourier,
        y: ArrayView1<C64>,
        x: ArrayView1<f64>,
        grads: &mut [ParamGrad],
    ) -> f64 {
        let (out, tape) = self.forward(a, y, true);
        let m = x.len() as f64;
        let diff = Array1::from_shape_fn(out.len(), |i| out[i] - C64::new(x[i], 0.0));
        let loss = diff.iter().map(|z| z.norm_sqr()).sum::<f64>() / m;
        let g = diff.mapv(|z| z * (2.0 / m));
        self.backward(a, tape.as_ref().expect("recorded"), g.view(), Some(grads));
        loss
    }
}

const MAGIC: &str = "barriers-lab-recon-net 1\n";

/// What a network file says besides the weights: the architecture and how it was trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetHeader {
    pub shape: NetShape,
    pub n_params: usize,
    /// The image side, pattern, rate, mask seed and noise it was trained at, and how.
    pub training: TrainOptions,
    /// Measured facts (validation PSNR, training time, steps), free-form.
    #[serde(default)]
    pub info: serde_json::Map<String, serde_json::Value>,
}

/// A trained reconstruction network of either kind, as a network file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum ReconNet {
    Cascade(Arc<CascadeNet>),
    Dense(Arc<DenseNet>),
}

impl ReconNet {
    /// A fresh network for a run's options at side n with its operator `a`.
    pub fn new(opts: &TrainOptions, a: &SubsampledFourier, rng: &mut Rng) -> Result<Self, String> {
        Ok(match opts.architecture {
            Architecture::Dense => Self::Dense(Arc::new(DenseNet::new(
                a.side(),
                a.indices(),
                opts.hidden,
                rng,
            )?)),
            _ => Self::Cascade(Arc::new(CascadeNet::new(opts.shape(), rng)?)),
        })
    }

    pub fn n_params(&self) -> usize {
        match self {
            Self::Cascade(c) => c.n_params(),
            Self::Dense(d) => d.n_params(),
        }
    }

    pub fn param_slices(&self) -> Vec<&[f64]> {
        match self {
            Self::Cascade(c) => c.param_slices(),
            Self::Dense(d) => d.net.param_slices(),
        }
    }

    pub fn param_slices_mut(&mut self) -> Vec<&mut [f64]> {
        match self {
            Self::Cascade(c) => Arc::make_mut(c).param_slices_mut(),
            Self::Dense(d) => Arc::make_mut(d).net.param_slices_mut(),
        }
    }

    /// The header that describes this network, trained with `training`.
    pub fn header(
        &self,
        training: &TrainOptions,
        info: serde_json::Map<String, serde_json::Value>,
    ) -> NetHeader {
        NetHeader {
            shape: training.shape(),
            n_params: self.n_params(),
            training: training.clone(),
            info,
        }
    }

    /// A network file:
    ///
    /// ```text
    /// barriers-lab-recon-net 1\n    magic line and format version
    /// {...}\n                       one line of JSON, the NetHeader
    /// f32 little-endian values      every parameter, in param_slices order
    /// ```
    ///
    /// The header's training options say which kind it is (`architecture`), and for the
    /// dense network, the side and mask (`side`, `mask`, `rate`, `mask_seed`, `density`) that
    /// fix its input positions.
    pub fn to_bytes(&self, header: &NetHeader) -> Vec<u8> {
        write_weights(MAGIC, header, &self.param_slices())
    }

    /// Reads a network file; every way it can be malformed is an error with a message.
    pub fn from_bytes(bytes: &[u8]) -> Result<(Self, NetHeader), String> {
        const WHAT: &str = "reconstruction network file";
        let (header, data): (NetHeader, _) = read_header(bytes, MAGIC, WHAT)?;
        header.training.validate()?;
        let a = header.training.operator(header.training.side)?;
        let mut net = match header.training.architecture {
            Architecture::Dense => Self::Dense(Arc::new(DenseNet::new(
                a.side(),
                a.indices(),
                header.training.hidden,
                &mut Rng::new(0),
            )?)),
            _ => {
                if header.shape != header.training.shape() {
                    return Err("the header's shape and training options disagree".into());
                }
                Self::Cascade(Arc::new(CascadeNet::new(header.shape, &mut Rng::new(0))?))
            }
        };
        if net.n_params() != header.n_params {
            return Err(format!(
                "the header says {} parameters but the network has {}",
                header.n_params,
                net.n_params()
            ));
        }
        read_weights(net.param_slices_mut(), data, WHAT)?;
        Ok((net, header))
    }

    /// Psi(y) for the measurements of operator a.
    pub fn apply(&self, a: &SubsampledFourier, y: ArrayView1<C64>) -> Result<Array1<C64>, String> {
        Ok(match self {
            Self::Cascade(c) => c.forward(a, y, false).0,
            Self::Dense(d) => d.apply_with(&d.lookup(a)?, y).mapv(|v| C64::new(v, 0.0)),
        })
    }

    /// The network as a reconstruction map on the measurements of operator a.
    pub fn map(&self, a: &Arc<SubsampledFourier>) -> Result<Arc<dyn ReconMap>, String> {
        Ok(match self {
            Self::Cascade(c) => Arc::new(NetMap {
                net: c.clone(),
                a: a.clone(),
            }),
            Self::Dense(d) => Arc::new(DenseMap::new(d.clone(), a)?),
        })
    }
}

/// The network as a reconstruction map for one measurement operator.
pub struct NetMap {
    pub net: Arc<CascadeNet>,
    pub a: Arc<SubsampledFourier>,
}

impl ReconMap for NetMap {
    fn name(&self) -> String {
        "net".into()
    }
    fn dim_in(&self) -> usize {
        self.a.dim_out()
    }
    fn dim_out(&self) -> usize {
        self.a.dim_in()
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.net.forward(&self.a, y, false).0
    }
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        let (out, tape) = self.net.forward(&self.a, y, true);
        let tape = tape.expect("recorded");
        (
            out,
            Box::new(move |g| self.net.backward(&self.a, &tape, g, None)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::complex_gaussian;
    use crate::operators::masks::{mask, MaskParams, Pattern};
    use crate::recon::map::check_vjp;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn setup(n: usize, seed: u64) -> (CascadeNet, Arc<SubsampledFourier>, Rng) {
        let mut rng = Rng::new(seed);
        let shape = NetShape {
            blocks: 2,
            depth: 3,
            channels: 4,
            consistency: true,
        };
        let mut net = CascadeNet::new(shape, &mut rng).unwrap();
        // Non-zero last layers and biases, so every term of the backward pass is exercised.
        for c in net.blocks.iter_mut().flatten() {
            c.w.mapv_inplace(|v| v + 0.2 * rng.normal());
            c.b.mapv_inplace(|_| 0.1 * rng.normal());
        }
        let m = mask(Pattern::VariableDensity, n, 0.3, 3, &MaskParams::default()).unwrap();
        let a = Arc::new(SubsampledFourier::new(n, m.fft_indices()).unwrap());
        (net, a, rng)
    }

    /// The untrained network (last convolutions zero) is the adjoint: data consistency leaves
    /// A* y unchanged, since (I - A* A) A* y + A* y = A* y (A A* = I).
    #[test]
    fn untrained_network_is_the_adjoint() {
        let mut rng = Rng::new(1);
        let shape = NetShape {
            blocks: 3,
            depth: 3,
            channels: 4,
            consistency: true,
        };
        let net = CascadeNet::new(shape, &mut rng).unwrap();
        let (_, a, mut rng) = setup(8, 2);
        let y = complex_gaussian(a.dim_out(), &mut rng);
        let out = net.forward(&a, y.view(), false).0;
        let aty = a.adjoint(y.view());
        let err = (&out - &aty).iter().map(|z| z.norm()).fold(0.0, f64::max);
        assert!(err < 1e-13, "{err}");
    }

    /// The measurement VJP against central differences ([`check_vjp`]):
    /// <(Psi(y + h d) - Psi(y - h d)) / 2h, g> against <d, J^T g>. The network is piecewise
    /// linear (ReLU), so away from a kink the difference quotient is exact up to rounding;
    /// h = 1e-6 keeps every ReLU input on its side (their gaps are ~1e-2 here), and 1e-7
    /// relative is a hundred times the rounding.
    #[test]
    fn measurement_vjp_matches_finite_differences() {
        let (net, a, mut rng) = setup(8, 4);
        let map = NetMap {
            net: Arc::new(net),
            a,
        };
        for _ in 0..3 {
            let y = complex_gaussian(map.dim_in(), &mut rng);
            let d = complex_gaussian(map.dim_in(), &mut rng);
            let g = complex_gaussian(map.dim_out(), &mut rng);
            let c = check_vjp(&map, y.view(), d.view(), g.view(), 1e-6);
            assert!(c.relative_error() < 1e-7, "{} vs {}", c.vjp, c.fd);
        }
    }

    /// The cascade's convolution on channel rows is the layer's own on the flattened image
    /// (the layer's im2col and its adjoint are checked in `nn::layers`).
    #[test]
    fn convolution_matches_the_layer() {
        let mut rng = Rng::new(9);
        let (c_in, c_out, k, n) = (3, 4, 3, 6);
        let conv = Conv2d {
            w: Array2::from_shape_simple_fn((c_out, c_in * k * k), || rng.normal()),
            b: Array1::from_shape_simple_fn(c_out, || rng.normal()),
            c_in,
            c_out,
            k,
        };
        let x = Array2::from_shape_simple_fn((c_in, n * n), || rng.normal());
        let flat = x.clone().into_shape_with_order((1, c_in * n * n)).unwrap();
        let want = conv.forward(flat.view(), crate::nn::layers::Shape::new(c_in, n, n));
        let got = conv_forward(&conv, &x, n);
        let got = got.into_shape_with_order((1, c_out * n * n)).unwrap();
        let err = (&got - &want).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-12, "{err}");
    }

    /// Both kinds of network survive a file round trip (weights rounded to f32), and every
    /// malformed file is an error with a message.
    #[test]
    fn file_round_trip_and_errors() {
        use super::TrainOptions;
        let (net, _, _) = setup(8, 6);
        let cascade = TrainOptions {
            blocks: 2,
            depth: 3,
            channels: 4,
            side: 16,
            architecture: Architecture::Cascade,
            ..TrainOptions::default()
        };
        let dense = TrainOptions {
            architecture: Architecture::Dense,
            hidden: 6,
            side: 16,
            ..TrainOptions::default()
        };
        let a = dense.operator(16).unwrap();
        let nets = [
            (ReconNet::Cascade(Arc::new(net)), cascade),
            (ReconNet::new(&dense, &a, &mut Rng::new(3)).unwrap(), dense),
        ];
        for (net, opts) in nets {
            let header = net.header(&opts, Default::default());
            let bytes = net.to_bytes(&header);
            let (back, h) = ReconNet::from_bytes(&bytes).unwrap();
            assert_eq!(h, header);
            assert_eq!(std::mem::discriminant(&back), std::mem::discriminant(&net));
            for (a, b) in back.param_slices().iter().zip(net.param_slices()) {
                for (u, v) in a.iter().zip(b) {
                    assert_eq!(*u, *v as f32 as f64);
                }
            }
            assert!(ReconNet::from_bytes(b"hello")
                .unwrap_err()
                .contains("not a Barriers Lab"));
            assert!(ReconNet::from_bytes(&bytes[..bytes.len() - 4])
                .unwrap_err()
                .contains("bytes of weights"));
            let mut nan = bytes.clone();
            let k = nan.len() - 4;
            nan[k..].copy_from_slice(&f32::NAN.to_le_bytes());
            assert!(ReconNet::from_bytes(&nan).unwrap_err().contains("finite"));
            let mut other = header.clone();
            other.n_params += 1;
            assert!(ReconNet::from_bytes(&net.to_bytes(&other))
                .unwrap_err()
                .contains("parameters"));
        }
    }

    /// The weight gradient of the loss against central differences, a few coordinates of
    /// every convolution (weight and bias).
    #[test]
    fn weight_gradient_matches_finite_differences() {
        let (mut net, a, mut rng) = setup(8, 5);
        let x = Array1::from_shape_simple_fn(64, || rng.uniform());
        let ax = a.apply(x.mapv(|v| C64::new(v, 0.0)).view());
        let y = &ax + &complex_gaussian(ax.len(), &mut rng).mapv(|z| z * 0.05);
        let mut grads = net.zero_grads();
        net.loss_and_grad(&a, y.view(), x.view(), &mut grads);
        let flat: Vec<Vec<f64>> = grads
            .iter()
            .flat_map(|g| [g.w.iter().copied().collect(), g.b.to_vec()])
            .collect();
        let h = 1e-6;
        for (s, analytic) in flat.iter().enumerate() {
            let len = analytic.len();
            for _ in 0..3 {
                let i = rng.below(len);
                let orig = net.param_slices()[s][i];
                let mut loss_at = |v: f64| {
                    net.param_slices_mut()[s][i] = v;
                    let mut scratch = net.zero_grads();
                    net.loss_and_grad(&a, y.view(), x.view(), &mut scratch)
                };
                let fd = (loss_at(orig + h) - loss_at(orig - h)) / (2.0 * h);
                net.param_slices_mut()[s][i] = orig;
                let an = analytic[i];
                assert!(
                    (fd - an).abs() < 1e-6 * an.abs().max(1e-3),
                    "slice {s} entry {i}: {an} vs {fd}"
                );
            }
        }
    }
}
