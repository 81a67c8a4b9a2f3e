//! The unstable page's views besides the instability test (`www/unstable.html`), as jobs done
//! a little at a time: kernel awareness and the structural change (one method per step), more
//! samples (one rate and method per step, and the reconstructions at the rate shown), and the
//! trade-off plot (one variant's PSNR, then one step of its instability test, per step).
//!
//! The page's worker steps them, with progress and Cancel; the command line
//! (`barriers-lab figures`) runs them to the end. Both call this code with the state's own
//! settings, so the poster of a view is the same from either.

use super::{
    self as unstable, at_rate, Case, DetailCase, DetailOutputs, SamplesPoint, Setting,
    TradeoffPoint, UnstableParams, View, Which,
};
use crate::data::family::VALIDATION_MAX;
use crate::data::mri::MriSlices;
use crate::demos::mri::modulus;
use crate::instability::InstabilityTest;
use crate::operators::{complex, LinearOperator};
use crate::recon::metrics::psnr;
use crate::render::numbers::Numbers;
use ndarray::Array1;

/// The methods of the more-samples curve.
pub const SAMPLES_METHODS: [Which; 3] = [Which::Net, Which::Firenet, Which::Tv];

/// The rates of the more-samples curve, 5 % to 60 % (as `barriers-lab samples`).
pub fn samples_rates() -> Vec<f64> {
    (1..=12).map(|i| 0.05 * i as f64).collect()
}

/// Held-out family seeds 9001, 9002, ... (k of them).
pub fn held_out(k: usize) -> Vec<u64> {
    (0..k as u64).map(|i| VALIDATION_MAX + 1 + i).collect()
}

/// The trade-off plot's base: the state with the defaults for what the variants vary, and
/// `tradeoff_iters` test iterations.
pub fn tradeoff_base(p: &UnstableParams) -> UnstableParams {
    let d = UnstableParams::default();
    UnstableParams {
        method: d.method,
        lambda_tv: d.lambda_tv,
        lambda_w: d.lambda_w,
        restarts: d.restarts,
        iters: p.tradeoff_iters,
        ..p.clone()
    }
}

/// What a view's figure says when asked for before its computation has finished: "the
/// kernel awareness figure is still being computed".
pub fn unfinished(view: View) -> String {
    format!(
        "the {} figure is still being computed",
        View::LABELS[view as usize].to_lowercase()
    )
}

/// Kernel awareness or the structural change: the state's image x, its detail (z near the
/// kernel of A, or the whole detail w) and every method's reconstructions of x and x + z.
pub struct DetailJob {
    pub params: UnstableParams,
    pub case: Case,
    pub dc: DetailCase,
    /// One per method, in the order of [`Which::ALL`], as far as computed.
    pub rows: Vec<DetailOutputs>,
}

impl DetailJob {
    /// The job of the state's view ('kernel' or 'structure').
    pub fn new(setting: &Setting, slices: &MriSlices, p: &UnstableParams) -> Result<Self, String> {
        if !matches!(p.view, View::Kernel | View::Structure) {
            return Err("the detail views are 'kernel' and 'structure'".into());
        }
        let case = Case::family(setting, slices, p.image_seed, p.noise)?;
        let dc = unstable::detail_case(setting, &case, p, p.view == View::Kernel)?;
        Ok(Self {
            params: p.clone(),
            case,
            dc,
            rows: Vec::new(),
        })
    }

    /// Whether this is the kernel view (else the structural change).
    pub fn kernel(&self) -> bool {
        self.params.view == View::Kernel
    }

    /// The methods to compute: all of them, or none when no detail is placed.
    pub fn total(&self) -> usize {
        if self.dc.w.is_some() {
            Which::ALL.len()
        } else {
            0
        }
    }

    pub fn done(&self) -> bool {
        self.rows.len() >= self.total()
    }

    /// Reconstructs with the next method.
    pub fn step(&mut self, setting: &Setting) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let which = Which::ALL[self.rows.len()];
        let o = unstable::detail_outputs(
            setting,
            &self.case,
            &self.dc,
            which,
            &self.params,
            self.kernel(),
        )?;
        self.rows.push(o);
        Ok(())
    }

    /// Steps to the end.
    pub fn run(&mut self, setting: &Setting) -> Result<(), String> {
        while !self.done() {
            self.step(setting)?;
        }
        Ok(())
    }
}

/// More samples can hurt: each method's mean PSNR over held-out images at every rate of
/// [`samples_rates`] (nested masks of the network's pattern).
pub struct SamplesJob {
    pub params: UnstableParams,
    pub rates: Vec<f64>,
    pub seeds: Vec<u64>,
    /// The rate the network was trained at.
    pub trained_rate: f64,
    /// Rate by rate, [`SAMPLES_METHODS`] within each, as far as computed.
    pub points: Vec<SamplesPoint>,
}

