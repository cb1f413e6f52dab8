//! DAVIS evaluation: region similarity J and boundary measure F.
//!
//! The numbers are meant to be interchangeable with the official DAVIS
//! evaluation code (`davisvideochallenge/davis2017-evaluation`,
//! `davis2017/metrics.py` and `davis2017/utils.py::db_statistics`), so that
//! results from this crate can be put next to published tables. Every place
//! where the official code has a quirk that changes numbers (boundary map
//! offsets, the structuring element, the empty-mask cases, the decay bins)
//! is reproduced on purpose and marked as such.
//!
//! Masks are row-major `&[bool]` slices of `width * height` pixels, `true`
//! meaning foreground.
//!
//! Deliberate deviation: the official decay casts bin indices to `uint8`,
//! which wraps around for sequences longer than 256 frames. DAVIS never
//! has such sequences; we use unwrapped indices so long videos still get a
//! meaningful decay.

// Reading PNGs and writing JSON need the optional `image` / `serde_json`
// dependencies; the metrics themselves stay available everywhere (wasm too).
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod load;
pub mod tapvid;
pub mod track_containment;
pub mod track_labels;

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub use load::evaluate_dirs;

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

/// Boundary tolerance used by DAVIS: 0.8 % of the image diagonal.
pub const DEFAULT_BOUND_TH: f64 = 0.008;

/// Errors raised while loading masks for evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("directory does not exist or is not a directory: {0}")]
    MissingDir(PathBuf),

    #[error("no PNG masks found in {0} (looked in the folder itself, in its masks/ subfolder and in its sequence subfolders)")]
    NoPngs(PathBuf),

    #[error("GT sequence '{name}' has no matching sequence folder in PRED {pred_root}")]
    MissingSequence { name: String, pred_root: PathBuf },

    #[error("frame count mismatch for sequence '{name}': PRED {pred_dir} has {pred_count} PNGs but GT {gt_dir} has {gt_count}")]
    FrameCountMismatch {
        name: String,
        pred_dir: PathBuf,
        pred_count: usize,
        gt_dir: PathBuf,
        gt_count: usize,
    },

    #[error("size mismatch: PRED {pred_file} is {pred_width}x{pred_height} but GT {gt_file} is {gt_width}x{gt_height}")]
    SizeMismatch {
        pred_file: PathBuf,
        pred_width: u32,
        pred_height: u32,
        gt_file: PathBuf,
        gt_width: u32,
        gt_height: u32,
    },

    #[error("sequence '{name}' has only {frames} frame(s); skipping the first and last frame needs at least 3")]
    TooFewFrames { name: String, frames: usize },

    #[error("cannot read mask {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// Evaluation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvalOptions {
    /// Boundary tolerance. Below 1 it is a fraction of the image diagonal
    /// (radius = ceil(bound_th * diagonal)); at 1 or above it is a radius
    /// in pixels. Same convention as the official `f_measure`.
    pub bound_th: f64,
    /// Leave the first and the last frame out of the scores.
    ///
    /// The official semi-supervised protocol (davis2017-evaluation with
    /// `--task semi-supervised`, and the original DAVIS-2016 `davis` package
    /// for every task) drops them because the first frame's mask is given
    /// to the method. The unsupervised task of davis2017-evaluation, which
    /// is what motion-segmentation papers use for DAVIS-2016, scores every
    /// frame, so the default is `false`.
    pub skip_first_last: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            bound_th: DEFAULT_BOUND_TH,
            skip_first_last: false,
        }
    }
}

/// Scores of one sequence (one foreground object for DAVIS-2016).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceScore {
    pub name: String,
    /// Number of frames that were scored (after any first/last skipping).
    pub frames: usize,
    pub j_mean: f64,
    pub j_recall: f64,
    pub j_decay: f64,
    pub f_mean: f64,
    pub f_recall: f64,
    pub f_decay: f64,
    pub per_frame_j: Vec<f64>,
    pub per_frame_f: Vec<f64>,
}

