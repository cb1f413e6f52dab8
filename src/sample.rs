//! A deterministic synthetic clip with exact ground truth: the README's demo input and the
//! tests' input (`segmo sample --out DIR`).
//!
//! The scene is built to be hard in the ways real footage is hard for motion segmentation:
//! the camera pans and zooms (so "pixels that change" is not "things that move"), a static
//! object sits closer to the camera than the background (so it slides faster under the pan
//! and fools any single-homography background model, yet must be labelled static), the two
//! moving objects rotate, scale and deform, and they are partly hidden by the static object and
//! by each other for a stretch of frames.
//!
//! Everything is computed from integer hashes and IEEE `+ - * / sqrt floor` in f64, with our own
//! polynomial sine, so the bytes are identical on every platform, wasm32 included (std's
//! `sin`/`cos` defer to the platform libm, whose last-ulp results differ between targets).
//! Object paths do not depend on the seed, so the occlusions the tests and README rely on
//! happen for every seed; the seed only changes textures and sensor noise.

use crate::clip::{Clip, LabelMap};

/// What to render. Geometry scales with `min(width / 320, height / 192)`, so a larger clip
/// shows the same scene with the same per-frame motion relative to the frame size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    pub seed: u64,
}

impl Default for SampleConfig {
    /// Small on purpose: the test suite renders this many times.
    fn default() -> Self {
        Self { width: 320, height: 192, frames: 24, seed: 7 }
    }
}

/// A rendered clip with per-frame ground truth.
#[derive(Clone, Debug)]
pub struct Sample {
    pub clip: Clip,
    /// Moving-object ground truth: 0 background (the parallax object included), 1 and 2 the
    /// moving objects; visible pixels only, so occluded parts are not labelled.
    pub moving: Vec<LabelMap>,
    /// Instance ground truth: as `moving`, plus the static parallax object as 3.
    pub instances: Vec<LabelMap>,
    /// Per frame, pixels of object k+1 that lie inside the frame and inside its shape but are
    /// hidden by a nearer object. Lets tests and the README locate the occlusions exactly.
    pub occluded_px: Vec<[u32; 3]>,
}

/// Label of the static, near-camera object in `instances`.
pub const STATIC_LABEL: u8 = 3;

/// Renders the clip. A width or height of 0 is raised to 1 so the result is always a valid
/// `Clip`. Frame t depends only on t, the size and the seed, never on `frames`, so a short
/// render is a prefix of a long one.
pub fn render(cfg: &SampleConfig) -> Sample {
    let scene = Scene::new(cfg);
    let n = scene.w * scene.h;
    let mut frames = Vec::with_capacity(cfg.frames);
    let mut moving = Vec::with_capacity(cfg.frames);
    let mut instances = Vec::with_capacity(cfg.frames);
    let mut occluded_px = Vec::with_capacity(cfg.frames);
    let mut rgb = vec![0f64; n * 3];
    let mut ids = vec![0u8; n];
    for t in 0..cfg.frames {
        let amodal = scene.render_frame(t, &mut rgb, &mut ids);
        let mut visible = [0u32; 3];
        for &id in &ids {
            if id > 0 {
                visible[id as usize - 1] += 1;
            }
        }
        occluded_px.push([amodal[0] - visible[0], amodal[1] - visible[1], amodal[2] - visible[2]]);
        frames.push(scene.finish(t, &rgb));
        let mov = ids.iter().map(|&l| if l == STATIC_LABEL { 0 } else { l }).collect();
        moving.push(LabelMap { width: scene.w as u32, height: scene.h as u32, labels: mov });
        instances.push(LabelMap {
            width: scene.w as u32,
            height: scene.h as u32,
            labels: ids.clone(),
        });
    }
    Sample {
        clip: Clip { width: scene.w as u32, height: scene.h as u32, frames },
        moving,
        instances,
        occluded_px,
    }
}

/// Writes `DIR/frames/NNNNN.png` (RGB), `DIR/masks/NNNNN.png` (gray, 0 background / 255 any
/// moving object, the DAVIS-2016 convention the evaluator reads), `DIR/labels/NNNNN.png`
/// (gray, raw moving-object ids 0..=2) and `DIR/README.txt`.
#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub fn write(sample: &Sample, dir: &std::path::Path) -> std::io::Result<()> {
    use image::ExtendedColorType;
    use std::io::Error;

    let (w, h) = (sample.clip.width, sample.clip.height);
    for sub in ["frames", "masks", "labels"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    for (t, frame) in sample.clip.frames.iter().enumerate() {
        let name = format!("{t:05}.png");
        let rgb: Vec<u8> = frame.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        image::save_buffer(dir.join("frames").join(&name), &rgb, w, h, ExtendedColorType::Rgb8)
            .map_err(Error::other)?;
        let labels = &sample.moving[t].labels;
        let mask: Vec<u8> = labels.iter().map(|&l| if l > 0 { 255 } else { 0 }).collect();
        image::save_buffer(dir.join("masks").join(&name), &mask, w, h, ExtendedColorType::L8)
            .map_err(Error::other)?;
        image::save_buffer(dir.join("labels").join(&name), labels, w, h, ExtendedColorType::L8)
            .map_err(Error::other)?;
    }
    std::fs::write(dir.join("README.txt"), readme(sample))
}

