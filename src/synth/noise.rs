//! Fractal value noise for textures, with lattice caches so that baking a texture costs array
//! reads instead of hashes, yet gives the same values bit for bit as evaluating a point.

use super::detmath::{ffloor, floor_i64, hash2, lerp, smoothstep, unit};

/// Spacing of the coarse lattice that smooth fields are interpolated from.
pub(crate) const COARSE_STEP: f64 = 4.0;

/// A noise field of a texture: fractal noise evaluated everywhere, or (coarse) interpolated
/// bilinearly from its values on a lattice of spacing `COARSE_STEP`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) fbm: Fbm,
    pub(crate) coarse: bool,
}

impl Field {
    pub(crate) fn at(&self, x: f64, y: f64) -> f64 {
        if !self.coarse {
            return self.fbm.at(x, y);
        }
        let (gx, gy) = (ffloor(x / COARSE_STEP), ffloor(y / COARSE_STEP));
        let v = |i: f64, j: f64| self.fbm.at((gx + i) * COARSE_STEP, (gy + j) * COARSE_STEP);
        coarse_lerp(
            x,
            y,
            gx,
            gy,
            [v(0.0, 0.0), v(1.0, 0.0), v(0.0, 1.0), v(1.0, 1.0)],
        )
    }

    pub(crate) fn cache(&self, rect: [f64; 4]) -> FieldCache {
        if !self.coarse {
            return FieldCache::Fine(self.fbm.cache(rect));
        }
        let [u0, v0, u1, v1] = rect;
        let (gx0, gy0) = (
            ffloor(u0 / COARSE_STEP) - 1.0,
            ffloor(v0 / COARSE_STEP) - 1.0,
        );
        let nx = (ffloor(u1 / COARSE_STEP) + 3.0 - gx0) as usize;
        let ny = (ffloor(v1 / COARSE_STEP) + 3.0 - gy0) as usize;
        let vals = (0..ny)
            .flat_map(|j| (0..nx).map(move |i| (i, j)))
            .map(|(i, j)| {
                self.fbm.at(
                    (gx0 + i as f64) * COARSE_STEP,
                    (gy0 + j as f64) * COARSE_STEP,
                )
            })
            .collect();
        FieldCache::Coarse {
            field: *self,
            gx0,
            gy0,
            nx,
            ny,
            vals,
        }
    }
}

/// Bilinear between lattice values at (gx, gy), (gx+1, gy), (gx, gy+1), (gx+1, gy+1) (in
/// lattice units); written once so cached and direct evaluation round identically.
fn coarse_lerp(x: f64, y: f64, gx: f64, gy: f64, v: [f64; 4]) -> f64 {
    let (fx, fy) = (x / COARSE_STEP - gx, y / COARSE_STEP - gy);
    lerp(lerp(v[0], v[1], fx), lerp(v[2], v[3], fx), fy)
}

pub(crate) enum FieldCache {
    Fine(FbmCache),
    Coarse {
        field: Field,
        gx0: f64,
        gy0: f64,
        nx: usize,
        ny: usize,
        vals: Vec<f64>,
    },
}

impl FieldCache {
    pub(crate) fn at(&self, x: f64, y: f64) -> f64 {
        match self {
            FieldCache::Fine(c) => c.at(x, y),
            FieldCache::Coarse {
                field,
                gx0,
                gy0,
                nx,
                ny,
                vals,
            } => {
                let (gx, gy) = (ffloor(x / COARSE_STEP), ffloor(y / COARSE_STEP));
                let (i, j) = ((gx - gx0) as i64, (gy - gy0) as i64);
                if i < 0 || j < 0 || i as usize + 1 >= *nx || j as usize + 1 >= *ny {
                    return field.at(x, y);
                }
                let k = j as usize * nx + i as usize;
                coarse_lerp(
                    x,
                    y,
                    gx,
                    gy,
                    [vals[k], vals[k + 1], vals[k + nx], vals[k + nx + 1]],
                )
            }
        }
    }
}

/// Fractal value noise in [0, 1], octaves from `period` down to about 1.5-3 px. Each octave is
/// rotated (3-4-5 triangle, exact in f64) and shifted so lattice lines never line up: aligned
/// lattices make axis-parallel streaks that flow methods lock onto.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fbm {
    pub(crate) period: f64,
    pub(crate) octaves: u32,
    pub(crate) persistence: f64,
    pub(crate) salt: u64,
    /// Added to the point first, so two fields with one salt can still differ.
    pub(crate) shift: [f64; 2],
}

