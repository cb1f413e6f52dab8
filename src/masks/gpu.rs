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
}

/// Queues the sweeps for `frames` (RGBA8, `w x h` each) with their seeds.
pub fn queue(gpu: &Gpu, frames: &[&[u8]], seeds: &[Vec<Seed>], w: usize, h: usize, opts: &DensifyOptions) -> Result<Batch> {
    if frames.len() != seeds.len() {
        return Err(SegmoError::BadInput(format!("densify: {} frames but {} seed lists", frames.len(), seeds.len())));
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
    let rgb = gpu.upload("densify colours", &rgb)?;
    let dist = gpu.upload("densify distances", &dist)?;
    let label = gpu.upload("densify labels", &label)?;
    let lambda = opts.colour_weight / 3.0;
    for _ in 0..opts.iterations.max(1) {
        for dir in SWEEPS {
            let params = gpu.params(&[w as u32, h as u32, dir as u32, lambda.to_bits()]);
            gpu.run_groups("densify_sweep", KERNEL, [1, 1, frames.len() as u32], vec![rgb.clone(), dist.clone(), label.clone(), params])?;
        }
    }
    Ok(Batch { frames: frames.len(), pixels, dist, label, cap: opts.max_object_distance })
}

impl Batch {
    fn split(&self, dist: Vec<f32>, label: Vec<f32>) -> Vec<Vec<u8>> {
        (0..self.frames)
            .map(|f| {
                let r = f * self.pixels..(f + 1) * self.pixels;
                let mut l: Vec<u8> = label[r.clone()].iter().map(|&v| v as u8).collect();
                apply_cap(&dist[r], &mut l, self.cap);
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
    let opts = DensifyOptions { max_object_distance: 25.0, ..Default::default() };
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
    let got = queue(gpu, &refs, &seeds, w, h, &opts)?.finish_async(gpu).await?;
    let mut differ = 0usize;
    for (f, g) in frames.iter().zip(seeds.iter()).zip(&got) {
        let want = super::densify::geodesic_labels(f.0, w, h, f.1, &opts);
        differ += want.iter().zip(g).filter(|(a, b)| a != b).count();
    }
    Ok(differ as f64 / (3 * w * h) as f64)
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
