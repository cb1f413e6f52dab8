// Sobel gradients divided by 8 of one pyramid level (`pyramid::gradients`), clamped indices.
// The level buffer is [intensity | gx | gy]: reads the first part, writes the other two.

struct Params {
    w: u32,
    h: u32,
}

@group(0) @binding(0) var<storage, read_write> level: array<f32>;
@group(0) @binding(1) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    let h = p.h;
    if (g.x >= w || g.y >= h) {
        return;
    }
    let x = g.x;
    let up = (max(g.y, 1u) - 1u) * w;
    let mid = g.y * w;
    let dn = min(g.y + 1u, h - 1u) * w;
    let xl = max(x, 1u) - 1u;
    let xr = min(x + 1u, w - 1u);
    let gx = (level[up + xr] - level[up + xl]) + 2.0 * (level[mid + xr] - level[mid + xl])
        + (level[dn + xr] - level[dn + xl]);
    let gy = (level[dn + xl] - level[up + xl]) + 2.0 * (level[dn + x] - level[up + x])
        + (level[dn + xr] - level[up + xr]);
    let n = w * h;
    level[n + mid + x] = gx * 0.125;
    level[2u * n + mid + x] = gy * 0.125;
}
