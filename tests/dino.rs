#![cfg(not(target_arch = "wasm32"))]
//! DINOv2 against transformers and the official code on the same weights and inputs (small
//! configurations with and without registers/SwiGLU, the full ViT-B/14, and SegAnyMo's
//! stride-7 key features), on the CPU backend and on lavapipe (our WGSL attention); loading
//! transformers' hub files; strict errors on mismatched weights.

#[path = "common/dino_parity.rs"]
mod parity;

use segmo::features::dino::{weights, Dino, DinoConfig};
use segmo::weights::{Bundle, NamedTensor};
use segmo::{ComputeDevice, DevicePreference, SegmoError};

/// Max abs error over the output's mean magnitude.
const TOL: f32 = 1e-4;

fn check(device: &ComputeDevice, full: bool) {
    let mut cases = vec![("small", parity::SMALL, parity::small_config(false)), ("small_reg_swiglu", parity::SMALL_REG, parity::small_config(true))];
    if full {
        cases.push(("vitb14", parity::VITB14, parity::vitb14_config()));
    }
    for (name, bytes, config) in cases {
        let case = parity::load(bytes);
        let model = parity::fixture_model(config, &device.device);
        let errs = pollster::block_on(parity::run(&model, &case, &device.device));
        eprintln!("{name} on {}: relative max error tokens {:e}, cls {:e}, keys {:e}", device.info, errs[0], errs[1], errs[2]);
        assert!(errs.iter().all(|e| *e < TOL), "{name}: errors {errs:?} (tokens, cls, keys)");
    }
}

fn check_seganymo(device: &ComputeDevice) {
    let err = pollster::block_on(parity::run_seganymo(&device.device));
    eprintln!("SegAnyMo stride-7 keys (ViT-B/14 block 11) on {}: relative max error {err:e}", device.info);
    assert!(err < TOL, "SegAnyMo features: {err}");
}

#[test]
fn matches_transformers_on_cpu() {
    check(&ComputeDevice::cpu(), true);
}

#[test]
fn matches_the_official_code_and_seganymo_features_on_cpu() {
    let dev = ComputeDevice::cpu();
    let (errs, names) = pollster::block_on(parity::run_official(&dev.device));
    eprintln!("official ViT-B/14 on {}: relative max error cls {:e}, patch tokens {:e}", dev.info, errs[0], errs[1]);
    assert!(names.is_empty(), "parameter names differ from the official state_dict: {names:?}");
    assert!(errs.iter().all(|e| *e < TOL), "official: {errs:?}");
    check_seganymo(&dev);
}

// On lavapipe ViT-B/14 runs once, in SegAnyMo's stride-7 mode (285 tokens through our WGSL
// attention with 64-wide heads); the 224x224 cases differ from it only on the host side.
#[test]
fn matches_transformers_and_seganymo_on_gpu() {
    let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    check(&dev, false);
    check_seganymo(&dev);
}

#[test]
fn loads_transformers_hub_files() {
    // The files save_pretrained wrote hold the fixture's weights under hub names; loaded
    // through the renaming they must give the same outputs as the fixture rule.
    let dev = ComputeDevice::cpu();
    for (hub, bytes, heads) in [(parity::SMALL_HUB, parity::SMALL, 2), (parity::SMALL_REG_HUB, parity::SMALL_REG, 2)] {
        let bundle = Bundle::from_bytes(hub).unwrap();
        assert_eq!(weights::naming(&bundle), weights::Naming::Transformers);
        let model = Dino::from_bundle(&bundle, None, Some(heads), &dev.device).unwrap();
        let case = parity::load(bytes);
        let errs = pollster::block_on(parity::run(&model, &case, &dev.device));
        assert!(errs.iter().all(|e| *e < TOL), "{}: {errs:?}", model.config.name);
    }
}

#[test]
fn vitb14_hub_names_map_onto_the_official_shapes() {
    // facebook/dinov2-base's names and shapes (as save_pretrained writes them) become exactly
    // our parameter paths and shapes, and the configuration read off them is ViT-B/14.
    let case = parity::load(parity::VITB14);
    let hub: std::collections::BTreeMap<String, Vec<usize>> = serde_json::from_str(&case.bundle.metadata["hub_shapes"]).unwrap();
    let bundle = Bundle {
        tensors: hub.into_iter().map(|(k, shape)| (k, NamedTensor { data: vec![0.0; shape.iter().product()], shape })).collect(),
        metadata: Default::default(),
    };
    let official = weights::to_official(&bundle).unwrap();
    let config = weights::infer_config(&official, None).unwrap();
    assert_eq!(config, DinoConfig::vitb14());
    let ours = segmo::weights::shapes(&Dino::new(config, &ComputeDevice::cpu().device).unwrap().model);
    let theirs: std::collections::BTreeMap<String, Vec<usize>> = official.tensors.iter().map(|(k, t)| (k.clone(), t.shape.clone())).collect();
    assert_eq!(ours, theirs);
}

