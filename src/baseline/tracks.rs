//! Keeps object ids stable through time by matching each frame's components to the previous
//! frame's objects (warped by the camera motion) by overlap.

use super::homography::Homography;

/// Minimum IoU to inherit an id: low, because masks from differencing change shape a lot
/// between frames, yet high enough that a neighbour brushing past doesn't steal the id.
const MIN_IOU: f64 = 0.1;

pub(crate) struct Tracker {
    prev: Option<Vec<u32>>,
    next_id: u32,
    /// Total area per track id (index = id), for the final largest-first ordering.
    pub areas: Vec<u64>,
}

impl Tracker {
    pub(crate) fn new() -> Self {
        Self { prev: None, next_id: 1, areas: vec![0] }
    }

    /// Turns a component map (0 = background, 1..=n) into a track-id map. `cur_to_prev` maps
    /// this frame's pixels into the previous frame's.
    pub(crate) fn assign(
        &mut self,
        comps: &[u32],
        comp_areas: &[usize],
        w: usize,
        h: usize,
        cur_to_prev: &Homography,
    ) -> Vec<u32> {
        let n = comp_areas.len().saturating_sub(1);
        let mut comp_to_track = vec![0u32; n + 1];
        if let Some(prev) = &self.prev {
            // Nearest-neighbour warp of the previous id map into this frame.
            let mut warped = vec![0u32; w * h];
            for y in 0..h {
                for x in 0..w {
                    if let Some((u, v)) = cur_to_prev.apply(x as f64, y as f64) {
                        let (u, v) = (u.round(), v.round());
                        if u >= 0.0 && v >= 0.0 && (u as usize) < w && (v as usize) < h {
                            warped[y * w + x] = prev[v as usize * w + u as usize];
                        }
                    }
                }
            }
            // Sorted containers, not hash maps: iteration order must not depend on a random seed.
            let mut track_area = std::collections::BTreeMap::<u32, usize>::new();
            let mut inter = std::collections::BTreeMap::<(u32, u32), usize>::new();
            for (c, t) in comps.iter().zip(&warped) {
                if *t != 0 {
                    *track_area.entry(*t).or_default() += 1;
                    if *c != 0 {
                        *inter.entry((*c, *t)).or_default() += 1;
                    }
                }
            }
            let mut cands: Vec<(f64, u32, u32)> = inter
                .iter()
                .map(|(&(c, t), &i)| {
                    let union = comp_areas[c as usize] + track_area[&t] - i;
                    (i as f64 / union as f64, c, t)
                })
                .filter(|x| x.0 >= MIN_IOU)
                .collect();
            cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let mut used = std::collections::BTreeSet::new();
            for (_, c, t) in cands {
                if comp_to_track[c as usize] == 0 && !used.contains(&t) {
                    comp_to_track[c as usize] = t;
                    used.insert(t);
                }
            }
        }
        // New objects get fresh ids, largest first.
        let mut fresh: Vec<u32> = (1..=n as u32).filter(|&c| comp_to_track[c as usize] == 0).collect();
        fresh.sort_by(|&a, &b| comp_areas[b as usize].cmp(&comp_areas[a as usize]).then(a.cmp(&b)));
        for c in fresh {
            comp_to_track[c as usize] = self.next_id;
            self.next_id += 1;
            self.areas.push(0);
        }
        let ids: Vec<u32> = comps.iter().map(|&c| comp_to_track[c as usize]).collect();
        for &t in &ids {
            self.areas[t as usize] += (t != 0) as u64;
        }
        self.prev = Some(ids.clone());
        ids
    }

    /// Final id -> label table: tracks ranked by total area over the clip become 1..=255;
    /// anything beyond 255 tracks (only ever tiny ones) becomes background.
    pub(crate) fn label_table(&self) -> Vec<u8> {
        let mut order: Vec<usize> = (1..self.areas.len()).collect();
        order.sort_by(|&a, &b| self.areas[b].cmp(&self.areas[a]).then(a.cmp(&b)));
        let mut table = vec![0u8; self.areas.len()];
        for (rank, id) in order.into_iter().take(255).enumerate() {
            table[id] = rank as u8 + 1;
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_overlapping_objects() {
        let (w, h) = (6, 1);
        let mut t = Tracker::new();
        // Frame 0: small object left, big object right.
        let a = t.assign(&[1, 0, 0, 2, 2, 2], &[0, 1, 3], w, h, &Homography::IDENTITY);
        assert_eq!(a, vec![2, 0, 0, 1, 1, 1]);
        // Frame 1: components are numbered differently but overlap the same objects.
        let b = t.assign(&[1, 1, 0, 0, 2, 2], &[0, 2, 2], w, h, &Homography::IDENTITY);
        assert_eq!(b, vec![2, 2, 0, 0, 1, 1]);
        assert_eq!(t.label_table(), vec![0, 1, 2]);
    }
}
