//! Hand-computed cases: every expected number below is worked out in the comment beside it.

use super::*;

/// Tracks from per-track rows of (x, y, visible).
fn tracks(w: usize, h: usize, rows: &[Vec<(f32, f32, bool)>], query: &[u32]) -> Tracks {
    let n = rows.len();
    let t = rows[0].len();
    let mut tr = Tracks {
        frames: t,
        n,
        width: w,
        height: h,
        xy: vec![[0.0; 2]; t * n],
        visible: vec![false; t * n],
        confidence: vec![0.0; t * n],
        query_frame: query.to_vec(),
    };
    for (j, row) in rows.iter().enumerate() {
        for (s, &(x, y, v)) in row.iter().enumerate() {
            tr.xy[s * n + j] = [x, y];
            tr.visible[s * n + j] = v;
            tr.confidence[s * n + j] = v as u8 as f32;
        }
    }
    tr
}

fn shifted(tr: &Tracks, dx: f32, dy: f32) -> Tracks {
    Tracks {
        xy: tr.xy.iter().map(|p| [p[0] + dx, p[1] + dy]).collect(),
        ..tr.clone()
    }
}

fn gt_basic(w: usize, h: usize) -> Tracks {
    // Two tracks over 4 frames; track 1 hidden in frame 2.
    let a = (0..4).map(|s| (10.0 + s as f32, 20.0, true)).collect();
    let b = (0..4).map(|s| (50.0, 30.0 - s as f32, s != 2)).collect();
    tracks(w, h, &[a, b], &[0, 1])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn perfect_prediction_scores_one() {
    let gt = gt_basic(256, 256);
    for mode in [QueryMode::First, QueryMode::Strided] {
        let m = tapvid_metrics(&gt, &gt, mode);
        assert_eq!(m.occlusion_accuracy, 1.0);
        assert_eq!(m.pts_within, [1.0; 5]);
        assert_eq!(m.jaccard, [1.0; 5]);
        assert_eq!((m.average_jaccard, m.average_pts_within_thresh), (1.0, 1.0));
    }
}

#[test]
fn three_pixels_off_at_256() {
    // 3 px: within 4, 8, 16 (9 < 16), not 1 or 2. Every evaluated visible entry is off and
    // predicted visible, so for d in {1, 2}: TP 0, FP = all visible entries -> jaccard 0;
    // for d >= 4: TP = visible, FP 0 -> 1. Both averages: 3/5.
    let gt = gt_basic(256, 256);
    let m = tapvid_metrics(&gt, &shifted(&gt, 3.0, 0.0), QueryMode::Strided);
    assert_eq!(m.pts_within, [0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(m.jaccard, [0.0, 0.0, 1.0, 1.0, 1.0]);
    assert!(close(m.average_pts_within_thresh, 0.6) && close(m.average_jaccard, 0.6));
    // Strided: all frames but the query frame: 2 tracks x 3 frames = 6 entries, of which the
    // hidden frame of track 1 is one: 5 visible.
    assert_eq!((m.evaluated, m.evaluated_visible), (6, 5));
}

#[test]
fn distances_are_measured_at_256_scale() {
    // On a 512x128 frame, (6, 1.5) px is (3, 3) at 256x256: d^2 = 18, within 8 and 16 only.
    let gt = gt_basic(512, 128);
    let m = tapvid_metrics(&gt, &shifted(&gt, 6.0, 1.5), QueryMode::First);
    assert_eq!(m.pts_within, [0.0, 0.0, 0.0, 1.0, 1.0]);
    assert!(close(m.average_pts_within_thresh, 0.4));
    // The same native offset on a 256x256 frame is 6.2 px: within 8 and 16 too, but 1.5 px
    // on a 128-high frame alone is 3 px: within 4.
    let m = tapvid_metrics(&gt, &shifted(&gt, 0.0, 1.5), QueryMode::First);
    assert_eq!(m.pts_within, [0.0, 0.0, 1.0, 1.0, 1.0]);
}

#[test]
fn threshold_is_strict() {
    // Exactly 4 px away is not within 4 (the reference uses d^2 < thr^2).
    let gt = gt_basic(256, 256);
    let m = tapvid_metrics(&gt, &shifted(&gt, 4.0, 0.0), QueryMode::Strided);
    assert_eq!(m.pts_within, [0.0, 0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn occlusion_flips() {
    // One track, 5 frames, query 0, GT hidden in frame 2. The prediction has exact positions
    // but says visible in frame 2 and hidden in frame 3.
    // First mode evaluates frames 1..=4. Occlusion: right in 1 and 4, wrong in 2 and 3 -> 0.5.
    // GT-visible evaluated: frames 1, 3, 4; all exactly placed -> pts_within 1.
    // TP (visible, predicted visible, close): frames 1, 4 = 2. FP: frame 2 (predicted visible
    // where GT is hidden) = 1. Jaccard = 2 / (3 + 1) = 0.5 at every threshold.
    let gt_row: Vec<_> = (0..5).map(|s| (100.0, 100.0, s != 2)).collect();
    let pred_row: Vec<_> = (0..5).map(|s| (100.0, 100.0, s != 3)).collect();
    let gt = tracks(256, 256, &[gt_row], &[0]);
    let pred = tracks(256, 256, &[pred_row], &[0]);
    let m = tapvid_metrics(&gt, &pred, QueryMode::First);
    assert_eq!(m.occlusion_accuracy, 0.5);
    assert_eq!(m.pts_within, [1.0; 5]);
    assert_eq!(m.jaccard, [0.5; 5]);
    assert_eq!(m.average_jaccard, 0.5);
}

#[test]
fn predicting_everything_hidden() {
    // Exact positions but all predicted hidden: no TP, no FP -> jaccard 0; pts_within ignores
    // the occlusion prediction -> 1. Occlusion accuracy: in gt_basic strided, 1 of 6 entries
    // is hidden -> 1/6.
    let gt = gt_basic(256, 256);
    let pred = Tracks {
        visible: vec![false; gt.visible.len()],
        ..gt.clone()
    };
    let m = tapvid_metrics(&gt, &pred, QueryMode::Strided);
    assert_eq!(m.jaccard, [0.0; 5]);
    assert_eq!(m.pts_within, [1.0; 5]);
    assert!(close(m.occlusion_accuracy, 1.0 / 6.0));
}

#[test]
fn query_modes_choose_frames() {
    // Query at frame 2 of 5; the prediction is 100 px off in frame 0 only.
    // First: frames 3, 4 -> everything right. Strided: frames 0, 1, 3, 4 -> 3/4 within;
    // jaccard = TP 3 / (4 visible + 1 FP) = 0.6.
    let row: Vec<_> = (0..5).map(|s| (40.0 + s as f32, 60.0, true)).collect();
    let gt = tracks(256, 256, std::slice::from_ref(&row), &[2]);
    let mut prow = row;
    prow[0].0 += 100.0;
    let pred = tracks(256, 256, &[prow], &[2]);
    let first = tapvid_metrics(&gt, &pred, QueryMode::First);
    assert_eq!((first.pts_within, first.evaluated), ([1.0; 5], 2));
    let strided = tapvid_metrics(&gt, &pred, QueryMode::Strided);
    assert_eq!((strided.pts_within, strided.evaluated), ([0.75; 5], 4));
    assert!(
        strided.jaccard.iter().all(|&j| close(j, 0.6)),
        "{:?}",
        strided.jaccard
    );
    // Errors on the query frame itself never count.
    let mut qrow: Vec<_> = (0..5).map(|s| (40.0 + s as f32, 60.0, true)).collect();
    qrow[2].0 += 100.0;
    let m = tapvid_metrics(&gt, &tracks(256, 256, &[qrow], &[2]), QueryMode::Strided);
    assert_eq!(m.average_jaccard, 1.0);
}

#[test]
fn nothing_visible_is_nan() {
    let row: Vec<_> = (0..3).map(|s| (1.0, 1.0, s == 0)).collect();
    let gt = tracks(256, 256, &[row], &[0]);
    let m = tapvid_metrics(&gt, &gt, QueryMode::First);
    assert!(m.pts_within[0].is_nan() && m.average_pts_within_thresh.is_nan());
    assert_eq!(m.occlusion_accuracy, 1.0);
    // Nothing visible, but a false positive: jaccard 0 / (0 + 2) = 0.
    let pred = Tracks {
        visible: vec![true; 3],
        ..gt.clone()
    };
    assert_eq!(
        tapvid_metrics(&gt, &pred, QueryMode::First).jaccard,
        [0.0; 5]
    );
}

#[test]
fn benchmark_mean_is_per_video_mean() {
    let gt = gt_basic(256, 256);
    let a = tapvid_metrics(&gt, &gt, QueryMode::Strided);
    let b = tapvid_metrics(&gt, &shifted(&gt, 3.0, 0.0), QueryMode::Strided);
    let m = mean(&[a, b]);
    assert!(close(m.average_jaccard, 0.8) && close(m.pts_within[0], 0.5));
}

#[test]
fn requery_first_moves_queries_and_drops_invisible() {
    let t0: Vec<_> = [false, false, true, false, true]
        .iter()
        .map(|&v| (0.0, 0.0, v))
        .collect();
    let t1: Vec<_> = [false; 5].iter().map(|&v| (0.0, 0.0, v)).collect();
    let t2: Vec<_> = [true; 5].iter().map(|&v| (5.0, 5.0, v)).collect();
    let gt = tracks(64, 64, &[t0, t1, t2], &[4, 3, 3]);
    let (r, keep) = requery_first(&gt);
    assert_eq!(keep, vec![0, 2]);
    assert_eq!(r.query_frame, vec![2, 0]);
    assert_eq!(r.n, 2);
    assert_eq!(r.xy[2 * 4 + 1], [5.0, 5.0]); // frame 4, new track 1 = old track 2
    assert!(r.visible[2 * 2]); // frame 2, new track 0
}
