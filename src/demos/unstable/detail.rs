//! Kernel awareness (Antun et al. 2020; Gottschling, Antun, Adcock, Hansen, "The
//! troublesome kernel", arXiv:2001.01258) and the structural change (Antun et al. 2020): a
//! detail w placed on the image x (a small lesion), and what each method makes of x + z, z
//! being w pushed towards the kernel of A (||A z|| = delta ||A w||) in the kernel view and w
//! itself in the structural one. [`DetailJob`] reconstructs with one method per step.

use super::{largest, peak, Case, DetailKind, Setting, UnstableParams, View, Which};
use crate::data::family;
use crate::data::mri::MriSlices;
use crate::job::{Job, Num};
use crate::operators::{complex, LinearOperator, C64};
use crate::recon::map::ReconMap;
use ndarray::Array1;
use serde::Serialize;
use std::sync::Arc;

/// How much of a detail z added to x a method keeps: the component of the change it makes,
/// kept = <Re(Psi(A(x + z) + e) - Psi(A x + e)), z> / ||z||^2 (1: all of it, 0: erased; the
/// adjoint keeps the measured part, ||A z||^2 / ||z||^2), with the same noise e for both.
#[derive(Clone, Debug, Serialize)]
pub struct Kept {
    pub method: String,
    pub kept: f64,
    /// ||A z|| / ||z||: how much of the detail the scanner sees.
    pub visible: f64,
}

pub fn detail_kept(
    setting: &Setting,
    maps: &[(Which, Arc<dyn ReconMap>)],
    x: &Array1<f64>,
    z: &Array1<f64>,
    e: &Array1<C64>,
) -> Result<Vec<Kept>, String> {
    let a = &setting.a;
    if x.len() != a.dim_in() || z.len() != x.len() {
        return Err("the image, the detail and the operator do not fit together".into());
    }
    let zz = z.dot(z);
    if zz == 0.0 {
        return Err("the detail is zero".into());
    }
    let y = a.apply(complex(x.view()).view()) + e;
    let az = a.apply(complex(z.view()).view());
    let y2 = &y + &az;
    let visible = (az.iter().map(|c| c.norm_sqr()).sum::<f64>() / zz).sqrt();
    Ok(maps
        .iter()
        .map(|(w, m)| Kept {
            method: w.name().into(),
            kept: kept_fraction(&m.apply(y.view()), &m.apply(y2.view()), z),
            visible,
        })
        .collect())
}

/// <Re(out2 - out), z> / ||z||^2: how much of the detail z the change of output keeps.
fn kept_fraction(out: &Array1<C64>, out2: &Array1<C64>, z: &Array1<f64>) -> f64 {
    let d = out2 - out;
    d.iter().zip(z).map(|(c, v)| c.re * v).sum::<f64>() / z.dot(z)
}

/// The kernel and structural views of one state: the detail w on the image (None: none
/// placed), what is added, z (w pushed towards the kernel of A until ||A z|| = delta ||A w||
/// in the kernel view, w itself in the structural one), and the measurements of x and of
/// x + z with the case's noise.
pub struct DetailCase {
    pub w: Option<Array1<f64>>,
    pub z: Array1<f64>,
    pub y: Array1<C64>,
    pub y2: Array1<C64>,
    pub sizes: Option<DetailSizes>,
}

/// The sizes of a placed detail.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DetailSizes {
    pub w_norm: f64,
    pub aw_norm: f64,
    /// ||A w|| / ||w||: how much of the detail the scanner sees.
    pub visible: f64,
    pub z_norm: f64,
    pub az_norm: f64,
}

pub fn detail_case(
    setting: &Setting,
    case: &Case,
    p: &UnstableParams,
    kernel: bool,
) -> Result<DetailCase, String> {
    let a = &setting.a;
    let y = a.apply(complex(case.x.view()).view()) + &case.e;
    let w = state_detail(p, &case.x, setting.side());
    let (z, sizes) = match &w {
        None => (Array1::zeros(case.x.len()), None),
        Some(w) => {
            let w_norm = w.dot(w).sqrt();
            if w_norm == 0.0 {
                return Err("the detail adds nothing there (the image is black under it): place it inside the head".into());
            }
            let aw_norm = crate::operators::norm2(a.apply(complex(w.view()).view()).view());
            let z = if kernel {
                crate::kernel_awareness::near_kernel_detail(w, a, p.delta * aw_norm)?
            } else {
                w.clone()
            };
            let sizes = DetailSizes {
                w_norm,
                aw_norm,
                visible: aw_norm / w_norm,
                z_norm: z.dot(&z).sqrt(),
                az_norm: crate::operators::norm2(a.apply(complex(z.view()).view()).view()),
            };
            (z, Some(sizes))
        }
    };
    let y2 = &y + &a.apply(complex(z.view()).view());
    Ok(DetailCase { w, z, y, y2, sizes })
}

