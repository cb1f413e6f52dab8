//! The metrics applied to real synthetic clips: ground truth scores perfectly, trivial
//! predictors score as they must, and flow EPE agrees with the flow statistics.

use crate::common;

use common::{all, clip};
use segmo::tracks::{Flow, Tracks};
use segmo::eval::tapvid::{flow_epe, requery_first, tapvid_metrics, QueryMode};

/// Holds every track at its query position, predicted visible throughout.
fn still_prediction(gt: &Tracks) -> Tracks {
    let mut p = gt.clone();
    for j in 0..gt.n {
        let q = gt.xy[gt.query_frame[j] as usize * gt.n + j];
        for s in 0..gt.frames {
            p.xy[s * gt.n + j] = q;
            p.visible[s * gt.n + j] = true;
        }
    }
    p
}

#[test]
fn ground_truth_scores_one() {
    for c in all() {
        let gt = &c.tracks.tracks;
        for mode in [QueryMode::First, QueryMode::Strided] {
            let m = tapvid_metrics(gt, gt, mode);
            assert_eq!(
                (
                    m.average_jaccard,
                    m.average_pts_within_thresh,
                    m.occlusion_accuracy
                ),
                (1.0, 1.0, 1.0),
                "{}",
                c.name
            );
        }
        let (first, keep) = requery_first(gt);
        assert_eq!(keep.len(), gt.n, "every query is visible somewhere");
        for j in 0..first.n {
            let q = first.query_frame[j] as usize;
            assert!(
                first.visible[q * first.n + j] && (0..q).all(|s| !first.visible[s * first.n + j])
            );
        }
        assert_eq!(
            tapvid_metrics(&first, &first, QueryMode::First).average_jaccard,
            1.0
        );
    }
}

#[test]
fn standing_still_scores_badly_where_things_move() {
    let fast = tapvid_metrics(
        &clip("fast").tracks.tracks,
        &still_prediction(&clip("fast").tracks.tracks),
        QueryMode::Strided,
    );
    let affine = tapvid_metrics(
        &clip("affine").tracks.tracks,
        &still_prediction(&clip("affine").tracks.tracks),
        QueryMode::Strided,
    );
    assert!(
        fast.average_jaccard < 0.35,
        "fast AJ {}",
        fast.average_jaccard
    );
    assert!(
        fast.average_jaccard < affine.average_jaccard,
        "{} vs {}",
        fast.average_jaccard,
        affine.average_jaccard
    );
    // Everything predicted visible: occlusion accuracy is the visible fraction.
    let gt = &clip("fast").tracks.tracks;
    let evaluated: Vec<usize> = (0..gt.n)
        .flat_map(|j| {
            (0..gt.frames)
                .filter(move |&s| s != gt.query_frame[j] as usize)
                .map(move |s| s * gt.n + j)
        })
        .collect();
    let vis = evaluated.iter().filter(|&&k| gt.visible[k]).count() as f64 / evaluated.len() as f64;
    assert!((fast.occlusion_accuracy - vis).abs() < 1e-12);
}

#[test]
fn exact_offsets_on_a_real_clip() {
    // 3 px right at 256x256 on every non-query frame: within 4, 8, 16 only.
    let gt = &clip("occlusion").tracks.tracks;
    let mut p = gt.clone();
    for j in 0..gt.n {
        for s in 0..gt.frames {
            if s != gt.query_frame[j] as usize {
                p.xy[s * gt.n + j][0] += 3.0;
            }
        }
    }
    let m = tapvid_metrics(gt, &p, QueryMode::Strided);
    assert_eq!(m.pts_within, [0.0, 0.0, 1.0, 1.0, 1.0]);
    assert!((m.average_pts_within_thresh - 0.6).abs() < 1e-12);
    // Predicted visibility = GT, so jaccard_d is 0 below 3 px and 1 above.
    assert_eq!(m.jaccard, [0.0, 0.0, 1.0, 1.0, 1.0]);
}

#[test]
fn flow_epe_on_clips() {
    for c in all() {
        let zero = Flow {
            width: c.width,
            height: c.height,
            uv: vec![0.0; c.flow[0].uv.len()],
        };
        let mut sum = 0.0;
        for (f, o) in c.flow.iter().zip(&c.occluded) {
            let e = flow_epe(f, f, o);
            assert_eq!((e.all, e.non_occluded), (0.0, 0.0));
            assert_eq!(e.n_non_occluded, o.iter().filter(|&&x| !x).count());
            sum += flow_epe(&zero, f, o).all;
        }
        // EPE of a zero flow is the mean flow magnitude.
        let mean = sum / c.flow.len() as f64;
        assert!(
            (mean - c.stats().mean_motion).abs() < 1e-6 * (1.0 + mean),
            "{}: {mean} vs {}",
            c.name,
            c.stats().mean_motion
        );
    }
}
