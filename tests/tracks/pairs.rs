#![allow(dead_code)] // shared by several test modules; not each uses every helper
//! Deterministic synthetic frame pairs with exact ground-truth flow (test and benchmark support,
//! not part of the flow module). Frames are point-sampled (2x2 supersampled) from continuous
//! procedural textures, so a known warp gives the true motion of every pixel centre.

use segmo::tracks::{Flow, Gray};

fn hash(i: i64, j: i64, seed: u32) -> f32 {
    let mut h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (seed as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^= h >> 33;
    (h >> 40) as f32 / (1u64 << 24) as f32
}

fn value_noise(x: f32, y: f32, period: f32, seed: u32) -> f32 {
    let (fx, fy) = (x / period, y / period);
    let (ix, iy) = (fx.floor(), fy.floor());
    let (tx, ty) = (fx - ix, fy - iy);
    let s = |t: f32| t * t * t * (t * (t * 6.0 - 15.0) + 10.0);
    let (sx, sy) = (s(tx), s(ty));
    let (i, j) = (ix as i64, iy as i64);
    let a = hash(i, j, seed);
    let b = hash(i + 1, j, seed);
    let c = hash(i, j + 1, seed);
    let d = hash(i + 1, j + 1, seed);
    (a + (b - a) * sx) * (1.0 - sy) + (c + (d - c) * sx) * sy
}

/// A natural-looking texture in [0.1, 0.85]: value noise over periods 64..3 px plus three
/// oriented sines. `scale` stretches it (e.g. for small test frames).
#[allow(clippy::approx_constant)]
pub fn texture(x: f32, y: f32, seed: u32, scale: f32) -> f32 {
    let (x, y) = (x / scale, y / scale);
    let mut v = 0.0;
    let octaves = [
        (64.0, 0.30),
        (32.0, 0.22),
        (16.0, 0.18),
        (8.0, 0.14),
        (4.0, 0.10),
        (2.5, 0.06),
    ];
    for (k, (period, amp)) in octaves.iter().enumerate() {
        v += amp * value_noise(x, y, *period, seed.wrapping_add(k as u32 * 7919));
    }
    let ph = hash(seed as i64, 3, 17) * 6.28;
    v += 0.05 * (0.11 * x + 0.07 * y + ph).sin();
    v += 0.04 * (0.23 * x - 0.19 * y + 2.0 * ph).sin();
    v += 0.03 * (0.05 * x + 0.31 * y + 3.0 * ph).sin();
    // noise sum lies in about [0, 1] (mean 0.5); sines add +-0.12
    (0.1 + 0.75 * ((v - 0.5) * 1.3 + 0.5)).clamp(0.1, 0.85)
}

/// A 3x3 homography acting on pixel coordinates (x, y, 1).
#[derive(Clone, Copy, Debug)]
pub struct Homography(pub [[f64; 3]; 3]);

impl Homography {
    pub fn identity() -> Self {
        Self([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    }
    pub fn translation(tx: f64, ty: f64) -> Self {
        Self([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])
    }
    /// Rotation by `deg` and scaling by `s` about (cx, cy), then translation (tx, ty).
    pub fn similarity(cx: f64, cy: f64, deg: f64, s: f64, tx: f64, ty: f64) -> Self {
        let (sn, cs) = deg.to_radians().sin_cos();
        let (a, b, c, d) = (s * cs, -s * sn, s * sn, s * cs);
        Self([
            [a, b, cx + tx - a * cx - b * cy],
            [c, d, cy + ty - c * cx - d * cy],
            [0.0, 0.0, 1.0],
        ])
    }
    pub fn then(&self, o: &Homography) -> Homography {
        let (a, b) = (&o.0, &self.0);
        let mut m = [[0.0; 3]; 3];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
            }
        }
        Homography(m)
    }
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let wz = m[2][0] * x + m[2][1] * y + m[2][2];
        (
            (m[0][0] * x + m[0][1] * y + m[0][2]) / wz,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / wz,
        )
    }
    pub fn inverse(&self) -> Homography {
        let m = &self.0;
        let c = |r0: usize, r1: usize, c0: usize, c1: usize| {
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        let adj = [
            [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
            [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
            [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
        ];
        let det = m[0][0] * adj[0][0] + m[0][1] * adj[1][0] + m[0][2] * adj[2][0];
        let mut out = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                out[i][j] = adj[i][j] / det;
            }
        }
        Homography(out)
    }
}

/// An elliptic textured object moving rigidly in front of the background.
#[derive(Clone, Copy, Debug)]
pub struct Object {
    pub cx: f64,
    pub cy: f64,
    pub rx: f64,
    pub ry: f64,
    /// Motion of the object's points from frame a to frame b.
    pub motion: Homography,
    pub seed: u32,
}

/// A frame pair: background moves by `camera` (a -> b), optional objects on top, frame b's
/// intensities multiplied by `gain`.
#[derive(Clone, Debug)]
pub struct Scene {
    pub w: usize,
    pub h: usize,
    pub camera: Homography,
    pub objects: Vec<Object>,
    pub gain: f32,
    pub seed: u32,
    pub scale: f32,
}

pub struct Pair {
    pub a: Gray,
    pub b: Gray,
    pub gt: Flow,
    /// Pixels whose true position in b is inside b (flow observable), 1 = valid.
    pub valid: Vec<bool>,
}

impl Scene {
    pub fn translation(w: usize, h: usize, tx: f64, ty: f64) -> Self {
        Self {
            w,
            h,
            camera: Homography::translation(tx, ty),
            objects: vec![],
            gain: 1.0,
            seed: 1,
            scale: 1.0,
        }
    }

    /// Intensity of frame a (`inv` None) or b (`inv` = inverse camera and object motions) at continuous pixel position (x, y).
    fn sample(&self, x: f64, y: f64, inv: Option<(&Homography, &[Homography])>) -> f32 {
        // Topmost object first (later objects are in front).
        for (i, o) in self.objects.iter().enumerate().rev() {
            let (px, py) = match inv {
                Some((_, objs)) => objs[i].apply(x, y),
                None => (x, y),
            };
            let (dx, dy) = ((px - o.cx) / o.rx, (py - o.cy) / o.ry);
            if dx * dx + dy * dy <= 1.0 {
                return texture(px as f32, py as f32, o.seed, self.scale);
            }
        }
        let (px, py) = match inv {
            Some((cam, _)) => cam.apply(x, y),
            None => (x, y),
        };
        texture(px as f32, py as f32, self.seed, self.scale)
    }

    pub fn render(&self) -> Pair {
        let (w, h) = (self.w, self.h);
        let mut a = vec![0.0f32; w * h];
        let mut b = vec![0.0f32; w * h];
        let mut gt = vec![0.0f32; 2 * w * h];
        let mut valid = vec![false; w * h];
        let inv_objs: Vec<Homography> = self.objects.iter().map(|o| o.motion.inverse()).collect();
        let inv = Some((&self.camera.inverse(), &inv_objs[..]));
        for y in 0..h {
            for x in 0..w {
                let k = y * w + x;
                let (mut sa, mut sb) = (0.0f32, 0.0f32);
                for (ox, oy) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
                    let (px, py) = (x as f64 + ox, y as f64 + oy);
                    sa += self.sample(px, py, None);
                    sb += self.sample(px, py, inv);
                }
                a[k] = sa * 0.25;
                b[k] = (sb * 0.25 * self.gain).min(1.0);
                let (fx, fy) = (x as f64, y as f64);
                let mut motion = &self.camera;
                for o in self.objects.iter().rev() {
                    let (dx, dy) = ((fx - o.cx) / o.rx, (fy - o.cy) / o.ry);
                    if dx * dx + dy * dy <= 1.0 {
                        motion = &o.motion;
                        break;
                    }
                }
                let (tx, ty) = motion.apply(fx, fy);
                gt[2 * k] = (tx - fx) as f32;
                gt[2 * k + 1] = (ty - fy) as f32;
                valid[k] = tx >= 0.0 && ty >= 0.0 && tx <= (w - 1) as f64 && ty <= (h - 1) as f64;
            }
        }
        Pair {
            a: Gray {
                width: w,
                height: h,
                data: a,
            },
            b: Gray {
                width: w,
                height: h,
                data: b,
            },
            gt: Flow {
                width: w,
                height: h,
                uv: gt,
            },
            valid,
        }
    }
}

/// Rounds a frame to 8 bits (what a video decoder gives, and what OpenCV's DIS takes).
pub fn quantize(g: &Gray) -> (Gray, Vec<u8>) {
    let bytes: Vec<u8> = g
        .data
        .iter()
        .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let data = bytes.iter().map(|&b| b as f32 / 255.0).collect();
    (
        Gray {
            width: g.width,
            height: g.height,
            data,
        },
        bytes,
    )
}

/// Mean end-point error over pixels that are `valid`, at least `margin` px from the border.
pub fn epe(f: &Flow, gt: &Flow, valid: &[bool], margin: usize) -> f32 {
    let (w, h) = (f.width, f.height);
    let (mut s, mut n) = (0.0f64, 0usize);
    for y in margin..h.saturating_sub(margin) {
        for x in margin..w.saturating_sub(margin) {
            let k = y * w + x;
            if !valid[k] {
                continue;
            }
            let du = (f.uv[2 * k] - gt.uv[2 * k]) as f64;
            let dv = (f.uv[2 * k + 1] - gt.uv[2 * k + 1]) as f64;
            s += (du * du + dv * dv).sqrt();
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (s / n as f64) as f32
    }
}
