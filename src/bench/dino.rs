//! DINOv2 ViT-B/14 forward passes at the sizes SegAnyMo's feature stage needs: ours on the CPU
//! backend and on the GPU (our WGSL attention), beside PyTorch and ONNX Runtime on the CPU
//! with the same thread count (`tests/reference/torch_dino.py`, in a venv this command
//! creates), each reference size in its own process so its peak memory is its own.

use super::{alloc, fmt_bytes, median_ms};
use crate::device::ComputeDevice;
use crate::error::{Result, SegmoError};
use crate::features::dino::{Dino, DinoConfig};
use burn::tensor::{Tensor, TensorData};
use std::path::PathBuf;
use std::process::Command;

/// One input size: pixels and patch stride (14, or SegAnyMo's 7).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Size {
    pub height: usize,
    pub width: usize,
    pub stride: usize,
}

impl std::str::FromStr for Size {
    type Err = SegmoError;
    /// `HxW` or `HxWsS` (stride S): `224x224`, `480x854s7`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || SegmoError::BadInput(format!("size '{s}' is not HEIGHTxWIDTH or HEIGHTxWIDTHsSTRIDE"));
        let (hw, stride) = match s.split_once('s') {
            Some((hw, st)) => (hw, st.parse().map_err(|_| bad())?),
            None => (s, 14),
        };
        let (h, w) = hw.split_once('x').ok_or_else(bad)?;
        let size = Size { height: h.parse().map_err(|_| bad())?, width: w.parse().map_err(|_| bad())?, stride };
        if size.height < 14 || size.width < 14 || !(1..=14).contains(&size.stride) {
            return Err(bad());
        }
        Ok(size)
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.height, self.width)?;
        if self.stride != 14 {
            write!(f, " s{}", self.stride)?;
        }
        Ok(())
    }
}

pub struct Options {
    pub sizes: Vec<Size>,
    pub reps: usize,
    pub gpu: bool,
    /// Skip the PyTorch / ONNX Runtime columns.
    pub no_reference: bool,
    pub venv: PathBuf,
    pub script: PathBuf,
}

#[derive(Default)]
pub struct Row {
    pub size: Option<Size>,
    pub tokens: usize,
    pub cpu: Option<(f64, Option<u64>)>,
    pub gpu: Option<(f64, Option<u64>)>,
    /// The same on the GPU with f16 storage ([`Dino::with_f16_storage`]), where the adapter
    /// has shader-f16.
    pub gpu_f16: Option<(f64, Option<u64>)>,
    pub torch: Option<(f64, u64)>,
    pub onnx: Option<(f64, u64)>,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub gpu_name: Option<String>,
    pub threads: usize,
    pub notes: Vec<String>,
}

