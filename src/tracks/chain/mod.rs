//! Trajectory builder: long-range point tracks from dense forward and backward optical flow,
//! after Sundaram, Brox & Keutzer, "Dense point trajectories by GPU-accelerated large
//! displacement optical flow" (ECCV 2010). Produces segmo's [`Tracks`].
//!
//! Pipeline, and how each step maps to a GPU kernel (this CPU code is the reference the WGSL
//! kernels are tested against; every step is data-parallel with a fixed order of float
//! operations, and parallel CPU loops give bit-identical results to sequential ones):
//!
//! 1. **Reliability maps** (`reliability`): per frame pair and direction, per pixel, the
//!    forward-backward consistency test and the motion-boundary test of the paper. Kernel:
//!    one invocation per pixel per direction (`gpu::reliability`,
//!    `shaders/chain_reliability.wgsl`; bit-identical to this code on lavapipe).
//! 2. **Seeding** (`texture`, `seed`), at query frames 0, k, 2k, ...: grid points of stride s
//!    that are textured (smaller structure-tensor eigenvalue, as the paper) and, after frame
//!    0, have no live track within s px. On the CPU in both builders: it runs once per query
//!    frame (every 10th by default) and stays under 2% of the CPU path's profile at 854x480.
//!    A port would be per pixel (smoothing, tensor), per row then one (mean), per live track
//!    (coverage scatter, `atomicMin`), per grid point (keep flag), prefix sum (indices).
//! 3. **Following** (`follow`): every point forward from its query frame with the forward
//!    flows and backward with the backward flows (bilinear flow at its sub-pixel position)
//!    while its nearest pixel is reliable and it stays in the image; each step's position is
//!    corrected by matching the point's 7x7 window at full resolution (`refine`). Kernel: one
//!    invocation per track per frame step (`gpu::follow`, `shaders/chain_follow.wgsl`;
//!    identical to this code on lavapipe).
//! 4. **Selection** (`select`): drop tracks visible in fewer than 2 frames, then a
//!    deterministic stratified sample of at most `max_tracks`. CPU (tiny), fed by a per-track
//!    visible count.
//!
//! Data flow: seeding at query frame q needs the positions at q of all tracks from earlier
//! query frames, so query frames are handled in order and each one's new tracks are followed
//! to the clip's ends before the next ([`drive`], shared by this builder and the GPU's
//! `gpu::build`, which follows each batch in one forward and one backward sweep of
//! dispatches and reads it back).
//!
//! Comparing a GPU port with this reference: masks, seeds and visibility should agree
//! exactly on inputs away from thresholds; positions to ~1e-4 px, because WGSL allows
//! `a * b + c` to be fused into one rounding (FMA) where Rust does two; confidences (`exp`)
//! and texture (Gaussian taps, `sqrt`) to a few ulp.
//!
//! A clip needs at least 2 frames (`TrackError::TooFewFrames`): a single frame has no motion,
//! and segmo's later stages classify motion. Non-finite flow values are not an error: they
//! make their pixels (and neighbours, through the gradient) unreliable, so tracks stop there
//! and positions stay finite (the GPU path could not report them anyway).
//!
//! Output order: tracks by query frame, then row-major seed position.

mod error;
mod follow;
#[cfg(gpu)]
pub mod gpu;
mod options;
mod par;
pub(crate) use par::map as par_map;
mod refine;
mod reliability;
mod sample;
pub(crate) mod seed;
pub(crate) mod select;
mod texture;
pub(crate) mod validate;

#[cfg(test)]
mod tests;

pub use error::TrackError;
pub use options::{default_grid_stride, Thresholds, TrackOptions};
pub use reliability::{reliability, reliability_with, Reliability, UNRELIABLE};

use crate::tracks::{Flow, Gray, Tracks};
use follow::{follow, Chain, Row};

/// Seeds, follows and selects tracks over a clip: `frames` (T, for the texture test), `fw[t]`
/// the flow t -> t+1 and `bw[t]` the flow t+1 -> t (T - 1 each).
pub fn build_tracks(
    frames: &[Gray],
    fw: &[Flow],
    bw: &[Flow],
    opts: &TrackOptions,
) -> Result<Tracks, TrackError> {
    let (t_len, width, height) = validate::clip(frames, fw, bw)?;
    opts.validate()?;
    let th = &opts.thresholds;
    let rel = all_reliabilities(fw, bw, th);
    let chain = Chain { frames, fw, bw, rel: &rel, th };
    drive(frames, opts, |seeds, q| Ok::<_, TrackError>(par::map(seeds.len(), |i| follow(&chain, seeds[i][0], seeds[i][1], q))))
        .map(|rows| finish(t_len, width, height, opts, rows))
}

/// Every track the query-frame loop produced, with its seed.
pub(crate) struct Followed {
    rows: Vec<Row>,
    cands: Vec<select::Candidate>,
}

/// The query-frame loop of both builders (this CPU one and `gpu::build`), one step at a time
/// so that a caller can follow each batch synchronously or with `.await`: at each query frame
/// the seeds where no earlier track is visible ([`Driver::next_batch`]), which the caller
/// follows through the whole clip and hands back ([`Driver::accept`]).
pub(crate) struct Driver<'a> {
    frames: &'a [Gray],
    th: &'a Thresholds,
    grid: seed::Grid,
    every: usize,
    next_q: usize,
    done: Followed,
}

impl<'a> Driver<'a> {
    pub(crate) fn new(frames: &'a [Gray], opts: &'a TrackOptions) -> Self {
        let (width, height) = (frames[0].width, frames[0].height);
        let stride = opts.grid_stride.unwrap_or_else(|| default_grid_stride(width, height));
        Driver {
            frames,
            th: &opts.thresholds,
            grid: seed::Grid::new(width, height, stride),
            every: opts.query_every,
            next_q: 0,
            done: Followed { rows: Vec::new(), cands: Vec::new() },
        }
    }

