//! The lite pipeline end to end: tracks -> lite input -> classifier (in windows of the size it
//! was trained on) -> objects -> densified label maps.

//!
//! Written once, async: every GPU read is awaited, so the same code runs in the browser (in a
//! Web Worker); natively the blocking functions drive it to completion.

use crate::clip::{Clip, LabelMap};
use crate::clock::Stopwatch;
use crate::device::ComputeDevice;
use crate::error::{Result, SegmoError};
use crate::masks::trackless::TracklessOptions;
use crate::masks::{geodesic_labels, DensifyOptions, Seed};
use crate::motion::inputs::ClassifierInput;
use crate::motion::track_input::{assemble_lite, lite_input};
use crate::motion::MotionClassifier;
use crate::objects::{group, ObjectOptions, Objects};
use crate::tracks::chain::{default_grid_stride, TrackOptions};
#[cfg(gpu)]
use crate::tracks::dis::gpu::Gpu;
use crate::tracks::pipeline::{track_clip_async, TrackerConfig};
use crate::tracks::Tracks;

#[derive(Clone, Debug)]
pub struct LiteOptions {
    pub tracker: TrackerConfig,
    /// Frames and tracks per classifier window (the training window: the model sees inputs
    /// like those it learned from). A track's logits are averaged over the windows where it
    /// is visible at least twice.
    pub window_frames: usize,
    pub window_tracks: usize,
    /// Frames between window starts: `window_frames` tiles the clip (the last window ends at
    /// the last frame), half of it classifies each track twice for twice the time.
    pub window_stride: usize,
    pub objects: ObjectOptions,
    pub densify: DensifyOptions,
    /// Object labels spread at most this many grid strides (geodesic) from object points.
    pub max_object_strides: f32,
    /// P(moving) scaled by the track's motion persistence ([`crate::motion::persistence`])
    /// between these bounds before objects are formed; None (the default) leaves the scores as
    /// they are. Off by default: on the thirteen training sequences (`segmo eval-lite
    /// --persistence-gate`, whole) it raised J&F from 0.556 to 0.573 / 0.584 / 0.589 / 0.594
    /// (bounds 0.5:0.9, 0.65:0.95, 0.75:0.95, 0.8:0.98), all of it from the water of kite-walk
    /// and flamingo while the fast dog-agility lost (0.40 -> 0.35), and the held-out four,
    /// run once at 0.75:0.95, went down (0.669 -> 0.660: the slow bear and the articulated
    /// dancer lose mover tracks, boat's wake gains): see the model card.
    pub persistence_gate: Option<[f32; 2]>,
    /// Background seeds in the trackless, still cells of the track grid far from every object
    /// ([`crate::masks::trackless`]); None = none. On by default since session 23: decided on
    /// the thirteen training sequences (J&F 0.556 -> 0.574, surf 0.32 -> 0.56, motocross-bumps
    /// 0.70 -> 0.74; six sequences lose 0.003-0.020); the held-out four, run once, moved by
    /// -0.0005 to -0.012 each (0.669 -> 0.664).
    pub trackless_background: Option<TracklessOptions>,
    /// Regions of one label smaller than this fraction of the frame take the label around them
    /// ([`crate::masks::specks`]); None = kept.
    pub min_region: Option<f32>,
}

impl Default for LiteOptions {
    fn default() -> Self {
        Self {
            tracker: TrackerConfig { tracks: TrackOptions { max_tracks: Some(LITE_MAX_TRACKS), ..TrackOptions::default() }, ..TrackerConfig::default() },
            window_frames: 24,
            window_tracks: 256,
            window_stride: 24,
            // Chosen on a cross-validation fold (see the model card): on sequences its classifier
            // never saw, tracks that are only likely moving must join a confident object for it
            // to cover the whole mover (0.7: J&F 0.441, 0.5: 0.504, 0.4: 0.536, 0.3: 0.547;
            // 0.4 lets fewer static tracks in than 0.3).
            objects: ObjectOptions { extend_threshold: 0.4, ..ObjectOptions::default() },
            densify: DensifyOptions::default(),
            max_object_strides: 10.0,
            persistence_gate: None,
            trackless_background: Some(crate::masks::trackless::TRACKLESS),
            min_region: Some(MIN_REGION),
        }
    }
}

