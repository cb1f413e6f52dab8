//! Procedural layer textures, baked once per clip onto a texel grid in layer coordinates.
//!
//! Evaluating fractal noise per pixel per frame would cost ~10x the rest of rendering; a baked
//! grid sampled bilinearly keeps the whole suite well under a second. Texture lives in layer
//! coordinates, so it moves exactly with the layer's homography: the colour under a ground-truth
//! track never changes except through the layer's brightness curve.

use super::detmath::{
    clamp01, dcos, dsin, ffloor, floor_i64, hash2, lerp3, mix64, smoothstep, unit, TAU,
};
use super::noise::{Fbm, Field};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pattern {
    /// Multi-octave value noise between the palette colours.
    Noise,
    /// Warped stripes (oriented texture, the aperture problem's favourite) over fine noise.
    Stripes { angle: f64, period: f64 },
    /// Scattered discs, rings and squares on a jittered grid, over noise.
    Blobs { cell: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextureSpec {
    pub pattern: Pattern,
    /// Base dark, base light, accent; RGB in 0..255.
    pub palette: [[f64; 3]; 3],
    /// Largest detail period in layer pixels; octaves go down to ~2 px.
    pub scale: f64,
    /// Roughly the fraction of the area left nearly flat (weak detail): real footage has sky,
    /// walls and blur where a tracker has nothing to grip, and the benchmark should too.
    pub smooth: f64,
    pub seed: u64,
}

/// Colours that read well together and stay far from clipping under brightness changes.
pub const PALETTE: [[f64; 3]; 12] = [
    [200.0, 60.0, 45.0],
    [230.0, 190.0, 70.0],
    [70.0, 150.0, 80.0],
    [70.0, 95.0, 185.0],
    [215.0, 215.0, 205.0],
    [45.0, 40.0, 50.0],
    [150.0, 75.0, 160.0],
    [110.0, 125.0, 75.0],
    [95.0, 105.0, 130.0],
    [175.0, 145.0, 95.0],
    [40.0, 160.0, 170.0],
    [235.0, 120.0, 40.0],
];

impl TextureSpec {
    /// A texture with palette colours picked from `PALETTE` by hash.
    pub fn from_seed(pattern: Pattern, scale: f64, smooth: f64, seed: u64) -> Self {
        let h = mix64(seed ^ 0x7E57);
        // Index arithmetic stays in u64: `as usize` first would drop the high bits on wasm32
        // only, and pick different colours there.
        let n = PALETTE.len() as u64;
        let pick = |shift: u32, plus: u64| PALETTE[(((h >> shift) % n + plus) % n) as usize];
        let (mut a, mut b, mut c) = (pick(0, 0), pick(8, 0), pick(16, 0));
        // Identical picks would give a flat base; nudge to a neighbouring colour.
        if a == b {
            b = pick(8, 1);
        }
        if c == a || c == b {
            c = pick(16, 5);
        }
        // Darker first so "dark to light" is meaningful.
        if a.iter().sum::<f64>() > b.iter().sum::<f64>() {
            std::mem::swap(&mut a, &mut b);
        }
        TextureSpec {
            pattern,
            palette: [a, b, c],
            scale,
            smooth,
            seed,
        }
    }

    /// The noise fields the texture is made of, in the order `combine` reads them.
    fn fields(&self) -> [Field; 4] {
        let s = self.scale.max(4.0);
        let seed = mix64(self.seed);
        let extra = match self.pattern {
            Pattern::Noise => Fbm {
                period: 0.5 * s,
                octaves: 6,
                persistence: 0.65,
                salt: seed ^ 4,
                shift: [31.7, -12.9],
            },
            Pattern::Stripes { .. } => Fbm {
                period: 2.0 * s,
                octaves: 3,
                persistence: 0.5,
                salt: seed ^ 5,
                shift: [0.0, 0.0],
            },
            Pattern::Blobs { .. } => Fbm {
                period: s,
                octaves: 1,
                persistence: 0.5,
                salt: seed ^ 6,
                shift: [0.0, 0.0],
            },
        };
        // The two large-scale fields vary over tens of pixels: defining them by interpolation
        // from a coarse lattice costs little detail and a third of the baking time.
        [
            Field {
                fbm: Fbm {
                    period: 4.0 * s,
                    octaves: 3,
                    persistence: 0.5,
                    salt: seed ^ 1,
                    shift: [0.0, 0.0],
                },
                coarse: true,
            },
            Field {
                fbm: Fbm {
                    period: 3.0 * s,
                    octaves: 2,
                    persistence: 0.5,
                    salt: seed ^ 2,
                    shift: [0.0, 0.0],
                },
                coarse: true,
            },
            Field {
                fbm: Fbm {
                    period: s,
                    octaves: 8,
                    persistence: 0.85,
                    salt: seed ^ 3,
                    shift: [0.0, 0.0],
                },
                coarse: false,
            },
            Field {
                fbm: extra,
                coarse: false,
            },
        ]
    }

    /// The texture at (u, v) given the values of its noise fields there (`field(k)`).
    fn combine(&self, u: f64, v: f64, field: impl Fn(usize) -> f64) -> [f64; 3] {
        let seed = mix64(self.seed);
        let [dark, light, accent] = self.palette;
        let base = lerp3(dark, light, smoothstep((field(0) - 0.3) / 0.4));
        // Where `mask` is low only the smooth base remains (plus a trace of detail so the
        // surface is not perfectly uniform, which no camera delivers).
        let thresh = 0.5 + (self.smooth - 0.5) * 0.3;
        let mask = 0.06 + 0.94 * smoothstep((field(1) - thresh) / 0.08);
        let detail = stretch(field(2), 3.0);
        let shade = 1.0 + mask * 1.1 * (detail - 0.5);
        let mut col = base.map(|c| c * shade);
        match self.pattern {
            Pattern::Noise => col = lerp3(col, accent, mask * 0.6 * stretch(field(3), 2.0)),
            Pattern::Stripes { angle, period } => {
                let along = u * dcos(angle) + v * dsin(angle);
                let stripe = 0.5 + 0.5 * dsin(TAU * along / period.max(2.0) + 8.0 * field(3));
                col = lerp3(col, accent, mask * 0.75 * stripe);
            }
            Pattern::Blobs { cell } => {
                let cell = cell.max(4.0);
                col = cell_shapes(col, u, v, cell, 0.55, mask, seed ^ 6);
                col = cell_shapes(
                    col,
                    u + 0.37 * cell,
                    v + 0.61 * cell,
                    0.6 * cell,
                    0.4,
                    mask,
                    seed ^ 7,
                );
            }
        }
        col.map(|c| c.clamp(0.0, 255.0))
    }

    /// RGB (0..255) at a layer point.
    pub fn eval(&self, u: f64, v: f64) -> [f64; 3] {
        let f = self.fields();
        self.combine(u, v, |k| f[k].at(u, v))
    }

    /// Bakes the texture over layer rect [u0, u0 + w) x [v0, v0 + h), one texel per layer unit.
    /// Same values as `eval`, bit for bit: only the lattice hashes are cached.
    pub fn bake(&self, u0: f64, v0: f64, w: usize, h: usize) -> Baked {
        let rect = [u0, v0, u0 + w as f64 - 1.0, v0 + h as f64 - 1.0];
        let caches = self.fields().map(|f| f.cache(rect));
        let mut texels = Vec::with_capacity(w * h);
        for j in 0..h {
            for i in 0..w {
                let (u, v) = (u0 + i as f64, v0 + j as f64);
                let c = self.combine(u, v, |k| caches[k].at(u, v));
                texels.push([c[0] as f32, c[1] as f32, c[2] as f32, 0.0]);
            }
        }
        Baked {
            u0,
            v0,
            w,
            h,
            texels,
        }
    }
}

/// A baked texture: texel (i, j) holds the colour at layer point (u0 + i, v0 + j).
#[derive(Clone, Debug)]
pub struct Baked {
    u0: f64,
    v0: f64,
    w: usize,
    h: usize,
    /// RGB plus padding: 16-byte texels never straddle a cache line.
    texels: Vec<[f32; 4]>,
}

impl Baked {
    /// Bilinear, clamped at the border (points beyond the baked rect are never visible; the
    /// clamp only guards rounding at its edge).
    pub fn sample(&self, u: f64, v: f64) -> [f64; 3] {
        let r = self.sample4(u, v);
        [r[0] as f64, r[1] as f64, r[2] as f64]
    }

    /// `sample` in f32, RGB plus a padding lane: what the renderer uses.
    pub fn sample4(&self, u: f64, v: f64) -> [f32; 4] {
        let fx = u - self.u0;
        let fy = v - self.v0;
        let (ix, iy) = (floor_i64(fx), floor_i64(fy));
        let (x0, y0) = (ix as f64, iy as f64);
        let (a, b, c, d) =
            if ix >= 0 && iy >= 0 && ((ix + 1) as usize) < self.w && ((iy + 1) as usize) < self.h {
                let i = iy as usize * self.w + ix as usize;
                (
                    self.texels[i],
                    self.texels[i + 1],
                    self.texels[i + self.w],
                    self.texels[i + self.w + 1],
                )
            } else {
                let (lx, ly) = (self.w as i64 - 1, self.h as i64 - 1);
                let at = |i: i64, j: i64| {
                    self.texels[j.clamp(0, ly) as usize * self.w + i.clamp(0, lx) as usize]
                };
                (
                    at(ix, iy),
                    at(ix + 1, iy),
                    at(ix, iy + 1),
                    at(ix + 1, iy + 1),
                )
            };
        // Four f32 lanes: one SIMD lerp per step where the target has SIMD.
        let (ax, ay) = ((fx - x0) as f32, (fy - y0) as f32);
        let lerp4 = |p: [f32; 4], q: [f32; 4], t: f32| {
            [
                p[0] + (q[0] - p[0]) * t,
                p[1] + (q[1] - p[1]) * t,
                p[2] + (q[2] - p[2]) * t,
                p[3] + (q[3] - p[3]) * t,
            ]
        };
        lerp4(lerp4(a, b, ax), lerp4(c, d, ax), ay)
    }

    pub fn texel_count(&self) -> usize {
        self.texels.len()
    }
}

/// Pushes fbm's bunched-up middle values apart so the texture has contrast.
fn stretch(v: f64, gain: f64) -> f64 {
    clamp01((v - 0.5) * gain + 0.5)
}

/// One random shape (disc, ring or rotated square) per occupied grid cell, drawn fully inside
/// its cell so only the cell under the point needs testing.
fn cell_shapes(
    col: [f64; 3],
    x: f64,
    y: f64,
    cell: f64,
    p: f64,
    alpha: f64,
    salt: u64,
) -> [f64; 3] {
    let (cx, cy) = (ffloor(x / cell), ffloor(y / cell));
    let h = hash2(cx as i64, cy as i64, salt);
    if unit(h) >= p {
        return col;
    }
    let h2 = mix64(h);
    let h3 = mix64(h2);
    let r = cell * (0.14 + 0.22 * unit(h2));
    let ox = cx * cell + r + (cell - 2.0 * r) * unit(h3);
    let oy = cy * cell + r + (cell - 2.0 * r) * unit(mix64(h3));
    let (dx, dy) = (x - ox, y - oy);
    let d = match (h2 >> 5) % 3 {
        0 => (dx * dx + dy * dy).sqrt() - r,
        1 => ((dx * dx + dy * dy).sqrt() - r * 0.7).abs() - r * 0.3,
        _ => {
            let a = TAU * unit(mix64(h3 ^ 9));
            let (c, s) = (dcos(a), dsin(a));
            let (u, v) = (c * dx + s * dy, -s * dx + c * dy);
            u.abs().max(v.abs()) - r * 0.8
        }
    };
    let cover = clamp01(0.5 - d) * (0.3 + 0.7 * alpha);
    if cover <= 0.0 {
        return col;
    }
    let pc = PALETTE[((h3 >> 7) % PALETTE.len() as u64) as usize];
    // Shapes pick up some of the underlying shading so they are not flat, featureless blobs.
    let k = 0.75 + 0.5 * (col[0] + col[1] + col[2]) / (3.0 * 255.0);
    lerp3(col, pc.map(|c| c * k), cover)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(t: &TextureSpec) -> (f64, f64) {
        // Mean absolute horizontal gradient of luma over a 128x128 patch, and luma std.
        let luma = |c: [f64; 3]| 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
        let b = t.bake(0.0, 0.0, 128, 128);
        let mut g = 0.0;
        let mut vals = Vec::new();
        for j in 0..128 {
            for i in 0..127 {
                let a = luma(b.sample(i as f64, j as f64));
                g += (luma(b.sample(i as f64 + 1.0, j as f64)) - a).abs();
                vals.push(a);
            }
        }
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / vals.len() as f64;
        (g / vals.len() as f64, var.sqrt())
    }

    #[test]
    fn every_pattern_has_trackable_detail() {
        for (k, p) in [
            Pattern::Noise,
            Pattern::Stripes {
                angle: 0.5,
                period: 9.0,
            },
            Pattern::Blobs { cell: 20.0 },
        ]
        .into_iter()
        .enumerate()
        {
            let t = TextureSpec::from_seed(p, 24.0, 0.2, 40 + k as u64);
            let (grad, std) = stats(&t);
            assert!(grad > 4.0, "{p:?}: mean gradient {grad}");
            assert!(std > 15.0, "{p:?}: std {std}");
        }
    }

    #[test]
    fn smooth_parameter_flattens() {
        let rough = TextureSpec::from_seed(Pattern::Noise, 24.0, 0.0, 5);
        let flat = TextureSpec {
            smooth: 1.0,
            ..rough
        };
        let (g_rough, _) = stats(&rough);
        let (g_flat, _) = stats(&flat);
        assert!(g_flat < 0.5 * g_rough, "{g_flat} vs {g_rough}");
    }

    #[test]
    fn baking_is_exactly_eval() {
        // The cached lattices (fine and coarse) must reproduce the point function bit for bit,
        // including across the coarse lattice's cells and at negative coordinates.
        for p in [
            Pattern::Noise,
            Pattern::Stripes {
                angle: 0.3,
                period: 7.0,
            },
            Pattern::Blobs { cell: 12.0 },
        ] {
            let t = TextureSpec::from_seed(p, 16.0, 0.3, 9);
            let b = t.bake(-10.0, 5.0, 23, 19);
            for j in 0..19 {
                for i in 0..23 {
                    let (u, v) = (-10.0 + i as f64, 5.0 + j as f64);
                    let want = t.eval(u, v).map(|c| c as f32 as f64);
                    assert_eq!(b.sample(u, v), want, "{p:?} at ({u}, {v})");
                }
            }
        }
    }
}
