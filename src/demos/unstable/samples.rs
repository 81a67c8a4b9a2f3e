//! More samples can hurt (Antun et al., PNAS 2020): each method's mean PSNR against the
//! sampling rate, with nested masks of the network's pattern (a larger rate keeps every
//! sample of a smaller one), one (rate, method) per step ([`SamplesJob`], the page's
//! more-samples view and `barriers-lab samples`), and the state's image reconstructed at the
//! rate shown ([`RateImages`]).

use super::{held_out, Case, Setting, UnstableParams, Which};
use crate::data::family::Member;
use crate::data::mri::MriSlices;
use crate::demos::mri::modulus;
use crate::job::{Job, Num, PartJob, Parts, Slots};
use crate::operators::sampling::measure;
use crate::operators::{complex, LinearOperator};
use crate::recon::metrics::psnr;
use ndarray::Array1;
use serde::Serialize;
use std::sync::Arc;

/// The methods of the more-samples curve.
pub const SAMPLES_METHODS: [Which; 3] = [Which::Net, Which::Firenet, Which::Tv];

/// The rates of the more-samples curve, 5 % to 60 % (as `barriers-lab samples`).
pub fn samples_rates() -> Vec<f64> {
    (1..=12).map(|i| 0.05 * i as f64).collect()
}

/// One point of the more-samples curve: a method's mean PSNR over the images at one rate.
#[derive(Clone, Debug, Serialize)]
pub struct SamplesPoint {
    pub rate: f64,
    /// |Omega| / n^2 actually sampled.
    pub sampled: f64,
    pub method: String,
    pub psnr: f64,
}

