//! Variational refinement (the paper's section 2.3, after Brox et al. / EpicFlow): energy =
//! robust brightness constancy (weight delta) + robust gradient constancy (gamma), both
//! normalised by the local gradient magnitude, + robust smoothness (alpha), all Charbonnier.
//! The image is linearised once around the input flow W; `iters` fixed-point iterations each
//! re-weight the robust terms around W + dW and solve the linear system for dW with
//! `sor_iters` red-black SOR sweeps.
//!
//! Red-black: pixel (x, y) is red when x + y is even. A red sweep updates every red pixel from
//! its four black neighbours only, then a black sweep does the converse, so each sweep is one
//! kernel with one thread per pixel of the colour and no ordering between threads. The
//! increments dW are stored split by colour (`[colour][y][x >> 1]`, rows of ceil(w/2) entries)
//! so that a sweep writes one half and reads the other; a GPU version can keep the same layout
//! or a plain one.

use super::par;
use super::pool::Pool;
use super::pyramid::{bilinear, Plane};
use crate::tracks::Flow;

/// Constants of the refinement. Units: intensities 0..255, pixels of the current level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarParams {
    pub iters: usize,
    pub sor_iters: usize,
    pub alpha: f32,
    pub delta: f32,
    pub gamma: f32,
    pub omega: f32,
    /// Added to the squared gradient norms that normalise the data terms; also a tiny
    /// Tikhonov term on dW.
    pub zeta: f32,
    /// Charbonnier epsilon.
    pub epsilon: f32,
}

/// Image derivatives at the linearisation point, 8 per pixel (`d[8*i..8*i+8]`):
/// `[ix, iy, iz, ixx, ixy, iyy, ixz, iyz]`, where the spatial ones are taken on the average
/// of frame a and frame b warped by W, and iz = warped b - a.
#[derive(Clone, Debug, PartialEq)]
pub struct Linearization {
    pub w: usize,
    pub h: usize,
    pub d: Vec<f32>,
}

/// Central difference `0.5*(p[x+1]-p[x-1])` of channel `c` of an `n`-channel row, clamped.
#[inline]
fn cdiff(row: &[f32], n: usize, c: usize, x: usize) -> f32 {
    let w = row.len() / n;
    0.5 * (row[(x + 1).min(w - 1) * n + c] - row[x.saturating_sub(1) * n + c])
}

/// Three per-pixel kernels: (A) warp b by W, average with a and take iz; (B) first derivatives
/// of the average and of iz; (C) second derivatives (derivatives of ix, iy). Every derivative
/// is a central difference with clamped indices.
pub fn linearize(pool: &mut Pool, i0: &Plane, i1: &Plane, flow: &Flow) -> Linearization {
    let (w, h) = (i0.w, i0.h);
    // A: [avg, iz]
    let mut a = pool.take_dirty(2 * w * h);
    par::rows(&mut a, 2 * w, 16, |y, row| {
        for x in 0..w {
            let k = y * w + x;
            let (u, v) = (flow.uv[2 * k], flow.uv[2 * k + 1]);
            let warped = bilinear(&i1.data, 1, 0, w, h, x as f32 + u, y as f32 + v);
            let i0v = i0.data[k];
            row[2 * x] = 0.5 * (i0v + warped);
            row[2 * x + 1] = warped - i0v;
        }
    });
    // B: [ix, iy, ixz, iyz]
    let mut b = pool.take_dirty(4 * w * h);
    par::rows(&mut b, 4 * w, 8, |y, row| {
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let ar = &a[2 * y * w..2 * (y + 1) * w];
        let (au, ad) = (
            &a[2 * yu * w..2 * (yu + 1) * w],
            &a[2 * yd * w..2 * (yd + 1) * w],
        );
        for x in 0..w {
            row[4 * x] = cdiff(ar, 2, 0, x);
            row[4 * x + 1] = 0.5 * (ad[2 * x] - au[2 * x]);
            row[4 * x + 2] = cdiff(ar, 2, 1, x);
            row[4 * x + 3] = 0.5 * (ad[2 * x + 1] - au[2 * x + 1]);
        }
    });
    // C: assemble with [ixx, ixy, iyy]
    let mut out = Linearization {
        w,
        h,
        d: pool.take_dirty(8 * w * h),
    };
    par::rows(&mut out.d, 8 * w, 8, |y, row| {
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let br = &b[4 * y * w..4 * (y + 1) * w];
        let (bu, bd) = (
            &b[4 * yu * w..4 * (yu + 1) * w],
            &b[4 * yd * w..4 * (yd + 1) * w],
        );
        let ar = &a[2 * y * w..2 * (y + 1) * w];
        for x in 0..w {
            let o = &mut row[8 * x..8 * x + 8];
            o[0] = br[4 * x];
            o[1] = br[4 * x + 1];
            o[2] = ar[2 * x + 1];
            o[3] = cdiff(br, 4, 0, x);
            o[4] = 0.5 * (bd[4 * x] - bu[4 * x]);
            o[5] = 0.5 * (bd[4 * x + 1] - bu[4 * x + 1]);
            o[6] = br[4 * x + 2];
            o[7] = br[4 * x + 3];
        }
    });
    pool.give(a);
    pool.give(b);
    out
}

