//! The MRI page's binding. The worker fetches the Colin27 stacks (gunzipped by the browser)
//! and hands over the bytes, and the student's picture as RGBA; everything else is computed
//! here. The reconstructions are stepped a few iterations at a time by the worker, which
//! posts a frame after each chunk, so the page shows the iterates as they converge.

use super::{js_error, state_methods};
use crate::data::mri::{decode_slices, file_name};
use crate::demos::mri::{
    modulus, quality, ConvergenceJob, ImageSource, MriExperiment, MriImages, MriParams, Size,
};
use crate::operators::masks::{Mask, Pattern};
use crate::params;
use crate::recon::Method;
use crate::render::images::diverging_rgba;
use crate::render::mri::{error_rgba, grey_scaled_rgba, kspace_log, kspace_rgba, mask_rgba};
use ndarray::Array1;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// The MRI page.
#[wasm_bindgen]
pub struct MriDemo {
    params: MriParams,
    images: MriImages,
    exp: Option<MriExperiment>,
    /// k-space of the true image, log magnitude, centred (computed once per experiment).
    kspace: Option<Array1<f64>>,
    convergence: Option<ConvergenceJob>,
}

impl Default for MriDemo {
    fn default() -> Self {
        Self::new()
    }
}

state_methods!(MriDemo, MriParams);

fn parse_method(name: &str) -> Result<Method, JsError> {
    serde_json::from_value(json!(name))
        .map_err(|_| JsError::new(&format!("unknown method '{name}'")))
}

#[wasm_bindgen]
impl MriDemo {
    #[wasm_bindgen(constructor)]
    pub fn new() -> MriDemo {
        MriDemo {
            params: MriParams::default(),
            images: MriImages::default(),
            exp: None,
            kspace: None,
            convergence: None,
        }
    }

    /// Changes the image size, adapting what depends on it (wavelet levels, a painted mask).
    pub fn set_size(&mut self, size: &str) -> Result<(), JsError> {
        let size: Size = serde_json::from_value(json!(size)).map_err(|_| {
            JsError::new(&format!("size: expected one of 64, 128, 256, got {size}"))
        })?;
        let next = self.params.resized(size).map_err(js_error)?;
        params::validate(&next).map_err(js_error)?;
        self.params = next;
        Ok(())
    }

    /// The part of the state that decides the computed figure (as a URL hash): a change
    /// elsewhere (the kernel view's method) only changes what is shown.
    pub fn build_key(&self) -> String {
        params::to_query(&self.params.build_key())
    }

    /// The Colin27 files the state needs and are not loaded: JSON [{side, file}].
    pub fn needs(&self) -> String {
        let list: Vec<Value> = self
            .images
            .missing(&self.params)
            .into_iter()
            .map(|side| json!({ "side": side, "file": file_name(side) }))
            .collect();
        Value::Array(list).to_string()
    }

    /// Hands over a gunzipped Colin27 stack of the given side.
    pub fn load_slices(&mut self, side: usize, bytes: &[u8]) -> Result<(), JsError> {
        let s = decode_slices(side, bytes).map_err(js_error)?;
        self.images.slices.retain(|x| x.side() != side);
        self.images.slices.push(s);
        Ok(())
    }

    /// The student's picture (RGBA, w x h): kept at every size; the state switches to it.
    pub fn set_upload(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), JsError> {
        self.images.set_upload(rgba, w, h).map_err(js_error)?;
        let next = MriParams {
            image: ImageSource::Upload,
            ..self.params.clone()
        };
        params::validate(&next).map_err(js_error)?;
        self.params = next;
        Ok(())
    }

    /// Builds the figure for the current state (image, mask, data, reconstructions at
    /// iteration 0). Returns facts about it as JSON.
    pub fn start(&mut self) -> Result<String, JsError> {
        self.exp = None;
        self.convergence = None;
        let exp = MriExperiment::new(self.params.clone(), &self.images).map_err(js_error)?;
        let n = exp.side();
        self.kspace = Some(kspace_log(exp.x.view(), n));
        let info = json!({
            "side": n, "samples": exp.mask.count(), "rate": exp.mask.rate(),
            "noise_norm": exp.noise_norm, "y_norm": crate::operators::norm2(exp.y.view()),
            "peak": exp.x.fold(0.0f64, |m, v| m.max(*v)),
        });
        self.exp = Some(exp);
        Ok(info.to_string())
    }

    fn exp(&self) -> Result<&MriExperiment, JsError> {
        self.exp
            .as_ref()
            .ok_or_else(|| JsError::new("nothing has been computed yet"))
    }

