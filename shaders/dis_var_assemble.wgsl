// Every pixel's 2x2 system of the variational refinement (`variational::assemble`): robust
// brightness and gradient constancy weights evaluated at W + dW, smoothness weights of the
// four edges, the W part of the smoothness moved to the right side. Output in the split
// layout, 9 fields: [1/a11, 1/a22, a12, b1, b2, wl, wr, wu, wd]. One invocation per pixel,
// indexed by (entry, colour * h + row).

struct Params {
    w: u32,
    h: u32,
    rw: u32,
    zeta2: f32,
    eps2: f32,
    half_delta: f32,
    half_gamma: f32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> packed: array<f32>;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> coef: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: Params;

fn field(c: u32, y: u32, i: u32, e: u32) -> f32 {
    return packed[split_row(c, y, 11u, i, p.h, p.rw) + e];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    let h = p.h;
    let rw = p.rw;
    let px = split_pixel(g, w, h);
    if (!px.valid) {
        return;
    }
    let c = px.c;
    let y = px.y;
    let k = px.k;
    let o = 1u - c;
    let off = (y + c) & 1u;
    let e = 1u + k;
    let d = split_row(c, y, 2u, 0u, h, rw) + e;
    let du = dw[d];
    let dv = dw[d + rw];
    let bx = field(c, y, 0u, e);
    let by = field(c, y, 1u, e);
    let bz = field(c, y, 2u, e);
    let gxx = field(c, y, 3u, e);
    let gxy = field(c, y, 4u, e);
    let gxz = field(c, y, 5u, e);
    let gyx = field(c, y, 6u, e);
    let gyy = field(c, y, 7u, e);
    let gyz = field(c, y, 8u, e);
    let u = field(c, y, 9u, e);
    let v = field(c, y, 10u, e);

    let r = bz + bx * du + by * dv;
    let wd = p.half_delta / sqrt(r * r + p.eps2);
    var a11 = wd * (bx * bx) + p.zeta2;
    var a12 = wd * (bx * by);
    var a22 = wd * (by * by) + p.zeta2;
    var b1 = -wd * (bz * bx);
    var b2 = -wd * (bz * by);

    let rx = gxz + gxx * du + gxy * dv;
    let ry = gyz + gyx * du + gyy * dv;
    let wg = p.half_gamma / sqrt(rx * rx + ry * ry + p.eps2);
    a11 += wg * (gxx * gxx + gyx * gyx);
    a12 += wg * (gxx * gxy + gyx * gyy);
    a22 += wg * (gxy * gxy + gyy * gyy);
    b1 -= wg * (gxx * gxz + gyx * gyz);
    b2 -= wg * (gxy * gxz + gyy * gyz);

    // Smoothness couples W + dW with the neighbours; the W part goes to the right side. The
    // left neighbour's right weight and the upper neighbour's down weight are this pixel's
    // left and up weights (a zero pad past the border).
    let sw = split_row(c, y, 2u, 0u, h, rw) + e;
    let wr = weights[sw];
    let wdn = weights[sw + rw];
    let wl = weights[split_row(o, y, 2u, 0u, h, rw) + off + k];
    var wu = 0.0;
    if (y > 0u) {
        wu = weights[split_row(o, y - 1u, 2u, 1u, h, rw) + e];
    }
    let yu = max(y, 1u) - 1u;
    let yd = min(y + 1u, h - 1u);
    let lu = field(o, y, 9u, off + k);
    let lv = field(o, y, 10u, off + k);
    let ru = field(o, y, 9u, off + 1u + k);
    let rv = field(o, y, 10u, off + 1u + k);
    let uu = field(o, yu, 9u, e);
    let uv = field(o, yu, 10u, e);
    let dnu = field(o, yd, 9u, e);
    let dnv = field(o, yd, 10u, e);
    let ws = ((wl + wr) + wu) + wdn;
    b1 += ((wl * (lu - u) + wr * (ru - u)) + wu * (uu - u)) + wdn * (dnu - u);
    b2 += ((wl * (lv - v) + wr * (rv - v)) + wu * (uv - v)) + wdn * (dnv - v);

    let out = split_row(c, y, 9u, 0u, h, rw) + e;
    coef[out] = 1.0 / (a11 + ws);
    coef[out + rw] = 1.0 / (a22 + ws);
    coef[out + 2u * rw] = a12;
    coef[out + 3u * rw] = b1;
    coef[out + 4u * rw] = b2;
    coef[out + 5u * rw] = wl;
    coef[out + 6u * rw] = wr;
    coef[out + 7u * rw] = wu;
    coef[out + 8u * rw] = wdn;
}
