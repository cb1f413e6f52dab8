//! Semantic features sampled at the tracks: DINOv2 (the full tier's semantic stage).

pub mod dino;
