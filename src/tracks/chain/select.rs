//! Capping the number of tracks with a deterministic, stratified sample.
//!
//! Strata are (query frame, coarse spatial bin of the seed point), bins being 8x8 grid cells.
//! Within a stratum of m tracks, a seeded hash gives a random order (rank r) and a random
//! offset u in [0,1); the track's priority is (r + u) / m, and the `max` lowest priorities win.
//! Every stratum's priorities are spread evenly over [0,1), so each keeps m * max / N tracks
//! up to rounding (proportional allocation): the sample has the density of the full set,
//! without the clumps and holes an unstratified random pick leaves, and late query frames
//! (which seed few tracks, only in newly uncovered areas) keep their share.
//!
//! Runs on the CPU in the GPU pipeline too: it needs only one visible count per track
//! (a per-track reduction on the GPU), and the hash is integer-only.

/// SplitMix64's finaliser: a bijective 64-bit mix (our own hash; no rand crate).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What selection needs to know about one candidate track.
pub(crate) struct Candidate {
    pub query_frame: u32,
    pub seed_xy: [f32; 2],
    pub visible_frames: usize,
}

/// Indices (ascending) of the tracks to keep: those visible in at least 2 frames, then at most
/// `max` of them.
pub(crate) fn select(cands: &[Candidate], max: Option<usize>, seed: u64, bin_px: usize) -> Vec<usize> {
    let alive: Vec<usize> = (0..cands.len()).filter(|&i| cands[i].visible_frames >= 2).collect();
    let max = match max {
        Some(m) if m < alive.len() => m,
        _ => return alive,
    };
    let bin = bin_px.max(1) as f32;
    let stratum = |i: usize| {
        let c = &cands[i];
        // Seeds are inside the image, so bins are small non-negative integers.
        let bx = (c.seed_xy[0].max(0.0) / bin) as u64;
        let by = (c.seed_xy[1].max(0.0) / bin) as u64;
        ((c.query_frame as u64) << 40) | (by << 20) | bx
    };
    let key = |i: usize| mix64(seed ^ mix64(i as u64));
    let offset = |i: usize| {
        (mix64(seed.wrapping_add(0x000F_F5E7) ^ mix64(!(i as u64))) >> 11) as f64 / (1u64 << 53) as f64
    };

    let mut order: Vec<(u64, u64, usize)> = alive.iter().map(|&i| (stratum(i), key(i), i)).collect();
    order.sort_unstable();
    let mut prio: Vec<(f64, usize)> = Vec::with_capacity(order.len());
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        let m = (end - start) as f64;
        for (r, &(_, _, i)) in order[start..end].iter().enumerate() {
            prio.push(((r as f64 + offset(i)) / m, i));
        }
        start = end;
    }
    prio.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut keep: Vec<usize> = prio[..max].iter().map(|p| p.1).collect();
    keep.sort_unstable();
    keep
}
