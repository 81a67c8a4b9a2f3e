//! The troublesome kernel in one dimension (Gottschling, Antun, Adcock, Hansen, "The
//! troublesome kernel: on hallucinations, no free lunches and the accuracy-stability
//! trade-off in inverse problems", SIAM Review 2025, arXiv:2001.01258, the 1-D example):
//! training a network to be accurate on two signals whose measurements nearly agree forces
//! it to be unstable.
//!
//! **Signals** ([`signal`]): piecewise cubic polynomials on N points with one to three jumps,
//! seeded. **Measurements** y = A x, A = P_Omega F: F the unitary 1-D DFT,
//! (F x)_k = N^{-1/2} sum_t x_t e^{-2 pi i k t / N}, and P_Omega keeps the frequencies in
//! Omega ([`Dft1d`]). Omega is symmetric under k -> -k ([`sampling_pattern`]: the zero
//! frequency, a dense low band, and pairs spaced geometrically above it, a variable density
//! as scanners use), so that A* A is a *real* orthogonal projection P on real signals:
//! A A* = I, and for real x, A* A x = P x is real. The row space (where P = I) has an
//! orthonormal real basis B of cosines and sines ([`Dft1d::row_basis`]), P = B B^T.
//!
//! **The tumour** ([`Tumour`]): a narrow bump w at a fixed position, the Ricker wavelet
//! (1 - d^2 / s^2) e^{-d^2 / (2 s^2)} (a bright centre with a dark rim), s = 1 sample. Its
//! invisible and visible parts, normalised,
//!
//! ```text
//! u = (w - P w) / ||w - P w||   (A u = 0: in the kernel)
//! v = P w / ||P w||             (||A v|| = ||v|| = 1: in the row space)
//! z = a (sqrt(1 - delta^2) u + delta v),
//! ```
//!
//! give, since u and v are orthogonal unit vectors and A u = 0, ||z|| = a and
//! ||A z|| = a delta ||A v|| = delta ||z||, exactly (the delta slider).
//!
//! Why that bump: a method can only tell x + z from x by the component a delta along v, so
//! it can be accurate on both only if natural signals vary little along v given the rest of
//! their measurements. For a Gaussian bump (sigma = 1) most of w is visible and v is mostly
//! low frequencies, where piecewise cubics vary most: the best linear detector of a delta v
//! among 4,096 signals separated the two classes by d' = 1.2 standard deviations at
//! ||z|| = 3 and delta = 0.05 (measured while designing the demo), and a network trained
//! with pairs did not learn the tumour (its error on x + z fell by a fifth). The Ricker bump
//! has no mean and 37 % of it visible, at higher frequencies: d' = 4.1, and the network
//! learns it (the tests).
//!
//! **The bound** ([`lipschitz_bound`]): if a method Psi is eta-accurate on both x and x + z,
//! ||Psi(A x) - x|| <= eta and ||Psi(A(x + z)) - (x + z)|| <= eta, the triangle inequality
//! gives ||Psi(A(x + z)) - Psi(A x)|| >= ||z|| - 2 eta, so its local Lipschitz constant over
//! the measurements is at least (||z|| - 2 eta) / ||A z|| = (||z|| - 2 eta) / (delta ||z||)
//! (the paper's accuracy-stability trade-off; [`crate::kernel_awareness`] for the 2-D page).
//!
//! **The network** ([`KernelNet`]): Psi(y) = A* y + MLP(c), c = B^T Re(A* y) the
//! coordinates of A* y in the row space (the same information as A* y, |Omega| numbers
//! instead of N), a tanh MLP whose last layer starts at zero (so Psi starts as A* y), trained
//! by Adam on ||Psi(A x) - x||^2 / N ([`Trainer`]). With "kernel-aware pairs" some training
//! signals also appear as x + z: the network can only tell x + z from x by the component
//! a delta v, so being accurate on both needs a gain of about 1 / delta along v: the
//! instability the lab's test ([`crate::instability`]) then finds on signals it never saw.
//! Its vector-Jacobian product ([`NetMap`]) lets the test attack it.
//!
//! **The stable reference** ([`tv_map`]): the square-root LASSO with 1-D total variation,
//! min_x lambda TV(x) + ||A x - y||_2, TV(x) = sum_t |x_{t+1} - x_t|, by the lab's
//! Chambolle-Pock with its VJP ([`ChambollePockMap::from_problem`]): the 1-D forward
//! difference ([`Difference1d`]) stacked with zeros as the gradient's "[h; v]" pair, so the
//! isotropic TV sqrt(h^2 + 0^2) = |h| is the 1-D TV exactly.
//!
//! Sizes: the paper uses N = 512. Here N = 128 at about 25 % ([`N`], [`PAIRS`]): the signals
//! still show cubic pieces, jumps and a tumour a few samples wide, while the network (33
//! inputs, two hidden layers of [`HIDDEN`], 128 outputs, 15k weights) trains on 1,024
//! signals (+ 256 pairs) for 60 epochs in about a second natively (a few in the browser).

use crate::nn::{Activation, Network, Optimizer, OptimizerKind};
use crate::operators::{complex, LinearOperator, C64};
use crate::recon::map::{ReconMap, Vjp};
use crate::recon::vjp::ChambollePockMap;
use crate::rng::Rng;
use crate::solvers::primal_dual::{Regulariser, SqrtLasso};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use std::f64::consts::PI;
use std::sync::Arc;

/// Points per signal.
pub const N: usize = 128;
/// Conjugate pairs +-k sampled besides k = 0: |Omega| = 2 PAIRS + 1 = 33 of 128 (25.8 %).
pub const PAIRS: usize = 16;
/// Of those, the dense low band k = 1..=DENSE; the rest are spaced geometrically above it.
pub const DENSE: usize = 8;
/// Hidden units per layer of the network.
pub const HIDDEN: usize = 64;

// ---------------------------------------------------------------------------------------
// The measurements.

/// Omega for signals of length n: k = 0, the pairs +-1..+-dense, and `pairs - dense` more
/// pairs +-k with k spaced geometrically from dense + 1 to n / 2 - 1 (rounded, distinct), as
/// FFT indices (k and n - k), sorted. Symmetric under k -> -k by construction.
pub fn sampling_pattern(n: usize, pairs: usize, dense: usize) -> Result<Vec<usize>, String> {
    if n < 4 || dense > pairs || pairs > n / 2 - 1 {
        return Err(format!(
            "cannot sample {pairs} pairs ({dense} dense) of a signal of length {n}"
        ));
    }
    let mut ks: Vec<usize> = (1..=dense).collect();
    let rest = pairs - dense;
    let (lo, hi) = ((dense + 1) as f64, (n / 2 - 1) as f64);
    for j in 0..rest {
        let t = if rest == 1 {
            0.0
        } else {
            j as f64 / (rest - 1) as f64
        };
        let mut k = (lo * (hi / lo).powf(t)).round() as usize;
        // Distinct and increasing (the low end of a geometric ladder can round together).
        while ks.last().is_some_and(|&last| k <= last) {
            k += 1;
        }
        if k > n / 2 - 1 {
            return Err(format!("{pairs} pairs do not fit a signal of length {n}"));
        }
        ks.push(k);
    }
    let mut idx = vec![0];
    for &k in &ks {
        idx.push(k);
        idx.push(n - k);
    }
    idx.sort_unstable();
    Ok(idx)
}

