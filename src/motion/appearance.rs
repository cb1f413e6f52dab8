//! The lite tier's semantic vector: a cheap appearance descriptor of each track's
//! neighbourhood at its query frame (where the released model samples DINO), from box
//! statistics of the RGB frame at two scales. No foundation model: it can tell a textured,
//! saturated, locally distinct patch from flat sky or road, which is a weak prior on what
//! tends to move, while the motion path decides.

use crate::tracks::Tracks;

/// Width of [`describe`]'s vector.
pub const APPEARANCE_DIM: usize = 16;
/// Scales the descriptor's entries (colours in [0, 1]) to roughly unit spread.
const GAIN: f32 = 4.0;

/// Box sums of one frame's channels (R, G, B, R^2, G^2, B^2, gradient magnitude of luma).
struct Integral {
    w: usize,
    h: usize,
    /// `(h + 1) x (w + 1) x CH`, f64 so large boxes keep their low bits.
    sums: Vec<f64>,
}

/// Channels whose box means the descriptor reads.
pub const CH: usize = 7;

impl Integral {
    fn new(rgba: &[u8], w: usize, h: usize) -> Self {
        let px = |x: usize, y: usize| {
            let i = 4 * (y * w + x);
            [rgba[i] as f64 / 255.0, rgba[i + 1] as f64 / 255.0, rgba[i + 2] as f64 / 255.0]
        };
        let luma = |x: usize, y: usize| {
            let c = px(x.min(w - 1), y.min(h - 1));
            0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
        };
        let mut sums = vec![0.0; (h + 1) * (w + 1) * CH];
        let stride = (w + 1) * CH;
        for y in 0..h {
            let mut row = [0.0f64; CH];
            for x in 0..w {
                let c = px(x, y);
                let gx = luma(x + 1, y) - luma(x.saturating_sub(1), y);
                let gy = luma(x, y + 1) - luma(x, y.saturating_sub(1));
                let v = [c[0], c[1], c[2], c[0] * c[0], c[1] * c[1], c[2] * c[2], (gx * gx + gy * gy).sqrt()];
                for k in 0..CH {
                    row[k] += v[k];
                    sums[(y + 1) * stride + (x + 1) * CH + k] = sums[y * stride + (x + 1) * CH + k] + row[k];
                }
            }
        }
        Self { w, h, sums }
    }

    /// Means of the channels over the box of radius `r` around (x, y), clipped to the frame.
    fn mean(&self, x: f32, y: f32, r: usize) -> [f64; CH] {
        let cx = (x.round().max(0.0) as usize).min(self.w - 1);
        let cy = (y.round().max(0.0) as usize).min(self.h - 1);
        let (x0, x1) = (cx.saturating_sub(r), (cx + r + 1).min(self.w));
        let (y0, y1) = (cy.saturating_sub(r), (cy + r + 1).min(self.h));
        let stride = (self.w + 1) * CH;
        let at = |xx: usize, yy: usize, k: usize| self.sums[yy * stride + xx * CH + k];
        let area = ((x1 - x0) * (y1 - y0)) as f64;
        let mut m = [0.0; CH];
        for (k, v) in m.iter_mut().enumerate() {
            *v = (at(x1, y1, k) - at(x0, y1, k) - at(x1, y0, k) + at(x0, y0, k)) / area;
        }
        m
    }
}

/// Box radii at a frame size: about 1/80 and 1/20 of the short side (6 and 24 px at 480p).
pub fn radii(width: usize, height: usize) -> (usize, usize) {
    let r = (width.min(height) / 80).max(2);
    (r, 4 * r)
}

/// The tracks described at each frame (their query frame), frame by frame.
pub fn by_query_frame(tracks: &Tracks) -> Vec<Vec<usize>> {
    let mut by_frame: Vec<Vec<usize>> = vec![Vec::new(); tracks.frames];
    for j in 0..tracks.n {
        by_frame[tracks.query_frame[j] as usize].push(j);
    }
    by_frame
}

