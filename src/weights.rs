//! Safetensors bundles from bytes, and loading them into our modules by parameter path.
//!
//! Our model structs keep the official checkpoints' parameter names and shapes (torch layout:
//! `Linear.weight` is `[out, in]`), so a bundle written from an official `state_dict` loads
//! with no renames, and a mismatch is reported by the official name.
//!
//! The format: an 8-byte little-endian header length, a JSON header mapping each name to
//! `{dtype, shape, data_offsets}` (plus an optional `__metadata__` string map), then the raw
//! little-endian data. Read here without a dependency beyond serde_json, because the browser
//! build loads bundles from a fetched `ArrayBuffer` the same way.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// What went wrong reading or applying a bundle; each names the file part or tensor at fault.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WeightsError {
    #[error("weights: not a safetensors file ({0})")]
    Format(String),
    #[error("weights: tensor {name} has dtype {dtype}, expected F32, F16 or BF16")]
    Dtype { name: String, dtype: String },
    #[error("weights: tensor {name} has shape {found:?}, expected {expected:?}")]
    Shape { name: String, found: Vec<usize>, expected: Vec<usize> },
    #[error("weights: tensor {name} is missing (the model needs it; is this the right model's file?)")]
    Missing { name: String },
    #[error("weights: unexpected tensors {names:?} (the file is for a different model or configuration)")]
    Unexpected { names: Vec<String> },
    #[error("weights: tensor {name} holds a non-finite value at index {index}")]
    NonFinite { name: String, index: usize },
    #[error("weights: metadata {key} is {found:?}, expected {expected:?}")]
    Metadata { key: String, found: Option<String>, expected: String },
}

/// One tensor of a bundle, converted to f32.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A parsed bundle: tensors by name plus the free-form metadata map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bundle {
    pub tensors: BTreeMap<String, NamedTensor>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

