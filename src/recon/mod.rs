//! MRI reconstruction: [`metrics`] scores a reconstruction against the true image.

pub mod metrics;
