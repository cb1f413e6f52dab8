//! Every GPU trajectory kernel against the CPU step it mirrors, on shared inputs. Async and in
//! the library, so the native unit tests and the browser tests run the same checks.

use crate::error::Result;
use crate::synth::detmath::Pcg32;
use super::follow::GpuClip;
use super::reliability::GpuReliability;
use crate::tracks::chain::{follow_queries_with, reliability_with, Reliability, Thresholds, UNRELIABLE};
use crate::tracks::dis::gpu::checks::{synthetic_clip, synthetic_pair, Check};
use crate::tracks::dis::gpu::{Gpu, GpuFlow};
use crate::tracks::dis::Dis;
use crate::tracks::{Flow, Gray};

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

/// A rendered clip (odd size, moving layers, occlusion) with CPU DIS flows and reliability
/// maps, the inputs both followers share.
fn follow_clip(w: usize, h: usize, frames: usize, seed: u64) -> (Vec<Gray>, Vec<Flow>, Vec<Flow>, Vec<Reliability>) {
    let grays = synthetic_clip(w, h, frames, seed);
    let mut dis = Dis::new(Default::default());
    let (mut fw, mut bw): (Vec<Flow>, Vec<Flow>) = grays.windows(2).map(|p| dis.flow_pair(&p[0], &p[1])).unzip();
    let th = Thresholds::default();
    let mut rel: Vec<Reliability> =
        fw.iter().zip(&bw).map(|(f, b)| reliability_with(f, b, &th).expect("same-size flows")).collect();
    // A band of columns unreliable for two pairs (both directions), where the flow also
    // speeds up by 1.5 px (too much for the strict rule of hidden points, not for the looser
    // one of reported positions): points there stop, are extrapolated, resume or not, and the
    // two hidden-position rules part, so all of that is exercised too.
    for t in 1..fw.len().min(3) {
        for y in 0..h {
            for x in w / 3..w / 2 {
                rel[t].fw_err[y * w + x] = UNRELIABLE;
                rel[t].bw_err[y * w + x] = UNRELIABLE;
                fw[t].uv[2 * (y * w + x)] += 1.5;
                bw[t].uv[2 * (y * w + x)] -= 1.5;
            }
        }
    }
    (grays, fw, bw, rel)
}

/// Following query points (grid points at several query frames, points in the outer half
/// pixel) through rendered clips, with and without window refinement, against
/// `follow_queries_with` on the same flows and maps.
pub async fn follow(gpu: Gpu) -> Result<Vec<Check>> {
    let (mut flips, mut off, mut conf_off, mut both, mut total, mut hidden) = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let (mut refined_moves, mut resumed, mut guessed) = (0usize, 0usize, 0usize);
    for (w, h, frames, seed) in [(61, 47, 7, 3), (37, 29, 5, 8)] {
        let (grays, fw, bw, rel) = follow_clip(w, h, frames, seed);
        let mut queries = Vec::new();
        for q in [0, frames / 2, frames - 1] {
            for y in (1..h).step_by(3) {
                for x in (2..w).step_by(3) {
                    queries.push([x as f32 + 0.25, y as f32 - 0.4, q as f32]);
                }
            }
            queries.push([-0.5, 0.0, q as f32]);
            queries.push([w as f32 - 0.51, h as f32 - 0.51, q as f32]);
        }
        let handles = grays.iter().map(|g| gpu.upload("frame", &g.data)).collect::<Result<Vec<_>>>()?;
        let gfw = fw.iter().map(|f| upload(&gpu, f)).collect::<Result<Vec<_>>>()?;
        let gbw = bw.iter().map(|f| upload(&gpu, f)).collect::<Result<Vec<_>>>()?;
        let grel = rel
            .iter()
            .map(|r| {
                Ok(GpuReliability { w, h, fw_err: gpu.upload("map", &r.fw_err)?, bw_err: gpu.upload("map", &r.bw_err)? })
            })
            .collect::<Result<Vec<_>>>()?;
        let clip = GpuClip { w, h, frames: &handles, fw: &gfw, bw: &gbw, rel: &grel };
        for refine in [true, false] {
            let th = Thresholds { refine_max_shift: if refine { 3.0 } else { 0.0 }, ..Default::default() };
            let cpu = follow_queries_with(&grays, &fw, &bw, &rel, &queries, &th)
                .map_err(|e| crate::error::SegmoError::BadInput(e.to_string()))?;
            let got = super::follow::follow(&gpu, &clip, &queries, &th)?.read(&gpu, w, h, &queries).await?;
            if refine {
                let strict = Thresholds { guess_rel: th.fb_rel, guess_abs: th.fb_abs, ..th.clone() };
                let strict = follow_queries_with(&grays, &fw, &bw, &rel, &queries, &strict)
                    .map_err(|e| crate::error::SegmoError::BadInput(e.to_string()))?;
                guessed += strict.xy.iter().zip(&cpu.xy).filter(|(a, b)| (a[0] - b[0]).abs() + (a[1] - b[1]).abs() > 0.01).count();
                let plain = follow_queries_with(&grays, &fw, &bw, &rel, &queries, &Thresholds { refine_max_shift: 0.0, ..th.clone() })
                    .map_err(|e| crate::error::SegmoError::BadInput(e.to_string()))?;
                refined_moves += plain.xy.iter().zip(&cpu.xy).filter(|(a, b)| (a[0] - b[0]).abs() + (a[1] - b[1]).abs() > 0.01).count();
            }
            // Tracks hidden at some frame after their query frame and visible again later.
            for j in 0..cpu.n {
                let q = cpu.query_frame[j] as usize;
                let vis: Vec<bool> = (q..frames).map(|t| cpu.visible[t * cpu.n + j]).collect();
                resumed += vis.windows(2).any(|p| !p[0] && p[1]) as usize;
            }
            for i in 0..cpu.xy.len() {
                total += 1;
                hidden += !cpu.visible[i] as usize;
                if cpu.visible[i] != got.visible[i] {
                    flips += 1;
                    continue;
                }
                let (c, g) = (cpu.xy[i], got.xy[i]);
                let d = ((c[0] - g[0]) as f64).hypot((c[1] - g[1]) as f64);
                both += 1;
                off += !(d <= 1e-3) as usize;
                conf_off += !((cpu.confidence[i] - got.confidence[i]).abs() <= 1e-4) as usize;
            }
        }
    }
    Ok(vec![
        Check::new(format!("follow visibility flips ({total} points)"), flips as f64 / total as f64, 5e-3),
        Check::new("follow positions off by > 1e-3 px (fraction)", off as f64 / both.max(1) as f64, 1e-2),
        Check::new("follow confidences off by > 1e-4 (fraction)", conf_off as f64 / both.max(1) as f64, 1e-2),
        // The clips must exercise hiding and refinement, or agreement proves little.
        Check::new("follow |hidden fraction - 0.5|", (hidden as f64 / total as f64 - 0.5).abs(), 0.45),
        Check::new("follow: tracks re-identified after hiding (minus)", -(resumed as f64), -10.0),
        Check::new("follow: hidden positions the looser guess rule moves (minus)", -(guessed as f64), -10.0),
        Check::new("follow: points moved by refinement (fraction, minus)", -(refined_moves as f64 / total as f64), -0.05),
    ])
}

/// Every check of this module.
pub async fn all(gpu: Gpu) -> Result<Vec<Check>> {
    let mut checks = reliability(gpu.clone()).await?;
    checks.extend(follow(gpu).await?);
    Ok(checks)
}