    /// One iteration of every unfinished reconstruction; returns [done, total, finished].
    pub fn step(&mut self) -> Result<Vec<usize>, JsError> {
        let exp = self
            .exp
            .as_mut()
            .ok_or_else(|| JsError::new("nothing has been computed yet"))?;
        exp.step();
        let (d, t) = exp.progress();
        Ok(vec![d, t, usize::from(exp.done())])
    }

    /// The figure's numbers: every method's PSNR, SSIM, relative error and iterations, and
    /// the kernel view's ||A z||, ||z||, and how much each reconstruction moved.
    pub fn report(&self) -> Result<String, JsError> {
        let exp = self.exp()?;
        let mut v = json!({
            "quality": exp.quality(),
            "samples": exp.mask.count(),
            "rate": exp.mask.rate(),
            "side": exp.side(),
            "noise_norm": exp.noise_norm,
            "x_norm": exp.x.dot(&exp.x).sqrt(),
            "z_mm": crate::data::mri::z_mm(exp.params.slice),
        });
        if let Some(k) = &exp.kernel {
            let n = exp.side();
            let kq: Vec<_> = k.recons.iter().map(|r| quality(r, &k.x2, n)).collect();
            v["kernel"] = json!({
                "az_norm": k.az_norm, "z_norm": k.z_norm,
                "detail_norm": k.detail.dot(&k.detail).sqrt(),
                "unseen": (k.detail.dot(&k.detail) > 0.0).then(|| k.z_norm / k.detail.dot(&k.detail).sqrt()),
                "y_change": k.y_change,
                "differences": exp.kernel_differences(),
                "quality_x2": kq,
            });
        }
        Ok(v.to_string())
    }

    /// RGBA pixels of one picture: "truth", "kspace" (with the mask), "mask",
    /// "recon:METHOD", "error:METHOD", "kernel-detail", "kernel-z", "kernel-x2",
    /// "kernel-recon:METHOD".
    pub fn picture(&self, which: &str) -> Result<Vec<u8>, JsError> {
        let exp = self.exp()?;
        let peak = exp.x.fold(0.0f64, |m, v| m.max(*v));
        let kernel = || {
            exp.kernel
                .as_ref()
                .ok_or_else(|| JsError::new("the kernel view is off (no detail placed)"))
        };
        let (kind, method) = match which.split_once(':') {
            Some((k, m)) => (k, Some(parse_method(m)?)),
            None => (which, None),
        };
        Ok(match (kind, method) {
            ("truth", None) => grey_scaled_rgba(exp.x.view(), peak),
            ("kspace", None) => {
                let k = self
                    .kspace
                    .as_ref()
                    .ok_or_else(|| JsError::new("nothing has been computed yet"))?;
                kspace_rgba(k.view(), exp.mask.bits())
            }
            ("mask", None) => mask_rgba(exp.mask.bits()),
            ("recon", Some(m)) => grey_scaled_rgba(modulus(&exp.recon(m).image()).view(), peak),
            ("error", Some(m)) => {
                error_rgba(modulus(&exp.recon(m).image()).view(), exp.x.view(), peak)
            }
            ("kernel-detail", None) => {
                let k = kernel()?;
                diverging_rgba(k.detail.view(), exp.side(), peak.max(1e-12))
            }
            ("kernel-z", None) => {
                let k = kernel()?;
                let s = k.z.fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
                diverging_rgba(k.z.view(), exp.side(), s)
            }
            ("kernel-x2", None) => grey_scaled_rgba(kernel()?.x2.view(), peak),
            ("kernel-recon", Some(m)) => {
                let r = &kernel()?.recons[m as usize];
                grey_scaled_rgba(modulus(&r.image()).view(), peak)
            }
            _ => return Err(JsError::new(&format!("unknown picture '{which}'"))),
        })
    }

