//! A lost GPU device surfaces as a typed error on the next read, never a panic or silent
//! zeros. Its own test binary: losing the device poisons it for the whole process.
#![cfg(not(target_arch = "wasm32"))]

use burn::tensor::{Distribution, Tensor};
use segmo::{attention::attention, ComputeDevice, DevicePreference, SegmoError};

#[test]
fn lost_device_is_a_typed_error() {
    let dev = ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
    let x = || Tensor::<4>::random([1, 2, 40, 16], Distribution::Normal(0.0, 1.0), &dev.device);
    let ok = dev.read_f32(attention(x(), x(), x(), None, None).unwrap()).expect("healthy device reads");
    assert_eq!(ok.len(), 2 * 40 * 16);

    dev.simulate_device_loss();
    let result = segmo::gpu::guarded(|| {
        let out = attention(x(), x(), x(), None, None)?;
        dev.read_f32(out)
    });
    match result {
        Err(SegmoError::Gpu(msg)) => assert!(msg.to_lowercase().contains("lost") || msg.contains("oison"), "{msg}"),
        other => panic!("expected a GPU error, got {other:?}"),
    }
}
