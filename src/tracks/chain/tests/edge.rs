//! Options, input errors, tiny and odd images, non-finite flow, selection, confidence.

use super::scene::{flow, tex_a, RectScene};
use super::{at, check_shape, exact, flat};
use crate::tracks::{Flow, Gray, Tracks};
use crate::tracks::chain::{
    build_tracks, default_grid_stride, follow_queries, follow_queries_with, reliability, TrackError, TrackOptions, UNRELIABLE,
};

fn all(stride: usize, query_every: usize) -> TrackOptions {
    TrackOptions { grid_stride: Some(stride), query_every, max_tracks: None, thresholds: exact(), ..Default::default() }
}

fn uniform(w: usize, h: usize, v: [f64; 2]) -> Flow {
    flow(w, h, |_, _| v)
}

fn textured(w: usize, h: usize, shift: f64) -> Gray {
    let data = (0..w * h).map(|i| tex_a((i % w) as f64 - shift, (i / w) as f64) as f32).collect();
    Gray { width: w, height: h, data }
}

/// T frames of a texture panning by (1, 0) per frame, with exact flows.
fn pan(w: usize, h: usize, t: usize) -> (Vec<Gray>, Vec<Flow>, Vec<Flow>) {
    let frames = (0..t).map(|k| textured(w, h, k as f64)).collect();
    let fw = (1..t).map(|_| uniform(w, h, [1.0, 0.0])).collect();
    let bw = (1..t).map(|_| uniform(w, h, [-1.0, 0.0])).collect();
    (frames, fw, bw)
}

#[test]
fn grid_stride_formula() {
    // floor(sqrt(H*W/9000)), at least 1.
    for (w, h, s) in [
        (854, 480, 6),
        (320, 192, 2),
        (1920, 1080, 15),
        (100, 90, 1),
        (1, 1, 1),
        (300, 300, 3),
        (3000, 3000, 31),
        (95, 947, 3),
    ] {
        assert_eq!(default_grid_stride(w, h), s, "{w}x{h}");
    }
    // Exactly at a square: 9000 * 16 = 144000 -> 4; one pixel less -> 3.
    assert_eq!(default_grid_stride(144_000, 1), 4);
    assert_eq!(default_grid_stride(143_999, 1), 3);
}

#[test]
fn default_grid_gives_about_9000_points() {
    let g = crate::tracks::chain::seed::Grid::new(854, 480, default_grid_stride(854, 480));
    assert_eq!((g.nx, g.ny), (142, 80));
    assert_eq!(g.point(0, 0), (3, 3));
    let g = crate::tracks::chain::seed::Grid::new(2, 3, 5);
    assert_eq!((g.nx, g.ny), (0, 1));
    let g = crate::tracks::chain::seed::Grid::new(1, 1, 1);
    assert_eq!((g.nx, g.ny, g.point(0, 0)), (1, 1, (0, 0)));
}

