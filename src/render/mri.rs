//! Pictures of the MRI demo: images on a fixed grey scale, error maps, and k-space.
//!
//! - Images are shown on the grey scale [0, peak] with peak the true image's maximum, the
//!   same for every reconstruction, so brightness compares across panels.
//! - Error maps show |x^| - x in the diverging map (blue: too dark, red: too bright) at
//!   +-[`ERROR_SCALE`] times the peak, the same scale for every method.
//! - k-space is log10 |(F x)_k| over [`KSPACE_DECADES`] decades below its largest value, in
//!   centred order (zero frequency in the middle), with the sampled locations tinted.

use super::images::diverging_rgba;
use crate::operators::fourier::{fftshift, Fourier2d};
use crate::operators::{complex, C64};
use ndarray::{Array1, ArrayView1};

/// Error maps saturate at this fraction of the image's peak.
pub const ERROR_SCALE: f64 = 0.2;
/// k-space pictures span this many decades of |F x|.
pub const KSPACE_DECADES: f64 = 5.0;
/// The tint of sampled k-space locations (RGB), blended at [`MASK_ALPHA`].
pub const MASK_TINT: [u8; 3] = [255, 200, 0];
pub const MASK_ALPHA: f64 = 0.45;

/// RGBA of an image on the grey scale [0, peak] (clamped; a non-positive peak counts as 1).
pub fn grey_scaled_rgba(img: ArrayView1<f64>, peak: f64) -> Vec<u8> {
    let s = if peak > 0.0 && peak.is_finite() {
        1.0 / peak
    } else {
        1.0
    };
    let mut out = Vec::with_capacity(4 * img.len());
    for &v in img {
        let g = ((v * s).clamp(0.0, 1.0) * 255.0).round() as u8;
        out.extend_from_slice(&[g, g, g, 255]);
    }
    out
}

/// RGBA of the error |x^| - x at +-ERROR_SCALE peak.
pub fn error_rgba(estimate: ArrayView1<f64>, truth: ArrayView1<f64>, peak: f64) -> Vec<u8> {
    let side = (truth.len() as f64).sqrt().round() as usize;
    let diff: Array1<f64> = &estimate - &truth;
    let scale = if peak > 0.0 { ERROR_SCALE * peak } else { 1.0 };
    diverging_rgba(diff.view(), side, scale)
}

/// The log-magnitude of F x in centred order, as values in [0, 1]: 1 at the largest
/// coefficient, 0 at KSPACE_DECADES decades below it (and under).
pub fn kspace_log(x: ArrayView1<f64>, n: usize) -> Array1<f64> {
    let mut k = complex(x).to_vec();
    Fourier2d::new(n).forward_inplace(&mut k);
    let centred = fftshift(ArrayView1::from(&k), n);
    let mag: Array1<f64> = centred.mapv(|z: C64| z.norm_sqr().sqrt());
    let top = mag.fold(0.0f64, |m, v| m.max(*v));
    if top <= 0.0 {
        return Array1::zeros(n * n);
    }
    mag.mapv(|v| {
        if v <= 0.0 {
            0.0
        } else {
            ((v / top).log10() / KSPACE_DECADES + 1.0).clamp(0.0, 1.0)
        }
    })
}

/// A sampling mask as a picture: sampled coefficients white, the others black.
pub fn mask_rgba(sampled: &[bool]) -> Vec<u8> {
    sampled
        .iter()
        .flat_map(|&b| {
            if b {
                [255, 255, 255, 255]
            } else {
                [0, 0, 0, 255]
            }
        })
        .collect()
}

/// RGBA of k-space (grey log magnitude, centred) with the mask (centred bits) tinted.
pub fn kspace_rgba(log_mag: ArrayView1<f64>, sampled: &[bool]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * log_mag.len());
    for (i, &v) in log_mag.iter().enumerate() {
        let g = v.clamp(0.0, 1.0) * 255.0;
        let px = if sampled.get(i).copied().unwrap_or(false) {
            MASK_TINT.map(|t| (g * (1.0 - MASK_ALPHA) + t as f64 * MASK_ALPHA).round() as u8)
        } else {
            [g.round() as u8; 3]
        };
        out.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn grey_scale_uses_the_peak() {
        let px = grey_scaled_rgba(array![0.0, 0.25, 0.5, 1.0].view(), 0.5);
        assert_eq!(
            px,
            [0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 255, 255, 255, 255]
        );
    }

    #[test]
    fn error_map_saturates_at_the_error_scale() {
        let truth = array![0.5, 0.5, 0.5, 0.5];
        let est = array![0.5, 0.5 + 0.2, 0.5 - 0.2, 0.5 + 0.1];
        let px = error_rgba(est.view(), truth.view(), 1.0);
        assert_eq!(&px[0..4], &[255, 255, 255, 255]);
        assert_eq!(&px[4..8], &[255, 0, 0, 255]);
        assert_eq!(&px[8..12], &[0, 0, 255, 255]);
        assert_eq!(&px[12..16], &[255, 128, 128, 255]);
    }

    #[test]
    fn kspace_of_a_constant_is_one_bright_centre() {
        let n = 8;
        let img = Array1::from_elem(n * n, 0.5);
        let k = kspace_log(img.view(), n);
        assert_eq!(k[(n / 2) * n + n / 2], 1.0);
        assert_eq!(k.iter().filter(|&&v| v > 0.0).count(), 1);
        let mut mask = vec![false; n * n];
        mask[0] = true;
        let px = kspace_rgba(k.view(), &mask);
        // Sampled and dark: the tint at 45 %; the bright centre unsampled: white.
        assert_eq!(&px[0..4], &[115, 90, 0, 255]);
        let c = 4 * ((n / 2) * n + n / 2);
        assert_eq!(&px[c..c + 4], &[255, 255, 255, 255]);
    }
}
