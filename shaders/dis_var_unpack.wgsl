// W + dW back from the split layout to the plain interleaved flow (`variational::unpack`).
// One invocation per pixel.

struct Params {
    w: u32,
    h: u32,
    rw: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> packed: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> flow: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let c = (g.x + g.y) & 1u;
    let e = 1u + (g.x >> 1u);
    let pk = split_row(c, g.y, 11u, 9u, p.h, p.rw) + e;
    let d = split_row(c, g.y, 2u, 0u, p.h, p.rw) + e;
    flow[g.y * p.w + g.x] = vec2<f32>(packed[pk] + dw[d], packed[pk + p.rw] + dw[d + p.rw]);
}
