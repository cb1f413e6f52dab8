//! A clip in, tracks out: grey frames, forward and backward DIS flow for every frame pair,
//! then the trajectory builder; on a GPU device both as WGSL kernels, else on the CPU path.

#[cfg(gpu)]
use super::dis::gpu::GpuDis;
use super::dis::{Dis, DisParams};
use crate::device::ComputeDevice;
use super::{build_tracks, Flow, Gray, TrackOptions, Tracks};
#[cfg(gpu)]
use super::chain::gpu::build::build_tracks_gpu_async;
use crate::clip::Clip;
use crate::error::{Result, SegmoError};

#[derive(Clone, Debug, Default)]
pub struct TrackerConfig {
    pub flow: DisParams,
    pub tracks: TrackOptions,
}

/// The clip's frames as grey images.
pub fn grays(clip: &Clip) -> Vec<Gray> {
    (0..clip.len())
        .map(|t| Gray { width: clip.width as usize, height: clip.height as usize, data: clip.gray(t) })
        .collect()
}

/// Tracks of a clip on the CPU. `progress(done, total)` is called after each frame pair's flow.
pub fn track_clip(clip: &Clip, cfg: &TrackerConfig, mut progress: impl FnMut(usize, usize)) -> Result<Tracks> {
    cpu_tracks(&grays(at_least_two(clip)?), cfg, &mut progress)
}

fn at_least_two(clip: &Clip) -> Result<&Clip> {
    if clip.len() < 2 {
        return Err(SegmoError::BadInput(format!(
            "point tracking needs at least 2 frames, the clip has {}",
            clip.len()
        )));
    }
    Ok(clip)
}

fn cpu_tracks(g: &[Gray], cfg: &TrackerConfig, progress: &mut impl FnMut(usize, usize)) -> Result<Tracks> {
    let (fw, bw) = clip_flows(g, &cfg.flow, &ComputeDevice::cpu(), &mut *progress)?;
    Ok(build_tracks(g, &fw, &bw, &cfg.tracks)?)
}

/// Tracks of a clip on `dev`: on a GPU device the optical flow, the reliability maps and the
/// following run as WGSL kernels, seeding and selection on the CPU; otherwise all on the CPU
/// path. The same algorithm, so the tracks differ by rounding only. Frames beyond the
/// adapter's buffer limits go to the CPU path (logged). Blocks (native).
#[cfg(not(target_family = "wasm"))]
pub fn track_clip_on(clip: &Clip, cfg: &TrackerConfig, dev: &ComputeDevice, mut progress: impl FnMut(usize, usize)) -> Result<Tracks> {
    pollster::block_on(track_clip_async(clip, cfg, dev, &mut progress))
}

/// [`track_clip_on`] awaiting its GPU reads, so it runs in the browser (where the CPU path
/// runs as it is: inside a Web Worker blocking is harmless).
pub async fn track_clip_async(clip: &Clip, cfg: &TrackerConfig, dev: &ComputeDevice, progress: &mut impl FnMut(usize, usize)) -> Result<Tracks> {
    let g = grays(at_least_two(clip)?);
    #[cfg(not(gpu))]
    let _ = dev;
    #[cfg(gpu)]
    if dev.is_gpu() {
        match gpu_tracks(&g, cfg, dev, &mut *progress).await {
            // Frames too big for the adapter's buffers: the CPU path has no such limit.
            Err(SegmoError::OverLimits { what, requested, limit }) => {
                log::warn!("point tracking on the CPU path: {what} needs {requested} bytes, the GPU allows {limit}");
                progress(0, g.len() - 1);
            }
            other => return other,
        }
    }
    cpu_tracks(&g, cfg, progress)
}

/// Flow, reliability and following on the GPU (seeding and selection on the CPU): flows stay
/// on the GPU for the trajectory builder.
#[cfg(gpu)]
async fn gpu_tracks(g: &[Gray], cfg: &TrackerConfig, dev: &ComputeDevice, progress: &mut impl FnMut(usize, usize)) -> Result<Tracks> {
    let dis = GpuDis::new(&dev.device, cfg.flow.clone())?;
    crate::gpu::guarded_async(async {
        let (frames, fw, bw) = dis.clip_on_gpu(g, &mut *progress)?;
        build_tracks_gpu_async(dis.gpu(), g, &frames, &fw, &bw, &cfg.tracks).await
    })
    .await
}

/// Forward and backward flow of every consecutive frame pair, on `dev`. On a GPU each frame's
/// pyramid is built once and serves both pairs it belongs to; frames too large for the
/// adapter's buffer limits go to the CPU path instead (logged).
pub fn clip_flows(
    g: &[Gray],
    params: &DisParams,
    dev: &ComputeDevice,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Vec<Flow>, Vec<Flow>)> {
    let pairs = g.len().saturating_sub(1);
    let (mut fw, mut bw) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    if !dev.is_gpu() {
        let mut dis = Dis::new(params.clone());
        for (i, p) in g.windows(2).enumerate() {
            let (f, b) = dis.flow_pair(&p[0], &p[1]);
            fw.push(f);
            bw.push(b);
            progress(i + 1, pairs);
        }
        return Ok((fw, bw));
    }
    #[cfg(any(target_family = "wasm", not(gpu)))]
    {
        let _ = &mut progress;
        Err(SegmoError::Gpu("blocking GPU flow is native only; in the browser use GpuDis::flow_pair".into()))
    }
    #[cfg(all(not(target_family = "wasm"), gpu))]
    {
        match gpu_flows(g, params, dev, &mut progress) {
            // Frames too big for the adapter's buffers: the CPU path has no such limit.
            Err(SegmoError::OverLimits { what, requested, limit }) => {
                log::warn!(
                    "optical flow on the CPU path: {what} needs {requested} bytes, the GPU allows {limit}"
                );
                clip_flows(g, params, &ComputeDevice::cpu(), progress)
            }
            other => other,
        }
    }
}

#[cfg(all(not(target_family = "wasm"), gpu))]
fn gpu_flows(
    g: &[Gray],
    params: &DisParams,
    dev: &ComputeDevice,
    progress: &mut impl FnMut(usize, usize),
) -> Result<(Vec<Flow>, Vec<Flow>)> {
    let pairs = g.len().saturating_sub(1);
    let (mut fw, mut bw) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    let dis = GpuDis::new(&dev.device, params.clone())?;
    crate::gpu::guarded(|| {
        let mut prev = dis.pyramid(&g[0])?;
        for (i, frame) in g[1..].iter().enumerate() {
            let next = dis.pyramid(frame)?;
            let (f, b) = (dis.flow_between(&prev, &next)?, dis.flow_between(&next, &prev)?);
            fw.push(dis.read_blocking(&f)?);
            bw.push(dis.read_blocking(&b)?);
            prev = next;
            progress(i + 1, pairs);
        }
        Ok((fw, bw))
    })
}
