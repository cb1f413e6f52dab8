//! Official PyTorch checkpoints (`.pth`/`.pt` written by `torch.save`) read from bytes, natively
//! and in the browser alike, into a [`Bundle`] of f32 tensors. The zip archive's `data.pkl` is
//! interpreted without running code (see [`pickle`]); tensors are gathered from their storages
//! (`data/<key>`) by offset, size and stride.

pub mod pickle;
pub mod zip;

use crate::weights::{f16_to_f32, Bundle, NamedTensor, WeightsError};
use pickle::{TensorRef, Value};

fn fmt(m: String) -> WeightsError {
    WeightsError::Format(format!("torch checkpoint: {m}"))
}

/// Whether `bytes` look like a torch checkpoint (a zip archive) rather than safetensors.
pub fn is_torch_checkpoint(bytes: &[u8]) -> bool {
    zip::is_zip(bytes)
}

/// The float tensors of the checkpoint's state dict, by name. A checkpoint holding the state
/// dict under `state_dict`, `model_state_dict`, `model`, `teacher` or `module` is unwrapped
/// (SegAnyMo saves `{'model_state_dict': ...}`); a `module.` prefix (DataParallel) is removed.
/// Integer buffers (`num_batches_tracked`) are left out.
pub fn load(bytes: &[u8]) -> Result<Bundle, WeightsError> {
    if !zip::is_zip(bytes) {
        return Err(fmt("not a zip archive (torch.save has written zip files since PyTorch 1.6; re-save older files)".into()));
    }
    let entries = zip::entries(bytes)?;
    let (pkl_name, pkl) = entries
        .iter()
        .find(|(k, _)| k.ends_with("data.pkl"))
        .ok_or_else(|| fmt("no data.pkl in the archive".into()))?;
    let root = pkl_name.trim_end_matches("data.pkl").to_string();
    let big_endian = entries.get(&format!("{root}byteorder")).is_some_and(|b| b.starts_with(b"big"));
    if big_endian {
        return Err(fmt("big-endian checkpoints are not supported".into()));
    }
    let value = pickle::load(pkl)?;
    let dict = state_dict(&value).ok_or_else(|| fmt("no state dict of tensors found in the checkpoint".into()))?;
    let mut bundle = Bundle::default();
    for (name, t) in dict {
        let name = name.strip_prefix("module.").unwrap_or(&name).to_string();
        let Some(width) = float_width(&t.storage_type) else { continue };
        let storage = entries
            .get(&format!("{root}data/{}", t.storage))
            .ok_or_else(|| fmt(format!("tensor {name}: storage data/{} missing from the archive", t.storage)))?;
        let data = gather(&name, &t, storage, width)?;
        bundle.tensors.insert(name, NamedTensor { shape: t.size.clone(), data });
    }
    if bundle.tensors.is_empty() {
        return Err(fmt("the state dict holds no float tensors".into()));
    }
    Ok(bundle)
}

// Bytes per element of the float storage types; None for integer storages.
fn float_width(storage_type: &str) -> Option<usize> {
    match storage_type {
        "FloatStorage" => Some(4),
        "HalfStorage" => Some(2),
        "BFloat16Storage" => Some(3), // 2 bytes; 3 tells `read` which 16-bit format
        "DoubleStorage" => Some(8),
        _ => None,
    }
}

fn read(raw: &[u8], width: usize, i: usize) -> f32 {
    match width {
        4 => f32::from_le_bytes(raw[4 * i..4 * i + 4].try_into().unwrap()),
        2 => f16_to_f32(u16::from_le_bytes([raw[2 * i], raw[2 * i + 1]])),
        3 => f32::from_bits((u16::from_le_bytes([raw[2 * i], raw[2 * i + 1]]) as u32) << 16),
        _ => f64::from_le_bytes(raw[8 * i..8 * i + 8].try_into().unwrap()) as f32,
    }
}

fn gather(name: &str, t: &TensorRef, storage: &[u8], width: usize) -> Result<Vec<f32>, WeightsError> {
    let bytes_per = if width == 3 { 2 } else { width };
    let elements = storage.len() / bytes_per;
    if t.size.len() != t.stride.len() {
        return Err(fmt(format!("tensor {name}: size {:?} and stride {:?} differ in rank", t.size, t.stride)));
    }
    let count: usize = t.size.iter().product();
    if count == 0 {
        return Ok(Vec::new());
    }
    let last = t.offset + t.size.iter().zip(&t.stride).map(|(s, st)| (s - 1) * st).sum::<usize>();
    if last >= elements {
        return Err(fmt(format!(
            "tensor {name}: shape {:?} at offset {} needs element {last} of a storage of {elements} (truncated or corrupt file?)",
            t.size, t.offset
        )));
    }
    let mut out = Vec::with_capacity(count);
    let mut index = vec![0usize; t.size.len()];
    for _ in 0..count {
        let at = t.offset + index.iter().zip(&t.stride).map(|(i, s)| i * s).sum::<usize>();
        out.push(read(storage, width, at));
        for d in (0..index.len()).rev() {
            index[d] += 1;
            if index[d] < t.size[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

fn tensors_of(v: &Value) -> Option<Vec<(String, TensorRef)>> {
    let Value::Dict(items) = v else { return None };
    let tensors: Vec<(String, TensorRef)> = items
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (Value::Str(k), Value::Tensor(t)) => Some((k.clone(), t.clone())),
            _ => None,
        })
        .collect();
    (!tensors.is_empty()).then_some(tensors)
}

fn state_dict(v: &Value) -> Option<Vec<(String, TensorRef)>> {
    if let Some(t) = tensors_of(v) {
        return Some(t);
    }
    let Value::Dict(items) = v else { return None };
    for key in ["state_dict", "model_state_dict", "model", "teacher", "module"] {
        let found = items.iter().find(|(k, _)| *k == Value::Str(key.into()));
        if let Some(t) = found.and_then(|(_, v)| tensors_of(v)) {
            return Some(t);
        }
    }
    None
}
