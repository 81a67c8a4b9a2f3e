//! Proximal maps and projections, the building blocks of the primal-dual solver.
//!
//! - [`soft_threshold`]: prox of t |.| on C, S_t(z) = z max(0, 1 - t / |z|): the minimiser of
//!   t |x| + |x - z|^2 / 2. Applied entrywise with thresholds t w_i it is the prox of the
//!   weighted l1 norm t sum_i w_i |x_i|.
//! - [`project_l2_ball`]: the nearest point of the ball {||q||_2 <= r}, q min(1, r / ||q||).
//! - [`project_pairs`]: the same for each pair (v_i, v_{m+i}) of a stacked gradient, the dual
//!   ball of the isotropic total variation.

use crate::operators::C64;
use ndarray::ArrayViewMut1;

/// S_t(z) = z max(0, 1 - t / |z|) (0 when |z| <= t).
pub fn soft_threshold(z: C64, t: f64) -> C64 {
    let a = z.norm_sqr().sqrt();
    if a <= t {
        C64::new(0.0, 0.0)
    } else {
        z * (1.0 - t / a)
    }
}

/// x_i <- S_{t w_i}(x_i) for every i (w = None: all weights 1).
pub fn soft_threshold_weighted(mut x: ArrayViewMut1<C64>, t: f64, w: Option<&[f64]>) {
    match w {
        Some(w) => {
            for (xi, &wi) in x.iter_mut().zip(w) {
                *xi = soft_threshold(*xi, t * wi);
            }
        }
        None => x.mapv_inplace(|z| soft_threshold(z, t)),
    }
}

/// q <- q min(1, r / ||q||_2).
pub fn project_l2_ball(mut q: ArrayViewMut1<C64>, r: f64) {
    let norm = q.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    if norm > r {
        let s = r / norm;
        q.mapv_inplace(|z| z * s);
    }
}

/// Each pair (v_i, v_{m+i}), m = len / 2, scaled onto the disc of radius r if outside it.
pub fn project_pairs(mut v: ArrayViewMut1<C64>, r: f64) {
    let m = v.len() / 2;
    let r2 = r * r;
    let project = |a: &mut C64, b: &mut C64| {
        let n2 = a.norm_sqr() + b.norm_sqr();
        if n2 > r2 {
            let s = r / n2.sqrt();
            *a *= s;
            *b *= s;
        }
    };
    match v.as_slice_mut() {
        Some(all) => {
            let (h, w) = all.split_at_mut(m);
            h.iter_mut()
                .zip(w.iter_mut())
                .for_each(|(a, b)| project(a, b));
        }
        None => {
            for i in 0..m {
                let (mut a, mut b) = (v[i], v[m + i]);
                project(&mut a, &mut b);
                v[i] = a;
                v[m + i] = b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{complex_gaussian, norm2};
    use crate::rng::Rng;
    use ndarray::{array, Array1};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn c(re: f64, im: f64) -> C64 {
        C64::new(re, im)
    }

    #[test]
    fn soft_threshold_closed_forms() {
        assert_eq!(soft_threshold(c(3.0, 0.0), 1.0), c(2.0, 0.0));
        assert_eq!(soft_threshold(c(-3.0, 0.0), 1.0), c(-2.0, 0.0));
        assert_eq!(soft_threshold(c(0.5, 0.0), 1.0), c(0.0, 0.0));
        assert_eq!(soft_threshold(c(1.0, 0.0), 1.0), c(0.0, 0.0));
        // |3 + 4i| = 5: shrunk to modulus 4, same phase.
        let s = soft_threshold(c(3.0, 4.0), 1.0);
        assert!((s - c(2.4, 3.2)).norm() < 1e-15);
        assert_eq!(soft_threshold(c(0.0, 0.0), 0.0), c(0.0, 0.0));
    }

    /// S_t(z) minimises t|x| + |x - z|^2 / 2: no nearby point does better, and the optimality
    /// condition z - x in t d|x| holds.
    #[test]
    fn soft_threshold_is_the_prox_of_the_modulus() {
        let mut rng = Rng::new(41);
        let f = |x: C64, z: C64, t: f64| t * x.norm() + 0.5 * (x - z).norm_sqr();
        for _ in 0..200 {
            let z = c(2.0 * rng.normal(), 2.0 * rng.normal());
            let t = rng.uniform_in(0.0, 3.0);
            let x = soft_threshold(z, t);
            if x.norm() > 0.0 {
                assert!((z - x - x / x.norm() * t).norm() < 1e-12);
            } else {
                assert!(z.norm() <= t);
            }
            for _ in 0..20 {
                let d = c(1e-3 * rng.normal(), 1e-3 * rng.normal());
                assert!(f(x, z, t) <= f(x + d, z, t) + 1e-15);
            }
        }
    }

    #[test]
    fn weighted_thresholds_scale_per_entry() {
        let mut x = array![c(3.0, 0.0), c(3.0, 0.0), c(3.0, 0.0)];
        soft_threshold_weighted(x.view_mut(), 1.0, Some(&[0.0, 1.0, 4.0]));
        assert_eq!(x, array![c(3.0, 0.0), c(2.0, 0.0), c(0.0, 0.0)]);
    }

    /// The projection onto the ball: inside points stay; outside points land on the sphere
    /// along their own direction; and the variational inequality <v - P v, u - P v> <= 0
    /// holds for every u in the ball (the characterisation of the projection).
    #[test]
    fn l2_ball_projection_closed_form_and_optimality() {
        let mut rng = Rng::new(42);
        let mut inside = array![c(0.3, 0.0), c(0.0, 0.4)];
        let before = inside.clone();
        project_l2_ball(inside.view_mut(), 1.0);
        assert_eq!(inside, before);
        let mut v = array![c(3.0, 0.0), c(0.0, 4.0)];
        project_l2_ball(v.view_mut(), 1.0);
        assert!((v[0] - c(0.6, 0.0)).norm() < 1e-15 && (v[1] - c(0.0, 0.8)).norm() < 1e-15);
        for _ in 0..50 {
            let v: Array1<C64> = complex_gaussian(6, &mut rng) * 3.0;
            let mut p = v.clone();
            project_l2_ball(p.view_mut(), 1.0);
            assert!(norm2(p.view()) <= 1.0 + 1e-15);
            for _ in 0..20 {
                let mut u = complex_gaussian(6, &mut rng);
                project_l2_ball(u.view_mut(), 1.0);
                let ip = crate::operators::inner((&v - &p).view(), (&u - &p).view()).re;
                assert!(ip <= 1e-12, "variational inequality fails: {ip}");
            }
        }
    }

    #[test]
    fn pairs_are_projected_separately() {
        // Pairs (3, 4) -> (0.6, 0.8) and (0.1, 0.1) unchanged.
        let mut v = array![c(3.0, 0.0), c(0.1, 0.0), c(4.0, 0.0), c(0.1, 0.0)];
        project_pairs(v.view_mut(), 1.0);
        let want = [0.6, 0.1, 0.8, 0.1];
        for (z, w) in v.iter().zip(want) {
            assert!((z - c(w, 0.0)).norm() < 1e-15);
        }
    }
}
