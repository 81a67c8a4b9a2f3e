//! Accuracy against worst-case amplification (Antun, Colbrook, Hansen, "The difficulty of
//! computing stable and accurate neural networks", PNAS 2022): each method variant's mean
//! PSNR on clean held-out images against the worst amplification the instability test finds
//! for it, one variant's PSNR or one test step per step ([`TradeoffJob`], the page's
//! trade-off view and `barriers-lab tradeoff`).

use super::{held_out, start, Case, Nets, Setting, TrainedNet, UnstableParams, View, Which};
use crate::data::mri::MriSlices;
use crate::instability::InstabilityTest;
use crate::job::{run_to_end, Job, Num, PartJob, Parts, Slots};
use crate::operators::{complex, LinearOperator};
use crate::params;
use crate::recon::metrics::psnr;
use crate::render::numbers::Numbers;
use serde::Serialize;

/// One method variant on the trade-off plot.
#[derive(Clone, Debug, Serialize)]
pub struct TradeoffPoint {
    pub label: String,
    pub method: String,
    /// Mean PSNR of |Psi(A x + e)| over the clean held-out images.
    pub psnr: f64,
    /// The largest worst-case amplification the instability test found over the attacked
    /// images, at ||r|| <= budget ||x||.
    pub amplification: f64,
    /// The state that opens this method's instability test.
    pub state: UnstableParams,
}

/// The variants of the trade-off plot: FIRENET with fewer or more restarts, TV and wavelet
/// square-root LASSO with smaller or larger lambda, and the network; with `noise_nets`, the
/// network trained at each noise level of [`TrainedNet`] (the same recipe, so the shipped
/// network's file and those beside it; not for a network file of another recipe).
pub fn tradeoff_variants(p: &UnstableParams, noise_nets: bool) -> Vec<(String, UnstableParams)> {
    let mut v = Vec::new();
    for restarts in [1, 2, 4, 6, 8] {
        v.push((
            format!("FIRENET n = {restarts}"),
            UnstableParams {
                method: Which::Firenet,
                restarts,
                ..p.clone()
            },
        ));
    }
    for scale in [0.3, 1.0, 3.0, 10.0] {
        v.push((
            format!("TV λ = {:.3}", p.lambda_tv * scale),
            UnstableParams {
                method: Which::Tv,
                lambda_tv: p.lambda_tv * scale,
                ..p.clone()
            },
        ));
        v.push((
            format!("wavelet λ = {:.3}", p.lambda_w * scale),
            UnstableParams {
                method: Which::CsWavelet,
                lambda_w: p.lambda_w * scale,
                ..p.clone()
            },
        ));
    }
    if noise_nets {
        for net in [TrainedNet::Noise0, TrainedNet::Noise1, TrainedNet::Noise3] {
            v.push((
                format!("network, {} % training noise", 100.0 * net.noise()),
                UnstableParams {
                    method: Which::Net,
                    net,
                    ..p.clone()
                },
            ));
        }
    } else {
        v.push((
            "network".into(),
            UnstableParams {
                method: Which::Net,
                net: TrainedNet::Noise1,
                ..p.clone()
            },
        ));
    }
    v
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
        net: d.net,
        iters: p.tradeoff_iters,
        ..p.clone()
    }
}

/// Mean PSNR of |Psi(A x + e)| over the family members `seeds` (0 for none), with the
/// variant's method and noise.
fn mean_psnr(
    setting: &Setting,
    slices: &MriSlices,
    p: &UnstableParams,
    seeds: &[u64],
) -> Result<f64, String> {
    let map = setting.map(p.method, p)?;
    let mut total = 0.0;
    for &s in seeds {
        let c = Case::family(setting, slices, s, p.noise)?;
        let y = setting.a.apply(complex(c.x.view()).view()) + &c.e;
        let est = map.apply(y.view()).mapv(|z| z.norm());
        total += psnr(c.x.view(), est.view());
    }
    Ok(total / seeds.len().max(1) as f64)
}

