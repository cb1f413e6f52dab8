#![cfg(not(target_arch = "wasm32"))]
//! Frames beyond the GPU's buffer limits: the GPU flow refuses them with a typed error, and
//! the clip-level flow and the whole tracker go to the CPU path instead of failing. A test binary of its own
//! because it shrinks the process-wide limits.

use segmo::tracks::dis::gpu::GpuDis;
use segmo::tracks::dis::{Dis, DisParams};
use segmo::tracks::pipeline::clip_flows;
use segmo::tracks::Gray;
use segmo::{ComputeDevice, DevicePreference, SegmoError};

fn frames(w: usize, h: usize) -> Vec<Gray> {
    (0..3)
        .map(|t| Gray {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f32, (i / w) as f32);
                    0.5 + 0.25 * ((x + 1.5 * t as f32) * 0.31).sin() * ((y - 0.5 * t as f32) * 0.23).cos()
                })
                .collect(),
        })
        .collect()
}

#[test]
fn over_limit_frames_fall_back_to_the_cpu_path() {
    let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let g = frames(64, 48);
    // A level buffer of this clip is 3 * 64 * 48 * 4 = 36 KiB: allow less.
    segmo::gpu::shrink_limits_for_tests(16 << 10);
    let dis = GpuDis::new(&dev.device, DisParams::medium()).unwrap();
    match dis.pyramid(&g[0]) {
        Err(SegmoError::OverLimits { requested, limit, .. }) => assert!(requested > limit),
        Err(e) => panic!("expected an over-limits error, got {e}"),
        Ok(_) => panic!("expected an over-limits error"),
    }
    let (fw, bw) = clip_flows(&g, &DisParams::medium(), &dev, |_, _| {}).expect("CPU fallback");
    let mut cpu = Dis::new(DisParams::medium());
    for (i, p) in g.windows(2).enumerate() {
        let (f, b) = cpu.flow_pair(&p[0], &p[1]);
        assert_eq!(fw[i], f, "forward flow {i} is the CPU path's");
        assert_eq!(bw[i], b, "backward flow {i} is the CPU path's");
    }
    // The whole tracker likewise.
    let rgba: Vec<Vec<u8>> = g
        .iter()
        .map(|f| f.data.iter().flat_map(|v| { let b = (v * 255.0).round() as u8; [b, b, b, 255] }).collect())
        .collect();
    let clip = segmo::Clip::new(64, 48, rgba).unwrap();
    let cfg = segmo::tracks::TrackerConfig::default();
    let on_gpu = segmo::tracks::track_clip_on(&clip, &cfg, &dev, |_, _| {}).expect("CPU fallback");
    assert_eq!(on_gpu, segmo::tracks::track_clip(&clip, &cfg, |_, _| {}).unwrap());
}
