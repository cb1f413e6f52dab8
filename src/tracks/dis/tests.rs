//! Unit tests of the individual kernels (the end-to-end ones are in tests/dis_flow.rs).

use super::densify::densify;
use super::inverse_search::{
    init_patch_flow, patch_tensors, search_round, PatchGrid, PatchState, SearchInputs,
};
use super::pool::Pool;
use super::pyramid::{downsample, gradients, plan_levels, to_plane, upsample_flow, Plane};
use super::variational::{linearize, pack, refine, unpack, Split, VarParams};
use crate::tracks::{Flow, Gray};

fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> f32) -> Plane {
    Plane {
        w,
        h,
        data: (0..w * h).map(|i| f(i % w, i / w)).collect(),
    }
}

fn var_params() -> VarParams {
    VarParams {
        iters: 5,
        sor_iters: 5,
        alpha: 40.0,
        delta: 5.0,
        gamma: 5.0,
        omega: 1.6,
        zeta: 0.1,
        epsilon: 0.001,
    }
}

#[test]
fn level_plans() {
    assert_eq!(
        plan_levels(854, 480, 1, None, 8),
        super::LevelPlan {
            finest: 1,
            coarsest: 5
        }
    );
    assert_eq!(
        plan_levels(320, 240, 1, None, 8),
        super::LevelPlan {
            finest: 1,
            coarsest: 3
        }
    );
    assert_eq!(
        plan_levels(1, 1, 1, None, 8),
        super::LevelPlan {
            finest: 0,
            coarsest: 0
        }
    );
    assert_eq!(
        plan_levels(5, 300, 1, None, 8),
        super::LevelPlan {
            finest: 1,
            coarsest: 1
        }
    );
    // An explicit coarsest level is clamped to what the frame allows.
    assert_eq!(
        plan_levels(40, 40, 0, Some(9), 8),
        super::LevelPlan {
            finest: 0,
            coarsest: 5
        }
    );
}

#[test]
fn to_plane_scales_and_sanitises() {
    let g = Gray {
        width: 3,
        height: 1,
        data: vec![0.5, f32::NAN, 1.0],
    };
    assert_eq!(
        to_plane(&mut Pool::default(), &g).data,
        vec![127.5, 0.0, 255.0]
    );
}

#[test]
fn downsample_keeps_constants_and_ramps() {
    let mut pool = Pool::default();
    let c = downsample(&mut pool, &plane(9, 7, |_, _| 42.0));
    assert_eq!((c.w, c.h), (4, 3));
    assert!(c.data.iter().all(|&v| v == 42.0));
    // Coarse pixel X sits at fine 2X + 0.5: a ramp keeps that value away from the border.
    let r = downsample(&mut pool, &plane(16, 16, |x, y| x as f32 + 10.0 * y as f32));
    for y in 1..7 {
        for x in 1..7 {
            let want = (2 * x) as f32 + 0.5 + 10.0 * ((2 * y) as f32 + 0.5);
            assert!((r.data[y * 8 + x] - want).abs() < 1e-3);
        }
    }
}

#[test]
fn gradients_of_a_ramp() {
    let (gx, gy) = gradients(
        &mut Pool::default(),
        &plane(10, 8, |x, y| 3.0 * x as f32 - 2.0 * y as f32),
    );
    for y in 1..7 {
        for x in 1..9 {
            assert_eq!((gx.data[y * 10 + x], gy.data[y * 10 + x]), (3.0, -2.0));
        }
    }
    // Clamped border: a one-sided difference at half weight.
    assert_eq!(gx.data[3 * 10], 1.5);
}

#[test]
fn upsample_scales_vectors() {
    let coarse = Flow {
        width: 5,
        height: 4,
        uv: [1.0f32, -2.0].repeat(20),
    };
    let f = upsample_flow(&mut Pool::default(), &coarse, 11, 9, 1);
    assert!(f.uv.chunks(2).all(|v| v == [2.0, -4.0]));
    let f = upsample_flow(&mut Pool::default(), &coarse, 20, 16, 2);
    assert!(f.uv.chunks(2).all(|v| v == [4.0, -8.0]));
}

#[test]
fn patch_grid_covers_every_pixel() {
    for (w, h, p, s) in [
        (37, 23, 8, 3),
        (8, 8, 8, 3),
        (5, 3, 8, 3),
        (100, 1, 12, 5),
        (9, 9, 4, 4),
    ] {
        let g = PatchGrid::new(w, h, p, s);
        let last = |n: usize, count: usize| (count - 1) * g.stride + g.size >= n;
        assert!(last(w, g.nx) && last(h, g.ny), "{w}x{h}");
        // The densification must find at least one patch everywhere: uniform vectors come back.
        let i0 = plane(w, h, |x, y| ((x * 7 + y * 13) % 17) as f32);
        let f = densify(
            &mut Pool::default(),
            &i0,
            &i0,
            &g,
            &vec![[0.25, -0.5]; g.len()],
        );
        assert!(
            f.uv.chunks(2)
                .all(|v| (v[0] - 0.25).abs() < 1e-6 && (v[1] + 0.5).abs() < 1e-6),
            "{w}x{h}"
        );
    }
}

#[test]
fn densify_prefers_the_patch_that_explains_the_pixel() {
    // Frame b is frame a shifted by 2 px; of two candidate vectors, the right one must dominate.
    let a = plane(40, 40, |x, y| {
        128.0 + 100.0 * ((x as f32 * 0.7).sin() * (y as f32 * 0.3).cos())
    });
    let b = plane(40, 40, |x, y| a.at(x as isize - 2, y as isize));
    let g = PatchGrid::new(40, 40, 8, 4);
    let uv: Vec<[f32; 2]> = (0..g.len())
        .map(|i| if i % 2 == 0 { [2.0, 0.0] } else { [0.0, 0.0] })
        .collect();
    let f = densify(&mut Pool::default(), &a, &b, &g, &uv);
    let mean_u =
        f.uv.chunks(2)
            .skip(41 * 10)
            .take(20)
            .map(|v| v[0])
            .sum::<f32>()
            / 20.0;
    assert!(mean_u > 1.6, "mean u {mean_u}");
}

