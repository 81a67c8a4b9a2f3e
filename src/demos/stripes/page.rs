//! The stripes page as its worker holds it: the state, the training job with the key of the
//! state it was made for, and what the pictures need (a training image, a test image and its
//! false twin, DeepFool's perturbation with its scale), all as plain arrays of n^2 pixels,
//! row-major. A drawn image is classified, and attacked, by the trained network.

use super::{StripesParams, TrainJob, TrainResult};
use crate::attacks::PerturbationSize;
use crate::false_structures::{self, check_image, Classification, Orientation, SIZE};
use crate::job::Job;
use crate::params;
use ndarray::ArrayView1;
use serde::Serialize;

/// A job with the key of the state it was made for.
struct Keyed<J> {
    key: String,
    job: J,
}

/// The job's result, whether it was made for the current state, and the class names.
#[derive(Clone, Debug, Serialize)]
pub struct PageResult {
    pub current: bool,
    pub done: bool,
    pub classes: [&'static str; 2],
    #[serde(flatten)]
    pub result: TrainResult,
}

/// [done, total, finished (1 or 0)] of the job, and whether training is finished.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub trained: bool,
    pub epochs_done: usize,
}

/// One image for a picture: n^2 values, row-major, with its class and the network's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Picture {
    pub pixels: Vec<f64>,
    /// Its true class (0 horizontal, 1 vertical) and the background's value s a.
    pub class: usize,
    /// The way its stripe is drawn: its class's orientation, except on a training image of
    /// the authors' set ([`false_structures::TrainingStripes::Rows`]), always horizontal.
    pub drawn: Orientation,
    pub background: f64,
    /// The trained network's class and probabilities.
    pub predicted: Classification,
}

/// DeepFool's perturbation r of one image, for display: r itself, r / max|r| in [-1, 1]
/// (the picture, with its scale), x + r, and the sizes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Perturbation {
    pub r: Vec<f64>,
    pub scaled: Vec<f64>,
    /// max |r_i| (the scaled picture times this is r; 0 for r = 0).
    pub scale: f64,
    pub perturbed: Vec<f64>,
    pub r_l2: f64,
    pub r_linf: f64,
    pub r_over_x: f64,
    /// The label before and after, and whether it flipped.
    pub label: usize,
    pub adv_label: usize,
    pub flipped: bool,
    pub iterations: usize,
    /// The mean of r and the spread of r about it, max |r_i - mean|: a constant shift of the
    /// background has a spread near 0 next to its mean.
    pub mean: f64,
    pub spread: f64,
}

impl Perturbation {
    fn new(x: &[f64], res: &crate::attacks::deepfool::DeepFoolResult) -> Self {
        let r = res.perturbation.clone();
        let scale = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mean = r.iter().sum::<f64>() / r.len().max(1) as f64;
        let spread = r.iter().fold(0.0f64, |m, v| m.max((v - mean).abs()));
        let size = PerturbationSize::of(ArrayView1::from(x), ArrayView1::from(&r));
        Self {
            scaled: r
                .iter()
                .map(|v| if scale > 0.0 { v / scale } else { 0.0 })
                .collect(),
            perturbed: x.iter().zip(&r).map(|(a, b)| a + b).collect(),
            scale,
            r_l2: size.r_l2,
            r_linf: size.r_linf,
            r_over_x: size.r_over_x,
            label: res.label,
            adv_label: res.adv_label,
            flipped: res.success(),
            iterations: res.iterations,
            mean,
            spread,
            r,
        }
    }
}

/// The page's pictures: the side n, a training image, the first attacked test image, its
/// false twin (the background's sign swapped), and DeepFool's perturbation of the test image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pictures {
    pub size: usize,
    /// The colour scale (+-3a) at which the page and the poster show the images a second time,
    /// so that the background's sign shows.
    pub magnify: f64,
    pub train: Picture,
    pub test: Picture,
    pub false_twin: Picture,
    pub perturbation: Option<Perturbation>,
}

/// The colour scale of the magnified pictures: +-3a, so that a background of +-a is a third
/// of full colour and the stripe (1 above it) is off the scale.
pub fn magnify(a: f64) -> f64 {
    3.0 * a
}

