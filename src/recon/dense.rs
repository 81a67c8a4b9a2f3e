//! A dense reconstruction network in the spirit of AUTOMAP (Zhu, Liu, Cauley, Rosen and
//! Rosen, "Image reconstruction by domain-transform manifold learning", Nature 2018), one of
//! the networks Antun et al. (PNAS 2020) showed to be unstable: the measured Fourier
//! coefficients, as real and imaginary parts, through fully connected layers straight to the
//! pixels:
//!
//! ```text
//! f(y)   = (Re y_1, ..., Re y_m, Im y_1, ..., Im y_m)       (the samples of its own mask)
//! h_1    = tanh(W_1 f + b_1),   h_2 = tanh(W_2 h_1 + b_2)
//! Psi(y) = W_3 h_2 + b_3                                    (n^2 real pixels)
//! ```
//!
//! It learns no physics: it sees only the samples at the positions it was trained with. Given
//! the measurements of another mask (the more-samples curve), it takes the coefficients at its
//! own positions that the mask holds (zero for those it lacks) and ignores the rest. Its
//! vector-Jacobian product is backpropagation to the input, mapped back onto the samples.

use super::map::{ReconMap, Vjp};
use crate::nn::network::Gradient;
use crate::nn::{Activation, Network};
use crate::operators::sampling::SubsampledFourier;
use crate::operators::C64;
use crate::rng::Rng;
use ndarray::{Array1, Array2, ArrayView1};
use std::sync::Arc;

/// The dense network and the k-space positions (flat FFT indices, sorted) it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseNet {
    pub side: usize,
    pub indices: Vec<usize>,
    pub net: Network,
}

impl DenseNet {
    /// Two hidden tanh layers of `hidden` units (the weights drawn from `rng`).
    pub fn new(
        side: usize,
        indices: &[usize],
        hidden: usize,
        rng: &mut Rng,
    ) -> Result<Self, String> {
        if !(1..=4096).contains(&hidden) {
            return Err(format!("hidden must be 1 to 4096 units, not {hidden}"));
        }
        if indices.is_empty() || indices.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the dense network's positions must be sorted and distinct".into());
        }
        if indices.last().is_some_and(|&i| i >= side * side) {
            return Err(format!("a position lies outside the {side} x {side} grid"));
        }
        let m = indices.len();
        let net = Network::mlp(&[2 * m, hidden, hidden, side * side], Activation::Tanh, rng);
        Ok(Self {
            side,
            indices: indices.to_vec(),
            net,
        })
    }

    pub fn n_params(&self) -> usize {
        self.net.n_params()
    }

    /// For each of the network's positions, where operator `a` holds it (None: not sampled).
    pub fn lookup(&self, a: &SubsampledFourier) -> Result<Vec<Option<usize>>, String> {
        if a.side() != self.side {
            return Err(format!(
                "the network works at {0} x {0}, the measurements are {1} x {1}",
                self.side,
                a.side()
            ));
        }
        if a.indices() == self.indices.as_slice() {
            return Ok((0..self.indices.len()).map(Some).collect());
        }
        Ok(self
            .indices
            .iter()
            .map(|i| a.indices().binary_search(i).ok())
            .collect())
    }

    /// The features of measurements y (of an operator with lookup `at`) into row `row` of a
    /// batch.
    fn features_into(at: &[Option<usize>], y: ArrayView1<C64>, out: &mut [f64]) {
        let m = at.len();
        for (k, pos) in at.iter().enumerate() {
            let z = pos.map_or(C64::new(0.0, 0.0), |j| y[j]);
            out[k] = z.re;
            out[m + k] = z.im;
        }
    }

    /// The features of a batch of measurements, one row each.
    pub fn features(&self, at: &[Option<usize>], ys: &[ArrayView1<C64>]) -> Array2<f64> {
        let m = at.len();
        let mut f = Array2::zeros((ys.len(), 2 * m));
        for (row, y) in f.rows_mut().into_iter().zip(ys) {
            Self::features_into(at, *y, row.into_slice().expect("standard layout"));
        }
        f
    }

    /// Psi(y) for the measurements of the network's own mask (the `at` of [`Self::lookup`]
    /// for its own operator is the identity).
    pub fn apply_with(&self, at: &[Option<usize>], y: ArrayView1<C64>) -> Array1<f64> {
        let f = self.features(at, &[y]);
        self.net.logits_batch(f.view()).row(0).to_owned()
    }

    /// The summed loss sum_b ||Psi(y_b) - x_b||^2 / n^2 over a batch and its weight gradient.
    pub fn loss_and_grad(
        &self,
        at: &[Option<usize>],
        batch: &[(Array1<f64>, Array1<C64>)],
    ) -> (f64, Gradient) {
        let ys: Vec<ArrayView1<C64>> = batch.iter().map(|(_, y)| y.view()).collect();
        let f = self.features(at, &ys);
        let fw = self.net.forward(f.view());
        let n2 = (self.side * self.side) as f64;
        let mut g = fw.output.clone();
        let mut loss = 0.0;
        for (mut row, (x, _)) in g.rows_mut().into_iter().zip(batch) {
            row -= x;
            loss += row.iter().map(|v| v * v).sum::<f64>() / n2;
            row.mapv_inplace(|v| 2.0 * v / n2);
        }
        (loss, self.net.weight_gradient(&fw, g.view()))
    }
}