/// Red-black split layout: pixel (x, y) has colour c = (x + y) & 1 and sits at entry
/// `1 + (x >> 1)` of row (c, y); rows hold `rw = ceil(w/2) + 2` entries so that entry 0 and the
/// last one are zero pads (a left/right neighbour past the border reads a pad, always with
/// weight 0). A buffer with `f` fields stores, per (c, y), its f field rows one after the
/// other, colour 0's rows first: a kernel gets one contiguous row per field, which is what
/// lets the CPU vectorise and the GPU coalesce.
///
/// Neighbours of entry e of row (c, y), with off = (y + c) & 1, all in colour 1 - c:
/// left = entry e - 1 + off of row y, right = e + off of row y, up/down = e of rows y -+ 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub w: usize,
    pub h: usize,
    pub rw: usize,
}

impl Split {
    pub fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            rw: w.div_ceil(2) + 2,
        }
    }
    /// Pixels of colour c in row y.
    #[inline]
    pub fn len(&self, c: usize, y: usize) -> usize {
        let off = (y + c) & 1;
        (self.w + 1 - off) / 2
    }
    /// Start of (c, y)'s block in a buffer with `f` fields.
    #[inline]
    pub fn block(&self, c: usize, y: usize, f: usize) -> usize {
        (c * self.h + y) * f * self.rw
    }
    pub fn buffer(&self, pool: &mut Pool, f: usize) -> Vec<f32> {
        pool.take(2 * self.h * f * self.rw)
    }
}

/// Field `i` of block (c, y) of a split buffer with `f` fields.
#[inline]
fn field<'a>(buf: &'a [f32], sp: &Split, c: usize, y: usize, f: usize, i: usize) -> &'a [f32] {
    &buf[sp.block(c, y, f) + i * sp.rw..][..sp.rw]
}

/// Fields of the packed linearisation: the data-term derivatives divided by the square root
/// of their normalisation (so the per-iteration kernels need no division for it):
/// `[ix, iy, iz] / sqrt(ix²+iy²+zeta²)`, `[ixx, ixy, ixz] / sqrt(ixx²+ixy²+zeta²)`,
/// `[ixy, iyy, iyz] / sqrt(iyy²+ixy²+zeta²)`, then the flow W being refined `[u, v]`.
pub const PACK_FIELDS: usize = 11;
/// Smoothness weight fields: `[right-edge weight, down-edge weight]` (0 past the border).
pub const WEIGHT_FIELDS: usize = 2;
/// Fields of the per-pixel system: `[1/a11, 1/a22, a12, b1, b2, wl, wr, wu, wd]`, i.e.
/// `a11*du + a12*dv - sum_n w_n*du_n = b1` (same for v; a11, a22 include the smoothness
/// weights), n = left, right, up, down.
pub const COEF_FIELDS: usize = 9;

