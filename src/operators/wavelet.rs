//! Orthonormal periodic 2-D discrete wavelet transforms: Haar and Daubechies-4.
//!
//! ### The filters
//!
//! A wavelet is given by its low-pass (scaling) filter h of even length L; the high-pass
//! (wavelet) filter is its quadrature mirror
//!
//! ```text
//! g[j] = (-1)^j h[L-1-j],   j = 0..L-1.
//! ```
//!
//! - **Haar** (PyWavelets "haar" = "db1"): L = 2, h = (1, 1) / sqrt(2), one vanishing moment.
//! - **Daubechies-4**: *4 filter taps*, two vanishing moments, PyWavelets "db2" (the "4" counts
//!   taps, not vanishing moments). In closed form (I. Daubechies, "Ten Lectures on
//!   Wavelets", SIAM 1992, chapter 6)
//!
//! ```text
//! h = (1 + sqrt 3, 3 + sqrt 3, 3 - sqrt 3, 1 - sqrt 3) / (4 sqrt 2),
//! ```
//!
//!   computed in [`WaveletKind::lowpass`] rather than typed in as decimals.
//!
//! Both satisfy sum_j h[j] = sqrt 2 and sum_j h[j] h[j + 2l] = delta_l, and g has as many
//! vanishing moments as the wavelet's order: sum_j j^p g[j] = 0 for p = 0 (Haar) and p = 0, 1
//! (Daubechies-4), so the detail coefficients of a constant (Haar) or of a linear ramp
//! (Daubechies-4) vanish.
//!
//! ### One level in one dimension
//!
//! A signal x of even length m (indices mod m: the signal is periodic) splits into m/2
//! approximation and m/2 detail coefficients,
//!
//! ```text
//! a[k] = sum_j h[j] x[(2k + j) mod m],   d[k] = sum_j g[j] x[(2k + j) mod m],   k = 0..m/2-1,
//! ```
//!
//! stored as [a | d]. The rows of this m x m matrix are the shifts by 2 of h and g, which are
//! orthonormal, so the matrix is orthogonal and synthesis is its transpose:
//!
//! ```text
//! x[2i + p] = sum_q h[2q + p] a[(i - q) mod m/2] + g[2q + p] d[(i - q) mod m/2],
//!             p = 0, 1,   q = 0..L/2-1.
//! ```
//!
//! The transform refuses bands shorter than the filter (m < L), where several taps would land
//! on the same sample.
//!
//! ### Two dimensions and several levels: the layout
//!
//! One 2-D level on an s x s block transforms every row, then every column (separable). With
//! `levels` = J, level t = 1..J acts on the top-left block of side s = n / 2^(t-1) and leaves
//! the Mallat pyramid in place (here J = 2):
//!
//! ```text
//! +-----+-----+-----------+
//! | a   | H   |           |    a: the coarsest approximation, (n/2^J)^2 values   scale 0
//! +-----+-----+     H     |    H: row high-pass, column low-pass (vertical edges)
//! | V   | D   |           |    V: row low-pass, column high-pass (horizontal edges)
//! +-----+-----+-----------+    D: high-pass both ways (diagonal)
//! |           |           |
//! |     V     |     D     |    inner H, V, D (level t = 2, the coarsest details): scale 1
//! |           |           |    outer H, V, D (level t = 1, the finest details):   scale 2
//! +-----------+-----------+
//! ```
//!
//! [`Wavelet2d::level_of`] gives each coefficient's scale: 0 for the approximation, J + 1 - t
//! for the details of level t (1 for the coarsest details, J for the finest), the index a
//! weighted l1 norm uses for its per-scale weights.
//!
//! Images and coefficients are flat row-major n x n complex vectors (the filters are real and
//! act on real and imaginary parts alike). W is orthogonal, so W* = W^{-1} and ||W|| = 1.

use super::{LinearOperator, Reuse, C64};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

/// Which orthonormal wavelet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaveletKind {
    /// Haar (PyWavelets "haar" or "db1"): 2 taps, 1 vanishing moment.
    Haar,
    /// Daubechies-4 = 4 filter taps, 2 vanishing moments (PyWavelets "db2").
    Db4,
}

