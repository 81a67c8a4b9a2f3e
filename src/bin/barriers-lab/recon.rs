//! `barriers-lab recon`: one MRI reconstruction, from the same parameters as the MRI page.

use crate::args::{self, UsageError};
use crate::output::{create_dir, print, write_png};
use barriers_lab::data::images::shipped_data_dir;
use barriers_lab::data::mri::{self, load_slices};
use barriers_lab::demos::mri::{
    modulus, ImageSource, MethodRun, MriExperiment, MriImages, MriParams,
};
use barriers_lab::job::run_to_end;
use barriers_lab::operators::masks::{Mask, Pattern};
use barriers_lab::params;
use barriers_lab::recon::{Method, Objective};
use barriers_lab::render::mri::{error_rgba, grey_scaled_rgba, kspace_log, kspace_rgba};
use barriers_lab::render::raster::Canvas;
use ndarray::Array1;
use serde_json::json;
use std::path::Path;

pub fn help() -> String {
    let mut s = args::help::<MriParams>(
        "barriers-lab recon: one MRI reconstruction from simulated Fourier measurements y = P F x + e.\n\n\
         Options (every key of the MRI page's link, and):\n\
         \x20   --image SOURCE   colin27:SLICE (0..110; 70..84 are held out of all tuning), colin27,\n\
         \x20                    shepp-logan, or a FILE: a PNG (any size, grey or colour) or raw\n\
         \x20                    little-endian f32 values of a square image\n\
         \x20   --mask-file FILE a PNG mask, n x n at --size, centred k-space, light = sampled\n\
         \x20   --lambda L       lambda of the method's objective (wavelet or TV)\n\
         \x20   --iters N        Chambolle-Pock steps (cs-wavelet, tv); for firenet, restarts n with\n\
         \x20                    n p >= N\n\
         \x20   --json           print one JSON object\n\
         \x20   --out DIR        write image.png, mask.png, kspace.png, recon.png, error.png\n\n\
         State keys:",
    );
    s += "\nPrints psnr, ssim, rel_error (of |x^| against x), rate, samples, iterations, ms.\n";
    s
}

/// The image for `--image FILE` at each of the page's sizes, each made from the file
/// directly (as the page makes each size from the picture).
fn image_file_sizes(path: &Path) -> Result<[Array1<f64>; 3], String> {
    Ok([
        image_file(path, 64)?,
        image_file(path, 128)?,
        image_file(path, 256)?,
    ])
}

/// The image for `--image FILE`: a PNG or raw f32, at side n.
pub fn image_file(path: &Path, n: usize) -> Result<Array1<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let named = |e: String| format!("{}: {e}", path.display());
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let (rgba, w, h) = decode_png_rgba(&bytes).map_err(named)?;
        return mri::from_rgba(&rgba, w, h, n).map_err(named);
    }
    if bytes.len() % 4 != 0 {
        return Err(named(format!(
            "not a PNG, and {} bytes is not a whole number of f32 values",
            bytes.len()
        )));
    }
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let side = (values.len() as f64).sqrt().round() as usize;
    if side * side != values.len() || side == 0 {
        return Err(named(format!(
            "not a PNG, and {} f32 values do not make a square image",
            values.len()
        )));
    }
    mri::from_grey_f32(&values, side, n).map_err(named)
}

/// A PNG's pixels as RGBA.
fn decode_png_rgba(bytes: &[u8]) -> Result<(Vec<u8>, usize, usize), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    let size = reader.output_buffer_size().ok_or("the PNG is too large")?;
    if size > 200_000_000 {
        return Err("the PNG is too large".into());
    }
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    let rgba = buf[..frame.buffer_size()]
        .chunks_exact(channels)
        .flat_map(|p| match channels {
            1 => [p[0], p[0], p[0], 255],
            2 => [p[0], p[0], p[0], p[1]],
            3 => [p[0], p[1], p[2], 255],
            _ => [p[0], p[1], p[2], p[3]],
        })
        .collect();
    Ok((rgba, w, h))
}

