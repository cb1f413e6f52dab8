//! Minimal writers so clips can leave Rust without an image crate: PNG (stored, i.e.
//! uncompressed deflate) for frames any viewer or OpenCV reads, and NumPy .npy for arrays.
//! See `write_clip` for the on-disk layout.

mod encode;

pub use encode::{crc32, npy, png, NpyElem};

use crate::synth::SynthClip;

/// Writes a clip to `dir`:
///
/// | file | contents |
/// | --- | --- |
/// | `frames/NNNNN.png` | RGB8 frame t (N = 5-digit t) |
/// | `video.npy` | uint8 (T, H, W, 3), the same frames |
/// | `flow.npy` | float32 (T-1, H, W, 2): (u, v) moving pixel (x, y) of frame t to (x+u, y+v) in t+1 |
/// | `occluded.npy` | bool (T-1, H, W): pixel of frame t hidden or off the image at t+1 |
/// | `layers.npy` | uint8 (T, H, W): layer index at pixel centres (0 = background) |
/// | `instances.npy` | uint8 (T, H, W): moving-object id (0 = static) |
/// | `tracks.npy` | float32 (N, T, 2): track positions (x, y), TAP-Vid's `target_points` layout |
/// | `occluded_tracks.npy` | bool (N, T): TAP-Vid's `occluded` |
/// | `query_points.npy` | float32 (N, 3): (t, y, x), TAP-Vid's `query_points` layout |
/// | `track_moving.npy`, `track_layer.npy` | uint8 (N,): on a moving layer; layer index |
/// | `README.txt` | this table and the clip's measured properties |
///
/// Coordinates are pixels with pixel centres at integers (TAP-Vid's files use [0,1] or
/// 256-scaled raster coordinates; metrics only use differences, so scale by 256/W, 256/H).
pub fn write_clip(clip: &SynthClip, dir: &std::path::Path) -> std::io::Result<()> {
    use std::fs;
    let (w, h, t) = (clip.width, clip.height, clip.frames.len());
    fs::create_dir_all(dir.join("frames"))?;
    let mut video = Vec::with_capacity(t * w * h * 3);
    for (i, f) in clip.frames.iter().enumerate() {
        let rgb: Vec<u8> = f.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        fs::write(
            dir.join("frames").join(format!("{i:05}.png")),
            png(w, h, 3, &rgb),
        )?;
        video.extend_from_slice(&rgb);
    }
    fs::write(dir.join("video.npy"), npy(&[t, h, w, 3], &video))?;
    let pairs = clip.flow.len();
    let flow: Vec<f32> = clip
        .flow
        .iter()
        .flat_map(|f| f.uv.iter().copied())
        .collect();
    fs::write(dir.join("flow.npy"), npy(&[pairs, h, w, 2], &flow))?;
    let occ: Vec<bool> = clip.occluded.iter().flatten().copied().collect();
    fs::write(dir.join("occluded.npy"), npy(&[pairs, h, w], &occ))?;
    let layers: Vec<u8> = clip.layer_ids.iter().flatten().copied().collect();
    fs::write(dir.join("layers.npy"), npy(&[t, h, w], &layers))?;
    let inst: Vec<u8> = clip.instance_ids.iter().flatten().copied().collect();
    fs::write(dir.join("instances.npy"), npy(&[t, h, w], &inst))?;

    let tr = &clip.tracks.tracks;
    let n = tr.n;
    let xy: Vec<f32> = (0..n)
        .flat_map(|j| (0..t).flat_map(move |s| tr.xy[s * n + j]))
        .collect();
    fs::write(dir.join("tracks.npy"), npy(&[n, t, 2], &xy))?;
    let occ: Vec<bool> = (0..n)
        .flat_map(|j| (0..t).map(move |s| !tr.visible[s * n + j]))
        .collect();
    fs::write(dir.join("occluded_tracks.npy"), npy(&[n, t], &occ))?;
    let q: Vec<f32> = (0..n)
        .flat_map(|j| {
            let s = tr.query_frame[j] as usize;
            let p = tr.xy[s * n + j];
            [s as f32, p[1], p[0]]
        })
        .collect();
    fs::write(dir.join("query_points.npy"), npy(&[n, 3], &q))?;
    let mv: Vec<u8> = clip.tracks.moving.iter().map(|&m| m as u8).collect();
    fs::write(dir.join("track_moving.npy"), npy(&[n], &mv))?;
    fs::write(dir.join("track_layer.npy"), npy(&[n], &clip.tracks.layer))?;
    fs::write(dir.join("README.txt"), readme(clip))
}

