//! The instability test (Antun et al., PNAS 2020) of one method at the network's setting:
//! gradient ascent on Q(r) = ||Psi(A(x + r) + e) - Psi(A x + e)||^2 - lambda ||r||^2 with
//! ||r|| <= budget ||x||, one step at a time ([`TestJob`], the page's first view and
//! `barriers-lab instability`), and the found perturbation fed to another method
//! ([`transfer`]).

use super::{largest, peak, Case, Setting, UnstableParams, Which};
use crate::demos::mri::modulus;
use crate::instability::{InstabilityReport, InstabilityTest, Snapshot};
use crate::job::{Job, Num};
use crate::operators::{complex, norm2, LinearOperator, C64};
use crate::recon::metrics::psnr;
use ndarray::Array1;
use serde::Serialize;

/// What the command line and the page report of one instability test.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub method: String,
    pub psnr_clean: f64,
    pub r_over_x: f64,
    pub err_clean: f64,
    pub err_perturbed: f64,
    pub err_gaussian: f64,
    pub amplification: f64,
    pub amplification_gaussian: f64,
    pub lipschitz: f64,
    pub iterations: usize,
}

/// Starts the instability test of `which` on a case.
pub fn start(
    setting: &Setting,
    case: &Case,
    which: Which,
    p: &UnstableParams,
) -> Result<InstabilityTest, String> {
    let map = setting.map(which, p)?;
    InstabilityTest::new(
        map,
        setting.a.clone(),
        case.x.clone(),
        Some(case.e.clone()),
        p.instability_options(),
    )
}

/// The summary of a finished test: the worst case found, the last snapshot, and the
/// Gaussian control at its norm.
pub fn summarise(case: &Case, which: Which, report: &InstabilityReport) -> Result<Summary, String> {
    let last = report.snapshots.last().ok_or("the test kept no snapshot")?;
    let worst = report.worst.ok_or("the test found no worst case")?;
    let clean = report.clean_output.mapv(|z| z.norm());
    let psnr_clean = crate::recon::metrics::psnr(case.x.view(), clean.view());
    Ok(Summary {
        method: which.name().into(),
        psnr_clean,
        r_over_x: last.r_rel,
        err_clean: report.clean_error,
        err_perturbed: last.error,
        err_gaussian: last.noise_error,
        amplification: worst.amplification,
        amplification_gaussian: last.noise_amplification,
        lipschitz: last.lipschitz,
        iterations: last.iteration,
    })
}

/// A perturbation found for one method, fed to another (the page's "transfer" button).
#[derive(Clone, Debug, Serialize)]
pub struct Transfer {
    pub method: String,
    /// ||r|| / ||x||.
    pub r_rel: f64,
    /// ||Psi(A(x + r) + e) - Psi(A x + e)|| / ||r||.
    pub amplification: f64,
    /// ||Psi(A(x + r) + e) - x|| / ||x||.
    pub err_perturbed: f64,
    /// ||Psi(A x + e) - x|| / ||x||.
    pub err_clean: f64,
    /// Psi(A(x + r) + e).
    #[serde(skip)]
    pub output: Array1<C64>,
    /// Psi(A x + e).
    #[serde(skip)]
    pub clean_output: Array1<C64>,
}

/// Applies `which` to the case's image with and without the perturbation r (same noise e).
pub fn transfer(
    setting: &Setting,
    case: &Case,
    which: Which,
    p: &UnstableParams,
    r: &Array1<f64>,
) -> Result<Transfer, String> {
    if r.len() != case.x.len() {
        return Err(format!(
            "the perturbation has {} pixels, the image {}",
            r.len(),
            case.x.len()
        ));
    }
    let r_norm = r.dot(r).sqrt();
    if !r_norm.is_finite() || r_norm == 0.0 {
        return Err("the perturbation must be finite and not zero".into());
    }
    let map = setting.map(which, p)?;
    let a = &setting.a;
    let y0 = a.apply(complex(case.x.view()).view()) + &case.e;
    let y = &y0 + &a.apply(complex(r.view()).view());
    let clean_output = map.apply(y0.view());
    let output = map.apply(y.view());
    let xc = complex(case.x.view());
    let x_norm = case.x.dot(&case.x).sqrt();
    Ok(Transfer {
        method: which.name().into(),
        r_rel: r_norm / x_norm,
        amplification: crate::operators::norm2((&output - &clean_output).view()) / r_norm,
        err_perturbed: crate::operators::norm2((&output - &xc).view()) / x_norm,
        err_clean: crate::operators::norm2((&clean_output - &xc).view()) / x_norm,
        output,
        clean_output,
    })
}

