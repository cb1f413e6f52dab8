//! Per-point arithmetic shared by the reliability maps and the track advance. Written so that
//! a WGSL port is line-for-line: no `round()` (WGSL's rounds half to even, ours would not),
//! no library calls, and the same operation order everywhere.

use crate::tracks::Flow;

/// The image region a point may occupy and still be visible: its nearest pixel exists, i.e.
/// `-0.5 <= x < width - 0.5`. Written as `!(...)`-free comparisons so NaN is outside.
#[inline]
pub(crate) fn inside(x: f32, y: f32, width: usize, height: usize) -> bool {
    x >= -0.5 && y >= -0.5 && x < width as f32 - 0.5 && y < height as f32 - 0.5
}

/// Row-major index of the pixel nearest to (x, y), clamped into the image: `floor(x + 0.5)`,
/// which rounds halves up on every platform (computed as truncation of a value made
/// non-negative first, which is the same thing and needs no libm call). NaN maps to pixel 0.
#[inline]
pub(crate) fn nearest(x: f32, y: f32, width: usize, height: usize) -> usize {
    let xi = ((x + 0.5).max(0.0) as usize).min(width - 1);
    let yi = ((y + 0.5).max(0.0) as usize).min(height - 1);
    yi * width + xi
}

/// Flow at a sub-pixel position, bilinear between the four surrounding pixel centres. In the
/// outer half pixel of the image (`-0.5 <= x < 0`, `w-1 < x < w-0.5`), where a point is still
/// visible but has only one pixel centre on that side, the two edge columns (rows) are
/// extrapolated linearly instead of clamped: clamping would bias every point there by half a
/// pixel of flow gradient (0.06 px after a few steps of a slow rotation), extrapolation is
/// exact for affine motion and weights stay within [-0.5, 1.5]. Farther out (invisible points)
/// the position is clamped to that band first. Order of operations (the GPU kernels must match
/// it): `a = (1-ax)*f00 + ax*f10`, `b = (1-ax)*f01 + ax*f11`, `f = (1-ay)*a + ay*b`.
#[inline]
pub(crate) fn bilinear(flow: &Flow, x: f32, y: f32) -> [f32; 2] {
    let (w, h) = (flow.width, flow.height);
    let (x0, x1, ax) = axis(x, w);
    let (y0, y1, ay) = axis(y, h);
    let uv = &flow.uv;
    let mut out = [0.0f32; 2];
    for (c, o) in out.iter_mut().enumerate() {
        let f00 = uv[2 * (y0 * w + x0) + c];
        let f10 = uv[2 * (y0 * w + x1) + c];
        let f01 = uv[2 * (y1 * w + x0) + c];
        let f11 = uv[2 * (y1 * w + x1) + c];
        let a = (1.0 - ax) * f00 + ax * f10;
        let b = (1.0 - ax) * f01 + ax * f11;
        *o = (1.0 - ay) * a + ay * b;
    }
    out
}

/// Left and right pixel and the weight of the right one along an axis of `n` pixels.
#[inline]
fn axis(x: f32, n: usize) -> (usize, usize, f32) {
    if n == 1 {
        return (0, 0, 0.0);
    }
    // max/min rather than clamp: NaN goes to the low end instead of panicking or propagating
    // into an index.
    let xc = x.max(-0.5).min(n as f32 - 0.5);
    // Truncation is floor here (xc >= -0.5, and [-0.5, 0) truncates to 0 as max(floor, 0)
    // would); it avoids a libm `floorf` call per sample on baseline x86-64.
    let x0 = (xc.max(0.0) as usize).min(n - 2);
    (x0, x0 + 1, xc - x0 as f32)
}

/// Finite test on the bit pattern (exponent not all ones). WGSL compilers may assume floats
/// are never NaN or infinite and fold `x != x` away; `bitcast<u32>` tests survive that.
#[inline]
pub(crate) fn finite(v: f32) -> bool {
    (v.to_bits() & 0x7f80_0000) != 0x7f80_0000
}

/// The forward-backward consistency rule applied to any two displacements that should cancel
/// (`a + b ≈ 0`): returns `|a + b|²` if it is below `rel * (|a|² + |b|²) + abs`, else None.
/// NaN anywhere fails the `<` and so gives None.
#[inline]
pub(crate) fn consistent(a: [f32; 2], b: [f32; 2], rel: f32, abs: f32) -> Option<f32> {
    let (du, dv) = (a[0] + b[0], a[1] + b[1]);
    let e = du * du + dv * dv;
    let norms = (a[0] * a[0] + a[1] * a[1]) + (b[0] * b[0] + b[1] * b[1]);
    if e < rel * norms + abs {
        Some(e)
    } else {
        None
    }
}
