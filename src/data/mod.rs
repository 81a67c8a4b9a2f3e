//! Data sets. [`toy`]: the synthetic two-dimensional sets of the first demo; [`images`]: MNIST,
//! Fashion-MNIST and the 8 x 8 digits; [`mri`]: the MRI images (Colin27 head slices, the
//! Shepp–Logan phantom, the user's picture); [`family`]: the lesion family the reconstruction
//! network is trained on, drawn from a seed.

pub mod augment;
pub mod drawing;
pub mod family;
pub mod images;
pub mod mri;
pub mod resample;
pub mod toy;
