//! Launcher of `shaders/chain_follow.wgsl`: follows query points through a clip whose frames,
//! flows and reliability maps are on the GPU, as `chain::follow_queries_with` does on the CPU.
//! One dispatch per frame step: a forward sweep 0 -> T-1, then a backward one T-1 -> 0; each
//! track joins a sweep at its query frame.

use super::reliability::GpuReliability;
use crate::error::{Result, SegmoError};
use crate::tracks::chain::{validate, Thresholds};
use crate::tracks::dis::gpu::{bits, Gpu, GpuFlow};
use crate::tracks::Tracks;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/chain_sampling.wgsl"),
    include_str!("../../../../shaders/chain_follow.wgsl")
);

/// Floats per track of the kernel's `State`.
const STATE: usize = 12;
/// Tracks per row of the 2-D dispatch (8 x 8 workgroups).
const ROW: usize = 256;

/// A clip on the GPU: T luma frames (w*h floats in [0, 1], like `Gray`), and per pair t the
/// forward flow t -> t+1, the backward flow t+1 -> t and their reliability maps.
pub struct GpuClip<'a> {
    pub w: usize,
    pub h: usize,
    pub frames: &'a [Handle],
    pub fw: &'a [GpuFlow],
    pub bw: &'a [GpuFlow],
    pub rel: &'a [GpuReliability],
}

/// Every query's track: positions, visibility and confidence per frame, T * n * 4 floats
/// (x, y, visible 0/1, confidence), frame-major like [`Tracks`].
pub struct GpuTracks {
    pub frames: usize,
    pub n: usize,
    pub out: Handle,
}

/// Follows the points `[x, y, t]` (t an integer frame index; inside the image).
pub fn follow(gpu: &Gpu, clip: &GpuClip, queries: &[[f32; 3]], th: &Thresholds) -> Result<GpuTracks> {
    let bad = |m: String| SegmoError::BadInput(format!("GPU track following: {m}"));
    let t_len = clip.frames.len();
    if t_len < 2 {
        return Err(bad(format!("a clip needs at least 2 frames, got {t_len}")));
    }
    if clip.fw.len() != t_len - 1 || clip.bw.len() != t_len - 1 || clip.rel.len() != t_len - 1 {
        return Err(bad(format!(
            "{t_len} frames need {} flows and maps each, got {} forward, {} backward, {} maps",
            t_len - 1,
            clip.fw.len(),
            clip.bw.len(),
            clip.rel.len()
        )));
    }
    let (w, h) = (clip.w, clip.h);
    let sizes = clip.fw.iter().chain(clip.bw).map(|f| (f.w, f.h)).chain(clip.rel.iter().map(|r| (r.w, r.h)));
    if let Some(s) = sizes.into_iter().find(|s| *s != (w, h)) {
        return Err(bad(format!("a flow or map is {}x{}, the clip {w}x{h}", s.0, s.1)));
    }
    th.validate().map_err(|e| bad(e.to_string()))?;
    validate::queries(queries, t_len, w, h).map_err(|e| bad(e.to_string()))?;
    let n = queries.len();
    let out = gpu.alloc("track positions", t_len * n.max(1) * 4)?;
    let tracks = GpuTracks { frames: t_len, n, out };
    if n == 0 {
        return Ok(tracks);
    }
    let states = gpu.zeros("track states", n * STATE)?;
    let seeds: Vec<f32> = queries.iter().flat_map(|q| [q[0], q[1], q[2], 0.0]).collect();
    let seeds = gpu.upload("track seeds", &seeds)?;
    let row = ROW.min(n);
    let threads = [row, n.div_ceil(row)];
    let step = |from: usize, to: usize, flow: &GpuFlow, err: &Handle| -> Result<()> {
        let params = gpu.params(&[
            w as u32,
            h as u32,
            n as u32,
            row as u32,
            from as u32,
            to as u32,
            bits(th.fb_rel),
            bits(th.fb_abs),
            bits(th.refine_max_shift),
            bits(th.resume_max_blind),
            bits(th.confidence_radius),
            bits(th.guess_rel),
            bits(th.guess_abs),
            0,
        ]);
        let buffers = vec![
            clip.frames[from].clone(),
            clip.frames[to].clone(),
            flow.buf.clone(),
            err.clone(),
            states.clone(),
            seeds.clone(),
            tracks.out.clone(),
            params,
        ];
        gpu.run("chain_follow", KERNEL, threads, buffers)
    };
    for t in 0..t_len - 1 {
        step(t, t + 1, &clip.fw[t], &clip.rel[t].fw_err)?;
    }
    for t in (1..t_len).rev() {
        step(t, t - 1, &clip.bw[t - 1], &clip.rel[t - 1].bw_err)?;
    }
    Ok(tracks)
}

impl GpuTracks {
    /// Reads the tracks back (waits for the queued work).
    pub async fn read(&self, gpu: &Gpu, w: usize, h: usize, queries: &[[f32; 3]]) -> Result<Tracks> {
        let raw = gpu.read(&self.out, 4 * self.frames * self.n).await?;
        Ok(self.unpack(&raw, w, h, queries))
    }

    /// [`GpuTracks::read`] blocking, natively.
    #[cfg(not(target_family = "wasm"))]
    pub fn read_blocking(&self, gpu: &Gpu, w: usize, h: usize, queries: &[[f32; 3]]) -> Result<Tracks> {
        let raw = gpu.read_blocking(&self.out, 4 * self.frames * self.n)?;
        Ok(self.unpack(&raw, w, h, queries))
    }

    fn unpack(&self, raw: &[f32], w: usize, h: usize, queries: &[[f32; 3]]) -> Tracks {
        let m = self.frames * self.n;
        let mut t = Tracks {
            frames: self.frames,
            n: self.n,
            width: w,
            height: h,
            xy: Vec::with_capacity(m),
            visible: Vec::with_capacity(m),
            confidence: Vec::with_capacity(m),
            query_frame: queries.iter().map(|q| q[2] as u32).collect(),
        };
        for v in raw.chunks_exact(4) {
            t.xy.push([v[0], v[1]]);
            t.visible.push(v[2] > 0.5);
            t.confidence.push(v[3]);
        }
        t
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn following_matches_cpu() {
        crate::tracks::dis::gpu::checks::assert_native(super::super::checks::follow);
    }
}
