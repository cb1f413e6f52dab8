// One propagation + Gauss-Newton round of DIS's inverse search
// (`inverse_search::search_round`, which documents the method). One invocation per patch; it
// reads only the previous round's states, so patches are independent (Jacobi propagation).
//
// Sums follow the CPU's order exactly: per patch column over rows top to bottom, then the
// column sums left to right. Frame b is sampled as integer base floor(u) plus fraction, each
// window row interpolated horizontally first; recomputing a row's interpolation for the row
// below gives the same value, so no (P+1) x P window is kept in private memory.

struct Params {
    w: u32,
    h: u32,
    size: u32,
    stride: u32,
    nx: u32,
    ny: u32,
    iters: u32,
    mean_normalization: u32,
    ridge: f32,
    candidate_tolerance: f32,
    warped_gradient: u32,
    _pad: u32,
}

// Level buffers [intensity | gx | gy] of frames a and b (b's gradients are read only with
// warped_gradient).
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
// [sxx, sxy, syy, sx, sy] per patch.
@group(0) @binding(2) var<storage, read_write> tensors: array<f32>;
// Patch states (u, v, settled 0/1, unused), previous round and this one.
@group(0) @binding(3) var<storage, read_write> prev: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> next: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> p: Params;

const SSD_ONLY: u32 = 0u;
const TEMPLATE_GRAD: u32 = 1u;
const WARPED_GRAD: u32 = 2u;

struct Eval {
    ssd: f32,
    bx: f32,
    by: f32,
}

// Frame b's plane `plane` (0 intensity, 1 gx, 2 gy) at row y, horizontally interpolated
// between columns x and x + 1.
fn b_row(plane: u32, x: i32, y: i32, ax: f32) -> f32 {
    let o = plane * p.w * p.h;
    return (1.0 - ax) * b[o + clamped(x, y, p.w, p.h)] + ax * b[o + clamped(x + 1, y, p.w, p.h)];
}

