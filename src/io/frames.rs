//! Folders of JPEG/PNG frames in, folders of label PNGs out.

use crate::clip::{Clip, LabelMap};
use crate::error::{Result, SegmoError};
use std::path::{Path, PathBuf};

const FRAME_EXTS: [&str; 3] = ["jpg", "jpeg", "png"];
const VIDEO_EXTS: [&str; 6] = ["mp4", "webm", "mov", "mkv", "avi", "m4v"];

/// A folder of frames (sorted by name) or a video file, as a clip of at most `max_frames`.
pub fn read_clip(input: &Path, max_frames: Option<usize>) -> Result<Clip> {
    let meta = std::fs::metadata(input).map_err(|e| SegmoError::io(input, e))?;
    if meta.is_dir() {
        read_frame_dir(input, max_frames)
    } else {
        let ext = extension(input);
        if VIDEO_EXTS.contains(&ext.as_str()) {
            crate::io::video::decode(input, max_frames)
        } else if FRAME_EXTS.contains(&ext.as_str()) {
            read_frames(&[input.to_path_buf()])
        } else {
            Err(SegmoError::io(
                input,
                format!("not a frame folder or a video file (expected a folder, or one of {VIDEO_EXTS:?})"),
            ))
        }
    }
}

fn extension(p: &Path) -> String {
    p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// The frame files of a folder, sorted by name (zero-padded numbering sorts correctly).
pub fn list_frames(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| SegmoError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && FRAME_EXTS.contains(&extension(p).as_str()))
        .collect();
    files.sort();
    Ok(files)
}

fn read_frame_dir(dir: &Path, max_frames: Option<usize>) -> Result<Clip> {
    let mut files = list_frames(dir)?;
    if files.is_empty() {
        return Err(SegmoError::io(dir, "folder holds no .jpg/.jpeg/.png frames"));
    }
    if let Some(n) = max_frames {
        files.truncate(n);
    }
    read_frames(&files)
}

fn read_frames(files: &[PathBuf]) -> Result<Clip> {
    let mut frames = Vec::with_capacity(files.len());
    let mut size: Option<(u32, u32, &Path)> = None;
    for f in files {
        let img = image::ImageReader::open(f)
            .map_err(|e| SegmoError::io(f, e))?
            .with_guessed_format()
            .map_err(|e| SegmoError::io(f, e))?
            .decode()
            .map_err(|e| SegmoError::io(f, format!("cannot decode image: {e}")))?;
        use image::ColorType::*;
        match img.color() {
            L16 | La16 | Rgb16 | Rgba16 | Rgb32F | Rgba32F => {
                return Err(SegmoError::io(
                    f,
                    format!("{:?} frames are not supported: video frames must be 8-bit (convert with e.g. `convert in.png -depth 8 out.png`)", img.color()),
                ))
            }
            // 8-bit grayscale is a legitimate video (IR, old film): replicated into RGB.
            _ => {}
        }
        let (w, h) = (img.width(), img.height());
        if let Some((w0, h0, first)) = size {
            if (w, h) != (w0, h0) {
                return Err(SegmoError::io(
                    f,
                    format!("frame is {w}x{h} but {} is {w0}x{h0}: all frames must have one size", first.display()),
                ));
            }
        } else {
            size = Some((w, h, f));
        }
        frames.push(img.to_rgba8().into_raw());
    }
    let (w, h, _) = size.expect("at least one frame");
    Clip::new(w, h, frames)
}

/// Writes `labels` as `DIR/00000.png`... (8-bit, 0 = background, k = object k). Nothing is
/// left behind on failure: a half-written folder would look like a valid result.
pub fn write_labels(dir: &Path, labels: &[LabelMap]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| SegmoError::io(dir, e))?;
    let mut written = Vec::with_capacity(labels.len());
    for (t, l) in labels.iter().enumerate() {
        let path = dir.join(format!("{t:05}.png"));
        let res = image::save_buffer(&path, &l.labels, l.width, l.height, image::ExtendedColorType::L8);
        if let Err(e) = res {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            let _ = std::fs::remove_file(&path);
            return Err(SegmoError::io(&path, e));
        }
        written.push(path);
    }
    Ok(written)
}