#[test]
fn input_errors_are_typed() {
    let (frames, fw, bw) = pan(20, 10, 4);
    let o = all(2, 10);
    let err = |f: &[Gray], a: &[Flow], b: &[Flow]| build_tracks(f, a, b, &o).unwrap_err();
    assert_eq!(err(&[], &[], &[]), TrackError::TooFewFrames { frames: 0 });
    assert_eq!(err(&frames[..1], &[], &[]), TrackError::TooFewFrames { frames: 1 });
    assert!(matches!(
        err(&frames, &fw[..2], &bw),
        TrackError::CountMismatch { what: "forward flows", expected: 3, got: 2 }
    ));
    assert!(matches!(err(&frames, &fw, &bw[..1]), TrackError::CountMismatch { what: "backward flows", .. }));
    let mut odd = frames.clone();
    odd[2] = textured(21, 10, 0.0);
    assert!(matches!(err(&odd, &fw, &bw), TrackError::SizeMismatch { .. }));
    let mut short = frames.clone();
    short[1].data.pop();
    assert!(matches!(err(&short, &fw, &bw), TrackError::BadLength { .. }));
    let mut small = fw.clone();
    small[1] = uniform(20, 9, [1.0, 0.0]);
    assert!(matches!(err(&frames, &small, &bw), TrackError::SizeMismatch { .. }));
    let mut cut = bw.clone();
    cut[0].uv.truncate(7);
    assert!(matches!(err(&frames, &fw, &cut), TrackError::BadLength { .. }));
    let empty = vec![Gray { width: 0, height: 5, data: vec![] }; 2];
    assert!(matches!(build_tracks(&empty, &fw[..1], &bw[..1], &o), Err(TrackError::EmptyImage { .. })));
    for bad in [
        TrackOptions { query_every: 0, ..all(2, 1) },
        TrackOptions { grid_stride: Some(0), ..all(2, 1) },
        TrackOptions {
            thresholds: crate::tracks::chain::Thresholds { fb_abs: f32::NAN, ..Default::default() },
            ..all(2, 1)
        },
    ] {
        assert!(matches!(build_tracks(&frames, &fw, &bw, &bad), Err(TrackError::BadOption(_))));
    }
    // Messages name the problem.
    assert_eq!(
        TrackError::TooFewFrames { frames: 1 }.to_string(),
        "point tracking needs at least 2 frames, got 1"
    );

    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let q = |qs: &[[f32; 3]]| follow_queries(&frames, &fw, &bw, &rel, qs);
    assert!(q(&[[1.0, 1.0, 0.0], [5.0, 5.0, 3.0]]).is_ok());
    for (bad, index) in [
        (vec![[1.0, 1.0, 4.0]], 0),
        (vec![[1.0, 1.0, 0.0], [1.0, 1.0, 1.5]], 1),
        (vec![[1.0, 1.0, -1.0]], 0),
        (vec![[19.6, 1.0, 0.0]], 0),
        (vec![[f32::NAN, 1.0, 0.0]], 0),
    ] {
        assert!(matches!(q(&bad), Err(TrackError::BadQuery { index: i, .. }) if i == index), "{bad:?}");
    }
    assert!(matches!(follow_queries(&frames, &fw, &bw, &rel[..2], &[]), Err(TrackError::CountMismatch { .. })));
    assert_eq!(follow_queries(&[], &[], &[], &[], &[]).unwrap_err(), TrackError::TooFewFrames { frames: 0 });
    assert!(matches!(reliability(&fw[0], &uniform(3, 3, [0.0, 0.0])), Err(TrackError::SizeMismatch { .. })));
}

#[test]
fn tiny_and_odd_sized_images() {
    for (w, h) in [(1, 1), (3, 2), (1, 7), (7, 1), (2, 2), (5, 3), (33, 17)] {
        let (frames, fw, bw) = pan(w, h, 3);
        for stride in [None, Some(1), Some(4)] {
            let o = TrackOptions { grid_stride: stride, query_every: 1, ..Default::default() };
            let tr = build_tracks(&frames, &fw, &bw, &o).unwrap();
            check_shape(&tr);
            assert_eq!((tr.frames, tr.width, tr.height), (3, w, h));
        }
    }
    // 1x1, still: the single pixel can be followed.
    let still = |w, h| (vec![uniform(w, h, [0.0, 0.0]); 2], vec![uniform(w, h, [0.0, 0.0]); 2]);
    let (fw, bw) = still(1, 1);
    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let tr = follow_queries(&flat(1, 1, 3), &fw, &bw, &rel, &[[0.0, 0.0, 1.0]]).unwrap();
    check_shape(&tr);
    assert!(tr.visible.iter().all(|v| *v));
    // 3x2 panning right by 1: x = 0, 1, 2, then out of the image.
    let (frames, fw, bw) = pan(3, 2, 5);
    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let tr = follow_queries_with(&frames, &fw, &bw, &rel, &[[0.0, 1.0, 0.0], [2.0, 0.0, 2.0]], &exact()).unwrap();
    check_shape(&tr);
    let vis0: Vec<bool> = (0..5).map(|t| at(&tr, t, 0).1).collect();
    assert_eq!(vis0, [true, true, true, false, false]);
    assert_eq!(at(&tr, 2, 0).0, [2.0, 1.0]);
    let vis1: Vec<bool> = (0..5).map(|t| at(&tr, t, 1).1).collect();
    assert_eq!(vis1, [true, true, true, false, false]);
    assert_eq!(at(&tr, 0, 1).0, [0.0, 0.0]);
}

