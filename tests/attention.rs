#![cfg(not(target_arch = "wasm32"))]
//! The WGSL attention kernel on lavapipe (native Vulkan on CPU) and burn's dense path on the
//! flex CPU backend, both against the f64 reference.

#[path = "common/attention_cases.rs"]
mod cases;

use burn::tensor::{Tensor, TensorData};
use segmo::attention::{attention, attention_dense};
use segmo::{ComputeDevice, DevicePreference, SegmoError};

const TOL: f32 = 2e-4;

fn gpu() -> ComputeDevice {
    // CI installs mesa-vulkan-drivers; without an adapter this must fail, not skip.
    ComputeDevice::select(DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)")
}

#[test]
fn wgsl_kernel_matches_reference_on_gpu() {
    let dev = gpu();
    eprintln!("{}", dev.info);
    for (i, case) in cases::CASES.iter().enumerate() {
        let err = pollster::block_on(cases::max_error(&dev.device, *case, i as u64));
        assert!(err < TOL, "case {case:?}: max abs error {err}");
    }
}

#[test]
fn dense_path_matches_reference_on_cpu() {
    let dev = ComputeDevice::cpu();
    for (i, case) in cases::CASES.iter().enumerate() {
        let err = pollster::block_on(cases::max_error(&dev.device, *case, 100 + i as u64));
        assert!(err < TOL, "case {case:?}: max abs error {err}");
    }
}

#[test]
fn dense_path_splits_score_matrices_over_its_memory_limit() {
    // 2 x 4100 x 4100 scores: twice the limit, so the batch is split and then each batch item's
    // queries are.
    assert!(2 * 4100 * 4100 > segmo::attention::DENSE_SCORE_LIMIT);
    let dev = ComputeDevice::cpu();
    let case = (2, 1, 4100, 4100, 4, cases::Mask::Random);
    let err = pollster::block_on(cases::max_error(&dev.device, case, 7));
    assert!(err < TOL, "max abs error {err}");
}

#[test]
fn long_sequence_32k_keys_on_gpu() {
    // 32,768 keys: a dense score matrix for 256 queries would already be 32 MiB per head;
    // the kernel streams keys instead. Compare a subset of rows with the reference.
    let dev = gpu();
    let (lq, lk, d) = (96, 32768, 16);
    let mut rng = cases::Lcg::new(9);
    let q = rng.vec(lq * d, 1.0);
    let k = rng.vec(lk * d, 1.0);
    let v = rng.vec(lk * d, 1.0);
    let mask: Vec<f32> = (0..lk).map(|i| (i % 7 != 3) as u8 as f32).collect();
    let t = |x: &Vec<f32>, l| Tensor::<4>::from_data(TensorData::new(x.clone(), [1, 1, l, d]), &dev.device);
    let m = Tensor::<2>::from_data(TensorData::new(mask.clone(), [1, lk]), &dev.device);
    let out: Vec<f32> = attention(t(&q, lq), t(&k, lk), t(&v, lk), Some(m), None)
        .unwrap()
        .into_data()
        .try_to_vec()
        .unwrap();
    let expected = segmo::attention::reference::attention_f64(&q, &k, &v, Some(&mask), [1, 1, lq, lk, d], 0.25);
    let err = out.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(err < TOL, "max abs error {err}");
}

#[test]
fn gpu_and_dense_agree_with_explicit_scale() {
    let dev = gpu();
    let mut rng = cases::Lcg::new(3);
    let (b, h, l, d) = (2, 2, 45, 32);
    let x: Vec<Vec<f32>> = (0..3).map(|_| rng.vec(b * h * l * d, 1.0)).collect();
    let run = |device: &burn::tensor::Device, dense: bool| -> Vec<f32> {
        let t = |v: &Vec<f32>| Tensor::<4>::from_data(TensorData::new(v.clone(), [b, h, l, d]), device);
        let out = if dense {
            attention_dense(t(&x[0]), t(&x[1]), t(&x[2]), None, 0.7)
        } else {
            attention(t(&x[0]), t(&x[1]), t(&x[2]), None, Some(0.7)).unwrap()
        };
        out.into_data().try_to_vec().unwrap()
    };
    let a = run(&dev.device, false);
    let c = run(&ComputeDevice::cpu().device, true);
    let err = a.iter().zip(&c).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(err < TOL, "max abs error {err}");
}

#[test]
fn mismatched_shapes_are_a_typed_error() {
    let dev = ComputeDevice::cpu();
    let q = Tensor::<4>::zeros([1, 2, 5, 16], &dev.device);
    let k = Tensor::<4>::zeros([1, 2, 7, 32], &dev.device);
    let err = attention(q.clone(), k.clone(), k, None, None).unwrap_err();
    assert!(matches!(err, SegmoError::Shape(_)), "{err}");
    assert!(err.to_string().contains("[1, 2, 7, 32]"), "{err}");
    let k = Tensor::<4>::zeros([1, 2, 7, 16], &dev.device);
    let bad_mask = Tensor::<2>::ones([1, 8], &dev.device);
    let err = attention(q, k.clone(), k, Some(bad_mask), None).unwrap_err();
    assert!(err.to_string().contains("key mask [1, 8]"), "{err}");
}

#[test]
fn over_limit_binding_is_a_typed_error() {
    let err = segmo::gpu::check_binding("attention keys", 3 << 30).unwrap_err();
    assert!(matches!(err, SegmoError::OverLimits { .. }), "{err}");
    assert!(err.to_string().contains("attention keys needs"), "{err}");
}

