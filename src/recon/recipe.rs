//! The recipe of a reconstruction network: its architecture and the setting it is trained
//! at (image side and family, sampling pattern, rate, noise) with the training run's
//! settings. The one validated type behind `barriers-lab train-recon` and a network file's
//! header; [`super::net`] builds networks from it and [`super::train`] trains them.

use crate::data::family::FamilyKind;
use crate::operators::masks::{mask, MaskParams, Pattern};
use crate::operators::sampling::{SubsampledFourier, NOISE_FIELD};
use crate::params::{self, Field, Kind, ParamError, Params};
use serde::{Deserialize, Serialize};

/// The architecture: K blocks of `depth` convolutions with `channels` hidden channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetShape {
    pub blocks: usize,
    pub depth: usize,
    pub channels: usize,
    /// Data consistency after each block (false: a plain residual CNN on A* y, a
    /// post-processing network).
    #[serde(default = "yes")]
    pub consistency: bool,
}

fn yes() -> bool {
    true
}

impl NetShape {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=20).contains(&self.blocks) {
            return Err(format!("blocks must be 1 to 20, not {}", self.blocks));
        }
        if !(2..=12).contains(&self.depth) {
            return Err(format!("depth must be 2 to 12, not {}", self.depth));
        }
        if !(1..=128).contains(&self.channels) {
            return Err(format!("channels must be 1 to 128, not {}", self.channels));
        }
        Ok(())
    }
}

/// With or without data consistency between the blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    Cascade,
    Residual,
    Dense,
}

impl Architecture {
    pub const NAMES: &'static [&'static str] = &["cascade", "residual", "dense"];
    pub const LABELS: &'static [&'static str] =
        &["Cascade of CNNs", "Residual CNN", "Dense (AUTOMAP-like)"];
}

/// Everything a training run depends on: the one validated type behind
/// `barriers-lab train-recon` and the network file's header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainOptions {
    pub blocks: usize,
    pub depth: usize,
    pub channels: usize,
    pub architecture: Architecture,
    /// Hidden units of each of the dense network's two tanh layers.
    pub hidden: usize,
    /// The image side (the family is drawn from the 64 x 64 stack, halved as needed).
    pub side: usize,
    /// The image family.
    pub family: FamilyKind,
    pub mask: Pattern,
    pub rate: f64,
    /// The mask's seed.
    pub mask_seed: u32,
    /// The variable-density exponent (variable-density and Cartesian masks).
    pub density: f64,
    /// ||e|| / ||A x||.
    pub noise: f64,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub seed: u32,
    /// Validation members (seeds TRAIN_MAX + 1 ..) scored every `eval_every` steps.
    pub validation: usize,
    pub eval_every: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            blocks: 5,
            depth: 4,
            channels: 16,
            architecture: Architecture::Dense,
            hidden: 512,
            side: 32,
            family: FamilyKind::Sites,
            mask: Pattern::VariableDensity,
            rate: 0.15,
            mask_seed: 1,
            density: 2.0,
            noise: 0.01,
            steps: 6000,
            batch: 32,
            lr: 3e-4,
            seed: 1,
            validation: 16,
            eval_every: 1000,
        }
    }
}

