//! The demos, each a validated parameter type (its state: a link, a file, a command line)
//! and an experiment that the page, the worker and the command line all run the same way.
//!
//! - [`toy`]: decision boundaries of linear and MLP classifiers in 2-D, attacked by DeepFool
//!   and FGSM.
//! - [`attacks`], [`universal`], [`dimension`]: adversarial examples on real images.
//! - [`mri`]: Fourier sampling and stable reconstruction (adjoint, compressed sensing, FIRENET),
//!   the kernel view and FIRENET's convergence.

pub mod attacks;
pub mod dimension;
pub mod mri;
pub mod toy;
pub mod universal;
pub mod unstable;

use crate::params::{Field, Kind};

/// DeepFool's overshoot, as every demo that runs DeepFool offers it.
pub const DEEPFOOL_OVERSHOOT: Field = Field {
    key: "overshoot",
    label: "Overshoot η",
    unit: "",
    help: "DeepFool returns (1 + eta) times the accumulated perturbation.",
    kind: Kind::Float {
        min: 0.0,
        max: 1.0,
        step: 0.01,
        log: false,
    },
};

/// DeepFool's iteration limit, as every demo that runs DeepFool offers it.
pub const DEEPFOOL_MAX_ITER: Field = Field {
    key: "max_iter",
    label: "Max iterations",
    unit: "",
    help: "DeepFool stops after this many linearisation steps.",
    kind: Kind::Int { min: 1, max: 1000 },
};
