//! The dimension poster (Goodfellow's linear argument): softmax-linear classifiers on the same
//! digits resampled to d = 8², 14², 28² and 56² pixels. Left, on log-log axes, the mean exact
//! smallest flipping l-inf step eps* = |f_l - f_k| / ||w_l - w_k||_1 and the mean smallest
//! flipping FGSM step against d; right, bars of eps ||w'||_1 (the most a step of eps can move
//! the score) next to the mean margin |f| (how far the score must move to flip) per d; under
//! them the page's table.

use super::{pct, table, Poster};
use crate::demos::dimension::{DimensionParams, DimensionRow};
use crate::params;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, INK};
use crate::render::raster::{Canvas, Rgb};
use crate::render::text::Style;

const ORANGE: Rgb = [0xE8, 0x71, 0x0A];
const BLUE: Rgb = [0x08, 0x67, 0xA8];
const GREY: Rgb = [0x8A, 0x8A, 0x8A];

/// The dimension poster at `scale`, from the rows measured (`shipped`: the classifiers are the
/// shipped ones).
pub fn poster(
    params: &DimensionParams,
    rows: &[DimensionRow],
    shipped: bool,
    font: &[u8],
    scale: f64,
) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1100.0)?;
    let y0 = p.header(
        "Why: the linear argument in high dimension",
        "Goodfellow et al. 2015",
        &format!(
            "Linear classifiers on the same digits at more and more pixels d, over {} test images each gets right: the smallest ℓ∞ step that flips the label shrinks as d grows, since a step of ε can move the score by ε‖w′‖₁, which grows with d.",
            params.n
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let mid = (l + r) / 2.0;
    let top = y0 + th.u(4.0);
    let height = th.u(400.0);
    // Left: eps* and FGSM eps against d, log-log.
    let ys: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.mean_eps_star, r.mean_fgsm_eps])
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    let (ylo, yhi) = if ys.is_empty() {
        (0.01, 0.1)
    } else {
        (
            ys.iter().copied().fold(f64::INFINITY, f64::min) / 1.5,
            ys.iter().copied().fold(0.0, f64::max) * 1.5,
        )
    };
    let xs = AxisScale::log(40.0, 5000.0);
    let ysc = AxisScale::log(ylo, yhi);
    let mut xspec = AxisSpec::auto(xs, 5, "pixels d (log scale)");
    xspec.ticks = crate::demos::dimension::SIDES
        .iter()
        .map(|s| ((s * s) as f64, format!("{s}² = {}", s * s)))
        .collect();
    let mut yspec = AxisSpec::auto(ysc, 5, "smallest flipping ε (pixels 0 to 1, log)");
    if yspec.ticks.len() < 3 {
        // A narrow range: label the 1-2-5 ticks and their neighbours in between.
        yspec.ticks = plot::nice_ticks(ylo, yhi, 4)
            .into_iter()
            .filter(|v| *v > 0.0)
            .map(|v| (v, format_sig(v, 2)))
            .collect();
    }
    let items_eps = [
        (Key::Line(ORANGE), "ε* = |f| / ‖w′‖₁ (exact)"),
        (Key::Line(BLUE), "smallest flipping FGSM step"),
    ];
    let lsize = plot::legend_size(&p.font, &th, &items_eps);
    let region = [
        l,
        top + lsize[1] + th.u(10.0),
        mid - th.u(20.0),
        top + height,
    ];
    let axes = Axes::fit(region, xs, ysc, &xspec, &yspec, &p.font, &th);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    plot::legend(&mut p.c, &p.font, &th, axes.frame[0], top, &items_eps);
    for (col, pick) in [
        (
            ORANGE,
            (|r: &DimensionRow| r.mean_eps_star) as fn(&DimensionRow) -> f64,
        ),
        (BLUE, |r: &DimensionRow| r.mean_fgsm_eps),
    ] {
        let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.d as f64, pick(r))).collect();
        axes.line(&mut p.c, &pts, col, th.u(2.5));
        axes.markers(&mut p.c, &pts, col, th.u(4.5));
    }
    // Right: bars of eps ||w'||_1 and the margin.
    let items_bar = [
        (
            Key::Square(ORANGE),
            "ε‖w′‖₁ at ε = ".to_owned() + &params.eps.to_string(),
        ),
        (Key::Square(GREY), "mean margin |f|".to_owned()),
    ];
    let items_ref: Vec<(Key, &str)> = items_bar.iter().map(|(k, s)| (*k, s.as_str())).collect();
    let lsize = plot::legend_size(&p.font, &th, &items_ref);
    let top_val = rows
        .iter()
        .flat_map(|r| [params.eps * r.mean_w_l1, r.mean_margin])
        .fold(0.0, f64::max)
        * 1.15;
    let top_val = if top_val > 0.0 { top_val } else { 1.0 };
    let bx = AxisScale::linear(0.0, crate::demos::dimension::SIDES.len() as f64);
    let by = AxisScale::linear(0.0, top_val);
    let mut bxspec = AxisSpec::auto(bx, 4, "pixels d");
    bxspec.ticks.clear();
    let byspec = AxisSpec::auto(by, 5, "score change (logit units)");
    let bregion = [
        mid + th.u(20.0),
        top + lsize[1] + th.u(10.0),
        r,
        top + height,
    ];
    let baxes = Axes::fit(bregion, bx, by, &bxspec, &byspec, &p.font, &th);
    baxes.draw(&mut p.c, &p.font, &th, &bxspec, &byspec);
    plot::legend(&mut p.c, &p.font, &th, baxes.frame[0], top, &items_ref);
    let [fl, _, fr, fb] = baxes.frame;
    let slot = (fr - fl) / crate::demos::dimension::SIDES.len() as f64;
    for (i, side) in crate::demos::dimension::SIDES.iter().enumerate() {
        let cx = fl + (i as f64 + 0.5) * slot;
        let w = slot * 0.32;
        if let Some(row) = rows.iter().find(|r| r.side == *side) {
            baxes.bar(
                &mut p.c,
                cx - w / 2.0 - th.u(2.0),
                w,
                params.eps * row.mean_w_l1,
                ORANGE,
            );
            baxes.bar(&mut p.c, cx + w / 2.0 + th.u(2.0), w, row.mean_margin, GREY);
        }
        let base = fb + th.u(7.0) + p.font.ascent(th.small());
        p.font.draw(
            &mut p.c,
            &format!("{side}²"),
            cx,
            base,
            Style::new(th.small(), INK).centred(),
        );
    }
    let mut y = axes.frame[3].max(baxes.frame[3]) + th.u(56.0);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!("{}² = {}", r.side, r.d),
                pct(r.test_accuracy),
                format_sig(r.mean_eps_star, 3),
                format_sig(r.mean_fgsm_eps, 3),
                format_sig(r.mean_fgsm_eps_box, 3),
                format_sig(r.mean_w_l1, 3),
                format_sig(params.eps * r.mean_w_l1, 3),
                format_sig(r.mean_margin, 3),
            ]
        })
        .collect();
    y = table(
        &mut p,
        l,
        y,
        &[
            ("pixels d", 140.0),
            ("accuracy", 110.0),
            ("ε*", 90.0),
            ("FGSM ε", 100.0),
            ("FGSM in [0, 1]", 130.0),
            ("‖w′‖₁", 100.0),
            ("ε‖w′‖₁", 110.0),
            ("margin |f|", 120.0),
        ],
        &body,
    );
    let note = format!(
        "{} classifiers; means over the test images each classifies correctly.",
        if shipped {
            "Shipped"
        } else {
            "Freshly trained"
        }
    );
    let y = p.paragraph(&note, y, plot::MUTED);
    Ok(p.finish(&params::to_query(params), y))
}

/// The dimension numbers: one table row per image size (the page's table), and the step eps.
pub fn numbers(params: &DimensionParams, rows: &[DimensionRow], shipped: bool) -> Numbers {
    let mut n = Numbers::new("dimension", params::to_query(params));
    n.metric("eps", params.eps)
        .metric("shipped classifiers", if shipped { 1.0 } else { 0.0 });
    for r in rows {
        n.metric(&format!("eps* d={}", r.d), r.mean_eps_star);
    }
    let t = n.table(
        "sizes",
        &[
            "d",
            "accuracy",
            "eps*",
            "FGSM eps",
            "FGSM eps in [0, 1]",
            "||w'||1",
            "eps ||w'||1",
            "margin |f|",
            "images",
        ],
    );
    for r in rows {
        t.row(
            &format!("{}x{}", r.side, r.side),
            &[
                r.d as f64,
                r.test_accuracy,
                r.mean_eps_star,
                r.mean_fgsm_eps,
                r.mean_fgsm_eps_box,
                r.mean_w_l1,
                params.eps * r.mean_w_l1,
                r.mean_margin,
                r.images as f64,
            ],
        );
    }
    n
}
