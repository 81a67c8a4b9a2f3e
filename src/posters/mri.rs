//! The MRI poster: the true image x (grey scale 0 to its peak), its k-space |F x| (log scale
//! over five decades, centred) with the sampled locations tinted, the sampling mask, and every
//! method's reconstruction |x^| from y = P F x + e on the same grey scale with its PSNR and SSIM
//! and, under it, its error |x^| - x (blue too dark, red too bright, full colour at ±20 % of
//! the peak). FIRENET is Colbrook, Antun and Hansen's provably stable unrolled network.

use super::{pct, Poster};
use crate::demos::mri::{modulus, ImageSource, MriExperiment};
use crate::params;
use crate::recon::Method;
use crate::render::mri::{
    error_rgba, grey_scaled_rgba, kspace_log, kspace_rgba, mask_rgba, ERROR_SCALE,
};
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig};
use crate::render::raster::Canvas;

fn title(m: Method) -> &'static str {
    m.spec().title
}

/// The MRI poster of `exp` (its reconstructions as far as they have run) at `scale`.
pub fn poster(exp: &MriExperiment, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1400.0)?;
    let pr = &exp.params;
    let n = exp.side();
    let image = match pr.image {
        ImageSource::Colin27 => format!(
            "Colin27 slice {} (z = {} mm)",
            pr.slice,
            crate::data::mri::z_mm(pr.slice)
        ),
        ImageSource::SheppLogan => "the Shepp-Logan phantom".into(),
        ImageSource::Upload => "an uploaded picture".into(),
    };
    let y0 = p.header(
        "MRI reconstruction from few Fourier samples",
        "Colbrook, Antun, Hansen 2022 (PNAS)",
        &format!(
            "{image}, {n} × {n}: {} of the Fourier coefficients sampled ({} samples, {} pattern), with noise ‖e‖ = {}; every method reconstructs x from the same y = P F x + e.",
            pct(exp.mask.rate()),
            exp.mask.count(),
            serde_json::to_value(pr.mask)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            format_sig(exp.noise_norm, 3)
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let cols = Method::ALL.len() as f64;
    let w = th.u(214.0);
    let gap = ((r - l) - cols * w) / (cols - 1.0);
    let at = |i: usize| l + i as f64 * (w + gap);
    let peak = exp.x.fold(0.0f64, |m, v| m.max(*v));
    let kspace = kspace_log(exp.x.view(), n);
    let mask = mask_rgba(exp.mask.bits());
    let top: [(Vec<u8>, &str, Vec<String>); 3] = [
        (
            grey_scaled_rgba(exp.x.view(), peak),
            "Ground truth x",
            vec![format!("grey scale 0 to {}", format_sig(peak, 3))],
        ),
        (
            kspace_rgba(kspace.view(), exp.mask.bits()),
            "k-space |F x|, sampled tinted",
            vec!["log scale, 5 decades, centred".into()],
        ),
        (
            mask,
            "The sampling mask P",
            vec![format!("{} samples, white", exp.mask.count())],
        ),
    ];
    let mut y = y0 + th.u(6.0);
    let mut bottom = p.panel_row(&top, n, y, w, gap);
    y = bottom + th.u(18.0);
    let q = exp.quality();
    for (i, m) in Method::ALL.iter().enumerate() {
        let rec = modulus(&exp.recon(*m).image());
        let qi = &q[i];
        let iters = if *m == Method::ADJOINT {
            String::new()
        } else {
            format!("{} of {} iterations", qi.iterations, qi.planned)
        };
        let mut caps = vec![format!("PSNR {:.2} dB · SSIM {:.3}", qi.psnr, qi.ssim)];
        if !iters.is_empty() {
            caps.push(iters);
        }
        let yb = plot::image_panel(
            &mut p.c,
            &p.font,
            &th,
            &grey_scaled_rgba(rec.view(), peak),
            (n, n),
            (at(i), y),
            w,
            title(*m),
            &caps,
        );
        bottom = bottom.max(yb);
    }
    y = bottom + th.u(18.0);
    for (i, m) in Method::ALL.iter().enumerate() {
        let rec = modulus(&exp.recon(*m).image());
        let yb = plot::image_panel(
            &mut p.c,
            &p.font,
            &th,
            &error_rgba(rec.view(), exp.x.view(), peak),
            (n, n),
            (at(i), y),
            w,
            &format!("Error, {}", title(*m)),
            &[format!("relative error {}", pct(q[i].rel_error))],
        );
        bottom = bottom.max(yb);
    }
    let y = p.paragraph(
        &format!(
            "Error maps: |x^| − x, blue too dark, red too bright, full colour at ±{} % of the peak.",
            100.0 * ERROR_SCALE
        ),
        bottom + th.u(8.0),
        plot::MUTED,
    );
    Ok(p.finish(&params::to_query(pr), y))
}

/// The MRI numbers: each method's PSNR, SSIM, relative error and iterations (metrics named
/// "firenet psnr" and so on, and a table), the sampling rate, samples and noise.
pub fn numbers(exp: &MriExperiment) -> Numbers {
    let mut n = Numbers::new("mri", params::to_query(&exp.params));
    n.metric("sampling rate", exp.mask.rate())
        .metric("samples", exp.mask.count() as f64)
        .metric("noise ||e||", exp.noise_norm);
    let q = exp.quality();
    for qi in &q {
        let m = qi.method.name();
        n.metric(&format!("{m} psnr"), qi.psnr)
            .metric(&format!("{m} ssim"), qi.ssim)
            .metric(&format!("{m} relative error"), qi.rel_error);
    }
    let t = n.table(
        "methods",
        &["psnr", "ssim", "relative error", "iterations", "planned"],
    );
    for qi in &q {
        t.row(
            qi.method.name(),
            &[
                qi.psnr,
                qi.ssim,
                qi.rel_error,
                qi.iterations as f64,
                qi.planned as f64,
            ],
        );
    }
    n
}
