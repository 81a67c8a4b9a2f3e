//! Universal adversarial perturbations (Moosavi-Dezfooli, Fawzi, Fawzi and Frossard,
//! "Universal adversarial perturbations", CVPR 2017): one perturbation v, small in l_p, that
//! changes the label of most images at once.
//!
//! v = 0; pass over the images in a random order; for each x_i whose label v does not yet
//! change, run DeepFool from x_i + v (at most 10 iterations) and update
//! v <- Proj_{p, xi}(v + r_i), the projection onto the l_p ball of radius xi. Stop when the
//! fooling rate, the fraction of images with label(x_i + v) != label(x_i), reaches 1 - delta,
//! or after `max_passes` passes. Defaults: delta = 0.2, p = inf.
//!
//! Within the pixel box ([`Bounds::Pixels`]), the input classified is P(x_i + v), P the
//! clipping to [0, 1], as the bounded attacks of Foolbox and ART take an image plus a
//! perturbation: DeepFool then starts from P(x_i + v) and keeps its own iterates in the box,
//! and the fooling rate counts labels of P(x_i + v). v itself stays in the l_p ball.

use super::deepfool::{deepfool, DeepFoolOptions};
use super::{Bounds, Norm};
use crate::classifier::Classifier;
use crate::nn::network::{Network, EVAL_CHUNK};
use crate::rng::Rng;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UniversalOptions {
    /// xi, the radius of the l_p ball v stays in.
    pub xi: f64,
    pub norm: Norm,
    /// Stop at a fooling rate of 1 - delta.
    pub delta: f64,
    pub max_passes: usize,
    /// DeepFool's settings for each image (10 iterations at most, as in the paper); its
    /// `bounds` is the search's.
    pub deepfool: DeepFoolOptions,
    /// The box of the inputs classified, P(x + v).
    pub bounds: Bounds,
}

impl Default for UniversalOptions {
    fn default() -> Self {
        Self {
            xi: 0.2,
            norm: Norm::Linf,
            delta: 0.2,
            max_passes: 5,
            deepfool: DeepFoolOptions {
                max_iter: 10,
                ..Default::default()
            },
            bounds: Bounds::None,
        }
    }
}

/// P(x + v) for each row x of `images`: the inputs classified.
pub fn moved(images: ArrayView2<f64>, v: ArrayView1<f64>, bounds: Bounds) -> Array2<f64> {
    let mut m = &images + &v.insert_axis(Axis(0));
    if bounds != Bounds::None {
        m.mapv_inplace(|e| bounds.clip(e));
    }
    m
}

/// Proj_{p, xi}: the nearest point of the l_p ball of radius xi (l-inf: clip each entry;
/// l2: scale down to norm xi).
pub fn project(v: &mut Array1<f64>, norm: Norm, xi: f64) {
    match norm {
        Norm::Linf => v.mapv_inplace(|e| e.clamp(-xi, xi)),
        Norm::L2 => {
            let n = v.dot(v).sqrt();
            if n > xi {
                *v *= xi / n;
            }
        }
    }
}

/// Labels of a batch of images (one per row).
pub fn labels(net: &Network, images: ArrayView2<f64>) -> Vec<usize> {
    let logits = net.logits_batch(images);
    logits
        .rows()
        .into_iter()
        .map(|r| crate::nn::loss::argmax(r))
        .collect()
}

/// The fraction of images whose label v changes (against their labels without v), the
/// inputs being P(x + v) in `bounds`.
pub fn fooling_rate(
    net: &Network,
    images: ArrayView2<f64>,
    clean: &[usize],
    v: ArrayView1<f64>,
    bounds: Bounds,
) -> f64 {
    if clean.is_empty() {
        return 0.0;
    }
    fooled_count(net, images, clean, v, bounds) as f64 / clean.len() as f64
}

/// How many of the images v changes the label of (against their labels without v), the
/// inputs being P(x + v) in `bounds`, taking [`EVAL_CHUNK`] images at a time so that x + v
/// is never formed for all of them at once.
pub fn fooled_count(
    net: &Network,
    images: ArrayView2<f64>,
    clean: &[usize],
    v: ArrayView1<f64>,
    bounds: Bounds,
) -> usize {
    assert_eq!(images.nrows(), clean.len(), "one clean label per image");
    images
        .axis_chunks_iter(Axis(0), EVAL_CHUNK)
        .zip(clean.chunks(EVAL_CHUNK))
        .map(|(chunk, clean)| {
            let m = moved(chunk, v, bounds);
            labels(net, m.view())
                .iter()
                .zip(clean)
                .filter(|(a, b)| a != b)
                .count()
        })
        .sum()
}

