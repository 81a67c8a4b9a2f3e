//! # Barriers Lab
//!
//! The numerics of a browser teaching lab for the lecture series "On the barriers of AI and
//! the trade-off between stability and accuracy in deep learning" (V. Antun and
//! M. J. Colbrook, 2021): networks that classify well are unstable, and why.
//!
//! ## The big picture
//!
//! Everything here is plain Rust on [`ndarray`], with no WebAssembly types, and is tested
//! natively with `cargo test` (and again in WebAssembly under Node). The only module that
//! touches `wasm-bindgen`, `web-sys` and `js-sys` is `wasm` (compiled for wasm32 only); the
//! page's JavaScript keeps the URL state, wires the sliders and draws what this crate
//! computes.
//!
//! - [`rng`]: a seeded generator whose stream never changes, so links reproduce figures.
//! - [`nn`]: networks, losses, optimisers and training, with hand-written gradients.
//! - [`classifier`]: logits and their vector-Jacobian products, what attacks need.
//! - [`barrier`]: the barrier of inexact input (PNAS 2022, Theorem 2): a square-root LASSO
//!   family whose K-th digit no method can compute from input known to 2^-n.
//! - [`attacks`]: the lecture's attacks: random noise, the fast gradient, DeepFool, FGSM and
//!   universal perturbations, with their shared line search.
//! - [`data`]: the data sets (MNIST and co., Colin27 MRI slices, Shepp-Logan).
//! - [`models`]: the image classifiers (linear, MLP, CNN) and how they are trained.
//! - [`params`]: one validated state type per demo, through URL, JSON and command line.
//! - [`demos`]: the experiments behind each page.
//! - [`operators`]: the MRI model's linear operators (unitary FFT, A = P F, wavelets,
//!   finite differences) with their adjoints, and the sampling patterns.
//! - [`solvers`]: soft-thresholding, Chambolle-Pock for the square-root LASSO, FIRENET.
//! - [`recon`]: the reconstruction maps (adjoint, wavelet and TV compressed sensing, FIRENET,
//!   the trained network) and image-quality metrics, and each map's vector-Jacobian product.
//! - [`instability`]: the instability test of Antun et al. (PNAS 2020), gradient ascent for
//!   the perturbation a reconstruction map amplifies most.
//! - [`kernel_awareness`]: details (nearly) in the kernel of A, and the lower bound
//!   (||x - x'|| - 2 eta) / delta on the Lipschitz constant of any method accurate on both.
//! - [`troublesome_kernel`]: the troublesome kernel in 1-D (Gottschling, Antun, Adcock,
//!   Hansen): piecewise cubic signals, subsampled DFT rows, a tumour with ||A z|| = delta ||z||,
//!   a network trained with or without kernel-aware pairs (with its VJP), the 1-D TV map.
//! - [`render`]: pixels for the page, text, plots, and a figure's numbers.
//! - [`posters`]: each demo's poster and numbers (the command line's `figures` and the pages'
//!   exports).
//! - [`job`]: the [`job::Job`] interface every long computation implements (step, done,
//!   progress, a serialisable result), stepped by the pages and run to the end by the CLI.
//! - [`bench`]: the kernels that `npm run bench` times natively and in Chromium.
//!
//! ```
//! use barriers_lab::attacks::deepfool::{deepfool, DeepFoolOptions};
//! use barriers_lab::nn::Network;
//! use ndarray::array;
//!
//! // An affine two-class classifier with logit difference f(x) = x_1 + x_2 - 1.
//! let net = Network::affine(array![[0.0, 0.0], [1.0, 1.0]], array![0.0, -1.0]);
//! let x = array![1.0, 1.0];
//! let res = deepfool(&net, x.view(), &DeepFoolOptions::default());
//! // One step, of length (1 + 0.02) |f(x)| / ||w||_2 = 1.02 / sqrt(2).
//! assert_eq!(res.iterations, 1);
//! assert!((res.size.r_l2 - 1.02 / 2f64.sqrt()).abs() < 1e-12);
//! assert_ne!(res.adv_label, res.label);
//! ```

pub mod attacks;
pub mod barrier;
pub mod bench;
pub mod classifier;
pub mod data;
pub mod demos;
pub mod instability;
pub mod job;
pub mod kernel_awareness;
pub mod lista;
pub mod models;
pub mod nn;
pub mod operators;
pub mod params;
pub mod posters;
pub mod recon;
pub mod render;
pub mod rng;
pub mod solvers;
pub mod troublesome_kernel;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
