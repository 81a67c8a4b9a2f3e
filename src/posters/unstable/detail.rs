//! The kernel-awareness and structural-change posters.
//!
//! Kernel awareness (Antun et al., PNAS 2020; Gottschling, Antun, Adcock, Hansen, "The
//! troublesome kernel", arXiv:2001.01258): the image x, a detail w (a small lesion), z (the
//! part of w in the kernel of A plus a fraction of its visible part, so that ||A z|| = delta
//! ||A w||, on w's colour scale) and x' = x + z; every method's reconstructions from y = A x + e
//! and y' = A x' + e (same noise, same grey scale as x); and per method eta (the larger of its
//! two errors), the gap ||Psi(y') - Psi(y)||, the lower bound (||z|| - 2 eta) / delta on its
//! local Lipschitz constant and what it does along the pair, gap / delta. When z is (almost)
//! in the kernel, both images have the same measurements: a method accurate on both must be
//! unstable.
//!
//! The structural change (Antun et al., PNAS 2020): x, w and x + w; every method's
//! reconstruction of x + w and what changed, Re(Psi(A(x + w) + e) - Psi(A x + e)) on w's
//! colour scale, with how much of the detail it kept, <change, w> / ||w||^2.

use super::title;
use crate::demos::unstable::DetailJob;
use crate::demos::unstable::{DetailKind, UnstableParams, Which};
use crate::params;
use crate::posters::{pct, table, Panel, Poster};
use crate::render::images::{diverging_rgba, diverging_scale};
use crate::render::mri::grey_scaled_rgba;
use crate::render::numbers::Numbers;
use crate::render::plot::{format_sig, INK};
use crate::render::raster::Canvas;
use ndarray::Array1;

/// What the poster shows: the state (for its link) and the finished detail job of its view.
pub struct DetailState<'a> {
    pub params: &'a UnstableParams,
    pub job: &'a DetailJob,
}

fn norm(v: &Array1<f64>) -> f64 {
    v.dot(v).sqrt()
}

/// A number, or a dash where there is none.
fn opt(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_infinite() => "∞".into(),
        Some(v) => format_sig(v, 3),
        None => "none".into(),
    }
}

