//! The image family the reconstruction network is trained on: Colin27 head slices with small
//! random lesions, drawn from a seed.
//!
//! A member is a slice, moved a little (flipped left-right, zoomed by 0.85 to 1.1, shifted by
//! up to 3 pixels, its intensity scaled by 0.9 to 1.1) for training, plus 0 to 3 lesions: soft
//! discs of radius 0.8 to 2 pixels whose intensity differs from the tissue by 0.25 to 0.6
//! (brighter or darker), placed inside the head. The lesions are the fine detail a low-rate
//! mask barely sees; a network trained on the family learns to decide "lesion here or not"
//! from faint traces, which is both what makes it accurate and what can make it unstable.
//!
//! Seeds split the family the way [`super::mri`] splits the slices:
//!
//! - seeds 0 to [`TRAIN_MAX`]: training slices ([`super::mri::TUNING`], 0 to 62), moved;
//! - seeds up to [`VALIDATION_MAX`]: validation, the gap slices 63 to 69, not moved;
//! - seeds above [`VALIDATION_MAX`] (`family:9001` and on): the held-out slices 70 to 84, not
//!   moved; nothing is trained or tuned on them.

use super::mri::{MriSlices, GAP, HELD_OUT, TUNING};
use crate::rng::Rng;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// The width (pixels) of the Gaussian blur applied to every slice before lesions are added:
/// it removes the anatomy's finest detail, so that the corners of k-space hold only the
/// textured lesions (the blur's response at the Nyquist frequency is exp(-pi^2 s^2 / 2),
/// 0.007 at s = 1).
pub const BASE_BLUR: f64 = 1.0;

/// A separable Gaussian blur of width s (pixels), zero outside the image.
pub fn blur(x: &Array1<f64>, n: usize, s: f64) -> Array1<f64> {
    if s <= 0.0 {
        return x.clone();
    }
    let reach = (3.0 * s).ceil() as i64;
    let k: Vec<f64> = (-reach..=reach)
        .map(|d| (-(d * d) as f64 / (2.0 * s * s)).exp())
        .collect();
    let total: f64 = k.iter().sum();
    let k: Vec<f64> = k.iter().map(|v| v / total).collect();
    let pass = |src: &Array1<f64>, along_rows: bool| {
        Array1::from_shape_fn(n * n, |p| {
            let (r, c) = ((p / n) as i64, (p % n) as i64);
            let mut acc = 0.0;
            for (i, w) in k.iter().enumerate() {
                let d = i as i64 - reach;
                let (rr, cc) = if along_rows { (r, c + d) } else { (r + d, c) };
                if rr >= 0 && cc >= 0 && rr < n as i64 && cc < n as i64 {
                    acc += w * src[rr as usize * n + cc as usize];
                }
            }
            acc
        })
    };
    pass(&pass(x, true), false)
}

/// The probability that a lesion is finely textured.
pub const TEXTURED: f64 = 0.5;

/// The largest training seed.
pub const TRAIN_MAX: u64 = 8000;
/// The largest validation seed; larger seeds draw held-out images.
pub const VALIDATION_MAX: u64 = 9000;

/// Which part of the family a seed draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    Train,
    Validation,
    HeldOut,
}

pub fn split_of(seed: u64) -> Split {
    if seed <= TRAIN_MAX {
        Split::Train
    } else if seed <= VALIDATION_MAX {
        Split::Validation
    } else {
        Split::HeldOut
    }
}

/// One lesion: a soft disc at (row, col) in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Lesion {
    pub row: f64,
    pub col: f64,
    pub radius: f64,
    /// The intensity added at the centre (negative: darker).
    pub contrast: f64,
    /// A fine texture: the contrast alternates in sign from pixel to pixel, (-1)^(row + col),
    /// which moves the lesion's spectrum to the highest frequencies, the corners of k-space
    /// that a variable-density mask barely samples (||A z|| / ||z|| about 0.06 for the
    /// default mask, against 0.8 for a plain disc).
    #[serde(default)]
    pub texture: bool,
}

/// A drawn member of the family.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    pub seed: u64,
    pub split: Split,
    pub slice: usize,
    #[serde(skip)]
    pub image: Array1<f64>,
    pub lesions: Vec<Lesion>,
}

