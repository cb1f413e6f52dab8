//! Dense masks from labelled tracks (the lite tier's densifier; the full tier prompts SAM2).

pub mod colour_model;
pub mod densify;
pub mod motion_prior;
pub mod seed_histogram;
pub mod specks;
pub mod trackless;
#[cfg(gpu)]
pub mod gpu;

pub use densify::{geodesic_labels, DensifyOptions, Seed};