/// The dense network as a reconstruction map on the measurements of operator `a` (its own
/// mask, or another one of the same side).
pub struct DenseMap {
    net: Arc<DenseNet>,
    at: Vec<Option<usize>>,
    m: usize,
}

impl DenseMap {
    pub fn new(net: Arc<DenseNet>, a: &SubsampledFourier) -> Result<Self, String> {
        let at = net.lookup(a)?;
        Ok(Self {
            net,
            at,
            m: a.indices().len(),
        })
    }
}

impl ReconMap for DenseMap {
    fn name(&self) -> String {
        "net".into()
    }
    fn dim_in(&self) -> usize {
        self.m
    }
    fn dim_out(&self) -> usize {
        self.net.side * self.net.side
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        self.net.apply_with(&self.at, y).mapv(|v| C64::new(v, 0.0))
    }
    /// The output is real, so only Re g reaches the network; dL/dRe y_j and dL/dIm y_j
    /// come back as the real and imaginary parts of the cotangent of y_j.
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        let f = self.net.features(&self.at, &[y]);
        let fw = self.net.net.forward(f.view());
        let out = fw.output.row(0).mapv(|v| C64::new(v, 0.0));
        (
            out,
            Box::new(move |g| {
                let gr = Array2::from_shape_fn((1, g.len()), |(_, i)| g[i].re);
                let (_, gx) = self.net.net.backward(&fw, gr.view(), false);
                let k = self.at.len();
                let mut gy = Array1::zeros(self.m);
                for (i, pos) in self.at.iter().enumerate() {
                    if let Some(j) = pos {
                        gy[*j] = C64::new(gx[[0, i]], gx[[0, k + i]]);
                    }
                }
                gy
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::masks::{mask, MaskParams, Pattern};
    use crate::operators::{complex_gaussian, LinearOperator};
    use crate::recon::map::check_vjp;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn operator(n: usize, rate: f64) -> SubsampledFourier {
        let m = mask(Pattern::VariableDensity, n, rate, 3, &MaskParams::default()).unwrap();
        SubsampledFourier::new(n, m.fft_indices()).unwrap()
    }

    fn setup() -> (Arc<DenseNet>, SubsampledFourier, Rng) {
        let mut rng = Rng::new(11);
        let a = operator(8, 0.3);
        let mut net = DenseNet::new(8, a.indices(), 12, &mut rng).unwrap();
        // Non-zero biases, so every term is exercised.
        for s in net.net.param_slices_mut() {
            for v in s.iter_mut() {
                *v += 0.05 * rng.normal();
            }
        }
        (Arc::new(net), a, rng)
    }

    /// The measurement VJP against central differences ([`check_vjp`]). The map is smooth (tanh), so the
    /// central difference has error O(h^2 |f'''|) ~ 1e-10 at h = 1e-5, plus rounding
    /// ~1e-16 / h ~ 1e-11 relative; 1e-7 leaves a wide margin and catches any wrong term
    /// (a sign, a swapped re/im, a missing factor is O(1)).
    #[test]
    fn measurement_vjp_matches_finite_differences() {
        let (net, _, mut rng) = setup();
        // On its own mask, and on a larger one (extra samples ignored, its own gradients
        // placed where the larger mask holds them).
        for b in [operator(8, 0.3), operator(8, 0.6)] {
            let map = DenseMap::new(net.clone(), &b).unwrap();
            assert_eq!(map.dim_in(), b.dim_out());
            for _ in 0..3 {
                let y = complex_gaussian(map.dim_in(), &mut rng);
                let d = complex_gaussian(map.dim_in(), &mut rng);
                let g = complex_gaussian(map.dim_out(), &mut rng);
                assert_eq!(map.apply_vjp(y.view()).0, map.apply(y.view()));
                let c = check_vjp(&map, y.view(), d.view(), g.view(), 1e-5);
                assert!(c.relative_error() < 1e-7, "{} vs {}", c.vjp, c.fd);
            }
        }
    }

    /// On a larger nested mask the network reads exactly its own samples: same output as on
    /// the restriction of the measurements to its mask; zero-filled where a smaller mask
    /// lacks them.
    #[test]
    fn other_masks_are_read_at_its_own_positions() {
        let (net, a, mut rng) = setup();
        let big = operator(8, 0.6);
        let at = net.lookup(&big).unwrap();
        assert!(at.iter().all(Option::is_some), "the masks are nested");
        let y_big = complex_gaussian(big.dim_out(), &mut rng);
        let y_own: Array1<C64> = at.iter().map(|p| y_big[p.unwrap()]).collect();
        let own = DenseMap::new(net.clone(), &a).unwrap();
        let other = DenseMap::new(net.clone(), &big).unwrap();
        assert_eq!(own.apply(y_own.view()), other.apply(y_big.view()));
        let small = operator(8, 0.1);
        let at = net.lookup(&small).unwrap();
        assert!(at.iter().any(Option::is_none));
        let y_small = complex_gaussian(small.dim_out(), &mut rng);
        let filled: Array1<C64> = at
            .iter()
            .map(|p| p.map_or(C64::new(0.0, 0.0), |j| y_small[j]))
            .collect();
        let from_small = DenseMap::new(net.clone(), &small).unwrap();
        assert_eq!(from_small.apply(y_small.view()), own.apply(filled.view()));
        assert!(net.lookup(&operator(16, 0.3)).is_err());
    }

    /// The weight gradient of the batch loss against central differences, a few entries of
    /// every weight matrix and bias (smooth in the weights; same tolerance argument).
    #[test]
    fn weight_gradient_matches_finite_differences() {
        let (net, a, mut rng) = setup();
        let mut net = (*net).clone();
        let at = net.lookup(&a).unwrap();
        let batch: Vec<(Array1<f64>, Array1<C64>)> = (0..3)
            .map(|_| {
                let x = Array1::from_shape_simple_fn(64, || rng.uniform());
                let y = a.apply(x.mapv(|v| C64::new(v, 0.0)).view());
                (x, y)
            })
            .collect();
        let (_, grad) = net.loss_and_grad(&at, &batch);
        let flat: Vec<Vec<f64>> = grad.slices().iter().map(|s| s.to_vec()).collect();
        let h = 1e-5;
        for (s, analytic) in flat.iter().enumerate() {
            for _ in 0..4 {
                let i = rng.below(analytic.len());
                let orig = net.net.param_slices()[s][i];
                let mut loss_at = |v: f64| {
                    net.net.param_slices_mut()[s][i] = v;
                    net.loss_and_grad(&at, &batch).0
                };
                let fd = (loss_at(orig + h) - loss_at(orig - h)) / (2.0 * h);
                net.net.param_slices_mut()[s][i] = orig;
                let an = analytic[i];
                assert!(
                    (fd - an).abs() < 1e-6 * an.abs().max(1e-3),
                    "slice {s} entry {i}: {an} vs {fd}"
                );
            }
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let mut rng = Rng::new(1);
        assert!(DenseNet::new(8, &[3, 2], 4, &mut rng).is_err());
        assert!(DenseNet::new(8, &[64], 4, &mut rng).is_err());
        assert!(DenseNet::new(8, &[], 4, &mut rng).is_err());
        assert!(DenseNet::new(8, &[1, 2], 0, &mut rng).is_err());
    }
}
