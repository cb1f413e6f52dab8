//! The `segmo` command line: segment | tracks | eval-tracks | eval | sample | bench | device.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use segmo::{ComputeDevice, DevicePreference, SegmoError};
use std::path::PathBuf;
use std::process::ExitCode;

// Counts heap bytes for the benchmarks' peak-memory column.
#[global_allocator]
static ALLOC: segmo::bench::alloc::Counting = segmo::bench::alloc::Counting;

#[derive(Parser)]
#[command(name = "segmo", version, about = "Find and segment every moving object in a video")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Segment the moving objects of a clip: writes OUT/masks/00000.png... (0 = background,
    /// k = object k) and OUT/overlay.mp4 (overlay.gif without ffmpeg).
    ///
    /// Method `lite` (the default): our point tracks, each scored by the mean of the track
    /// classifier with the shipped lite weights (models/lite-classifier.safetensors) and the
    /// motion-only heuristic (strays from the camera's motion: its dominant plane and the
    /// epipolar geometry that plane's homography implies), objects grouped from the moving
    /// tracks, masks densified along image edges. Method `baseline`: frame differencing after
    /// camera-motion compensation (labels parallax as motion too). See the README's Status.
    Segment {
        /// A folder of JPEG/PNG frames (sorted by name) or a video file (mp4, webm; needs ffmpeg).
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Use at most this many frames.
        #[arg(long)]
        max_frames: Option<usize>,
        /// Frame rate of the overlay video.
        #[arg(long, default_value_t = 12)]
        fps: u32,
        /// lite (default: tracks scored by the mean of the classifier and the motion-only
        /// heuristic), classifier (the classifier alone), heuristic (the heuristic alone) or
        /// baseline (frame differencing).
        #[arg(long, default_value = "lite")]
        method: String,
        /// Classifier weights (default: the shipped lite weights).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Where the tracker and classifier run (auto, gpu, cpu).
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// The lite pipeline on DAVIS-style sequences (DATA/<seq>/frames, DATA/<seq>/masks) scored
    /// with J and F; by default on the four held-out DAVIS-2016 train sequences.
    EvalLite {
        data: PathBuf,
        #[arg(long, value_delimiter = ',', default_value = "bear,boat,dance-jump,paragliding")]
        sequences: Vec<String>,
        #[arg(long)]
        weights: Option<PathBuf>,
        #[arg(long)]
        max_frames: Option<usize>,
        #[arg(long, default_value = "auto")]
        device: String,
        /// Also write each sequence's masks and overlay under this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Score tracks with the motion-only heuristic instead of the classifier.
        #[arg(long)]
        heuristic: bool,
        /// Score tracks with the classifier alone (default: its mean with the heuristic).
        #[arg(long, conflicts_with = "heuristic")]
        classifier_only: bool,
        /// Label tracks from the ground-truth masks instead (the ceiling of the objects and
        /// densifier stages; a diagnosis for training data).
        #[arg(long, conflicts_with = "heuristic")]
        oracle: bool,
        /// Score `segment --method baseline` (frame differencing) instead of the lite pipeline.
        #[arg(long, conflicts_with_all = ["heuristic", "oracle"])]
        baseline: bool,
        /// Densifier: object labels reach at most this many grid strides (default 10); a
        /// comma-separated list scores each value on the same tracks.
        #[arg(long, value_delimiter = ',')]
        object_strides: Vec<f32>,
        /// Densifier: cost per level of colour change crossed (default 0.5).
        #[arg(long)]
        colour_weight: Option<f32>,
        /// Densifier: weight of the colour prior (default 5; 0 = none).
        #[arg(long)]
        colour_prior: Option<f32>,
        /// Frames between classifier windows (default 24: windows tile the clip).
        #[arg(long)]
        window_stride: Option<usize>,
        /// Objects: likely-moving tracks above this join a confident object (default 0.4); a
        /// list scores each value on the same tracks.
        #[arg(long, value_delimiter = ',')]
        extend_threshold: Vec<f32>,
        /// Densifier: weight of the motion prior beside the colour prior (default 4); a list
        /// scores each value on the same tracks.
        #[arg(long, value_delimiter = ',')]
        motion_prior: Vec<f32>,
        /// Densifier: object labels past the distance cap stay where the prior's P(object) is
        /// above this (default 0.9; 1 = never).
        #[arg(long)]
        prior_beats_cap: Option<f32>,
        /// Objects: P(moving) scaled by motion persistence between LO:HI, or `off` (the
        /// default); a list scores each on the same tracks.
        #[arg(long, value_delimiter = ',')]
        persistence_gate: Vec<String>,
        /// Densifier: background seeds in trackless, still cells of the track grid farther than
        /// this many grid strides from every object point, or `off`; a list scores each.
        #[arg(long, value_delimiter = ',')]
        trackless_background: Vec<String>,
        /// Masks: regions smaller than this fraction of the frame take the label around them,
        /// or `off`; a list scores each.
        #[arg(long, value_delimiter = ',')]
        min_region: Vec<String>,
    },
    /// Long-range point tracks (DIS optical flow chained into trajectories): writes
    /// the tracks (.npz or .safetensors: xy [T,N,2], visible [T,N], confidence [T,N],
    /// query_frame [N]) and an overlay video beside them (dots coloured by query frame).
    Tracks {
        /// A folder of JPEG/PNG frames (sorted by name) or a video file (mp4, webm; needs ffmpeg).
        input: PathBuf,
        /// Output file: .npz or .safetensors.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        max_frames: Option<usize>,
        /// Grid stride in pixels (default: the released model's max(1, sqrt(H*W/9000))).
        #[arg(long)]
        stride: Option<usize>,
        /// Seed new points every this many frames where the grid became uncovered.
        #[arg(long, default_value_t = 10)]
        query_every: usize,
        /// Keep at most this many tracks (0 = all).
        #[arg(long, default_value_t = 5000)]
        max_tracks: usize,
        /// Do not write the overlay.
        #[arg(long)]
        no_overlay: bool,
        #[arg(long, default_value_t = 12)]
        fps: u32,
        /// Where the optical flow runs: auto (a hardware GPU if there is one, else the CPU
        /// path, which beats software adapters such as lavapipe), gpu (any wgpu adapter) or cpu.
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Point tracks on real video with moving-object masks (e.g. DAVIS-2016 train): the
    /// fraction of tracks that start on the object and stay on it while visible, and of tracks
    /// that start off it and stay off it. DATA holds <seq>/frames/*.jpg and <seq>/masks/*.png.
    EvalTracks {
        data: PathBuf,
        /// Only these sequences (comma separated; default all).
        #[arg(long, value_delimiter = ',')]
        sequences: Vec<String>,
        #[arg(long)]
        max_frames: Option<usize>,
        /// Boundary tolerance in pixels.
        #[arg(long, default_value_t = 5)]
        tolerance: usize,
        /// Where the optical flow runs (auto, gpu, cpu; see `tracks`).
        #[arg(long, default_value = "auto")]
        device: String,
        #[arg(long)]
        json: bool,
    },
    /// DAVIS J (region IoU) and F (boundary measure) of predicted masks against ground truth.
    /// PRED and GT are a sequence folder (PNGs, directly or under masks/) or a folder of them.
    Eval {
        pred: PathBuf,
        gt: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Render the deterministic synthetic sample clip with its ground truth.
    Sample {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 480)]
        width: u32,
        #[arg(long, default_value_t = 272)]
        height: u32,
        #[arg(long, default_value_t = 40)]
        frames: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Train the lite track classifier (CPU, burn autodiff) on DAVIS-style sequences (the four
    /// held-out ones are skipped) plus random synthetic scenes; writes safetensors weights and a
    /// CSV loss curve.
    Train {
        /// Folder of <seq>/frames and <seq>/masks (e.g. ../shared/data/davis2016-train).
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "models/lite-classifier.safetensors")]
        out: PathBuf,
        /// Loss curve CSV (default: the weights' path with .csv).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Prepared (tracked and labelled) clips are cached here.
        #[arg(long)]
        cache: Option<PathBuf>,
        #[arg(long, default_value_t = 120)]
        synthetic: usize,
        #[arg(long, default_value_t = 8)]
        validation: usize,
        #[arg(long, default_value_t = 3000)]
        steps: usize,
        /// Tracks per step (a random subset of a clip's tracks).
        #[arg(long, default_value_t = 256)]
        tracks: usize,
        /// Frames per step (a random window of a clip).
        #[arg(long, default_value_t = 24)]
        frames: usize,
        #[arg(long, default_value_t = 3e-4)]
        lr: f64,
        #[arg(long, default_value_t = 1e-4)]
        weight_decay: f32,
        #[arg(long, default_value_t = 0.5)]
        p_davis: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 100)]
        val_every: usize,
        /// Appearance descriptor in the semantic path (0 = motion only).
        #[arg(long, default_value_t = segmo::motion::appearance::APPEARANCE_DIM)]
        semantic_dim: usize,
        /// Camera-compensated motion channels (true for the shipped weights).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        residual: bool,
        /// Epipolar residual channels beside the planar ones (with --residual; false for the
        /// shipped weights: a model trained with them was no better, see the model card).
        #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
        epipolar: bool,
        /// Training sequences also left out (comma separated), for a cross-validation run that
        /// is then scored on them with `eval-lite --sequences`.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
    },
    /// Converts an official checkpoint (DINOv2 `.pth` from facebookresearch, or transformers'
    /// `model.safetensors`) into one safetensors bundle, official names, that the CLI and the
    /// browser load from bytes. The model is read off the tensors; the output is checked by
    /// loading it.
    Convert {
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Store f16 (half the size; values rounded to nearest even).
        #[arg(long)]
        f16: bool,
        /// Attention heads, for widths other than the released models' (64-wide heads).
        #[arg(long)]
        heads: Option<usize>,
    },
    /// Benchmarks: prints a table per stage, beside a reference run on the same device.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Show which compute device `auto` picks and its limits.
    Device {
        #[arg(long, default_value = "auto")]
        device: String,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Point tracker quality (synthetic suite, TAP-Vid metrics) and speed, beside OpenCV DIS.
    Tracks {
        #[arg(long, default_value_t = 854)]
        width: usize,
        #[arg(long, default_value_t = 480)]
        height: usize,
        #[arg(long, default_value_t = 50)]
        frames: usize,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Skip the OpenCV reference (no Python venv).
        #[arg(long)]
        no_opencv: bool,
        /// Reference venv (created on first use with opencv-python-headless and numpy).
        #[arg(long)]
        venv: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Skip the GPU rows.
        #[arg(long)]
        no_gpu: bool,
        /// Frame pairs of the speed clip timed on the GPU.
        #[arg(long, default_value_t = 10)]
        gpu_pairs: usize,
        /// Also time the kernels in headless Chromium (runs `cargo bench --bench web_tracks`
        /// for wasm32 in this source tree: needs what the browser tests need).
        #[arg(long)]
        browser: bool,
    },
    /// The track classifier's forward pass on the CPU and GPU, beside the official PyTorch model.
    Classifier {
        /// TRACKSxFRAMES sizes (comma separated); the released pipeline uses up to 5000 tracks.
        #[arg(long, value_delimiter = ',', default_value = "500x24,2000x50,5000x50")]
        sizes: Vec<String>,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        #[arg(long)]
        no_gpu: bool,
        /// A checkout of nnanhuang/SegAnyMo: adds the official model's PyTorch time.
        #[arg(long)]
        seganymo: Option<PathBuf>,
        /// Venv for the PyTorch reference (created on first use with torch and numpy).
        #[arg(long)]
        venv: Option<PathBuf>,
    },
    /// DINOv2 ViT-B/14 at 224x224, 448x448 and SegAnyMo's stride-7 854x480 setting: ours on
    /// the CPU and the GPU beside PyTorch and ONNX Runtime (CPU, same threads, same sizes).
    Dino {
        /// HEIGHTxWIDTH[sSTRIDE] (comma separated).
        #[arg(long, value_delimiter = ',', default_value = "224x224,448x448,480x854s7")]
        sizes: Vec<String>,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        #[arg(long)]
        no_gpu: bool,
        /// Skip PyTorch and ONNX Runtime (no Python venv).
        #[arg(long)]
        no_reference: bool,
        /// Venv for the references (created on first use: torch, transformers, onnx,
        /// onnxscript, onnxruntime).
        #[arg(long)]
        venv: Option<PathBuf>,
    },
    /// The whole lite pipeline, ms per frame of each stage, on the CPU path and the GPU.
    Pipeline {
        #[arg(long, default_value_t = 854)]
        width: u32,
        #[arg(long, default_value_t = 480)]
        height: u32,
        #[arg(long, default_value_t = 24)]
        frames: usize,
        #[arg(long)]
        weights: Option<PathBuf>,
        #[arg(long)]
        no_gpu: bool,
    },
    /// Our attention (the tiled WGSL kernel on a GPU, the AVX-512 host kernel on the CPU where it
    /// applies, else burn's fused kernel) vs burn's matmul-softmax-matmul.
    Attention {
        #[arg(long, default_value = "gpu")]
        device: String,
        /// Sequence lengths (comma separated).
        #[arg(long, value_delimiter = ',', default_value = "1024,2048,4096,8192,16384,32768")]
        lens: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_value = "16,64")]
        dims: Vec<usize>,
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
}