impl SequenceScore {
    /// Builds the summary from already computed per-frame values.
    pub fn from_per_frame(
        name: impl Into<String>,
        per_frame_j: Vec<f64>,
        per_frame_f: Vec<f64>,
    ) -> Self {
        let j = Stats::of(&per_frame_j);
        let f = Stats::of(&per_frame_f);
        Self {
            name: name.into(),
            frames: per_frame_j.len(),
            j_mean: j.mean,
            j_recall: j.recall,
            j_decay: j.decay,
            f_mean: f.mean,
            f_recall: f.recall,
            f_decay: f.decay,
            per_frame_j,
            per_frame_f,
        }
    }

    /// (J mean + F mean) / 2, the per-sequence J&F.
    pub fn jf_mean(&self) -> f64 {
        (self.j_mean + self.f_mean) / 2.0
    }
}

/// Mean, recall and decay of a per-frame series, as `db_statistics`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub mean: f64,
    /// Fraction of frames scoring strictly above 0.5.
    pub recall: f64,
    /// Mean of the first quarter minus mean of the last quarter.
    pub decay: f64,
}

impl Stats {
    /// An empty series gives NaN everywhere, like numpy's `nanmean([])`.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self {
                mean: f64::NAN,
                recall: f64::NAN,
                decay: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let recall = values.iter().filter(|&&v| v > 0.5).count() as f64 / n as f64;

        // Official bins: ids = round(linspace(1, n, 5) + 1e-10) - 1, and bin i
        // is values[ids[i] ..= ids[i+1]], so neighbouring bins share their
        // edge frame. The 1e-10 turns numpy's round-half-to-even into
        // round-half-up, which f64::round gives us for positive numbers.
        let step = (n as f64 - 1.0) / 4.0;
        let ids: Vec<usize> = (0..5)
            .map(|i| {
                let x = if i == 4 {
                    n as f64
                } else {
                    1.0 + step * i as f64
                };
                ((x + 1e-10).round() as usize).saturating_sub(1)
            })
            .collect();
        let bin_mean = |i: usize| {
            let lo = ids[i].min(n);
            let hi = (ids[i + 1] + 1).min(n);
            let bin = &values[lo..hi.max(lo)];
            if bin.is_empty() {
                f64::NAN
            } else {
                bin.iter().sum::<f64>() / bin.len() as f64
            }
        };
        let decay = bin_mean(0) - bin_mean(3);
        Self {
            mean,
            recall,
            decay,
        }
    }
}

