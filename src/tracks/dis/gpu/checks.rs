//! Every GPU DIS kernel against the CPU step it mirrors, on shared inputs: random planes
//! and flows at odd sizes (1x1, smaller than a patch, not multiples of the 8x8 workgroup)
//! and a rendered synthetic frame pair whose CPU trace gives each step's exact input.
//! Async, and in the library, so that the native unit tests (lavapipe) and the browser tests
//! (Chromium WebGPU) run the very same checks.

use super::*;
use crate::synth::detmath::Pcg32;
use crate::synth::random::{random_scene, RandomSceneConfig};
use crate::synth::render::render;
use crate::synth::scene::SynthConfig;
use crate::tracks::dis::pool::Pool;
use crate::tracks::dis::pyramid::{self, Plane};
use crate::tracks::dis::{inverse_search as cpu_search, variational as cpu_var};
use crate::tracks::dis::coarse_search::{coarse_search as cpu_coarse, CoarseSearch};
use crate::tracks::dis::{Dis, DisParams};
use std::fmt;

/// One compared quantity: passes when `value <= limit`.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub value: f64,
    pub limit: f64,
}

impl Check {
    pub fn new(name: impl Into<String>, value: f64, limit: f64) -> Self {
        // NaN must fail.
        let value = if value.is_nan() { f64::INFINITY } else { value };
        Self { name: name.into(), value, limit }
    }
    pub fn passed(&self) -> bool {
        self.value <= self.limit
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "ok" } else { "FAILED" };
        write!(f, "{}: {:.3e} (limit {:.1e}) {verdict}", self.name, self.value, self.limit)
    }
}

/// Largest |gpu - cpu| / max(1, |cpu|): absolute for small values, relative for sums of
/// many products.
fn max_err(gpu: &[f32], cpu: &[f32]) -> f64 {
    if gpu.len() != cpu.len() {
        return f64::INFINITY;
    }
    gpu.iter()
        .zip(cpu)
        .map(|(&g, &c)| {
            let d = (g as f64 - c as f64).abs() / (c as f64).abs().max(1.0);
            if d.is_nan() { f64::INFINITY } else { d }
        })
        .fold(0.0, f64::max)
}

fn random_vec(rng: &mut Pcg32, n: usize, lo: f64, hi: f64) -> Vec<f32> {
    (0..n).map(|_| rng.range(lo, hi) as f32).collect()
}

fn upload_level(gpu: &Gpu, i: &Plane, gx: &Plane, gy: &Plane) -> Result<GpuLevel> {
    let data: Vec<f32> = [&i.data, &gx.data, &gy.data].into_iter().flatten().copied().collect();
    Ok(GpuLevel { w: i.w, h: i.h, buf: gpu.upload("pyramid level", &data)? })
}

fn upload_flow(gpu: &Gpu, f: &Flow) -> Result<GpuFlow> {
    Ok(GpuFlow { w: f.width, h: f.height, buf: gpu.upload("flow", &f.uv)? })
}

fn states(s: &cpu_search::PatchState) -> Vec<f32> {
    s.uv.iter().zip(&s.settled).flat_map(|(uv, &st)| [uv[0], uv[1], st as u8 as f32, 0.0]).collect()
}

/// Luma plane, binomial pyramid and gradients at sizes from 1x1 up, non-finite input included.
pub async fn pyramid(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(11, 1);
    let mut pool = Pool::default();
    let mut worst = 0.0f64;
    for &(w, h) in &[(1, 1), (2, 2), (3, 5), (13, 7), (37, 29), (64, 48), (101, 67)] {
        let mut luma = random_vec(&mut rng, w * h, 0.0, 1.0);
        if w * h > 2 {
            luma[0] = f32::NAN;
            luma[w * h - 1] = f32::INFINITY;
        }
        let g = Gray { width: w, height: h, data: luma };
        let mut cpu = vec![pyramid::to_plane(&mut pool, &g)];
        let up = gpu.upload("frame", &g.data)?;
        let mut levels = vec![luma_plane::luma_plane(&gpu, &up, w, h)?];
        while cpu.len() < 4 && cpu.last().map_or(false, |p| p.w >= 2 && p.h >= 2) {
            let next = pyramid::downsample(&mut pool, cpu.last().unwrap());
            cpu.push(next);
            let next = downsample::downsample(&gpu, levels.last().unwrap())?;
            levels.push(next);
        }
        for (c, l) in cpu.iter().zip(&levels) {
            gradients::gradients(&gpu, l)?;
            let (gx, gy) = pyramid::gradients(&mut pool, c);
            let got = gpu.read(&l.buf, 3 * l.w * l.h).await?;
            let want: Vec<f32> = [&c.data, &gx.data, &gy.data].into_iter().flatten().copied().collect();
            worst = worst.max(max_err(&got, &want));
        }
    }
    Ok(vec![Check::new("luma plane + downsample + gradients, max error", worst, 1e-5)])
}

