//! Video files through the system `ffmpeg`/`ffprobe` (installed by .ci/run and the README's
//! set-up): one well-tested decoder for every codec, instead of a pure-Rust H.264 decoder
//! that would cover a fraction of real files. Frames are piped as raw RGBA, nothing touches
//! disk.

use crate::clip::Clip;
use crate::error::{Result, SegmoError};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn tool_missing(tool: &str, e: std::io::Error) -> SegmoError {
    SegmoError::BadInput(format!(
        "cannot run `{tool}` ({e}): reading video files needs ffmpeg (apt-get install ffmpeg), or pass a folder of frames"
    ))
}

/// Width and height of the first video stream.
pub fn probe(path: &Path) -> Result<(u32, u32)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x"])
        .arg(path)
        .output()
        .map_err(|e| tool_missing("ffprobe", e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.trim().split('x').map(|s| s.trim().parse::<u32>());
    match (out.status.success(), it.next(), it.next()) {
        (true, Some(Ok(w)), Some(Ok(h))) if w > 0 && h > 0 => Ok((w, h)),
        _ => Err(SegmoError::io(
            path,
            format!("not a decodable video: {}", String::from_utf8_lossy(&out.stderr).trim()),
        )),
    }
}

pub fn decode(path: &Path, max_frames: Option<usize>) -> Result<Clip> {
    let (w, h) = probe(path)?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-nostdin", "-i"]).arg(path);
    if let Some(n) = max_frames {
        cmd.args(["-frames:v", &n.to_string()]);
    }
    let mut child = cmd
        .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("ffmpeg", e))?;
    let mut raw = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut raw).map_err(|e| SegmoError::io(path, e))?;
    let out = child.wait_with_output().map_err(|e| SegmoError::io(path, e))?;
    let frame_bytes = w as usize * h as usize * 4;
    if !out.status.success() || raw.len() < frame_bytes {
        return Err(SegmoError::io(
            path,
            format!("ffmpeg could not decode frames: {}", String::from_utf8_lossy(&out.stderr).trim()),
        ));
    }
    let frames = raw.chunks_exact(frame_bytes).map(<[u8]>::to_vec).collect();
    Clip::new(w, h, frames)
}

/// Encodes RGBA frames as H.264 mp4 (yuv420p, so browsers play it). Even sizes are required
/// by yuv420p: odd ones are padded by one pixel.
pub fn encode_mp4(path: &Path, width: u32, height: u32, fps: u32, frames: &[Vec<u8>]) -> Result<()> {
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s"])
        .arg(format!("{width}x{height}"))
        .args(["-r", &fps.to_string(), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", "-movflags", "+faststart"])
        .arg(path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("ffmpeg", e))?;
    {
        let mut stdin = child.stdin.take().expect("piped");
        for f in frames {
            stdin.write_all(f).map_err(|e| SegmoError::io(path, e))?;
        }
    }
    let out = child.wait_with_output().map_err(|e| SegmoError::io(path, e))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(path);
        return Err(SegmoError::io(path, format!("ffmpeg failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(())
}

pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg").arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}
