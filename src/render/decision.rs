//! The decision map of a 2-D classifier: each pixel coloured by its predicted class, paler
//! where the classifier is less sure, and the decision boundary as line segments.
//!
//! Confidence is the largest softmax probability p rescaled to c = (p - 1/K) / (1 - 1/K),
//! 0 where all K classes tie and 1 at certainty; a pixel mixes white with its class colour
//! in the proportion 0.15 + 0.6 c. The boundary of class k's region is the zero level set
//! of g_k(x) = f_k(x) - max_{j != k} f_j(x); for K = 2 this is the one curve f_1 = f_0.

use super::contour::zero_contour;
use super::{class_colour, PixelGrid};
use crate::nn::Network;

/// The decision map's pixels (RGBA, row-major, row 0 at the top) and its boundary as
/// segments [x0, y0, x1, y1] in data coordinates.
pub struct DecisionMap {
    pub grid: PixelGrid,
    pub rgba: Vec<u8>,
    pub boundary: Vec<[f64; 4]>,
}

/// Evaluates `net` at every pixel centre of `grid` and colours the result.
pub fn decision_map(net: &Network, grid: PixelGrid) -> DecisionMap {
    let n = grid.size;
    let logits = net.logits_batch(grid.centres().view());
    let k = logits.ncols();
    let mut rgba = vec![255u8; 4 * n * n];
    // g[c][p]: class c's margin over the best other class at pixel p.
    let mut g = vec![vec![0.0; n * n]; if k == 2 { 1 } else { k }];
    for (p, row) in logits.rows().into_iter().enumerate() {
        let (mut best, mut second) = (0usize, usize::MAX);
        for c in 1..k {
            if row[c] > row[best] {
                second = best;
                best = c;
            } else if second == usize::MAX || row[c] > row[second] {
                second = c;
            }
        }
        let fmax = row[best];
        // exp(0) = 1 exactly for the best class: one exp per pixel fewer, the same sum.
        let z: f64 = row
            .iter()
            .enumerate()
            .map(|(c, &f)| if c == best { 1.0 } else { (f - fmax).exp() })
            .sum();
        let pmax = 1.0 / z;
        let conf = ((pmax - 1.0 / k as f64) / (1.0 - 1.0 / k as f64)).clamp(0.0, 1.0);
        let mix = 0.15 + 0.6 * conf;
        let col = class_colour(best);
        for ch in 0..3 {
            rgba[4 * p + ch] = (255.0 * (1.0 - mix) + col[ch] as f64 * mix).round() as u8;
        }
        if k == 2 {
            g[0][p] = row[1] - row[0];
        } else {
            for (c, gc) in g.iter_mut().enumerate() {
                let other = if c == best { row[second] } else { fmax };
                gc[p] = row[c] - other;
            }
        }
    }
    let mut boundary = Vec::new();
    for field in &g {
        for s in zero_contour(field, n, n) {
            boundary.push([
                grid.x_at(s[0]),
                grid.y_at(s[1]),
                grid.x_at(s[2]),
                grid.y_at(s[3]),
            ]);
        }
    }
    DecisionMap {
        grid,
        rgba,
        boundary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// An affine two-class classifier with f_1 - f_0 = x - 0.25: the boundary is the
    /// vertical line x = 0.25 and the colours are the two class colours on either side.
    #[test]
    fn affine_boundary_and_colours() {
        let net = Network::affine(array![[0.0, 0.0], [1.0, 0.0]], array![0.0, -0.25]);
        let grid = PixelGrid {
            view: [-1.0, 1.0, -1.0, 1.0],
            size: 40,
        };
        let map = decision_map(&net, grid);
        assert_eq!(map.rgba.len(), 40 * 40 * 4);
        assert!(!map.boundary.is_empty());
        for s in &map.boundary {
            assert!(
                (s[0] - 0.25).abs() < 1e-12 && (s[2] - 0.25).abs() < 1e-12,
                "{s:?}"
            );
        }
        // Left edge: class 0 (orange, red channel high); right edge: class 1 (blue).
        let px = |i: usize, j: usize| &map.rgba[4 * (i * 40 + j)..4 * (i * 40 + j) + 3];
        assert!(px(20, 0)[0] > px(20, 0)[2]);
        assert!(px(20, 39)[2] > px(20, 39)[0]);
        // Far from the boundary the colour is stronger (less white) than next to it.
        assert!(px(20, 0)[2] < px(20, 24)[2]);
    }

    /// Three classes: the boundary segments lie where the two largest logits tie.
    #[test]
    fn multiclass_boundary_is_where_the_top_two_tie() {
        let net = Network::affine(
            array![[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]],
            array![0.0, 0.0, 0.0],
        );
        let grid = PixelGrid {
            view: [-1.0, 1.0, -1.0, 1.0],
            size: 50,
        };
        let map = decision_map(&net, grid);
        assert!(!map.boundary.is_empty());
        for s in &map.boundary {
            for (x, y) in [(s[0], s[1]), (s[2], s[3])] {
                let mut f = [x, -x, y];
                f.sort_by(|a, b| b.total_cmp(a));
                // Piecewise-linear fields: interpolation is exact except in cells where the
                // top class changes, within one pixel (0.04) of a junction.
                assert!((f[0] - f[1]).abs() < 0.05, "({x}, {y}): {f:?}");
            }
        }
    }
}
