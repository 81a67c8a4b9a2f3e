//! Sampling patterns Omega: which k-space locations an MRI scan measures.
//!
//! A mask is a set Omega of locations on the n x n k-space grid; [`super::sampling`] turns it
//! into the measurement operator A = P_Omega F. The lab's sample-count slider runs from 1 % to
//! 100 % of the n^2 locations, and the "more samples can hurt" experiment needs **nested**
//! masks: for one pattern, size and seed, a larger count keeps every sample of a smaller one.
//!
//! ## The big picture: a priority list, cut at the slider
//!
//! Every generated pattern is a [`SamplingOrder`]: a deterministic priority list of all n^2
//! locations, fixed by (pattern, n, seed, [`MaskParams`]). The mask at rate rho is the first
//! |Omega| entries of that list, so masks are nested by construction, and a slider only moves
//! a cut point:
//!
//! ```
//! use barriers_lab::operators::masks::{MaskParams, Pattern, SamplingOrder};
//!
//! let order = SamplingOrder::new(Pattern::VariableDensity, 64, 7, &MaskParams::default()).unwrap();
//! let small = order.mask(0.10).unwrap();
//! let large = order.mask(0.25).unwrap();
//! assert_eq!(small.count(), 410); // round(0.10 * 64^2)
//! assert!(small.is_subset_of(&large));
//! // Omega in FFT order, ready for A = P_Omega F.
//! let a = barriers_lab::operators::sampling::SubsampledFourier::new(64, large.fft_indices()).unwrap();
//! assert_eq!(a.indices().len(), large.count());
//! ```
//!
//! [`mask`] does the same in one call, computing only the part of the list it needs (one
//! key per location and a partial selection, O(n^2)). Measured natively at n = 256 on a
//! loaded two-core machine: a random mask in 1.2 to 2.4 ms, a whole order in 3 to 5 ms, and
//! a cut of a kept order in about 20 microseconds.
//!
//! ## Coordinates
//!
//! A [`Mask`] is stored in **centred order** (row-major, the zero frequency at (n/2, n/2)):
//! row r and column c stand for the frequency (ky, kx) = (r - n/2, c - n/2), as in pictures
//! and mask files; [`Mask::fft_indices`] converts to the FFT order of the operators (see
//! [`super::fourier`]). Below, |k| = sqrt(kx^2 + ky^2) is the Euclidean frequency radius and
//! |k|_inf = max(|kx|, |ky|).
//!
//! ## The patterns (defaults in [`MaskParams`])
//!
//! | pattern            | fully sampled first              | then, in order of race keys with weight w          |
//! |--------------------|----------------------------------|----------------------------------------------------|
//! | `variable-density` | disc \|k\| <= c n                 | w = (1 + \|k\|^2)^(-alpha), alpha = 1              |
//! | `gaussian`         | disc \|k\| <= c n                 | w = exp(-\|k\|^2 / (2 s^2)), s = sigma n = n/6      |
//! | `uniform`          | nothing                          | w = 1 (a uniformly random permutation)             |
//! | `multilevel`       | level 0 (\|k\|_inf < n/2^L)       | w = 2^(-beta l) on level l, beta = 2, L = 5 levels |
//! | `cartesian`        | rows with \|ky\| <= c n (a band)  | whole rows, w = (1 + ky^2)^(-alpha)                |
//! | `radial`           | (deterministic)                  | golden-angle lines through the centre              |
//! | `painted`          | (a bitmap, not generated)        |                                                    |
//!
//! with c = 3/64 (a centre of radius 6 frequencies at n = 128, 3 at 64, 12 at 256). Its area,
//! about pi (3n/64)^2 = 0.0069 n^2, is below 1 % of k-space, so the whole centre is present at
//! every rate the slider offers. The fully sampled part is ordered by radius (|k|^2, then the
//! location index; for Cartesian |ky|, then the row).
//!
//! **Variable density** follows the power-law densities of compressed-sensing MRI (Lustig,
//! Donoho and Pauly, "Sparse MRI", Magn. Reson. Med. 2007; Krahmer and Ward, "Stable and
//! robust sampling strategies for compressive imaging", IEEE TIP 2014, who show that a
//! density ~ |k|^(-2), alpha = 1, suits images sparse in Haar wavelets or in gradient).
//! With alpha = 1 the expected number of samples beyond the saturated centre is about the
//! same in every octave of radius.
//!
//! **Multilevel** (Adcock, Hansen, Poon and Roman, "Breaking the coherence barrier: a new
//! theory for compressed sensing", Forum Math. Sigma 2017) splits k-space into L dyadic
//! square annuli in |k|_inf,
//!
//! ```text
//! level 0:        |k|_inf < n / 2^L,
//! level l:        n / 2^(L+1-l) <= |k|_inf < n / 2^(L-l),    l = 1, ..., L-1,
//! ```
//!
//! (at n = 128, L = 5: |k|_inf < 4, [4, 8), [8, 16), [16, 32), [32, 64]), samples level 0
//! fully and the others uniformly inside each level with weight 2^(-beta l). beta = 2 is the
//! dyadic counterpart of alpha = 1: each unsaturated level receives about the same number of
//! samples, and for moderate rates the first levels fill up completely.
//!
//! **Cartesian** is what scanners do: whole phase-encoding lines (rows, fixed ky), a fully
//! sampled band of low frequencies, and a 1-D variable density for the rest.
//!
//! **Radial** line j has angle theta_j = j pi / phi (mod pi), phi = (1 + sqrt 5) / 2, an
//! increment of 111.246 degrees, measured from the kx axis (along a row) towards increasing
//! row index. Each new line falls into one of the largest gaps left by the previous ones
//! (the three-gap theorem), so any
//! number of lines covers the angles almost evenly (Winkelmann, Schaeffter, Koehler, Eggers
//! and Doessel, "An optimal radial profile order based on the golden ratio for time-resolved
//! MRI", IEEE TMI 2007). A line is rasterised over the whole k-space diameter: the points
//! round(t cos theta_j, t sin theta_j) for t = -R, -R + 1/2, ..., R (R just beyond the
//! corners), rounded to the nearest grid point and clipped to the grid. A line contributes
//! the points that no earlier line sampled. The pattern has no randomness; the seed is unused.
//!
//! ## Weighted sampling without replacement: the exponential race
//!
//! The random patterns order locations by Efraimidis and Spirakis's keys ("Weighted random
//! sampling with a reservoir", Inf. Process. Lett. 2006): location i gets u_i^(1/w_i) with
//! u_i uniform on (0, 1), and the m largest keys are a weighted sample of size m without
//! replacement. Equivalently, with E_i = -ln u_i ~ Exp(1), the m *smallest* E_i / w_i win:
//! independent exponential clocks of rates w_i, the first m to ring. We sort by the
//! logarithm of that key,
//!
//! ```text
//! key_i = ln E_i - ln w_i,   E_i = -ln(1 - u_i),
//! ```
//!
//! (u_i from [`Rng::uniform`] lies in [0, 1), so 1 - u_i is uniform on (0, 1] and E_i is
//! finite). Since ln is increasing this is the same order, but it needs no power and cannot
//! underflow for tiny weights: a Gaussian's corner weight exp(-9) or a multilevel weight
//! 2^-8 is just a number to subtract. (Adding Gumbel noise -ln E_i to ln w_i and taking the largest, the
//! "Gumbel-top-k trick", is the same rule once more.) Ties between keys are broken by the
//! location index, so the order is a total order, independent of the sorting algorithm.
//!
//! Inclusion is not proportional to w: a location is in the first m about when
//! E_i < T w_i for a threshold T, with probability 1 - exp(-T w_i). High-weight locations
//! saturate at probability one, which is why the low frequencies fill in as the rate grows,
//! and the tail of the density decides where the remaining samples go.
//!
//! One uniform u_i is drawn per location, row-major, whatever the pattern and parameters
//! (one per row for Cartesian): with the same seed, changing alpha, sigma or the centre moves
//! the mask continuously instead of reshuffling it, and `variable-density`, `gaussian`,
//! `uniform` and `multilevel` share their randomness.
//!
//! ## How many samples
//!
//! The target is m = round(rho n^2), clamped to 1..=n^2:
//! - the random point patterns take exactly m locations;
//! - Cartesian takes round(rho n) whole rows, at least one: |Omega| = n round(rho n), within
//!   half a line (n/2 points) of rho n^2 whenever rho n >= 1/2;
//! - radial takes the smallest number of lines whose union has at least m points: |Omega| is
//!   at least m and less than m plus the new points of its last line (fewer than 2n).
//!
//! ## Reproducibility
//!
//! The stream of [`crate::rng::Rng`] is fixed, and so is every integer step. The keys use
//! `ln`, the Gaussian and radial patterns `exp`, `sin` and `cos`, whose last bit may differ
//! between platforms' maths libraries; that could swap two keys within one ulp of each other
//! or move a radial point sitting exactly half-way between grid points, which is possible
//! in principle but not expected in practice.
//!
//! ## Painted masks and tokens
//!
//! A painted mask is a bitmap ([`Mask::from_bits`], [`Mask::from_grey`] for a mask file's
//! grey values). [`Mask::to_token`] writes any mask as text safe in a link: the centred
//! bitmap as alternating run lengths (starting with a run of unsampled locations, which may
//! be empty), each an unsigned LEB128 varint, in base64url without padding (RFC 4648,
//! section 5). The token is canonical (one mask, one token), and [`Mask::from_token`] refuses
//! anything else with a message, never panicking.

