//! Every GPU trajectory kernel against the CPU step it mirrors, on shared inputs. Async and in
//! the library, so the native unit tests and the browser tests run the same checks.

use crate::error::Result;
use crate::synth::detmath::Pcg32;
use crate::tracks::chain::{reliability_with, Thresholds, UNRELIABLE};
use crate::tracks::dis::gpu::checks::{synthetic_pair, Check};
use crate::tracks::dis::gpu::{Gpu, GpuFlow};
use crate::tracks::dis::Dis;
use crate::tracks::Flow;

fn upload(gpu: &Gpu, f: &Flow) -> Result<GpuFlow> {
    Ok(GpuFlow { w: f.width, h: f.height, buf: gpu.upload("flow", &f.uv)? })
}

/// A forward/backward pair of smooth random flows with a jump (a motion boundary), noise that
/// puts many pixels near the motion-boundary threshold, the backward flow roughly the
/// negated forward one (so the consistency test passes often and the boundary test decides),
/// and a sprinkling of non-finite values.
fn random_pair(rng: &mut Pcg32, w: usize, h: usize, scale: f64) -> (Flow, Flow) {
    let (a, b, c) = (rng.range(-scale, scale), rng.range(-0.1, 0.1), rng.range(-0.1, 0.1));
    let cut = rng.range(0.0, w as f64);
    let noise = rng.range(0.05, 0.4);
    let (mut fw, mut bw) = (Vec::with_capacity(2 * w * h), Vec::with_capacity(2 * w * h));
    for y in 0..h {
        for x in 0..w {
            let jump = if (x as f64) < cut { 0.0 } else { 2.0 * scale };
            let f = [a + b * y as f64 + jump, c * x as f64 - a];
            for v in f {
                fw.push((v + rng.range(-noise, noise)) as f32);
                bw.push((-v + rng.range(-noise, noise)) as f32);
            }
        }
    }
    for uv in [&mut fw, &mut bw] {
        for _ in 0..(w * h / 50) {
            let i = (rng.next_u32() as usize) % uv.len();
            uv[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
        }
    }
    (Flow { width: w, height: h, uv: fw }, Flow { width: w, height: h, uv: bw })
}

/// Mask disagreements and the largest relative error of the reliable values.
fn compare(gpu: &[f32], cpu: &[f32]) -> (usize, f64) {
    let mut flips = 0;
    let mut worst = 0.0f64;
    for (&g, &c) in gpu.iter().zip(cpu) {
        let (gr, cr) = (g >= 0.0, c >= 0.0);
        if gr != cr || !(g == UNRELIABLE || gr) {
            flips += 1;
        } else if gr {
            worst = worst.max((g as f64 - c as f64).abs() / (c as f64).abs().max(1.0));
        }
    }
    (flips + gpu.len().abs_diff(cpu.len()), worst)
}

/// Reliability maps of random flows at odd sizes (1x1, 1xN, not multiples of the 8x8
/// workgroup, non-finite values, boundaries) and of DIS flows of a rendered pair.
pub async fn reliability(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(23, 5);
    let th = Thresholds::default();
    let (mut flips, mut worst, mut total, mut reliable) = (0usize, 0.0f64, 0usize, 0usize);
    let mut cases: Vec<(Flow, Flow)> = Vec::new();
    for (w, h) in [(1, 1), (1, 9), (13, 1), (2, 2), (9, 7), (31, 17), (64, 40), (101, 67)] {
        for _ in 0..3 {
            let s = rng.range(0.2, 6.0);
            cases.push(random_pair(&mut rng, w, h, s));
        }
    }
    let (a, b) = synthetic_pair(97, 71, 3);
    cases.push(Dis::new(Default::default()).flow_pair(&a, &b));
    for (fw, bw) in &cases {
        let cpu = reliability_with(fw, bw, &th).map_err(|e| crate::error::SegmoError::BadInput(e.to_string()))?;
        let g = super::reliability::reliability(&gpu, &upload(&gpu, fw)?, &upload(&gpu, bw)?, &th)?;
        let n = fw.width * fw.height;
        for (h, c) in [(&g.fw_err, &cpu.fw_err), (&g.bw_err, &cpu.bw_err)] {
            let got = gpu.read(h, n).await?;
            let (f, e) = compare(&got, c);
            flips += f;
            worst = worst.max(e);
            total += n;
            reliable += c.iter().filter(|v| **v >= 0.0).count();
        }
    }
    Ok(vec![
        // A mask flip needs a value within an FMA rounding of a threshold; none expected on
        // these inputs.
        Check::new(format!("reliability mask flips ({total} pixels)"), flips as f64, 0.0),
        Check::new("reliability error values (relative)", worst, 1e-5),
        // The inputs must exercise both outcomes, or the comparison proves little.
        Check::new("reliability |reliable fraction - 0.5|", (reliable as f64 / total as f64 - 0.5).abs(), 0.4),
    ])
}

/// Every check of this module.
pub async fn all(gpu: Gpu) -> Result<Vec<Check>> {
    reliability(gpu).await
}