impl Pictures {
    /// The pictures of a trained job: training image `train_index` (0..60: 30 horizontal, then
    /// 30 vertical), the first test image DeepFool attacked (or test image 0 before the
    /// attacks) and its false twin; the perturbation once that attack is done.
    pub fn of(job: &TrainJob, train_index: usize) -> Result<Self, String> {
        if !job.trained() {
            return Err("the network is still training".into());
        }
        let net = &job.trainer.net;
        let set = &job.trainer.set;
        if train_index >= set.len() {
            return Err(format!(
                "the training set has {} images (0 to {}), got {train_index}",
                set.len(),
                set.len() - 1
            ));
        }
        let picture = |s: &false_structures::Stripe| -> Result<Picture, String> {
            let pixels = s.pixels();
            Ok(Picture {
                predicted: false_structures::classify(net, &pixels)?,
                class: s.orientation.class(),
                drawn: s.drawn,
                background: s.background(),
                pixels,
            })
        };
        let res = job.result();
        let first = res
            .deepfool
            .as_ref()
            .and_then(|f| f.attacked.first().copied());
        let t = first.unwrap_or(0);
        let test = picture(&job.test.stripes[t])?;
        let perturbation = first
            .and_then(|_| job.fooled().first())
            .map(|r| Perturbation::new(&test.pixels, r));
        Ok(Pictures {
            size: SIZE,
            magnify: magnify(job.params.a),
            train: picture(&set.stripes[train_index])?,
            false_twin: picture(&job.false_set.stripes[t])?,
            test,
            perturbation,
        })
    }
}

/// Training image shown by the poster and the page: the vertical class's stripe in the middle
/// (drawn along columns, or along rows in the authors' set, where the two differ).
pub const SHOWN_TRAIN_IMAGE: usize = false_structures::POSITIONS + false_structures::POSITIONS / 2;

/// A finished job's figure: its result and its pictures.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub result: TrainResult,
    pub pictures: Pictures,
}

impl Figure {
    /// The figure of a finished job (Err before it is done).
    pub fn of(job: &TrainJob) -> Result<Self, String> {
        if !job.done() {
            return Err("the figure is still being computed".into());
        }
        Ok(Self {
            result: job.result(),
            pictures: Pictures::of(job, SHOWN_TRAIN_IMAGE)?,
        })
    }
}

/// The stripes page: its state and its job.
#[derive(Default)]
pub struct StripesPage {
    /// The state (links, files and controls replace it whole; see [`crate::params`]).
    pub params: StripesParams,
    train: Option<Keyed<TrainJob>>,
}

impl StripesPage {
    pub fn new(params: StripesParams) -> Self {
        Self {
            params,
            train: None,
        }
    }

    /// Makes the job for the current state unless the one held is for it; whether it is
    /// finished.
    pub fn prepare(&mut self) -> Result<bool, String> {
        let key = params::to_query(&self.params);
        if self.train.as_ref().is_none_or(|t| t.key != key) {
            self.train = None;
            let job = TrainJob::new(&self.params)?;
            self.train = Some(Keyed { key, job });
        }
        Ok(self.train.as_ref().is_some_and(|t| t.job.done()))
    }

    /// A little more of the job: an epoch, the scores or one attack.
    pub fn step(&mut self) -> Result<Progress, String> {
        let t = self.train.as_mut().ok_or("nothing is being computed")?;
        t.job.step(())?;
        let (done, total) = t.job.progress();
        Ok(Progress {
            done,
            total,
            finished: t.job.done(),
            trained: t.job.trained(),
            epochs_done: t.job.trainer.epochs_done(),
        })
    }

    /// The job as far as it has run.
    pub fn result(&self) -> Result<PageResult, String> {
        let t = self.train.as_ref().ok_or("nothing has been computed yet")?;
        Ok(PageResult {
            current: t.key == params::to_query(&self.params),
            done: t.job.done(),
            classes: Orientation::NAMES,
            result: t.job.result(),
        })
    }