impl SamplesJob {
    /// The curve over the state's `samples_images` held-out images.
    pub fn new(setting: &Setting, p: &UnstableParams) -> Self {
        Self {
            params: p.clone(),
            rates: samples_rates(),
            seeds: held_out(p.samples_images),
            trained_rate: setting.header.training.rate,
            points: Vec::new(),
        }
    }

    pub fn total(&self) -> usize {
        self.rates.len() * SAMPLES_METHODS.len()
    }

    pub fn done(&self) -> bool {
        self.points.len() >= self.total()
    }

    /// One (rate, method) of the curve.
    pub fn step(&mut self, setting: &Setting, slices: &MriSlices) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let i = self.points.len();
        let rate = self.rates[i / SAMPLES_METHODS.len()];
        let which = SAMPLES_METHODS[i % SAMPLES_METHODS.len()];
        let pts = unstable::samples_curve(
            setting,
            slices,
            &self.params,
            &[rate],
            &self.seeds,
            &[which],
            |_, _| {},
        )?;
        self.points.extend(pts);
        Ok(())
    }

    /// Steps to the end.
    pub fn run(&mut self, setting: &Setting, slices: &MriSlices) -> Result<(), String> {
        while !self.done() {
            self.step(setting, slices)?;
        }
        Ok(())
    }

    /// The PSNR of `which` at `rate` (from the rates of the curve), if computed.
    pub fn psnr(&self, rate: f64, which: Which) -> Option<f64> {
        self.points
            .iter()
            .find(|p| p.rate == rate && p.method == which.name())
            .map(|p| p.psnr)
    }
}

/// The state's image reconstructed at the rate shown by the methods of the more-samples curve.
pub struct RateImages {
    /// The rate asked for, and |Omega| / n^2 and |Omega| at it.
    pub rate: f64,
    pub sampled: f64,
    pub samples: usize,
    pub image_seed: u64,
    pub x: Array1<f64>,
    /// |Psi(y)| and its PSNR, per method of [`SAMPLES_METHODS`].
    pub outs: Vec<(Which, Array1<f64>, f64)>,
}

impl RateImages {
    pub fn new(setting: &Setting, slices: &MriSlices, p: &UnstableParams) -> Result<Self, String> {
        let here = at_rate(setting, p.show_rate)?;
        let case = Case::family(&here, slices, p.image_seed, p.noise)?;
        let y = here.a.apply(complex(case.x.view()).view()) + &case.e;
        let mut outs = Vec::new();
        for w in SAMPLES_METHODS {
            let est = modulus(&here.map(w, p)?.apply(y.view()));
            let q = psnr(case.x.view(), est.view());
            outs.push((w, est, q));
        }
        Ok(Self {
            rate: p.show_rate,
            sampled: here.a.rate(),
            samples: here.a.indices().len(),
            image_seed: p.image_seed,
            x: case.x,
            outs,
        })
    }
}

/// The trade-off plot: every variant of [`unstable::tradeoff_variants`] around the defaults
/// (with the state's test settings and `tradeoff_iters` iterations), its mean PSNR over
/// `tradeoff_images` held-out images and its worst amplification on the state's image.
pub struct TradeoffJob {
    pub variants: Vec<(String, UnstableParams)>,
    pub clean: Vec<u64>,
    /// The attacked image's seed.
    pub attack: u64,
    pub iters: usize,
    pub budget: f64,
    pub points: Vec<TradeoffPoint>,
    /// Whether the points were taken from a shipped result ([`TradeoffJob::take_shipped`])
    /// rather than computed here.
    pub shipped: bool,
    current: Option<(TradeoffPoint, InstabilityTest)>,
}

impl TradeoffJob {
    pub fn new(p: &UnstableParams) -> Self {
        let base = tradeoff_base(p);
        Self {
            variants: unstable::tradeoff_variants(&base),
            clean: held_out(p.tradeoff_images),
            attack: p.image_seed,
            iters: base.iters,
            budget: base.budget,
            points: Vec::new(),
            shipped: false,
            current: None,
        }
    }

    /// Takes the points of a shipped trade-off plot: the numbers `barriers-lab figures
    /// --link unstable=view=tradeoff` writes (table `variants`: each variant's mean PSNR and
    /// worst amplification, in the variants' order), made for the same state (the caller
    /// checks the link). Returns whether it took them: not if the table's rows are not this
    /// job's variants, in order. The result is the computation's, done ahead (the page's
    /// default plot takes 3.5 s in a browser); a test recomputes it.
    pub fn take_shipped(&mut self, numbers: &Numbers) -> bool {
        let Some(t) = numbers.tables.iter().find(|t| t.name == "variants") else {
            return false;
        };
        let col = |name: &str| t.columns.iter().position(|c| c == name);
        let (Some(ip), Some(ia)) = (col("PSNR (dB)"), col("worst amplification")) else {
            return false;
        };
        let fits = t.rows.len() == self.variants.len()
            && t.rows.iter().zip(&self.variants).all(|(r, (label, _))| {
                &r.label == label
                    && r.values.len() == t.columns.len()
                    && r.values.iter().all(|v| v.is_finite())
            });
        if !fits {
            return false;
        }
        self.points = self
            .variants
            .iter()
            .zip(&t.rows)
            .map(|((label, v), r)| TradeoffPoint {
                label: label.clone(),
                method: v.method.name().into(),
                psnr: r.values[ip],
                amplification: r.values[ia],
                state: v.clone(),
            })
            .collect();
        self.current = None;
        self.shipped = true;
        true
    }