impl WaveletKind {
    pub const ALL: [WaveletKind; 2] = [WaveletKind::Haar, WaveletKind::Db4];
    pub const NAMES: &'static [&'static str] = &["haar", "db4"];
    /// What a menu shows for each name.
    pub const LABELS: &'static [&'static str] = &["Haar (db1)", "Daubechies 4"];

    pub fn name(self) -> &'static str {
        match self {
            WaveletKind::Haar => "haar",
            WaveletKind::Db4 => "db4",
        }
    }

    /// The number of filter taps L.
    pub fn filter_len(self) -> usize {
        match self {
            WaveletKind::Haar => 2,
            WaveletKind::Db4 => 4,
        }
    }

    /// The low-pass filter h (sum sqrt 2, unit norm).
    pub fn lowpass(self) -> Vec<f64> {
        match self {
            WaveletKind::Haar => vec![std::f64::consts::FRAC_1_SQRT_2; 2],
            WaveletKind::Db4 => {
                // Daubechies (1992), chapter 6: the shortest filter with two vanishing moments.
                let s3 = 3f64.sqrt();
                let scale = 1.0 / (4.0 * 2f64.sqrt());
                vec![
                    (1.0 + s3) * scale,
                    (3.0 + s3) * scale,
                    (3.0 - s3) * scale,
                    (1.0 - s3) * scale,
                ]
            }
        }
    }

    /// The high-pass filter g[j] = (-1)^j h[L-1-j].
    pub fn highpass(self) -> Vec<f64> {
        let h = self.lowpass();
        let l = h.len();
        (0..l)
            .map(|j| {
                if j % 2 == 0 {
                    h[l - 1 - j]
                } else {
                    -h[l - 1 - j]
                }
            })
            .collect()
    }
}

/// The largest number of levels an n x n transform allows: n must be divisible by 2^levels and
/// every band a level splits must be at least as long as the filter (n / 2^(levels-1) >= L).
/// 0 if not even one level fits (n odd, or n < L).
pub fn max_levels(n: usize, kind: WaveletKind) -> usize {
    let l = kind.filter_len();
    let mut levels = 0;
    let mut m = n;
    // Level `levels + 1` splits a band of length m.
    while m >= l && m % 2 == 0 {
        levels += 1;
        m /= 2;
    }
    levels
}

/// The orthonormal periodic 2-D wavelet transform W of n x n images with `levels` levels:
/// `apply` is the analysis (image -> coefficients), `adjoint` the synthesis W* = W^{-1}.
#[derive(Clone, Debug)]
pub struct Wavelet2d {
    n: usize,
    kind: WaveletKind,
    levels: usize,
    /// h and g, L taps each.
    h: Vec<f64>,
    g: Vec<f64>,
    /// The scale of every coefficient (see [`Wavelet2d::level_of`]).
    scale: Vec<u8>,
    /// The scratch of [`Self::forward_inplace`] / [`Self::inverse_inplace`], kept between
    /// calls (every value is written before it is read).
    scratch: Reuse,
}

impl Wavelet2d {
    /// A transform of n x n images; Err unless 1 <= levels <= [`max_levels`]`(n, kind)`.
    pub fn new(n: usize, kind: WaveletKind, levels: usize) -> Result<Self, String> {
        let name = kind.name();
        if levels == 0 {
            return Err("a wavelet transform needs at least one level".into());
        }
        let max = max_levels(n, kind);
        if levels > max {
            let l = kind.filter_len();
            return Err(if max == 0 {
                format!("{name} needs an even image side of at least {l}, not {n}")
            } else {
                format!(
                    "{name} on {n} x {n} images allows at most {max} levels, not {levels} \
                     (the side must be divisible by 2^levels and every band split at least \
                     {l} long)"
                )
            });
        }
        let mut scale = vec![0u8; n * n];
        for r in 0..n {
            for c in 0..n {
                // The first level t whose detail bands hold (r, c); none: the approximation.
                let t = (1..=levels).find(|&t| {
                    let half = n >> t;
                    r >= half || c >= half
                });
                scale[r * n + c] = t.map_or(0, |t| (levels + 1 - t) as u8);
            }
        }
        Ok(Self {
            n,
            kind,
            levels,
            h: kind.lowpass(),
            g: kind.highpass(),
            scale,
            scratch: Reuse::default(),
        })
    }

    pub fn side(&self) -> usize {
        self.n
    }

    pub fn kind(&self) -> WaveletKind {
        self.kind
    }

    pub fn levels(&self) -> usize {
        self.levels
    }

    /// The scale of coefficient `index` (row-major): 0 for the coarsest approximation, then
    /// 1 for the coarsest detail bands up to `levels` for the finest. O(1) (precomputed).
    pub fn level_of(&self, index: usize) -> usize {
        self.scale[index] as usize
    }

    /// [`Wavelet2d::level_of`] for every index at once.
    pub fn levels_map(&self) -> &[u8] {
        &self.scale
    }

    /// The scratch space the `*_with_scratch` methods need: one line plus one strip of
    /// columns, n (1 + min(n, 16)) values (about 70 kB at n = 256, small enough for the cache).
    pub fn scratch_len(&self) -> usize {
        self.n * (1 + STRIP.min(self.n))
    }

    /// W x in place (n^2 values, row-major).
    pub fn forward_inplace(&self, data: &mut [C64]) {
        let mut scratch = self.scratch.take(self.scratch_len());
        self.forward_with_scratch(data, &mut scratch);
        self.scratch.give(scratch);
    }

