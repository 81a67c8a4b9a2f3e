//! The barrier poster (Colbrook, Antun, Hansen, PNAS 2022, Theorem 2 and Table 1): the picture
//! of the barrier (the first two coordinates in units of 10^-K, the two exact minimisers with
//! circles of radius 1.5 10^-K, where each method landed) beside the theorem in words; under
//! them, unrolling shown (FIRENET's and Chambolle-Pock's error against layers, LISTA's against
//! training steps, each with the barrier's floor); then the cell's numbers and, if computed,
//! the nine-cell table.

use super::{table, Poster};
use crate::demos::inexact::{CellResult, CurvePoint, InexactParams, Score, TableResult, View};
use crate::job::Num;
use crate::params;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, INK, MUTED};
use crate::render::raster::{Canvas, Rgb};
use crate::render::text::Style;

const ORANGE: Rgb = [0xE8, 0x71, 0x0A];
const BLUE: Rgb = [0x08, 0x67, 0xA8];
const GREEN: Rgb = [0x2E, 0x8B, 0x3E];
const RED: Rgb = [0xC0, 0x27, 0x2D];
const GREY: Rgb = [0x8A, 0x8A, 0x8A];
const PURPLE: Rgb = [0x6A, 0x3D, 0x9A];

/// Each method's colour, by name.
fn colour(method: &str) -> Rgb {
    match method {
        "firenet" => ORANGE,
        "cp" => BLUE,
        _ => PURPLE,
    }
}

/// The theorem in plain words, for the poster and the page.
pub const STATEMENTS: [&str; 3] = [
    "1. No algorithm, however it is built or trained, gets K correct digits from inputs known to 2⁻ⁿ: the input fits two problems whose answers are 3·10⁻ᴷ apart.",
    "2. K − 1 digits exist (a stable, accurate network does), but no algorithm reaches them from a bounded amount of data.",
    "3. K − 2 digits are computable, efficiently, by FIRENET.",
];

/// The picture's window [x0, x1, y0, y1] in its units (the page's window, made by the demo).
pub fn picture_view(cell: &CellResult) -> [f64; 4] {
    let View { centre: c, half } = cell.picture.view;
    [c[0] - half, c[0] + half, c[1] - half, c[1] + half]
}

/// `base`^-`e` with the exponent in superscript ("10⁻³", "2⁻²⁰").
fn power(base: u32, e: u32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits: String = e
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| SUP[d as usize]))
        .collect();
    format!("{base}⁻{digits}")
}

/// Log ticks, 1-2-5 per decade over at most three decades, else one per decade.
fn sparse_log_ticks(scale: AxisScale) -> Vec<(f64, String)> {
    let decades = (scale.hi / scale.lo).log10();
    plot::log_ticks(scale.lo, scale.hi)
        .into_iter()
        .filter(|v| decades <= 3.0 || (v.log10() - v.log10().round()).abs() < 1e-9)
        .map(|v| (v, format_sig(v, 1)))
        .collect()
}

