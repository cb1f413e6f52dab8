// Per-point arithmetic of the trajectory builder (`chain::sample`), shared by its kernels;
// their launchers prepend this file after `dis_sampling.wgsl`. Same operation order as the
// CPU, and finiteness tested on the bits (see `is_finite`).

fn finite2(v: vec2<f32>) -> bool {
    return is_finite(v.x) && is_finite(v.y);
}

// Left pixel, right pixel and the right one's weight along an axis of n pixels
// (`sample::axis`): clamped to the outer half-pixel band, extrapolating the edge pair there.
struct Axis {
    i0: u32,
    i1: u32,
    t: f32,
}

fn axis(x: f32, n: u32) -> Axis {
    if (n == 1u) {
        return Axis(0u, 0u, 0.0);
    }
    let xc = min(max(x, -0.5), f32(n) - 0.5);
    let x0 = min(u32(max(xc, 0.0)), n - 2u);
    return Axis(x0, x0 + 1u, xc - f32(x0));
}

// `sample::bilinear` on the four flow values an `axis` pair selects.
fn bilinear_of(ax: Axis, ay: Axis, f00: vec2<f32>, f10: vec2<f32>, f01: vec2<f32>, f11: vec2<f32>) -> vec2<f32> {
    let top = (1.0 - ax.t) * f00 + ax.t * f10;
    let bottom = (1.0 - ax.t) * f01 + ax.t * f11;
    return (1.0 - ay.t) * top + ay.t * bottom;
}

// `sample::nearest`: the pixel nearest to (x, y), clamped into the image.
fn nearest(x: f32, y: f32, w: u32, h: u32) -> u32 {
    let xi = u32(min(max(x + 0.5, 0.0), f32(w - 1u)));
    let yi = u32(min(max(y + 0.5, 0.0), f32(h - 1u)));
    return yi * w + xi;
}

// `sample::inside`: the point's nearest pixel exists.
fn inside(x: f32, y: f32, w: u32, h: u32) -> bool {
    return x >= -0.5 && y >= -0.5 && x < f32(w) - 0.5 && y < f32(h) - 0.5;
}

// `sample::consistent`: |a + b|^2 where it is below rel * (|a|^2 + |b|^2) + abs, else -1.
fn consistent(a: vec2<f32>, b: vec2<f32>, rel: f32, abs_: f32) -> f32 {
    let du = a.x + b.x;
    let dv = a.y + b.y;
    let e = du * du + dv * dv;
    let norms = (a.x * a.x + a.y * a.y) + (b.x * b.x + b.y * b.y);
    if (is_finite(e) && e < rel * norms + abs_) {
        return e;
    }
    return -1.0;
}
