//! Image planes, the binomial pyramid, gradients and flow resampling.
//!
//! Intensities are kept in 0..255 units inside DIS (the input luma times 255) so that the
//! paper's and OpenCV's constants (densification weight 1/max(1,|d|), the variational
//! zeta/epsilon) keep their meaning.
//!
//! Border convention everywhere: an image is extended by replicating its edge pixels, and all
//! reads go through clamped integer indices. That is exactly what a WGSL `textureLoad` with
//! clamped coordinates (or a storage-buffer read with `clamp`) gives.

use super::par;
use super::pool::Pool;
use crate::tracks::{Flow, Gray};

/// One single-channel image of a pyramid level, row-major, intensities in 0..255.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    pub w: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Plane {
    pub fn zeros(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            data: vec![0.0; w * h],
        }
    }

    /// Pixel at clamped integer coordinates (the replicated-border extension).
    #[inline]
    pub fn at(&self, x: isize, y: isize) -> f32 {
        let xc = x.clamp(0, self.w as isize - 1) as usize;
        let yc = y.clamp(0, self.h as isize - 1) as usize;
        self.data[yc * self.w + xc]
    }

    /// Bilinear sample of the replicated-border extension.
    #[inline]
    pub fn bilinear(&self, x: f32, y: f32) -> f32 {
        bilinear(&self.data, 1, 0, self.w, self.h, x, y)
    }
}

/// Bilinear interpolation of channel `c` of an interleaved buffer (`n` channels) at (x, y),
/// border replicated: the coordinate is clamped to [0, w-1] x [0, h-1], x0 = floor, x1 =
/// min(x0+1, w-1), fx = x - x0, and the fixed operation order (mirrored by the WGSL helper) is
/// `(1-fy)*((1-fx)*a + fx*b) + fy*((1-fx)*c + fx*d)` with a, b the upper taps.
#[inline]
pub fn bilinear(data: &[f32], n: usize, c: usize, w: usize, h: usize, x: f32, y: f32) -> f32 {
    let t = Taps::new(w, h, x, y);
    t.lerp(data, n, c)
}

/// `floor` as an integer without a libm call (the baseline x86-64 target has no SSE4.1
/// `roundps`, so `f32::floor` is a function call). Callers keep |x| far below 2^31.
#[inline(always)]
pub fn floor_i(x: f32) -> (isize, f32) {
    let i = x as isize;
    let i = if (i as f32) > x { i - 1 } else { i };
    (i, i as f32)
}

/// The four clamped tap indices and the fractions of one bilinear sample, reusable across
/// channels.
#[derive(Clone, Copy)]
pub struct Taps {
    i00: usize,
    i01: usize,
    i10: usize,
    i11: usize,
    ax: f32,
    ay: f32,
}