/// The kernel-awareness or structural-change poster at `scale`.
pub fn poster(s: &DetailState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let j = s.job;
    let kernel = j.kernel();
    let mut p = Poster::new(font, scale, 1000.0, 1500.0)?;
    let x = &j.case.x;
    let n = (x.len() as f64).sqrt().round() as usize;
    let pr = &j.params;
    let kind = match pr.detail_texture {
        DetailKind::Textured => "finely textured",
        DetailKind::Plain => "plain",
    };
    let image = format!("family:{}", pr.image_seed);
    let subtitle = match (&j.dc.sizes, kernel) {
        (None, _) => format!("{n} × {n} image {image}. No detail is placed: click the image on the page (or set detail=COLUMN,ROW in the link) to place one."),
        (Some(sz), true) => format!(
            "{n} × {n} image {image}. A {kind} lesion w becomes z = (the part of w in the kernel of A) + a fraction of its visible part, so that δ = ‖A\u{a0}z‖ = {}, while ‖z‖ = {} ({} of ‖x‖). Then x and x′ = x + z have (almost) the same measurements: a method accurate to η on both has a local Lipschitz constant of at least (‖z‖ − 2η) / δ.",
            format_sig(sz.az_norm, 3),
            format_sig(sz.z_norm, 3),
            pct(sz.z_norm / norm(x)),
        ),
        (Some(sz), false) => format!(
            "{n} × {n} image {image}. A {kind} lesion w (radius {} pixels, contrast {}) is added; the scanner sees ‖A w‖ / ‖w‖ = {} of it. Kept = ⟨Re(Ψ(A(x + w) + e) − Ψ(A x + e)), w⟩ / ‖w‖²: 1 keeps the whole detail, 0 erases it (the adjoint keeps ‖A w‖² / ‖w‖²).",
            format_sig(pr.detail_radius, 2),
            format_sig(pr.detail_amp, 2),
            pct(sz.visible),
        ),
    };
    let (head, paper) = if kernel {
        (
            "Kernel awareness",
            "Antun et al. 2020 (PNAS); Gottschling et al., arXiv:2001.01258",
        )
    } else {
        ("Structural change", "Antun et al. 2020 (PNAS)")
    };
    let y0 = p.header(head, paper, &subtitle);
    let th = p.th;
    let (l, r) = p.content();
    let pk = x.fold(0.0f64, |m, v| m.max(*v));
    let mut y = y0 + th.u(6.0);
    // The image, the detail and what is added.
    let w4 = th.u(214.0);
    let gap4 = ((r - l) - 4.0 * w4) / 3.0;
    let mut top: Vec<Panel> = vec![(
        grey_scaled_rgba(x.view(), pk),
        "Image x".into(),
        vec![format!("‖x‖ = {}", format_sig(norm(x), 3))],
    )];
    if let (Some(w), Some(sz)) = (&j.dc.w, &j.dc.sizes) {
        let ws = diverging_scale(w.view());
        top.push((
            diverging_rgba(w.view(), n, ws),
            "Detail w".into(),
            vec![
                format!("‖w‖ = {}", format_sig(sz.w_norm, 3)),
                format!("blue −, red +, ±{}", format_sig(ws, 3)),
            ],
        ));
        if kernel {
            top.push((
                diverging_rgba(j.dc.z.view(), n, ws),
                "z, near the kernel of A".into(),
                vec![
                    format!("‖z‖ = {}", format_sig(sz.z_norm, 3)),
                    format!("‖A z‖ = {}", format_sig(sz.az_norm, 3)),
                ],
            ));
        }
        let x2 = x + &j.dc.z;
        top.push((
            grey_scaled_rgba(x2.view(), pk),
            if kernel { "x′ = x + z" } else { "x + w" }.into(),
            vec![format!("grey scale 0 to {}", format_sig(pk, 3))],
        ));
    }
    y = p.panel_row(&top, n, y, w4, gap4) + th.u(16.0);
    if j.rows.is_empty() {
        return Ok(p.finish(&params::to_query(s.params), y));
    }
    // Every method's reconstructions, a column each.
    let lines = if kernel {
        "Each method from y = A x + e (top) and from y′ = A x′ + e (bottom, the same noise e), errors relative to x and to x′:"
    } else {
        "Each method's reconstruction of x + w (top) and what changed, Re(Ψ(A(x + w) + e) − Ψ(A x + e)) on w's colour scale (bottom):"
    };
    y = p.paragraph(lines, y, INK) + th.u(8.0);
    let cols = Which::ALL.len() as f64;
    let w5 = th.u(176.0);
    let gap5 = ((r - l) - cols * w5) / (cols - 1.0);
    let ws = j.dc.w.as_ref().map_or(1.0, |w| diverging_scale(w.view()));
    let mut first: Vec<Panel> = Vec::new();
    let mut second: Vec<Panel> = Vec::new();
    for o in &j.rows {
        let name = title(o.which).to_owned();
        let out = o.out.mapv(|c| c.norm());
        let out2 = o.out2.mapv(|c| c.norm());
        if kernel {
            first.push((
                grey_scaled_rgba(out.view(), pk),
                name,
                vec![format!("error {}", pct(o.rel_error))],
            ));
            second.push((
                grey_scaled_rgba(out2.view(), pk),
                String::new(),
                vec![format!(
                    "error {}",
                    pct(o.rel_error_detail.unwrap_or(f64::NAN))
                )],
            ));
        } else {
            let change = (&o.out2 - &o.out).mapv(|c| c.re);
            first.push((
                grey_scaled_rgba(out2.view(), pk),
                name,
                vec![format!("kept {}", pct(o.kept.unwrap_or(f64::NAN)))],
            ));
            second.push((
                diverging_rgba(change.view(), n, ws),
                String::new(),
                vec![format!("error (x) {}", pct(o.rel_error))],
            ));
        }
    }
    y = p.panel_row(&first, n, y, w5, gap5) + th.u(10.0);
    y = p.panel_row(&second, n, y, w5, gap5) + th.u(18.0);
    // The numbers per method.
    let rows: Vec<Vec<String>> = j
        .rows
        .iter()
        .map(|o| {
            let mut v = vec![title(o.which).to_owned()];
            match &o.awareness {
                Some(a) => v.extend([
                    format_sig(a.eta, 3),
                    format_sig(a.gap, 3),
                    opt(a.bound),
                    opt(Some(a.ratio)),
                ]),
                None => v.extend([pct(o.kept.unwrap_or(f64::NAN)), pct(o.rel_error)]),
            }
            v
        })
        .collect();
    y = if kernel {
        table(
            &mut p,
            l,
            y,
            &[
                ("method", 200.0),
                ("η (the larger, ‖·‖)", 190.0),
                ("‖Ψ(y′) − Ψ(y)‖", 170.0),
                ("bound (‖z‖ − 2η)/δ", 210.0),
                ("gap / δ", 170.0),
            ],
            &rows,
        )
    } else {
        table(
            &mut p,
            l,
            y,
            &[("method", 260.0), ("kept", 160.0), ("error (x)", 160.0)],
            &rows,
        )
    };
    if kernel {
        y = p.paragraph(
            "The bound says how unstable a method that is accurate on both images must be (none: ‖z‖ ≤ 2η, it is not accurate on both); gap / δ is what the method does along this pair.",
            y + th.u(6.0),
            INK,
        );
    }
    Ok(p.finish(&params::to_query(s.params), y + th.u(10.0)))
}

/// The view's numbers, named as the page's readouts name them: the detail's sizes, and per
/// method the kernel view's errors, eta, gap, bound and gap / delta, or the structural
/// change's kept fraction and error.
pub fn numbers(s: &DetailState) -> Numbers {
    let j = s.job;
    let x = &j.case.x;
    let mut n = Numbers::new("unstable", params::to_query(s.params));
    n.metric("||x||", norm(x));
    if let Some(sz) = &j.dc.sizes {
        n.metric("||w||", sz.w_norm)
            .metric("||A w||/||w|| (seen)", sz.visible);
        if j.kernel() {
            n.metric("delta = ||A z|| = ||y'-y||", sz.az_norm)
                .metric("||z||", sz.z_norm);
        }
    }
    if j.kernel() {
        let t = n.table(
            "methods",
            &[
                "error x",
                "error x'",
                "eta",
                "||Psi(y')-Psi(y)||",
                "bound (||z||-2 eta)/delta",
                "gap/delta",
            ],
        );
        for o in &j.rows {
            if let Some(a) = &o.awareness {
                t.row(
                    o.which.name(),
                    &[
                        o.rel_error,
                        o.rel_error_detail.unwrap_or(f64::NAN),
                        a.eta,
                        a.gap,
                        a.bound.unwrap_or(f64::NAN),
                        a.ratio,
                    ],
                );
            }
        }
    } else {
        let t = n.table("methods", &["kept", "error (x)"]);
        for o in &j.rows {
            t.row(o.which.name(), &[o.kept.unwrap_or(f64::NAN), o.rel_error]);
        }
    }
    n
}