/// One method on a detail case: Psi(y), Psi(y'), its relative error on x, and the kernel
/// view's numbers or the structural view's kept fraction, all from those two outputs.
pub struct DetailOutputs {
    pub which: Which,
    pub out: Array1<C64>,
    pub out2: Array1<C64>,
    pub rel_error: f64,
    pub awareness: Option<crate::kernel_awareness::Awareness>,
    /// ||Psi(y') - x'|| / ||x'|| (the kernel view).
    pub rel_error_detail: Option<f64>,
    pub kept: Option<f64>,
}

pub fn detail_outputs(
    setting: &Setting,
    case: &Case,
    d: &DetailCase,
    which: Which,
    p: &UnstableParams,
    kernel: bool,
) -> Result<DetailOutputs, String> {
    let map = setting.map(which, p)?;
    let out = map.apply(d.y.view());
    let out2 = map.apply(d.y2.view());
    let x = &case.x;
    let x_norm = x.dot(x).sqrt();
    let rel_error = crate::operators::norm2((&out - &complex(x.view())).view()) / x_norm;
    let (mut awareness, mut rel_error_detail, mut kept) = (None, None, None);
    if kernel {
        let delta = crate::operators::norm2((&d.y2 - &d.y).view());
        let a =
            crate::kernel_awareness::awareness(which.name().into(), x, &d.z, &out, &out2, delta);
        let x2 = x + &d.z;
        rel_error_detail = Some(a.error_detail / x2.dot(&x2).sqrt());
        awareness = Some(a);
    } else if d.w.is_some() {
        kept = Some(kept_fraction(&out, &out2, &d.z));
    }
    Ok(DetailOutputs {
        which,
        out,
        out2,
        rel_error,
        awareness,
        rel_error_detail,
        kept,
    })
}

/// The detail w the state places on x: the lesion added to x (intensities kept at or above
/// zero, as in the family) minus x, so that x + w is the image with the lesion. None when
/// the state has no detail.
pub fn state_detail(p: &UnstableParams, x: &Array1<f64>, n: usize) -> Option<Array1<f64>> {
    let [fc, fr] = p.detail?;
    let mut with = x.clone();
    family::add_lesion(
        &mut with,
        n,
        &family::Lesion {
            row: fr * n as f64,
            col: fc * n as f64,
            radius: p.detail_radius,
            contrast: p.detail_amp,
            texture: p.detail_texture == DetailKind::Textured,
        },
    );
    Some(with - x)
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
        let dc = detail_case(setting, &case, p, p.view == View::Kernel)?;
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
}

impl Job for DetailJob {
    type Input<'a> = &'a Setting;
    type Output<'a> = DetailResult;

