//! DINOv2 weights: the official checkpoint's names are our parameter paths; transformers'
//! `model.safetensors` (the hub files, and the names transformers 5 uses in memory) are renamed
//! here, q/k/v and SwiGLU halves packed as the official layout has them. The configuration is
//! read off the tensors' shapes.

use super::config::{DinoConfig, Ffn, PosInterp};
use super::model::Dino;
use crate::error::{Result, SegmoError};
use crate::weights::{Bundle, NamedTensor, WeightsError};
use burn::tensor::Device;
use std::collections::BTreeMap;

/// Where a bundle's names come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// facebookresearch/dinov2 (`blocks.0.attn.qkv.weight`): our own.
    Official,
    /// transformers' `Dinov2Model` / `Dinov2WithRegistersModel` (`encoder.layer.0...`).
    Transformers,
}

pub fn naming(bundle: &Bundle) -> Naming {
    let hf = bundle.tensors.keys().any(|k| k.starts_with("embeddings.") || k.starts_with("dinov2.embeddings."));
    if hf {
        Naming::Transformers
    } else {
        Naming::Official
    }
}

/// `bundle` with official names (a no-op for official ones).
pub fn to_official(bundle: &Bundle) -> Result<Bundle, WeightsError> {
    if naming(bundle) == Naming::Official {
        return Ok(bundle.clone());
    }
    let mut src: BTreeMap<String, NamedTensor> = bundle
        .tensors
        .iter()
        .map(|(k, v)| (k.strip_prefix("dinov2.").unwrap_or(k).to_string(), v.clone()))
        .collect();
    let mut out = BTreeMap::new();
    for (from, to) in [
        ("embeddings.cls_token", "cls_token"),
        ("embeddings.mask_token", "mask_token"),
        ("embeddings.position_embeddings", "pos_embed"),
        ("embeddings.register_tokens", "register_tokens"),
        ("embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight"),
        ("embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias"),
        ("layernorm.weight", "norm.weight"),
        ("layernorm.bias", "norm.bias"),
    ] {
        if let Some(t) = src.remove(from) {
            out.insert(to.to_string(), t);
        }
    }
    let layers: Vec<usize> = {
        let mut v: Vec<usize> = src
            .keys()
            .filter_map(|k| k.strip_prefix("encoder.layer.")?.split('.').next()?.parse().ok())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    for i in layers {
        let mut take = |from: &str| src.remove(from);
        let from = |s: &str| format!("encoder.layer.{i}.{s}");
        let to = |s: &str| format!("blocks.{i}.{s}");
        for p in ["weight", "bias"] {
            for (a, b) in [
                ("norm1", "norm1"),
                ("norm2", "norm2"),
                ("mlp.fc1", "mlp.fc1"),
                ("mlp.fc2", "mlp.fc2"),
                ("mlp.weights_in", "mlp.w12"),
                ("mlp.weights_out", "mlp.w3"),
                ("mlp.down_proj", "mlp.w3"),
                ("attention.output.dense", "attn.proj"),
                ("attention.o_proj", "attn.proj"),
            ] {
                if let Some(t) = take(&from(&format!("{a}.{p}"))) {
                    out.insert(to(&format!("{b}.{p}")), t);
                }
            }
            // q, k, v stacked along the output dimension: the official packed `qkv`.
            for names in [["attention.attention.query", "attention.attention.key", "attention.attention.value"], ["attention.q_proj", "attention.k_proj", "attention.v_proj"]] {
                let parts: Vec<Option<NamedTensor>> = names.iter().map(|n| take(&from(&format!("{n}.{p}")))).collect();
                if parts.iter().any(Option::is_some) {
                    out.insert(to(&format!("attn.qkv.{p}")), stack_rows(&from(names[0]), parts)?);
                }
            }
            // transformers 5 splits the fused SwiGLU input into gate (first half) and up.
            let halves = vec![take(&from(&format!("mlp.gate_proj.{p}"))), take(&from(&format!("mlp.up_proj.{p}")))];
            if halves.iter().any(Option::is_some) {
                out.insert(to(&format!("mlp.w12.{p}")), stack_rows(&from("mlp.gate_proj"), halves)?);
            }
        }
        for (a, b) in [("layer_scale1.lambda1", "ls1.gamma"), ("layer_scale2.lambda1", "ls2.gamma")] {
            if let Some(t) = take(&from(a)) {
                out.insert(to(b), t);
            }
        }
    }
    if !src.is_empty() {
        return Err(WeightsError::Unexpected { names: src.into_keys().collect() });
    }
    Ok(Bundle { tensors: out, metadata: bundle.metadata.clone() })
}

// Concatenates along the first dimension (row-major data: the vectors one after another).
fn stack_rows(what: &str, parts: Vec<Option<NamedTensor>>) -> Result<NamedTensor, WeightsError> {
    let n = parts.len();
    let parts: Vec<NamedTensor> = parts
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| WeightsError::Missing { name: format!("{what} (one of its {n} packed parts)") })?;
    let first = &parts[0].shape;
    for p in &parts {
        if p.shape.len() != first.len() || p.shape[1..] != first[1..] {
            return Err(WeightsError::Shape { name: what.into(), found: p.shape.clone(), expected: first.clone() });
        }
    }
    let mut shape = first.clone();
    shape[0] = parts.iter().map(|p| p.shape[0]).sum();
    Ok(NamedTensor { shape, data: parts.into_iter().flat_map(|p| p.data).collect() })
}

