// Tiled attention with an online softmax (FlashAttention, Dao et al. 2022), one query row per
// invocation. Keys and values stream through workgroup memory in tiles of BK rows, so memory is
// O(L * D) and no Lq x Lk score matrix ever exists: 32k keys fit WebGPU's default limits.
//
// out[b,h,i,:] = sum_j softmax_j(scale * q[b,h,i,:] . k[b,h,j,:]) v[b,h,j,:]
// over the keys j with key_mask[b,j] != 0 (when has_mask). A row whose keys are all masked
// gets zeros rather than the 0/0 of a plain softmax.
//
// Layout: q [BH, Lq, D], k and v [BH, Lk, D], out [BH, Lq, D], key_mask [B, Lk], contiguous.
//
// One dispatch covers keys [k_begin, k_end). Long key ranges are split over several
// dispatches that carry the running (max, sum, accumulator) in `stats` and `out`: on Mesa's
// lavapipe one dispatch silently stopped short after ~27-31k keys (its loop limiter, it
// seems), and on real GPUs the split keeps each dispatch short (no driver watchdog).
// Placeholders filled by the Rust launcher: D (head dim), BK (keys per tile: at most 32, the
// scores of a tile live in registers, and 2 * BK * D * 4 bytes of tiles + the 48-byte parameter
// block must fit the 16 KiB of workgroup memory WebGPU guarantees).

// How q, k and v are stored: vec4<f32>, or vec4<f16> (the launcher prepends `enable f16;` and
// swaps this line) for a model kept in half precision where the adapter has shader-f16. The
// arithmetic stays f32 either way.
alias Stored4 = vec4<f32>;

const D: u32 = {{D}}u;
// Vectors of 4 per head row: D is a multiple of 4, and vec4 loads and FMAs are what GPUs
// (and the CPU Vulkan/WebGPU implementations) execute best.
const D4: u32 = D / 4u;
const BK: u32 = {{BK}}u;
const WG: u32 = 64u;
// Finite stand-in for -inf: exp(NEG - x) underflows to 0 instead of giving inf - inf = NaN.
const NEG: f32 = -3.0e38;

struct Params {
    batch_heads: u32,
    heads: u32,
    lq: u32,
    lk: u32,
    has_mask: u32,
    scale: f32,
    // Workgroups along y: batch*heads can exceed the 65535 per-dimension limit, so it is
    // folded over y and z.
    groups_y: u32,
    k_begin: u32,
    k_end: u32,
    // bit 0: first chunk (start from an empty state); bit 1: last chunk (normalise).
    flags: u32,
    _pad0: u32,
    _pad1: u32,
}

// Every binding is read_write although only `out` is written: burn's allocator packs many
// tensors into one wgpu buffer, and WebGPU rejects a dispatch that uses one buffer both as
// read-only and as writable storage.
@group(0) @binding(0) var<storage, read_write> q: array<Stored4>;
@group(0) @binding(1) var<storage, read_write> k: array<Stored4>;
@group(0) @binding(2) var<storage, read_write> v: array<Stored4>;
@group(0) @binding(3) var<storage, read_write> key_mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> params: Params;
// Running softmax max and sum per query row, [BH, Lq, 2], between chunks.
@group(0) @binding(6) var<storage, read_write> stats: array<vec2<f32>>;

var<workgroup> k_tile: array<vec4<f32>, BK * D4>;
var<workgroup> v_tile: array<vec4<f32>, BK * D4>;
// Loop bounds that guard barriers must be provably uniform; values read from read_write
// storage are not, so they pass through workgroupUniformLoad.
var<workgroup> shared_params: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    if (lid == 0u) {
        shared_params = params;
    }
    let p = workgroupUniformLoad(&shared_params);
    let bh = wid.z * p.groups_y + wid.y;
    if (bh >= p.batch_heads) {
        return;
    }
    let b = bh / p.heads;
    let row = wid.x * WG + lid;
    // Rows past the end still help load tiles (every invocation must reach the barriers).
    let live = row < p.lq;
    let q_base = (bh * p.lq + min(row, p.lq - 1u)) * D4;

    let o_base = (bh * p.lq + min(row, p.lq - 1u)) * D4;
    let s_index = bh * p.lq + min(row, p.lq - 1u);
    let first = (p.flags & 1u) != 0u;
    var qr: array<vec4<f32>, D4>;
    var acc: array<vec4<f32>, D4>;
    var m = NEG;
    var l = 0.0;
    if (!first) {
        let st = stats[s_index];
        m = st.x;
        l = st.y;
    }
    for (var d = 0u; d < D4; d++) {
        qr[d] = vec4<f32>(q[q_base + d]) * p.scale;
        acc[d] = select(out[o_base + d], vec4<f32>(0.0), first);
    }

    let kv_base = bh * p.lk * D4;
    for (var k0 = p.k_begin; k0 < p.k_end; k0 += BK) {
        let n = min(BK, p.k_end - k0);
        for (var i = lid; i < n * D4; i += WG) {
            k_tile[i] = vec4<f32>(k[kv_base + k0 * D4 + i]);
            v_tile[i] = vec4<f32>(v[kv_base + k0 * D4 + i]);
        }
        workgroupBarrier();

        // Scores of the tile first, so the accumulator is rescaled once per tile rather than
        // once per key.
        var sc: array<f32, BK>;
        var tile_max = NEG;
        for (var j = 0u; j < n; j++) {
            sc[j] = NEG;
            if (p.has_mask == 0u || key_mask[b * p.lk + k0 + j] != 0.0) {
                var dot_qk = 0.0;
                for (var d = 0u; d < D4; d++) {
                    dot_qk += dot(qr[d], k_tile[j * D4 + d]);
                }
                sc[j] = dot_qk;
                tile_max = max(tile_max, dot_qk);
            }
        }
        if (tile_max > NEG) {
            let m_new = max(m, tile_max);
            let corr = exp(m - m_new);
            l *= corr;
            for (var d = 0u; d < D4; d++) {
                acc[d] *= corr;
            }
            for (var j = 0u; j < n; j++) {
                if (sc[j] > NEG) {
                    let w = exp(sc[j] - m_new);
                    l += w;
                    for (var d = 0u; d < D4; d++) {
                        acc[d] += w * v_tile[j * D4 + d];
                    }
                }
            }
            m = m_new;
        }
        workgroupBarrier();
    }

    if (live) {
        var inv = 1.0;
        if ((p.flags & 2u) != 0u) {
            inv = select(0.0, 1.0 / l, l > 0.0);
        } else {
            stats[s_index] = vec2<f32>(m, l);
        }
        for (var d = 0u; d < D4; d++) {
            out[o_base + d] = acc[d] * inv;
        }
    }
}