#[test]
fn a_wrong_parameter_changes_the_output() {
    // The parity check can fail: one LayerScale gain of the last block off by 10%.
    let dev = ComputeDevice::cpu();
    let case = parity::load(parity::SMALL);
    let model = parity::fixture_model(parity::small_config(false), &dev.device);
    let mut bundle = Bundle::from_module(&model.model);
    for v in &mut bundle.tensors.get_mut("blocks.1.ls2.gamma").unwrap().data {
        *v *= 1.1;
    }
    let changed = Dino::from_bundle(&bundle, None, Some(2), &dev.device).unwrap();
    let changed = Dino { config: parity::small_config(false), model: changed.model };
    let errs = pollster::block_on(parity::run(&changed, &case, &dev.device));
    assert!(errs[0] > 10.0 * TOL, "{errs:?}");
}

#[test]
fn prepacked_weights_keep_their_values_and_outputs() {
    // `prepared()` changes the memory order of linear weights on the CPU backend: the saved
    // bundle must be byte-identical and the forward pass must not notice.
    let dev = ComputeDevice::cpu();
    let case = parity::load(parity::SMALL);
    let packed = parity::fixture_model(parity::small_config(false), &dev.device);
    let plain = Dino::new(parity::small_config(false), &dev.device).unwrap();
    let plain = Dino { config: plain.config, model: Bundle::from_module(&packed.model).load_into(plain.model, &dev.device).unwrap() };
    assert_eq!(Bundle::from_module(&plain.model).to_bytes(), Bundle::from_module(&packed.model).to_bytes());
    let a = pollster::block_on(parity::run(&plain, &case, &dev.device));
    let b = pollster::block_on(parity::run(&packed, &case, &dev.device));
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-6, "plain {a:?} vs prepacked {b:?}");
    }
}

#[test]
fn mismatched_weights_name_the_tensor() {
    let dev = ComputeDevice::cpu();
    let model = parity::fixture_model(parity::small_config(false), &dev.device);
    let good = Bundle::from_module(&model.model);
    let err = |b: &Bundle| Dino::from_bundle(b, None, Some(2), &dev.device).unwrap_err().to_string();

    let mut b = good.clone();
    b.tensors.get_mut("blocks.0.attn.qkv.weight").unwrap().shape = vec![32, 96];
    let e = err(&b);
    assert!(e.contains("blocks.0.attn.qkv.weight") && e.contains("[32, 96]") && e.contains("[96, 32]"), "{e}");

    let mut b = good.clone();
    b.tensors.remove("blocks.1.mlp.fc2.bias");
    let e = err(&b);
    assert!(e.contains("blocks.1.mlp.fc2.bias") && e.contains("missing"), "{e}");

    let mut b = good.clone();
    b.tensors.remove("cls_token");
    assert!(err(&b).contains("cls_token"));

    // A transformers file with one of q/k/v missing.
    let mut hub = Bundle::from_bytes(parity::SMALL_HUB).unwrap();
    hub.tensors.remove("encoder.layer.0.attention.attention.key.weight");
    let e = err(&hub);
    assert!(e.contains("encoder.layer.0.attention.attention.query") && e.contains("missing"), "{e}");

    // A classifier head beside the backbone: not DINOv2 alone.
    let mut b = good;
    b.tensors.insert("head.weight".into(), NamedTensor { shape: vec![2], data: vec![0.0; 2] });
    assert!(err(&b).contains("head.weight"));

    // Truncated bytes.
    let bytes = Bundle::from_module(&model.model).to_bytes();
    let e = Bundle::from_bytes(&bytes[..bytes.len() / 2]).map_err(SegmoError::from).unwrap_err().to_string();
    assert!(e.contains("safetensors"), "{e}");
}

#[test]
fn bad_inputs_are_errors() {
    let dev = ComputeDevice::cpu();
    let model = parity::fixture_model(parity::small_config(false), &dev.device);
    let e = model.forward(parity::pixels(&[1, 3, 10, 40], &dev.device), None).unwrap_err().to_string();
    assert!(e.contains("smaller than one 14x14 patch"), "{e}");
    let e = model.forward(parity::pixels(&[1, 4, 28, 28], &dev.device), None).unwrap_err().to_string();
    assert!(e.contains("RGB"), "{e}");
    let e = model.forward(parity::pixels(&[1, 3, 28, 28], &dev.device), Some(2)).unwrap_err().to_string();
    assert!(e.contains("no block 2"), "{e}");
}

#[test]
fn loads_an_official_torch_checkpoint() {
    // The official code's small model saved by torch.save: read from the .pth bytes, its
    // parameters are exactly the fixture rule's.
    let dev = ComputeDevice::cpu();
    let bundle = Bundle::from_any_bytes(include_bytes!("fixtures/dino/small_official.pth")).unwrap();
    assert_eq!(weights::naming(&bundle), weights::Naming::Official);
    let loaded = Dino::from_bundle(&bundle, None, Some(2), &dev.device).unwrap();
    let expected = parity::fixture_model(DinoConfig { pos_interp: segmo::features::dino::PosInterp::OFFICIAL, ..parity::small_config(false) }, &dev.device);
    assert_eq!(DinoConfig { name: "small".into(), ..loaded.config.clone() }, expected.config);
    assert_eq!(Bundle::from_module(&loaded.model), Bundle::from_module(&expected.model));
}