/// Flow upsampling by 1 and 2 octaves onto exact and odd sizes.
pub async fn upsample(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(12, 1);
    let mut pool = Pool::default();
    let mut worst = 0.0f64;
    for &(cw, ch) in &[(1, 1), (3, 2), (17, 11), (40, 23)] {
        for levels in 1..=2 {
            for extra in 0..2 {
                let coarse = Flow { width: cw, height: ch, uv: random_vec(&mut rng, 2 * cw * ch, -20.0, 20.0) };
                let (w, h) = ((cw << levels) + extra, (ch << levels) + extra);
                let want = pyramid::upsample_flow(&mut pool, &coarse, w, h, levels);
                let got = upsample_flow::upsample_flow(&gpu, &upload_flow(&gpu, &coarse)?, w, h, levels)?;
                worst = worst.max(max_err(&gpu.read(&got.buf, 2 * w * h).await?, &want.uv));
            }
        }
    }
    Ok(vec![Check::new("flow upsampling, max error", worst, 1e-5)])
}

/// Structure tensors and patch initialisation on random planes, patches hanging over the
/// border and frames smaller than one patch.
pub async fn patches(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(13, 1);
    let (mut t_err, mut i_err) = (0.0f64, 0.0f64);
    for &(w, h) in &[(5, 4), (37, 29), (64, 48)] {
        for &(size, stride) in &[(8, 3), (5, 2), (16, 5), (1, 1)] {
            let plane = |rng: &mut Pcg32, lo, hi| Plane { w, h, data: random_vec(rng, w * h, lo, hi) };
            let (i, gx, gy) = (plane(&mut rng, 0.0, 255.0), plane(&mut rng, -60.0, 60.0), plane(&mut rng, -60.0, 60.0));
            let grid = cpu_search::PatchGrid::new(w, h, size, stride);
            let level = upload_level(&gpu, &i, &gx, &gy)?;
            let want: Vec<f32> = cpu_search::patch_tensors(&gx, &gy, &grid).concat();
            let got = patch_tensors::patch_tensors(&gpu, &level, &grid)?;
            t_err = t_err.max(max_err(&gpu.read(&got, 5 * grid.len()).await?, &want));

            let dense = Flow { width: w, height: h, uv: random_vec(&mut rng, 2 * w * h, -8.0, 8.0) };
            let want = states(&cpu_search::init_patch_flow(&dense, &grid));
            let got = patch_init::patch_init(&gpu, &upload_flow(&gpu, &dense)?, &grid)?;
            i_err = i_err.max(max_err(&gpu.read(&got, 4 * grid.len()).await?, &want));
        }
    }
    Ok(vec![
        Check::new("patch structure tensors, max relative error", t_err, 1e-5),
        Check::new("patch initialisation, max error", i_err, 1e-5),
    ])
}

/// A rendered frame pair (camera and object motion, occlusion) as grey images.
pub fn synthetic_pair(w: usize, h: usize, seed: u64) -> (Gray, Gray) {
    let mut c = synthetic_clip(w, h, 2, seed);
    let b = c.pop().expect("two frames");
    (c.pop().expect("two frames"), b)
}

/// A rendered `frames`-long clip of moving layers, as grey frames.
pub fn synthetic_clip(w: usize, h: usize, frames: usize, seed: u64) -> Vec<Gray> {
    let rc = RandomSceneConfig {
        cfg: SynthConfig { width: w, height: h, frames, n_tracks: 8, noise: 1.0 },
        ..RandomSceneConfig::default()
    };
    let clip = render(&random_scene(seed, &rc));
    (0..frames).map(|t| Gray { width: w, height: h, data: clip.gray(t) }).collect()
}

/// The top-left w x h of a grey frame as a DIS plane (intensities x 255).
fn crop_plane(g: &Gray, w: usize, h: usize) -> Plane {
    Plane { w, h, data: (0..h).flat_map(|y| g.data[y * g.width..y * g.width + w].iter().map(|v| v * 255.0)).collect() }
}

