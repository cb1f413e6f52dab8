//! What the classifier reads per track and frame, assembled as the released `augment_traj`
//! does: NeRF frequency encoding of the position and of its frame-to-frame motion, then
//! (full tier) depth and its change, then visibility and confidence values.

use super::config::ClassifierConfig;
use crate::error::{Result, SegmoError};

/// Classifier input for one clip, track-major: element `(n, t)` of a `[N, T]` array is at
/// `n * T + t`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassifierInput {
    pub tracks: usize,
    pub frames: usize,
    /// `[N, T, 2]`, x then y, scaled so the frame spans [-1, 1] (the released convention).
    pub xy: Vec<f32>,
    /// `[N, T]`, 1 where the point is visible (the released `1 - mask`): hidden points are not
    /// attended to, and motion into a hidden point counts as zero.
    pub visible: Vec<f32>,
    /// `[N, T]` soft visibility and confidence (the released `visib_value`, `confi_value`).
    pub visibility: Vec<f32>,
    pub confidence: Vec<f32>,
    /// `[N, T]` depth at each point (full tier only).
    pub depth: Option<Vec<f32>>,
    /// `[N, T, config.residual_channels()]` camera-compensated motion (lite tier, when the
    /// configuration reads it).
    pub residual: Option<Vec<f32>>,
    /// `[N, S]` semantic vector per track (DINO keys in the full tier, the appearance
    /// descriptor in the lite tier).
    pub semantic: Option<Vec<f32>>,
}

impl ClassifierInput {
    /// Errors unless every array has the size `config` implies and holds finite values.
    pub fn check(&self, config: &ClassifierConfig) -> Result<()> {
        let bad = |m: String| Err(SegmoError::BadInput(format!("classifier input: {m}")));
        let (n, t) = (self.tracks, self.frames);
        if t < 2 {
            return bad(format!("{t} frame(s); motion needs at least 2"));
        }
        if n == 0 {
            return bad("no tracks".into());
        }
        let nt = n * t;
        let mut arrays: Vec<(&str, &[f32], usize)> = vec![
            ("xy", &self.xy, nt * 2),
            ("visible", &self.visible, nt),
            ("visibility", &self.visibility, nt),
            ("confidence", &self.confidence, nt),
        ];
        match (&self.depth, config.depth) {
            (Some(d), true) => arrays.push(("depth", d, nt)),
            (None, true) => return bad("the model needs depth per point and none was given".into()),
            (Some(_), false) => return bad("depth given to a model without depth channels".into()),
            (None, false) => {}
        }
        match (&self.residual, config.residual) {
            (Some(r), true) => arrays.push(("residual", r, nt * config.residual_channels())),
            (None, true) => return bad("the model reads camera-compensated motion and none was given".into()),
            (Some(_), false) => return bad("camera-compensated motion given to a model without those channels".into()),
            (None, false) => {}
        }
        match (&self.semantic, config.semantic_dim) {
            (Some(s), k) if k > 0 => arrays.push(("semantic", s, n * k)),
            (None, k) if k > 0 => return bad(format!("the model needs a {k}-d semantic vector per track")),
            (Some(_), _) => return bad("semantic vectors given to a motion-only model".into()),
            (None, _) => {}
        }
        for (name, a, len) in arrays {
            if a.len() != len {
                return bad(format!("{name} has {} values, expected {len} for {n} tracks x {t} frames", a.len()));
            }
            if let Some(i) = a.iter().position(|v| !v.is_finite()) {
                return bad(format!("{name}[{i}] is not finite"));
            }
        }
        Ok(())
    }

    /// Every frame gets at least one visible point (the most confident one), as the released
    /// inference does before building its mask: attention across tracks in a frame where
    /// every key is masked has no defined output.
    pub fn ensure_visible_per_frame(&mut self) {
        let t = self.frames;
        for f in 0..t {
            if (0..self.tracks).any(|n| self.visible[n * t + f] > 0.5) {
                continue;
            }
            let best = (0..self.tracks)
                .max_by(|&a, &b| self.confidence[a * t + f].total_cmp(&self.confidence[b * t + f]));
            if let Some(n) = best {
                self.visible[n * t + f] = 1.0;
            }
        }
    }

