//! Moving tracks to object instances: the threshold on P(moving) chosen as the released code
//! does, then moving tracks linked when they stay close and move alike, each connected group an
//! object with an id that holds for the whole clip (ids are per track, and tracks span it).

use crate::tracks::Tracks;

/// The released thresholds, tried in order.
pub const THRESHOLDS: [f32; 7] = [0.95, 0.93, 0.9, 0.85, 0.8, 0.75, 0.7];

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectOptions {
    /// The first of these leaving at least `min_moving` moving tracks is used.
    pub thresholds: Vec<f32>,
    pub min_moving: usize,
    /// Two moving points link in a frame when closer than this many grid strides...
    pub link_strides: f32,
    /// ...and their frame-to-frame motions differ by less than `link_speed_px + link_speed_rel`
    /// times the faster one (articulated parts link through the points between them).
    pub link_speed_px: f32,
    pub link_speed_rel: f32,
    /// Tracks that must link in this many frames to join.
    pub link_frames: usize,
    /// Groups with fewer tracks are dropped (a few stray tracks are no object).
    pub min_object_tracks: usize,
    /// Hysteresis: tracks above this (but below the selected threshold) join an object when
    /// they link to it, so an object is its confident core plus its likely-moving surround;
    /// alone they make no object.
    pub extend_threshold: f32,
    /// Confident (above-threshold) tracks an object must hold.
    pub min_core_tracks: usize,
}

impl Default for ObjectOptions {
    fn default() -> Self {
        Self {
            thresholds: THRESHOLDS.to_vec(),
            min_moving: 10,
            link_strides: 3.0,
            link_speed_px: 2.0,
            link_speed_rel: 0.5,
            link_frames: 2,
            min_object_tracks: 8,
            extend_threshold: 0.7,
            min_core_tracks: 3,
        }
    }
}

/// What the objects stage decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Objects {
    /// None when no threshold leaves `min_moving` moving tracks: the clip is taken to have no
    /// moving object, and nothing is segmented (documented behaviour, not an error).
    pub threshold: Option<f32>,
    /// Per track: 0 = static (or a dropped stray), k = object k (1 = the most tracks).
    pub object: Vec<u8>,
    pub count: usize,
}

/// The first threshold leaving at least `min_moving` tracks above it.
pub fn select_threshold(probs: &[f32], opts: &ObjectOptions) -> Option<f32> {
    opts.thresholds.iter().copied().find(|&th| probs.iter().filter(|&&p| p > th).count() >= opts.min_moving)
}