#[test]
fn one_dimensional_texture_is_not_seeded() {
    // Vertical stripes: strong gradient, but only along x (the aperture problem).
    let (w, h) = (64, 48);
    let stripes: Vec<Gray> = (0..3)
        .map(|k| Gray {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| (0.5 + 0.3 * (0.8 * ((i % w) as f64 - k as f64)).sin()) as f32)
                .collect(),
        })
        .collect();
    let (_, fw, bw) = pan(w, h, 3);
    assert_eq!(build_tracks(&stripes, &fw, &bw, &all(2, 1)).unwrap().n, 0);
    let (frames, _, _) = pan(w, h, 3);
    assert!(build_tracks(&frames, &fw, &bw, &all(2, 1)).unwrap().n > 200);
}

#[test]
fn reliability_maps() {
    let sc = RectScene::standard(3);
    let clip = sc.clip();
    let r = reliability(&clip.fw[0], &clip.bw[0]).unwrap();
    // Background far from the rectangle and the right border: exact, error 0.
    assert_eq!(r.fw_err[10 * sc.w + 150], 0.0);
    assert!(r.fw_ok(150, 10) && r.bw_ok(150, 10));
    // Leaving the image to the right (x = 199 -> 200) is not the map's business: the track
    // tests its own position.
    assert!(r.fw_ok(199, 10) && r.fw_ok(198, 10));
    // About to be covered by the rectangle's leading (right) edge: x = 81 at frame 0 moves
    // to 82 at frame 1, inside [33.75, 83.75).
    assert!(!r.fw_ok(82, 110) && !r.fw_ok(81, 110));
    assert!(r.fw_ok(86, 110));
    // Rectangle interior is reliable; its edges are motion boundaries.
    assert!(r.fw_ok(55, 110));
    assert!(!r.fw_ok(31, 110) && !r.fw_ok(30, 110));
    // Backward: background just uncovered behind the trailing (left) edge at frame 1 was
    // hidden at frame 0.
    assert!(!r.bw_ok(34, 110) && r.bw_ok(25, 110));
    assert_eq!(
        r.fw_err.iter().filter(|e| **e == UNRELIABLE).count(),
        r.fw_err.iter().filter(|e| **e < 0.0).count()
    );
}

#[test]
fn non_finite_flow_is_unreliable_not_poison() {
    let (w, h) = (40, 30);
    let (frames, mut fw, mut bw) = pan(w, h, 10);
    for y in 10..14 {
        for x in 10..14 {
            fw[5].uv[2 * (y * w + x)] = f32::NAN;
            bw[3].uv[2 * ((y + 10) * w + x) + 1] = f32::INFINITY;
        }
    }
    let r = reliability(&fw[5], &bw[5]).unwrap();
    for (x, y) in [(10, 10), (13, 13), (9, 11), (14, 12)] {
        assert!(!r.fw_ok(x, y), "({x},{y})");
    }
    assert!(r.fw_ok(20, 20));
    // An infinite backward flow in frame 4 makes forward pixels landing there inconsistent.
    let r = reliability(&fw[3], &bw[3]).unwrap();
    assert!(!r.fw_ok(10, 21) && !r.bw_ok(12, 22) && r.fw_ok(20, 10) && r.fw_ok(10, 10));

    let tr = build_tracks(&frames, &fw, &bw, &all(1, 1)).unwrap();
    check_shape(&tr); // includes: every position finite
                      // A point at (7, 12) at frame 0 reaches (12, 12) at frame 5 and stops there.
    let j = (0..tr.n).find(|&j| tr.query_frame[j] == 0 && at(&tr, 0, j).0 == [7.0, 12.0]).unwrap();
    assert!(at(&tr, 5, j).1 && !at(&tr, 6, j).1);
    // The invisible point keeps the background's velocity across the NaN.
    assert_eq!(at(&tr, 6, j).0, [13.0, 12.0]);
    assert_eq!(at(&tr, 9, j).0, [16.0, 12.0]);
}

fn rect_tracks(max: Option<usize>, seed: u64) -> Tracks {
    let sc = RectScene::standard(24);
    let clip = sc.clip();
    let o =
        TrackOptions { grid_stride: Some(2), query_every: 5, max_tracks: max, seed, ..Default::default() };
    build_tracks(&clip.frames, &clip.fw, &clip.bw, &o).unwrap()
}