/// Refines `flow`; returns W + dW. Kernels: `linearize`, `pack`, then per fixed-point
/// iteration `smoothness_weights`, `assemble`, `sor_iters` x (red, black) `sor_sweep`; at the
/// end `unpack` (W + dW).
pub fn refine(pool: &mut Pool, i0: &Plane, i1: &Plane, flow: &Flow, p: &VarParams) -> Flow {
    let (w, h) = (i0.w, i0.h);
    if p.iters == 0 || w == 0 || h == 0 {
        let mut out = pool.flow(w, h);
        out.uv.copy_from_slice(&flow.uv);
        return out;
    }
    let lin = linearize(pool, i0, i1, flow);
    let sp = Split::new(w, h);
    let packed = pack(pool, &lin, flow, &sp, p);
    pool.give(lin.d);
    let mut dw = sp.buffer(pool, 2);
    let mut sw = sp.buffer(pool, WEIGHT_FIELDS);
    // Only entries 1..=len of each row are ever read: no zero fill needed.
    let mut coef = pool.take_dirty(2 * h * COEF_FIELDS * sp.rw);
    for _ in 0..p.iters {
        smoothness_weights(&packed, &dw, &mut sw, &sp, p);
        assemble(&packed, &sw, &dw, &mut coef, &sp, p);
        for _ in 0..p.sor_iters {
            sor_sweep(&coef, &mut dw, &sp, 0, p.omega);
            sor_sweep(&coef, &mut dw, &sp, 1, p.omega);
        }
    }
    let out = unpack(pool, &packed, &dw, &sp);
    for b in [packed, dw, sw, coef] {
        pool.give(b);
    }
    out
}

