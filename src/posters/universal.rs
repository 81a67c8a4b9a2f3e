//! The universal-perturbation poster: the one perturbation v (blue negative, red positive, full
//! colour at ±xi for the l-inf ball, else at its largest |value|), computed on training images
//! of one model; bars of the fraction of held-out test images whose label v changes on each
//! model, next to random noise of the same size; and some test images without and with v with
//! the labels the source model gives them (the page's first eight, in its fixed mixed order).

use super::{pct, Poster};
use crate::attacks::universal::UniversalResult;
use crate::attacks::Norm;
use crate::classifier::Classifier;
use crate::data::images::{mixed_order, ImageSet};
use crate::demos::universal::{UniversalJob, UniversalParams};
use crate::models::ImageModel;
use crate::nn::Network;
use crate::params;
use crate::render::class_colour;
use crate::render::images::{diverging_rgba, grey_rgba};
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, INK};
use crate::render::raster::{Canvas, Rgb};
use crate::render::text::Style;
use ndarray::Array1;

const NOISE: Rgb = [0x9A, 0x9A, 0x9A];
const FLIPPED: Rgb = [0xC0, 0x1C, 0x1C];

/// The examples the page shows.
pub const EXAMPLES: usize = 8;

/// A test image without and with v, and the source model's labels for both.
pub struct Example {
    pub image: Array1<f64>,
    pub perturbed: Array1<f64>,
    pub label: usize,
    pub adv_label: usize,
}

/// What the poster shows.
pub struct UniversalState {
    pub params: UniversalParams,
    pub result: UniversalResult,
    /// Per model measured: (model, fooling rate of v, of the random noise) on the test images.
    pub rates: Vec<(ImageModel, f64, f64)>,
    pub examples: Vec<Example>,
    pub shipped: bool,
}

impl UniversalState {
    /// The state of `job` (run for `params`, whose model is the source `net`), with the first
    /// `examples` test images in the fixed mixed order, as the page's worker takes them.
    pub fn of(
        params: &UniversalParams,
        job: &UniversalJob,
        test: &ImageSet,
        net: &Network,
        examples: usize,
    ) -> Self {
        let order = mixed_order(test.len());
        let examples = (0..examples.min(order.len()))
            .map(|i| {
                let x = test.images.row(order[i]);
                let xv = (&x + job.v()).mapv(|e| params.bounds.clip(e));
                Example {
                    label: net.label(x),
                    adv_label: net.label(xv.view()),
                    image: x.to_owned(),
                    perturbed: xv,
                }
            })
            .collect();
        let mut rates = job.rates();
        rates.sort_by_key(|r| r.0 as usize);
        Self {
            params: params.clone(),
            result: job.search_result(),
            rates,
            examples,
            shipped: job.shipped(),
        }
    }
}

fn model_short(m: ImageModel) -> &'static str {
    match m {
        ImageModel::Linear => "linear",
        ImageModel::Mlp => "MLP",
        ImageModel::Cnn => "CNN",
    }
}

