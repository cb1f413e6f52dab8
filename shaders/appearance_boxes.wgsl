// Box means behind the lite appearance descriptor (`motion::appearance`): one invocation per
// box (a track's point at one radius, or a whole frame), averaging R, G, B, their squares and
// the luma gradient magnitude over the box clipped to the frame. The CPU reference reads the
// same means from integral images; here every invocation sums its box directly, which is
// plenty for a few thousand boxes of at most ~50 x 50 pixels and needs no prefix-sum pass.
//
// Invocations are laid out 256 wide (x) so that a grid of 8 x 8 workgroups covers the boxes
// without one dispatch dimension exceeding its limit.

struct Params {
    w: u32,
    h: u32,
    boxes: u32,
    _pad: u32,
}

// Every binding is read_write: burn's allocator may place several of our buffers in one
// wgpu buffer, and WebGPU rejects one buffer bound both read-only and writable.
// Packed RGB (r | g << 8 | b << 16) of the frames that hold boxes, frame after frame.
@group(0) @binding(0) var<storage, read_write> rgb: array<u32>;
// Per box: frame slot, x, y (pixels), radius.
@group(0) @binding(1) var<storage, read_write> boxes: array<f32>;
// Per box: the 7 channel means.
@group(0) @binding(2) var<storage, read_write> means: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: Params;

fn colour(base: u32, x: u32, y: u32) -> vec3<f32> {
    let c = rgb[base + y * p.w + x];
    return vec3<f32>(f32(c & 255u), f32((c >> 8u) & 255u), f32((c >> 16u) & 255u)) / 255.0;
}

fn luma(base: u32, x: u32, y: u32) -> f32 {
    // Neighbours past the right/bottom edge read the edge pixel, as the reference does.
    let c = colour(base, min(x, p.w - 1u), min(y, p.h - 1u));
    return 0.299 * c.x + 0.587 * c.y + 0.114 * c.z;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let b = g.y * 256u + g.x;
    if (g.x >= 256u || b >= p.boxes) {
        return;
    }
    let slot = u32(boxes[4u * b]);
    let r = u32(boxes[4u * b + 3u]);
    // Round half up (floor(v + 0.5)), clamped to the frame: the reference's centre.
    let cx = min(u32(max(floor(boxes[4u * b + 1u] + 0.5), 0.0)), p.w - 1u);
    let cy = min(u32(max(floor(boxes[4u * b + 2u] + 0.5), 0.0)), p.h - 1u);
    let x0 = select(0u, cx - r, cx >= r);
    let y0 = select(0u, cy - r, cy >= r);
    let x1 = min(cx + r + 1u, p.w);
    let y1 = min(cy + r + 1u, p.h);
    let base = slot * p.w * p.h;
    var sum_c = vec3<f32>(0.0);
    var sum_sq = vec3<f32>(0.0);
    var sum_grad = 0.0;
    for (var y = y0; y < y1; y++) {
        for (var x = x0; x < x1; x++) {
            let c = colour(base, x, y);
            sum_c += c;
            sum_sq += c * c;
            let gx = luma(base, x + 1u, y) - luma(base, select(0u, x - 1u, x > 0u), y);
            let gy = luma(base, x, y + 1u) - luma(base, x, select(0u, y - 1u, y > 0u));
            sum_grad += sqrt(gx * gx + gy * gy);
        }
    }
    let area = f32((x1 - x0) * (y1 - y0));
    let o = 7u * b;
    means[o] = sum_c.x / area;
    means[o + 1u] = sum_c.y / area;
    means[o + 2u] = sum_c.z / area;
    means[o + 3u] = sum_sq.x / area;
    means[o + 4u] = sum_sq.y / area;
    means[o + 5u] = sum_sq.z / area;
    means[o + 6u] = sum_grad / area;
}
