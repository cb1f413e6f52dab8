//! Dense per-frame labels from labelled track points: every pixel takes the label of the seed
//! nearest to it in geodesic distance, where a step costs its length plus a multiple of the
//! colour change it crosses, so labels spread freely inside regions of similar colour and stop
//! at image edges. Seeds are the frame's visible track points: object points carry their
//! object id, static points 0 (background). With a track every few pixels, an edge-following
//! boundary between the two kinds of seeds is the object's outline.
//!
//! This is the CPU reference: raster-scan chamfer passes (8-neighbourhood), forward then
//! backward, repeated. The GPU path relaxes the same distances in parallel.

/// A labelled point of one frame, in pixels (centres at integers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Seed {
    pub x: f32,
    pub y: f32,
    pub label: u8,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DensifyOptions {
    /// Cost per unit of mean absolute RGB difference (0..255) crossed by a step, on top of the
    /// step's length in pixels: 0.5 makes a sharp 60-level edge as costly as 30 px of travel.
    pub colour_weight: f32,
    /// Forward + backward raster pass pairs; 2 settles all but spiral-shaped regions.
    pub iterations: usize,
    /// Object labels reach at most this geodesic distance from an object seed; farther pixels
    /// are background. Textureless regions (road, sky) get no track of their own, and
    /// without a cap an object's label would flood them.
    pub max_object_distance: f32,
}

impl Default for DensifyOptions {
    fn default() -> Self {
        Self { colour_weight: 0.5, iterations: 2, max_object_distance: f32::INFINITY }
    }
}

/// Label per pixel (`w x h`) of an RGBA8 frame. Without seeds, everything is background.
pub fn geodesic_labels(rgba: &[u8], w: usize, h: usize, seeds: &[Seed], opts: &DensifyOptions) -> Vec<u8> {
    let n = w * h;
    let mut dist = vec![f32::INFINITY; n];
    let mut label = vec![0u8; n];
    for s in seeds {
        let (x, y) = (s.x.round(), s.y.round());
        if x < 0.0 || y < 0.0 || x as usize >= w || y as usize >= h {
            continue;
        }
        let i = y as usize * w + x as usize;
        // Where seeds of two labels share a pixel, the object wins: masks err to cover.
        if dist[i] > 0.0 || s.label > label[i] {
            dist[i] = 0.0;
            label[i] = s.label;
        }
    }
    if seeds.is_empty() {
        return label;
    }
    let lambda = opts.colour_weight / 3.0;
    let diff = |a: usize, b: usize| -> f32 {
        let (pa, pb) = (&rgba[4 * a..4 * a + 3], &rgba[4 * b..4 * b + 3]);
        pa.iter().zip(pb).map(|(&u, &v)| (u as f32 - v as f32).abs()).sum::<f32>() * lambda
    };
    const FORWARD: [(isize, isize, f32); 4] =
        [(-1, 0, 1.0), (-1, -1, std::f32::consts::SQRT_2), (0, -1, 1.0), (1, -1, std::f32::consts::SQRT_2)];
    for _ in 0..opts.iterations.max(1) {
        for backward in [false, true] {
            let sign = if backward { -1 } else { 1 };
            for yy in 0..h {
                let y = if backward { h - 1 - yy } else { yy };
                for xx in 0..w {
                    let x = if backward { w - 1 - xx } else { xx };
                    let i = y * w + x;
                    for &(dx, dy, len) in &FORWARD {
                        let (nx, ny) = (x as isize + sign * dx, y as isize + sign * dy);
                        if nx < 0 || ny < 0 || nx as usize >= w || ny as usize >= h {
                            continue;
                        }
                        let j = ny as usize * w + nx as usize;
                        if dist[j].is_finite() {
                            let d = dist[j] + len + diff(i, j);
                            if d < dist[i] {
                                dist[i] = d;
                                label[i] = label[j];
                            }
                        }
                    }
                }
            }
        }
    }
    for (l, d) in label.iter_mut().zip(&dist) {
        if *d > opts.max_object_distance {
            *l = 0;
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let mut v = vec![255u8; w * h * 4];
        for y in 0..h {
            for x in 0..w {
                v[4 * (y * w + x)..4 * (y * w + x) + 3].copy_from_slice(&f(x, y));
            }
        }
        v
    }

    #[test]
    fn the_boundary_follows_the_colour_edge_not_the_midpoint() {
        // Dark disk of radius 12 at (20, 20) on a bright background; the object seed sits at the
        // disk's centre, the background seed just 16 px to its right, 4 px outside the disk:
        // without colour the split would be at x = 28, inside the disk.
        let (w, h) = (48, 40);
        let inside = |x: usize, y: usize| ((x as f32 - 20.0).powi(2) + (y as f32 - 20.0).powi(2)).sqrt() <= 12.0;
        let img = frame(w, h, |x, y| if inside(x, y) { [40, 40, 60] } else { [200, 190, 180] });
        let seeds = [Seed { x: 20.0, y: 20.0, label: 1 }, Seed { x: 36.0, y: 20.0, label: 0 }, Seed { x: 3.0, y: 3.0, label: 0 }];
        let labels = geodesic_labels(&img, w, h, &seeds, &DensifyOptions::default());
        let mut wrong = 0;
        for y in 0..h {
            for x in 0..w {
                wrong += ((labels[y * w + x] == 1) != inside(x, y)) as usize;
            }
        }
        assert_eq!(wrong, 0, "pixels on the wrong side of the edge");
        // Colour off: the plain nearest seed wins, cutting into the disk.
        let plain = geodesic_labels(&img, w, h, &seeds, &DensifyOptions { colour_weight: 0.0, ..Default::default() });
        assert_eq!(plain[20 * w + 30], 0);
    }

    #[test]
    fn object_labels_stop_at_the_distance_cap() {
        let img = frame(40, 5, |_, _| [90, 90, 90]);
        let seeds = [Seed { x: 0.0, y: 2.0, label: 1 }];
        let opts = DensifyOptions { max_object_distance: 10.0, ..Default::default() };
        let l = geodesic_labels(&img, 40, 5, &seeds, &opts);
        assert_eq!(l[2 * 40 + 10], 1);
        assert_eq!(l[2 * 40 + 11], 0);
    }

    #[test]
    fn no_seeds_or_seeds_off_the_frame_give_background() {
        let img = frame(9, 7, |x, _| [x as u8 * 20, 0, 0]);
        assert!(geodesic_labels(&img, 9, 7, &[], &DensifyOptions::default()).iter().all(|&l| l == 0));
        let off = [Seed { x: -5.0, y: 2.0, label: 3 }, Seed { x: 4.0, y: 70.0, label: 3 }];
        assert!(geodesic_labels(&img, 9, 7, &off, &DensifyOptions::default()).iter().all(|&l| l == 0));
        let one = [Seed { x: 4.0, y: 3.0, label: 2 }];
        assert!(geodesic_labels(&img, 9, 7, &one, &DensifyOptions::default()).iter().all(|&l| l == 2));
    }
}
