//! The synthetic clips with exact ground truth (`segmo::synth`) and the TAP-Vid metrics that
//! score trackers on them. One test binary: each links all of segmo, so fewer is faster.

mod common;
mod determinism;
mod gt_consistency;
mod metrics_on_synth;
mod random_scenes;
mod suite_properties;
