//! A stripe drawn on the page's pad, made into one of the demo's images and shown to the
//! trained network: the pad's ink (one minus the BT.601 luminance, [`crate::data::luma`]) is
//! area-averaged onto the n x n grid (the whole pad, no centring: where a stripe lies is part
//! of it), and put 1 above a background s a that the student chooses (s = -1, 0 or +1), as the
//! data set's stripes are (see [`crate::false_structures`]).

use super::page::{Perturbation, StripesPage};
use crate::data::luma;
use crate::data::resample::area_box;
use crate::false_structures::{Classification, SIZE};
use ndarray::Array1;
use serde::Serialize;

/// The largest pad the page may send (its pixels).
const MAX_PAD_PIXELS: usize = 4_000_000;

/// A drawing as the network gets it, what it says, and DeepFool's perturbation of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Drawn {
    pub size: usize,
    /// n^2 values, row-major: s a + ink.
    pub pixels: Vec<f64>,
    /// s a, the background chosen.
    pub background: f64,
    /// The colour scale the page shows the image at (see [`super::page::magnify`]).
    pub magnify: f64,
    pub classification: Classification,
    pub perturbation: Perturbation,
}

/// The pad's RGBA pixels (`w` x `h`) as an n x n image on the background `sign` a (`sign` -1,
/// 0 or 1); None if nothing is drawn.
pub fn image(
    rgba: &[u8],
    w: usize,
    h: usize,
    sign: i32,
    a: f64,
) -> Result<Option<Vec<f64>>, String> {
    if w == 0 || h == 0 || w * h > MAX_PAD_PIXELS || rgba.len() != 4 * w * h {
        return Err(format!(
            "a drawing of {w} x {h} pixels needs {} RGBA values, got {}",
            4 * w * h,
            rgba.len()
        ));
    }
    if !(-1..=1).contains(&sign) {
        return Err(format!(
            "the drawing's background is -a, 0 or +a (sign -1, 0 or 1), not {sign}"
        ));
    }
    let ink: Array1<f64> = rgba
        .chunks_exact(4)
        .map(|p| 1.0 - luma(p) / 255.0)
        .collect();
    if ink.iter().all(|&v| v <= 0.05) {
        return Ok(None);
    }
    let grid = area_box(ink.view(), w, h, [0.0, 0.0, w as f64, h as f64], SIZE, SIZE);
    let s = f64::from(sign) * a;
    Ok(Some(grid.iter().map(|v| s + v.clamp(0.0, 1.0)).collect()))
}

impl StripesPage {
    /// A drawing from the pad on the background `sign` a, classified and attacked by the
    /// trained network of the current state.
    pub fn drawing(&self, rgba: &[u8], w: usize, h: usize, sign: i32) -> Result<Drawn, String> {
        let a = self.params.a;
        let pixels =
            image(rgba, w, h, sign, a)?.ok_or("the pad is empty: draw a stripe on it first")?;
        let classification = self.classify(&pixels)?;
        let perturbation = self.fool(&pixels)?;
        Ok(Drawn {
            size: SIZE,
            background: f64::from(sign) * a,
            magnify: super::page::magnify(a),
            pixels,
            classification,
            perturbation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A white pad of w x h with the rows [r0, r1) inked black.
    fn pad(w: usize, h: usize, r0: usize, r1: usize) -> Vec<u8> {
        let mut rgba = vec![255u8; 4 * w * h];
        for y in r0..r1 {
            for x in 0..w {
                rgba[4 * (y * w + x)..4 * (y * w + x) + 3].fill(0);
            }
        }
        rgba
    }

    #[test]
    fn a_drawn_stripe_is_one_above_its_background() {
        // A 256-pixel pad is 8 canvas pixels per image pixel: rows 80..104 are image rows
        // 10, 11, 12 exactly.
        let img = image(&pad(256, 256, 80, 104), 256, 256, -1, 0.01)
            .unwrap()
            .unwrap();
        assert_eq!(img.len(), SIZE * SIZE);
        for (i, v) in img.iter().enumerate() {
            let want = if (10..13).contains(&(i / SIZE)) {
                0.99
            } else {
                -0.01
            };
            assert!((v - want).abs() < 1e-12, "pixel {i}: {v}");
        }
        // Half-covered rows are averaged: rows 84..108 cover rows 10 and 13 by half.
        let img = image(&pad(256, 256, 84, 108), 256, 256, 1, 0.01)
            .unwrap()
            .unwrap();
        assert!((img[10 * SIZE] - 0.51).abs() < 1e-12 && (img[11 * SIZE] - 1.01).abs() < 1e-12);
        assert!((img[13 * SIZE] - 0.51).abs() < 1e-12 && (img[14 * SIZE] - 0.01).abs() < 1e-12);
    }

    #[test]
    fn odd_pads_are_refused_and_an_empty_one_is_nothing() {
        assert_eq!(image(&pad(64, 64, 0, 0), 64, 64, 0, 0.01), Ok(None));
        assert!(image(&[0; 12], 2, 2, 0, 0.01).is_err());
        assert!(image(&[], 0, 0, 0, 0.01).is_err());
        assert!(image(&pad(8, 8, 0, 4), 8, 8, 2, 0.01).is_err());
        assert!(image(&pad(8, 8, 0, 4), 8, 8, -2, 0.01).is_err());
    }
}