#[derive(Clone, Debug, PartialEq)]
pub struct UniversalResult {
    pub v: Array1<f64>,
    /// The fooling rate on the images it was computed on, after each pass.
    pub rates: Vec<f64>,
    pub reached_target: bool,
}

/// The algorithm as an object that can be stepped a few images at a time (so a page can
/// show progress and cancel), owning its network and images.
pub struct UniversalSearch {
    net: Network,
    images: Array2<f64>,
    clean: Vec<usize>,
    opts: UniversalOptions,
    rng: Rng,
    order: Vec<usize>,
    pass: usize,
    pos: usize,
    v: Array1<f64>,
    rates: Vec<f64>,
    finished: bool,
}

impl UniversalSearch {
    pub fn new(net: Network, images: Array2<f64>, opts: UniversalOptions, mut rng: Rng) -> Self {
        let clean = labels(&net, images.view());
        let mut order: Vec<usize> = (0..images.nrows()).collect();
        rng.shuffle(&mut order);
        let v = Array1::zeros(images.ncols());
        let finished = images.nrows() == 0 || opts.max_passes == 0;
        Self {
            net,
            images,
            clean,
            opts,
            rng,
            order,
            pass: 0,
            pos: 0,
            v,
            rates: Vec::new(),
            finished,
        }
    }

    pub fn done(&self) -> bool {
        self.finished
    }

    /// Images visited so far, and the most there can be.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.pass * self.order.len() + self.pos,
            self.order.len() * self.opts.max_passes,
        )
    }

    /// Visits up to `budget` images; at the end of a pass, measures the fooling rate and stops
    /// if it reached the target or the passes ran out.
    pub fn step(&mut self, budget: usize) {
        for _ in 0..budget {
            if self.finished {
                return;
            }
            let i = self.order[self.pos];
            let mut xv = &self.images.row(i) + &self.v;
            let bounds = self.opts.bounds;
            if bounds != Bounds::None {
                xv.mapv_inplace(|e| bounds.clip(e));
            }
            if self.net.label(xv.view()) == self.clean[i] {
                let opts = DeepFoolOptions {
                    bounds,
                    ..self.opts.deepfool
                };
                let r = deepfool(&self.net, xv.view(), &opts);
                if r.success() {
                    self.v += &Array1::from(r.perturbation);
                    project(&mut self.v, self.opts.norm, self.opts.xi);
                }
            }
            self.pos += 1;
            if self.pos == self.order.len() {
                let rate = fooling_rate(
                    &self.net,
                    self.images.view(),
                    &self.clean,
                    self.v.view(),
                    self.opts.bounds,
                );
                self.rates.push(rate);
                self.pass += 1;
                self.pos = 0;
                self.rng.shuffle(&mut self.order);
                self.finished = rate >= 1.0 - self.opts.delta || self.pass >= self.opts.max_passes;
            }
        }
    }

    /// The perturbation so far (also after a cancel).
    pub fn v(&self) -> &Array1<f64> {
        &self.v
    }

    pub fn result(&self) -> UniversalResult {
        let mut rates = self.rates.clone();
        if self.pos > 0 || rates.is_empty() {
            rates.push(fooling_rate(
                &self.net,
                self.images.view(),
                &self.clean,
                self.v.view(),
                self.opts.bounds,
            ));
        }
        let reached_target = rates.last().is_some_and(|&r| r >= 1.0 - self.opts.delta);
        UniversalResult {
            v: self.v.clone(),
            rates,
            reached_target,
        }
    }
}