fn sci(v: Option<Num>) -> String {
    match v {
        Some(Num(x)) if x.is_finite() => format!("{x:.3e}"),
        Some(_) => "nan".into(),
        None => "–".into(),
    }
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// A log-log error plot of curves against their x, with the floor as a dashed grey line.
#[allow(clippy::too_many_arguments)]
fn error_plot(
    p: &mut Poster,
    region: [f64; 4],
    curves: &[(&[CurvePoint], Rgb, &str)],
    floor: f64,
    xmax: f64,
    xtitle: &str,
    legend_extra: Option<(Key, &str)>,
) {
    let th = p.th;
    let with_given = legend_extra.is_some();
    let mut ys: Vec<f64> = curves
        .iter()
        .flat_map(|(c, _, _)| {
            c.iter()
                .flat_map(move |q| [q.error.0, if with_given { q.error_given.0 } else { 0.0 }])
        })
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    ys.push(floor);
    let lo = ys.iter().copied().fold(f64::MAX, f64::min) / 3.0;
    let hi = ys.iter().copied().fold(0.0, f64::max) * 3.0;
    let xs = AxisScale::log(1.0, xmax.max(10.0));
    let ysc = AxisScale::log(lo, hi);
    let mut xspec = AxisSpec::auto(xs, 5, xtitle);
    xspec.ticks = sparse_log_ticks(xs);
    let mut yspec = AxisSpec::auto(ysc, 5, "error (log scale)");
    yspec.ticks = sparse_log_ticks(ysc);
    let mut items: Vec<(Key, &str)> = curves.iter().map(|(_, c, l)| (Key::Line(*c), *l)).collect();
    if let Some(extra) = legend_extra {
        items.push(extra);
    }
    items.push((Key::Stroke(GREY), "the barrier: 1.5·10⁻ᴷ"));
    let axes = p.axes_under_legend(region, (xs, ysc), (&xspec, &yspec), &items);
    let (a, b) = (axes.px(xs.lo, floor), axes.px(xs.hi, floor));
    let dash = th.u(8.0);
    let mut x = a.0;
    while x < b.0 {
        p.c.line((x, a.1), ((x + dash).min(b.0), a.1), th.u(2.0), GREY, 1.0);
        x += 2.0 * dash;
    }
    for (curve, col, _) in curves {
        let pts: Vec<(f64, f64)> = curve
            .iter()
            .filter(|q| q.error.0 > 0.0 && q.error.0.is_finite())
            .map(|q| (q.at.max(1) as f64, q.error.0))
            .collect();
        axes.line(&mut p.c, &pts, *col, th.u(2.5));
    }
    // The error against the given problem, thin, when it is asked for (LISTA).
    if let Some((Key::Stroke(col), _)) = legend_extra {
        for (curve, _, _) in curves {
            let pts: Vec<(f64, f64)> = curve
                .iter()
                .filter(|q| q.error_given.0 > 0.0 && q.error_given.0.is_finite())
                .map(|q| (q.at.max(1) as f64, q.error_given.0))
                .collect();
            axes.line(&mut p.c, &pts, col, th.u(1.5));
        }
    }
}

/// The barrier poster at `scale`, from a computed cell and, if given, the nine-cell table.
pub fn poster(
    params: &InexactParams,
    cell: &CellResult,
    nine: Option<&TableResult>,
    font: &[u8],
    scale: f64,
) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 2000.0)?;
    let k = cell.about.k;
    let unit = power(10, k);
    let y0 = p.header(
        "The barrier: K digits from inexact input",
        "Colbrook, Antun, Hansen, PNAS 2022",
        &format!(
            "K = {k}, n = {}: the input is known to {}, and it fits two exact square-root LASSO problems (‖A₁ − A₂‖ = {}, y equal) whose minimisers are {} apart. Every method is given the second and scored against the first.",
            cell.about.n,
            power(2, cell.about.n),
            format_sig(cell.about.a_dist, 3),
            format_sig(cell.about.minimiser_gap, 3)
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    // The picture, left.
    let side = th.u(440.0);
    let view = picture_view(cell);
    let xs = AxisScale::linear(view[0], view[1]);
    let ysc = AxisScale::linear(view[2], view[3]);
    let xspec = AxisSpec::auto(xs, 5, &format!("z₁ (units of {unit})"));
    let yspec = AxisSpec::auto(ysc, 5, &format!("z₂ (units of {unit})"));
    let region = [l, y0 + th.u(6.0), l + side, y0 + th.u(6.0) + side];
    let mut axes = Axes::fit(region, xs, ysc, &xspec, &yspec, &p.font, &th);
    // Square frame: shrink the longer side.
    let [fl, ft, fr, fb] = axes.frame;
    let s = (fr - fl).min(fb - ft);
    axes.frame = [fl, fb - s, fl + s, fb];
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    let per_unit = s / (view[1] - view[0]);
    let pic = &cell.picture;
    for (z, col) in [(pic.exact, GREEN), (pic.given, RED)] {
        let c = axes.px(z[0], z[1]);
        p.c.ring(c, pic.radius * per_unit, th.u(2.0), col);
        p.c.disc(c, th.u(6.0), col, 1.0);
    }
    // FIRENET as a wide ring, so that a method landing on the same point shows inside it.
    // A mark off the window (`far`) is drawn at its edge.
    let inside = |v: f64, lo: f64, hi: f64| v.clamp(lo + 0.02 * (hi - lo), hi - 0.02 * (hi - lo));
    for m in &pic.marks {
        let c = axes.px(
            inside(m.at[0], view[0], view[1]),
            inside(m.at[1], view[2], view[3]),
        );
        if m.method == "firenet" {
            p.c.ring(c, th.u(11.0), th.u(3.5), colour(m.method));
        } else {
            p.c.disc(c, th.u(6.5), INK, 1.0);
            p.c.disc(c, th.u(5.0), colour(m.method), 1.0);
        }
    }
    // The theorem in words, right.
    let tx = l + side + th.u(24.0);
    let width = r - tx;
    let body = th.body();
    let mut y = y0 + th.u(10.0);
    let head = Style::new(body, INK);
    y += th.line_height(body);
    p.font
        .draw(&mut p.c, "Theorem 2, in plain words:", tx, y, head);
    for s in STATEMENTS {
        y += th.u(6.0);
        for line in plot::wrap(&p.font, s, body, width) {
            y += th.line_height(body);
            p.font.draw(&mut p.c, &line, tx, y, Style::new(body, INK));
        }
    }
    y += th.u(10.0);
    let note = format!(
        "Circles: radius 1.5·{unit}. No point is inside both, so no output has K digits against both problems; inside either circle is K − 1 digits for that problem."
    );
    for line in plot::wrap(&p.font, &note, th.small(), width) {
        y += th.line_height(th.small());
        p.font
            .draw(&mut p.c, &line, tx, y, Style::new(th.small(), MUTED));
    }
    y += th.u(14.0);
    let mut items: Vec<(Key, String)> = vec![
        (
            Key::Disc(GREEN, None),
            "z* of the exact problem (j = 1)".into(),
        ),
        (
            Key::Disc(RED, None),
            "z* of the given problem (j = 2)".into(),
        ),
    ];
    for m in &pic.marks {
        let ring = (m.method == "firenet").then_some(colour(m.method));
        items.push((
            Key::Disc(
                if ring.is_some() {
                    plot::WHITE
                } else {
                    colour(m.method)
                },
                ring,
            ),
            m.label.into(),
        ));
    }
    let refs: Vec<(Key, &str)> = items.iter().map(|(k, s)| (*k, s.as_str())).collect();
    let lg = plot::legend(&mut p.c, &p.font, &th, tx, y, &refs);
    y = lg[3];
    let mut y = (axes.frame[3] + th.u(60.0)).max(y + th.u(20.0));
    // Unrolling, shown.
    let mid = (l + r) / 2.0;
    let h = th.u(330.0);
    error_plot(
        &mut p,
        [l, y, mid - th.u(16.0), y + h],
        &[
            (
                &cell.firenet_curve,
                ORANGE,
                "FIRENET against the exact problem",
            ),
            (&cell.cp_curve, BLUE, "Chambolle-Pock, the same"),
        ],
        cell.about.barrier,
        cell.firenet_layers.max(cell.cp_iters) as f64,
        "layers n·p, or steps (log scale)",
        None,
    );
    error_plot(
        &mut p,
        [mid + th.u(16.0), y, r, y + h],
        &[(&cell.lista_curve, PURPLE, "LISTA against the exact problem")],
        cell.about.barrier,
        cell.lista_steps as f64,
        "Adam training steps (log scale)",
        Some((Key::Stroke(GREEN), "LISTA against the given one")),
    );
    y += h + th.u(16.0);
    // The cell's numbers.
    let rows: Vec<Vec<String>> = [
        ("FIRENET", &cell.firenet),
        ("Chambolle-Pock", &cell.cp),
        ("LISTA", &cell.lista),
    ]
    .iter()
    .map(|(name, s): &(&str, &Option<Score>)| match s {
        Some(s) => vec![
            name.to_string(),
            sci(Some(s.error)),
            sci(Some(s.error_given)),
            sci(Some(s.worst)),
            s.digits.to_string(),
            yes(s.k_minus_1_digits),
            yes(s.k_digits),
        ],
        None => vec![name.to_string(), "not run".into()],
    })
    .collect();
    y = table(
        &mut p,
        l,
        y,
        &[
            ("method", 200.0),
            ("error (exact)", 150.0),
            ("error (given)", 150.0),
            ("worse of two", 150.0),
            ("digits", 90.0),
            ("K − 1 digits", 120.0),
            ("K digits", 100.0),
        ],
        &rows,
    );
    if let Some(t) = nine {
        y += th.u(14.0);
        y = p.paragraph(
            "The paper's table, recomputed: error against the exact problem (correct digits).",
            y,
            INK,
        );
        let body: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|row| {
                let m = |e: Option<Num>, d: Option<u32>| match d {
                    Some(d) => format!("{} ({d})", sci(e)),
                    None => "–".into(),
                };
                vec![
                    row.about.k.to_string(),
                    row.about.n.to_string(),
                    format!("{:.2e}", row.about.a_dist),
                    format_sig(row.about.y_dist, 2),
                    format!("{:.3e}", row.about.minimiser_gap),
                    m(row.firenet_error, row.digits_firenet),
                    m(row.cp_error, row.digits_cp),
                    m(row.lista_error, row.digits_lista),
                ]
            })
            .collect();
        y = table(
            &mut p,
            l,
            y,
            &[
                ("K", 40.0),
                ("n", 50.0),
                ("‖Aₙ − A‖", 110.0),
                ("‖yₙ − y‖", 100.0),
                ("gap", 110.0),
                ("FIRENET", 190.0),
                ("Chambolle-Pock", 190.0),
                ("LISTA", 160.0),
            ],
            &body,
        );
    }
    let y = p.paragraph(
        &format!(
            "FIRENET: {} restarts of {} steps, δ = {}, τ = σ = √(1/‖A‖) − 10⁻⁴ (the authors'). Chambolle-Pock: {} steps, τ = σ = 1/‖A‖. LISTA: 10 layers, Adam, {} steps on 1,000 examples of the given problem (Gregor and LeCun 2010).",
            params.restarts,
            params.inner,
            format_sig(params.delta, 2),
            params.cp_iters,
            params.lista_steps
        ),
        y + th.u(6.0),
        MUTED,
    );
    Ok(p.finish(&params::to_query(params), y))
}

