//! A coloured overlay of label maps on the frames, for people to look at.

use crate::clip::{Clip, LabelMap};
use crate::error::{Result, SegmoError};
use std::path::{Path, PathBuf};

/// Distinct, colour-blind-friendly hues (Okabe-Ito), cycled for objects past 8.
pub const PALETTE: [[u8; 3]; 8] = [
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [240, 228, 66],
    [0, 114, 178],
    [213, 94, 0],
    [204, 121, 167],
    [255, 255, 255],
];

/// RGBA frame with objects tinted and their outlines drawn solid.
pub fn blend(frame: &[u8], labels: &LabelMap) -> Vec<u8> {
    let (w, h) = (labels.width as usize, labels.height as usize);
    let mut out = frame.to_vec();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let l = labels.labels[i];
            if l == 0 {
                continue;
            }
            let c = PALETTE[(l as usize - 1) % PALETTE.len()];
            let edge = [(x > 0, i.wrapping_sub(1)), (x + 1 < w, i + 1), (y > 0, i.wrapping_sub(w)), (y + 1 < h, i + w)]
                .iter()
                .any(|&(inside, j)| !inside || labels.labels[j] != l);
            let a = if edge { 1.0 } else { 0.5 };
            for ch in 0..3 {
                let p = &mut out[i * 4 + ch];
                *p = (*p as f32 * (1.0 - a) + c[ch] as f32 * a).round() as u8;
            }
        }
    }
    out
}

/// Writes `DIR/overlay.mp4` with ffmpeg when present, else an animated `DIR/overlay.gif`.
pub fn write_overlay(dir: &Path, clip: &Clip, labels: &[LabelMap], fps: u32) -> Result<PathBuf> {
    let frames: Vec<Vec<u8>> = clip.frames.iter().zip(labels).map(|(f, l)| blend(f, l)).collect();
    write_frames(dir, "overlay", clip.width, clip.height, fps, &frames)
}

/// Writes RGBA frames as `DIR/STEM.mp4` with ffmpeg when present, else `DIR/STEM.gif`.
pub fn write_frames(dir: &Path, stem: &str, width: u32, height: u32, fps: u32, frames: &[Vec<u8>]) -> Result<PathBuf> {
    if crate::io::video::ffmpeg_available() {
        let path = dir.join(format!("{stem}.mp4"));
        crate::io::video::encode_mp4(&path, width, height, fps, frames)?;
        return Ok(path);
    }
    let path = dir.join(format!("{stem}.gif"));
    let file = std::fs::File::create(&path).map_err(|e| SegmoError::io(&path, e))?;
    let mut enc = image::codecs::gif::GifEncoder::new_with_speed(file, 30);
    enc.set_repeat(image::codecs::gif::Repeat::Infinite).map_err(|e| SegmoError::io(&path, e))?;
    for f in frames {
        let buf = image::RgbaImage::from_raw(width, height, f.clone()).expect("frame size checked by Clip");
        let delay = image::Delay::from_numer_denom_ms(1000, fps.max(1));
        enc.encode_frame(image::Frame::from_parts(buf, 0, 0, delay)).map_err(|e| SegmoError::io(&path, e))?;
    }
    Ok(path)
}
