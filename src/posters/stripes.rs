//! The stripes demo's poster (false structures, Thesing, Antun and Hansen, arXiv:1906.01478):
//! a training image, a fresh test image, its false twin (the background's sign swapped) and
//! DeepFool's perturbation of the test image with x + r, each in grey as the network gets it
//! and on the magnified colour scale that shows the background's sign; under them the
//! accuracies on the three sets, DeepFool's mean ||r||2/||x||2, and the training curve's end.

use super::{pct, table, Panel, Poster};
use crate::demos::stripes::page::{Figure, Picture};
use crate::demos::stripes::StripesParams;
use crate::false_structures::{Background, Orientation, TrainingStripes, SIZE};
use crate::params;
use crate::render::images::{diverging_rgba, grey_rgba};
use crate::render::numbers::Numbers;
use crate::render::plot::{self, format_sig};
use crate::render::raster::Canvas;
use ndarray::ArrayView1;

/// The class's name.
fn class(c: usize) -> &'static str {
    Orientation::NAMES.get(c).copied().unwrap_or("?")
}

/// A picture's caption: its class and background, and what the network says.
fn said(p: &Picture) -> Vec<String> {
    let c = &p.predicted;
    let what = if p.drawn.class() == p.class {
        format!("{} stripe", class(p.class))
    } else {
        format!("labelled {}, drawn {}", class(p.class), p.drawn.name())
    };
    vec![
        format!("{what} on {}", format_sig(p.background, 3)),
        format!(
            "the network: {} ({})",
            c.name,
            pct(c.probabilities[c.class.min(1)])
        ),
    ]
}