impl Member {
    /// The member made of a base image with its lesions added.
    fn with_lesions(
        seed: u64,
        split: Split,
        slice: usize,
        mut image: Array1<f64>,
        n: usize,
        lesions: Vec<Lesion>,
    ) -> Self {
        for l in &lesions {
            add_lesion(&mut image, n, l);
        }
        Self {
            seed,
            split,
            slice,
            image,
            lesions,
        }
    }
}

/// Bilinear sample of an n x n image at (r, c), zero outside.
fn bilinear(x: &[f64], n: usize, r: f64, c: f64) -> f64 {
    let (r0, c0) = (r.floor(), c.floor());
    let (fr, fc) = (r - r0, c - c0);
    let at = |i: f64, j: f64| {
        if i < 0.0 || j < 0.0 || i >= n as f64 || j >= n as f64 {
            0.0
        } else {
            x[i as usize * n + j as usize]
        }
    };
    (1.0 - fr) * ((1.0 - fc) * at(r0, c0) + fc * at(r0, c0 + 1.0))
        + fr * ((1.0 - fc) * at(r0 + 1.0, c0) + fc * at(r0 + 1.0, c0 + 1.0))
}

/// The image of a lesion-free slice under a flip, a zoom about the centre and a shift.
fn moved(x: &[f64], n: usize, flip: bool, zoom: f64, dr: f64, dc: f64) -> Array1<f64> {
    let h = (n as f64 - 1.0) / 2.0;
    Array1::from_shape_fn(n * n, |p| {
        let (r, c) = ((p / n) as f64, (p % n) as f64);
        let c = if flip { n as f64 - 1.0 - c } else { c };
        bilinear(x, n, (r - h - dr) / zoom + h, (c - h - dc) / zoom + h)
    })
}

/// Adds a soft disc: the full contrast within radius - 1/2, falling linearly to 0 at
/// radius + 1/2 (an anti-aliased edge), keeping intensities at or above zero.
pub fn add_lesion(x: &mut Array1<f64>, n: usize, l: &Lesion) {
    let reach = (l.radius + 1.0).ceil() as i64;
    let (r0, c0) = (l.row.round() as i64, l.col.round() as i64);
    for r in (r0 - reach).max(0)..=(r0 + reach).min(n as i64 - 1) {
        for c in (c0 - reach).max(0)..=(c0 + reach).min(n as i64 - 1) {
            let d = ((r as f64 - l.row).powi(2) + (c as f64 - l.col).powi(2)).sqrt();
            let mut w = (l.radius + 0.5 - d).clamp(0.0, 1.0);
            if l.texture && (r + c) % 2 == 1 {
                w = -w;
            }
            if w != 0.0 {
                let v = &mut x[r as usize * n + c as usize];
                *v = (*v + w * l.contrast).max(0.0);
            }
        }
    }
}

/// The smallest intensity under a lesion's footprint (radius + 1/2 around its centre).
fn footprint_min(x: &Array1<f64>, n: usize, row: f64, col: f64, radius: f64) -> f64 {
    let reach = (radius + 1.0).ceil() as i64;
    let (r0, c0) = (row.round() as i64, col.round() as i64);
    let mut m = f64::INFINITY;
    for r in (r0 - reach).max(0)..=(r0 + reach).min(n as i64 - 1) {
        for c in (c0 - reach).max(0)..=(c0 + reach).min(n as i64 - 1) {
            let d = ((r as f64 - row).powi(2) + (c as f64 - col).powi(2)).sqrt();
            if d < radius + 0.5 {
                m = m.min(x[r as usize * n + c as usize]);
            }
        }
    }
    m
}

/// The slice of a seed's split, blurred by [`BASE_BLUR`] and, for training seeds, moved;
/// with the generator that goes on to draw the lesions.
fn base(slices: &MriSlices, seed: u64) -> Result<(Split, usize, Array1<f64>, Rng), String> {
    let n = slices.side();
    let split = split_of(seed);
    let mut rng = Rng::new(seed ^ 0x6661_6d69_6c79);
    let range = match split {
        Split::Train => TUNING,
        Split::Validation => GAP,
        Split::HeldOut => HELD_OUT,
    };
    let slice = range.start() + rng.below(range.end() - range.start() + 1);
    let base = blur(&slices.slice(slice)?, n, BASE_BLUR);
    let image = if split == Split::Train {
        let flip = rng.uniform() < 0.5;
        let zoom = rng.uniform_in(0.85, 1.1);
        let (dr, dc) = (rng.uniform_in(-3.0, 3.0), rng.uniform_in(-3.0, 3.0));
        let gain = rng.uniform_in(0.9, 1.1);
        moved(base.as_slice().expect("contiguous"), n, flip, zoom, dr, dc).mapv(|v| v * gain)
    } else {
        base
    };
    Ok((split, slice, image, rng))
}

