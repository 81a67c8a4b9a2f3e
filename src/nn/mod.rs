//! Neural networks, written out by hand so that every gradient can be read and checked.
//!
//! A network is phi(x) = V_L rho(V_{L-1} rho(... rho(V_1 x))), with affine maps
//! V_j y = W_j y + b_j and an elementwise non-linearity rho (science.md, section A). The last
//! layer has no non-linearity: classifiers output *logits*, and every attack in the lab works
//! on logits, never after the softmax.
//!
//! - [`activation`]: rho and its derivative.
//! - [`mlp`]: the multi-layer perceptron, its forward pass, backpropagation of the loss to the
//!   weights, and vector-Jacobian products with respect to the input (what attacks need).
//! - [`loss`]: softmax cross-entropy and its gradient.
//! - [`optim`]: Adam and SGD with momentum.
//! - [`train`]: mini-batch training epochs with a seeded shuffle.

pub mod activation;
pub mod loss;
pub mod mlp;
pub mod optim;
pub mod train;

pub use activation::Activation;
pub use mlp::Mlp;
pub use optim::{Optimizer, OptimizerKind};