/// The configuration an official-named bundle was made for. DINOv2's heads are all 64-wide;
/// `num_heads` overrides that for other widths (test models).
pub fn infer_config(bundle: &Bundle, num_heads: Option<usize>) -> Result<DinoConfig, WeightsError> {
    let get = |name: &str| bundle.tensors.get(name).ok_or_else(|| WeightsError::Missing { name: name.into() });
    let bad = |name: &str, t: &NamedTensor, expected: Vec<usize>| WeightsError::Shape { name: name.into(), found: t.shape.clone(), expected };
    let cls = get("cls_token")?;
    if cls.shape.len() != 3 || cls.shape[..2] != [1, 1] {
        return Err(bad("cls_token", cls, vec![1, 1, 0]));
    }
    let d = cls.shape[2];
    let proj = get("patch_embed.proj.weight")?;
    if proj.shape.len() != 4 || proj.shape[0] != d || proj.shape[1] != 3 || proj.shape[2] != proj.shape[3] {
        return Err(bad("patch_embed.proj.weight", proj, vec![d, 3, 14, 14]));
    }
    let pos = get("pos_embed")?;
    let grid = pos.shape.get(1).map(|n| ((n.saturating_sub(1)) as f64).sqrt().round() as usize).unwrap_or(0);
    if pos.shape.len() != 3 || grid == 0 || grid * grid + 1 != pos.shape[1] {
        return Err(bad("pos_embed", pos, vec![1, 37 * 37 + 1, d]));
    }
    let depth = bundle
        .tensors
        .keys()
        .filter_map(|k| k.strip_prefix("blocks.")?.split('.').next()?.parse::<usize>().ok())
        .max()
        .map_or(0, |m| m + 1);
    if depth == 0 {
        return Err(WeightsError::Missing { name: "blocks.0.* (no transformer blocks)".into() });
    }
    let (ffn, hidden) = match (bundle.tensors.get("blocks.0.mlp.fc1.weight"), bundle.tensors.get("blocks.0.mlp.w12.weight")) {
        (Some(t), _) => (Ffn::Mlp, t.shape[0]),
        (None, Some(t)) => (Ffn::SwiGlu, t.shape[0] / 2),
        _ => return Err(WeightsError::Missing { name: "blocks.0.mlp.fc1.weight".into() }),
    };
    let registers = bundle.tensors.get("register_tokens").map_or(0, |t| t.shape.get(1).copied().unwrap_or(0));
    let name = match (d, registers > 0) {
        (384, r) => format!("vits14{}", if r { "_reg" } else { "" }),
        (768, r) => format!("vitb14{}", if r { "_reg" } else { "" }),
        (1024, r) => format!("vitl14{}", if r { "_reg" } else { "" }),
        (1536, r) => format!("vitg14{}", if r { "_reg" } else { "" }),
        _ => format!("dinov2-{d}"),
    };
    let mut config = DinoConfig {
        name,
        embed_dim: d,
        depth,
        num_heads: num_heads.unwrap_or((d / 64).max(1)),
        mlp_ratio: 4.0,
        ffn,
        num_register_tokens: registers,
        patch_size: proj.shape[2],
        patch_stride: proj.shape[2],
        pos_grid: grid,
        pos_interp: if registers > 0 { PosInterp::OFFICIAL_REGISTERS } else { PosInterp::OFFICIAL },
        layer_norm_eps: 1e-6,
    };
    // The hidden width fixes the ratio (4 for every released model).
    config.mlp_ratio = match ffn {
        Ffn::Mlp => hidden as f64 / d as f64,
        Ffn::SwiGlu => 4.0,
    };
    if config.ffn_hidden() != hidden {
        return Err(WeightsError::Shape {
            name: "blocks.0.mlp".into(),
            found: vec![hidden],
            expected: vec![config.ffn_hidden()],
        });
    }
    Ok(config)
}