/// The trade-off plot: each variant's mean PSNR over the clean images and its worst
/// amplification over the attacked ones (the largest the instability test finds, at
/// ||r|| <= budget ||x||).
pub struct TradeoffJob {
    pub variants: Vec<(String, UnstableParams)>,
    /// The clean images' seeds (the PSNR) and the attacked images' (the amplification).
    pub clean: Vec<u64>,
    pub attacked: Vec<u64>,
    pub iters: usize,
    pub budget: f64,
    /// The variants' points, each computed here or by another worker ([`Parts`]).
    pub slots: Slots<TradeoffPoint>,
    /// Whether the points were taken from a shipped result ([`TradeoffJob::take_shipped`])
    /// rather than computed here.
    pub shipped: bool,
    running: Option<Running>,
}

/// The variant being computed (part `part`): its point so far, and the test on
/// `attacked[image]`.
struct Running {
    part: usize,
    point: TradeoffPoint,
    image: usize,
    test: InstabilityTest,
}

impl TradeoffJob {
    /// The page's plot: every variant of [`tradeoff_variants`] around [`tradeoff_base`]
    /// (the defaults for what the variants vary, the state's test settings with
    /// `tradeoff_iters` iterations), PSNR over `tradeoff_images` held-out images, the
    /// amplification on the state's image; the networks of other training noises if the
    /// network `main` is the shipped recipe.
    pub fn new(p: &UnstableParams, main: &Setting) -> Self {
        let base = tradeoff_base(p);
        Self::with(
            tradeoff_variants(&base, main.is_shipped_recipe()),
            held_out(p.tradeoff_images),
            vec![p.image_seed],
        )
    }

    /// The given variants (each with its own state; the test settings are the first's),
    /// PSNR over the images `clean`, worst amplification over the images `attacked`.
    pub fn with(
        variants: Vec<(String, UnstableParams)>,
        clean: Vec<u64>,
        attacked: Vec<u64>,
    ) -> Self {
        let first = variants.first().map(|(_, v)| v.clone()).unwrap_or_default();
        Self {
            slots: Slots::new(variants.len()),
            variants,
            clean,
            attacked,
            iters: first.iters,
            budget: first.budget,
            shipped: false,
            running: None,
        }
    }

    /// The networks its variants use (to be loaded before it is stepped).
    pub fn nets(&self) -> Vec<TrainedNet> {
        let mut n: Vec<TrainedNet> = Vec::new();
        for (_, v) in &self.variants {
            if v.method == Which::Net && !n.contains(&v.net) {
                n.push(v.net);
            }
        }
        n
    }

    /// The (first) attacked image's seed.
    pub fn attack(&self) -> u64 {
        self.attacked.first().copied().unwrap_or_default()
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
        self.slots = Slots::finished(
            t.rows
                .iter()
                .enumerate()
                .map(|(i, r)| self.point(i, r.values[ip], r.values[ia]))
                .collect(),
        );
        self.running = None;
        self.shipped = true;
        true
    }

    /// The finished points, in the variants' order.
    pub fn points(&self) -> Vec<TradeoffPoint> {
        self.slots.values().cloned().collect()
    }

    /// Variant `i`'s point with these numbers.
    fn point(&self, i: usize, psnr: f64, amplification: f64) -> TradeoffPoint {
        let (label, v) = &self.variants[i];
        TradeoffPoint {
            label: label.clone(),
            method: v.method.name().into(),
            psnr,
            amplification,
            state: v.clone(),
        }
    }

    /// The variant being computed here, or else the next one to be, if any is left.
    pub fn running(&self) -> Option<&str> {
        self.running
            .as_ref()
            .map(|r| r.point.label.as_str())
            .or_else(|| self.slots.first_open().map(|i| self.variants[i].0.as_str()))
    }