fn search_variants() -> Vec<(&'static str, DisParams)> {
    let medium = DisParams::medium();
    vec![
        ("medium", medium.clone()),
        (
            "warped gradient, no mean normalisation",
            DisParams { warped_gradient: true, mean_normalization: false, ..medium },
        ),
    ]
}

/// Inverse search rounds, densification and variational refinement, each from the CPU
/// trace's input for that step on every level, compared with the CPU trace's output.
pub async fn search(gpu: Gpu) -> Result<Vec<Check>> {
    let (a, b) = synthetic_pair(97, 71, 3);
    let mut out = Vec::new();
    for (name, params) in search_variants() {
        let mut dis = Dis::new(params.clone());
        let (_, trace) = dis.flow_traced(&a, &b);
        let (pa, pb) = dis.pyramids(&a, &b, true);
        let (mut mismatched, mut patches, mut coarse_levels) = (0usize, 0usize, 0usize);
        let (mut t_err, mut init_err, mut d_err, mut r_err) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for lt in &trace {
            let k = lt.level;
            let la = upload_level(&gpu, &pa.levels[k], &pa.gx[k], &pa.gy[k])?;
            let lb = upload_level(&gpu, &pb.levels[k], &pb.gx[k], &pb.gy[k])?;
            let grid = lt.grid;
            let tensors = patch_tensors::patch_tensors(&gpu, &la, &grid)?;
            t_err = t_err.max(max_err(&gpu.read(&tensors, 5 * grid.len()).await?, &lt.tensors.concat()));
            let init = patch_init::patch_init(&gpu, &upload_flow(&gpu, &lt.initial)?, &grid)?;
            init_err = init_err.max(max_err(&gpu.read(&init, 4 * grid.len()).await?, &states(&lt.patch_flows[0])));
            let cpu_tensors = gpu.upload("patch tensors", &lt.tensors.concat())?;
            let mut compare = |got: &[f32], want: &[f32]| {
                for (g, c) in got.chunks_exact(4).zip(want.chunks_exact(4)) {
                    let off = (g[0] - c[0]).abs() > 1e-3 || (g[1] - c[1]).abs() > 1e-3 || g[2] != c[2];
                    mismatched += off as usize;
                    patches += 1;
                }
            };
            for r in 0..lt.patch_flows.len() - 1 {
                let prev = gpu.upload("patch states", &states(&lt.patch_flows[r]))?;
                let next = search_round::search_round(&gpu, &la, &lb, &grid, &cpu_tensors, &prev, &params)?;
                let got = gpu.read(&next, 4 * grid.len()).await?;
                match (r, &lt.coarse_input) {
                    (0, Some(before)) => {
                        // Round 1, then the coarse search from the CPU's round-1 states.
                        compare(&got, &states(before));
                        coarse_levels += 1;
                        let cs = CoarseSearch::for_level(&params, dis.params.plan(a.width, a.height), k)
                            .expect("the trace has a coarse search here");
                        let prev = gpu.upload("patch states", &states(before))?;
                        let next = coarse_search::coarse_search(&gpu, &la, &lb, &grid, &cpu_tensors, &prev, &params, &cs)?;
                        compare(&gpu.read(&next, 4 * grid.len()).await?, &states(&lt.patch_flows[1]));
                    }
                    _ => compare(&got, &states(&lt.patch_flows[r + 1])),
                }
            }
            let last = gpu.upload("patch states", &states(lt.patch_flows.last().unwrap()))?;
            let dense = densify::densify(&gpu, &la, &lb, &grid, &last)?;
            d_err = d_err.max(max_err(&gpu.read(&dense.buf, 2 * la.w * la.h).await?, &lt.densified.uv));
            let refined = refine(&gpu, &la, &lb, &upload_flow(&gpu, &lt.densified)?, &params.var())?;
            r_err = r_err.max(max_err(&gpu.read(&refined.buf, 2 * la.w * la.h).await?, &lt.refined.uv));
        }
        out.push(Check::new(format!("{name}: patch tensors, max relative error"), t_err, 1e-5));
        out.push(Check::new(format!("{name}: patch init, max error"), init_err, 1e-5));
        out.push(Check::new(
            format!("{name}: search rounds, fraction of patches off by > 1e-3 px ({patches} patch rounds)"),
            mismatched as f64 / patches.max(1) as f64,
            0.02,
        ));
        // The medium preset searches on level 2 of this pair; the check must have seen it.
        out.push(Check::new(format!("{name}: levels with a coarse search missing"), (coarse_levels != 1) as u8 as f64, 0.0));
        out.push(Check::new(format!("{name}: densification, max error"), d_err, 1e-4));
        out.push(Check::new(format!("{name}: variational refinement, max error (px)"), r_err, 1e-3));
    }
    Ok(out)
}

