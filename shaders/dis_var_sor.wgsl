// One red (colour 0) or black (1) SOR sweep of the variational refinement
// (`variational::sor_sweep`): each pixel of the colour solves its 2x2 system for du, then dv
// with the new du, from its four neighbours (all of the other colour, so invocations are
// independent), over-relaxed by omega. One invocation per pixel of the colour.

struct Params {
    w: u32,
    h: u32,
    rw: u32,
    colour: u32,
    omega: f32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> coef: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let h = p.h;
    let rw = p.rw;
    let c = p.colour;
    let y = g.y;
    let k = g.x;
    if (y >= h || k >= split_len(c, y, p.w)) {
        return;
    }
    let o = 1u - c;
    let off = (y + c) & 1u;
    let e = 1u + k;
    let row = split_row(o, y, 2u, 0u, h, rw);
    let up = split_row(o, max(y, 1u) - 1u, 2u, 0u, h, rw) + e;
    let dn = split_row(o, min(y + 1u, h - 1u), 2u, 0u, h, rw) + e;
    let cf = split_row(c, y, 9u, 0u, h, rw) + e;
    let ia11 = coef[cf];
    let ia22 = coef[cf + rw];
    let a12 = coef[cf + 2u * rw];
    let b1 = coef[cf + 3u * rw];
    let b2 = coef[cf + 4u * rw];
    let wl = coef[cf + 5u * rw];
    let wr = coef[cf + 6u * rw];
    let wu = coef[cf + 7u * rw];
    let wd = coef[cf + 8u * rw];
    let nu = ((wl * dw[row + off + k] + wr * dw[row + off + 1u + k]) + wu * dw[up]) + wd * dw[dn];
    let nv = ((wl * dw[row + rw + off + k] + wr * dw[row + rw + off + 1u + k]) + wu * dw[up + rw])
        + wd * dw[dn + rw];
    let own = split_row(c, y, 2u, 0u, h, rw) + e;
    var u = dw[own];
    var v = dw[own + rw];
    u += p.omega * ((b1 + nu - a12 * v) * ia11 - u);
    v += p.omega * ((b2 + nv - a12 * u) * ia22 - v);
    dw[own] = u;
    dw[own + rw] = v;
}
