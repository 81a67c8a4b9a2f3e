//! The toy demo's poster: the decision map of the trained 2-D classifier in data coordinates
//! (each pixel coloured by its predicted class, paler where the classifier is less sure), the
//! decision boundary, the training points, and, from the state's point x, DeepFool's path (its
//! iterates, each step's linearised boundary dashed in grey, and x + (1 + eta) r, where it
//! ends) and the FGSM point x + eps sign(grad); beside it a legend and the page's readout.
//! The numbers: the training accuracy and loss, and DeepFool's and FGSM's sizes and labels.

use super::{pct, Poster};
use crate::demos::toy::ToyLab;
use crate::params;
use crate::render::class_colour;
use crate::render::numbers::Numbers;
use crate::render::plot::{self, Axes, AxisScale, AxisSpec, Key, Theme, INK, WHITE};
use crate::render::raster::{Canvas, Rgb};
use crate::render::text::Style;

const FGSM: Rgb = [0xC0, 0x1C, 0x8B];
const HYPERPLANE: Rgb = [0x55, 0x55, 0x55];

/// Everything the poster's readout lists, as (label, value) lines.
fn readout(lab: &ToyLab) -> Vec<(String, String)> {
    let m = lab.train_metrics();
    let p = lab.params();
    let mut out = vec![
        ("Training accuracy".into(), pct(m.accuracy)),
        ("Training loss".into(), format!("{:.4}", m.loss)),
        (
            "Epochs · parameters".into(),
            format!("{} · {}", lab.epochs_done(), lab.net().n_params()),
        ),
    ];
    if let Some(a) = lab.attack() {
        let d = &a.deepfool;
        let f = &a.fgsm;
        out.push((
            "Point x".into(),
            format!("({}, {})", a.point[0], a.point[1]),
        ));
        out.push((
            "Label of x".into(),
            format!("class {} ({})", a.label, pct(a.probabilities[a.label])),
        ));
        out.push((
            format!(
                "DeepFool ({})",
                if p.norm.name() == "l2" {
                    "ℓ2"
                } else {
                    "ℓ∞"
                }
            ),
            format!(
                "class {} ({}), {} step{}",
                d.adv_label,
                pct(a.deepfool_probabilities[d.adv_label]),
                d.iterations,
                if d.iterations == 1 { "" } else { "s" }
            ),
        ));
        out.push(("‖r‖₂".into(), plot::format_sig(d.size.r_l2, 4)));
        out.push(("‖r‖₂ / ‖x‖₂".into(), plot::format_sig(d.size.r_over_x, 4)));
        out.push(("‖r‖∞".into(), plot::format_sig(d.size.r_linf, 4)));
        out.push((
            format!("FGSM, ε = {}", f.eps),
            format!(
                "class {}, {}",
                f.adv_label,
                if f.flipped { "flipped" } else { "not flipped" }
            ),
        ));
        out.push(("FGSM ‖r‖₂".into(), plot::format_sig(f.size.r_l2, 4)));
    }
    out
}

