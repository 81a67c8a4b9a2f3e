//! The zero level set of a field sampled on a grid, by marching squares (Lorensen and
//! Cline's marching cubes in two dimensions), with linear interpolation along cell edges.
//! Saddle cells are resolved by the sign of the mean of their four corners.

/// Line segments [c0, r0, c1, r1] in grid coordinates (column, row of the samples) where the
/// field `v` (row-major, `w` columns by `h` rows) crosses zero.
pub fn zero_contour(v: &[f64], w: usize, h: usize) -> Vec<[f64; 4]> {
    assert_eq!(v.len(), w * h);
    let mut segs = Vec::new();
    if w < 2 || h < 2 {
        return segs;
    }
    // Where along the edge from value a to value b (at 0 and 1) the field is zero.
    let t = |a: f64, b: f64| if a == b { 0.5 } else { a / (a - b) };
    for r in 0..h - 1 {
        for c in 0..w - 1 {
            // Corners counter-clockwise from the top left: a (c, r), b (c+1, r),
            // d (c+1, r+1), e (c, r+1).
            let a = v[r * w + c];
            let b = v[r * w + c + 1];
            let d = v[(r + 1) * w + c + 1];
            let e = v[(r + 1) * w + c];
            let case = (usize::from(a > 0.0))
                | (usize::from(b > 0.0) << 1)
                | (usize::from(d > 0.0) << 2)
                | (usize::from(e > 0.0) << 3);
            if case == 0 || case == 15 {
                continue;
            }
            let (cf, rf) = (c as f64, r as f64);
            let top = [cf + t(a, b), rf];
            let right = [cf + 1.0, rf + t(b, d)];
            let bottom = [cf + t(e, d), rf + 1.0];
            let left = [cf, rf + t(a, e)];
            let mut push = |p: [f64; 2], q: [f64; 2]| segs.push([p[0], p[1], q[0], q[1]]);
            match case {
                1 | 14 => push(left, top),
                2 | 13 => push(top, right),
                3 | 12 => push(left, right),
                4 | 11 => push(right, bottom),
                6 | 9 => push(top, bottom),
                7 | 8 => push(left, bottom),
                5 | 10 => {
                    // a and d share a sign, b and e the other: a saddle.
                    let centre_positive = (a + b + d + e) > 0.0;
                    let a_positive = case == 5;
                    if centre_positive == a_positive {
                        // a's sign connects through the centre: cut off b and e.
                        push(top, right);
                        push(left, bottom);
                    } else {
                        push(left, top);
                        push(right, bottom);
                    }
                }
                _ => unreachable!("cases 0 and 15 are skipped"),
            }
        }
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// For an affine field the interpolation is exact: every segment end lies on the line.
    #[test]
    fn affine_field_gives_its_zero_line() {
        let (w, h) = (20, 15);
        let f = |c: f64, r: f64| 0.7 * c - 1.3 * r + 3.1;
        let v: Vec<f64> = (0..h)
            .flat_map(|r| (0..w).map(move |c| f(c as f64, r as f64)))
            .collect();
        let segs = zero_contour(&v, w, h);
        assert!(!segs.is_empty());
        for s in &segs {
            assert!(
                f(s[0], s[1]).abs() < 1e-12 && f(s[2], s[3]).abs() < 1e-12,
                "{s:?}"
            );
        }
        // The pieces add up to the length of the line inside the grid's hull.
        let total: f64 = segs
            .iter()
            .map(|s| ((s[2] - s[0]).powi(2) + (s[3] - s[1]).powi(2)).sqrt())
            .sum();
        // r = (0.7 c + 3.1) / 1.3 runs from c = 0 (r = 2.38) to c = 19 (r = 12.6): inside.
        let expected = (19.0f64.powi(2) + (0.7 * 19.0 / 1.3f64).powi(2)).sqrt();
        assert!((total - expected).abs() < 1e-9, "{total} vs {expected}");
    }

    /// A circle's contour points lie near the circle (exact up to the chord error).
    #[test]
    fn circle_contour_is_close_to_the_circle() {
        let n = 64;
        let f = |c: f64, r: f64| (c - 31.5).powi(2) + (r - 31.5).powi(2) - 400.0;
        let v: Vec<f64> = (0..n)
            .flat_map(|r| (0..n).map(move |c| f(c as f64, r as f64)))
            .collect();
        let segs = zero_contour(&v, n, n);
        for s in &segs {
            for p in [[s[0], s[1]], [s[2], s[3]]] {
                let rad = ((p[0] - 31.5).powi(2) + (p[1] - 31.5).powi(2)).sqrt();
                assert!((rad - 20.0).abs() < 0.03, "{rad}");
            }
        }
        let total: f64 = segs
            .iter()
            .map(|s| ((s[2] - s[0]).powi(2) + (s[3] - s[1]).powi(2)).sqrt())
            .sum();
        assert!((total - 40.0 * std::f64::consts::PI).abs() < 0.1, "{total}");
    }

    #[test]
    fn constant_sign_has_no_contour() {
        assert!(zero_contour(&[1.0; 16], 4, 4).is_empty());
        assert!(zero_contour(&[-1.0; 16], 4, 4).is_empty());
        assert!(zero_contour(&[1.0; 3], 3, 1).is_empty());
    }
}
