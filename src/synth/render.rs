//! Turns a `Scene` into frames plus exact per-pixel ground truth.
//!
//! Ground truth is defined at pixel centres (integer coordinates): the layer there is the
//! frontmost one whose outline contains that exact point. Colour is anti-aliased by 2x2
//! supersampling, but only on pixels next to a layer boundary, so interior colour is exactly
//! the layer's texture at the point the ground truth talks about.

use super::detmath::mix64;
use super::scene::{FrameGeometry, Scene};
use super::texture::Baked;
use super::tracks::{sample_queries, track_queries, GtTracks};
use crate::tracks::Flow;

/// Layer id for a pixel no layer covers (only in scenes without a background plane).
pub const NO_LAYER: u8 = 255;

/// Largest baked texture side; a camera sweeping further would only repeat the clamped edge.
const MAX_TEXTURE_SIDE: f64 = 4096.0;

/// A rendered clip and its ground truth.
#[derive(Clone, Debug)]
pub struct SynthClip {
    pub name: String,
    pub width: usize,
    pub height: usize,
    /// T frames, RGBA8 row-major (alpha 255), like segmo's `Clip`.
    pub frames: Vec<Vec<u8>>,
    /// T-1 forward flows: pixel (x, y) of frame t moves to (x + u, y + v) in frame t+1.
    pub flow: Vec<Flow>,
    /// T-1 masks: pixel of frame t is hidden by a nearer layer, or off the image, at t+1.
    pub occluded: Vec<Vec<bool>>,
    /// T maps of layer index (0 = background) at each pixel centre.
    pub layer_ids: Vec<Vec<u8>>,
    /// T maps of moving-object instance id (0 = static: background and parallax objects).
    pub instance_ids: Vec<Vec<u8>>,
    /// TAP-Vid style query-point tracks.
    pub tracks: GtTracks,
    pub scene: Scene,
}

/// Renders a scene. Panics if `scene.validate()` fails: a scene builder bug, not an input error.
pub fn render(scene: &Scene) -> SynthClip {
    if let Err(e) = scene.validate() {
        panic!("invalid scene {}: {e}", scene.name);
    }
    let cfg = scene.cfg;
    let (w, h, n) = (cfg.width, cfg.height, cfg.width * cfg.height);
    let sampler = Sampler::new(scene);
    let (geoms, textures) = (&sampler.geoms, &sampler.textures);

    let pairs = cfg.frames.saturating_sub(1);
    let mut frames = Vec::with_capacity(cfg.frames);
    let mut layer_ids = Vec::with_capacity(cfg.frames);
    let mut flow = Vec::with_capacity(pairs);
    let mut occluded = Vec::with_capacity(pairs);
    let mut layer_uv = vec![[0.0f64; 2]; n];
    for (t, g) in geoms.iter().enumerate() {
        let next = geoms.get(t + 1);
        let mut ids = vec![NO_LAYER; n];
        let mut fl = Flow {
            width: w,
            height: h,
            uv: vec![0.0; if next.is_some() { 2 * n } else { 0 }],
        };
        let mut occ = vec![true; if next.is_some() { n } else { 0 }];
        for y in 0..h {
            // Layers whose image box meets this row, front first: most rows need few tests.
            let yf = y as f64;
            let rows: Vec<usize> = (0..scene.layers.len())
                .rev()
                .filter(|&l| g.bbox[l][1] <= yf && yf <= g.bbox[l][3])
                .collect();
            for x in 0..w {
                let i = y * w + x;
                let Some((l, q)) = g.frontmost_among(&rows, x as f64, yf) else {
                    continue;
                };
                ids[i] = l as u8;
                layer_uv[i] = q;
                // Flow to t+1 while the layer point is at hand: the same surface point through
                // the layer's next homography; hidden if off the image or under a nearer layer.
                if let Some(ng) = next {
                    if let Some(p) = ng.h[l].apply(q[0], q[1]) {
                        fl.uv[2 * i] = (p[0] - x as f64) as f32;
                        fl.uv[2 * i + 1] = (p[1] - yf) as f32;
                        occ[i] = !scene.in_image(p[0], p[1])
                            || ng.frontmost(scene, p[0], p[1], l + 1).is_some();
                    } // else: behind the camera at t+1: no flow, hidden
                }
            }
        }
        frames.push(shade_frame(scene, g, textures, t, &ids, &layer_uv));
        if next.is_some() {
            flow.push(fl);
            occluded.push(occ);
        }
        layer_ids.push(ids);
    }

    let instance_ids = layer_ids
        .iter()
        .map(|ids| {
            ids.iter()
                .map(|&l| {
                    if l == NO_LAYER {
                        0
                    } else {
                        scene.layers[l as usize].instance
                    }
                })
                .collect()
        })
        .collect();
    let queries = sample_queries(scene, &layer_ids, cfg.n_tracks);
    let tracks = track_queries(scene, geoms, &queries);
    SynthClip {
        name: scene.name.clone(),
        width: w,
        height: h,
        frames,
        flow,
        occluded,
        layer_ids,
        instance_ids,
        tracks,
        scene: scene.clone(),
    }
}

