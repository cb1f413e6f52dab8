//! Browser tests of the whole lite pipeline through the JS class, in a dedicated Web Worker as
//! the npm wrapper runs it: its CPU stages block for seconds, which a page's main thread (and
//! the test driver waiting on it) must never see.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Moving-object J of `labels` (frames concatenated) against the sample's ground truth.
fn sample_j(labels: &[u8], s: &segmo::sample::Sample) -> f64 {
    let px = s.clip.width as usize * s.clip.height as usize;
    let per_frame: Vec<f64> = labels
        .chunks_exact(px)
        .zip(&s.moving)
        .map(|(pred, gt)| {
            let inter = pred.iter().zip(&gt.labels).filter(|(&p, &g)| p > 0 && g > 0).count();
            let union = pred.iter().zip(&gt.labels).filter(|(&p, &g)| p > 0 || g > 0).count();
            if union == 0 { 1.0 } else { inter as f64 / union as f64 }
        })
        .collect();
    per_frame.iter().sum::<f64>() / per_frame.len() as f64
}

/// The whole lite pipeline (tracks, appearance, classifier with the shipped weights, objects,
/// densifier) through the JS class, on WebGPU and on the wasm CPU path: both find the sample's
/// moving objects and agree with each other.
#[wasm_bindgen_test]
async fn lite_pipeline_segments_the_sample_on_webgpu_and_wasm_cpu() {
    let s = segmo::sample::render(&segmo::sample::SampleConfig { width: 192, height: 128, frames: 12, seed: 3 });
    let frames = js_sys::Uint8Array::from(&s.clip.frames.concat()[..]);
    let mut results = Vec::new();
    for device in ["webgpu", "cpu"] {
        let mut seg = segmo::wasm::Segmo::create(Some(device.into())).await.map_err(|_| ()).unwrap();
        assert!(seg.segment(192, 128, frames.clone(), None).await.is_err(), "no weights loaded yet");
        let params = seg.load_weights(include_bytes!("../models/lite-classifier.safetensors")).map_err(|_| ()).unwrap();
        assert!(params > 1_000_000);
        let stages = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
        let log = stages.clone();
        let progress = Closure::<dyn FnMut(String, u32, u32)>::new(move |stage: String, _: u32, _: u32| log.borrow_mut().push(stage));
        let out = seg.segment(192, 128, frames.clone(), Some(progress.as_ref().unchecked_ref::<js_sys::Function>().clone())).await.map_err(|_| ()).unwrap();
        assert_eq!((out.width(), out.height(), out.num_frames()), (192, 128, 12));
        let labels = out.labels();
        let j = sample_j(&labels, &s);
        let objects = js_sys::Array::from(&out.objects().map_err(|_| ()).unwrap());
        web_sys::console::log_1(&format!("lite pipeline on {device}: J {j:.3}, {} objects, {} tracks", objects.length(), out.num_tracks()).into());
        for stage in ["tracks", "classifier", "masks"] {
            assert!(stages.borrow().iter().any(|s| s == stage), "no progress for {stage}: {:?}", stages.borrow());
        }
        assert!(j > 0.5, "{device}: J {j}");
        assert!(objects.length() >= 1);
        results.push(labels);
    }
    let differ = results[0].iter().zip(&results[1]).filter(|(a, b)| a != b).count();
    assert!((differ as f64) < 0.02 * results[0].len() as f64, "{differ} labels differ between WebGPU and CPU");
    // One frame: motion needs two.
    let mut seg = segmo::wasm::Segmo::create(Some("cpu".into())).await.map_err(|_| ()).unwrap();
    seg.load_weights(include_bytes!("../models/lite-classifier.safetensors")).map_err(|_| ()).unwrap();
    assert!(seg.segment(192, 128, frames.subarray(0, 192 * 128 * 4), None).await.is_err());
    assert!(seg.load_weights(&[1, 2, 3]).is_err(), "a corrupt weights file is refused");
}
