//! Each suite case has the property its name claims, measured on the rendered ground truth.

use crate::common;

use common::{all, clip};
use segmo::synth::{Homography, SynthClip};

/// Frame-to-frame map of layer l: image at t -> image at t+1.
fn step(c: &SynthClip, l: usize, t: usize) -> Homography {
    c.scene
        .homography(l, t + 1)
        .mul(&c.scene.homography(l, t).inverse())
}

fn layer(c: &SynthClip, name: &str) -> usize {
    c.scene
        .layers
        .iter()
        .position(|l| l.name == name)
        .unwrap_or_else(|| panic!("{}: no layer {name}", c.name))
}

/// Mean |flow - prediction of `h`| over pixels of layer l in frame t.
fn deviation_from(c: &SynthClip, t: usize, l: usize, h: &Homography) -> Option<f64> {
    let w = c.width;
    let (mut sum, mut n) = (0.0, 0usize);
    for (i, &id) in c.layer_ids[t].iter().enumerate() {
        if id as usize != l {
            continue;
        }
        let (x, y) = ((i % w) as f64, (i / w) as f64);
        let p = h.apply(x, y)?;
        let f = &c.flow[t].uv[2 * i..2 * i + 2];
        sum += (x + f[0] as f64 - p[0]).hypot(y + f[1] as f64 - p[1]);
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

fn mean_motion(c: &SynthClip, t: usize, l: usize) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for (i, &id) in c.layer_ids[t].iter().enumerate() {
        if id as usize == l {
            sum += (c.flow[t].uv[2 * i] as f64).hypot(c.flow[t].uv[2 * i + 1] as f64);
            n += 1;
        }
    }
    (n > 50).then(|| sum / n as f64)
}

fn area(c: &SynthClip, t: usize, l: usize) -> usize {
    c.layer_ids[t]
        .iter()
        .filter(|&&id| id as usize == l)
        .count()
}

#[test]
fn every_case_has_moving_and_static_points_and_default_size() {
    for c in all() {
        let s = c.stats();
        assert_eq!(
            (c.width, c.height, c.frames.len(), c.flow.len(), s.tracks),
            (256, 256, 24, 23, 256),
            "{}",
            c.name
        );
        assert!(
            s.moving_tracks > 0 && s.moving_tracks < s.tracks,
            "{}: {} moving tracks",
            c.name,
            s.moving_tracks
        );
        assert!(
            s.moving_fraction > 0.01,
            "{}: moving objects cover {}",
            c.name,
            s.moving_fraction
        );
        assert!(s.max_motion >= 1.0, "{}: nothing moves", c.name);
    }
}

#[test]
fn affine_case_is_affine_but_not_similarity() {
    let c = clip("affine");
    for l in 0..c.scene.layers.len() {
        for t in 0..c.frames.len() {
            assert!(c.scene.homography(l, t).is_affine(), "layer {l} frame {t}");
        }
    }
    // Shear or anisotropic scale: the linear part of an object's frame step is no similarity.
    let non_similar = (1..c.scene.layers.len()).any(|l| {
        (0..c.flow.len()).any(|t| {
            let a = step(c, l, t).0;
            (a[0][0] - a[1][1]).abs() + (a[0][1] + a[1][0]).abs() > 0.01
        })
    });
    assert!(non_similar);
}

/// Least-squares affine fit to a layer's flow in frame t; returns the largest residual.
fn affine_fit_residual(c: &SynthClip, t: usize, l: usize) -> f64 {
    let w = c.width;
    let pts: Vec<(f64, f64, f64, f64)> = c.layer_ids[t]
        .iter()
        .enumerate()
        .filter(|&(_, &id)| id as usize == l)
        .step_by(5)
        .map(|(i, _)| {
            (
                (i % w) as f64,
                (i / w) as f64,
                c.flow[t].uv[2 * i] as f64,
                c.flow[t].uv[2 * i + 1] as f64,
            )
        })
        .collect();
    // Normal equations for f = a x + b y + c, solved by Cramer's rule (3x3).
    let mut m = [[0.0; 3]; 3];
    let mut r = [[0.0; 3]; 2];
    for &(x, y, u, v) in &pts {
        let b = [x, y, 1.0];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += b[i] * b[j];
            }
            r[0][i] += b[i] * u;
            r[1][i] += b[i] * v;
        }
    }
    let det3 = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det3(m);
    let solve = |rhs: [f64; 3]| {
        let mut s = [0.0; 3];
        for (k, sk) in s.iter_mut().enumerate() {
            let mut a = m;
            for i in 0..3 {
                a[i][k] = rhs[i];
            }
            *sk = det3(a) / d;
        }
        s
    };
    let (cu, cv) = (solve(r[0]), solve(r[1]));
    pts.iter()
        .map(|&(x, y, u, v)| {
            (cu[0] * x + cu[1] * y + cu[2] - u).hypot(cv[0] * x + cv[1] * y + cv[2] - v)
        })
        .fold(0.0, f64::max)
}

