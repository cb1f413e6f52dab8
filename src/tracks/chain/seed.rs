//! The seed grid and the "is this cell already tracked?" test.
//!
//! Grid: cell (i, j) covers `[i*s, (i+1)*s) x [j*s, (j+1)*s)`; its seed point is the integer
//! pixel `(i*s + s/2, j*s + s/2)` (integer division), kept only when inside the image, so a
//! partial last column/row of cells gets a point only if its centre pixel exists.
//!
//! Coverage follows the authors' code: a grid point is covered when a live track (visible at
//! the query frame) lies closer than s px. They use a distance transform; we use a scatter
//! that gives the same answer and maps to a GPU without a global pass: each live track
//! visits the grid points of its own and the 8 neighbouring cells (the only ones within s px:
//! any other is at least 1.5 s away) and lowers their squared distance. GPU: one invocation
//! per live track doing `atomicMin` on the distance's u32 bit pattern (order-preserving for
//! non-negative floats); min is order-independent, so the result is deterministic. Seeding
//! is then one invocation per grid point writing a keep flag, and an exclusive prefix sum over
//! the flags gives each new track its index in the same row-major order as here.

use super::texture::Texture;
use super::Thresholds;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    pub stride: usize,
    pub nx: usize,
    pub ny: usize,
}

impl Grid {
    pub(crate) fn new(width: usize, height: usize, stride: usize) -> Self {
        let count = |len: usize| (len + stride - 1 - stride / 2) / stride;
        Self { stride, nx: count(width), ny: count(height) }
    }

    pub(crate) fn point(&self, i: usize, j: usize) -> (usize, usize) {
        (i * self.stride + self.stride / 2, j * self.stride + self.stride / 2)
    }

    /// Squared distance from each grid point (row-major) to the nearest of `live`.
    pub(crate) fn coverage(&self, live: impl Iterator<Item = [f32; 2]>) -> Vec<f32> {
        let mut d2 = vec![f32::MAX; self.nx * self.ny];
        let s = self.stride as f32;
        for p in live {
            let (ci, cj) = ((p[0] / s).floor() as i64, (p[1] / s).floor() as i64);
            for j in cj - 1..=cj + 1 {
                for i in ci - 1..=ci + 1 {
                    if i < 0 || j < 0 || i >= self.nx as i64 || j >= self.ny as i64 {
                        continue;
                    }
                    let (gx, gy) = self.point(i as usize, j as usize);
                    let (dx, dy) = (gx as f32 - p[0], gy as f32 - p[1]);
                    let d = dx * dx + dy * dy;
                    let slot = &mut d2[j as usize * self.nx + i as usize];
                    *slot = slot.min(d);
                }
            }
        }
        d2
    }

    /// Seed points, row-major: textured grid points with no live track within s px.
    pub(crate) fn seeds(&self, texture: &Texture, coverage: &[f32], th: &Thresholds) -> Vec<[f32; 2]> {
        let s2 = (self.stride * self.stride) as f32;
        let mut out = Vec::new();
        for j in 0..self.ny {
            for i in 0..self.nx {
                let (x, y) = self.point(i, j);
                if coverage[j * self.nx + i] >= s2 && texture.textured(x, y, th) {
                    out.push([x as f32, y as f32]);
                }
            }
        }
        out
    }
}
