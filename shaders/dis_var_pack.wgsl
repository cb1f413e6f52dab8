// Last pass of the variational linearisation plus `variational::pack`: the second
// derivatives (central differences of ix, iy), then the data-term derivatives divided by the
// square roots of their normalisations and the flow W, written in the split layout
// (11 fields: [ix, iy, iz]/nb, [ixx, ixy, ixz]/nx, [ixy, iyy, iyz]/ny, u, v). One invocation
// per pixel, indexed by (entry, colour * h + row).

struct Params {
    w: u32,
    h: u32,
    rw: u32,
    zeta2: f32,
}

@group(0) @binding(0) var<storage, read_write> warp: array<vec2<f32>>;
// (ix, iy, ixz, iyz) per pixel, from dis_var_first_derivs.
@group(0) @binding(1) var<storage, read_write> first: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> flow: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> packed: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let w = p.w;
    let h = p.h;
    let px = split_pixel(g, w, h);
    if (!px.valid) {
        return;
    }
    let c = px.c;
    let y = px.y;
    let k = px.k;
    let x = 2u * k + ((y + c) & 1u);
    let i = y * w + x;
    let f = first[i];
    let ix = f.x;
    let iy = f.y;
    let iz = warp[i].y;
    let ixz = f.z;
    let iyz = f.w;
    let left = first[y * w + max(x, 1u) - 1u];
    let right = first[y * w + min(x + 1u, w - 1u)];
    let up = first[(max(y, 1u) - 1u) * w + x];
    let down = first[min(y + 1u, h - 1u) * w + x];
    let ixx = 0.5 * (right.x - left.x);
    let ixy = 0.5 * (down.x - up.x);
    let iyy = 0.5 * (down.y - up.y);
    let z2 = p.zeta2;
    let nb = 1.0 / sqrt(ix * ix + iy * iy + z2);
    let nx = 1.0 / sqrt(ixx * ixx + ixy * ixy + z2);
    let ny = 1.0 / sqrt(iyy * iyy + ixy * ixy + z2);
    let uv = flow[i];
    let o = split_row(c, y, 11u, 0u, h, p.rw) + 1u + k;
    let rw = p.rw;
    packed[o] = ix * nb;
    packed[o + rw] = iy * nb;
    packed[o + 2u * rw] = iz * nb;
    packed[o + 3u * rw] = ixx * nx;
    packed[o + 4u * rw] = ixy * nx;
    packed[o + 5u * rw] = ixz * nx;
    packed[o + 6u * rw] = ixy * ny;
    packed[o + 7u * rw] = iyy * ny;
    packed[o + 8u * rw] = iyz * ny;
    packed[o + 9u * rw] = uv.x;
    packed[o + 10u * rw] = uv.y;
}
