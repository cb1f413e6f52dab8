#![allow(dead_code)] // each test binary uses part of it
//! DINOv2 parity with transformers (fixtures from tests/fixtures/dino/make_fixtures.py),
//! shared by the native and browser test binaries.

use burn::tensor::{Device, Tensor, TensorData};
use segmo::features::dino::{Dino, DinoConfig, Ffn, PosInterp};
use segmo::motion::init::{initialise_by, unit, value, Init};
use segmo::weights::Bundle;

pub const SMALL: &[u8] = include_bytes!("../fixtures/dino/small.safetensors");
pub const SMALL_HUB: &[u8] = include_bytes!("../fixtures/dino/small.hub.safetensors");
pub const SMALL_REG: &[u8] = include_bytes!("../fixtures/dino/small_reg_swiglu.safetensors");
pub const SMALL_REG_HUB: &[u8] = include_bytes!("../fixtures/dino/small_reg_swiglu.hub.safetensors");
pub const VITB14: &[u8] = include_bytes!("../fixtures/dino/vitb14.safetensors");
/// The fixture script's seed (tests/fixtures/motion/make_fixtures.py `SEED`).
pub const SEED: u64 = 0x5E6_0001;

/// The script's `dino_value`: the classifier fixtures' rule, embeddings drawn from [-1, 1).
pub fn dino_value(name: &str, shape: &[usize], i: u64) -> f32 {
    let leaf = name.rsplit('.').next().unwrap_or(name);
    if ["pos_embed", "cls_token", "register_tokens", "mask_token"].contains(&leaf) {
        unit(SEED, name, i)
    } else {
        value(Init::Fixture { seed: SEED }, name, shape, i)
    }
}

/// The small test configurations (transformers' interpolation, as the fixtures ran it).
pub fn small_config(registers_swiglu: bool) -> DinoConfig {
    DinoConfig {
        name: "small".into(),
        embed_dim: 32,
        depth: 2,
        num_heads: 2,
        mlp_ratio: 4.0,
        ffn: if registers_swiglu { Ffn::SwiGlu } else { Ffn::Mlp },
        num_register_tokens: if registers_swiglu { 4 } else { 0 },
        patch_size: 14,
        patch_stride: 14,
        pos_grid: 4,
        pos_interp: if registers_swiglu { PosInterp::OFFICIAL_REGISTERS } else { PosInterp::TRANSFORMERS },
        layer_norm_eps: 1e-6,
    }
}

pub fn vitb14_config() -> DinoConfig {
    DinoConfig { pos_interp: PosInterp::TRANSFORMERS, ..DinoConfig::vitb14() }
}

pub fn fixture_model(config: DinoConfig, device: &Device) -> Dino {
    let Dino { config, model } = Dino::new(config, device).unwrap();
    Dino { config, model: initialise_by(model, dino_value) }.prepared()
}

pub struct Case {
    pub bundle: Bundle,
    pub input: Vec<usize>,
    pub key_block: usize,
    /// Token stride of the stored outputs (1: all tokens).
    pub every: usize,
}

pub fn load(bytes: &[u8]) -> Case {
    let bundle = Bundle::from_bytes(bytes).expect("fixture parses");
    let input = serde_json::from_str(&bundle.metadata["input"]).unwrap();
    let key_block = bundle.metadata.get("key_block").map_or(0, |k| k.parse().unwrap());
    let every = bundle.metadata.get("every").map_or(1, |e| e.parse().unwrap());
    Case { bundle, input, key_block, every }
}

pub fn pixels(shape: &[usize], device: &Device) -> Tensor<4> {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n as u64).map(|i| 2.0 * unit(SEED, "pixels", i)).collect();
    Tensor::from_data(TensorData::new(data, shape.to_vec()), device)
}