/// Linearisation and packing of the variational refinement on a rendered pair and a random
/// flow.
pub async fn linearize(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(14, 1);
    let mut pool = Pool::default();
    let var = DisParams::medium().var();
    let mut worst = 0.0f64;
    for &(w, h, seed) in &[(1, 1, 1), (2, 3, 2), (37, 29, 3), (64, 48, 4)] {
        let (ga, gb) = synthetic_pair(w.max(8), h.max(8), seed);
        let crop = |g: &Gray| crop_plane(g, w, h);
        let (i0, i1) = (crop(&ga), crop(&gb));
        let zero = Plane::zeros(w, h);
        let flow = Flow { width: w, height: h, uv: random_vec(&mut rng, 2 * w * h, -3.0, 3.0) };
        let lin = cpu_var::linearize(&mut pool, &i0, &i1, &flow);
        let sp = Split::new(w, h);
        let want = cpu_var::pack(&mut pool, &lin, &flow, &sp, &var);
        let (la, lb) = (upload_level(&gpu, &i0, &zero, &zero)?, upload_level(&gpu, &i1, &zero, &zero)?);
        let f = upload_flow(&gpu, &flow)?;
        let warp = var_warp::var_warp(&gpu, &la, &lb, &f)?;
        let first = var_first_derivs::var_first_derivs(&gpu, &warp, w, h)?;
        let packed = var_pack::var_pack(&gpu, &warp, &first, &f, &sp, &var)?;
        worst = worst.max(max_err(&gpu.read(&packed, want.len()).await?, &want));
    }
    Ok(vec![Check::new("linearisation + packing (split layout, pads included), max error", worst, 1e-4)])
}

/// Smoothness weights, system assembly, red and black SOR sweeps and unpacking, each from
/// the same CPU-made inputs (a packed linearisation, a random increment dW).
pub async fn variational_steps(gpu: Gpu) -> Result<Vec<Check>> {
    let mut rng = Pcg32::new(15, 1);
    let mut pool = Pool::default();
    let var = DisParams::medium().var();
    let (mut s_err, mut a_err, mut o_err, mut u_err) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(w, h, seed) in &[(1, 1, 5), (3, 2, 6), (37, 29, 7), (64, 48, 8)] {
        let (ga, gb) = synthetic_pair(w.max(8), h.max(8), seed);
        let crop = |g: &Gray| crop_plane(g, w, h);
        let flow = Flow { width: w, height: h, uv: random_vec(&mut rng, 2 * w * h, -3.0, 3.0) };
        let lin = cpu_var::linearize(&mut pool, &crop(&ga), &crop(&gb), &flow);
        let sp = Split::new(w, h);
        let packed = cpu_var::pack(&mut pool, &lin, &flow, &sp, &var);
        // dW: random on the entries, zero pads.
        let mut dw = sp.buffer(&mut pool, 2);
        for c in 0..2 {
            for y in 0..h {
                for f in 0..2 {
                    let row = sp.block(c, y, 2) + f * sp.rw;
                    for e in 1..=sp.len(c, y) {
                        dw[row + e] = rng.range(-0.5, 0.5) as f32;
                    }
                }
            }
        }
        // Only the entries of real pixels are defined in kernel outputs without pads.
        let entries = |fields: usize| -> Vec<usize> {
            let mut v = Vec::new();
            for c in 0..2 {
                for y in 0..h {
                    for f in 0..fields {
                        let row = sp.block(c, y, fields) + f * sp.rw;
                        v.extend((1..=sp.len(c, y)).map(|e| row + e));
                    }
                }
            }
            v
        };
        let pick = |buf: &[f32], idx: &[usize]| idx.iter().map(|&i| buf[i]).collect::<Vec<f32>>();
        let (g_packed, g_dw) = (gpu.upload("packed", &packed)?, gpu.upload("dw", &dw)?);

        let mut sw = sp.buffer(&mut pool, WEIGHT_FIELDS);
        cpu_var::smoothness_weights(&packed, &dw, &mut sw, &sp, &var);
        let g_sw = gpu.zeros("weights", sw.len())?;
        var_smoothness::var_smoothness(&gpu, &g_packed, &g_dw, &g_sw, &sp, &var)?;
        s_err = s_err.max(max_err(&gpu.read(&g_sw, sw.len()).await?, &sw));

        let mut coef = vec![0.0f32; 2 * h * COEF_FIELDS * sp.rw];
        cpu_var::assemble(&packed, &sw, &dw, &mut coef, &sp, &var);
        let g_coef = gpu.alloc("coef", coef.len())?;
        var_assemble::var_assemble(&gpu, &g_packed, &gpu.upload("weights", &sw)?, &g_dw, &g_coef, &sp, &var)?;
        let idx = entries(COEF_FIELDS);
        a_err = a_err.max(max_err(&pick(&gpu.read(&g_coef, coef.len()).await?, &idx), &pick(&coef, &idx)));

        let g_coef = gpu.upload("coef", &coef)?;
        let params = var_sor::sor_params(&gpu, &sp, var.omega);
        for colour in 0..2 {
            cpu_var::sor_sweep(&coef, &mut dw, &sp, colour, var.omega);
            var_sor::var_sor(&gpu, &g_coef, &g_dw, &sp, &params[colour])?;
        }
        o_err = o_err.max(max_err(&gpu.read(&g_dw, dw.len()).await?, &dw));

        let want = cpu_var::unpack(&mut pool, &packed, &dw, &sp);
        let got = var_unpack::var_unpack(&gpu, &g_packed, &gpu.upload("dw", &dw)?, &sp)?;
        u_err = u_err.max(max_err(&gpu.read(&got.buf, 2 * w * h).await?, &want.uv));
    }
    Ok(vec![
        Check::new("smoothness weights, max error", s_err, 1e-5),
        Check::new("system assembly, max relative error", a_err, 1e-5),
        Check::new("red + black SOR sweep, max error", o_err, 1e-5),
        Check::new("unpacking, max error", u_err, 1e-6),
    ])
}