/// Default [`LiteOptions::min_region`]: 0.3% of the frame (1,230 px at 854x480). On the
/// thirteen training sequences, whole (`segmo eval-lite --min-region`): J&F 0.574 kept,
/// 0.596 / 0.599 / 0.601 at 0.1% / 0.3% / 0.8% (flamingo's ripples, car-turn, lucia, hockey,
/// surf gain; bmx-bumps, whose distant rider and bike come apart, loses 0.04-0.05).
pub const MIN_REGION: f32 = 0.003;

/// Tracks the lite pipeline keeps (the released model samples 5000, [`TrackOptions`]'s
/// default). The densifier's seeds are the kept tracks' points, and at 5000 a frame of a fast
/// mover keeps few: its tracks are short, and the stratified sample draws them no more often
/// than long static ones. On the thirteen training sequences, whole (`segmo eval-lite`):
/// ground-truth track labels J&F 0.626 (5000) -> 0.708 (10000); the default scorer 0.459 ->
/// 0.480 (20000: 0.478), at 190 -> 250 ms/frame. Training windows stay at 5000 (the classifier
/// sees 256 tracks spread over the frame either way).
pub const LITE_MAX_TRACKS: usize = 10_000;

/// Wall time of each stage, ms.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StageTimes {
    pub tracks: f64,
    pub features: f64,
    pub classifier: f64,
    pub objects: f64,
    pub masks: f64,
}

pub struct Segmentation {
    pub labels: Vec<LabelMap>,
    pub tracks: Tracks,
    /// P(moving) per track as the objects stage used it, after the persistence gate (0 for
    /// tracks no window could classify).
    pub probs: Vec<f32>,
    pub objects: Objects,
    pub times: StageTimes,
}

/// Frames on each side whose seeds feed a frame's colour prior.
const PRIOR_FRAMES: usize = 2;

/// Probability per track from windows of `frames` x at most `tracks` (deterministic split).
#[cfg(not(target_family = "wasm"))]
pub fn classify_windows(clf: &MotionClassifier, input: &ClassifierInput, frames: usize, tracks: usize, stride: usize) -> Result<(Vec<f32>, Vec<usize>)> {
    pollster::block_on(classify_windows_async(clf, input, frames, tracks, stride))
}

/// [`classify_windows`], awaiting each window's logits.
pub async fn classify_windows_async(clf: &MotionClassifier, input: &ClassifierInput, frames: usize, tracks: usize, stride: usize) -> Result<(Vec<f32>, Vec<usize>)> {
    let (n, t) = (input.tracks, input.frames);
    let len = t.min(frames.max(2));
    let stride = stride.clamp(1, len);
    let mut starts: Vec<usize> = (0..).map(|i| i * stride).take_while(|&s| s + len <= t).collect();
    if starts.last() != Some(&(t - len)) {
        starts.push(t - len);
    }
    let mut jobs: Vec<(usize, Vec<usize>)> = Vec::new();
    for &start in &starts {
        let eligible: Vec<usize> = (0..n).filter(|&j| input.visible_count(j, start, len) >= 2).collect();
        if eligible.is_empty() {
            continue;
        }
        // Interleaved chunks: each holds tracks from all over the frame, like a training window.
        let chunks = eligible.len().div_ceil(tracks.max(1));
        for c in 0..chunks {
            jobs.push((start, eligible.iter().skip(c).step_by(chunks).copied().collect()));
        }
    }
    let logits = window_logits(clf, input, &jobs, len).await?;
    // Summed in window order whichever way they were computed: identical probabilities.
    let mut sum = vec![0.0f64; n];
    let mut count = vec![0usize; n];
    for ((_, members), logits) in jobs.iter().zip(logits) {
        for (&j, z) in members.iter().zip(logits) {
            sum[j] += z as f64;
            count[j] += 1;
        }
    }
    let probs = sum.iter().zip(&count).map(|(&s, &c)| if c == 0 { 0.0 } else { 1.0 / (1.0 + (-s / c as f64).exp()) as f32 }).collect();
    Ok((probs, count))
}