/// The toy demo's poster at `scale` (see the module's documentation).
pub fn poster(lab: &ToyLab, font: &[u8], scale: f64) -> Result<Canvas, String> {
    let mut p = Poster::new(font, scale, 1000.0, 900.0)?;
    let params = lab.params();
    let y0 = p.header(
        "Decision boundaries and DeepFool in 2-D",
        "Moosavi-Dezfooli et al. 2016 · Goodfellow et al. 2015",
        &format!(
            "A {} classifier trained on {} points ({}): the smallest perturbation r that changes its label at x, found by DeepFool, against one FGSM step of size ε.",
            describe_model(lab),
            params.n,
            crate::data::toy::ToyKind::LABELS[params.data as usize].to_lowercase()
        ),
    );
    let th: Theme = p.th;
    let (l, r) = p.content();
    let view = lab.view();
    let (xs, ys) = (
        AxisScale::linear(view[0], view[1]),
        AxisScale::linear(view[2], view[3]),
    );
    let xspec = AxisSpec::auto(xs, 6, "x₁");
    let yspec = AxisSpec::auto(ys, 6, "x₂");
    let side = p.u(600.0);
    let mut axes = Axes::fit(
        [l, y0, l + side, y0 + side],
        xs,
        ys,
        &xspec,
        &yspec,
        &p.font,
        &th,
    );
    // A square frame: the map's pixels are square in data units.
    let [fl, ft, fr, fb] = axes.frame;
    let s = (fr - fl).min(fb - ft).floor();
    axes.frame = [fl.round(), ft.round(), fl.round() + s, ft.round() + s];
    let map = lab.decision_map(s as usize);
    p.c.draw_image(
        &map.rgba,
        s as usize,
        axes.frame[0] as usize,
        axes.frame[1] as usize,
        s as usize,
    );
    axes.draw(&mut p.c, &p.font, &th, &xspec, &yspec);
    // The map covers the grid lines; draw the boundary and points on top.
    let px = |x: f64, y: f64| axes.px(x, y);
    for seg in &map.boundary {
        p.c.line(px(seg[0], seg[1]), px(seg[2], seg[3]), th.u(2.0), INK, 0.85);
    }
    let data = lab.data();
    for (row, &label) in data.x.rows().into_iter().zip(&data.y) {
        let q = px(row[0], row[1]);
        p.c.disc(q, th.u(4.0), WHITE, 1.0);
        p.c.disc(q, th.u(3.0), class_colour(label), 1.0);
    }
    let attack = lab.attack();
    if let Some(rep) = &attack {
        for h in rep.hyperplanes.iter().filter(|h| h.len() == 4) {
            dashed(
                &mut p.c,
                px(h[0], h[1]),
                px(h[2], h[3]),
                th.u(1.5),
                th.u(7.0),
            );
        }
        let x = px(rep.point[0], rep.point[1]);
        let mut prev = x;
        for it in &rep.iterates[1..] {
            let q = px(it[0], it[1]);
            p.c.line(prev, q, th.u(2.5), INK, 1.0);
            p.c.disc(q, th.u(3.0), INK, 1.0);
            prev = q;
        }
        let adv = px(rep.adversarial[0], rep.adversarial[1]);
        p.c.line(prev, adv, th.u(2.5), INK, 1.0);
        let fp = px(rep.fgsm_point[0], rep.fgsm_point[1]);
        p.c.line(x, fp, th.u(2.0), FGSM, 1.0);
        p.c.disc(fp, th.u(5.5), WHITE, 1.0);
        p.c.disc(fp, th.u(4.5), FGSM, 1.0);
        p.c.disc(adv, th.u(6.5), INK, 1.0);
        p.c.disc(adv, th.u(4.5), WHITE, 1.0);
        p.c.disc(x, th.u(6.5), WHITE, 1.0);
        p.c.disc(x, th.u(5.0), INK, 1.0);
    }
    // The right column: legend and readout.
    let col = axes.frame[2] + p.u(28.0);
    let class_names: Vec<String> = (0..data.n_classes)
        .map(|k| format!("class {k} (training points)"))
        .collect();
    let mut items: Vec<(Key, &str)> = class_names
        .iter()
        .enumerate()
        .map(|(k, n)| (Key::Disc(class_colour(k), Some(WHITE)), n.as_str()))
        .collect();
    items.push((Key::Stroke(INK), "decision boundary"));
    if attack.is_some() {
        items.push((Key::Disc(INK, Some(WHITE)), "the point x"));
        items.push((Key::Line(INK), "DeepFool's steps"));
        items.push((Key::Disc(WHITE, Some(INK)), "x + (1 + η) r, DeepFool's end"));
        items.push((Key::Square(HYPERPLANE), "linearised boundaries (dashed)"));
        items.push((Key::Disc(FGSM, Some(WHITE)), "FGSM: x + ε sign ∇"));
    }
    let lb = plot::legend(&mut p.c, &p.font, &th, col, axes.frame[1], &items);
    let mut y = lb[3] + p.u(24.0);
    let body = th.body();
    let head = Style::new(body, INK);
    let muted = Style::new(body, plot::MUTED);
    for (k, v) in readout(lab) {
        y += th.line_height(body);
        p.font.draw(&mut p.c, &k, col, y, muted);
        y += th.line_height(body);
        p.font.draw(&mut p.c, &v, col + th.u(12.0), y, head);
        y += p.u(3.0);
    }
    let _ = r;
    let bottom = (axes.frame[3] + p.u(60.0)).max(y);
    let link = params::to_query(params);
    Ok(p.finish(&link, bottom))
}

