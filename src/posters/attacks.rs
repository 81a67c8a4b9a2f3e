//! The attack demo's poster: the image (a test digit or a drawing) with the classifier's three
//! most likely classes, the state's attack's perturbation r (blue negative, white zero, red
//! positive, full colour at its largest |value|) and the perturbed image x + r with its three
//! most likely classes; under them, every attack on the same image (random noise and the fast
//! gradient with the line search, FGSM at eps, DeepFool in l2 and l-inf) with its new label,
//! ||r||2/||x||2 and ||r||inf, as the page's table shows it.

use super::{pct, table, Panel, Poster};
use crate::data::images::ImageDataset;
use crate::demos::attacks::{AttackKind, AttackOutcome, AttackParams, AttackRun};
use crate::models::ImageModel;
use crate::params;
use crate::render::images::{diverging_rgba, diverging_scale, grey_rgba};
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig};
use crate::render::raster::Canvas;
use ndarray::ArrayView1;

/// What the poster shows: the state, the attacked image, its true label if known, and the
/// five attacks' outcomes on it (as the page's worker keeps them).
pub struct AttackState<'a> {
    pub params: &'a AttackParams,
    pub x: ArrayView1<'a, f64>,
    pub true_label: Option<usize>,
    pub run: &'a AttackRun,
}

impl AttackState<'_> {
    fn shown(&self) -> &AttackOutcome {
        self.run.outcome(self.params.attack)
    }
    fn name(&self, k: usize) -> String {
        let names = self.params.data.class_names();
        match names.get(k) {
            Some(n)
                if self.params.data != ImageDataset::Mnist
                    && self.params.data != ImageDataset::Digits =>
            {
                format!("{k} {n}")
            }
            _ => k.to_string(),
        }
    }
    fn top3(&self, t: &[(usize, f64)]) -> String {
        t.iter()
            .map(|(k, p)| format!("{} {}", self.name(*k), pct(*p)))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

fn label(kind: AttackKind) -> &'static str {
    kind.label()
}

/// The attack demo's poster at `scale`.
pub fn poster(s: &AttackState, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1100.0)?;
    let pr = s.params;
    let o = s.shown();
    let model = ImageModel::LABELS[pr.model as usize];
    let data = ImageDataset::LABELS[pr.data as usize];
    let what = if pr.drawing.is_empty() {
        format!("test image {}", pr.index)
    } else {
        "a drawn image".into()
    };
    let y0 = p.header(
        "Adversarial examples on real images",
        "Moosavi-Dezfooli et al. 2016 · Goodfellow et al. 2015",
        &format!(
            "{} on the {} classifier: {data}, {what}{}. The perturbation is added to the pixels (values 0 to 1) and changes the predicted class.",
            label(pr.attack),
            model,
            s.true_label.map_or(String::new(), |t| format!(" (true class {})", s.name(t)))
        ),
    );
    let (l, r) = p.content();
    let side = pr.data.side();
    let th = p.th;
    let w = th.u(280.0);
    let gap = ((r - l) - 3.0 * w) / 2.0;
    let scale_r = diverging_scale(ArrayView1::from(&o.perturbation));
    let panels: [Panel; 3] = [
        (
            grey_rgba(s.x, side),
            format!(
                "x: class {} ({})",
                s.name(o.label),
                pct(o.confidence_before)
            ),
            vec![format!("top 3: {}", s.top3(&o.top3_before))],
        ),
        (
            diverging_rgba(ArrayView1::from(&o.perturbation), side, scale_r),
            format!("r, {}", label(pr.attack)),
            vec![
                format!("full colour = ±{}", format_sig(scale_r, 3)),
                format!(
                    "‖r‖₂/‖x‖₂ = {}, ‖r‖∞ = {}",
                    format_sig(o.size.r_over_x, 3),
                    format_sig(o.size.r_linf, 3)
                ),
            ],
        ),
        (
            grey_rgba(ArrayView1::from(&o.adversarial), side),
            format!(
                "x + r: class {} ({})",
                s.name(o.adv_label),
                pct(o.confidence_after)
            ),
            vec![format!("top 3: {}", s.top3(&o.top3_after))],
        ),
    ];
    let bottom = p.panel_row(&panels, side, y0 + th.u(6.0), w, gap);
    let mut y = bottom + th.u(16.0);
    y = p.paragraph(
        "Every attack on this image (random noise and the fast gradient with the line search along their direction; FGSM at ε; DeepFool with overshoot η):",
        y,
        plot::INK,
    ) + th.u(4.0);
    let rows: Vec<Vec<String>> = s
        .run
        .outcomes()
        .iter()
        .map(|o| {
            let name = match o.attack {
                AttackKind::FGSM => format!("FGSM, ε = {}", pr.eps),
                k => label(k).to_owned(),
            };
            vec![
                name,
                if o.success {
                    format!("{} ({})", s.name(o.adv_label), pct(o.confidence_after))
                } else {
                    format!("not flipped ({})", s.name(o.adv_label))
                },
                format_sig(o.size.r_over_x, 3),
                format_sig(o.size.r_l2, 3),
                format_sig(o.size.r_linf, 3),
                o.iterations.to_string(),
            ]
        })
        .collect();
    y = table(
        &mut p,
        l,
        y,
        &[
            ("attack", 250.0),
            ("new class", 190.0),
            ("‖r‖₂/‖x‖₂", 140.0),
            ("‖r‖₂", 110.0),
            ("‖r‖∞", 110.0),
            ("iterations", 130.0),
        ],
        &rows,
    );
    Ok(p.finish(&params::to_query(pr), y))
}

/// The attack demo's numbers: the shown attack's sizes and labels as metrics, named as the
/// page's readout ("deepfool ||r||2/||x||2"), and the table of all five attacks.
pub fn numbers(s: &AttackState) -> Numbers {
    let pr = s.params;
    let mut n = Numbers::new("attacks", params::to_query(pr));
    let o = s.shown();
    let a = pr.attack.name();
    n.metric("label", o.label as f64)
        .metric("label probability", o.confidence_before);
    if let Some(t) = s.true_label {
        n.metric("true label", t as f64);
    }
    n.metric(&format!("{a} new label"), o.adv_label as f64)
        .metric(&format!("{a} new label probability"), o.confidence_after)
        .metric(&format!("{a} ||r||2/||x||2"), o.size.r_over_x)
        .metric(&format!("{a} ||r||2"), o.size.r_l2)
        .metric(&format!("{a} ||r||inf"), o.size.r_linf)
        .metric(&format!("{a} iterations"), o.iterations as f64);
    if let Some(e) = s.run.outcome(AttackKind::FGSM).flip_eps {
        n.metric("fgsm smallest flipping eps", e);
    }
    let t = n.table(
        "attacks",
        &[
            "new label",
            "flipped",
            "||r||2/||x||2",
            "||r||2",
            "||r||inf",
            "probability after",
            "iterations",
        ],
    );
    for o in s.run.outcomes() {
        t.row(
            o.attack.name(),
            &[
                o.adv_label as f64,
                if o.success { 1.0 } else { 0.0 },
                o.size.r_over_x,
                o.size.r_l2,
                o.size.r_linf,
                o.confidence_after,
                o.iterations as f64,
            ],
        );
    }
    n
}
