//! Per-track sub-pixel refinement: after a point has been moved by the flow, its position in
//! the next frame is corrected by matching a small window around it (translational
//! Lucas-Kanade, inverse compositional, on mean-normalised windows of the full-resolution
//! frames).
//!
//! Why: DIS's finest level is half resolution and its variational smoothing biases the flow
//! of small and rotating parts, and chaining adds up that bias frame after frame. Matching the
//! point's own 7x7 window at full resolution removes most of it, for ~100 bilinear samples per
//! point and step instead of a full-resolution pass over every pixel (a full-resolution DIS
//! level reached 0.87 without refinement, but at ~4x the flow time). Cost at 854x480: tracking
//! 18.6 -> 43 ms/frame on 2 threads (every candidate track is followed before selection). Synthetic suite, TAP-Vid
//! delta_avg: 0.797 -> 0.842 (seed 1), 0.779 -> 0.817 (held-out seed 2); average Jaccard
//! 0.711 -> 0.773; a flow biased by 0.3 px/frame: median error after 15 frames 4.5 -> 0.001
//! px (`translate::refinement_removes_a_flow_bias`). DAVIS train, tracks starting on the
//! object that stay on it: neutral (boat 0.864 -> 0.874, kite-walk 0.777 -> 0.782,
//! mallard-fly 0.727 -> 0.720).
//!
//! The window is masked to the point's own surface: pixels whose flow moves like the point's
//! (the forward-backward rule) and whose flow is reliable. Unmasked, a window next to an
//! occluder matched the occluder as it advanced over the window, and with exact flow some
//! points were carried 60 px off (the translate tests). The correction is at most `max_shift`
//! px from the flow's estimate, a step is taken only if the window cost falls, and a window
//! with too little 2-D texture (ill-conditioned structure tensor) is left alone. Mean
//! normalisation keeps it working under brightness change, as in DIS. Measured before
//! masking (seed 1): shift limit 1.5 px 0.832, 3 px 0.838; windows 5x5 0.837, 9x9 0.831,
//! 11x11 0.822 (larger ones straddle more motion boundaries). Tried and rejected: smoothing
//! the frames first (sigma 0.8: 0.835), accepting a correction only if it halves the window
//! cost (0.834), refining hidden points (their windows show the occluder), and resuming a
//! hidden point whose refined window matches (suite occlusion accuracy +0.02, but on DAVIS
//! mallard-fly tracks jumped onto water with a similar texture: 0.720 -> 0.397).
//!
//! GPU: one invocation per track and step, inside the follow kernel; the window and its
//! gradients fit in registers (2 x 81 + 3 x 49 floats).

use super::sample::{consistent, nearest};
use crate::tracks::dis::pyramid::Taps;
use crate::tracks::{Flow, Gray};

/// Window radius: 7x7 windows.
pub(crate) const RADIUS: i32 = 3;
const SIDE: usize = (2 * RADIUS + 1) as usize;
const N: usize = SIDE * SIDE;
/// The template with a one-pixel border, for central-difference gradients.
const SIDE_B: usize = SIDE + 2;

/// Gauss-Newton iterations at most; the loop stops earlier once a step is below 0.01 px or
/// fails to lower the cost.
const ITERS: usize = 5;

/// A window pixel belongs to the point's surface when its flow and the point's satisfy the
/// forward-backward rule with the paper's constants.
const SAME_REL: f32 = 0.01;
const SAME_ABS: f32 = 0.5;
/// Fewer of them than this (half the window) and the match is left to the flow.
const MIN_PIXELS: usize = 25;

/// The result of matching one point's window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Match {
    /// The refined position in frame b (the flow's estimate where no step helped).
    pub q: [f32; 2],
    /// Mismatch after refinement: window SSD / template energy, both mean-normalised. About
    /// 2 for unrelated textures, near 0 for the same surface; scale-free, so one threshold
    /// serves every contrast.
    pub rho: f32,
}

/// Frame value at a sub-pixel position: bilinear with a replicated border, the pyramid's
/// sampler.
#[inline]
fn sample(g: &Gray, x: f32, y: f32) -> f32 {
    Taps::new(g.width, g.height, x, y).lerp(&g.data, 1, 0)
}