/// The classifier from `path`, or the shipped lite weights.
fn load_classifier(path: Option<&std::path::Path>, dev: &ComputeDevice) -> Result<segmo::motion::MotionClassifier, SegmoError> {
    let path = path.map(PathBuf::from).unwrap_or_else(segmo::motion::classifier::shipped_weights_path);
    let bytes = std::fs::read(&path).map_err(|e| SegmoError::io(&path, e))?;
    segmo::motion::MotionClassifier::from_file_bytes(&bytes, &dev.device).map_err(|e| SegmoError::io(&path, e))
}

/// `off` or `LO:HI` (eval-lite's `--persistence-gate`).
fn parse_gate(s: &str) -> Result<Option<[f32; 2]>, SegmoError> {
    if s == "off" {
        return Ok(None);
    }
    let bad = || SegmoError::BadInput(format!("--persistence-gate {s}: expected `off` or LO:HI with 0 <= LO < HI <= 1"));
    let (lo, hi) = s.split_once(':').ok_or_else(bad)?;
    let (lo, hi): (f32, f32) = (lo.parse().map_err(|_| bad())?, hi.parse().map_err(|_| bad())?);
    if !(0.0..1.0).contains(&lo) || !(hi > lo && hi <= 1.0) {
        return Err(bad());
    }
    Ok(Some([lo, hi]))
}