fn describe_model(lab: &ToyLab) -> String {
    let p = lab.params();
    let sizes = p.layer_sizes();
    if sizes.len() <= 2 {
        "softmax-linear".into()
    } else {
        let hidden: Vec<String> = sizes[1..sizes.len() - 1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        format!(
            "{}-{}-{} MLP",
            sizes[0],
            hidden.join("-"),
            sizes[sizes.len() - 1]
        )
    }
}

/// A dashed grey line from a to b.
fn dashed(c: &mut Canvas, a: (f64, f64), b: (f64, f64), width: f64, dash: f64) {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    if !(len > 0.0 && len.is_finite()) {
        return;
    }
    let n = (len / dash).ceil() as usize;
    for i in (0..n).step_by(2) {
        let t0 = i as f64 * dash / len;
        let t1 = ((i + 1) as f64 * dash / len).min(1.0);
        c.line(
            (a.0 + t0 * (b.0 - a.0), a.1 + t0 * (b.1 - a.1)),
            (a.0 + t1 * (b.0 - a.0), a.1 + t1 * (b.1 - a.1)),
            width,
            HYPERPLANE,
            1.0,
        );
    }
}

/// The toy demo's numbers: training accuracy and loss, and (with a point) the label there,
/// DeepFool's ||r||2, ||r||2/||x||2, ||r||inf, iterations and new label, FGSM's.
pub fn numbers(lab: &ToyLab) -> Numbers {
    let m = lab.train_metrics();
    let mut n = Numbers::new("toy", params::to_query(lab.params()));
    n.metric("train accuracy", m.accuracy)
        .metric("train loss", m.loss)
        .metric("epochs", lab.epochs_done() as f64)
        .metric("parameters", lab.net().n_params() as f64);
    if let Some(a) = lab.attack() {
        let d = &a.deepfool;
        let f = &a.fgsm;
        n.metric("point x1", a.point[0])
            .metric("point x2", a.point[1])
            .metric("label", a.label as f64)
            .metric("label probability", a.probabilities[a.label])
            .metric("deepfool new label", d.adv_label as f64)
            .metric(
                "deepfool new label probability",
                a.deepfool_probabilities[d.adv_label],
            )
            .metric("deepfool ||r||2", d.size.r_l2)
            .metric("deepfool ||r||2/||x||2", d.size.r_over_x)
            .metric("deepfool ||r||inf", d.size.r_linf)
            .metric("deepfool iterations", d.iterations as f64)
            .metric("fgsm eps", f.eps)
            .metric("fgsm new label", f.adv_label as f64)
            .metric("fgsm flipped", if f.flipped { 1.0 } else { 0.0 })
            .metric("fgsm ||r||2", f.size.r_l2)
            .metric("fgsm ||r||2/||x||2", f.size.r_over_x)
            .metric("fgsm ||r||inf", f.size.r_linf);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::super::test_font::{colours, FONT};
    use super::*;
    use crate::demos::toy::ToyParams;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A small state (a linear model, few epochs) keeps the test quick.
    fn lab() -> ToyLab {
        let p: ToyParams =
            params::from_query("model=linear&epochs=20&n=60&point=1.5,-0.2").unwrap();
        let mut lab = ToyLab::new(p);
        lab.train_to_target(usize::MAX);
        lab
    }

    #[test]
    fn poster_scales_and_numbers_match_the_attack() {
        let lab = lab();
        let c1 = poster(&lab, FONT, 1.0).unwrap();
        let c2 = poster(&lab, FONT, 2.0).unwrap();
        assert_eq!(c2.width, 2 * c1.width);
        assert!((c2.height as f64 / c1.height as f64 - 2.0).abs() < 0.02);
        assert!(colours(&c2) > 500);
        let n = numbers(&lab);
        let a = lab.attack().unwrap();
        assert_eq!(n.get("deepfool ||r||2"), Some(a.deepfool.size.r_l2));
        assert_eq!(n.get("train accuracy"), Some(lab.train_metrics().accuracy));
        assert_eq!(n.link, params::to_query(lab.params()));
    }
}
