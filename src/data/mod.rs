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

/// The luma of ITU-R BT.601, 0.299 R + 0.587 G + 0.114 B, of an RGB(A) pixel's first three
/// bytes, on the gamma-encoded values as stored (as JPEG does): 0 to 255. Every picture the
/// lab reads in colour (an upload, the drawing pad, a file for the command line) is made
/// grey by it.
pub fn luma(p: &[u8]) -> f64 {
    0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64
}
