//! Sampling patterns. Being written.
