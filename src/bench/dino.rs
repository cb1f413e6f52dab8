//! DINOv2 ViT-B/14 forward passes at the sizes SegAnyMo's feature stage needs: ours on the CPU
//! backend and on the GPU (our WGSL attention), beside PyTorch and ONNX Runtime on the CPU
//! with the same thread count (`tests/reference/torch_dino.py`, in a venv this command
//! creates), each reference size in its own process so its peak memory is its own.
//!
//! Our CPU passes alternate with the reference's one by one (the reference runs as a server
//! answering `run` on stdin), and the ratio columns are the median of the per-pair ratios: the
//! speed of a shared machine drifts by tens of percent over minutes, which made ratios of
//! medians taken minutes apart swing between runs (224x224: 0.98x to 1.09x). Each engine's
//! own ms column is still the median of its passes.

use super::{alloc, fmt_bytes, median_ms};
use crate::device::ComputeDevice;
use crate::error::{Result, SegmoError};
use crate::features::dino::{Dino, DinoConfig};
use burn::tensor::{Tensor, TensorData};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

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
    pub torch: Option<Reference>,
    pub onnx: Option<Reference>,
}

/// A reference engine's row entries: its median ms and peak, and the median of (our CPU pass /
/// its pass) over passes run alternately.
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    pub ms: f64,
    pub peak: u64,
    pub ratio: f64,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub gpu_name: Option<String>,
    pub threads: usize,
    pub notes: Vec<String>,
}

/// ViT-B/14 at one size on one device, ready to run.
struct Ours<'a> {
    dev: &'a ComputeDevice,
    dino: Dino,
    pixels: Tensor<4>,
    keys_of: Option<usize>,
}

impl<'a> Ours<'a> {
    fn new(dev: &'a ComputeDevice, size: Size, f16: bool) -> Result<Self> {
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
        Ok(Ours { dev, dino, pixels, keys_of: (size.stride != 14).then_some(11) })
    }

    /// One forward pass, read back (a GPU's work is done when its output is on the host).
    fn run(&self) -> Result<()> {
        let out = self.dino.forward(self.pixels.clone(), self.keys_of)?;
        self.dev.read_f32(out.tokens.slice([0..1, 0..1, 0..768])).map(|_| ())
    }

    /// The peak since [`alloc::reset_peak`]: the allocator's (CPU; the weights, live before,
    /// added, as the references report weights + working memory) or the GPU pool's.
    fn peak(&self) -> Option<u64> {
        let bytes = self.dino.storage_dtype().size() as u64;
        let weights = bytes * crate::weights::shapes(&self.dino.model).values().map(|s| s.iter().product::<usize>() as u64).sum::<u64>();
        if self.dev.is_gpu() {
            self.dev.device.memory_pool_usage().map(|u| u.bytes_reserved)
        } else {
            alloc::peak().map(|p| p + weights)
        }
    }
}

