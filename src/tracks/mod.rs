//! Stage 1: long-range point tracks. A grid of points followed through the whole clip by
//! chaining dense optical flow (Sundaram, Brox & Keutzer, ECCV 2010): `chain` turns per-pair
//! forward and backward flows into [`Tracks`]. Learned trackers (the released model's
//! BootsTAPIR, CoTracker) produce the same type, so they can be swapped in.

pub mod chain;
pub mod dis;
pub mod export;
pub mod pipeline;
pub mod quality;

pub use pipeline::{track_clip, track_clip_async, TrackerConfig};
#[cfg(not(target_family = "wasm"))]
pub use pipeline::track_clip_on;
pub use chain::{build_tracks, follow_queries, reliability, Reliability, TrackError, TrackOptions};

/// One grey image, row-major, luma in [0,1] (BT.601 weights, as `Clip::gray` returns).
#[derive(Clone, Debug, PartialEq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

/// Dense optical flow from frame a to frame b: pixel centre (x, y) of a (integer coordinates)
/// moves to (x + u, y + v) in b. Interleaved: `uv[2*(y*width+x)]` = u, `+1` = v.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub width: usize,
    pub height: usize,
    pub uv: Vec<f32>,
}

/// Long-range point tracks over a clip of `frames` frames, the stage's output. Index
/// (frame i, track j) is `i * n + j`; pixel coordinates with pixel centres at integers.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracks {
    pub frames: usize,
    pub n: usize,
    pub width: usize,
    pub height: usize,
    /// Position, also filled by best effort where the point is hidden.
    pub xy: Vec<[f32; 2]>,
    pub visible: Vec<bool>,
    /// In [0,1]; 0 where hidden.
    pub confidence: Vec<f32>,
    /// The frame each point was seeded in (visible there).
    pub query_frame: Vec<u32>,
}

impl Tracks {
    /// Tracks visible with full confidence in every frame (synthetic scenes for tests and
    /// checks); `xy` frame-major, `n = xy.len() / frames`.
    pub fn all_visible(width: usize, height: usize, frames: usize, xy: Vec<[f32; 2]>, query_frame: Vec<u32>) -> Self {
        let n = query_frame.len();
        assert_eq!(xy.len(), frames * n, "xy must hold frames x tracks points");
        Self { frames, n, width, height, xy, visible: vec![true; frames * n], confidence: vec![1.0; frames * n], query_frame }
    }
}