/// Plain-layout linearisation and flow into the split layout (`PACK_FIELDS`). Kernel: one
/// thread per pixel.
pub fn pack(
    pool: &mut Pool,
    lin: &Linearization,
    flow: &Flow,
    sp: &Split,
    p: &VarParams,
) -> Vec<f32> {
    let (w, h, rw) = (sp.w, sp.h, sp.rw);
    let z2 = p.zeta * p.zeta;
    let mut out = sp.buffer(pool, PACK_FIELDS);
    par::rows(&mut out, PACK_FIELDS * rw, 20 * rw, |cy, block| {
        let (c, y) = (cy / h, cy % h);
        let off = (y + c) & 1;
        for k in 0..sp.len(c, y) {
            let i = y * w + 2 * k + off;
            let d = &lin.d[8 * i..8 * i + 8];
            let (ix, iy, iz, ixx, ixy, iyy, ixz, iyz) =
                (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
            let nb = 1.0 / (ix * ix + iy * iy + z2).sqrt();
            let nx = 1.0 / (ixx * ixx + ixy * ixy + z2).sqrt();
            let ny = 1.0 / (iyy * iyy + ixy * ixy + z2).sqrt();
            let vals = [
                ix * nb,
                iy * nb,
                iz * nb,
                ixx * nx,
                ixy * nx,
                ixz * nx,
                ixy * ny,
                iyy * ny,
                iyz * ny,
                flow.uv[2 * i],
                flow.uv[2 * i + 1],
            ];
            for (f, v) in vals.iter().enumerate() {
                block[f * rw + 1 + k] = *v;
            }
        }
    });
    out
}

/// Charbonnier smoothness weight `alpha/2 / sqrt(ux²+vx²+uy²+vy² + eps²)` of the current flow
/// W + dW, from forward differences (zero past the last column/row). The weight at (x, y)
/// belongs to its right and lower edges; stored as `[right, down]`, each 0 where that edge
/// leaves the image. Kernel: one thread per pixel.
pub fn smoothness_weights(packed: &[f32], dw: &[f32], out: &mut [f32], sp: &Split, p: &VarParams) {
    let (w, h, rw) = (sp.w, sp.h, sp.rw);
    let (a2, e2) = (0.5 * p.alpha, p.epsilon * p.epsilon);
    par::rows(out, WEIGHT_FIELDS * rw, 20 * rw, |cy, block| {
        let (c, y) = (cy / h, cy % h);
        let (o, off, n) = (1 - c, (y + c) & 1, sp.len(c, y));
        if n == 0 {
            return;
        }
        #[allow(clippy::too_many_arguments)]
        fn fl<'a>(
            b: &'a [f32],
            sp: &Split,
            f: usize,
            cc: usize,
            yy: usize,
            i: usize,
            lo: usize,
            n: usize,
        ) -> &'a [f32] {
            &field(b, sp, cc, yy, f, i)[lo..lo + n]
        }
        let fl = |b, f, cc, yy, i, lo| fl(b, sp, f, cc, yy, i, lo, n);
        let (wu0, wv0) = (
            fl(packed, PACK_FIELDS, c, y, 9, 1),
            fl(packed, PACK_FIELDS, c, y, 10, 1),
        );
        let (du0, dv0) = (fl(dw, 2, c, y, 0, 1), fl(dw, 2, c, y, 1, 1));
        let (wur, wvr) = (
            fl(packed, PACK_FIELDS, o, y, 9, 1 + off),
            fl(packed, PACK_FIELDS, o, y, 10, 1 + off),
        );
        let (dur, dvr) = (fl(dw, 2, o, y, 0, 1 + off), fl(dw, 2, o, y, 1, 1 + off));
        // Past the last row the lower neighbour is the pixel itself (difference 0).
        let (cd, yd) = if y + 1 < h { (o, y + 1) } else { (c, y) };
        let (wud, wvd) = (
            fl(packed, PACK_FIELDS, cd, yd, 9, 1),
            fl(packed, PACK_FIELDS, cd, yd, 10, 1),
        );
        let (dud, dvd) = (fl(dw, 2, cd, yd, 0, 1), fl(dw, 2, cd, yd, 1, 1));
        let (sr, sd) = block.split_at_mut(rw);
        let (sr, sd) = (&mut sr[1..=n], &mut sd[1..=n]);
        let down_ok = if y + 1 < h { 1.0 } else { 0.0 };
        // Only the last pixel of a row can lack a right neighbour.
        let last_has_r = 2 * (n - 1) + off + 1 < w;
        for k in 0..n {
            let u = wu0[k] + du0[k];
            let v = wv0[k] + dv0[k];
            let has_r = k + 1 < n || last_has_r;
            let ux = if has_r { (wur[k] + dur[k]) - u } else { 0.0 };
            let vx = if has_r { (wvr[k] + dvr[k]) - v } else { 0.0 };
            let uy = (wud[k] + dud[k]) - u;
            let vy = (wvd[k] + dvd[k]) - v;
            let s = a2 / (ux * ux + vx * vx + uy * uy + vy * vy + e2).sqrt();
            sr[k] = if has_r { s } else { 0.0 };
            sd[k] = s * down_ok;
        }
    });
}