    /// Reconstructs x and x + z with the next method.
    fn step(&mut self, setting: &Setting) -> Result<(), String> {
        if self.done() {
            return Ok(());
        }
        let which = Which::ALL[self.rows.len()];
        let o = detail_outputs(
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

    fn done(&self) -> bool {
        self.rows.len() >= self.total()
    }

    /// (methods computed, methods to compute).
    fn progress(&self) -> (usize, usize) {
        (self.rows.len(), self.total())
    }

    fn result(&self) -> DetailResult {
        let x = &self.case.x;
        let sizes = match (&self.dc.w, self.dc.sizes) {
            (Some(w), Some(sz)) => Some(DetailNorms {
                w_norm: Num(sz.w_norm),
                aw_norm: Num(sz.aw_norm),
                visible: Num(sz.visible),
                z_norm: Num(sz.z_norm),
                az_norm: Num(sz.az_norm),
                delta: Num(self.params.delta),
                z_scale: Num(largest(&self.dc.z)),
                w_scale: Num(largest(w)),
            }),
            _ => None,
        };
        let visible = sizes.as_ref().map(|s| s.visible);
        let rows = self
            .rows
            .iter()
            .map(|o| {
                let method = o.which.name();
                match &o.awareness {
                    Some(a) => DetailRow::Kernel {
                        method,
                        error: Num(a.error),
                        error_detail: Num(a.error_detail),
                        eta: Num(a.eta),
                        rel_error: Num(o.rel_error),
                        rel_error_detail: o.rel_error_detail.map(Num),
                        gap: Num(a.gap),
                        delta: Num(a.delta),
                        z_norm: Num(a.z_norm),
                        bound: a.bound.map(Num),
                        ratio: Num(a.ratio),
                    },
                    None => DetailRow::Kept {
                        method,
                        kept: o.kept.map(Num),
                        visible,
                        rel_error: Num(o.rel_error),
                    },
                }
            })
            .collect();
        DetailResult {
            view: self.params.view,
            x_norm: x.dot(x).sqrt(),
            peak: peak(x),
            detail: self.dc.w.is_some(),
            sizes,
            done: self.done(),
            rows,
            change_scale: Num(self.change_scale()),
        }
    }
}

impl DetailJob {
    /// The scale of the change pictures: the largest |Re(Psi(y') - Psi(y))| over the methods.
    pub fn change_scale(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| largest(&(&r.out2 - &r.out).mapv(|c| c.re)))
            .fold(0.0, f64::max)
    }
}

/// The detail job's numbers: the detail's norms (when one is placed) and, per method, the
/// kernel view's errors, gap, bound (||z|| - 2 eta) / delta and ratio gap / delta, or the
/// structural change's kept fraction.
#[derive(Clone, Debug, Serialize)]
pub struct DetailResult {
    pub view: View,
    pub x_norm: f64,
    pub peak: f64,
    /// Whether a detail is placed.
    pub detail: bool,
    #[serde(flatten)]
    pub sizes: Option<DetailNorms>,
    pub done: bool,
    pub rows: Vec<DetailRow>,
    /// The largest |Re(Psi(y') - Psi(y))| over the methods computed.
    pub change_scale: Num,
}

/// The placed detail's sizes, the state's delta and the scales of the z and w pictures.
#[derive(Clone, Debug, Serialize)]
pub struct DetailNorms {
    pub w_norm: Num,
    pub aw_norm: Num,
    /// ||A w|| / ||w||.
    pub visible: Num,
    pub z_norm: Num,
    pub az_norm: Num,
    pub delta: Num,
    pub z_scale: Num,
    pub w_scale: Num,
}

/// One method's row: the kernel view's numbers, or the structural change's.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum DetailRow {
    Kernel {
        method: &'static str,
        /// ||Psi(y) - x||, ||Psi(y') - x'|| and the larger of the two.
        error: Num,
        error_detail: Num,
        eta: Num,
        rel_error: Num,
        rel_error_detail: Option<Num>,
        /// ||Psi(y') - Psi(y)||, ||A z||, ||z||.
        gap: Num,
        delta: Num,
        z_norm: Num,
        /// (||z|| - 2 eta) / delta, if ||z|| > 2 eta; gap / delta.
        bound: Option<Num>,
        ratio: Num,
    },
    Kept {
        method: &'static str,
        /// <Re(Psi(y') - Psi(y)), w> / ||w||^2, and ||A w|| / ||w||.
        kept: Option<Num>,
        visible: Option<Num>,
        rel_error: Num,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::family::{add_lesion, Lesion};
    use crate::data::mri::shepp_logan;
    use crate::demos::unstable::tests::setting;
    use crate::posters::test_font::{colours, FONT};
    use crate::posters::unstable::{self as poster, detail::DetailState, Figure};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The adjoint keeps exactly the measured part of a detail, ||A z||^2 / ||z||^2 (to
    /// 1e-12), and so does the untrained network, which is the adjoint.
    #[test]
    fn detail_kept_by_the_adjoint_is_its_measured_part() {
        let s = setting();
        let x = shepp_logan(32).unwrap();
        for texture in [false, true] {
            // The lesion on a flat grey background, minus the background (nothing clipped).
            let mut z = Array1::from_elem(32 * 32, 1.0);
            let l = Lesion {
                row: 14.3,
                col: 17.8,
                radius: 2.5,
                contrast: 0.5,
                texture,
            };
            add_lesion(&mut z, 32, &l);
            z -= 1.0;
            let p = UnstableParams::default();
            let maps = vec![
                (Which::Adjoint, s.map(Which::Adjoint, &p).unwrap()),
                (Which::Net, s.map(Which::Net, &p).unwrap()),
            ];
            let e = Array1::zeros(s.a.dim_out());
            let k = detail_kept(&s, &maps, &x, &z, &e).unwrap();
            let want = k[0].visible.powi(2);
            for row in &k {
                assert!((row.kept - want).abs() < 1e-12, "{row:?} vs {want}");
            }
            if texture {
                assert!(
                    k[0].visible < 0.2,
                    "a textured lesion is barely seen: {}",
                    k[0].visible
                );
            } else {
                assert!(k[0].visible > 0.5, "a plain one is seen: {}", k[0].visible);
            }
        }
    }

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
            detail_texture: DetailKind::Plain,
            cp_iters: 20,
            restarts: 2,
            inner: 5,
            ..UnstableParams::default()
        };
        let case = Case::image(&s, shepp_logan(32).unwrap(), None, 7, p.noise).unwrap();
        let dc = detail_case(&s, &case, &p, true).unwrap();
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
        crate::job::run_to_end(&mut job, &s).unwrap();
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
}
