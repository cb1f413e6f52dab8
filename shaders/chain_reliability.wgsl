// Reliability map of one flow direction (`chain::reliability::pixel`): per pixel of flow `a`,
// the motion-boundary test on a's central-difference gradient, then the forward-backward
// test against the opposite flow `b` sampled bilinearly at the pixel's target. Writes the
// squared discrepancy |a + b(x + a)|^2 where both pass, -1 (UNRELIABLE) elsewhere. One
// invocation per pixel.
//
// Non-finite flow must come out unreliable, as on the CPU where every NaN comparison fails;
// WGSL compilers may assume NaN never occurs, so finiteness is tested on the bits first.

struct Params {
    w: u32,
    h: u32,
    fb_rel: f32,
    fb_abs: f32,
    mb_rel: f32,
    mb_abs: f32,
}

@group(0) @binding(0) var<storage, read_write> a: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> b: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> err: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: Params;

const UNRELIABLE: f32 = -1.0;

// Sampling helpers: `chain_sampling.wgsl`.

// `sample::bilinear` of flow b.
fn sample_b(x: f32, y: f32) -> vec2<f32> {
    let ax = axis(x, p.w);
    let ay = axis(y, p.h);
    return bilinear_of(ax, ay, b[ay.i0 * p.w + ax.i0], b[ay.i0 * p.w + ax.i1], b[ay.i1 * p.w + ax.i0], b[ay.i1 * p.w + ax.i1]);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let x = g.x;
    let y = g.y;
    let i = y * p.w + x;
    let f = a[i];
    let l = a[y * p.w + (max(x, 1u) - 1u)];
    let r = a[y * p.w + min(x + 1u, p.w - 1u)];
    let u = a[(max(y, 1u) - 1u) * p.w + x];
    let d = a[min(y + 1u, p.h - 1u) * p.w + x];
    if (!(finite2(f) && finite2(l) && finite2(r) && finite2(u) && finite2(d))) {
        err[i] = UNRELIABLE;
        return;
    }
    let dux = (r.x - l.x) * 0.5;
    let dvx = (r.y - l.y) * 0.5;
    let duy = (d.x - u.x) * 0.5;
    let dvy = (d.y - u.y) * 0.5;
    let grad = (dux * dux + dvx * dvx) + (duy * duy + dvy * dvy);
    let speed = f.x * f.x + f.y * f.y;
    // A huge but finite flow can still overflow the squares; an infinite gradient counts
    // as a boundary, as on the CPU.
    if (!is_finite(grad) || !(grad <= p.mb_rel * speed + p.mb_abs)) {
        err[i] = UNRELIABLE;
        return;
    }
    let bv = sample_b(f32(x) + f.x, f32(y) + f.y);
    let e = consistent(f, bv, p.fb_rel, p.fb_abs);
    if (finite2(bv) && e >= 0.0) {
        err[i] = e;
    } else {
        err[i] = UNRELIABLE;
    }
}
