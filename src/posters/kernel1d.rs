//! The troublesome-kernel poster in 1-D (Gottschling, Antun, Adcock, Hansen, "The troublesome
//! kernel", SIAM Review 2025, arXiv:2001.01258): the signals at a held-out signal (x, x + z,
//! the part the measurements see P x = A* A x, the network's and TV's reconstructions, and
//! the network's output on the instability test's perturbation r, ‖r‖ = δ‖z‖); the
//! trade-off traced as the networks trained, with and without kernel-aware pairs (accuracy on
//! the pairs x + z against the amplification), with TV and the evaluated networks as points;
//! the amplification against δ beside the bound (‖z‖ − 2η) / (δ‖z‖) and 1/δ; and the numbers.

use super::{table, Poster};
use crate::demos::kernel1d::page::{inverse_delta_curve, Figure};
use crate::demos::kernel1d::{ScoreNums, TrainResult};
use crate::job::Num;
use crate::params;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, MUTED};
use crate::render::raster::{Canvas, Rgb};
use crate::troublesome_kernel::{N, TV_LAMBDA};

/// The network trained with pairs (the unstable one), without, and TV.
pub const NET_ON: Rgb = [0xC0, 0x27, 0x2D];
pub const NET_OFF: Rgb = [0x08, 0x67, 0xA8];
pub const TV: Rgb = [0x2E, 0x8B, 0x3E];
const TRUTH: Rgb = [0x22, 0x22, 0x22];
const WITH_Z: Rgb = [0xA0, 0xA0, 0xA0];
const MEASURED: Rgb = [0x8E, 0x6C, 0xC0];
const PERTURBED: Rgb = [0xE8, 0x71, 0x0A];
const TV_R: Rgb = [0x8F, 0xC9, 0x6E];
const GREY: Rgb = [0x8A, 0x8A, 0x8A];

/// The colour of a network by its switch.
pub fn net_colour(pairs: &str) -> Rgb {
    if pairs == "on" {
        NET_ON
    } else {
        NET_OFF
    }
}

/// The words for a network by its switch.
pub fn net_name(pairs: &str) -> &'static str {
    if pairs == "on" {
        "network, pairs on"
    } else {
        "network, pairs off"
    }
}

fn num(v: Option<Num>) -> f64 {
    v.map_or(f64::NAN, |n| n.0)
}

fn sig(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format_sig(v, digits)
    } else {
        "–".into()
    }
}

/// The finite range of some values, widened by `margin` of its length (or by 1 if flat).
fn range(values: impl IntoIterator<Item = f64>, margin: f64) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 1.0, hi + 1.0);
    }
    let m = (hi - lo) * margin;
    (lo - m, hi + m)
}

/// A curve to draw: its values, colour, width (units) and legend words.
type Curve<'a> = (&'a [f64], Rgb, f64, String);

