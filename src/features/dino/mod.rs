//! DINOv2 (ViT-S/B/L/g with patch 14, with or without registers) in burn: the semantic
//! features of the full tier. SegAnyMo runs ViT-B/14 with the patch stride changed to 7 and
//! takes the attention keys of block 11 as its per-pixel features.

pub mod config;
pub mod model;
pub mod pos_embed;
pub mod weights;

pub use config::{DinoConfig, Ffn, PosInterp};
pub use model::{Dino, DinoOutput, DinoVisionTransformer};