/// `[N, APPEARANCE_DIM]` descriptors of `tracks` at their query frames; `frames` are RGBA8.
/// The CPU reference of [`super::appearance_gpu`].
pub fn describe(tracks: &Tracks, frames: &[Vec<u8>]) -> Vec<f32> {
    let (w, h) = (tracks.width, tracks.height);
    let (r1, r2) = radii(w, h);
    let mut out = vec![0.0; tracks.n * APPEARANCE_DIM];
    for (t, members) in by_query_frame(tracks).iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        let integral = Integral::new(&frames[t], w, h);
        let whole = integral.mean(w as f32 / 2.0, h as f32 / 2.0, w.max(h));
        for &j in members {
            let [x, y] = tracks.xy[t * tracks.n + j];
            let d = descriptor(&integral.mean(x, y, r1), &integral.mean(x, y, r2), &whole);
            out[j * APPEARANCE_DIM..(j + 1) * APPEARANCE_DIM].copy_from_slice(&d);
        }
    }
    out
}

/// The descriptor from the channel means of the small box `a`, the large box `b` and the
/// whole frame.
pub fn descriptor(a: &[f64; CH], b: &[f64; CH], whole: &[f64; CH]) -> [f32; APPEARANCE_DIM] {
    let std = |m: &[f64; CH], k: usize| (m[3 + k] - m[k] * m[k]).max(0.0).sqrt();
    let mut d = [0.0f64; APPEARANCE_DIM];
    for k in 0..3 {
        d[k] = a[k] - 0.5;
        d[3 + k] = std(&a, k);
        d[6 + k] = b[k] - whole[k];
        d[9 + k] = a[k] - b[k];
    }
    d[12] = a[6];
    d[13] = b[6];
    d[14] = (std(&b, 0) + std(&b, 1) + std(&b, 2)) / 3.0;
    d[15] = a[..3].iter().cloned().fold(f64::MIN, f64::max) - a[..3].iter().cloned().fold(f64::MAX, f64::min);
    d.map(|v| v as f32 * GAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracks_at(points: &[[f32; 2]], w: usize, h: usize) -> Tracks {
        Tracks {
            frames: 1,
            n: points.len(),
            width: w,
            height: h,
            xy: points.to_vec(),
            visible: vec![true; points.len()],
            confidence: vec![1.0; points.len()],
            query_frame: vec![0; points.len()],
        }
    }

    #[test]
    fn flat_regions_have_no_texture_and_a_red_patch_reads_red() {
        let (w, h) = (64, 48);
        let mut frame = vec![128u8; w * h * 4];
        for y in 20..30 {
            for x in 40..52 {
                let i = 4 * (y * w + x);
                frame[i..i + 3].copy_from_slice(&[250, 10, 10]);
            }
        }
        let t = tracks_at(&[[10.0, 10.0], [45.0, 25.0]], w, h);
        let d = describe(&t, &[frame]);
        let (flat, red) = (&d[..APPEARANCE_DIM], &d[APPEARANCE_DIM..]);
        assert!(flat[3..6].iter().all(|v| v.abs() < 1e-5), "{flat:?}");
        assert!(flat[12].abs() < 1e-5);
        assert!(red[0] > 1.5 && red[1] < -1.5, "{red:?}");
        assert!(red[15] > 3.0, "saturation {}", red[15]);
        assert!(red[9] > 0.0, "centre brighter in red than its surround");
        assert!(red.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn points_on_and_off_the_border_are_described() {
        let (w, h) = (17, 9);
        let frame: Vec<u8> = (0..w * h * 4).map(|i| (i * 37 % 251) as u8).collect();
        let t = tracks_at(&[[0.0, 0.0], [16.0, 8.0], [-3.0, 20.0]], w, h);
        let d = describe(&t, &[frame]);
        assert!(d.iter().all(|v| v.is_finite()));
    }
}