impl Taps {
    #[inline(always)]
    pub fn new(w: usize, h: usize, x: f32, y: f32) -> Self {
        // Clamping the coordinate first is the same as clamping the taps (replicated border)
        // and keeps absurd or NaN coordinates harmless: `max` maps NaN to 0.
        let x = x.max(0.0).min((w - 1) as f32);
        let y = y.max(0.0).min((h - 1) as f32);
        let (x0, y0) = (x as usize, y as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (x - x0 as f32, y - y0 as f32);
        Self {
            i00: y0 * w + x0,
            i01: y0 * w + x1,
            i10: y1 * w + x0,
            i11: y1 * w + x1,
            ax,
            ay,
        }
    }

    #[inline(always)]
    pub fn lerp(&self, data: &[f32], n: usize, c: usize) -> f32 {
        let (ax, ay) = (self.ax, self.ay);
        let a = data[self.i00 * n + c];
        let b = data[self.i01 * n + c];
        let cc = data[self.i10 * n + c];
        let d = data[self.i11 * n + c];
        (1.0 - ay) * ((1.0 - ax) * a + ax * b) + ay * ((1.0 - ax) * cc + ax * d)
    }
}

/// Level 0 of the pyramid: luma times 255; anything non-finite becomes 0 so that no NaN can
/// enter the flow. Kernel: one thread per pixel.
pub fn to_plane(pool: &mut Pool, g: &Gray) -> Plane {
    let mut p = pool.plane(g.width, g.height);
    par::rows(&mut p.data, g.width, 1, |y, row| {
        let src = &g.data[y * g.width..(y + 1) * g.width];
        for (o, &v) in row.iter_mut().zip(src) {
            *o = if v.is_finite() { v * 255.0 } else { 0.0 };
        }
    });
    p
}

/// Next pyramid level: size (w/2, h/2) rounded down; coarse pixel X is centred on fine
/// coordinate 2X+0.5 and is the binomial [1 3 3 1]/8 filter of fine pixels 2X-1..2X+2 along
/// both axes (clamped). A 2x2 box (OpenCV's INTER_AREA) lets fine texture alias into the
/// coarse level, which biases the patch matches there; the binomial filter costs twice the
/// taps and removes most of it. Order: per fine row `hs = (r[2X-1] + r[2X+2]) + 3*(r[2X] +
/// r[2X+1])`, then `((hs[2Y-1] + hs[2Y+2]) + 3*(hs[2Y] + hs[2Y+1])) / 64`. Needs w, h >= 2.
/// Kernel: one thread per coarse pixel (or the two separable passes).
pub fn downsample(pool: &mut Pool, p: &Plane) -> Plane {
    let (w, h) = (p.w / 2, p.h / 2);
    let (fw, fh) = (p.w, p.h);
    // Horizontal pass over every fine row.
    let mut hs = pool.take_dirty(w * fh);
    par::rows(&mut hs, w, 6, |y, row| {
        let r = &p.data[y * fw..(y + 1) * fw];
        for (x, o) in row.iter_mut().enumerate() {
            let (a, b, c, d) = (
                r[(2 * x).saturating_sub(1)],
                r[2 * x],
                r[2 * x + 1],
                r[(2 * x + 2).min(fw - 1)],
            );
            *o = (a + d) + 3.0 * (b + c);
        }
    });
    let mut out = pool.plane(w, h);
    par::rows(&mut out.data, w, 6, |y, row| {
        let line = |i: usize| &hs[i * w..(i + 1) * w];
        let (a, b, c, d) = (
            line((2 * y).saturating_sub(1)),
            line(2 * y),
            line(2 * y + 1),
            line((2 * y + 2).min(fh - 1)),
        );
        for (x, o) in row.iter_mut().enumerate() {
            *o = ((a[x] + d[x]) + 3.0 * (b[x] + c[x])) * (1.0 / 64.0);
        }
    });
    pool.give(hs);
    out
}

/// Sobel gradients divided by 8, i.e. true derivatives in intensity units per pixel (OpenCV
/// keeps the unnormalised x8 values, which silently scales its Gauss-Newton step by 1/8).
/// `gx = ((r[x+1]-r[x-1]) + 2(c[x+1]-c[x-1]) + (s[x+1]-s[x-1])) / 8` with r, c, s the rows
/// above, at and below, clamped. Kernel: one thread per pixel.
pub fn gradients(pool: &mut Pool, p: &Plane) -> (Plane, Plane) {
    let (w, h) = (p.w, p.h);
    let (mut gx, mut gy) = (pool.plane(w, h), pool.plane(w, h));
    par::rows2(&mut gx.data, w, &mut gy.data, w, 16, |y, ox, oy| {
        let up = &p.data[y.saturating_sub(1) * w..][..w];
        let mid = &p.data[y * w..][..w];
        let dn = &p.data[(y + 1).min(h - 1) * w..][..w];
        for x in 0..w {
            let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let gxv = (up[xr] - up[xl]) + 2.0 * (mid[xr] - mid[xl]) + (dn[xr] - dn[xl]);
            let gyv = (dn[xl] - up[xl]) + 2.0 * (dn[x] - up[x]) + (dn[xr] - up[xr]);
            ox[x] = gxv * 0.125;
            oy[x] = gyv * 0.125;
        }
    });
    (gx, gy)
}

/// Which pyramid levels one flow computation visits (level k is the input halved k times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelPlan {
    pub finest: usize,
    pub coarsest: usize,
}