/// Human-readable description of the clip, with the occlusion frames measured from this render.
pub fn readme(sample: &Sample) -> String {
    let c = &sample.clip;
    let lines = [
        "Scene",
        "- Background: procedural texture (multi-octave value noise, scattered coloured discs,",
        "  squares and rings, warped stripe patches) seen by a camera that pans left-right and",
        "  slightly up-down and zooms in slowly (scale 1 + 0.12 sin(0.03 t)).",
        "- Object 1 (moving): orange spotted ellipse. It moves right along a gentle wave while",
        "  rotating about 2.6 degrees per frame, passing behind the post.",
        "- Object 2 (moving): blue wobbly rounded box, in front of everything. It drifts left and",
        "  down, grows slowly, squashes and stretches, and its outline ripples (non-rigid).",
        "- Object 3 (static): wooden post twice as close to the camera as the background, so the",
        "  pan moves it about twice as fast in the image (parallax). It does not move in the",
        "  world: it is background in masks/ and labels/.",
        "- Slow global brightness drift and mild per-pixel sensor noise.",
        "",
        "Files",
        "- frames/NNNNN.png  RGB frames",
        "- masks/NNNNN.png   moving-object mask: 0 background, 255 moving (DAVIS-2016 style)",
        "- labels/NNNNN.png  moving-object ids: 0 background, 1 ellipse, 2 box",
        "Ground truth covers visible pixels only; hidden parts of an object are background.",
        "",
        "Occlusions (frames where part of an object is hidden by a nearer one)",
    ];
    let mut s =
        format!("segmo synthetic sample: {}x{}, {} frames\n\n", c.width, c.height, c.frames.len());
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    for (k, what) in ["object 1 (ellipse)", "object 2 (box)", "object 3 (post)"].iter().enumerate()
    {
        let ranges = frame_ranges(sample.occluded_px.iter().map(|o| o[k] > 0));
        let text = if ranges.is_empty() { "never".to_string() } else { ranges.join(", ") };
        s.push_str(&format!("- {what}: {text}\n"));
    }
    s
}

fn frame_ranges(flags: impl Iterator<Item = bool>) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = None;
    let mut last = 0;
    for (t, on) in flags.enumerate() {
        match (on, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push(range_text(s, t - 1));
                start = None;
            }
            _ => {}
        }
        last = t;
    }
    if let Some(s) = start {
        out.push(range_text(s, last));
    }
    out
}