/// Computes a universal perturbation on `images` (one per row) to the end.
pub fn universal(
    net: &Network,
    images: ArrayView2<f64>,
    opts: &UniversalOptions,
    rng: Rng,
) -> UniversalResult {
    let mut search = UniversalSearch::new(net.clone(), images.to_owned(), *opts, rng);
    while !search.done() {
        search.step(usize::MAX);
    }
    search.result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Activation;
    use ndarray::{array, Array};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn projections_land_in_the_ball() {
        let mut v = array![0.5, -2.0, 0.1];
        project(&mut v, Norm::Linf, 0.3);
        assert_eq!(v, array![0.3, -0.3, 0.1]);
        let mut w = array![3.0, 4.0];
        project(&mut w, Norm::L2, 1.0);
        assert!((w[0] - 0.6).abs() < 1e-15 && (w[1] - 0.8).abs() < 1e-15);
        let mut inside = array![0.1, 0.1];
        project(&mut inside, Norm::L2, 1.0);
        assert_eq!(inside, array![0.1, 0.1]);
    }

    /// Two classes split by x_0 > 0, points near the boundary on the positive side: a single
    /// push along -e_0 of size just above their largest margin fools every one of them.
    #[test]
    fn fools_points_near_an_affine_boundary() {
        let net = Network::affine(array![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], array![0.0, 0.0]);
        let mut rng = Rng::new(3);
        let images: Array2<f64> = Array::from_shape_fn((40, 3), |(i, j)| {
            if j == 0 {
                0.01 + 0.1 * (i as f64 / 40.0)
            } else {
                rng.normal()
            }
        });
        let opts = UniversalOptions {
            xi: 0.2,
            delta: 0.0,
            ..Default::default()
        };
        let res = universal(&net, images.view(), &opts, Rng::new(1));
        assert!(res.reached_target, "{:?}", res.rates);
        assert_eq!(*res.rates.last().unwrap(), 1.0);
        assert!(res.v.iter().all(|e| e.abs() <= 0.2 + 1e-15));
        // The largest margin is 0.01 + 0.1 * 39 / 40 = 0.1075.
        assert!(res.v[0] < -0.1075);
    }

    /// The box decides: class 1 where x_0 > -0.05, images with x_0 in [0, 0.1]. Unbounded,
    /// v_0 below -0.15 fools all of them; within [0, 1] no valid input has x_0 < 0, so
    /// nothing can be fooled, whatever v (a closed form). The bounded count is a naive
    /// recount of labels of the clipped inputs.
    #[test]
    fn the_box_can_make_fooling_impossible_and_counts_clipped_inputs() {
        let net = Network::affine(array![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], array![0.0, 0.05]);
        let mut rng = Rng::new(5);
        let images: Array2<f64> = Array::from_shape_fn((30, 3), |(i, j)| {
            if j == 0 {
                0.1 * i as f64 / 29.0
            } else {
                rng.uniform()
            }
        });
        let opts = UniversalOptions {
            xi: 0.2,
            delta: 0.0,
            ..Default::default()
        };
        let free = universal(&net, images.view(), &opts, Rng::new(1));
        assert_eq!(*free.rates.last().unwrap(), 1.0, "{:?}", free.rates);
        let boxed = universal(
            &net,
            images.view(),
            &UniversalOptions {
                bounds: Bounds::Pixels,
                ..opts
            },
            Rng::new(1),
        );
        assert_eq!(*boxed.rates.last().unwrap(), 0.0, "{:?}", boxed.rates);
        assert!(!boxed.reached_target);
        assert!(boxed.v.iter().all(|e| e.abs() <= 0.2 + 1e-15));
        // Any v: the bounded count is the count of clipped inputs whose label moved.
        let clean = labels(&net, images.view());
        for v in [
            free.v.clone(),
            array![-0.3, 0.9, -0.7],
            array![0.2, -0.2, 0.2],
        ] {
            let naive = (0..images.nrows())
                .filter(|&i| {
                    let x = (&images.row(i) + &v).mapv(|e| e.clamp(0.0, 1.0));
                    net.label(x.view()) != clean[i]
                })
                .count();
            assert_eq!(
                fooled_count(&net, images.view(), &clean, v.view(), Bounds::Pixels),
                naive
            );
        }
    }

    #[test]
    fn steps_count_images_and_a_partial_pass_is_measured() {
        let mut rng = Rng::new(2);
        let net = Network::mlp(&[3, 4, 2], Activation::Tanh, &mut rng);
        let images: Array2<f64> = Array::from_shape_simple_fn((10, 3), || rng.normal());
        let mut search = UniversalSearch::new(
            net,
            images,
            UniversalOptions {
                max_passes: 2,
                delta: 0.0,
                ..Default::default()
            },
            Rng::new(1),
        );
        assert_eq!(search.progress(), (0, 20));
        search.step(3);
        assert_eq!(search.progress(), (3, 20));
        assert!(!search.done());
        let partial = search.result();
        assert_eq!(partial.rates.len(), 1);
        search.step(usize::MAX);
        assert!(search.done());
    }
}
