//! Training clips for the lite classifier: our tracker's tracks on DAVIS-2016 train sequences
//! (minus the held-out four) and on random synthetic scenes, labelled from the ground-truth
//! masks, cached on disk (tracking dominates preparation), and cut into random windows of
//! tracks and frames per step.

use crate::motion::truth::majority_labels;
use crate::clip::Clip;
use crate::error::{Result, SegmoError};
use crate::motion::inputs::ClassifierInput;
use crate::motion::track_input::lite_input;
use crate::motion::ClassifierConfig;
use crate::synth::detmath::Pcg32;
use crate::synth::{random_scene, render, RandomSceneConfig, SynthConfig};
use crate::tracks::pipeline::{track_clip_on, TrackerConfig};
use crate::weights::{Bundle, NamedTensor};
use crate::ComputeDevice;
use std::path::Path;

/// DAVIS-2016 train sequences kept for validation: never trained or tuned on.
pub const HELD_OUT: [&str; 4] = ["bear", "boat", "dance-jump", "paragliding"];

/// One labelled clip: the classifier's input for all its tracks and frames, and a label per track.
#[derive(Clone, Debug)]
pub struct TrainClip {
    pub name: String,
    pub input: ClassifierInput,
    pub labels: Vec<f32>,
}

impl TrainClip {
    pub fn moving_fraction(&self) -> f32 {
        self.labels.iter().sum::<f32>() / self.labels.len().max(1) as f32
    }
}

/// Prepares (or reads from `cache`) one clip: tracks on the CPU path, lite input, labels.
fn prepare(
    name: &str,
    cache: &Path,
    key: &str,
    config: &ClassifierConfig,
    make: impl FnOnce() -> Result<(Clip, Vec<Vec<bool>>)>,
    tracker: &TrackerConfig,
) -> Result<TrainClip> {
    let file = cache.join(format!("{name}-{key}.safetensors"));
    if let Ok(bytes) = std::fs::read(&file) {
        if let Ok(clip) = from_bundle(name, &Bundle::from_bytes(&bytes)?) {
            return Ok(clip);
        }
    }
    let (clip, masks) = make()?;
    let tracks = track_clip_on(&clip, tracker, &ComputeDevice::cpu(), |_, _| {})?;
    let input = lite_input(&tracks, &clip.frames, config)?;
    let labels = majority_labels(&tracks, &masks);
    let tc = TrainClip { name: name.to_string(), input, labels };
    std::fs::create_dir_all(cache).map_err(|e| SegmoError::io(cache, e))?;
    std::fs::write(&file, to_bundle(&tc).to_bytes()).map_err(|e| SegmoError::io(&file, e))?;
    Ok(tc)
}

fn to_bundle(c: &TrainClip) -> Bundle {
    let (n, t) = (c.input.tracks, c.input.frames);
    let mut b = Bundle::default();
    let mut put = |k: &str, shape: Vec<usize>, data: &[f32]| {
        b.tensors.insert(k.into(), NamedTensor { shape, data: data.to_vec() });
    };
    put("xy", vec![n, t, 2], &c.input.xy);
    put("visible", vec![n, t], &c.input.visible);
    put("visibility", vec![n, t], &c.input.visibility);
    put("confidence", vec![n, t], &c.input.confidence);
    if let Some(r) = &c.input.residual {
        put("residual", vec![n, t, r.len() / (n * t).max(1)], r);
    }
    if let Some(s) = &c.input.semantic {
        put("semantic", vec![n, s.len() / n], s);
    }
    put("labels", vec![n], &c.labels);
    b
}

fn from_bundle(name: &str, b: &Bundle) -> Result<TrainClip> {
    let get = |k: &str| {
        b.tensors.get(k).cloned().ok_or_else(|| SegmoError::BadInput(format!("cached clip {name} lacks {k}")))
    };
    let xy = get("xy")?;
    let input = ClassifierInput {
        tracks: xy.shape[0],
        frames: xy.shape[1],
        xy: xy.data,
        visible: get("visible")?.data,
        visibility: get("visibility")?.data,
        confidence: get("confidence")?.data,
        depth: None,
        residual: b.tensors.get("residual").map(|r| r.data.clone()),
        semantic: b.tensors.get("semantic").map(|s| s.data.clone()),
    };
    Ok(TrainClip { name: name.to_string(), input, labels: get("labels")?.data })
}