    /// The next query frame and its seeds; None after the last query frame.
    pub(crate) fn next_batch(&mut self) -> Option<(usize, Vec<[f32; 2]>)> {
        let q = self.next_q;
        if q >= self.frames.len() {
            return None;
        }
        self.next_q += self.every;
        let live = self.done.rows.iter().filter(|r| r.visible[q]).map(|r| r.xy[q]);
        let coverage = self.grid.coverage(live);
        let texture = texture::Texture::new(&self.frames[q], self.th);
        Some((q, self.grid.seeds(&texture, &coverage, self.th)))
    }

    /// The tracks of a batch's seeds (one row per seed, in order).
    pub(crate) fn accept(&mut self, q: usize, seeds: &[[f32; 2]], rows: Vec<Row>) {
        assert_eq!(rows.len(), seeds.len(), "one row per seed");
        for (s, r) in seeds.iter().zip(&rows) {
            self.done.cands.push(select::Candidate { query_frame: q as u32, seed_xy: *s, visible_frames: r.visible_count() });
        }
        self.done.rows.extend(rows);
    }

    pub(crate) fn finish(self) -> Followed {
        self.done
    }
}

/// [`Driver`]'s loop with a synchronous `follow_batch(seeds, q)`.
pub(crate) fn drive<E>(
    frames: &[Gray],
    opts: &TrackOptions,
    mut follow_batch: impl FnMut(&[[f32; 2]], usize) -> Result<Vec<Row>, E>,
) -> Result<Followed, E> {
    let mut d = Driver::new(frames, opts);
    while let Some((q, seeds)) = d.next_batch() {
        let rows = follow_batch(&seeds, q)?;
        d.accept(q, &seeds, rows);
    }
    Ok(d.finish())
}

/// Selection and layout of what [`drive`] followed.
pub(crate) fn finish(t_len: usize, width: usize, height: usize, opts: &TrackOptions, f: Followed) -> Tracks {
    let stride = opts.grid_stride.unwrap_or_else(|| default_grid_stride(width, height));
    let keep = select::select(&f.cands, opts.max_tracks, opts.seed, 8 * stride);
    let query: Vec<u32> = keep.iter().map(|&i| f.cands[i].query_frame).collect();
    let kept: Vec<&Row> = keep.iter().map(|&i| &f.rows[i]).collect();
    assemble(t_len, width, height, &kept, query)
}

/// Frame-major `Tracks` of one query frame's batch back to per-track rows.
#[cfg(gpu)]
pub(crate) fn rows_of(t: &Tracks) -> Vec<Row> {
    (0..t.n)
        .map(|j| Row {
            xy: (0..t.frames).map(|f| t.xy[f * t.n + j]).collect(),
            visible: (0..t.frames).map(|f| t.visible[f * t.n + j]).collect(),
            confidence: (0..t.frames).map(|f| t.confidence[f * t.n + j]).collect(),
        })
        .collect()
}

/// Follows arbitrary query points `[x, y, t]` (t an integer frame index; the point must be
/// inside the image) through the clip of `frames`, with the default thresholds. Nothing is
/// dropped or sampled: track j is query j (TAP-Vid evaluation).
pub fn follow_queries(
    frames: &[Gray],
    fw: &[Flow],
    bw: &[Flow],
    rel: &[Reliability],
    queries: &[[f32; 3]],
) -> Result<Tracks, TrackError> {
    follow_queries_with(frames, fw, bw, rel, queries, &Thresholds::default())
}

/// [`follow_queries`] with explicit thresholds (only `fb_rel`, `fb_abs`, used for invisible
/// points, the `refine_*` ones and `confidence_radius` matter here; the rest went into `rel`).
pub fn follow_queries_with(
    frames: &[Gray],
    fw: &[Flow],
    bw: &[Flow],
    rel: &[Reliability],
    queries: &[[f32; 3]],
    th: &Thresholds,
) -> Result<Tracks, TrackError> {
    let (t_len, width, height) = validate::clip(frames, fw, bw)?;
    validate::reliabilities(rel, t_len - 1, (width, height))?;
    th.validate()?;
    validate::queries(queries, t_len, width, height)?;
    let chain = Chain { frames, fw, bw, rel, th };
    let rows =
        par::map(queries.len(), |i| follow(&chain, queries[i][0], queries[i][1], queries[i][2] as usize));
    let query = queries.iter().map(|q| q[2] as u32).collect();
    Ok(assemble(t_len, width, height, &rows.iter().collect::<Vec<_>>(), query))
}

/// Reliability maps of every pair; flows were validated already.
fn all_reliabilities(fw: &[Flow], bw: &[Flow], th: &Thresholds) -> Vec<Reliability> {
    fw.iter().zip(bw).map(|(f, b)| reliability_with(f, b, th).expect("validated flows")).collect()
}

/// Track-major rows -> the frame-major `Tracks` layout (index t * n + j).
fn assemble(t_len: usize, width: usize, height: usize, rows: &[&Row], query_frame: Vec<u32>) -> Tracks {
    let n = rows.len();
    let mut tracks = Tracks {
        frames: t_len,
        n,
        width,
        height,
        xy: Vec::with_capacity(t_len * n),
        visible: Vec::with_capacity(t_len * n),
        confidence: Vec::with_capacity(t_len * n),
        query_frame,
    };
    for t in 0..t_len {
        for r in rows {
            tracks.xy.push(r.xy[t]);
            tracks.visible.push(r.visible[t]);
            tracks.confidence.push(r.confidence[t]);
        }
    }
    tracks
}