/// The barrier's numbers: the cell's metrics, a row per method, the curves, and the nine-cell
/// table if given.
pub fn numbers(params: &InexactParams, cell: &CellResult, nine: Option<&TableResult>) -> Numbers {
    let mut n = Numbers::new("inexact", params::to_query(params));
    n.metric("K", f64::from(cell.about.k))
        .metric("n", f64::from(cell.about.n))
        .metric("a_dist", cell.about.a_dist)
        .metric("y_dist", cell.about.y_dist)
        .metric("minimiser_gap", cell.about.minimiser_gap)
        .metric("barrier", cell.about.barrier);
    for (name, s) in [
        ("firenet_error", &cell.firenet),
        ("cp_error", &cell.cp),
        ("lista_error", &cell.lista),
    ] {
        if let Some(s) = s {
            n.metric(name, s.error.0);
        }
    }
    let t = n.table(
        "methods",
        &[
            "error",
            "error_given",
            "worst",
            "digits",
            "k_minus_1_digits",
            "k_digits",
            "z1",
            "z2",
        ],
    );
    for (name, s) in [
        ("firenet", &cell.firenet),
        ("cp", &cell.cp),
        ("lista", &cell.lista),
    ] {
        if let Some(s) = s {
            t.row(
                name,
                &[
                    s.error.0,
                    s.error_given.0,
                    s.worst.0,
                    f64::from(s.digits),
                    f64::from(u8::from(s.k_minus_1_digits)),
                    f64::from(u8::from(s.k_digits)),
                    s.x[0],
                    s.x[1],
                ],
            );
        }
    }
    for (name, curve) in [
        ("firenet_curve", &cell.firenet_curve),
        ("cp_curve", &cell.cp_curve),
        ("lista_curve", &cell.lista_curve),
    ] {
        let t = n.table(name, &["at", "error", "error_given"]);
        for q in curve {
            t.row(
                &q.at.to_string(),
                &[q.at as f64, q.error.0, q.error_given.0],
            );
        }
    }
    if let Some(nine) = nine {
        let t = n.table(
            "table",
            &[
                "k",
                "n",
                "a_dist",
                "y_dist",
                "minimiser_gap",
                "firenet_error",
                "cp_error",
                "lista_error",
                "digits_firenet",
                "digits_cp",
                "digits_lista",
            ],
        );
        let v = |x: Option<Num>| x.map_or(f64::NAN, |x| x.0);
        let d = |x: Option<u32>| x.map_or(f64::NAN, f64::from);
        for row in &nine.rows {
            t.row(
                &format!("K={} n={}", row.about.k, row.about.n),
                &[
                    f64::from(row.about.k),
                    f64::from(row.about.n),
                    row.about.a_dist,
                    row.about.y_dist,
                    row.about.minimiser_gap,
                    v(row.firenet_error),
                    v(row.cp_error),
                    v(row.lista_error),
                    d(row.digits_firenet),
                    d(row.digits_cp),
                    d(row.digits_lista),
                ],
            );
        }
    }
    n
}