use super::fourier::centred_to_fft;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The largest side n a mask may have (a guard for sizes read from links and files).
pub const MAX_SIDE: usize = 1024;

/// Radial lines are added until every location is covered, which takes about 3 n lines
/// (185 at n = 64, 376 at 128, 846 at 256, 1596 at 512); this many lines per unit of n is a
/// safety cap. Anything still uncovered at the cap would be appended as one last unit,
/// ordered by radius (the tests check that this never happens).
const RADIAL_LINES_PER_SIDE: usize = 16;

/// A sampling pattern, by the name the page and links use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// Random, density (1 + |k|^2)^(-alpha), fully sampled centre (the lab's default).
    VariableDensity,
    /// Random, density exp(-|k|^2 / (2 s^2)), fully sampled centre.
    Gaussian,
    /// Golden-angle lines through the centre.
    Radial,
    /// Whole rows: a fully sampled centre band, then 1-D variable density.
    Cartesian,
    /// Uniformly random, no fully sampled centre (to show why that is worse).
    Uniform,
    /// Dyadic levels in k-space, uniform inside a level, fewer samples further out.
    Multilevel,
    /// Drawn by hand or read from a file.
    Painted,
}

impl Pattern {
    /// Every pattern, in the order of [`Pattern::NAMES`].
    pub const ALL: [Pattern; 7] = [
        Pattern::VariableDensity,
        Pattern::Gaussian,
        Pattern::Radial,
        Pattern::Cartesian,
        Pattern::Uniform,
        Pattern::Multilevel,
        Pattern::Painted,
    ];

    /// The names used in links, JSON and on the command line.
    pub const NAMES: [&'static str; 7] = [
        "variable-density",
        "gaussian",
        "radial",
        "cartesian",
        "uniform",
        "multilevel",
        "painted",
    ];
    /// What a menu shows for each name.
    pub const LABELS: [&'static str; 7] = [
        "Variable density",
        "Gaussian density",
        "Radial lines",
        "Cartesian lines",
        "Uniform random",
        "Multilevel",
        "Painted by hand",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Pattern::VariableDensity => "variable-density",
            Pattern::Gaussian => "gaussian",
            Pattern::Radial => "radial",
            Pattern::Cartesian => "cartesian",
            Pattern::Uniform => "uniform",
            Pattern::Multilevel => "multilevel",
            Pattern::Painted => "painted",
        }
    }

    /// Whether [`SamplingOrder`] can generate it (all but `painted`).
    pub fn is_generated(self) -> bool {
        self != Pattern::Painted
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Pattern::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown sampling pattern {s:?}; the patterns are {}",
                    Pattern::NAMES.join(", ")
                )
            })
    }
}

/// The shape parameters of the generated patterns. Each pattern reads only its own.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskParams {
    /// Power-law exponent of `variable-density` (2-D) and `cartesian` (1-D):
    /// w = (1 + |k|^2)^(-alpha). Default 1; 0 is uniform outside the centre.
    pub alpha: f64,
    /// Width of `gaussian` as a fraction of n: s = sigma n. Default 1/6 (the edge of
    /// k-space, |k| = n/2, is then 3 s away from the centre).
    pub sigma: f64,
    /// Radius of the fully sampled centre as a fraction of n: the disc |k| <= centre n
    /// (`variable-density`, `gaussian`) or the band |ky| <= centre n (`cartesian`).
    /// Default 3/64: 6 frequencies at n = 128.
    pub centre: f64,
    /// Decay of `multilevel` across levels: level l has weight 2^(-beta l). Default 2.
    pub beta: f64,
    /// Number of `multilevel` levels L (1..=10). Default 5.
    pub levels: u32,
}

impl Default for MaskParams {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            sigma: 1.0 / 6.0,
            centre: 3.0 / 64.0,
            beta: 2.0,
            levels: 5,
        }
    }
}

impl MaskParams {
    /// Refuses values no pattern can use (non-finite, negative, zero width, 0 or > 10 levels).
    pub fn check(&self) -> Result<(), String> {
        let non_negative = [
            ("alpha", self.alpha),
            ("centre", self.centre),
            ("beta", self.beta),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} must be a finite number >= 0, not {v}"));
            }
        }
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(format!(
                "sigma must be a finite number > 0, not {}",
                self.sigma
            ));
        }
        if !(1..=10).contains(&self.levels) {
            return Err(format!(
                "levels must be between 1 and 10, not {}",
                self.levels
            ));
        }
        Ok(())
    }
}

fn check_side(n: usize) -> Result<(), String> {
    if n < 2 {
        Err(format!("a mask needs a side of at least 2, not {n}"))
    } else if n > MAX_SIDE {
        Err(format!(
            "a mask side of {n} is above the limit of {MAX_SIDE}"
        ))
    } else {
        Ok(())
    }
}

/// m = round(rho n^2), clamped to 1..=n^2, after checking rho is in (0, 1].
fn target_count(n: usize, rate: f64) -> Result<usize, String> {
    if !(rate.is_finite() && rate > 0.0 && rate <= 1.0) {
        return Err(format!(
            "the sampling rate must be a number in (0, 1], not {rate}"
        ));
    }
    let m = (rate * (n * n) as f64).round() as usize;
    Ok(m.clamp(1, n * n))
}

/// The number of Cartesian rows at rate rho: round(rho n), clamped to 1..=n (rho checked).
fn cartesian_rows(n: usize, rate: f64) -> usize {
    ((rate * n as f64).round() as usize).clamp(1, n)
}

/// The frequency of centred position j: j - n/2.
fn freq(j: usize, n: usize) -> i64 {
    j as i64 - (n / 2) as i64
}

/// The logarithm of the exponential-race key, ln E - ln w with E = -ln(1 - u) ~ Exp(1).
/// (1 - u is exact for the 53-bit uniforms of [`Rng::uniform`], so no `ln_1p` is needed.)
fn race_key(u: f64, log_weight: f64) -> f64 {
    (-(1.0 - u).ln()).ln() - log_weight
}

