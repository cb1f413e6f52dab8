// Level 0 of a DIS pyramid (`pyramid::to_plane`): luma (0..1) times 255, anything non-finite
// as 0 so that no NaN can enter the flow. One invocation per pixel.
//
// A level buffer holds [intensity | gx | gy], w*h floats each; this writes the first part.

struct Params {
    w: u32,
    h: u32,
}

// Every binding is read_write: burn's allocator may place several of our buffers in one
// wgpu buffer, and WebGPU rejects one buffer bound both read-only and writable.
@group(0) @binding(0) var<storage, read_write> luma: array<f32>;
@group(0) @binding(1) var<storage, read_write> level: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x >= p.w || g.y >= p.h) {
        return;
    }
    let i = g.y * p.w + g.x;
    let v = luma[i];
    level[i] = select(0.0, v * 255.0, is_finite(v));
}
