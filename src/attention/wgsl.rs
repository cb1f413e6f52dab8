//! The attention kernel on GPUs: `shaders/attention.wgsl` through burn's device (see
//! [`crate::gpu`]), queries in workgroups of 64, keys in tiles held in workgroup memory, long
//! key ranges chained over dispatches.

use super::Dims;
use crate::device::in_dtype;
use crate::error::Result;
use crate::gpu;
use burn::tensor::{DType, Tensor};

/// Floats of one key (or value) tile: (16 KiB - 48 B of parameters) / 2 tiles / 4 bytes.
const KEY_TILE_FLOATS: usize = 2040;
/// Scores of one key tile are held per invocation; more would spill registers.
const MAX_KEYS_PER_TILE: usize = 32;
/// Keys per dispatch; longer key ranges are chained over dispatches (see the shader).
const KEYS_PER_DISPATCH: usize = 4096;
/// Queries per workgroup in `attention.wgsl`.
const ROWS_PER_GROUP: usize = 64;

/// Our tiled WGSL kernel (`shaders/attention.wgsl`) on the tensors' GPU device.
pub(super) fn attention_wgsl(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    key_mask: Option<Tensor<2>>,
    scale: f32,
    Dims { b, h, lq, lk, d }: Dims,
) -> Result<Tensor<4>> {
    // Half-precision q/k/v (an f16 model) are read as such; anything else runs in f32.
    let half = [&q, &k, &v].iter().all(|t| t.dtype() == DType::F16);
    let f32_values = |t| in_dtype(t, DType::F32);
    let (q, k, v) = if half { (q, k, v) } else { (f32_values(q), f32_values(k), f32_values(v)) };
    let key_mask = key_mask.map(|m| in_dtype(m, DType::F32));
    let width = if half { 2 } else { 4 };
    gpu::check_binding("attention queries", (b * h * lq * d * width) as u64)?;
    gpu::check_binding("attention keys", (b * h * lk * d * width) as u64)?;
    gpu::check_binding("attention key mask", (b * lk * 4) as u64)?;
    gpu::check_binding("attention output", (b * h * lq * d * 4) as u64)?;

    let q = gpu::into_cube(q)?;
    let k = gpu::into_cube(k)?;
    let v = gpu::into_cube(v)?;
    let has_mask = key_mask.is_some();
    let mask = match key_mask {
        Some(m) => gpu::into_cube(m)?.handle,
        // The shader declares the binding either way; a 1-word stand-in keeps the layout fixed.
        None => gpu::empty_f32(&q, 1),
    };
    let bh = b * h;
    let max_groups = gpu::limits().max_compute_workgroups_per_dimension as usize;
    let groups_y = bh.min(max_groups);
    let groups_z = bh.div_ceil(groups_y);
    let out = gpu::empty_f32(&q, bh * lq * d);
    let stats = gpu::empty_f32(&q, bh * lq * 2);
    let source = include_str!("../../shaders/attention.wgsl");
    let half_source;
    let (name, template) = if half {
        half_source = format!("enable f16;\n{}", source.replacen("alias Stored4 = vec4<f32>;", "alias Stored4 = vec4<f16>;", 1));
        ("attention f16", half_source.as_str())
    } else {
        ("attention", source)
    };
    let shader = gpu::Wgsl::new(name, template, &[("D", d as u32), ("BK", (KEY_TILE_FLOATS / d).min(MAX_KEYS_PER_TILE) as u32)]);
    let chunks = lk.div_ceil(KEYS_PER_DISPATCH);
    for c in 0..chunks {
        let (k_begin, k_end) = (c * KEYS_PER_DISPATCH, ((c + 1) * KEYS_PER_DISPATCH).min(lk));
        let flags = (c == 0) as u32 | (((c + 1 == chunks) as u32) << 1);
        let params = [
            bh as u32,
            h as u32,
            lq as u32,
            lk as u32,
            has_mask as u32,
            scale.to_bits(),
            groups_y as u32,
            k_begin as u32,
            k_end as u32,
            flags,
            0,
            0,
        ];
        let params = gpu::params_buffer(&q, &params);
        gpu::launch(
            &q,
            shader.clone(),
            [lq.div_ceil(ROWS_PER_GROUP) as u32, groups_y as u32, groups_z as u32],
            vec![q.handle.clone(), k.handle.clone(), v.handle.clone(), mask.clone(), out.clone(), params, stats.clone()],
        )?;
    }
    // The output (and the running state between chunks) stays f32; an f16 model gets it back
    // in its own precision.
    let out = gpu::from_cube(&q, out, [b, h, lq, d]);
    Ok(if half { out.cast(DType::F16) } else { out })
}
