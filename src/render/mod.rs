//! Pictures as pixels: the decision map of a 2-D classifier and its boundary
//! ([`decision`]), the zero contour of a sampled field ([`contour`]), and a small
//! anti-aliased rasteriser for the command line's PNG figures ([`raster`]), text from a font
//! passed in as bytes ([`text`]), plots ([`plot`]), and a figure's numbers for export
//! ([`numbers`]). It knows nothing of the demos: their posters, drawn with these, are in
//! [`crate::posters`].
//!
//! The page and the command line draw from the same pixels, so a link and a CLI run show the
//! same figure.

pub mod contour;
pub mod decision;
pub mod images;
pub mod mri;
pub mod numbers;
pub mod plot;
pub mod raster;
pub mod text;

/// Class colours: orange, blue, green, purple, red (colour-blind friendly first two, as in
/// TensorFlow Playground).
pub const CLASS_COLOURS: [[u8; 3]; 5] = [
    [0xF5, 0x93, 0x22],
    [0x08, 0x77, 0xBD],
    [0x2C, 0xA0, 0x2C],
    [0x94, 0x67, 0xBD],
    [0xD6, 0x27, 0x28],
];

pub fn class_colour(k: usize) -> [u8; 3] {
    CLASS_COLOURS[k % CLASS_COLOURS.len()]
}

/// A square image of `size` x `size` pixels over the data window [x0, x1] x [y0, y1];
/// pixel (i, j) (row i from the top) samples the point at its centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelGrid {
    pub view: [f64; 4],
    pub size: usize,
}

impl PixelGrid {
    /// The data point at the centre of pixel column j.
    pub fn x_at(&self, j: f64) -> f64 {
        let [x0, x1, ..] = self.view;
        x0 + (j + 0.5) * (x1 - x0) / self.size as f64
    }

    /// Every pixel centre (x, y), one row per pixel, row-major (row 0 at the top): the
    /// points a decision map evaluates.
    pub fn centres(&self) -> ndarray::Array2<f64> {
        let n = self.size;
        ndarray::Array2::from_shape_fn((n * n, 2), |(p, c)| {
            if c == 0 {
                self.x_at((p % n) as f64)
            } else {
                self.y_at((p / n) as f64)
            }
        })
    }

    /// The data point at the centre of pixel row i (row 0 is the top, y = y1).
    pub fn y_at(&self, i: f64) -> f64 {
        let [_, _, y0, y1] = self.view;
        y1 - (i + 0.5) * (y1 - y0) / self.size as f64
    }

    /// Pixel coordinates (column, row, continuous, 0 at the left/top edge) of a data point.
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        let [x0, x1, y0, y1] = self.view;
        let s = self.size as f64;
        ((x - x0) / (x1 - x0) * s, (y1 - y) / (y1 - y0) * s)
    }
}
