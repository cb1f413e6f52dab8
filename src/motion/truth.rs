//! Ground-truth labels of tracks from per-frame masks of the moving objects: a track is moving
//! when its visible points fall inside the mask in the majority of the frames where it is
//! visible (more robust to a point drifting across a boundary than the released rule, which
//! reads the mask at the query point only).

use crate::tracks::Tracks;

/// 1.0 for moving tracks, 0.0 for static ones. `masks[t]` is `width x height`, true = moving.
/// A track never visible (none are, after the tracker's selection) counts as static.
pub fn majority_labels(tracks: &Tracks, masks: &[Vec<bool>]) -> Vec<f32> {
    let (w, h) = (tracks.width, tracks.height);
    (0..tracks.n)
        .map(|j| {
            let (mut inside, mut seen) = (0usize, 0usize);
            for (t, mask) in masks.iter().enumerate().take(tracks.frames) {
                let s = t * tracks.n + j;
                if !tracks.visible[s] {
                    continue;
                }
                let [x, y] = tracks.xy[s];
                let (xi, yi) = (x.round(), y.round());
                seen += 1;
                if xi >= 0.0 && yi >= 0.0 && (xi as usize) < w && (yi as usize) < h && mask[yi as usize * w + xi as usize] {
                    inside += 1;
                }
            }
            (seen > 0 && 2 * inside > seen) as u8 as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_visible_frames_decides() {
        // 4x1 frame, mask covers x >= 2; one track, 3 frames.
        let masks = vec![vec![false, false, true, true]; 3];
        let mk = |xs: [f32; 3], vis: [bool; 3]| Tracks {
            frames: 3,
            n: 1,
            width: 4,
            height: 1,
            xy: xs.iter().map(|&x| [x, 0.0]).collect(),
            visible: vis.to_vec(),
            confidence: vec![1.0; 3],
            query_frame: vec![0],
        };
        assert_eq!(majority_labels(&mk([2.0, 3.0, 0.0], [true; 3]), &masks), vec![1.0]);
        assert_eq!(majority_labels(&mk([2.0, 0.0, 0.0], [true; 3]), &masks), vec![0.0]);
        // The frames where it is inside are hidden: static.
        assert_eq!(majority_labels(&mk([2.0, 3.0, 0.0], [false, false, true]), &masks), vec![0.0]);
        // Off the frame counts as outside.
        assert_eq!(majority_labels(&mk([9.0, 3.0, -1.0], [true; 3]), &masks), vec![0.0]);
    }
}
