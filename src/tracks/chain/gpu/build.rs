//! The trajectory builder with the per-pixel and per-track work on the GPU: reliability maps
//! and following as WGSL kernels, the query-frame loop, seeding and selection on the CPU
//! (`chain::drive`, shared with `build_tracks`). Given the same flows it builds the tracks
//! `build_tracks` builds (the kernels match the CPU steps exactly on lavapipe).
//!
//! Each query frame's new seeds are followed through the whole clip in one forward and one
//! backward sweep of dispatches, then read back: the next query frame's seeding needs their
//! positions there. All frames, flows and maps of the clip stay on the GPU meanwhile (at
//! 854x480, about 11 MB per frame pair).

use super::follow::{follow, GpuClip, GpuTracks};
use super::reliability::{reliability, GpuReliability};
use crate::error::{Result, SegmoError};
use crate::tracks::chain::{finish, rows_of, Driver, TrackOptions};
use crate::tracks::dis::gpu::{Gpu, GpuFlow};
use crate::tracks::{Gray, Tracks};
use burn::cubecl::server::Handle;

/// Checks the inputs and computes the reliability maps.
fn prepare(
    gpu: &Gpu,
    frames: &[Gray],
    frames_gpu: &[Handle],
    fw: &[GpuFlow],
    bw: &[GpuFlow],
    opts: &TrackOptions,
) -> Result<Vec<GpuReliability>> {
    let bad = |m: String| SegmoError::BadInput(format!("GPU trajectory builder: {m}"));
    let t_len = frames.len();
    if t_len < 2 {
        return Err(bad(format!("a clip needs at least 2 frames, got {t_len}")));
    }
    let (w, h) = (frames[0].width, frames[0].height);
    if let Some((i, g)) = frames.iter().enumerate().find(|(_, g)| (g.width, g.height) != (w, h) || g.data.len() != w * h) {
        return Err(bad(format!("frame {i} is {}x{} ({} values), frame 0 {w}x{h}", g.width, g.height, g.data.len())));
    }
    if frames_gpu.len() != t_len {
        return Err(bad(format!("{t_len} frames but {} on the GPU", frames_gpu.len())));
    }
    opts.validate().map_err(|e| bad(e.to_string()))?;
    if fw.len() != t_len - 1 || bw.len() != t_len - 1 {
        return Err(bad(format!("{t_len} frames need {} flows each way, got {} and {}", t_len - 1, fw.len(), bw.len())));
    }
    fw.iter().zip(bw).map(|(f, b)| reliability(gpu, f, b, &opts.thresholds)).collect()
}

/// Queues the following of one query frame's seeds; returns the queries they became.
fn queue(gpu: &Gpu, clip: &GpuClip, q: usize, seeds: &[[f32; 2]], opts: &TrackOptions) -> Result<(GpuTracks, Vec<[f32; 3]>)> {
    let queries: Vec<[f32; 3]> = seeds.iter().map(|s| [s[0], s[1], q as f32]).collect();
    Ok((follow(gpu, clip, &queries, &opts.thresholds)?, queries))
}

/// Tracks of the clip `frames` (on the CPU, for seeding; `frames_gpu` the same frames on the
/// GPU) from flows on the GPU: `fw[t]` t -> t+1, `bw[t]` t+1 -> t. Awaits each batch's read
/// back, so it runs in the browser.
pub async fn build_tracks_gpu_async(
    gpu: &Gpu,
    frames: &[Gray],
    frames_gpu: &[Handle],
    fw: &[GpuFlow],
    bw: &[GpuFlow],
    opts: &TrackOptions,
) -> Result<Tracks> {
    let rel = prepare(gpu, frames, frames_gpu, fw, bw, opts)?;
    let (w, h) = (frames[0].width, frames[0].height);
    let clip = GpuClip { w, h, frames: frames_gpu, fw, bw, rel: &rel };
    let mut d = Driver::new(frames, opts);
    while let Some((q, seeds)) = d.next_batch() {
        let (tracks, queries) = queue(gpu, &clip, q, &seeds, opts)?;
        d.accept(q, &seeds, rows_of(&tracks.read(gpu, w, h, &queries).await?));
    }
    Ok(finish(frames.len(), w, h, opts, d.finish()))
}