fn evaluate(mode: u32, x0: i32, y0: i32, uv_in: vec2<f32>, mn: f32, sx: f32, sy: f32) -> Eval {
    let size = i32(p.size);
    let n = p.w * p.h;
    // Past one window beyond the border every tap is clamped anyway.
    let lx = f32(p.w + p.size + 2u);
    let ly = f32(p.h + p.size + 2u);
    let uv = vec2<f32>(clamp(uv_in.x, -lx, lx), clamp(uv_in.y, -ly, ly));
    let fl = floor(uv);
    let ax = uv.x - fl.x;
    let ay = uv.y - fl.y;
    let bx = x0 + i32(fl.x);
    let by = y0 + i32(fl.y);
    var sd = 0.0;
    var sd2 = 0.0;
    var sgx = 0.0;
    var sgy = 0.0;
    var s1x = 0.0;
    var s1y = 0.0;
    for (var c = 0; c < size; c++) {
        var ad = 0.0;
        var ad2 = 0.0;
        var agx = 0.0;
        var agy = 0.0;
        var a1x = 0.0;
        var a1y = 0.0;
        var top = b_row(0u, bx + c, by, ax);
        var top_gx = 0.0;
        var top_gy = 0.0;
        if (mode == WARPED_GRAD) {
            top_gx = b_row(1u, bx + c, by, ax);
            top_gy = b_row(2u, bx + c, by, ax);
        }
        for (var r = 0; r < size; r++) {
            let bot = b_row(0u, bx + c, by + r + 1, ax);
            let k = clamped(x0 + c, y0 + r, p.w, p.h);
            let d = ((1.0 - ay) * top + ay * bot) - a[k];
            ad += d;
            ad2 += d * d;
            if (mode == TEMPLATE_GRAD) {
                agx += d * a[n + k];
                agy += d * a[2u * n + k];
            } else if (mode == WARPED_GRAD) {
                let bot_gx = b_row(1u, bx + c, by + r + 1, ax);
                let bot_gy = b_row(2u, bx + c, by + r + 1, ax);
                let gx = (1.0 - ay) * top_gx + ay * bot_gx;
                let gy = (1.0 - ay) * top_gy + ay * bot_gy;
                agx += d * gx;
                agy += d * gy;
                a1x += gx;
                a1y += gy;
                top_gx = bot_gx;
                top_gy = bot_gy;
            }
            top = bot;
        }
        sd += ad;
        sd2 += ad2;
        sgx += agx;
        sgy += agy;
        s1x += a1x;
        s1y += a1y;
    }
    var gsx = sx;
    var gsy = sy;
    if (mode == WARPED_GRAD) {
        gsx = s1x;
        gsy = s1y;
    }
    return Eval(sd2 - sd * sd * mn, sgx - sd * gsx * mn, sgy - sd * gsy * mn);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let jx = g.x;
    let jy = g.y;
    if (jx >= p.nx || jy >= p.ny) {
        return;
    }
    let idx = jy * p.nx + jx;
    let own = prev[idx].xy;

    // Candidates in the CPU's order: own, left, right, up, down, skipping one within the
    // tolerance of an earlier candidate.
    let tol = p.candidate_tolerance;
    var cands: array<vec2<f32>, 5>;
    cands[0] = own;
    var ncand = 1u;
    for (var q = 0u; q < 4u; q++) {
        var ni = 0u;
        var exists = false;
        switch q {
            case 0u: { exists = jx > 0u; ni = idx - 1u; }
            case 1u: { exists = jx + 1u < p.nx; ni = idx + 1u; }
            case 2u: { exists = jy > 0u; ni = idx - p.nx; }
            default: { exists = jy + 1u < p.ny; ni = idx + p.nx; }
        }
        if (!exists) {
            continue;
        }
        let c = prev[ni].xy;
        var seen = false;
        for (var e = 0u; e < ncand; e++) {
            let o = cands[e];
            if (abs(o.x - c.x) <= tol && abs(o.y - c.y) <= tol) {
                seen = true;
            }
        }
        if (!seen) {
            cands[ncand] = c;
            ncand += 1u;
        }
    }
    if (ncand == 1u && prev[idx].z != 0.0) {
        next[idx] = vec4<f32>(own, 1.0, 0.0);
        return;
    }

    let x0 = i32(jx * p.stride);
    let y0 = i32(jy * p.stride);
    let npx = f32(p.size * p.size);
    var mn = 0.0;
    if (p.mean_normalization != 0u) {
        mn = 1.0 / npx;
    }
    let t = 5u * idx;
    let sxx = tensors[t];
    let sxy = tensors[t + 1u];
    let syy = tensors[t + 2u];
    let sx = tensors[t + 3u];
    let sy = tensors[t + 4u];

    var best = own;
    if (ncand > 1u) {
        // The largest f32 stands in for the CPU's infinity (an infinite constant is a WGSL
        // error); no finite cost reaches it.
        var best_ssd = bitcast<f32>(0x7f7fffffu);
        for (var e = 0u; e < ncand; e++) {
            let ev = evaluate(SSD_ONLY, x0, y0, cands[e], mn, sx, sy);
            if (ev.ssd < best_ssd) {
                best = cands[e];
                best_ssd = ev.ssd;
            }
        }
    }

    let ridge = p.ridge * npx;
    let hxx = sxx - sx * sx * mn + ridge;
    let hxy = sxy - sx * sy * mn;
    let hyy = syy - sy * sy * mn + ridge;
    let det = max(hxx * hyy - hxy * hxy, 1e-6);
    let i11 = hyy / det;
    let i12 = -hxy / det;
    let i22 = hxx / det;

    var mode = TEMPLATE_GRAD;
    if (p.warped_gradient != 0u) {
        mode = WARPED_GRAD;
    }
    let start = best;
    var cur = best;
    var settled = p.iters == 0u;
    if (p.iters > 0u) {
        var cur_eval = evaluate(mode, x0, y0, best, mn, sx, sy);
        for (var it = 0u; it < p.iters; it++) {
            let dx = i11 * cur_eval.bx + i12 * cur_eval.by;
            let dy = i12 * cur_eval.bx + i22 * cur_eval.by;
            let cand = vec2<f32>(cur.x - dx, cur.y - dy);
            if (!(is_finite(cand.x) && is_finite(cand.y))) {
                settled = true;
                break;
            }
            let ev = evaluate(mode, x0, y0, cand, mn, sx, sy);
            // (also stops on NaN)
            if (!(ev.ssd < cur_eval.ssd)) {
                settled = true;
                break;
            }
            cur = cand;
            cur_eval = ev;
        }
    }
    let du = cur.x - start.x;
    let dv = cur.y - start.y;
    if (du * du + dv * dv > npx) {
        // Sent back to its start, which repeats identically next round.
        next[idx] = vec4<f32>(start, 1.0, 0.0);
    } else {
        next[idx] = vec4<f32>(cur, select(0.0, 1.0, settled), 0.0);
    }
}