/// Region similarity: |A ∩ B| / |A ∪ B|, and 1 when both masks are empty
/// (nothing to find and nothing found is a perfect answer).
///
/// # Panics
/// If the two masks differ in length.
pub fn region_j(pred: &[bool], gt: &[bool]) -> f64 {
    assert_eq!(pred.len(), gt.len(), "region_j: masks differ in size");
    let mut inter = 0usize;
    let mut union = 0usize;
    for (&p, &g) in pred.iter().zip(gt) {
        inter += usize::from(p && g);
        union += usize::from(p || g);
    }
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// Boundary F-measure between `pred` and `gt`, DAVIS definition.
///
/// # Panics
/// If either mask is not `width * height` long.
pub fn boundary_f(pred: &[bool], gt: &[bool], width: usize, height: usize, bound_th: f64) -> f64 {
    assert_eq!(
        pred.len(),
        width * height,
        "boundary_f: pred is not width*height"
    );
    assert_eq!(
        gt.len(),
        width * height,
        "boundary_f: gt is not width*height"
    );

    let fg_b = seg2bmap(pred, width, height);
    let gt_b = seg2bmap(gt, width, height);
    let kernel = disk_offsets(bound_radius(bound_th, width, height));
    let fg_dil = dilate(&fg_b, width, height, &kernel);
    let gt_dil = dilate(&gt_b, width, height, &kernel);

    let n_fg = fg_b.iter().filter(|&&b| b).count();
    let n_gt = gt_b.iter().filter(|&&b| b).count();
    let fg_match = fg_b.iter().zip(&gt_dil).filter(|(&b, &d)| b && d).count();
    let gt_match = gt_b.iter().zip(&fg_dil).filter(|(&b, &d)| b && d).count();

    // The official edge cases: an empty side counts as perfectly precise
    // (or perfectly complete), so predicting nothing where GT has an object
    // scores F = 0 and two empty masks score F = 1.
    let (precision, recall) = match (n_fg, n_gt) {
        (0, 0) => (1.0, 1.0),
        (0, _) => (1.0, 0.0),
        (_, 0) => (0.0, 1.0),
        _ => (fg_match as f64 / n_fg as f64, gt_match as f64 / n_gt as f64),
    };
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Dilation radius in pixels, exactly as `f_measure` derives it (the diagonal
/// is `np.linalg.norm(shape)`, the same IEEE operations as here).
fn bound_radius(bound_th: f64, width: usize, height: usize) -> f64 {
    if bound_th >= 1.0 {
        bound_th
    } else {
        let diag = ((width * width + height * height) as f64).sqrt();
        (bound_th * diag).ceil()
    }
}

/// One-pixel boundary map in the style of `_seg2bmap`: a pixel is on the
/// boundary when it differs from its east, south or south-east neighbour,
/// which puts the boundary half a pixel towards the origin. The last row
/// only looks east, the last column only looks south, and the bottom-right
/// pixel is never a boundary; pixels outside the image count as background.
fn seg2bmap(seg: &[bool], width: usize, height: usize) -> Vec<bool> {
    let at = |x: usize, y: usize| x < width && y < height && seg[y * width + x];
    let mut b = vec![false; width * height];
    for y in 0..height {
        let last_row = y + 1 == height;
        for x in 0..width {
            let last_col = x + 1 == width;
            let s = seg[y * width + x];
            b[y * width + x] = match (last_row, last_col) {
                (true, true) => false,
                (true, false) => s != at(x + 1, y),
                (false, true) => s != at(x, y + 1),
                (false, false) => s != at(x + 1, y) || s != at(x, y + 1) || s != at(x + 1, y + 1),
            };
        }
    }
    b
}

/// Offsets (dy, dx) of the structuring element the official code builds:
/// skimage `disk(r)` (grid `arange(-r, r + 1)`, kept where x² + y² <= r²)
/// handed to `cv2.dilate`, which anchors it at index `size / 2` and does
/// not mirror it. For integer radii that is the usual symmetric disk; the
/// anchor rule only matters for fractional pixel radii.
fn disk_offsets(radius: f64) -> Vec<(isize, isize)> {
    let size = (2.0 * radius + 1.0).ceil().max(0.0) as usize;
    let anchor = (size / 2) as isize;
    let coord = |i: usize| -radius + i as f64;
    let mut offsets = Vec::new();
    for i in 0..size {
        for j in 0..size {
            let (y, x) = (coord(i), coord(j));
            if x * x + y * y <= radius * radius {
                offsets.push((i as isize - anchor, j as isize - anchor));
            }
        }
    }
    offsets
}

/// Binary dilation with OpenCV semantics: dst(p) is set when src(p + o) is
/// set for some kernel offset o; pixels outside the image never count.
/// Boundary maps are sparse, so scattering from set pixels is far cheaper
/// than gathering at every pixel.
fn dilate(src: &[bool], width: usize, height: usize, offsets: &[(isize, isize)]) -> Vec<bool> {
    let mut dst = vec![false; width * height];
    let (w, h) = (width as isize, height as isize);
    for (idx, _) in src.iter().enumerate().filter(|(_, &s)| s) {
        let (sy, sx) = ((idx / width) as isize, (idx % width) as isize);
        for &(dy, dx) in offsets {
            let (y, x) = (sy - dy, sx - dx);
            if (0..h).contains(&y) && (0..w).contains(&x) {
                dst[(y * w + x) as usize] = true;
            }
        }
    }
    dst
}

/// Scores one sequence of frame pairs.
///
/// With `opts.skip_first_last` the first and last pairs are left out (see
/// [`EvalOptions::skip_first_last`]); with fewer than three frames that
/// leaves nothing and the statistics are NaN.
///
/// # Panics
/// If `preds` and `gts` differ in length or a mask is not `width * height`.
pub fn score_sequence(
    name: &str,
    preds: &[Vec<bool>],
    gts: &[Vec<bool>],
    width: usize,
    height: usize,
    opts: &EvalOptions,
) -> SequenceScore {
    assert_eq!(
        preds.len(),
        gts.len(),
        "score_sequence: frame counts differ"
    );
    let n = preds.len();
    let range = if opts.skip_first_last {
        1..n.saturating_sub(1).max(1)
    } else {
        0..n
    };
    let mut per_j = Vec::with_capacity(range.len());
    let mut per_f = Vec::with_capacity(range.len());
    for i in range {
        per_j.push(region_j(&preds[i], &gts[i]));
        per_f.push(boundary_f(&preds[i], &gts[i], width, height, opts.bound_th));
    }
    SequenceScore::from_per_frame(name, per_j, per_f)
}

/// Scores of a whole dataset.
///
/// Global numbers are averages of the per-sequence numbers (not of all
/// frames pooled), which is how `evaluation_method.py` reports DAVIS, so
/// a short sequence weighs as much as a long one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub options: EvalOptions,
    pub sequences: Vec<SequenceScore>,
    pub j_mean: f64,
    pub j_recall: f64,
    pub j_decay: f64,
    pub f_mean: f64,
    pub f_recall: f64,
    pub f_decay: f64,
    pub jf_mean: f64,
}

impl EvalReport {
    pub fn new(sequences: Vec<SequenceScore>, options: EvalOptions) -> Self {
        let avg = |get: fn(&SequenceScore) -> f64| {
            if sequences.is_empty() {
                f64::NAN
            } else {
                sequences.iter().map(get).sum::<f64>() / sequences.len() as f64
            }
        };
        let j_mean = avg(|s| s.j_mean);
        let f_mean = avg(|s| s.f_mean);
        Self {
            options,
            j_recall: avg(|s| s.j_recall),
            j_decay: avg(|s| s.j_decay),
            f_recall: avg(|s| s.f_recall),
            f_decay: avg(|s| s.f_decay),
            j_mean,
            f_mean,
            jf_mean: (j_mean + f_mean) / 2.0,
            sequences,
        }
    }

    /// Plain-text table, one row per sequence and a final mean row.
    pub fn table(&self) -> String {
        const HEAD: [&str; 9] = [
            "Sequence", "Frames", "J mean", "J recall", "J decay", "F mean", "F recall", "F decay",
            "J&F",
        ];
        let row = |name: &str, frames: String, v: [f64; 7]| {
            let mut cells = vec![name.to_string(), frames];
            cells.extend(v.iter().map(|x| format!("{x:.3}")));
            cells
        };
        let rows: Vec<Vec<String>> = self
            .sequences
            .iter()
            .map(|s| {
                row(
                    &s.name,
                    s.frames.to_string(),
                    [
                        s.j_mean,
                        s.j_recall,
                        s.j_decay,
                        s.f_mean,
                        s.f_recall,
                        s.f_decay,
                        s.jf_mean(),
                    ],
                )
            })
            .collect();
        let total: usize = self.sequences.iter().map(|s| s.frames).sum();
        let mean_row = row(
            "Mean",
            total.to_string(),
            [
                self.j_mean,
                self.j_recall,
                self.j_decay,
                self.f_mean,
                self.f_recall,
                self.f_decay,
                self.jf_mean,
            ],
        );

        let mut widths: Vec<usize> = HEAD.iter().map(|h| h.len()).collect();
        for r in rows.iter().chain(std::iter::once(&mean_row)) {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                // Names read best left-aligned, numbers right-aligned.
                if i == 0 {
                    let _ = write!(s, "{c:<w$}");
                } else {
                    let _ = write!(s, "{c:>w$}");
                }
            }
            s.trim_end().to_string()
        };
        let rule = "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        let head: Vec<String> = HEAD.iter().map(|h| h.to_string()).collect();
        let mut out = String::new();
        out.push_str(&line(&head));
        out.push('\n');
        out.push_str(&rule);
        out.push('\n');
        for r in &rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out.push_str(&rule);
        out.push('\n');
        out.push_str(&line(&mean_row));
        out.push('\n');
        out
    }

    /// Pretty JSON (needs the `cli` feature). NaN statistics (sequences
    /// with no scored frame) come out as `null`, since JSON has no NaN.
    #[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
    pub fn to_json(&self) -> String {
        // Serializing plain structs of numbers and strings cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