/// The comparison at equal size (Antun et al., PNAS 2020, who require each stable method's
/// perturbation v to be at least as large as the network's, ||v|| >= ||r||, before the
/// pictures are compared): a stable method fed (1) its own perturbation, the last snapshot of
/// its own instability test scaled up to the network's ||r|| when smaller, and (2) the
/// network's own r. Both are at least as large as the network's, so a stable method that
/// stays accurate under them is not accurate because its search found less.
#[derive(Clone, Debug, Serialize)]
pub struct EqualSize {
    pub stable: String,
    /// The network's ||r|| / ||x|| and what its r did to the network.
    pub network_r_rel: f64,
    pub network_amplification: f64,
    pub network_err_perturbed: f64,
    /// ||v|| / ||r|| before scaling (v the stable method's own), and the factor applied
    /// (max(1, ||r|| / ||v||)).
    pub own_over_network: f64,
    pub scale: f64,
    /// The stable method under its own v, scaled.
    pub own: Transfer,
    /// The stable method under the network's r.
    pub network_r: Transfer,
}

/// [`EqualSize`] from a finished test of the network and one of a stable method on the same
/// case and state.
pub fn equal_size(
    setting: &Setting,
    network: &TestJob,
    stable: &TestJob,
) -> Result<EqualSize, String> {
    let last = |j: &TestJob| -> Result<Snapshot, String> {
        if !j.done() {
            return Err(format!("the test of {} has not finished", j.which.name()));
        }
        j.test
            .snapshots()
            .last()
            .cloned()
            .ok_or_else(|| "the test kept no snapshot".to_string())
    };
    let (r, v) = (last(network)?, last(stable)?);
    let (nr, nv) = (r.r.dot(&r.r).sqrt(), v.r.dot(&v.r).sqrt());
    if !(nr > 0.0 && nv > 0.0) {
        return Err("a test ended at r = 0".into());
    }
    let scale = (nr / nv).max(1.0);
    let own = &v.r * scale;
    Ok(EqualSize {
        stable: stable.which.name().into(),
        network_r_rel: r.r_rel,
        network_amplification: r.amplification,
        network_err_perturbed: r.error,
        own_over_network: nv / nr,
        scale,
        own: transfer(setting, &stable.case, stable.which, &stable.params, &own)?,
        network_r: transfer(setting, &stable.case, stable.which, &stable.params, &r.r)?,
    })
}

/// The instability test of one method on one case, with its summary once finished.
pub struct TestJob {
    pub which: Which,
    /// The state it was made for.
    pub params: UnstableParams,
    pub case: Case,
    pub test: InstabilityTest,
    /// Set by the step that finishes the test.
    pub summary: Option<Summary>,
}

impl TestJob {
    /// The state's method attacked on `case` with the state's test settings.
    pub fn new(setting: &Setting, case: Case, p: &UnstableParams) -> Result<Self, String> {
        let test = start(setting, &case, p.method, p)?;
        Ok(Self {
            which: p.method,
            params: p.clone(),
            case,
            test,
            summary: None,
        })
    }

    /// The amplification of the last evaluated iterate (NaN before the first).
    pub fn amplification(&self) -> f64 {
        self.test
            .history()
            .last()
            .map_or(f64::NAN, |h| h.amplification)
    }

    /// The scale of the perturbation pictures: the largest |r_j| over the snapshots.
    pub fn r_scale(&self) -> f64 {
        self.test
            .snapshots()
            .iter()
            .map(|s| largest(&s.r))
            .fold(0.0, f64::max)
    }

    /// The scale of the change pictures: the largest |Psi(A(x + r_j) + e) - Psi(A x + e)|
    /// over the snapshots.
    pub fn diff_scale(&self) -> f64 {
        let clean = self.test.clean_output();
        self.test
            .snapshots()
            .iter()
            .map(|s| largest(&modulus(&(&s.output - clean))))
            .fold(0.0, f64::max)
    }
}

impl Job for TestJob {
    type Input<'a> = ();
    type Output<'a> = TestResult;

    /// One gradient step (forward and backward through the method); the last one also
    /// summarises the test.
    fn step(&mut self, _: ()) -> Result<(), String> {
        if !self.test.done() {
            self.test.step();
        }
        if self.test.done() && self.summary.is_none() {
            self.summary = Some(summarise(&self.case, self.which, &self.test.report())?);
        }
        Ok(())
    }

    fn done(&self) -> bool {
        self.summary.is_some()
    }

    /// (gradient steps taken, planned).
    fn progress(&self) -> (usize, usize) {
        (self.test.iterations(), self.test.planned())
    }