struct Dsu(Vec<usize>);
impl Dsu {
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Groups the tracks with `probs > threshold` into objects, with the linked tracks above
/// `extend_threshold`.
pub fn group(tracks: &Tracks, probs: &[f32], grid_stride: usize, opts: &ObjectOptions) -> Objects {
    let n = tracks.n;
    let Some(threshold) = select_threshold(probs, opts) else {
        return Objects { threshold: None, object: vec![0; n], count: 0 };
    };
    let low = opts.extend_threshold.min(threshold);
    let moving: Vec<usize> = (0..n).filter(|&j| probs[j] > low).collect();
    let radius = opts.link_strides * grid_stride.max(1) as f32;
    let cell = radius.max(1.0);
    let mut links: std::collections::HashMap<(usize, usize), usize> = std::collections::HashMap::new();
    let t_len = tracks.frames;
    let vel = |j: usize, t: usize| -> Option<[f32; 2]> {
        if t + 1 >= t_len || !tracks.visible[t * n + j] || !tracks.visible[(t + 1) * n + j] {
            return None;
        }
        let (a, b) = (tracks.xy[t * n + j], tracks.xy[(t + 1) * n + j]);
        Some([b[0] - a[0], b[1] - a[1]])
    };
    for t in 0..t_len {
        let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = std::collections::HashMap::new();
        for (m, &j) in moving.iter().enumerate() {
            if tracks.visible[t * n + j] {
                let [x, y] = tracks.xy[t * n + j];
                grid.entry(((x / cell).floor() as i32, (y / cell).floor() as i32)).or_default().push(m);
            }
        }
        for (&(cx, cy), members) in &grid {
            for dx in -1..=1 {
                for dy in -1..=1 {
                    let Some(others) = grid.get(&(cx + dx, cy + dy)) else { continue };
                    for &a in members {
                        for &b in others {
                            if a >= b {
                                continue;
                            }
                            let (ja, jb) = (moving[a], moving[b]);
                            let (pa, pb) = (tracks.xy[t * n + ja], tracks.xy[t * n + jb]);
                            if (pa[0] - pb[0]).hypot(pa[1] - pb[1]) > radius {
                                continue;
                            }
                            let alike = match (vel(ja, t), vel(jb, t)) {
                                (Some(va), Some(vb)) => {
                                    let fast = va[0].hypot(va[1]).max(vb[0].hypot(vb[1]));
                                    (va[0] - vb[0]).hypot(va[1] - vb[1]) < opts.link_speed_px + opts.link_speed_rel * fast
                                }
                                // No motion to compare (last frame, or hidden next): position decides.
                                _ => true,
                            };
                            if alike {
                                *links.entry((a, b)).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    let mut dsu = Dsu((0..moving.len()).collect());
    let mut pairs: Vec<_> = links.into_iter().filter(|&(_, c)| c >= opts.link_frames).map(|(p, _)| p).collect();
    pairs.sort_unstable();
    for (a, b) in pairs {
        dsu.union(a, b);
    }
    let mut sizes: std::collections::BTreeMap<usize, (usize, usize)> = std::collections::BTreeMap::new();
    for (m, &j) in moving.iter().enumerate() {
        let e = sizes.entry(dsu.find(m)).or_default();
        e.0 += 1;
        e.1 += (probs[j] > threshold) as usize;
    }
    // Largest first; ties by root index, so ids are deterministic.
    let mut roots: Vec<(usize, usize)> = sizes
        .into_iter()
        .filter(|&(_, (size, core))| size >= opts.min_object_tracks && core >= opts.min_core_tracks)
        .map(|(root, (size, _))| (root, size))
        .collect();
    roots.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    roots.truncate(255);
    let mut object = vec![0u8; n];
    for (m, &j) in moving.iter().enumerate() {
        let r = dsu.find(m);
        if let Some(k) = roots.iter().position(|&(root, _)| root == r) {
            object[j] = (k + 1) as u8;
        }
    }
    Objects { threshold: Some(threshold), object, count: roots.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two blobs of 12 tracks each moving apart, and 30 static tracks; 6 frames, stride 4.
    fn scene() -> (Tracks, Vec<f32>) {
        let (t, mut xy, mut probs) = (6, Vec::new(), Vec::new());
        let mut pos: Vec<([f32; 2], [f32; 2], f32)> = Vec::new();
        for i in 0..12 {
            pos.push(([20.0 + (i % 4) as f32 * 4.0, 20.0 + (i / 4) as f32 * 4.0], [2.0, 0.0], 0.97));
            pos.push(([120.0 + (i % 4) as f32 * 4.0, 60.0 + (i / 4) as f32 * 4.0], [-1.0, 1.5], 0.91));
        }
        for i in 0..30 {
            pos.push(([(i * 7 % 150) as f32, (i * 13 % 90) as f32], [0.0, 0.0], 0.2));
        }
        let n = pos.len();
        for f in 0..t {
            for (p, v, _) in &pos {
                xy.push([p[0] + v[0] * f as f32, p[1] + v[1] * f as f32]);
            }
        }
        probs.extend(pos.iter().map(|p| p.2));
        let tracks = Tracks::all_visible(160, 100, t, xy, vec![0; n]);
        (tracks, probs)
    }

    #[test]
    fn threshold_is_the_first_leaving_ten_moving_tracks() {
        let (_, probs) = scene();
        let o = ObjectOptions::default();
        assert_eq!(select_threshold(&probs, &o), Some(0.95), "12 tracks above 0.95");
        let fewer: Vec<f32> = probs.iter().map(|&p| if p > 0.95 { 0.94 } else { p }).collect();
        assert_eq!(select_threshold(&fewer, &o), Some(0.93), "the first blob at 0.94 clears 0.93");
        let low: Vec<f32> = probs.iter().map(|&p| if p > 0.95 { 0.905 } else { p }).collect();
        assert_eq!(select_threshold(&low, &o), Some(0.9), "24 tracks above 0.9");
        assert_eq!(select_threshold(&vec![0.5; 40], &o), None);
    }

    #[test]
    fn two_blobs_become_two_objects_and_static_tracks_stay_background() {
        let (tracks, mut probs) = scene();
        // Both blobs above the first threshold.
        probs.iter_mut().filter(|p| **p > 0.9).for_each(|p| *p = 0.99);
        let o = group(&tracks, &probs, 4, &ObjectOptions::default());
        assert_eq!(o.count, 2);
        let ids: std::collections::BTreeSet<u8> = o.object[..24].iter().copied().collect();
        assert_eq!(ids, [1u8, 2].into_iter().collect());
        assert!(o.object[24..].iter().all(|&k| k == 0));
        // Tracks of one blob share one id.
        assert!((0..24).step_by(2).all(|j| o.object[j] == o.object[0]));
        assert!((1..24).step_by(2).all(|j| o.object[j] == o.object[1]));
    }

    #[test]
    fn likely_moving_tracks_join_a_confident_object_but_make_none_alone() {
        let (tracks, mut probs) = scene();
        // Blob A: 4 confident tracks, the rest 0.8; blob B: all 0.8 (no confident core).
        for j in 0..24 {
            probs[j] = if j % 2 == 0 && j < 8 { 0.97 } else { 0.8 };
        }
        // One of blob A's tracks is below the extend threshold: uncertain, it joins nothing.
        probs[10] = 0.6;
        // Four confident tracks are enough for a threshold here.
        let o = ObjectOptions { min_moving: 4, ..ObjectOptions::default() };
        let g = group(&tracks, &probs, 4, &o);
        assert_eq!(g.count, 1);
        assert!((0..24).step_by(2).filter(|&j| j != 10).all(|j| g.object[j] == 1), "the rest of blob A joins");
        assert_eq!(g.object[10], 0);
        assert!((1..24).step_by(2).all(|j| g.object[j] == 0), "blob B has no confident core");
    }

    #[test]
    fn nothing_moving_gives_no_objects() {
        let (tracks, _) = scene();
        let o = group(&tracks, &vec![0.1; tracks.n], 4, &ObjectOptions::default());
        assert_eq!((o.threshold, o.count), (None, 0));
        assert!(o.object.iter().all(|&k| k == 0));
    }
}
