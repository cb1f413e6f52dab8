//! Track classifier: per-track P(moving) from long-range tracks (and, when available, a
//! semantic vector per track), the architecture of the released SegAnyMo model.
//!
//! Layout mirrors the official code: [`classifier::TrajOaDepth`] (`traj_oa_depth`) holds
//! `joint_encoder` ([`track_transformer::PtTransformer`], spatio-temporal track attention)
//! and `decoder` ([`point_decoder::TransformerPointNet`], the motion-semantic decoupled
//! decoder); parameter paths equal the released `model_state_dict` keys.

pub mod appearance;
#[cfg(gpu)]
pub mod appearance_gpu;
pub mod classifier;
pub mod config;
pub mod ego_residual;
pub mod heuristic;
pub mod init;
pub mod inputs;
pub mod layers;
pub(crate) mod plane_parallax;
pub mod persistence;
pub mod point_decoder;
pub mod track_input;
pub mod track_transformer;
pub mod truth;

pub use classifier::{MotionClassifier, TrajOaDepth};
pub use config::ClassifierConfig;
pub use init::Init;
pub use inputs::ClassifierInput;
