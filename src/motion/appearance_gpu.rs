//! Launcher of `shaders/appearance_boxes.wgsl`: the lite appearance descriptor with its box
//! means on the GPU (frames stay on the device side of the pipeline; the CPU only combines
//! 21 means per track into the descriptor, with the reference's formula).

use super::appearance::{by_query_frame, descriptor, radii, APPEARANCE_DIM, CH};
use crate::error::{Result, SegmoError};
use crate::masks::densify::pack_rgb;
use crate::tracks::dis::gpu::Gpu;
use crate::tracks::Tracks;

const KERNEL: &str = include_str!("../../shaders/appearance_boxes.wgsl");
/// Invocations per row of the dispatch grid (the kernel's `256u`).
const ROW: usize = 256;

/// Box means queued on the GPU; read them with [`Pending::finish`] or `finish_async`.
pub struct Pending {
    n: usize,
    /// Per track: (small box, large box, whole-frame box) indices into the means.
    boxes_of: Vec<Option<(usize, usize, usize)>>,
    boxes: usize,
    means: Option<burn::cubecl::server::Handle>,
}

/// Queues the box means of every track at its query frame; `frames` are RGBA8.
pub fn queue(gpu: &Gpu, tracks: &Tracks, frames: &[Vec<u8>]) -> Result<Pending> {
    let (w, h) = (tracks.width, tracks.height);
    if frames.len() < tracks.frames || frames.iter().any(|f| f.len() != w * h * 4) {
        return Err(SegmoError::BadInput(format!("appearance: {} frames of {w}x{h} RGBA expected", tracks.frames)));
    }
    let (r1, r2) = radii(w, h);
    let mut rgb: Vec<f32> = Vec::new();
    let mut spec: Vec<f32> = Vec::new();
    let mut boxes_of = vec![None; tracks.n];
    let push = |spec: &mut Vec<f32>, slot: usize, x: f32, y: f32, r: usize| {
        spec.extend_from_slice(&[slot as f32, x, y, r as f32]);
        spec.len() / 4 - 1
    };
    for (t, members) in by_query_frame(tracks).iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        let slot = rgb.len() / (w * h);
        rgb.extend(pack_rgb(&frames[t]).into_iter().map(f32::from_bits));
        let whole = push(&mut spec, slot, w as f32 / 2.0, h as f32 / 2.0, w.max(h));
        for &j in members {
            let [x, y] = tracks.xy[t * tracks.n + j];
            let a = push(&mut spec, slot, x, y, r1);
            let b = push(&mut spec, slot, x, y, r2);
            boxes_of[j] = Some((a, b, whole));
        }
    }
    let boxes = spec.len() / 4;
    if boxes == 0 {
        return Ok(Pending { n: tracks.n, boxes_of, boxes, means: None });
    }
    let rgb = gpu.upload("appearance frames", &rgb)?;
    let spec = gpu.upload("appearance boxes", &spec)?;
    let means = gpu.zeros("appearance means", boxes * CH)?;
    let params = gpu.params(&[w as u32, h as u32, boxes as u32, 0]);
    gpu.run("appearance_boxes", KERNEL, [ROW, boxes.div_ceil(ROW)], vec![rgb, spec, means.clone(), params])?;
    Ok(Pending { n: tracks.n, boxes_of, boxes, means: Some(means) })
}

impl Pending {
    fn assemble(&self, means: Vec<f32>) -> Vec<f32> {
        let at = |i: usize| -> [f64; CH] { std::array::from_fn(|k| means[i * CH + k] as f64) };
        let mut out = vec![0.0; self.n * APPEARANCE_DIM];
        for (j, b) in self.boxes_of.iter().enumerate() {
            if let Some((a, b, whole)) = *b {
                out[j * APPEARANCE_DIM..(j + 1) * APPEARANCE_DIM].copy_from_slice(&descriptor(&at(a), &at(b), &at(whole)));
            }
        }
        out
    }

    /// `[N, APPEARANCE_DIM]` descriptors (waits for the GPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn finish(self, gpu: &Gpu) -> Result<Vec<f32>> {
        let means = match &self.means {
            Some(m) => gpu.read_blocking(m, self.boxes * CH)?,
            None => Vec::new(),
        };
        Ok(self.assemble(means))
    }

    pub async fn finish_async(self, gpu: &Gpu) -> Result<Vec<f32>> {
        let means = match &self.means {
            Some(m) => gpu.read(m, self.boxes * CH).await?,
            None => Vec::new(),
        };
        Ok(self.assemble(means))
    }
}

/// GPU vs CPU descriptors on a random textured clip (odd size, tracks on and off the border,
/// several query frames): the largest absolute difference. Shared by the native and browser
/// tests.
pub async fn check_against_cpu(gpu: &Gpu) -> Result<f32> {
    let mut s = 0xA99E_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (w, h, frames) = (173usize, 97usize, 3usize);
    let clip: Vec<Vec<u8>> = (0..frames)
        .map(|_| {
            // Blocks of colour with noise: both flat patches and edges inside the boxes.
            let tint: Vec<u8> = (0..48).map(|_| (next() % 256) as u8).collect();
            (0..w * h)
                .flat_map(|i| {
                    let (x, y) = (i % w, i / w);
                    let block = (x / 23 + 4 * (y / 19)) % 16;
                    let n = (next() % 12) as u8;
                    let c = |k: usize| tint[3 * block + k].saturating_add(n);
                    [c(0), c(1), c(2), 255]
                })
                .collect()
        })
        .collect();
    let n = 60;
    let mut xy = Vec::new();
    for _ in 0..frames * n {
        xy.push([(next() % (w as u64 + 20)) as f32 - 10.0 + 0.5 * (next() % 2) as f32, (next() % (h as u64 + 20)) as f32 - 10.0]);
    }
    let tracks = Tracks::all_visible(w, h, frames, xy, (0..n).map(|j| (j % frames) as u32).collect());
    let want = super::appearance::describe(&tracks, &clip);
    let got = queue(gpu, &tracks, &clip)?.finish_async(gpu).await?;
    Ok(want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max))
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;

    #[test]
    fn gpu_box_means_match_the_cpu_reference() {
        let dev = crate::ComputeDevice::select(crate::DevicePreference::Gpu).expect("a wgpu adapter (lavapipe in CI)");
        let gpu = Gpu::new(&dev.device).unwrap();
        let err = pollster::block_on(check_against_cpu(&gpu)).unwrap();
        // f32 sums against f64 integral images; the descriptor's entries are O(1).
        assert!(err < 5e-3, "max abs difference {err}");
    }
}