    /// The tracks `tracks` over frames `start..start + len`, optionally mirrored left-right
    /// (x negated) and played backwards; every frame keeps at least one visible point.
    pub fn window(&self, tracks: &[usize], start: usize, len: usize, mirror: bool, reverse: bool) -> ClassifierInput {
        let t = self.frames;
        let mut out = ClassifierInput { tracks: tracks.len(), frames: len, ..Default::default() };
        for &j in tracks {
            for i in 0..len {
                let f = if reverse { start + len - 1 - i } else { start + i };
                let p = j * t + f;
                let x = self.xy[2 * p];
                out.xy.push(if mirror { -x } else { x });
                out.xy.push(self.xy[2 * p + 1]);
                out.visible.push(self.visible[p]);
                out.visibility.push(self.visibility[p]);
                out.confidence.push(self.confidence[p]);
                if let Some(d) = &self.depth {
                    out.depth.get_or_insert_with(Vec::new).push(d[p]);
                }
                // Distances from the camera's motion: the same mirrored or played backwards.
                if let Some(r) = &self.residual {
                    let k = r.len() / (self.tracks * t).max(1);
                    out.residual.get_or_insert_with(Vec::new).extend_from_slice(&r[p * k..(p + 1) * k]);
                }
            }
        }
        if let Some(s) = &self.semantic {
            let k = s.len() / self.tracks.max(1);
            out.semantic = Some(tracks.iter().flat_map(|&j| s[j * k..(j + 1) * k].iter().copied()).collect());
        }
        out.ensure_visible_per_frame();
        out
    }

    /// Visible points of track `j` within frames `start..start + len`.
    pub fn visible_count(&self, j: usize, start: usize, len: usize) -> usize {
        (start..start + len).filter(|&f| self.visible[j * self.frames + f] > 0.5).count()
    }

    /// `[N, T, input_dim]` channels, track-major.
    pub fn channels(&self, config: &ClassifierConfig) -> Vec<f32> {
        let (n, t) = (self.tracks, self.frames);
        let c = config.input_dim();
        let mut out = vec![0.0; n * t * c];
        let enc = config.encoded_dim();
        for i in 0..n {
            for f in 0..t {
                let p = i * t + f;
                let row = &mut out[p * c..(p + 1) * c];
                let xy = [self.xy[2 * p], self.xy[2 * p + 1]];
                // Motion to the next frame, zero into a hidden point and at the last frame.
                let step = |a: f32, b: f32| if f + 1 < t { (b - a) * self.visible[p + 1] } else { 0.0 };
                let dxy = if f + 1 < t {
                    [step(xy[0], self.xy[2 * p + 2]), step(xy[1], self.xy[2 * p + 3])]
                } else {
                    [0.0, 0.0]
                };
                nerf_encode(xy, config.freqs, &mut row[..enc]);
                nerf_encode(dxy, config.freqs, &mut row[enc..2 * enc]);
                let mut k = 2 * enc;
                if let Some(d) = &self.depth {
                    row[k] = d[p];
                    row[k + 1] = if f + 1 < t { step(d[p], d[p + 1]) } else { 0.0 };
                    k += 2;
                }
                if config.extra_info {
                    row[k] = self.visibility[p];
                    row[k + 1] = self.confidence[p];
                    k += 2;
                }
                if let Some(r) = &self.residual {
                    let m = config.residual_channels();
                    row[k..k + m].copy_from_slice(&r[p * m..(p + 1) * m]);
                }
            }
        }
        out
    }

    /// Key mask of attention along each track, `[N, T]`: the visible frames, or the first
    /// frame for a track never visible (the released model's fix for all-masked rows).
    pub fn time_mask(&self) -> Vec<f32> {
        let t = self.frames;
        let mut m: Vec<f32> = self.visible.iter().map(|&v| (v > 0.5) as u8 as f32).collect();
        for row in m.chunks_mut(t) {
            if row.iter().all(|&v| v == 0.0) {
                row[0] = 1.0;
            }
        }
        m
    }
}

/// `[v, sin(2^0 v), cos(2^0 v), ..., sin(2^(F-1) v), cos(2^(F-1) v)]` for a 2-vector, each
/// function applied to both components in turn (the released `FreqEmbedder` order).
pub fn nerf_encode(v: [f32; 2], freqs: usize, out: &mut [f32]) {
    out[0] = v[0];
    out[1] = v[1];
    for k in 0..freqs {
        let f = (1u32 << k) as f32;
        let base = 2 + 4 * k;
        out[base] = (v[0] * f).sin();
        out[base + 1] = (v[1] * f).sin();
        out[base + 2] = (v[0] * f).cos();
        out[base + 3] = (v[1] * f).cos();
    }
}

