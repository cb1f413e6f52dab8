//! Tracker quality against exact ground truth: each synthetic suite case (`synth::suite`) is
//! tracked from its TAP-Vid style queries with a given flow method and scored with the TAP-Vid
//! metrics (strided: every frame but the query frame, both directions, since our tracks run
//! forward and backward from the query) and the flow end-point error of every frame pair.
//!
//! The flow method is a parameter so the CPU path, a GPU path and an outside reference (OpenCV,
//! through flows read from disk) are scored by one piece of code.

use super::chain::{follow_queries, reliability};
use super::{Flow, Gray, TrackError, Tracks};
use crate::eval::tapvid::{flow_epe, tapvid_metrics, QueryMode, TapVidMetrics};
use crate::synth::SynthClip;

/// One case's scores.
#[derive(Clone, Debug)]
pub struct CaseScore {
    pub name: String,
    pub tapvid: TapVidMetrics,
    /// Mean over frame pairs of the forward flow's end-point error on pixels that stay
    /// visible, and over all pixels.
    pub epe_noc: f64,
    pub epe_all: f64,
}

/// The grey frames of a synthetic clip.
pub fn grays(clip: &SynthClip) -> Vec<Gray> {
    (0..clip.frames.len())
        .map(|t| Gray { width: clip.width, height: clip.height, data: clip.gray(t) })
        .collect()
}

/// Scores given forward (`fw[t]`: t -> t+1) and backward (`bw[t]`: t+1 -> t) flows of a case,
/// chained by the CPU trajectory builder.
pub fn score_flows(clip: &SynthClip, fw: &[Flow], bw: &[Flow]) -> Result<CaseScore, TrackError> {
    let rel = fw.iter().zip(bw).map(|(f, b)| reliability(f, b)).collect::<Result<Vec<_>, _>>()?;
    let pred = follow_queries(&grays(clip), fw, bw, &rel, &queries(clip))?;
    Ok(score_tracks(clip, fw, &pred))
}

/// The case's TAP-Vid queries `[x, y, t]`, one per ground-truth track.
pub fn queries(clip: &SynthClip) -> Vec<[f32; 3]> {
    let gt = &clip.tracks.tracks;
    (0..gt.n)
        .map(|j| {
            let q = gt.query_frame[j] as usize;
            let [x, y] = gt.xy[q * gt.n + j];
            [x, y, q as f32]
        })
        .collect()
}

/// Scores tracks `pred` of the case's [`queries`] (track j = query j) and the forward flows
/// `fw` they came from.
pub fn score_tracks(clip: &SynthClip, fw: &[Flow], pred: &Tracks) -> CaseScore {
    let tapvid = tapvid_metrics(&clip.tracks.tracks, pred, QueryMode::Strided);
    let pairs = fw.len().max(1) as f64;
    let (mut noc, mut all) = (0.0, 0.0);
    for (t, f) in fw.iter().enumerate() {
        let e = flow_epe(f, &clip.flow[t], &clip.occluded[t]);
        // A pair with no visible pixel would make the mean NaN; it carries no information.
        if e.non_occluded.is_finite() {
            noc += e.non_occluded;
        }
        all += e.all;
    }
    CaseScore { name: clip.name.clone(), tapvid, epe_noc: noc / pairs, epe_all: all / pairs }
}

/// Computes each pair's flows with `flow_pair(a, b) -> (a->b, b->a)` and scores them.
pub fn score_case(
    clip: &SynthClip,
    mut flow_pair: impl FnMut(&Gray, &Gray) -> (Flow, Flow),
) -> Result<CaseScore, TrackError> {
    let g = grays(clip);
    let (fw, bw): (Vec<Flow>, Vec<Flow>) = g.windows(2).map(|p| flow_pair(&p[0], &p[1])).unzip();
    score_flows(clip, &fw, &bw)
}

/// Plain means over cases (a benchmark's number, as TAP-Vid averages per video).
pub fn mean(scores: &[CaseScore]) -> (f64, f64, f64, f64) {
    let n = scores.len().max(1) as f64;
    let sum = |f: &dyn Fn(&CaseScore) -> f64| scores.iter().map(f).sum::<f64>() / n;
    (
        sum(&|s| s.tapvid.average_pts_within_thresh),
        sum(&|s| s.tapvid.occlusion_accuracy),
        sum(&|s| s.tapvid.average_jaccard),
        sum(&|s| s.epe_noc),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{case, SynthConfig};

    fn small() -> SynthClip {
        let cfg = SynthConfig { width: 96, height: 80, frames: 8, n_tracks: 64, noise: 1.0 };
        case("occlusion", 3, &cfg).unwrap()
    }

    /// Exact flows must give (near) perfect positions: what is left is the trajectory
    /// builder's own error (occlusion decisions, bilinear sampling across layer edges).
    #[test]
    fn ground_truth_flow_scores_high() {
        let clip = small();
        let bw = gt_backward(&clip);
        let s = score_flows(&clip, &clip.flow, &bw).unwrap();
        assert!(s.epe_all < 1e-6, "EPE of GT flow {}", s.epe_all);
        assert!(s.tapvid.average_pts_within_thresh > 0.9, "{:?}", s.tapvid);
    }

    /// Zero flow on a moving scene must score badly: the harness can fail.
    #[test]
    fn zero_flow_scores_low() {
        let clip = small();
        let s = score_case(&clip, |a, _| {
            let z = Flow { width: a.width, height: a.height, uv: vec![0.0; 2 * a.width * a.height] };
            (z.clone(), z)
        })
        .unwrap();
        let gt = score_flows(&clip, &clip.flow, &gt_backward(&clip)).unwrap();
        assert!(s.epe_noc > 0.2, "zero flow EPE {}", s.epe_noc);
        eprintln!("zero {:?}\ngt {:?}", s.tapvid, gt.tapvid);
        assert!(
            s.tapvid.average_pts_within_thresh < gt.tapvid.average_pts_within_thresh - 0.1,
            "zero {:?} vs gt {:?}",
            s.tapvid,
            gt.tapvid
        );
    }

    /// Backward GT flow from the scene's homographies is not stored; invert the forward flow
    /// by splatting it to the nearest target pixel (enough for a harness test).
    fn gt_backward(clip: &SynthClip) -> Vec<Flow> {
        let (w, h) = (clip.width, clip.height);
        clip.flow
            .iter()
            .zip(&clip.occluded)
            .map(|(f, occ)| {
                let mut uv = vec![f32::NAN; 2 * w * h];
                for y in 0..h {
                    for x in 0..w {
                        let i = y * w + x;
                        if occ[i] {
                            continue;
                        }
                        let (tx, ty) = ((x as f32 + f.uv[2 * i]).round(), (y as f32 + f.uv[2 * i + 1]).round());
                        if tx >= 0.0 && ty >= 0.0 && (tx as usize) < w && (ty as usize) < h {
                            let k = ty as usize * w + tx as usize;
                            uv[2 * k] = -f.uv[2 * i];
                            uv[2 * k + 1] = -f.uv[2 * i + 1];
                        }
                    }
                }
                // Holes take the mean flow: they are the newly uncovered pixels.
                let fill = [0, 1].map(|c| {
                    let v: Vec<f32> = uv.iter().skip(c).step_by(2).copied().filter(|v| v.is_finite()).collect();
                    v.iter().sum::<f32>() / v.len().max(1) as f32
                });
                for (i, v) in uv.iter_mut().enumerate() {
                    if !v.is_finite() {
                        *v = fill[i % 2];
                    }
                }
                Flow { width: w, height: h, uv }
            })
            .collect()
    }
}