    fn result(&self) -> TestResult {
        let t = &self.test;
        let x = &self.case.x;
        let x_norm = x.dot(x).sqrt();
        let clean = modulus(t.clean_output());
        TestResult {
            method: self.which.name(),
            iterations: t.iterations(),
            planned: t.planned(),
            done: self.done(),
            image_seed: self.params.image_seed,
            held_out: self.case.held_out(),
            budget: self.params.budget,
            x_norm,
            peak: peak(x),
            psnr_clean: Num(psnr(x.view(), clean.view())),
            clean_error: Num(norm2((t.clean_output() - &complex(x.view())).view()) / x_norm),
            snapshots: t.snapshots().iter().map(SnapshotResult::from).collect(),
            worst: t.worst().map(|w| WorstResult {
                iteration: w.iteration,
                r_rel: Num(w.r_rel),
                amplification: Num(w.amplification),
            }),
            summary: self.summary.as_ref().map(SummaryResult::from),
            r_scale: self.r_scale(),
            diff_scale: self.diff_scale(),
            history: t.history().iter().map(|h| Num(h.amplification)).collect(),
        }
    }
}

/// The test's numbers, finished or not: its snapshots with their Gaussian controls, the
/// worst case so far, the summary once finished, the scales of its pictures and the
/// amplification of every iterate.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    pub method: &'static str,
    pub iterations: usize,
    pub planned: usize,
    pub done: bool,
    pub image_seed: u64,
    pub held_out: bool,
    pub budget: f64,
    pub x_norm: f64,
    pub peak: f64,
    /// PSNR of |Psi(A x + e)| against x.
    pub psnr_clean: Num,
    /// ||Psi(A x + e) - x|| / ||x||.
    pub clean_error: Num,
    pub snapshots: Vec<SnapshotResult>,
    pub worst: Option<WorstResult>,
    pub summary: Option<SummaryResult>,
    pub r_scale: f64,
    pub diff_scale: f64,
    /// ||Psi(A(x + r_k) + e) - Psi(A x + e)|| / ||r_k|| for every evaluated iterate.
    pub history: Vec<Num>,
}

/// A kept perturbation r_j's numbers (see [`Snapshot`]).
#[derive(Clone, Debug, Serialize)]
pub struct SnapshotResult {
    pub iteration: usize,
    pub r_rel: Num,
    pub error: Num,
    pub clean_error: Num,
    pub change: Num,
    pub amplification: Num,
    pub lipschitz: Num,
    pub noise_amplification: Num,
    pub noise_error: Num,
}

impl From<&Snapshot> for SnapshotResult {
    fn from(s: &Snapshot) -> Self {
        Self {
            iteration: s.iteration,
            r_rel: Num(s.r_rel),
            error: Num(s.error),
            clean_error: Num(s.clean_error),
            change: Num(s.change),
            amplification: Num(s.amplification),
            lipschitz: Num(s.lipschitz),
            noise_amplification: Num(s.noise_amplification),
            noise_error: Num(s.noise_error),
        }
    }
}

/// The largest amplification among iterates with ||r|| >= half the last one's.
#[derive(Clone, Debug, Serialize)]
pub struct WorstResult {
    pub iteration: usize,
    pub r_rel: Num,
    pub amplification: Num,
}

/// [`Summary`] with its non-finite numbers as text.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryResult {
    pub method: String,
    pub psnr_clean: Num,
    pub r_over_x: Num,
    pub err_clean: Num,
    pub err_perturbed: Num,
    pub err_gaussian: Num,
    pub amplification: Num,
    pub amplification_gaussian: Num,
    pub lipschitz: Num,
    pub iterations: usize,
}

impl From<&Summary> for SummaryResult {
    fn from(s: &Summary) -> Self {
        Self {
            method: s.method.clone(),
            psnr_clean: Num(s.psnr_clean),
            r_over_x: Num(s.r_over_x),
            err_clean: Num(s.err_clean),
            err_perturbed: Num(s.err_perturbed),
            err_gaussian: Num(s.err_gaussian),
            amplification: Num(s.amplification),
            amplification_gaussian: Num(s.amplification_gaussian),
            lipschitz: Num(s.lipschitz),
            iterations: s.iterations,
        }
    }
}

/// A transfer's numbers beside those of the test's last snapshot, for the same r.
#[derive(Clone, Debug, Serialize)]
pub struct TransferResult {
    /// The method fed r, and the one it was found for.
    pub method: String,
    pub from: &'static str,
    pub r_rel: Num,
    pub amplification: Num,
    pub err_perturbed: Num,
    pub err_clean: Num,
    pub from_amplification: Option<Num>,
    pub from_error: Option<Num>,
    /// The scale of the change picture: the largest |Psi(A(x + r) + e) - Psi(A x + e)|.
    pub diff_scale: f64,
}

