//! Sparse point tracking: Shi-Tomasi corners on a grid, followed by pyramidal Lucas-Kanade.

use super::raster::Gray;

/// Image pyramid with per-level gradients (LK needs the template's gradients at every level).
pub(crate) struct Pyramid {
    pub levels: Vec<Gray>,
    gx: Vec<Gray>,
    gy: Vec<Gray>,
}

/// Half-width of the LK window (9x9): big enough to be stable on blurred 320-px frames,
/// small enough not to straddle object boundaries too often.
const HALF: i32 = 4;

impl Pyramid {
    /// Coarsest level stays at least ~24 px so a 9x9 window still sees image content; four
    /// levels at 320 px handle ~30 px motion per frame at working resolution.
    pub(crate) fn new(base: &Gray, max_levels: usize) -> Self {
        let mut levels = vec![base.clone()];
        while levels.len() < max_levels {
            let last = levels.last().unwrap();
            if last.w / 2 < 24 || last.h / 2 < 24 {
                break;
            }
            levels.push(last.half());
        }
        let (gx, gy) = levels.iter().map(|l| l.gradients()).unzip();
        Self { levels, gx, gy }
    }

    pub(crate) fn base(&self) -> &Gray {
        &self.levels[0]
    }
}

/// Strongest Shi-Tomasi corner per grid cell. A grid (rather than the global top-N) spreads
/// points over the whole frame, so the background outvotes a large textured foreground object.
pub(crate) fn good_features(pyr: &Pyramid, cells_x: usize, cells_y: usize) -> Vec<(f32, f32)> {
    let (gx, gy) = (&pyr.gx[0], &pyr.gy[0]);
    let (w, h) = (gx.w, gx.h);
    let margin = (HALF + 2) as usize;
    if w <= 2 * margin || h <= 2 * margin {
        return Vec::new();
    }
    // Min-eigenvalue of the 5x5 structure tensor at every interior pixel.
    let r = 2usize;
    let mut score = vec![0.0f32; w * h];
    for y in margin..h - margin {
        for x in margin..w - margin {
            let (mut a, mut b, mut c) = (0.0f32, 0.0f32, 0.0f32);
            for yy in y - r..=y + r {
                for xx in x - r..=x + r {
                    let (ix, iy) = (gx.at(xx, yy), gy.at(xx, yy));
                    a += ix * ix;
                    b += ix * iy;
                    c += iy * iy;
                }
            }
            let tr = 0.5 * (a + c);
            let d = (0.25 * (a - c) * (a - c) + b * b).sqrt();
            score[y * w + x] = tr - d;
        }
    }
    let best = score.iter().cloned().fold(0.0f32, f32::max);
    // Relative floor drops weak corners in busy frames; the absolute floor keeps flat or
    // near-flat frames (noise-only gradients) from yielding meaningless points.
    let floor = (0.01 * best).max(1e-4);
    let (iw, ih) = (w - 2 * margin, h - 2 * margin);
    let mut out = Vec::new();
    for cy in 0..cells_y {
        for cx in 0..cells_x {
            let (x0, x1) = (margin + cx * iw / cells_x, margin + (cx + 1) * iw / cells_x);
            let (y0, y1) = (margin + cy * ih / cells_y, margin + (cy + 1) * ih / cells_y);
            let mut pick: Option<(f32, usize, usize)> = None;
            for y in y0..y1 {
                for x in x0..x1 {
                    let s = score[y * w + x];
                    if s > floor && pick.is_none_or(|p| s > p.0) {
                        pick = Some((s, x, y));
                    }
                }
            }
            if let Some((_, x, y)) = pick {
                out.push((x as f32, y as f32));
            }
        }
    }
    out
}

/// Tracks `p` (level-0 coordinates of `from`) into `to`; `None` when the window is
/// untextured (aperture problem) or the point leaves the frame.
pub(crate) fn track(from: &Pyramid, to: &Pyramid, p: (f32, f32)) -> Option<(f32, f32)> {
    let nlev = from.levels.len().min(to.levels.len());
    let n = ((2 * HALF + 1) * (2 * HALF + 1)) as usize;
    let mut tpl = vec![0.0f32; n];
    let mut tgx = vec![0.0f32; n];
    let mut tgy = vec![0.0f32; n];
    let mut guess = (0.0f32, 0.0f32);
    for lev in (0..nlev).rev() {
        let scale = (1u32 << lev) as f32;
        // Pixel centres of a 2x2-decimated level sit at 2i + 0.5 of the finer one.
        let u = ((p.0 + 0.5) / scale - 0.5, (p.1 + 0.5) / scale - 0.5);
        let (img, gx, gy, dst) = (&from.levels[lev], &from.gx[lev], &from.gy[lev], &to.levels[lev]);
        let (mut a, mut b, mut c) = (0.0f32, 0.0f32, 0.0f32);
        let mut k = 0;
        for dy in -HALF..=HALF {
            for dx in -HALF..=HALF {
                let (x, y) = (u.0 + dx as f32, u.1 + dy as f32);
                tpl[k] = img.sample_clamped(x, y);
                let (ix, iy) = (gx.sample_clamped(x, y), gy.sample_clamped(x, y));
                tgx[k] = ix;
                tgy[k] = iy;
                a += ix * ix;
                b += ix * iy;
                c += iy * iy;
                k += 1;
            }
        }
        let det = a * c - b * b;
        let min_eig = 0.5 * (a + c) - (0.25 * (a - c) * (a - c) + b * b).sqrt();
        // Written so that NaN also counts as "untextured".
        if min_eig.is_nan() || min_eig <= 1e-5 * n as f32 || det.is_nan() || det <= 0.0 {
            if lev == 0 {
                return None;
            }
            // A flat coarse level can't refine the guess, but finer levels may still lock on.
            guess = (guess.0 * 2.0, guess.1 * 2.0);
            continue;
        }
        let mut v = (0.0f32, 0.0f32);
        for _ in 0..20 {
            let (mut bx, mut by) = (0.0f32, 0.0f32);
            let mut k = 0;
            for dy in -HALF..=HALF {
                for dx in -HALF..=HALF {
                    let j = dst.sample_clamped(u.0 + guess.0 + v.0 + dx as f32, u.1 + guess.1 + v.1 + dy as f32);
                    let e = tpl[k] - j;
                    bx += tgx[k] * e;
                    by += tgy[k] * e;
                    k += 1;
                }
            }
            let d = ((c * bx - b * by) / det, (a * by - b * bx) / det);
            v.0 += d.0;
            v.1 += d.1;
            if !(v.0.is_finite() && v.1.is_finite()) {
                return None;
            }
            if d.0 * d.0 + d.1 * d.1 < 1e-4 {
                break;
            }
        }
        guess = (guess.0 + v.0, guess.1 + v.1);
        if lev > 0 {
            guess = (guess.0 * 2.0, guess.1 * 2.0);
        }
    }
    let q = (p.0 + guess.0, p.1 + guess.1);
    let base = to.base();
    let inside = q.0 >= 0.0 && q.1 >= 0.0 && q.0 <= (base.w - 1) as f32 && q.1 <= (base.h - 1) as f32;
    inside.then_some(q)
}