    /// Starts the running variant's test on attacked image `image`.
    fn start_test(
        &self,
        nets: Nets,
        slices: &MriSlices,
        v: &UnstableParams,
        image: usize,
    ) -> Result<InstabilityTest, String> {
        let setting = variant_setting(nets, v)?;
        let case = Case::family(setting, slices, self.attacked[image], v.noise)?;
        start(setting, &case, v.method, v)
    }
}

/// The setting a variant runs on: its network's (the measurements are the same for all).
fn variant_setting<'a>(nets: Nets<'a>, v: &UnstableParams) -> Result<&'a Setting, String> {
    if v.method == Which::Net {
        nets.get(v.net)
    } else {
        Ok(nets.main)
    }
}

impl Job for TradeoffJob {
    type Input<'a> = (Nets<'a>, &'a MriSlices);
    type Output<'a> = TradeoffResult;

    /// The next open variant's PSNR (starting its test), or one step of its test; nothing
    /// while every variant left is being computed elsewhere ([`Parts`]).
    fn step(&mut self, (nets, slices): (Nets, &MriSlices)) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let Some(mut r) = self.running.take() else {
            let Some(i) = self.slots.start_here() else {
                return Ok(());
            };
            let v = &self.variants[i].1;
            let started =
                mean_psnr(variant_setting(nets, v)?, slices, v, &self.clean).and_then(|psnr| {
                    let point = self.point(i, psnr, 0.0);
                    if self.attacked.is_empty() {
                        return Ok((point, None));
                    }
                    Ok((point, Some(self.start_test(nets, slices, v, 0)?)))
                });
            match started {
                Ok((point, None)) => self.slots.finish(i, point)?,
                Ok((point, Some(test))) => {
                    self.running = Some(Running {
                        part: i,
                        point,
                        image: 0,
                        test,
                    })
                }
                Err(e) => {
                    self.slots.take_back(i);
                    return Err(e);
                }
            }
            return Ok(());
        };
        r.test.step();
        if r.test.done() {
            let found = r.test.worst().map_or(0.0, |w| w.amplification);
            r.point.amplification = if r.image == 0 {
                found
            } else {
                r.point.amplification.max(found)
            };
            if r.image + 1 < self.attacked.len() {
                match self.start_test(nets, slices, &r.point.state, r.image + 1) {
                    Ok(test) => {
                        r.image += 1;
                        r.test = test;
                    }
                    Err(e) => {
                        self.running = Some(r);
                        return Err(e);
                    }
                }
            } else {
                return self.slots.finish(r.part, r.point);
            }
        }
        self.running = Some(r);
        Ok(())
    }

    fn done(&self) -> bool {
        self.slots.all_done()
    }

    /// (steps done, steps in all): per variant, its PSNR and then each test iteration on
    /// each attacked image.
    fn progress(&self) -> (usize, usize) {
        let per = 1 + self.iters * self.attacked.len();
        let here = self
            .running
            .as_ref()
            .map_or(0, |r| 1 + r.image * self.iters + r.test.iterations());
        (
            self.slots.count_done() * per + here,
            self.variants.len() * per,
        )
    }

    fn result(&self) -> TradeoffResult {
        TradeoffResult {
            points: self
                .slots
                .values()
                .map(|p| TradeoffPointResult {
                    label: p.label.clone(),
                    method: p.method.clone(),
                    psnr: Num(p.psnr),
                    amplification: Num(p.amplification),
                    query: params::to_query(&UnstableParams {
                        view: View::Test,
                        ..p.state.clone()
                    }),
                })
                .collect(),
            variants: self.variants.len(),
            done: self.done(),
            running: self.running().map(String::from),
            clean: self.clean.clone(),
            attack: self.attack(),
            iters: self.iters,
            shipped: self.shipped,
        }
    }
}

/// A part is a variant: its numbers are [mean PSNR, worst amplification].
impl Parts for TradeoffJob {
    fn hand_out(&mut self) -> Option<usize> {
        self.slots.hand_out()
    }

    fn take_back(&mut self, part: usize) {
        self.slots.take_back(part);
    }