/// Orders (key, index) pairs by key, then index: a total order, so the result does not
/// depend on the sorting algorithm.
fn by_key(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The first `limit` items of the order "all of `first` (already sorted), then `rest` by
/// key": a partial selection (O(len)), then, if `ordered`, a sort of only what is kept.
/// Without `ordered` the same items come back in no particular order (enough for a mask).
fn first_by_key(
    first: Vec<usize>,
    mut rest: Vec<(f64, usize)>,
    limit: usize,
    ordered: bool,
) -> Vec<usize> {
    let mut out = first;
    if limit <= out.len() {
        out.truncate(limit);
        return out;
    }
    let need = limit - out.len();
    if need < rest.len() {
        rest.select_nth_unstable_by(need, by_key);
        rest.truncate(need);
    }
    if ordered {
        rest.sort_unstable_by(by_key);
    }
    out.extend(rest.into_iter().map(|(_, i)| i));
    out
}

/// A random point pattern. `log_weight(ky, kx)` is `None` for the fully sampled centre,
/// which comes first, by radius; the other locations follow by race keys with that
/// log-weight. One uniform per location, row-major.
fn point_order(
    n: usize,
    seed: u64,
    limit: usize,
    ordered: bool,
    log_weight: impl Fn(i64, i64) -> Option<f64>,
) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut centre = Vec::new();
    let mut rest = Vec::with_capacity(n * n);
    for r in 0..n {
        let ky = freq(r, n);
        for c in 0..n {
            let kx = freq(c, n);
            let u = rng.uniform();
            let idx = r * n + c;
            match log_weight(ky, kx) {
                None => centre.push((ky * ky + kx * kx, idx)),
                Some(log_w) => rest.push((race_key(u, log_w), idx)),
            }
        }
    }
    centre.sort_unstable();
    let centre = centre.into_iter().map(|(_, i)| i).collect();
    first_by_key(centre, rest, limit, ordered)
}

/// The multilevel level of a location with |k|_inf = a: the number of boundaries
/// n / 2^(L+1-l), l = 1..L-1, that a reaches (integer arithmetic: a 2^(L+1-l) >= n).
fn multilevel_level(a: u64, n: u64, levels: u32) -> u32 {
    (1..levels).filter(|&l| a << (levels + 1 - l) >= n).count() as u32
}

/// The rows of the Cartesian pattern in order: the band |ky| <= centre n by |ky|, then the
/// rest by race keys with log-weight -alpha ln(1 + ky^2). One uniform per row.
fn cartesian_row_order(n: usize, seed: u64, params: &MaskParams) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let band = params.centre * n as f64;
    let mut centre = Vec::new();
    let mut rest = Vec::with_capacity(n);
    for r in 0..n {
        let ky = freq(r, n);
        let u = rng.uniform();
        if ((ky * ky) as f64) <= band * band {
            centre.push((ky.unsigned_abs(), r));
        } else {
            let log_w = -params.alpha * ((1 + ky * ky) as f64).ln();
            rest.push((race_key(u, log_w), r));
        }
    }
    centre.sort_unstable();
    first_by_key(centre.into_iter().map(|(_, r)| r).collect(), rest, n, true)
}

/// theta_j = j pi / phi mod pi, computed as pi frac(j / phi) to stay accurate for large j.
fn golden_angle(j: usize) -> f64 {
    const INV_PHI: f64 = 0.618_033_988_749_894_9; // 1 / phi = (sqrt 5 - 1) / 2
    std::f64::consts::PI * (j as f64 * INV_PHI).fract()
}

/// Radial lines until at least `limit` locations are covered: (points, line ends).
fn radial_order(n: usize, limit: usize) -> (Vec<usize>, Vec<usize>) {
    let mut seen = vec![false; n * n];
    let mut points = Vec::with_capacity(limit);
    let mut ends = Vec::new();
    let half = (n / 2) as i64;
    let n_i = n as i64;
    let mut j = 0;
    while points.len() < limit && j < RADIAL_LINES_PER_SIDE * n {
        let (sin, cos) = golden_angle(j).sin_cos();
        // The points t = i/2 of the whole diameter that can round into the grid: beyond
        // |t| max(|cos|, |sin|) > n/2 + 1/2 a coordinate rounds to at least n/2 + 1.
        let reach = (n as f64 / 2.0 + 0.5) / cos.abs().max(sin.abs());
        let steps = (2.0 * reach).ceil() as i64;
        for i in -steps..=steps {
            let t = 0.5 * i as f64;
            let r = (t * sin).round() as i64 + half;
            let c = (t * cos).round() as i64 + half;
            if (0..n_i).contains(&r) && (0..n_i).contains(&c) {
                let idx = (r * n_i + c) as usize;
                if !seen[idx] {
                    seen[idx] = true;
                    points.push(idx);
                }
            }
        }
        ends.push(points.len());
        j += 1;
    }
    if points.len() < limit {
        // The safety net of RADIAL_LINES_PER_SIDE, not reached in the tests.
        let mut left: Vec<(i64, usize)> = (0..n * n)
            .filter(|&i| !seen[i])
            .map(|i| {
                let (ky, kx) = (freq(i / n, n), freq(i % n, n));
                (ky * ky + kx * kx, i)
            })
            .collect();
        left.sort_unstable();
        points.extend(left.into_iter().map(|(_, i)| i));
        ends.push(points.len());
    }
    (points, ends)
}

/// The priority list of a generated pattern: the mask at any rate is a prefix of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamplingOrder {
    pattern: Pattern,
    n: usize,
    /// Centred flat indices r n + c, each location once, highest priority first.
    points: Vec<usize>,
    /// For the line patterns, where each line's new points end in `points`; empty otherwise.
    line_ends: Vec<usize>,
}

impl SamplingOrder {
    /// The whole order of `pattern` on an n x n k-space (all n^2 locations).
    pub fn new(pattern: Pattern, n: usize, seed: u64, params: &MaskParams) -> Result<Self, String> {
        check_side(n)?;
        params.check()?;
        Self::build(pattern, n, seed, params, n * n, true)
    }

    /// An order holding at least its first `limit` locations (whole lines for the line
    /// patterns). Without `ordered`, the random point patterns return those locations in no
    /// particular order, which is all a mask needs. Inputs already checked.
    fn build(
        pattern: Pattern,
        n: usize,
        seed: u64,
        params: &MaskParams,
        limit: usize,
        ordered: bool,
    ) -> Result<Self, String> {
        let r2_max = (params.centre * n as f64).powi(2);
        let points = |log_w: &dyn Fn(i64) -> f64| {
            let radial = |ky: i64, kx: i64| {
                let r2 = ky * ky + kx * kx;
                (r2 as f64 > r2_max).then(|| log_w(r2))
            };
            (point_order(n, seed, limit, ordered, radial), Vec::new())
        };
        let (points, line_ends) = match pattern {
            Pattern::VariableDensity => points(&|r2| -params.alpha * ((1 + r2) as f64).ln()),
            Pattern::Gaussian => {
                let s = params.sigma * n as f64;
                points(&|r2| -(r2 as f64) / (2.0 * s * s))
            }
            Pattern::Uniform => (
                point_order(n, seed, limit, ordered, |_, _| Some(0.0)),
                Vec::new(),
            ),
            Pattern::Multilevel => {
                // The level of each |k|_inf = 0..=n/2, and its log-weight -beta l ln 2.
                let levels: Vec<u32> = (0..=n as u64 / 2)
                    .map(|a| multilevel_level(a, n as u64, params.levels))
                    .collect();
                let step = params.beta * std::f64::consts::LN_2;
                let log_w = |ky: i64, kx: i64| {
                    let l = levels[ky.unsigned_abs().max(kx.unsigned_abs()) as usize];
                    (l > 0).then(|| -step * l as f64)
                };
                (point_order(n, seed, limit, ordered, log_w), Vec::new())
            }
            Pattern::Cartesian => {
                let rows = cartesian_row_order(n, seed, params);
                let kept = limit.div_ceil(n).min(n);
                let points = rows[..kept]
                    .iter()
                    .flat_map(|&r| (0..n).map(move |c| r * n + c))
                    .collect();
                (points, (1..=kept).map(|l| l * n).collect())
            }
            Pattern::Radial => radial_order(n, limit),
            Pattern::Painted => {
                return Err(
                    "a painted mask is not generated: it comes from a bitmap, a mask \
                            file or a token"
                        .to_string(),
                )
            }
        };
        Ok(Self {
            pattern,
            n,
            points,
            line_ends,
        })
    }