/// Levels exist while both sides stay >= 1 px. The automatic coarsest level follows OpenCV:
/// the largest side shrinks to about 4 patches (motion up to ~1/4 of the frame is reachable)
/// but the smallest side stays at least one patch.
pub fn plan_levels(
    w: usize,
    h: usize,
    finest: usize,
    coarsest: Option<usize>,
    patch: usize,
) -> LevelPlan {
    let max_level = (w.min(h).max(1) as f64).log2().floor() as usize;
    let finest = finest.min(max_level);
    let auto = || {
        let by_max = ((w.max(h) as f64 / (4.0 * patch as f64)).log2() + 0.5).floor();
        let by_min = (w.min(h) as f64 / patch as f64).log2().floor();
        by_max.min(by_min).max(0.0) as usize
    };
    let coarsest = coarsest.unwrap_or_else(auto).clamp(finest, max_level);
    LevelPlan { finest, coarsest }
}

/// One frame's pyramid: `levels[k]` for k in 0..=coarsest, and gradients for the levels DIS
/// visits when asked for (empty 0x0 planes elsewhere). Frame a of a flow needs gradients;
/// frame b only for `warped_gradient` or when it is also frame a (backward flow).
#[derive(Clone, Debug)]
pub struct FramePyramid {
    pub plan: LevelPlan,
    pub levels: Vec<Plane>,
    pub gx: Vec<Plane>,
    pub gy: Vec<Plane>,
}

impl FramePyramid {
    pub fn new(pool: &mut Pool, g: &Gray, plan: LevelPlan, with_gradients: bool) -> Self {
        let mut levels = vec![to_plane(pool, g)];
        for _ in 0..plan.coarsest {
            let next = downsample(pool, levels.last().unwrap());
            levels.push(next);
        }
        let (mut gx, mut gy) = (Vec::new(), Vec::new());
        for (k, l) in levels.iter().enumerate() {
            let (x, y) = if with_gradients && k >= plan.finest {
                gradients(pool, l)
            } else {
                (Plane::zeros(0, 0), Plane::zeros(0, 0))
            };
            gx.push(x);
            gy.push(y);
        }
        Self {
            plan,
            levels,
            gx,
            gy,
        }
    }

    /// Whether the gradients of the visited levels are there.
    pub fn has_gradients(&self) -> bool {
        self.gx[self.plan.finest].w > 0
    }

    /// Hands every buffer back to the pool.
    pub fn recycle(self, pool: &mut Pool) {
        for p in self.levels.into_iter().chain(self.gx).chain(self.gy) {
            pool.give(p.data);
        }
    }
}

/// Resamples a flow field to a `levels`-times-finer grid of size (w, h): fine pixel x reads the
/// coarse field bilinearly at `(x + 0.5) / 2^levels - 0.5` (the pyramid's centre mapping)
/// and the vector is scaled by 2^levels. Kernel: one thread per fine pixel.
pub fn upsample_flow(pool: &mut Pool, coarse: &Flow, w: usize, h: usize, levels: usize) -> Flow {
    let s = (1u64 << levels) as f32;
    let inv = 1.0 / s;
    let mut out = pool.flow(w, h);
    if coarse.width == 0 || coarse.height == 0 {
        return out;
    }
    // The mapping is separable: column and row taps are computed once.
    let axis = |n: usize, cn: usize| -> Vec<(usize, usize, f32)> {
        (0..n)
            .map(|i| {
                let c = ((i as f32 + 0.5) * inv - 0.5).max(0.0).min((cn - 1) as f32);
                let i0 = c as usize;
                (i0, (i0 + 1).min(cn - 1), c - i0 as f32)
            })
            .collect()
    };
    let (cols, rows) = (axis(w, coarse.width), axis(h, coarse.height));
    let cw = coarse.width;
    par::rows(&mut out.uv, 2 * w, 12, |y, row| {
        let (y0, y1, ay) = rows[y];
        let (r0, r1) = (
            &coarse.uv[2 * y0 * cw..2 * (y0 + 1) * cw],
            &coarse.uv[2 * y1 * cw..2 * (y1 + 1) * cw],
        );
        for (o, &(x0, x1, ax)) in row.chunks_exact_mut(2).zip(&cols) {
            for c in 0..2 {
                let (a, b) = (r0[2 * x0 + c], r0[2 * x1 + c]);
                let (cc, d) = (r1[2 * x0 + c], r1[2 * x1 + c]);
                o[c] =
                    s * ((1.0 - ay) * ((1.0 - ax) * a + ax * b) + ay * ((1.0 - ax) * cc + ax * d));
            }
        }
    });
    out
}
