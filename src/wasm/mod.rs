//! The wasm-bindgen surface: a thin JS class over the Rust API. The npm wrapper in `www/`
//! runs it inside a Web Worker.

use crate::clip::{summarize, Clip, LabelMap, ObjectSummary};
use crate::device::{ComputeDevice, DevicePreference};
use crate::motion::MotionClassifier;
use burn::module::Module;
use crate::pipeline::{segment_lite_async, LiteOptions, Scorer, StageTimes};
use wasm_bindgen::prelude::*;

mod dino;
pub use dino::{DinoFeatures, DinoResult};
#[cfg(threads)]
mod pool;
#[cfg(threads)]
pub use pool::{build_thread_pool, run_pool_thread, thread_pool_share};

/// Threads the CPU paths run on: the pool's size in the threaded module (after
/// `buildThreadPool`), else 1.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    #[cfg(threads)]
    return rayon::current_num_threads();
    #[cfg(not(threads))]
    1
}

fn js_err(e: crate::SegmoError) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

/// A compute device chosen once, reused by every call, and the classifier's weights.
#[wasm_bindgen]
pub struct Segmo {
    device: ComputeDevice,
    classifier: Option<MotionClassifier>,
}

#[wasm_bindgen]
impl Segmo {
    /// `device`: "auto" (WebGPU when the browser has a hardware adapter, else CPU), "webgpu" or
    /// "cpu".
    pub async fn create(device: Option<String>) -> Result<Segmo, JsError> {
        console_error_panic_hook::set_once();
        let pref: DevicePreference = device.as_deref().unwrap_or("auto").parse().map_err(js_err)?;
        let mut device = ComputeDevice::select_async(pref).await.map_err(js_err)?;
        // `auto` means the fastest correct path: a software adapter (SwiftShader) took 136 s for
        // the 16-frame end-to-end clip that the wasm CPU backend segments in 29 s.
        if pref == DevicePreference::Auto && device.is_gpu() && device.info.software {
            let name = if device.info.name.is_empty() { String::new() } else { format!(" ({})", device.info.name) };
            device = ComputeDevice::cpu();
            device.info.fallback_reason =
                Some(format!("the WebGPU adapter{name} renders in software, slower than the CPU path; device \"webgpu\" forces it"));
        }
        Ok(Segmo { device, classifier: None })
    }

    /// `{ backend: "gpu" | "cpu", name, api, limits, fallback_reason }`.
    #[wasm_bindgen(getter)]
    pub fn device(&self) -> Result<JsValue, JsError> {
        to_js(&self.device.info)
    }

    /// Loads classifier weights (a safetensors file as written by `segmo train`); a corrupt or
    /// mismatched file is an error naming the tensor. Returns the number of parameters.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&mut self, bytes: &[u8]) -> Result<usize, JsError> {
        // On a software adapter (SwiftShader) the classifier's many small kernels took 469 s for
        // a 4-frame clip whose tracks and masks took 8 s there: the CPU backend runs it instead.
        let device = if self.device.info.software { ComputeDevice::cpu().device } else { self.device.device.clone() };
        let clf = MotionClassifier::from_file_bytes(bytes, &device).map_err(js_err)?;
        let n = clf.model.num_params();
        self.classifier = Some(clf);
        Ok(n)
    }

    /// The lite pipeline on `frames` (T RGBA8 frames of width x height, concatenated).
    /// `on_progress(stage, done, total)` is called as stages advance.
    pub async fn segment(
        &self,
        width: u32,
        height: u32,
        frames: js_sys::Uint8Array,
        on_progress: Option<js_sys::Function>,
    ) -> Result<Segmented, JsError> {
        let clf = self.classifier.as_ref().ok_or_else(|| JsError::new("no classifier weights loaded (call loadWeights first)"))?;
        let clip = clip_from(width, height, &frames)?;
        let mut progress = |stage: &str, done: usize, total: usize| {
            if let Some(f) = &on_progress {
                let _ = f.call3(&JsValue::NULL, &JsValue::from_str(stage), &JsValue::from(done as u32), &JsValue::from(total as u32));
            }
        };
        let seg = segment_lite_async(&clip, Scorer::Blend(clf), &LiteOptions::default(), &self.device, &mut progress)
            .await
            .map_err(js_err)?;
        Ok(Segmented::new(width, height, &seg.labels, seg.tracks.n, seg.times))
    }

    /// Motion baseline on `frames` (T RGBA8 frames of width x height, concatenated);
    /// returns T label maps concatenated (0 = background, k = object k).
    pub fn segment_baseline(&self, width: u32, height: u32, frames: &[u8]) -> Result<Vec<u8>, JsError> {
        let clip = clip_from(width, height, &js_sys::Uint8Array::from(frames))?;
        let labels = crate::baseline::segment(&clip, &Default::default()).map_err(js_err)?;
        Ok(labels.into_iter().flat_map(|l| l.labels).collect())
    }
}

fn clip_from(width: u32, height: u32, frames: &js_sys::Uint8Array) -> Result<Clip, JsError> {
    let frame_bytes = width as usize * height as usize * 4;
    let len = frames.length() as usize;
    if frame_bytes == 0 || len % frame_bytes != 0 {
        return Err(JsError::new(&format!("bad input: {len} bytes is not a whole number of {width}x{height} RGBA frames")));
    }
    let frames = (0..len / frame_bytes)
        .map(|t| frames.subarray((t * frame_bytes) as u32, ((t + 1) * frame_bytes) as u32).to_vec())
        .collect();
    Clip::new(width, height, frames).map_err(js_err)
}

/// A segmented clip: label maps (0 = background, k = object k) and what they hold.
#[wasm_bindgen]
pub struct Segmented {
    width: u32,
    height: u32,
    frames: usize,
    labels: Vec<u8>,
    objects: Vec<ObjectSummary>,
    tracks: usize,
    times: StageTimes,
}

impl Segmented {
    fn new(width: u32, height: u32, maps: &[LabelMap], tracks: usize, times: StageTimes) -> Self {
        Self {
            width,
            height,
            frames: maps.len(),
            labels: maps.iter().flat_map(|m| m.labels.iter().copied()).collect(),
            objects: summarize(maps),
            tracks,
            times,
        }
    }
}

#[wasm_bindgen]
impl Segmented {
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.width
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.height
    }

    #[wasm_bindgen(getter, js_name = numFrames)]
    pub fn num_frames(&self) -> usize {
        self.frames
    }

    #[wasm_bindgen(getter, js_name = numTracks)]
    pub fn num_tracks(&self) -> usize {
        self.tracks
    }

    /// All label maps, frame after frame (`numFrames * width * height` bytes).
    pub fn labels(&self) -> Vec<u8> {
        self.labels.clone()
    }

    /// `[{ id, firstFrame, lastFrame, frames, area }]`.
    #[wasm_bindgen(getter)]
    pub fn objects(&self) -> Result<JsValue, JsError> {
        to_js(&self.objects)
    }

    /// Milliseconds per stage: `{ tracks, features, classifier, objects, masks }`.
    #[wasm_bindgen(getter)]
    pub fn times(&self) -> Result<JsValue, JsError> {
        to_js(&self.times)
    }
}
