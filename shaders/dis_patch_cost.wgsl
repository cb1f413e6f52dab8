// Patch cost and Gauss-Newton descent of DIS's inverse search (`inverse_search::evaluate`
// and `Descent`), and the buffers of the kernels that search patch vectors (search round,
// coarse search). Not a kernel: it is concatenated after `dis_sampling.wgsl` and before a
// kernel that declares `struct Params`, which starts with the words of `search_params` (level
// size, patch grid, iters, mean_normalization, ridge) and has a `warped_gradient` field.
//
// Sums follow the CPU's order exactly: per patch column over rows top to bottom, then the
// column sums left to right. Frame b is sampled as integer base floor(u) plus fraction, each
// window row interpolated horizontally first; recomputing a row's interpolation for the row
// below gives the same value, so no (P+1) x P window is kept in private memory.

// Level buffers [intensity | gx | gy] of frames a and b (b's gradients are read only with
// warped_gradient).
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
// [sxx, sxy, syy, sx, sy] per patch.
@group(0) @binding(2) var<storage, read_write> tensors: array<f32>;
// Patch states (u, v, settled 0/1, unused) in and out.
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

// [i11, i12, i22] of the inverse of the mean-normalised, ridge-regularised structure tensor.
fn inverse_hessian(sxx: f32, sxy: f32, syy: f32, sx: f32, sy: f32, mn: f32, ridge: f32) -> vec3<f32> {
    let hxx = sxx - sx * sx * mn + ridge;
    let hxy = sxy - sx * sy * mn;
    let hyy = syy - sy * sy * mn + ridge;
    let det = max(hxx * hyy - hxy * hxy, 1e-6);
    return vec3<f32>(hyy / det, -hxy / det, hxx / det);
}

// Up to p.iters Gauss-Newton steps from `start`, each kept only if it lowers the cost:
// (end u, end v, settled 0/1, end cost). With p.iters = 0 the cost is a placeholder (the
// CPU's NaN; a NaN constant is a WGSL error): callers check p.iters.
fn descend(x0: i32, y0: i32, start: vec2<f32>, mn: f32, sx: f32, sy: f32, inv: vec3<f32>) -> vec4<f32> {
    var mode = TEMPLATE_GRAD;
    if (p.warped_gradient != 0u) {
        mode = WARPED_GRAD;
    }
    var cur = start;
    var settled = p.iters == 0u;
    var cost = bitcast<f32>(0x7f7fffffu);
    if (p.iters > 0u) {
        var cur_eval = evaluate(mode, x0, y0, start, mn, sx, sy);
        for (var it = 0u; it < p.iters; it++) {
            let dx = inv.x * cur_eval.bx + inv.y * cur_eval.by;
            let dy = inv.y * cur_eval.bx + inv.z * cur_eval.by;
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
        cost = cur_eval.ssd;
    }
    return vec4<f32>(cur, select(0.0, 1.0, settled), cost);
}