/// Whole flows, forward and backward, GPU against CPU, on rendered pairs including frames
/// smaller than a patch.
pub async fn whole_flow(gpu: Gpu) -> Result<Vec<Check>> {
    let mut out = Vec::new();
    for &(w, h, seed) in &[(5, 3, 9), (97, 71, 10), (160, 120, 11)] {
        let (a, b) = synthetic_pair(w, h, seed);
        let (cf, cb) = Dis::new(DisParams::medium()).flow_pair(&a, &b);
        let dis = GpuDis { params: DisParams::medium(), gpu: gpu.clone() };
        let (gf, gb) = dis.flow_pair(&a, &b).await?;
        let (mut sum, mut far, mut n) = (0.0f64, 0usize, 0usize);
        for (g, c) in [(&gf, &cf), (&gb, &cb)] {
            for (gv, cv) in g.uv.chunks_exact(2).zip(c.uv.chunks_exact(2)) {
                let d = ((gv[0] - cv[0]) as f64).hypot((gv[1] - cv[1]) as f64);
                let d = if d.is_nan() { f64::INFINITY } else { d };
                sum += d;
                far += (d > 0.1) as usize;
                n += 1;
            }
        }
        out.push(Check::new(format!("{w}x{h} flow pair: mean |gpu - cpu| (px)"), sum / n as f64, 0.01));
        out.push(Check::new(format!("{w}x{h} flow pair: fraction of pixels off by > 0.1 px"), far as f64 / n as f64, 0.01));
    }
    Ok(out)
}

