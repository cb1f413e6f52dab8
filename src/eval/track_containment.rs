//! Real-video check of point tracks against per-frame masks of the moving object: a track that
//! starts on the object should stay on it, one that starts off it should stay off it.
//!
//! A track starts inside when its query point lies in the mask at its query frame. It is kept
//! inside when at every frame where it is visible its point lies within `tolerance` px of a
//! mask pixel (the mask dilated by a disk). A track starting outside is kept outside when at
//! every visible frame some non-mask pixel (or the image border) lies within `tolerance` px
//! (the mask eroded by the same disk): a point on the boundary may be on either side of it,
//! which a mask annotated by hand cannot decide.

use crate::tracks::Tracks;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Containment {
    pub name: String,
    pub frames: usize,
    pub inside_tracks: usize,
    pub inside_kept: usize,
    pub outside_tracks: usize,
    pub outside_kept: usize,
}

impl Containment {
    /// Fraction of tracks starting inside that stay inside (1 when there are none).
    pub fn inside_fraction(&self) -> f64 {
        fraction(self.inside_kept, self.inside_tracks)
    }
    pub fn outside_fraction(&self) -> f64 {
        fraction(self.outside_kept, self.outside_tracks)
    }
}

fn fraction(kept: usize, total: usize) -> f64 {
    if total == 0 {
        1.0
    } else {
        kept as f64 / total as f64
    }
}

/// Offsets (dx, dy) with dx² + dy² <= r².
fn disk(r: usize) -> Vec<(isize, isize)> {
    let r = r as isize;
    (-r..=r).flat_map(|dy| (-r..=r).map(move |dx| (dx, dy))).filter(|(dx, dy)| dx * dx + dy * dy <= r * r).collect()
}

/// Scores `tracks` against `masks` (one mask per frame, the tracks' size, true = object).
pub fn containment(name: &str, tracks: &Tracks, masks: &[Vec<bool>], tolerance: usize) -> Containment {
    let (w, h) = (tracks.width, tracks.height);
    assert_eq!(masks.len(), tracks.frames, "one mask per frame");
    assert!(masks.iter().all(|m| m.len() == w * h), "masks of the tracks' frame size");
    let offsets = disk(tolerance);
    let at = |t: usize, x: isize, y: isize| -> bool {
        x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h && masks[t][y as usize * w + x as usize]
    };
    let pixel = |t: usize, j: usize| -> (isize, isize) {
        let [x, y] = tracks.xy[t * tracks.n + j];
        (x.round() as isize, y.round() as isize)
    };
    let mut c = Containment {
        name: name.to_string(),
        frames: tracks.frames,
        inside_tracks: 0,
        inside_kept: 0,
        outside_tracks: 0,
        outside_kept: 0,
    };
    for j in 0..tracks.n {
        let q = tracks.query_frame[j] as usize;
        let (qx, qy) = pixel(q, j);
        let inside = at(q, qx, qy);
        let kept = (0..tracks.frames).filter(|&t| tracks.visible[t * tracks.n + j]).all(|t| {
            let (x, y) = pixel(t, j);
            if inside {
                offsets.iter().any(|&(dx, dy)| at(t, x + dx, y + dy))
            } else {
                offsets.iter().any(|&(dx, dy)| !at(t, x + dx, y + dy))
            }
        });
        if inside {
            c.inside_tracks += 1;
            c.inside_kept += kept as usize;
        } else {
            c.outside_tracks += 1;
            c.outside_kept += kept as usize;
        }
    }
    c
}

/// Per-sequence rows, then the means over sequences.
pub fn table(rows: &[Containment], tolerance: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "Tracks that stay on (off) the moving object while visible, mask tolerance {tolerance} px (target >= 0.9 both)");
    let _ = writeln!(s, "{:<18} {:>6} {:>9} {:>8} {:>9} {:>8}", "sequence", "frames", "inside n", "kept", "outside n", "kept");
    for r in rows {
        let _ = writeln!(
            s,
            "{:<18} {:>6} {:>9} {:>8.3} {:>9} {:>8.3}",
            r.name,
            r.frames,
            r.inside_tracks,
            r.inside_fraction(),
            r.outside_tracks,
            r.outside_fraction()
        );
    }
    let n = rows.len().max(1) as f64;
    let mi = rows.iter().map(Containment::inside_fraction).sum::<f64>() / n;
    let mo = rows.iter().map(Containment::outside_fraction).sum::<f64>() / n;
    let _ = writeln!(s, "{:<18} {:>6} {:>9} {:>8.3} {:>9} {:>8.3}", "mean", "", "", mi, "", mo);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracks(xy: Vec<[f32; 2]>, visible: Vec<bool>, frames: usize, n: usize, (width, height): (usize, usize)) -> Tracks {
        Tracks {
            frames,
            n,
            width,
            height,
            xy,
            visible,
            confidence: vec![1.0; frames * n],
            query_frame: vec![0; n],
        }
    }

    #[test]
    fn counts_tracks_that_stay_and_that_leave() {
        // 20x10 frames, object = columns 5..10 in both frames.
        let (w, h) = (20, 10);
        let mask: Vec<bool> = (0..w * h).map(|i| (5..10).contains(&(i % w))).collect();
        let masks = vec![mask.clone(), mask];
        // Track 0 starts inside and stays within 2 px of the object; track 1 starts inside
        // and leaves by 5 px; track 2 starts outside and stays out; track 3 starts outside
        // and moves deep into the object; track 4 starts inside, leaves, but is hidden then.
        let xy = vec![
            [6.0, 5.0], [6.0, 5.0], [1.0, 5.0], [1.0, 5.0], [7.0, 5.0],
            [11.0, 5.0], [14.0, 5.0], [2.0, 5.0], [7.0, 5.0], [18.0, 5.0],
        ];
        let visible = vec![true; 5].into_iter().chain([true, true, true, true, false]).collect();
        let c = containment("t", &tracks(xy, visible, 2, 5, (w, h)), &masks, 2);
        assert_eq!((c.inside_tracks, c.inside_kept, c.outside_tracks, c.outside_kept), (3, 2, 2, 1));
        assert!((c.inside_fraction() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.outside_fraction(), 0.5);
    }

    #[test]
    fn boundary_points_count_for_both_sides() {
        let (w, h) = (10, 10);
        let mask: Vec<bool> = (0..w * h).map(|i| i % w >= 5).collect();
        // Starts outside at x = 4, then sits on the first object column: within tolerance.
        let xy = vec![[4.0, 3.0], [5.0, 3.0]];
        let c = containment("t", &tracks(xy, vec![true, true], 2, 1, (w, h)), &[mask.clone(), mask], 1);
        assert_eq!((c.outside_tracks, c.outside_kept), (1, 1));
    }
}