/// A = P_Omega F on C^n: the unitary 1-D DFT's rows k in Omega,
/// (A x)_j = n^{-1/2} sum_t x_t e^{-2 pi i k_j t / n}, a direct sum over a table of the rows
/// (built from the n roots of unity indexed by k t mod n, so conjugate rows are exactly
/// conjugate; at n = 128 and 33 rows a product costs about as much as an FFT). Rows of a unitary matrix: A A* = I and ||A|| = 1.
#[derive(Clone, Debug)]
pub struct Dft1d {
    n: usize,
    freqs: Vec<usize>,
    /// Row j of A, n^{-1/2} e^{-2 pi i k_j t / n} for t = 0..n, rows one after another.
    rows: Vec<C64>,
}

impl Dft1d {
    /// Rows `freqs` (FFT indices in 0..n, distinct) of the unitary DFT of length n.
    pub fn new(n: usize, freqs: Vec<usize>) -> Result<Self, String> {
        if n == 0 || freqs.is_empty() {
            return Err("the DFT needs a length and at least one frequency".into());
        }
        let mut sorted = freqs.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) || sorted[sorted.len() - 1] >= n {
            return Err(format!("the frequencies must be distinct and below {n}"));
        }
        let s = 1.0 / (n as f64).sqrt();
        let roots: Vec<C64> = (0..n)
            .map(|j| {
                let th = -2.0 * PI * j as f64 / n as f64;
                C64::new(s * th.cos(), s * th.sin())
            })
            .collect();
        let rows = freqs
            .iter()
            .flat_map(|&k| (0..n).map(move |t| (k * t) % n))
            .map(|j| roots[j])
            .collect();
        Ok(Self { n, freqs, rows })
    }

    /// The demo's operator: n = [`N`], Omega = [`sampling_pattern`]`(N, PAIRS, DENSE)`.
    pub fn demo() -> Self {
        Self::new(
            N,
            sampling_pattern(N, PAIRS, DENSE).expect("the demo's pattern fits"),
        )
        .expect("the demo's pattern is valid")
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Omega, as FFT indices.
    pub fn freqs(&self) -> &[usize] {
        &self.freqs
    }

    /// |Omega| / n.
    pub fn rate(&self) -> f64 {
        self.freqs.len() as f64 / self.n as f64
    }

    /// Whether Omega is closed under k -> n - k (then A* A maps real signals to real ones).
    pub fn is_symmetric(&self) -> bool {
        self.freqs
            .iter()
            .all(|&k| self.freqs.contains(&((self.n - k) % self.n)))
    }

    /// An orthonormal real basis of the row space {x real : P x = x} (n x |Omega|, one
    /// column per frequency): the constant n^{-1/2} for k = 0, sqrt(2/n) cos(2 pi k t / n)
    /// and sqrt(2/n) sin(2 pi k t / n) for each pair +-k, and n^{-1/2} (-1)^t for k = n / 2.
    /// Err unless Omega is symmetric.
    pub fn row_basis(&self) -> Result<Array2<f64>, String> {
        if !self.is_symmetric() {
            return Err("Omega is not symmetric: A* A is not real".into());
        }
        let n = self.n;
        let mut cols: Vec<Array1<f64>> = Vec::with_capacity(self.freqs.len());
        let (c0, c1) = ((1.0 / n as f64).sqrt(), (2.0 / n as f64).sqrt());
        for &k in &self.freqs {
            let angle = |t: usize| 2.0 * PI * ((k * t) % n) as f64 / n as f64;
            if k == 0 {
                cols.push(Array1::from_elem(n, c0));
            } else if 2 * k == n {
                cols.push(Array1::from_shape_fn(
                    n,
                    |t| {
                        if t % 2 == 0 {
                            c0
                        } else {
                            -c0
                        }
                    },
                ));
            } else if 2 * k < n {
                cols.push(Array1::from_shape_fn(n, |t| c1 * angle(t).cos()));
                cols.push(Array1::from_shape_fn(n, |t| c1 * angle(t).sin()));
            }
        }
        let mut b = Array2::zeros((n, cols.len()));
        for (j, c) in cols.iter().enumerate() {
            b.column_mut(j).assign(c);
        }
        Ok(b)
    }
}

impl LinearOperator for Dft1d {
    fn dim_in(&self) -> usize {
        self.n
    }
    fn dim_out(&self) -> usize {
        self.freqs.len()
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        assert_eq!(x.len(), self.n, "the signal has the wrong length");
        let x = x.as_standard_layout();
        let x = x.as_slice().expect("contiguous");
        self.rows
            .chunks_exact(self.n)
            .map(|row| row.iter().zip(x).map(|(a, v)| a * v).sum())
            .collect()
    }
    fn adjoint(&self, y: ArrayView1<C64>) -> Array1<C64> {
        assert_eq!(y.len(), self.freqs.len(), "the data have the wrong length");
        let mut x = vec![C64::new(0.0, 0.0); self.n];
        for (row, v) in self.rows.chunks_exact(self.n).zip(y) {
            for (o, a) in x.iter_mut().zip(row) {
                *o += a.conj() * v;
            }
        }
        Array1::from(x)
    }
    /// Rows of a unitary matrix: exactly 1.
    fn norm(&self) -> f64 {
        1.0
    }
}

/// The 1-D forward difference with the "[h; v]" layout of the lab's 2-D gradient: the first
/// n outputs are h_t = x_{t+1} - x_t (t < n - 1) and h_{n-1} = 0 (no wrap-around: the signals
/// are not periodic), the next n are 0. So the isotropic TV of [`Regulariser::Tv`],
/// sum_t sqrt(h_t^2 + v_t^2), is sum_t |x_{t+1} - x_t|, the 1-D TV, exactly. The adjoint is
/// (D* p)_s = p_{s-1} [s >= 1] - p_s [s <= n - 2] (the second half of p unused), and
/// ||D|| = 2 cos(pi / (2n)) (the largest singular value of the path graph's incidence
/// matrix: D^T D has eigenvalues 2 - 2 cos(pi j / n), j = 0..n-1).
#[derive(Clone, Copy, Debug)]
pub struct Difference1d {
    pub n: usize,
}