/// The classifier's logits for each `(start, members)` window of `len` frames.
async fn window_logits(clf: &MotionClassifier, input: &ClassifierInput, jobs: &[(usize, Vec<usize>)], len: usize) -> Result<Vec<Vec<f32>>> {
    let one = |(start, members): &(usize, Vec<usize>)| clf.logits(&input.window(members, *start, len, false, false));
    // On the native CPU backend a window of 256 tracks is too small for the backend to spread
    // one op over the cores, so windows run side by side instead. GPUs queue their own work,
    // and the browser's CPU module has no blocking read.
    #[cfg(all(threads, not(target_family = "wasm")))]
    if crate::cpu::is_cpu_inference(&clf.device) {
        return crate::tracks::chain::par_map(jobs.len(), |i| one(&jobs[i]).and_then(|t| pollster::block_on(crate::device::read_tensor_async(t)))).into_iter().collect();
    }
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        out.push(crate::device::read_tensor_async(one(job)?).await?);
    }
    Ok(out)
}

/// Seeds of frame `t`: visible points of object tracks (their id) and of tracks unlikely to
/// move (`probs <= static_below`, 0); the uncertain rest, moving tracks that joined no object,
/// and unclassified tracks seed nothing.
pub fn frame_seeds(tracks: &Tracks, probs: &[f32], classified: &[usize], objects: &Objects, static_below: f32, t: usize) -> Vec<Seed> {
    let n = tracks.n;
    (0..n)
        .filter(|&j| tracks.visible[t * n + j] && classified[j] > 0)
        .filter(|&j| objects.object[j] > 0 || probs[j] <= static_below)
        .map(|j| {
            let [x, y] = tracks.xy[t * n + j];
            Seed { x, y, label: objects.object[j] }
        })
        .collect()
}

/// [`crate::masks::trackless::background_seeds`] for frame `t`, given its track seeds.
fn trackless_seeds(tracks: &Tracks, seeds: &[Seed], change: Option<&[u8]>, t: usize, stride: usize, opts: &TracklessOptions) -> Vec<Seed> {
    let n = tracks.n;
    let points: Vec<[f32; 2]> = (0..n).filter(|&j| tracks.visible[t * n + j]).map(|j| tracks.xy[t * n + j]).collect();
    let objects: Vec<[f32; 2]> = seeds.iter().filter(|s| s.label > 0).map(|s| [s.x, s.y]).collect();
    crate::masks::trackless::background_seeds(&points, &objects, change, tracks.width, tracks.height, stride, opts)
}

