//! The `segmo` binary end to end: sample -> segment -> eval, and its bad-input errors.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn segmo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segmo")).args(args).output().expect("run segmo")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("segmo-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_png(path: &Path, w: u32, h: u32, seed: u8) {
    let px: Vec<u8> = (0..w * h * 3).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    image::save_buffer(path, &px, w, h, image::ExtendedColorType::Rgb8).unwrap();
}

#[test]
fn sample_segment_eval_round_trip() {
    let d = tmp("round-trip");
    let sample = d.join("sample");
    let seg = d.join("seg");
    let o = segmo(&["sample", "--out", sample.to_str().unwrap(), "--width", "160", "--height", "96", "--frames", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = segmo(&["segment", sample.join("frames").to_str().unwrap(), "--out", seg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let masks: Vec<_> = std::fs::read_dir(seg.join("masks")).unwrap().collect();
    assert_eq!(masks.len(), 8);
    let first = image::open(seg.join("masks/00000.png")).unwrap();
    assert_eq!((first.width(), first.height()), (160, 96));
    assert!(seg.join("overlay.mp4").exists() || seg.join("overlay.gif").exists());

    let o = segmo(&["eval", seg.to_str().unwrap(), sample.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let j = report["j_mean"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&j), "J {j}");
    let o = segmo(&["eval", seg.to_str().unwrap(), sample.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("J&F"));
}

#[test]
fn missing_input_names_the_path() {
    let d = tmp("missing");
    let o = segmo(&["segment", "/nonexistent/clip", "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent/clip"), "{}", stderr(&o));
    assert!(!d.join("o").exists(), "nothing may be written on error");
}

#[test]
fn empty_folder_is_an_error() {
    let d = tmp("empty");
    std::fs::create_dir_all(d.join("frames")).unwrap();
    let o = segmo(&["segment", d.join("frames").to_str().unwrap(), "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no .jpg/.jpeg/.png frames"), "{}", stderr(&o));
}

#[test]
fn mixed_sizes_name_the_file() {
    let d = tmp("mixed");
    let f = d.join("frames");
    std::fs::create_dir_all(&f).unwrap();
    write_png(&f.join("00000.png"), 32, 24, 0);
    write_png(&f.join("00001.png"), 33, 24, 1);
    let o = segmo(&["segment", f.to_str().unwrap(), "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("00001.png") && e.contains("33x24") && e.contains("32x24"), "{e}");
    assert!(!d.join("o").exists());
}

#[test]
fn sixteen_bit_png_is_an_error_and_grayscale_is_accepted() {
    let d = tmp("depth");
    let f = d.join("frames");
    std::fs::create_dir_all(&f).unwrap();
    let px: Vec<u16> = (0..32 * 24).map(|i| (i * 37) as u16).collect();
    let img = image::ImageBuffer::<image::Luma<u16>, _>::from_raw(32, 24, px).unwrap();
    img.save(f.join("00000.png")).unwrap();
    write_png(&f.join("00001.png"), 32, 24, 1);
    let o = segmo(&["segment", f.to_str().unwrap(), "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("00000.png") && stderr(&o).contains("8-bit"), "{}", stderr(&o));

    let g = d.join("gray");
    std::fs::create_dir_all(&g).unwrap();
    for t in 0..3u8 {
        let px: Vec<u8> = (0..32 * 24u32).map(|i| ((i * 7 + t as u32 * 3) % 251) as u8).collect();
        image::save_buffer(g.join(format!("{t:05}.png")), &px, 32, 24, image::ExtendedColorType::L8).unwrap();
    }
    let o = segmo(&["segment", g.to_str().unwrap(), "--out", d.join("g").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn one_frame_clip_is_an_error() {
    let d = tmp("one");
    let f = d.join("frames");
    std::fs::create_dir_all(&f).unwrap();
    write_png(&f.join("00000.png"), 32, 24, 0);
    for (method, says) in [("lite", "motion needs at least 2 frames"), ("baseline", "at least two frames")] {
        let o = segmo(&["segment", f.to_str().unwrap(), "--out", d.join("o").to_str().unwrap(), "--method", method]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(says), "{method}: {}", stderr(&o));
        assert!(!d.join("o").exists());
    }
}

#[test]
fn not_a_video_is_an_error() {
    let d = tmp("notvideo");
    let p = d.join("clip.mp4");
    std::fs::write(&p, b"this is not a video").unwrap();
    let o = segmo(&["segment", p.to_str().unwrap(), "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("clip.mp4"), "{}", stderr(&o));
}

/// `segmo tracks` on the sample clip: a readable .npz and .safetensors whose tracks follow the
/// scene (most visible frames stay on screen, several query frames), plus the overlay.
#[test]
fn tracks_writes_npz_safetensors_and_overlay() {
    let d = tmp("tracks");
    let sample = d.join("sample");
    let o = segmo(&["sample", "--out", sample.to_str().unwrap(), "--width", "128", "--height", "96", "--frames", "12"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let frames = sample.join("frames");
    let npz = d.join("t.npz");
    let o = segmo(&["tracks", frames.to_str().unwrap(), "--out", npz.to_str().unwrap(), "--query-every", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&npz).unwrap();
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    for member in ["xy.npy", "visible.npy", "confidence.npy", "query_frame.npy"] {
        assert!(bytes.windows(member.len()).any(|w| w == member.as_bytes()), "{member} missing");
    }
    assert!(d.join("t-overlay.mp4").exists() || d.join("t-overlay.gif").exists());

    let st = d.join("t.safetensors");
    let o = segmo(&["tracks", frames.to_str().unwrap(), "--out", st.to_str().unwrap(), "--no-overlay"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = std::fs::read(&st).unwrap();
    let hl = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&b[8..8 + hl]).unwrap();
    let shape = |k: &str| -> Vec<u64> {
        header[k]["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
    };
    let xy = shape("xy");
    let (t, n) = (xy[0] as usize, xy[1] as usize);
    assert_eq!(t, 12);
    assert!(n > 50, "only {n} tracks on a textured 128x96 clip");
    let data = &b[8 + hl..];
    let offs = |k: &str| -> (usize, usize) {
        let o = header[k]["data_offsets"].as_array().unwrap();
        (o[0].as_u64().unwrap() as usize, o[1].as_u64().unwrap() as usize)
    };
    let (v0, v1) = offs("visible");
    let visible = &data[v0..v1];
    let (x0, _) = offs("xy");
    let mut inside = 0;
    let mut vis = 0;
    for i in 0..t * n {
        if visible[i] == 1 {
            vis += 1;
            let f = |k: usize| f32::from_le_bytes(data[x0 + 8 * i + 4 * k..][..4].try_into().unwrap());
            if (-0.5..127.5).contains(&f(0)) && (-0.5..95.5).contains(&f(1)) {
                inside += 1;
            }
        }
    }
    assert_eq!(inside, vis, "visible points must lie on the image");
    assert!(vis as f64 > 0.5 * (t * n) as f64, "tracks visible in only {vis} of {} entries", t * n);
}

#[test]
fn tracks_on_the_gpu_flow_path() {
    let d = tmp("tracks-gpu");
    let sample = d.join("sample");
    let o = segmo(&["sample", "--out", sample.to_str().unwrap(), "--width", "96", "--height", "64", "--frames", "6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = d.join("t.safetensors");
    let frames = sample.join("frames");
    let o = segmo(&["tracks", frames.to_str().unwrap(), "--out", st.to_str().unwrap(), "--no-overlay", "--device", "gpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("optical flow on GPU"), "{}", stderr(&o));
    let b = std::fs::read(&st).unwrap();
    let hl = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&b[8..8 + hl]).unwrap();
    let xy: Vec<u64> = header["xy"]["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(xy[0], 6);
    assert!(xy[1] > 30, "only {} tracks", xy[1]);
}

#[test]
fn eval_tracks_scores_sequences_in_the_davis_layout() {
    let d = tmp("eval-tracks");
    let data = d.join("data");
    for (name, seed) in [("s1", "1"), ("s2", "2")] {
        let out = data.join(name);
        let o = segmo(&["sample", "--out", out.to_str().unwrap(), "--width", "128", "--height", "96", "--frames", "8", "--seed", seed]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = segmo(&["eval-tracks", data.to_str().unwrap(), "--device", "cpu", "--json", "--sequences", "s2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "s2");
    assert_eq!(rows[0]["frames"], 8);
    let n = |k: &str| rows[0][k].as_u64().unwrap();
    assert!(n("inside_tracks") > 0 && n("outside_tracks") > 0, "{}", rows[0]);
    // The sample's objects are well textured and move slowly: most tracks stay on their side.
    assert!(n("inside_kept") * 2 > n("inside_tracks") && n("outside_kept") * 2 > n("outside_tracks"), "{}", rows[0]);

    let o = segmo(&["eval-tracks", data.to_str().unwrap(), "--device", "cpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(table.contains("s1") && table.contains("s2") && table.contains("mean"), "{table}");

    let o = segmo(&["eval-tracks", d.to_str().unwrap(), "--device", "cpu"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no <seq>/frames"), "{}", stderr(&o));
}

#[test]
fn eval_lite_scores_the_stages_on_ground_truth_tracks_and_the_baseline() {
    let d = tmp("eval-lite");
    let o = segmo(&["sample", "--out", d.join("s1").to_str().unwrap(), "--width", "160", "--height", "96", "--frames", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let data = d.to_str().unwrap();
    // Tracks labelled from the ground truth: the objects + densifier ceiling, two densifier caps
    // scored on the same tracks.
    let o = segmo(&["eval-lite", data, "--sequences", "s1", "--oracle", "--object-strides", "3,1000", "--device", "cpu"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("== object strides 3,") && out.contains("== object strides 1000,"), "{out}");
    assert!(out.contains("bacc 1.000"), "ground-truth labels agree with themselves: {out}");
    let j = |line: &str| line.split("J ").nth(1).and_then(|r| r.split(' ').next()).and_then(|v| v.parse::<f64>().ok()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("s1 [")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    // Uncapped, perfect track labels give near-perfect masks on the textured sample.
    assert!(j(lines[1]) > 0.8, "{out}");
    let o = segmo(&["eval-lite", data, "--sequences", "s1", "--baseline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(baseline)"));
    let o = segmo(&["eval-lite", data, "--sequences", "s1", "--baseline", "--oracle"]);
    assert!(!o.status.success(), "conflicting scorers are refused");
}

#[test]
fn tracks_needs_two_frames_and_a_known_format() {
    let d = tmp("tracks-bad");
    let f = d.join("frames");
    std::fs::create_dir_all(&f).unwrap();
    write_png(&f.join("00000.png"), 32, 24, 0);
    let o = segmo(&["tracks", f.to_str().unwrap(), "--out", d.join("t.npz").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at least two frames") || stderr(&o).contains("at least 2 frames"), "{}", stderr(&o));
    assert!(!d.join("t.npz").exists());
    write_png(&f.join("00001.png"), 32, 24, 3);
    let o = segmo(&["tracks", f.to_str().unwrap(), "--out", d.join("t.csv").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(".npz or .safetensors"), "{}", stderr(&o));
}

#[test]
fn convert_writes_a_bundle_and_rejects_other_files() {
    let d = tmp("convert");
    let out = d.join("small.safetensors");
    let pth = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dino/small_official.pth");
    let o = segmo(&["convert", pth, "--out", out.to_str().unwrap(), "--heads", "2", "--f16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("2 blocks, 32-d, 2 heads") && said.contains("f16"), "{said}");
    let bytes = std::fs::read(&out).unwrap();
    let dev = segmo::ComputeDevice::cpu();
    let model = segmo::features::dino::Dino::from_bytes(&bytes, None, &dev.device).unwrap();
    assert_eq!(model.config.depth, 2);
    let weights = concat!(env!("CARGO_MANIFEST_DIR"), "/models/lite-classifier.safetensors");
    let o = segmo(&["convert", weights, "--out", d.join("x").to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("cls_token"), "{}", stderr(&o));
    assert!(!d.join("x").exists(), "nothing written for a file that is not DINOv2");
}

#[test]
fn bench_dino_prints_its_table() {
    // One tiny size (the whole ViT-B/14 is built for it): 3x5 tokens at stride 7, plus CLS.
    let o = segmo(&["bench", "dino", "--sizes", "28x42s7", "--reps", "1", "--no-gpu", "--no-reference"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("| 28x42 s7 | 16 |") && table.contains("MiB"), "{table}");
    let o = segmo(&["bench", "dino", "--sizes", "28", "--no-gpu", "--no-reference"]);
    assert!(!o.status.success() && stderr(&o).contains("HEIGHTxWIDTH"), "{}", stderr(&o));
}