    /// W* y = W^{-1} y in place.
    pub fn inverse_inplace(&self, data: &mut [C64]) {
        let mut scratch = self.scratch.take(self.scratch_len());
        self.inverse_with_scratch(data, &mut scratch);
        self.scratch.give(scratch);
    }

    /// W x in place, with caller-owned scratch of at least [`Self::scratch_len`] values (its
    /// contents do not matter).
    pub fn forward_with_scratch(&self, data: &mut [C64], scratch: &mut [C64]) {
        self.check_lengths(data, scratch);
        match self.kind {
            WaveletKind::Haar => self.forward_taps::<2>(data, scratch),
            WaveletKind::Db4 => self.forward_taps::<4>(data, scratch),
        }
    }

    /// W* y in place, with caller-owned scratch of at least [`Self::scratch_len`] values.
    pub fn inverse_with_scratch(&self, data: &mut [C64], scratch: &mut [C64]) {
        self.check_lengths(data, scratch);
        match self.kind {
            WaveletKind::Haar => self.inverse_taps::<1>(data, scratch),
            WaveletKind::Db4 => self.inverse_taps::<2>(data, scratch),
        }
    }

    fn check_lengths(&self, data: &[C64], scratch: &[C64]) {
        let n = self.n;
        assert_eq!(data.len(), n * n, "expected an {n} x {n} image");
        assert!(
            scratch.len() >= self.scratch_len(),
            "scratch needs {} values",
            self.scratch_len()
        );
    }

    /// Analysis with L taps known at compile time (so the tap loops unroll). Level t acts on
    /// the top-left s x s block: each row is copied to the line buffer and transformed back
    /// into place; then each strip of up to [`STRIP`] columns is copied out and its columns
    /// transformed back into place, whole rows of the strip at a time (for the cache).
    fn forward_taps<const L: usize>(&self, data: &mut [C64], scratch: &mut [C64]) {
        let h: [f64; L] = std::array::from_fn(|j| self.h[j]);
        let g: [f64; L] = std::array::from_fn(|j| self.g[j]);
        let n = self.n;
        let (line, strip) = scratch.split_at_mut(n);
        for t in 0..self.levels {
            let s = n >> t;
            for row in data.chunks_exact_mut(n).take(s) {
                line[..s].copy_from_slice(&row[..s]);
                analyse_line(&h, &g, &line[..s], &mut row[..s]);
            }
            for c0 in (0..s).step_by(STRIP) {
                let w = STRIP.min(s - c0);
                let buf = copy_strip(data, n, s, c0, w, strip);
                analyse_columns(&h, &g, buf, s, w, &mut data[c0..], n);
            }
        }
    }

    /// Synthesis, the transpose of [`Self::forward_taps`] step by step: coarsest level first,
    /// columns, then rows. Q = L/2 taps per phase.
    fn inverse_taps<const Q: usize>(&self, data: &mut [C64], scratch: &mut [C64]) {
        // Polyphase filters: hp[p][q] = h[2q + p], likewise g.
        let hp: [[f64; Q]; 2] = std::array::from_fn(|p| std::array::from_fn(|q| self.h[2 * q + p]));
        let gp: [[f64; Q]; 2] = std::array::from_fn(|p| std::array::from_fn(|q| self.g[2 * q + p]));
        let n = self.n;
        let (line, strip) = scratch.split_at_mut(n);
        for t in (0..self.levels).rev() {
            let s = n >> t;
            for c0 in (0..s).step_by(STRIP) {
                let w = STRIP.min(s - c0);
                let buf = copy_strip(data, n, s, c0, w, strip);
                synthesise_columns(&hp, &gp, buf, s, w, &mut data[c0..], n);
            }
            for row in data.chunks_exact_mut(n).take(s) {
                line[..s].copy_from_slice(&row[..s]);
                let (a, d) = line[..s].split_at(s / 2);
                synthesise_line(&hp, &gp, a, d, &mut row[..s]);
            }
        }
    }
}

/// Columns per strip of the column passes: 16 complex values = 256 bytes of each row.
const STRIP: usize = 16;

/// Copies columns c0..c0+w of rows 0..s (stride n) into `buf` (stride w) and returns it.
fn copy_strip<'a>(
    data: &[C64],
    n: usize,
    s: usize,
    c0: usize,
    w: usize,
    buf: &'a mut [C64],
) -> &'a [C64] {
    let buf = &mut buf[..s * w];
    for (dst, row) in buf.chunks_exact_mut(w).zip(data.chunks_exact(n)) {
        dst.copy_from_slice(&row[c0..c0 + w]);
    }
    buf
}

