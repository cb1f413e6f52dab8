//! DINOv2 features in the browser: a model loaded from a `segmo convert` bundle (or the
//! official `.pth` / transformers `model.safetensors`), run on WebGPU or the wasm CPU backend.

use super::{js_err, to_js};
use crate::device::{ComputeDevice, DevicePreference};
use crate::features::dino::Dino;
use burn::tensor::{Tensor, TensorData};
use wasm_bindgen::prelude::*;

/// A DINOv2 model on a device chosen once.
#[wasm_bindgen]
pub struct DinoFeatures {
    device: ComputeDevice,
    model: Dino,
}

/// One forward pass: the normalised tokens (CLS, registers, patches) and, when asked, the
/// keys of one block laid out as SegAnyMo's feature map.
#[wasm_bindgen]
pub struct DinoResult {
    tokens: Vec<f32>,
    keys: Option<Vec<f32>>,
    rows: usize,
    cols: usize,
    dim: usize,
}

#[wasm_bindgen]
impl DinoFeatures {
    /// `weights`: the bytes of a checkpoint; `device`: "auto" | "webgpu" | "cpu"; `stride`:
    /// the patch stride (14 as trained; SegAnyMo's features use 7); `precision`: "f32"
    /// (default), "f16" (weights and activations stored in half precision: half the GPU
    /// memory; needs an adapter with shader-f16, else an error) or "auto" (f16 where the
    /// adapter has shader-f16). Outputs are f32 either way.
    pub async fn create(weights: &[u8], device: Option<String>, stride: Option<usize>, precision: Option<String>) -> Result<DinoFeatures, JsError> {
        console_error_panic_hook::set_once();
        let pref: DevicePreference = device.as_deref().unwrap_or("auto").parse().map_err(js_err)?;
        let device = ComputeDevice::select_async(pref).await.map_err(js_err)?;
        let model = Dino::from_bytes(weights, stride, &device.device).map_err(js_err)?;
        let model = match precision.as_deref().unwrap_or("f32") {
            "f32" => model,
            "f16" => model.with_f16_storage(&device).map_err(js_err)?,
            "auto" if device.info.shader_f16 => model.with_f16_storage(&device).map_err(js_err)?,
            "auto" => model,
            other => return Err(JsError::new(&format!("bad input: precision {other:?}: expected \"f32\", \"f16\" or \"auto\""))),
        };
        Ok(DinoFeatures { device, model })
    }

    /// "f32" or "f16": how the model stores its weights and activations.
    #[wasm_bindgen(getter)]
    pub fn precision(&self) -> String {
        if self.model.storage_dtype() == burn::tensor::DType::F16 { "f16" } else { "f32" }.to_string()
    }

    /// `{ backend, name, api, limits, software, fallback_reason, shader_f16 }` of the device in use.
    #[wasm_bindgen(getter)]
    pub fn device(&self) -> Result<JsValue, JsError> {
        to_js(&self.device.info)
    }

    /// `{ name, dim, depth, heads, registers, patch, stride }`.
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> Result<JsValue, JsError> {
        let c = &self.model.config;
        let fields: [(&str, JsValue); 7] = [
            ("name", c.name.as_str().into()),
            ("dim", c.embed_dim.into()),
            ("depth", c.depth.into()),
            ("heads", c.num_heads.into()),
            ("registers", c.num_register_tokens.into()),
            ("patch", c.patch_size.into()),
            ("stride", c.patch_stride.into()),
        ];
        let obj = js_sys::Object::new();
        for (k, v) in fields {
            js_sys::Reflect::set(&obj, &k.into(), &v).map_err(|_| JsError::new("config: cannot build the object"))?;
        }
        Ok(obj.into())
    }

    /// `pixels`: `3 * height * width` floats, channel-planar RGB already normalised with the
    /// ImageNet mean and std. `keysOf`: a block whose keys to return as well.
    pub async fn forward(&self, pixels: &[f32], height: usize, width: usize, keys_of: Option<usize>) -> Result<DinoResult, JsError> {
        if pixels.len() != 3 * height * width || pixels.is_empty() {
            return Err(JsError::new(&format!(
                "bad input: {} floats is not 3 x {height} x {width} (planar RGB)",
                pixels.len()
            )));
        }
        let x = Tensor::<4>::from_data(TensorData::new(pixels.to_vec(), [1, 3, height, width]), &self.device.device);
        let out = self.model.forward(x, keys_of).map_err(js_err)?;
        let heads = self.model.config.num_heads;
        let keys = match out.seganymo_key_map(heads) {
            Some(k) => Some(self.device.read_f32_async(k).await.map_err(js_err)?),
            None => None,
        };
        let tokens = self.device.read_f32_async(out.tokens.clone()).await.map_err(js_err)?;
        Ok(DinoResult { tokens, keys, rows: out.rows, cols: out.cols, dim: self.model.config.embed_dim })
    }
}

#[wasm_bindgen]
impl DinoResult {
    /// `[1 + registers + rows * cols, dim]`, row-major: transformers' `last_hidden_state`.
    pub fn tokens(&self) -> Vec<f32> {
        self.tokens.clone()
    }

    /// `[dim, rows, cols]`, channel `j * heads + head` (SegAnyMo's order), when asked.
    pub fn keys(&self) -> Option<Vec<f32>> {
        self.keys.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> usize {
        self.rows
    }

    #[wasm_bindgen(getter)]
    pub fn cols(&self) -> usize {
        self.cols
    }

    #[wasm_bindgen(getter)]
    pub fn dim(&self) -> usize {
        self.dim
    }
}