#[test]
fn max_tracks_is_a_deterministic_stratified_cap() {
    let full = rect_tracks(None, 1);
    let a = rect_tracks(Some(1000), 1);
    let b = rect_tracks(Some(1000), 1);
    let c = rect_tracks(Some(1000), 2);
    check_shape(&a);
    assert!(full.n > 5000, "{}", full.n);
    assert_eq!(a.n, 1000);
    assert_eq!(a, b, "same seed must give the same tracks");
    assert!(a != c, "another seed should pick other tracks");
    // Selected tracks are tracks of the full set, in the same order.
    let key = |tr: &Tracks, j: usize| {
        (tr.query_frame[j], at(tr, tr.query_frame[j] as usize, j).0.map(f32::to_bits))
    };
    let full_keys: Vec<_> = (0..full.n).map(|j| key(&full, j)).collect();
    let mut last = None;
    for j in 0..a.n {
        let pos =
            full_keys.iter().position(|k| *k == key(&a, j)).expect("selected track not in the full set");
        assert!(last.is_none_or(|l| pos > l));
        last = Some(pos);
    }
    // Proportional allocation, stratum by stratum (query frame x 16 px bin, bins being 8 grid
    // cells): each keeps its share of the cap to within one track. An unstratified random
    // sample misses that by a few tracks in most strata (binomial sd 2.5 for 64 tracks).
    let strata = |tr: &Tracks| {
        let mut m = std::collections::BTreeMap::<(u32, u32, u32), f64>::new();
        for j in 0..tr.n {
            let q = tr.query_frame[j];
            let p = at(tr, q as usize, j).0;
            *m.entry((q, (p[0] / 16.0) as u32, (p[1] / 16.0) as u32)).or_default() += 1.0;
        }
        m
    };
    let (sf, sa) = (strata(&full), strata(&a));
    let ratio = a.n as f64 / full.n as f64;
    for (k, m) in &sf {
        let got = sa.get(k).copied().unwrap_or(0.0);
        assert!((got - ratio * m).abs() < 1.5, "stratum {k:?}: {got} of {m}, expected {}", ratio * m);
    }
    // A cap above the count keeps everything; 0 keeps nothing.
    assert_eq!(rect_tracks(Some(full.n + 1), 1), full);
    assert_eq!(rect_tracks(Some(0), 1).n, 0);
}

#[test]
fn tracks_visible_in_fewer_than_two_frames_are_dropped() {
    // A band where the backward flow contradicts the forward flow: seeds there are visible
    // at their query frame only. It reaches the right border so that the points cannot pan
    // out of it and be re-identified.
    let (w, h) = (48, 40);
    let (frames, fw, mut bw) = pan(w, h, 6);
    for b in bw.iter_mut() {
        for y in 10..30 {
            for x in 10..w {
                b.uv[2 * (y * w + x)] = 3.0;
            }
        }
    }
    let tr = build_tracks(&frames, &fw, &bw, &all(1, 1)).unwrap();
    check_shape(&tr);
    for j in 0..tr.n {
        assert!((0..tr.frames).filter(|&t| at(&tr, t, j).1).count() >= 2, "track {j}");
    }
    // Frame 0 seeds in the patch's interior would be visible once: none may remain.
    let inner = |p: [f32; 2]| (12.0..27.0).contains(&p[0]) && (12.0..28.0).contains(&p[1]);
    assert!(!(0..tr.n).any(|j| tr.query_frame[j] == 0 && inner(at(&tr, 0, j).0)));
    assert!((0..tr.n).any(|j| tr.query_frame[j] == 0 && !inner(at(&tr, 0, j).0)));
    // The selection step on its own.
    use crate::tracks::chain::select::{select, Candidate};
    let c = |v| Candidate { query_frame: 0, seed_xy: [0.0, 0.0], visible_frames: v };
    assert_eq!(select(&[c(2), c(1), c(0), c(5)], None, 0, 8), vec![0, 3]);
}

#[test]
fn every_frame_can_be_a_query_frame() {
    let sc = RectScene::standard(16);
    let clip = sc.clip();
    let every = build_tracks(&clip.frames, &clip.fw, &clip.bw, &all(3, 1)).unwrap();
    let tenth = build_tracks(&clip.frames, &clip.fw, &clip.bw, &all(3, 10)).unwrap();
    check_shape(&every);
    assert!(every.n > tenth.n);
    let seeded_at: std::collections::BTreeSet<u32> = every.query_frame.iter().copied().collect();
    assert!(seeded_at.len() >= 14, "seeded at {seeded_at:?}");
    assert!(every.query_frame.windows(2).all(|p| p[0] <= p[1]), "tracks ordered by query frame");
}