/// One level on one line: out = [a | d] with a[k] = sum_j h[j] x[(2k+j) mod m], d likewise.
fn analyse_line<const L: usize>(h: &[f64; L], g: &[f64; L], x: &[C64], out: &mut [C64]) {
    let m = x.len();
    let half = m / 2;
    let (a, d) = out.split_at_mut(half);
    // Windows x[2k..2k+L] that do not wrap: k = 0..(m-L)/2 (m >= L, both even).
    let inside = (m - L) / 2 + 1;
    for ((w, ak), dk) in x.windows(L).step_by(2).zip(a.iter_mut()).zip(d.iter_mut()) {
        let (mut sa, mut sd) = (C64::new(0.0, 0.0), C64::new(0.0, 0.0));
        for j in 0..L {
            sa += w[j] * h[j];
            sd += w[j] * g[j];
        }
        *ak = sa;
        *dk = sd;
    }
    // The last L/2 - 1 windows wrap around to the start.
    for k in inside..half {
        let (mut sa, mut sd) = (C64::new(0.0, 0.0), C64::new(0.0, 0.0));
        for j in 0..L {
            let v = x[(2 * k + j) % m];
            sa += v * h[j];
            sd += v * g[j];
        }
        a[k] = sa;
        d[k] = sd;
    }
}

/// The transpose of [`analyse_line`]: x[2i+p] = sum_q hp[p][q] a[(i-q) mod m/2] + gp[p][q] d[..].
fn synthesise_line<const Q: usize>(
    hp: &[[f64; Q]; 2],
    gp: &[[f64; Q]; 2],
    a: &[C64],
    d: &[C64],
    x: &mut [C64],
) {
    let half = a.len();
    // The first Q - 1 output pairs reach back past a[0] to the end.
    for i in 0..Q - 1 {
        for p in 0..2 {
            let mut s = C64::new(0.0, 0.0);
            for q in 0..Q {
                let k = (i + half - q) % half;
                s += a[k] * hp[p][q] + d[k] * gp[p][q];
            }
            x[2 * i + p] = s;
        }
    }
    // The rest: windows a[i+1-Q..=i], read backwards (q = 0 is the last entry).
    for ((wa, wd), pair) in a
        .windows(Q)
        .zip(d.windows(Q))
        .zip(x[2 * (Q - 1)..].chunks_exact_mut(2))
    {
        for p in 0..2 {
            let mut s = C64::new(0.0, 0.0);
            for q in 0..Q {
                s += wa[Q - 1 - q] * hp[p][q] + wd[Q - 1 - q] * gp[p][q];
            }
            pair[p] = s;
        }
    }
}

/// The column pass of one analysis level on a strip: `src` holds s rows of w columns
/// (stride w); rows k (a) and s/2 + k (d) of `dst` (stride n, starting at the strip's first
/// column) receive the results.
fn analyse_columns<const L: usize>(
    h: &[f64; L],
    g: &[f64; L],
    src: &[C64],
    s: usize,
    w: usize,
    dst: &mut [C64],
    n: usize,
) {
    let half = s / 2;
    let (top, bottom) = dst.split_at_mut(half * n);
    for (k, (a, d)) in top
        .chunks_mut(n)
        .zip(bottom.chunks_mut(n))
        .take(half)
        .enumerate()
    {
        let rows: [&[C64]; L] = std::array::from_fn(|j| {
            let r = (2 * k + j) % s;
            &src[r * w..r * w + w]
        });
        for (c, (ac, dc)) in a[..w].iter_mut().zip(&mut d[..w]).enumerate() {
            let (mut sa, mut sd) = (C64::new(0.0, 0.0), C64::new(0.0, 0.0));
            for j in 0..L {
                let v = rows[j][c];
                sa += v * h[j];
                sd += v * g[j];
            }
            *ac = sa;
            *dc = sd;
        }
    }
}

/// The transpose of [`analyse_columns`]: `src` holds the strip's s coefficient rows (stride
/// w), a in rows 0..s/2 and d in s/2..s; rows 2i and 2i + 1 of `dst` (stride n) receive
/// x[2i + p] = sum_q hp[p][q] a[(i-q) mod s/2] + gp[p][q] d[(i-q) mod s/2].
fn synthesise_columns<const Q: usize>(
    hp: &[[f64; Q]; 2],
    gp: &[[f64; Q]; 2],
    src: &[C64],
    s: usize,
    w: usize,
    dst: &mut [C64],
    n: usize,
) {
    let half = s / 2;
    for (i, pair) in dst.chunks_mut(2 * n).take(half).enumerate() {
        let ks: [usize; Q] = std::array::from_fn(|q| (i + half - q) % half);
        let a: [&[C64]; Q] = std::array::from_fn(|q| &src[ks[q] * w..ks[q] * w + w]);
        let d: [&[C64]; Q] =
            std::array::from_fn(|q| &src[(half + ks[q]) * w..(half + ks[q]) * w + w]);
        let (even, odd) = pair.split_at_mut(n);
        for (c, (ec, oc)) in even[..w].iter_mut().zip(&mut odd[..w]).enumerate() {
            let (mut se, mut so) = (C64::new(0.0, 0.0), C64::new(0.0, 0.0));
            for q in 0..Q {
                let (va, vd) = (a[q][c], d[q][c]);
                se += va * hp[0][q] + vd * gp[0][q];
                so += va * hp[1][q] + vd * gp[1][q];
            }
            *ec = se;
            *oc = so;
        }
    }
}