/// Which family: lesions anywhere in the head, or textured lesions at four known sites.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FamilyKind {
    #[default]
    Lesions,
    Sites,
}

impl FamilyKind {
    pub const NAMES: &'static [&'static str] = &["lesions", "sites"];
    pub const LABELS: &'static [&'static str] = &["Lesions anywhere", "Lesions at four sites"];
}

/// The four sites of the `sites` family, as fractions of the side: (10, 10), (10, 21),
/// (21, 10) and (21, 21) at 32 x 32, inside the head of every slice.
pub const SITES: [(f64, f64); 4] = [
    (10.0 / 32.0, 10.0 / 32.0),
    (10.0 / 32.0, 21.0 / 32.0),
    (21.0 / 32.0, 10.0 / 32.0),
    (21.0 / 32.0, 21.0 / 32.0),
];
/// The probability that a site holds a lesion.
pub const SITE_PROBABILITY: f64 = 0.5;
/// The textured lesions' radius at 32 x 32 (scaled with the side).
pub const SITE_RADIUS: f64 = 2.5;
/// The range of their amplitude.
pub const SITE_CONTRAST: (f64, f64) = (0.15, 0.3);

/// Draws member `seed` of a family.
pub fn draw_kind(kind: FamilyKind, slices: &MriSlices, seed: u64) -> Result<Member, String> {
    match kind {
        FamilyKind::Lesions => draw(slices, seed),
        FamilyKind::Sites => draw_sites(slices, seed),
    }
}

/// Member `seed` of the `sites` family: the slice of [`draw`] (blurred, moved for training)
/// with, at each of the four [`SITES`], a finely textured lesion (a checkerboard disc, see
/// [`Lesion::texture`]) with probability [`SITE_PROBABILITY`]. A screening question with four
/// yes/no answers that the measurements barely see: the regime in which a trained network
/// beats the stable methods by deciding from faint traces, as a classifier does.
pub fn draw_sites(slices: &MriSlices, seed: u64) -> Result<Member, String> {
    let n = slices.side();
    // The sites' generator is its own (base's is not used further), so that the base image
    // matches `draw`'s.
    let (split, slice, image, _) = base(slices, seed)?;
    let mut rng = Rng::new(seed ^ 0x5173);
    let mut lesions = Vec::new();
    for (fr, fc) in SITES {
        if rng.uniform() < SITE_PROBABILITY {
            lesions.push(Lesion {
                row: fr * n as f64,
                col: fc * n as f64,
                radius: SITE_RADIUS * n as f64 / 32.0,
                contrast: rng.uniform_in(SITE_CONTRAST.0, SITE_CONTRAST.1),
                texture: true,
            });
        }
    }
    Ok(Member::with_lesions(seed, split, slice, image, n, lesions))
}

/// The texture amplitude at each of the [`SITES`] of an n x n image: the least-squares c
/// in x = c s + b over the pixels a site's lesion fully covers (distance < radius - 1/2),
/// s = (-1)^(row + col), b a constant: c = sum (s - mean s) x / sum (s - mean s) s. A site's
/// lesion of contrast c on a flat background gives exactly c; smooth anatomy (blurred)
/// about 0. Comparing it between x + r and Psi(A(x + r)) shows a lesion a method invented or
/// erased.
pub fn site_textures(x: &Array1<f64>, n: usize) -> [f64; 4] {
    let radius = SITE_RADIUS * n as f64 / 32.0;
    let mut out = [0.0; 4];
    for (k, (fr, fc)) in SITES.iter().enumerate() {
        let (row, col) = (fr * n as f64, fc * n as f64);
        let mut pix = Vec::new();
        for r in 0..n {
            for c in 0..n {
                let d = ((r as f64 - row).powi(2) + (c as f64 - col).powi(2)).sqrt();
                if d < radius - 0.5 {
                    let sign = if (r + c) % 2 == 0 { 1.0 } else { -1.0 };
                    pix.push((sign, x[r * n + c]));
                }
            }
        }
        let mean = pix.iter().map(|p| p.0).sum::<f64>() / pix.len().max(1) as f64;
        let num: f64 = pix.iter().map(|(s, v)| (s - mean) * v).sum();
        let den: f64 = pix.iter().map(|(s, _)| (s - mean) * s).sum();
        out[k] = if den > 0.0 { num / den } else { 0.0 };
    }
    out
}

