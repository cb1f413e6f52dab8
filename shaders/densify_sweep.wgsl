// One directional sweep of the geodesic densifier (`masks::densify::sweep`), for a batch of
// frames: workgroup z = frame. Rows (down/up) or columns (right/left) are visited in order,
// one after the other; the pixels of a row relax in parallel against the three pixels of the
// previous row, which is final by then (storage barrier), exactly as the CPU reference does.
// One workgroup per frame keeps that order without cross-workgroup synchronisation.
//
// step = len + lambda * (|dr| + |dg| + |db|); a pixel takes the smaller of its distance and
// prev + step, with the label of the neighbour that gave it, neighbours tried in the order
// (k-1, k, k+1) and only a strictly smaller distance replacing. With the colour prior
// (`use_unary` = 1), a step also costs len * unary[2 i] when it carries an object label and
// len * unary[2 i + 1] when it carries the background's (label 0) into pixel i.

const UNREACHED: f32 = 3.0e38;
const DIAG: f32 = 1.4142135;
const WG: u32 = 256u;

struct Params {
    w: u32,
    h: u32,
    // 0 down, 1 up, 2 right, 3 left
    dir: u32,
    lambda: f32,
    use_unary: u32,
}

@group(0) @binding(0) var<storage, read_write> rgb: array<u32>;
@group(0) @binding(1) var<storage, read_write> dist: array<f32>;
@group(0) @binding(2) var<storage, read_write> label: array<f32>;
@group(0) @binding(3) var<storage, read_write> unary: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: Params;

var<workgroup> shared_params: Params;

fn cost(a: u32, b: u32, len: f32, lambda: f32) -> f32 {
    let dr = abs(i32(a & 255u) - i32(b & 255u));
    let dg = abs(i32((a >> 8u) & 255u) - i32((b >> 8u) & 255u));
    let db = abs(i32((a >> 16u) & 255u) - i32((b >> 16u) & 255u));
    return len + lambda * f32(dr + dg + db);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    if (lid == 0u) {
        shared_params = p;
    }
    let q = workgroupUniformLoad(&shared_params);
    let base = wid.z * q.w * q.h;
    let vertical = q.dir < 2u;
    let back = q.dir == 1u || q.dir == 3u;
    var lines = q.w;
    var across = q.h;
    if (vertical) {
        lines = q.h;
        across = q.w;
    }
    for (var s = 1u; s < lines; s++) {
        var line = s;
        var prev = s - 1u;
        if (back) {
            line = lines - 1u - s;
            prev = line + 1u;
        }
        for (var k = lid; k < across; k += WG) {
            var i = base + k * q.w + line;
            if (vertical) {
                i = base + line * q.w + k;
            }
            var d = dist[i];
            var l = label[i];
            let c = rgb[i];
            for (var dk = 0u; dk < 3u; dk++) {
                if ((k == 0u && dk == 0u) || (k + dk > across)) {
                    continue;
                }
                let kk = k + dk - 1u;
                var j = base + kk * q.w + prev;
                if (vertical) {
                    j = base + prev * q.w + kk;
                }
                let dj = dist[j];
                if (dj >= UNREACHED) {
                    continue;
                }
                var len = 1.0;
                if (dk != 1u) {
                    len = DIAG;
                }
                var cand = dj + cost(c, rgb[j], len, q.lambda);
                if (q.use_unary != 0u) {
                    var u = unary[2u * i];
                    if (label[j] == 0.0) {
                        u = unary[2u * i + 1u];
                    }
                    cand += u * len;
                }
                if (cand < d) {
                    d = cand;
                    l = label[j];
                }
            }
            dist[i] = d;
            label[i] = l;
        }
        storageBarrier();
        workgroupBarrier();
    }
}