/// Cache key of everything that shapes a prepared clip.
pub fn cache_key(tracker: &TrackerConfig, config: &ClassifierConfig, extra: &str) -> String {
    // The residual flag joins the key only when set, so existing caches stay valid.
    let residual = match (config.residual, config.epipolar) {
        (false, _) => "",
        (true, false) => "|residual",
        (true, true) => "|residual|epipolar",
    };
    let text = format!("{tracker:?}|{}|{}{residual}|{extra}", config.depth, config.semantic_dim);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub fn davis_clip(dir: &Path, cache: &Path, config: &ClassifierConfig, tracker: &TrackerConfig) -> Result<TrainClip> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("seq").to_string();
    let key = cache_key(tracker, config, "davis");
    prepare(&format!("davis-{name}"), cache, &key, config, || crate::io::davis::read_sequence(dir, None), tracker)
}

/// Size of the synthetic training clips (16:9 like most video; half of DAVIS's 854x480).
pub const SYNTH_SIZE: (usize, usize, usize) = (432, 240, 40);

pub fn synthetic_clip(seed: u64, cache: &Path, config: &ClassifierConfig, tracker: &TrackerConfig) -> Result<TrainClip> {
    let (w, h, frames) = SYNTH_SIZE;
    let key = cache_key(tracker, config, &format!("synth{w}x{h}x{frames}"));
    prepare(&format!("synth-{seed}"), cache, &key, config, || {
        let rc = RandomSceneConfig {
            cfg: SynthConfig { width: w, height: h, frames, n_tracks: 8, noise: 1.0 },
            ..RandomSceneConfig::default()
        };
        let s = render(&random_scene(seed, &rc));
        let masks = s.instance_ids.iter().map(|m| m.iter().map(|&v| v > 0).collect()).collect();
        Ok((Clip::new(w as u32, h as u32, s.frames)?, masks))
    }, tracker)
}

/// A random training window: up to `max_tracks` tracks visible at least twice within up to
/// `max_frames` consecutive frames, optionally mirrored left-right and played backwards (both
/// keep a moving point moving and a static one static).
pub fn sample_window(clip: &TrainClip, rng: &mut Pcg32, max_tracks: usize, max_frames: usize) -> Option<(ClassifierInput, Vec<f32>)> {
    let src = &clip.input;
    let (n, t) = (src.tracks, src.frames);
    if t < 2 {
        return None;
    }
    let len = t.min(max_frames);
    let start = rng.below(t - len + 1);
    let mut eligible: Vec<usize> = (0..n).filter(|&j| src.visible_count(j, start, len) >= 2).collect();
    if eligible.is_empty() {
        return None;
    }
    let k = eligible.len().min(max_tracks);
    for i in 0..k {
        let r = i + rng.below(eligible.len() - i);
        eligible.swap(i, r);
    }
    eligible.truncate(k);
    let mirror = rng.chance(0.5);
    let reverse = rng.chance(0.5);
    let out = src.window(&eligible, start, len, mirror, reverse);
    let labels = eligible.iter().map(|&j| clip.labels[j]).collect();
    Some((out, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip() -> TrainClip {
        // 6 tracks x 5 frames; track j is visible in frames >= j (tracks 5 never twice).
        let (n, t) = (6, 5);
        let mut input = ClassifierInput { tracks: n, frames: t, ..Default::default() };
        for j in 0..n {
            for f in 0..t {
                input.xy.extend([0.1 * j as f32, 0.01 * f as f32]);
                input.visible.push((f >= j) as u8 as f32);
                input.visibility.push((f >= j) as u8 as f32);
                input.confidence.push(0.5);
            }
        }
        input.semantic = Some((0..n * 2).map(|v| v as f32).collect());
        TrainClip { name: "t".into(), input, labels: (0..n).map(|j| (j % 2) as f32).collect() }
    }

    #[test]
    fn windows_keep_labels_with_their_tracks_and_need_two_visible_points() {
        let c = clip();
        let mut rng = Pcg32::new(3, 4);
        for _ in 0..50 {
            let (w, labels) = sample_window(&c, &mut rng, 3, 4).unwrap();
            assert_eq!(w.frames, 4);
            assert!(w.tracks <= 3 && w.tracks == labels.len());
            w.check(&ClassifierConfig::lite(2)).unwrap();
            for i in 0..w.tracks {
                // Semantic vector j*2, j*2+1 identifies the source track.
                let j = w.semantic.as_ref().unwrap()[2 * i] as usize / 2;
                assert_eq!(labels[i], (j % 2) as f32);
                assert!(j < 4, "track {j} is never visible twice in a 4-frame window");
                let y: Vec<f32> = (0..4).map(|f| w.xy[2 * (i * 4 + f) + 1]).collect();
                assert!((y[1] - y[0]).abs() > 0.005, "consecutive frames stay consecutive, either direction");
            }
        }
    }
}
