//! segmo: find and segment every moving object in a video, on the user's GPU.
//!
//! Stages (see README "Architecture"): tracks -> features -> motion -> objects -> masks.
//! What exists today: the compute device layer, our WGSL kernels on burn's device
//! (attention), the motion baseline, the DAVIS and TAP-Vid evaluators, the synthetic sample clip,
//! synthetic scenes with exact flow and track ground truth, and the trajectory builder.

pub mod attention;
pub mod baseline;
pub mod clip;
pub mod clock;
pub mod cpu;
pub mod device;
pub mod error;
pub mod eval;
pub mod features;
pub mod gpu;
pub mod masks;
pub mod motion;
pub mod objects;
pub mod pipeline;
pub mod pth;
pub mod sample;
pub mod synth;
pub mod tracks;
pub mod weights;

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod bench;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod io;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use clip::{Clip, LabelMap};
pub use device::{ComputeDevice, DeviceInfo, DevicePreference};
pub use error::{Result, SegmoError};
