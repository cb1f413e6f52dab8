// Charbonnier smoothness weights of the current flow W + dW (`variational::smoothness_weights`):
// alpha/2 / sqrt(ux² + vx² + uy² + vy² + eps²) from forward differences, stored per pixel as
// [right-edge weight, down-edge weight] in the split layout, 0 where the edge leaves the
// image. One invocation per pixel, indexed by (entry, colour * h + row).

struct Params {
    w: u32,
    h: u32,
    rw: u32,
    half_alpha: f32,
    eps2: f32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> packed: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: Params;

// Flow W + dW of the pixel at entry e of row (c, y).
fn flow_at(c: u32, y: u32, e: u32) -> vec2<f32> {
    let pk = split_row(c, y, 11u, 9u, p.h, p.rw) + e;
    let d = split_row(c, y, 2u, 0u, p.h, p.rw) + e;
    return vec2<f32>(packed[pk] + dw[d], packed[pk + p.rw] + dw[d + p.rw]);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    let h = p.h;
    let px = split_pixel(g, w, h);
    if (!px.valid) {
        return;
    }
    let c = px.c;
    let y = px.y;
    let k = px.k;
    let o = 1u - c;
    let off = (y + c) & 1u;
    let here = flow_at(c, y, 1u + k);
    let has_r = 2u * k + off + 1u < w;
    var dx = vec2<f32>(0.0);
    if (has_r) {
        dx = flow_at(o, y, 1u + off + k) - here;
    }
    // Past the last row the lower neighbour is the pixel itself (difference 0).
    var below = here;
    if (y + 1u < h) {
        below = flow_at(o, y + 1u, 1u + k);
    }
    let dy = below - here;
    let s = p.half_alpha / sqrt(dx.x * dx.x + dx.y * dx.y + dy.x * dy.x + dy.y * dy.y + p.eps2);
    let out = split_row(c, y, 2u, 0u, h, p.rw) + 1u + k;
    weights[out] = select(0.0, s, has_r);
    weights[out + p.rw] = select(0.0, s, y + 1u < h);
}
