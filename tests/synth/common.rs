//! Shared fixtures: the default suite rendered once per test binary, and interpolation helpers.
#![allow(dead_code)]

use std::sync::OnceLock;
use segmo::tracks::Flow;
use segmo::synth::{suite, SynthClip};

pub const SEED: u64 = 1;

pub fn all() -> &'static [SynthClip] {
    static S: OnceLock<Vec<SynthClip>> = OnceLock::new();
    S.get_or_init(|| suite(SEED))
}

pub fn clip(name: &str) -> &'static SynthClip {
    all()
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// The four pixels around (x, y) (top-left first), if all are on the image.
pub fn quad(w: usize, h: usize, x: f64, y: f64) -> Option<([usize; 4], f64, f64)> {
    let (x0, y0) = (x.floor(), y.floor());
    if x0 < 0.0 || y0 < 0.0 || x0 + 1.0 >= w as f64 || y0 + 1.0 >= h as f64 {
        return None;
    }
    let i = y0 as usize * w + x0 as usize;
    Some(([i, i + 1, i + w, i + w + 1], x - x0, y - y0))
}

/// Bilinear flow at a sub-pixel point.
pub fn flow_at(f: &Flow, x: f64, y: f64) -> Option<[f64; 2]> {
    let (q, ax, ay) = quad(f.width, f.height, x, y)?;
    let g = |k: usize, c: usize| f.uv[2 * q[k] + c] as f64;
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    Some([0, 1].map(|c| lerp(lerp(g(0, c), g(1, c), ax), lerp(g(2, c), g(3, c), ax), ay)))
}

/// Bilinear RGB of an RGBA8 frame at a sub-pixel point.
pub fn rgb_at(frame: &[u8], w: usize, h: usize, x: f64, y: f64) -> Option<[f64; 3]> {
    let (q, ax, ay) = quad(w, h, x, y)?;
    let g = |k: usize, c: usize| frame[4 * q[k] + c] as f64;
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    Some([0, 1, 2].map(|c| lerp(lerp(g(0, c), g(1, c), ax), lerp(g(2, c), g(3, c), ax), ay)))
}

/// Whether the four pixels around (x, y) all carry layer `l`.
pub fn quad_is_layer(ids: &[u8], w: usize, h: usize, x: f64, y: f64, l: u8) -> bool {
    quad(w, h, x, y).is_some_and(|(q, _, _)| q.iter().all(|&i| ids[i] == l))
}