/// A scene's per-frame geometry and baked textures: answers "what is at this exact image
/// point" without anti-aliasing or noise, the reference the rendered frames approximate.
pub struct Sampler<'a> {
    pub scene: &'a Scene,
    pub geoms: Vec<FrameGeometry>,
    textures: Vec<Baked>,
}

impl<'a> Sampler<'a> {
    /// Computes every frame's geometry and bakes every layer's texture.
    pub fn new(scene: &'a Scene) -> Self {
        let geoms: Vec<FrameGeometry> = (0..scene.cfg.frames).map(|t| scene.geometry(t)).collect();
        let textures = (0..scene.layers.len())
            .map(|i| bake_layer(scene, &geoms, i))
            .collect();
        Sampler {
            scene,
            geoms,
            textures,
        }
    }

    /// Frontmost layer at image point (x, y) of frame t and its texture colour there, before
    /// lighting.
    pub fn texture_at(&self, t: usize, x: f64, y: f64) -> Option<(usize, [f64; 3])> {
        let (l, q) = self.geoms[t].frontmost(self.scene, x, y, 0)?;
        Some((l, self.textures[l].sample(q[0], q[1])))
    }

    /// As `texture_at`, with the frame's lighting applied (what an ideal pixel-centre sample
    /// of frame t shows, before noise and quantisation).
    pub fn colour_at(&self, t: usize, x: f64, y: f64) -> Option<(usize, [f64; 3])> {
        let (l, c) = self.texture_at(t, x, y)?;
        let (g, o) = frame_lights(self.scene, t)[l];
        Some((l, c.map(|v| v * g + o)))
    }
}

/// Bakes a layer's texture over the part of layer space any frame can show.
fn bake_layer(scene: &Scene, geoms: &[FrameGeometry], i: usize) -> Baked {
    let l = &scene.layers[i];
    let [u0, v0, u1, v1] = match l.shape.bbox() {
        Some(b) => b,
        None => {
            // Everything the image shows of the plane in any frame (one pixel beyond the
            // border, for supersamples and bilinear neighbours).
            let (w, h) = (scene.cfg.width as f64, scene.cfg.height as f64);
            let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
            for g in geoms {
                for [x, y] in [[-1.0, -1.0], [w, -1.0], [-1.0, h], [w, h]] {
                    if let Some(q) = g.inv[i].apply(x, y) {
                        b = [
                            b[0].min(q[0]),
                            b[1].min(q[1]),
                            b[2].max(q[0]),
                            b[3].max(q[1]),
                        ];
                    }
                }
            }
            b
        }
    };
    let (mut u0, mut v0) = ((u0 - 2.0).floor(), (v0 - 2.0).floor());
    let (mut u1, mut v1) = ((u1 + 2.0).ceil(), (v1 + 2.0).ceil());
    for (lo, hi) in [(&mut u0, &mut u1), (&mut v0, &mut v1)] {
        if *hi - *lo > MAX_TEXTURE_SIDE {
            let mid = ((*lo + *hi) * 0.5).floor();
            *lo = mid - MAX_TEXTURE_SIDE * 0.5;
            *hi = mid + MAX_TEXTURE_SIDE * 0.5;
        }
    }
    l.texture
        .bake(u0, v0, (u1 - u0) as usize + 1, (v1 - v0) as usize + 1)
}