/// The window of `g` centred on `p`, mean-normalised over the `mask`ed pixels (`count` of
/// them) and zero elsewhere.
fn window(g: &Gray, p: [f32; 2], mask: &[f32; N], count: f32) -> [f32; N] {
    let mut v = [0f32; N];
    let mut sum = 0.0;
    for j in 0..SIDE {
        for i in 0..SIDE {
            let s = sample(g, p[0] + (i as i32 - RADIUS) as f32, p[1] + (j as i32 - RADIUS) as f32);
            v[j * SIDE + i] = s;
            sum += mask[j * SIDE + i] * s;
        }
    }
    let mean = sum / count;
    for (x, m) in v.iter_mut().zip(mask) {
        *x = m * (*x - mean);
    }
    v
}

fn ssd(a: &[f32; N], b: &[f32; N]) -> f32 {
    let mut s = 0.0;
    for k in 0..N {
        let d = a[k] - b[k];
        s += d * d;
    }
    s
}

/// Refines `q`, the flow's estimate of where point `p` of frame `a` is in frame `b`. None when
/// the window has too little texture to fix a 2-D position (or a frame is under 2x2).
pub(crate) fn refine(
    a: &Gray,
    b: &Gray,
    flow: &Flow,
    err: &[f32],
    p: [f32; 2],
    q: [f32; 2],
    max_shift: f32,
) -> Option<Match> {
    if a.width < 2 || a.height < 2 || b.width < 2 || b.height < 2 {
        return None;
    }
    let mut tb = [0f32; SIDE_B * SIDE_B];
    for j in 0..SIDE_B {
        for i in 0..SIDE_B {
            let (dx, dy) = ((i as i32 - RADIUS - 1) as f32, (j as i32 - RADIUS - 1) as f32);
            tb[j * SIDE_B + i] = sample(a, p[0] + dx, p[1] + dy);
        }
    }
    // The window's pixels on the point's own surface: those whose flow moves with the
    // point's (the forward-backward rule). Across a motion boundary the rest of the window
    // moves differently and would drag the match onto the other surface.
    let w_p = [q[0] - p[0], q[1] - p[1]];
    let (mut mask, mut count) = ([0f32; N], 0usize);
    for j in 0..SIDE {
        for i in 0..SIDE {
            let (x, y) = (p[0] + (i as i32 - RADIUS) as f32, p[1] + (j as i32 - RADIUS) as f32);
            let k = nearest(x, y, flow.width, flow.height);
            let w_k = [flow.uv[2 * k], flow.uv[2 * k + 1]];
            if err[k] >= 0.0 && consistent(w_k, [-w_p[0], -w_p[1]], SAME_REL, SAME_ABS).is_some() {
                mask[j * SIDE + i] = 1.0;
                count += 1;
            }
        }
    }
    if count < MIN_PIXELS {
        return None;
    }
    let (mut t, mut gx, mut gy) = ([0f32; N], [0f32; N], [0f32; N]);
    let (mut st, mut sgx, mut sgy) = (0f32, 0f32, 0f32);
    for j in 0..SIDE {
        for i in 0..SIDE {
            let k = (j + 1) * SIDE_B + i + 1;
            let o = j * SIDE + i;
            t[o] = tb[k];
            gx[o] = 0.5 * (tb[k + 1] - tb[k - 1]);
            gy[o] = 0.5 * (tb[k + SIDE_B] - tb[k - SIDE_B]);
            st += mask[o] * t[o];
            sgx += mask[o] * gx[o];
            sgy += mask[o] * gy[o];
        }
    }
    // Mean normalisation of the residual removes the window mean's derivative from the
    // Jacobian too (the same correction DIS applies to its patch gradients).
    let c = count as f32;
    let (mt, mgx, mgy) = (st / c, sgx / c, sgy / c);
    let (mut hxx, mut hxy, mut hyy, mut energy) = (0f32, 0f32, 0f32, 0f32);
    for o in 0..N {
        t[o] = mask[o] * (t[o] - mt);
        gx[o] = mask[o] * (gx[o] - mgx);
        gy[o] = mask[o] * (gy[o] - mgy);
        hxx += gx[o] * gx[o];
        hxy += gx[o] * gy[o];
        hyy += gy[o] * gy[o];
        energy += t[o] * t[o];
    }
    let det = hxx * hyy - hxy * hxy;
    let trace = hxx + hyy;
    // Condition number bound: an edge (one strong gradient direction) fixes the position only
    // across it, and the solve would slide along it on noise.
    if !(trace > 1e-6 && det > 1e-3 * trace * trace) {
        return None;
    }
    let mut cur = q;
    let mut win = window(b, cur, &mask, c);
    let mut cost = ssd(&win, &t);
    for _ in 0..ITERS {
        let (mut bx, mut by) = (0f32, 0f32);
        for o in 0..N {
            let r = win[o] - t[o];
            bx += gx[o] * r;
            by += gy[o] * r;
        }
        // Inverse compositional: the template's step d is undone on the image side.
        let dx = (hyy * bx - hxy * by) / det;
        let dy = (hxx * by - hxy * bx) / det;
        let next = [cur[0] - dx, cur[1] - dy];
        let (ox, oy) = (next[0] - q[0], next[1] - q[1]);
        if !(ox * ox + oy * oy <= max_shift * max_shift) {
            break;
        }
        let w2 = window(b, next, &mask, c);
        let c2 = ssd(&w2, &t);
        if !(c2 < cost) {
            break;
        }
        cur = next;
        win = w2;
        cost = c2;
        if dx * dx + dy * dy < 1e-4 {
            break;
        }
    }
    Some(Match { q: cur, rho: cost / energy })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth random texture (sum of a few sinusoids), exact at any sub-pixel position.
    fn texture(x: f64, y: f64) -> f64 {
        0.5 + 0.15 * (0.9 * x + 0.4 * y).sin()
            + 0.12 * (0.35 * x - 1.1 * y + 1.0).sin()
            + 0.1 * (1.3 * x + 0.8 * y + 2.0).cos()
            + 0.08 * (0.2 * x * 0.7 - 0.5 * y).cos()
    }

    /// Refinement with a uniform flow field equal to the estimate (every window pixel on the
    /// point's surface).
    fn refine1(a: &Gray, b: &Gray, p: [f32; 2], q: [f32; 2], max_shift: f32) -> Option<Match> {
        let w = [q[0] - p[0], q[1] - p[1]];
        let flow = Flow { width: a.width, height: a.height, uv: [w[0], w[1]].repeat(a.width * a.height) };
        refine(a, b, &flow, &vec![0.0; a.width * a.height], p, q, max_shift)
    }

    fn frame(w: usize, h: usize, f: impl Fn(f64, f64) -> f64) -> Gray {
        let data = (0..w * h).map(|i| f((i % w) as f64, (i / w) as f64) as f32).collect();
        Gray { width: w, height: h, data }
    }

    #[test]
    fn recovers_a_subpixel_translation() {
        let (sx, sy) = (0.63, -0.41);
        let a = frame(48, 40, texture);
        let b = frame(48, 40, |x, y| texture(x - sx, y - sy));
        let p = [20.0, 18.5];
        let truth = [p[0] + sx as f32, p[1] + sy as f32];
        // Start from an estimate 0.9 px off, as a half-resolution flow might be.
        let m = refine1(&a, &b, p, [truth[0] + 0.7, truth[1] - 0.55], 3.0).unwrap();
        let err = ((m.q[0] - truth[0]).powi(2) + (m.q[1] - truth[1]).powi(2)).sqrt();
        assert!(err < 0.03, "refined {:?} vs truth {truth:?} (err {err})", m.q);
        // Not 0: bilinear sampling of the template and of the image at different sub-pixel
        // offsets attenuates this texture's finest grating differently.
        assert!(m.rho < 0.03, "rho {}", m.rho);
    }

    #[test]
    fn a_window_across_a_motion_boundary_follows_its_own_surface() {
        // Left of x = 20.5 the scene moves 0.5 px right, to the right of it 3 px (and its
        // texture is a different one): a point 1.5 px from the edge has 2 of its 7 window
        // columns on the other surface. In frame b the left surface reaches x = 21.5 (the
        // right one moved away), so the matched window never samples the other surface.
        let (w, h) = (48, 40);
        let a = frame(w, h, texture);
        let b = frame(w, h, |x, y| if x < 21.5 { texture(x - 0.5, y) } else { texture(x - 3.0, y + 7.0) });
        let flow = Flow {
            width: w,
            height: h,
            uv: (0..w * h).flat_map(|i| if ((i % w) as f32) < 20.5 { [0.5, 0.0] } else { [3.0, 0.0] }).collect(),
        };
        let p = [19.0, 20.0];
        let m = refine(&a, &b, &flow, &vec![0.0; w * h], p, [19.9, 20.3], 3.0).unwrap();
        let err = ((m.q[0] - 19.5).powi(2) + (m.q[1] - 20.0).powi(2)).sqrt();
        assert!(err < 0.05, "refined {:?}, truth [19.5, 20.0]", m.q);
        // Mostly on the other surface: too few pixels of its own to match.
        let flow_far = Flow { width: w, height: h, uv: flow.uv.iter().map(|v| if *v == 0.5 { 3.0 } else { *v }).collect() };
        let mut uv = flow_far.uv.clone();
        for y in 0..h {
            for x in 0..w {
                if x >= 18 && x <= 19 {
                    uv[2 * (y * w + x)] = 0.5;
                }
            }
        }
        let thin = Flow { uv, ..flow_far };
        assert_eq!(refine(&a, &b, &thin, &vec![0.0; w * h], p, [19.5, 20.0], 3.0), None);
    }

    #[test]
    fn brightness_change_does_not_move_the_point() {
        let a = frame(40, 40, texture);
        let b = frame(40, 40, |x, y| texture(x, y) + 0.2);
        let m = refine1(&a, &b, [20.0, 20.0], [20.0, 20.0], 3.0).unwrap();
        assert!((m.q[0] - 20.0).abs() < 1e-3 && (m.q[1] - 20.0).abs() < 1e-3, "{:?}", m.q);
    }

    #[test]
    fn flat_and_edge_windows_are_left_alone() {
        let flat = frame(30, 30, |_, _| 0.5);
        assert_eq!(refine1(&flat, &flat, [15.0, 15.0], [15.3, 15.0], 3.0), None);
        // A vertical edge: the position along it is not determined.
        let edge = frame(30, 30, |x, _| if x < 15.0 { 0.2 } else { 0.8 });
        assert_eq!(refine1(&edge, &edge, [15.0, 15.0], [15.3, 16.0], 3.0), None);
        let tiny = frame(1, 5, texture);
        assert_eq!(refine1(&tiny, &tiny, [0.0, 2.0], [0.0, 2.0], 3.0), None);
    }

    #[test]
    fn never_moves_farther_than_max_shift() {
        // The true match is 2.5 px away; a 1 px budget must stop short of it.
        let a = frame(48, 48, texture);
        let b = frame(48, 48, |x, y| texture(x - 2.5, y));
        let q = [24.0, 24.0];
        let m = refine1(&a, &b, [24.0, 24.0], q, 1.0).unwrap();
        let d = ((m.q[0] - q[0]).powi(2) + (m.q[1] - q[1]).powi(2)).sqrt();
        assert!(d <= 1.0 + 1e-6, "moved {d}");
    }

    #[test]
    fn a_different_surface_mismatches() {
        let a = frame(40, 40, texture);
        let b = frame(40, 40, |x, y| texture(y * 1.7 + 5.0, x * 0.6 - 3.0));
        let m = refine1(&a, &b, [20.0, 20.0], [20.0, 20.0], 3.0).unwrap();
        assert!(m.rho > 0.5, "rho {}", m.rho);
    }

    #[test]
    fn windows_at_the_border_and_nan_positions_stay_finite() {
        let a = frame(20, 12, texture);
        let b = frame(20, 12, |x, y| texture(x - 0.3, y));
        for p in [[0.0, 0.0], [19.4, 11.4], [-0.5, 5.0]] {
            if let Some(m) = refine1(&a, &b, p, [p[0] + 0.3, p[1]], 3.0) {
                assert!(m.q[0].is_finite() && m.q[1].is_finite() && m.rho.is_finite(), "{p:?}: {m:?}");
            }
        }
        // A NaN position (never produced by the follower, but cheap to rule out) must not panic.
        let _ = refine1(&a, &b, [f32::NAN, 3.0], [f32::NAN, f32::NAN], 3.0);
    }
}

