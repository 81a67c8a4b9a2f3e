//! Data sets. [`toy`]: the synthetic two-dimensional sets of the first demo; [`images`]: MNIST,
//! Fashion-MNIST and the 8 x 8 digits.

pub mod augment;
pub mod drawing;
pub mod images;
pub mod resample;
pub mod toy;
