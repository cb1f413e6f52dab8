//! `segmo bench tracks`: the point tracker's quality on the synthetic suite (exact ground
//! truth: TAP-Vid delta_avg, occlusion accuracy, average Jaccard, flow EPE) and its speed on an
//! 854x480, 50-frame clip, each beside OpenCV's DIS optical flow (PRESET_MEDIUM) on the same
//! 8-bit frames in the same run. OpenCV's flows are also chained by our trajectory builder, so
//! the quality table compares the flow methods under one tracker.
//!
//! OpenCV runs from `tests/reference/opencv_dis.py` in a Python venv this command creates
//! (opencv-python-headless and numpy from PyPI) unless told not to.

use super::{alloc, fmt_bytes};
use crate::error::{Result, SegmoError};
use crate::synth::{self, RandomSceneConfig, SynthClip, SynthConfig};
use crate::device::ComputeDevice;
use crate::tracks::dis::{Dis, DisParams};
use crate::tracks::chain::gpu::build::build_tracks_gpu;
use crate::tracks::chain::gpu::follow::{follow, GpuClip};
use crate::tracks::chain::gpu::reliability::reliability;
use crate::tracks::dis::gpu::GpuDis;
use crate::tracks::quality::{self, score_flows, CaseScore};
use crate::tracks::{build_tracks, Flow, Gray, TrackOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub struct Options {
    /// Size of the speed clip.
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    /// Timed passes over the speed clip (median); one more runs first as warm-up.
    pub reps: usize,
    /// Where to find or create the reference venv; None skips OpenCV.
    pub venv: Option<PathBuf>,
    /// `tests/reference/opencv_dis.py`.
    pub script: PathBuf,
    pub seed: u64,
    /// The GPU the WGSL flow kernels are timed on (None: no GPU rows).
    pub gpu: Option<ComputeDevice>,
    /// Frame pairs of the speed clip timed on the GPU (software adapters are slow).
    pub gpu_pairs: usize,
    /// Also time the kernels in headless Chromium (`benches/web_tracks.rs` through `cargo
    /// bench` in `source_dir`, segmo's source tree).
    pub browser: bool,
    pub source_dir: PathBuf,
}

/// The WGSL kernels: suite quality (means over cases) and speed.
pub struct GpuRow {
    pub device: String,
    /// delta_avg, OA, AJ, EPE.
    pub quality: (f64, f64, f64, f64),
    /// Forward and backward flow of a pair, on the GPU (not read back).
    pub pair_ms: f64,
    /// The trajectory builder per frame (reliability maps and following on the GPU).
    pub track_ms: f64,
    pub pairs: usize,
}

pub struct QualityRow {
    pub ours: CaseScore,
    pub opencv: Option<CaseScore>,
}

pub struct SpeedRow {
    pub stage: &'static str,
    pub ours_ms: f64,
    pub opencv_ms: Option<f64>,
    pub peak: Option<u64>,
}

pub struct Report {
    pub quality: Vec<QualityRow>,
    pub speed: Vec<SpeedRow>,
    pub speed_clip: String,
    pub threads: usize,
    /// Why the OpenCV columns are empty, when they are.
    pub opencv_note: Option<String>,
    pub gpu: Option<GpuRow>,
    /// The headless Chromium rows, or why there are none.
    pub browser: Option<std::result::Result<BrowserRow, String>>,
}

/// `benches/web_tracks.rs` in headless Chromium (criterion's median estimates).
pub struct BrowserRow {
    pub device: String,
    pub pair_ms: f64,
    pub track_ms_per_frame: f64,
}

/// Runs the browser benchmark with `cargo bench` (needs the wasm32 target, wasm-bindgen-cli,
/// Chromium and chromedriver, as the browser tests do) and reads its report.
pub fn run_browser(repo: &Path) -> std::result::Result<BrowserRow, String> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(repo)
        .args(["bench", "--locked", "--target", "wasm32-unknown-unknown", "--no-default-features", "--bench", "web_tracks"])
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900")
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", repo.join("tests/webdriver.json"));
    if std::env::var_os("CHROMEDRIVER").is_none() {
        cmd.env("CHROMEDRIVER", "/usr/bin/chromedriver");
    }
    let out = cmd.output().map_err(|e| format!("cargo bench: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        return Err(format!("cargo bench --bench web_tracks failed: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | ")));
    }
    parse_browser(&text)
}

/// Criterion's report: per benchmark a name line, then `time: [low median high]`.
fn parse_browser(text: &str) -> std::result::Result<BrowserRow, String> {
    let clean = strip_ansi(text);
    let lines: Vec<&str> = clean.lines().map(str::trim).collect();
    let median_ms = |name: &str| -> std::result::Result<f64, String> {
        let i = lines.iter().position(|l| *l == name).ok_or_else(|| format!("no '{name}' in the browser benchmark's output"))?;
        let t = lines[i + 1..].iter().find(|l| l.starts_with("time:")).ok_or_else(|| format!("no time for '{name}'"))?;
        let inner = t.trim_start_matches("time:").trim().trim_start_matches('[').trim_end_matches(']');
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return Err(format!("cannot read '{t}'"));
        }
        let v: f64 = parts[2].parse().map_err(|_| format!("cannot read '{t}'"))?;
        let scale = match parts[3] {
            "s" => 1e3,
            "ms" => 1.0,
            "µs" | "us" => 1e-3,
            "ns" => 1e-6,
            u => return Err(format!("unknown unit '{u}' in '{t}'")),
        };
        Ok(v * scale)
    };
    let device = lines.iter().find_map(|l| l.strip_prefix("device: ")).unwrap_or("WebGPU").to_string();
    Ok(BrowserRow {
        device,
        pair_ms: median_ms("flow, fwd+bwd (per pair, 854x480)")?,
        track_ms_per_frame: median_ms("tracking (4 frames, 854x480)")? / 4.0,
    })
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... final byte in @..~
            if chars.next() == Some('[') {
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Luma quantised to 8 bits, as both methods see it.
fn gray8(clip: &SynthClip) -> Vec<Vec<u8>> {
    (0..clip.frames.len())
        .map(|t| clip.gray(t).iter().map(|&g| (g * 255.0).round().clamp(0.0, 255.0) as u8).collect())
        .collect()
}

fn to_gray(w: usize, h: usize, g: &[u8]) -> Gray {
    Gray { width: w, height: h, data: g.iter().map(|&v| v as f32 / 255.0).collect() }
}

fn our_flows(dis: &mut Dis, grays: &[Gray]) -> (Vec<Flow>, Vec<Flow>) {
    grays.windows(2).map(|p| dis.flow_pair(&p[0], &p[1])).unzip()
}

pub fn run(opts: &Options, mut progress: impl FnMut(&str)) -> Result<Report> {
    let threads = threads();
    progress("rendering the synthetic suite");
    let suite = synth::suite(opts.seed);
    progress("rendering the speed clip");
    let speed_clip = synth::render(&synth::random_scene(
        opts.seed,
        &RandomSceneConfig {
            cfg: SynthConfig { width: opts.width, height: opts.height, frames: opts.frames, n_tracks: 256, noise: 1.0 },
            ..Default::default()
        },
    ));
    if speed_clip.frames.len() < 2 {
        return Err(SegmoError::BadInput(format!("bench tracks needs at least 2 frames, got {}", opts.frames)));
    }

    // OpenCV first, so its flows are on disk when the quality table is made.
    let (mut cv, mut opencv_note) = (None, None);
    if let Some(venv) = &opts.venv {
        progress("OpenCV DIS (reference venv)");
        match run_opencv(venv, &opts.script, &suite, &speed_clip, threads, opts.reps) {
            Ok(r) => cv = Some(r),
            Err(e) => opencv_note = Some(e),
        }
    } else {
        opencv_note = Some("skipped (--no-opencv)".into());
    }

    let mut quality = Vec::new();
    let mut dis = Dis::new(DisParams::medium());
    for (i, clip) in suite.iter().enumerate() {
        progress(&format!("quality: {}", clip.name));
        let grays: Vec<Gray> = gray8(clip).iter().map(|g| to_gray(clip.width, clip.height, g)).collect();
        let (fw, bw) = our_flows(&mut dis, &grays);
        let ours = score_flows(clip, &fw, &bw)?;
        let opencv = match &cv {
            Some(c) => Some(score_flows(clip, &c.flows[i].0, &c.flows[i].1)?),
            None => None,
        };
        quality.push(QualityRow { ours, opencv });
    }

    progress("speed: flow");
    let (w, h) = (speed_clip.width, speed_clip.height);
    let grays: Vec<Gray> = gray8(&speed_clip).iter().map(|g| to_gray(w, h, g)).collect();
    let pairs = (grays.len() - 1) as f64;
    let reps = opts.reps.max(1);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut dis = Dis::new(DisParams::medium());
    let mut fw_ms = Vec::new();
    let mut pair_ms = Vec::new();
    for rep in 0..=reps {
        let start = Instant::now();
        for p in grays.windows(2) {
            std::hint::black_box(dis.flow(&p[0], &p[1]));
        }
        let fw_t = start.elapsed().as_secs_f64() * 1e3 / pairs;
        let start = Instant::now();
        drop(std::hint::black_box(our_flows(&mut dis, &grays)));
        let pair_t = start.elapsed().as_secs_f64() * 1e3 / pairs;
        if rep > 0 {
            fw_ms.push(fw_t);
            pair_ms.push(pair_t);
        }
    }
    // Memory in an untimed pass with a fresh engine, so its buffer pool counts too.
    drop(dis);
    alloc::reset_peak();
    let flows = our_flows(&mut Dis::new(DisParams::medium()), &grays);
    let flow_peak = alloc::peak();
    progress("speed: tracking");
    let mut track_ms = Vec::new();
    let mut track_peak = None;
    let mut n_tracks = 0;
    for rep in 0..=reps {
        alloc::reset_peak();
        let start = Instant::now();
        let t = build_tracks(&grays, &flows.0, &flows.1, &TrackOptions::default())?;
        let ms = start.elapsed().as_secs_f64() * 1e3 / grays.len() as f64;
        n_tracks = t.n;
        if rep > 0 {
            track_ms.push(ms);
            track_peak = alloc::peak();
        }
    }
    let gpu = match &opts.gpu {
        Some(dev) => Some(gpu_row(dev, &suite, &grays, opts, &mut progress)?),
        None => None,
    };
    let (cv_fw, cv_pair) = cv.as_ref().map_or((None, None), |c| (Some(c.speed_ms.0), Some(c.speed_ms.1)));
    let speed = vec![
        SpeedRow { stage: "flow, forward (ms/pair)", ours_ms: median(fw_ms), opencv_ms: cv_fw, peak: None },
        SpeedRow { stage: "flow, fwd+bwd (ms/pair)", ours_ms: median(pair_ms), opencv_ms: cv_pair, peak: flow_peak },
        SpeedRow { stage: "tracking (ms/frame)", ours_ms: median(track_ms), opencv_ms: None, peak: track_peak },
    ];
    Ok(Report {
        quality,
        speed,
        speed_clip: format!("{w}x{h}, {} frames, {n_tracks} tracks", grays.len()),
        threads,
        opencv_note,
        gpu,
        browser: opts.browser.then(|| {
            progress("headless Chromium (cargo bench --bench web_tracks)");
            run_browser(&opts.source_dir)
        }),
    })
}

fn gpu_row(
    dev: &ComputeDevice,
    suite: &[SynthClip],
    speed_grays: &[Gray],
    opts: &Options,
    progress: &mut impl FnMut(&str),
) -> Result<GpuRow> {
    let dis = GpuDis::new(&dev.device, DisParams::medium())?;
    let gpu = dis.gpu();
    let on_gpu = |g: &[Gray]| dis.clip_on_gpu(g, |_, _| {});
    let th = TrackOptions::default().thresholds;
    let mut scores = Vec::new();
    for clip in suite {
        progress(&format!("GPU quality: {}", clip.name));
        let grays: Vec<Gray> = gray8(clip).iter().map(|g| to_gray(clip.width, clip.height, g)).collect();
        let (frames, fw, bw) = on_gpu(&grays)?;
        let rel = fw.iter().zip(&bw).map(|(f, b)| reliability(gpu, f, b, &th)).collect::<Result<Vec<_>>>()?;
        let gclip = GpuClip { w: clip.width, h: clip.height, frames: &frames, fw: &fw, bw: &bw, rel: &rel };
        let queries = quality::queries(clip);
        let pred = follow(gpu, &gclip, &queries, &th)?.read_blocking(gpu, clip.width, clip.height, &queries)?;
        let fw_cpu = fw.iter().map(|f| dis.read_blocking(f)).collect::<Result<Vec<_>>>()?;
        scores.push(quality::score_tracks(clip, &fw_cpu, &pred));
    }
    let pairs = opts.gpu_pairs.clamp(1, speed_grays.len() - 1);
    let frames = &speed_grays[..pairs + 1];
    let (mut flow_ms, mut track_ms) = (Vec::new(), Vec::new());
    for rep in 0..=opts.reps.max(1) {
        progress(&format!("GPU speed, pass {rep}"));
        let start = Instant::now();
        let (handles, fw, bw) = on_gpu(frames)?;
        // Reading one value waits for the queued flow kernels.
        gpu.read_blocking(&bw[pairs - 1].buf, 1)?;
        let flow_t = start.elapsed().as_secs_f64() * 1e3 / pairs as f64;
        let start = Instant::now();
        drop(std::hint::black_box(build_tracks_gpu(gpu, frames, &handles, &fw, &bw, &TrackOptions::default())?));
        let track_t = start.elapsed().as_secs_f64() * 1e3 / frames.len() as f64;
        if rep > 0 {
            flow_ms.push(flow_t);
            track_ms.push(track_t);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok(GpuRow {
        device: dev.info.to_string(),
        quality: crate::tracks::quality::mean(&scores),
        pair_ms: median(flow_ms),
        track_ms: median(track_ms),
        pairs,
    })
}

fn threads() -> usize {
    rayon::current_num_threads()
}

struct OpenCv {
    /// Per suite case: forward and backward flows.
    flows: Vec<(Vec<Flow>, Vec<Flow>)>,
    /// Speed clip: ms of one forward flow, of a forward+backward pair.
    speed_ms: (f64, f64),
}

/// The venv's python, creating the venv (and installing OpenCV) on first use.
pub fn ensure_venv(venv: &Path) -> std::result::Result<PathBuf, String> {
    ensure_venv_with(venv, &["opencv-python-headless", "numpy"], "import cv2, numpy")
}

/// The venv's python, creating the venv and installing `packages` unless `check` already
/// runs in it.
pub fn ensure_venv_with(venv: &Path, packages: &[&str], check: &str) -> std::result::Result<PathBuf, String> {
    let python = venv.join("bin").join("python");
    let ok = |py: &Path| Command::new(py).args(["-c", check]).output().map(|o| o.status.success()).unwrap_or(false);
    if python.exists() && ok(&python) {
        return Ok(python);
    }
    let run = |cmd: &mut Command, what: &str| -> std::result::Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!("{what} failed: {}", err.lines().last().unwrap_or("")))
        }
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(venv), "python3 -m venv")?;
    let what = format!("pip install {}", packages.join(" "));
    run(Command::new(&python).args(["-m", "pip", "install", "-q"]).args(packages), &what)?;
    if ok(&python) {
        Ok(python)
    } else {
        Err(format!("the venv cannot run `{check}`"))
    }
}

fn run_opencv(
    venv: &Path,
    script: &Path,
    suite: &[SynthClip],
    speed: &SynthClip,
    threads: usize,
    reps: usize,
) -> std::result::Result<OpenCv, String> {
    let python = ensure_venv(venv)?;
    let dir = std::env::temp_dir().join(format!("segmo-bench-tracks-{}", std::process::id()));
    let result = (|| {
        let mut names = Vec::new();
        let write = |name: &str, clip: &SynthClip| -> std::io::Result<()> {
            let d = dir.join(name);
            std::fs::create_dir_all(&d)?;
            let g: Vec<u8> = gray8(clip).concat();
            std::fs::write(d.join("gray.npy"), synth::export::npy(&[clip.frames.len(), clip.height, clip.width], &g))
        };
        for (i, c) in suite.iter().enumerate() {
            let name = format!("{i:02}-{}", c.name);
            write(&name, c).map_err(|e| e.to_string())?;
            names.push(name);
        }
        write("speed", speed).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("cases.txt"), names.join("\n") + "\n").map_err(|e| e.to_string())?;
        // The suite needs one pass; the speed clip gets `reps` timed passes (after a warm-up).
        let status = |out: std::process::Output| {
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("opencv_dis.py: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")))
            }
        };
        let py = |args: &[&str]| Command::new(&python).arg(script).args(args).output().map_err(|e| e.to_string());
        status(py(&[dir.to_str().unwrap_or_default(), &threads.to_string(), "1"])?)?;
        let speed_dir = dir.join("speed-only");
        std::fs::create_dir_all(&speed_dir).map_err(|e| e.to_string())?;
        std::fs::write(speed_dir.join("cases.txt"), "../speed\n").map_err(|e| e.to_string())?;
        status(py(&[speed_dir.to_str().unwrap_or_default(), &threads.to_string(), &(reps + 1).to_string()])?)?;

        let mut flows = Vec::new();
        for (name, c) in names.iter().zip(suite) {
            let read = |f: &str| read_flows(&dir.join(name).join(f), c.width, c.height);
            flows.push((read("fw.npy")?, read("bw.npy")?));
        }
        let t = std::fs::read_to_string(dir.join("speed").join("time.txt")).map_err(|e| e.to_string())?;
        let v: Vec<f64> = t.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if v.len() != 2 {
            return Err(format!("unreadable OpenCV timing '{t}'"));
        }
        Ok(OpenCv { flows, speed_ms: (v[0], v[1]) })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A float32 (T-1, H, W, 2) .npy as flows.
