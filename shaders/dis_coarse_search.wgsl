// Exhaustive patch search on one coarse level (`coarse_search::coarse_search`, which
// documents the method). One invocation per patch; it reads the states after the level's
// first search round and writes new ones. Patch costs and the descent:
// `dis_patch_cost.wgsl`.

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
    radius: i32,
    step: i32,
    ratio: f32,
    warped_gradient: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// Buffers: `dis_patch_cost.wgsl`.

// Patches with a standard deviation below 1 grey level are not searched (`FLAT`).
const FLAT: f32 = 1.0;

// Mean-normalised SSD of the patch at (x0, y0) against frame b's window at (bx, by), clamped
// reads, in `evaluate`'s order (the CPU's `Template::ssd_at`).
fn ssd_at(x0: i32, y0: i32, bx: i32, by: i32, mn: f32) -> f32 {
    let size = i32(p.size);
    var sd = 0.0;
    var sd2 = 0.0;
    for (var c = 0; c < size; c++) {
        var ad = 0.0;
        var ad2 = 0.0;
        for (var r = 0; r < size; r++) {
            let d = b[clamped(bx + c, by + r, p.w, p.h)] - a[clamped(x0 + c, y0 + r, p.w, p.h)];
            ad += d;
            ad2 += d * d;
        }
        sd += ad;
        sd2 += ad2;
    }
    return sd2 - sd * sd * mn;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let jx = g.x;
    let jy = g.y;
    if (jx >= p.nx || jy >= p.ny) {
        return;
    }
    let idx = jy * p.nx + jx;
    let own = prev[idx];
    next[idx] = own;

    let x0 = i32(jx * p.stride);
    let y0 = i32(jy * p.stride);
    let size = i32(p.size);
    let npx = f32(p.size * p.size);
    var mn = 0.0;
    if (p.mean_normalization != 0u) {
        mn = 1.0 / npx;
    }
    let t = 5u * idx;
    let sx = tensors[t + 3u];
    let sy = tensors[t + 4u];
    let current = evaluate(SSD_ONLY, x0, y0, own.xy, mn, sx, sy).ssd;

    // The template's spread, summed row by row like the CPU.
    var s = 0.0;
    var s2 = 0.0;
    for (var r = 0; r < size; r++) {
        for (var c = 0; c < size; c++) {
            let v = a[clamped(x0 + c, y0 + r, p.w, p.h)];
            s += v;
            s2 += v * v;
        }
    }
    let spread = max(s2 - s * s / npx, 0.0);
    if (spread < FLAT * npx) {
        return;
    }

    // The largest f32 stands in for the CPU's infinity (see dis_search_round.wgsl).
    var best_ssd = bitcast<f32>(0x7f7fffffu);
    var best = vec2<i32>(0, 0);
    let r = p.radius;
    let step = max(p.step, 1);
    // The lattice vector nearest the own one first, as on the CPU (which uses it to give up
    // on far vectors early), so that ties go the same way.
    let last = f32((2 * r) / step);
    let k = clamp(floor((own.xy + vec2<f32>(f32(r))) / f32(step) + 0.5), vec2<f32>(0.0), vec2<f32>(last));
    let seed = vec2<i32>(-r) + step * vec2<i32>(k);
    let c0 = ssd_at(x0, y0, x0 + seed.x, y0 + seed.y, mn);
    if (c0 < best_ssd) {
        best_ssd = c0;
        best = seed;
    }
    for (var dy = -r; dy <= r; dy += step) {
        for (var dx = -r; dx <= r; dx += step) {
            if (dx == seed.x && dy == seed.y) {
                continue;
            }
            let c = ssd_at(x0, y0, x0 + dx, y0 + dy, mn);
            if (c < best_ssd) {
                best_ssd = c;
                best = vec2<i32>(dx, dy);
            }
        }
    }
    if (step > 1) {
        let centre = best;
        for (var oy = -1; oy <= 1; oy++) {
            for (var ox = -1; ox <= 1; ox++) {
                if (ox != 0 || oy != 0) {
                    let v = centre + vec2<i32>(ox, oy);
                    let c = ssd_at(x0, y0, x0 + v.x, y0 + v.y, mn);
                    if (c < best_ssd) {
                        best_ssd = c;
                        best = v;
                    }
                }
            }
        }
    }
    let start = vec2<f32>(f32(best.x), f32(best.y));
    let inv = inverse_hessian(tensors[t], tensors[t + 1u], tensors[t + 2u], sx, sy, mn, p.ridge * npx);
    let end = descend(x0, y0, start, mn, sx, sy, inv);
    var v = end.xy;
    var cost = end.w;
    let du = v.x - start.x;
    let dv = v.y - start.y;
    if (p.iters == 0u || !is_finite(cost) || du * du + dv * dv > npx) {
        v = start;
        cost = best_ssd;
    }
    if (cost < p.ratio * current) {
        next[idx] = vec4<f32>(v, 0.0, 0.0);
    }
}
