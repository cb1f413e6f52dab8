//! The track classifier's forward pass at realistic track counts: ours on the CPU backend and
//! on the GPU (our WGSL attention), beside the official PyTorch model in the same command
//! (`tests/reference/torch_classifier.py`, in a venv this command creates) when a SegAnyMo
//! checkout is given.

use super::{alloc, fmt_bytes, median_ms};
use crate::device::ComputeDevice;
use crate::error::{Result, SegmoError};
use crate::motion::{ClassifierConfig, ClassifierInput, Init, MotionClassifier};
use std::path::PathBuf;
use std::process::Command;

pub struct Options {
    pub sizes: Vec<(usize, usize)>,
    pub reps: usize,
    pub gpu: bool,
    /// Official code checkout and venv for the PyTorch column.
    pub seganymo: Option<PathBuf>,
    pub venv: PathBuf,
    pub script: PathBuf,
}

pub struct Row {
    pub tracks: usize,
    pub frames: usize,
    pub cpu_ms: f64,
    pub cpu_peak: Option<u64>,
    pub gpu_ms: Option<f64>,
    pub torch_ms: Option<f64>,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub gpu_name: Option<String>,
    pub torch_note: String,
    pub threads: usize,
}

/// Random tracks of the released model's input layout (a fifth of the points hidden).
pub fn synthetic_input(config: &ClassifierConfig, tracks: usize, frames: usize, seed: u64) -> ClassifierInput {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32
    };
    let nt = tracks * frames;
    let mut visible: Vec<f32> = (0..nt).map(|_| (next() > 0.2) as u8 as f32).collect();
    for n in 0..tracks {
        visible[n * frames] = 1.0;
    }
    ClassifierInput {
        tracks,
        frames,
        xy: (0..nt * 2).map(|_| next() * 2.0 - 1.0).collect(),
        visible,
        visibility: (0..nt).map(|_| next()).collect(),
        confidence: (0..nt).map(|_| next()).collect(),
        depth: config.depth.then(|| (0..nt).map(|_| next()).collect()),
        residual: config.residual.then(|| (0..nt * config.residual_channels()).map(|_| next()).collect()),
        semantic: (config.semantic_dim > 0).then(|| (0..tracks * config.semantic_dim).map(|_| next() - 0.5).collect()),
    }
}

fn time_on(dev: &ComputeDevice, input: &ClassifierInput, reps: usize) -> Result<(f64, Option<u64>)> {
    let clf = MotionClassifier::new(ClassifierConfig::full(), Init::Train { seed: 1 }, &dev.device)?;
    let mut err = None;
    alloc::reset_peak();
    let ms = median_ms(reps, || {
        if let Err(e) = clf.predict(input) {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    let peak = if dev.is_gpu() { dev.device.memory_pool_usage().map(|u| u.bytes_reserved) } else { alloc::peak() };
    Ok((ms, peak))
}

pub fn run(opts: &Options, mut progress: impl FnMut(&str)) -> Result<Report> {
    let cpu = ComputeDevice::cpu();
    let gpu = if opts.gpu { Some(ComputeDevice::select(crate::DevicePreference::Gpu)?) } else { None };
    let threads = rayon::current_num_threads();
    let config = ClassifierConfig::full();
    let mut rows = Vec::new();
    for &(n, t) in &opts.sizes {
        let input = synthetic_input(&config, n, t, 7);
        progress(&format!("classifier {n} tracks x {t} frames, CPU"));
        let (cpu_ms, cpu_peak) = time_on(&cpu, &input, opts.reps)?;
        let gpu_ms = match &gpu {
            Some(g) => {
                progress(&format!("classifier {n} tracks x {t} frames, GPU"));
                Some(time_on(g, &input, opts.reps)?.0)
            }
            None => None,
        };
        rows.push(Row { tracks: n, frames: t, cpu_ms, cpu_peak, gpu_ms, torch_ms: None });
    }
    let torch_note = match &opts.seganymo {
        None => "PyTorch column skipped (pass --seganymo DIR, a checkout of nnanhuang/SegAnyMo)".to_string(),
        Some(dir) => {
            progress("official model in PyTorch (reference venv)");
            match run_torch(opts, dir, threads) {
                Ok(times) => {
                    for r in &mut rows {
                        r.torch_ms = times.iter().find(|x| x.0 == r.tracks && x.1 == r.frames).map(|x| x.2);
                    }
                    format!("PyTorch: official traj_oa_depth, {threads} threads, same sizes")
                }
                Err(e) => format!("PyTorch reference failed: {e}"),
            }
        }
    };
    Ok(Report { rows, gpu_name: gpu.map(|g| g.info.to_string()), torch_note, threads })
}

fn run_torch(opts: &Options, dir: &std::path::Path, threads: usize) -> std::result::Result<Vec<(usize, usize, f64)>, String> {
    let python = super::tracks::ensure_venv_with(&opts.venv, &["torch", "numpy"], "import torch, numpy")?;
    let sizes: Vec<String> = opts.sizes.iter().map(|(n, t)| format!("{n}:{t}")).collect();
    let out = Command::new(python)
        .arg(&opts.script)
        .arg(dir)
        .arg(threads.to_string())
        .arg(opts.reps.to_string())
        .args(&sizes)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            Some((v.first()?.parse().ok()?, v.get(1)?.parse().ok()?, v.get(2)?.parse().ok()?))
        })
        .collect())
}

pub fn table(r: &Report) -> String {
    let mut s = format!(
        "track classifier (released configuration, 3.44M parameters), forward to probabilities, {} CPU threads\n",
        r.threads
    );
    if let Some(g) = &r.gpu_name {
        s += &format!("GPU: {g}\n");
    }
    s += &format!(
        "{:>6} {:>6} | {:>10} {:>10} | {:>10} | {:>10} {:>9}\n",
        "tracks", "frames", "CPU ms", "CPU peak", "GPU ms", "torch ms", "CPU/torch"
    );
    for row in &r.rows {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        let ratio = row.torch_ms.map_or("-".to_string(), |t| format!("{:.2}x", row.cpu_ms / t));
        s += &format!(
            "{:>6} {:>6} | {:>10.1} {:>10} | {:>10} | {:>10} {:>9}\n",
            row.tracks,
            row.frames,
            row.cpu_ms,
            row.cpu_peak.map_or("-".into(), fmt_bytes),
            f(row.gpu_ms),
            f(row.torch_ms),
            ratio
        );
    }
    s += &r.torch_note;
    s += "\n";
    s
}

pub fn check_sizes(sizes: &[(usize, usize)]) -> Result<()> {
    if sizes.iter().any(|&(n, t)| n == 0 || t < 2) {
        return Err(SegmoError::BadInput("bench classifier: sizes are TRACKSxFRAMES with at least 1 track and 2 frames".into()));
    }
    Ok(())
}
