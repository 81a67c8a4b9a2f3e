//! A small anti-aliased rasteriser: enough to draw the command line's figures (points, lines,
//! a scaled image) into RGBA pixels. Coverage of a pixel is estimated from the distance of
//! its centre to the shape, clamped to [0, 1] over one pixel.

/// An RGBA image, row-major, row 0 at the top.
#[derive(Clone, Debug)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

pub type Rgb = [u8; 3];

impl Canvas {
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        let mut rgba = Vec::with_capacity(4 * width * height);
        for _ in 0..width * height {
            rgba.extend_from_slice(&[background[0], background[1], background[2], 255]);
        }
        Self {
            width,
            height,
            rgba,
        }
    }

    /// Blends `colour` into pixel (x, y) with opacity `alpha` in [0, 1].
    pub fn blend(&mut self, x: usize, y: usize, colour: Rgb, alpha: f64) {
        if x >= self.width || y >= self.height || alpha <= 0.0 {
            return;
        }
        let a = alpha.min(1.0);
        let i = 4 * (y * self.width + x);
        for (dst, &src) in self.rgba[i..i + 3].iter_mut().zip(&colour) {
            let old = *dst as f64;
            *dst = (old + (src as f64 - old) * a).round() as u8;
        }
    }

    /// Copies a square RGBA image of side `src` into the rectangle at (x0, y0) of side
    /// `side`, by nearest neighbour.
    pub fn draw_image(&mut self, src_rgba: &[u8], src: usize, x0: usize, y0: usize, side: usize) {
        for y in 0..side {
            let sy = y * src / side;
            for x in 0..side {
                let sx = x * src / side;
                let s = 4 * (sy * src + sx);
                let (tx, ty) = (x0 + x, y0 + y);
                if tx < self.width && ty < self.height {
                    let t = 4 * (ty * self.width + tx);
                    self.rgba[t..t + 4].copy_from_slice(&src_rgba[s..s + 4]);
                }
            }
        }
    }

    /// Copies an RGBA image of `src_w` x `src_h` pixels into the rectangle at (x0, y0) of `w` x
    /// `h` pixels, by nearest neighbour (pixels stay sharp squares when enlarged).
    #[allow(clippy::too_many_arguments)]
    pub fn draw_image_rect(
        &mut self,
        src_rgba: &[u8],
        src_w: usize,
        src_h: usize,
        x0: usize,
        y0: usize,
        w: usize,
        h: usize,
    ) {
        if src_w == 0 || src_h == 0 || src_rgba.len() < 4 * src_w * src_h {
            return;
        }
        for y in 0..h {
            let sy = y * src_h / h;
            let ty = y0 + y;
            if ty >= self.height {
                break;
            }
            for x in 0..w {
                let tx = x0 + x;
                if tx >= self.width {
                    break;
                }
                let s = 4 * (sy * src_w + x * src_w / w);
                let t = 4 * (ty * self.width + tx);
                self.rgba[t..t + 4].copy_from_slice(&src_rgba[s..s + 4]);
            }
        }
    }

    /// Fills the axis-aligned rectangle [x0, x1] x [y0, y1] (anti-aliased edges).
    pub fn fill_rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, colour: Rgb, alpha: f64) {
        if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
            return;
        }
        let (l, r) = (x0.min(x1), x0.max(x1));
        let (t, b) = (y0.min(y1), y0.max(y1));
        let ys = t.floor().max(0.0) as usize;
        let ye = (b.ceil().max(0.0) as usize).min(self.height);
        let xs = l.floor().max(0.0) as usize;
        let xe = (r.ceil().max(0.0) as usize).min(self.width);
        for y in ys..ye {
            let cy = ((y as f64 + 1.0).min(b) - (y as f64).max(t)).max(0.0);
            for x in xs..xe {
                let cx = ((x as f64 + 1.0).min(r) - (x as f64).max(l)).max(0.0);
                self.blend(x, y, colour, alpha * cx * cy);
            }
        }
    }

    /// The image as a PNG file's bytes (8-bit RGBA).
    pub fn to_png(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer
                .write_image_data(&self.rgba)
                .map_err(|e| e.to_string())?;
            writer.finish().map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    /// Paints every pixel whose centre is within distance `reach` of the shape described by
    /// `dist` (a signed distance: negative inside), with anti-aliased edges.
    fn fill_by_distance(
        &mut self,
        bbox: [f64; 4],
        colour: Rgb,
        alpha: f64,
        dist: impl Fn(f64, f64) -> f64,
    ) {
        let x0 = bbox[0].floor().max(0.0) as usize;
        let y0 = bbox[1].floor().max(0.0) as usize;
        let x1 = (bbox[2].ceil().max(0.0) as usize).min(self.width);
        let y1 = (bbox[3].ceil().max(0.0) as usize).min(self.height);
        for y in y0..y1 {
            for x in x0..x1 {
                let d = dist(x as f64 + 0.5, y as f64 + 0.5);
                let coverage = (0.5 - d).clamp(0.0, 1.0);
                self.blend(x, y, colour, alpha * coverage);
            }
        }
    }

    /// A line segment of the given width.
    pub fn line(&mut self, p: (f64, f64), q: (f64, f64), width: f64, colour: Rgb, alpha: f64) {
        if ![p.0, p.1, q.0, q.1].iter().all(|v| v.is_finite()) {
            return;
        }
        let half = width / 2.0;
        let bbox = [
            p.0.min(q.0) - half - 1.0,
            p.1.min(q.1) - half - 1.0,
            p.0.max(q.0) + half + 1.0,
            p.1.max(q.1) + half + 1.0,
        ];
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len2 = dx * dx + dy * dy;
        self.fill_by_distance(bbox, colour, alpha, |x, y| {
            let t = if len2 > 0.0 {
                (((x - p.0) * dx + (y - p.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (cx, cy) = (p.0 + t * dx - x, p.1 + t * dy - y);
            (cx * cx + cy * cy).sqrt() - half
        });
    }

    /// A filled disc.
    pub fn disc(&mut self, c: (f64, f64), r: f64, colour: Rgb, alpha: f64) {
        if !(c.0.is_finite() && c.1.is_finite()) {
            return;
        }
        let bbox = [c.0 - r - 1.0, c.1 - r - 1.0, c.0 + r + 1.0, c.1 + r + 1.0];
        self.fill_by_distance(bbox, colour, alpha, |x, y| {
            ((x - c.0).powi(2) + (y - c.1).powi(2)).sqrt() - r
        });
    }

    /// A circle outline of the given stroke width.
    pub fn ring(&mut self, c: (f64, f64), r: f64, width: f64, colour: Rgb) {
        if !(c.0.is_finite() && c.1.is_finite()) {
            return;
        }
        let reach = r + width;
        let bbox = [
            c.0 - reach - 1.0,
            c.1 - reach - 1.0,
            c.0 + reach + 1.0,
            c.1 + reach + 1.0,
        ];
        self.fill_by_distance(bbox, colour, 1.0, |x, y| {
            (((x - c.0).powi(2) + (y - c.1).powi(2)).sqrt() - r).abs() - width / 2.0
        });
    }

    /// An axis-aligned rectangle outline.
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, colour: Rgb) {
        self.line((x0, y0), (x1, y0), 1.0, colour, 1.0);
        self.line((x1, y0), (x1, y1), 1.0, colour, 1.0);
        self.line((x1, y1), (x0, y1), 1.0, colour, 1.0);
        self.line((x0, y1), (x0, y0), 1.0, colour, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn disc_covers_its_area() {
        let mut c = Canvas::new(40, 40, [0, 0, 0]);
        c.disc((20.0, 20.0), 10.0, [255, 255, 255], 1.0);
        // The red channel summed over the image is 255 times the covered area, pi r^2,
        // up to the anti-aliasing approximation along the rim (~1 %).
        let area: f64 = c.rgba.chunks(4).map(|p| p[0] as f64 / 255.0).sum();
        assert!((area - std::f64::consts::PI * 100.0).abs() < 3.0, "{area}");
    }

    #[test]
    fn line_is_drawn_between_its_ends_only() {
        let mut c = Canvas::new(20, 20, [0, 0, 0]);
        c.line((2.0, 10.5), (17.0, 10.5), 1.0, [255, 0, 0], 1.0);
        assert_eq!(c.rgba[4 * (10 * 20 + 10)], 255);
        assert_eq!(c.rgba[4 * (3 * 20 + 10)], 0);
        assert_eq!(c.rgba[4 * (10 * 20 + 19)], 0);
    }

    #[test]
    fn filled_rectangle_covers_its_area_and_png_decodes() {
        let mut c = Canvas::new(20, 10, [0, 0, 0]);
        c.fill_rect(2.5, 1.0, 12.5, 6.0, [255, 255, 255], 1.0);
        let area: f64 = c.rgba.chunks(4).map(|p| p[0] as f64 / 255.0).sum();
        assert!((area - 50.0).abs() < 0.1, "{area}");
        let bytes = c.to_png().unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (20, 10));
        assert_eq!(&buf[..info.buffer_size()], &c.rgba[..]);
    }

    #[test]
    fn non_finite_shapes_are_ignored() {
        let mut c = Canvas::new(4, 4, [0, 0, 0]);
        c.line((f64::NAN, 0.0), (1.0, 1.0), 1.0, [255, 0, 0], 1.0);
        c.disc((0.0, f64::INFINITY), 1.0, [255, 0, 0], 1.0);
        assert!(c.rgba.chunks(4).all(|p| p[0] == 0));
    }
}