#[test]
fn search_recovers_a_translation_and_settles() {
    let mut pool = Pool::default();
    let tex = |x: f32, y: f32| 128.0 + 60.0 * ((x * 0.45).sin() + (y * 0.37 + x * 0.1).cos());
    let a = plane(64, 64, |x, y| tex(x as f32, y as f32));
    let b = plane(64, 64, |x, y| tex(x as f32 - 1.3, y as f32 + 0.6));
    let (gx, gy) = gradients(&mut pool, &a);
    let (gx1, gy1) = gradients(&mut pool, &b);
    let grid = PatchGrid::new(64, 64, 8, 4);
    let tensors = patch_tensors(&gx, &gy, &grid);
    for warped_gradient in [false, true] {
        let inp = SearchInputs {
            i0: &a,
            gx: &gx,
            gy: &gy,
            i1: &b,
            gx1: &gx1,
            gy1: &gy1,
            grid,
            tensors: &tensors,
            iters: 8,
            mean_normalization: true,
            ridge: 0.1,
            candidate_tolerance: 0.1,
            warped_gradient,
        };
        let zero = Flow {
            width: 64,
            height: 64,
            uv: vec![0.0; 2 * 64 * 64],
        };
        let mut st = init_patch_flow(&zero, &grid);
        for _ in 0..3 {
            st = search_round(&inp, &st);
        }
        // Interior patches (the border ones see the replicated edge); measured mean 0.036
        // (bilinear interpolation error on this texture), bias < 0.005.
        let (mut sum, mut bad, mut n) = (0.0f32, 0, 0);
        let (mut bu, mut bv) = (0.0f32, 0.0f32);
        for jy in 2..grid.ny - 2 {
            for jx in 2..grid.nx - 2 {
                let [u, v] = st.uv[jy * grid.nx + jx];
                let e = ((u - 1.3).powi(2) + (v + 0.6).powi(2)).sqrt();
                sum += e;
                bu += u - 1.3;
                bv += v + 0.6;
                bad += (e > 0.2) as usize;
                n += 1;
            }
        }
        eprintln!(
            "warped {warped_gradient}: mean error {} bad {bad}/{n} bias {} {}",
            sum / n as f32,
            bu / n as f32,
            bv / n as f32
        );
        assert!(
            sum / (n as f32) < 0.05 && bad * 10 <= n,
            "mean error {} bad {bad}/{n}",
            sum / n as f32
        );
        // A settled patch with no new candidate is returned untouched.
        let settled = PatchState {
            uv: vec![[0.7, 0.2]; grid.len()],
            settled: vec![true; grid.len()],
        };
        assert_eq!(search_round(&inp, &settled), settled);
    }
}

#[test]
fn refine_keeps_an_exact_flow() {
    let mut pool = Pool::default();
    let a = plane(33, 21, |x, y| {
        128.0 + 50.0 * ((x as f32 * 0.5).sin() + (y as f32 * 0.4).cos())
    });
    let zero = Flow {
        width: 33,
        height: 21,
        uv: vec![0.0; 2 * 33 * 21],
    };
    let r = refine(&mut pool, &a, &a, &zero, &var_params());
    assert!(r.uv.iter().all(|v| v.abs() < 1e-4));
}

#[test]
fn refine_reduces_the_error_of_a_noisy_flow() {
    let mut pool = Pool::default();
    let tex = |x: f32, y: f32| 128.0 + 60.0 * ((x * 0.45).sin() + (y * 0.37 + x * 0.1).cos());
    let a = plane(48, 40, |x, y| tex(x as f32, y as f32));
    let b = plane(48, 40, |x, y| tex(x as f32 - 0.8, y as f32 - 0.4));
    let noisy = Flow {
        width: 48,
        height: 40,
        uv: (0..48 * 40)
            .flat_map(|i| [0.8 + 0.3 * ((i * 7919 % 13) as f32 / 6.0 - 1.0), 0.4])
            .collect(),
    };
    let err = |f: &Flow| {
        f.uv.chunks(2)
            .enumerate()
            .filter(|(i, _)| (4..44).contains(&(i % 48)) && (4..36).contains(&(i / 48)))
            .map(|(_, v)| ((v[0] - 0.8).powi(2) + (v[1] - 0.4).powi(2)).sqrt())
            .sum::<f32>()
    };
    let r = refine(&mut pool, &a, &b, &noisy, &var_params());
    assert!(
        err(&r) < 0.5 * err(&noisy),
        "{} vs {}",
        err(&r),
        err(&noisy)
    );
}

#[test]
fn split_layout_round_trip() {
    let mut pool = Pool::default();
    for (w, h) in [(1, 1), (2, 3), (7, 5), (8, 4)] {
        let a = plane(w, h, |x, y| (x * 3 + y) as f32);
        let f = Flow {
            width: w,
            height: h,
            uv: (0..2 * w * h).map(|i| i as f32 * 0.5).collect(),
        };
        let sp = Split::new(w, h);
        let lin = linearize(&mut pool, &a, &a, &f);
        let packed = pack(&mut pool, &lin, &f, &sp, &var_params());
        let dw = sp.buffer(&mut pool, 2);
        assert_eq!(unpack(&mut pool, &packed, &dw, &sp), f, "{w}x{h}");
    }
}