#[test]
fn convert_writes_bundles_that_load_alike() {
    // transformers' hub file and the official .pth, converted (f32 and f16) and loaded back
    // from bytes: the same model (f16 within its rounding), the interpolation rule kept.
    let dev = ComputeDevice::cpu();
    let case = parity::load(parity::SMALL);
    for f16 in [false, true] {
        let (bytes, config) = weights::convert(parity::SMALL_HUB, f16, Some(2)).unwrap();
        assert_eq!(config.pos_interp, segmo::features::dino::PosInterp::TRANSFORMERS);
        let model = Dino::from_bytes(&bytes, None, &dev.device).unwrap();
        assert_eq!(model.config.num_heads, 2, "heads kept in the bundle's metadata");
        let errs = pollster::block_on(parity::run(&model, &case, &dev.device));
        let tol = if f16 { 2e-2 } else { TOL };
        eprintln!("converted transformers file ({}): relative errors {errs:?}", if f16 { "f16" } else { "f32" });
        assert!(errs.iter().all(|e| *e < tol), "f16 {f16}: {errs:?}");
    }
    let (bytes, config) = weights::convert(include_bytes!("fixtures/dino/small_official.pth"), false, Some(2)).unwrap();
    assert_eq!(config.pos_interp, segmo::features::dino::PosInterp::OFFICIAL);
    let loaded = Dino::from_bytes(&bytes, None, &dev.device).unwrap();
    let expected = parity::fixture_model(DinoConfig { pos_interp: segmo::features::dino::PosInterp::OFFICIAL, ..parity::small_config(false) }, &dev.device);
    assert_eq!(Bundle::from_module(&loaded.model), Bundle::from_module(&expected.model));
    // Not DINOv2 at all: the shipped classifier's weights.
    let e = weights::convert(include_bytes!("../models/lite-classifier.safetensors"), false, None).unwrap_err().to_string();
    assert!(e.contains("cls_token"), "{e}");
}

#[test]
fn f16_weights_accuracy_on_vitb14() {
    // ViT-B/14 with every parameter rounded to f16 (what an f16 bundle stores) against the
    // transformers outputs of the f32 weights.
    let dev = ComputeDevice::cpu();
    let case = parity::load(parity::VITB14);
    let model = parity::fixture_model(parity::vitb14_config(), &dev.device);
    let rounded = Bundle::from_bytes(&Bundle::from_module(&model.model).to_bytes_as(true)).unwrap();
    let model = Dino { config: model.config.clone(), model: rounded.load_into(model.model, &dev.device).unwrap() };
    let errs = pollster::block_on(parity::run(&model, &case, &dev.device));
    eprintln!("ViT-B/14, f16 weights: relative max errors tokens {:e}, cls {:e}, keys {:e}", errs[0], errs[1], errs[2]);
    assert!(errs.iter().all(|e| *e < 2e-2), "{errs:?}");
}

#[test]
fn f16_storage_on_gpu_and_refused_on_the_cpu() {
    // ViT-B/14 with weights and activations stored in f16 on a shader-f16 adapter (lavapipe
    // has it), against transformers' f32 outputs: half the memory for a rounding-sized error.
    let cpu = ComputeDevice::cpu();
    let model = parity::fixture_model(parity::small_config(false), &cpu.device);
    match model.with_f16_storage(&cpu) {
        Err(SegmoError::BadInput(m)) => assert!(m.contains("shader-f16"), "{m}"),
        other => panic!("expected a BadInput error on the CPU, got {:?}", other.map(|_| ())),
    }
    let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    if !dev.info.shader_f16 {
        eprintln!("{} has no shader-f16: nothing more to test", dev.info);
        return;
    }
    let case = parity::load(parity::VITB14);
    let model = parity::fixture_model(parity::vitb14_config(), &dev.device).with_f16_storage(&dev).unwrap();
    assert_eq!(model.storage_dtype(), burn::tensor::DType::F16);
    let errs = pollster::block_on(parity::run(&model, &case, &dev.device));
    eprintln!("ViT-B/14, f16 storage on {}: relative max errors tokens {:e}, cls {:e}, keys {:e}", dev.info, errs[0], errs[1], errs[2]);
    // Measured on lavapipe: 1.7e-2 (tokens), 6.3e-3 (CLS), 9.5e-3 (keys); f16 weights alone
    // give 2e-3, the rest is activations rounded to f16 between layers. A wrong parameter or
    // layout gives errors of order 1.
    assert!(errs.iter().all(|e| *e < 3e-2), "{errs:?}");
}