    fn put_part(&mut self, part: usize, numbers: &[f64]) -> Result<(), String> {
        let &[psnr, amplification] = numbers else {
            return Err(format!(
                "a trade-off point has 2 numbers, not {}",
                numbers.len()
            ));
        };
        if part >= self.variants.len() {
            return Err(format!("no variant {part}"));
        }
        let point = self.point(part, psnr, amplification);
        self.slots.finish(part, point)
    }

    fn waiting(&self) -> bool {
        self.running.is_none() && self.slots.waiting()
    }
}

impl PartJob for TradeoffJob {
    /// The variant alone: a job of that one variant on the same images, run to its end (so
    /// the same steps as here).
    fn compute_part(&self, part: usize, input: (Nets<'_>, &MriSlices)) -> Result<Vec<f64>, String> {
        let v = self
            .variants
            .get(part)
            .ok_or_else(|| format!("no variant {part}"))?;
        let mut one = TradeoffJob::with(vec![v.clone()], self.clean.clone(), self.attacked.clone());
        run_to_end(&mut one, input)?;
        let p = one.slots.get(0).ok_or("the variant was not computed")?;
        Ok(vec![p.psnr, p.amplification])
    }
}

/// The points so far (each with the link that opens its instability test), the number of
/// variants, the one being computed, the images and the test's iterations.
#[derive(Clone, Debug, Serialize)]
pub struct TradeoffResult {
    pub points: Vec<TradeoffPointResult>,
    pub variants: usize,
    pub done: bool,
    pub running: Option<String>,
    pub clean: Vec<u64>,
    pub attack: u64,
    pub iters: usize,
    pub shipped: bool,
}

/// A point of the plot, with its state as a link (`query`, the test view).
#[derive(Clone, Debug, Serialize)]
pub struct TradeoffPointResult {
    pub label: String,
    pub method: String,
    pub psnr: Num,
    pub amplification: Num,
    pub query: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn params_defaults_validate_and_variants_cover_the_methods() {
        crate::params::validate(&UnstableParams::default()).unwrap();
        let v = tradeoff_variants(&UnstableParams::default(), true);
        for w in [Which::Firenet, Which::Tv, Which::CsWavelet, Which::Net] {
            assert!(v.iter().any(|(_, p)| p.method == w), "{w:?}");
        }
        for (_, p) in &v {
            crate::params::validate(p).unwrap();
        }
    }

    /// A point of `barriers-lab tradeoff` (several clean and attacked images): its PSNR is
    /// the mean over the clean ones and its amplification the largest worst case the test
    /// finds on the attacked ones, each test run directly; the steps are as counted.
    #[test]
    fn a_point_is_the_mean_psnr_and_the_largest_worst_case() {
        use crate::demos::unstable::tests::{setting, slices};
        use crate::job::run_to_end;
        let (s, sl) = (setting(), slices());
        let q = UnstableParams {
            method: Which::Tv,
            iters: 3,
            cp_iters: 10,
            ..UnstableParams::default()
        };
        let seeds = vec![9001, 9002];
        let mut job =
            TradeoffJob::with(vec![("TV".into(), q.clone())], seeds.clone(), seeds.clone());
        assert_eq!(job.progress(), (0, 1 + 2 * 3));
        run_to_end(&mut job, (Nets::one(&s), &sl)).unwrap();
        assert_eq!(job.progress(), (7, 7));
        let pt = &job.points()[0];
        assert_eq!(pt.psnr, mean_psnr(&s, &sl, &q, &seeds).unwrap());
        let worst: Vec<f64> = seeds
            .iter()
            .map(|&seed| {
                let c = Case::family(&s, &sl, seed, q.noise).unwrap();
                let mut t = start(&s, &c, Which::Tv, &q).unwrap();
                while !t.done() {
                    t.step();
                }
                t.worst().unwrap().amplification
            })
            .collect();
        assert_eq!(pt.amplification, worst[0].max(worst[1]));
        assert!(pt.amplification > 0.0);
    }
}
