//! The point tracker's WGSL kernels timed in headless Chromium (WebGPU; SwiftShader on a machine
//! without a GPU): forward+backward DIS flow of an 854x480 frame pair, and the trajectory
//! builder (reliability maps and following on the GPU) on a short clip. Run by
//! `scripts/bench-browser.sh` (`cargo bench --target wasm32-unknown-unknown`), which prints the
//! table criterion-style; `segmo bench tracks` has the native rows.
#![cfg(target_arch = "wasm32")]

use segmo::synth::random::{random_scene, RandomSceneConfig};
use segmo::synth::render::render;
use segmo::synth::scene::SynthConfig;
use segmo::tracks::chain::gpu::build::build_tracks_gpu_async;
use segmo::tracks::dis::gpu::GpuDis;
use segmo::tracks::dis::DisParams;
use segmo::tracks::{Gray, TrackOptions};
use segmo::{ComputeDevice, DevicePreference};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const W: usize = 854;
const H: usize = 480;
/// Frames of the tracking clip.
const FRAMES: usize = 4;

fn clip() -> Vec<Gray> {
    let rc = RandomSceneConfig {
        cfg: SynthConfig { width: W, height: H, frames: FRAMES, n_tracks: 8, noise: 1.0 },
        ..RandomSceneConfig::default()
    };
    let c = render(&random_scene(1, &rc));
    (0..FRAMES).map(|t| Gray { width: W, height: H, data: c.gray(t) }).collect()
}

/// Software WebGPU takes seconds per iteration: few samples.
fn configure(c: &mut Criterion) {
    *c = std::mem::take(c).sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
}

#[wasm_bindgen_bench]
async fn flow_fwd_bwd_854x480_per_pair(c: &mut Criterion) {
    configure(c);
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    web_sys::console::log_1(&format!("device: {}", dev.info).into());
    // The benchmark's futures must own what they use (criterion's bound is 'static-like).
    let dis = Rc::new(GpuDis::new(&dev.device, DisParams::medium()).unwrap());
    let g = Rc::new(clip());
    c.bench_async_function("flow, fwd+bwd (per pair, 854x480)", move |b| {
        let (dis, g) = (dis.clone(), g.clone());
        Box::pin(b.iter_future(move || {
            let (dis, g) = (dis.clone(), g.clone());
            async move {
                let (pa, pb) = (dis.pyramid(&g[0]).unwrap(), dis.pyramid(&g[1]).unwrap());
                let f = dis.flow_between(&pa, &pb).unwrap();
                let r = dis.flow_between(&pb, &pa).unwrap();
                // Reading one value waits for the queued kernels.
                dis.gpu().read(&r.buf, 1).await.unwrap();
                drop(f);
            }
        }))
    })
    .await;
}

#[wasm_bindgen_bench]
async fn tracking_854x480_4_frames(c: &mut Criterion) {
    configure(c);
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    let dis = GpuDis::new(&dev.device, DisParams::medium()).unwrap();
    let g = clip();
    let (frames, fw, bw) = dis.clip_on_gpu(&g, |_, _| {}).unwrap();
    dis.gpu().read(&bw[FRAMES - 2].buf, 1).await.unwrap();
    let inputs = Rc::new((dis, g, frames, fw, bw, TrackOptions::default()));
    c.bench_async_function("tracking (4 frames, 854x480)", move |b| {
        let inputs = inputs.clone();
        Box::pin(b.iter_future(move || {
            let inputs = inputs.clone();
            async move {
                let (dis, g, frames, fw, bw, opts) = &*inputs;
                build_tracks_gpu_async(dis.gpu(), g, frames, fw, bw, opts).await.unwrap()
            }
        }))
    })
    .await;
}