    pub fn done(&self) -> bool {
        self.points.len() == self.variants.len()
    }

    /// [steps done, steps in all]: per variant, its PSNR and then each test iteration.
    pub fn progress(&self) -> [usize; 2] {
        let per = 1 + self.iters;
        let here = self.current.as_ref().map_or(0, |(_, t)| 1 + t.iterations());
        [self.points.len() * per + here, self.variants.len() * per]
    }

    /// The variant being computed, if any is left.
    pub fn running(&self) -> Option<&str> {
        self.current
            .as_ref()
            .map(|(p, _)| p.label.as_str())
            .or_else(|| {
                self.variants
                    .get(self.points.len())
                    .map(|(l, _)| l.as_str())
            })
    }

    /// The next variant's PSNR (starting its test), or one step of its test.
    pub fn step(&mut self, setting: &Setting, slices: &MriSlices) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        match self.current.as_mut() {
            None => {
                let (label, v) = &self.variants[self.points.len()];
                let pt = unstable::tradeoff_point(setting, slices, label, v, &self.clean, &[])?;
                let case = Case::family(setting, slices, self.attack, v.noise)?;
                let t = unstable::start(setting, &case, v.method, v)?;
                self.current = Some((pt, t));
            }
            Some((_, t)) => {
                t.step();
                if t.done() {
                    let (mut pt, t) = self.current.take().expect("checked");
                    pt.amplification = t.worst().map_or(0.0, |w| w.amplification);
                    self.points.push(pt);
                }
            }
        }
        Ok(())
    }

    /// Steps to the end.
    pub fn run(&mut self, setting: &Setting, slices: &MriSlices) -> Result<(), String> {
        while !self.done() {
            self.step(setting, slices)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::shepp_logan;
    use crate::posters::test_font::{colours, FONT};
    use crate::posters::unstable::{self as poster, detail::DetailState, Figure};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // An untrained network at 32 x 32 (the unstable demo's tests' own).
    use crate::demos::unstable::tests::setting;

    /// The kernel view's job on the phantom with a lesion at delta = 0: every method gets the
    /// same measurements for x and x + z (||A z|| at rounding level), so it gives both the
    /// same output; stepping it one method at a time ends with all five, and the poster and
    /// numbers show them.
    #[test]
    fn kernel_job_at_delta_zero_gives_every_method_the_same_output() {
        let s = setting();
        let p = UnstableParams {
            view: View::Kernel,
            detail: Some([0.5, 0.4]),
            detail_texture: crate::demos::unstable::DetailKind::Plain,
            cp_iters: 20,
            restarts: 2,
            inner: 5,
            ..UnstableParams::default()
        };
        let case = Case::image(&s, shepp_logan(32).unwrap(), None, 7, p.noise).unwrap();
        let dc = unstable::detail_case(&s, &case, &p, true).unwrap();
        let mut job = DetailJob {
            params: p.clone(),
            case,
            dc,
            rows: Vec::new(),
        };
        assert_eq!(job.total(), 5);
        job.step(&s).unwrap();
        assert_eq!(job.rows.len(), 1);
        assert!(!job.done());
        job.run(&s).unwrap();
        assert!(job.done());
        let sz = job.dc.sizes.unwrap();
        assert!(sz.z_norm > 0.1 * sz.w_norm, "{sz:?}");
        assert!(sz.az_norm < 1e-12 * sz.z_norm, "{sz:?}");
        for (o, w) in job.rows.iter().zip(Which::ALL) {
            assert_eq!(o.which, w);
            let a = o.awareness.as_ref().unwrap();
            assert!(a.gap < 1e-9 * sz.z_norm, "{w:?}: {a:?}");
        }
        let f = Figure::Detail(DetailState {
            params: &p,
            job: &job,
        });
        let n = poster::numbers(&f);
        assert_eq!(n.get("||z||"), Some(sz.z_norm));
        assert_eq!(n.tables[0].rows.len(), 5);
        let c = poster::poster(&f, FONT, 1.0).unwrap();
        assert_eq!(c.width, 1000);
        assert!(colours(&c) > 100);
    }

    #[test]
    fn an_unfinished_view_says_so() {
        assert_eq!(
            unfinished(View::Kernel),
            "the kernel awareness figure is still being computed"
        );
        assert_eq!(
            unfinished(View::Tradeoff),
            "the trade-off figure is still being computed"
        );
    }
}
