//! The whole tracker on a GPU device (flow, reliability maps and following as WGSL kernels, on
//! lavapipe here) against the CPU path on the same clip: the same algorithm, so the same tracks
//! up to the flows' rounding differences (~1e-6 px).

use segmo::synth::random::{random_scene, RandomSceneConfig};
use segmo::synth::render::render;
use segmo::synth::scene::SynthConfig;
use segmo::tracks::{track_clip, track_clip_on, TrackOptions, TrackerConfig};
use segmo::{Clip, ComputeDevice, DevicePreference};

#[test]
fn gpu_tracks_are_the_cpu_paths() {
    let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let (w, h) = (67, 45);
    let rc = RandomSceneConfig {
        cfg: SynthConfig { width: w, height: h, frames: 14, n_tracks: 8, noise: 1.0 },
        ..RandomSceneConfig::default()
    };
    let synth = render(&random_scene(4, &rc));
    let clip = Clip::new(w as u32, h as u32, synth.frames.clone()).unwrap();
    let cfg = TrackerConfig {
        tracks: TrackOptions { grid_stride: Some(3), query_every: 5, ..Default::default() },
        ..Default::default()
    };
    let cpu = track_clip(&clip, &cfg, |_, _| {}).unwrap();
    let mut calls = 0;
    let gpu = track_clip_on(&clip, &cfg, &dev, |_, _| calls += 1).unwrap();
    assert_eq!(calls, 13, "progress once per frame pair");
    assert_eq!((gpu.n, gpu.frames), (cpu.n, cpu.frames), "same seeds");
    assert_eq!(gpu.query_frame, cpu.query_frame);
    let m = cpu.visible.len();
    let flips = gpu.visible.iter().zip(&cpu.visible).filter(|(a, b)| a != b).count();
    let mut d: Vec<f32> = gpu
        .xy
        .iter()
        .zip(&cpu.xy)
        .zip(gpu.visible.iter().zip(&cpu.visible))
        .filter(|(_, (a, b))| **a && **b)
        .map(|((a, b), _)| (a[0] - b[0]).hypot(a[1] - b[1]))
        .collect();
    d.sort_by(f32::total_cmp);
    let (median, p99) = (d[d.len() / 2], d[d.len() * 99 / 100]);
    eprintln!("{} tracks x {} frames: {flips} visibility flips, position difference median {median:.2e} px, p99 {p99:.2e} px", cpu.n, cpu.frames);
    assert!(cpu.n > 100 && cpu.query_frame.iter().any(|q| *q > 0));
    assert!(flips * 200 < m, "{flips} of {m} visibility flags differ");
    assert!(median < 1e-4 && p99 < 1e-2, "median {median}, p99 {p99}");
}
