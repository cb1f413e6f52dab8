//! segmo: find and segment every moving object in a video, on the user's GPU.
//!
//! Stages (see README "Architecture"): tracks -> features -> motion -> objects -> masks.
//! What exists today: the compute device layer, our WGSL kernels on burn's device
//! (attention), the motion baseline, the DAVIS evaluator and the synthetic sample clip.

pub mod attention;
pub mod baseline;
pub mod clip;
pub mod device;
pub mod error;
pub mod eval;
pub mod gpu;
pub mod sample;

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod bench;
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod io;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use clip::{Clip, LabelMap};
pub use device::{ComputeDevice, DeviceInfo, DevicePreference};
pub use error::{Result, SegmoError};
