//! TAP-Vid point-tracking metrics (Doersch et al., "TAP-Vid: A Benchmark for Tracking Any
//! Point in a Video", NeurIPS 2022), computed as deepmind/tapnet's
//! `evaluation_datasets.compute_tapvid_metrics` does for one video:
//!
//! - positions are compared after scaling both to a 256x256 frame;
//! - thresholds 1, 2, 4, 8, 16 px, a point being within when its squared distance is
//!   strictly below the squared threshold;
//! - evaluated entries: in "first" mode the frames after each track's query frame, in
//!   "strided" mode every frame except the query frame;
//! - occlusion accuracy: fraction of evaluated entries whose predicted occlusion equals GT;
//! - pts_within_d (delta^d): among evaluated GT-visible entries, the fraction within d,
//!   whatever the predicted occlusion; delta_avg (`average_pts_within_thresh`) is their mean;
//! - jaccard_d: TP / (GT-visible + FP), TP = evaluated, GT-visible, predicted visible and
//!   within d; FP = evaluated, predicted visible and (GT-occluded or not within d);
//!   `average_jaccard` (AJ) is the mean over thresholds.
//!
//! A benchmark's number is the plain mean of per-video metrics (`mean`). Empty denominators
//! give NaN, as numpy's 0/0 does in the reference.

pub mod epe;

pub use epe::{flow_epe, Epe};

use crate::tracks::Tracks;

pub const THRESHOLDS: [f64; 5] = [1.0, 2.0, 4.0, 8.0, 16.0];

