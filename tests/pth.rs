#![cfg(not(target_arch = "wasm32"))]
//! Reading PyTorch checkpoints (`torch.save` zip archives) from bytes: nested state dicts,
//! strided views, offsets, f16/bf16/f64, parameters, zip64 records; clear errors on damage.

use segmo::weights::{f16_to_f32, f32_to_f16, Bundle};

const NESTED: &[u8] = include_bytes!("fixtures/pth/nested.pth");
const ZIP64: &[u8] = include_bytes!("fixtures/pth/zip64.pth");
const PLAIN: &[u8] = include_bytes!("fixtures/pth/plain.pth");
const EXPECTED: &[u8] = include_bytes!("fixtures/pth/expected.safetensors");

#[test]
fn reads_what_torch_wrote() {
    let expected = Bundle::from_bytes(EXPECTED).unwrap();
    for (name, bytes) in [("nested", NESTED), ("zip64", ZIP64)] {
        let got = Bundle::from_any_bytes(bytes).unwrap();
        assert_eq!(got.tensors.keys().collect::<Vec<_>>(), expected.tensors.keys().collect::<Vec<_>>(), "{name}: names (the int64 buffer left out)");
        for (k, t) in &expected.tensors {
            assert_eq!(&got.tensors[k], t, "{name}: tensor {k}");
        }
    }
    let plain = Bundle::from_any_bytes(PLAIN).unwrap();
    assert_eq!(plain.tensors.keys().collect::<Vec<_>>(), ["a.bias", "a.weight"], "module. prefix removed");
    assert_eq!(plain.tensors["a.weight"].data, expected.tensors["enc.weight"].data);
}

#[test]
fn damaged_checkpoints_are_errors() {
    for cut in [NESTED.len() / 2, NESTED.len() - 10, 100] {
        let e = Bundle::from_any_bytes(&NESTED[..cut]).unwrap_err().to_string();
        assert!(e.contains("torch checkpoint") || e.contains("safetensors"), "cut at {cut}: {e}");
    }
    // The central directory (after the data) renamed so a storage goes missing: the tensor
    // that needs it is named.
    let mut bytes = NESTED.to_vec();
    let at = bytes.windows(13).rposition(|w| w == b"nested/data/0").unwrap();
    bytes[at + 12] = b'9';
    let e = Bundle::from_any_bytes(&bytes).unwrap_err().to_string();
    assert!(e.contains("torch checkpoint") && e.contains("storage data/0 missing"), "{e}");
    let e = Bundle::from_any_bytes(b"PK\x03\x04 not really a zip").unwrap_err().to_string();
    assert!(e.contains("end-of-directory"), "{e}");
}

#[test]
fn f16_conversion_rounds_to_nearest_even() {
    for x in [0.0f32, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 5.96e-8, 0.1, 3.14159, 1e-3] {
        let back = f16_to_f32(f32_to_f16(x));
        let tol = (x.abs() * 1e-3).max(6e-8);
        assert!((back - x).abs() <= tol, "{x} -> {back}");
    }
    assert_eq!(f32_to_f16(1e6), 0x7c00, "overflow is infinity");
    assert_eq!(f32_to_f16(1.0 + 1.0 / 2048.0), 0x3c00, "a tie rounds to even");
    assert_eq!(f32_to_f16(1.0 + 3.0 / 2048.0), 0x3c02, "a tie rounds to even (up)");
    // A bundle written as f16 reads back within f16's precision.
    let mut b = Bundle::default();
    b.tensors.insert("w".into(), segmo::weights::NamedTensor { shape: vec![3], data: vec![0.1, -7.25, 1e-4] });
    let back = Bundle::from_bytes(&b.to_bytes_as(true)).unwrap();
    for (a, x) in back.tensors["w"].data.iter().zip(&b.tensors["w"].data) {
        assert!((a - x).abs() <= x.abs() * 1e-3, "{a} vs {x}");
    }
}
