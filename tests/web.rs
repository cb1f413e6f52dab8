//! Browser tests (headless Chromium, WebGPU on SwiftShader): the attention kernel through the
//! same burn device path the library uses in a page.
#![cfg(target_arch = "wasm32")]

#[path = "common/attention_cases.rs"]
mod cases;

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