    /// The job of the current state, trained.
    fn trained(&self) -> Result<&TrainJob, String> {
        let t = self
            .train
            .as_ref()
            .filter(|t| t.key == params::to_query(&self.params))
            .ok_or("the network for this state has not been made yet")?;
        if !t.job.trained() {
            return Err("the network is still training".into());
        }
        Ok(&t.job)
    }

    /// The pictures, once trained (see [`Pictures::of`]).
    pub fn pictures(&self, train_index: usize) -> Result<Pictures, String> {
        Pictures::of(self.trained()?, train_index)
    }

    /// The finished figure of the current state (for the exports).
    pub fn figure(&self) -> Result<Figure, String> {
        Figure::of(self.trained()?)
    }

    /// Classifies a drawn image (n^2 finite values, row-major) with the trained network.
    pub fn classify(&self, x: &[f64]) -> Result<Classification, String> {
        false_structures::classify(&self.trained()?.trainer.net, x)
    }

    /// DeepFool on a drawn image, with the state's overshoot and iteration limit.
    pub fn fool(&self, x: &[f64]) -> Result<Perturbation, String> {
        check_image(x)?;
        let job = self.trained()?;
        let res = false_structures::fool(&job.trainer.net, x, &self.params.deepfool_options())?;
        Ok(Perturbation::new(x, &res))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::false_structures::{Stripe, PIXELS};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Before training, pictures and drawings are refused; stepped to the end, the page gives
    /// the pictures as arrays of n^2 pixels (the perturbation flips the test image and its
    /// scaled picture peaks at 1), classifies a drawn stripe as the network does and refuses
    /// a drawing of the wrong length or with a NaN; a new state is a new job.
    #[test]
    fn the_page_trains_draws_and_classifies() {
        let mut page = StripesPage::new(StripesParams::default());
        assert!(page.step().is_err());
        assert!(page.result().is_err());
        let drawn = Stripe::on_label_background(Orientation::Vertical, 12, page.params.a).pixels();
        assert!(page.classify(&drawn).is_err());
        assert!(!page.prepare().unwrap());
        assert!(page.pictures(0).is_err(), "not trained yet");
        let mut epochs = 0;
        loop {
            let s = page.step().unwrap();
            assert!(s.epochs_done >= epochs && s.done <= s.total);
            epochs = s.epochs_done;
            if s.finished {
                assert!(s.trained);
                break;
            }
        }
        assert_eq!(epochs, 30);
        let r = page.result().unwrap();
        assert!(r.current && r.done);
        assert_eq!(r.classes, ["horizontal", "vertical"]);

        let p = page.pictures(45).unwrap();
        assert_eq!(p.size, 32);
        assert_eq!((p.train.class, p.train.background), (1, page.params.a));
        assert_eq!(p.magnify, 3.0 * page.params.a);
        assert_eq!(p.train.pixels.len(), PIXELS);
        assert_eq!(p.test.class, p.false_twin.class);
        assert_eq!(p.test.background, -p.false_twin.background);
        let d = p.perturbation.unwrap();
        assert!(d.flipped && d.label == p.test.predicted.class);
        assert_eq!(d.r.len(), PIXELS);
        let peak = d.scaled.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_eq!(peak, 1.0);
        for k in 0..PIXELS {
            assert_eq!(d.perturbed[k], p.test.pixels[k] + d.r[k]);
        }
        assert!(page.pictures(60).is_err());

        // The drawing is training image 30 + 12, which the trained network gets right.
        let c = page.classify(&drawn).unwrap();
        assert_eq!(c, page.pictures(42).unwrap().train.predicted);
        assert_eq!(c.class, 1);
        let fooled = page.fool(&drawn).unwrap();
        assert_eq!(fooled.label, c.class);
        assert!(page.classify(&drawn[..100]).is_err());
        let mut bad = drawn.clone();
        bad[7] = f64::NAN;
        assert!(page.classify(&bad).is_err() && page.fool(&bad).is_err());

        page.params.background = crate::false_structures::Background::Random;
        assert!(!page.result().unwrap().current);
        assert!(
            page.classify(&drawn).is_err(),
            "the network is for another state"
        );
        assert!(!page.prepare().unwrap());
    }
}
