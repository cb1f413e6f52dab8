// Replicated-border addressing and bilinear taps shared by the DIS kernels; their Rust
// launchers prepend this file (WGSL has no includes). Each function mirrors its CPU
// counterpart in src/tracks/dis/pyramid.rs operation for operation, so that CPU and GPU
// results differ by rounding only.

// Index of pixel (x, y) of a w x h plane with clamped coordinates (`Plane::at`).
fn clamped(x: i32, y: i32, w: u32, h: u32) -> u32 {
    return u32(clamp(y, 0, i32(h) - 1)) * w + u32(clamp(x, 0, i32(w) - 1));
}

// The four tap indices and the fractions of a bilinear sample at (x, y) (`Taps::new`).
struct Taps {
    i00: u32,
    i01: u32,
    i10: u32,
    i11: u32,
    ax: f32,
    ay: f32,
}

fn taps(w: u32, h: u32, x: f32, y: f32) -> Taps {
    let xc = min(max(x, 0.0), f32(w - 1u));
    let yc = min(max(y, 0.0), f32(h - 1u));
    let x0 = u32(xc);
    let y0 = u32(yc);
    let x1 = min(x0 + 1u, w - 1u);
    let y1 = min(y0 + 1u, h - 1u);
    return Taps(y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1, xc - f32(x0), yc - f32(y0));
}

// `Taps::lerp` on the tap values: a, b from the upper row, c, d from the lower one.
fn lerp_taps(t: Taps, a: f32, b: f32, c: f32, d: f32) -> f32 {
    return (1.0 - t.ay) * ((1.0 - t.ax) * a + t.ax * b) + t.ay * ((1.0 - t.ax) * c + t.ax * d);
}

fn lerp_taps2(t: Taps, a: vec2<f32>, b: vec2<f32>, c: vec2<f32>, d: vec2<f32>) -> vec2<f32> {
    return (1.0 - t.ay) * ((1.0 - t.ax) * a + t.ax * b) + t.ay * ((1.0 - t.ax) * c + t.ax * d);
}

// NaN and the infinities are the floats whose exponent bits are all ones. (A comparison with
// the largest f32 written as a decimal literal is rejected by Chrome's WGSL compiler, which
// refuses literals it would have to round to the f32 range.)
fn is_finite(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}
