//! LISTA, learned ISTA: algorithm unrolling, trained (Gregor and LeCun, "Learning fast
//! approximations of sparse coding", ICML 2010).
//!
//! ISTA's iteration x+ = soft_theta(x + W (y - A x)) with W = A^T / L, unrolled into a fixed
//! number of layers whose W_k and theta_k are then trained on examples:
//!
//! ```text
//! x_0 = 0,   x_{k+1} = soft_{theta_k}(x_k + W_k (y - A x_k)),   k = 0..layers-1,
//! soft_t(v) = sign(v) max(|v| - t, 0),   theta_k >= 0
//! ```
//!
//! trained by Adam on the mean squared error over a batch, (1 / B) sum_b ||x_L(y_b) - x_b||^2.
//! This is how the PNAS 2022 paper's experiment on inexact input (Colbrook, Antun, Hansen,
//! Table 1) trains its LISTA, in f64 ([`crate::barrier`]); FIRENET ([`crate::solvers::firenet`])
//! is unrolling with no training and a proof.
//!
//! **Units.** The network runs in the units where ||A|| = 1: with s = ||A||, A^ = A / s and
//! x~ = s x, the layers are x~+ = soft_{theta~}(x~ + W~ (y - A^ x~)), and x = x~ / s. This is
//! a reparametrisation (W = W~ / s, theta = theta~ / s), so the networks it can represent are
//! the same; it matters for training, because Adam moves every parameter by about its learning
//! rate per step, whatever the parameter's scale (at ||A|| = 10^6 the entries of W are about
//! 10^-6). The initialisation is ISTA's with step 1 / ||A^||^2 = 1: W~_k = A^^T, theta~_k = 0.
//!
//! **Reverse mode.** For one example, with r_k = y - A^ x~_k, v_k = x~_k + W~_k r_k and the
//! cotangent g of x~_{k+1} (the loss's 2 (x~_L - x~_target) / B at the top):
//!
//! ```text
//! V = g on |v_k| > theta_k, 0 elsewhere
//! dW~_k += V r_k^T,   dtheta~_k -= sum_i sign(v_ki) V_i
//! g <- V - A^^T (W~_k^T V)                              (the cotangent of x~_k)
//! ```
//!
//! [`Lista::loss_and_gradient`] computes it for a batch; a test checks it against central
//! differences.

use crate::nn::{Optimizer, OptimizerKind};
use crate::rng::Rng;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::Serialize;

/// A LISTA network for a fixed matrix A (m x N).
#[derive(Clone, Debug, PartialEq)]
pub struct Lista {
    /// s = ||A||_2.
    scale: f64,
    /// A / s, m x N.
    a_hat: Array2<f64>,
    /// W~_k, N x m each.
    pub w: Vec<Array2<f64>>,
    /// theta~_k >= 0.
    pub theta: Vec<f64>,
}

/// The values one forward pass keeps for the reverse pass: per layer, x~_k (B x N), r_k
/// (B x m) and v_k (B x N).
struct Tape {
    x: Vec<Array2<f64>>,
    r: Vec<Array2<f64>>,
    v: Vec<Array2<f64>>,
}

/// The gradient of the loss with respect to every W~_k and theta~_k.
#[derive(Clone, Debug)]
pub struct Gradient {
    pub w: Vec<Array2<f64>>,
    pub theta: Vec<f64>,
}

fn soft(v: f64, t: f64) -> f64 {
    v.signum() * (v.abs() - t).max(0.0)
}

impl Lista {
    /// `layers` layers at ISTA's initialisation, for A with operator norm `norm` (> 0).
    pub fn new(a: ArrayView2<f64>, norm: f64, layers: usize) -> Self {
        let a_hat = a.mapv(|v| v / norm);
        Self {
            scale: norm,
            w: vec![a_hat.t().as_standard_layout().into_owned(); layers],
            theta: vec![0.0; layers],
            a_hat,
        }
    }

    pub fn layers(&self) -> usize {
        self.w.len()
    }

    /// The forward pass on a batch of measurements (B x m, one per row), keeping what the
    /// reverse pass needs; returns x~_L.
    fn forward_tape(&self, ys: ArrayView2<f64>) -> (Array2<f64>, Tape) {
        let n = self.a_hat.ncols();
        let mut x = Array2::zeros((ys.nrows(), n));
        let mut tape = Tape {
            x: Vec::new(),
            r: Vec::new(),
            v: Vec::new(),
        };
        for (w, &t) in self.w.iter().zip(&self.theta) {
            let r = &ys - &x.dot(&self.a_hat.t());
            let v = &x + &r.dot(&w.t());
            let next = v.mapv(|e| soft(e, t));
            tape.x.push(std::mem::replace(&mut x, next));
            tape.r.push(r);
            tape.v.push(v);
        }
        (x, tape)
    }

    /// The network's output x = x~_L / s for one measurement y.
    pub fn apply(&self, y: ArrayView1<f64>) -> Array1<f64> {
        let ys = y.insert_axis(Axis(0));
        let (x, _) = self.forward_tape(ys);
        x.row(0).mapv(|v| v / self.scale)
    }

