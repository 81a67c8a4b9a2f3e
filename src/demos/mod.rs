//! The demos, each a validated parameter type (its state: a link, a file, a command line)
//! and an experiment that the page, the worker and the command line all run the same way.
//!
//! - [`toy`]: decision boundaries of linear and MLP classifiers in 2-D, attacked by DeepFool
//!   and FGSM.

pub mod attacks;
pub mod dimension;
pub mod toy;
pub mod universal;