/// More samples can hurt: nested masks of the network's pattern and seed at each rate (a
/// larger rate keeps every sample of a smaller one), each method's mean PSNR of |Psi(y)| on
/// the family members `seeds`. The network keeps its weights: a cascade's data-consistency
/// steps see the new mask; the dense network reads the samples at its own positions (zero
/// where a smaller mask lacks them) and cannot use the others.
pub fn samples_curve(
    setting: &Setting,
    slices: &MriSlices,
    p: &UnstableParams,
    rates: &[f64],
    seeds: &[u64],
    methods: &[Which],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SamplesPoint>, String> {
    let members: Vec<Member> = seeds
        .iter()
        .map(|&s| setting.draw(slices, s))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let total = rates.len() * methods.len();
    for (i, &rate) in rates.iter().enumerate() {
        let here = at_rate(setting, rate)?;
        let a = here.a.clone();
        for (j, &w) in methods.iter().enumerate() {
            let map = here.map(w, p)?;
            let mut total_psnr = 0.0;
            for m in &members {
                let y = measure(&*a, m.image.view(), p.noise, m.seed as u32);
                let est = map.apply(y.view()).mapv(|z| z.norm());
                total_psnr += crate::recon::metrics::psnr(m.image.view(), est.view());
            }
            out.push(SamplesPoint {
                rate,
                sampled: a.rate(),
                method: w.name().into(),
                psnr: total_psnr / members.len().max(1) as f64,
            });
            progress(i * methods.len() + j + 1, total);
        }
    }
    Ok(out)
}

/// The setting with the network's pattern and mask seed at another rate (nested: a larger
/// rate keeps every sample of a smaller one), the network unchanged, as [`samples_curve`]
/// builds it.
pub fn at_rate(setting: &Setting, rate: f64) -> Result<Setting, String> {
    let mut opts = setting.header.training.clone();
    opts.rate = rate;
    Ok(Setting {
        net: setting.net.clone(),
        header: setting.header.clone(),
        a: Arc::new(opts.operator(setting.side())?),
    })
}

/// More samples can hurt: each method's mean PSNR over held-out images at every rate of
/// [`samples_rates`] (nested masks of the network's pattern).
pub struct SamplesJob {
    pub params: UnstableParams,
    pub rates: Vec<f64>,
    pub seeds: Vec<u64>,
    /// The rate the network was trained at.
    pub trained_rate: f64,
    /// Rate by rate, [`SAMPLES_METHODS`] within each: each (rate, method) computed here or
    /// by another worker ([`Parts`]).
    pub slots: Slots<SamplesPoint>,
}

impl SamplesJob {
    /// The page's curve: the rates of [`samples_rates`], over the state's `samples_images`
    /// held-out images.
    pub fn new(setting: &Setting, p: &UnstableParams) -> Self {
        Self::with(setting, p, samples_rates(), held_out(p.samples_images))
    }

    /// The curve at `rates` over the family members `seeds` (the command line's choice).
    pub fn with(setting: &Setting, p: &UnstableParams, rates: Vec<f64>, seeds: Vec<u64>) -> Self {
        Self {
            params: p.clone(),
            slots: Slots::new(rates.len() * SAMPLES_METHODS.len()),
            rates,
            seeds,
            trained_rate: setting.header.training.rate,
        }
    }

    /// The points to compute: (rate, method) pairs.
    pub fn total(&self) -> usize {
        self.rates.len() * SAMPLES_METHODS.len()
    }

    /// What the finished curve says of the network: its PSNR at its training rate against
    /// the larger rates (none if the curve is unfinished or has no rate above the training
    /// rate).
    pub fn network_across_rates(&self) -> Option<NetworkAcrossRates> {
        if !self.done() {
            return None;
        }
        let at = self
            .rates
            .iter()
            .find(|r| (*r - self.trained_rate).abs() < 1e-9)?;
        let at_trained = self.psnr(*at, Which::Net)?;
        let above: Vec<(f64, f64)> = self
            .rates
            .iter()
            .filter(|r| **r > self.trained_rate + 1e-9)
            .filter_map(|&r| self.psnr(r, Which::Net).map(|q| (r, q)))
            .collect();
        let best = above.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
        let worst = above.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
        let verdict = if best.1 < at_trained - FLAT_DB {
            "decline"
        } else {
            "none"
        };
        Some(NetworkAcrossRates {
            at_trained,
            best_above: best.1,
            best_above_rate: best.0,
            worst_above: worst.1,
            worst_above_rate: worst.0,
            verdict,
        })
    }

    /// The finished points, rate by rate.
    pub fn points(&self) -> Vec<SamplesPoint> {
        self.slots.values().cloned().collect()
    }

    /// Part `i`: its rate and method.
    fn part(&self, i: usize) -> Result<(f64, Which), String> {
        let m = SAMPLES_METHODS.len();
        let rate = *self
            .rates
            .get(i / m)
            .ok_or_else(|| format!("no point {i} on the curve"))?;
        Ok((rate, SAMPLES_METHODS[i % m]))
    }

    /// Part `i` computed: [`samples_curve`] at its one rate and method.
    fn compute(
        &self,
        i: usize,
        (setting, slices): (&Setting, &MriSlices),
    ) -> Result<SamplesPoint, String> {
        let (rate, which) = self.part(i)?;
        samples_curve(
            setting,
            slices,
            &self.params,
            &[rate],
            &self.seeds,
            &[which],
            |_, _| {},
        )?
        .pop()
        .ok_or_else(|| "the curve gave no point".into())
    }

    /// The PSNR of `which` at `rate` (from the rates of the curve), if computed.
    pub fn psnr(&self, rate: f64, which: Which) -> Option<f64> {
        self.slots
            .values()
            .find(|p| p.rate == rate && p.method == which.name())
            .map(|p| p.psnr)
    }
}

impl Job for SamplesJob {
    type Input<'a> = (&'a Setting, &'a MriSlices);
    type Output<'a> = SamplesResult;

    /// The next open (rate, method) of the curve; nothing while every one left is being
    /// computed elsewhere ([`Parts`]).
    fn step(&mut self, input: (&Setting, &MriSlices)) -> Result<(), String> {
        let Some(i) = self.slots.start_here() else {
            return Ok(());
        };
        match self.compute(i, input) {
            Ok(p) => self.slots.finish(i, p),
            Err(e) => {
                self.slots.take_back(i);
                Err(e)
            }
        }
    }

    fn done(&self) -> bool {
        self.slots.all_done()
    }

    /// ((rate, method) pairs computed, pairs in all).
    fn progress(&self) -> (usize, usize) {
        (self.slots.count_done(), self.total())
    }

    fn result(&self) -> SamplesResult {
        SamplesResult {
            net: self.params.net.name(),
            network: self.network_across_rates(),
            rates: self.rates.clone(),
            seeds: self.seeds.clone(),
            trained_rate: self.trained_rate,
            done: self.done(),
            methods: SAMPLES_METHODS.map(Which::name),
            points: self
                .slots
                .values()
                .map(|p| SamplesPointResult {
                    rate: p.rate,
                    sampled: p.sampled,
                    method: p.method.clone(),
                    psnr: Num(p.psnr),
                })
                .collect(),
        }
    }
}

/// A part is a (rate, method): its numbers are [fraction sampled, mean PSNR].
impl Parts for SamplesJob {
    fn hand_out(&mut self) -> Option<usize> {
        self.slots.hand_out()
    }

    fn take_back(&mut self, part: usize) {
        self.slots.take_back(part);
    }

    fn put_part(&mut self, part: usize, numbers: &[f64]) -> Result<(), String> {
        let &[sampled, psnr] = numbers else {
            return Err(format!(
                "a point of the curve has 2 numbers, not {}",
                numbers.len()
            ));
        };
        let (rate, which) = self.part(part)?;
        self.slots.finish(
            part,
            SamplesPoint {
                rate,
                sampled,
                method: which.name().into(),
                psnr,
            },
        )
    }

    fn waiting(&self) -> bool {
        self.slots.waiting()
    }
}

impl PartJob for SamplesJob {
    fn compute_part(&self, part: usize, input: (&Setting, &MriSlices)) -> Result<Vec<f64>, String> {
        let p = self.compute(part, input)?;
        Ok(vec![p.sampled, p.psnr])
    }
}

/// A decline counts only if every larger rate is more than this many dB below the training
/// rate's PSNR. The dense network, which reads only its own samples, moves by up to 0.5 dB
/// over 15-60 % (0.38 dB on 3 images, 0.51 on family:9001 alone), because the noise is set
/// relative to all measurements (||e|| / ||A x||), so its own samples get less of it as the
/// mask grows; the cascade falls by 5.5 to 11.6 dB.
pub const FLAT_DB: f64 = 0.5;

/// The network's PSNR at its training rate against the rates above it: the best and the
/// worst there, and the verdict: "decline" (even the best is more than [`FLAT_DB`] below) or
/// "none" (not observed).
#[derive(Clone, Debug, Serialize)]
pub struct NetworkAcrossRates {
    pub at_trained: f64,
    pub best_above: f64,
    pub best_above_rate: f64,
    pub worst_above: f64,
    pub worst_above_rate: f64,
    pub verdict: &'static str,
}

/// The curve so far: the network it is for (`net`, a [`super::TrainedNet`] name), its rates,
/// images and methods, the network's training rate, the points computed, and once finished
/// what it says of the network.
#[derive(Clone, Debug, Serialize)]
pub struct SamplesResult {
    pub net: &'static str,
    pub network: Option<NetworkAcrossRates>,
    pub rates: Vec<f64>,
    pub seeds: Vec<u64>,
    pub trained_rate: f64,
    pub done: bool,
    pub methods: [&'static str; 3],
    pub points: Vec<SamplesPointResult>,
}

/// [`SamplesPoint`] with a non-finite PSNR as text.
#[derive(Clone, Debug, Serialize)]
pub struct SamplesPointResult {
    pub rate: f64,
    pub sampled: f64,
    pub method: String,
    pub psnr: Num,
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

    /// Its numbers: the rate, what is sampled there, the image, each method's PSNR.
    pub fn result(&self) -> RateResult {
        RateResult {
            rate: self.rate,
            sampled: self.sampled,
            samples: self.samples,
            image_seed: self.image_seed,
            methods: SAMPLES_METHODS.map(Which::name),
            psnr: self
                .outs
                .iter()
                .map(|(w, _, q)| MethodPsnr {
                    method: w.name(),
                    psnr: Num(*q),
                })
                .collect(),
        }
    }
}

/// The reconstructions at the rate shown: the rate, |Omega| / n^2 and |Omega| there, the
/// image's seed, the methods shown (in order) and their PSNR.
#[derive(Clone, Debug, Serialize)]
pub struct RateResult {
    pub rate: f64,
    pub sampled: f64,
    pub samples: usize,
    pub image_seed: u64,
    pub methods: [&'static str; 3],
    pub psnr: Vec<MethodPsnr>,
}

/// One method's PSNR.
#[derive(Clone, Debug, Serialize)]
pub struct MethodPsnr {
    pub method: &'static str,
    pub psnr: Num,
}
