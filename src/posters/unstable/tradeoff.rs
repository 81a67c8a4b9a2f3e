//! The trade-off poster (Antun, Colbrook, Hansen, PNAS 2022; the lecture's title as a
//! picture): each method variant as a point, x = its accuracy (mean PSNR of |Psi(A x + e)| on
//! clean held-out images), y = the worst amplification ||Psi(A(x + r) + e) - Psi(A x + e)|| /
//! ||r|| the instability test finds on the attacked image (Antun et al., PNAS 2020), coloured
//! by method and numbered as in the table under it: FIRENET with fewer or more restarts, TV and
//! wavelet square-root LASSO with smaller or larger lambda, and the trained network.

use super::{colour, title, which_of};
use crate::demos::unstable::TradeoffJob;
use crate::demos::unstable::{UnstableParams, Which};
use crate::params;
use crate::posters::{table, Poster};
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig, Axes, AxisScale, AxisSpec, Key, INK, WHITE};
use crate::render::raster::Canvas;
use crate::render::text::Style;

/// What the poster shows: the state (for its link) and the finished trade-off job.
pub struct TradeoffState<'a> {
    pub params: &'a UnstableParams,
    pub job: &'a TradeoffJob,
}

fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The trade-off poster at `scale`.
pub fn poster(s: &TradeoffState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let j = s.job;
    let mut p = Poster::new(font, scale, 1000.0, 1600.0)?;
    let clean = match (j.clean.first(), j.clean.last()) {
        (Some(a), Some(b)) if a != b => format!("family:{a} to family:{b}"),
        (Some(a), _) => format!("family:{a}"),
        _ => "no images".into(),
    };
    let y0 = p.header(
        "The trade-off between stability and accuracy",
        "Antun, Colbrook, Hansen 2022 (PNAS)",
        &format!(
            "Each method variant is a point: x = its accuracy, the mean PSNR of |Ψ(A x + e)| over clean held-out images {clean}; y = the worst amplification ‖Ψ(A(x + r) + e) − Ψ(A x + e)‖ / ‖r‖ that {} iterations of the instability test find on family:{} with ‖r‖ ≤ {} ‖x‖. FIRENET's restarts n and the λ of TV and wavelet ℓ1 vary around the defaults.",
            j.iters,
            j.attack(),
            format_sig(j.budget, 3),
        ),
    );
    let th = p.th;
    let (l, r) = p.content();
    let points = j.points();
    let pts: Vec<(usize, f64, f64)> = points
        .iter()
        .enumerate()
        .filter(|(_, q)| q.psnr.is_finite() && q.amplification.is_finite())
        .map(|(i, q)| (i, q.psnr, q.amplification))
        .collect();
    let (xlo, xhi) = match (
        pts.iter().map(|q| q.1).reduce(f64::min),
        pts.iter().map(|q| q.1).reduce(f64::max),
    ) {
        (Some(a), Some(b)) => {
            let pad = ((b - a) * 0.08).max(0.5);
            (a - pad, b + pad)
        }
        _ => (20.0, 40.0),
    };
    let ymax = pts.iter().map(|q| q.2).fold(0.0, f64::max) * 1.12;
    let xs = AxisScale::linear(xlo, xhi);
    let ys = AxisScale::linear(0.0, if ymax > 0.0 { ymax } else { 1.0 });
    let xspec = AxisSpec::auto(xs, 7, "accuracy: mean PSNR on clean images (dB)");
    let yspec = AxisSpec::auto(ys, 6, "worst-case amplification ‖ΔΨ‖ / ‖r‖ (ratio)");
    let kinds = [Which::Net, Which::Firenet, Which::Tv, Which::CsWavelet];
    let items: Vec<(Key, &str)> = kinds
        .iter()
        .filter(|w| points.iter().any(|q| which_of(&q.method) == Some(**w)))
        .map(|w| (Key::Disc(colour(*w), None), title(*w)))
        .collect();
    let ls = plot::legend_size(&p.font, &th, &items);
    let y = y0 + th.u(6.0);
    let region = [l, y + ls[1] + th.u(10.0), r, y + ls[1] + th.u(500.0)];
    let axes = Axes::fit(region, xs, ys, &xspec, &yspec, &p.font, &th);
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    plot::legend(&mut p.c, &p.font, &th, axes.frame[0], y, &items);
    // The points, then their labels: number and name where that covers nothing, else the
    // number alone.
    let mut taken: Vec<[f64; 4]> = Vec::new();
    for &(i, x, a) in &pts {
        let w = which_of(&points[i].method).unwrap_or(Which::Adjoint);
        let rad = th.u(if w == Which::Net { 6.5 } else { 5.0 });
        let c = axes.px(x, a);
        p.c.disc(c, rad + th.u(1.5), WHITE, 1.0);
        p.c.disc(c, rad, colour(w), 1.0);
        taken.push([c.0 - rad, c.1 - rad, c.0 + rad, c.1 + rad]);
    }
    let size = th.small();
    let h = 1.1 * size;
    let frame = axes.frame;
    for &(i, x, a) in &pts {
        let (px, py) = axes.px(x, a);
        let number = format!("{}", i + 1);
        let full = format!("{} {}", i + 1, points[i].label);
        let mut placed = false;
        for text in [&full, &number] {
            let tw = p.font.width(text, size);
            let d = th.u(9.0);
            // Candidate boxes [x0, top]: right, left, above, below, then further out.
            let spots = [
                (px + d, py - h / 2.0),
                (px - d - tw, py - h / 2.0),
                (px - tw / 2.0, py - d - h),
                (px - tw / 2.0, py + d),
                (px + d, py - h - d / 2.0),
                (px + d, py + d / 2.0),
                (px - d - tw, py - h - d / 2.0),
                (px - d - tw, py + d / 2.0),
            ];
            for (x0, top) in spots {
                let b = [x0, top, x0 + tw, top + h];
                let inside = b[0] >= frame[0] + th.u(2.0)
                    && b[2] <= frame[2] - th.u(2.0)
                    && b[1] >= frame[1] + th.u(2.0)
                    && b[3] <= frame[3] - th.u(2.0);
                if inside && !taken.iter().any(|t| overlaps(*t, b)) {
                    p.font
                        .draw(&mut p.c, text, x0, top + 0.82 * size, Style::new(size, INK));
                    taken.push(b);
                    placed = true;
                    break;
                }
            }
            if placed {
                break;
            }
        }
    }
    // The table of the variants.
    let rows: Vec<Vec<String>> = points
        .iter()
        .enumerate()
        .map(|(i, q)| {
            vec![
                format!("{} {}", i + 1, q.label),
                format!("{:.2}", q.psnr),
                format_sig(q.amplification, 3),
            ]
        })
        .collect();
    let y = region[3] + th.u(16.0);
    let y = table(
        &mut p,
        l,
        y,
        &[
            ("variant", 300.0),
            ("PSNR (dB)", 180.0),
            ("worst amplification", 240.0),
        ],
        &rows,
    );
    Ok(p.finish(&params::to_query(s.params), y + th.u(10.0)))
}

