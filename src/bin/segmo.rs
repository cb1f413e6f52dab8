//! The `segmo` command line: segment | eval | sample | bench | device.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use segmo::{ComputeDevice, DevicePreference, SegmoError};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Current method: the BASELINE (frame differencing after camera-motion compensation),
    /// until the point tracker and the track classifier land. It is real but simple: it
    /// labels anything that moves against the dominant camera motion, including parallax.
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
    /// Our tiled WGSL attention vs burn's matmul-softmax-matmul.
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

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("template"));
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb.set_message(msg.to_string());
    pb
}

fn run(cli: Cli) -> Result<(), SegmoError> {
    match cli.cmd {
        Cmd::Segment { input, out, max_frames, fps } => {
            let pb = spinner(&format!("reading {}", input.display()));
            let clip = segmo::io::read_clip(&input, max_frames)?;
            pb.set_message(format!("segmenting {} frames of {}x{} (baseline)", clip.len(), clip.width, clip.height));
            let labels = segmo::baseline::segment(&clip, &Default::default())?;
            pb.set_message("writing masks and overlay");
            let masks = out.join("masks");
            segmo::io::write_labels(&masks, &labels)?;
            let overlay = segmo::io::write_overlay(&out, &clip, &labels, fps)?;
            pb.finish_and_clear();
            let objects = labels.iter().flat_map(|l| l.labels.iter()).copied().max().unwrap_or(0);
            println!(
                "{} frames -> {} ({} object ids), overlay {}",
                labels.len(),
                masks.display(),
                objects,
                overlay.display()
            );
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
        Cmd::Bench { what: BenchCmd::Attention { device, lens, dims, reps } } => {
            let dev = ComputeDevice::select(device.parse()?)?;
            eprintln!("device: {}", dev.info);
            let pb = spinner("attention");
            let rows = segmo::bench::attention::run(&dev, &lens, &dims, reps, |m| pb.set_message(m.to_string()))?;
            pb.finish_and_clear();
            print!("{}", segmo::bench::attention::table(&dev, &rows));
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
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segmo: {e}");
            ExitCode::FAILURE
        }
    }
}