impl LinearOperator for Difference1d {
    fn dim_in(&self) -> usize {
        self.n
    }
    fn dim_out(&self) -> usize {
        2 * self.n
    }
    fn apply(&self, x: ArrayView1<C64>) -> Array1<C64> {
        let n = self.n;
        Array1::from_shape_fn(2 * n, |t| {
            if t + 1 < n {
                x[t + 1] - x[t]
            } else {
                C64::new(0.0, 0.0)
            }
        })
    }
    fn adjoint(&self, p: ArrayView1<C64>) -> Array1<C64> {
        let n = self.n;
        Array1::from_shape_fn(n, |s| {
            let mut v = C64::new(0.0, 0.0);
            if s >= 1 {
                v += p[s - 1];
            }
            if s + 2 <= n {
                v -= p[s];
            }
            v
        })
    }
    fn norm(&self) -> f64 {
        2.0 * (PI / (2.0 * self.n as f64)).cos()
    }
}

// ---------------------------------------------------------------------------------------
// Signals and the tumour.

/// A piecewise cubic signal of length n: one to three jumps at random positions (pieces at
/// least n / 8 long), each piece the cubic through four values drawn uniformly from
/// [0.1, 0.9] at its quarter points (Lagrange interpolation), so the values stay near
/// [0, 1] and the jumps are of random size.
pub fn signal(n: usize, rng: &mut Rng) -> Array1<f64> {
    let jumps = 1 + rng.below(3);
    let min_len = (n / 8).max(2);
    // Breakpoints: retry until the pieces are long enough (a few draws at most).
    let mut cuts: Vec<usize>;
    loop {
        cuts = (0..jumps)
            .map(|_| min_len + rng.below(n - 2 * min_len))
            .collect();
        cuts.sort_unstable();
        let mut edges = vec![0];
        edges.extend(&cuts);
        edges.push(n);
        if edges.windows(2).all(|w| w[1] - w[0] >= min_len) {
            break;
        }
    }
    let mut x = Array1::zeros(n);
    let mut start = 0;
    for end in cuts.iter().copied().chain([n]) {
        let vals: [f64; 4] = std::array::from_fn(|_| rng.uniform_in(0.1, 0.9));
        // Nodes at tau = -1, -1/3, 1/3, 1 over the piece.
        let nodes = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
        let len = (end - start) as f64;
        for t in start..end {
            let tau = if len > 1.0 {
                -1.0 + 2.0 * (t - start) as f64 / (len - 1.0)
            } else {
                0.0
            };
            let mut v = 0.0;
            for (i, &ni) in nodes.iter().enumerate() {
                let mut l = 1.0;
                for (j, &nj) in nodes.iter().enumerate() {
                    if i != j {
                        l *= (tau - nj) / (ni - nj);
                    }
                }
                v += vals[i] * l;
            }
            x[t] = v;
        }
        start = end;
    }
    x
}

/// `count` signals of length n from the seed, one per row.
pub fn signals(n: usize, count: usize, seed: u64) -> Array2<f64> {
    let mut rng = Rng::new(seed);
    let mut out = Array2::zeros((count, n));
    for mut row in out.rows_mut() {
        row.assign(&signal(n, &mut rng));
    }
    out
}

/// Where the tumour sits (as a fraction of the signal), its width (sigma of the Ricker
/// wavelet, in samples) and its norm ||z|| = a (its peak is then about 2.6 on signals
/// within about [0, 1]: a bright spot with a dark rim).
pub const TUMOUR_AT: f64 = 0.7;
pub const TUMOUR_WIDTH: f64 = 1.0;
pub const TUMOUR_NORM: f64 = 3.0;

/// The tumour and its parts (see the module notes): z = a (sqrt(1 - delta^2) u + delta v),
/// ||z|| = a, ||A z|| = delta a.
#[derive(Clone, Debug)]
pub struct Tumour {
    /// The bump w (peak 1).
    pub w: Array1<f64>,
    /// (w - P w) / ||w - P w||, in the kernel.
    pub u: Array1<f64>,
    /// P w / ||P w||, in the row space.
    pub v: Array1<f64>,
    pub z: Array1<f64>,
    pub delta: f64,
    /// a = ||z||.
    pub norm: f64,
}

impl Tumour {
    /// The bump exp(-(t - at n)^2 / (2 width^2)) and its z for `delta` in [0, 1] and norm
    /// `norm` > 0, measured by `a` (a symmetric Omega: P = Re A* A).
    pub fn new(a: &Dft1d, at: f64, width: f64, delta: f64, norm: f64) -> Result<Self, String> {
        if !(delta.is_finite() && (0.0..=1.0).contains(&delta)) {
            return Err(format!("delta must be in [0, 1], not {delta}"));
        }
        if !(norm.is_finite() && norm > 0.0 && width.is_finite() && width > 0.0) {
            return Err("the tumour needs a positive norm and width".into());
        }
        if !(at.is_finite() && (0.0..1.0).contains(&at)) {
            return Err(format!("the tumour's position must be in [0, 1), not {at}"));
        }
        if !a.is_symmetric() {
            return Err("Omega is not symmetric: A* A is not real".into());
        }
        let n = a.len();
        let c = at * n as f64;
        let w = Array1::from_shape_fn(n, |t| {
            let d2 = ((t as f64 - c) / width).powi(2);
            (1.0 - d2) * (-d2 / 2.0).exp()
        });
        let pw = project(a, w.view());
        let kernel = &w - &pw;
        let (nk, nv) = (norm2(&kernel), norm2(&pw));
        if nk == 0.0 || nv == 0.0 {
            return Err("the bump lies wholly in the kernel or the row space".into());
        }
        let u = kernel / nk;
        let v = pw / nv;
        let z = (&u * (1.0 - delta * delta).sqrt() + &v * delta) * norm;
        Ok(Self {
            w,
            u,
            v,
            z,
            delta,
            norm,
        })
    }

    /// The demo's tumour ([`TUMOUR_AT`], [`TUMOUR_WIDTH`], [`TUMOUR_NORM`]) at `delta`.
    pub fn demo(a: &Dft1d, delta: f64) -> Result<Self, String> {
        Self::new(a, TUMOUR_AT, TUMOUR_WIDTH, delta, TUMOUR_NORM)
    }

    /// ||A z|| = delta ||z||, the closed form.
    pub fn measured_norm(&self) -> f64 {
        self.delta * self.norm
    }
}

/// P x = Re(A* A x), the part of a real signal that the measurements see.
pub fn project(a: &Dft1d, x: ArrayView1<f64>) -> Array1<f64> {
    a.adjoint(a.apply(complex(x).view()).view()).mapv(|z| z.re)
}

/// ||x||_2.
pub fn norm2(x: &Array1<f64>) -> f64 {
    x.dot(x).sqrt()
}

/// The lower bound (||z|| - 2 eta) / ||A z|| on the local Lipschitz constant (over the
/// measurements) of any method eta-accurate on both x and x + z; None when ||z|| <= 2 eta
/// (the bound says nothing), infinite when ||A z|| = 0 < ||z|| - 2 eta.
pub fn lipschitz_bound(z_norm: f64, eta: f64, az_norm: f64) -> Option<f64> {
    let gap = z_norm - 2.0 * eta;
    (gap > 0.0).then(|| {
        if az_norm > 0.0 {
            gap / az_norm
        } else {
            f64::INFINITY
        }
    })
}