/// Side of the square frame TAP-Vid measures distances in.
pub const EVAL_SIZE: f64 = 256.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryMode {
    /// Only frames after the query frame count (TAP-Vid "query_first": queries are each
    /// track's first visible point, see `requery_first`).
    First,
    /// Every frame but the query frame counts (TAP-Vid "strided").
    Strided,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TapVidMetrics {
    pub occlusion_accuracy: f64,
    /// pts_within_{1,2,4,8,16}.
    pub pts_within: [f64; 5],
    /// jaccard_{1,2,4,8,16}.
    pub jaccard: [f64; 5],
    /// delta^x_avg: mean of `pts_within`.
    pub average_pts_within_thresh: f64,
    /// AJ: mean of `jaccard`.
    pub average_jaccard: f64,
    /// Entries evaluated (track x frame).
    pub evaluated: usize,
    /// Of those, GT-visible.
    pub evaluated_visible: usize,
}

/// Metrics of `pred` against `gt` for one video. Uses gt's query frames, gt.visible as
/// "not occluded" and pred.visible as "predicted not occluded"; pred.confidence is ignored,
/// as in the reference. Panics if the two disagree in shape.
pub fn tapvid_metrics(gt: &Tracks, pred: &Tracks, mode: QueryMode) -> TapVidMetrics {
    assert_eq!(
        (gt.frames, gt.n),
        (pred.frames, pred.n),
        "track arrays differ in shape"
    );
    assert_eq!(
        (gt.width, gt.height),
        (pred.width, pred.height),
        "tracks are for different frame sizes"
    );
    assert_eq!(gt.query_frame.len(), gt.n);
    let (sx, sy) = (EVAL_SIZE / gt.width as f64, EVAL_SIZE / gt.height as f64);
    let (t, n) = (gt.frames, gt.n);
    let mut evaluated = 0usize;
    let mut occ_correct = 0usize;
    let mut gt_visible = 0usize;
    let mut within = [0usize; 5];
    let mut true_pos = [0usize; 5];
    let mut false_pos = [0usize; 5];
    for j in 0..n {
        let q = gt.query_frame[j] as usize;
        for s in 0..t {
            let eval = match mode {
                QueryMode::First => s > q,
                QueryMode::Strided => s != q,
            };
            if !eval {
                continue;
            }
            let k = s * n + j;
            evaluated += 1;
            let (vis, pvis) = (gt.visible[k], pred.visible[k]);
            if vis == pvis {
                occ_correct += 1;
            }
            if vis {
                gt_visible += 1;
            }
            // f64 before scaling, so the comparison with thr^2 is the same for every target.
            let dx = (pred.xy[k][0] as f64 - gt.xy[k][0] as f64) * sx;
            let dy = (pred.xy[k][1] as f64 - gt.xy[k][1] as f64) * sy;
            let d2 = dx * dx + dy * dy;
            for (i, thr) in THRESHOLDS.iter().enumerate() {
                // A NaN prediction is never within any threshold.
                let close = d2 < thr * thr;
                if close && vis {
                    within[i] += 1;
                    if pvis {
                        true_pos[i] += 1;
                    }
                }
                if pvis && (!vis || !close) {
                    false_pos[i] += 1;
                }
            }
        }
    }
    let div = |a: usize, b: usize| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    let pts_within = std::array::from_fn(|i| div(within[i], gt_visible));
    let jaccard = std::array::from_fn(|i| div(true_pos[i], gt_visible + false_pos[i]));
    TapVidMetrics {
        occlusion_accuracy: div(occ_correct, evaluated),
        pts_within,
        jaccard,
        average_pts_within_thresh: pts_within.iter().sum::<f64>() / 5.0,
        average_jaccard: jaccard.iter().sum::<f64>() / 5.0,
        evaluated,
        evaluated_visible: gt_visible,
    }
}

/// Benchmark number: the plain mean over videos, field by field (NaNs propagate, as
/// `np.mean` would).
pub fn mean(per_video: &[TapVidMetrics]) -> TapVidMetrics {
    let k = per_video.len() as f64;
    let avg = |f: &dyn Fn(&TapVidMetrics) -> f64| per_video.iter().map(f).sum::<f64>() / k;
    TapVidMetrics {
        occlusion_accuracy: avg(&|m| m.occlusion_accuracy),
        pts_within: std::array::from_fn(|i| avg(&|m| m.pts_within[i])),
        jaccard: std::array::from_fn(|i| avg(&|m| m.jaccard[i])),
        average_pts_within_thresh: avg(&|m| m.average_pts_within_thresh),
        average_jaccard: avg(&|m| m.average_jaccard),
        evaluated: per_video.iter().map(|m| m.evaluated).sum(),
        evaluated_visible: per_video.iter().map(|m| m.evaluated_visible).sum(),
    }
}

/// TAP-Vid's "query_first" sampling: each track's query moves to its first visible frame, and
/// tracks never visible are dropped. Returns the new tracks and, per kept track, its index
/// in the input (to re-index a tracker's output or per-track labels).
pub fn requery_first(gt: &Tracks) -> (Tracks, Vec<usize>) {
    let (t, n) = (gt.frames, gt.n);
    let mut keep = Vec::new();
    let mut first = Vec::new();
    for j in 0..n {
        if let Some(s) = (0..t).find(|&s| gt.visible[s * n + j]) {
            keep.push(j);
            first.push(s as u32);
        }
    }
    (select_tracks(gt, &keep, Some(first)), keep)
}

/// The tracks listed in `keep`, in that order (optionally with new query frames).
pub fn select_tracks(tr: &Tracks, keep: &[usize], query_frame: Option<Vec<u32>>) -> Tracks {
    let (t, n, m) = (tr.frames, tr.n, keep.len());
    let idx: Vec<usize> = (0..t)
        .flat_map(|s| keep.iter().map(move |&j| s * n + j))
        .collect();
    Tracks {
        frames: t,
        n: m,
        width: tr.width,
        height: tr.height,
        xy: idx.iter().map(|&k| tr.xy[k]).collect(),
        visible: idx.iter().map(|&k| tr.visible[k]).collect(),
        confidence: idx.iter().map(|&k| tr.confidence[k]).collect(),
        query_frame: query_frame
            .unwrap_or_else(|| keep.iter().map(|&j| tr.query_frame[j]).collect()),
    }
}

#[cfg(test)]
mod tests;