/// Metadata keys of a converted bundle (`segmo convert`).
pub const META_FORMAT: &str = "segmo.format";
pub const FORMAT: &str = "dinov2";
const META_HEADS: &str = "dinov2.num_heads";
const META_INTERP: &str = "dinov2.pos_interp";

pub fn interp_name(p: PosInterp) -> &'static str {
    if p == PosInterp::TRANSFORMERS {
        "transformers"
    } else if p == PosInterp::OFFICIAL_REGISTERS {
        "antialias"
    } else {
        "official"
    }
}

fn interp_from_name(name: &str) -> Option<PosInterp> {
    match name {
        "transformers" => Some(PosInterp::TRANSFORMERS),
        "antialias" => Some(PosInterp::OFFICIAL_REGISTERS),
        "official" => Some(PosInterp::OFFICIAL),
        _ => None,
    }
}

/// The configuration a bundle of either naming describes, and its parameters with official
/// names. Transformers' files interpolate positions as transformers does (so outputs match
/// it), official ones as the official code; a converted bundle says which in its metadata.
pub fn prepare(bundle: &Bundle, num_heads: Option<usize>) -> Result<(DinoConfig, Bundle)> {
    let source = naming(bundle);
    let official = to_official(bundle)?;
    let heads = num_heads.or_else(|| bundle.metadata.get(META_HEADS).and_then(|h| h.parse().ok()));
    let mut config = infer_config(&official, heads)?;
    if source == Naming::Transformers && config.num_register_tokens == 0 {
        config.pos_interp = PosInterp::TRANSFORMERS;
    }
    if let Some(p) = bundle.metadata.get(META_INTERP) {
        config.pos_interp = interp_from_name(p)
            .ok_or_else(|| WeightsError::Metadata { key: META_INTERP.into(), found: Some(p.clone()), expected: "official, transformers or antialias".into() })?;
    }
    config.validate()?;
    Ok((config, official))
}

/// `segmo convert`: a DINOv2 checkpoint (official `.pth`, transformers `model.safetensors`, or
/// a converted bundle) -> one safetensors bundle with official names, f32 or f16, that native
/// and browser code load with [`Dino::from_bytes`]. Checked by loading it before it is written.
/// `num_heads`: only for widths other than the released models' (their heads are 64-wide).
pub fn convert(bytes: &[u8], f16: bool, num_heads: Option<usize>) -> Result<(Vec<u8>, DinoConfig)> {
    let bundle = Bundle::from_any_bytes(bytes)?;
    let (config, mut official) = prepare(&bundle, num_heads)?;
    let cpu = crate::device::ComputeDevice::cpu();
    let model = Dino::new(config.clone(), &cpu.device)?;
    official.load_into(model.model, &cpu.device)?;
    official.metadata = [
        (META_FORMAT.to_string(), FORMAT.to_string()),
        ("dinov2.name".to_string(), config.name.clone()),
        (META_HEADS.to_string(), config.num_heads.to_string()),
        (META_INTERP.to_string(), interp_name(config.pos_interp).to_string()),
    ]
    .into_iter()
    .collect();
    Ok((official.to_bytes_as(f16), config))
}

impl Dino {
    /// A model from the bytes of any accepted file (see [`convert`]).
    pub fn from_bytes(bytes: &[u8], stride: Option<usize>, device: &Device) -> Result<Self> {
        Self::from_bundle(&Bundle::from_any_bytes(bytes)?, stride, None, device)
    }

    /// A model from a bundle of either naming, its configuration read off the shapes (see
    /// [`prepare`]). `stride`: the patch stride (SegAnyMo: 7).
    pub fn from_bundle(bundle: &Bundle, stride: Option<usize>, num_heads: Option<usize>, device: &Device) -> Result<Self> {
        let (mut config, official) = prepare(bundle, num_heads)?;
        if let Some(s) = stride {
            config.patch_stride = s;
        }
        let Dino { config, model } = Dino::new(config, device)?;
        let model = official.load_into(model, device).map_err(SegmoError::from)?;
        Ok(Dino { config, model }.prepared())
    }
}
