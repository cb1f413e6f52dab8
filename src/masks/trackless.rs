//! Background seeds for the trackless, still parts of a frame far from every object. The
//! tracker keeps no point where there is no texture to follow (hazy sky, a blank wall, calm
//! water in shade), so such a region has no seed of either class: geodesic spreading hands it
//! to whichever label reaches it first across its smooth interior, often an object's (surf's
//! sky around the sail), and the seed-learnt priors know nothing of its colour. A region the
//! tracker found nothing in, that does not change once the camera's motion is taken out, and
//! that lies far from every object point is background; a seed at each cell of the track grid
//! there says so, to the spreading and to the priors alike. The change test keeps the seeds off
//! a fast mover's blurred, trackless body (dog-agility's dog), the distance off the seedless
//! gaps inside an object.

use super::densify::Seed;

/// Which empty cells of the track grid seed the background.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TracklessOptions {
    /// Cells farther than this many grid strides from every object seed.
    pub reach_strides: f32,
    /// Cells whose mean camera-compensated change level ([`super::motion_prior::change_levels`])
    /// is at most this (level 4 is a mean RGB change of about 2 levels of 255).
    pub max_change_level: f32,
}

/// Default: on the thirteen training sequences, whole (`segmo eval-lite
/// --trackless-background`, change level 4), J&F 0.556 without these seeds, 0.574 at reach 3
/// and at reach 5 (0.571 at 4 without the one-cell margin around tracks).
pub const TRACKLESS: TracklessOptions = TracklessOptions { reach_strides: 5.0, max_change_level: 4.0 };

/// Background seeds for one frame (`w x h`): the centre of every `cell`-pixel cell of the
/// track grid such that no visible track point (`points`, any label or none) lies in it or in
/// its eight neighbours, the mean of `change` (levels per pixel, when given) over it is at
/// most `opts.max_change_level`, and every object seed (`objects`) is farther than
/// `opts.reach_strides` cells away (8-neighbour chamfer distance between cells).
pub fn background_seeds(points: &[[f32; 2]], objects: &[[f32; 2]], change: Option<&[u8]>, w: usize, h: usize, cell: usize, opts: &TracklessOptions) -> Vec<Seed> {
    let cell = cell.max(1);
    let (gw, gh) = (w.div_ceil(cell), h.div_ceil(cell));
    let index = |p: &[f32; 2]| -> Option<usize> {
        let (x, y) = (p[0].round(), p[1].round());
        (x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h).then(|| (y as usize / cell) * gw + x as usize / cell)
    };
    let mut tracked = vec![false; gw * gh];
    for i in points.iter().filter_map(index) {
        tracked[i] = true;
    }
    // A one-cell margin: a cell beside a track is a gap in the grid, not a trackless region.
    let mut excluded: Vec<bool> = (0..gw * gh)
        .map(|i| {
            let (cx, cy) = (i % gw, i / gw);
            (cy.saturating_sub(1)..(cy + 2).min(gh)).any(|yy| (cx.saturating_sub(1)..(cx + 2).min(gw)).any(|xx| tracked[yy * gw + xx]))
        })
        .collect();
    if let Some(levels) = change {
        let mut sum = vec![0u32; gw * gh];
        let mut count = vec![0u32; gw * gh];
        for y in 0..h {
            for x in 0..w {
                let i = (y / cell) * gw + x / cell;
                sum[i] += levels[y * w + x] as u32;
                count[i] += 1;
            }
        }
        for i in 0..gw * gh {
            excluded[i] |= sum[i] as f32 > opts.max_change_level * count[i] as f32;
        }
    }
    let mut dist = vec![f32::INFINITY; gw * gh];
    for i in objects.iter().filter_map(index) {
        dist[i] = 0.0;
    }
    chamfer(&mut dist, gw, gh);
    (0..gw * gh)
        .filter(|&i| !excluded[i] && dist[i] > opts.reach_strides)
        .map(|i| {
            let (cx, cy) = (i % gw, i / gw);
            // The centre of the part of the cell inside the frame (edge cells are cut short).
            let x = (cx * cell + ((cx + 1) * cell).min(w)) as f32 / 2.0 - 0.5;
            let y = (cy * cell + ((cy + 1) * cell).min(h)) as f32 / 2.0 - 0.5;
            Seed { x, y, label: 0 }
        })
        .collect()
}