fn time_on(dev: &ComputeDevice, size: Size, reps: usize, f16: bool) -> Result<(f64, Option<u64>)> {
    let config = DinoConfig::vitb14().with_stride(size.stride);
    // Weights do not change the time; the fixture rule avoids burn's random initialisers.
    let Dino { config, model } = Dino::new(config, &dev.device)?;
    let model = crate::motion::init::initialise(model, crate::motion::Init::Fixture { seed: 1 });
    let dino = Dino { config, model }.prepared();
    let dino = if f16 { dino.with_f16_storage(dev)? } else { dino };
    // The pool's earlier (f32) blocks would otherwise count towards this model's peak.
    dev.device.memory_cleanup();
    let n = 3 * size.height * size.width;
    let pixels = Tensor::<4>::from_data(TensorData::new(vec![0.1f32; n], [1, 3, size.height, size.width]), &dev.device);
    let keys_of = (size.stride != 14).then_some(11);
    let mut err = None;
    alloc::reset_peak();
    let ms = median_ms(reps, || {
        let out = dino.forward(pixels.clone(), keys_of).and_then(|o| dev.read_f32(o.tokens.slice([0..1, 0..1, 0..768])));
        if let Err(e) = out {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    // The references report weights + working memory; the allocator's peak is above what was
    // live before the first run (the weights included there), so the weights are added.
    let weights = (if f16 { 2 } else { 4 }) * crate::weights::shapes(&dino.model).values().map(|s| s.iter().product::<usize>() as u64).sum::<u64>();
    let peak = if dev.is_gpu() { dev.device.memory_pool_usage().map(|u| u.bytes_reserved) } else { alloc::peak().map(|p| p + weights) };
    Ok((ms, peak))
}

pub fn run(opts: &Options, mut progress: impl FnMut(&str)) -> Result<Report> {
    let cpu = ComputeDevice::cpu();
    let gpu = if opts.gpu { Some(ComputeDevice::select(crate::DevicePreference::Gpu)?) } else { None };
    let threads = rayon::current_num_threads();
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for &size in &opts.sizes {
        let (rows_n, cols_n) = DinoConfig::vitb14().with_stride(size.stride).grid(size.height, size.width)?;
        let mut row = Row { size: Some(size), tokens: rows_n * cols_n + 1, ..Default::default() };
        progress(&format!("ViT-B/14 {size}, CPU"));
        row.cpu = Some(time_on(&cpu, size, opts.reps, false)?);
        if let Some(g) = &gpu {
            progress(&format!("ViT-B/14 {size}, GPU"));
            match time_on(g, size, opts.reps, false) {
                Ok(t) => row.gpu = Some(t),
                Err(e) => notes.push(format!("GPU {size}: {e}")),
            }
            if g.info.shader_f16 {
                progress(&format!("ViT-B/14 {size}, GPU f16 storage"));
                match time_on(g, size, opts.reps, true) {
                    Ok(t) => row.gpu_f16 = Some(t),
                    Err(e) => notes.push(format!("GPU f16 {size}: {e}")),
                }
            }
        }
        if !opts.no_reference {
            for engine in ["torch", "onnx"] {
                progress(&format!("ViT-B/14 {size}, {engine} (reference venv)"));
                match run_reference(opts, engine, size, threads) {
                    Ok(t) if engine == "torch" => row.torch = Some(t),
                    Ok(t) => row.onnx = Some(t),
                    Err(e) => notes.push(format!("{engine} {size}: {e}")),
                }
            }
        }
        rows.push(row);
    }
    if gpu.as_ref().is_some_and(|g| !g.info.shader_f16) {
        notes.push("GPU f16 columns empty: the adapter has no shader-f16".into());
    }
    if opts.no_reference {
        notes.push("PyTorch and ONNX Runtime columns skipped (--no-reference)".into());
    }
    Ok(Report { rows, gpu_name: gpu.map(|g| g.info.to_string()), threads, notes })
}

fn run_reference(opts: &Options, engine: &str, size: Size, threads: usize) -> std::result::Result<(f64, u64), String> {
    let packages = ["torch", "numpy", "transformers", "onnx", "onnxscript", "onnxruntime"];
    let python = super::tracks::ensure_venv_with(&opts.venv, &packages, "import torch, transformers, onnx, onnxscript, onnxruntime")?;
    let out = Command::new(python)
        .arg(&opts.script)
        .arg(engine)
        .args([threads, opts.reps, size.height, size.width, size.stride].map(|v| v.to_string()))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    let v: Vec<&str> = last.split_whitespace().collect();
    match (v.first().and_then(|s| s.parse().ok()), v.get(1).and_then(|s| s.parse().ok())) {
        (Some(ms), Some(peak)) => Ok((ms, peak)),
        _ => Err(format!("unexpected output {last:?}")),
    }
}

pub fn table(r: &Report) -> String {
    let mut s = format!("DINOv2 ViT-B/14 forward (86.6M parameters, f32), {} CPU threads\n", r.threads);
    if let Some(g) = &r.gpu_name {
        s += &format!("{g}\n");
    }
    s += "peak: weights + working memory (CPU: heap; GPU: burn's memory pool; references: resident memory growth)\n";
    s += "| input | tokens | ours CPU ms | peak | ours GPU ms | GPU pool | GPU f16 ms | f16 pool | PyTorch ms | peak | ONNX Runtime ms | peak | CPU/PyTorch | CPU/ORT |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
    let mem = |v: Option<u64>| v.map_or("-".to_string(), fmt_bytes);
    for row in &r.rows {
        let cpu = row.cpu.map(|c| c.0);
        let ratio = |o: Option<(f64, u64)>| match (cpu, o) {
            (Some(c), Some((t, _))) => format!("{:.2}x", c / t),
            _ => "-".into(),
        };
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.size.map_or(String::new(), |z| z.to_string()),
            row.tokens,
            ms(cpu),
            mem(row.cpu.and_then(|c| c.1)),
            ms(row.gpu.map(|g| g.0)),
            mem(row.gpu.and_then(|g| g.1)),
            ms(row.gpu_f16.map(|g| g.0)),
            mem(row.gpu_f16.and_then(|g| g.1)),
            ms(row.torch.map(|t| t.0)),
            mem(row.torch.map(|t| t.1)),
            ms(row.onnx.map(|t| t.0)),
            mem(row.onnx.map(|t| t.1)),
            ratio(row.torch),
            ratio(row.onnx),
        );
    }
    for n in &r.notes {
        s += &format!("{n}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!("224x224".parse::<Size>().unwrap(), Size { height: 224, width: 224, stride: 14 });
        assert_eq!("480x854s7".parse::<Size>().unwrap(), Size { height: 480, width: 854, stride: 7 });
        for bad in ["224", "ax224", "10x224", "224x224s0", "224x224s15"] {
            assert!(bad.parse::<Size>().is_err(), "{bad}");
        }
    }
}
