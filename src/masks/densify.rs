//! Dense per-frame labels from labelled track points: every pixel takes the label of the seed
//! nearest to it in geodesic distance, where a step costs its length plus a multiple of the
//! colour change it crosses, so labels spread freely inside regions of similar colour and stop
//! at image edges. Seeds are the frame's visible track points: object points carry their
//! object id, static points 0 (background). With a track every few pixels, an edge-following
//! boundary between the two kinds of seeds is the object's outline.
//!
//! Distances relax in directional sweeps (fast sweeping over the 8-neighbourhood); the GPU
//! kernel runs the same sweeps with a row (column) of pixels in parallel.

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
    /// Rounds of the four sweeps; 2 settle all but winding regions.
    pub iterations: usize,
    /// Object labels reach at most this geodesic distance from an object seed; farther pixels
    /// are background. Textureless regions (road, sky) get no track of their own, and
    /// without a cap an object's label would flood them.
    pub max_object_distance: f32,
    /// Weight of the colour prior ([`super::colour_model`]): entering a pixel whose colour
    /// is typical of the other class costs up to this many px of travel per px (per unit of
    /// -ln(2 P)); 0 = no prior.
    pub colour_prior_weight: f32,
    /// Weight of the motion prior ([`super::motion_prior`]) in the prior's log-odds, beside
    /// the colour's (weight 1); 0 = colour alone. Acts through the colour prior's weight.
    pub motion_prior_weight: f32,
    /// An object label that won a pixel past `max_object_distance` keeps it where the prior's
    /// P(object) is above this (1 = never): a mover's part beyond a strong internal edge (a
    /// dog's black and white coat) is far geodesically from the few seeds a fast mover keeps,
    /// but its motion says what it is.
    pub prior_beats_cap: f32,
}

impl Default for DensifyOptions {
    fn default() -> Self {
        Self { colour_weight: 0.5, iterations: 2, max_object_distance: f32::INFINITY, colour_prior_weight: COLOUR_PRIOR_WEIGHT, motion_prior_weight: MOTION_PRIOR_WEIGHT, prior_beats_cap: PRIOR_BEATS_CAP }
    }
}

impl DensifyOptions {
    /// The motion prior acts through the colour prior's weight, so it needs both.
    pub fn uses_motion_prior(&self) -> bool {
        self.motion_prior_weight > 0.0 && self.colour_prior_weight > 0.0
    }
}

/// Default [`DensifyOptions::colour_prior_weight`].
pub const COLOUR_PRIOR_WEIGHT: f32 = 5.0;

/// Default [`DensifyOptions::motion_prior_weight`]. Chosen on the thirteen training sequences,
/// whole, with [`PRIOR_BEATS_CAP`] (`segmo eval-lite --motion-prior ... --prior-beats-cap ...`):
/// J&F 0.480 without the motion prior; 0.537 / 0.545 / 0.550 at weights 2 / 3 / 4 (cap
/// exemption above 0.8); 0.555 / 0.555 / 0.551 at 4 / 6 / 8 (above 0.9).
pub const MOTION_PRIOR_WEIGHT: f32 = 4.0;

/// Default [`DensifyOptions::prior_beats_cap`]. With the colour prior alone the exemption lets
/// too much through (above 0.7: 0.463 against 0.480 without it); with the motion prior it is
/// what lets the motion evidence reach a fast mover's seedless parts (without it, weights 0.5
/// to 2 moved ground-truth-label J&F on dog-agility, mallard-fly and bmx-bumps by < 0.005).
pub const PRIOR_BEATS_CAP: f32 = 0.9;

/// Stand-in for "no seed reached this pixel yet" (finite: WGSL has no infinity literal).
pub const UNREACHED: f32 = 3.0e38;