#[test]
fn half_precision_inputs_on_gpu() {
    // q, k, v stored as f16 (an f16-storage model): the kernel reads them as such and does its
    // arithmetic in f32, so against the f64 reference on the same (f16-rounded) values the
    // only error left is the output's rounding to f16 (2^-11 relative).
    let dev = gpu();
    if !dev.info.shader_f16 {
        eprintln!("{} has no shader-f16: nothing to test", dev.info);
        return;
    }
    let (b, h, lq, lk, d) = (2, 3, 70, 300, 64);
    let mut rng = cases::Lcg::new(21);
    let round = |x: Vec<f32>| x.into_iter().map(|v| segmo::weights::f16_to_f32(segmo::weights::f32_to_f16(v))).collect::<Vec<f32>>();
    let (q, k, v) = (round(rng.vec(b * h * lq * d, 2.0)), round(rng.vec(b * h * lk * d, 2.0)), round(rng.vec(b * h * lk * d, 1.0)));
    let mask: Vec<f32> = (0..b * lk).map(|i| (i % 5 != 1) as u8 as f32).collect();
    let t = |x: &Vec<f32>, l: usize| Tensor::<4>::from_data(TensorData::new(x.clone(), [b, h, l, d]), &dev.device).cast(burn::tensor::DType::F16);
    let m = Tensor::<2>::from_data(TensorData::new(mask.clone(), [b, lk]), &dev.device);
    let out = attention(t(&q, lq), t(&k, lk), t(&v, lk), Some(m), None).unwrap();
    assert_eq!(out.dtype(), burn::tensor::DType::F16, "an f16 model gets f16 back");
    let got: Vec<f32> = out.cast(burn::tensor::DType::F32).into_data().try_to_vec().unwrap();
    let want = segmo::attention::reference::attention_f64(&q, &k, &v, Some(&mask), [b, h, lq, lk, d], 0.125);
    let err = got.iter().zip(&want).map(|(a, w)| (a - w).abs() / w.abs().max(0.1)).fold(0.0, f32::max);
    eprintln!("f16 q/k/v on {}: max relative error {err:e}", dev.info);
    assert!(err < 1e-3, "max relative error {err}");
}

/// `qkv [B, N, 3 H dh]` split into heads by hand: what `self_attention_packed` must equal.
fn split_then_attend(qkv: Tensor<3>, heads: usize) -> Tensor<3> {
    let [b, n, three_d] = qkv.dims();
    let dh = three_d / 3 / heads;
    let qkv = qkv.reshape([b, n, 3, heads, dh]).permute([2, 0, 3, 1, 4]);
    let part = |i: usize| qkv.clone().slice([i..i + 1]).reshape([b, heads, n, dh]);
    attention(part(0), part(1), part(2), None, None).unwrap().swap_dims(1, 2).reshape([b, n, heads * dh])
}

fn packed_projection(dev: &ComputeDevice, [b, n, heads, dh]: [usize; 4], seed: u64) -> Tensor<3> {
    let mut s = seed;
    let values: Vec<f32> = (0..b * n * 3 * heads * dh)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [b, n, 3 * heads * dh]), &dev.device)
}

fn max_abs_diff(a: Tensor<3>, b: Tensor<3>) -> f32 {
    let (a, b) = (a.into_data().try_into_vec::<f32>().unwrap(), b.into_data().try_into_vec::<f32>().unwrap());
    assert_eq!(a.len(), b.len());
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn packed_self_attention_equals_splitting_the_heads_on_cpu() {
    let dev = ComputeDevice::cpu();
    // ViT-B/14's heads at 224x224 (257 tokens), a batch of two, narrow heads, one token.
    for (i, shape) in [[1, 257, 12, 64], [2, 37, 3, 16], [1, 19, 2, 4], [1, 1, 4, 64]].into_iter().enumerate() {
        let qkv = packed_projection(&dev, shape, 40 + i as u64);
        let got = segmo::attention::self_attention_packed(qkv.clone(), shape[2], None).unwrap();
        assert_eq!(got.dims(), [shape[0], shape[1], shape[2] * shape[3]]);
        let err = max_abs_diff(got, split_then_attend(qkv, shape[2]));
        assert!(err < 1e-5, "{shape:?}: max abs difference {err}");
    }
}

#[test]
fn packed_self_attention_on_gpu_matches_the_cpu() {
    let (gpu, cpu) = (gpu(), ComputeDevice::cpu());
    let shape = [1, 257, 12, 64];
    let on_gpu = segmo::attention::self_attention_packed(packed_projection(&gpu, shape, 5), 12, None).unwrap();
    let on_cpu = segmo::attention::self_attention_packed(packed_projection(&cpu, shape, 5), 12, None).unwrap();
    let on_gpu = Tensor::<3>::from_data(on_gpu.into_data(), &cpu.device);
    let err = max_abs_diff(on_gpu, on_cpu);
    assert!(err < TOL, "max abs difference {err}");
}

#[test]
fn packed_self_attention_refuses_channels_that_are_not_q_k_v() {
    let dev = ComputeDevice::cpu();
    let qkv = Tensor::<3>::zeros([1, 5, 3 * 64 + 1], &dev.device);
    let err = segmo::attention::self_attention_packed(qkv.clone(), 2, None).unwrap_err();
    assert!(matches!(err, SegmoError::Shape(_)), "{err}");
    assert!(segmo::attention::self_attention_packed(qkv, 0, None).is_err());
}
