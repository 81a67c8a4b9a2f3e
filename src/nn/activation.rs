//! Elementwise non-linearities rho with their derivatives.

use serde::{Deserialize, Serialize};

/// The non-linearity rho applied after every hidden affine layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// rho(z) = max(z, 0); rho'(0) is taken to be 0.
    Relu,
    /// rho(z) = tanh z; rho'(z) = 1 - tanh^2 z.
    Tanh,
    /// rho(z) = 1 / (1 + e^{-z}); rho'(z) = rho(z) (1 - rho(z)).
    Sigmoid,
}

impl Activation {
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Tanh, Activation::Sigmoid];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }

    #[inline]
    pub fn apply(self, z: f64) -> f64 {
        match self {
            // max(z, 0), written as a comparison: f64::max is a library call in WebAssembly
            // (a fifth of the CNN's time there). The same value for every z, NaN included
            // (0), except that -0 gives +0 where max may give either; a pre-activation is a
            // sum started from +0, which is never -0.
            Activation::Relu => {
                if z > 0.0 {
                    z
                } else {
                    0.0
                }
            }
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z),
        }
    }

    /// d rho / dz at the pre-activation z.
    #[inline]
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Sigmoid => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
        }
    }

    /// The standard deviation of the initial weights for a layer with `fan_in` inputs:
    /// He et al. (2015) for ReLU, LeCun (1998) for the saturating ones.
    pub fn init_std(self, fan_in: usize) -> f64 {
        let gain = match self {
            Activation::Relu => 2.0,
            Activation::Tanh | Activation::Sigmoid => 1.0,
        };
        (gain / fan_in as f64).sqrt()
    }
}

/// The logistic function, written so that it never overflows.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Central differences have error O(h^2 f'''): with h = 1e-5 and |f'''| <= 2 the error is
    /// about 1e-10, above the rounding error eps/h ~ 2e-11.
    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-5;
        for act in Activation::ALL {
            for &z in &[-3.0, -0.7, -1e-3, 0.2, 1.5, 4.0] {
                let fd = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let d = act.derivative(z);
                assert!((fd - d).abs() < 1e-9, "{act:?} at {z}: fd {fd} vs {d}");
            }
        }
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-16);
    }
}
