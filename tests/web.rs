//! Browser tests (headless Chromium, WebGPU on SwiftShader): the attention kernel through the
//! same burn device path the library uses in a page.
#![cfg(target_arch = "wasm32")]

#[path = "common/attention_cases.rs"]
mod cases;
#[path = "common/motion_parity.rs"]
mod motion_parity;

use segmo::{ComputeDevice, DevicePreference};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TOL: f32 = 2e-4;

#[wasm_bindgen_test]
async fn attention_kernel_matches_reference_on_webgpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter (--enable-unsafe-webgpu)");
    web_sys::console::log_1(&format!("device: {}", dev.info).into());
    assert!(dev.is_gpu());
    for (i, case) in cases::CASES.iter().enumerate() {
        let err = cases::max_error(&dev.device, *case, i as u64).await;
        assert!(err < TOL, "case {case:?}: max abs error {err}");
    }
}

#[wasm_bindgen_test]
async fn attention_dense_path_matches_reference_on_wasm_cpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Cpu).await.unwrap();
    for (i, case) in cases::CASES.iter().enumerate().take(4) {
        let err = cases::max_error(&dev.device, *case, 50 + i as u64).await;
        assert!(err < TOL, "case {case:?}: max abs error {err}");
    }
}

#[wasm_bindgen_test]
async fn track_classifier_matches_official_code_on_webgpu_and_wasm_cpu() {
    for pref in [DevicePreference::Gpu, DevicePreference::Cpu] {
        let dev = ComputeDevice::select_async(pref).await.expect("device");
        for (name, bytes) in [("full", motion_parity::FULL), ("motion_only", motion_parity::MOTION_ONLY)] {
            let (probs, motion, names) = motion_parity::run(bytes, &dev.device).await;
            web_sys::console::log_1(&format!("{name} on {}: probs err {probs:e}, motion err {motion:e}", dev.info).into());
            assert!(names.is_empty(), "{names:?}");
            assert!(probs < 1e-4 && motion < 1e-4, "{name} on {}: {probs} {motion}", dev.info);
        }
    }
}

#[wasm_bindgen_test]
async fn densifier_sweeps_match_the_cpu_reference_on_webgpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    let gpu = segmo::tracks::dis::gpu::Gpu::new(&dev.device).expect("GPU context");
    let differ = segmo::masks::gpu::check_against_cpu(&gpu).await.expect("densifier runs");
    web_sys::console::log_1(&format!("densifier: {:.4}% of pixels differ from the CPU", differ * 100.0).into());
    assert!(differ < 1e-3, "{differ}");
}

#[wasm_bindgen_test]
async fn appearance_box_means_match_the_cpu_reference_on_webgpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    let gpu = segmo::tracks::dis::gpu::Gpu::new(&dev.device).expect("GPU context");
    let err = segmo::motion::appearance_gpu::check_against_cpu(&gpu).await.expect("appearance kernel runs");
    web_sys::console::log_1(&format!("appearance: max abs difference {err} from the CPU").into());
    assert!(err < 5e-3, "{err}");
}

#[wasm_bindgen_test]
async fn auto_device_picks_webgpu_and_reports_it() {
    let dev = ComputeDevice::select_async(DevicePreference::Auto).await.unwrap();
    assert!(dev.is_gpu(), "{}", dev.info);
    assert!(dev.info.limits.is_some());
    let field = |info: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(info, &k.into()).unwrap();
    let forced = segmo::wasm::Segmo::create(Some("webgpu".into())).await.map_err(|_| ()).unwrap().device().map_err(|_| ()).unwrap();
    assert_eq!(field(&forced, "backend").as_string().as_deref(), Some("gpu"));
    // The JS class's `auto` skips a software adapter (headless Chromium's SwiftShader), saying why.
    let auto = segmo::wasm::Segmo::create(Some("auto".into())).await.map_err(|_| ()).unwrap().device().map_err(|_| ()).unwrap();
    let expected = if dev.info.software { "cpu" } else { "gpu" };
    assert_eq!(field(&auto, "backend").as_string().as_deref(), Some(expected));
    if dev.info.software {
        let why = field(&auto, "fallback_reason").as_string().unwrap_or_default();
        assert!(why.contains("software"), "{why}");
    }
}

#[wasm_bindgen_test]
async fn baseline_runs_in_the_browser_and_rejects_bad_frames() {
    let s = segmo::sample::render(&segmo::sample::SampleConfig { width: 96, height: 64, frames: 5, seed: 1 });
    let frames: Vec<u8> = s.clip.frames.concat();
    let seg = segmo::wasm::Segmo::create(Some("cpu".into())).await.map_err(|_| ()).unwrap();
    let labels = seg.segment_baseline(96, 64, &frames).map_err(|_| ()).unwrap();
    assert_eq!(labels.len(), 96 * 64 * 5);
    assert!(seg.segment_baseline(96, 64, &frames[..100]).is_err());
    assert!(seg.segment_baseline(96, 64, &frames[..96 * 64 * 4]).is_err(), "one frame must be refused");
}

#[wasm_bindgen_test]
async fn trajectory_kernels_match_the_cpu_path_on_webgpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    let gpu = segmo::tracks::dis::gpu::Gpu::new(&dev.device).expect("GPU context");
    let results = segmo::tracks::chain::gpu::checks::all(gpu).await.expect("checks run");
    for c in &results {
        web_sys::console::log_1(&c.to_string().into());
    }
    let failed: Vec<String> = results.iter().filter(|c| !c.passed()).map(|c| c.to_string()).collect();
    assert!(failed.is_empty(), "failed: {failed:#?}");
}

#[wasm_bindgen_test]
async fn dis_flow_kernels_match_the_cpu_path_on_webgpu() {
    let dev = ComputeDevice::select_async(DevicePreference::Gpu).await.expect("WebGPU adapter");
    let gpu = segmo::tracks::dis::gpu::Gpu::new(&dev.device).expect("GPU context");
    let results = segmo::tracks::dis::gpu::checks::all(gpu).await.expect("checks run");
    for c in &results {
        web_sys::console::log_1(&c.to_string().into());
    }
    let failed: Vec<String> = results.iter().filter(|c| !c.passed()).map(|c| c.to_string()).collect();
    assert!(failed.is_empty(), "failed: {failed:#?}");
}

#[wasm_bindgen_test]
fn linear_kernel_matches_f64_product_in_wasm_simd() {
    // The wasm SIMD register block behind the CPU backend's linear layers (built with
    // simd128, .cargo/config.toml); DINOv2 and the classifier parity tests run through it too.
    assert!(segmo::cpu::gemm::supported(), "this wasm build has no SIMD kernel");
    segmo::cpu::gemm::check::products().unwrap();
    segmo::cpu::gemm::check::empty_sizes().unwrap();
    segmo::cpu::gemm::check::epilogues().unwrap();
}

#[wasm_bindgen_test]
fn attention_kernel_matches_f64_reference_in_wasm_simd() {
    // The wasm SIMD attention behind DINOv2's heads on the CPU backend (4x8 register blocks,
    // online softmax with a 4-lane exp2): ragged sizes, masks, several chunks and tasks.
    assert!(segmo::cpu::attention::supported(64), "this wasm build has no SIMD attention kernel");
    segmo::cpu::attention::check_against_reference().unwrap();
}