fn read_flows(path: &Path, w: usize, h: usize) -> std::result::Result<Vec<Flow>, String> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |why: &str| format!("{}: {why}", path.display());
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file"));
    }
    let (hl, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        _ => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&b[start..start + hl]).map_err(|_| bad("header not UTF-8"))?;
    if !header.contains("'<f4'") || header.contains("'fortran_order': True") {
        return Err(bad(&format!("expected C-order little-endian float32, header {header}")));
    }
    let data = &b[start + hl..];
    let per = w * h * 2;
    if per == 0 || data.len() % (per * 4) != 0 {
        return Err(bad(&format!("{} data bytes do not hold {w}x{h}x2 float32 flows", data.len())));
    }
    Ok(data
        .chunks_exact(per * 4)
        .map(|f| Flow {
            width: w,
            height: h,
            uv: f.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        })
        .collect())
}

pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let f = |v: f64| if v.is_finite() { format!("{v:.3}") } else { "-".into() };
    let _ = writeln!(
        s,
        "Point tracks on the synthetic suite (256x256, 24 frames; TAP-Vid strided; targets delta_avg >= 0.85, OA >= 0.85)"
    );
    let _ = writeln!(
        s,
        "{:<12} | {:>8} {:>6} {:>6} {:>7} | {:>8} {:>6} {:>6} {:>7}",
        "case", "delta", "OA", "AJ", "EPE", "delta", "OA", "AJ", "EPE"
    );
    let _ = writeln!(s, "{:<12} | {:^30} | {:^30}", "", "segmo DIS (CPU) + chaining", "OpenCV DIS + same chaining");
    let mut sums = [0.0f64; 8];
    let mut n_cv = 0usize;
    for row in &r.quality {
        let o = &row.ours;
        let ours = [o.tapvid.average_pts_within_thresh, o.tapvid.occlusion_accuracy, o.tapvid.average_jaccard, o.epe_noc];
        let cv = row.opencv.as_ref().map(|c| {
            [c.tapvid.average_pts_within_thresh, c.tapvid.occlusion_accuracy, c.tapvid.average_jaccard, c.epe_noc]
        });
        for k in 0..4 {
            sums[k] += ours[k];
        }
        if let Some(c) = cv {
            n_cv += 1;
            for k in 0..4 {
                sums[4 + k] += c[k];
            }
        }
        let cvs = cv.map_or(format!("{:>30}", "n/a"), |c| {
            format!("{:>8} {:>6} {:>6} {:>7}", f(c[0]), f(c[1]), f(c[2]), f(c[3]))
        });
        let _ = writeln!(s, "{:<12} | {:>8} {:>6} {:>6} {:>7} | {cvs}", o.name, f(ours[0]), f(ours[1]), f(ours[2]), f(ours[3]));
    }
    let n = r.quality.len().max(1) as f64;
    let cvm = if n_cv > 0 {
        let m = n_cv as f64;
        format!("{:>8} {:>6} {:>6} {:>7}", f(sums[4] / m), f(sums[5] / m), f(sums[6] / m), f(sums[7] / m))
    } else {
        format!("{:>30}", "n/a")
    };
    let _ = writeln!(s, "{:<12} | {:>8} {:>6} {:>6} {:>7} | {cvm}", "mean", f(sums[0] / n), f(sums[1] / n), f(sums[2] / n), f(sums[3] / n));
    let _ = writeln!(s, "EPE: mean end-point error (px) of the forward flow on pixels visible in both frames.");
    let _ = writeln!(s);
    let _ = writeln!(s, "Speed on the CPU path ({}, {} threads; OpenCV with the same thread count)", r.speed_clip, r.threads);
    let _ = writeln!(s, "{:<26} {:>10} {:>10} {:>8} {:>12}", "stage", "segmo ms", "OpenCV ms", "ratio", "peak heap");
    for row in &r.speed {
        let cv = row.opencv_ms.map_or("-".to_string(), |v| format!("{v:.1}"));
        let ratio = row.opencv_ms.map_or("-".to_string(), |v| format!("{:.2}x", row.ours_ms / v));
        let peak = row.peak.map_or("-".to_string(), fmt_bytes);
        let _ = writeln!(s, "{:<26} {:>10.1} {:>10} {:>8} {:>12}", row.stage, row.ours_ms, cv, ratio, peak);
    }
    let _ = writeln!(s, "ratio = segmo / OpenCV (target <= 1.5x); peak heap = the stage's highest live heap, its outputs included.");
    match &r.gpu {
        Some(g) => {
            let (d, oa, aj, epe) = g.quality;
            let _ = writeln!(s);
            let _ = writeln!(s, "WGSL kernels on {} (flow, reliability maps, following)", g.device);
            let _ = writeln!(s, "suite mean: delta {d:.3}, OA {oa:.3}, AJ {aj:.3}, EPE {epe:.3}");
            let cv = r.speed.get(1).and_then(|row| row.opencv_ms);
            let ratio = cv.map_or("-".to_string(), |v| format!("{:.2}x", g.pair_ms / v));
            let _ = writeln!(
                s,
                "{:<26} {:>10.1} {:>10} {:>8}   ({} pairs)",
                "flow, fwd+bwd (ms/pair)",
                g.pair_ms,
                cv.map_or("-".to_string(), |v| format!("{v:.1}")),
                ratio,
                g.pairs
            );
            let _ = writeln!(s, "{:<26} {:>10.1} {:>10} {:>8}   ({} frames)", "tracking (ms/frame)", g.track_ms, "-", "-", g.pairs + 1);
        }
        None => {
            let _ = writeln!(s, "GPU: no adapter, no GPU rows.");
        }
    }
    match &r.browser {
        Some(Ok(b)) => {
            let _ = writeln!(s);
            let _ = writeln!(s, "WGSL kernels in headless Chromium, {} (criterion medians, benches/web_tracks.rs)", b.device);
            let cv = r.speed.get(1).and_then(|row| row.opencv_ms);
            let ratio = cv.map_or("-".to_string(), |v| format!("{:.2}x", b.pair_ms / v));
            let cvs = cv.map_or("-".to_string(), |v| format!("{v:.1}"));
            let _ = writeln!(s, "{:<26} {:>10.1} {:>10} {:>8}   (854x480)", "flow, fwd+bwd (ms/pair)", b.pair_ms, cvs, ratio);
            let _ = writeln!(s, "{:<26} {:>10.1} {:>10} {:>8}   (854x480, 4 frames)", "tracking (ms/frame)", b.track_ms_per_frame, "-", "-");
        }
        Some(Err(e)) => {
            let _ = writeln!(s, "Headless Chromium: no rows ({e})");
        }
        None => {
            let _ = writeln!(s, "Headless Chromium: not run (--browser times the same kernels there through cargo bench).");
        }
    }
    if let Some(note) = &r.opencv_note {
        let _ = writeln!(s, "OpenCV: {note}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterions_report() {
        let text = "Invoking test: x\n\u{1b}[32mtracking (4 frames, 854x480)\u{1b}[0m\n\u{1b}[32m\u{1b}[0m                        time:   [\u{1b}[2m947.10 ms\u{1b}[0m \u{1b}[1m989.57 ms\u{1b}[0m \u{1b}[2m1.0266 s\u{1b}[0m]\ndevice: GPU:  (BrowserWebGpu)\n\u{1b}[32mflow, fwd+bwd (per pair, 854x480)\u{1b}[0m\n     time:   [\u{1b}[2m6.1625 s\u{1b}[0m \u{1b}[1m6.2303 s\u{1b}[0m \u{1b}[2m6.3047 s\u{1b}[0m]\n";
        let r = parse_browser(text).unwrap();
        assert!((r.pair_ms - 6230.3).abs() < 1e-6, "{}", r.pair_ms);
        assert!((r.track_ms_per_frame - 989.57 / 4.0).abs() < 1e-9);
        assert_eq!(r.device, "GPU:  (BrowserWebGpu)");
        assert!(parse_browser("nothing here").is_err());
        assert!(parse_browser("flow, fwd+bwd (per pair, 854x480)\ntime: [1 2 3]").is_err());
    }
}