impl Bundle {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        let fmt = |m: String| WeightsError::Format(m);
        if bytes.len() < 8 {
            return Err(fmt(format!("{} bytes, shorter than the 8-byte header length", bytes.len())));
        }
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        let data_start = 8u64
            .checked_add(header_len)
            .filter(|&end| end <= bytes.len() as u64)
            .ok_or_else(|| fmt(format!("header of {header_len} bytes runs past the end of a {}-byte file", bytes.len())))?
            as usize;
        let header: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..data_start])
            .map_err(|e| fmt(format!("header is not a JSON object: {e}")))?;
        let data = &bytes[data_start..];
        let mut bundle = Bundle::default();
        for (name, value) in header {
            if name == "__metadata__" {
                bundle.metadata = serde_json::from_value(value)
                    .map_err(|e| fmt(format!("__metadata__ is not a string map: {e}")))?;
                continue;
            }
            let entry: Entry =
                serde_json::from_value(value).map_err(|e| fmt(format!("entry {name}: {e}")))?;
            let count = entry.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            let width = match entry.dtype.as_str() {
                "F32" => 4,
                "F16" | "BF16" => 2,
                _ => return Err(WeightsError::Dtype { name, dtype: entry.dtype }),
            };
            let [begin, end] = entry.data_offsets;
            let expected_bytes = count.and_then(|c| c.checked_mul(width));
            if end < begin || end > data.len() || Some(end - begin) != expected_bytes {
                return Err(fmt(format!(
                    "tensor {name}: bytes {begin}..{end} of a {}-byte data section, but shape {:?} of {} needs {} bytes (truncated or corrupt file?)",
                    data.len(),
                    entry.shape,
                    entry.dtype,
                    expected_bytes.map_or("too many".to_string(), |b| b.to_string())
                )));
            }
            let raw = &data[begin..end];
            let values: Vec<f32> = match width {
                4 => raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
                _ if entry.dtype == "F16" => {
                    raw.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect()
                }
                _ => raw
                    .chunks_exact(2)
                    .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                    .collect(),
            };
            bundle.tensors.insert(name, NamedTensor { shape: entry.shape, data: values });
        }
        Ok(bundle)
    }

    /// A safetensors file, or a PyTorch checkpoint (`torch.save` zip) read through
    /// [`crate::pth`].
    pub fn from_any_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        if crate::pth::is_torch_checkpoint(bytes) {
            crate::pth::load(bytes)
        } else {
            Self::from_bytes(bytes)
        }
    }

    /// The bundle as safetensors bytes (all tensors f32, names sorted).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_as(false)
    }

    /// The bundle as safetensors bytes, every tensor f16 (round to nearest even; values past
    /// f16's range become infinities, which loading then rejects) when `f16`, else f32.
    pub fn to_bytes_as(&self, f16: bool) -> Vec<u8> {
        let width = if f16 { 2 } else { 4 };
        let dtype = if f16 { "F16" } else { "F32" };
        let mut header = serde_json::Map::new();
        if !self.metadata.is_empty() {
            header.insert("__metadata__".into(), serde_json::to_value(&self.metadata).unwrap());
        }
        let mut offset = 0usize;
        for (name, t) in &self.tensors {
            let len = t.data.len() * width;
            header.insert(
                name.clone(),
                serde_json::json!({"dtype": dtype, "shape": t.shape, "data_offsets": [offset, offset + len]}),
            );
            offset += len;
        }
        let mut json = serde_json::to_vec(&header).unwrap();
        // Data starts 8-byte aligned, as the reference writer does, so readers may map it in place.
        while (json.len() + 8) % 8 != 0 {
            json.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + json.len() + offset);
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        for t in self.tensors.values() {
            if f16 {
                out.extend(t.data.iter().flat_map(|&v| f32_to_f16(v).to_le_bytes()));
            } else {
                out.extend(t.data.iter().flat_map(|v| v.to_le_bytes()));
            }
        }
        out
    }

    /// Errors unless `metadata[key] == expected`: a bundle written for another model or
    /// configuration is caught before any tensor is compared.
    pub fn expect_metadata(&self, key: &str, expected: &str) -> Result<(), WeightsError> {
        match self.metadata.get(key) {
            Some(v) if v == expected => Ok(()),
            found => Err(WeightsError::Metadata { key: key.into(), found: found.cloned(), expected: expected.into() }),
        }
    }

    /// Every float parameter of `module`, by dotted path, as a bundle (reads the values back
    /// synchronously: native only).
    #[cfg(not(target_family = "wasm"))]
    pub fn from_module<M: Module>(module: &M) -> Self {
        let mut collect = Collect { path: Vec::new(), bundle: Bundle::default() };
        module.visit(&mut collect);
        collect.bundle
    }

    /// `module` with every float parameter replaced by the tensor of the same path, on
    /// `device`. Strict: a missing, misshapen, non-finite or left-over tensor is an error that
    /// names it; nothing is half-loaded (the module is returned only on success).
    pub fn load_into<M: Module>(&self, module: M, device: &Device) -> Result<M, WeightsError> {
        let mut apply = Apply { path: Vec::new(), bundle: self, device: device.clone(), used: BTreeSet::new(), error: None };
        let module = module.map(&mut apply);
        if let Some(e) = apply.error {
            return Err(e);
        }
        let unexpected: Vec<String> =
            self.tensors.keys().filter(|k| !apply.used.contains(*k)).cloned().collect();
        if !unexpected.is_empty() {
            return Err(WeightsError::Unexpected { names: unexpected });
        }
        Ok(module)
    }
}

/// Every float parameter's dotted path and shape, without reading any values (usable where
/// blocking reads are impossible, in the browser).
pub fn shapes<M: Module>(module: &M) -> BTreeMap<String, Vec<usize>> {
    let mut s = Shapes { path: Vec::new(), shapes: BTreeMap::new() };
    module.visit(&mut s);
    s.shapes
}

