//! Small images as pixels: an image in grey (white ink on black, as MNIST is usually shown),
//! a perturbation in a diverging map (blue negative, white zero, red positive, scaled so that
//! the largest |value| is full colour), and the lecture's triptych.

use super::raster::Canvas;
use ndarray::ArrayView1;

/// RGBA pixels of a side x side image with values in [0, 1] (clamped).
pub fn grey_rgba(img: ArrayView1<f64>, side: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * side * side);
    for &v in img.iter().take(side * side) {
        let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        out.extend_from_slice(&[g, g, g, 255]);
    }
    out
}

/// The scale a perturbation is shown at: its largest |value| (1 for an all-zero one).
pub fn diverging_scale(r: ArrayView1<f64>) -> f64 {
    let m = r.fold(0.0f64, |m, v| m.max(v.abs()));
    if m > 0.0 && m.is_finite() {
        m
    } else {
        1.0
    }
}

/// RGBA pixels of a perturbation, r / scale mapped from blue (-1) through white to red (+1).
pub fn diverging_rgba(r: ArrayView1<f64>, side: usize, scale: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * side * side);
    for &v in r.iter().take(side * side) {
        let t = (v / scale).clamp(-1.0, 1.0);
        let (full, other) = (255.0, 255.0 * (1.0 - t.abs()));
        let (red, green, blue) = if t >= 0.0 {
            (full, other, other)
        } else {
            (other, other, full)
        };
        out.extend_from_slice(&[
            red.round() as u8,
            green.round() as u8,
            blue.round() as u8,
            255,
        ]);
    }
    out
}

/// RGBA pixels of a perturbation at `scale`, or at its own scale ([`diverging_scale`]) if
/// `scale` is not a positive number (a page shows v in l-inf at xi, the rest at their own).
pub fn diverging_rgba_at(r: ArrayView1<f64>, side: usize, scale: f64) -> Vec<u8> {
    let s = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        diverging_scale(r)
    };
    diverging_rgba(r, side, s)
}

/// The triptych: the image, the perturbation (diverging, at its own scale) and the perturbed
/// image, each `zoom` times enlarged, side by side with `gap` pixels between them.
pub fn triptych(
    x: ArrayView1<f64>,
    r: ArrayView1<f64>,
    adv: ArrayView1<f64>,
    side: usize,
    zoom: usize,
    gap: usize,
) -> Canvas {
    let s = side * zoom;
    let mut c = Canvas::new(3 * s + 2 * gap, s, [255, 255, 255]);
    c.draw_image(&grey_rgba(x, side), side, 0, 0, s);
    c.draw_image(
        &diverging_rgba(r, side, diverging_scale(r)),
        side,
        s + gap,
        0,
        s,
    );
    c.draw_image(&grey_rgba(adv, side), side, 2 * (s + gap), 0, s);
    c
}

/// Images side by side (DeepFool's steps), each `zoom` times enlarged.
pub fn strip(images: &[ArrayView1<f64>], side: usize, zoom: usize, gap: usize) -> Canvas {
    let s = side * zoom;
    let n = images.len().max(1);
    let mut c = Canvas::new(n * s + (n - 1) * gap, s, [255, 255, 255]);
    for (i, img) in images.iter().enumerate() {
        c.draw_image(&grey_rgba(*img, side), side, i * (s + gap), 0, s);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn colours_map_as_documented() {
        assert_eq!(
            grey_rgba(array![0.0, 1.0, 2.0, -1.0].view(), 2),
            vec![0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255]
        );
        let r = array![-0.5, 0.0, 0.25, 0.5];
        assert_eq!(diverging_scale(r.view()), 0.5);
        let px = diverging_rgba(r.view(), 2, 0.5);
        assert_eq!(&px[0..4], &[0, 0, 255, 255]);
        assert_eq!(&px[4..8], &[255, 255, 255, 255]);
        assert_eq!(&px[8..12], &[255, 128, 128, 255]);
        assert_eq!(&px[12..16], &[255, 0, 0, 255]);
        assert_eq!(diverging_scale(array![0.0, 0.0].view()), 1.0);
    }
}
