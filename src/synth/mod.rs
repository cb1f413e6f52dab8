//! Procedural synthetic videos with exact ground truth.
//!
//! A scene is a back-to-front stack of textured planar layers seen by a moving pinhole camera
//! (`scene`); each layer's image motion is an exact homography per frame, so rendering
//! (`render`) can give exact forward flow, occlusion masks, label maps and TAP-Vid style tracks
//! (`tracks`). `suite` builds the named benchmark cases, `random` random training scenes.

pub mod curve;
pub mod detmath;
pub mod export;
pub mod homography;
mod noise;
pub mod random;
pub mod render;
pub mod scene;
pub mod shape;
pub mod stats;
pub mod suite;
pub mod texture;
pub mod tracks;

pub use curve::Curve;
pub use homography::Homography;
pub use random::{random_scene, RandomSceneConfig};
pub use render::{render, Sampler, SynthClip, NO_LAYER};
pub use scene::{Camera, FrameGeometry, Layer, Light, Motion, Scene, SynthConfig};
pub use shape::{Lobe, Shape};
pub use stats::ClipStats;
pub use suite::{case, case_scene, suite, suite_with, CASES};
pub use texture::{Pattern, TextureSpec};
pub use tracks::{GtTracks, Query};
