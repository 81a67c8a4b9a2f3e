//! Digits drawn by hand on the page, made to look like the data set's images, and packed into
//! a short text for the page's link.
//!
//! For 28 x 28 (MNIST's own procedure, LeCun et al. 1998): the ink's bounding box is scaled,
//! keeping its aspect, to fit a 20 x 20 box (area averaging), then placed in the 28 x 28 frame
//! with its centre of mass at the centre. For 8 x 8 (the optical digits fill their frame) the
//! box is scaled to fit 8 x 8 and centred.
//!
//! Packing: 16 grey levels (4 bits) per pixel, two pixels a byte, base64url without padding:
//! 523 characters for 28 x 28. The link holds the quantised image, so a reload computes on
//! exactly the same pixels.

use super::augment::affine;
use super::resample::area_box;
use ndarray::{Array1, ArrayView1};

/// Converts a drawing (coverage in [0, 1] per canvas pixel, `w` x `h`, row-major) into a
/// side x side image in [0, 1]; None if nothing is drawn.
pub fn from_canvas(ink: &[f64], w: usize, h: usize, side: usize) -> Option<Array1<f64>> {
    if ink.len() != w * h || side == 0 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] > 0.05 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let src = ArrayView1::from(ink);
    let target = if side >= 28 {
        20.0 * side as f64 / 28.0
    } else {
        side as f64
    };
    let (bw, bh) = ((x1 - x0) as f64, (y1 - y0) as f64);
    let scale = target / bw.max(bh);
    // The box's size in target pixels, at least one.
    let (tw, th) = (
        ((bw * scale).round() as usize).clamp(1, side),
        ((bh * scale).round() as usize).clamp(1, side),
    );
    let small = area_box(src, w, h, [x0 as f64, y0 as f64, bw, bh], tw, th);
    let mut framed = Array1::zeros(side * side);
    let (ox, oy) = ((side - tw) / 2, (side - th) / 2);
    for y in 0..th {
        for x in 0..tw {
            framed[(oy + y) * side + ox + x] = small[y * tw + x];
        }
    }
    if side < 28 {
        return Some(framed.mapv(|v: f64| v.clamp(0.0, 1.0)));
    }
    // Shift the centre of mass to the centre (bilinear).
    let mass: f64 = framed.sum();
    let (mut cx, mut cy) = (0.0, 0.0);
    for y in 0..side {
        for x in 0..side {
            cx += x as f64 * framed[y * side + x];
            cy += y as f64 * framed[y * side + x];
        }
    }
    let c = (side as f64 - 1.0) / 2.0;
    let mut out = Array1::zeros(side * side);
    affine(
        framed.view(),
        side,
        0.0,
        1.0,
        c - cx / mass,
        c - cy / mass,
        out.view_mut(),
    );
    Some(out.mapv(|v| v.clamp(0.0, 1.0)))
}

/// Converts the drawing pad's RGBA pixels (`w` x `h`, dark ink on a light background: the
/// ink is one minus the BT.601 luminance, see [`super::luma`]) into a side x side image as
/// [`from_canvas`] does; None if nothing is drawn, an error if the pixels do not fit w x h.
pub fn from_rgba(
    rgba: &[u8],
    w: usize,
    h: usize,
    side: usize,
) -> Result<Option<Array1<f64>>, String> {
    if rgba.len() != 4 * w * h || w == 0 || h == 0 || w * h > 4_000_000 {
        return Err(format!(
            "a drawing of {w} x {h} pixels needs {} RGBA values, got {}",
            4 * w * h,
            rgba.len()
        ));
    }
    let ink: Vec<f64> = rgba
        .chunks_exact(4)
        .map(|p| 1.0 - super::luma(p) / 255.0)
        .collect();
    Ok(from_canvas(&ink, w, h, side))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Packs an image with values in [0, 1] into base64url text, 4 bits per pixel.
pub fn pack(image: ArrayView1<f64>) -> String {
    let levels: Vec<u8> = image
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 15.0).round() as u8)
        .collect();
    let bytes: Vec<u8> = levels
        .chunks(2)
        .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
        .collect();
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Unpacks `pack`'s text into a side x side image (levels / 15).
pub fn unpack(text: &str, side: usize) -> Result<Array1<f64>, String> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for ch in text.bytes() {
        let v = B64
            .iter()
            .position(|&c| c == ch)
            .ok_or_else(|| format!("'{}' is not a base64url character", ch as char))?
            as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let n = side * side;
    if bytes.len() != n.div_ceil(2) {
        return Err(format!(
            "a {side} x {side} drawing packs into {} bytes, this one into {}",
            n.div_ceil(2),
            bytes.len()
        ));
    }
    Ok(Array1::from_shape_fn(n, |i| {
        let b = bytes[i / 2];
        let level = if i % 2 == 0 { b >> 4 } else { b & 15 };
        level as f64 / 15.0
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn pack_round_trips_quantised_images() {
        for side in [8, 28, 5] {
            let img = Array1::from_shape_fn(side * side, |i| ((i * 31) % 16) as f64 / 15.0);
            let text = pack(img.view());
            assert!(text.bytes().all(|b| B64.contains(&b)));
            let back = unpack(&text, side).unwrap();
            for (a, b) in img.iter().zip(back.iter()) {
                assert!((a - b).abs() < 1e-15);
            }
        }
        assert_eq!(pack(Array1::<f64>::zeros(784).view()).len(), 523);
        assert!(unpack("AAA", 28)
            .unwrap_err()
            .contains("packs into 392 bytes"));
        assert!(unpack("A*A", 28)
            .unwrap_err()
            .contains("not a base64url character"));
    }

    /// A bar drawn anywhere on a large canvas ends up scaled to 20 pixels tall and centred.
    #[test]
    fn drawing_is_scaled_and_centred_like_mnist() {
        let (w, h) = (280, 280);
        let mut ink = vec![0.0; w * h];
        for y in 20..220 {
            for x in 200..240 {
                ink[y * w + x] = 1.0;
            }
        }
        let img = from_canvas(&ink, w, h, 28).unwrap();
        let mass: f64 = img.sum();
        let (mut cx, mut cy) = (0.0, 0.0);
        let (mut top, mut bottom) = (28, 0);
        for y in 0..28 {
            for x in 0..28 {
                let v = img[y * 28 + x];
                cx += x as f64 * v;
                cy += y as f64 * v;
                if v > 0.5 {
                    top = top.min(y);
                    bottom = bottom.max(y + 1);
                }
            }
        }
        assert!(
            (cx / mass - 13.5).abs() < 0.05 && (cy / mass - 13.5).abs() < 0.05,
            "({}, {})",
            cx / mass,
            cy / mass
        );
        assert_eq!(bottom - top, 20);
        assert!(from_canvas(&vec![0.0; w * h], w, h, 28).is_none());
        let small = from_canvas(&ink, w, h, 8).unwrap();
        assert_eq!(small.len(), 64);
    }
}