/// Sweep directions, in the order each iteration runs them: rows top to bottom, bottom to
/// top, then columns left to right, right to left. A pixel relaxes against the three pixels of
/// the previous row (column) only, so a whole row is independent work: the GPU kernel gives
/// each row (column) to one workgroup in turn, the same schedule as here.
pub const SWEEPS: [Sweep; 4] = [Sweep::Down, Sweep::Up, Sweep::Right, Sweep::Left];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    Down = 0,
    Up = 1,
    Right = 2,
    Left = 3,
}

/// Packed RGB of each pixel (`r | g << 8 | b << 16`), the layout the GPU kernel reads.
pub fn pack_rgb(rgba: &[u8]) -> Vec<u32> {
    rgba.chunks_exact(4).map(|p| p[0] as u32 | (p[1] as u32) << 8 | (p[2] as u32) << 16).collect()
}

/// Initial distance and label maps: 0 and the seed's label at seed pixels.
pub fn seed_maps(w: usize, h: usize, seeds: &[Seed]) -> (Vec<f32>, Vec<u8>) {
    let mut dist = vec![UNREACHED; w * h];
    let mut label = vec![0u8; w * h];
    for s in seeds {
        let (x, y) = (s.x.round(), s.y.round());
        if !(x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h) {
            continue;
        }
        let i = y as usize * w + x as usize;
        // Where seeds of two labels share a pixel, the object wins: masks err to cover.
        if dist[i] > 0.0 || s.label > label[i] {
            dist[i] = 0.0;
            label[i] = s.label;
        }
    }
    (dist, label)
}

/// Cost of the step between pixels with packed colours `a` and `b`, `len` px long.
#[inline]
pub fn step_cost(a: u32, b: u32, len: f32, lambda: f32) -> f32 {
    let d = |s: u32| ((a >> s) & 255).abs_diff((b >> s) & 255);
    len + lambda * (d(0) + d(8) + d(16)) as f32
}

/// One sweep over a `w x h` frame (the CPU reference of `shaders/densify_sweep.wgsl`).
/// A step into pixel i carrying an object label costs `unary[2 i]` more per px of length, one
/// carrying the background label `unary[2 i + 1]` ([`super::colour_model::unary_costs`]; empty
/// = none).
#[allow(clippy::too_many_arguments)]
pub fn sweep(rgb: &[u32], unary: &[f32], w: usize, h: usize, lambda: f32, dir: Sweep, dist: &mut [f32], label: &mut [u8]) {
    let vertical = matches!(dir, Sweep::Down | Sweep::Up);
    let (lines, across) = if vertical { (h, w) } else { (w, h) };
    let back = matches!(dir, Sweep::Up | Sweep::Left);
    for step in 1..lines {
        let line = if back { lines - 1 - step } else { step };
        let prev = if back { line + 1 } else { line - 1 };
        for k in 0..across {
            let at = |l: usize, k: usize| if vertical { l * w + k } else { k * w + l };
            let i = at(line, k);
            for (dk, len) in [(-1isize, std::f32::consts::SQRT_2), (0, 1.0), (1, std::f32::consts::SQRT_2)] {
                let kk = k as isize + dk;
                if kk < 0 || kk as usize >= across {
                    continue;
                }
                let j = at(prev, kk as usize);
                if dist[j] >= UNREACHED {
                    continue;
                }
                let mut d = dist[j] + step_cost(rgb[i], rgb[j], len, lambda);
                if !unary.is_empty() {
                    d += unary[2 * i + (label[j] == 0) as usize] * len;
                }
                if d < dist[i] {
                    dist[i] = d;
                    label[i] = label[j];
                }
            }
        }
    }
}

/// Labels past the distance cap become background, except where the prior (P(object) per
/// pixel) is above `prior_beats_cap`.
pub fn apply_cap(dist: &[f32], label: &mut [u8], cap: f32, prior: Option<&[f32]>, prior_beats_cap: f32) {
    for (i, (l, &d)) in label.iter_mut().zip(dist).enumerate() {
        if d > cap && prior.is_none_or(|p| p[i] <= prior_beats_cap) {
            *l = 0;
        }
    }
}

