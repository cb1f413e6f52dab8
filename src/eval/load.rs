//! Reading PRED and GT mask folders from disk.
//!
//! Layout:
//! * a *sequence folder* holds the PNG masks directly, or in a `masks/`
//!   subfolder (the layout of our DAVIS-2016 copy: `<seq>/masks/00000.png`);
//! * PRED and GT are each either one sequence folder or a folder of
//!   sequence folders, matched by name. Every GT sequence must exist in
//!   PRED; PRED sequences without GT are ignored.
//!
//! Frames are paired by their position after a natural sort of the file
//! names (`2.png` before `10.png`), so PRED does not have to use the same
//! zero padding as GT, only the same number of frames.
//!
//! Pixel values: GT is 0/255, PRED is a label map (0 = background, k > 0 =
//! object k). DAVIS-2016 has a single foreground object per sequence, so
//! foreground is *any* non-zero label: a method that splits the moving
//! object into several labels is scored on their union. Grayscale, RGB,
//! palette and 16-bit PNGs are all accepted; a pixel is foreground when
//! any colour channel is non-zero (alpha is ignored). For grayscale that
//! is exactly "luma > 0"; for colour label maps it avoids dark label
//! colours rounding to a luma of 0. Palette PNGs are expanded to colours,
//! so palette index 0 must be black, as in the DAVIS palette.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::{boundary_f, region_j, EvalError, EvalOptions, EvalReport, SequenceScore};

/// Evaluates every GT sequence under `gt` against its PRED counterpart.
pub fn evaluate_dirs(pred: &Path, gt: &Path, opts: &EvalOptions) -> Result<EvalReport, EvalError> {
    for dir in [pred, gt] {
        if !dir.is_dir() {
            return Err(EvalError::MissingDir(dir.to_path_buf()));
        }
    }

    let mut sequences = Vec::new();
    if let Some(gt_frames_dir) = frames_dir(gt)? {
        let name = dir_name(gt);
        // PRED may be the sequence itself or a folder that contains it.
        let pred_frames_dir = match frames_dir(pred)? {
            Some(d) => d,
            None => match frames_dir(&pred.join(&name))? {
                Some(d) => d,
                None => return Err(EvalError::NoPngs(pred.to_path_buf())),
            },
        };
        sequences.push(score_dirs(&name, &pred_frames_dir, &gt_frames_dir, opts)?);
    } else {
        let mut found = Vec::new();
        for sub in sorted_subdirs(gt)? {
            if let Some(frames) = frames_dir(&sub)? {
                found.push((dir_name(&sub), frames));
            }
        }
        if found.is_empty() {
            return Err(EvalError::NoPngs(gt.to_path_buf()));
        }
        for (name, gt_frames_dir) in found {
            let pred_seq = pred.join(&name);
            let pred_frames_dir = if pred_seq.is_dir() {
                frames_dir(&pred_seq)?
            } else {
                None
            };
            let pred_frames_dir = pred_frames_dir.ok_or_else(|| EvalError::MissingSequence {
                name: name.clone(),
                pred_root: pred.to_path_buf(),
            })?;
            sequences.push(score_dirs(&name, &pred_frames_dir, &gt_frames_dir, opts)?);
        }
    }
    Ok(EvalReport::new(sequences, *opts))
}

fn score_dirs(
    name: &str,
    pred_dir: &Path,
    gt_dir: &Path,
    opts: &EvalOptions,
) -> Result<SequenceScore, EvalError> {
    let pred_files = png_files(pred_dir)?;
    let gt_files = png_files(gt_dir)?;
    if pred_files.len() != gt_files.len() {
        return Err(EvalError::FrameCountMismatch {
            name: name.to_string(),
            pred_dir: pred_dir.to_path_buf(),
            pred_count: pred_files.len(),
            gt_dir: gt_dir.to_path_buf(),
            gt_count: gt_files.len(),
        });
    }
    let n = gt_files.len();
    if opts.skip_first_last && n < 3 {
        return Err(EvalError::TooFewFrames {
            name: name.to_string(),
            frames: n,
        });
    }

    // One frame at a time, so a long sequence never sits in memory whole.
    let mut per_j = Vec::with_capacity(n);
    let mut per_f = Vec::with_capacity(n);
    for (i, (pf, gf)) in pred_files.iter().zip(&gt_files).enumerate() {
        let (pw, ph, pmask) = read_mask(pf)?;
        let (gw, gh, gmask) = read_mask(gf)?;
        if (pw, ph) != (gw, gh) {
            return Err(EvalError::SizeMismatch {
                pred_file: pf.clone(),
                pred_width: pw,
                pred_height: ph,
                gt_file: gf.clone(),
                gt_width: gw,
                gt_height: gh,
            });
        }
        if opts.skip_first_last && (i == 0 || i + 1 == n) {
            continue;
        }
        per_j.push(region_j(&pmask, &gmask));
        per_f.push(boundary_f(
            &pmask,
            &gmask,
            gw as usize,
            gh as usize,
            opts.bound_th,
        ));
    }
    Ok(SequenceScore::from_per_frame(name, per_j, per_f))
}

/// Where a sequence folder keeps its PNGs, or `None` if it is not one.
fn frames_dir(dir: &Path) -> Result<Option<PathBuf>, EvalError> {
    if !png_files(dir)?.is_empty() {
        return Ok(Some(dir.to_path_buf()));
    }
    let masks = dir.join("masks");
    if masks.is_dir() && !png_files(&masks)?.is_empty() {
        return Ok(Some(masks));
    }
    Ok(None)
}

fn read_dir_paths(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let unreadable = |e: std::io::Error| EvalError::Unreadable {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        out.push(entry.map_err(unreadable)?.path());
    }
    Ok(out)
}

pub fn png_files(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let mut files: Vec<PathBuf> = read_dir_paths(dir)?
        .into_iter()
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        })
        .collect();
    files.sort_by(|a, b| natural_cmp(&file_name(a), &file_name(b)));
    Ok(files)
}

fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let mut dirs: Vec<PathBuf> = read_dir_paths(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort_by(|a, b| natural_cmp(&file_name(a), &file_name(b)));
    Ok(dirs)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn dir_name(p: &Path) -> String {
    // `canonicalize` resolves names like "." so a sequence passed as the
    // current directory still gets its real name.
    let name = file_name(p);
    if !name.is_empty() && name != "." && name != ".." {
        return name;
    }
    let canonical = p.canonicalize().map(|c| file_name(&c)).unwrap_or_default();
    if canonical.is_empty() {
        "sequence".to_string()
    } else {
        canonical
    }
}

/// Orders names with digit runs compared as numbers, then falls back to a
/// plain comparison so the order is total.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, sa), (db, sb)) in ca.iter().zip(&cb) {
        let ord = if *da && *db {
            let (ta, tb) = (sa.trim_start_matches('0'), sb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Decodes one mask into (width, height, foreground).
pub fn read_mask(path: &Path) -> Result<(u32, u32, Vec<bool>), EvalError> {
    let img = image::open(path).map_err(|e| EvalError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let (w, h) = (img.width(), img.height());
    let mask = match img {
        image::DynamicImage::ImageLuma8(b) => b.into_raw().into_iter().map(|v| v > 0).collect(),
        image::DynamicImage::ImageLuma16(b) => b.into_raw().into_iter().map(|v| v > 0).collect(),
        // 16 bits per channel keeps every non-zero 8- or 16-bit value non-zero.
        other => other
            .into_rgb16()
            .pixels()
            .map(|p| p.0.iter().any(|&c| c > 0))
            .collect(),
    };
    Ok((w, h, mask))
}