/// The universal-perturbation poster at `scale`.
pub fn poster(s: &UniversalState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1100.0)?;
    let pr = &s.params;
    let res = &s.result;
    let norm = if pr.norm == Norm::Linf {
        "ℓ∞"
    } else {
        "ℓ2"
    };
    let last = res.rates.last().copied().unwrap_or(0.0);
    let y0 = p.header(
        "One perturbation for all images",
        "Moosavi-Dezfooli et al. 2017",
        &format!(
            "A universal perturbation v (‖v‖{} ≤ ξ = {}) computed on {} training digits of the {} model: it fools {} of them after {} pass{} (target {}: {}).",
            if pr.norm == Norm::Linf { "∞" } else { "₂" },
            pr.xi,
            pr.n,
            model_short(pr.model),
            pct(last),
            res.rates.len(),
            if res.rates.len() == 1 { "" } else { "es" },
            pct(1.0 - pr.delta),
            if res.reached_target { "reached" } else { "not reached" }
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let side = pr.data.side();
    let v_linf = res.v.fold(0.0f64, |m, e| m.max(e.abs()));
    let v_l2 = res.v.dot(&res.v).sqrt();
    let full = if pr.norm == Norm::Linf && pr.xi > 0.0 {
        pr.xi
    } else {
        v_linf.max(1e-12)
    };
    let w = th.u(250.0);
    let yb = plot::image_panel(
        &mut p.c,
        &p.font,
        &th,
        &diverging_rgba(res.v.view(), side, full),
        (side, side),
        (l, y0 + th.u(6.0)),
        w,
        &format!("v ({norm} ball)"),
        &[
            format!("full colour = ±{}", format_sig(full, 3)),
            format!("‖v‖∞ = {}", format_sig(v_linf, 3)),
            format!("‖v‖₂ = {}", format_sig(v_l2, 3)),
        ],
    );
    // Bars: fooling rate of v and of noise per model.
    let region = [l + w + th.u(50.0), y0 + th.u(6.0), r, y0 + th.u(380.0)];
    let xs = AxisScale::linear(0.0, 3.0);
    let ys = AxisScale::linear(0.0, 100.0);
    let mut xspec = AxisSpec::auto(xs, 3, "model (test images, never seen by the search)");
    xspec.ticks.clear();
    let yspec = AxisSpec::auto(ys, 5, "test images fooled (%)");
    let mut axes = Axes::fit(region, xs, ys, &xspec, &yspec, &p.font, &th);
    let items = [
        (
            Key::Square(class_colour(1)),
            "v, the universal perturbation",
        ),
        (Key::Square(NOISE), "random noise of the same size"),
    ];
    let lsize = plot::legend_size(&p.font, &th, &items);
    axes.frame[1] += lsize[1] + th.u(8.0);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    plot::legend(&mut p.c, &p.font, &th, axes.frame[0], region[1], &items);
    let [fl, _, fr, fb] = axes.frame;
    let slot = (fr - fl) / 3.0;
    for (i, m) in ImageModel::ALL.iter().enumerate() {
        let cx = fl + (i as f64 + 0.5) * slot;
        let bw = slot * 0.3;
        let label = format!(
            "{}{}",
            model_short(*m),
            if *m == pr.model { " (source)" } else { "" }
        );
        let base = fb + th.u(7.0) + p.font.ascent(th.small());
        p.font.draw(
            &mut p.c,
            &label,
            cx,
            base,
            Style::new(th.small(), INK).centred(),
        );
        if let Some(&(_, fv, fnoise)) = s.rates.iter().find(|r| r.0 == *m) {
            for (dx, val, col) in [(-0.5, fv, class_colour(1)), (0.5, fnoise, NOISE)] {
                let bx = cx + dx * (bw + th.u(4.0));
                axes.bar(&mut p.c, bx, bw, 100.0 * val, col);
                let top = axes.px(0.0, 100.0 * val).1 - th.u(5.0);
                p.font.draw(
                    &mut p.c,
                    &format!("{:.1}", 100.0 * val),
                    bx,
                    top,
                    Style::new(th.small(), INK).centred(),
                );
            }
        }
    }
    // Examples.
    let mut y = yb.max(axes.frame[3] + th.u(60.0)) + th.u(10.0);
    y = p.paragraph(
        &format!(
            "Held-out test images without and with v, and the labels the {} model gives them (changed labels in red):",
            model_short(pr.model)
        ),
        y,
        INK,
    ) + th.u(8.0);
    let n = s.examples.len().max(1) as f64;
    let pair_w = (r - l) / n;
    let img = ((pair_w - th.u(16.0)) / 2.0).floor();
    let mut ybot = y;
    for (i, e) in s.examples.iter().enumerate() {
        let x = l + i as f64 * pair_w + th.u(4.0);
        for (k, im) in [&e.image, &e.perturbed].iter().enumerate() {
            let xx = (x + k as f64 * (img + th.u(4.0))).round();
            p.c.draw_image_rect(
                &grey_rgba(im.view(), side),
                side,
                side,
                xx as usize,
                y.round() as usize,
                img as usize,
                img as usize,
            );
        }
        let cx = x + img + th.u(2.0);
        let base = y + img + th.u(6.0) + p.font.ascent(th.body());
        let flipped = e.label != e.adv_label;
        let names = pr.data.class_names();
        let nm = |k: usize| -> String {
            if pr.data == crate::data::images::ImageDataset::Fashion {
                names.get(k).map_or(k.to_string(), |s| s.to_string())
            } else {
                k.to_string()
            }
        };
        let text = format!("{} → {}", nm(e.label), nm(e.adv_label));
        p.font.draw(
            &mut p.c,
            &text,
            cx,
            base,
            Style::new(th.body(), if flipped { FLIPPED } else { INK }).centred(),
        );
        ybot = ybot.max(base + p.font.descent(th.body()));
    }
    let note = if s.shipped {
        "v as shipped in www/models (the search's result for this state, bit for bit)."
    } else {
        "v computed by the search for this state."
    };
    let y = p.paragraph(note, ybot + th.u(6.0), plot::MUTED);
    Ok(p.finish(&params::to_query(pr), y))
}

/// The universal-perturbation numbers: the training fooling rate, ||v||, and per model the
/// test fooling rates of v and of the noise (metrics named as the page's readout, and a
/// table), with the training rate after each pass.
pub fn numbers(s: &UniversalState) -> Numbers {
    let res = &s.result;
    let mut n = Numbers::new("universal", params::to_query(&s.params));
    n.metric(
        "training images fooled",
        res.rates.last().copied().unwrap_or(0.0),
    )
    .metric("target", 1.0 - s.params.delta)
    .metric("target reached", if res.reached_target { 1.0 } else { 0.0 })
    .metric("passes", res.rates.len() as f64)
    .metric("||v||inf", res.v.fold(0.0f64, |m, e| m.max(e.abs())))
    .metric("||v||2", res.v.dot(&res.v).sqrt());
    for (m, fv, fnoise) in &s.rates {
        n.metric(&format!("test images fooled, {}", m.name()), *fv)
            .metric(&format!("random noise, {}", m.name()), *fnoise);
    }
    let t = n.table("test fooling rates", &["v", "random noise"]);
    for (m, fv, fnoise) in &s.rates {
        t.row(m.name(), &[*fv, *fnoise]);
    }
    let t = n.table("training fooling rate per pass", &["rate"]);
    for (i, r) in res.rates.iter().enumerate() {
        t.row(&format!("pass {}", i + 1), &[*r]);
    }
    n
}
