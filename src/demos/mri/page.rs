//! The MRI page's held state, in plain Rust (the binding `crate::wasm::mri` only forwards to
//! it): the state, the loaded Colin27 stacks and the student's picture, the figure being
//! iterated (a [`Job`]: image, mask, y = A x + e and every reconstruction) with the k-space
//! picture it shows, and FIRENET's convergence comparison on that figure. Pictures are RGBA
//! bytes at the figure's side, every one scaled to the peak of the true image x.

use super::{
    ConvergenceJob, ConvergenceResult, FigureFacts, ImageSource, MriExperiment, MriImages,
    MriParams, MriReport, Size,
};
use crate::data::mri::{decode_slices, file_name};
use crate::job::Job;
use crate::operators::masks::{Mask, Pattern};
use crate::params;
use crate::recon::Method;
use crate::render::images::diverging_rgba;
use crate::render::mri::{error_rgba, grey_scaled_rgba, kspace_log, kspace_rgba, mask_rgba};
use ndarray::Array1;
use serde::Serialize;

/// The MRI page: its state, its images and its jobs.
#[derive(Default)]
pub struct MriPage {
    /// The state (links, files and controls replace it whole; see [`crate::params`]).
    pub params: MriParams,
    images: MriImages,
    figure: Option<Figure>,
    /// The convergence comparison on the current figure (a new figure drops it).
    convergence: Option<ConvergenceJob>,
}

/// The figure being iterated, and log |F x| (centred), computed once per figure.
struct Figure {
    exp: MriExperiment,
    kspace: Array1<f64>,
}

/// A Colin27 stack the state needs that is not loaded: its side and file name.
#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub side: usize,
    pub file: Option<&'static str>,
}

/// A name read as one of the serde names of `T` (the schema's words), or `what` as the error.
fn named<T: serde::de::DeserializeOwned>(
    name: &str,
    what: impl FnOnce() -> String,
) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|_| what())
}