/// What decides which tracks move.
#[derive(Clone, Copy)]
pub enum Scorer<'a> {
    /// The track classifier alone.
    Classifier(&'a MotionClassifier),
    /// [`crate::motion::heuristic::residual_scores`]: motion only, for comparison.
    Heuristic,
    /// The lite pipeline's default: the mean of the classifier's probability and the
    /// heuristic's score. On real sequences the lite classifier never saw, it alone scored
    /// J&F 0.441 and the heuristic 0.549 (it cannot tell parallax from motion, which the
    /// classifier partly can); the mean scored 0.536 (cross-validation fold, model card).
    Blend(&'a MotionClassifier),
    /// Ground truth: tracks labelled by the per-frame masks of the moving objects (majority of
    /// visible frames). The ceiling of the later stages, for diagnosis on training data.
    Truth(&'a [Vec<bool>]),
}

/// Segments `clip` with the lite pipeline; `progress(stage, done, total)`. Blocks (native).
#[cfg(not(target_family = "wasm"))]
pub fn segment_lite(
    clip: &Clip,
    scorer: Scorer,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Segmentation> {
    pollster::block_on(segment_lite_async(clip, scorer, opts, dev, &mut progress))
}

/// [`segment_lite`], awaiting its GPU reads (the browser's entry point).
pub async fn segment_lite_async(
    clip: &Clip,
    scorer: Scorer<'_>,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    progress: &mut impl FnMut(&str, usize, usize),
) -> Result<Segmentation> {
    let scored = score_tracks_async(clip, scorer, opts, dev, &mut *progress).await?;
    masks_from_scores_async(clip, scored, opts, dev, progress).await
}

/// The first half of [`segment_lite`]: tracks and P(moving) per track.
#[derive(Clone)]
pub struct ScoredTracks {
    pub tracks: Tracks,
    pub probs: Vec<f32>,
    /// Windows (or pairs) that scored each track; 0 = unclassified.
    pub classified: Vec<usize>,
    pub times: StageTimes,
}

/// Tracks `clip` and scores every track. Blocks (native).
#[cfg(not(target_family = "wasm"))]
pub fn score_tracks(
    clip: &Clip,
    scorer: Scorer,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<ScoredTracks> {
    pollster::block_on(score_tracks_async(clip, scorer, opts, dev, &mut progress))
}

/// [`score_tracks`], awaiting its GPU reads.
pub async fn score_tracks_async(
    clip: &Clip,
    scorer: Scorer<'_>,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    progress: &mut impl FnMut(&str, usize, usize),
) -> Result<ScoredTracks> {
    if clip.len() < 2 {
        return Err(SegmoError::BadInput(format!("motion needs at least 2 frames, the clip has {}", clip.len())));
    }
    let mut times = StageTimes::default();
    let s = Stopwatch::start();
    let tracks = track_clip_async(clip, &opts.tracker, dev, &mut |d, total| progress("tracks", d, total)).await?;
    times.tracks = s.ms();
    let (probs, classified) = match scorer {
        Scorer::Classifier(clf) | Scorer::Blend(clf) => {
            progress("features", 0, 1);
            let s = Stopwatch::start();
            let input = match appearance_on_gpu(dev, &tracks, clip, &clf.config).await? {
                Some(semantic) => assemble_lite(&tracks, &clf.config, Some(semantic))?,
                None => lite_input(&tracks, &clip.frames, &clf.config)?,
            };
            times.features = s.ms();
            progress("classifier", 0, 1);
            let s = Stopwatch::start();
            let r = classify_windows_async(clf, &input, opts.window_frames, opts.window_tracks, opts.window_stride).await?;
            let r = if let Scorer::Blend(_) = scorer {
                let (h, _) = crate::motion::heuristic::residual_scores(&tracks);
                let (p, c) = r;
                (p.iter().zip(&h).map(|(a, b)| 0.5 * (a + b)).collect(), c)
            } else {
                r
            };
            times.classifier = s.ms();
            r
        }
        Scorer::Heuristic => {
            let s = Stopwatch::start();
            let r = crate::motion::heuristic::residual_scores(&tracks);
            times.classifier = s.ms();
            r
        }
        Scorer::Truth(masks) => {
            let (w, h) = (clip.width as usize, clip.height as usize);
            if masks.len() != clip.len() || masks.iter().any(|m| m.len() != w * h) {
                return Err(SegmoError::BadInput("ground-truth masks do not match the clip".into()));
            }
            let labels = crate::motion::truth::majority_labels(&tracks, masks);
            (labels, vec![1; tracks.n])
        }
    };
    Ok(ScoredTracks { tracks, probs, classified, times })
}

/// The second half of [`segment_lite`]: objects from the scored tracks, then dense labels.
/// Blocks (native).
#[cfg(not(target_family = "wasm"))]
pub fn masks_from_scores(
    clip: &Clip,
    scored: ScoredTracks,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Segmentation> {
    pollster::block_on(masks_from_scores_async(clip, scored, opts, dev, &mut progress))
}

/// [`masks_from_scores`], awaiting its GPU reads.
pub async fn masks_from_scores_async(
    clip: &Clip,
    scored: ScoredTracks,
    opts: &LiteOptions,
    dev: &ComputeDevice,
    progress: &mut impl FnMut(&str, usize, usize),
) -> Result<Segmentation> {
    let ScoredTracks { tracks, mut probs, classified, mut times } = scored;
    let (w, h) = (clip.width as usize, clip.height as usize);
    progress("objects", 0, 1);
    let s = Stopwatch::start();
    // One-frame camera motion, shared by the persistence gate and the densifier's motion prior,
    // fitted only when one of them runs.
    let camera = std::cell::OnceCell::new();
    let camera = || camera.get_or_init(|| crate::motion::ego_residual::camera_motions(&tracks));
    if let Some(bounds) = opts.persistence_gate {
        crate::motion::persistence::gate(&mut probs, &crate::motion::persistence::persistence(&tracks, camera()), bounds);
    }
    let stride = opts.tracker.tracks.grid_stride.unwrap_or_else(|| default_grid_stride(w, h));
    let classified_probs: Vec<f32> = probs.iter().zip(&classified).map(|(&p, &c)| if c > 0 { p } else { 0.0 }).collect();
    let objects = group(&tracks, &classified_probs, stride, &opts.objects);
    times.objects = s.ms();
    let s = Stopwatch::start();
    let densify = DensifyOptions {
        max_object_distance: opts.densify.max_object_distance.min(opts.max_object_strides * stride as f32),
        ..opts.densify.clone()
    };
    let mut seeds: Vec<Vec<Seed>> = (0..clip.len())
        .map(|t| if objects.count == 0 { Vec::new() } else { frame_seeds(&tracks, &probs, &classified, &objects, opts.objects.extend_threshold, t) })
        .collect();
    let change: Vec<Vec<u8>> = if (densify.uses_motion_prior() || opts.trackless_background.is_some()) && objects.count > 0 {
        let camera = camera();
        crate::tracks::chain::par_map(clip.len(), |t| crate::masks::motion_prior::change_levels(&clip.frames, camera, w, h, t))
    } else {
        Vec::new()
    };
    if let Some(fill) = opts.trackless_background.filter(|_| objects.count > 0) {
        for (t, s) in seeds.iter_mut().enumerate() {
            let extra = trackless_seeds(&tracks, s, change.get(t).map(|c| c.as_slice()), t, stride, &fill);
            s.extend(extra);
        }
    }
    // The colour model of frame t learns from the seeds of frames t-2..=t+2: one frame's
    // object seeds are few.
    let colour_prior = |t: usize| -> Option<Vec<f32>> {
        if densify.colour_prior_weight <= 0.0 {
            return None;
        }
        let near = t.saturating_sub(PRIOR_FRAMES)..(t + PRIOR_FRAMES + 1).min(clip.len());
        let window: Vec<(&[u8], &[Seed])> = near.clone().map(|u| (clip.frames[u].as_slice(), seeds[u].as_slice())).collect();
        let mut p = crate::masks::colour_model::object_probability(&clip.frames[t], &window, w, h)?;
        if densify.uses_motion_prior() && !change.is_empty() {
            let window: Vec<(&[u8], &[Seed])> = near.map(|u| (change[u].as_slice(), seeds[u].as_slice())).collect();
            if let Some(q) = crate::masks::motion_prior::object_probability(&change[t], &window, w, h) {
                crate::masks::motion_prior::combine(&mut p, &q, densify.motion_prior_weight);
            }
        }
        Some(p)
    };
    let maps = if objects.count == 0 {
        vec![vec![0u8; w * h]; clip.len()]
    } else if dev.is_gpu() {
        masks_on_gpu(dev, clip, &seeds, &colour_prior, &densify, progress).await?
    } else {
        // Frames are independent: one per thread.
        progress("masks", 0, clip.len());
        crate::tracks::chain::par_map(clip.len(), |t| geodesic_labels(&clip.frames[t], w, h, &seeds[t], colour_prior(t).as_deref(), &densify))
    };
    let maps = match opts.min_region.filter(|_| objects.count > 0) {
        Some(frac) => {
            let min_area = (frac * (w * h) as f32).round() as usize;
            crate::tracks::chain::par_map(maps.len(), |t| {
                let mut m = maps[t].clone();
                crate::masks::specks::absorb_small_regions(&mut m, w, h, min_area);
                m
            })
        }
        None => maps,
    };
    progress("masks", clip.len(), clip.len());
    let labels: Vec<LabelMap> = maps.into_iter().map(|labels| LabelMap { width: clip.width, height: clip.height, labels }).collect();
    times.masks = s.ms();
    Ok(Segmentation { labels, tracks, probs, objects, times })
}

/// The lite appearance features as WGSL kernels on a GPU device (`None` elsewhere, and for a
/// classifier that takes other features: the CPU path computes the same ones).
async fn appearance_on_gpu(dev: &ComputeDevice, tracks: &Tracks, clip: &Clip, config: &crate::motion::ClassifierConfig) -> Result<Option<Vec<f32>>> {
    #[cfg(gpu)]
    if dev.is_gpu() && config.semantic_dim == crate::motion::appearance::APPEARANCE_DIM {
        let gpu = Gpu::new(&dev.device)?;
        return Ok(Some(crate::motion::appearance_gpu::queue(&gpu, tracks, &clip.frames)?.finish_async(&gpu).await?));
    }
    let _ = (dev, tracks, clip, config);
    Ok(None)
}

/// Every frame's label map from the GPU densifier, a few frames per dispatch.
#[cfg(gpu)]
async fn masks_on_gpu(
    dev: &ComputeDevice,
    clip: &Clip,
    seeds: &[Vec<Seed>],
    colour_prior: &dyn Fn(usize) -> Option<Vec<f32>>,
    densify: &DensifyOptions,
    progress: &mut impl FnMut(&str, usize, usize),
) -> Result<Vec<Vec<u8>>> {
    let (w, h) = (clip.width as usize, clip.height as usize);
    let gpu = Gpu::new(&dev.device)?;
    let mut maps = Vec::with_capacity(clip.len());
    // Frames per dispatch: the prior's costs (two floats per pixel, the largest of the
    // buffers) stay well inside the binding limit.
    let batch = ((32 << 20) / (w * h * 4 * 2)).clamp(1, 16);
    for start in (0..clip.len()).step_by(batch) {
        progress("masks", start, clip.len());
        let end = (start + batch).min(clip.len());
        let frames: Vec<&[u8]> = clip.frames[start..end].iter().map(|f| f.as_slice()).collect();
        let priors: Vec<Option<Vec<f32>>> = (start..end).map(colour_prior).collect();
        maps.extend(crate::masks::gpu::queue(&gpu, &frames, &seeds[start..end], &priors, w, h, densify)?.finish_async(&gpu).await?);
    }
    Ok(maps)
}

/// Unreachable in a build without the GPU side: no device there is a GPU.
#[cfg(not(gpu))]
async fn masks_on_gpu(
    _: &ComputeDevice,
    _: &Clip,
    _: &[Vec<Seed>],
    _: &dyn Fn(usize) -> Option<Vec<f32>>,
    _: &DensifyOptions,
    _: &mut impl FnMut(&str, usize, usize),
) -> Result<Vec<Vec<u8>>> {
    Err(SegmoError::Gpu("this build has no GPU side".into()))
}