impl Fbm {
    fn octave_salt(&self, o: usize) -> u64 {
        self.salt.wrapping_add(o as u64 * 0x9E37)
    }

    fn at(&self, x: f64, y: f64) -> f64 {
        self.eval(x, y, |o, ix, iy| unit(hash2(ix, iy, self.octave_salt(o))))
    }

    /// Octave o's lattice point for (x, y), as (x, y) in that octave's lattice units.
    fn octave_points(&self, x: f64, y: f64) -> impl Iterator<Item = [f64; 2]> + '_ {
        let (mut x, mut y) = (
            (x + self.shift[0]) / self.period,
            (y + self.shift[1]) / self.period,
        );
        let mut p = self.period;
        (0..self.octaves).map_while(move |o| {
            // Down to ~1.5 px periods: fine grain is what trackers lock onto.
            if p < 1.5 && o > 0 {
                return None;
            }
            let out = [x, y];
            p *= 0.5;
            let (nx, ny) = (0.8 * x - 0.6 * y, 0.6 * x + 0.8 * y);
            x = nx * 2.0 + 17.31;
            y = ny * 2.0 - 5.77;
            Some(out)
        })
    }

    /// `lattice(o, ix, iy)`: the random value at integer point (ix, iy) of octave o.
    fn eval(&self, x: f64, y: f64, lattice: impl Fn(usize, i64, i64) -> f64) -> f64 {
        let (mut sum, mut norm, mut amp) = (0.0, 0.0, 1.0);
        for (o, [x, y]) in self.octave_points(x, y).enumerate() {
            let (ix, iy) = (floor_i64(x), floor_i64(y));
            let (xf, yf) = (ix as f64, iy as f64);
            let (sx, sy) = (smoothstep(x - xf), smoothstep(y - yf));
            let v = |dx: i64, dy: i64| lattice(o, ix + dx, iy + dy);
            sum += amp * lerp(lerp(v(0, 0), v(1, 0), sx), lerp(v(0, 1), v(1, 1), sx), sy);
            norm += amp;
            amp *= self.persistence;
        }
        sum / norm
    }

    /// Lattice values of every octave over the part a rect [u0, v0, u1, v1] touches: baking
    /// then costs array reads instead of four hashes per octave per texel.
    fn cache(&self, rect: [f64; 4]) -> FbmCache {
        let [u0, v0, u1, v1] = rect;
        let corners = [[u0, v0], [u1, v0], [u0, v1], [u1, v1]];
        let pts: Vec<Vec<[f64; 2]>> = corners
            .iter()
            .map(|c| self.octave_points(c[0], c[1]).collect())
            .collect();
        let grids = (0..pts[0].len())
            .map(|o| {
                // Octave coordinates are affine in (u, v), so the corners bound the rect.
                let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
                for p in &pts {
                    for k in 0..2 {
                        lo[k] = lo[k].min(p[o][k]);
                        hi[k] = hi[k].max(p[o][k]);
                    }
                }
                let (x0, y0) = (ffloor(lo[0]) as i64 - 1, ffloor(lo[1]) as i64 - 1);
                let (nx, ny) = (
                    (ffloor(hi[0]) as i64 + 3 - x0) as usize,
                    (ffloor(hi[1]) as i64 + 3 - y0) as usize,
                );
                let salt = self.octave_salt(o);
                let vals = (0..ny as i64)
                    .flat_map(|j| (0..nx as i64).map(move |i| unit(hash2(x0 + i, y0 + j, salt))))
                    .collect();
                Grid {
                    x0,
                    y0,
                    nx,
                    ny,
                    vals,
                }
            })
            .collect();
        FbmCache { fbm: *self, grids }
    }
}

pub(crate) struct Grid {
    x0: i64,
    y0: i64,
    nx: usize,
    ny: usize,
    vals: Vec<f64>,
}

pub(crate) struct FbmCache {
    fbm: Fbm,
    grids: Vec<Grid>,
}

impl FbmCache {
    fn at(&self, x: f64, y: f64) -> f64 {
        self.fbm.eval(x, y, |o, ix, iy| {
            let g = &self.grids[o];
            let (i, j) = (ix - g.x0, iy - g.y0);
            if i >= 0 && j >= 0 && (i as usize) < g.nx && (j as usize) < g.ny {
                g.vals[j as usize * g.nx + i as usize]
            } else {
                // Only reachable through rounding at the rect's edge; same value either way.
                unit(hash2(ix, iy, self.fbm.octave_salt(o)))
            }
        })
    }
}
