//! Our attention (WGSL kernel on a GPU, host kernel on the CPU) against burn's
//! matmul-softmax-matmul on the same device.

use super::{fmt_bytes, median_ms};
use crate::attention::{attention, attention_dense};
use crate::device::ComputeDevice;
use crate::error::Result;
use burn::tensor::{Distribution, Tensor};

pub struct Row {
    pub len: usize,
    pub d: usize,
    pub ours_ms: f64,
    pub ours_peak: Option<u64>,
    /// None when the dense score matrix does not fit the device limits.
    pub dense_ms: Option<f64>,
    pub dense_note: String,
}

impl Row {
    fn gflops(&self, ms: f64) -> f64 {
        4.0 * (self.len * self.len * self.d) as f64 / (ms * 1e6)
    }
}

/// Self-attention with B = H = 1 and Lq = Lk = `len` (the shape of DINOv2 at stride 7 or of
/// attention across all tracks of a frame).
pub fn run(dev: &ComputeDevice, lens: &[usize], dims: &[usize], reps: usize, mut progress: impl FnMut(&str)) -> Result<Vec<Row>> {
    let device = &dev.device;
    let limit = dev.info.limits.map_or(u64::MAX, |l| l.max_buffer_size.min(l.max_storage_buffer_binding_size));
    let mut rows = Vec::new();
    for &d in dims {
        for &len in lens {
            progress(&format!("attention L={len} D={d}"));
            let mk = || Tensor::<4>::random([1, 1, len, d], Distribution::Normal(0.0, 1.0), device);
            let (q, k, v) = (mk(), mk(), mk());
            let mask = Tensor::<2>::ones([1, len], device);
            let sync = || device.sync().map_err(|e| crate::SegmoError::Gpu(format!("{e:?}")));
            sync()?;
            let mut err = None;
            let ours_ms = median_ms(reps, || {
                match attention(q.clone(), k.clone(), v.clone(), Some(mask.clone()), None) {
                    Ok(o) => drop(o),
                    Err(e) => err = Some(e),
                }
                let _ = sync();
            });
            if let Some(e) = err {
                return Err(e);
            }
            let ours_peak = device.memory_pool_usage().map(|u| u.bytes_reserved);
            device.memory_cleanup();
            let score_bytes = (len * len * 4) as u64;
            let (dense_ms, dense_note) = if dev.is_gpu() && score_bytes > limit {
                (None, format!("scores {} > limit", fmt_bytes(score_bytes)))
            } else if !dev.is_gpu() && score_bytes > 4 << 30 {
                (None, format!("scores {} skipped", fmt_bytes(score_bytes)))
            } else {
                let ms = median_ms(reps, || {
                    drop(attention_dense(q.clone(), k.clone(), v.clone(), Some(mask.clone()), 1.0 / (d as f32).sqrt()));
                    let _ = sync();
                });
                let peak = device.memory_pool_usage().map(|u| fmt_bytes(u.bytes_reserved)).unwrap_or_default();
                device.memory_cleanup();
                (Some(ms), peak)
            };
            rows.push(Row { len, d, ours_ms, ours_peak, dense_ms, dense_note });
        }
    }
    Ok(rows)
}

pub fn table(dev: &ComputeDevice, rows: &[Row]) -> String {
    let mut s = format!("attention (B=1, H=1, Lq=Lk=L, key mask on) on {}\n", dev.info);
    s += &format!(
        "{:>6} {:>4} | {:>10} {:>9} {:>10} | {:>10} {:>9} {:>12} | {:>7}\n",
        "L", "D", "ours ms", "GFLOP/s", "ours mem", "burn ms", "GFLOP/s", "burn mem", "speedup"
    );
    for r in rows {
        let mem = r.ours_peak.map(fmt_bytes).unwrap_or_else(|| "-".into());
        let (dms, dg, ratio) = match r.dense_ms {
            Some(ms) => (format!("{ms:.2}"), format!("{:.1}", r.gflops(ms)), format!("{:.2}x", ms / r.ours_ms)),
            None => ("-".into(), "-".into(), "-".into()),
        };
        s += &format!(
            "{:>6} {:>4} | {:>10.2} {:>9.1} {:>10} | {:>10} {:>9} {:>12} | {:>7}\n",
            r.len, r.d, r.ours_ms, r.gflops(r.ours_ms), mem, dms, dg, r.dense_note, ratio
        );
    }
    s += "speedup = burn dense time / our kernel time (same device, same run); mem = allocator reservation after the run\n";
    s
}