    /// The loss (1 / B) sum_b ||x~_L(y_b) - s x_b||^2 (in the units ||A|| = 1) on a batch of
    /// measurements `ys` (B x m) and targets `xs` (B x N, in the problem's units), and its
    /// gradient.
    pub fn loss_and_gradient(&self, ys: ArrayView2<f64>, xs: ArrayView2<f64>) -> (f64, Gradient) {
        let batch = ys.nrows().max(1) as f64;
        let (out, tape) = self.forward_tape(ys);
        let diff = &out - &xs.mapv(|v| v * self.scale);
        let loss = diff.iter().map(|d| d * d).sum::<f64>() / batch;
        let mut g = diff * (2.0 / batch);
        let layers = self.layers();
        let mut grad = Gradient {
            w: vec![Array2::zeros(self.w[0].dim()); layers],
            theta: vec![0.0; layers],
        };
        for k in (0..layers).rev() {
            let t = self.theta[k];
            let v = &tape.v[k];
            let mut dtheta = 0.0;
            ndarray::Zip::from(&mut g).and(v).for_each(|gi, &vi| {
                if vi.abs() > t {
                    dtheta -= vi.signum() * *gi;
                } else {
                    *gi = 0.0;
                }
            });
            grad.theta[k] = dtheta;
            grad.w[k] = g.t().dot(&tape.r[k]);
            let dr = g.dot(&self.w[k]);
            g = &g - &dr.dot(&self.a_hat);
        }
        drop(tape.x);
        (loss, grad)
    }

    /// The relative error sum ||x_L(y_b) - x_b||^2 / sum ||x_b||^2 on a set.
    pub fn relative_error(&self, ys: ArrayView2<f64>, xs: ArrayView2<f64>) -> f64 {
        let (out, _) = self.forward_tape(ys);
        let target = xs.mapv(|v| v * self.scale);
        let num: f64 = (&out - &target).iter().map(|d| d * d).sum();
        let den: f64 = target.iter().map(|d| d * d).sum();
        num / den
    }
}

/// LISTA's training settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrainSettings {
    pub layers: usize,
    /// Adam steps.
    pub steps: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// LISTA trained by Adam, a step at a time, on a fixed training set (ys: count x m, xs:
/// count x N); minibatches drawn from a seeded shuffle, so a seed gives the same network.
pub struct Trainer {
    pub net: Lista,
    ys: Array2<f64>,
    xs: Array2<f64>,
    settings: TrainSettings,
    optimizer: Optimizer,
    rng: Rng,
    order: Vec<usize>,
    cursor: usize,
    steps_done: usize,
    /// The loss of each step so far.
    pub losses: Vec<f64>,
}

impl Trainer {
    /// A trainer for A (with norm `norm`) on the examples (ys, xs), rows paired.
    pub fn new(
        a: ArrayView2<f64>,
        norm: f64,
        ys: Array2<f64>,
        xs: Array2<f64>,
        settings: TrainSettings,
    ) -> Self {
        let order: Vec<usize> = (0..ys.nrows()).collect();
        Self {
            net: Lista::new(a, norm, settings.layers),
            ys,
            xs,
            settings,
            optimizer: Optimizer::new(OptimizerKind::Adam, settings.learning_rate),
            rng: Rng::new(settings.seed),
            order,
            cursor: usize::MAX,
            steps_done: 0,
            losses: Vec::new(),
        }
    }

    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    pub fn done(&self) -> bool {
        self.steps_done >= self.settings.steps
    }

    /// One Adam step on the next minibatch (a new shuffle after each pass over the set);
    /// theta is kept >= 0 by projection after the step. Returns the batch's loss.
    pub fn step(&mut self) -> f64 {
        let count = self.order.len();
        let b = self.settings.batch.clamp(1, count.max(1));
        if self.cursor.saturating_add(b) > count {
            self.rng.shuffle(&mut self.order);
            self.cursor = 0;
        }
        let idx = &self.order[self.cursor..self.cursor + b];
        self.cursor += b;
        let ys = self.ys.select(Axis(0), idx);
        let xs = self.xs.select(Axis(0), idx);
        let (loss, grad) = self.net.loss_and_gradient(ys.view(), xs.view());
        {
            let mut params: Vec<&mut [f64]> = Vec::new();
            for w in self.net.w.iter_mut() {
                params.push(w.as_slice_mut().expect("contiguous"));
            }
            params.push(&mut self.net.theta);
            let mut grads: Vec<&[f64]> = grad
                .w
                .iter()
                .map(|g| g.as_slice().expect("contiguous"))
                .collect();
            grads.push(&grad.theta);
            self.optimizer.step(&mut params, &grads);
        }
        for t in self.net.theta.iter_mut() {
            *t = t.max(0.0);
        }
        self.steps_done += 1;
        self.losses.push(loss);
        loss
    }