fn range_text(a: usize, b: usize) -> String {
    if a == b {
        format!("frame {a}")
    } else {
        format!("frames {a}-{b}")
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic maths

// Shared with the synthetic scene generator: the same platform-independent sine, hashes and
// exact floor, so both renderers give identical bytes on every target.
use crate::synth::detmath::{clamp01, dcos, dsin, ffloor, hash2 as hash3, lerp, lerp3, mix64, unit, PI, TAU};

fn smooth(f: f64) -> f64 {
    f * f * (3.0 - 2.0 * f)
}

fn value_noise(x: f64, y: f64, salt: u64) -> f64 {
    let (xf, yf) = (ffloor(x), ffloor(y));
    let (ix, iy) = (xf as i64, yf as i64);
    let (sx, sy) = (smooth(x - xf), smooth(y - yf));
    let v = |dx: i64, dy: i64| unit(hash3(ix + dx, iy + dy, salt));
    lerp(lerp(v(0, 0), v(1, 0), sx), lerp(v(0, 1), v(1, 1), sx), sy)
}

/// Fractal value noise in [0, 1], octaves from `period` down to about 2 px. Each octave is
/// rotated (3-4-5 triangle, exact in f64) and shifted so lattice lines never line up; aligned
/// lattices give axis-parallel streaks that a flow method could lock onto.
fn fbm(x: f64, y: f64, period: f64, max_octaves: u32, salt: u64) -> f64 {
    fbm_p(x, y, period, max_octaves, 0.55, salt)
}

/// `fbm` with a chosen amplitude ratio between octaves: higher keeps more fine detail.
fn fbm_p(x: f64, y: f64, period: f64, max_octaves: u32, persistence: f64, salt: u64) -> f64 {
    let (mut x, mut y) = (x / period, y / period);
    let (mut sum, mut norm, mut amp, mut p) = (0.0, 0.0, 1.0, period);
    for o in 0..max_octaves {
        if p < 2.0 && o > 0 {
            break;
        }
        sum += amp * value_noise(x, y, salt.wrapping_add(o as u64 * 0x9E37));
        norm += amp;
        amp *= persistence;
        p *= 0.5;
        let (nx, ny) = (0.8 * x - 0.6 * y, 0.6 * x + 0.8 * y);
        x = nx * 2.0 + 17.31;
        y = ny * 2.0 - 5.77;
    }
    sum / norm
}

/// Pushes fbm's bunched-up middle values apart so the texture has contrast.
fn stretch(v: f64, gain: f64) -> f64 {
    clamp01((v - 0.5) * gain + 0.5)
}

// ---------------------------------------------------------------------------------------------
// Scene

/// How far from the camera the static object is, relative to the background (2 = half as far),
/// i.e. how much faster it moves in the image under a camera pan.
const PARALLAX: f64 = 2.0;

struct View {
    /// Camera offset in world pixels (world = image coordinates of frame 0).
    cam: [f64; 2],
    /// Zoom of the background plane.
    zoom: f64,
}

/// Where a layer lies in the image: pixel = m (u, v) + b for local coordinates (u, v).
struct Placement {
    inv: [[f64; 2]; 2],
    b: [f64; 2],
    /// Local length to pixel length, for anti-aliasing distances.
    px_per_unit: f64,
    bbox: [usize; 4],
    t: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Ellipse,
    Blob,
    Post,
}

struct Scene {
    w: usize,
    h: usize,
    /// Design units (a 320x192 frame) to pixels.
    s: f64,
    seed: u64,
    canvas: Vec<[f32; 3]>,
    canvas_w: usize,
    canvas_h: usize,
    canvas_x0: f64,
    canvas_y0: f64,
    /// Object textures in local coordinates, indexed by instance label - 1.
    textures: Vec<Texture>,
}

impl Scene {
    fn new(cfg: &SampleConfig) -> Self {
        let w = cfg.width.max(1) as usize;
        let h = cfg.height.max(1) as usize;
        let s = (w as f64 / 320.0).min(h as f64 / 192.0);
        let mut scene = Scene {
            w,
            h,
            s,
            seed: mix64(cfg.seed ^ 0x53_45_47_4D_4F),
            canvas: Vec::new(),
            canvas_w: 0,
            canvas_h: 0,
            canvas_x0: 0.0,
            canvas_y0: 0.0,
            textures: Vec::new(),
        };
        scene.build_canvas(cfg.frames);
        // Texture is fixed in object coordinates, so it is evaluated once, not per pixel per
        // frame; that keeps an 854x480 render well under a second.
        scene.textures = [Kind::Ellipse, Kind::Blob, Kind::Post]
            .into_iter()
            .map(|kind| {
                let r = scene.radius(kind);
                Texture::new(r, |u, v| scene.object_texture(kind, u, v))
            })
            .collect();
        scene
    }

    fn centre(&self) -> [f64; 2] {
        [self.w as f64 * 0.5, self.h as f64 * 0.5]
    }

    /// Camera path: bounded oscillations, so any clip length keeps the near object in view.
    fn view(&self, t: f64) -> View {
        View {
            cam: [48.0 * self.s * dsin(0.031 * t), 8.0 * self.s * dsin(0.045 * t)],
            zoom: 1.0 + 0.12 * dsin(0.03 * t),
        }
    }

    /// Background-plane point to pixel.
    fn world_to_px(&self, v: &View, x: [f64; 2]) -> [f64; 2] {
        let c = self.centre();
        [c[0] + v.zoom * (x[0] - c[0] - v.cam[0]), c[1] + v.zoom * (x[1] - c[1] - v.cam[1])]
    }

    /// The background is sampled from a canvas pre-rendered once at one sample per world pixel:
    /// evaluating the full procedural texture per pixel per frame would cost several times more.
    /// The canvas origin is snapped to integers so texels sit at the same world points whatever
    /// the clip length, keeping frame t independent of the frame count.
    fn build_canvas(&mut self, frames: usize) {
        let c = self.centre();
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for t in 0..frames.max(1) {
            let v = self.view(t as f64);
            for (k, extent) in [self.w as f64, self.h as f64].into_iter().enumerate() {
                for p in [0.0, extent] {
                    let x = c[k] + (p - c[k]) / v.zoom + v.cam[k];
                    lo[k] = lo[k].min(x);
                    hi[k] = hi[k].max(x);
                }
            }
        }
        self.canvas_x0 = lo[0].floor() - 2.0;
        self.canvas_y0 = lo[1].floor() - 2.0;
        self.canvas_w = (hi[0].ceil() + 2.0 - self.canvas_x0) as usize + 1;
        self.canvas_h = (hi[1].ceil() + 2.0 - self.canvas_y0) as usize + 1;
        let mut canvas = Vec::with_capacity(self.canvas_w * self.canvas_h);
        for j in 0..self.canvas_h {
            for i in 0..self.canvas_w {
                let x = self.canvas_x0 + i as f64 + 0.5;
                let y = self.canvas_y0 + j as f64 + 0.5;
                let p = self.background(x, y);
                canvas.push([p[0] as f32, p[1] as f32, p[2] as f32]);
            }
        }
        self.canvas = canvas;
    }

    /// The background texture at a world point, RGB in 0..255.
    fn background(&self, x: f64, y: f64) -> [f64; 3] {
        let s = self.s;
        let seed = self.seed;
        // Strong fine octaves: smooth cloudy areas would leave flow and matching nothing to grip.
        let detail = stretch(fbm_p(x, y, 40.0 * s, 8, 0.72, seed ^ 1), 2.4);
        let region = fbm(x, y, 150.0 * s, 3, seed ^ 2);
        let olive = [112.0, 124.0, 78.0];
        let slate = [92.0, 104.0, 128.0];
        let ochre = [176.0, 146.0, 96.0];
        let base = if region < 0.5 {
            lerp3(slate, olive, clamp01(region * 2.0))
        } else {
            lerp3(olive, ochre, clamp01(region * 2.0 - 1.0))
        };
        let shade = 0.5 + 0.95 * detail;
        let mut col = [base[0] * shade, base[1] * shade, base[2] * shade];

        // Warped stripes in patches: strong oriented texture like fences or tiles, warped so no
        // two places look alike.
        let patch = fbm(x, y, 110.0 * s, 2, seed ^ 3);
        if patch > 0.58 {
            let ang = PI * fbm(x, y, 200.0 * s, 2, seed ^ 4);
            let along = x * dcos(ang) + y * dsin(ang);
            let warp = fbm(x, y, 30.0 * s, 3, seed ^ 5);
            let phase = TAU * along / (7.0 * s) + 9.0 * warp;
            let stripe = 0.5 + 0.5 * dsin(phase);
            let wgt = clamp01((patch - 0.58) / 0.06) * 0.6;
            let tint = [40.0, 30.0, 20.0];
            let bright = [235.0, 225.0, 200.0];
            let sc = lerp3(tint, bright, stripe);
            col = lerp3(col, sc, wgt);
        }

        // Two offset grids of small shapes so no row or column of them lines up.
        col = self.cell_shapes(col, x, y, 34.0 * s, 0.4, 0.9, seed ^ 6);
        col = self.cell_shapes(col, x + 13.7 * s, y + 21.1 * s, 26.0 * s, 0.3, 0.85, seed ^ 8);
        col = self.cell_shapes(col, x, y, 95.0 * s, 0.35, 0.4, seed ^ 7);
        col
    }

    /// Scatters one random shape (disc, ring or rotated square) per occupied grid cell, drawn
    /// fully inside its cell so only the cell under the point needs testing.
    #[allow(clippy::too_many_arguments)]
    fn cell_shapes(
        &self,
        col: [f64; 3],
        x: f64,
        y: f64,
        cell: f64,
        p: f64,
        alpha: f64,
        salt: u64,
    ) -> [f64; 3] {
        let (cx, cy) = (ffloor(x / cell), ffloor(y / cell));
        let h = hash3(cx as i64, cy as i64, salt);
        if unit(h) >= p {
            return col;
        }
        let h2 = mix64(h);
        let h3 = mix64(h2);
        let r = cell * (0.14 + 0.22 * unit(h2));
        let ox = cx * cell + r + (cell - 2.0 * r) * unit(h3);
        let oy = cy * cell + r + (cell - 2.0 * r) * unit(mix64(h3));
        let (dx, dy) = (x - ox, y - oy);
        let kind = (h2 >> 5) % 3;
        let d = match kind {
            0 => (dx * dx + dy * dy).sqrt() - r,
            1 => ((dx * dx + dy * dy).sqrt() - r * 0.7).abs() - r * 0.3,
            _ => {
                let a = TAU * unit(mix64(h3 ^ 9));
                let (c, s) = (dcos(a), dsin(a));
                let (u, v) = (c * dx + s * dy, -s * dx + c * dy);
                let e = r * 0.8;
                u.abs().max(v.abs()) - e
            }
        };
        let cover = clamp01(0.5 - d) * alpha;
        if cover <= 0.0 {
            return col;
        }
        let palette = [
            [200.0, 50.0, 45.0],
            [235.0, 200.0, 60.0],
            [60.0, 150.0, 80.0],
            [70.0, 90.0, 190.0],
            [230.0, 230.0, 225.0],
            [35.0, 30.0, 40.0],
            [150.0, 70.0, 160.0],
        ];
        let pc = palette[((h3 >> 7) % palette.len() as u64) as usize];
        // Shapes pick up some of the underlying noise so they are not flat, featureless blobs.
        let k = 0.75 + 0.5 * (col[0] + col[1] + col[2]) / (3.0 * 255.0);
        lerp3(col, [pc[0] * k, pc[1] * k, pc[2] * k], cover)
    }

    fn sample_canvas(&self, x: f64, y: f64) -> [f64; 3] {
        let fx = x - self.canvas_x0 - 0.5;
        let fy = y - self.canvas_y0 - 0.5;
        let (x0, y0) = (ffloor(fx), ffloor(fy));
        let (ax, ay) = (fx - x0, fy - y0);
        let cw = self.canvas_w as i64;
        let ch = self.canvas_h as i64;
        let ix = (x0 as i64).clamp(0, cw - 2);
        let iy = (y0 as i64).clamp(0, ch - 2);
        let at = |i: i64, j: i64| {
            let i = i.clamp(0, cw - 1) as usize;
            let j = j.clamp(0, ch - 1) as usize;
            self.canvas[j * self.canvas_w + i]
        };
        let (a, b, c, d) = (at(ix, iy), at(ix + 1, iy), at(ix, iy + 1), at(ix + 1, iy + 1));
        let mut out = [0.0; 3];
        for k in 0..3 {
            let top = lerp(a[k] as f64, b[k] as f64, ax);
            let bot = lerp(c[k] as f64, d[k] as f64, ax);
            out[k] = lerp(top, bot, ay);
        }
        out
    }

    /// Pose of a layer: centre in its plane, rotation, and per-axis scale.
    fn pose(&self, kind: Kind, t: f64) -> ([f64; 2], f64, [f64; 2]) {
        let c = self.centre();
        let s = self.s;
        match kind {
            // Sweeps right across the post; world speed ~5 px/frame against a pan of ~1.5.
            Kind::Ellipse => {
                let x = -70.0 + 110.0 * dsin(0.045 * t);
                let y = 10.0 + 18.0 * dsin(0.09 * t);
                ([c[0] + s * x, c[1] + s * y], 0.3 + 0.045 * t, [1.0, 1.0])
            }
            // Drifts left and down into the ellipse's path while growing, squashing and turning.
            Kind::Blob => {
                let x = 95.0 - 50.0 * dsin(0.06 * t);
                let y = -45.0 + 30.0 * dsin(0.08 * t);
                let grow = 1.0 + 0.15 * dsin(0.04 * t);
                let squash = 1.0 + 0.08 * dsin(0.21 * t);
                ([c[0] + s * x, c[1] + s * y], -0.2 - 0.025 * t, [grow * squash, grow / squash])
            }
            Kind::Post => ([c[0] + s * 20.0, c[1] - s * 2.0], 0.06, [1.0, 1.0]),
        }
    }

    /// Largest local radius of the shape, in pixels at unit scale.
    fn radius(&self, kind: Kind) -> f64 {
        self.s
            * match kind {
                Kind::Ellipse => 38.0,
                Kind::Blob => (34.0f64 * 34.0 + 26.0 * 26.0).sqrt() + 6.0,
                Kind::Post => (16.0f64 * 16.0 + 56.0 * 56.0).sqrt(),
            }
    }

    fn place(&self, kind: Kind, t: f64, v: &View) -> Placement {
        let (centre, angle, scale) = self.pose(kind, t);
        let c = self.centre();
        let (zoom, b) = if kind == Kind::Post {
            // Camera translation moves a near plane PARALLAX times further, and forward motion
            // (zoom) magnifies it more: for depth Z/k, scale = 1 / (1 - k (1 - 1/zoom)).
            let z = 1.0 / (1.0 - PARALLAX * (1.0 - 1.0 / v.zoom));
            let b = [
                c[0] + z * (centre[0] - c[0] - PARALLAX * v.cam[0]),
                c[1] + z * (centre[1] - c[1] - PARALLAX * v.cam[1]),
            ];
            (z, b)
        } else {
            (v.zoom, self.world_to_px(v, centre))
        };
        let (co, si) = (dcos(angle), dsin(angle));
        let m = [
            [zoom * co * scale[0], -zoom * si * scale[1]],
            [zoom * si * scale[0], zoom * co * scale[1]],
        ];
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let inv = [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]];
        let r = self.radius(kind) * zoom * scale[0].max(scale[1]) + 2.0;
        let span = |lo: f64, hi: f64, n: usize| {
            let a = lo.floor().max(0.0).min(n as f64) as usize;
            let z = hi.ceil().max(0.0).min(n as f64) as usize;
            (a, z)
        };
        let (x0, x1) = span(b[0] - r, b[0] + r, self.w);
        let (y0, y1) = span(b[1] - r, b[1] + r, self.h);
        Placement {
            inv,
            b,
            px_per_unit: zoom * (scale[0] * scale[1]).sqrt(),
            bbox: [x0, x1, y0, y1],
            t,
        }
    }

    /// Signed distance (negative inside) in local pixels at unit scale.
    fn distance(&self, kind: Kind, u: f64, v: f64, t: f64) -> f64 {
        let s = self.s;
        match kind {
            Kind::Ellipse => {
                let (a, b) = (38.0 * s, 27.0 * s);
                let f = ((u / a) * (u / a) + (v / b) * (v / b)).sqrt();
                if f < 1e-9 {
                    return -b;
                }
                let gx = u / (a * a * f);
                let gy = v / (b * b * f);
                (f - 1.0) / (gx * gx + gy * gy).sqrt()
            }
            Kind::Blob => {
                let d = round_rect(u, v, 34.0 * s, 26.0 * s, 14.0 * s);
                let rho = (u * u + v * v).sqrt();
                if rho < 1e-9 {
                    return d;
                }
                let (cs, sn) = (u / rho, v / rho);
                // sin(n phi + w t) from powers of (cos phi, sin phi): no atan2 needed.
                let wob = 3.0 * s * sin_multiple(cs, sn, 3, 0.35 * t)
                    + 2.0 * s * sin_multiple(cs, sn, 5, 1.0 - 0.25 * t);
                d - wob
            }
            Kind::Post => round_rect(u, v, 16.0 * s, 56.0 * s, 8.0 * s),
        }
    }

    /// Texture in the object's own coordinates, so it moves, turns and scales with it.
    fn object_texture(&self, kind: Kind, u: f64, v: f64) -> [f64; 3] {
        let s = self.s;
        let seed = self.seed;
        match kind {
            Kind::Ellipse => {
                let n = stretch(fbm(u, v, 22.0 * s, 6, seed ^ 11), 2.0);
                let col = lerp3([205.0, 70.0, 30.0], [250.0, 200.0, 70.0], n);
                spots(col, u, v, 11.0 * s, 0.7, [70.0, 30.0, 20.0], seed ^ 12)
            }
            Kind::Blob => {
                let n = stretch(fbm(u, v, 18.0 * s, 6, seed ^ 21), 2.0);
                let col = lerp3([30.0, 70.0, 180.0], [90.0, 210.0, 220.0], n);
                spots(col, u, v, 9.0 * s, 0.5, [240.0, 245.0, 250.0], seed ^ 22)
            }
            Kind::Post => {
                // Grain stretched along the post, like wood.
                let grain = fbm(u * 5.0, v * 0.6, 30.0 * s, 6, seed ^ 31);
                let g = stretch(grain, 2.5);
                let mut col = lerp3([95.0, 60.0, 35.0], [185.0, 140.0, 95.0], g);
                col = spots(col, u, v, 20.0 * s, 0.35, [60.0, 35.0, 20.0], seed ^ 32);
                let across = clamp01(1.0 - (u / (16.0 * s)) * (u / (16.0 * s)));
                let round = 0.55 + 0.45 * across.sqrt();
                col.map(|c| c * round)
            }
        }
    }

    /// Darkens towards the outline so the objects read as solid bodies, not flat cut-outs.
    fn edge_shade(&self, kind: Kind, d: f64) -> f64 {
        match kind {
            Kind::Ellipse => 0.7 + 0.3 * clamp01(-d / (10.0 * self.s)),
            Kind::Blob => 0.7 + 0.3 * clamp01(-d / (8.0 * self.s)),
            Kind::Post => 1.0,
        }
    }

    /// Draws frame t into `rgb` (linear 0..255 floats) and `ids` (instance labels); returns each
    /// object's in-frame area before occlusion.
    fn render_frame(&self, t: usize, rgb: &mut [f64], ids: &mut [u8]) -> [u32; 3] {
        let tf = t as f64;
        let v = self.view(tf);
        let c = self.centre();
        for y in 0..self.h {
            let wy = c[1] + (y as f64 + 0.5 - c[1]) / v.zoom + v.cam[1];
            for x in 0..self.w {
                let wx = c[0] + (x as f64 + 0.5 - c[0]) / v.zoom + v.cam[0];
                let i = y * self.w + x;
                let p = self.sample_canvas(wx, wy);
                rgb[i * 3..i * 3 + 3].copy_from_slice(&p);
                ids[i] = 0;
            }
        }
        let mut amodal = [0u32; 3];
        // Back to front: the ellipse passes behind the post, the blob passes in front of both.
        for (kind, id) in [(Kind::Ellipse, 1u8), (Kind::Post, 3), (Kind::Blob, 2)] {
            let tex = &self.textures[id as usize - 1];
            let pl = self.place(kind, tf, &v);
            let [x0, x1, y0, y1] = pl.bbox;
            for y in y0..y1 {
                for x in x0..x1 {
                    let px = x as f64 + 0.5 - pl.b[0];
                    let py = y as f64 + 0.5 - pl.b[1];
                    let u = pl.inv[0][0] * px + pl.inv[0][1] * py;
                    let w = pl.inv[1][0] * px + pl.inv[1][1] * py;
                    let d = self.distance(kind, u, w, pl.t);
                    let d_px = d * pl.px_per_unit;
                    // Box-filter coverage across one pixel: soft edges like a real camera, while
                    // the label goes by the pixel centre.
                    let cover = clamp01(0.5 - d_px);
                    if cover <= 0.0 {
                        continue;
                    }
                    let i = y * self.w + x;
                    let col = tex.sample(u, w);
                    let shade = self.edge_shade(kind, d);
                    for k in 0..3 {
                        rgb[i * 3 + k] = lerp(rgb[i * 3 + k], col[k] * shade, cover);
                    }
                    if d_px < 0.0 {
                        ids[i] = id;
                        amodal[id as usize - 1] += 1;
                    }
                }
            }
        }
        amodal
    }

    /// Exposure drift, sensor noise and quantisation to RGBA8.
    fn finish(&self, t: usize, rgb: &[f64]) -> Vec<u8> {
        let tf = t as f64;
        let gain = 1.0 - 0.05 * (1.0 - dcos(0.07 * tf)) + 0.01 * dsin(1.3 * tf);
        let salt = self.seed ^ mix64(t as u64 ^ 0xF00D);
        let mut out = vec![255u8; rgb.len() / 3 * 4];
        for (i, (p, o)) in rgb.chunks_exact(3).zip(out.chunks_exact_mut(4)).enumerate() {
            let h = hash3(i as i64, 0, salt);
            for k in 0..3 {
                let a = ((h >> (16 * k)) & 0xFF) as f64;
                let b = ((h >> (16 * k + 8)) & 0xFF) as f64;
                // Triangular noise, about 1.5 grey levels standard deviation.
                let noise = (a + b - 255.0) * (3.5 / 255.0);
                // The cast truncates, which rounds once the value is clamped non-negative.
                o[k] = (p[k] * gain + noise + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        out
    }
}

/// An RGB image over the local square [-r, r]^2 at one texel per unit, sampled bilinearly.
struct Texture {
    r: f64,
    n: usize,
    texels: Vec<[f32; 3]>,
}

impl Texture {
    fn new(r: f64, f: impl Fn(f64, f64) -> [f64; 3]) -> Self {
        let n = (2.0 * r).ceil() as usize + 2;
        let mut texels = Vec::with_capacity(n * n);
        for j in 0..n {
            for i in 0..n {
                let c = f(-r + i as f64 + 0.5, -r + j as f64 + 0.5);
                texels.push([c[0] as f32, c[1] as f32, c[2] as f32]);
            }
        }
        Self { r, n, texels }
    }

    fn sample(&self, u: f64, v: f64) -> [f64; 3] {
        let fx = u + self.r - 0.5;
        let fy = v + self.r - 0.5;
        let (x0, y0) = (ffloor(fx), ffloor(fy));
        let (ax, ay) = (fx - x0, fy - y0);
        let last = self.n as i64 - 1;
        let at = |i: i64, j: i64| {
            self.texels[j.clamp(0, last) as usize * self.n + i.clamp(0, last) as usize]
        };
        let (ix, iy) = (x0 as i64, y0 as i64);
        let (a, b, c, d) = (at(ix, iy), at(ix + 1, iy), at(ix, iy + 1), at(ix + 1, iy + 1));
        let mut out = [0.0; 3];
        for k in 0..3 {
            let top = lerp(a[k] as f64, b[k] as f64, ax);
            let bot = lerp(c[k] as f64, d[k] as f64, ax);
            out[k] = lerp(top, bot, ay);
        }
        out
    }
}

fn round_rect(u: f64, v: f64, hw: f64, hh: f64, r: f64) -> f64 {
    let qx = u.abs() - hw + r;
    let qy = v.abs() - hh + r;
    let ox = qx.max(0.0);
    let oy = qy.max(0.0);
    (ox * ox + oy * oy).sqrt() + qx.max(qy).min(0.0) - r
}

/// sin(n * phi + psi) given cos phi and sin phi.
fn sin_multiple(c: f64, s: f64, n: u32, psi: f64) -> f64 {
    let (mut re, mut im) = (1.0, 0.0);
    for _ in 0..n {
        let r = re * c - im * s;
        im = re * s + im * c;
        re = r;
    }
    // sin(a + psi) = sin a cos psi + cos a sin psi
    im * dcos(psi) + re * dsin(psi)
}

/// Dark or light spots on a jittered grid: features that make rotation and scale visible.
fn spots(col: [f64; 3], u: f64, v: f64, cell: f64, p: f64, tint: [f64; 3], salt: u64) -> [f64; 3] {
    let (cx, cy) = (ffloor(u / cell), ffloor(v / cell));
    let h = hash3(cx as i64, cy as i64, salt);
    if unit(h) >= p {
        return col;
    }
    let r = cell * (0.15 + 0.2 * unit(mix64(h)));
    let ox = cx * cell + r + (cell - 2.0 * r) * unit(mix64(h ^ 1));
    let oy = cy * cell + r + (cell - 2.0 * r) * unit(mix64(h ^ 2));
    let d = ((u - ox) * (u - ox) + (v - oy) * (v - oy)).sqrt() - r;
    lerp3(col, tint, clamp01(0.5 - d) * 0.85)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn default_sample() -> &'static Sample {
        static S: OnceLock<Sample> = OnceLock::new();
        S.get_or_init(|| render(&SampleConfig::default()))
    }

    fn area(map: &LabelMap, id: u8) -> usize {
        map.labels.iter().filter(|&&l| l == id).count()
    }

    fn check_shapes(sample: &Sample, w: u32, h: u32, frames: usize) {
        assert_eq!((sample.clip.width, sample.clip.height, sample.clip.len()), (w, h, frames));
        assert_eq!(sample.moving.len(), frames);
        assert_eq!(sample.instances.len(), frames);
        assert_eq!(sample.occluded_px.len(), frames);
        let n = w as usize * h as usize;
        for t in 0..frames {
            assert_eq!(sample.clip.frames[t].len(), n * 4);
            assert!(sample.clip.frames[t].chunks_exact(4).all(|p| p[3] == 255));
            for m in [&sample.moving[t], &sample.instances[t]] {
                assert_eq!((m.width, m.height, m.labels.len()), (w, h, n));
            }
        }
        assert!(Clip::new(w, h, sample.clip.frames.clone()).is_ok());
    }

    #[test]
    fn deterministic() {
        let a = default_sample();
        let b = render(&SampleConfig::default());
        assert_eq!(a.clip.frames, b.clip.frames);
        assert_eq!(a.moving, b.moving);
        assert_eq!(a.instances, b.instances);
        assert_eq!(a.occluded_px, b.occluded_px);
    }

    #[test]
    fn seed_changes_texture_not_geometry() {
        let a = render(&SampleConfig { frames: 2, ..SampleConfig::default() });
        let b = render(&SampleConfig { frames: 2, seed: 8, ..SampleConfig::default() });
        assert_ne!(a.clip.frames, b.clip.frames);
        assert_eq!(a.instances, b.instances);
    }

    #[test]
    fn short_render_is_prefix_of_long() {
        let short = render(&SampleConfig { frames: 5, ..SampleConfig::default() });
        let long = default_sample();
        assert_eq!(short.clip.frames[..], long.clip.frames[..5]);
        assert_eq!(short.instances[..], long.instances[..5]);
    }

    #[test]
    fn sizes() {
        check_shapes(default_sample(), 320, 192, 24);
        let odd = render(&SampleConfig { width: 97, height: 61, frames: 3, seed: 1 });
        check_shapes(&odd, 97, 61, 3);
        assert!(area(&odd.moving[0], 1) > 0 && area(&odd.moving[0], 2) > 0);
        check_shapes(&render(&SampleConfig { frames: 1, ..SampleConfig::default() }), 320, 192, 1);
        check_shapes(&render(&SampleConfig { width: 0, height: 0, frames: 2, seed: 3 }), 1, 1, 2);
        check_shapes(&render(&SampleConfig { frames: 0, ..SampleConfig::default() }), 320, 192, 0);
    }

    #[test]
    fn moving_objects_visible_and_sized() {
        let s = default_sample();
        let n = (s.clip.width * s.clip.height) as f64;
        for id in [1, 2] {
            let present = s.moving.iter().filter(|m| area(m, id) > 50).count();
            assert!(present * 10 >= s.moving.len() * 9, "object {id} visible in {present} frames");
            let frac = area(&s.moving[0], id) as f64 / n;
            assert!((0.04..=0.13).contains(&frac), "object {id} covers {frac}");
        }
        let frac = area(&s.instances[0], STATIC_LABEL) as f64 / n;
        assert!((0.04..=0.13).contains(&frac), "static object covers {frac}");
    }

    #[test]
    fn static_object_is_not_moving() {
        let s = default_sample();
        for (m, inst) in s.moving.iter().zip(&s.instances) {
            assert_eq!(area(m, STATIC_LABEL), 0);
            assert!(area(inst, STATIC_LABEL) > 0);
            for (&a, &b) in m.labels.iter().zip(&inst.labels) {
                assert_eq!(a, if b == STATIC_LABEL { 0 } else { b });
            }
        }
    }

    #[test]
    fn static_object_shows_parallax() {
        // Its image motion must exceed that of the background behind it, or a global camera
        // model would explain it and the test clip would not exercise parallax.
        let cfg = SampleConfig::default();
        let scene = Scene::new(&cfg);
        let s = default_sample();
        let last = cfg.frames - 1;
        let centroid = |m: &LabelMap| {
            let (mut sx, mut n) = (0.0, 0.0);
            for (i, &l) in m.labels.iter().enumerate() {
                if l == STATIC_LABEL {
                    sx += (i % m.width as usize) as f64;
                    n += 1.0;
                }
            }
            sx / n
        };
        let post_shift = centroid(&s.instances[last]) - centroid(&s.instances[0]);
        let (p0, _, _) = scene.pose(Kind::Post, 0.0);
        let bg_shift = scene.world_to_px(&scene.view(last as f64), p0)[0] - p0[0];
        assert!(bg_shift.abs() > 10.0, "camera barely pans: {bg_shift}");
        assert!(
            post_shift.abs() > 1.6 * bg_shift.abs(),
            "post {post_shift} vs background {bg_shift}"
        );
    }

    #[test]
    fn speeds_in_range() {
        let cfg = SampleConfig::default();
        let scene = Scene::new(&cfg);
        for kind in [Kind::Ellipse, Kind::Blob, Kind::Post] {
            for t in 0..cfg.frames - 1 {
                let at = |t: f64| scene.place(kind, t, &scene.view(t)).b;
                let (a, b) = (at(t as f64), at(t as f64 + 1.0));
                let d = (b[0] - a[0]).hypot(b[1] - a[1]);
                assert!((0.5..=6.0).contains(&d), "{t}: moved {d} px");
            }
        }
    }

    #[test]
    fn occlusion_happens() {
        let s = default_sample();
        let hidden: Vec<bool> = (0..s.moving.len())
            .map(|t| {
                let vis = area(&s.moving[t], 1) as f64;
                let occ = s.occluded_px[t][0] as f64;
                occ > 0.15 * (vis + occ)
            })
            .collect();
        let longest = hidden.split(|&h| !h).map(|r| r.len()).max().unwrap_or(0);
        assert!(longest >= 5, "object 1 hidden for only {longest} consecutive frames");
        // Visible area must actually drop, not only the bookkeeping say so.
        let areas: Vec<usize> = s.moving.iter().map(|m| area(m, 1)).collect();
        let (lo, hi) = (areas.iter().min().unwrap(), areas.iter().max().unwrap());
        assert!((*lo as f64) < 0.75 * *hi as f64, "visible area {lo}..{hi}");
        // The box also passes in front of the ellipse, so a moving object hides a moving one.
        let scene = Scene::new(&SampleConfig::default());
        let mut rgb = vec![0.0; 320 * 192 * 3];
        let mut ids = vec![0; 320 * 192];
        let overlap = (0..24).any(|t| {
            scene.render_frame(t, &mut rgb, &mut ids);
            let pl = scene.place(Kind::Ellipse, t as f64, &scene.view(t as f64));
            ids.iter().enumerate().any(|(i, &id)| {
                let (x, y) = ((i % 320) as f64 + 0.5 - pl.b[0], (i / 320) as f64 + 0.5 - pl.b[1]);
                let u = pl.inv[0][0] * x + pl.inv[0][1] * y;
                let v = pl.inv[1][0] * x + pl.inv[1][1] * y;
                id == 2 && scene.distance(Kind::Ellipse, u, v, t as f64) < -2.0
            })
        });
        assert!(overlap);
    }

    #[test]
    fn frames_change_and_have_texture() {
        let s = default_sample();
        let g0 = s.clip.gray(0);
        let g1 = s.clip.gray(1);
        let diff = g0.iter().zip(&g1).filter(|(a, b)| (*a - *b).abs() > 0.05).count();
        assert!(diff > g0.len() / 10, "consecutive frames nearly equal: {diff}");
        let mean = g0.iter().sum::<f32>() / g0.len() as f32;
        let var = g0.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / g0.len() as f32;
        assert!(var.sqrt() > 0.1, "flat frame, std {}", var.sqrt());
    }

    #[test]
    fn readme_lists_occlusions() {
        let text = readme(default_sample());
        assert!(text.contains("320x192, 24 frames"));
        assert!(text.contains("object 1 (ellipse): frames "));
    }

    #[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
    #[test]
    fn write_round_trips() {
        let s = render(&SampleConfig { width: 97, height: 61, frames: 2, seed: 7 });
        let dir = std::env::temp_dir().join(format!("segmo-sample-test-{}", std::process::id()));
        write(&s, &dir).expect("write sample");
        let mask = image::open(dir.join("masks/00001.png")).expect("read mask").to_luma8();
        assert_eq!(mask.dimensions(), (97, 61));
        assert!(mask.pixels().all(|p| p[0] == 0 || p[0] == 255));
        let expected: Vec<u8> =
            s.moving[1].labels.iter().map(|&l| if l > 0 { 255 } else { 0 }).collect();
        assert_eq!(mask.as_raw(), &expected);
        let labels = image::open(dir.join("labels/00000.png")).expect("read labels").to_luma8();
        assert_eq!(labels.as_raw(), &s.moving[0].labels);
        let frame = image::open(dir.join("frames/00000.png")).expect("read frame").to_rgb8();
        let rgb: Vec<u8> =
            s.clip.frames[0].chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(frame.as_raw(), &rgb);
        assert!(dir.join("README.txt").is_file());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