/// The plot's points (a row per variant: PSNR and worst amplification, as the page's table
/// heads them) and the settings they were computed with.
pub fn numbers(s: &TradeoffState) -> Numbers {
    let j = s.job;
    let mut n = Numbers::new("unstable", params::to_query(s.params));
    n.metric("budget ||r||/||x||", j.budget)
        .metric("test iterations", j.iters as f64)
        .metric("clean images", j.clean.len() as f64)
        .metric("attacked image", j.attack() as f64);
    let t = n.table("variants", &["PSNR (dB)", "worst amplification"]);
    for q in &j.points() {
        t.row(&q.label, &[q.psnr, q.amplification]);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Job;
    use crate::job::Parts;
    use crate::posters::test_font::{colours, FONT};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Made-up points: the numbers hold them in the variants' order, bit for bit, and the
    /// poster draws every method's colour.
    #[test]
    fn every_point_is_in_the_numbers_and_drawn_in_its_colour() {
        let p = UnstableParams::default();
        let mut job = TradeoffJob::with(
            crate::demos::unstable::tradeoff_variants(
                &crate::demos::unstable::tradeoff::tradeoff_base(&p),
                true,
            ),
            vec![9001],
            vec![9001],
        );
        for (i, v) in job.variants.clone().iter().enumerate() {
            let numbers = [
                24.0 + 0.37 * i as f64,
                if v.1.method == Which::Net {
                    7.25
                } else {
                    1.0 + 0.1 * i as f64
                },
            ];
            job.put_part(i, &numbers).unwrap();
        }
        assert!(job.done());
        let s = TradeoffState {
            params: &p,
            job: &job,
        };
        let n = numbers(&s);
        let t = &n.tables[0];
        assert_eq!(t.rows.len(), job.variants.len());
        for (r, q) in t.rows.iter().zip(&job.points()) {
            assert_eq!(r.label, q.label);
            assert_eq!(r.values, vec![q.psnr, q.amplification]);
        }
        assert_eq!(n.get("test iterations"), Some(p.tradeoff_iters as f64));
        let c = poster(&s, FONT, 2.0).unwrap();
        assert_eq!(c.width, 2000);
        assert!(colours(&c) > 200);
        for w in [Which::Net, Which::Firenet, Which::Tv, Which::CsWavelet] {
            let col = colour(w);
            assert!(
                c.rgba.chunks(4).any(|px| px[..3] == col),
                "{w:?} is not drawn"
            );
        }
    }
}
