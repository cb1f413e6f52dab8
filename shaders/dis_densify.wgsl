// Dense flow from patch flows (`densify::densify`): every pixel averages the vectors of the
// patches containing it, weighted by 1 / max(1, |I1(x + u) - I0(x)|). A gather, one
// invocation per pixel, visiting the patches row by row, left to right, as the CPU does.

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dense: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> p: Params;

// Patches containing coordinate x along one axis: [ceil((x+1-size)/stride), floor(x/stride)]
// clipped to the grid's n patches.
fn span(x: u32, n: u32) -> vec2<u32> {
    var lo = 0u;
    if (x + 1u > p.size) {
        lo = (x + 1u - p.size + p.stride - 1u) / p.stride;
    }
    return vec2<u32>(lo, min(x / p.stride, n - 1u));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    let h = p.h;
    if (g.x >= w || g.y >= h) {
        return;
    }
    let xs = span(g.x, p.nx);
    let ys = span(g.y, p.ny);
    let i0 = a[g.y * w + g.x];
    var acc = vec3<f32>(0.0);
    for (var jy = ys.x; jy <= ys.y; jy++) {
        for (var jx = xs.x; jx <= xs.y; jx++) {
            let uv = state[jy * p.nx + jx].xy;
            // A bounded vector keeps the integer parts small; past one image size every tap
            // is clamped anyway.
            let u = clamp(uv.x, -f32(w) - 2.0, f32(w) + 2.0);
            let v = clamp(uv.y, -f32(h) - 2.0, f32(h) + 2.0);
            let fu = floor(u);
            let fv = floor(v);
            let ax = u - fu;
            let ay = v - fv;
            let bx = i32(g.x) + i32(fu);
            let by = i32(g.y) + i32(fv);
            let ta = b[clamped(bx, by, w, h)];
            let tb = b[clamped(bx + 1, by, w, h)];
            let tc = b[clamped(bx, by + 1, w, h)];
            let td = b[clamped(bx + 1, by + 1, w, h)];
            let warped = (1.0 - ay) * ((1.0 - ax) * ta + ax * tb) + ay * ((1.0 - ax) * tc + ax * td);
            let wt = 1.0 / max(abs(warped - i0), 1.0);
            acc += vec3<f32>(wt * uv.x, wt * uv.y, wt);
        }
    }
    dense[g.y * w + g.x] = acc.xy / acc.z;
}