/// Applies `--image`, `--mask-file`, `--lambda` and `--iters` to the state.
fn apply_options(
    mut p: MriParams,
    parsed: &args::Parsed,
    images: &mut MriImages,
) -> Result<MriParams, UsageError> {
    let n = p.size.side();
    if let Some(src) = parsed.option("image") {
        match src.split_once(':') {
            Some(("colin27", slice)) => {
                p.image = ImageSource::Colin27;
                p.slice = slice.parse().map_err(|_| {
                    UsageError(format!(
                        "--image: expected colin27:SLICE with SLICE 0..110, got '{src}'"
                    ))
                })?;
            }
            _ if src == "colin27" => p.image = ImageSource::Colin27,
            _ if src == "shepp-logan" => p.image = ImageSource::SheppLogan,
            _ => {
                images.upload = Some(image_file_sizes(Path::new(src)).map_err(UsageError)?);
                p.image = ImageSource::Upload;
            }
        }
    }
    if let Some(file) = parsed.option("mask-file") {
        let bytes = std::fs::read(file)
            .map_err(|e| UsageError(format!("--mask-file: cannot read {file}: {e}")))?;
        let (rgba, w, h) =
            decode_png_rgba(&bytes).map_err(|e| UsageError(format!("--mask-file: {file}: {e}")))?;
        if (w, h) != (n, n) {
            return Err(UsageError(format!(
                "--mask-file: {file} is {w} x {h}; at --size {n} a mask is {n} x {n}"
            )));
        }
        let mask =
            Mask::from_rgba(n, &rgba, w, h).map_err(|e| UsageError(format!("--mask-file: {e}")))?;
        p.mask = Pattern::Painted;
        p.painted = mask.to_token();
    }
    let objective = match p.method {
        Method::CS_WAVELET => Some(Objective::Wavelet),
        Method::TV => Some(Objective::Tv),
        Method::FIRENET => Some(p.firenet_on),
        _ => None,
    };
    if let Some(text) = parsed.option("lambda") {
        let v = params::parse_pair::<MriParams>("lambda_w", text)
            .map_err(|e| UsageError(format!("--lambda: {}", e.message)))?;
        let lambda = v.as_f64().unwrap_or(f64::NAN);
        match objective {
            Some(Objective::Wavelet) => p.lambda_w = lambda,
            Some(Objective::Tv) => p.lambda_tv = lambda,
            None => {
                return Err(UsageError(format!(
                    "--lambda: the {} has no lambda",
                    if p.method == Method::ADJOINT {
                        "adjoint"
                    } else {
                        p.method.name()
                    }
                )))
            }
        }
    }
    if let Some(text) = parsed.option("iters") {
        let v = params::parse_pair::<MriParams>("iters", text)
            .map_err(|e| UsageError(format!("--iters: {}", e.message)))?;
        let iters = v.as_u64().unwrap_or(1) as usize;
        if p.method == Method::FIRENET {
            p.restarts = iters.div_ceil(p.inner);
            if p.restarts > 50 {
                return Err(UsageError(format!(
                    "--iters: FIRENET has at most 50 restarts of p = {} steps, {} in all; got {iters}",
                    p.inner,
                    50 * p.inner
                )));
            }
        } else {
            p.iters = iters;
        }
    }
    params::validate(&p)?;
    Ok(p)
}

pub fn run(args: &[String]) -> Result<Result<(), String>, UsageError> {
    let (p, parsed) = args::parse::<MriParams>(
        args,
        &["json"],
        &["image", "mask-file", "lambda", "iters", "out"],
    )?;
    let mut images = MriImages::default();
    let p = apply_options(p, &parsed, &mut images)?;
    Ok(reconstruct(
        p,
        images,
        parsed.flag("json"),
        parsed.option("out"),
    ))
}

fn reconstruct(
    p: MriParams,
    mut images: MriImages,
    json: bool,
    out: Option<&str>,
) -> Result<(), String> {
    if p.image == ImageSource::Colin27 {
        for side in images.missing(&p) {
            images.slices.push(load_slices(side, &shipped_data_dir())?);
        }
    }
    let t0 = std::time::Instant::now();
    let m = p.method;
    let mut job = MethodRun {
        exp: MriExperiment::new(p.clone(), &images)?,
        method: m,
    };
    let q = run_to_end(&mut job, ())?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let exp = job.exp;
    let n = exp.side();
    print(
        &json!({
            "method": m, "psnr": q.psnr, "ssim": q.ssim, "rel_error": q.rel_error,
            "rate": exp.mask.rate(), "samples": exp.mask.count(), "iterations": q.iterations,
            "ms": ms, "size": n, "noise_norm": exp.noise_norm, "state": params::to_query(&p),
        }),
        json,
    );
    if let Some(dir) = out {
        let dir = Path::new(dir);
        create_dir(dir)?;
        let peak = exp.peak();
        let est = modulus(&exp.recon(m).image());
        let picture = |rgba: Vec<u8>| Canvas {
            width: n,
            height: n,
            rgba,
        };
        write_png(
            &dir.join("image.png"),
            &picture(grey_scaled_rgba(exp.x.view(), peak)),
        )?;
        write_png(
            &dir.join("mask.png"),
            &picture(grey_u8_rgba(&exp.mask.to_grey())),
        )?;
        let k = kspace_log(exp.x.view(), n);
        write_png(
            &dir.join("kspace.png"),
            &picture(kspace_rgba(k.view(), exp.mask.bits())),
        )?;
        write_png(
            &dir.join("recon.png"),
            &picture(grey_scaled_rgba(est.view(), peak)),
        )?;
        write_png(
            &dir.join("error.png"),
            &picture(error_rgba(est.view(), exp.x.view(), peak)),
        )?;
    }
    Ok(())
}

fn grey_u8_rgba(grey: &[u8]) -> Vec<u8> {
    grey.iter().flat_map(|&g| [g, g, g, 255]).collect()
}