// ---------------------------------------------------------------------------------------
// The network.

/// Psi(y) = Re(A* y) + MLP(c), c = B^T Re(A* y) (see the module notes). `basis` is B
/// (n x |Omega|), `net` the MLP |Omega| -> hidden -> hidden -> n.
#[derive(Clone, Debug)]
pub struct KernelNet {
    pub a: Arc<Dft1d>,
    pub basis: Array2<f64>,
    pub net: Network,
}

impl KernelNet {
    /// A fresh network: tanh layers of `hidden` units with the lab's initial scales, and the
    /// last layer zero (so Psi starts as A* y, the zero-filled reconstruction).
    pub fn new(a: Arc<Dft1d>, hidden: usize, rng: &mut Rng) -> Result<Self, String> {
        if !(1..=4096).contains(&hidden) {
            return Err(format!("hidden must be 1 to 4096 units, not {hidden}"));
        }
        let basis = a.row_basis()?;
        let m = basis.ncols();
        let mut net = Network::mlp(&[m, hidden, hidden, a.len()], Activation::Tanh, rng);
        net.dense_mut(2).w.fill(0.0);
        Ok(Self { a, basis, net })
    }

    /// Re(A* y), one row per measurement vector.
    fn zero_filled(&self, ys: &[ArrayView1<C64>]) -> Array2<f64> {
        let mut s = Array2::zeros((ys.len(), self.a.len()));
        for (mut row, y) in s.rows_mut().into_iter().zip(ys) {
            row.assign(&self.a.adjoint(*y).mapv(|z| z.re));
        }
        s
    }

    /// Psi for a batch of zero-filled signals s = Re(A* y) (one per row): s + MLP(s B).
    pub fn apply_zero_filled(&self, s: ArrayView2<f64>) -> Array2<f64> {
        let c = s.dot(&self.basis);
        &self.net.logits_batch(c.view()) + &s
    }

    /// Psi(y).
    pub fn apply(&self, y: ArrayView1<C64>) -> Array1<f64> {
        let s = self.zero_filled(&[y]);
        self.apply_zero_filled(s.view()).row(0).to_owned()
    }

    /// The mean loss (1 / batch) sum_b ||Psi_b - x_b||^2 / n over zero-filled inputs `s` and
    /// targets `x` (one per row), and its gradient with respect to the weights (the MLP's
    /// layers; the skip has none): dL/dPsi_b = 2 (Psi_b - x_b) / (n batch), backpropagated
    /// through the MLP.
    pub fn loss_and_grad(
        &self,
        s: ArrayView2<f64>,
        x: ArrayView2<f64>,
    ) -> (f64, crate::nn::network::Gradient) {
        let c = s.dot(&self.basis);
        let fw = self.net.forward(c.view());
        let mut g = &fw.output + &s - x;
        let scale = (s.nrows() * s.ncols()) as f64;
        let loss = g.iter().map(|v| v * v).sum::<f64>() / scale;
        g.mapv_inplace(|v| 2.0 * v / scale);
        (loss, self.net.weight_gradient(&fw, g.view()))
    }
}

/// The trained network as a reconstruction map for the instability test. Its input is real
/// linear in y: y -> s = Re(A* y) -> c = B^T s, whose adjoint (real inner product, as in
/// [`crate::recon::map`]) is c^ -> A (B c^): <Re(A* y), s^> = Re <y, A s^>. The output is
/// real, so only Re g reaches the network. J^T g = A (g_s + B J_MLP^T g_s), g_s = Re g.
pub struct NetMap {
    pub net: Arc<KernelNet>,
    pub name: String,
}

impl ReconMap for NetMap {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn dim_in(&self) -> usize {
        self.net.a.dim_out()
    }
    fn dim_out(&self) -> usize {
        self.net.a.len()
    }
    fn apply(&self, y: ArrayView1<C64>) -> Array1<C64> {
        complex(self.net.apply(y).view())
    }
    fn apply_vjp(&self, y: ArrayView1<C64>) -> (Array1<C64>, Vjp<'_>) {
        let k = &self.net;
        let s = k.zero_filled(&[y]);
        let c = s.dot(&k.basis);
        let fw = k.net.forward(c.view());
        let out = (&fw.output + &s).row(0).mapv(|v| C64::new(v, 0.0));
        (
            out,
            Box::new(move |g| {
                let gs = Array2::from_shape_fn((1, g.len()), |(_, i)| g[i].re);
                let (_, gc) = k.net.backward(&fw, gs.view(), false);
                let back = &gs.row(0) + &k.basis.dot(&gc.row(0));
                k.a.apply(complex(back.view()).view())
            }),
        )
    }
}

/// Training settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSettings {
    pub hidden: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            hidden: HIDDEN,
            batch: 32,
            learning_rate: 3e-3,
            seed: 1,
        }
    }
}

/// Adam on the training pairs (zero-filled input s_i = P x_i, target x_i), a seeded
/// shuffle per epoch, mini-batches of `batch`.
pub struct Trainer {
    pub net: KernelNet,
    opt: Optimizer,
    /// Inputs and targets, one per row.
    inputs: Array2<f64>,
    targets: Array2<f64>,
    batch: usize,
    rng: Rng,
    epochs: usize,
    /// The mean loss of the last epoch.
    pub last_loss: f64,
}

impl Trainer {
    /// Trains on the real signals `targets` (one per row), measured by the network's A.
    pub fn new(net: KernelNet, targets: Array2<f64>, s: &TrainSettings) -> Result<Self, String> {
        if targets.ncols() != net.a.len() || targets.nrows() == 0 {
            return Err("the training signals do not fit the operator".into());
        }
        if s.batch == 0 || !(s.learning_rate.is_finite() && s.learning_rate > 0.0) {
            return Err("training needs a batch and a positive learning rate".into());
        }
        let mut inputs = Array2::zeros(targets.raw_dim());
        for (mut row, x) in inputs.rows_mut().into_iter().zip(targets.rows()) {
            row.assign(&project(&net.a, x));
        }
        Ok(Self {
            net,
            opt: Optimizer::new(OptimizerKind::Adam, s.learning_rate),
            inputs,
            targets,
            batch: s.batch,
            rng: Rng::new(s.seed ^ 0x7e57_ab1e),
            epochs: 0,
            last_loss: f64::NAN,
        })
    }

    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// One pass over the training pairs in a fresh seeded order.
    pub fn epoch(&mut self) {
        let count = self.targets.nrows();
        let mut order: Vec<usize> = (0..count).collect();
        self.rng.shuffle(&mut order);
        let mut total = 0.0;
        for chunk in order.chunks(self.batch) {
            let s = self.inputs.select(Axis(0), chunk);
            let x = self.targets.select(Axis(0), chunk);
            let (loss, grad) = self.net.loss_and_grad(s.view(), x.view());
            total += loss * chunk.len() as f64;
            let mut params = self.net.net.param_slices_mut();
            self.opt.step(&mut params, &grad.slices());
        }
        self.last_loss = total / count as f64;
        self.epochs += 1;
    }
}

