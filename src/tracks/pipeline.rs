//! A clip in, tracks out: grey frames, forward and backward DIS flow for every frame pair,
//! then the trajectory builder. The CPU path; the GPU path will produce the same `Tracks`.

use super::dis::{Dis, DisParams};
use super::{build_tracks, Flow, Gray, TrackOptions, Tracks};
use crate::clip::Clip;
use crate::error::{Result, SegmoError};

#[derive(Clone, Debug, Default)]
pub struct TrackerConfig {
    pub flow: DisParams,
    pub tracks: TrackOptions,
}

/// The clip's frames as grey images.
pub fn grays(clip: &Clip) -> Vec<Gray> {
    (0..clip.len())
        .map(|t| Gray { width: clip.width as usize, height: clip.height as usize, data: clip.gray(t) })
        .collect()
}

/// Tracks of a clip. `progress(done, total)` is called after each frame pair's flow.
pub fn track_clip(clip: &Clip, cfg: &TrackerConfig, mut progress: impl FnMut(usize, usize)) -> Result<Tracks> {
    if clip.len() < 2 {
        return Err(SegmoError::BadInput(format!(
            "point tracking needs at least 2 frames, the clip has {}",
            clip.len()
        )));
    }
    let g = grays(clip);
    let mut dis = Dis::new(cfg.flow.clone());
    let pairs = g.len() - 1;
    let (mut fw, mut bw): (Vec<Flow>, Vec<Flow>) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    for (i, p) in g.windows(2).enumerate() {
        let (f, b) = dis.flow_pair(&p[0], &p[1]);
        fw.push(f);
        bw.push(b);
        progress(i + 1, pairs);
    }
    Ok(build_tracks(&g, &fw, &bw, &cfg.tracks)?)
}