/// In place: each cell's distance (in cells) to the nearest zero, by a forward and a backward
/// pass over the 8-neighbourhood (steps 1 and sqrt 2).
fn chamfer(d: &mut [f32], gw: usize, gh: usize) {
    const DIAG: f32 = std::f32::consts::SQRT_2;
    for y in 0..gh {
        for x in 0..gw {
            let mut v = d[y * gw + x];
            if x > 0 {
                v = v.min(d[y * gw + x - 1] + 1.0);
            }
            if y > 0 {
                v = v.min(d[(y - 1) * gw + x] + 1.0);
                if x > 0 {
                    v = v.min(d[(y - 1) * gw + x - 1] + DIAG);
                }
                if x + 1 < gw {
                    v = v.min(d[(y - 1) * gw + x + 1] + DIAG);
                }
            }
            d[y * gw + x] = v;
        }
    }
    for y in (0..gh).rev() {
        for x in (0..gw).rev() {
            let mut v = d[y * gw + x];
            if x + 1 < gw {
                v = v.min(d[y * gw + x + 1] + 1.0);
            }
            if y + 1 < gh {
                v = v.min(d[(y + 1) * gw + x] + 1.0);
                if x + 1 < gw {
                    v = v.min(d[(y + 1) * gw + x + 1] + DIAG);
                }
                if x > 0 {
                    v = v.min(d[(y + 1) * gw + x - 1] + DIAG);
                }
            }
            d[y * gw + x] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(reach_strides: f32) -> TracklessOptions {
        TracklessOptions { reach_strides, max_change_level: 4.0 }
    }

    #[test]
    fn chamfer_distances_are_euclidean_along_axes_and_diagonals() {
        let (gw, gh) = (7, 5);
        let mut d = vec![f32::INFINITY; gw * gh];
        d[0] = 0.0;
        chamfer(&mut d, gw, gh);
        assert_eq!(d[6], 6.0);
        assert!((d[4 * gw + 4] - 4.0 * std::f32::consts::SQRT_2).abs() < 1e-5);
        assert!((d[4 * gw + 6] - (2.0 + 4.0 * std::f32::consts::SQRT_2)).abs() < 1e-5);
    }

    /// A 100x60 frame, 10 px cells: tracks cover cell columns 0..5, an object point sits in
    /// cell (1, 1). Seeds land only in columns 6..10 (column 5 borders the tracks), and only
    /// beyond the reach.
    #[test]
    fn seeds_fill_empty_cells_beyond_reach_of_objects() {
        let points: Vec<[f32; 2]> = (0..6).flat_map(|cy| (0..5).map(move |cx| [cx as f32 * 10.0 + 5.0, cy as f32 * 10.0 + 5.0])).collect();
        let objects = [[15.0, 15.0]];
        let all = background_seeds(&points, &objects, None, 100, 60, 10, &opts(0.0));
        assert_eq!(all.len(), 24, "every cell of columns 6..10");
        assert!(all.iter().all(|s| s.x > 60.0 && s.label == 0));
        assert!(all.iter().any(|s| s.x == 64.5 && s.y == 4.5), "cell centres: {:?}", &all[..3]);
        let far = background_seeds(&points, &objects, None, 100, 60, 10, &opts(5.5));
        let octile = |dx: f32, dy: f32| dx.min(dy) * std::f32::consts::SQRT_2 + (dx.max(dy) - dx.min(dy));
        let expect = (6..10).flat_map(|cx| (0..6).map(move |cy| (cx, cy))).filter(|&(cx, cy): &(i32, i32)| octile((cx - 1).abs() as f32, (cy - 1).abs() as f32) > 5.5);
        assert_eq!(far.len(), expect.count());
        assert!(far.len() < all.len() && !far.is_empty());
        assert!(background_seeds(&points, &objects, None, 100, 60, 10, &opts(100.0)).is_empty());
    }

    /// Cells whose mean change is above the bound seed nothing: a trackless mover.
    #[test]
    fn changing_cells_seed_nothing() {
        let (w, h) = (100, 60);
        let mut change = vec![2u8; w * h];
        for y in 0..h {
            for x in 50..w {
                change[y * w + x] = 9;
            }
        }
        let seeds = background_seeds(&[], &[], Some(&change), w, h, 10, &opts(0.0));
        assert_eq!(seeds.len(), 30);
        assert!(seeds.iter().all(|s| s.x < 50.0));
    }

    #[test]
    fn edge_cells_and_points_outside_the_frame() {
        // 35x12 with 10 px cells: the last column of cells is 5 px wide, the last row 2 px.
        let seeds = background_seeds(&[[-3.0, 4.0], [50.0, 4.0]], &[], None, 35, 12, 10, &opts(0.0));
        assert_eq!(seeds.len(), 8, "points outside the frame occupy nothing");
        assert!(seeds.iter().any(|s| s.x == 32.0 && s.y == 10.5));
        assert!(seeds.iter().all(|s| s.x < 35.0 && s.y < 12.0));
    }
}
