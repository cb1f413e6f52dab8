//! The track stage end to end: DIS optical flow on synthetic pairs with exact ground truth.
//! One test binary: each links all of segmo, so fewer is faster.

mod dis_flow;
mod gpu_pipeline;
mod pairs;
