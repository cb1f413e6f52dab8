// First pass of the variational linearisation (`variational::linearize`, pass A): frame b
// warped by the flow W, averaged with frame a, and the temporal difference iz = warped - a.
// One invocation per pixel; output (average, iz).

struct Params {
    w: u32,
    h: u32,
}

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> flow: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let i = g.y * p.w + g.x;
    let uv = flow[i];
    let t = taps(p.w, p.h, f32(g.x) + uv.x, f32(g.y) + uv.y);
    let warped = lerp_taps(t, b[t.i00], b[t.i01], b[t.i10], b[t.i11]);
    let i0 = a[i];
    out[i] = vec2<f32>(0.5 * (i0 + warped), warped - i0);
}