/// `off` or a number that `valid` accepts; `flag` and `expected` name them in the error.
fn parse_off_or(s: &str, flag: &str, expected: &str, valid: impl Fn(f32) -> bool) -> Result<Option<f32>, SegmoError> {
    if s == "off" {
        return Ok(None);
    }
    match s.parse::<f32>() {
        Ok(r) if valid(r) => Ok(Some(r)),
        _ => Err(SegmoError::BadInput(format!("{flag} {s}: expected `off` or {expected}"))),
    }
}

/// `off` or a reach in grid strides (eval-lite's `--trackless-background`).
fn parse_reach(s: &str) -> Result<Option<f32>, SegmoError> {
    parse_off_or(s, "--trackless-background", "a reach in grid strides >= 0", |r| r.is_finite() && r >= 0.0)
}

/// `off` or a fraction of the frame in [0, 1) (eval-lite's `--min-region`).
fn parse_fraction(s: &str) -> Result<Option<f32>, SegmoError> {
    parse_off_or(s, "--min-region", "a fraction of the frame in [0, 1)", |r| (0.0..1.0).contains(&r))
}

/// `~/.cache/<name>` (the temp dir when there is no home).
fn home_cache(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join(name)
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("template"));
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb.set_message(msg.to_string());
    pb
}