/// The on-disk layout and the clip's measured properties, for humans and scripts.
pub fn readme(clip: &SynthClip) -> String {
    let s = clip.stats();
    let mut r = format!(
        "trk-synth clip '{}': {}x{}, {} frames, {} tracks\n\n",
        clip.name,
        clip.width,
        clip.height,
        clip.frames.len(),
        clip.tracks.tracks.n
    );
    r.push_str(
        "Files (pixel centres at integer coordinates; arrays are C order, little endian)\n\
         - frames/NNNNN.png      RGB8 frame t (cv2.imread gives BGR: convert with cv2.cvtColor)\n\
         - video.npy             uint8 (T, H, W, 3) RGB, the same frames\n\
         - flow.npy              float32 (T-1, H, W, 2): pixel (x, y) of frame t -> (x+u, y+v) at t+1\n\
         - occluded.npy          bool (T-1, H, W): the pixel's point is hidden or off the image at t+1\n\
         - layers.npy            uint8 (T, H, W): layer index at each pixel centre, 0 = background\n\
         - instances.npy         uint8 (T, H, W): moving-object id, 0 = static (incl. parallax objects)\n\
         - tracks.npy            float32 (N, T, 2): exact (x, y) of each track in every frame\n\
         - occluded_tracks.npy   bool (N, T): hidden by a nearer layer or off the image\n\
         - query_points.npy      float32 (N, 3): (t, y, x) query of each track (TAP-Vid layout)\n\
         - track_moving.npy      uint8 (N,): 1 if the point is on an independently moving object\n\
         - track_layer.npy       uint8 (N,): layer index of the point\n\
         TAP-Vid metrics use 256x256 coordinates: multiply x by 256/W and y by 256/H.\n\n",
    );
    r.push_str("Layers (back to front)\n");
    for (i, l) in clip.scene.layers.iter().enumerate() {
        r.push_str(&format!(
            "- {i}: {} depth {:.2}, {}{}\n",
            l.name,
            l.depth,
            if l.moving {
                format!("moving (instance {})", l.instance)
            } else {
                "static".into()
            },
            l.parent
                .map(|p| format!(", hinged on layer {p}"))
                .unwrap_or_default()
        ));
    }
    r.push_str(&format!(
        "\nMeasured\n- max motion {:.1} px/frame (visible pixels), mean {:.2}; max static-pixel motion {:.1}\n\
         - occluded at t+1: {:.2}% of pixels ({:.2}% hidden, {:.2}% off the image)\n\
         - tracks: {} moving, {} reappear after occlusion, {} leave the image; {:.1}% of entries occluded\n\
         - max brightness gain change {:.0}%\n",
        s.max_motion,
        s.mean_motion,
        s.max_static_motion,
        100.0 * s.occluded_fraction,
        100.0 * s.hidden_fraction,
        100.0 * s.left_image_fraction,
        s.moving_tracks,
        s.tracks_reappearing,
        s.tracks_leaving,
        100.0 * s.track_occluded_fraction,
        100.0 * s.max_gain_change
    ));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{case, SynthConfig};

    #[test]
    fn write_clip_layout() {
        let cfg = SynthConfig {
            width: 40,
            height: 30,
            frames: 3,
            n_tracks: 5,
            noise: 1.0,
        };
        let clip = case("occlusion", 1, &cfg).unwrap();
        let dir = std::env::temp_dir().join(format!("trk-synth-io-{}", std::process::id()));
        write_clip(&clip, &dir).unwrap();
        let header = |name: &str| {
            let b = std::fs::read(dir.join(name)).unwrap();
            let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
            (
                String::from_utf8(b[10..10 + hl].to_vec()).unwrap(),
                b.len() - 10 - hl,
            )
        };
        for (name, shape, bytes) in [
            ("video.npy", "(3, 30, 40, 3)", 3 * 30 * 40 * 3),
            ("flow.npy", "(2, 30, 40, 2)", 2 * 30 * 40 * 2 * 4),
            ("occluded.npy", "(2, 30, 40)", 2 * 30 * 40),
            ("layers.npy", "(3, 30, 40)", 3 * 30 * 40),
            ("instances.npy", "(3, 30, 40)", 3 * 30 * 40),
            ("tracks.npy", "(5, 3, 2)", 5 * 3 * 2 * 4),
            ("occluded_tracks.npy", "(5, 3)", 15),
            ("query_points.npy", "(5, 3)", 15 * 4),
            ("track_moving.npy", "(5,)", 5),
            ("track_layer.npy", "(5,)", 5),
        ] {
            let (h, n) = header(name);
            assert!(h.contains(&format!("'shape': {shape}")), "{name}: {h}");
            assert_eq!(n, bytes, "{name}");
        }
        // Frame 1 is the PNG of frame 1's RGB bytes, and query points are (t, y, x).
        let rgb: Vec<u8> = clip.frames[1]
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        assert_eq!(
            std::fs::read(dir.join("frames/00001.png")).unwrap(),
            png(40, 30, 3, &rgb)
        );
        let q = std::fs::read(dir.join("query_points.npy")).unwrap();
        let body = &q[q.len() - 60..];
        let f = |k: usize| f32::from_le_bytes(body[4 * k..4 * k + 4].try_into().unwrap());
        let tr = &clip.tracks.tracks;
        let t0 = tr.query_frame[0] as usize;
        assert_eq!(
            (f(0), f(1), f(2)),
            (t0 as f32, tr.xy[t0 * tr.n][1], tr.xy[t0 * tr.n][0])
        );
        assert!(std::fs::read_to_string(dir.join("README.txt"))
            .unwrap()
            .contains("occluded_tracks.npy"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
