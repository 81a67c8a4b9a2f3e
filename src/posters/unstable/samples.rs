//! The more-samples poster (Antun et al., PNAS 2020: "more samples can make a trained network
//! worse, never a stable method"): mean PSNR of |Psi(y)| over held-out images against the
//! sampling rate |Omega| / n^2, one curve per method (the network, FIRENET, TV), with nested
//! masks of the network's pattern (each contains the smaller ones) and the network keeping
//! the weights it learned at its own rate, which is marked (dashed); and the state's image
//! reconstructed by each method at the rate shown (marked solid), on x's grey scale.

use super::{colour, title, which_of};
use crate::demos::unstable::samples::{RateImages, SamplesJob, SAMPLES_METHODS};
use crate::demos::unstable::UnstableParams;
use crate::params;
use crate::posters::{pct, Panel, Poster};
use crate::render::mri::grey_scaled_rgba;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, FRAME};
use crate::render::raster::{Canvas, Rgb};

const ORANGE: Rgb = [0xE8, 0x71, 0x0A];

/// What the poster shows: the state (for its link), the finished curve and the
/// reconstructions at the rate shown.
pub struct SamplesState<'a> {
    pub params: &'a UnstableParams,
    pub job: &'a SamplesJob,
    pub rate: &'a RateImages,
}

/// A dashed vertical line at pixel column x from y0 to y1.
fn dashed(c: &mut Canvas, x: f64, y0: f64, y1: f64, dash: f64, width: f64, col: Rgb) {
    let mut y = y0;
    while y < y1 {
        c.line((x, y), (x, (y + dash).min(y1)), width, col, 1.0);
        y += 2.0 * dash;
    }
}

