//! First-order optimisers on flat parameter slices.
//!
//! - SGD with (heavy-ball) momentum mu: v <- mu v + g; theta <- theta - lr v.
//! - Adam (Kingma and Ba, ICLR 2015): m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
//!   theta <- theta - lr m_hat / (sqrt(v_hat) + eps), with the bias corrections
//!   m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t). Defaults b1 = 0.9, b2 = 0.999, eps = 1e-8.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Adam,
    Sgd,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::Sgd => "sgd",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Optimizer {
    pub kind: OptimizerKind,
    pub lr: f64,
    /// First moments (Adam) or velocities (SGD), one vector per parameter slice.
    m: Vec<Vec<f64>>,
    /// Second moments (Adam only).
    v: Vec<Vec<f64>>,
    t: i32,
}

pub const MOMENTUM: f64 = 0.9;
pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const ADAM_EPS: f64 = 1e-8;

impl Optimizer {
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        Self {
            kind,
            lr,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }

    /// One update of every parameter slice with its gradient.
    pub fn step(&mut self, params: &mut [&mut [f64]], grads: &[&[f64]]) {
        assert_eq!(params.len(), grads.len());
        if self.m.is_empty() {
            self.m = grads.iter().map(|g| vec![0.0; g.len()]).collect();
            self.v = self.m.clone();
        }
        self.t = self.t.saturating_add(1);
        match self.kind {
            OptimizerKind::Sgd => {
                for ((p, g), vel) in params.iter_mut().zip(grads).zip(&mut self.m) {
                    for ((p, &g), vel) in p.iter_mut().zip(g.iter()).zip(vel.iter_mut()) {
                        *vel = MOMENTUM * *vel + g;
                        *p -= self.lr * *vel;
                    }
                }
            }
            OptimizerKind::Adam => {
                let c1 = 1.0 - BETA1.powi(self.t);
                let c2 = 1.0 - BETA2.powi(self.t);
                for (((p, g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(&mut self.m)
                    .zip(&mut self.v)
                {
                    for (((p, &g), m), v) in p
                        .iter_mut()
                        .zip(g.iter())
                        .zip(m.iter_mut())
                        .zip(v.iter_mut())
                    {
                        *m = BETA1 * *m + (1.0 - BETA1) * g;
                        *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                        *p -= self.lr * (*m / c1) / ((*v / c2).sqrt() + ADAM_EPS);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The first Adam step moves every coordinate by lr * sign(g) (up to eps): m_hat = g and
    /// v_hat = g^2 after bias correction.
    #[test]
    fn first_adam_step_is_lr_times_sign() {
        let mut opt = Optimizer::new(OptimizerKind::Adam, 0.1);
        let mut p = [1.0, -2.0, 0.5];
        let g = [3.0, -0.01, 1e3];
        opt.step(&mut [&mut p[..]], &[&g[..]]);
        let expected = [0.9, -1.9, 0.4];
        for (a, b) in p.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    /// SGD with momentum on f(x) = x^2 / 2 (gradient x) follows the closed-form recursion.
    #[test]
    fn sgd_momentum_recursion() {
        let mut opt = Optimizer::new(OptimizerKind::Sgd, 0.1);
        let mut x = [1.0];
        let (mut xr, mut vr) = (1.0f64, 0.0f64);
        for _ in 0..20 {
            let g = [x[0]];
            opt.step(&mut [&mut x[..]], &[&g[..]]);
            vr = MOMENTUM * vr + xr;
            xr -= 0.1 * vr;
            assert!((x[0] - xr).abs() < 1e-15);
        }
        assert!(x[0].abs() < 1.0);
    }

    /// Adam minimises a convex quadratic.
    #[test]
    fn adam_minimises_a_quadratic() {
        let mut opt = Optimizer::new(OptimizerKind::Adam, 0.05);
        let mut x = [3.0, -2.0];
        for _ in 0..2000 {
            let g = [2.0 * (x[0] - 1.0), 8.0 * (x[1] + 0.5)];
            opt.step(&mut [&mut x[..]], &[&g[..]]);
        }
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] + 0.5).abs() < 1e-3,
            "{x:?}"
        );
    }
}
