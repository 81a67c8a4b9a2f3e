//! Data sets. [`toy`]: the synthetic two-dimensional sets of the first demo.

pub mod toy;