fn run(cli: Cli) -> Result<(), SegmoError> {
    match cli.cmd {
        Cmd::Segment { input, out, max_frames, fps, method, weights, device } => {
            let pb = spinner(&format!("reading {}", input.display()));
            let clip = segmo::io::read_clip(&input, max_frames)?;
            let labels = match method.as_str() {
                "baseline" => {
                    pb.set_message(format!("segmenting {} frames of {}x{} (baseline)", clip.len(), clip.width, clip.height));
                    segmo::baseline::segment(&clip, &Default::default())?
                }
                "lite" | "classifier" | "heuristic" => {
                    let dev = flow_device(&device)?;
                    let clf = load_classifier(weights.as_deref(), &dev)?;
                    let scorer = match method.as_str() {
                        "classifier" => segmo::pipeline::Scorer::Classifier(&clf),
                        "heuristic" => segmo::pipeline::Scorer::Heuristic,
                        _ => segmo::pipeline::Scorer::Blend(&clf),
                    };
                    let seg = segmo::pipeline::segment_lite(&clip, scorer, &Default::default(), &dev, |stage, done, total| {
                        pb.set_message(format!("{stage} {done}/{total}"))
                    })?;
                    pb.println(format!(
                        "{} tracks, threshold {}, {} object(s); ms: tracks {:.0}, features {:.0}, classifier {:.0}, objects {:.0}, masks {:.0}",
                        seg.tracks.n,
                        seg.objects.threshold.map_or("none (nothing moves)".to_string(), |t| t.to_string()),
                        seg.objects.count,
                        seg.times.tracks,
                        seg.times.features,
                        seg.times.classifier,
                        seg.times.objects,
                        seg.times.masks
                    ));
                    seg.labels
                }
                other => return Err(SegmoError::BadInput(format!("--method {other}: expected lite, classifier, heuristic or baseline"))),
            };
            pb.set_message("writing masks and overlay");
            let masks = out.join("masks");
            segmo::io::write_labels(&masks, &labels)?;
            let overlay = segmo::io::write_overlay(&out, &clip, &labels, fps)?;
            pb.finish_and_clear();
            let objects = labels.iter().flat_map(|l| l.labels.iter()).copied().max().unwrap_or(0);
            let moving = labels.iter().map(|l| l.labels.iter().filter(|&&v| v > 0).count() as f64 / l.labels.len().max(1) as f64).sum::<f64>()
                / labels.len().max(1) as f64;
            println!(
                "{} frames -> {} ({} object ids, {:.2}% of pixels moving on average), overlay {}",
                labels.len(),
                masks.display(),
                objects,
                100.0 * moving,
                overlay.display()
            );
        }
        Cmd::EvalLite { data, sequences, weights, max_frames, device, out, heuristic, classifier_only, oracle, baseline, object_strides, colour_weight, colour_prior, window_stride, extend_threshold, motion_prior, prior_beats_cap, persistence_gate, trackless_background, min_region } => {
            let dev = flow_device(&device)?;
            let mut opts = segmo::pipeline::LiteOptions::default();
            if let Some(c) = colour_prior {
                opts.densify.colour_prior_weight = c;
            }
            if let Some(c) = colour_weight {
                opts.densify.colour_weight = c;
            }
            if let Some(p) = prior_beats_cap {
                opts.densify.prior_beats_cap = p;
            }
            if let Some(s) = window_stride {
                opts.window_stride = s;
            }
            // Variants of the later stages, each scored on the same tracks and probabilities.
            let strides = if object_strides.is_empty() { vec![opts.max_object_strides] } else { object_strides };
            let extends = if extend_threshold.is_empty() { vec![opts.objects.extend_threshold] } else { extend_threshold };
            let motions = if motion_prior.is_empty() { vec![opts.densify.motion_prior_weight] } else { motion_prior };
            let gates: Vec<Option<[f32; 2]>> = if persistence_gate.is_empty() {
                vec![opts.persistence_gate]
            } else {
                persistence_gate.iter().map(|g| parse_gate(g)).collect::<Result<_, _>>()?
            };
            let fills: Vec<Option<segmo::masks::trackless::TracklessOptions>> = if trackless_background.is_empty() {
                vec![opts.trackless_background]
            } else {
                let base = opts.trackless_background.unwrap_or(segmo::masks::trackless::TRACKLESS);
                trackless_background.iter().map(|r| Ok(parse_reach(r)?.map(|reach_strides| segmo::masks::trackless::TracklessOptions { reach_strides, ..base }))).collect::<Result<_, SegmoError>>()?
            };
            let regions: Vec<Option<f32>> = if min_region.is_empty() {
                vec![opts.min_region]
            } else {
                min_region.iter().map(|r| parse_fraction(r)).collect::<Result<_, _>>()?
            };
            let variants: Vec<segmo::pipeline::LiteOptions> = strides
                .iter()
                .flat_map(|&s| extends.iter().map(move |&e| (s, e)))
                .flat_map(|(s, e)| motions.iter().map(move |&m| (s, e, m)))
                .flat_map(|(s, e, m)| gates.iter().map(move |&g| (s, e, m, g)))
                .flat_map(|(s, e, m, g)| fills.iter().map(move |&f| (s, e, m, g, f)))
                .flat_map(|(s, e, m, g, f)| regions.iter().map(move |&r| (s, e, m, g, f, r)))
                .map(|(s, e, m, g, f, r)| {
                    let mut o = opts.clone();
                    o.max_object_strides = s;
                    o.objects.extend_threshold = e;
                    o.densify.motion_prior_weight = m;
                    o.persistence_gate = g;
                    o.trackless_background = f;
                    o.min_region = r;
                    o
                })
                .collect();
            let clf = if heuristic || oracle || baseline { None } else { Some(load_classifier(weights.as_deref(), &dev)?) };
            let mut scores = vec![Vec::new(); variants.len()];
            for name in &sequences {
                let dir = data.join(name);
                let pb = spinner(&format!("{name}: reading"));
                let (clip, gts) = segmo::io::davis::read_sequence(&dir, max_frames)?;
                if baseline {
                    pb.set_message(format!("{name}: baseline"));
                    let labels = segmo::baseline::segment(&clip, &Default::default())?;
                    pb.finish_and_clear();
                    let preds: Vec<Vec<bool>> = labels.iter().map(|l| l.labels.iter().map(|&v| v > 0).collect()).collect();
                    let score = segmo::eval::score_sequence(name, &preds, &gts, clip.width as usize, clip.height as usize, &Default::default());
                    println!("{name}: J {:.3} F {:.3} (baseline)", score.j_mean, score.f_mean);
                    scores[0].push(score);
                    continue;
                }
                let scorer = match &clf {
                    Some(c) if classifier_only => segmo::pipeline::Scorer::Classifier(c),
                    Some(c) => segmo::pipeline::Scorer::Blend(c),
                    None if oracle => segmo::pipeline::Scorer::Truth(&gts),
                    None => segmo::pipeline::Scorer::Heuristic,
                };
                let scored = segmo::pipeline::score_tracks(&clip, scorer, &opts, &dev, |stage, done, total| {
                    pb.set_message(format!("{name}: {stage} {done}/{total}"))
                })?;
                pb.finish_and_clear();
                for (v, variant) in variants.iter().enumerate() {
                    let seg = segmo::pipeline::masks_from_scores(&clip, scored.clone(), variant, &dev, |_, _, _| {})?;
                    let label = if variants.len() > 1 {
                        format!("{name} [strides {}, extend {}, motion {}, gate {:?}, trackless {:?}, min region {:?}]", variant.max_object_strides, variant.objects.extend_threshold, variant.densify.motion_prior_weight, variant.persistence_gate, variant.trackless_background.map(|f| f.reach_strides), variant.min_region)
                    } else {
                        name.clone()
                    };
                    let preds: Vec<Vec<bool>> = seg.labels.iter().map(|l| l.labels.iter().map(|&v| v > 0).collect()).collect();
                    let score = segmo::eval::score_sequence(name, &preds, &gts, clip.width as usize, clip.height as usize, &Default::default());
                    let truth = segmo::motion::truth::majority_labels(&seg.tracks, &gts);
                    let tracks = segmo::eval::track_labels::TrackAgreement::of(&truth, &seg.probs, &seg.objects.object);
                    println!(
                        "{label}: J {:.3} F {:.3} ({} objects, threshold {:?}, {tracks}, {:.0} ms/frame)",
                        score.j_mean,
                        score.f_mean,
                        seg.objects.count,
                        seg.objects.threshold,
                        (seg.times.tracks + seg.times.features + seg.times.classifier + seg.times.objects + seg.times.masks) / clip.len() as f64
                    );
                    if let Some(out) = out.as_ref().filter(|_| v == 0) {
                        let o = out.join(name);
                        segmo::io::write_labels(&o.join("masks"), &seg.labels)?;
                        segmo::io::write_overlay(&o, &clip, &seg.labels, 12)?;
                    }
                    scores[v].push(score);
                }
            }
            for (variant, scores) in variants.iter().zip(scores) {
                if variants.len() > 1 {
                    println!("\n== object strides {}, extend threshold {}, motion prior {}, persistence gate {:?}, trackless background {:?}, min region {:?}", variant.max_object_strides, variant.objects.extend_threshold, variant.densify.motion_prior_weight, variant.persistence_gate, variant.trackless_background.map(|f| f.reach_strides), variant.min_region);
                }
                print!("{}", segmo::eval::EvalReport::new(scores, Default::default()).table());
            }
        }
        Cmd::Tracks { input, out, max_frames, stride, query_every, max_tracks, no_overlay, fps, device } => {
            let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if ext != "npz" && ext != "safetensors" {
                return Err(SegmoError::BadInput(format!("--out {}: expected a .npz or .safetensors file", out.display())));
            }
            let pb = spinner(&format!("reading {}", input.display()));
            let clip = segmo::io::read_clip(&input, max_frames)?;
            pb.finish_and_clear();
            let cfg = segmo::tracks::TrackerConfig {
                tracks: segmo::tracks::TrackOptions {
                    grid_stride: stride,
                    query_every,
                    max_tracks: (max_tracks > 0).then_some(max_tracks),
                    ..Default::default()
                },
                ..Default::default()
            };
            let bar = ProgressBar::new(clip.len().saturating_sub(1) as u64);
            bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} frame pairs (optical flow) {elapsed}").expect("template"));
            let dev = flow_device(&device)?;
            let tracks = segmo::tracks::track_clip_on(&clip, &cfg, &dev, |done, _| bar.set_position(done as u64))?;
            bar.finish_and_clear();
            let bytes = if ext == "npz" { segmo::tracks::export::to_npz(&tracks) } else { segmo::tracks::export::to_safetensors(&tracks) };
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| SegmoError::io(dir, e))?;
            }
            std::fs::write(&out, bytes).map_err(|e| SegmoError::io(&out, e))?;
            let visible = tracks.visible.iter().filter(|v| **v).count();
            println!(
                "{} tracks over {} frames ({:.1} visible frames per track) -> {}",
                tracks.n,
                tracks.frames,
                visible as f64 / tracks.n.max(1) as f64,
                out.display()
            );
            if !no_overlay {
                let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
                let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("tracks");
                let frames = segmo::io::tracks_overlay::draw(&clip, &tracks);
                let path = segmo::io::overlay::write_frames(dir, &format!("{stem}-overlay"), clip.width, clip.height, fps, &frames)?;
                println!("overlay {}", path.display());
            }
        }
        Cmd::EvalTracks { data, sequences, max_frames, tolerance, device, json } => {
            let dev = flow_device(&device)?;
            let dirs = segmo::io::davis::sequences(&data, &sequences, &[])?;
            let mut rows = Vec::new();
            for dir in &dirs {
                let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let (clip, masks) = segmo::io::davis::read_sequence(dir, max_frames)?;
                let bar = ProgressBar::new(clip.len().saturating_sub(1) as u64);
                bar.set_style(ProgressStyle::with_template(&format!("{name:<16} {{bar:30}} {{pos}}/{{len}} frame pairs {{elapsed}}")).expect("template"));
                let tracks = segmo::tracks::track_clip_on(&clip, &Default::default(), &dev, |d, _| bar.set_position(d as u64))?;
                bar.finish_and_clear();
                let row = segmo::eval::track_containment::containment(&name, &tracks, &masks, tolerance);
                eprintln!("{name}: inside {:.3} ({} tracks), outside {:.3} ({} tracks)", row.inside_fraction(), row.inside_tracks, row.outside_fraction(), row.outside_tracks);
                rows.push(row);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| SegmoError::Eval(e.to_string()))?);
            } else {
                print!("{}", segmo::eval::track_containment::table(&rows, tolerance));
            }
        }
        Cmd::Eval { pred, gt, json } => {
            let report = segmo::eval::load::evaluate_dirs(&pred, &gt, &Default::default())
                .map_err(|e| SegmoError::Eval(e.to_string()))?;
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.table());
            }
        }
        Cmd::Sample { out, width, height, frames, seed } => {
            let cfg = segmo::sample::SampleConfig { width, height, frames, seed };
            if width < 16 || height < 16 || frames == 0 {
                return Err(SegmoError::BadInput(format!("sample size {width}x{height}x{frames} too small")));
            }
            let s = segmo::sample::render(&cfg);
            segmo::sample::write(&s, &out).map_err(|e| SegmoError::io(&out, e))?;
            println!("sample clip: {frames} frames {width}x{height} -> {}/frames, ground truth {}/masks", out.display(), out.display());
        }
        Cmd::Bench { what: BenchCmd::Tracks { width, height, frames, reps, no_opencv, venv, seed, no_gpu, gpu_pairs, browser } } => {
            let venv = (!no_opencv).then(|| {
                venv.unwrap_or_else(|| {
                    home_cache("segmo-ref-venv")
                })
            });
            let source_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let script = source_dir.join("tests/reference/opencv_dis.py");
            let gpu = if no_gpu {
                None
            } else {
                match ComputeDevice::select(DevicePreference::Gpu) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        eprintln!("no GPU rows: {e}");
                        None
                    }
                }
            };
            let opts = segmo::bench::tracks::Options { width, height, frames, reps, venv, script, seed, gpu, gpu_pairs, browser, source_dir };
            let pb = spinner("bench tracks");
            let report = segmo::bench::tracks::run(&opts, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::tracks::table(&report));
        }
        Cmd::Train { data, out, log, cache, synthetic, validation, steps, tracks, frames, lr, weight_decay, p_davis, seed, val_every, semantic_dim, residual, epipolar, exclude } => {
            let log = log.unwrap_or_else(|| out.with_extension("csv"));
            let cache = cache.unwrap_or_else(|| home_cache("segmo-train-cache"));
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let opts = segmo::train::TrainOptions {
                data, exclude, cache, out: out.clone(), log: log.clone(), synthetic, validation, steps, tracks, frames, lr, weight_decay, p_davis, seed, val_every,
                config: segmo::motion::ClassifierConfig { residual, epipolar: residual && epipolar, ..segmo::motion::ClassifierConfig::lite(semantic_dim) },
                command,
            };
            let pb = spinner("train");
            let report = segmo::train::train(&opts, |m| {
                if m.starts_with("step") {
                    pb.println(m);
                }
                pb.set_message(m.to_string());
            })?;
            pb.finish_and_clear();
            println!(
                "trained {} parameters for {} steps in {:.0} s: train loss {:.4}, validation loss {:.4}, balanced accuracy {:.3}\nweights: {}\nloss curve: {}",
                report.parameters, report.steps, report.seconds, report.final_train_loss, report.validation.loss,
                report.validation.balanced_accuracy, out.display(), log.display()
            );
        }
        Cmd::Bench { what: BenchCmd::Classifier { sizes, reps, no_gpu, seganymo, venv } } => {
            let sizes = sizes
                .iter()
                .map(|s| {
                    let (n, t) = s.split_once('x').ok_or_else(|| SegmoError::BadInput(format!("size '{s}' is not TRACKSxFRAMES")))?;
                    let p = |v: &str| v.parse::<usize>().map_err(|_| SegmoError::BadInput(format!("size '{s}' is not TRACKSxFRAMES")));
                    Ok((p(n)?, p(t)?))
                })
                .collect::<segmo::Result<Vec<_>>>()?;
            segmo::bench::classifier::check_sizes(&sizes)?;
            let source_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let venv = venv.unwrap_or_else(|| home_cache("segmo-torch-venv"));
            let script = source_dir.join("tests/reference/torch_classifier.py");
            let opts = segmo::bench::classifier::Options { sizes, reps, gpu: !no_gpu, seganymo, venv, script };
            let pb = spinner("bench classifier");
            let report = segmo::bench::classifier::run(&opts, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::classifier::table(&report));
        }
        Cmd::Bench { what: BenchCmd::Dino { sizes, reps, no_gpu, no_reference, venv } } => {
            let sizes = sizes.iter().map(|s| s.parse()).collect::<segmo::Result<Vec<segmo::bench::dino::Size>>>()?;
            let source_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let opts = segmo::bench::dino::Options {
                sizes,
                reps,
                gpu: !no_gpu,
                no_reference,
                venv: venv.unwrap_or_else(|| home_cache("segmo-torch-venv")),
                script: source_dir.join("tests/reference/torch_dino.py"),
            };
            let pb = spinner("bench dino");
            let report = segmo::bench::dino::run(&opts, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::dino::table(&report));
        }
        Cmd::Bench { what: BenchCmd::Pipeline { width, height, frames, weights, no_gpu } } => {
            let path = weights.unwrap_or_else(segmo::motion::classifier::shipped_weights_path);
            let bytes = std::fs::read(&path).map_err(|e| SegmoError::io(&path, e))?;
            let mut devices = vec![ComputeDevice::cpu()];
            if !no_gpu {
                devices.push(ComputeDevice::select(DevicePreference::Gpu)?);
            }
            if frames < 2 || width < 16 || height < 16 {
                return Err(SegmoError::BadInput("bench pipeline: at least 2 frames of 16x16".into()));
            }
            let pb = spinner("bench pipeline");
            let rows = segmo::bench::pipeline::run(&bytes, &devices, width, height, frames, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::pipeline::table(&rows, width, height));
        }
        Cmd::Bench { what: BenchCmd::Attention { device, lens, dims, reps } } => {
            let dev = ComputeDevice::select(device.parse()?)?;
            eprintln!("device: {}", dev.info);
            let pb = spinner("attention");
            let rows = segmo::bench::attention::run(&dev, &lens, &dims, reps, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::attention::table(&dev, &rows));
        }
        Cmd::Convert { input, out, f16, heads } => {
            let bytes = std::fs::read(&input).map_err(|e| SegmoError::io(&input, e))?;
            let (converted, config) = segmo::features::dino::weights::convert(&bytes, f16, heads).map_err(|e| SegmoError::io(&input, e))?;
            std::fs::write(&out, &converted).map_err(|e| SegmoError::io(&out, e))?;
            println!(
                "DINOv2 {} ({} blocks, {}-d, {} heads, {} registers, positions resized as {}) -> {} ({:.1} MB, {})",
                config.name, config.depth, config.embed_dim, config.num_heads, config.num_register_tokens, segmo::features::dino::weights::interp_name(config.pos_interp),
                out.display(), converted.len() as f64 / 1e6, if f16 { "f16" } else { "f32" }
            );
        }
        Cmd::Device { device } => {
            let pref: DevicePreference = device.parse()?;
            let dev = ComputeDevice::select(pref)?;
            println!("{}", dev.info);
            if let Some(l) = dev.info.limits {
                println!("limits: {l:?}");
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segmo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc serves blocks over 128 KiB-32 MiB with fresh `mmap`s and returns freed memory to the
/// system, so every large tensor a CPU forward pass allocates (ViT-B/14's MLP activations are
/// 12 MB at 448x448 and 100 MB at stride 7) is page-faulted in, zeroed by the kernel and
/// unmapped again: 10-15% of the forward pass. Serving them from the heap and keeping what is
/// freed lets the next layer reuse the same pages (448x448 1185 -> 1031 ms, stride 7 19.2 ->
/// 17.5 s; resident memory unchanged). The process is ours, so the allocator policy is too;
/// a native app embedding the library can make the same call.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, i32::MAX);
            mallopt(M_TRIM_THRESHOLD, i32::MAX);
        }
    }
}

