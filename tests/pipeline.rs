#![cfg(not(target_arch = "wasm32"))]
//! The lite pipeline end to end on rendered clips: tracks, scores, objects, dense masks.

use segmo::pipeline::{segment_lite, LiteOptions, Scorer};
use segmo::sample::{render, SampleConfig};
use segmo::{Clip, ComputeDevice};

fn iou(pred: &[u8], gt: &[u8]) -> f64 {
    let (mut inter, mut union) = (0usize, 0usize);
    for (&p, &g) in pred.iter().zip(gt) {
        inter += (p > 0 && g > 0) as usize;
        union += (p > 0 || g > 0) as usize;
    }
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

#[test]
fn heuristic_pipeline_finds_the_moving_objects_of_the_sample() {
    let s = render(&SampleConfig { width: 256, height: 160, frames: 16, seed: 7 });
    let seg = segment_lite(&s.clip, Scorer::Heuristic, &LiteOptions::default(), &ComputeDevice::cpu(), |_, _, _| {}).unwrap();
    assert_eq!(seg.labels.len(), 16);
    assert!(seg.objects.count >= 1, "{:?}", seg.objects.threshold);
    let j: f64 = seg.labels.iter().zip(&s.moving).map(|(p, g)| iou(&p.labels, &g.labels)).sum::<f64>() / 16.0;
    eprintln!("heuristic on the sample: mean J {j:.3}, {} objects", seg.objects.count);
    assert!(j > 0.3, "mean J {j}");
}

#[test]
fn a_single_frame_is_refused_and_a_flat_clip_segments_nothing() {
    let one = Clip::new(32, 24, vec![vec![128; 32 * 24 * 4]]).unwrap();
    let e = segment_lite(&one, Scorer::Heuristic, &LiteOptions::default(), &ComputeDevice::cpu(), |_, _, _| {});
    assert!(e.is_err());
    let e = e.err().unwrap().to_string();
    assert!(e.contains("2 frames"), "{e}");
    let flat = Clip::new(48, 32, vec![vec![77; 48 * 32 * 4]; 6]).unwrap();
    let seg = segment_lite(&flat, Scorer::Heuristic, &LiteOptions::default(), &ComputeDevice::cpu(), |_, _, _| {}).unwrap();
    assert_eq!(seg.objects.count, 0);
    assert!(seg.labels.iter().all(|l| l.labels.iter().all(|&v| v == 0)));
}

#[test]
fn gpu_pipeline_agrees_with_the_cpu_pipeline() {
    let s = render(&SampleConfig { width: 192, height: 128, frames: 10, seed: 3 });
    let gpu = segmo::ComputeDevice::select(segmo::DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let opts = LiteOptions::default();
    let a = segment_lite(&s.clip, Scorer::Heuristic, &opts, &ComputeDevice::cpu(), |_, _, _| {}).unwrap();
    let b = segment_lite(&s.clip, Scorer::Heuristic, &opts, &gpu, |_, _, _| {}).unwrap();
    assert_eq!(a.objects.count, b.objects.count);
    let total = 192 * 128 * 10;
    let differ: usize = a.labels.iter().zip(&b.labels).map(|(x, y)| x.labels.iter().zip(&y.labels).filter(|(p, q)| p != q).count()).sum();
    assert!((differ as f64) < 0.01 * total as f64, "{differ} of {total} labels differ");
}
