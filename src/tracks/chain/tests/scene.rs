//! Analytic clips: frames from smooth procedural textures, exact forward and backward flows.

use crate::tracks::{Flow, Gray};

pub(crate) struct Clip {
    pub frames: Vec<Gray>,
    pub fw: Vec<Flow>,
    pub bw: Vec<Flow>,
}

/// Two crossed gratings plus a slow one: textured in every direction everywhere.
pub(crate) fn tex_a(x: f64, y: f64) -> f64 {
    0.5 + 0.18 * (0.9 * x + 0.35 * y).sin()
        + 0.18 * (-0.4 * x + 1.1 * y).sin()
        + 0.06 * (0.23 * x - 0.31 * y).sin()
}

pub(crate) fn tex_b(x: f64, y: f64) -> f64 {
    0.45 + 0.2 * (1.3 * x - 0.5 * y).sin() + 0.2 * (0.6 * x + 0.8 * y).sin()
}

fn gray(w: usize, h: usize, f: impl Fn(f64, f64) -> f64) -> Gray {
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            data.push(f(x as f64, y as f64) as f32);
        }
    }
    Gray { width: w, height: h, data }
}

pub(crate) fn flow(w: usize, h: usize, f: impl Fn(f64, f64) -> [f64; 2]) -> Flow {
    let mut uv = Vec::with_capacity(2 * w * h);
    for y in 0..h {
        for x in 0..w {
            let d = f(x as f64, y as f64);
            uv.push(d[0] as f32);
            uv.push(d[1] as f32);
        }
    }
    Flow { width: w, height: h, uv }
}

/// A textured rectangle translating by `v_fg` per frame in front of a background translating
/// by `v_bg`. Rectangle edges sit at x ≡ 0.25 / 0.75 and y ≡ 0.25 (mod 1) so that no pixel
/// centre ever lies exactly on one. Background rows with (bg-frame) y >= `flat_from` are flat.
#[derive(Clone, Debug)]
pub(crate) struct RectScene {
    pub w: usize,
    pub h: usize,
    pub frames: usize,
    pub rect: [f64; 4], // x0, y0, x1, y1 at frame 0
    pub v_fg: [f64; 2],
    pub v_bg: [f64; 2],
    pub flat_from: f64,
}

impl RectScene {
    pub(crate) fn standard(frames: usize) -> Self {
        Self {
            w: 200,
            h: 160,
            frames,
            rect: [30.25, 90.25, 80.25, 130.25],
            v_fg: [3.5, -2.0],
            v_bg: [1.0, 0.0],
            flat_from: f64::INFINITY,
        }
    }

    pub(crate) fn in_rect(&self, t: usize, x: f64, y: f64) -> bool {
        let (dx, dy) = (self.v_fg[0] * t as f64, self.v_fg[1] * t as f64);
        x >= self.rect[0] + dx && x < self.rect[2] + dx && y >= self.rect[1] + dy && y < self.rect[3] + dy
    }

    /// Where the scene point seen at (x, y) in frame q is in frame t.
    pub(crate) fn truth(&self, q: usize, x: f64, y: f64, t: usize) -> [f64; 2] {
        let v = if self.in_rect(q, x, y) { self.v_fg } else { self.v_bg };
        let dt = t as f64 - q as f64;
        [x + v[0] * dt, y + v[1] * dt]
    }

    /// Chebyshev distance (px) from a point to the rectangle at frame t (0 inside).
    pub(crate) fn rect_distance(&self, t: usize, p: [f64; 2]) -> f64 {
        let (dx, dy) = (self.v_fg[0] * t as f64, self.v_fg[1] * t as f64);
        let ex = (self.rect[0] + dx - p[0]).max(p[0] - (self.rect[2] + dx)).max(0.0);
        let ey = (self.rect[1] + dy - p[1]).max(p[1] - (self.rect[3] + dy)).max(0.0);
        ex.max(ey)
    }

    pub(crate) fn clip(&self) -> Clip {
        let (w, h) = (self.w, self.h);
        let frames = (0..self.frames)
            .map(|t| {
                let tf = t as f64;
                gray(w, h, |x, y| {
                    if self.in_rect(t, x, y) {
                        tex_b(x - self.v_fg[0] * tf, y - self.v_fg[1] * tf)
                    } else {
                        let (bx, by) = (x - self.v_bg[0] * tf, y - self.v_bg[1] * tf);
                        if by >= self.flat_from {
                            0.5
                        } else {
                            tex_a(bx, by)
                        }
                    }
                })
            })
            .collect();
        let fw = (0..self.frames - 1)
            .map(|t| flow(w, h, |x, y| if self.in_rect(t, x, y) { self.v_fg } else { self.v_bg }))
            .collect();
        let bw = (0..self.frames - 1)
            .map(|t| {
                flow(w, h, |x, y| {
                    let v = if self.in_rect(t + 1, x, y) { self.v_fg } else { self.v_bg };
                    [-v[0], -v[1]]
                })
            })
            .collect();
        Clip { frames, fw, bw }
    }
}

/// The whole image rotating about its centre by `theta` radians per frame: a linear flow
/// field, so bilinear interpolation of it is exact and any error is the builder's.
#[derive(Clone, Debug)]
pub(crate) struct RotScene {
    pub w: usize,
    pub h: usize,
    pub frames: usize,
    pub theta: f64,
}

impl RotScene {
    fn centre(&self) -> [f64; 2] {
        [(self.w as f64 - 1.0) / 2.0, (self.h as f64 - 1.0) / 2.0]
    }

    fn rotate(&self, p: [f64; 2], angle: f64) -> [f64; 2] {
        let c = self.centre();
        let (s, co) = angle.sin_cos();
        let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
        [c[0] + co * dx - s * dy, c[1] + s * dx + co * dy]
    }

    pub(crate) fn truth(&self, q: usize, x: f64, y: f64, t: usize) -> [f64; 2] {
        self.rotate([x, y], self.theta * (t as f64 - q as f64))
    }

    pub(crate) fn clip(&self) -> Clip {
        let (w, h) = (self.w, self.h);
        let frames = (0..self.frames)
            .map(|t| {
                gray(w, h, |x, y| {
                    let p = self.rotate([x, y], -self.theta * t as f64);
                    tex_a(p[0], p[1])
                })
            })
            .collect();
        let step = |angle: f64| {
            flow(w, h, move |x, y| {
                let p = self.rotate([x, y], angle);
                [p[0] - x, p[1] - y]
            })
        };
        let fw = (0..self.frames - 1).map(|_| step(self.theta)).collect();
        let bw = (0..self.frames - 1).map(|_| step(-self.theta)).collect();
        Clip { frames, fw, bw }
    }
}

pub(crate) fn dist(a: [f32; 2], b: [f64; 2]) -> f64 {
    ((a[0] as f64 - b[0]).powi(2) + (a[1] as f64 - b[1]).powi(2)).sqrt()
}

pub(crate) fn inside(p: [f64; 2], w: usize, h: usize) -> bool {
    p[0] >= -0.5 && p[1] >= -0.5 && p[0] < w as f64 - 0.5 && p[1] < h as f64 - 0.5
}
