//! DAVIS-layout sequences: `DATA/<seq>/frames/*.jpg` with `DATA/<seq>/masks/*.png` (one
//! moving-object mask per frame), as the evaluation and training commands read them.

use super::frames::read_clip;
use crate::clip::Clip;
use crate::error::{Result, SegmoError};
use std::path::{Path, PathBuf};

/// The sequence folders under `data`, sorted; only those named in `only` when it is not
/// empty, never those in `exclude`.
pub fn sequences(data: &Path, only: &[String], exclude: &[&str]) -> Result<Vec<PathBuf>> {
    let name_is = |p: &Path, n: &str| p.file_name().is_some_and(|f| f == n);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(data)
        .map_err(|e| SegmoError::io(data, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("frames").is_dir() && p.join("masks").is_dir())
        .filter(|p| only.is_empty() || only.iter().any(|s| name_is(p, s)))
        .filter(|p| !exclude.iter().any(|s| name_is(p, s)))
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(SegmoError::BadInput(format!("{}: no <seq>/frames and <seq>/masks folders", data.display())));
    }
    Ok(dirs)
}

/// A sequence's frames (at most `max_frames`) and one mask per frame, sizes checked.
pub fn read_sequence(dir: &Path, max_frames: Option<usize>) -> Result<(Clip, Vec<Vec<bool>>)> {
    let clip = read_clip(&dir.join("frames"), max_frames)?;
    let masks_dir = dir.join("masks");
    let files = crate::eval::load::png_files(&masks_dir).map_err(|e| SegmoError::Eval(e.to_string()))?;
    if files.len() < clip.len() {
        return Err(SegmoError::BadInput(format!("{}: {} masks for {} frames", masks_dir.display(), files.len(), clip.len())));
    }
    let masks = files[..clip.len()]
        .iter()
        .map(|f| {
            let (w, h, m) = crate::eval::load::read_mask(f).map_err(|e| SegmoError::Eval(e.to_string()))?;
            if (w, h) != (clip.width, clip.height) {
                return Err(SegmoError::BadInput(format!("{}: {w}x{h} mask for {}x{} frames", f.display(), clip.width, clip.height)));
            }
            Ok(m)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((clip, masks))
}
