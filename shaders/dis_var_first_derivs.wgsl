// Second pass of the variational linearisation (`variational::linearize`, pass B): central
// differences 0.5 * (p[x+1] - p[x-1]) with clamped indices of the warped average and of iz.
// One invocation per pixel; output (ix, iy, ixz, iyz).

struct Params {
    w: u32,
    h: u32,
}

// (average, iz) per pixel, from dis_var_warp.
@group(0) @binding(0) var<storage, read_write> warp: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    if (g.x >= w || g.y >= p.h) {
        return;
    }
    let row = g.y * w;
    let left = warp[row + max(g.x, 1u) - 1u];
    let right = warp[row + min(g.x + 1u, w - 1u)];
    let up = warp[(max(g.y, 1u) - 1u) * w + g.x];
    let down = warp[min(g.y + 1u, p.h - 1u) * w + g.x];
    let dx = 0.5 * (right - left);
    let dy = 0.5 * (down - up);
    out[row + g.x] = vec4<f32>(dx.x, dy.x, dx.y, dy.y);
}