/// Max abs errors of (last hidden state, CLS, keys) against transformers, each divided by
/// the reference's mean absolute value (the output scale).
pub async fn run(model: &Dino, case: &Case, device: &Device) -> [f32; 3] {
    let out = model.forward(pixels(&case.input, device), Some(case.key_block)).unwrap();
    let every = |t: Tensor<3>| {
        let [b, n, d] = t.dims();
        let picked: Vec<Tensor<3>> = (0..n).step_by(case.every).map(|i| t.clone().slice([0..b, i..i + 1, 0..d])).collect();
        Tensor::cat(picked, 1)
    };
    let read = |t| segmo::device::read_tensor_async(t);
    let tokens = read(every(out.tokens.clone())).await.unwrap();
    let cls = segmo::device::read_tensor_async(out.cls()).await.unwrap();
    let keys = read(every(out.keys.clone().expect("keys asked for"))).await.unwrap();
    let t = |name: &str| &case.bundle.tensors[name].data;
    let key_name = format!("keys_block{}", case.key_block);
    [rel_err(&tokens, t("last_hidden_state")), rel_err(&cls, t("pooler_output")), rel_err(&keys, t(&key_name))]
}

pub fn rel_err(ours: &[f32], reference: &[f32]) -> f32 {
    assert_eq!(ours.len(), reference.len(), "output sizes differ");
    let scale = reference.iter().map(|v| v.abs()).sum::<f32>() / reference.len() as f32;
    ours.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) / scale
}

pub const OFFICIAL: &[u8] = include_bytes!("../fixtures/dino/official_vitb14.safetensors");
pub const SEGANYMO_S7: &[u8] = include_bytes!("../fixtures/dino/seganymo_s7.safetensors");

/// Relative errors of (CLS, patch tokens) against the official `forward_features`, and the
/// differences between our parameter names/shapes and the official state_dict.
pub async fn run_official(device: &Device) -> ([f32; 2], Vec<String>) {
    let case = load(OFFICIAL);
    let model = fixture_model(DinoConfig::vitb14(), device);
    let official: std::collections::BTreeMap<String, Vec<usize>> = serde_json::from_str(&case.bundle.metadata["state_dict"]).unwrap();
    let ours = segmo::weights::shapes(&model.model);
    let mut diffs: Vec<String> = official.iter().filter(|(k, s)| ours.get(*k) != Some(s)).map(|(k, s)| format!("{k}: official {s:?}, ours {:?}", ours.get(k))).collect();
    diffs.extend(ours.keys().filter(|k| !official.contains_key(*k)).map(|k| format!("extra {k}")));
    let out = model.forward(pixels(&case.input, device), None).unwrap();
    let [b, n, d] = out.tokens.dims();
    let patches: Vec<Tensor<3>> = (1..n).step_by(case.every).map(|i| out.tokens.clone().slice([0..b, i..i + 1, 0..d])).collect();
    let patches = segmo::device::read_tensor_async(Tensor::cat(patches, 1)).await.unwrap();
    let cls = segmo::device::read_tensor_async(out.cls()).await.unwrap();
    let t = |name: &str| &case.bundle.tensors[name].data;
    ([rel_err(&cls, t("cls")), rel_err(&patches, t("patch_tokens"))], diffs)
}

/// Relative error of SegAnyMo's stride-7 key descriptors (ViT-B/14, block 11).
pub async fn run_seganymo(device: &Device) -> f32 {
    let case = load(SEGANYMO_S7);
    let config = DinoConfig::vitb14().with_stride(7);
    let heads = config.num_heads;
    let model = fixture_model(config, device);
    let out = model.forward(pixels(&case.input, device), Some(11)).unwrap();
    let grid: [usize; 2] = serde_json::from_str(&case.bundle.metadata["grid"]).unwrap();
    assert_eq!([out.rows, out.cols], grid, "token grid");
    let map = out.seganymo_key_map(heads).unwrap(); // [1, D, rows, cols]
    let [_, d, rows, cols] = map.dims();
    let tokens = map.reshape([d, rows * cols]).transpose(); // [t, D]
    let picked: Vec<Tensor<2>> = (0..rows * cols).step_by(case.every).map(|i| tokens.clone().slice([i..i + 1, 0..d])).collect();
    let ours = segmo::device::read_tensor_async(Tensor::cat(picked, 0)).await.unwrap();
    rel_err(&ours, &case.bundle.tensors["descriptors"].data)
}
