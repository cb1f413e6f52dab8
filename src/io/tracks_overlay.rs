//! Tracks drawn on the frames so a person can judge them: each visible point is a dot with a
//! short tail through its last few visible positions, coloured by its query frame (early
//! seeds red, late ones violet), so newly seeded points stand out. Hidden points are not drawn.

use crate::clip::Clip;
use crate::error::{Result, SegmoError};
use crate::tracks::Tracks;
use std::path::{Path, PathBuf};

/// Frames of the tail behind each dot.
const TAIL: usize = 6;

/// Hue in [0, 300) degrees to RGB at full saturation and value.
fn hue(h: f32) -> [u8; 3] {
    let x = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let f = |n: f32| {
        let k = (n + h / 60.0) % 6.0;
        1.0 - (k.min(4.0 - k).clamp(0.0, 1.0))
    };
    [x(f(5.0)), x(f(3.0)), x(f(1.0))]
}

fn put(frame: &mut [u8], w: usize, h: usize, x: i64, y: i64, c: [u8; 3], a: f32) {
    if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
        return;
    }
    let i = (y as usize * w + x as usize) * 4;
    for ch in 0..3 {
        let p = &mut frame[i + ch];
        *p = (*p as f32 * (1.0 - a) + c[ch] as f32 * a).round() as u8;
    }
}

fn line(frame: &mut [u8], w: usize, h: usize, a: [f32; 2], b: [f32; 2], c: [u8; 3], alpha: f32) {
    let steps = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil() as usize).clamp(1, 4096);
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (x, y) = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t);
        put(frame, w, h, x.round() as i64, y.round() as i64, c, alpha);
    }
}

/// RGBA frames with the tracks drawn (one per clip frame).
pub fn draw(clip: &Clip, tracks: &Tracks) -> Vec<Vec<u8>> {
    let (w, h) = (clip.width as usize, clip.height as usize);
    let radius = (w.min(h) / 240).max(1) as i64;
    let span = tracks.frames.max(2) as f32 - 1.0;
    let colour: Vec<[u8; 3]> = tracks.query_frame.iter().map(|&q| hue(300.0 * q as f32 / span)).collect();
    (0..clip.len().min(tracks.frames))
        .map(|t| {
            let mut f = clip.frames[t].clone();
            for j in 0..tracks.n {
                let at = |s: usize| (tracks.visible[s * tracks.n + j], tracks.xy[s * tracks.n + j]);
                let (vis, p) = at(t);
                if !vis {
                    continue;
                }
                let mut prev = p;
                for s in (t.saturating_sub(TAIL)..t).rev() {
                    let (v, q) = at(s);
                    if !v {
                        break;
                    }
                    line(&mut f, w, h, prev, q, colour[j], 0.5);
                    prev = q;
                }
                let (cx, cy) = (p[0].round() as i64, p[1].round() as i64);
                for dy in -radius..=radius {
                    for dx in -radius..=radius {
                        put(&mut f, w, h, cx + dx, cy + dy, colour[j], 1.0);
                    }
                }
            }
            f
        })
        .collect()
}

/// Writes `DIR/tracks.mp4` with ffmpeg when present, else an animated `DIR/tracks.gif`.
pub fn write_tracks_overlay(dir: &Path, clip: &Clip, tracks: &Tracks, fps: u32) -> Result<PathBuf> {
    if (tracks.width, tracks.height) != (clip.width as usize, clip.height as usize) {
        return Err(SegmoError::Shape(format!(
            "tracks are for {}x{} frames, the clip is {}x{}",
            tracks.width, tracks.height, clip.width, clip.height
        )));
    }
    let frames = draw(clip, tracks);
    crate::io::overlay::write_frames(dir, "tracks", clip.width, clip.height, fps, &frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_points_are_drawn_hidden_ones_are_not() {
        let (w, h) = (40u32, 30u32);
        let clip = Clip::new(w, h, vec![vec![0; (w * h * 4) as usize]; 2]).unwrap();
        let tracks = Tracks {
            frames: 2,
            n: 2,
            width: 40,
            height: 30,
            xy: vec![[10.0, 10.0], [30.0, 20.0], [12.0, 10.0], [30.0, 20.0]],
            visible: vec![true, false, true, false],
            confidence: vec![1.0, 0.0, 1.0, 0.0],
            query_frame: vec![0, 1],
        };
        let f = draw(&clip, &tracks);
        let px = |t: usize, x: usize, y: usize| &f[t][(y * w as usize + x) * 4..][..3];
        assert_eq!(px(0, 10, 10), &hue(0.0));
        assert_eq!(px(1, 12, 10), &hue(0.0));
        // The dot at x = 12 covers 11..=13; x = 10 is lit only by the tail back to frame 0.
        assert_ne!(px(1, 10, 10), &[0, 0, 0]);
        assert_eq!(px(0, 30, 20), &[0, 0, 0]);
        assert_eq!(px(1, 30, 20), &[0, 0, 0]);
        assert_eq!(hue(0.0), [255, 0, 0]);
        assert_eq!(hue(120.0), [0, 255, 0]);
    }
}