    pub fn pattern(&self) -> Pattern {
        self.pattern
    }

    pub fn side(&self) -> usize {
        self.n
    }

    /// The locations in priority order, as centred flat indices r n + c.
    pub fn points(&self) -> &[usize] {
        &self.points
    }

    /// For `radial` and `cartesian`: line j contributes `points()[line_ends[j-1]..line_ends[j]]`
    /// (the points no earlier line had). `None` for the point patterns.
    pub fn line_ends(&self) -> Option<&[usize]> {
        if self.line_ends.is_empty() {
            None
        } else {
            Some(&self.line_ends)
        }
    }

    /// |Omega| at rate rho: see the module documentation, "How many samples".
    pub fn count_for(&self, rate: f64) -> Result<usize, String> {
        let m = target_count(self.n, rate)?;
        let count = match self.pattern {
            Pattern::Cartesian => cartesian_rows(self.n, rate) * self.n,
            Pattern::Radial => {
                let j = self.line_ends.partition_point(|&end| end < m);
                *self
                    .line_ends
                    .get(j)
                    .ok_or("the radial order is shorter than the rate asks")?
            }
            _ => m,
        };
        if count > self.points.len() {
            return Err(format!(
                "the order holds {} locations, the rate asks for {count}",
                self.points.len()
            ));
        }
        Ok(count)
    }

    /// The mask at rate rho in (0, 1]: the first [`SamplingOrder::count_for`] locations.
    pub fn mask(&self, rate: f64) -> Result<Mask, String> {
        let count = self.count_for(rate)?;
        let mut sampled = vec![false; self.n * self.n];
        for &i in &self.points[..count] {
            sampled[i] = true;
        }
        Ok(Mask { n: self.n, sampled })
    }
}

/// The mask of a generated pattern at rate rho in (0, 1]: equal to
/// `SamplingOrder::new(pattern, n, seed, params)?.mask(rate)`, but computing only the part
/// of the order it needs.
pub fn mask(
    pattern: Pattern,
    n: usize,
    rate: f64,
    seed: u64,
    params: &MaskParams,
) -> Result<Mask, String> {
    check_side(n)?;
    params.check()?;
    let m = target_count(n, rate)?;
    if m == n * n && pattern.is_generated() {
        // Every pattern samples everything at this count (all lines, all rows).
        return Mask::from_bits(n, vec![true; n * n]);
    }
    let limit = match pattern {
        Pattern::Cartesian => cartesian_rows(n, rate) * n,
        _ => m,
    };
    SamplingOrder::build(pattern, n, seed, params, limit, false)?.mask(rate)
}

/// A sampling set Omega on an n x n k-space, as a bitmap in centred order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    n: usize,
    /// Row-major, centred: (n/2, n/2) is the zero frequency.
    sampled: Vec<bool>,
}

impl Mask {
    /// A mask from its centred bitmap (n^2 values, row-major). May be empty.
    pub fn from_bits(n: usize, sampled: Vec<bool>) -> Result<Self, String> {
        check_side(n)?;
        if sampled.len() != n * n {
            return Err(format!(
                "a {n} x {n} mask needs {} values, not {}",
                n * n,
                sampled.len()
            ));
        }
        Ok(Self { n, sampled })
    }

    /// A mask from a grey image in centred order (a mask file): values above 127 are sampled.
    pub fn from_grey(n: usize, pixels: &[u8]) -> Result<Self, String> {
        check_side(n)?;
        if pixels.len() != n * n {
            return Err(format!(
                "a {n} x {n} mask file needs {} grey values, not {}",
                n * n,
                pixels.len()
            ));
        }
        Self::from_bits(n, pixels.iter().map(|&p| p > 127).collect())
    }

    /// A mask picture (RGBA, n x n, centred k-space): a pixel whose mean of red, green and
    /// blue is above 127 (light) is sampled.
    pub fn from_rgba(n: usize, rgba: &[u8], w: usize, h: usize) -> Result<Self, String> {
        if w != n || h != n || rgba.len() != 4 * n * n {
            return Err(format!(
                "a mask picture must be {n} x {n} pixels at this size, got {w} x {h}"
            ));
        }
        let grey: Vec<u8> = rgba
            .chunks_exact(4)
            .map(|p| ((p[0] as u16 + p[1] as u16 + p[2] as u16) / 3) as u8)
            .collect();
        Self::from_grey(n, &grey)
    }

    /// The mask painted on: around every point (row, column) in centred k-space coordinates,
    /// the grid positions within `radius` (0 to 64, at least the nearest one) become sampled
    /// (`add`) or not.
    pub fn painted(&self, points: &[f64], radius: f64, add: bool) -> Result<Self, String> {
        if points.len() % 2 != 0 || !(0.0..=64.0).contains(&radius) || !radius.is_finite() {
            return Err("paint: expected (row, column) pairs and a radius from 0 to 64".into());
        }
        let n = self.n;
        let mut bits = self.sampled.clone();
        let r2 = radius * radius;
        let reach = radius.ceil() as i64;
        for pair in points.chunks_exact(2) {
            let (pr, pc) = (pair[0], pair[1]);
            if !(pr.is_finite() && pc.is_finite()) {
                return Err("paint: a point is not a finite number".into());
            }
            let (r0, c0) = (pr.round() as i64, pc.round() as i64);
            for dr in -reach..=reach {
                for dc in -reach..=reach {
                    let (r, c) = (r0 + dr, c0 + dc);
                    let inside = (0..n as i64).contains(&r) && (0..n as i64).contains(&c);
                    if inside && ((r as f64 - pr).powi(2) + (c as f64 - pc).powi(2)) <= r2.max(0.25)
                    {
                        bits[r as usize * n + c as usize] = add;
                    }
                }
            }
        }
        Self::from_bits(n, bits)
    }

    /// The mask as grey values for a mask file: 255 sampled, 0 not.
    pub fn to_grey(&self) -> Vec<u8> {
        self.sampled
            .iter()
            .map(|&s| if s { 255 } else { 0 })
            .collect()
    }

    pub fn side(&self) -> usize {
        self.n
    }

    /// The centred bitmap, row-major.
    pub fn bits(&self) -> &[bool] {
        &self.sampled
    }

    /// |Omega|.
    pub fn count(&self) -> usize {
        self.sampled.iter().filter(|&&s| s).count()
    }

    /// |Omega| / n^2.
    pub fn rate(&self) -> f64 {
        self.count() as f64 / (self.n * self.n) as f64
    }

    /// Whether centred position (r, c), frequency (r - n/2, c - n/2), is sampled (false
    /// outside the grid).
    pub fn contains_centred(&self, r: usize, c: usize) -> bool {
        r < self.n && c < self.n && self.sampled[r * self.n + c]
    }

    /// Whether every sample of `self` is also in `other` (false for different sizes).
    pub fn is_subset_of(&self, other: &Mask) -> bool {
        self.n == other.n
            && self
                .sampled
                .iter()
                .zip(&other.sampled)
                .all(|(&a, &b)| !a || b)
    }

    /// Omega as sorted FFT-order indices k1 n + k2, for
    /// [`super::sampling::SubsampledFourier::new`].
    pub fn fft_indices(&self) -> Vec<usize> {
        let n = self.n;
        let mut out: Vec<usize> = (0..n * n)
            .filter(|&i| self.sampled[i])
            .map(|i| centred_to_fft(i / n, n) * n + centred_to_fft(i % n, n))
            .collect();
        out.sort_unstable();
        out
    }

