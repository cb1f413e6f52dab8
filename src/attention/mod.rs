//! Scaled dot-product attention with an optional key mask, the core of the track classifier
//! (and of DINOv2/SAM2 in the full tier).
//!
//! On a GPU device it runs `shaders/attention.wgsl` (tiled, online softmax, O(L*D) memory).
//! On the CPU backend it runs our register-blocked host kernel ([`crate::cpu::attention`],
//! AVX-512, heads a multiple of 16 wide) where the CPU has one, our narrow-head kernel
//! ([`crate::cpu::attention_narrow`], heads up to 16 wide) for the classifier, else the backend's fused
//! attention ([`attention_fused`]: per head, tiled with an online softmax past 512 x 512
//! scores, threaded; 60 ms for ViT-B/14's 12 heads at 1025 tokens where the
//! matmul-softmax-matmul took 89 ms). Under autodiff (training needs gradients, which none of
//! these kernels has) it runs burn's own ops, [`attention_dense`].

pub mod reference;

use crate::error::{Result, SegmoError};
#[cfg(gpu)]
use crate::gpu;
#[cfg(gpu)]
mod wgsl;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{activation, DType, Tensor};

/// Head dimensions the kernel is instantiated for (4: the released track classifier's motion
/// encoder, 16 channels over 4 heads).
pub const HEAD_DIMS: [usize; 6] = [4, 8, 16, 32, 64, 128];

/// `q [B,H,Lq,D]`, `k`/`v [B,H,Lk,D]`, `key_mask [B,Lk]` (1 = attend, 0 = ignore) -> `[B,H,Lq,D]`.
/// `scale` defaults to 1/sqrt(D). Rows whose keys are all masked come out as zeros.
pub fn attention(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    key_mask: Option<Tensor<2>>,
    scale: Option<f32>,
) -> Result<Tensor<4>> {
    let dims = check_shapes(&q, &k, &v, key_mask.as_ref())?;
    let scale = scale.unwrap_or(1.0 / (dims.d as f32).sqrt());
    if dims.lk == 0 {
        return Ok(Tensor::zeros([dims.b, dims.h, dims.lq, dims.d], &q.device()));
    }
    #[cfg(gpu)]
    if gpu::is_gpu_tensor(&q) && HEAD_DIMS.contains(&dims.d) {
        return wgsl::attention_wgsl(q, k, v, key_mask, scale, dims);
    }
    if host_kernel_applies(&q, dims) {
        Ok(attention_host(q, k, v, key_mask, scale, dims))
    } else if fused_applies(&q, key_mask.as_ref(), dims) {
        Ok(attention_fused(q, k, v, key_mask, scale))
    } else {
        Ok(attention_dense(q, k, v, key_mask, scale))
    }
}

/// Our host kernels for CPU inference in f32: the register-blocked one
/// ([`crate::cpu::attention`], AVX-512, heads a multiple of 16 wide) or the narrow-head one
/// ([`crate::cpu::attention_narrow`], heads up to 16 wide, any CPU and wasm).
fn host_kernel_applies(q: &Tensor<4>, Dims { d, .. }: Dims) -> bool {
    crate::cpu::is_cpu_inference(&q.device())
        && q.dtype() == DType::F32
        && (crate::cpu::attention::supported(d) || crate::cpu::attention_narrow::supported(d))
}