/// Label per pixel (`w x h`) of an RGBA8 frame; `p_object` is the colour prior
/// ([`super::colour_model::object_probability`], `w x h`; panics otherwise), used when
/// `opts.colour_prior_weight > 0`. Without seeds, everything is background.
pub fn geodesic_labels(rgba: &[u8], w: usize, h: usize, seeds: &[Seed], p_object: Option<&[f32]>, opts: &DensifyOptions) -> Vec<u8> {
    let (mut dist, mut label) = seed_maps(w, h, seeds);
    if seeds.is_empty() {
        return label;
    }
    let rgb = pack_rgb(rgba);
    let unary = match p_object {
        Some(p) if opts.colour_prior_weight > 0.0 => {
            assert_eq!(p.len(), w * h, "densify: colour prior of {} pixels for a {w}x{h} frame", p.len());
            super::colour_model::unary_costs(p, opts.colour_prior_weight)
        }
        _ => Vec::new(),
    };
    for _ in 0..opts.iterations.max(1) {
        for dir in SWEEPS {
            sweep(&rgb, &unary, w, h, opts.colour_weight / 3.0, dir, &mut dist, &mut label);
        }
    }
    let prior = p_object.filter(|_| opts.colour_prior_weight > 0.0);
    apply_cap(&dist, &mut label, opts.max_object_distance, prior, opts.prior_beats_cap);
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masks::colour_model::object_probability;

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
        let labels = geodesic_labels(&img, w, h, &seeds, None, &DensifyOptions::default());
        let mut wrong = 0;
        for y in 0..h {
            for x in 0..w {
                wrong += ((labels[y * w + x] == 1) != inside(x, y)) as usize;
            }
        }
        assert_eq!(wrong, 0, "pixels on the wrong side of the edge");
        // Colour off: the plain nearest seed wins, cutting into the disk.
        let plain = geodesic_labels(&img, w, h, &seeds, None, &DensifyOptions { colour_weight: 0.0, ..Default::default() });
        assert_eq!(plain[20 * w + 30], 0);
    }

    #[test]
    fn object_labels_stop_at_the_distance_cap() {
        let img = frame(40, 5, |_, _| [90, 90, 90]);
        let seeds = [Seed { x: 0.0, y: 2.0, label: 1 }];
        let opts = DensifyOptions { max_object_distance: 10.0, ..Default::default() };
        let l = geodesic_labels(&img, 40, 5, &seeds, None, &opts);
        assert_eq!(l[2 * 40 + 10], 1);
        assert_eq!(l[2 * 40 + 11], 0);
    }

    #[test]
    fn a_confident_prior_keeps_an_object_label_past_the_cap() {
        // One object seed at the left end of a 40 px strip; the prior is sure that x >= 25 is
        // object and unsure about the rest.
        let img = frame(40, 5, |_, _| [90, 90, 90]);
        let seeds = [Seed { x: 0.0, y: 2.0, label: 1 }];
        let p: Vec<f32> = (0..40 * 5).map(|i| if i % 40 >= 25 { 0.95 } else { 0.5 }).collect();
        let capped = DensifyOptions { max_object_distance: 10.0, colour_prior_weight: 1.0, prior_beats_cap: 1.0, ..Default::default() };
        let l = geodesic_labels(&img, 40, 5, &seeds, Some(&p), &capped);
        assert_eq!((l[2 * 40 + 8], l[2 * 40 + 15], l[2 * 40 + 30]), (1, 0, 0), "the cap alone");
        let l = geodesic_labels(&img, 40, 5, &seeds, Some(&p), &DensifyOptions { prior_beats_cap: 0.9, ..capped.clone() });
        // Past the cap: still background where the prior is unsure, the object's where it is sure.
        assert_eq!((l[2 * 40 + 8], l[2 * 40 + 15], l[2 * 40 + 30]), (1, 0, 1));
        // Without a prior in use, nothing is exempt.
        let off = DensifyOptions { prior_beats_cap: 0.9, colour_prior_weight: 0.0, ..capped };
        assert_eq!(geodesic_labels(&img, 40, 5, &seeds, Some(&p), &off)[2 * 40 + 30], 0);
    }

    #[test]
    fn no_seeds_or_seeds_off_the_frame_give_background() {
        let img = frame(9, 7, |x, _| [x as u8 * 20, 0, 0]);
        assert!(geodesic_labels(&img, 9, 7, &[], None, &DensifyOptions::default()).iter().all(|&l| l == 0));
        let off = [Seed { x: -5.0, y: 2.0, label: 3 }, Seed { x: 4.0, y: 70.0, label: 3 }];
        assert!(geodesic_labels(&img, 9, 7, &off, None, &DensifyOptions::default()).iter().all(|&l| l == 0));
        let one = [Seed { x: 4.0, y: 3.0, label: 2 }];
        assert!(geodesic_labels(&img, 9, 7, &one, None, &DensifyOptions::default()).iter().all(|&l| l == 2));
    }

    /// A reddish object (left) with a thin leg (rows 9..=11) reaching into a bluish background
    /// through a weak edge; seeds on the body and around the leg's tip, none on the leg.
    fn scene() -> (Vec<u8>, Vec<Seed>, usize, usize) {
        let (w, h) = (60, 21);
        let object = |x: usize, y: usize| x < 20 || (x < 45 && (9..=11).contains(&y));
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| if object(i % w, i / w) { [150, 100, 100, 255] } else { [100, 100, 150, 255] })
            .collect();
        let mut seeds = vec![Seed { x: 5.0, y: 10.0, label: 1 }, Seed { x: 10.0, y: 3.0, label: 1 }, Seed { x: 10.0, y: 17.0, label: 1 }];
        for x in [25.0, 35.0, 44.0, 55.0] {
            seeds.push(Seed { x, y: 4.0, label: 0 });
            seeds.push(Seed { x, y: 16.0, label: 0 });
        }
        (rgba, seeds, w, h)
    }

    #[test]
    fn labels_stop_at_edges_and_the_colour_prior_keeps_a_seedless_part_with_its_object() {
        let (rgba, seeds, w, h) = scene();
        let plain = DensifyOptions { colour_prior_weight: 0.0, ..DensifyOptions::default() };
        let without = geodesic_labels(&rgba, w, h, &seeds, None, &plain);
        // The body is the object's, the open background is not.
        assert!((0..h).all(|y| without[y * w + 8] == 1));
        assert!((0..h).filter(|y| !(9..=11).contains(y)).all(|y| without[y * w + 30] == 0));
        // Without the prior the leg's far end goes to the nearer background seeds (a 100-level
        // edge costs ~17 px, the object's seed is ~40 px away along the leg).
        assert_eq!(without[10 * w + 42], 0);
        let p = object_probability(&rgba, &[(&rgba, &seeds)], w, h).unwrap();
        let with = geodesic_labels(&rgba, w, h, &seeds, Some(&p), &DensifyOptions::default());
        assert!((20..45).all(|x| with[10 * w + x] == 1), "the whole leg is the object's: {:?}", &with[10 * w + 20..10 * w + 45]);
        assert!((0..h).filter(|y| !(9..=11).contains(y)).all(|y| with[y * w + 30] == 0));
        // A weight of 0 ignores the prior.
        assert_eq!(geodesic_labels(&rgba, w, h, &seeds, Some(&p), &plain), without);
        assert_eq!(geodesic_labels(&rgba, w, h, &[], Some(&p), &DensifyOptions::default()), vec![0; w * h]);
    }

    #[test]
    #[should_panic(expected = "colour prior of 10 pixels")]
    fn a_colour_prior_of_the_wrong_size_is_refused() {
        let (rgba, seeds, w, h) = scene();
        geodesic_labels(&rgba, w, h, &seeds, Some(&[0.5; 10]), &DensifyOptions::default());
    }
}