impl MriPage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the image size, adapting what depends on it (wavelet levels, a painted mask).
    pub fn set_size(&mut self, size: &str) -> Result<(), String> {
        let size: Size = named(size, || {
            format!("size: expected one of 64, 128, 256, got {size}")
        })?;
        self.set_params(self.params.resized(size)?)
    }

    /// Takes `next` as the state if it is valid; a refused one changes nothing.
    fn set_params(&mut self, next: MriParams) -> Result<(), String> {
        params::validate(&next).map_err(|e| e.to_string())?;
        self.params = next;
        Ok(())
    }

    /// The part of the state that decides the computed figure (as a URL hash): a change
    /// elsewhere (the kernel view's method) only changes what is shown.
    pub fn build_key(&self) -> String {
        params::to_query(&self.params.build_key())
    }

    /// The Colin27 stacks the state needs and are not loaded.
    pub fn needs(&self) -> Vec<Need> {
        let missing = self.images.missing(&self.params).into_iter();
        missing
            .map(|side| Need {
                side,
                file: file_name(side),
            })
            .collect()
    }

    /// Takes a (gunzipped) Colin27 stack of the given side, replacing one of that side.
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), String> {
        let s = decode_slices(side, bytes)?;
        self.images.slices.retain(|x| x.side() != side);
        self.images.slices.push(s);
        Ok(())
    }

    /// The student's picture (RGBA, w x h): kept at every size; the state switches to it.
    pub fn set_upload(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), String> {
        self.images.set_upload(rgba, w, h)?;
        self.set_params(MriParams {
            image: ImageSource::Upload,
            ..self.params.clone()
        })
    }

    /// Builds the figure for the current state (image, mask, data, reconstructions at
    /// iteration 0), dropping the previous one and its convergence comparison.
    pub fn start(&mut self) -> Result<FigureFacts, String> {
        self.figure = None;
        self.convergence = None;
        let exp = MriExperiment::new(self.params.clone(), &self.images)?;
        let kspace = kspace_log(exp.x.view(), exp.side());
        let facts = exp.facts();
        self.figure = Some(Figure { exp, kspace });
        Ok(facts)
    }

    fn figure_state(&self) -> Result<&Figure, String> {
        self.figure
            .as_ref()
            .ok_or_else(|| "nothing has been computed yet".to_string())
    }

    /// The figure as far as it has run.
    pub fn figure(&self) -> Result<&MriExperiment, String> {
        Ok(&self.figure_state()?.exp)
    }

    /// One iteration of every unfinished reconstruction: [done, total, finished].
    pub fn step(&mut self) -> Result<[usize; 3], String> {
        let f = self
            .figure
            .as_mut()
            .ok_or("nothing has been computed yet")?;
        f.exp.step(())?;
        let (d, t) = f.exp.progress();
        Ok([d, t, usize::from(f.exp.done())])
    }

    /// The figure's numbers (see [`MriReport`]).
    pub fn report(&self) -> Result<MriReport, String> {
        Ok(self.figure()?.result())
    }

    /// RGBA pixels of one picture: "truth", "kspace" (with the mask), "mask",
    /// "recon:METHOD", "error:METHOD", "kernel-detail", "kernel-z", "kernel-x2",
    /// "kernel-recon:METHOD". Images are scaled to x's peak, the invisible part z to its
    /// largest |z| (the detail and z diverging around 0).
    pub fn picture(&self, which: &str) -> Result<Vec<u8>, String> {
        let Figure { exp, kspace } = self.figure_state()?;
        let (peak, n) = (exp.peak(), exp.side());
        let kernel = || {
            exp.kernel
                .as_ref()
                .ok_or("the kernel view is off (no detail placed)")
        };
        let (kind, method) = match which.split_once(':') {
            Some((k, m)) => (
                k,
                Some(named::<Method>(m, || format!("unknown method '{m}'"))?),
            ),
            None => (which, None),
        };
        let modulus = |m: Method| super::modulus(&exp.recon(m).image());
        Ok(match (kind, method) {
            ("truth", None) => grey_scaled_rgba(exp.x.view(), peak),
            ("kspace", None) => kspace_rgba(kspace.view(), exp.mask.bits()),
            ("mask", None) => mask_rgba(exp.mask.bits()),
            ("recon", Some(m)) => grey_scaled_rgba(modulus(m).view(), peak),
            ("error", Some(m)) => error_rgba(modulus(m).view(), exp.x.view(), peak),
            ("kernel-detail", None) => diverging_rgba(kernel()?.detail.view(), n, peak.max(1e-12)),
            ("kernel-z", None) => {
                let k = kernel()?;
                diverging_rgba(k.z.view(), n, k.z_scale().max(1e-12))
            }
            ("kernel-x2", None) => grey_scaled_rgba(kernel()?.x2.view(), peak),
            ("kernel-recon", Some(m)) => {
                let r = &kernel()?.recons[m.index()];
                grey_scaled_rgba(super::modulus(&r.image()).view(), peak)
            }
            _ => return Err(format!("unknown picture '{which}'")),
        })
    }

    /// The largest |z| of the kernel view's invisible part (the scale its picture uses).
    pub fn kernel_scale(&self) -> Result<f64, String> {
        let k = self.figure()?.kernel.as_ref();
        Ok(k.ok_or("the kernel view is off")?.z_scale())
    }

    /// Paints on the mask (see [`Mask::painted`]); the state's pattern becomes 'painted'.
    pub fn paint(&mut self, points: &[f64], radius: f64, add: bool) -> Result<(), String> {
        let mask = self.params.mask()?.painted(points, radius, add)?;
        self.set_painted(&mask)
    }

    /// A mask picture (see [`Mask::from_rgba`], n x n at the current size) becomes the
    /// painted mask.
    pub fn load_mask_rgba(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), String> {
        let mask = Mask::from_rgba(self.params.size.side(), rgba, w, h)?;
        self.set_painted(&mask)
    }

    fn set_painted(&mut self, mask: &Mask) -> Result<(), String> {
        self.set_params(MriParams {
            mask: Pattern::Painted,
            painted: mask.to_token(),
            ..self.params.clone()
        })
    }

    /// Starts the convergence comparison on the current figure.
    pub fn start_convergence(&mut self) -> Result<(), String> {
        self.convergence = Some(ConvergenceJob::new(self.figure()?)?);
        Ok(())
    }

    /// A step of the comparison: [done, total, finished]; [0, 0, 1] once a new figure has
    /// dropped it.
    pub fn convergence_step(&mut self) -> Result<[usize; 3], String> {
        let Some(job) = self.convergence.as_mut() else {
            return Ok([0, 0, 1]);
        };
        job.step(())?;
        let (d, t) = job.progress();
        Ok([d, t, usize::from(job.done())])
    }

    /// The convergence curves so far (see [`ConvergenceResult`]).
    pub fn convergence_result(&self) -> Result<ConvergenceResult<'_>, String> {
        let job = self.convergence.as_ref();
        Ok(job.ok_or("no convergence run has been made")?.result())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::demos::mri::MethodRun;
    use crate::job::run_to_end;
    use crate::params::from_query;
    use serde_json::{to_string, to_value, Value};

    /// A quick figure: the phantom at 64 x 64, a few iterations (no files to load).
    const QUICK: &str = "image=shepp-logan&size=64&iters=12&restarts=2&inner=5";

    fn page(query: &str) -> MriPage {
        let mut page = MriPage::new();
        page.params = from_query(query).unwrap();
        assert!(page.needs().is_empty());
        page
    }

    /// Steps the page's figure one iteration at a time, as the worker does.
    fn stepped(page: &mut MriPage) -> MriReport {
        page.start().unwrap();
        let mut calls = 0;
        while page.step().unwrap()[2] == 0 {
            calls += 1;
            assert!(calls < 1000);
        }
        page.report().unwrap()
    }

    /// The figure stepped by the page equals the figure run to the end (what `barriers-lab
    /// figures` does), and each method's numbers equal `barriers-lab recon`'s for it.
    #[test]
    fn page_figure_stepped_equals_the_command_lines_runs() {
        for query in [QUICK.to_string(), format!("{QUICK}&detail=0.4,0.6")] {
            let mut p = page(&query);
            let report = stepped(&mut p);
            let mut exp = MriExperiment::new(p.params.clone(), &p.images).unwrap();
            let whole = run_to_end(&mut exp, ()).unwrap();
            assert_eq!(to_string(&report).unwrap(), to_string(&whole).unwrap());
            assert_eq!(report.quality[2].iterations, 12);
            for m in Method::ALL {
                let exp = MriExperiment::new(p.params.clone(), &p.images).unwrap();
                let mut one = MethodRun { exp, method: m };
                let q = run_to_end(&mut one, ()).unwrap();
                assert_eq!(
                    to_string(&q).unwrap(),
                    to_string(&report.quality[m.index()]).unwrap()
                );
            }
        }
    }

    /// The report's and the convergence result's keys are the ones `www/js/mri.js` reads;
    /// the kernel view is absent without a detail.
    #[test]
    fn results_have_the_fields_the_page_reads() {
        let keys = |v: &Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k.join(",")
        };
        let mut p = page(QUICK);
        let facts = to_value(p.start().unwrap()).unwrap();
        assert_eq!(keys(&facts), "noise_norm,peak,rate,samples,side,y_norm");
        let r = to_value(p.report().unwrap()).unwrap();
        assert_eq!(keys(&r), "noise_norm,quality,rate,samples,side,x_norm,z_mm");
        assert_eq!(
            keys(&r["quality"][0]),
            "done,iterations,method,planned,psnr,rel_error,ssim"
        );
        let mut p = page(&format!("{QUICK}&detail=0.4,0.6"));
        let r = to_value(stepped(&mut p)).unwrap();
        assert_eq!(
            keys(&r["kernel"]),
            "az_norm,detail_norm,differences,quality_x2,unseen,y_change,z_norm"
        );
        assert!(r["kernel"]["unseen"].as_f64().unwrap() > 0.0);
        p.start_convergence().unwrap();
        let c = to_value(p.convergence_result().unwrap()).unwrap();
        assert_eq!(
            keys(&c),
            "done,f_star,flat_error,flat_gap,inner,plain_error,plain_gap,ratio,\
             reference_error,restart_gaps,restarted_error,restarted_gap,slope"
        );
        assert_eq!(c["slope"], Value::Null);
    }

    /// The convergence comparison stepped by the page equals the job run to the end.
    #[test]
    fn convergence_stepped_equals_run_to_end() {
        let mut p = page(QUICK);
        p.start().unwrap();
        p.start_convergence().unwrap();
        while p.convergence_step().unwrap()[2] == 0 {}
        let stepped = to_string(&p.convergence_result().unwrap()).unwrap();
        let mut job = ConvergenceJob::new(p.figure().unwrap()).unwrap();
        let whole = to_string(&run_to_end(&mut job, ()).unwrap()).unwrap();
        assert_eq!(stepped, whole);
        let c: Value = serde_json::from_str(&stepped).unwrap();
        assert_eq!(c["restarted_error"].as_array().unwrap().len(), 10);
        assert_eq!(c["restart_gaps"].as_array().unwrap().len(), 2);
        assert_eq!(c["done"], true);
        // A new figure drops the comparison.
        p.start().unwrap();
        assert_eq!(p.convergence_step().unwrap(), [0, 0, 1]);
        assert!(p.convergence_result().is_err());
    }

    /// Pictures have the figure's size, bad names are errors, and painting or a mask picture
    /// makes the pattern 'painted'.
    #[test]
    fn pictures_and_mask_editing() {
        let mut p = page(&format!("{QUICK}&detail=0.5,0.5"));
        assert!(p.picture("truth").is_err(), "nothing computed yet");
        p.start().unwrap();
        for which in ["truth", "kspace", "mask", "recon:tv", "error:firenet"] {
            assert_eq!(p.picture(which).unwrap().len(), 4 * 64 * 64, "{which}");
        }
        for which in [
            "kernel-detail",
            "kernel-z",
            "kernel-x2",
            "kernel-recon:adjoint",
        ] {
            assert_eq!(p.picture(which).unwrap().len(), 4 * 64 * 64, "{which}");
        }
        assert_eq!(
            p.picture("recon:unet").unwrap_err(),
            "unknown method 'unet'"
        );
        assert_eq!(p.picture("nope").unwrap_err(), "unknown picture 'nope'");
        assert!(p.kernel_scale().unwrap() > 0.0);
        let before = p.params.mask().unwrap().count();
        p.paint(&[0.0, 0.0, 63.0, 63.0], 2.0, true).unwrap();
        assert_eq!(p.params.mask, Pattern::Painted);
        assert!(p.params.mask().unwrap().count() > before);
        assert!(p.paint(&[1.0], 1.0, true).is_err());
        let rgba = mask_rgba(p.params.mask().unwrap().bits());
        let painted = p.params.painted.clone();
        p.load_mask_rgba(&rgba, 64, 64).unwrap();
        assert_eq!(
            p.params.painted, painted,
            "a mask picture reads back as the mask"
        );
        assert!(p.load_mask_rgba(&rgba, 32, 128).is_err());
        p.set_size("128").unwrap();
        assert_eq!(p.params.size, Size::S128);
        assert!(p.set_size("100").is_err());
    }
}
