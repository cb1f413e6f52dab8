//! Tracks (and, in the lite tier, frames) to the classifier's per-track input, as the released
//! inference prepares it: coordinates scaled to [-1, 1], at least one visible point per frame.

use super::appearance;
use super::config::ClassifierConfig;
use super::inputs::ClassifierInput;
use crate::error::{Result, SegmoError};
use crate::tracks::Tracks;

/// The lite classifier's input: no depth; visibility as 0/1 and our tracker's confidence in
/// the released `visib_value` / `confi_value` channels; the appearance descriptor as the
/// semantic vector when `config.semantic_dim` is [`appearance::APPEARANCE_DIM`].
pub fn lite_input(tracks: &Tracks, frames: &[Vec<u8>], config: &ClassifierConfig) -> Result<ClassifierInput> {
    let semantic = (config.semantic_dim == appearance::APPEARANCE_DIM).then(|| appearance::describe(tracks, frames));
    assemble_lite(tracks, config, semantic)
}

/// [`lite_input`] with the appearance descriptors already computed (on the GPU, by
/// [`super::appearance_gpu`]); `semantic` must be given exactly when the configuration reads it.
pub fn assemble_lite(tracks: &Tracks, config: &ClassifierConfig, semantic: Option<Vec<f32>>) -> Result<ClassifierInput> {
    if config.depth {
        return Err(SegmoError::BadInput("lite input has no depth; the configuration asks for it".into()));
    }
    match (config.semantic_dim, &semantic) {
        (0, None) => {}
        (appearance::APPEARANCE_DIM, Some(s)) if s.len() == tracks.n * appearance::APPEARANCE_DIM => {}
        (k, _) => {
            return Err(SegmoError::BadInput(format!(
                "lite input has a {}-d appearance vector; the configuration asks for {k}",
                appearance::APPEARANCE_DIM
            )))
        }
    }
    let mut input = motion_input(tracks);
    input.semantic = semantic;
    input.residual = config.residual.then(|| super::ego_residual::residual_channels(tracks, config.epipolar));
    Ok(input)
}

/// The motion channels of `tracks` (no depth, no semantic vector), track-major.
pub fn motion_input(tracks: &Tracks) -> ClassifierInput {
    let (n, t) = (tracks.n, tracks.frames);
    let (w, h) = (tracks.width as f32, tracks.height as f32);
    let mut xy = vec![0.0; n * t * 2];
    let mut visible = vec![0.0; n * t];
    let mut confidence = vec![0.0; n * t];
    for f in 0..t {
        for j in 0..n {
            let s = f * n + j;
            let d = j * t + f;
            let [x, y] = tracks.xy[s];
            xy[2 * d] = (x / w * 2.0 - 1.0).clamp(-1.0, 1.0);
            xy[2 * d + 1] = (y / h * 2.0 - 1.0).clamp(-1.0, 1.0);
            visible[d] = tracks.visible[s] as u8 as f32;
            confidence[d] = tracks.confidence[s];
        }
    }
    let mut input = ClassifierInput {
        tracks: n,
        frames: t,
        xy,
        visibility: visible.clone(),
        visible,
        confidence,
        depth: None,
        residual: None,
        semantic: None,
    };
    input.ensure_visible_per_frame();
    input
}
