// Next DIS pyramid level (`pyramid::downsample`): coarse pixel X is the binomial [1 3 3 1]/8
// filter of fine pixels 2X-1..2X+2 along both axes, indices clamped. Both separable passes
// in one invocation per coarse pixel, in the CPU's order: per fine row
// hs = (r[2X-1] + r[2X+2]) + 3*(r[2X] + r[2X+1]), then
// ((hs[2Y-1] + hs[2Y+2]) + 3*(hs[2Y] + hs[2Y+1])) / 64.

struct Params {
    fine_w: u32,
    fine_h: u32,
    w: u32,
    h: u32,
}

@group(0) @binding(0) var<storage, read_write> fine: array<f32>;
@group(0) @binding(1) var<storage, read_write> coarse: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: Params;

fn row_sum(y: u32, x: u32) -> f32 {
    let o = y * p.fine_w;
    let a = fine[o + max(2u * x, 1u) - 1u];
    let b = fine[o + 2u * x];
    let c = fine[o + 2u * x + 1u];
    let d = fine[o + min(2u * x + 2u, p.fine_w - 1u)];
    return (a + d) + 3.0 * (b + c);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let y = g.y;
    let a = row_sum(max(2u * y, 1u) - 1u, g.x);
    let b = row_sum(2u * y, g.x);
    let c = row_sum(2u * y + 1u, g.x);
    let d = row_sum(min(2u * y + 2u, p.fine_h - 1u), g.x);
    coarse[y * p.w + g.x] = ((a + d) + 3.0 * (b + c)) * (1.0 / 64.0);
}
