//! The demos, each a validated parameter type (its state: a link, a file, a command line)
//! and an experiment that the page, the worker and the command line all run the same way.
//!
//! - [`toy`]: decision boundaries of linear and MLP classifiers in 2-D, attacked by DeepFool
//!   and FGSM.
//! - [`attacks`], [`universal`], [`dimension`]: adversarial examples on real images, each
//!   with its page's held state (`page`); [`images`]: the data sets and models they load.
//! - [`mri`]: Fourier sampling and stable reconstruction (adjoint, compressed sensing, FIRENET),
//!   the kernel view and FIRENET's convergence.
//! - [`unstable`]: the trained network that out-performs them and is unstable, one file per
//!   experiment of its page: the instability test, kernel awareness and a structural change,
//!   more samples, the trade-off; and the page that holds their jobs.
//! - [`inexact`]: the barrier of inexact input (K digits impossible, K - 1 reached by FIRENET)
//!   on one cell and on the paper's nine-cell table, with the page that holds both.
//! - [`kernel1d`]: the troublesome kernel in 1-D: a network trained with or without
//!   kernel-aware pairs, its accuracy on the tumour and its instability, against 1-D TV.
//! - [`stripes`]: false structures (Thesing, Antun, Hansen): a CNN trained on stripes whose
//!   background sign goes with the label, scored on fresh and on swapped backgrounds,
//!   and attacked by DeepFool; the control with random backgrounds.

pub mod attacks;
pub mod dimension;
pub mod images;
pub mod inexact;
pub mod kernel1d;
pub mod mri;
pub mod stripes;
pub mod toy;
pub mod universal;
pub mod unstable;

#[cfg(test)]
mod tests {
    use crate::params::check_schema;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Every demo's schema is consistent (a label per menu option, ordered ranges, a log
    /// slider with values) and accepts its own defaults.
    /// A shared key has one definition: the reconstruction settings and the noise on the MRI
    /// and unstable pages (and the network's recipe), DeepFool's settings on the toy and
    /// attack pages: the same label, range and help wherever they appear.
    #[test]
    fn shared_keys_are_defined_once() {
        use crate::params::{Field, Params};
        fn field<P: Params>(key: &str) -> String {
            let f: &Field = P::SCHEMA.iter().find(|f| f.key == key).unwrap();
            format!("{f:?}")
        }
        use super::mri::MriParams as M;
        use super::unstable::UnstableParams as U;
        let recon = crate::recon::settings_fields("iters");
        for f in &recon {
            let key = if f.key == "iters" { "cp_iters" } else { f.key };
            assert_eq!(format!("{f:?}"), field::<M>(f.key));
            assert_eq!(
                field::<M>(f.key).replace("\"iters\"", "\"cp_iters\""),
                field::<U>(key)
            );
        }
        let noise = format!("{:?}", crate::operators::sampling::NOISE_FIELD);
        assert_eq!(noise, field::<M>("noise"));
        assert_eq!(noise, field::<U>("noise"));
        assert_eq!(noise, field::<crate::recon::train::TrainOptions>("noise"));
        for key in ["data", "model"] {
            assert_eq!(
                field::<super::attacks::AttackParams>(key),
                field::<super::universal::UniversalParams>(key)
            );
            assert_eq!(
                field::<super::attacks::AttackParams>(key),
                field::<crate::models::TrainParams>(key)
            );
        }
        for key in ["overshoot", "max_iter"] {
            assert_eq!(
                field::<super::toy::ToyParams>(key),
                field::<super::attacks::AttackParams>(key)
            );
        }
    }

    #[test]
    fn every_schema_is_consistent() {
        check_schema::<super::toy::ToyParams>().unwrap();
        check_schema::<super::attacks::AttackParams>().unwrap();
        check_schema::<super::universal::UniversalParams>().unwrap();
        check_schema::<super::dimension::DimensionParams>().unwrap();
        check_schema::<super::mri::MriParams>().unwrap();
        check_schema::<super::unstable::UnstableParams>().unwrap();
        check_schema::<super::inexact::InexactParams>().unwrap();
        check_schema::<super::kernel1d::Kernel1dParams>().unwrap();
        check_schema::<super::stripes::StripesParams>().unwrap();
        check_schema::<crate::recon::train::TrainOptions>().unwrap();
        check_schema::<crate::models::TrainParams>().unwrap();
    }
}