/// Per layer, the combined gain and offset of layer and frame lighting at frame t:
/// colour = texture * gain + offset.
pub(crate) fn frame_lights(scene: &Scene, t: usize) -> Vec<(f64, f64)> {
    let tf = t as f64;
    let (gg, og) = (scene.light.gain.at(tf), scene.light.offset.at(tf));
    scene
        .layers
        .iter()
        .map(|l| (l.light.gain.at(tf) * gg, l.light.offset.at(tf) * gg + og))
        .collect()
}

/// Pixels with a differently labelled 8-neighbour: the only ones worth supersampling.
fn edge_mask(ids: &[u8], w: usize, h: usize) -> Vec<bool> {
    let mut edge = vec![false; w * h];
    for y in 0..h {
        let row = &ids[y * w..(y + 1) * w];
        for x in 0..w.saturating_sub(1) {
            if row[x] != row[x + 1] {
                edge[y * w + x] = true;
                edge[y * w + x + 1] = true;
            }
        }
        if y + 1 < h {
            let next = &ids[(y + 1) * w..(y + 2) * w];
            for x in 0..w {
                let a = row[x];
                // Below, below-left, below-right.
                let differs = |xx: usize| next[xx] != a;
                for xx in [x.wrapping_sub(1), x, x + 1] {
                    if xx < w && differs(xx) {
                        edge[y * w + x] = true;
                        edge[(y + 1) * w + xx] = true;
                    }
                }
            }
        }
    }
    edge
}

fn shade_frame(
    scene: &Scene,
    g: &FrameGeometry,
    textures: &[Baked],
    t: usize,
    ids: &[u8],
    uv: &[[f64; 2]],
) -> Vec<u8> {
    let (w, h) = (scene.cfg.width, scene.cfg.height);
    // Shading runs in f32 (IEEE on every target, so still deterministic): half the cost of
    // f64 for 8-bit output.
    let lights: Vec<(f32, f32)> = frame_lights(scene, t)
        .iter()
        .map(|&(g, o)| (g as f32, o as f32))
        .collect();
    let colour = |l: usize, q: [f64; 2]| {
        let (gain, off) = lights[l];
        let c = textures[l].sample4(q[0], q[1]);
        [c[0] * gain + off, c[1] * gain + off, c[2] * gain + off]
    };
    let edge = edge_mask(ids, w, h);
    let mut out = vec![255u8; w * h * 4];
    let salt = mix64(scene.seed ^ 0x4E01_5E00 ^ (t as u64).wrapping_mul(0x9E37_79B9));
    // Triangular noise from two bytes: (a + b - 255) / 255 has standard deviation ~0.408.
    let noise_k = (scene.cfg.noise / (255.0 * (1.0f64 / 6.0).sqrt())) as f32;
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let id = ids[i];
        let col = if edge[i] {
            let (x, y) = ((i % w) as f64, (i / w) as f64);
            let mut acc = [0.0f32; 3];
            for (dx, dy) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
                if let Some((l, q)) = g.frontmost(scene, x + dx, y + dy, 0) {
                    let c = colour(l, q);
                    for k in 0..3 {
                        acc[k] += 0.25 * c[k];
                    }
                }
            }
            acc
        } else if id == NO_LAYER {
            [0.0; 3]
        } else {
            colour(id as usize, uv[i])
        };
        let hsh = mix64(salt ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        for k in 0..3 {
            let a = ((hsh >> (16 * k)) & 0xFF) as f32;
            let b = ((hsh >> (16 * k + 8)) & 0xFF) as f32;
            let noise = (a + b - 255.0) * noise_k;
            // The cast truncates, which rounds once the value is clamped non-negative.
            px[k] = (col[k] + noise + 0.5).clamp(0.0, 255.0) as u8;
        }
    }
    out
}

impl SynthClip {
    /// Luma in [0,1] (BT.601 weights), matching segmo's `Clip::gray`.
    pub fn gray(&self, t: usize) -> Vec<f32> {
        self.frames[t]
            .chunks_exact(4)
            .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
            .collect()
    }

    /// Removes layer and global lighting from a colour of `layer` at frame t, giving back the
    /// texture colour: lets tests compare colours across a brightness change.
    pub fn unlight(&self, layer: usize, t: usize, c: [f64; 3]) -> [f64; 3] {
        let (g, o) = frame_lights(&self.scene, t)[layer];
        c.map(|v| (v - o) / g)
    }
}