/// Draws member `seed` of the family at the stack's side.
pub fn draw(slices: &MriSlices, seed: u64) -> Result<Member, String> {
    let n = slices.side();
    let (split, slice, image, mut rng) = base(slices, seed)?;
    // Lesions go where the head is (intensity above 0.2 at the centre), at most 40 tries each.
    let count = rng.below(4);
    let mut lesions = Vec::with_capacity(count);
    for _ in 0..count {
        for _ in 0..40 {
            let row = rng.uniform_in(4.0, n as f64 - 5.0);
            let col = rng.uniform_in(4.0, n as f64 - 5.0);
            let texture = rng.uniform() < TEXTURED;
            let radius = if texture {
                rng.uniform_in(2.0, 3.5)
            } else {
                rng.uniform_in(0.8, 2.0)
            };
            let mut size = rng.uniform_in(0.25, 0.6);
            let sign = if rng.uniform() < 0.5 { 1.0 } else { -1.0 };
            if texture {
                // No darker than black: the texture's amplitude is at most the darkest tissue
                // under it, so that it stays zero-mean (and barely seen).
                size = size.min(footprint_min(&image, n, row, col, radius));
            }
            let contrast = sign * size;
            if image[row.round() as usize * n + col.round() as usize] > 0.2 && size > 0.1 {
                lesions.push(Lesion {
                    row,
                    col,
                    radius,
                    contrast,
                    texture,
                });
                break;
            }
        }
    }
    Ok(Member::with_lesions(seed, split, slice, image, n, lesions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mri::SLICE_COUNT;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A synthetic stack: slice i is a disc of intensity 0.5 + i / 1000.
    fn stack(n: usize) -> MriSlices {
        let mut bytes = Vec::with_capacity(SLICE_COUNT * n * n);
        for i in 0..SLICE_COUNT {
            for p in 0..n * n {
                let (r, c) = (
                    (p / n) as f64 - n as f64 / 2.0,
                    (p % n) as f64 - n as f64 / 2.0,
                );
                let inside = r * r + c * c < (0.4 * n as f64).powi(2);
                bytes.push(if inside { 100 + (i % 100) as u8 } else { 0 });
            }
        }
        super::super::mri::decode_slices(n, &bytes).unwrap()
    }

    #[test]
    fn seeds_split_the_slices() {
        let s = stack(32);
        for seed in [0, 17, 8000, 8001, 9000, 9001, 9500, 123456] {
            let m = draw(&s, seed).unwrap();
            let range = match m.split {
                Split::Train => TUNING,
                Split::Validation => GAP,
                Split::HeldOut => HELD_OUT,
            };
            assert!(range.contains(&m.slice), "seed {seed}: slice {}", m.slice);
            assert_eq!(m.split, split_of(seed));
        }
        assert_eq!(split_of(9000), Split::Validation);
        assert_eq!(split_of(9001), Split::HeldOut);
    }

    #[test]
    fn held_out_members_are_the_slice_plus_their_lesions() {
        let s = stack(32);
        let m = draw(&s, 9007).unwrap();
        let mut want = blur(&s.slice(m.slice).unwrap(), 32, BASE_BLUR);
        for l in &m.lesions {
            add_lesion(&mut want, 32, l);
        }
        assert_eq!(m.image, want);
        assert_eq!(
            draw(&s, 9007).unwrap(),
            m,
            "a seed always draws the same image"
        );
        assert_ne!(draw(&s, 9008).unwrap().image, m.image);
    }

    #[test]
    fn lesions_are_inside_the_head_and_soft_discs() {
        let s = stack(32);
        let mut seen = 0;
        for seed in 9001..9040 {
            let m = draw(&s, seed).unwrap();
            for l in &m.lesions {
                seen += 1;
                let (r, c) = (l.row - 16.0, l.col - 16.0);
                assert!(r * r + c * c < (0.4f64 * 32.0).powi(2) + 2.0);
                assert!((0.8..=3.5).contains(&l.radius));
                if l.texture {
                    // Zero-mean: nothing was clipped at black.
                    assert!((0.1..=0.6).contains(&l.contrast.abs()));
                } else {
                    assert!((0.25..=0.6).contains(&l.contrast.abs()));
                }
            }
        }
        assert!(seen > 30, "about 1.5 lesions per image: {seen}");
        // One disc of radius 1.7 on a flat image: full contrast within 1.2 of the centre,
        // 0.2 of it at distance 2 (1.7 + 0.5 - 2), none at 3.
        let mut x = Array1::from_elem(100, 0.5);
        let l = Lesion {
            row: 5.0,
            col: 5.0,
            radius: 1.7,
            contrast: 0.3,
            texture: false,
        };
        add_lesion(&mut x, 10, &l);
        assert!((x[55] - 0.8).abs() < 1e-15);
        assert!((x[56] - 0.8).abs() < 1e-15);
        assert!((x[57] - 0.56).abs() < 1e-12, "{}", x[57]);
        assert!((x[58] - 0.5).abs() < 1e-15);
    }

    /// Sites members: the same base image as `draw`, a textured lesion at each site with
    /// probability 1/2, and site_textures reads each lesion's contrast back (exactly on a flat
    /// image, and to 0.02 on the blurred synthetic slice, whose texture is ~0).
    #[test]
    fn sites_members_and_their_textures() {
        let s = stack(32);
        let mut present = 0;
        for seed in [
            8500u64, 8501, 9001, 9002, 9003, 9004, 9005, 9006, 9007, 9008,
        ] {
            let m = draw_sites(&s, seed).unwrap();
            let plain = draw(&s, seed).unwrap();
            assert_eq!((m.split, m.slice), (plain.split, plain.slice));
            let mut base = blur(&s.slice(m.slice).unwrap(), 32, BASE_BLUR);
            for l in &m.lesions {
                add_lesion(&mut base, 32, l);
            }
            assert_eq!(base, m.image, "the blurred slice plus the sites' lesions");
            let tex = site_textures(&m.image, 32);
            for (k, (fr, fc)) in SITES.iter().enumerate() {
                let l = m
                    .lesions
                    .iter()
                    .find(|l| l.row == fr * 32.0 && l.col == fc * 32.0);
                match l {
                    Some(l) => {
                        present += 1;
                        assert!(l.texture && l.radius == SITE_RADIUS);
                        assert!((SITE_CONTRAST.0..SITE_CONTRAST.1).contains(&l.contrast));
                        assert!((tex[k] - l.contrast).abs() < 0.02, "{tex:?} {l:?}");
                    }
                    None => assert!(tex[k].abs() < 0.02, "{tex:?}"),
                }
            }
            base.fill(0.5);
            let l = Lesion {
                row: 10.0,
                col: 21.0,
                radius: SITE_RADIUS,
                contrast: 0.2,
                texture: true,
            };
            add_lesion(&mut base, 32, &l);
            let t = site_textures(&base, 32);
            assert!((t[1] - 0.2).abs() < 1e-12 && t[0].abs() < 1e-12, "{t:?}");
        }
        assert!(
            (10..=30).contains(&present),
            "about half of 40 sites: {present}"
        );
        assert_eq!(
            draw_kind(FamilyKind::Sites, &s, 9003).unwrap(),
            draw_sites(&s, 9003).unwrap()
        );
    }

    /// The blur keeps the mean of an interior image and kills the Nyquist checkerboard.
    #[test]
    fn blur_is_a_low_pass() {
        let n = 16;
        let flat = Array1::from_elem(n * n, 1.0);
        let b = blur(&flat, n, 1.0);
        assert!((b[8 * n + 8] - 1.0).abs() < 1e-12);
        let checker =
            Array1::from_shape_fn(n * n, |p| if (p / n + p % n) % 2 == 0 { 1.0 } else { -1.0 });
        let bc = blur(&checker, n, 1.0);
        // exp(-pi^2 / 2) = 0.0072 for the continuous Gaussian; the sampled one is close.
        assert!(bc[8 * n + 8].abs() < 0.01, "{}", bc[8 * n + 8]);
        assert_eq!(blur(&checker, n, 0.0), checker);
    }

    #[test]
    fn training_members_are_moved_copies() {
        let s = stack(32);
        let m = draw(&s, 3).unwrap();
        assert_eq!(m.split, Split::Train);
        assert!(m.image.iter().all(|v| v.is_finite() && *v >= 0.0));
        // The disc keeps about its area under a zoom of 0.85 to 1.1.
        let area = m.image.iter().filter(|&&v| v > 0.2).count() as f64;
        let disc = std::f64::consts::PI * (0.4f64 * 32.0).powi(2);
        assert!(area > 0.6 * disc && area < 1.35 * disc, "{area} vs {disc}");
    }
}