#[test]
fn confidence_falls_with_forward_backward_error() {
    // Backward flow off by 0.3 px: e = 0.09 px² per step, drift D = 0.045 px² per step,
    // confidence 1 - exp(-1 / D) after each step.
    let (w, h) = (60, 20);
    let (frames, fw, _) = pan(w, h, 30);
    let bw: Vec<Flow> = (1..30).map(|_| uniform(w, h, [-0.7, 0.0])).collect();
    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let tr = follow_queries(&frames, &fw, &bw, &rel, &[[2.0, 10.0, 0.0], [40.0, 10.0, 29.0]]).unwrap();
    check_shape(&tr);
    let mut last = 2.0;
    for t in 0..30 {
        let (_, vis, c) = at(&tr, t, 0);
        assert!(vis);
        let d = 0.045f64 * t as f64;
        let want = if t == 0 { 1.0 } else { 1.0 - (-1.0 / d).exp() };
        assert!((c as f64 - want).abs() < 1e-3, "frame {t}: {c} vs {want}");
        assert!(c < last || t < 5, "confidence must fall as drift accumulates");
        last = c;
    }
    assert!(at(&tr, 29, 0).2 < 0.6);
    // Backward from the last frame: the same rule with the backward maps.
    assert_eq!(at(&tr, 29, 1).2, 1.0);
    assert!(at(&tr, 0, 1).2 < 0.6 && at(&tr, 0, 1).1);
}

/// Measured on x86-64 Linux. The only libm calls left on the path are `exp` (Gaussian taps,
/// border weight); an ulp of difference there on another platform could in principle move a
/// seed at a threshold, which is what this test would then report.
const PINNED: u64 = 0x40b9_3dbe_20b4_1264;

#[test]
fn results_are_reproducible() {
    // Platform-independent inputs: flows of the rectangle scene are exact small binary
    // fractions, and the frames are integer-hash noise (the seeding only needs texture), so no
    // libm call feeds the pinned value below.
    let sc = RectScene::standard(12);
    let mut clip = sc.clip();
    for (t, f) in clip.frames.iter_mut().enumerate() {
        for (i, v) in f.data.iter_mut().enumerate() {
            *v = (crate::tracks::chain::select::mix64((t * 1_000_003 + i) as u64) >> 40) as f32 / (1u64 << 24) as f32;
        }
    }
    let o = TrackOptions {
        grid_stride: Some(3),
        query_every: 4,
        max_tracks: Some(1500),
        seed: 9,
        ..Default::default()
    };
    let a = build_tracks(&clip.frames, &clip.fw, &clip.bw, &o).unwrap();
    let b = build_tracks(&clip.frames, &clip.fw, &clip.bw, &o).unwrap();
    assert_eq!(a, b);
    // Pinned fingerprint of every output bit: catches an accidental change of any rule or of
    // its float order, and shows that the rayon and sequential builds agree (the test passes
    // under both `cargo test` and `cargo test --no-default-features`).
    let mut h = a.n as u64;
    for i in 0..a.xy.len() {
        for v in [a.xy[i][0].to_bits(), a.xy[i][1].to_bits(), a.confidence[i].to_bits(), a.visible[i] as u32]
        {
            h = crate::tracks::chain::select::mix64(h ^ v as u64);
        }
    }
    for q in &a.query_frame {
        h = crate::tracks::chain::select::mix64(h ^ *q as u64);
    }
    eprintln!("reproducible: n {} fingerprint {h:#018x}", a.n);
    assert_eq!((a.n, h), (1500, PINNED));
}

#[test]
fn motion_boundaries_stop_tracks_even_without_occlusion() {
    // Shear: rows y < 20 move (2, 0), rows below (-2, 0). Motion is parallel to the boundary,
    // so forward-backward consistency holds everywhere; only the boundary test can stop the
    // points next to it (where real flow smears both motions together).
    let (w, h) = (60, 40);
    let shear = |s: f64| flow(w, h, move |_, y| if y < 20.0 { [2.0 * s, 0.0] } else { [-2.0 * s, 0.0] });
    let (fw, bw) = (vec![shear(1.0); 4], vec![shear(-1.0); 4]);
    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let rows = [10.0, 18.0, 19.0, 20.0, 21.0, 30.0];
    let qs: Vec<[f32; 3]> = rows.iter().map(|&y| [30.0, y, 0.0]).collect();
    let tr = follow_queries(&flat(w, h, fw.len() + 1), &fw, &bw, &rel, &qs).unwrap();
    let lasts: Vec<bool> = (0..rows.len()).map(|j| at(&tr, 4, j).1).collect();
    assert_eq!(lasts, [true, true, false, false, true, true]);
}

