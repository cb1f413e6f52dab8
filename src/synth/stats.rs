//! Measured properties of a rendered clip: what the suite's cases claim, checked from the
//! ground truth itself rather than from the scene description.

use super::render::SynthClip;

#[derive(Clone, Debug, PartialEq)]
pub struct ClipStats {
    /// Largest |flow| (px/frame) over pixels still visible in the next frame.
    pub max_motion: f64,
    /// Mean |flow| over all pixels and frame pairs.
    pub mean_motion: f64,
    /// Largest |flow| over static-labelled pixels (background and parallax objects).
    pub max_static_motion: f64,
    /// Fraction of (pixel, frame pair) whose point is hidden or off the image at t+1.
    pub occluded_fraction: f64,
    /// Part of `occluded_fraction` due to a nearer layer (the point stays on the image).
    pub hidden_fraction: f64,
    /// Part due to leaving the image.
    pub left_image_fraction: f64,
    /// Fraction of pixels (all frames) on a moving object.
    pub moving_fraction: f64,
    /// Fraction of (track, frame) entries not visible.
    pub track_occluded_fraction: f64,
    /// Tracks seen, then hidden, then seen again.
    pub tracks_reappearing: usize,
    /// Tracks off the image in some frame.
    pub tracks_leaving: usize,
    pub moving_tracks: usize,
    pub tracks: usize,
    /// Largest relative change of total brightness gain (layer x global) from frame 0.
    pub max_gain_change: f64,
}

impl SynthClip {
    /// FNV-1a over everything the clip carries (frames, flow and occlusion, label maps,
    /// tracks; floats by bit pattern): a cheap way to compare renders across platforms.
    pub fn digest(&self) -> u64 {
        let mut h = 0xCBF2_9CE4_8422_2325u64;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01B3);
            }
        };
        for f in &self.frames {
            eat(f);
        }
        for (f, o) in self.flow.iter().zip(&self.occluded) {
            for v in &f.uv {
                eat(&v.to_bits().to_le_bytes());
            }
            eat(&o.iter().map(|&b| b as u8).collect::<Vec<_>>());
        }
        for (l, i) in self.layer_ids.iter().zip(&self.instance_ids) {
            eat(l);
            eat(i);
        }
        let t = &self.tracks.tracks;
        for p in &t.xy {
            eat(&p[0].to_bits().to_le_bytes());
            eat(&p[1].to_bits().to_le_bytes());
        }
        eat(&t.visible.iter().map(|&b| b as u8).collect::<Vec<_>>());
        eat(&t
            .query_frame
            .iter()
            .flat_map(|q| q.to_le_bytes())
            .collect::<Vec<_>>());
        h
    }

    pub fn stats(&self) -> ClipStats {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        let (mut max_motion, mut sum_motion, mut max_static) = (0.0f64, 0.0f64, 0.0f64);
        let (mut occ, mut hidden, mut left) = (0usize, 0usize, 0usize);
        for (t, (f, o)) in self.flow.iter().zip(&self.occluded).enumerate() {
            for (i, &hid) in o.iter().enumerate() {
                let (u, v) = (f.uv[2 * i] as f64, f.uv[2 * i + 1] as f64);
                let m = (u * u + v * v).sqrt();
                sum_motion += m;
                if self.instance_ids[t][i] == 0 {
                    max_static = max_static.max(m);
                }
                if hid {
                    occ += 1;
                    let (x, y) = ((i % w) as f64 + u, (i / w) as f64 + v);
                    if self.scene.in_image(x, y) {
                        hidden += 1;
                    } else {
                        left += 1;
                    }
                } else {
                    max_motion = max_motion.max(m);
                }
            }
        }
        let pairs = (self.flow.len() * n).max(1) as f64;
        let moving_px: usize = self
            .instance_ids
            .iter()
            .map(|m| m.iter().filter(|&&id| id > 0).count())
            .sum();

        let tr = &self.tracks.tracks;
        let (mut reappear, mut leaving) = (0, 0);
        for j in 0..tr.n {
            let vis: Vec<bool> = (0..tr.frames).map(|s| tr.visible[s * tr.n + j]).collect();
            let first = vis.iter().position(|&v| v);
            let last = vis.iter().rposition(|&v| v);
            if let (Some(a), Some(b)) = (first, last) {
                if vis[a..=b].iter().any(|&v| !v) {
                    reappear += 1;
                }
            }
            if (0..tr.frames).any(|s| {
                let p = tr.xy[s * tr.n + j];
                !self.scene.in_image(p[0] as f64, p[1] as f64)
            }) {
                leaving += 1;
            }
        }
        let hidden_entries = tr.visible.iter().filter(|&&v| !v).count();

        let mut gain_change = 0.0f64;
        let gain =
            |l: usize, t: f64| self.scene.layers[l].light.gain.at(t) * self.scene.light.gain.at(t);
        for l in 0..self.scene.layers.len() {
            let g0 = gain(l, 0.0);
            for t in 0..self.frames.len() {
                gain_change = gain_change.max((gain(l, t as f64) / g0 - 1.0).abs());
            }
        }
        ClipStats {
            max_motion,
            mean_motion: sum_motion / pairs,
            max_static_motion: max_static,
            occluded_fraction: occ as f64 / pairs,
            hidden_fraction: hidden as f64 / pairs,
            left_image_fraction: left as f64 / pairs,
            moving_fraction: moving_px as f64 / (n * self.frames.len()).max(1) as f64,
            track_occluded_fraction: hidden_entries as f64 / tr.visible.len().max(1) as f64,
            tracks_reappearing: reappear,
            tracks_leaving: leaving,
            moving_tracks: self.tracks.moving.iter().filter(|&&m| m).count(),
            tracks: tr.n,
            max_gain_change: gain_change,
        }
    }
}
