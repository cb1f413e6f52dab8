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
    let o = segmo(&["segment", f.to_str().unwrap(), "--out", d.join("o").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at least two frames"), "{}", stderr(&o));
    assert!(!d.join("o").exists());
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
