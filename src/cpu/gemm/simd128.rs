//! The wasm SIMD register block: 4 rows x 8 columns, 8 accumulators. V8 gives wasm 16
//! vector registers on x86-64 (one kept as scratch); blocks of 12+ accumulators (6x8, 4x12,
//! 3x16) spilled and ran at 22-27 GFLOP/s in Chromium where 4x8 ran at 29-30 (the `gemm`
//! crate's wasm kernel, which repacks the weight on every call: 22-24). Built with
//! `+relaxed-simd` the step is a fused multiply-add (35-38 GFLOP/s); without it a multiply
//! and an add, which every wasm engine with SIMD runs.

use super::{Epi, Kernel, Tile};
use std::arch::wasm32::*;

const NR: usize = 8;

pub(super) struct Simd128;

impl Kernel for Simd128 {
    const MR: usize = 4;
    const NR: usize = NR;

    unsafe fn pack_panels(b: &[f32], ldb: usize, kc: usize, jc: usize, jc_end: usize, panels: *mut f32) {
        // Row by row, so each source row is read front to back (see the AVX-512 kernel).
        for kk in 0..kc {
            let src = b.as_ptr().add(kk * ldb);
            let mut j = jc;
            while j < jc_end {
                let dst = panels.add((j - jc) * kc + kk * NR);
                let width = NR.min(jc_end - j);
                if width == NR {
                    v128_store(dst as *mut v128, v128_load(src.add(j) as *const v128));
                    v128_store(dst.add(4) as *mut v128, v128_load(src.add(j + 4) as *const v128));
                } else {
                    for x in 0..NR {
                        *dst.add(x) = if x < width { *src.add(j + x) } else { 0.0 };
                    }
                }
                j += NR;
            }
        }
    }

    unsafe fn tile(rows: usize, t: Tile) {
        match rows {
            4 => store(&t, &sums_4(&t)),
            3 => store(&t, &sums_3(&t)),
            2 => store(&t, &sums_2(&t)),
            _ => store(&t, &sums_1(&t)),
        }
    }
}

/// `a * b + c`: fused where the build has relaxed SIMD (www/build.sh's relaxed module), a
/// multiply and an add otherwise. The attention kernel's blocks use it too.
#[inline(always)]
pub(crate) unsafe fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        f32x4_add(c, f32x4_mul(a, b))
    }
}

/// `fn $name(t) -> [(v128, v128); rows]`: the tile's sums over its `kc` steps, one row per
/// listed index. Written out per row count: the package is built for size (opt-level "s"),
/// where LLVM neither unrolls nor keeps a generic `[[v128; 2]; R]` in registers, and the
/// kernel then ran at half speed.
macro_rules! sums {
    ($name:ident, $rows:literal: $($r:literal)+) => {
        #[inline(always)]
        unsafe fn $name(t: &Tile) -> [(v128, v128); $rows] {
            let zero = f32x4_splat(0.0);
            let mut acc = [(zero, zero); $rows];
            let mut b = t.b;
            for kk in 0..t.kc {
                let w0 = v128_load(b as *const v128);
                let w1 = v128_load(b.add(4) as *const v128);
                $(
                    let x = v128_load32_splat(t.a.add($r * t.lda + kk) as *const u32);
                    acc[$r].0 = madd(x, w0, acc[$r].0);
                    acc[$r].1 = madd(x, w1, acc[$r].1);
                )+
                b = b.add(NR);
            }
            acc
        }
    };
}
sums!(sums_4, 4: 0 1 2 3);
sums!(sums_3, 3: 0 1 2);
sums!(sums_2, 2: 0 1);
sums!(sums_1, 1: 0);

/// Stores the tile: the first k-block `sum + bias`, later ones add `sum`, the last applies
/// the epilogue.
unsafe fn store<const R: usize>(t: &Tile, acc: &[(v128, v128); R]) {
    // A ragged last panel goes through a row buffer: it must not touch memory past the
    // output row (or the bias, gamma) end.
    let width = t.width;
    let load = |p: *const f32| -> (v128, v128) {
        if width == NR {
            return (v128_load(p as *const v128), v128_load(p.add(4) as *const v128));
        }
        let mut row = [0.0f32; NR];
        std::ptr::copy_nonoverlapping(p, row.as_mut_ptr(), width);
        (v128_load(row.as_ptr() as *const v128), v128_load(row.as_ptr().add(4) as *const v128))
    };
    let put = |p: *mut f32, v: (v128, v128)| {
        if width == NR {
            v128_store(p as *mut v128, v.0);
            v128_store(p.add(4) as *mut v128, v.1);
        } else {
            let mut row = [0.0f32; NR];
            v128_store(row.as_mut_ptr() as *mut v128, v.0);
            v128_store(row.as_mut_ptr().add(4) as *mut v128, v.1);
            std::ptr::copy_nonoverlapping(row.as_ptr(), p, width);
        }
    };
    let zero = f32x4_splat(0.0);
    let bias = if t.bias.is_null() { (zero, zero) } else { load(t.bias) };
    for (r, sums) in acc.iter().enumerate() {
        let c = t.c.add(r * t.ldc);
        let base = if t.first { bias } else { load(c) };
        let mut out = (f32x4_add(base.0, sums.0), f32x4_add(base.1, sums.1));
        match t.epilogue {
            Epi::Plain => {}
            Epi::Gelu => {
                let mut row = [0.0f32; NR];
                v128_store(row.as_mut_ptr() as *mut v128, out.0);
                v128_store(row.as_mut_ptr().add(4) as *mut v128, out.1);
                for x in row.iter_mut() {
                    *x = crate::cpu::gelu::gelu_one(*x);
                }
                out = (v128_load(row.as_ptr() as *const v128), v128_load(row.as_ptr().add(4) as *const v128));
            }
            Epi::ScaledResidual { residual, gamma } => {
                let (res, g) = (load(residual.add(r * t.ldc)), load(gamma));
                out = (madd(g.0, out.0, res.0), madd(g.1, out.1, res.1));
            }
        }
        put(c, out);
    }
}