#[test]
fn projective_case_is_not_affine() {
    let c = clip("projective");
    // The background (camera pan and tilt) and the objects (out-of-plane tilt) are projective:
    // no affine map explains their flow.
    for name in ["background", "star", "card"] {
        let l = layer(c, name);
        let worst = (0..c.flow.len())
            .map(|t| affine_fit_residual(c, t, l))
            .fold(0.0, f64::max);
        eprintln!("{name}: best affine fit misses by up to {worst:.2} px");
        assert!(worst > 0.25, "{name}: best affine fit is within {worst} px");
    }
    // Control: the same fit explains the affine case's layers.
    let a = clip("affine");
    let worst = (0..a.flow.len())
        .map(|t| affine_fit_residual(a, t, 1))
        .fold(0.0, f64::max);
    assert!(worst < 0.01, "affine layer misfit {worst}");
}

#[test]
fn camera_case_pans_zooms_and_rolls() {
    let c = clip("camera");
    let (cx, cy) = (127.5, 127.5);
    for t in 0..c.flow.len() {
        let f = step(c, 0, t);
        let at = |x: f64, y: f64| {
            let p = f.apply(x, y).unwrap();
            [p[0] - x, p[1] - y]
        };
        let centre = at(cx, cy);
        assert!(centre[0].hypot(centre[1]) > 1.0, "t={t}: no pan");
        // Radial (zoom) and tangential (roll) parts of the motion relative to the centre's.
        let (mut radial, mut tangential) = (0.0, 0.0);
        for (dx, dy) in [(100.0, 0.0), (0.0, 100.0), (-100.0, 0.0), (0.0, -100.0)] {
            let m = at(cx + dx, cy + dy);
            let (mx, my) = (m[0] - centre[0], m[1] - centre[1]);
            radial += (mx * dx + my * dy) / 100.0 / 4.0;
            tangential += (my * dx - mx * dy) / 100.0 / 4.0;
        }
        if t == 0 {
            eprintln!(
                "camera t=0: pan {:.2} px, zoom {radial:.2} px, roll {tangential:.2} px at r=100",
                centre[0].hypot(centre[1])
            );
        }
        assert!(radial > 0.8, "t={t}: zoom moves the ring by {radial} px");
        assert!(
            tangential > 0.8,
            "t={t}: roll moves the ring by {tangential} px"
        );
    }
    // The static sign sits on the background's depth: under a rotating, zooming camera it
    // moves exactly like the background (no parallax is possible), and is labelled static.
    let sign = layer(c, "sign");
    assert!(!c.scene.layers[sign].moving);
    for t in 0..c.flow.len() {
        if let Some(d) = deviation_from(c, t, sign, &step(c, 0, t)) {
            assert!(
                d < 1e-3,
                "t={t}: sign deviates from background motion by {d}"
            );
        }
    }
}

#[test]
fn occlusion_case_hides_crosses_and_leaves() {
    let c = clip("occlusion");
    let s = c.stats();
    assert!(s.hidden_fraction > 0.01, "hidden {}", s.hidden_fraction);
    assert!(s.left_image_fraction > 0.0);
    assert!(
        s.tracks_reappearing >= 10,
        "{} reappear",
        s.tracks_reappearing
    );
    assert!(s.tracks_leaving >= 10, "{} leave", s.tracks_leaving);
    // One object leaves the frame for good, one enters it.
    let (leaver, rising) = (layer(c, "leaver"), layer(c, "rising"));
    let last = c.frames.len() - 1;
    assert!(area(c, 0, leaver) > 500 && area(c, last, leaver) == 0);
    assert!(area(c, 0, rising) == 0 && area(c, last, rising) > 500);
    // A moving object passes behind another moving object and comes out again: some ellipse
    // track is hidden by the pentagon on the image, then visible again.
    let (ell, pent) = (layer(c, "ellipse") as u8, layer(c, "pentagon"));
    let tr = &c.tracks.tracks;
    let crossed = (0..tr.n).filter(|&j| c.tracks.layer[j] == ell).any(|j| {
        let hidden_by_pent: Vec<usize> = (0..tr.frames)
            .filter(|&t| {
                let p = tr.xy[t * tr.n + j];
                !tr.visible[t * tr.n + j]
                    && c.scene.layer_at(t, p[0] as f64, p[1] as f64) == Some(pent)
            })
            .collect();
        hidden_by_pent
            .first()
            .is_some_and(|&a| (a..tr.frames).any(|t| tr.visible[t * tr.n + j]))
    });
    assert!(
        crossed,
        "no ellipse track hidden by the pentagon and seen again"
    );
}

