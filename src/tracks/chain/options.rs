//! Tuning of the builder. Defaults follow Sundaram et al. (ECCV 2010) and the authors' released
//! tracker; the few constants of our own are marked "ours" with the reason.

use super::TrackError;

/// Thresholds of the reliability, texture and confidence tests.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Forward-backward consistency: a pixel is consistent when
    /// `|w + ŵ(x+w)|² < fb_rel * (|w|² + |ŵ(x+w)|²) + fb_abs`. Paper, eq. (5): 0.01 and 0.5
    /// px². The relative part lets fast motion have proportionally larger flow errors, the
    /// absolute part tolerates the ~0.5 px round-trip error of any sub-pixel flow.
    pub fb_rel: f32,
    pub fb_abs: f32,
    /// Motion boundary: a pixel is unreliable when
    /// `|∇u|² + |∇v|² > mb_rel * |w|² + mb_abs`, derivatives by central differences
    /// (`(f[x+1] - f[x-1]) / 2`, as the authors' code). Paper, eq. (6): 0.01 and 0.002. Flow
    /// estimators smear motion across object edges, so points there drift onto the wrong
    /// surface; stopping them costs little because the grid reseeds the area. Ours: 0.1 and
    /// 0.05. With DIS flow the paper's values flag every slightly rough patch of flow (rotation,
    /// zoom, variational ripples), and on the synthetic suite 70% of stops of still-visible
    /// points came from this test; 10x looser lifts TAP-Vid occlusion accuracy from 0.81 to
    /// 0.89 (seed 1; held-out seed 2: 0.78 to 0.86; with re-identification) and delta_avg by
    /// 0.02 (visible points follow the flow rather than the hidden-point rule), while true motion
    /// boundaries (gradient ~ speed² / 4 for a one-pixel-wide jump) still fail it.
    pub mb_rel: f32,
    pub mb_abs: f32,
    /// Gaussian σ (px) applied to the frame before its gradient (authors' code: 0.8), so that
    /// pixel noise does not pass for texture.
    pub presmooth_sigma: f32,
    /// Integration scale ρ (px) of the structure tensor (authors' code: 3).
    pub tensor_sigma: f32,
    /// A grid point is textured when the smaller structure-tensor eigenvalue λ₂ satisfies
    /// `λ₂ ≥ mean(λ₂) * (texture_rel + b)` and `λ₂ ≥ texture_abs * (1 + b)`, with
    /// `b = exp(-border_decay * d)` and `d` the distance (px) to the nearest image border.
    /// Authors' code: 0.1, 1.0 on 0..255 intensities (= 1/255² for segmo's [0,1] luma) and
    /// 0.1. The relative part adapts to the clip's contrast; the absolute part rejects
    /// sensor-noise-only areas of an all-flat frame; `b` suppresses points near the border,
    /// where the tensor window is truncated and points soon leave the image.
    pub texture_rel: f32,
    pub texture_abs: f32,
    pub border_decay: f32,
    /// Confidence is the probability that a point is within this many px of its true
    /// position (ours; see `follow`). 1 px: TAP-Vid's strictest threshold.
    pub confidence_radius: f32,
    /// Ours: each step's flow estimate is corrected by matching the point's 7x7 window at full
    /// resolution (`refine`), by at most this many px; 0 turns refinement off. 3 px (see
    /// `refine` for the measurements).
    pub refine_max_shift: f32,
    /// Ours: a hidden point that has moved more than this many px on its own extrapolated
    /// velocity (steps where the flow disagreed with it) since it was last visible is never
    /// re-identified. On DAVIS-2016 train most tracks that left the object had been hidden for
    /// 10-50 frames, extrapolated at the object's speed, and resumed 40-180 px off it on a
    /// background panning at that speed. 64 px: containment of tracks starting on the object
    /// 0.885 -> 0.931 (off it 0.979 -> 0.983), synthetic suite unchanged (delta_avg 0.847,
    /// occlusion accuracy 0.885 -> 0.884; seed 2 unchanged); 32 px: DAVIS 0.949 but suite
    /// occlusion accuracy 0.880 / 0.852 (its occlusion case 0.855 -> 0.814); 120 px (a
    /// quarter of the smaller side on DAVIS, 64 px on the 256 px suite): DAVIS 0.907.
    pub resume_max_blind: f32,
    /// Ours: the position reported for a hidden point (TAP-Vid scores positions wherever the
    /// true point is visible, whatever the predicted visibility) follows the flow at it while
    /// that flow agrees with its last motion by the forward-backward rule with these looser
    /// constants (rel 0.25: the direction may turn by up to ~30 degrees per frame; abs 4 px²),
    /// else keeps its last motion. It is kept apart from the position that re-identification
    /// uses, which stays on the strict rule: visibility, and so occlusion accuracy and the
    /// DAVIS containment of visible points, are unchanged. Synthetic suite delta_avg 0.847 ->
    /// 0.856 (held-out seed 2: 0.823 -> 0.836); rel 0.5: 0.858 / 0.838, but an occluder
    /// moving (3.5, -2) px/frame over a background moving (1, 0) then drags the hidden
    /// background points along (`translate::invisible_positions`: 51 px off); following the
    /// flow always: 0.855 (occlusion case 0.834 -> 0.820); rel 0.1, abs 0.5: 0.850. Using a
    /// loose rule for re-identification too lifted the suite as much but cost DAVIS 0.931 ->
    /// 0.906.
    pub guess_rel: f32,
    pub guess_abs: f32,
}

