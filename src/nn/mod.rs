//! Neural networks, written out by hand so that every gradient can be read and checked.
//!
//! A network is phi(x) = V_L rho(V_{L-1} rho(... rho(V_1 x))), with affine maps
//! V_j y = W_j y + b_j and an elementwise non-linearity rho (science.md, section A). The last
//! layer has no non-linearity: classifiers output *logits*, and every attack in the lab works
//! on logits, never after the softmax.
//!
//! - [`activation`]: rho and its derivative.
//! - [`layers`]: affine layers, convolutions, max pooling and activations, each with its
//!   forward and backward pass.
//! - [`network`]: a sequence of layers, backpropagation of the loss to the weights, and
//!   vector-Jacobian products with respect to the input (what attacks need).
//! - [`loss`]: softmax cross-entropy and its gradient.
//! - [`optim`]: Adam and SGD with momentum.
//! - [`train`]: mini-batch training epochs with a seeded shuffle.

pub mod activation;
pub mod io;
pub mod layers;
pub mod loss;
pub mod network;
pub mod optim;
pub mod train;

pub use activation::Activation;
pub use network::Network;
pub use optim::{Optimizer, OptimizerKind};