/// The coarse search on its own, on a rendered frame pair moved by 13 and -9 px (beyond the
/// descent's reach) at odd sizes, for several lattices and margins and both descent modes,
/// from the states of one CPU search round.
pub async fn coarse(gpu: Gpu) -> Result<Vec<Check>> {
    let mut pool = Pool::default();
    let mut out = Vec::new();
    for &(w, h, seed) in &[(5, 3, 21), (45, 37, 22), (83, 61, 23)] {
        let (ga, _) = synthetic_pair(w + 16, h + 16, seed);
        let full = crop_plane(&ga, w + 16, h + 16);
        let i0 = Plane { w, h, data: (0..w * h).map(|i| full.at((i % w) as isize + 13, (i / w) as isize)).collect() };
        let i1 = Plane { w, h, data: (0..w * h).map(|i| full.at((i % w) as isize, (i / w) as isize + 9)).collect() };
        let (gx, gy) = pyramid::gradients(&mut pool, &i0);
        let (gx1, gy1) = pyramid::gradients(&mut pool, &i1);
        let (la, lb) = (upload_level(&gpu, &i0, &gx, &gy)?, upload_level(&gpu, &i1, &gx1, &gy1)?);
        for (name, params) in search_variants() {
            let grid = cpu_search::PatchGrid::new(w, h, params.patch_size, params.patch_stride);
            let tensors = cpu_search::patch_tensors(&gx, &gy, &grid);
            let inp = cpu_search::SearchInputs {
                i0: &i0,
                gx: &gx,
                gy: &gy,
                i1: &i1,
                gx1: &gx1,
                gy1: &gy1,
                grid,
                tensors: &tensors,
                iters: params.grad_iters,
                mean_normalization: params.mean_normalization,
                ridge: params.ridge,
                candidate_tolerance: params.candidate_tolerance,
                warped_gradient: params.warped_gradient,
            };
            let zero = Flow { width: w, height: h, uv: vec![0.0; 2 * w * h] };
            let prev = cpu_search::search_round(&inp, &cpu_search::init_patch_flow(&zero, &grid));
            let gpu_tensors = gpu.upload("patch tensors", &tensors.concat())?;
            let gpu_prev = gpu.upload("patch states", &states(&prev))?;
            for cs in [
                CoarseSearch { radius: 16, step: 2, ratio: 0.5 },
                CoarseSearch { radius: 7, step: 1, ratio: 0.9 },
                // (Far larger radii mostly compare windows of replicated border pixels, whose
                // near-equal costs rank differently under the GPU's fused multiply-adds.)
                CoarseSearch { radius: 24, step: 3, ratio: 0.5 },
            ] {
                let want = cpu_coarse(&inp, &prev, &cs);
                let next = coarse_search::coarse_search(&gpu, &la, &lb, &grid, &gpu_tensors, &gpu_prev, &params, &cs)?;
                let got = gpu.read(&next, 4 * grid.len()).await?;
                let mut off = 0usize;
                for (g, c) in got.chunks_exact(4).zip(states(&want).chunks_exact(4)) {
                    off += ((g[0] - c[0]).abs() > 1e-3 || (g[1] - c[1]).abs() > 1e-3 || g[2] != c[2]) as usize;
                }
                let adopted = want.settled.iter().zip(&prev.settled).zip(want.uv.iter().zip(&prev.uv))
                    .filter(|((s, _), (a, b))| !**s && a != b)
                    .count();
                let label = format!("{w}x{h} {name}, radius {} step {} ratio {}", cs.radius, cs.step, cs.ratio);
                out.push(Check::new(format!("{label}: fraction of patches off by > 1e-3 px ({adopted} of {} adopted a vector)", grid.len()), off as f64 / grid.len() as f64, 0.02));
                if w > 40 && cs.radius >= 16 {
                    // On the larger pairs the search must have found the motion somewhere, or
                    // the comparison above proves little.
                    out.push(Check::new(format!("{label}: no patch adopted a vector"), (adopted == 0) as u8 as f64, 0.0));
                }
            }
        }
    }
    Ok(out)
}

/// Every check above (for the browser test).
pub async fn all(gpu: Gpu) -> Result<Vec<Check>> {
    let mut out = pyramid(gpu.clone()).await?;
    out.extend(upsample(gpu.clone()).await?);
    out.extend(patches(gpu.clone()).await?);
    out.extend(search(gpu.clone()).await?);
    out.extend(coarse(gpu.clone()).await?);
    out.extend(linearize(gpu.clone()).await?);
    out.extend(variational_steps(gpu.clone()).await?);
    out.extend(whole_flow(gpu).await?);
    Ok(out)
}

/// Runs `checks` on the native GPU adapter (lavapipe in CI: a missing adapter fails) and
/// asserts that all pass.
#[cfg(all(test, not(target_family = "wasm")))]
pub(crate) fn assert_native<F>(checks: impl FnOnce(Gpu) -> F)
where
    F: std::future::Future<Output = Result<Vec<Check>>>,
{
    let dev = crate::device::ComputeDevice::select(crate::device::DevicePreference::Gpu)
        .expect("a wgpu adapter (lavapipe in CI)");
    let gpu = Gpu::new(&dev.device).expect("a GPU context");
    let results = pollster::block_on(checks(gpu)).expect("the checks run");
    for c in &results {
        eprintln!("{c}");
    }
    let failed: Vec<String> = results.iter().filter(|c| !c.passed()).map(|c| c.to_string()).collect();
    assert!(failed.is_empty(), "failed: {failed:#?}");
}