// ---------------------------------------------------------------------------------------
// The stable reference.

/// Chambolle-Pock steps of the TV map.
pub const TV_ITERATIONS: usize = 300;
/// lambda of the 1-D TV square-root LASSO, the best of a grid on training signals (see the
/// test `tune_tv_lambda`).
pub const TV_LAMBDA: f64 = 0.5;

/// The square-root LASSO min_x lambda TV(x) + ||A x - y||_2 with the 1-D TV, solved by
/// `iterations` Chambolle-Pock steps from zero as the lab's [`ChambollePockMap`] runs it (on
/// the data scaled to norm 1, the last iterate), with its VJP.
pub fn tv_map(a: Arc<Dft1d>, lambda: f64, iterations: usize) -> ChambollePockMap {
    let n = a.len();
    let problem = SqrtLasso {
        b: a.clone(),
        y: Array1::zeros(a.dim_out()),
        reg: Regulariser::Tv {
            lambda,
            grad: Arc::new(Difference1d { n }),
        },
    };
    ChambollePockMap::from_problem("tv", &problem, iterations)
}

/// The PSNR of a 1-D estimate, the lab's ([`crate::recon::metrics::psnr`]: peak = max of the
/// reference).
pub fn psnr(reference: ArrayView1<f64>, estimate: ArrayView1<f64>) -> f64 {
    crate::recon::metrics::psnr(reference, estimate)
}

/// The rows a..b of a matrix as owned signals.
pub fn rows(m: &Array2<f64>, a: usize, b: usize) -> Array2<f64> {
    m.slice(s![a..b, ..]).to_owned()
}

// ---------------------------------------------------------------------------------------
// The experiment: data, scores, the instability test.

/// Training signals per run, and of them how many also enter as x + z with pairs on.
pub const TRAIN_SIGNALS: usize = 1024;
pub const PAIR_SIGNALS: usize = 256;
/// Held-out signals: scored with and without z; the first [`ATTACKED`] are attacked.
pub const TEST_SIGNALS: usize = 32;
pub const ATTACKED: usize = 8;

/// The seed of the held-out signals' stream (never trained or tuned on) for a state seed.
pub fn test_seed(seed: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x005E_ED0F_7E57
}

/// The training targets: `clean` (one per row), then x_i + z for the first `pairs` of them.
pub fn training_targets(clean: &Array2<f64>, z: &Array1<f64>, pairs: usize) -> Array2<f64> {
    let pairs = pairs.min(clean.nrows());
    let mut out = Array2::zeros((clean.nrows() + pairs, clean.ncols()));
    out.slice_mut(s![..clean.nrows(), ..]).assign(clean);
    for i in 0..pairs {
        out.row_mut(clean.nrows() + i).assign(&(&clean.row(i) + z));
    }
    out
}

/// How a map does on held-out signals, with and without the tumour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    /// Mean PSNR (dB) on x (no tumour).
    pub psnr_test: f64,
    /// Mean PSNR (dB) on x + z: the accuracy on the pairs.
    pub pair_accuracy: f64,
    /// Mean ||Psi(A(x + z)) - (x + z)|| / ||x + z||.
    pub pair_error: f64,
    /// Mean ||Psi(A x) - x|| / ||x||.
    pub test_error: f64,
    /// Mean ||(Psi(A(x + z)) - Psi(A x)) - z|| / ||z||: 1 when the tumour is missed, 0 when it
    /// is reconstructed exactly.
    pub tumour_error: f64,
}

/// The scores of `psi` (a real signal's measurements -> its estimate) on the rows of `test`.
pub fn scores(
    a: &Dft1d,
    psi: &dyn Fn(ArrayView1<C64>) -> Array1<f64>,
    test: &Array2<f64>,
    z: &Array1<f64>,
) -> Scores {
    let outs: Vec<_> = test
        .rows()
        .into_iter()
        .map(|x| outputs(a, psi, x, z))
        .collect();
    scores_of(test, z, &outs)
}

/// (Psi(A x), Psi(A(x + z))) for one signal.
pub fn outputs(
    a: &Dft1d,
    psi: &dyn Fn(ArrayView1<C64>) -> Array1<f64>,
    x: ArrayView1<f64>,
    z: &Array1<f64>,
) -> (Array1<f64>, Array1<f64>) {
    let xz = &x + z;
    (
        psi(a.apply(complex(x).view()).view()),
        psi(a.apply(complex(xz.view()).view()).view()),
    )
}

/// The scores from the outputs ([`outputs`]) on the rows of `test`, in order.
pub fn scores_of(
    test: &Array2<f64>,
    z: &Array1<f64>,
    outs: &[(Array1<f64>, Array1<f64>)],
) -> Scores {
    let count = test.nrows().max(1) as f64;
    let mut s = Scores {
        psnr_test: 0.0,
        pair_accuracy: 0.0,
        pair_error: 0.0,
        test_error: 0.0,
        tumour_error: 0.0,
    };
    let zn = norm2(z);
    for (x, (out, out_z)) in test.rows().into_iter().zip(outs) {
        let xz = &x + z;
        s.psnr_test += psnr(x, out.view());
        s.pair_accuracy += psnr(xz.view(), out_z.view());
        s.test_error += norm2(&(out - &x)) / norm2(&x.to_owned());
        s.pair_error += norm2(&(out_z - &xz)) / norm2(&xz);
        s.tumour_error += norm2(&(&(out_z - out) - z)) / zn;
    }
    s.psnr_test /= count;
    s.pair_accuracy /= count;
    s.pair_error /= count;
    s.test_error /= count;
    s.tumour_error /= count;
    s
}

/// The worst error eta = max(||Psi(A x) - x||, ||Psi(A(x + z)) - (x + z)||) of a method on
/// the pair (x, x + z), and the output gap ||Psi(A(x + z)) - Psi(A x)||.
pub fn pair_eta(
    a: &Dft1d,
    psi: &dyn Fn(ArrayView1<C64>) -> Array1<f64>,
    x: ArrayView1<f64>,
    z: &Array1<f64>,
) -> (f64, f64) {
    let xz = &x + z;
    let out = psi(a.apply(complex(x).view()).view());
    let out_z = psi(a.apply(complex(xz.view()).view()).view());
    let eta = norm2(&(&out - &x)).max(norm2(&(&out_z - &xz)));
    (eta, norm2(&(&out_z - &out)))
}

/// The instability test's settings here: ||r|| <= budget ||x|| from the start, r_0 of about
/// that size (tau = budget), steps eta = 0.5 with momentum 0.9 (the gradient of Q is about
/// 2 s^2 r for a map of gain s along r: a step of about ||r|| for s = 1, and for larger
/// gains the projection onto the ball turns the ascent into a power iteration), lambda =
/// 0.01 (negligible at these sizes of r), snapshots at the end.
pub fn attack_options(
    budget: f64,
    iterations: usize,
    seed: u64,
) -> crate::instability::InstabilityOptions {
    crate::instability::InstabilityOptions {
        lambda: 0.01,
        eta: 0.5,
        gamma: 0.9,
        tau: budget,
        iterations,
        snapshots: vec![iterations],
        ramp: 0,
        budget: Some(budget),
        seed,
    }
}