#[test]
fn hidden_points_are_re_identified_only_where_flow_moves_with_them() {
    // Pan by (1, 0). In pair 1 the backward flow contradicts the forward one everywhere (a
    // transient flow failure: every point stops at frame 1). From pair 2 on, the left half
    // keeps the pan and the right half moves by (0, 4) (another surface under the point, moving
    // too differently even for the looser rule of reported positions): points on the left
    // must come back visible where they are, points on the right must not.
    let (w, h) = (60, 30);
    let t_len = 6;
    let split = |t: usize| {
        flow(w, h, move |x, _| if t >= 2 && x >= 30.0 { [0.0, 4.0] } else { [1.0, 0.0] })
    };
    let fw: Vec<Flow> = (0..t_len - 1).map(split).collect();
    let mut bw: Vec<Flow> = fw
        .iter()
        .map(|f| Flow { width: w, height: h, uv: f.uv.iter().map(|v| -v).collect() })
        .collect();
    bw[1] = uniform(w, h, [3.0, 3.0]);
    let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
    let qs = [[10.0f32, 15.0, 0.0], [40.0, 15.0, 0.0]];
    let tr = follow_queries(&flat(w, h, fw.len() + 1), &fw, &bw, &rel, &qs).unwrap();
    let vis = |j: usize| (0..t_len).map(|t| at(&tr, t, j).1).collect::<Vec<_>>();
    // Left: hidden at frame 2 only (stopped on pair 1, resumed on pair 2), exact afterwards.
    assert_eq!(vis(0), [true, true, false, true, true, true]);
    for t in 0..t_len {
        let p = at(&tr, t, 0).0;
        assert!((p[0] - (10.0 + t as f32)).abs() < 1e-4 && (p[1] - 15.0).abs() < 1e-5, "frame {t}: {p:?}");
    }
    // Right: the flow under it no longer agrees with its velocity, so it stays hidden and keeps
    // its own motion.
    assert_eq!(vis(1), [true, true, false, false, false, false]);
    assert!((at(&tr, 5, 1).0[0] - 45.0).abs() < 1e-4);
}

#[test]
fn points_extrapolated_far_while_hidden_are_not_re_identified() {
    // A point moving by (8, 0) stops on pair 1 (the backward flow contradicts), then the
    // flow stands still for `blind` pairs (it no longer moves with the point, which keeps
    // its own velocity, unbacked by any flow), then moves by (8, 0) again. After 3 such steps
    // (24 px) the point is re-identified; after 9 (72 px > `resume_max_blind`) its position
    // is a guess that the velocity test alone cannot confirm, and it stays hidden.
    let (w, h) = (260, 20);
    let run = |blind: usize| {
        let t_len = blind + 5;
        let fw: Vec<Flow> =
            (0..t_len - 1).map(|t| uniform(w, h, if (2..2 + blind).contains(&t) { [0.0, 0.0] } else { [8.0, 0.0] })).collect();
        let mut bw: Vec<Flow> =
            fw.iter().map(|f| Flow { width: w, height: h, uv: f.uv.iter().map(|v| -v).collect() }).collect();
        bw[1] = uniform(w, h, [3.0, 3.0]);
        let rel: Vec<_> = fw.iter().zip(&bw).map(|(f, b)| reliability(f, b).unwrap()).collect();
        let tr = follow_queries(&flat(w, h, t_len), &fw, &bw, &rel, &[[10.0f32, 10.0, 0.0]]).unwrap();
        (0..t_len).map(|t| at(&tr, t, 0).1).collect::<Vec<_>>()
    };
    assert!(TrackOptions::default().thresholds.resume_max_blind < 72.0);
    assert_eq!(run(3), [true, true, false, false, false, false, true, true]);
    assert_eq!(run(9), [vec![true, true], vec![false; 12]].concat());
}
