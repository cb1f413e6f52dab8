//! Launcher of `shaders/densify_sweep.wgsl`: the geodesic densifier for a batch of frames on
//! the GPU, one workgroup per frame.

use super::densify::{apply_cap, pack_rgb, seed_maps, DensifyOptions, Seed, SWEEPS};
use crate::error::{Result, SegmoError};
use crate::tracks::dis::gpu::Gpu;

const KERNEL: &str = include_str!("../../shaders/densify_sweep.wgsl");

/// Buffers of one batch, queued; read them with [`Batch::finish`] or `finish_async`.
pub struct Batch {
    frames: usize,
    pixels: usize,
    dist: burn::cubecl::server::Handle,
    label: burn::cubecl::server::Handle,
    cap: f32,
    /// Per frame P(object) (empty: no prior), for the cap's exemption.
    priors: Vec<Vec<f32>>,
    prior_beats_cap: f32,
}

/// Queues the sweeps for `frames` (RGBA8, `w x h` each) with their seeds and colour priors
/// (`p_object`: one per frame or empty; see [`super::densify::geodesic_labels`]).
pub fn queue(gpu: &Gpu, frames: &[&[u8]], seeds: &[Vec<Seed>], p_object: &[Option<Vec<f32>>], w: usize, h: usize, opts: &DensifyOptions) -> Result<Batch> {
    if frames.len() != seeds.len() || !(p_object.is_empty() || p_object.len() == frames.len()) {
        return Err(SegmoError::BadInput(format!(
            "densify: {} frames but {} seed lists and {} colour priors",
            frames.len(),
            seeds.len(),
            p_object.len()
        )));
    }
    let pixels = w * h;
    let mut rgb = Vec::with_capacity(frames.len() * pixels);
    let mut dist = Vec::with_capacity(frames.len() * pixels);
    let mut label = Vec::with_capacity(frames.len() * pixels);
    for (f, s) in frames.iter().zip(seeds) {
        if f.len() != pixels * 4 {
            return Err(SegmoError::BadInput(format!("densify: frame of {} bytes, expected {w}x{h}x4", f.len())));
        }
        rgb.extend(pack_rgb(f).into_iter().map(f32::from_bits));
        let (d, l) = seed_maps(w, h, s);
        dist.extend(d);
        label.extend(l.into_iter().map(|v| v as f32));
    }
    // Frames without a prior get zero costs, so one kernel serves the whole batch.
    let use_unary = opts.colour_prior_weight > 0.0 && p_object.iter().any(|p| p.is_some());
    let mut unary = Vec::with_capacity(if use_unary { 2 * frames.len() * pixels } else { 1 });
    if use_unary {
        for p in p_object {
            match p {
                Some(p) if p.len() == pixels => unary.extend(super::colour_model::unary_costs(p, opts.colour_prior_weight)),
                Some(p) => return Err(SegmoError::BadInput(format!("densify: colour prior of {} pixels, expected {w}x{h}", p.len()))),
                None => unary.extend(std::iter::repeat_n(0.0, 2 * pixels)),
            }
        }
    } else {
        unary.push(0.0);
    }
    let unary = gpu.upload("densify colour prior", &unary)?;
    let rgb = gpu.upload("densify colours", &rgb)?;
    let dist = gpu.upload("densify distances", &dist)?;
    let label = gpu.upload("densify labels", &label)?;
    let lambda = opts.colour_weight / 3.0;
    for _ in 0..opts.iterations.max(1) {
        for dir in SWEEPS {
            let params = gpu.params(&[w as u32, h as u32, dir as u32, lambda.to_bits(), use_unary as u32]);
            gpu.run_groups("densify_sweep", KERNEL, [1, 1, frames.len() as u32], vec![rgb.clone(), dist.clone(), label.clone(), unary.clone(), params])?;
        }
    }
    let priors: Vec<Vec<f32>> = if use_unary && opts.prior_beats_cap < 1.0 {
        p_object.iter().map(|p| p.clone().unwrap_or_default()).collect()
    } else {
        Vec::new()
    };
    Ok(Batch { frames: frames.len(), pixels, dist, label, cap: opts.max_object_distance, priors, prior_beats_cap: opts.prior_beats_cap })
}