impl LinearOperator for Wavelet2d {
    fn dim_in(&self) -> usize {
        self.n * self.n
    }
    fn dim_out(&self) -> usize {
        self.n * self.n
    }
    /// The analysis W x: image -> coefficients.
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        let mut v = x.to_vec();
        self.forward_inplace(&mut v);
        Array1::from(v)
    }
    /// The synthesis W* y = W^{-1} y: coefficients -> image.
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        let mut v = y.to_vec();
        self.inverse_inplace(&mut v);
        Array1::from(v)
    }
    /// Orthogonal: exactly 1.
    fn norm(&self) -> f64 {
        1.0
    }
    fn apply_into(&self, x: &[C64], out: &mut [C64]) {
        out.copy_from_slice(x);
        self.forward_inplace(out);
    }
    fn adjoint_into(&self, y: &[C64], out: &mut [C64]) {
        out.copy_from_slice(y);
        self.inverse_inplace(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{adjoint_mismatch, complex, complex_gaussian, norm2};
    use crate::rng::Rng;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Every (side, levels) pair the tests sweep: the sizes of the brief, each at every level.
    fn transforms() -> Vec<Wavelet2d> {
        let mut out = Vec::new();
        for kind in WaveletKind::ALL {
            for n in [8, 16, 64, 128] {
                for levels in 1..=max_levels(n, kind) {
                    out.push(Wavelet2d::new(n, kind, levels).unwrap());
                }
            }
        }
        out
    }

    fn real_image(n: usize, f: impl Fn(usize, usize) -> f64) -> Array1<C64> {
        complex(Array1::from_shape_fn(n * n, |i| f(i / n, i % n)).view())
    }

    #[test]
    fn adjointness() {
        // Each coefficient sees at most 2 L taps per level and a few levels: round-off of a
        // few 1e-16, far below 1e-12.
        let mut rng = Rng::new(41);
        for w in transforms() {
            let err = adjoint_mismatch(&w, &mut rng);
            assert!(
                err < 1e-12,
                "{:?} n {} levels {}: {err}",
                w.kind,
                w.n,
                w.levels
            );
        }
    }

    #[test]
    fn orthonormal_norm_preserved_and_perfect_reconstruction() {
        // W is orthogonal in exact arithmetic; what is left is f64 round-off (~1e-15).
        let mut rng = Rng::new(42);
        for w in transforms() {
            let x = complex_gaussian(w.n * w.n, &mut rng);
            let nx = norm2(x.view());
            let y = w.apply(x.view());
            let tag = format!("{:?} n {} levels {}", w.kind, w.n, w.levels);
            assert!((norm2(y.view()) - nx).abs() < 1e-12 * nx, "{tag}: norm");
            let back = w.adjoint(y.view());
            assert!(norm2((&back - &x).view()) < 1e-12 * nx, "{tag}: W* W x");
            // W W* = I as well (W is square and orthogonal).
            let again = w.apply(w.adjoint(x.view()).view());
            assert!(norm2((&again - &x).view()) < 1e-12 * nx, "{tag}: W W* x");
        }
    }

    /// The definition, term by term: the m x m matrix whose row k < m/2 holds h at columns
    /// (2k + j) mod m and row m/2 + k holds g there (taps that land on the same column add).
    fn dense_level(kind: WaveletKind, m: usize) -> Vec<f64> {
        let (h, g) = (kind.lowpass(), kind.highpass());
        let mut mat = vec![0.0; m * m];
        for k in 0..m / 2 {
            for j in 0..h.len() {
                mat[k * m + (2 * k + j) % m] += h[j];
                mat[(m / 2 + k) * m + (2 * k + j) % m] += g[j];
            }
        }
        mat
    }

    /// The reference transform: at each level, the dense matrix on every row of the top-left
    /// s x s block, then on every column. O(n^3) per level.
    fn reference(kind: WaveletKind, levels: usize, x: &[C64], n: usize) -> Vec<C64> {
        let mut y = x.to_vec();
        for t in 0..levels {
            let s = n >> t;
            let mat = dense_level(kind, s);
            let mut tmp = y.clone();
            for r in 0..s {
                for i in 0..s {
                    tmp[r * n + i] = (0..s).map(|c| y[r * n + c] * mat[i * s + c]).sum();
                }
            }
            for c in 0..s {
                for i in 0..s {
                    y[i * n + c] = (0..s).map(|r| tmp[r * n + c] * mat[i * s + r]).sum();
                }
            }
        }
        y
    }

    #[test]
    fn matches_the_definition_term_by_term() {
        // Same sums in a different order: agreement to round-off, 1e-13 relative.
        let mut rng = Rng::new(40);
        for kind in WaveletKind::ALL {
            // 24 and 48 split into column strips of 16 and 8, and 16, 16, 16.
            for n in [4, 8, 12, 16, 24, 32, 48] {
                for levels in 1..=max_levels(n, kind) {
                    let w = Wavelet2d::new(n, kind, levels).unwrap();
                    let x = complex_gaussian(n * n, &mut rng);
                    let want = reference(kind, levels, x.as_slice().unwrap(), n);
                    let got = w.apply(x.view());
                    let err = got
                        .iter()
                        .zip(&want)
                        .map(|(a, b)| (a - b).norm_sqr())
                        .sum::<f64>()
                        .sqrt();
                    assert!(
                        err < 1e-13 * norm2(x.view()),
                        "{kind:?} n {n} levels {levels}: {err}"
                    );
                }
            }
        }
    }

    #[test]
    fn with_scratch_matches_the_operator() {
        let mut rng = Rng::new(43);
        let w = Wavelet2d::new(16, WaveletKind::Db4, 2).unwrap();
        let x = complex_gaussian(256, &mut rng);
        // Scratch longer than needed and dirty from a previous use must not matter.
        let mut scratch = vec![C64::new(7.0, -3.0); w.scratch_len() + 5];
        let mut v = x.to_vec();
        w.forward_with_scratch(&mut v, &mut scratch);
        assert_eq!(v, w.apply(x.view()).to_vec());
        w.inverse_with_scratch(&mut v, &mut scratch);
        assert_eq!(v, w.adjoint(w.apply(x.view()).view()).to_vec());
    }

    #[test]
    fn daubechies_4_filters() {
        // The closed form is exact up to the rounding of sqrt 3 and sqrt 2: 1e-15.
        let h = WaveletKind::Db4.lowpass();
        let g = WaveletKind::Db4.highpass();
        assert_eq!((h.len(), g.len()), (4, 4));
        let sum: f64 = h.iter().sum();
        assert!((sum - 2f64.sqrt()).abs() < 1e-15, "sum h {sum}");
        let energy: f64 = h.iter().map(|v| v * v).sum();
        assert!((energy - 1.0).abs() < 1e-15, "sum h^2 {energy}");
        // Orthogonal to its shift by 2: h0 h2 + h1 h3 = 0.
        assert!((h[0] * h[2] + h[1] * h[3]).abs() < 1e-15);
        // g is the quadrature mirror, orthogonal to h and to h shifted by 2.
        assert_eq!(g, vec![h[3], -h[2], h[1], -h[0]]);
        assert!(h.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>().abs() < 1e-15);
        assert!((h[2] * g[0] + h[3] * g[1]).abs() < 1e-15);
        // Two vanishing moments, and not three.
        let moment = |p: i32| -> f64 {
            g.iter()
                .enumerate()
                .map(|(j, v)| (j as f64).powi(p) * v)
                .sum()
        };
        assert!(moment(0).abs() < 1e-15, "sum g {}", moment(0));
        assert!(moment(1).abs() < 1e-15, "sum j g {}", moment(1));
        assert!(moment(2).abs() > 0.1, "sum j^2 g {}", moment(2));
        // The decimals everyone quotes (PyWavelets' db2 reversed into this correlation form).
        let known = [
            0.48296291314453416,
            0.8365163037378079,
            0.2241438680420134,
            -0.12940952255126037,
        ];
        for (a, b) in h.iter().zip(known) {
            assert!((a - b).abs() < 1e-15);
        }
        // Haar: one vanishing moment.
        let hh = WaveletKind::Haar.lowpass();
        let gh = WaveletKind::Haar.highpass();
        let s = std::f64::consts::FRAC_1_SQRT_2;
        assert_eq!((hh, gh), (vec![s, s], vec![s, -s]));
    }

    #[test]
    fn haar_by_hand() {
        // [[1, 2], [3, 4]]: rows give (a +- b)/sqrt 2, then columns (u +- v)/sqrt 2, so each
        // coefficient is a sum of the four pixels with signs, over 2:
        // LL = 10/2, H = ((1-2) + (3-4))/2, V = ((1+2) - (3+4))/2, D = ((1-2) - (3-4))/2.
        let w = Wavelet2d::new(2, WaveletKind::Haar, 1).unwrap();
        let x = real_image(2, |r, c| (2 * r + c + 1) as f64);
        let y = w.apply(x.view());
        let want = [5.0, -1.0, -2.0, 0.0];
        for (z, v) in y.iter().zip(want) {
            assert!((z - C64::new(v, 0.0)).norm() < 1e-15, "{y}");
        }
        // 4 x 4 with x[r, c] = 4 r + c + 1, two levels. Level 1: every 2 x 2 block
        // [[v, v+1], [v+4, v+5]] gives LL = 2 v + 5, H = -1, V = -4, D = 0; the LL values at
        // v = 1, 3, 9, 11 are [[7, 11], [23, 27]], and level 2 on them gives
        // LL = 68/2 = 34, H = (-4 - 4)/2 = -4, V = (18 - 50)/2 = -16, D = (-4 + 4)/2 = 0.
        // Check: the energies agree, 1^2 + ... + 16^2 = 1496 = 34^2 + 4^2 + 16^2 + 4 + 4 16.
        let w = Wavelet2d::new(4, WaveletKind::Haar, 2).unwrap();
        let x = real_image(4, |r, c| (4 * r + c + 1) as f64);
        let y = w.apply(x.view());
        #[rustfmt::skip]
        let want = [
            34.0, -4.0, -1.0, -1.0,
            -16.0, 0.0, -1.0, -1.0,
            -4.0, -4.0, 0.0, 0.0,
            -4.0, -4.0, 0.0, 0.0,
        ];
        for (i, (z, v)) in y.iter().zip(want).enumerate() {
            assert!(
                (z - C64::new(v, 0.0)).norm() < 1e-13,
                "index {i}: {z}, want {v}"
            );
        }
        // The imaginary part goes through the same real filters.
        let yi = w.apply(x.mapv(|z| z * C64::new(0.0, 1.0)).view());
        for (z, v) in yi.iter().zip(want) {
            assert!((z - C64::new(0.0, v)).norm() < 1e-13);
        }
    }

    #[test]
    fn constants_have_no_details() {
        // A constant c: each level multiplies the approximation by sqrt(2)^2 = 2, so the
        // coarsest block holds c 2^levels and everything else is round-off (values ~ 1).
        for kind in WaveletKind::ALL {
            for (n, levels) in [(8, 1), (16, max_levels(16, kind)), (24, 3), (64, 4)] {
                let w = Wavelet2d::new(n, kind, levels).unwrap();
                let y = w.apply(real_image(n, |_, _| 1.5).view());
                let big = 1.5 * (1usize << levels) as f64;
                for (i, z) in y.iter().enumerate() {
                    let want = if w.level_of(i) == 0 { big } else { 0.0 };
                    assert!(
                        (z - C64::new(want, 0.0)).norm() < 1e-13 * big,
                        "{kind:?} n {n} levels {levels} index {i}: {z}"
                    );
                }
            }
        }
    }

    #[test]
    fn daubechies_4_annihilates_ramps_away_from_the_wrap() {
        // x[r, c] = 0.7 r - 1.3 c + 2 is f(r) + g(c), so the separable W gives
        // (W f)(i) (W 1)(k) + (W 1)(i) (W g)(k), and W 1 is zero off the approximation: the
        // H band (row detail) is the 1-D detail of g in k, V that of f in i, D is zero.
        // A level-t detail at index k reads x[2^t k ..= 2^t k + 3 (2^t - 1)]; where that
        // does not wrap, two vanishing moments kill the linear function. Where it wraps the
        // periodic ramp jumps, and the coefficients must not vanish.
        let n = 32;
        let levels = max_levels(n, WaveletKind::Db4);
        assert_eq!(levels, 4);
        let x = real_image(n, |r, c| 0.7 * r as f64 - 1.3 * c as f64 + 2.0);
        let tol = 1e-12 * norm2(x.view());
        let mut zeros = 0;
        for levels in 1..=levels {
            let w = Wavelet2d::new(n, WaveletKind::Db4, levels).unwrap();
            let y = w.apply(x.view());
            for t in 1..=levels {
                let half = n >> t;
                let inside = |k: usize| (k << t) + 3 * ((1 << t) - 1) < n;
                let at = |r: usize, c: usize| y[r * n + c].norm();
                let mut wrapped = 0.0f64;
                for i in 0..half {
                    for k in 0..half {
                        let (h, v, d) = (at(i, half + k), at(half + i, k), at(half + i, half + k));
                        assert!(d < tol, "levels {levels} t {t}: D({i}, {k}) = {d}");
                        if inside(k) {
                            assert!(h < tol, "levels {levels} t {t}: H({i}, {k}) = {h}");
                            zeros += 1;
                        } else {
                            wrapped = wrapped.max(h);
                        }
                        if inside(i) {
                            assert!(v < tol, "levels {levels} t {t}: V({i}, {k}) = {v}");
                        } else {
                            wrapped = wrapped.max(v);
                        }
                    }
                }
                assert!(wrapped > 0.1, "levels {levels} t {t}: the wrap should show");
            }
        }
        assert!(zeros > 500, "only {zeros} interior coefficients checked");
        // Haar has one vanishing moment only: at level 1 every row difference is
        // (x[r, 2k] - x[r, 2k+1]) / sqrt 2 = 1.3 / sqrt 2 (no Haar window wraps), and the
        // column low-pass of two equal values multiplies by sqrt 2: H = 1.3 everywhere.
        let w = Wavelet2d::new(n, WaveletKind::Haar, 1).unwrap();
        let y = w.apply(x.view());
        for i in 0..n / 2 {
            for k in 0..n / 2 {
                assert!((y[i * n + n / 2 + k] - C64::new(1.3, 0.0)).norm() < 1e-12);
            }
        }
    }

    #[test]
    fn level_map_matches_the_pyramid() {
        for kind in WaveletKind::ALL {
            for n in [8, 16, 24, 64, 128] {
                for levels in 1..=max_levels(n, kind) {
                    let w = Wavelet2d::new(n, kind, levels).unwrap();
                    let mut counts = vec![0usize; levels + 1];
                    for i in 0..n * n {
                        counts[w.level_of(i)] += 1;
                    }
                    assert_eq!(w.levels_map().len(), n * n);
                    // Approximation (n / 2^L)^2, scale j details 3 (n / 2^(L-j+1))^2.
                    let coarse = n >> levels;
                    assert_eq!(counts[0], coarse * coarse, "{kind:?} {n} {levels}");
                    for (j, &count) in counts.iter().enumerate().skip(1) {
                        let side = n >> (levels - j + 1);
                        assert_eq!(count, 3 * side * side, "{kind:?} {n} {levels} scale {j}");
                    }
                }
            }
        }
        // Spot checks on 8 x 8, two levels: approximation 2 x 2, coarse details in the
        // 4 x 4 corner, fine details in the rest.
        let w = Wavelet2d::new(8, WaveletKind::Haar, 2).unwrap();
        let at = |r: usize, c: usize| w.level_of(r * 8 + c);
        assert_eq!(
            [at(0, 0), at(1, 1), at(0, 2), at(3, 1), at(3, 3)],
            [0, 0, 1, 1, 1]
        );
        assert_eq!([at(0, 4), at(4, 0), at(7, 7), at(3, 4)], [2, 2, 2, 2]);
        // The map agrees with the transform: a delta in the coarsest band synthesises a
        // 4 x 4-pixel Haar patch; in the finest band a 2 x 2 one.
        let mut e = Array1::from_elem(64, C64::new(0.0, 0.0));
        e[0] = C64::new(1.0, 0.0);
        let img = w.adjoint(e.view());
        assert_eq!(img.iter().filter(|z| z.norm() > 1e-12).count(), 16);
        e[0] = C64::new(0.0, 0.0);
        e[7 * 8 + 7] = C64::new(1.0, 0.0);
        let img = w.adjoint(e.view());
        assert_eq!(img.iter().filter(|z| z.norm() > 1e-12).count(), 4);
    }

    #[test]
    fn bad_sizes_and_levels_are_errors() {
        assert_eq!(max_levels(256, WaveletKind::Haar), 8);
        assert_eq!(max_levels(256, WaveletKind::Db4), 7);
        assert_eq!(max_levels(128, WaveletKind::Db4), 6);
        assert_eq!(max_levels(24, WaveletKind::Haar), 3);
        assert_eq!(max_levels(24, WaveletKind::Db4), 3);
        assert_eq!(max_levels(12, WaveletKind::Db4), 2);
        assert_eq!(max_levels(2, WaveletKind::Db4), 0);
        assert_eq!(max_levels(7, WaveletKind::Haar), 0);
        assert_eq!(max_levels(0, WaveletKind::Haar), 0);
        assert!(Wavelet2d::new(0, WaveletKind::Haar, 1).is_err());
        assert!(Wavelet2d::new(8, WaveletKind::Haar, 0).is_err());
        assert!(Wavelet2d::new(6, WaveletKind::Haar, 2).is_err());
        assert!(Wavelet2d::new(8, WaveletKind::Haar, 4).is_err());
        assert!(Wavelet2d::new(8, WaveletKind::Db4, 3).is_err());
        assert!(Wavelet2d::new(2, WaveletKind::Db4, 1).is_err());
        assert!(Wavelet2d::new(64, WaveletKind::Db4, usize::MAX).is_err());
        // Exactly 1..=max_levels is accepted, for every small side.
        for kind in WaveletKind::ALL {
            for n in 0..=70 {
                let max = max_levels(n, kind);
                for levels in 0..=9 {
                    let ok = Wavelet2d::new(n, kind, levels).is_ok();
                    assert_eq!(ok, (1..=max).contains(&levels), "{kind:?} {n} {levels}");
                }
            }
        }
    }

    #[test]
    fn names_and_serde() {
        for (kind, name) in WaveletKind::ALL.into_iter().zip(WaveletKind::NAMES) {
            assert_eq!(kind.name(), *name);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<WaveletKind>(&json).unwrap(), kind);
        }
        assert!(serde_json::from_str::<WaveletKind>("\"db2\"").is_err());
    }
}