/// [`build_tracks_gpu_async`], blocking on each read back (native).
#[cfg(not(target_family = "wasm"))]
pub fn build_tracks_gpu(
    gpu: &Gpu,
    frames: &[Gray],
    frames_gpu: &[Handle],
    fw: &[GpuFlow],
    bw: &[GpuFlow],
    opts: &TrackOptions,
) -> Result<Tracks> {
    let rel = prepare(gpu, frames, frames_gpu, fw, bw, opts)?;
    let (w, h) = (frames[0].width, frames[0].height);
    let clip = GpuClip { w, h, frames: frames_gpu, fw, bw, rel: &rel };
    let mut d = Driver::new(frames, opts);
    while let Some((q, seeds)) = d.next_batch() {
        let (tracks, queries) = queue(gpu, &clip, q, &seeds, opts)?;
        d.accept(q, &seeds, rows_of(&tracks.read_blocking(gpu, w, h, &queries)?));
    }
    Ok(finish(frames.len(), w, h, opts, d.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{ComputeDevice, DevicePreference};
    use crate::tracks::chain::build_tracks;
    use crate::tracks::dis::gpu::checks::synthetic_clip;
    use crate::tracks::dis::Dis;

    #[test]
    fn builds_the_cpu_builders_tracks() {
        let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
        let gpu = Gpu::new(&dev.device).unwrap();
        let frames = synthetic_clip(53, 41, 16, 2);
        let mut dis = Dis::new(Default::default());
        let (fw, bw): (Vec<_>, Vec<_>) = frames.windows(2).map(|p| dis.flow_pair(&p[0], &p[1])).unzip();
        // Query frames 0, 4, 8: later seeding depends on where earlier tracks are.
        let opts = TrackOptions { grid_stride: Some(3), query_every: 4, max_tracks: Some(120), ..Default::default() };
        let cpu = build_tracks(&frames, &fw, &bw, &opts).unwrap();
        let up = |f: &crate::tracks::Flow| GpuFlow { w: f.width, h: f.height, buf: gpu.upload("flow", &f.uv).unwrap() };
        let handles: Vec<Handle> = frames.iter().map(|g| gpu.upload("frame", &g.data).unwrap()).collect();
        let got_async = pollster::block_on(build_tracks_gpu_async(
            &gpu,
            &frames,
            &handles,
            &fw.iter().map(up).collect::<Vec<_>>(),
            &bw.iter().map(up).collect::<Vec<_>>(),
            &opts,
        ))
        .unwrap();
        let got = build_tracks_gpu(
            &gpu,
            &frames,
            &handles,
            &fw.iter().map(up).collect::<Vec<_>>(),
            &bw.iter().map(up).collect::<Vec<_>>(),
            &opts,
        )
        .unwrap();
        assert_eq!(got_async, got, "async and blocking builders agree");
        assert_eq!((got.n, got.frames), (cpu.n, cpu.frames));
        let later = cpu.query_frame.iter().filter(|q| **q > 0).count();
        eprintln!("{} tracks, {later} from later query frames", cpu.n);
        assert!(cpu.n == 120, "the cap must bite: {} tracks", cpu.n);
        assert!(later > 0, "later query frames must seed");
        assert_eq!(got.query_frame, cpu.query_frame);
        assert_eq!(got.visible, cpu.visible);
        let worst = got.xy.iter().zip(&cpu.xy).map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs())).fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "positions differ by up to {worst} px");
        let worst_c = got.confidence.iter().zip(&cpu.confidence).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst_c < 1e-4, "confidences differ by up to {worst_c}");
        // Bad input is an error, not a panic.
        assert!(build_tracks_gpu(&gpu, &frames[..1], &handles[..1], &[], &[], &opts).is_err());
        assert!(build_tracks_gpu(&gpu, &frames, &handles[..3], &[], &[], &opts).is_err());
    }
}