#[test]
fn brightness_case_changes_brightness() {
    let c = clip("brightness");
    assert!(c.stats().max_gain_change > 0.2);
    let mean: Vec<f64> = (0..c.frames.len())
        .map(|t| c.gray(t).iter().map(|&v| v as f64).sum::<f64>() / (256.0 * 256.0))
        .collect();
    let (lo, hi) = mean
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &m| (a.min(m), b.max(m)));
    assert!(hi > 1.1 * lo, "mean luma only varies {lo}..{hi}");
    // Frame-to-frame: at least one consecutive pair changes mean luma by 4%.
    assert!(mean.windows(2).any(|w| (w[1] / w[0] - 1.0).abs() > 0.04));
}

#[test]
fn fast_case_moves_over_30_px_per_frame() {
    let c = clip("fast");
    assert!(c.stats().max_motion >= 30.0, "max {}", c.stats().max_motion);
    // Not just a few pixels: tracks visible in both frames jump 30+ px many times.
    let tr = &c.tracks.tracks;
    let jumps = (0..tr.n)
        .flat_map(|j| (0..tr.frames - 1).map(move |s| (j, s)))
        .filter(|&(j, s)| {
            let (a, b) = (s * tr.n + j, (s + 1) * tr.n + j);
            tr.visible[a]
                && tr.visible[b]
                && (tr.xy[b][0] - tr.xy[a][0]).hypot(tr.xy[b][1] - tr.xy[a][1]) >= 30.0
        })
        .count();
    eprintln!("fast: {jumps} visible 30+ px track steps");
    assert!(jumps >= 20, "only {jumps} visible 30+ px steps");
    let bullet = layer(c, "bullet");
    let fastest = (0..c.flow.len())
        .filter_map(|t| mean_motion(c, t, bullet))
        .fold(0.0, f64::max);
    assert!(fastest >= 30.0, "bullet mean speed {fastest}");
}

#[test]
fn parallax_case_static_objects_move_unlike_background() {
    let c = clip("parallax");
    let (post, rock, walker) = (layer(c, "post"), layer(c, "rock"), layer(c, "walker"));
    for l in [post, rock] {
        assert!(!c.scene.layers[l].moving && c.scene.layers[l].instance == 0);
        // No single background homography explains them: mean deviation of several px.
        let dev = (0..c.flow.len())
            .filter_map(|t| deviation_from(c, t, l, &step(c, 0, t)))
            .fold(0.0, f64::max);
        eprintln!(
            "{}: up to {dev:.1} px mean deviation from background motion",
            c.scene.layers[l].name
        );
        assert!(
            dev > 3.0,
            "{}: deviates from background motion by only {dev}",
            c.scene.layers[l].name
        );
    }
    let avg = |l: usize| {
        let v: Vec<f64> = (0..c.flow.len())
            .filter_map(|t| mean_motion(c, t, l))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (bg, p, wk) = (avg(0), avg(post), avg(walker));
    eprintln!("mean speeds: background {bg:.2}, post {p:.2}, walker {wk:.2} px/frame");
    assert!(p > 2.5 * bg, "post {p} vs background {bg}");
    // The walker moves in the world, but its image speed is of the same order as the static
    // post's: speed alone cannot tell moving from static here.
    assert!(wk > 0.3 * p && wk < 3.0 * p, "walker {wk} vs post {p}");
    for (ids, inst) in c.layer_ids.iter().zip(&c.instance_ids) {
        for (&l, &m) in ids.iter().zip(inst) {
            if l as usize == post || l as usize == rock {
                assert_eq!(m, 0);
            }
        }
    }
}

#[test]
fn articulated_case_parts_move_differently() {
    let c = clip("articulated");
    let body = layer(c, "body");
    for name in ["arm", "leg"] {
        let l = layer(c, name);
        let part = &c.scene.layers[l];
        assert_eq!(
            (part.parent, part.instance, part.moving),
            (Some(body), c.scene.layers[body].instance, true)
        );
        // Where the body's motion would carry the part's far end vs where it really goes.
        let b = part.shape.bbox().expect("bounded part");
        let far = [0.9 * b[2], 0.9 * (b[1] + b[3]) / 2.0];
        let worst = (0..c.flow.len())
            .map(|t| {
                let h0 = c.scene.homography(l, t);
                let p0 = h0.apply(far[0], far[1]).unwrap();
                let p1 = c.scene.homography(l, t + 1).apply(far[0], far[1]).unwrap();
                let q1 = step(c, body, t).apply(p0[0], p0[1]).unwrap();
                (p1[0] - q1[0]).hypot(p1[1] - q1[1])
            })
            .fold(0.0, f64::max);
        eprintln!("{name}: up to {worst:.1} px from rigid body motion");
        assert!(
            worst > 2.0,
            "{name} moves rigidly with the body (max {worst} px apart)"
        );
    }
    // Both parts' pixels carry the body's instance id.
    let inst = c.scene.layers[body].instance;
    let arm = layer(c, "arm") as u8;
    assert!(c
        .layer_ids
        .iter()
        .zip(&c.instance_ids)
        .all(|(ids, m)| ids.iter().zip(m).all(|(&l, &i)| l != arm || i == inst)));
}