/// The signals plot in `region`: the instability test's worst case (the held-out signal, its
/// measured part, and both methods from A x and from A(x + r)) once evaluated, else held-out
/// signal 0 with the network as trained.
fn signals_plot(p: &mut Poster, region: [f64; 4], f: &Figure) {
    let th = p.th;
    let pairs = f.train.pairs;
    let net = net_colour(pairs);
    let (t, lines): (&[f64], Vec<Curve>) = match &f.perturbed {
        Some(q) => (
            &q.t,
            vec![
                (&q.measured, MEASURED, 1.5, "what A sees: A*A x".into()),
                (&q.x_z, WITH_Z, 2.0, "x + z: the tumour added".into()),
                (&q.x, TRUTH, 2.5, format!("x, held-out signal {}", q.index)),
                (&q.tv, TV, 2.0, "TV from A x".into()),
                (
                    &q.tv_r,
                    TV_R,
                    2.0,
                    format!("TV from A(x + r): moved {}", sig(q.tv_change, 2)),
                ),
                (&q.net, net, 2.5, format!("{}, from A x", net_name(pairs))),
                (
                    &q.net_r,
                    PERTURBED,
                    2.5,
                    format!("the network from A(x + r): moved {}", sig(q.net_change, 2)),
                ),
            ],
        ),
        None => {
            let s = &f.signals;
            (
                &s.t,
                vec![
                    (&s.measured, MEASURED, 1.5, "what A sees: A*A x".into()),
                    (&s.x_z, WITH_Z, 2.0, "x + z: the tumour added".into()),
                    (&s.x, TRUTH, 2.5, "x, held-out signal 0".into()),
                    (&s.tv, TV, 2.0, "TV from A x".into()),
                    (&s.net, net, 2.5, format!("{}, from A x", net_name(pairs))),
                ],
            )
        }
    };
    let (lo, hi) = range(lines.iter().flat_map(|l| l.0.iter().copied()), 0.06);
    let xs = AxisScale::linear(0.0, (N - 1) as f64);
    let ys = AxisScale::linear(lo, hi);
    let xspec = AxisSpec::auto(xs, 8, "t (sample)");
    let yspec = AxisSpec::auto(ys, 5, "value");
    let items: Vec<(Key, &str)> = lines
        .iter()
        .map(|(_, c, _, l)| (Key::Stroke(*c), l.as_str()))
        .collect();
    let lsize = plot::legend_size(&p.font, &th, &items);
    let inner = [
        region[0],
        region[1],
        region[2] - lsize[0] - th.u(12.0),
        region[3],
    ];
    let axes = Axes::fit(inner, xs, ys, &xspec, &yspec, &p.font, &th);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    for (v, c, w, _) in &lines {
        let pts: Vec<(f64, f64)> = t.iter().copied().zip(v.iter().copied()).collect();
        axes.line(&mut p.c, &pts, *c, th.u(*w));
    }
    plot::legend(
        &mut p.c,
        &p.font,
        &th,
        region[2] - lsize[0],
        axes.frame[1],
        &items,
    );
}

/// The trade-off traced as the networks trained: accuracy on the pairs (PSNR on held-out
/// x + z) against the cheap amplification estimate at held-out signal 0; the evaluated
/// network and TV (worst over the attacked signals) as points.
fn tradeoff_plot(p: &mut Poster, region: [f64; 4], f: &Figure) {
    let th = p.th;
    let traces: Vec<&TrainResult> = std::iter::once(&f.train)
        .chain(f.contrast.as_ref())
        .collect();
    let tv = f.eval.tv;
    let eval_pt = (num(f.eval.amplification), f.eval.net.pair_accuracy.0);
    let tv_pt = (
        num(f.eval.amplification_tv),
        tv.map_or(f64::NAN, |t| t.pair_accuracy.0),
    );
    let xs_all = traces
        .iter()
        .flat_map(|t| t.trace.iter().map(|q| q.amplification.0))
        .chain([eval_pt.0, tv_pt.0, 0.0]);
    let ys_all = traces
        .iter()
        .flat_map(|t| t.trace.iter().map(|q| q.scores.pair_accuracy.0))
        .chain([eval_pt.1, tv_pt.1]);
    let (_, xhi) = range(xs_all, 0.06);
    let (ylo, yhi) = range(ys_all, 0.08);
    let xs = AxisScale::linear(0.0, xhi);
    let ys = AxisScale::linear(ylo, yhi);
    let xspec = AxisSpec::auto(xs, 5, "amplification ‖ΔΨ‖ / ‖r‖");
    let yspec = AxisSpec::auto(ys, 5, "PSNR on x + z (dB)");
    let mut items: Vec<(Key, String)> = traces
        .iter()
        .map(|t| {
            (
                Key::Line(net_colour(t.pairs)),
                format!("{}, as it trains", net_name(t.pairs)),
            )
        })
        .collect();
    items.push((
        Key::Disc(net_colour(f.train.pairs), Some(TRUTH)),
        "evaluated (worst of the test)".into(),
    ));
    items.push((Key::Disc(TV, None), "TV".into()));
    let refs: Vec<(Key, &str)> = items.iter().map(|(k, s)| (*k, s.as_str())).collect();
    let axes = p.axes_under_legend(region, (xs, ys), (&xspec, &yspec), &refs);
    for t in &traces {
        let pts: Vec<(f64, f64)> = t
            .trace
            .iter()
            .map(|q| (q.amplification.0, q.scores.pair_accuracy.0))
            .collect();
        axes.line(&mut p.c, &pts, net_colour(t.pairs), th.u(2.0));
        axes.markers(&mut p.c, &pts, net_colour(t.pairs), th.u(3.0));
    }
    if eval_pt.0.is_finite() && eval_pt.1.is_finite() {
        p.c.disc(axes.px(eval_pt.0, eval_pt.1), th.u(8.0), TRUTH, 1.0);
        axes.markers(&mut p.c, &[eval_pt], net_colour(f.train.pairs), th.u(6.0));
    }
    if tv_pt.0.is_finite() && tv_pt.1.is_finite() {
        axes.markers(&mut p.c, &[tv_pt], TV, th.u(7.0));
    }
}

