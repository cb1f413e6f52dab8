// Each patch's starting vector (`inverse_search::init_patch_flow`): the dense flow sampled
// bilinearly at the patch centre, not settled. One invocation per patch.

@group(0) @binding(0) var<storage, read_write> dense: array<vec2<f32>>;
// Patch state: (u, v, settled 0/1, unused).
@group(0) @binding(1) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.nx || g.y >= p.ny) {
        return;
    }
    let half = (f32(p.size) - 1.0) * 0.5;
    let cx = f32(g.x * p.stride) + half;
    let cy = f32(g.y * p.stride) + half;
    let t = taps(p.w, p.h, cx, cy);
    let uv = lerp_taps2(t, dense[t.i00], dense[t.i01], dense[t.i10], dense[t.i11]);
    state[g.y * p.nx + g.x] = vec4<f32>(uv, 0.0, 0.0);
}