impl TransferResult {
    pub fn new(t: &Transfer, from: &TestJob) -> Self {
        let last = from.test.snapshots().last();
        Self {
            method: t.method.clone(),
            from: from.which.name(),
            r_rel: Num(t.r_rel),
            amplification: Num(t.amplification),
            err_perturbed: Num(t.err_perturbed),
            err_clean: Num(t.err_clean),
            from_amplification: last.map(|s| Num(s.amplification)),
            from_error: last.map(|s| Num(s.error)),
            diff_scale: largest(&modulus(&(&t.output - &t.clean_output))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::shepp_logan;
    use crate::demos::unstable::tests::setting;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Fed back to the method that found it, a snapshot's perturbation gives the snapshot's
    /// numbers (to rounding); fed to the adjoint, its amplification is ||A* A r|| / ||r||,
    /// at most 1.
    #[test]
    fn transfer_reproduces_the_snapshot_and_bounds_the_adjoint() {
        let s = setting();
        let x = shepp_logan(32).unwrap();
        let case = Case::image(&s, x, None, 3, 0.01).unwrap();
        let p = UnstableParams {
            method: Which::Tv,
            iters: 6,
            cp_iters: 20,
            ..UnstableParams::default()
        };
        let mut t = start(&s, &case, Which::Tv, &p).unwrap();
        while !t.done() {
            t.step();
        }
        let snap = t.snapshots().last().unwrap().clone();
        let tr = transfer(&s, &case, Which::Tv, &p, &snap.r).unwrap();
        assert!((tr.amplification - snap.amplification).abs() < 1e-12 * snap.amplification);
        assert!((tr.err_perturbed - snap.error).abs() < 1e-12);
        assert!((tr.r_rel - snap.r_rel).abs() < 1e-15);
        let adj = transfer(&s, &case, Which::Adjoint, &p, &snap.r).unwrap();
        let ar = s.a.adjoint(s.a.apply(complex(snap.r.view()).view()).view());
        let want = crate::operators::norm2(ar.view()) / snap.r.dot(&snap.r).sqrt();
        assert!(
            (adj.amplification - want).abs() < 1e-12,
            "{adj:?} vs {want}"
        );
        assert!(adj.amplification <= 1.0 + 1e-12);
        assert!(transfer(&s, &case, Which::Tv, &p, &Array1::zeros(4)).is_err());
        assert!(transfer(&s, &case, Which::Tv, &p, &Array1::zeros(32 * 32)).is_err());
    }

    /// The equal-size comparison: the stable method's own v is scaled to at least the
    /// network's ||r||, and its two transfers are those computed directly; a test not run to
    /// the end is an error.
    #[test]
    fn equal_size_feeds_the_stable_method_perturbations_at_least_as_large() {
        let s = setting();
        let x = shepp_logan(32).unwrap();
        let case = Case::image(&s, x, None, 3, 0.01).unwrap();
        let run = |method| {
            let p = UnstableParams {
                method,
                iters: 6,
                cp_iters: 20,
                ..UnstableParams::default()
            };
            let mut j = TestJob::new(&s, case.clone(), &p).unwrap();
            crate::job::run_to_end(&mut j, ()).unwrap();
            j
        };
        let (net, tv) = (run(Which::Net), run(Which::Tv));
        let e = equal_size(&s, &net, &tv).unwrap();
        let r = &net.test.snapshots().last().unwrap().r;
        let v = &tv.test.snapshots().last().unwrap().r;
        let (nr, nv) = (r.dot(r).sqrt(), v.dot(v).sqrt());
        assert_eq!(e.scale, (nr / nv).max(1.0));
        assert!(e.own.r_rel >= e.network_r_rel * (1.0 - 1e-12), "{e:?}");
        assert!((e.network_r.r_rel - e.network_r_rel).abs() < 1e-15);
        let own = transfer(&s, &case, Which::Tv, &tv.params, &(v * e.scale)).unwrap();
        assert_eq!(e.own.amplification, own.amplification);
        assert_eq!(e.own.err_perturbed, own.err_perturbed);
        let direct = transfer(&s, &case, Which::Tv, &tv.params, r).unwrap();
        assert_eq!(e.network_r.amplification, direct.amplification);
        assert_eq!(
            e.network_amplification,
            net.test.snapshots().last().unwrap().amplification
        );
        let p = UnstableParams {
            method: Which::Tv,
            iters: 6,
            cp_iters: 20,
            ..UnstableParams::default()
        };
        let fresh = TestJob::new(&s, case.clone(), &p).unwrap();
        assert!(equal_size(&s, &net, &fresh).is_err());
    }
}
