//! The whole frame rotating about its centre: curved trajectories, points leaving at the
//! edges, and new ones entering at the corners (seeded at later query frames, followed back).

use super::scene::{dist, inside, RotScene};
use super::{at, check_shape, exact};
use crate::tracks::Tracks;
use crate::tracks::chain::{build_tracks, follow_queries_with, reliability, TrackOptions};

fn scene() -> RotScene {
    RotScene { w: 161, h: 121, frames: 41, theta: 1.5f64.to_radians() }
}

fn tracks(sc: &RotScene, query_every: usize) -> Tracks {
    let clip = sc.clip();
    let o = TrackOptions { grid_stride: Some(4), query_every, max_tracks: None, thresholds: exact(), ..Default::default() };
    let tr = build_tracks(&clip.frames, &clip.fw, &clip.bw, &o).unwrap();
    check_shape(&tr);
    tr
}

/// Visible iff every position from the query frame to t (either way) is inside the image.
fn expected_visible(sc: &RotScene, q: usize, s: [f64; 2], t: usize) -> bool {
    let range: Vec<usize> = if t >= q { (q..=t).collect() } else { (t..=q).collect() };
    range.iter().all(|&k| inside(sc.truth(q, s[0], s[1], k), sc.w, sc.h))
}

fn check_all(sc: &RotScene, tr: &Tracks) -> (f64, usize) {
    let (mut worst, mut wrong_vis) = (0.0f64, 0);
    for j in 0..tr.n {
        let q = tr.query_frame[j] as usize;
        let p = at(tr, q, j).0;
        let s = [p[0] as f64, p[1] as f64];
        for t in 0..tr.frames {
            let (p, vis, _) = at(tr, t, j);
            if vis != expected_visible(sc, q, s, t) {
                wrong_vis += 1;
            }
            if vis {
                worst = worst.max(dist(p, sc.truth(q, s[0], s[1], t)));
            }
        }
    }
    (worst, wrong_vis)
}

#[test]
fn curved_tracks_stay_subpixel_accurate_over_40_frames() {
    let sc = scene();
    let tr = tracks(&sc, 10);
    let (worst, wrong_vis) = check_all(&sc, &tr);
    assert!(worst < 0.05, "worst error {worst} px");
    assert_eq!(wrong_vis, 0, "visibility differs from 'inside the image' at {wrong_vis} point-frames");
    // Tracks spanning all 41 frames turn through 60 degrees.
    let full = (0..tr.n).filter(|&j| (0..tr.frames).all(|t| at(&tr, t, j).1)).count();
    assert!(full > 300, "only {full} tracks span the clip");
}

#[test]
fn later_seeds_are_followed_back_in_time() {
    let sc = scene();
    let tr = tracks(&sc, 10);
    // Corners rotate into view, uncovered: seeded at frames 10, 20, 30, 40 and visible before.
    let late: Vec<usize> = (0..tr.n).filter(|&j| tr.query_frame[j] > 0).collect();
    let with_past =
        late.iter().filter(|&&j| (0..tr.query_frame[j] as usize).any(|t| at(&tr, t, j).1)).count();
    assert!(late.len() > 20, "only {} later seeds", late.len());
    assert!(with_past > 20, "only {with_past} later seeds are visible before their query frame");
    // Their backward positions are checked by check_all in the test above; here also that a
    // query at the last frame is followed back only.
    assert!((0..tr.n).any(|j| tr.query_frame[j] == 40 && at(&tr, 30, j).1));
}

#[test]
fn follow_queries_matches_the_rotation_from_any_frame() {
    let sc = scene();
    let clip = sc.clip();
    let rel: Vec<_> = clip.fw.iter().zip(&clip.bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let queries = vec![
        [80.0, 60.0, 0.0],
        [95.3, 70.7, 13.0],
        [60.25, 41.5, 40.0],
        [100.0, 60.0, 25.0],
        [3.0, 3.0, 20.0],
    ];
    let tr = follow_queries_with(&clip.frames, &clip.fw, &clip.bw, &rel, &queries, &exact()).unwrap();
    check_shape(&tr);
    assert_eq!(tr.n, queries.len());
    assert_eq!(tr.query_frame, vec![0, 13, 40, 25, 20]);
    for (j, q) in queries.iter().enumerate() {
        let s = [q[0] as f64, q[1] as f64];
        for t in 0..tr.frames {
            let (p, vis, conf) = at(&tr, t, j);
            assert_eq!(vis, expected_visible(&sc, q[2] as usize, s, t), "query {j} frame {t}");
            if vis {
                let e = dist(p, sc.truth(q[2] as usize, s[0], s[1], t));
                assert!(e < 0.05, "query {j} frame {t}: error {e}");
                assert!(conf > 0.999);
            }
        }
    }
    // The corner query leaves the image within a few frames either way.
    assert!(!at(&tr, 0, 4).1 && !at(&tr, 40, 4).1);
    // The central ones are visible throughout.
    assert!((0..tr.frames).all(|t| at(&tr, t, 0).1 && at(&tr, t, 1).1));
}