/// The worst-case amplification and its Lipschitz ratio ||Psi(A(x + r)) - Psi(A x)|| /
/// ||A r|| found by the lab's instability test on `map` at x (no noise).
pub fn attack(
    map: Arc<dyn ReconMap>,
    a: Arc<Dft1d>,
    x: &Array1<f64>,
    budget: f64,
    iterations: usize,
    seed: u64,
) -> Result<crate::instability::InstabilityReport, String> {
    let opts = attack_options(budget, iterations, seed);
    let mut t = crate::instability::InstabilityTest::new(map, a, x.clone(), None, opts)?;
    while !t.done() {
        t.step();
    }
    Ok(t.report())
}

/// Epochs of the default training.
pub const EPOCHS: usize = 60;
/// Gradient steps of the instability test in the evaluation.
pub const ATTACK_ITERATIONS: usize = 60;
/// Gradient steps of the cheap estimate traced during training.
pub const TRACE_ITERATIONS: usize = 20;

/// Everything a run is made of: A, the tumour at delta, the training and held-out signals
/// (independent seeded streams: the held-out ones are never trained or tuned on).
#[derive(Clone, Debug)]
pub struct Setup {
    pub a: Arc<Dft1d>,
    pub tumour: Tumour,
    pub train: Array2<f64>,
    pub test: Array2<f64>,
    pub seed: u64,
}

impl Setup {
    pub fn new(delta: f64, seed: u64) -> Result<Self, String> {
        let a = Arc::new(Dft1d::demo());
        let tumour = Tumour::demo(&a, delta)?;
        Ok(Self {
            tumour,
            train: signals(N, TRAIN_SIGNALS, seed),
            test: signals(N, TEST_SIGNALS, test_seed(seed)),
            a,
            seed,
        })
    }

    /// The budget ||r|| / ||x|| = delta ||z|| / ||x|| at held-out signal i: the size of the
    /// tumour's measurements, so that the test can find the tumour.
    pub fn budget(&self, i: usize) -> f64 {
        self.tumour.measured_norm() / norm2(&self.test.row(i).to_owned())
    }

    /// A fresh trainer: training targets with or without the pairs, the network from the seed.
    pub fn trainer(&self, pairs: bool) -> Result<Trainer, String> {
        let s = TrainSettings {
            seed: self.seed,
            ..TrainSettings::default()
        };
        let targets = training_targets(
            &self.train,
            &self.tumour.z,
            if pairs { PAIR_SIGNALS } else { 0 },
        );
        let mut rng = Rng::new(self.seed);
        let net = KernelNet::new(self.a.clone(), s.hidden, &mut rng)?;
        Trainer::new(net, targets, &s)
    }
}

