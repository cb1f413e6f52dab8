//! Classifier parity with the official SegAnyMo code (fixtures from
//! tests/fixtures/motion/make_fixtures.py), shared by the native and browser test binaries.

use burn::tensor::Device;
use segmo::motion::inputs::sample_depth_released;
use segmo::motion::{ClassifierConfig, ClassifierInput, Init, MotionClassifier};
use segmo::weights::Bundle;
use std::collections::BTreeMap;

pub const FULL: &[u8] = include_bytes!("../fixtures/motion/full.safetensors");
pub const MOTION_ONLY: &[u8] = include_bytes!("../fixtures/motion/motion_only.safetensors");
/// The fixture script's parameter seed (`SEED` there).
pub const FIXTURE_SEED: u64 = 0x5E6_0001;

pub struct Case {
    pub config: ClassifierConfig,
    pub input: ClassifierInput,
    pub probs: Vec<f32>,
    pub motion: Vec<f32>,
    /// The official `state_dict` keys and shapes.
    pub state_dict: BTreeMap<String, Vec<usize>>,
}

pub fn load(bytes: &[u8]) -> Case {
    let b = Bundle::from_bytes(bytes).expect("fixture parses");
    let t = |name: &str| b.tensors.get(name).unwrap_or_else(|| panic!("fixture lacks {name}")).clone();
    let depth = b.metadata["depth"] == "True";
    let dino = b.metadata["dino"] == "True";
    let config = ClassifierConfig { depth, semantic_dim: if dino { 768 } else { 0 }, ..ClassifierConfig::full() };
    let xy = t("xy");
    let (n, frames) = (xy.shape[0], xy.shape[1]);
    let maps = t("depth_maps");
    let input = ClassifierInput {
        tracks: n,
        frames,
        depth: depth.then(|| sample_depth_released(&maps.data, maps.shape[1], maps.shape[2], &xy.data, n, frames)),
        xy: xy.data,
        visible: t("visible").data,
        visibility: t("visibility").data,
        confidence: t("confidence").data,
        semantic: dino.then(|| t("dino").data),
        residual: None,
    };
    let state_dict = serde_json::from_str(&b.metadata["state_dict"]).expect("state_dict metadata");
    Case { config, input, probs: t("probs").data, motion: t("motion").data, state_dict }
}

/// Max abs errors of (probabilities, motion tokens) against the official outputs, and the
/// differences between our parameter names/shapes and the official `state_dict`.
pub async fn run(bytes: &[u8], device: &Device) -> (f32, f32, Vec<String>) {
    let case = load(bytes);
    let clf = MotionClassifier::new(case.config.clone(), Init::Fixture { seed: FIXTURE_SEED }, device).unwrap();
    let ours = segmo::weights::shapes(&clf.model);
    let mut name_diffs = Vec::new();
    for (k, s) in &case.state_dict {
        match ours.get(k) {
            None => name_diffs.push(format!("missing {k}")),
            Some(o) if o != s => name_diffs.push(format!("{k}: ours {o:?}, official {s:?}")),
            _ => {}
        }
    }
    name_diffs.extend(ours.keys().filter(|k| !case.state_dict.contains_key(*k)).map(|k| format!("extra {k}")));

    let probs = clf.predict_async(&case.input).await.unwrap();
    let prepared = segmo::motion::classifier::PreparedInput::new(&case.input, &clf.config, device).unwrap();
    let motion = clf.model.joint_encoder.forward(prepared.channels, &prepared.masks).unwrap();
    let motion = segmo::device::read_tensor_async(motion).await.unwrap();
    (max_abs(&probs, &case.probs), max_abs(&motion, &case.motion), name_diffs)
}

pub fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}