impl Batch {
    fn split(&self, dist: Vec<f32>, label: Vec<f32>) -> Vec<Vec<u8>> {
        (0..self.frames)
            .map(|f| {
                let r = f * self.pixels..(f + 1) * self.pixels;
                let mut l: Vec<u8> = label[r.clone()].iter().map(|&v| v as u8).collect();
                let prior = self.priors.get(f).filter(|p| p.len() == self.pixels).map(|p| p.as_slice());
                apply_cap(&dist[r], &mut l, self.cap, prior, self.prior_beats_cap);
                l
            })
            .collect()
    }

    /// Label maps of the batch's frames (waits for the GPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn finish(self, gpu: &Gpu) -> Result<Vec<Vec<u8>>> {
        let n = self.frames * self.pixels;
        let dist = gpu.read_blocking(&self.dist, n)?;
        let label = gpu.read_blocking(&self.label, n)?;
        Ok(self.split(dist, label))
    }

    pub async fn finish_async(self, gpu: &Gpu) -> Result<Vec<Vec<u8>>> {
        let n = self.frames * self.pixels;
        let dist = gpu.read(&self.dist, n).await?;
        let label = gpu.read(&self.label, n).await?;
        Ok(self.split(dist, label))
    }
}

/// GPU vs CPU on random frames and seeds (odd sizes, several frames): returns the fraction of
/// pixels whose label differs. Shared by the native and browser tests.
pub async fn check_against_cpu(gpu: &Gpu) -> Result<f64> {
    let mut s = 0x0D15_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (w, h) = (83, 61);
    let opts = DensifyOptions { max_object_distance: 25.0, colour_prior_weight: 3.0, ..Default::default() };
    let mut frames = Vec::new();
    let mut seeds = Vec::new();
    for f in 0..3 {
        // Smooth colour blobs with sharp edges, so labels must stop at edges.
        let cx = (next() % w as u64) as f32;
        let cy = (next() % h as u64) as f32;
        let frame: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let inside = (x - cx).hypot(y - cy) < 20.0;
                let base = if inside { [200u8, 60, 40] } else { [30, 90, 160] };
                let n = (next() % 9) as u8;
                [base[0] + n, base[1] + n, base[2] - n, 255]
            })
            .collect();
        let list: Vec<Seed> = (0..25 + 10 * f)
            .map(|_| Seed {
                x: (next() % w as u64) as f32,
                y: (next() % h as u64) as f32,
                label: (next() % 3) as u8,
            })
            .collect();
        frames.push(frame);
        seeds.push(list);
    }
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    // A colour prior on the first two frames (the last has none: zero costs in the batch).
    let priors: Vec<Option<Vec<f32>>> = (0..3)
        .map(|f| if f < 2 { super::colour_model::object_probability(&frames[f], &[(&frames[f], &seeds[f])], w, h) } else { None })
        .collect();
    // The scene must make the prior matter, or the comparison would not cover it.
    let changed: usize = (0..2)
        .map(|f| {
            let a = super::densify::geodesic_labels(&frames[f], w, h, &seeds[f], priors[f].as_deref(), &opts);
            let b = super::densify::geodesic_labels(&frames[f], w, h, &seeds[f], None, &opts);
            a.iter().zip(&b).filter(|(x, y)| x != y).count()
        })
        .sum();
    if changed < 20 {
        return Err(SegmoError::BadInput(format!("densify check: the colour prior changed only {changed} pixels")));
    }
    let mut differ = 0usize;
    for (opts, priors) in [(opts.clone(), &priors[..]), (opts.clone(), &[][..]), (DensifyOptions { colour_prior_weight: 0.0, ..opts }, &priors[..])] {
        let got = queue(gpu, &refs, &seeds, priors, w, h, &opts)?.finish_async(gpu).await?;
        for (f, g) in got.iter().enumerate() {
            let prior = priors.get(f).and_then(|p| p.as_deref());
            let want = super::densify::geodesic_labels(&frames[f], w, h, &seeds[f], prior, &opts);
            differ += want.iter().zip(g).filter(|(a, b)| a != b).count();
        }
    }
    Ok(differ as f64 / (9 * w * h) as f64)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn gpu_sweeps_match_the_cpu_reference() {
        let dev = crate::ComputeDevice::select(crate::DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
        let gpu = Gpu::new(&dev.device).unwrap();
        let differ = pollster::block_on(check_against_cpu(&gpu)).unwrap();
        // Equal up to rounding of fused multiply-adds on ties.
        assert!(differ < 1e-3, "{:.4}% of pixels differ", differ * 100.0);
    }
}
