// Flow resampled onto a 2^levels finer grid (`pyramid::upsample_flow`): fine pixel x reads
// the coarse field bilinearly at (x + 0.5) / 2^levels - 0.5 and scales the vector by
// 2^levels. One invocation per fine pixel.

struct Params {
    coarse_w: u32,
    coarse_h: u32,
    w: u32,
    h: u32,
    // 2^levels and its inverse, as f32 bits.
    scale: f32,
    inv_scale: f32,
}

@group(0) @binding(0) var<storage, read_write> coarse: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> fine: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let cx = (f32(g.x) + 0.5) * p.inv_scale - 0.5;
    let cy = (f32(g.y) + 0.5) * p.inv_scale - 0.5;
    let t = taps(p.coarse_w, p.coarse_h, cx, cy);
    let v = lerp_taps2(t, coarse[t.i00], coarse[t.i01], coarse[t.i10], coarse[t.i11]);
    fine[g.y * p.w + g.x] = p.scale * v;
}