/// The stripes demo's poster at `scale`, from a finished figure.
pub fn poster(pr: &StripesParams, fig: &Figure, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 1300.0)?;
    let r = &fig.result;
    let pics = &fig.pictures;
    let how = match pr.background {
        Background::Label => {
            "tied to the label (−a under horizontal stripes, +a under vertical ones)"
        }
        Background::Random => "random, independent of the label (the control)",
    };
    let drawing = match pr.training {
        TrainingStripes::Oriented => "horizontal and vertical training stripes (the paper's text)",
        TrainingStripes::Rows => {
            "every training stripe along rows, as the authors' code builds the set (test stripes are genuinely vertical)"
        }
    };
    let y0 = p.header(
        "False structures: what the network learned",
        "Thesing, Antun, Hansen, arXiv:1906.01478",
        &format!(
            "60 training images of 32 × 32 pixels with one stripe 3 pixels wide, 1 above a background of ±a (a = {}); {drawing}; the training backgrounds' sign {how}. A small CNN, {} epochs of Adam, seed {}.",
            format_sig(pr.a, 3),
            pr.epochs,
            pr.seed
        ),
    );
    let (l, right) = p.content();
    let th = p.th;
    let w = th.u(176.0);
    let gap = ((right - l) - 5.0 * w) / 4.0;
    let m = pics.magnify;
    let grey = |v: &[f64]| grey_rgba(ArrayView1::from(v), SIZE);
    let colour = |v: &[f64], s: f64| diverging_rgba(ArrayView1::from(v), SIZE, s);
    let mut top: Vec<Panel> = vec![
        (
            grey(&pics.train.pixels),
            "a training image".into(),
            said(&pics.train),
        ),
        (
            grey(&pics.test.pixels),
            "a fresh test image".into(),
            said(&pics.test),
        ),
        (
            grey(&pics.false_twin.pixels),
            "its false twin".into(),
            said(&pics.false_twin),
        ),
    ];
    let mut bottom: Vec<Panel> = vec![
        (colour(&pics.train.pixels, m), "magnified".into(), vec![]),
        (colour(&pics.test.pixels, m), "magnified".into(), vec![]),
        (
            colour(&pics.false_twin.pixels, m),
            "magnified".into(),
            vec![],
        ),
    ];
    if let Some(f) = &pics.perturbation {
        top.push((
            colour(&f.r, f.scale),
            "DeepFool's r".into(),
            vec![
                format!("full colour = ±{}", format_sig(f.scale, 3)),
                format!("‖r‖₂/‖x‖₂ = {}", format_sig(f.r_over_x, 3)),
            ],
        ));
        top.push((
            grey(&f.perturbed),
            "x + r".into(),
            vec![
                format!("the network: {}", class(f.adv_label)),
                format!(
                    "mean of r {}, spread {}",
                    format_sig(f.mean, 2),
                    format_sig(f.spread, 2)
                ),
            ],
        ));
        bottom.push((colour(&f.r, m), "r, magnified".into(), vec![]));
        bottom.push((colour(&f.perturbed, m), "x + r, magnified".into(), vec![]));
    }
    let mut y = p.panel_row(&top, SIZE, y0 + th.u(6.0), w, gap) + th.u(8.0);
    y = p.panel_row(&bottom, SIZE, y, w, gap) + th.u(6.0);
    y = p.paragraph(
        &format!(
            "Top: grey, 0 black to 1 white, as the network gets the image. Bottom: the same values from −{m} (blue) to +{m} (red), so that the background's sign shows (the stripe is off the scale).",
            m = format_sig(m, 2)
        ),
        y,
        plot::MUTED,
    ) + th.u(10.0);
    if let Some(s) = &r.scores {
        let rows = vec![
            vec!["training set".into(), "60".into(), pct(s.train_accuracy)],
            vec![
                "fresh test set".into(),
                r.test_images.to_string(),
                pct(s.test_accuracy),
            ],
            vec![
                "false set (backgrounds' signs swapped)".into(),
                r.test_images.to_string(),
                pct(s.false_set_accuracy),
            ],
            vec![
                "   its horizontal stripes".into(),
                String::new(),
                pct(s.false_set_by_class[0]),
            ],
            vec![
                "   its vertical stripes".into(),
                String::new(),
                pct(s.false_set_by_class[1]),
            ],
        ];
        y = table(
            &mut p,
            l,
            y,
            &[("images", 420.0), ("count", 120.0), ("accuracy", 160.0)],
            &rows,
        ) + th.u(8.0);
    }
    if let Some(f) = &r.deepfool {
        y = p.paragraph(
            &format!(
                "DeepFool (overshoot {}) on {} correctly classified test images: {} flipped, mean ‖r‖₂/‖x‖₂ = {}.",
                pr.overshoot,
                f.attacked.len(),
                f.flipped_count,
                format_sig(f.mean_r_over_x.0, 3)
            ),
            y,
            plot::INK,
        ) + th.u(4.0);
    }
    Ok(p.finish(&params::to_query(pr), y))
}

/// The stripes demo's numbers: the accuracies and DeepFool's mean ratio (named as the command
/// line's `stripes --json`), DeepFool on each attacked image, and the training curve.
pub fn numbers(pr: &StripesParams, fig: &Figure) -> Numbers {
    let r = &fig.result;
    let mut n = Numbers::new("stripes", params::to_query(pr));
    if let Some(s) = &r.scores {
        n.metric("train_accuracy", s.train_accuracy)
            .metric("test_accuracy", s.test_accuracy)
            .metric("false_set_accuracy", s.false_set_accuracy)
            .metric("false_set_horizontal_accuracy", s.false_set_by_class[0])
            .metric("false_set_vertical_accuracy", s.false_set_by_class[1]);
    }
    if let Some(f) = &r.deepfool {
        n.metric("deepfool_r_over_x", f.mean_r_over_x.0)
            .metric("deepfool_flipped", f.flipped_count as f64)
            .metric("deepfool_attacked", f.attacked.len() as f64);
        let t = n.table("deepfool", &["test image", "r_over_x", "flipped"]);
        for (k, (&i, (&ratio, &flip))) in f
            .attacked
            .iter()
            .zip(f.r_over_x.iter().zip(&f.flipped))
            .enumerate()
        {
            t.row(
                &k.to_string(),
                &[i as f64, ratio, if flip { 1.0 } else { 0.0 }],
            );
        }
    }
    let t = n.table("curve", &["loss", "accuracy"]);
    for c in &r.curve {
        t.row(&c.epoch.to_string(), &[c.loss.0, c.accuracy]);
    }
    n
}
