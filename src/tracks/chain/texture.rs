//! Where to seed: Shi-Tomasi's "good features" criterion as Sundaram et al. use it. A point in
//! a flat or one-dimensional (edge-only) neighbourhood has no well-defined motion, so flow
//! there is interpolated from elsewhere and its track carries little information.
//!
//! GPU (per query frame): presmooth, gradient + tensor, and the two tensor-smoothing passes
//! are one invocation per pixel each (separable Gaussians: a horizontal then a vertical pass,
//! clamp-to-edge, weights uploaded from `gaussian_kernel` so both sides use the same numbers);
//! the mean of λ₂ is a row pass (one invocation per row, summing x = 0.. in order) followed by
//! one invocation summing the row sums in order; the seed test runs per grid point.

use super::{par, Thresholds};
use crate::tracks::Gray;

/// Normalised Gaussian taps `g[0..=r]` (symmetric, g[k] for offset ±k), r = ceil(3σ). σ = 0
/// gives the identity.
pub(crate) fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return vec![1.0];
    }
    let r = (3.0 * sigma).ceil() as usize;
    let g: Vec<f64> = (0..=r).map(|k| (-((k * k) as f64) / (2.0 * (sigma as f64).powi(2))).exp()).collect();
    let sum = g[0] + 2.0 * g[1..].iter().sum::<f64>();
    g.iter().map(|v| (v / sum) as f32).collect()
}

/// Separable Gaussian blur with clamp-to-edge. Every output pixel sums its taps from -r to r
/// in order (the GPU kernel's loop); the loops below are arranged so that the inner one is
/// branch-free (a padded row; whole rows multiply-added), which changes speed, not results.
fn blur(src: &[f32], w: usize, h: usize, k: &[f32]) -> Vec<f32> {
    let r = k.len() - 1;
    let tap = |o: isize| k[o.unsigned_abs()];
    let mut tmp = vec![0.0f32; w * h];
    par::rows(&mut tmp, w, |y, row| {
        let line = &src[y * w..(y + 1) * w];
        let padded: Vec<f32> = (0..w + 2 * r).map(|i| line[i.saturating_sub(r).min(w - 1)]).collect();
        row.fill(0.0);
        for o in -(r as isize)..=r as isize {
            let g = tap(o);
            let shifted = &padded[(o + r as isize) as usize..][..w];
            for (out, v) in row.iter_mut().zip(shifted) {
                *out += g * v;
            }
        }
    });
    let mut out = vec![0.0f32; w * h];
    par::rows(&mut out, w, |y, row| {
        row.fill(0.0);
        for o in -(r as isize)..=r as isize {
            let g = tap(o);
            let yy = (y as isize + o).clamp(0, h as isize - 1) as usize;
            for (out, v) in row.iter_mut().zip(&tmp[yy * w..(yy + 1) * w]) {
                *out += g * v;
            }
        }
    });
    out
}

/// Smaller eigenvalue λ₂ of the structure tensor `K_ρ * (∇I ∇Iᵀ)` per pixel.
pub(crate) fn min_eigenvalue(img: &Gray, th: &Thresholds) -> Vec<f32> {
    let (w, h) = (img.width, img.height);
    let smooth = blur(&img.data, w, h, &gaussian_kernel(th.presmooth_sigma));
    let n = w * h;
    let (mut jxx, mut jxy, mut jyy) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
    for y in 0..h {
        for x in 0..w {
            let at = |xx: usize, yy: usize| smooth[yy * w + xx];
            let gx = (at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y)) * 0.5;
            let gy = (at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1))) * 0.5;
            let i = y * w + x;
            jxx[i] = gx * gx;
            jxy[i] = gx * gy;
            jyy[i] = gy * gy;
        }
    }
    let k = gaussian_kernel(th.tensor_sigma);
    let (a, b, c) = (blur(&jxx, w, h, &k), blur(&jxy, w, h, &k), blur(&jyy, w, h, &k));
    let mut lambda = vec![0.0f32; n];
    par::rows(&mut lambda, w, |y, row| {
        for (x, l) in row.iter_mut().enumerate() {
            let i = y * w + x;
            // Eigenvalues of [[a b][b c]]: m ± sqrt(((a-c)/2)² + b²); this form of the
            // discriminant is a sum of squares, so it cannot go negative by cancellation.
            let m = 0.5 * (a[i] + c[i]);
            let d = 0.5 * (a[i] - c[i]);
            *l = (m - (d * d + b[i] * b[i]).sqrt()).max(0.0);
        }
    });
    lambda
}

/// Mean of a row-major map: rows summed left to right, then the row sums top to bottom.
pub(crate) fn mean(map: &[f32], w: usize) -> f32 {
    let rows: Vec<f32> = map.chunks(w).map(|r| r.iter().fold(0.0f32, |s, v| s + v)).collect();
    rows.iter().fold(0.0f32, |s, v| s + v) / map.len() as f32
}

/// The per-frame texture test, evaluated at integer pixels (the grid points).
pub(crate) struct Texture {
    lambda: Vec<f32>,
    mean: f32,
    width: usize,
    height: usize,
}

impl Texture {
    pub(crate) fn new(img: &Gray, th: &Thresholds) -> Self {
        let lambda = min_eigenvalue(img, th);
        let mean = mean(&lambda, img.width);
        Self { lambda, mean, width: img.width, height: img.height }
    }

    pub(crate) fn textured(&self, x: usize, y: usize, th: &Thresholds) -> bool {
        let d = x.min(y).min(self.width - 1 - x).min(self.height - 1 - y) as f32;
        let b = (-th.border_decay * d).exp();
        let l = self.lambda[y * self.width + x];
        l >= self.mean * (th.texture_rel + b) && l >= th.texture_abs * (1.0 + b)
    }
}
