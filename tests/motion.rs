#![cfg(not(target_arch = "wasm32"))]
//! The track classifier against the official SegAnyMo code on the same weights and inputs, on
//! the CPU backend and on lavapipe (our WGSL attention), plus strict weight loading.

#[path = "common/motion_parity.rs"]
mod parity;

use segmo::motion::{ClassifierConfig, Init, MotionClassifier};
use segmo::weights::{Bundle, NamedTensor};
use segmo::{ComputeDevice, DevicePreference, SegmoError};

/// Probabilities and motion tokens are O(1); 1e-4 of that.
const TOL: f32 = 1e-4;

fn check(device: &ComputeDevice) {
    for (name, bytes) in [("full", parity::FULL), ("motion_only", parity::MOTION_ONLY)] {
        let (probs, motion, names) = pollster::block_on(parity::run(bytes, &device.device));
        eprintln!("{name} on {}: probs max err {probs:e}, motion tokens max err {motion:e}", device.info);
        assert!(names.is_empty(), "{name}: parameter names differ from the official state_dict: {names:?}");
        assert!(probs < TOL && motion < TOL, "{name}: probs err {probs}, motion err {motion}");
    }
}

#[test]
fn matches_official_code_on_cpu() {
    check(&ComputeDevice::cpu());
}

#[test]
fn matches_official_code_on_gpu() {
    check(&ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)"));
}

#[test]
fn a_wrong_parameter_changes_the_output() {
    // The parity check can fail: one gain off by 10% moves the probabilities well past TOL.
    let dev = ComputeDevice::cpu();
    let case = parity::load(parity::FULL);
    let clf = MotionClassifier::new(case.config.clone(), Init::Fixture { seed: parity::FIXTURE_SEED }, &dev.device).unwrap();
    let mut bundle = clf.to_bundle();
    let gain = bundle.tensors.get_mut("decoder.decoders.3.norm3.weight").unwrap();
    gain.data.iter_mut().for_each(|v| *v *= 1.1);
    let changed = MotionClassifier::from_bundle(case.config.clone(), &bundle, &dev.device).unwrap();
    let err = parity::max_abs(&changed.predict(&case.input).unwrap(), &case.probs);
    assert!(err > 10.0 * TOL, "a changed parameter went unnoticed ({err})");
}

#[test]
fn weights_round_trip_and_mismatches_name_the_tensor() {
    let dev = ComputeDevice::cpu();
    let config = ClassifierConfig::lite(8);
    let clf = MotionClassifier::new(config.clone(), Init::Fixture { seed: 3 }, &dev.device).unwrap();
    let bytes = clf.to_bundle().to_bytes();
    let loaded = MotionClassifier::from_bytes(config.clone(), &bytes, &dev.device).unwrap();
    assert_eq!(Bundle::from_module(&loaded.model), Bundle::from_module(&clf.model));

    let err = |r: Result<MotionClassifier, SegmoError>| r.unwrap_err().to_string();
    // Another configuration's file: refused by its signature before any tensor is compared.
    let full = MotionClassifier::from_bytes(ClassifierConfig::full(), &bytes, &dev.device);
    assert!(err(full).contains("segmo.classifier"));
    let mut bundle = clf.to_bundle();
    bundle.metadata.clear();
    let mut b = bundle.clone();
    b.tensors.get_mut("joint_encoder.input_fc1.weight").unwrap().shape = vec![16, 87, 1, 1];
    let e = err(MotionClassifier::from_bundle(config.clone(), &b, &dev.device));
    assert!(e.contains("joint_encoder.input_fc1.weight") && e.contains("[16, 87, 1, 1]"), "{e}");
    let mut b = bundle.clone();
    b.tensors.remove("decoder.output_layer.bias");
    let e = err(MotionClassifier::from_bundle(config.clone(), &b, &dev.device));
    assert!(e.contains("decoder.output_layer.bias") && e.contains("missing"), "{e}");
    let mut b = bundle.clone();
    b.tensors.insert("decoder.extra.weight".into(), NamedTensor { shape: vec![1], data: vec![0.0] });
    let e = err(MotionClassifier::from_bundle(config.clone(), &b, &dev.device));
    assert!(e.contains("decoder.extra.weight"), "{e}");
    let mut b = bundle.clone();
    b.tensors.get_mut("decoder.embedding.embedding.bias").unwrap().data[5] = f32::NAN;
    let e = err(MotionClassifier::from_bundle(config.clone(), &b, &dev.device));
    assert!(e.contains("decoder.embedding.embedding.bias") && e.contains("non-finite"), "{e}");
    let e = err(MotionClassifier::from_bytes(config, &bytes[..bytes.len() / 2], &dev.device));
    assert!(e.contains("truncated"), "{e}");
}
