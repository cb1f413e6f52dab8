//! TAP-Vid style ground-truth tracks: query points (x, y, t) on visible surface points, with
//! their exact position in every frame and whether they are visible there.

use super::detmath::Pcg32;
use super::render::NO_LAYER;
use super::scene::{FrameGeometry, Scene};
use crate::tracks::Tracks;

/// A point to track: image position (x, y) at frame t (pixel centres at integers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Query {
    pub t: usize,
    pub x: f64,
    pub y: f64,
}

/// Ground-truth tracks plus what each tracked point belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct GtTracks {
    /// Exact positions in every frame (also where hidden or off the image), `visible` =
    /// not occluded, confidence 1 where visible and 0 elsewhere.
    pub tracks: Tracks,
    /// Per track: the layer the point lies on.
    pub layer: Vec<u8>,
    /// Per track: moving-object instance id (0 = static).
    pub instance: Vec<u8>,
    /// Per track: whether the point is on an independently moving layer.
    pub moving: Vec<bool>,
}

/// Ground truth for given queries. A query's layer is the frontmost one at its exact point;
/// queries off every layer (impossible with a background plane) are given layer 0.
pub fn track_queries(scene: &Scene, geoms: &[FrameGeometry], queries: &[Query]) -> GtTracks {
    let (nt, nq) = (geoms.len(), queries.len());
    let cfg = scene.cfg;
    let mut tracks = Tracks {
        frames: nt,
        n: nq,
        width: cfg.width,
        height: cfg.height,
        xy: vec![[0.0; 2]; nt * nq],
        visible: vec![false; nt * nq],
        confidence: vec![0.0; nt * nq],
        query_frame: queries.iter().map(|q| q.t as u32).collect(),
    };
    let (mut layers, mut instance, mut moving) = (Vec::new(), Vec::new(), Vec::new());
    for (j, q) in queries.iter().enumerate() {
        let g = &geoms[q.t];
        let (l, uv) = g
            .frontmost(scene, q.x, q.y, 0)
            .unwrap_or((0, g.inv[0].apply(q.x, q.y).unwrap_or([q.x, q.y])));
        let layer = &scene.layers[l];
        layers.push(l as u8);
        instance.push(layer.instance);
        moving.push(layer.moving);
        let mut last = [q.x, q.y];
        for (s, gs) in geoms.iter().enumerate() {
            let k = s * nq + j;
            // The query frame reproduces the query bit for bit rather than through a
            // round trip of two homographies.
            let p = if s == q.t {
                Some([q.x, q.y])
            } else {
                gs.h[l].apply(uv[0], uv[1])
            };
            let vis = match p {
                Some(p) => {
                    last = p;
                    scene.in_image(p[0], p[1]) && gs.frontmost(scene, p[0], p[1], l + 1).is_none()
                }
                None => false, // behind the camera: keep the last position as the best effort
            };
            tracks.xy[k] = [last[0] as f32, last[1] as f32];
            tracks.visible[k] = vis;
            tracks.confidence[k] = if vis { 1.0 } else { 0.0 };
        }
    }
    GtTracks {
        tracks,
        layer: layers,
        instance,
        moving,
    }
}

/// Samples `n` query points on visible pixels, stratified over frames (evenly spaced query
/// frames) and over layers (each frame cycles through the layers visible in it, so small
/// objects get as many points as the background). Positions are jittered within the pixel,
/// so trackers are tested at sub-pixel starts too.
pub fn sample_queries(scene: &Scene, layer_ids: &[Vec<u8>], n: usize) -> Vec<Query> {
    let nt = layer_ids.len();
    if nt == 0 || n == 0 {
        return Vec::new();
    }
    let w = scene.cfg.width;
    let mut rng = Pcg32::new(scene.seed, 0x7AC5);
    let frame_of = |k: usize| (2 * k + 1) * nt / (2 * n);
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    while k < n {
        let t = frame_of(k);
        let mut pixels: Vec<Vec<u32>> = vec![Vec::new(); scene.layers.len()];
        for (i, &l) in layer_ids[t].iter().enumerate() {
            if l != NO_LAYER {
                pixels[l as usize].push(i as u32);
            }
        }
        let visible: Vec<usize> = (0..pixels.len())
            .filter(|&l| !pixels[l].is_empty())
            .collect();
        let mut turn = rng.below(visible.len().max(1));
        while k < n && frame_of(k) == t {
            if !visible.is_empty() {
                let list = &pixels[visible[turn % visible.len()]];
                let i = list[rng.below(list.len())] as usize;
                let x = (i % w) as f64 + rng.range(-0.5, 0.5);
                let y = (i / w) as f64 + rng.range(-0.5, 0.5);
                out.push(Query { t, x, y });
                turn += 1;
            }
            k += 1;
        }
    }
    out
}

impl Scene {
    /// Ground-truth tracks for arbitrary queries (e.g. a tracker's own seeds).
    pub fn track(&self, queries: &[Query]) -> GtTracks {
        let geoms: Vec<FrameGeometry> = (0..self.cfg.frames).map(|t| self.geometry(t)).collect();
        track_queries(self, &geoms, queries)
    }
}
