//! The unstable-network posters, one per view of the page (`www/unstable.html`, its `view`
//! key), each from what that view computes:
//! - the instability test (Antun et al. 2020), here: for one method at the trained network's
//!   setting, the image x, the perturbation r found by gradient ascent (||r|| <= budget ||x||;
//!   blue negative, red positive, full colour at its largest |value|) and x + r; the method's
//!   reconstructions from the clean and the perturbed measurements (same grey scale as x) and
//!   how much the reconstruction moved, |Psi(A(x + r) + e) - Psi(A x + e)|; and the
//!   amplification ||Psi(A(x + r_k) + e) - Psi(A x + e)|| / ||r_k|| along the ascent, against
//!   the same for Gaussian noise of the final r's size;
//! - [`detail`]: kernel awareness (Antun et al. 2020; Gottschling, Antun, Adcock, Hansen, "The
//!   troublesome kernel", arXiv:2001.01258) and the structural change (Antun et al. 2020);
//! - [`samples`]: more samples can hurt (Antun et al. 2020);
//! - [`tradeoff`]: accuracy against worst-case amplification (Antun, Colbrook, Hansen 2022).
//!
//! [`Figure`] is the state of whichever view, with [`poster`] and [`numbers`] for it.

pub mod detail;
pub mod samples;
pub mod tradeoff;

use super::{pct, Panel, Poster};
use crate::demos::mri::modulus;
use crate::demos::unstable::{
    unfinished, Case, Summary, UnstablePage, UnstableParams, View, Which,
};
use crate::instability::InstabilityTest;
use crate::params;
use crate::render::images::diverging_rgba;
use crate::render::mri::grey_scaled_rgba;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key};
use crate::render::raster::{Canvas, Rgb};

const RED: Rgb = [0xC0, 0x1C, 0x1C];
const GREY: Rgb = [0x8A, 0x8A, 0x8A];

/// What the poster shows: the state, the image and a finished test with its summary.
pub struct UnstableState<'a> {
    pub params: &'a UnstableParams,
    pub case: &'a Case,
    pub test: &'a InstabilityTest,
    pub summary: &'a Summary,
}

fn largest(x: &ndarray::Array1<f64>) -> f64 {
    x.fold(0.0f64, |m, v| m.max(v.abs()))
}