impl Thresholds {
    pub(crate) fn validate(&self) -> Result<(), TrackError> {
        let t = self;
        let all = [
            t.fb_rel,
            t.fb_abs,
            t.mb_rel,
            t.mb_abs,
            t.presmooth_sigma,
            t.tensor_sigma,
            t.texture_rel,
            t.texture_abs,
            t.border_decay,
            t.confidence_radius,
            t.refine_max_shift,
            t.resume_max_blind,
            t.guess_rel,
            t.guess_abs,
        ];
        if all.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(TrackError::BadOption(format!("thresholds must be finite and >= 0: {t:?}")));
        }
        Ok(())
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            fb_rel: 0.01,
            fb_abs: 0.5,
            mb_rel: 0.1,
            mb_abs: 0.05,
            presmooth_sigma: 0.8,
            tensor_sigma: 3.0,
            texture_rel: 0.1,
            texture_abs: 1.0 / (255.0 * 255.0),
            border_decay: 0.1,
            confidence_radius: 1.0,
            refine_max_shift: 3.0,
            resume_max_blind: 64.0,
            guess_rel: 0.25,
            guess_abs: 4.0,
        }
    }
}

/// What `build_tracks` seeds, follows and keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackOptions {
    /// Grid spacing s (px) of the seeds; `None` = [`default_grid_stride`].
    pub grid_stride: Option<usize>,
    /// Frames 0, k, 2k, ... are query frames (k = this); new points are seeded there in
    /// uncovered grid cells. 1 = every frame, like the paper; segmo's design uses 10.
    pub query_every: usize,
    /// Keep at most this many tracks (stratified sample, see `select`); `None` keeps all.
    /// segmo's design: 5000, the number of tracks the released model samples.
    pub max_tracks: Option<usize>,
    /// Seed of the sampler behind `max_tracks`; the same seed gives the same tracks.
    pub seed: u64,
    pub thresholds: Thresholds,
}

impl Default for TrackOptions {
    fn default() -> Self {
        Self {
            grid_stride: None,
            query_every: 10,
            max_tracks: Some(5000),
            seed: 0x5EE6_7AC5,
            thresholds: Thresholds::default(),
        }
    }
}

impl TrackOptions {
    pub(crate) fn validate(&self) -> Result<(), TrackError> {
        if self.grid_stride == Some(0) {
            return Err(TrackError::BadOption("grid_stride must be at least 1".into()));
        }
        if self.query_every == 0 {
            return Err(TrackError::BadOption("query_every must be at least 1".into()));
        }
        self.thresholds.validate()
    }
}

/// The released model's seed grid: `max(1, floor(sqrt(H*W / 9000)))` px, i.e. about 9000 grid
/// points per frame whatever the resolution (854x480 -> 6 px, 142x80 points).
pub fn default_grid_stride(width: usize, height: usize) -> usize {
    // Integer square root, so that no float rounding can move the boundary cases.
    let a = (width as u128 * height as u128) / 9000;
    let mut s = (a as f64).sqrt() as u128;
    while s * s > a {
        s -= 1;
    }
    while (s + 1) * (s + 1) <= a {
        s += 1;
    }
    (s as usize).max(1)
}