fn time_on(dev: &ComputeDevice, size: Size, reps: usize, f16: bool) -> Result<(f64, Option<u64>)> {
    let ours = Ours::new(dev, size, f16)?;
    let mut err = None;
    alloc::reset_peak();
    let ms = median_ms(reps, || {
        if let Err(e) = ours.run() {
            err = Some(e);
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok((ms, ours.peak())),
    }
}

/// Our CPU time at `size`, its passes alternating with each reference engine's (see the module
/// comment); engines that fail to start leave a note.
fn cpu_beside_references(
    opts: &Options,
    size: Size,
    threads: usize,
    row: &mut Row,
    notes: &mut Vec<String>,
    progress: &mut impl FnMut(&str),
) -> Result<()> {
    let cpu = ComputeDevice::cpu();
    let ours = Ours::new(&cpu, size, false)?;
    alloc::reset_peak();
    ours.run()?;
    let mut ours_ms = Vec::new();
    for engine in ["torch", "onnx"] {
        progress(&format!("ViT-B/14 {size}, CPU beside {engine} (reference venv)"));
        let mut server = match ReferenceServer::start(opts, engine, size, threads) {
            Ok(s) => s,
            Err(e) => {
                notes.push(format!("{engine} {size}: {e}"));
                continue;
            }
        };
        let (mut theirs, mut ratios) = (Vec::new(), Vec::new());
        for _ in 0..opts.reps.max(1) {
            let start = Instant::now();
            ours.run()?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            match server.run() {
                Ok(t) => {
                    ours_ms.push(ms);
                    theirs.push(t);
                    ratios.push(ms / t);
                }
                Err(e) => {
                    notes.push(format!("{engine} {size}: {e}"));
                    break;
                }
            }
        }
        let peak = server.finish();
        if ratios.len() == opts.reps.max(1) {
            let reference = Reference { ms: median(&mut theirs), peak: peak.unwrap_or(0), ratio: median(&mut ratios) };
            if engine == "torch" {
                row.torch = Some(reference);
            } else {
                row.onnx = Some(reference);
            }
        }
    }
    if ours_ms.is_empty() {
        for _ in 0..opts.reps.max(1) {
            let start = Instant::now();
            ours.run()?;
            ours_ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    row.cpu = Some((median(&mut ours_ms), ours.peak()));
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `torch_dino.py serve`: one engine at one size, one forward pass per request.
struct ReferenceServer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: PathBuf,
}

impl ReferenceServer {
    fn start(opts: &Options, engine: &str, size: Size, threads: usize) -> std::result::Result<Self, String> {
        let packages = ["torch", "numpy", "transformers", "onnx", "onnxscript", "onnxruntime"];
        let python = super::tracks::ensure_venv_with(&opts.venv, &packages, "import torch, transformers, onnx, onnxscript, onnxruntime")?;
        // The ONNX export logs at length: to a file, as a full pipe would stall the server.
        let stderr = std::env::temp_dir().join(format!("segmo-bench-{engine}-{}.log", std::process::id()));
        let log = std::fs::File::create(&stderr).map_err(|e| e.to_string())?;
        let mut child = Command::new(python)
            .arg(&opts.script)
            .args(["serve", engine])
            .args([threads, size.height, size.width, size.stride].map(|v| v.to_string()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut server = ReferenceServer { child, stdin, stdout, stderr };
        match server.line()?.as_str() {
            "ready" => Ok(server),
            other => Err(format!("unexpected output {other:?}")),
        }
    }

    /// The next line of output, or the last line of the log where the server ended.
    fn line(&mut self) -> std::result::Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(n) if n > 0 => Ok(line.trim().to_string()),
            _ => {
                let _ = self.child.wait();
                let log = std::fs::read_to_string(&self.stderr).unwrap_or_default();
                Err(log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("reference ended").to_string())
            }
        }
    }

    fn ask(&mut self, what: &str) -> std::result::Result<String, String> {
        let stdin = self.stdin.as_mut().ok_or("closed")?;
        writeln!(stdin, "{what}").and_then(|_| stdin.flush()).map_err(|e| e.to_string())?;
        self.line()
    }

    /// One forward pass: its milliseconds.
    fn run(&mut self) -> std::result::Result<f64, String> {
        let answer = self.ask("run")?;
        answer.parse().map_err(|_| format!("unexpected output {answer:?}"))
    }

    /// The peak memory (bytes above the server's start), then the server ends.
    fn finish(mut self) -> Option<u64> {
        let peak = self.ask("peak").ok().and_then(|p| p.parse().ok());
        drop(self.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
        peak
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_file(&self.stderr);
        }
    }
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
        if opts.no_reference {
            progress(&format!("ViT-B/14 {size}, CPU"));
            row.cpu = Some(time_on(&cpu, size, opts.reps, false)?);
        } else {
            cpu_beside_references(opts, size, threads, &mut row, &mut notes, &mut progress)?;
        }
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

pub fn table(r: &Report) -> String {
    let mut s = format!("DINOv2 ViT-B/14 forward (86.6M parameters, f32), {} CPU threads\n", r.threads);
    if let Some(g) = &r.gpu_name {
        s += &format!("{g}\n");
    }
    s += "peak: weights + working memory (CPU: heap; GPU: burn's memory pool; references: resident memory growth)\n";
    s += "CPU/PyTorch, CPU/ORT: median of per-pass ratios, our CPU passes alternating with the reference's\n";
    s += "| input | tokens | ours CPU ms | peak | ours GPU ms | GPU pool | GPU f16 ms | f16 pool | PyTorch ms | peak | ONNX Runtime ms | peak | CPU/PyTorch | CPU/ORT |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
    let mem = |v: Option<u64>| v.map_or("-".to_string(), fmt_bytes);
    for row in &r.rows {
        let cpu = row.cpu.map(|c| c.0);
        let ratio = |o: Option<Reference>| o.map_or("-".to_string(), |r| format!("{:.2}x", r.ratio));
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
            ms(row.torch.map(|t| t.ms)),
            mem(row.torch.map(|t| t.peak)),
            ms(row.onnx.map(|t| t.ms)),
            mem(row.onnx.map(|t| t.peak)),
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