/// [`crate::cpu::attention::attention`] on the tensors' values (a copy out and back: a few
/// ms at ViT-B/14's largest inputs, against tens to thousands of ms of attention).
fn attention_host(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, key_mask: Option<Tensor<2>>, scale: f32, dims: Dims) -> Tensor<4> {
    let device = q.device();
    let values = |t: Tensor<4>| t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 values");
    let mask = key_mask.map(|m| m.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 values"));
    let Dims { b, h, lq, lk, d } = dims;
    let shape = crate::cpu::attention::Shape { bh: b * h, heads: h, lq, lk, d };
    let (q, k, v) = (values(q), values(k), values(v));
    let out = if crate::cpu::attention::supported(d) {
        crate::cpu::attention::attention(&q, &k, &v, mask.as_deref(), shape, scale)
    } else {
        crate::cpu::attention_narrow::attention(&q, &k, &v, mask.as_deref(), shape, scale)
    };
    Tensor::from_data(burn::tensor::TensorData::new(out, [b, h, lq, d]), &device)
}

/// Self-attention from a packed projection, `qkv [B, N, 3 * H * dh]` (q, k, v side by side,
/// each with its heads side by side, as `nn.Linear(D, 3 D)` computes them in ViTs) ->
/// `[B, N, H * dh]`, heads side by side (what the output projection takes); no key mask.
/// On the CPU our host kernel reads q and k in place (each head's values gathered) and
/// writes the heads interleaved;
/// elsewhere the heads are split out for [`attention`] and put back.
pub fn self_attention_packed(qkv: Tensor<3>, heads: usize, scale: Option<f32>) -> Result<Tensor<3>> {
    let [b, n, three_d] = qkv.dims();
    if heads == 0 || three_d % (3 * heads) != 0 {
        return Err(SegmoError::Shape(format!("attention: {three_d} projected channels are not q, k and v for {heads} heads")));
    }
    let d = three_d / 3;
    let dh = d / heads;
    let scale = scale.unwrap_or(1.0 / (dh as f32).sqrt());
    let device = qkv.device();
    if crate::cpu::is_cpu_inference(&device) && qkv.dtype() == DType::F32 && crate::cpu::attention::supported(dh) && n > 0 {
        if let Ok(flex) = qkv.clone().try_into_primitive::<burn::backend::Flex>() {
            use crate::cpu::attention::{attention_in, Layout, Operand, Shape};
            let flex = if flex.is_contiguous() { flex } else { flex.to_contiguous() };
            let all = &flex.storage::<f32>()[flex.layout().start_offset()..][..b * n * three_d];
            let layout = Layout { batch: n * three_d, head: dh, row: three_d };
            let part = |i: usize| Operand { values: &all[i * d..], layout };
            let shape = Shape { bh: b * heads, heads, lq: n, lk: n, d: dh };
            let out = attention_in(part(0), part(1), part(2), None, shape, scale, Layout::tokens_first(heads, n, dh));
            return Ok(Tensor::from_data(burn::tensor::TensorData::new(out, [b, n, d]), &device));
        }
    }
    // [B, N, 3, H, dh] -> [3, B, H, N, dh]
    let qkv = qkv.reshape([b, n, 3, heads, dh]).permute([2, 0, 3, 1, 4]);
    let part = |i: usize| qkv.clone().narrow(0, i, 1).reshape([b, heads, n, dh]);
    let out = attention(part(0), part(1), part(2), None, Some(scale))?;
    Ok(out.swap_dims(1, 2).reshape([b, n, d]))
}

/// Mask bytes the CPU backend's fused attention may expand a key mask to: it takes a
/// `[B, 1, Lq, Lk]` mask, so a key mask over 5000 tracks in each of 50 frames would be 1.25 GB.
const FUSED_MASK_LIMIT: usize = 1 << 24;

/// The CPU backend's own attention (one pass per head, the score rows kept in cache, threads
/// over heads) where it computes exactly what we define: not under autodiff (its fallback
/// there is burn's composed ops, and training has the dense path's gradients), and with a
/// key mask only while the expanded mask stays small.
fn fused_applies(q: &Tensor<4>, key_mask: Option<&Tensor<2>>, Dims { b, lq, lk, .. }: Dims) -> bool {
    crate::cpu::is_cpu_inference(&q.device()) && (key_mask.is_none() || b * lq * lk <= FUSED_MASK_LIMIT)
}

/// burn's `module::attention`; on the CPU backend all-masked rows come out as zeros, as ours.
pub fn attention_fused(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    key_mask: Option<Tensor<2>>,
    scale: f32,
) -> Tensor<4> {
    let [b, _, lq, _] = q.dims();
    let lk = k.dims()[2];
    // burn's mask is true where a key is ignored, per query row.
    let mask = key_mask.map(|m| m.equal_elem(0.0).reshape([b, 1, 1, lk]).expand([b, 1, lq, lk]));
    let options = AttentionModuleOptions { scale: Some(scale as f64), softcap: None, is_causal: false };
    burn::tensor::module::attention(q, k, v, mask, None, options)
}

#[derive(Clone, Copy, Debug)]
struct Dims {
    b: usize,
    h: usize,
    lq: usize,
    lk: usize,
    d: usize,
}

fn check_shapes(q: &Tensor<4>, k: &Tensor<4>, v: &Tensor<4>, mask: Option<&Tensor<2>>) -> Result<Dims> {
    let [b, h, lq, d] = q.dims();
    let [kb, kh, lk, kd] = k.dims();
    if [kb, kh, kd] != [b, h, d] || v.dims() != k.dims() {
        return Err(SegmoError::Shape(format!(
            "attention: q {:?}, k {:?}, v {:?}; expected k = v = [{b}, {h}, Lk, {d}]",
            q.dims(),
            k.dims(),
            v.dims()
        )));
    }
    if let Some(m) = mask {
        if m.dims() != [b, lk] {
            return Err(SegmoError::Shape(format!(
                "attention: key mask {:?}, expected [{b}, {lk}]",
                m.dims()
            )));
        }
    }
    if lq == 0 || d == 0 || b * h == 0 {
        return Err(SegmoError::Shape(format!("attention: empty query tensor {:?}", q.dims())));
    }
    Ok(Dims { b, h, lq, lk, d })
}


/// burn's own matmul-softmax-matmul: the CPU path, the autodiff path, and the baseline the
/// attention benchmark compares our kernel with. Builds the full `[B,H,Lq,Lk]` score matrix.
///
/// Above [`DENSE_SCORE_LIMIT`] scores the work is split over the batch, then over queries, so
/// the released classifier's attention across 5000 tracks in each of 50 frames (5e9 scores)
/// runs in bounded memory on the CPU too.
pub fn attention_dense(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    key_mask: Option<Tensor<2>>,
    scale: f32,
) -> Tensor<4> {
    let [b, h, lq, _] = q.dims();
    let lk = k.dims()[2];
    let per_batch = h * lq * lk;
    if b * per_batch <= DENSE_SCORE_LIMIT {
        return attention_dense_whole(q, k, v, key_mask, scale);
    }
    if b > 1 {
        let step = (DENSE_SCORE_LIMIT / per_batch).clamp(1, b);
        let parts = (0..b)
            .step_by(step)
            .map(|s| {
                let e = (s + step).min(b);
                attention_dense(
                    q.clone().slice(s..e),
                    k.clone().slice(s..e),
                    v.clone().slice(s..e),
                    key_mask.clone().map(|m| m.slice(s..e)),
                    scale,
                )
            })
            .collect();
        return Tensor::cat(parts, 0);
    }
    let step = (DENSE_SCORE_LIMIT / (h * lk)).clamp(1, lq);
    if step == lq {
        return attention_dense_whole(q, k, v, key_mask, scale);
    }
    let parts = (0..lq)
        .step_by(step)
        .map(|s| {
            let e = (s + step).min(lq);
            attention_dense_whole(q.clone().slice([0..1, 0..h, s..e]), k.clone(), v.clone(), key_mask.clone(), scale)
        })
        .collect();
    Tensor::cat(parts, 2)
}

/// Scores the dense path materialises at once (64 MiB of f32).
pub const DENSE_SCORE_LIMIT: usize = 1 << 24;

fn attention_dense_whole(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    key_mask: Option<Tensor<2>>,
    scale: f32,
) -> Tensor<4> {
    let [b, _, _, _] = q.dims();
    let lk = k.dims()[2];
    let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
    match key_mask {
        None => activation::softmax(scores, 3).matmul(v),
        Some(mask) => {
            let keep = mask.reshape([b, 1, 1, lk]);
            // A large finite penalty instead of -inf keeps all-masked rows free of NaN; those
            // rows are then zeroed by `any`, matching the kernel.
            let penalty = keep.clone().sub_scalar(1.0).mul_scalar(1.0e9);
            let weights = activation::softmax(scores + penalty, 3) * keep.clone();
            let any = keep.max_dim(3);
            weights.matmul(v) * any
        }
    }
}