struct Shapes {
    path: Vec<String>,
    shapes: BTreeMap<String, Vec<usize>>,
}

impl ModuleVisitor for Shapes {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.shapes.insert(self.path.join("."), param.val().dims().to_vec());
    }
}

#[cfg(not(target_family = "wasm"))]
struct Collect {
    path: Vec<String>,
    bundle: Bundle,
}

#[cfg(not(target_family = "wasm"))]
impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let shape = value.dims().to_vec();
        let data = value.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 parameter");
        self.bundle.tensors.insert(self.path.join("."), NamedTensor { shape, data });
    }
}

struct Apply<'a> {
    path: Vec<String>,
    bundle: &'a Bundle,
    device: Device,
    used: BTreeSet<String>,
    error: Option<WeightsError>,
}

impl ModuleMapper for Apply<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let name = self.path.join(".");
        let expected = param.val().dims().to_vec();
        let Some(t) = self.bundle.tensors.get(&name) else {
            self.error = Some(WeightsError::Missing { name });
            return param;
        };
        if t.shape != expected {
            self.error = Some(WeightsError::Shape { name, found: t.shape.clone(), expected });
            return param;
        }
        if let Some(index) = t.data.iter().position(|v| !v.is_finite()) {
            self.error = Some(WeightsError::NonFinite { name, index });
            return param;
        }
        self.used.insert(name);
        let tensor = Tensor::<D>::from_data(TensorData::new(t.data.clone(), t.shape.clone()), &self.device);
        let id: ParamId = param.id;
        let require_grad = param.val().is_require_grad();
        Param::initialized(id, tensor.set_require_grad(require_grad))
    }
}

/// IEEE half to single precision (exact: every f16 is an f32).
/// IEEE binary16 of `x`, rounded to nearest even (subnormals kept, overflow to infinity).
pub fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let man = bits & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        // Subnormal: shift the implicit-one mantissa into place, rounding to nearest even.
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rest = m & ((1u32 << shift) - 1);
        let mut h = (m >> shift) as u16;
        if rest > half || (rest == half && h & 1 == 1) {
            h += 1;
        }
        return sign | h;
    }
    let mut h = ((e as u32) << 10 | (man >> 13)) as u16;
    let rest = man & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1; // a carry into the exponent is the correct rounding (up to infinity)
    }
    sign | h
}

pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match exp {
        0 if frac == 0 => sign,
        0 => {
            // Subnormal: renormalise the fraction.
            let shift = frac.leading_zeros() - 21;
            let frac = (frac << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (frac << 13)
        }
        0x1f => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        let mut b = Bundle::default();
        b.tensors.insert("a.weight".into(), NamedTensor { shape: vec![2, 3], data: vec![1.0, -2.0, 3.5, 0.0, 1e-3, 7.0] });
        b.tensors.insert("a.bias".into(), NamedTensor { shape: vec![2], data: vec![0.25, -0.5] });
        b.metadata.insert("model".into(), "test".into());
        b
    }

    #[test]
    fn round_trips_through_bytes() {
        let b = sample();
        let bytes = b.to_bytes();
        assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b);
        assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()) % 8, 0);
    }

    #[test]
    fn truncated_and_garbage_files_are_format_errors() {
        let bytes = sample().to_bytes();
        for cut in [0, 5, 8, 20, bytes.len() - 1] {
            match Bundle::from_bytes(&bytes[..cut]) {
                Err(WeightsError::Format(_)) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        assert!(matches!(Bundle::from_bytes(b"\x04\0\0\0\0\0\0\0nope"), Err(WeightsError::Format(_))));
    }

    #[test]
    fn half_precision_decodes_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn metadata_mismatch_names_the_key() {
        let b = sample();
        assert!(b.expect_metadata("model", "test").is_ok());
        let e = b.expect_metadata("model", "other").unwrap_err();
        assert!(e.to_string().contains("model"), "{e}");
    }
}