/// Builds every pixel's system (`COEF_FIELDS`) from the packed linearisation, the current
/// increment dW (the robust data weights are evaluated at W + dW) and the smoothness weights.
/// Data terms follow the paper: brightness residual `iz + ix*du + iy*dv` normalised by
/// `ix²+iy²+zeta²`, gradient residuals likewise by their own norms; zeta² is also added to both
/// diagonals (a tiny Tikhonov term, as in OpenCV). Kernel: one thread per pixel.
pub fn assemble(
    packed: &[f32],
    sw: &[f32],
    dw: &[f32],
    coef: &mut [f32],
    sp: &Split,
    p: &VarParams,
) {
    let (h, rw) = (sp.h, sp.rw);
    let z2 = p.zeta * p.zeta;
    let e2 = p.epsilon * p.epsilon;
    let (d2, g2) = (0.5 * p.delta, 0.5 * p.gamma);
    let zeros = vec![0.0f32; rw];
    par::rows(coef, COEF_FIELDS * rw, 60 * rw, |cy, block| {
        let (c, y) = (cy / h, cy % h);
        let (o, off, n) = (1 - c, (y + c) & 1, sp.len(c, y));
        let pk = |i: usize| &field(packed, sp, c, y, PACK_FIELDS, i)[1..=n];
        let (bx, by, bz) = (pk(0), pk(1), pk(2));
        let (gxx, gxy, gxz) = (pk(3), pk(4), pk(5));
        let (gyx, gyy, gyz) = (pk(6), pk(7), pk(8));
        let (wu0, wv0) = (pk(9), pk(10));
        let du = &field(dw, sp, c, y, 2, 0)[1..=n];
        let dv = &field(dw, sp, c, y, 2, 1)[1..=n];
        let sr = &field(sw, sp, c, y, WEIGHT_FIELDS, 0)[1..=n];
        let sd = &field(sw, sp, c, y, WEIGHT_FIELDS, 1)[1..=n];
        let osr = field(sw, sp, o, y, WEIGHT_FIELDS, 0);
        let wl_s = &osr[off..off + n];
        let wu_s = if y > 0 {
            &field(sw, sp, o, y - 1, WEIGHT_FIELDS, 1)[1..=n]
        } else {
            &zeros[1..=n]
        };
        let (owu, owv) = (
            field(packed, sp, o, y, PACK_FIELDS, 9),
            field(packed, sp, o, y, PACK_FIELDS, 10),
        );
        let (lu_s, lv_s) = (&owu[off..off + n], &owv[off..off + n]);
        let (ru_s, rv_s) = (&owu[off + 1..off + 1 + n], &owv[off + 1..off + 1 + n]);
        let yu = y.saturating_sub(1);
        let yd = (y + 1).min(h - 1);
        let uu_s = &field(packed, sp, o, yu, PACK_FIELDS, 9)[1..=n];
        let uv_s = &field(packed, sp, o, yu, PACK_FIELDS, 10)[1..=n];
        let du_s = &field(packed, sp, o, yd, PACK_FIELDS, 9)[1..=n];
        let dv_s = &field(packed, sp, o, yd, PACK_FIELDS, 10)[1..=n];

        let mut f = block.chunks_exact_mut(rw).map(|r| &mut r[1..=n]);
        let (ia11, ia22, a12r, b1r) = (
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
        );
        let (b2r, wlr, wrr, wur, wdr) = (
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
        );
        for k in 0..n {
            let (du, dv) = (du[k], dv[k]);
            let (bx, by, bz) = (bx[k], by[k], bz[k]);
            let r = bz + bx * du + by * dv;
            let wd = d2 / (r * r + e2).sqrt();
            let mut a11 = wd * (bx * bx) + z2;
            let mut a12 = wd * (bx * by);
            let mut a22 = wd * (by * by) + z2;
            let mut b1 = -wd * (bz * bx);
            let mut b2 = -wd * (bz * by);

            let (gxx, gxy, gxz, gyx, gyy, gyz) = (gxx[k], gxy[k], gxz[k], gyx[k], gyy[k], gyz[k]);
            let rx = gxz + gxx * du + gxy * dv;
            let ry = gyz + gyx * du + gyy * dv;
            let wg = g2 / (rx * rx + ry * ry + e2).sqrt();
            a11 += wg * (gxx * gxx + gyx * gyx);
            a12 += wg * (gxx * gxy + gyx * gyy);
            a22 += wg * (gxy * gxy + gyy * gyy);
            b1 -= wg * (gxx * gxz + gyx * gyz);
            b2 -= wg * (gxy * gxz + gyy * gyz);

            // Smoothness couples W + dW with its neighbours; the W part goes to the right side.
            let (wl, wr, wu, wdn) = (wl_s[k], sr[k], wu_s[k], sd[k]);
            let (u, v) = (wu0[k], wv0[k]);
            let ws = ((wl + wr) + wu) + wdn;
            b1 += ((wl * (lu_s[k] - u) + wr * (ru_s[k] - u)) + wu * (uu_s[k] - u))
                + wdn * (du_s[k] - u);
            b2 += ((wl * (lv_s[k] - v) + wr * (rv_s[k] - v)) + wu * (uv_s[k] - v))
                + wdn * (dv_s[k] - v);
            ia11[k] = 1.0 / (a11 + ws);
            ia22[k] = 1.0 / (a22 + ws);
            a12r[k] = a12;
            b1r[k] = b1;
            b2r[k] = b2;
            wlr[k] = wl;
            wrr[k] = wr;
            wur[k] = wu;
            wdr[k] = wdn;
        }
    });
}