/// The amplification against delta (log-log): 1/δ, the state's evaluation (the worst the
/// test found and the bound (‖z‖ − 2η)/(δ‖z‖)) and, if computed, the sweep.
fn delta_plot(p: &mut Poster, region: [f64; 4], f: &Figure) {
    let th = p.th;
    let curve = inverse_delta_curve();
    let sweep = f.sweep.as_ref().map_or(&[][..], |s| &s.points[..]);
    let state = (f.eval.delta, num(f.eval.amplification), num(f.eval.bound));
    let ys_all = curve
        .iter()
        .map(|c| c[1])
        .chain(sweep.iter().flat_map(|q| [q.amplification.0, num(q.bound)]))
        .chain([state.1, state.2])
        .filter(|v| *v > 0.0 && v.is_finite());
    let (ylo, yhi) = ys_all.fold((f64::INFINITY, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    let xs = AxisScale::log(curve[0][0], curve[curve.len() - 1][0]);
    let ys = AxisScale::log(ylo.min(1.0) / 1.5, yhi * 1.5);
    let xspec = AxisSpec::auto(xs, 5, "δ = ‖Az‖ / ‖z‖ (log)");
    let yspec = AxisSpec::auto(ys, 5, "amplification (log)");
    let mut items: Vec<(Key, &str)> = vec![
        (Key::Stroke(GREY), "1/δ: the bound for η = 0"),
        (Key::Disc(NET_ON, Some(TRUTH)), "the test, this δ (worst)"),
        (
            Key::Disc(plot::WHITE, Some(NET_ON)),
            "the bound (‖z‖ − 2η)/(δ‖z‖)",
        ),
    ];
    if !sweep.is_empty() {
        items.push((Key::Line(NET_ON), "the test, retrained per δ"));
        items.push((Key::Line(MUTED), "the bound, per δ"));
    }
    let axes = p.axes_under_legend(region, (xs, ys), (&xspec, &yspec), &items);
    let pts: Vec<(f64, f64)> = curve.iter().map(|c| (c[0], c[1])).collect();
    axes.line(&mut p.c, &pts, GREY, th.u(2.0));
    if !sweep.is_empty() {
        let a: Vec<(f64, f64)> = sweep.iter().map(|q| (q.delta, q.amplification.0)).collect();
        axes.line(&mut p.c, &a, NET_ON, th.u(2.0));
        axes.markers(&mut p.c, &a, NET_ON, th.u(3.5));
        let b: Vec<(f64, f64)> = sweep
            .iter()
            .filter_map(|q| q.bound.map(|b| (q.delta, b.0)))
            .collect();
        axes.line(&mut p.c, &b, MUTED, th.u(2.0));
        axes.markers(&mut p.c, &b, MUTED, th.u(3.5));
    }
    let colour = net_colour(f.train.pairs);
    if state.2.is_finite() && state.2 > 0.0 {
        let c = axes.px(state.0, state.2);
        p.c.ring(c, th.u(7.0), th.u(2.5), colour);
    }
    if state.1.is_finite() && state.1 > 0.0 {
        p.c.disc(axes.px(state.0, state.1), th.u(8.0), TRUTH, 1.0);
        axes.markers(&mut p.c, &[(state.0, state.1)], colour, th.u(6.0));
    }
}

/// A row of the numbers table for a map's scores.
fn score_row(name: &str, s: &ScoreNums, worst: f64, mean: f64) -> Vec<String> {
    vec![
        name.to_owned(),
        sig(s.pair_accuracy.0, 4),
        sig(s.psnr_test.0, 4),
        sig(s.tumour_error.0, 3),
        sig(worst, 4),
        sig(mean, 4),
    ]
}

/// The troublesome-kernel poster at `scale`, from the page's figure.
pub fn poster(f: &Figure, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 2000.0)?;
    let e = &f.eval;
    let pairs = f.train.pairs;
    let y0 = p.header(
        "The troublesome kernel in 1-D",
        "Gottschling, Antun, Adcock, Hansen, SIAM Review 2025",
        &format!(
            "Piecewise cubic signals on {N} points measured at 33 of their 128 Fourier frequencies, y = A x. The tumour z (‖z‖ = {}) has ‖Az‖ = δ‖z‖, δ = {}: the measurements barely see it. A network trained {} kernel-aware pairs (x and x + z); η = {} is its worst error on the pair, so it must amplify by at least (‖z‖ − 2η)/(δ‖z‖) = {}. The instability test (perturbations ‖r‖ = δ‖z‖ on held-out signals) found {}; TV (λ = {TV_LAMBDA}): {}.",
            sig(e.z_norm, 3),
            sig(e.delta, 3),
            if pairs == "on" { "with" } else { "without" },
            sig(e.eta.0, 3),
            e.bound.map_or("– (not accurate on both)".into(), |b| sig(b.0, 3)),
            sig(num(e.amplification), 3),
            sig(num(e.amplification_tv), 3),
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let h = th.u(330.0);
    let y = y0 + th.u(6.0);
    signals_plot(&mut p, [l, y, r, y + h], f);
    let y = y + h + th.u(20.0);
    let mid = (l + r) / 2.0;
    let h2 = th.u(400.0);
    tradeoff_plot(&mut p, [l, y, mid - th.u(16.0), y + h2], f);
    delta_plot(&mut p, [mid + th.u(16.0), y, r, y + h2], f);
    let mut y = y + h2 + th.u(16.0);
    let mut rows = vec![score_row(
        net_name(pairs),
        &e.net,
        num(e.amplification),
        num(e.amplification_mean),
    )];
    if let Some(t) = &e.tv {
        rows.push(score_row(
            "TV square-root LASSO",
            t,
            num(e.amplification_tv),
            num(e.amplification_tv_mean),
        ));
    }
    y = table(
        &mut p,
        l,
        y,
        &[
            ("method", 260.0),
            ("PSNR on x + z", 150.0),
            ("PSNR on x", 130.0),
            ("tumour error", 130.0),
            ("amplification", 140.0),
            ("mean", 100.0),
        ],
        &rows,
    );
    let y = p.paragraph(
        &format!(
            "PSNR in dB, means over 32 held-out signals; tumour error ‖Ψ(A(x + z)) − Ψ(A x) − z‖/‖z‖ (1: missed). Amplification ‖Ψ(A(x + r)) − Ψ(A x)‖/‖r‖: the worst and the mean over {} attacked held-out signals. Training: {} epochs of Adam over 1,024 signals{}, seed {}.",
            e.attacked.len(),
            f.params.epochs,
            if pairs == "on" { " and 256 pairs" } else { "" },
            f.params.seed
        ),
        y + th.u(6.0),
        MUTED,
    );
    Ok(p.finish(&params::to_query(&f.params), y))
}

/// The figure's numbers: the command line's summary as metrics (`barriers-lab kernel1d
/// --json`), the traces, the attacked signals, the signals plotted and the sweep.
pub fn numbers(f: &Figure) -> Numbers {
    let e = &f.eval;
    let mut n = Numbers::new("kernel1d", params::to_query(&f.params));
    let tv = |g: fn(&ScoreNums) -> Num| e.tv.as_ref().map_or(f64::NAN, |t| g(t).0);
    n.metric("pairs_on", if f.train.pairs == "on" { 1.0 } else { 0.0 })
        .metric("delta", e.delta)
        .metric("epochs", f.params.epochs as f64)
        .metric("seed", f64::from(f.params.seed))
        .metric("pair_accuracy", e.net.pair_accuracy.0)
        .metric("pair_error", e.net.pair_error.0)
        .metric("tumour_error", e.net.tumour_error.0)
        .metric("psnr_test", e.net.psnr_test.0)
        .metric("psnr_test_tv", tv(|t| t.psnr_test))
        .metric("pair_accuracy_tv", tv(|t| t.pair_accuracy))
        .metric("amplification", num(e.amplification))
        .metric("amplification_tv", num(e.amplification_tv))
        .metric("amplification_mean", num(e.amplification_mean))
        .metric("amplification_tv_mean", num(e.amplification_tv_mean))
        .metric("lipschitz", num(e.lipschitz))
        .metric("amplification_v", e.amplification_v.0)
        .metric("pair_lipschitz", e.pair_lipschitz.0)
        .metric("bound", num(e.bound))
        .metric("eta", e.eta.0)
        .metric("z_norm", e.z_norm)
        .metric("az_norm", e.az_norm);
    if let Some(q) = &f.perturbed {
        n.metric("worst_index", q.index as f64)
            .metric("worst_r_norm", q.r_norm)
            .metric("worst_net_change", q.net_change)
            .metric("worst_tv_change", q.tv_change)
            .metric("worst_amplification", q.amplification);
    }
    let columns = [
        "epoch",
        "loss",
        "pair_accuracy",
        "pair_error",
        "tumour_error",
        "psnr_test",
        "amplification",
        "amplification_ascent",
        "amplification_v",
    ];
    for (name, t) in [
        ("trace", Some(&f.train)),
        ("trace_contrast", f.contrast.as_ref()),
    ] {
        let Some(t) = t else { continue };
        let tab = n.table(&format!("{name} (pairs {})", t.pairs), &columns);
        for q in &t.trace {
            tab.row(
                &q.epoch.to_string(),
                &[
                    q.epoch as f64,
                    q.loss.0,
                    q.scores.pair_accuracy.0,
                    q.scores.pair_error.0,
                    q.scores.tumour_error.0,
                    q.scores.psnr_test.0,
                    q.amplification.0,
                    q.amplification_ascent.0,
                    q.amplification_v.0,
                ],
            );
        }
    }
    let tab = n.table(
        "attacked",
        &[
            "index",
            "budget",
            "net",
            "net_lipschitz",
            "tv",
            "tv_lipschitz",
        ],
    );
    for a in &e.attacked {
        tab.row(
            &a.index.to_string(),
            &[
                a.index as f64,
                a.budget,
                a.net.0,
                a.net_lipschitz.0,
                a.tv.0,
                a.tv_lipschitz.0,
            ],
        );
    }
    let s = &f.signals;
    let tab = n.table(
        "signals (held-out 0)",
        &[
            "t", "x", "x_z", "measured", "net", "net_z", "tv", "tv_z", "z",
        ],
    );
    for i in 0..s.t.len() {
        tab.row(
            &i.to_string(),
            &[
                s.t[i],
                s.x[i],
                s.x_z[i],
                s.measured[i],
                s.net[i],
                s.net_z[i],
                s.tv[i],
                s.tv_z[i],
                s.z[i],
            ],
        );
    }
    if let Some(q) = &f.perturbed {
        let tab = n.table(
            &format!("worst case (held-out {})", q.index),
            &[
                "t", "x", "x_z", "measured", "r", "net", "net_r", "tv", "tv_r",
            ],
        );
        for i in 0..q.t.len() {
            tab.row(
                &i.to_string(),
                &[
                    q.t[i],
                    q.x[i],
                    q.x_z[i],
                    q.measured[i],
                    q.r[i],
                    q.net[i],
                    q.net_r[i],
                    q.tv[i],
                    q.tv_r[i],
                ],
            );
        }
    }
    if let Some(sw) = &f.sweep {
        let tab = n.table(
            "sweep",
            &[
                "delta",
                "inverse_delta",
                "amplification",
                "amplification_v",
                "eta",
                "bound",
                "pair_error",
                "psnr_test",
            ],
        );
        for q in &sw.points {
            tab.row(
                &q.delta.to_string(),
                &[
                    q.delta,
                    q.inverse_delta,
                    q.amplification.0,
                    q.amplification_v.0,
                    q.eta.0,
                    num(q.bound),
                    q.pair_error.0,
                    q.psnr_test.0,
                ],
            );
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::kernel1d::page::Kernel1dPage;
    use crate::demos::kernel1d::{Kernel1dParams, Pairs, Summary};
    use crate::posters::test_font::{colours, FONT};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A short figure: 6 epochs, the sweep included.
    fn figure(pairs: Pairs, sweep: bool) -> Figure {
        let p = Kernel1dParams {
            pairs,
            epochs: 6,
            ..Kernel1dParams::default()
        };
        Kernel1dPage::new(p).compute_figure(sweep).unwrap()
    }

    /// The poster is a picture, twice as wide at scale 2; its numbers hold the command line's
    /// summary for the same state exactly, and a table per thing drawn.
    #[test]
    fn the_poster_draws_the_figure_and_its_numbers_are_the_commands() {
        let f = figure(Pairs::On, true);
        let c1 = poster(&f, FONT, 1.0).unwrap();
        assert_eq!(c1.width, 1000);
        assert!(c1.height > 800, "{}", c1.height);
        assert!(colours(&c1) > 100);
        let n = numbers(&f);
        assert_eq!(n.link, params::to_query(&f.params));
        let (_, ev) = crate::demos::kernel1d::run(&f.params).unwrap();
        let summary = serde_json::to_value(Summary::new(&f.params, &ev)).unwrap();
        for (k, v) in &n.metrics.0 {
            if k == "pairs_on" || k.starts_with("worst_") {
                continue;
            }
            match &summary[k] {
                serde_json::Value::Number(w) => assert_eq!(w.as_f64().unwrap(), *v, "{k}"),
                serde_json::Value::Null => assert!(v.is_nan(), "{k}"),
                other => panic!("{k}: {other}"),
            }
        }
        assert_eq!(n.get("pairs_on"), Some(1.0));
        // The worst case drawn is the test's: the ascent recomputed to its worst iterate
        // gives the evaluation's worst amplification, with ||r|| within the budget.
        let q = f.perturbed.as_ref().expect("evaluated");
        let want = f.eval.amplification.unwrap().0;
        assert!(
            (q.amplification - want).abs() <= 1e-9 * want,
            "{} vs {want}",
            q.amplification
        );
        assert!(q.r_norm <= f.eval.az_norm * (1.0 + 1e-9));
        assert_eq!(n.get("worst_amplification"), Some(q.amplification));
        let names: Vec<&str> = n.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names[..4],
            [
                "trace (pairs on)",
                "trace_contrast (pairs off)",
                "attacked",
                "signals (held-out 0)"
            ]
        );
        assert!(names[4].starts_with("worst case (held-out "));
        assert_eq!(names[5], "sweep");
        assert_eq!(n.tables[3].rows.len(), N);
        assert_eq!(n.tables[4].rows.len(), N);
        assert_eq!(
            n.tables[5].rows.len(),
            crate::demos::kernel1d::SWEEP_DELTAS.len()
        );
    }

    /// Without pairs the poster still draws (no bound), and without the sweep there is no
    /// sweep table; the switch changes the picture.
    #[test]
    fn the_switch_changes_the_poster() {
        let off = figure(Pairs::Off, false);
        let on = figure(Pairs::On, false);
        let (a, b) = (
            poster(&off, FONT, 1.0).unwrap(),
            poster(&on, FONT, 1.0).unwrap(),
        );
        assert_ne!(a.rgba, b.rgba);
        let n = numbers(&off);
        assert_eq!(n.get("pairs_on"), Some(0.0));
        assert!(n.tables.iter().all(|t| t.name != "sweep"));
    }
}