    /// The training set's first rows (for tests and the page).
    pub fn examples(&self, count: usize) -> (ArrayView2<'_, f64>, ArrayView2<'_, f64>) {
        let c = count.min(self.ys.nrows());
        (self.ys.slice(s![..c, ..]), self.xs.slice(s![..c, ..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn random_problem(rng: &mut Rng) -> (Array2<f64>, f64, Array2<f64>, Array2<f64>) {
        let (m, n, b) = (5, 7, 4);
        let a = Array2::from_shape_fn((m, n), |_| rng.normal() * 3.0);
        let norm = crate::operators::Matrix::new(a.mapv(|v| crate::operators::C64::new(v, 0.0)));
        let norm = crate::operators::LinearOperator::norm(&norm);
        let xs = Array2::from_shape_fn((b, n), |_| {
            if rng.uniform() < 0.4 {
                rng.normal()
            } else {
                0.0
            }
        });
        let ys = xs.dot(&a.t());
        (a, norm, ys, xs)
    }

    /// The hand-written reverse pass agrees with central differences of the loss in every
    /// W~_k entry and every theta~_k, at a random point with thresholds away from the kinks.
    /// Step h = 1e-6: the loss is piecewise quadratic, so the central difference is exact up
    /// to rounding (~1e-16 / 1e-6 = 1e-10 relative) unless a kink lies within h, which the
    /// random point avoids (checked by the tolerance holding).
    #[test]
    fn the_gradient_matches_central_differences() {
        let mut rng = Rng::new(11);
        let (a, norm, ys, xs) = random_problem(&mut rng);
        let mut net = Lista::new(a.view(), norm, 4);
        for w in net.w.iter_mut() {
            w.mapv_inplace(|v| v + 0.3 * rng.normal());
        }
        for t in net.theta.iter_mut() {
            *t = 0.05 + 0.1 * rng.uniform();
        }
        let (_, g) = net.loss_and_gradient(ys.view(), xs.view());
        let h = 1e-6;
        let loss = |n: &Lista| n.loss_and_gradient(ys.view(), xs.view()).0;
        let mut worst: f64 = 0.0;
        let scale =
            g.w.iter()
                .flat_map(|w| w.iter())
                .chain(g.theta.iter())
                .fold(0.0f64, |m, v| m.max(v.abs()));
        for k in 0..net.layers() {
            for idx in 0..net.w[k].len() {
                let (mut p, mut q) = (net.clone(), net.clone());
                p.w[k].as_slice_mut().unwrap()[idx] += h;
                q.w[k].as_slice_mut().unwrap()[idx] -= h;
                let fd = (loss(&p) - loss(&q)) / (2.0 * h);
                worst = worst.max((fd - g.w[k].as_slice().unwrap()[idx]).abs());
            }
            let (mut p, mut q) = (net.clone(), net.clone());
            p.theta[k] += h;
            q.theta[k] -= h;
            let fd = (loss(&p) - loss(&q)) / (2.0 * h);
            worst = worst.max((fd - g.theta[k]).abs());
        }
        assert!(
            scale > 1e-3,
            "a gradient this small checks nothing: {scale}"
        );
        assert!(worst <= 1e-7 * scale, "{worst} vs {scale}");
    }

    /// At initialisation with theta = 0 each layer is a step of gradient descent on
    /// ||A^ x~ - y||^2 / 2 with step 1: the network's output is that iteration's.
    #[test]
    fn the_initial_network_is_unrolled_gradient_descent() {
        let mut rng = Rng::new(3);
        let (a, norm, ys, _) = random_problem(&mut rng);
        let net = Lista::new(a.view(), norm, 6);
        let a_hat = a.mapv(|v| v / norm);
        let y = ys.row(0);
        let mut x = Array1::<f64>::zeros(a.ncols());
        for _ in 0..6 {
            x = &x + &a_hat.t().dot(&(&y - &a_hat.dot(&x)));
        }
        let out = net.apply(y) * norm;
        let e = (&out - &x).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(e < 1e-12, "{e}");
    }

    /// Training lowers the loss, keeps every theta >= 0, and the same seed gives the same
    /// network bit for bit (a different seed does not).
    #[test]
    fn training_is_seeded_and_lowers_the_loss() {
        let mut rng = Rng::new(5);
        let (a, norm, _, _) = random_problem(&mut rng);
        let xs = Array2::from_shape_fn((64, a.ncols()), |_| {
            if rng.uniform() < 0.3 {
                rng.normal()
            } else {
                0.0
            }
        });
        let ys = xs.dot(&a.t());
        let settings = |seed| TrainSettings {
            layers: 5,
            steps: 300,
            batch: 16,
            learning_rate: 1e-2,
            seed,
        };
        let train = |seed| {
            let mut t = Trainer::new(a.view(), norm, ys.clone(), xs.clone(), settings(seed));
            let before = t.net.relative_error(ys.view(), xs.view());
            while !t.done() {
                t.step();
            }
            (before, t.net.relative_error(ys.view(), xs.view()), t.net)
        };
        let (before, after, net) = train(1);
        assert!(after < 0.5 * before, "{before} -> {after}");
        assert!(net.theta.iter().all(|t| *t >= 0.0));
        assert_eq!(train(1).2, net);
        assert_ne!(train(2).2, net);
    }
}
