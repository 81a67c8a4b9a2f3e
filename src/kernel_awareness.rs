//! Kernel awareness: why accuracy on details the measurements barely see forces instability.
//!
//! Let x' = x + z with ||A z|| = delta (A = P_Omega F) and the same noise e in both
//! measurements, so ||y' - y|| = delta. If a reconstruction map Psi is eta-accurate on both,
//! ||Psi(y) - x|| <= eta and ||Psi(y') - x'|| <= eta, the triangle inequality gives
//!
//! ```text
//! ||Psi(y') - Psi(y)|| >= ||x' - x|| - 2 eta,   so   L(Psi, y) >= (||z|| - 2 eta) / delta
//! ```
//!
//! for its Lipschitz constant over the measurements near y (Antun, Renna, Poon, Adcock,
//! Hansen, PNAS 2020; Gottschling, Antun, Hansen, Adcock, "The troublesome kernel: on
//! hallucinations, no free lunches and the accuracy-stability trade-off in inverse problems",
//! SIAM Review 2025). With delta = 0 (z exactly in the kernel) no method is accurate on both
//! to better than ||z|| / 2; as delta grows from 0 the bound falls like 1 / delta.
//!
//! [`near_kernel_detail`] builds such a z from any detail w (a "tumour"): its invisible part
//! (as in the MRI page's kernel view) plus a fraction t of its visible part, chosen so that
//! ||A z|| = delta exactly. [`assess`] measures eta, the output gap and the bound for each
//! method.

use crate::operators::fourier::Fourier2d;
use crate::operators::sampling::{measure_with, SubsampledFourier};
use crate::operators::{complex, norm2, LinearOperator, C64};
use crate::recon::map::ReconMap;
use ndarray::Array1;
use serde::Serialize;

/// z = z_0 + t (w - z_0), with z_0 the part of w in the real kernel of A and t in [0, 1]
/// chosen so that ||A z|| = t ||A w|| = delta. Errors if w is invisible (A w = 0) and delta
/// is positive, or if delta exceeds ||A w|| (then z = w is the closest the detail gets).
pub fn near_kernel_detail(
    w: &Array1<f64>,
    a: &SubsampledFourier,
    delta: f64,
) -> Result<Array1<f64>, String> {
    if !(delta.is_finite() && delta >= 0.0) {
        return Err(format!("delta must be a finite number >= 0, not {delta}"));
    }
    if w.len() != a.dim_in() || !w.iter().all(|v| v.is_finite()) {
        return Err("the detail must be a finite image of the operator's size".into());
    }
    let (z0, _) = real_kernel_part(w, a);
    let visible = w - &z0;
    let aw = norm2(a.apply(complex(w.view()).view()).view());
    if delta == 0.0 {
        return Ok(z0);
    }
    if aw == 0.0 {
        return Err("the detail is invisible to the scanner: only delta = 0 is possible".into());
    }
    if delta > aw * (1.0 + 1e-12) {
        return Err(format!(
            "delta = {delta:.3e} exceeds ||A w|| = {aw:.3e}, the most this detail can show"
        ));
    }
    let t = (delta / aw).min(1.0);
    Ok(&z0 + &(visible * t))
}

/// One method on the pair (x, x + z).
#[derive(Clone, Debug, Serialize)]
pub struct Awareness {
    pub method: String,
    /// ||Psi(y) - x|| and ||Psi(y') - x'||.
    pub error: f64,
    pub error_detail: f64,
    /// eta = the larger of the two.
    pub eta: f64,
    /// ||Psi(y') - Psi(y)||.
    pub gap: f64,
    /// ||y' - y|| = ||A z||.
    pub delta: f64,
    /// ||z||.
    pub z_norm: f64,
    /// (||z|| - 2 eta) / delta: a lower bound on the method's Lipschitz constant near y (None
    /// when ||z|| <= 2 eta, where it says nothing; infinite when delta = 0 and ||z|| > 2 eta,
    /// which no method achieves).
    pub bound: Option<f64>,
    /// gap / delta, what the method actually does along this pair.
    pub ratio: f64,
}

/// Reconstructs x and x' = x + z from y = A x + e and y' = A x' + e with every map.
pub fn assess(
    maps: &[&dyn ReconMap],
    a: &SubsampledFourier,
    x: &Array1<f64>,
    z: &Array1<f64>,
    e: Option<&Array1<C64>>,
) -> Result<Vec<Awareness>, String> {
    if x.len() != a.dim_in() || z.len() != x.len() {
        return Err("x, z and A do not fit together".into());
    }
    let x2 = x + z;
    let (y, y2) = (measure_with(a, x.view(), e), measure_with(a, x2.view(), e));
    let delta = norm2((&y2 - &y).view());
    Ok(maps
        .iter()
        .map(|m| {
            let (o, o2) = (m.apply(y.view()), m.apply(y2.view()));
            awareness(m.name(), x, z, &o, &o2, delta)
        })
        .collect())
}

