// One propagation + Gauss-Newton round of DIS's inverse search
// (`inverse_search::search_round`, which documents the method). One invocation per patch; it
// reads only the previous round's states, so patches are independent (Jacobi propagation).
// Patch costs and the descent: `dis_patch_cost.wgsl`.

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

// Buffers: `dis_patch_cost.wgsl`.

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

    let inv = inverse_hessian(sxx, sxy, syy, sx, sy, mn, p.ridge * npx);
    let start = best;
    let end = descend(x0, y0, best, mn, sx, sy, inv);
    let cur = end.xy;
    let settled = end.z != 0.0;
    let du = cur.x - start.x;
    let dv = cur.y - start.y;
    if (du * du + dv * dv > npx) {
        // Sent back to its start, which repeats identically next round.
        next[idx] = vec4<f32>(start, 1.0, 0.0);
    } else {
        next[idx] = vec4<f32>(cur, select(0.0, 1.0, settled), 0.0);
    }
}
