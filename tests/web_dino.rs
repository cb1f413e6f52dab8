//! DINOv2 against transformers in the browser, in a dedicated worker (CPU runs block for
//! seconds, which a page's main thread and the test driver must not see): the small
//! configurations on WebGPU and the wasm CPU backend, ViT-B/14 (224x224) on the wasm CPU
//! backend. On SwiftShader, the only adapter CI has, ViT-B/14 and the CPU run together took
//! 500 s; lavapipe runs the full shape natively (tests/dino.rs).
#![cfg(target_arch = "wasm32")]

#[path = "common/dino_parity.rs"]
mod dino_parity;

use segmo::{ComputeDevice, DevicePreference};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn small_configurations_match_transformers_on_webgpu_and_wasm_cpu() {
    for pref in [DevicePreference::Gpu, DevicePreference::Cpu] {
        let dev = ComputeDevice::select_async(pref).await.expect("device");
        for (name, bytes, registers) in [("small", dino_parity::SMALL, false), ("small_reg_swiglu", dino_parity::SMALL_REG, true)] {
            let case = dino_parity::load(bytes);
            let model = dino_parity::fixture_model(dino_parity::small_config(registers), &dev.device);
            let errs = dino_parity::run(&model, &case, &dev.device).await;
            web_sys::console::log_1(&format!("DINOv2 {name} on {}: relative errors {errs:?}", dev.info).into());
            assert!(errs.iter().all(|e| *e < 1e-4), "{name} on {}: {errs:?}", dev.info);
            // f16 storage where the adapter has shader-f16 (SwiftShader has not: a clear error).
            match model.with_f16_storage(&dev) {
                Ok(half) => {
                    let errs = dino_parity::run(&half, &case, &dev.device).await;
                    web_sys::console::log_1(&format!("DINOv2 {name} f16 storage on {}: relative errors {errs:?}", dev.info).into());
                    assert!(errs.iter().all(|e| *e < 3e-2), "{name} f16 on {}: {errs:?}", dev.info);
                }
                Err(e) => assert!(!dev.info.shader_f16 && e.to_string().contains("shader-f16"), "{e}"),
            }
        }
    }
}

#[wasm_bindgen_test]
async fn vitb14_matches_transformers_on_wasm_cpu() {
    for pref in [DevicePreference::Cpu] {
        let dev = ComputeDevice::select_async(pref).await.expect("device");
        let case = dino_parity::load(dino_parity::VITB14);
        let model = dino_parity::fixture_model(dino_parity::vitb14_config(), &dev.device);
        let t0 = js_sys::Date::now();
        let errs = dino_parity::run(&model, &case, &dev.device).await;
        let secs = (js_sys::Date::now() - t0) / 1000.0;
        web_sys::console::log_1(&format!("DINOv2 ViT-B/14 on {}: relative errors {errs:?} ({secs:.1} s)", dev.info).into());
        assert!(errs.iter().all(|e| *e < 1e-4), "ViT-B/14 on {}: {errs:?}", dev.info);
    }
}