/// The more-samples poster at `scale`.
pub fn poster(s: &SamplesState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let j = s.job;
    let ri = s.rate;
    let mut p = Poster::new(font, scale, 1000.0, 1500.0)?;
    let n = (ri.x.len() as f64).sqrt().round() as usize;
    let seeds = match (j.seeds.first(), j.seeds.last()) {
        (Some(a), Some(b)) if a != b => format!("family:{a} to family:{b}"),
        (Some(a), _) => format!("family:{a}"),
        _ => "no images".into(),
    };
    let y0 = p.header(
        "More samples",
        "Antun et al. 2020 (PNAS)",
        &format!(
            "The network keeps the weights it learned at {}; the masks are nested (each contains the smaller ones), so a larger rate only adds samples. Mean PSNR of |Ψ(y)| over held-out images {seeds}, {n} × {n}. The stable methods improve with more samples; the network need not.",
            pct(j.trained_rate),
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    // The curves.
    let pts: Vec<f64> = j
        .points()
        .iter()
        .map(|q| q.psnr)
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = match (
        pts.iter().copied().reduce(f64::min),
        pts.iter().copied().reduce(f64::max),
    ) {
        (Some(a), Some(b)) => {
            let pad = ((b - a) * 0.08).max(0.5);
            (a - pad, b + pad)
        }
        _ => (10.0, 40.0),
    };
    let xmax = 100.0 * j.rates.iter().copied().fold(0.0, f64::max) + 2.0;
    let xs = AxisScale::linear(0.0, xmax);
    let ys = AxisScale::linear(lo, hi);
    let xspec = AxisSpec::auto(xs, 8, "sampling rate |Ω| / n² (%)");
    let yspec = AxisSpec::auto(ys, 6, "PSNR (dB)");
    let names: Vec<String> = SAMPLES_METHODS
        .iter()
        .map(|w| title(*w).to_owned())
        .collect();
    let trained = format!("trained at {}", pct(j.trained_rate));
    let shown = format!("shown below: {}", pct(ri.rate));
    let mut items: Vec<(Key, &str)> = SAMPLES_METHODS
        .iter()
        .zip(&names)
        .map(|(w, t)| (Key::Line(colour(*w)), t.as_str()))
        .collect();
    items.push((Key::Stroke(FRAME), &trained));
    items.push((Key::Stroke(ORANGE), &shown));
    let ls = plot::legend_size(&p.font, &th, &items);
    let y = y0 + th.u(6.0);
    let region = [l, y + ls[1] + th.u(10.0), r, y + ls[1] + th.u(420.0)];
    let axes = Axes::fit(region, xs, ys, &xspec, &yspec, &p.font, &th);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    plot::legend(&mut p.c, &p.font, &th, axes.frame[0], y, &items);
    let [_, ft, _, fb] = axes.frame;
    let xt = axes.px(100.0 * j.trained_rate, lo).0;
    dashed(&mut p.c, xt, ft, fb, th.u(6.0), th.u(2.0), FRAME);
    let xr = axes.px(100.0 * ri.rate, lo).0;
    p.c.line((xr, ft), (xr, fb), th.u(2.0), ORANGE, 1.0);
    for w in SAMPLES_METHODS {
        let line: Vec<(f64, f64)> = j
            .points()
            .iter()
            .filter(|q| which_of(&q.method) == Some(w))
            .map(|q| (100.0 * q.rate, q.psnr))
            .collect();
        axes.line(&mut p.c, &line, colour(w), th.u(2.5));
        axes.markers(&mut p.c, &line, colour(w), th.u(3.5));
    }
    // The reconstructions at the rate shown.
    let mut y = region[3] + th.u(16.0);
    y = p.paragraph(
        &format!(
            "family:{} at {} ({} samples): the image and each method's |Ψ(y)|, same grey scale.",
            ri.image_seed,
            pct(ri.sampled),
            ri.samples
        ),
        y,
        plot::INK,
    ) + th.u(6.0);
    let pk = ri.x.fold(0.0f64, |m, v| m.max(*v));
    let mut panels: Vec<Panel> = vec![(
        grey_scaled_rgba(ri.x.view(), pk),
        "Image x".into(),
        vec![format!("grey scale 0 to {}", format_sig(pk, 3))],
    )];
    for (w, est, q) in &ri.outs {
        panels.push((
            grey_scaled_rgba(est.view(), pk),
            title(*w).into(),
            vec![format!("PSNR {q:.2} dB")],
        ));
    }
    let w = th.u(214.0);
    let gap = ((r - l) - 4.0 * w) / 3.0;
    let bottom = p.panel_row(&panels, n, y, w, gap);
    Ok(p.finish(&params::to_query(s.params), bottom + th.u(10.0)))
}

/// The curve (a row per rate: the rate sampled and each method's mean PSNR) and, as metrics,
/// the trained rate, the rate shown and each method's PSNR on the state's image there.
pub fn numbers(s: &SamplesState) -> Numbers {
    let j = s.job;
    let ri = s.rate;
    let mut n = Numbers::new("unstable", params::to_query(s.params));
    n.metric("trained rate", j.trained_rate)
        .metric("images", j.seeds.len() as f64)
        .metric("rate shown", ri.rate)
        .metric("sampled (rate shown)", ri.sampled)
        .metric("samples (rate shown)", ri.samples as f64);
    for (w, _, q) in &ri.outs {
        n.metric(&format!("{} psnr (rate shown)", w.name()), *q);
    }
    let cols: Vec<String> = std::iter::once("sampled".to_owned())
        .chain(SAMPLES_METHODS.iter().map(|w| format!("{} psnr", w.name())))
        .collect();
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let t = n.table("psnr against rate", &col_refs);
    for &rate in &j.rates {
        let sampled = j
            .points()
            .iter()
            .find(|q| q.rate == rate)
            .map_or(f64::NAN, |q| q.sampled);
        let mut v = vec![sampled];
        v.extend(
            SAMPLES_METHODS
                .iter()
                .map(|w| j.psnr(rate, *w).unwrap_or(f64::NAN)),
        );
        t.row(&format!("{rate:.2}"), &v);
    }
    n
}