/// One red (`colour` 0) or black (1) SOR sweep over the split dW buffer: each pixel of the
/// colour solves its 2x2 system for du (then dv, with the new du) given its neighbours'
/// current values, over-relaxed by omega:
/// `du += omega*((b1 + sum_n w_n du_n - a12*dv) * (1/a11) - du)`, neighbours summed in the
/// order left, right, up, down. Kernel: one thread per pixel of the colour.
pub fn sor_sweep(coef: &[f32], dw: &mut [f32], sp: &Split, colour: usize, omega: f32) {
    let (h, rw) = (sp.h, sp.rw);
    let half = h * 2 * rw;
    let (red, black) = dw.split_at_mut(half);
    let (own, other): (&mut [f32], &[f32]) = if colour == 0 {
        (red, black)
    } else {
        (black, red)
    };
    let coef = &coef[colour * h * COEF_FIELDS * rw..][..h * COEF_FIELDS * rw];
    par::rows(own, 2 * rw, 15 * rw, |y, row| {
        let off = (y + colour) & 1;
        let n = sp.len(colour, y);
        let (du, dv) = row.split_at_mut(rw);
        let (du, dv) = (&mut du[1..=n], &mut dv[1..=n]);
        let orow = &other[y * 2 * rw..][..2 * rw];
        let up = &other[y.saturating_sub(1) * 2 * rw..][..2 * rw];
        let dn = &other[(y + 1).min(h - 1) * 2 * rw..][..2 * rw];
        let (ou, ov) = orow.split_at(rw);
        let (upu, upv) = (&up[1..=n], &up[rw + 1..=rw + n]);
        let (dnu, dnv) = (&dn[1..=n], &dn[rw + 1..=rw + n]);
        let cf = &coef[y * COEF_FIELDS * rw..][..COEF_FIELDS * rw];
        let fld = |i: usize| &cf[i * rw + 1..=i * rw + n];
        let (ia11, ia22, a12, b1, b2) = (fld(0), fld(1), fld(2), fld(3), fld(4));
        let (wl, wr, wu, wd) = (fld(5), fld(6), fld(7), fld(8));
        let (oul, ovl) = (&ou[off..off + n], &ov[off..off + n]);
        let (our, ovr) = (&ou[off + 1..off + 1 + n], &ov[off + 1..off + 1 + n]);
        for k in 0..n {
            let nu = ((wl[k] * oul[k] + wr[k] * our[k]) + wu[k] * upu[k]) + wd[k] * dnu[k];
            let nv = ((wl[k] * ovl[k] + wr[k] * ovr[k]) + wu[k] * upv[k]) + wd[k] * dnv[k];
            let mut u = du[k];
            let mut v = dv[k];
            u += omega * ((b1[k] + nu - a12[k] * v) * ia11[k] - u);
            v += omega * ((b2[k] + nv - a12[k] * u) * ia22[k] - v);
            du[k] = u;
            dv[k] = v;
        }
    });
}

/// W + dW back in the plain interleaved layout. Kernel: one thread per pixel.
pub fn unpack(pool: &mut Pool, packed: &[f32], dw: &[f32], sp: &Split) -> Flow {
    let (w, h, rw) = (sp.w, sp.h, sp.rw);
    let mut out = pool.flow(w, h);
    par::rows(&mut out.uv, 2 * w, 4, |y, row| {
        for x in 0..w {
            let c = (x + y) & 1;
            let e = 1 + (x >> 1);
            let pb = sp.block(c, y, PACK_FIELDS);
            let db = sp.block(c, y, 2);
            row[2 * x] = packed[pb + 9 * rw + e] + dw[db + e];
            row[2 * x + 1] = packed[pb + 10 * rw + e] + dw[db + rw + e];
        }
    });
    out
}