/// Depth at each point as the released model looks it up: coordinates in [-1, 1] used as if
/// they were in [0, 1] (`int(y * h) * w + int(x * w)`, truncated toward zero, clamped to the
/// map), so most of the frame reads the map's top-left quarter and points left of or above the
/// centre read clamped indices. The released checkpoint was trained on exactly these values.
/// `maps` is `[T, h, w]`; returns `[N, T]`.
pub fn sample_depth_released(maps: &[f32], h: usize, w: usize, xy: &[f32], tracks: usize, frames: usize) -> Vec<f32> {
    let mut out = vec![0.0; tracks * frames];
    for n in 0..tracks {
        for f in 0..frames {
            let p = n * frames + f;
            let (x, y) = (xy[2 * p], xy[2 * p + 1]);
            let idx = (y * h as f32) as i64 * w as i64 + (x * w as f32) as i64;
            let idx = idx.clamp(0, (h * w) as i64 - 1) as usize;
            out[p] = maps[f * h * w + idx];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_interleaves_components_per_function() {
        let mut out = vec![0.0; 42];
        nerf_encode([0.5, -0.25], 10, &mut out);
        assert_eq!(&out[..2], &[0.5, -0.25]);
        assert_eq!(out[2], 0.5f32.sin());
        assert_eq!(out[3], (-0.25f32).sin());
        assert_eq!(out[4], 0.5f32.cos());
        assert_eq!(out[6], 1.0f32.sin());
        assert_eq!(out[41], (-0.25f32 * 512.0).cos());
    }

    #[test]
    fn motion_into_hidden_points_is_zero() {
        let c = ClassifierConfig::lite(0);
        let input = ClassifierInput {
            tracks: 1,
            frames: 3,
            xy: vec![0.0, 0.0, 0.5, 0.25, 1.0, 1.0],
            visible: vec![1.0, 1.0, 0.0],
            visibility: vec![0.9; 3],
            confidence: vec![0.8; 3],
            depth: None,
            residual: None,
            semantic: None,
        };
        input.check(&c).unwrap();
        let ch = input.channels(&c);
        let cdim = c.input_dim();
        let enc = c.encoded_dim();
        assert_eq!(&ch[enc..enc + 2], &[0.5, 0.25]);
        assert_eq!(&ch[cdim + enc..cdim + enc + 2], &[0.0, 0.0]);
        assert_eq!(&ch[2 * cdim + enc..2 * cdim + enc + 2], &[0.0, 0.0]);
        assert_eq!(&ch[cdim - 2..cdim], &[0.9, 0.8]);
    }

    #[test]
    fn bad_inputs_are_refused_with_reasons() {
        let c = ClassifierConfig::full();
        let mut input = ClassifierInput { tracks: 2, frames: 1, ..Default::default() };
        assert!(input.check(&c).unwrap_err().to_string().contains("at least 2"));
        input.frames = 2;
        input.xy = vec![0.0; 8];
        input.visible = vec![1.0; 4];
        input.visibility = vec![1.0; 4];
        input.confidence = vec![1.0; 4];
        assert!(input.check(&c).unwrap_err().to_string().contains("depth"));
        input.depth = Some(vec![0.0; 4]);
        assert!(input.check(&c).unwrap_err().to_string().contains("768"));
        input.semantic = Some(vec![0.0; 2 * 768]);
        input.check(&c).unwrap();
        input.xy[3] = f32::NAN;
        assert!(input.check(&c).unwrap_err().to_string().contains("xy[3]"));
    }

    #[test]
    fn released_depth_lookup_reads_coordinates_as_unit_range() {
        // 2x2 map per frame; x = 0.6 -> int(1.2) = 1, y = 0.6 -> row 1; negatives clamp to 0.
        let maps = [1.0, 2.0, 3.0, 4.0];
        let d = sample_depth_released(&maps, 2, 2, &[0.6, 0.6, -0.9, -0.9, 0.6, -0.4], 3, 1);
        assert_eq!(d, vec![4.0, 1.0, 2.0]);
    }
}