/// One method's numbers from its outputs o = Psi(y) and o2 = Psi(y') for x and x' = x + z,
/// with delta = ||y' - y||.
pub fn awareness(
    method: String,
    x: &Array1<f64>,
    z: &Array1<f64>,
    o: &Array1<C64>,
    o2: &Array1<C64>,
    delta: f64,
) -> Awareness {
    let z_norm = z.dot(z).sqrt();
    let error = norm2((o - &complex(x.view())).view());
    let error_detail = norm2((o2 - &complex((x + z).view())).view());
    let eta = error.max(error_detail);
    let gap = norm2((o2 - o).view());
    let margin = z_norm - 2.0 * eta;
    let bound = (margin > 0.0).then(|| {
        if delta > 0.0 {
            margin / delta
        } else {
            f64::INFINITY
        }
    });
    Awareness {
        method,
        error,
        error_detail,
        eta,
        gap,
        delta,
        z_norm,
        bound,
        ratio: if delta > 0.0 {
            gap / delta
        } else {
            f64::INFINITY
        },
    }
}

/// The part of a real image w in the real kernel of A: zero its Fourier coefficients on
/// Omega and on -Omega (FFT order), transform back, keep the real part (the imaginary part
/// is round-off; its size is returned as the second value).
pub fn real_kernel_part(w: &Array1<f64>, a: &SubsampledFourier) -> (Array1<f64>, f64) {
    let n = a.side();
    let f = Fourier2d::new(n);
    let mut k = complex(w.view()).to_vec();
    f.forward_inplace(&mut k);
    for &i in a.indices() {
        let (r, c) = (i / n, i % n);
        k[i] = C64::new(0.0, 0.0);
        k[((n - r) % n) * n + (n - c) % n] = C64::new(0.0, 0.0);
    }
    f.inverse_inplace(&mut k);
    let imag = k.iter().map(|z| z.im.abs()).fold(0.0, f64::max);
    (k.iter().map(|z| z.re).collect(), imag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::shepp_logan;
    use crate::demos::mri::blob;
    use crate::operators::masks::{mask, MaskParams, Pattern};
    use crate::recon::vjp::AdjointMap;
    use std::sync::Arc;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn operator(n: usize) -> Arc<SubsampledFourier> {
        let m = mask(Pattern::Radial, n, 0.2, 1, &MaskParams::default()).unwrap();
        Arc::new(SubsampledFourier::new(n, m.fft_indices()).unwrap())
    }

    /// ||A z|| is delta to 1e-12 relative (the construction is exact up to round-off), and
    /// 0 up to round-off (1e-13 ||z||) for delta = 0.
    #[test]
    fn the_detail_shows_exactly_delta() {
        let n = 32;
        let a = operator(n);
        let w = blob(n, [0.4, 0.55], 0.05, 0.8);
        let aw = norm2(a.apply(complex(w.view()).view()).view());
        for frac in [0.0, 0.01, 0.1, 0.5, 1.0] {
            let delta = frac * aw;
            let z = near_kernel_detail(&w, &a, delta).unwrap();
            let az = norm2(a.apply(complex(z.view()).view()).view());
            let zn = z.dot(&z).sqrt();
            if delta == 0.0 {
                assert!(az < 1e-13 * zn, "{az} {zn}");
            } else {
                assert!((az - delta).abs() < 1e-12 * delta, "{az} vs {delta}");
            }
        }
        assert!(near_kernel_detail(&w, &a, 2.0 * aw).is_err());
        assert!(near_kernel_detail(&w, &a, f64::NAN).is_err());
        assert!(near_kernel_detail(&w, &a, -1.0).is_err());
    }

    /// The bound is a theorem: gap >= ||z|| - 2 eta for every method, and the adjoint (the
    /// map A* y, 1-Lipschitz) has gap / delta = 1 exactly, since Psi(y') - Psi(y) = A* A z.
    #[test]
    fn bound_holds_and_the_adjoint_moves_by_delta() {
        let n = 32;
        let a = operator(n);
        let x = shepp_logan(n).unwrap();
        let w = blob(n, [0.45, 0.4], 0.04, 0.6);
        let adj = AdjointMap::new(a.clone());
        for frac in [0.0, 0.05, 0.3] {
            let aw = norm2(a.apply(complex(w.view()).view()).view());
            let z = near_kernel_detail(&w, &a, frac * aw).unwrap();
            let rows = assess(&[&adj], &a, &x, &z, None).unwrap();
            let r = &rows[0];
            assert!(r.gap >= r.z_norm - 2.0 * r.eta - 1e-12);
            if frac > 0.0 {
                assert!((r.ratio - 1.0).abs() < 1e-10, "{}", r.ratio);
            } else {
                assert!(r.gap < 1e-12, "{}", r.gap);
            }
        }
    }
}