impl Params for TrainOptions {
    const SCHEMA: &'static [Field] = &[
        Field {
            key: "blocks",
            label: "Blocks",
            unit: "",
            help: "Cascade blocks K: a small CNN and a data-consistency step each.",
            kind: Kind::Int { min: 1, max: 20 },
        },
        Field {
            key: "depth",
            label: "Depth",
            unit: "",
            help: "3 x 3 convolutions per block.",
            kind: Kind::Int { min: 2, max: 12 },
        },
        Field {
            key: "channels",
            label: "Channels",
            unit: "",
            help: "Hidden channels of each convolution.",
            kind: Kind::Int { min: 1, max: 128 },
        },
        Field {
            key: "architecture",
            label: "Architecture",
            unit: "",
            help: "cascade: data consistency after each block (the measured coefficients kept); residual: a plain residual CNN on A* y.",
            kind: Kind::Choice(Architecture::NAMES, Architecture::LABELS),
        },
        Field {
            key: "hidden",
            label: "Hidden units",
            unit: "",
            help: "Width of the dense network's two tanh layers.",
            kind: Kind::Int { min: 1, max: 4096 },
        },
        Field {
            key: "side",
            label: "Image side",
            unit: "px",
            help: "The side n of the n x n images: 64, or 32 (the 64 x 64 slices halved).",
            kind: Kind::Int { min: 8, max: 64 },
        },
        Field {
            key: "family",
            label: "Image family",
            unit: "",
            help: "lesions: 0-3 lesions anywhere in the head; sites: textured lesions at four known sites, each present or not.",
            kind: Kind::Choice(FamilyKind::NAMES, FamilyKind::LABELS),
        },
        Field {
            key: "mask",
            label: "Sampling pattern",
            unit: "",
            help: "The pattern the network is trained at (it sees no other).",
            kind: Kind::Choice(&Pattern::NAMES, &Pattern::LABELS),
        },
        Field {
            key: "rate",
            label: "Sampling rate",
            unit: "",
            help: "|Omega| / n^2 the network is trained at.",
            kind: Kind::Float {
                min: 0.01,
                max: 1.0,
                step: 0.01,
                log: false,
            },
        },
        Field {
            key: "mask_seed",
            label: "Mask seed",
            unit: "",
            help: "The random order of the sampling pattern.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        Field {
            key: "density",
            label: "Variable density",
            unit: "",
            help: "Exponent of the variable-density and Cartesian patterns.",
            kind: Kind::Float {
                min: 0.0,
                max: 3.0,
                step: 0.05,
                log: false,
            },
        },
        NOISE_FIELD,
        Field {
            key: "steps",
            label: "Steps",
            unit: "",
            help: "Adam steps.",
            kind: Kind::Int {
                min: 1,
                max: 1_000_000,
            },
        },
        Field {
            key: "batch",
            label: "Batch",
            unit: "images",
            help: "Images per step.",
            kind: Kind::Int { min: 1, max: 256 },
        },
        Field {
            key: "lr",
            label: "Learning rate",
            unit: "",
            help: "Adam's step at the start; it decays along a cosine to a twentieth.",
            kind: Kind::Float {
                min: 1e-6,
                max: 0.1,
                step: 1e-6,
                log: true,
            },
        },
        Field {
            key: "seed",
            label: "Seed",
            unit: "",
            help: "The initial weights and the order of the training images.",
            kind: Kind::Int {
                min: 0,
                max: u32::MAX as i64,
            },
        },
        Field {
            key: "validation",
            label: "Validation images",
            unit: "",
            help: "Members of the validation split scored during training.",
            kind: Kind::Int { min: 1, max: 1000 },
        },
        Field {
            key: "eval_every",
            label: "Score every",
            unit: "steps",
            help: "How often the validation PSNR is measured and logged.",
            kind: Kind::Int {
                min: 1,
                max: 1_000_000,
            },
        },
    ];

    fn check(&self) -> Result<(), ParamError> {
        if !self.mask.is_generated() {
            return Err(ParamError::new(
                Some("mask"),
                "the network is trained at a generated pattern, not a painted one",
            ));
        }
        if ![16, 32, 64].contains(&self.side) {
            return Err(ParamError::new(
                Some("side"),
                "the family is drawn at 64 x 64 or halved: the side must be 64, 32 or 16",
            ));
        }
        Ok(())
    }
}

impl TrainOptions {
    pub fn shape(&self) -> NetShape {
        NetShape {
            blocks: self.blocks,
            depth: self.depth,
            channels: self.channels,
            consistency: self.architecture == Architecture::Cascade,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        params::validate(self).map_err(|e| e.to_string())?;
        self.shape().check()
    }

    /// The measurement operator of the run.
    pub fn operator(&self, n: usize) -> Result<SubsampledFourier, String> {
        let params = MaskParams {
            alpha: self.density,
            ..MaskParams::default()
        };
        let m = mask(self.mask, n, self.rate, self.mask_seed as u64, &params)?;
        SubsampledFourier::new(n, m.fft_indices())
    }
}