    /// The mask as a link-safe token: alternating run lengths of the centred bitmap (the
    /// first run, of unsampled locations, may be empty; every other run is at least 1 and
    /// the runs add up to n^2), each an unsigned LEB128 varint, in base64url without padding.
    pub fn to_token(&self) -> String {
        let mut bytes = Vec::new();
        let mut current = false;
        let mut run = 0u64;
        for &s in &self.sampled {
            if s == current {
                run += 1;
            } else {
                push_varint(&mut bytes, run);
                current = s;
                run = 1;
            }
        }
        push_varint(&mut bytes, run);
        base64url_encode(&bytes)
    }

    /// Reads a token of [`Mask::to_token`] for an n x n mask. Anything but a canonical
    /// token (bad characters, a cut-off or overlong varint, empty runs after the first,
    /// runs that stop short of or run past n^2) is refused with a message.
    pub fn from_token(n: usize, token: &str) -> Result<Self, String> {
        check_side(n)?;
        let bytes = base64url_decode(token).map_err(|e| format!("mask token: {e}"))?;
        let total = n * n;
        let mut sampled = Vec::with_capacity(total);
        let mut pos = 0;
        let mut value = false;
        let mut run_index = 0;
        while pos < bytes.len() {
            let (run, next) = read_varint(&bytes, pos)
                .map_err(|e| format!("mask token: run {}: {e}", run_index + 1))?;
            if run == 0 && run_index > 0 {
                return Err(format!(
                    "mask token: run {} is empty (only the first run, of unsampled \
                     locations, may be)",
                    run_index + 1
                ));
            }
            let left = (total - sampled.len()) as u64;
            if run > left {
                return Err(format!(
                    "mask token: the runs cover more than the {total} locations of a {n} x {n} \
                     mask (is it a token for another size?)"
                ));
            }
            sampled.resize(sampled.len() + run as usize, value);
            value = !value;
            run_index += 1;
            pos = next;
        }
        if sampled.len() < total {
            return Err(format!(
                "mask token: the runs cover {} of the {total} locations of a {n} x {n} mask \
                 (is it cut short, or a token for another size?)",
                sampled.len()
            ));
        }
        Ok(Self { n, sampled })
    }
}

/// Appends v as an unsigned LEB128 varint: 7 bits per byte, low first, high bit = more.
fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Reads a varint at `pos`: (value, position after it). At most 8 bytes (56 bits, far
/// more than any run needs), and no superfluous zero bytes.
fn read_varint(bytes: &[u8], mut pos: usize) -> Result<(u64, usize), String> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let Some(&byte) = bytes.get(pos) else {
            return Err("the token ends inside a run length".to_string());
        };
        pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if byte == 0 && shift > 0 {
                return Err("a run length has a superfluous zero byte".to_string());
            }
            return Ok((value, pos));
        }
        shift += 7;
        if shift >= 56 {
            return Err("a run length is longer than 8 bytes".to_string());
        }
    }
}