/// The cheap amplification estimate traced during training, at held-out signal x with the
/// budget b = delta ||z|| / ||x||: the larger of (1) the worst amplification of a short
/// instability test ([`TRACE_ITERATIONS`] steps) and (2) the amplification of the one
/// perturbation r = b ||x|| v, the tumour's visible part at the budget's size. Both are
/// amplifications of perturbations within the budget, so the estimate is a lower bound on
/// the worst case; (2) finds the tumour even where the short ascent stalls on the flat side
/// of a network that switches the tumour on sharply. Returns (estimate, ascent, along v).
pub fn cheap_amplification(
    map: Arc<dyn ReconMap>,
    a: Arc<Dft1d>,
    x: &Array1<f64>,
    v: &Array1<f64>,
    budget: f64,
) -> Result<(f64, f64, f64), String> {
    let rep = attack(map.clone(), a.clone(), x, budget, TRACE_ITERATIONS, 1)?;
    let ascent = rep.worst.map_or(0.0, |w| w.amplification);
    let r = v * (budget * norm2(x));
    let y0 = a.apply(complex(x.view()).view());
    let yr = a.apply(complex((x + &r).view()).view());
    let change = map.apply(yr.view()) - map.apply(y0.view());
    let along = crate::operators::norm2(change.view()) / norm2(&r);
    Ok((ascent.max(along), ascent, along))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use crate::operators::{adjoint_mismatch, complex_gaussian};
    use crate::recon::map::check_vjp;

    fn real_gaussian(n: usize, rng: &mut Rng) -> Array1<f64> {
        Array1::from_shape_fn(n, |_| rng.normal())
    }

    /// With every frequency, A is the unitary DFT: against rustfft's FFT (scaled by
    /// n^-1/2) to 1e-13, norm-preserving, A* A = I; the adjoint to round-off on the demo's
    /// operator and on small ones.
    #[test]
    fn the_dft_rows_are_the_unitary_dft_and_adjoint() {
        let mut rng = Rng::new(1);
        for n in [5, 8, 16] {
            let a = Dft1d::new(n, (0..n).collect()).unwrap();
            let x = complex_gaussian(n, &mut rng);
            let mut want = x.to_vec();
            rustfft::FftPlanner::new()
                .plan_fft_forward(n)
                .process(&mut want);
            let got = a.apply(x.view());
            let scale = 1.0 / (n as f64).sqrt();
            let err = got
                .iter()
                .zip(&want)
                .map(|(g, w)| (g - w * scale).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-13, "n = {n}: {err:e}");
            let nx = crate::operators::norm2(x.view());
            assert!((crate::operators::norm2(got.view()) - nx).abs() < 1e-13 * nx);
            let back = a.adjoint(got.view());
            let e2 = (&back - &x).iter().map(|z| z.norm()).fold(0.0, f64::max);
            assert!(e2 < 1e-13, "n = {n}: A* A x - x = {e2:e}");
            assert!(adjoint_mismatch(&a, &mut rng) < 1e-14);
        }
        let a = Dft1d::demo();
        for _ in 0..3 {
            let m = adjoint_mismatch(&a, &mut rng);
            assert!(m < 1e-14, "{m:e}");
        }
        // A A* = I: the rows are orthonormal.
        let y = complex_gaussian(a.dim_out(), &mut rng);
        let e = (&a.apply(a.adjoint(y.view()).view()) - &y)
            .iter()
            .map(|z| z.norm())
            .fold(0.0, f64::max);
        assert!(e < 1e-13, "{e:e}");
    }

    /// Omega is 0, the dense band 1..8 and 8 pairs above it, closed under k -> -k: 33 of 128.
    /// Then A* A x is real for real x (imaginary part at round-off), equal to B B^T x with
    /// B orthonormal, and P is a projection.
    #[test]
    fn a_star_a_is_a_real_orthogonal_projection() {
        let a = Dft1d::demo();
        let f = a.freqs();
        assert_eq!(f.len(), 33);
        assert!(a.is_symmetric());
        for k in 0..=DENSE {
            assert!(f.contains(&k) && f.contains(&((N - k) % N)), "{k}");
        }
        assert!((a.rate() - 33.0 / 128.0).abs() < 1e-15);
        let b = a.row_basis().unwrap();
        let btb = b.t().dot(&b);
        let eye = Array2::<f64>::eye(b.ncols());
        let e = (&btb - &eye).iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(e < 1e-13, "B^T B - I: {e:e}");
        let mut rng = Rng::new(2);
        for _ in 0..3 {
            let x = real_gaussian(N, &mut rng);
            let full = a.adjoint(a.apply(complex(x.view()).view()).view());
            let imag = full.iter().map(|z| z.im.abs()).fold(0.0, f64::max);
            assert!(imag < 1e-14, "{imag:e}");
            let px = project(&a, x.view());
            let bbx = b.dot(&b.t().dot(&x));
            let e = (&px - &bbx).iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(e < 1e-13, "{e:e}");
            let ppx = project(&a, px.view());
            assert!(norm2(&(&ppx - &px)) < 1e-13 * norm2(&x));
        }
        // An asymmetric Omega is refused where realness is needed.
        let asym = Dft1d::new(16, vec![0, 1, 2]).unwrap();
        assert!(!asym.is_symmetric());
        assert!(asym.row_basis().is_err());
        assert!(Tumour::new(&asym, 0.5, 1.0, 0.1, 1.0).is_err());
        assert!(Dft1d::new(8, vec![1, 1]).is_err());
        assert!(Dft1d::new(8, vec![8]).is_err());
        assert!(sampling_pattern(16, 8, 2).is_err());
    }

    /// The 1-D difference: adjoint to round-off, ||D|| = 2 cos(pi / 2n) (its top singular
    /// vector, and power iteration), and the isotropic TV of D x (the TV of the lab's solver) equal to
    /// sum |x_{t+1} - x_t| exactly (sqrt(h^2 + 0) = |h| in IEEE arithmetic; checked to 1e-15).
    #[test]
    fn the_1d_difference_gives_the_1d_tv() {
        let mut rng = Rng::new(3);
        for n in [2, 7, 16, N] {
            let d = Difference1d { n };
            assert!(adjoint_mismatch(&d, &mut rng) < 1e-14);
            // The top singular vector is cos(pi (n - 1) (t + 1/2) / n) (the path graph's
            // Laplacian D^T D): its gain is the closed form, and power iteration from a
            // random start gets no higher. (The lab's Matrix::new starts from a ramp, which
            // is orthogonal to this vector for odd n.)
            let top = Array1::from_shape_fn(n, |t| {
                C64::new(
                    (PI * (n - 1) as f64 * (t as f64 + 0.5) / n as f64).cos(),
                    0.0,
                )
            });
            let gain = crate::operators::norm2(d.apply(top.view()).view())
                / crate::operators::norm2(top.view());
            assert!(
                (gain - d.norm()).abs() < 1e-12,
                "n = {n}: {gain} vs {}",
                d.norm()
            );
            let mut v = complex_gaussian(n, &mut rng);
            let mut est = 0.0;
            for _ in 0..20_000 {
                v /= C64::new(crate::operators::norm2(v.view()), 0.0);
                est = crate::operators::norm2(d.apply(v.view()).view());
                v = d.adjoint(d.apply(v.view()).view());
            }
            assert!(
                est <= d.norm() * (1.0 + 1e-12) && est > d.norm() * (1.0 - 1e-6),
                "n = {n}: {est}"
            );
            let x = real_gaussian(n, &mut rng);
            let tv = crate::operators::finite_diff::isotropic_tv(
                d.apply(complex(x.view()).view()).view(),
            );
            let want: f64 = x.windows(2).into_iter().map(|w| (w[1] - w[0]).abs()).sum();
            assert!((tv - want).abs() <= 1e-15 * want, "n = {n}: {tv} vs {want}");
        }
    }

    /// Signals: one to three jumps, cubic between them (fourth differences vanish away from
    /// the jumps), reproducible from the seed.
    #[test]
    fn signals_are_piecewise_cubic_and_seeded() {
        let xs = signals(N, 50, 7);
        assert_eq!(xs, signals(N, 50, 7));
        assert_ne!(xs, signals(N, 50, 8));
        for x in xs.rows() {
            // Fourth differences over windows of five points: zero inside a piece, large
            // across a jump. Count the runs of windows that straddle a jump.
            let d4: Vec<f64> = (0..N - 4)
                .map(|t| x[t] - 4.0 * x[t + 1] + 6.0 * x[t + 2] - 4.0 * x[t + 3] + x[t + 4])
                .collect();
            let bad: Vec<usize> = (0..d4.len()).filter(|&t| d4[t].abs() > 1e-10).collect();
            let runs =
                bad.windows(2).filter(|w| w[1] != w[0] + 1).count() + usize::from(!bad.is_empty());
            assert!((1..=3).contains(&runs), "{runs} jumps: {bad:?}");
            assert!(x.iter().all(|v| v.is_finite() && v.abs() < 3.0));
        }
    }

    /// ||z|| = a and ||A z|| = delta ||z|| to round-off at every delta (closed forms), u in
    /// the kernel, v a unit vector of the row space; the bound (||z|| - 2 eta) / ||A z||
    /// from the measured norms equals (||z|| - 2 eta) / (delta ||z||); bad deltas are errors.
    #[test]
    fn the_tumour_and_the_bound_are_exact() {
        let a = Dft1d::demo();
        for delta in [0.0, 0.01, 0.05, 0.3, 1.0] {
            let t = Tumour::demo(&a, delta).unwrap();
            let zn = norm2(&t.z);
            let az = crate::operators::norm2(a.apply(complex(t.z.view()).view()).view());
            assert!((zn - TUMOUR_NORM).abs() < 1e-12 * TUMOUR_NORM, "{zn}");
            assert!(
                (az - delta * zn).abs() < 1e-12 * zn,
                "delta {delta}: {az} vs {}",
                delta * zn
            );
            assert!((t.measured_norm() - az).abs() < 1e-12 * zn);
            let au = crate::operators::norm2(a.apply(complex(t.u.view()).view()).view());
            assert!(au < 1e-13, "{au:e}");
            let av = crate::operators::norm2(a.apply(complex(t.v.view()).view()).view());
            assert!((av - 1.0).abs() < 1e-13 && (norm2(&t.v) - 1.0).abs() < 1e-13);
            assert!(t.u.dot(&t.v).abs() < 1e-13);
            if delta > 0.0 {
                for eta in [0.0, 0.3, 1.0] {
                    let b = lipschitz_bound(zn, eta, az).unwrap();
                    let want = (TUMOUR_NORM - 2.0 * eta) / (delta * TUMOUR_NORM);
                    assert!((b - want).abs() < 1e-12 * want, "{b} vs {want}");
                }
            }
        }
        assert_eq!(lipschitz_bound(3.0, 1.5, 0.1), None);
        assert_eq!(lipschitz_bound(3.0, 1.0, 0.0), Some(f64::INFINITY));
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            assert!(Tumour::demo(&a, bad).is_err(), "{bad}");
        }
        assert!(Tumour::new(&a, 0.7, 1.0, 0.05, f64::NAN).is_err());
        assert!(Tumour::new(&a, 1.2, 1.0, 0.05, 1.0).is_err());
    }

    /// A network with every weight non-zero (the last layer too).
    fn random_net(seed: u64) -> KernelNet {
        let mut rng = Rng::new(seed);
        let mut net = KernelNet::new(Arc::new(Dft1d::demo()), 12, &mut rng).unwrap();
        for sl in net.net.param_slices_mut() {
            for v in sl.iter_mut() {
                *v += 0.1 * rng.normal();
            }
        }
        net
    }

    /// The network's VJP against central differences (check_vjp): smooth (tanh), so with
    /// h = 1e-5 the truncation is about 1e-10 relative and the round-off 1e-11; measured
    /// agreement about 1e-10, bound 1e-7. Complex directions d exercise the Re(A* .) input.
    #[test]
    fn the_network_vjp_matches_central_differences() {
        let net = Arc::new(random_net(4));
        let map = NetMap {
            net: net.clone(),
            name: "net".into(),
        };
        let a = net.a.clone();
        let mut rng = Rng::new(5);
        for _ in 0..3 {
            let x = signal(N, &mut rng);
            let y = a.apply(complex(x.view()).view());
            let d = complex_gaussian(a.dim_out(), &mut rng);
            let g = complex_gaussian(N, &mut rng);
            assert_eq!(map.apply_vjp(y.view()).0, map.apply(y.view()));
            let c = check_vjp(&map, y.view(), d.view(), g.view(), 1e-5);
            eprintln!("net VJP: relative error {:.1e}", c.relative_error());
            assert!(c.relative_error() < 1e-7, "{c:?}");
        }
    }

    /// The training loss's weight gradient against central differences, for entries of every
    /// layer's W and b: the loss is smooth; with h = 1e-5 the truncation is about 1e-10
    /// relative and the round-off eps |L| / h about 1e-12 absolute, against entries of 1e-5
    /// and more; bound 1e-6.
    #[test]
    fn the_loss_gradient_matches_central_differences() {
        let mut net = random_net(6);
        let a = net.a.clone();
        let xs = signals(N, 5, 9);
        let mut s = Array2::zeros(xs.raw_dim());
        for (mut row, x) in s.rows_mut().into_iter().zip(xs.rows()) {
            row.assign(&project(&a, x));
        }
        let (_, grad) = net.loss_and_grad(s.view(), xs.view());
        let grads: Vec<Vec<f64>> = grad.slices().iter().map(|g| g.to_vec()).collect();
        let mut rng = Rng::new(10);
        let h = 1e-5;
        for (k, g) in grads.iter().enumerate() {
            for _ in 0..3 {
                let i = rng.below(g.len());
                let orig = net.net.param_slices()[k][i];
                net.net.param_slices_mut()[k][i] = orig + h;
                let (lp, _) = net.loss_and_grad(s.view(), xs.view());
                net.net.param_slices_mut()[k][i] = orig - h;
                let (lm, _) = net.loss_and_grad(s.view(), xs.view());
                net.net.param_slices_mut()[k][i] = orig;
                let fd = (lp - lm) / (2.0 * h);
                let err = (fd - g[i]).abs() / fd.abs().max(g[i].abs()).max(1e-8);
                assert!(err < 1e-6, "slice {k} entry {i}: {fd} vs {}", g[i]);
            }
        }
        // And the loss is what it says: the mean of ||Psi - x||^2 / n.
        let out = net.apply_zero_filled(s.view());
        let want = (&out - &xs).iter().map(|v| v * v).sum::<f64>() / (5 * N) as f64;
        let (loss, _) = net.loss_and_grad(s.view(), xs.view());
        assert!((loss - want).abs() < 1e-14 * want);
    }

    /// The TV map's VJP (the lab's Chambolle-Pock reverse steps on the 1-D problem) against
    /// central differences: h = 1e-6, bound 1e-6 as for the lab's 2-D maps (piecewise
    /// smooth; generic data keep the kinks away). And the map solves its problem: the
    /// objective at its output is below that at the truth (a feasible point).
    #[test]
    fn the_tv_map_vjp_matches_central_differences_and_it_solves_tv() {
        let a = Arc::new(Dft1d::demo());
        let map = tv_map(a.clone(), TV_LAMBDA, 60);
        let mut rng = Rng::new(11);
        for _ in 0..2 {
            let x = signal(N, &mut rng);
            let y = a.apply(complex(x.view()).view());
            let mut d = complex_gaussian(a.dim_out(), &mut rng);
            d *= C64::new(
                crate::operators::norm2(y.view()) / crate::operators::norm2(d.view()),
                0.0,
            );
            let g = complex_gaussian(N, &mut rng);
            let c = check_vjp(&map, y.view(), d.view(), g.view(), 1e-6);
            eprintln!("TV VJP: relative error {:.1e}", c.relative_error());
            assert!(c.relative_error() < 1e-6, "{c:?}");
        }
        let full = tv_map(a.clone(), TV_LAMBDA, TV_ITERATIONS);
        let problem = SqrtLasso {
            b: a.clone(),
            y: Array1::zeros(0),
            reg: Regulariser::Tv {
                lambda: TV_LAMBDA,
                grad: Arc::new(Difference1d { n: N }),
            },
        };
        for x in signals(N, 4, 12).rows() {
            let y = a.apply(complex(x).view());
            let out = full.apply(y.view());
            let pb = SqrtLasso {
                y: y.clone(),
                ..problem.clone()
            };
            let (fo, fx) = (pb.objective(out.view()), pb.objective(complex(x).view()));
            assert!(fo <= fx, "objective {fo} at the output, {fx} at the truth");
        }
    }

    /// The TV map's lambda, tuned on training signals only (the first 32 of seed 1's training
    /// set; never the held-out ones): the best mean PSNR over a grid.
    #[test]
    #[ignore]
    fn tune_tv_lambda() {
        let a = Arc::new(Dft1d::demo());
        let train = signals(N, 32, 1);
        let grid = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0];
        let mut best = (f64::NEG_INFINITY, 0.0);
        for &l in &grid {
            let tv = tv_map(a.clone(), l, TV_ITERATIONS);
            let mut p = 0.0;
            for x in train.rows() {
                let out = tv.apply(a.apply(complex(x).view()).view()).mapv(|z| z.re);
                p += psnr(x, out.view()) / train.nrows() as f64;
            }
            eprintln!("lambda {l}: mean PSNR {p:.3} dB on training signals");
            if p > best.0 {
                best = (p, l);
            }
        }
        eprintln!("best lambda {}", best.1);
        assert_eq!(best.1, TV_LAMBDA);
    }
}
