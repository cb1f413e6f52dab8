// The red-black split layout of DIS's variational refinement (`variational::Split`, which
// documents it), prepended by the Rust launchers of the kernels that use it. Pixel (x, y) has
// colour c = (x + y) & 1 and sits at entry 1 + (x >> 1) of row (c, y); rows hold
// rw = ceil(w/2) + 2 entries, the first and last being zero pads.

// Start of field `i` of row (c, y) in a buffer of `f` fields per row.
fn split_row(c: u32, y: u32, f: u32, i: u32, h: u32, rw: u32) -> u32 {
    return ((c * h + y) * f + i) * rw;
}

// Pixels of colour c in row y of a w-wide image.
fn split_len(c: u32, y: u32, w: u32) -> u32 {
    return (w + 1u - ((y + c) & 1u)) / 2u;
}

// What one invocation of a split-layout kernel, indexed (entry, colour * h + row), works on.
struct SplitPixel {
    c: u32,
    y: u32,
    k: u32,
    // False for the invocations past the image (the dispatch is rounded up to workgroups).
    valid: bool,
}

fn split_pixel(g: vec3<u32>, w: u32, h: u32) -> SplitPixel {
    let c = min(g.y / h, 1u);
    let y = g.y % h;
    return SplitPixel(c, y, g.x, g.y < 2u * h && g.x < split_len(c, y, w));
}
