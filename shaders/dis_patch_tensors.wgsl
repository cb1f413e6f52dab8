// Per-patch sums over frame a's patch of [gx*gx, gx*gy, gy*gy, gx, gy]
// (`inverse_search::patch_tensors`): the structure tensor and the gradient sums that mean
// normalisation needs, accumulated row-major. One invocation per patch.

// Frame a's level buffer [intensity | gx | gy].
@group(0) @binding(0) var<storage, read_write> level: array<f32>;
// 5 floats per patch, patches row-major.
@group(0) @binding(1) var<storage, read_write> tensors: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.nx || g.y >= p.ny) {
        return;
    }
    let n = p.w * p.h;
    let x0 = i32(g.x * p.stride);
    let y0 = i32(g.y * p.stride);
    var sxx = 0.0;
    var sxy = 0.0;
    var syy = 0.0;
    var sx = 0.0;
    var sy = 0.0;
    for (var r = 0; r < i32(p.size); r++) {
        for (var c = 0; c < i32(p.size); c++) {
            let k = clamped(x0 + c, y0 + r, p.w, p.h);
            let a = level[n + k];
            let b = level[2u * n + k];
            sxx += a * a;
            sxy += a * b;
            syy += b * b;
            sx += a;
            sy += b;
        }
    }
    let o = 5u * (g.y * p.nx + g.x);
    tensors[o] = sxx;
    tensors[o + 1u] = sxy;
    tensors[o + 2u] = syy;
    tensors[o + 3u] = sx;
    tensors[o + 4u] = sy;
}
