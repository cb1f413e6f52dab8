//! The trajectory builder's steps as WGSL kernels, on the same burn wgpu device and queue as
//! the GPU flow (`dis::gpu`), each mirroring its CPU step with the same float-op order and
//! compared with it by [`checks`] natively (lavapipe) and in the browser (Chromium WebGPU).
//!
//! So far: the reliability maps. Seeding and following run on the CPU (`chain`); the
//! follow kernel (one invocation per track and step, window refinement included) is next.

pub mod checks;
pub mod reliability;