    /// The figure of the experiment (its reconstructions as far as they have run) as a
    /// poster, PNG bytes; `font` is the bytes of `www/fonts/DejaVuSans.ttf`, `scale` 0.5 to 6.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        super::png_bytes(crate::posters::mri::poster(self.exp()?, font, scale))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        Ok(crate::posters::mri::numbers(self.exp()?).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        Ok(crate::posters::mri::numbers(self.exp()?).to_csv())
    }

    /// The largest |z| of the kernel view's invisible part (the scale its picture uses).
    pub fn kernel_scale(&self) -> Result<f64, JsError> {
        let exp = self.exp()?;
        let k = exp
            .kernel
            .as_ref()
            .ok_or_else(|| JsError::new("the kernel view is off"))?;
        Ok(k.z.fold(0.0f64, |m, v| m.max(v.abs())))
    }

    /// Paints on the mask: every point (row, column) in centred k-space coordinates of the
    /// current size, with a disc of `radius` k-space pixels, adds (or removes) samples. The
    /// state's pattern becomes 'painted'.
    pub fn paint(&mut self, points: &[f64], radius: f64, add: bool) -> Result<(), JsError> {
        if points.len() % 2 != 0 || !(0.0..=64.0).contains(&radius) || !radius.is_finite() {
            return Err(JsError::new(
                "paint: expected (row, column) pairs and a radius from 0 to 64",
            ));
        }
        let n = self.params.size.side();
        let mut bits = self.params.mask().map_err(js_error)?.bits().to_vec();
        let r2 = radius * radius;
        let reach = radius.ceil() as i64;
        for pair in points.chunks_exact(2) {
            let (pr, pc) = (pair[0], pair[1]);
            if !(pr.is_finite() && pc.is_finite()) {
                return Err(JsError::new("paint: a point is not a finite number"));
            }
            let (r0, c0) = (pr.round() as i64, pc.round() as i64);
            for dr in -reach..=reach {
                for dc in -reach..=reach {
                    let (r, c) = (r0 + dr, c0 + dc);
                    let inside = (0..n as i64).contains(&r) && (0..n as i64).contains(&c);
                    if inside && ((r as f64 - pr).powi(2) + (c as f64 - pc).powi(2)) <= r2.max(0.25)
                    {
                        bits[r as usize * n + c as usize] = add;
                    }
                }
            }
        }
        self.set_mask_bits(bits)
    }

    /// A mask picture (RGBA, n x n at the current size, centred k-space, light = sampled)
    /// becomes the painted mask.
    pub fn load_mask_rgba(&mut self, rgba: &[u8], w: usize, h: usize) -> Result<(), JsError> {
        let n = self.params.size.side();
        if w != n || h != n || rgba.len() != 4 * n * n {
            return Err(JsError::new(&format!(
                "a mask picture must be {n} x {n} pixels at this size, got {w} x {h}"
            )));
        }
        let grey: Vec<u8> = rgba
            .chunks_exact(4)
            .map(|p| ((p[0] as u16 + p[1] as u16 + p[2] as u16) / 3) as u8)
            .collect();
        let mask = Mask::from_grey(n, &grey).map_err(js_error)?;
        self.set_mask_bits(mask.bits().to_vec())
    }

    fn set_mask_bits(&mut self, bits: Vec<bool>) -> Result<(), JsError> {
        let n = self.params.size.side();
        let mask = Mask::from_bits(n, bits).map_err(js_error)?;
        let next = MriParams {
            mask: Pattern::Painted,
            painted: mask.to_token(),
            ..self.params.clone()
        };
        params::validate(&next).map_err(js_error)?;
        self.params = next;
        Ok(())
    }

    /// Starts the convergence comparison on the current figure.
    pub fn start_convergence(&mut self) -> Result<(), JsError> {
        let job = ConvergenceJob::new(self.exp()?).map_err(js_error)?;
        self.convergence = Some(job);
        Ok(())
    }

    /// A few steps; returns [done, total, finished]. A new figure drops the comparison: then
    /// [0, 0, 1].
    pub fn convergence_step(&mut self) -> Vec<usize> {
        match self.convergence.as_mut() {
            Some(job) => {
                job.step();
                let (d, t) = job.progress();
                vec![d, t, usize::from(job.done())]
            }
            None => vec![0, 0, 1],
        }
    }

    /// The convergence curves: relative error and objective gap after every primal-dual
    /// step, with restarts, without, and for plain Chambolle-Pock; the gap after each
    /// restart and its fitted slope.
    pub fn convergence_result(&self) -> Result<String, JsError> {
        let job = self
            .convergence
            .as_ref()
            .ok_or_else(|| JsError::new("no convergence run has been made"))?;
        let f_star = job.f_star();
        let gap = |v: &[f64]| v.iter().map(|f| f - f_star).collect::<Vec<f64>>();
        Ok(json!({
            "inner": job.inner,
            "f_star": f_star,
            "reference_error": job.reference_error(),
            "restarted_error": job.restarted_error, "restarted_gap": gap(&job.restarted_objective),
            "flat_error": job.flat_error, "flat_gap": gap(&job.flat_objective),
            "plain_error": job.plain_error, "plain_gap": gap(&job.plain_objective),
            "restart_gaps": job.restart_gaps(), "slope": job.fitted_slope(),
            "ratio": job.fitted_slope().map(f64::exp),
            "done": job.done(),
        })
        .to_string())
    }
}
