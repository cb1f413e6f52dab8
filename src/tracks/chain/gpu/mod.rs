//! The trajectory builder's steps as WGSL kernels, on the same burn wgpu device and queue as
//! the GPU flow (`dis::gpu`), each mirroring its CPU step with the same float-op order and
//! compared with it by [`checks`] natively (lavapipe) and in the browser (Chromium WebGPU).
//!
//! The reliability maps and the following of points (one invocation per track and frame
//! step, window refinement included) run here; seeding and selection stay on the CPU
//! (`build`).

pub mod build;
pub mod checks;
pub mod follow;
pub mod reliability;