/// The base64url alphabet (RFC 4648, section 5).
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding: each 3 bytes become 4 characters; a final 1 or 2 bytes
/// become 2 or 3 characters.
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        for k in 0..=chunk.len() {
            out.push(BASE64URL[((v >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    out
}

fn sextet(ch: char) -> Option<u32> {
    match ch {
        'A'..='Z' => Some(ch as u32 - 'A' as u32),
        'a'..='z' => Some(ch as u32 - 'a' as u32 + 26),
        '0'..='9' => Some(ch as u32 - '0' as u32 + 52),
        '-' => Some(62),
        '_' => Some(63),
        _ => None,
    }
}

/// The inverse of [`base64url_encode`], refusing anything it would not have written.
fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut values = Vec::with_capacity(text.len());
    for (i, ch) in text.chars().enumerate() {
        let v = sextet(ch).ok_or_else(|| {
            format!(
                "character {} ({ch:?}) is not base64url (A-Z, a-z, 0-9, '-', '_', no padding)",
                i + 1
            )
        })?;
        values.push(v);
    }
    if values.len() % 4 == 1 {
        return Err(format!(
            "{} characters cannot be base64url (a length of 4k + 1): was it cut short?",
            values.len()
        ));
    }
    let mut out = Vec::with_capacity(values.len() / 4 * 3 + 2);
    for chunk in values.chunks(4) {
        let v = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, &s)| acc | (s << (18 - 6 * k)));
        let kept = chunk.len() - 1;
        if v & ((1 << (24 - 8 * kept)) - 1) != 0 {
            return Err("the last character has bits set that no byte uses".to_string());
        }
        out.extend((0..kept).map(|k| (v >> (16 - 8 * k)) as u8));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Painting a disc adds the grid positions within the radius, and erasing removes them;
    /// a mask picture reads back as the mask it shows.
    #[test]
    fn painting_adds_and_removes_discs_and_pictures_read_back() {
        let empty = Mask::from_bits(16, vec![false; 256]).unwrap();
        let disc = empty.painted(&[8.0, 8.0], 1.0, true).unwrap();
        assert_eq!(disc.count(), 5);
        assert!(disc.contains_centred(8, 8) && disc.contains_centred(7, 8));
        assert_eq!(empty.painted(&[8.2, 8.4], 0.0, true).unwrap().count(), 1);
        let erased = disc.painted(&[8.0, 8.0], 0.0, false).unwrap();
        assert_eq!(erased.count(), 4);
        assert!(empty.painted(&[1.0], 1.0, true).is_err());
        assert!(empty.painted(&[1.0, f64::NAN], 1.0, true).is_err());
        assert!(empty.painted(&[1.0, 1.0], 65.0, true).is_err());
        let rgba: Vec<u8> = disc
            .to_grey()
            .iter()
            .flat_map(|&g| [g, g, g, 255])
            .collect();
        assert_eq!(Mask::from_rgba(16, &rgba, 16, 16).unwrap(), disc);
        assert!(Mask::from_rgba(16, &rgba, 8, 32).is_err());
    }
    use crate::operators::sampling::SubsampledFourier;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const GENERATED: [Pattern; 6] = [
        Pattern::VariableDensity,
        Pattern::Gaussian,
        Pattern::Radial,
        Pattern::Cartesian,
        Pattern::Uniform,
        Pattern::Multilevel,
    ];
    const RATES: [f64; 6] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0];

    fn defaults() -> MaskParams {
        MaskParams::default()
    }

    fn radius2(i: usize, n: usize) -> i64 {
        let (ky, kx) = (freq(i / n, n), freq(i % n, n));
        ky * ky + kx * kx
    }

    /// The fraction of locations with r0 <= |k| < r1 that `m` samples.
    fn annulus_fraction(m: &Mask, r0: f64, r1: f64) -> (f64, usize) {
        let n = m.side();
        let inside: Vec<bool> = (0..n * n)
            .filter(|&i| {
                let r = (radius2(i, n) as f64).sqrt();
                r0 <= r && r < r1
            })
            .map(|i| m.bits()[i])
            .collect();
        let hits = inside.iter().filter(|&&s| s).count();
        (hits as f64 / inside.len() as f64, inside.len())
    }

    #[test]
    fn names_round_trip_through_serde_and_parse() {
        for (p, name) in Pattern::ALL.into_iter().zip(Pattern::NAMES) {
            assert_eq!(p.name(), name);
            assert_eq!(name.parse::<Pattern>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Pattern>(&format!("\"{name}\"")).unwrap(),
                p
            );
            assert_eq!(p.is_generated(), p != Pattern::Painted);
        }
        let err = "variable_density".parse::<Pattern>().unwrap_err();
        assert!(err.contains("variable-density"), "{err}");
        // Parameters: defaults fill in missing keys, unknown keys are refused.
        let p: MaskParams = serde_json::from_str(r#"{"alpha": 0.5}"#).unwrap();
        assert_eq!(
            p,
            MaskParams {
                alpha: 0.5,
                ..defaults()
            }
        );
        assert!(serde_json::from_str::<MaskParams>(r#"{"alfa": 0.5}"#).is_err());
    }

    #[test]
    fn masks_are_nested_as_the_rate_grows() {
        let mut cases: Vec<(Pattern, usize)> = Vec::new();
        for p in GENERATED {
            cases.extend([(p, 64), (p, 128)]);
        }
        cases.extend([
            (Pattern::VariableDensity, 256),
            (Pattern::Radial, 256),
            (Pattern::Cartesian, 256),
            // An odd size (the zero frequency at (n/2, n/2) = (31, 31)).
            (Pattern::VariableDensity, 63),
            (Pattern::Radial, 63),
        ]);
        for (p, n) in cases {
            let order = SamplingOrder::new(p, n, 5, &defaults()).unwrap();
            let masks: Vec<Mask> = RATES.iter().map(|&r| order.mask(r).unwrap()).collect();
            for i in 0..masks.len() {
                for j in i + 1..masks.len() {
                    assert!(
                        masks[i].is_subset_of(&masks[j]),
                        "{p} n = {n}: rate {} not inside rate {}",
                        RATES[i],
                        RATES[j]
                    );
                }
            }
            assert_eq!(masks[5].count(), n * n, "{p} n = {n}: rate 1 is not full");
        }
    }

    #[test]
    fn one_call_masks_equal_cuts_of_the_whole_order() {
        // `mask` selects only the prefix it needs; it must be the same prefix.
        for p in GENERATED {
            for n in [64, 100] {
                let order = SamplingOrder::new(p, n, 9, &defaults()).unwrap();
                assert_eq!(order.points().len(), n * n);
                let mut all = order.points().to_vec();
                all.sort_unstable();
                assert!(
                    all.iter().enumerate().all(|(i, &v)| i == v),
                    "{p}: not a permutation"
                );
                for rate in [0.01, 0.1, 0.37, 1.0] {
                    assert_eq!(
                        mask(p, n, rate, 9, &defaults()).unwrap(),
                        order.mask(rate).unwrap(),
                        "{p} n = {n} rate {rate}"
                    );
                }
            }
        }
    }

    #[test]
    fn sample_counts_match_the_rate() {
        for n in [32, 64, 128] {
            for rate in RATES.into_iter().chain([0.003, 0.333]) {
                let exact = ((rate * (n * n) as f64).round() as usize).clamp(1, n * n);
                // The random point patterns: exactly m = round(rho n^2).
                for p in [
                    Pattern::VariableDensity,
                    Pattern::Gaussian,
                    Pattern::Uniform,
                    Pattern::Multilevel,
                ] {
                    let m = mask(p, n, rate, 1, &defaults()).unwrap();
                    assert_eq!(m.count(), exact, "{p} n = {n} rate {rate}");
                }
                // Cartesian: n round(rho n) points, at least one row; within n/2 of
                // rho n^2 whenever rho n >= 1/2.
                let m = mask(Pattern::Cartesian, n, rate, 1, &defaults()).unwrap();
                let rows = ((rate * n as f64).round() as usize).max(1);
                assert_eq!(m.count(), n * rows);
                if rate * n as f64 >= 0.5 {
                    assert!((m.count() as f64 - rate * (n * n) as f64).abs() <= n as f64 / 2.0);
                }
                // Radial: m <= |Omega| < m + (new points of its last line) <= m + 2n.
                let order = SamplingOrder::new(Pattern::Radial, n, 1, &defaults()).unwrap();
                let m_radial = order.mask(rate).unwrap().count();
                let ends = order.line_ends().unwrap();
                let j = ends.iter().position(|&e| e == m_radial).unwrap();
                let before = if j == 0 { 0 } else { ends[j - 1] };
                assert!(before < exact && exact <= m_radial, "n = {n} rate {rate}");
                assert!(m_radial - exact < 2 * n, "n = {n} rate {rate}");
            }
        }
    }

    #[test]
    fn the_centre_is_fully_sampled() {
        let p = defaults();
        for n in [64, 128, 256] {
            let radius = p.centre * n as f64;
            let disc: Vec<usize> = (0..n * n)
                .filter(|&i| radius2(i, n) as f64 <= radius * radius)
                .collect();
            // Radius 6 at n = 128: the 113 lattice points of the disc (Gauss's circle problem).
            if n == 128 {
                assert_eq!(disc.len(), 113);
            }
            for pattern in [Pattern::VariableDensity, Pattern::Gaussian] {
                for rate in RATES {
                    let m = mask(pattern, n, rate, 3, &p).unwrap();
                    assert!(
                        disc.iter().all(|&i| m.bits()[i]),
                        "{pattern} n = {n} rate {rate}"
                    );
                }
            }
            // Multilevel: level 0, |k|_inf < n / 32, at every rate.
            let half_width = (n / 32) as i64;
            for rate in RATES {
                let m = mask(Pattern::Multilevel, n, rate, 3, &p).unwrap();
                for i in 0..n * n {
                    let (ky, kx) = (freq(i / n, n), freq(i % n, n));
                    if ky.abs().max(kx.abs()) < half_width {
                        assert!(m.bits()[i], "multilevel n = {n} rate {rate}");
                    }
                }
            }
            // Cartesian: the band |ky| <= 3n/64 (2 floor(3n/64) + 1 rows) comes first, by |ky|.
            let band = 2 * (3 * n / 64) + 1;
            for rate in RATES {
                let m = mask(Pattern::Cartesian, n, rate, 3, &p).unwrap();
                let rows: Vec<usize> = (0..n).filter(|&r| m.contains_centred(r, 0)).collect();
                for &r in &rows {
                    assert!((0..n).all(|c| m.contains_centred(r, c)), "not a whole row");
                }
                let central = (0..n).filter(|&r| freq(r, n).unsigned_abs() as usize <= band / 2);
                if rows.len() >= band {
                    assert!(
                        central.clone().all(|r| rows.contains(&r)),
                        "n = {n} rate {rate}"
                    );
                } else {
                    // Fewer rows than the band: they are its most central rows.
                    let widest = rows.iter().map(|&r| freq(r, n).abs()).max().unwrap();
                    assert!(widest <= (rows.len() as i64) / 2, "n = {n} rate {rate}");
                }
            }
        }
        // The uniform pattern has no centre: at 1 % it misses most of the disc.
        let m = mask(Pattern::Uniform, 128, 0.01, 3, &p).unwrap();
        let (inner, _) = annulus_fraction(&m, 0.0, 6.5);
        assert!(inner < 0.2, "uniform samples {inner} of the centre at 1 %");
    }

    #[test]
    fn the_density_falls_with_the_frequency() {
        let n = 128;
        // Variable density at 25 %: nearly all of 8 <= |k| < 16, a small part of 48..64.
        let m = mask(Pattern::VariableDensity, n, 0.25, 4, &defaults()).unwrap();
        let (inner, _) = annulus_fraction(&m, 8.0, 16.0);
        let (outer, _) = annulus_fraction(&m, 48.0, 64.0);
        assert!(
            inner > 0.8 && outer < 0.2 && inner > 4.0 * outer,
            "{inner} vs {outer}"
        );
        // The Gaussian as well.
        let m = mask(Pattern::Gaussian, n, 0.25, 4, &defaults()).unwrap();
        let (g_inner, _) = annulus_fraction(&m, 8.0, 16.0);
        let (g_outer, _) = annulus_fraction(&m, 48.0, 64.0);
        assert!(
            g_inner > 0.8 && g_inner > 4.0 * g_outer,
            "{g_inner} vs {g_outer}"
        );
        // A larger alpha concentrates the samples more.
        let strong = MaskParams {
            alpha: 2.0,
            ..defaults()
        };
        let m = mask(Pattern::VariableDensity, n, 0.25, 4, &strong).unwrap();
        let (s_outer, _) = annulus_fraction(&m, 48.0, 64.0);
        assert!(
            s_outer < 0.75 * outer,
            "alpha 2: {s_outer}, alpha 1: {outer}"
        );

        // Uniform at 25 %: the two annuli agree within 4 standard deviations of the
        // difference of two binomial fractions.
        let m = mask(Pattern::Uniform, n, 0.25, 4, &defaults()).unwrap();
        let (u_inner, n_inner) = annulus_fraction(&m, 8.0, 16.0);
        let (u_outer, n_outer) = annulus_fraction(&m, 48.0, 64.0);
        let sd = (0.25 * 0.75 * (1.0 / n_inner as f64 + 1.0 / n_outer as f64)).sqrt();
        assert!(
            (u_inner - u_outer).abs() < 4.0 * sd,
            "{u_inner} vs {u_outer} (sd {sd})"
        );

        // Multilevel at 25 %: level 0 full, the fraction falls level by level, and the
        // fraction inside a level is uniform (its two halves by radius agree).
        let m = mask(Pattern::Multilevel, n, 0.25, 4, &defaults()).unwrap();
        let mut fractions = Vec::new();
        for level in 0..5 {
            let idx: Vec<usize> = (0..n * n)
                .filter(|&i| {
                    let a = freq(i / n, n)
                        .unsigned_abs()
                        .max(freq(i % n, n).unsigned_abs());
                    multilevel_level(a, n as u64, 5) == level
                })
                .collect();
            let hits = idx.iter().filter(|&&i| m.bits()[i]).count();
            fractions.push(hits as f64 / idx.len() as f64);
        }
        assert_eq!(fractions[0], 1.0);
        for l in 1..5 {
            assert!(
                fractions[l] < fractions[l - 1] || fractions[l] == 1.0,
                "{fractions:?}"
            );
        }
        assert!(fractions[4] > 0.05 && fractions[4] < 0.3, "{fractions:?}");
        let inf_band = |a0: u64, a1: u64| {
            let idx: Vec<usize> = (0..n * n)
                .filter(|&i| {
                    let a = freq(i / n, n)
                        .unsigned_abs()
                        .max(freq(i % n, n).unsigned_abs());
                    a0 <= a && a < a1
                })
                .collect();
            let hits = idx.iter().filter(|&&i| m.bits()[i]).count();
            (hits as f64 / idx.len() as f64, idx.len())
        };
        let (a, na) = inf_band(32, 44);
        let (b, nb) = inf_band(48, 65);
        let f = fractions[4];
        let sd = (f * (1.0 - f) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
        assert!((a - b).abs() < 4.0 * sd, "level 4 not flat: {a} vs {b}");
    }

    #[test]
    fn the_multilevel_boundaries_are_dyadic() {
        // n = 128, L = 5: |k|_inf < 4, [4, 8), [8, 16), [16, 32), [32, 64].
        let level = |a| multilevel_level(a, 128, 5);
        let got: Vec<u32> = [0, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64].map(level).to_vec();
        assert_eq!(got, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4]);
        assert_eq!(multilevel_level(100, 128, 1), 0);
    }

    #[test]
    fn radial_lines_follow_the_golden_angle() {
        let n = 128;
        let order = SamplingOrder::new(Pattern::Radial, n, 0, &defaults()).unwrap();
        let ends = order.line_ends().unwrap();
        let half = (n / 2) as f64;
        // 180 degrees / phi, written out independently of the code's constant.
        let step = 111.246_117_974_981_f64.to_radians();
        for j in [0usize, 1, 2, 5, 13] {
            let theta = j as f64 * step;
            let (s, c) = theta.sin_cos();
            let start = if j == 0 { 0 } else { ends[j - 1] };
            let line = &order.points()[start..ends[j]];
            assert!(!line.is_empty());
            // Every new point of line j is within half a diagonal of the line.
            for &i in line {
                let (y, x) = ((i / n) as f64 - half, (i % n) as f64 - half);
                let dist = (x * s - y * c).abs();
                assert!(
                    dist <= 0.5 * 2f64.sqrt() + 1e-9,
                    "line {j}: ({y}, {x}) off by {dist}"
                );
            }
            // The points at radius n/4 in both directions are sampled once line j is.
            let m = mask(
                Pattern::Radial,
                n,
                ends[j] as f64 / (n * n) as f64,
                0,
                &defaults(),
            )
            .unwrap();
            for t in [-(n as f64) / 4.0, n as f64 / 4.0] {
                let r = ((t * s).round() + half) as usize;
                let col = ((t * c).round() + half) as usize;
                assert!(m.contains_centred(r, col), "line {j} misses ({r}, {col})");
            }
        }
        // Line 0 is the kx axis: the row of the zero frequency, the zero frequency included.
        assert_eq!(ends[0], n);
        let m = mask(Pattern::Radial, n, 0.01, 0, &defaults()).unwrap();
        assert!(m.contains_centred(n / 2, n / 2));
        assert!((0..n).all(|c| m.contains_centred(n / 2, c)));
    }

    #[test]
    fn radial_lines_alone_cover_k_space() {
        // The fill-in safety net is never used: the full order is made of real lines, and
        // no line has 2n or more points.
        for n in [63, 64, 128, 256] {
            let order = SamplingOrder::new(Pattern::Radial, n, 0, &defaults()).unwrap();
            let ends = order.line_ends().unwrap();
            assert_eq!(*ends.last().unwrap(), n * n);
            assert!(ends.len() < 4 * n, "n = {n}: {} lines", ends.len());
            let longest = ends
                .iter()
                .scan(0, |prev, &e| {
                    let len = e - *prev;
                    *prev = e;
                    Some(len)
                })
                .max()
                .unwrap();
            assert!(longest < 2 * n, "n = {n}: a line of {longest} points");
        }
    }

    #[test]
    fn same_seed_same_mask_different_seed_different_mask() {
        for p in GENERATED {
            let a = mask(p, 64, 0.25, 11, &defaults()).unwrap();
            let b = mask(p, 64, 0.25, 11, &defaults()).unwrap();
            let c = mask(p, 64, 0.25, 12, &defaults()).unwrap();
            assert_eq!(a, b, "{p}");
            if p == Pattern::Radial {
                assert_eq!(a, c, "radial has no randomness");
            } else {
                assert_ne!(a, c, "{p}");
            }
        }
    }

    /// FNV-1a over the sampled centred indices: a fingerprint of a mask.
    fn fingerprint(m: &Mask) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for (i, _) in m.bits().iter().enumerate().filter(|(_, &s)| s) {
            for b in (i as u32).to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    }

    #[test]
    fn masks_are_pinned() {
        // Links store (pattern, n, rate, seed): the masks they name must never change, on any
        // platform (these values hold natively and in WebAssembly).
        let pinned: [u64; 6] = [
            0xc5c8_619d_c363_29f4,
            0xe165_c64c_2deb_8e83,
            0x6e34_76f0_5756_dc58,
            0x0e66_a943_b91e_4ea5,
            0x9c20_66ac_48c8_bfd4,
            0xf0a9_45a4_e0dd_af05,
        ];
        let got = GENERATED.map(|p| fingerprint(&mask(p, 128, 0.25, 2024, &defaults()).unwrap()));
        assert_eq!(got, pinned, "a pattern changed (order: {GENERATED:?})");
    }

    #[test]
    fn fft_indices_put_the_zero_frequency_first() {
        let n = 8;
        let mut bits = vec![false; n * n];
        bits[(n / 2) * n + n / 2] = true; // frequency (0, 0)
        bits[(n / 2) * n + n / 2 + 1] = true; // (0, 1)
        bits[(n / 2 - 1) * n + n / 2] = true; // (-1, 0)
        bits[0] = true; // (-4, -4)
        let m = Mask::from_bits(n, bits).unwrap();
        assert_eq!(m.fft_indices(), vec![0, 1, 4 * n + 4, (n - 1) * n]);
        // A generated mask drives the operator: one measurement per sample.
        let m = mask(Pattern::VariableDensity, 32, 0.3, 2, &defaults()).unwrap();
        let a = SubsampledFourier::new(32, m.fft_indices()).unwrap();
        assert_eq!(a.indices().len(), m.count());
        assert!((a.rate() - m.rate()).abs() < 1e-15);
    }

    #[test]
    fn bad_inputs_are_refused_with_a_message() {
        let p = defaults();
        for rate in [0.0, -0.1, 1.01, f64::NAN, f64::INFINITY] {
            let err = mask(Pattern::VariableDensity, 64, rate, 0, &p).unwrap_err();
            assert!(err.contains("rate"), "{err}");
        }
        for n in [0, 1, MAX_SIDE + 1] {
            assert!(mask(Pattern::Uniform, n, 0.5, 0, &p)
                .unwrap_err()
                .contains("side"));
            assert!(Mask::from_bits(n, vec![false; n * n]).is_err());
            assert!(Mask::from_token(n, "AA").is_err());
        }
        let err = mask(Pattern::Painted, 64, 0.5, 0, &p).unwrap_err();
        assert!(err.contains("painted"), "{err}");
        assert!(SamplingOrder::new(Pattern::Painted, 64, 0, &p).is_err());
        let bad = [
            MaskParams { alpha: -1.0, ..p },
            MaskParams {
                alpha: f64::NAN,
                ..p
            },
            MaskParams { sigma: 0.0, ..p },
            MaskParams {
                centre: f64::INFINITY,
                ..p
            },
            MaskParams { beta: -0.5, ..p },
            MaskParams { levels: 0, ..p },
            MaskParams { levels: 11, ..p },
        ];
        for q in bad {
            assert!(q.check().is_err(), "{q:?}");
            assert!(mask(Pattern::Gaussian, 64, 0.5, 0, &q).is_err());
        }
        let err = Mask::from_bits(4, vec![true; 15]).unwrap_err();
        assert!(err.contains("16"), "{err}");
        assert!(Mask::from_grey(4, &[0; 17]).is_err());
    }

    #[test]
    fn grey_values_above_127_are_sampled() {
        let pixels = [0u8, 127, 128, 255];
        let m = Mask::from_grey(2, &pixels).unwrap();
        assert_eq!(m.bits(), &[false, false, true, true]);
        assert_eq!(m.to_grey(), vec![0, 0, 255, 255]);
        assert_eq!(Mask::from_grey(2, &m.to_grey()).unwrap(), m);
        assert!(!m.contains_centred(2, 0) && !m.contains_centred(0, 7));
    }

    #[test]
    fn base64url_known_answers() {
        assert_eq!(base64url_encode(b"Man"), "TWFu");
        assert_eq!(base64url_encode(b"Ma"), "TWE");
        assert_eq!(base64url_encode(b"M"), "TQ");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_encode(&[]), "");
        for s in ["TWFu", "TWE", "TQ", "-_8", ""] {
            assert_eq!(base64url_encode(&base64url_decode(s).unwrap()), s);
        }
        let mut v = Vec::new();
        push_varint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
        assert_eq!(read_varint(&v, 0).unwrap(), (300, 2));
    }

    #[test]
    fn tokens_spell_out_the_runs() {
        // Runs 1, 2, 1 (unsampled first): bytes 01 02 01.
        let m = Mask::from_bits(2, vec![false, true, true, false]).unwrap();
        assert_eq!(m.to_token(), "AQIB");
        // Starting with a sample: an empty first run, bytes 00 01 03.
        let m = Mask::from_bits(2, vec![true, false, false, false]).unwrap();
        assert_eq!(m.to_token(), "AAED");
        assert_eq!(Mask::from_token(2, "AAED").unwrap(), m);
    }

    #[test]
    fn tokens_round_trip_exactly() {
        let mut rng = Rng::new(77);
        for n in [64, 128, 256] {
            let mut masks = vec![
                Mask::from_bits(n, vec![false; n * n]).unwrap(),
                Mask::from_bits(n, vec![true; n * n]).unwrap(),
                Mask::from_bits(n, (0..n * n).map(|i| (i / n + i % n) % 2 == 0).collect()).unwrap(),
                // A painted mask: random strokes of random length.
                Mask::from_bits(n, (0..n * n).map(|_| rng.uniform() < 0.3).collect()).unwrap(),
            ];
            for p in GENERATED {
                masks.push(mask(p, n, 0.25, 6, &defaults()).unwrap());
                masks.push(mask(p, n, 0.01, 6, &defaults()).unwrap());
            }
            for m in masks {
                let token = m.to_token();
                assert!(token.chars().all(|c| sextet(c).is_some()));
                assert_eq!(Mask::from_token(n, &token).unwrap(), m);
            }
        }
    }

    #[test]
    fn token_lengths_of_typical_masks() {
        let n = 128;
        let mut lengths = Vec::new();
        for p in GENERATED {
            let len = mask(p, n, 0.25, 1, &defaults()).unwrap().to_token().len();
            println!("{p} 25 % at {n}: {len} characters");
            lengths.push((p, len));
        }
        let vd = lengths[0].1;
        // About one byte per run, 4/3 characters per byte: between 1 and 2 runs per sample.
        assert!(
            (4000..12000).contains(&vd),
            "variable-density token: {vd} characters"
        );
        // Whole rows compress to a few bytes each.
        let cartesian = lengths[3].1;
        assert!(cartesian < 200, "cartesian token: {cartesian} characters");
    }

    #[test]
    fn garbage_tokens_are_refused_with_a_message() {
        let n = 4;
        let enc = |bytes: &[u8]| base64url_encode(bytes);
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "cover 0 of the 16"),
            ("AQI=".to_string(), "not base64url"),
            ("AQ IB".to_string(), "not base64url"),
            ("é".to_string(), "not base64url"),
            ("AQIBA".to_string(), "4k + 1"),
            ("AR".to_string(), "bits set"),
            (enc(&[16, 1]), "more than"),
            (enc(&[15]), "cover 15 of"),
            (enc(&[5, 0, 11]), "run 2 is empty"),
            (enc(&[5, 0x80]), "ends inside"),
            (enc(&[0x90, 0x00]), "superfluous"),
            (enc(&[0xff; 11]), "longer than 8 bytes"),
            (
                enc(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
                "more than",
            ),
            (enc(&[16, 0]), "empty"),
        ];
        for (token, want) in cases {
            let err = Mask::from_token(n, &token).unwrap_err();
            assert!(err.starts_with("mask token: "), "{token:?}: {err}");
            assert!(err.contains(want), "{token:?}: {err}");
        }
        // A token for another size.
        let token = mask(Pattern::Uniform, 64, 0.1, 0, &defaults())
            .unwrap()
            .to_token();
        assert!(Mask::from_token(128, &token)
            .unwrap_err()
            .contains("another size"));
        assert!(Mask::from_token(32, &token)
            .unwrap_err()
            .contains("another size"));
    }

    #[test]
    fn random_text_never_panics_and_what_decodes_is_canonical() {
        let mut rng = Rng::new(99);
        let alphabet: Vec<char> =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ é"
                .chars()
                .collect();
        let mut decoded = 0;
        for round in 0..3000 {
            let token: String = if round % 2 == 0 {
                // Arbitrary characters.
                let len = rng.below(12);
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect()
            } else {
                // Runs that add up to 16 (a real 4 x 4 mask), often damaged: a byte changed,
                // dropped or added.
                let mut bytes = Vec::new();
                if rng.below(2) == 0 {
                    push_varint(&mut bytes, 0);
                }
                let mut left = 16;
                while left > 0 {
                    let run = 1 + rng.below(left);
                    push_varint(&mut bytes, run as u64);
                    left -= run;
                }
                match rng.below(4) {
                    0 => {
                        let k = rng.below(bytes.len());
                        bytes[k] = rng.below(256) as u8;
                    }
                    1 => {
                        bytes.pop();
                    }
                    2 => bytes.push(rng.below(256) as u8),
                    _ => {}
                }
                base64url_encode(&bytes)
            };
            match Mask::from_token(4, &token) {
                Ok(m) => {
                    decoded += 1;
                    assert_eq!(m.to_token(), token, "not canonical");
                }
                Err(e) => assert!(e.starts_with("mask token: "), "{token:?}: {e}"),
            }
        }
        assert!(decoded > 300, "only {decoded} tokens decoded");
    }
}
