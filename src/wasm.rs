//! The wasm-bindgen surface: a thin JS class over the Rust API. The npm wrapper in `www/`
//! runs it inside a Web Worker.

use crate::device::{ComputeDevice, DevicePreference};
use wasm_bindgen::prelude::*;

fn js_err(e: crate::SegmoError) -> JsError {
    JsError::new(&e.to_string())
}

/// A compute device chosen once, reused by every call.
#[wasm_bindgen]
pub struct Segmo {
    device: ComputeDevice,
}

#[wasm_bindgen]
impl Segmo {
    /// `device`: "auto" (WebGPU when the browser has an adapter, else CPU), "webgpu" or "cpu".
    pub async fn create(device: Option<String>) -> Result<Segmo, JsError> {
        console_error_panic_hook::set_once();
        let pref: DevicePreference = device.as_deref().unwrap_or("auto").parse().map_err(js_err)?;
        let device = ComputeDevice::select_async(pref).await.map_err(js_err)?;
        Ok(Segmo { device })
    }

    /// `{ backend: "gpu" | "cpu", name, api, limits, fallback_reason }`.
    #[wasm_bindgen(getter)]
    pub fn device(&self) -> Result<JsValue, JsError> {
        serde_wasm_bindgen::to_value(&self.device.info).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Motion baseline on `frames` (T RGBA8 frames of width x height, concatenated);
    /// returns T label maps concatenated (0 = background, k = object k).
    pub fn segment_baseline(&self, width: u32, height: u32, frames: &[u8]) -> Result<Vec<u8>, JsError> {
        let frame_bytes = width as usize * height as usize * 4;
        if frame_bytes == 0 || frames.len() % frame_bytes != 0 {
            return Err(JsError::new(&format!(
                "bad input: {} bytes is not a whole number of {width}x{height} RGBA frames",
                frames.len()
            )));
        }
        let clip = crate::Clip::new(width, height, frames.chunks_exact(frame_bytes).map(<[u8]>::to_vec).collect())
            .map_err(js_err)?;
        let labels = crate::baseline::segment(&clip, &Default::default()).map_err(js_err)?;
        Ok(labels.into_iter().flat_map(|l| l.labels).collect())
    }
}