/// A view's finished computation, ready to draw.
pub enum Figure<'a> {
    Test(UnstableState<'a>),
    Detail(detail::DetailState<'a>),
    Samples(samples::SamplesState<'a>),
    Tradeoff(tradeoff::TradeoffState<'a>),
}

impl<'a> Figure<'a> {
    /// The figure of the state's view on the page, if that view's computation has finished
    /// for this state.
    pub fn of(page: &'a UnstablePage, p: &'a UnstableParams) -> Result<Self, String> {
        let figure = match p.view {
            View::Test => page.finished_test(p).and_then(|t| {
                Some(Figure::Test(UnstableState {
                    params: &t.params,
                    case: &t.case,
                    test: &t.test,
                    summary: t.summary.as_ref()?,
                }))
            }),
            View::Kernel | View::Structure => page
                .finished_detail(p)
                .map(|job| Figure::Detail(detail::DetailState { params: p, job })),
            View::Samples => page.finished_samples(p).map(|(job, rate)| {
                Figure::Samples(samples::SamplesState {
                    params: p,
                    job,
                    rate,
                })
            }),
            View::Tradeoff => page
                .finished_tradeoff(p)
                .map(|job| Figure::Tradeoff(tradeoff::TradeoffState { params: p, job })),
        };
        figure.ok_or_else(|| unfinished(p.view))
    }
}

/// The poster of a view at `scale`.
pub fn poster(f: &Figure, font: &[u8], scale: f64) -> Result<Canvas, String> {
    match f {
        Figure::Test(s) => test_poster(s, font, scale),
        Figure::Detail(s) => detail::poster(s, font, scale),
        Figure::Samples(s) => samples::poster(s, font, scale),
        Figure::Tradeoff(s) => tradeoff::poster(s, font, scale),
    }
}

/// The numbers of a view.
pub fn numbers(f: &Figure) -> Numbers {
    match f {
        Figure::Test(s) => test_numbers(s),
        Figure::Detail(s) => detail::numbers(s),
        Figure::Samples(s) => samples::numbers(s),
        Figure::Tradeoff(s) => tradeoff::numbers(s),
    }
}

/// A method's colour, as the page draws it.
pub fn colour(w: Which) -> Rgb {
    match w {
        Which::Net => [0xC0, 0x39, 0x2B],
        Which::Firenet => [0x08, 0x77, 0xBD],
        Which::Tv => [0x2E, 0x8B, 0x57],
        Which::CsWavelet => [0x8E, 0x44, 0xAD],
        Which::Adjoint => [0x77, 0x77, 0x77],
    }
}

/// A method's short name, as the page heads its columns.
pub fn title(w: Which) -> &'static str {
    match w {
        Which::Net => "Network",
        Which::Firenet => "FIRENET",
        Which::Tv => "TV",
        Which::CsWavelet => "Wavelet ℓ1",
        Which::Adjoint => "Adjoint A*y",
    }
}

/// The method of a name of [`Which::NAMES`].
pub fn which_of(name: &str) -> Option<Which> {
    Which::ALL.iter().copied().find(|w| w.name() == name)
}

/// The instability-test poster at `scale`.
pub fn test_poster(s: &UnstableState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1400.0)?;
    let pr = s.params;
    let sum = s.summary;
    let t = s.test;
    let snap = t
        .snapshots()
        .last()
        .ok_or("the instability test kept no snapshot")?;
    let x = &s.case.x;
    let n = (x.len() as f64).sqrt().round() as usize;
    let method = Which::LABELS[pr.method as usize];
    let y0 = p.header(
        "The instability test",
        "Antun et al. 2020 (PNAS)",
        &format!(
            "{method}, {n} × {n} image (family seed {}{}): a perturbation r with ‖r‖ ≤ {} ‖x‖, found by {} steps of gradient ascent, moves the reconstruction {} times as far as r is long; Gaussian noise of the same size: {} times.",
            pr.image_seed,
            if s.case.held_out() { ", held out from training" } else { "" },
            pr.budget,
            sum.iterations,
            format_sig(sum.amplification, 3),
            format_sig(sum.amplification_gaussian, 3),
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let w = th.u(280.0);
    let gap = ((r - l) - 3.0 * w) / 2.0;
    let pk = x.fold(0.0f64, |m, v| m.max(*v));
    let r_scale = largest(&snap.r).max(1e-12);
    let clean = modulus(t.clean_output());
    let out = modulus(&snap.output);
    let diff = modulus(&(&snap.output - t.clean_output()));
    let d_scale = largest(&diff).max(1e-12);
    let xr = x + &snap.r;
    let rows: [[Panel; 3]; 2] = [
        [
            (
                grey_scaled_rgba(x.view(), pk),
                "Image x".into(),
                vec![format!("grey scale 0 to {}", format_sig(pk, 3))],
            ),
            (
                diverging_rgba(snap.r.view(), n, r_scale),
                "Perturbation r".into(),
                vec![
                    format!("‖r‖/‖x‖ = {}", format_sig(sum.r_over_x, 3)),
                    format!("full colour = ±{}", format_sig(r_scale, 3)),
                ],
            ),
            (
                grey_scaled_rgba(xr.view(), pk),
                "Perturbed image x + r".into(),
                vec!["looks like x".into()],
            ),
        ],
        [
            (
                grey_scaled_rgba(clean.view(), pk),
                "Reconstruction from A x + e".into(),
                vec![
                    format!("PSNR {:.2} dB", sum.psnr_clean),
                    format!("error {}", pct(sum.err_clean)),
                ],
            ),
            (
                grey_scaled_rgba(diff.view(), d_scale),
                "How far it moved".into(),
                vec![
                    "|Ψ(A(x + r) + e) − Ψ(A x + e)|".into(),
                    format!("white = {}", format_sig(d_scale, 3)),
                ],
            ),
            (
                grey_scaled_rgba(out.view(), pk),
                "Reconstruction from A(x + r) + e".into(),
                vec![
                    format!("error {}", pct(sum.err_perturbed)),
                    format!("(Gaussian noise instead: {})", pct(sum.err_gaussian)),
                ],
            ),
        ],
    ];
    let mut y = y0 + th.u(6.0);
    for row in &rows {
        y = p.panel_row(row, n, y, w, gap) + th.u(16.0);
    }
    // Amplification along the ascent.
    let hist: Vec<(f64, f64)> = t
        .history()
        .iter()
        .map(|h| (h.iteration as f64, h.amplification))
        .filter(|h| h.1.is_finite())
        .collect();
    let ymax = hist
        .iter()
        .map(|h| h.1)
        .chain([sum.amplification_gaussian, sum.amplification])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        * 1.1;
    let xs = AxisScale::linear(0.0, (t.planned().max(1)) as f64);
    let ys = AxisScale::linear(0.0, if ymax > 0.0 { ymax } else { 1.0 });
    let xspec = AxisSpec::auto(xs, 8, "gradient ascent step k");
    let yspec = AxisSpec::auto(ys, 6, "amplification (output change / ‖r‖)");
    let items = [
        (Key::Stroke(RED), "‖Ψ(A(x + r_k) + e) − Ψ(A x + e)‖ / ‖r_k‖"),
        (
            Key::Stroke(GREY),
            "the same for Gaussian noise of the final ‖r‖",
        ),
    ];
    let ls = plot::legend_size(&p.font, &th, &items);
    let region = [l, y + ls[1] + th.u(10.0), r, y + ls[1] + th.u(300.0)];
    let axes = Axes::fit(region, xs, ys, &xspec, &yspec, &p.font, &th);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    plot::legend(&mut p.c, &p.font, &th, axes.frame[0], y, &items);
    let g = sum.amplification_gaussian;
    if g.is_finite() {
        axes.line(&mut p.c, &[(xs.lo, g), (xs.hi, g)], GREY, th.u(2.5));
    }
    axes.line(&mut p.c, &hist, RED, th.u(2.5));
    let y = axes.frame[3] + th.u(60.0);
    Ok(p.finish(&params::to_query(pr), y))
}

/// The instability test's numbers: the summary the page reads out (amplification, errors,
/// PSNR) as metrics, and the amplification at every step as a table.
pub fn test_numbers(s: &UnstableState) -> Numbers {
    let sum = s.summary;
    let mut n = Numbers::new("unstable", params::to_query(s.params));
    n.metric("psnr clean", sum.psnr_clean)
        .metric("||r||/||x||", sum.r_over_x)
        .metric("error clean", sum.err_clean)
        .metric("error perturbed", sum.err_perturbed)
        .metric("error gaussian", sum.err_gaussian)
        .metric("amplification", sum.amplification)
        .metric("amplification gaussian", sum.amplification_gaussian)
        .metric("lipschitz", sum.lipschitz)
        .metric("iterations", sum.iterations as f64);
    let t = n.table("ascent", &["||r||", "||A r||", "change", "amplification"]);
    for h in s.test.history() {
        t.row(
            &h.iteration.to_string(),
            &[h.r_norm, h.ar_norm, h.change, h.amplification],
        );
    }
    n
}