/// The device for optical flow: `auto` skips software GPU adapters, where the CPU path is
/// faster.
fn flow_device(pref: &str) -> Result<ComputeDevice, SegmoError> {
    let dev = match pref {
        "auto" => {
            let d = ComputeDevice::select(DevicePreference::Auto)?;
            if d.is_gpu() && d.info.software {
                eprintln!("{} is a software adapter: optical flow on the CPU path (--device gpu forces it)", d.info.name);
                ComputeDevice::cpu()
            } else {
                d
            }
        }
        other => ComputeDevice::select(other.parse()?)?,
    };
    eprintln!("optical flow on {}", dev.info);
    Ok(dev)
}

#[cfg(test)]
mod tests {
    use super::{parse_fraction, parse_gate, parse_reach};

    #[test]
    fn region_fractions_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(parse_fraction("off").unwrap(), None);
        assert_eq!(parse_fraction("0.001").unwrap(), Some(0.001));
        for bad in ["1", "-0.1", "x", "NaN"] {
            let e = parse_fraction(bad).unwrap_err().to_string();
            assert!(e.contains("expected `off` or a fraction"), "{bad}: {e}");
        }
    }

    #[test]
    fn trackless_reaches_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(parse_reach("off").unwrap(), None);
        assert_eq!(parse_reach("4").unwrap(), Some(4.0));
        for bad in ["-1", "x", "inf", ""] {
            let e = parse_reach(bad).unwrap_err().to_string();
            assert!(e.contains("expected `off` or a reach"), "{bad}: {e}");
        }
    }

    #[test]
    fn persistence_gates_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(parse_gate("off").unwrap(), None);
        assert_eq!(parse_gate("0.5:0.9").unwrap(), Some([0.5, 0.9]));
        for bad in ["0.9:0.5", "0.5", "a:b", "-0.1:0.5", "0.5:1.5", ""] {
            let e = parse_gate(bad).unwrap_err().to_string();
            assert!(e.contains("expected `off` or LO:HI"), "{bad}: {e}");
        }
    }
}
