//! The AVX-512 register block: 12 rows x 32 columns, 24 accumulators, two weight vectors and
//! one broadcast per row per step, so the FMA ports set the pace.

use super::{Epi, Kernel, Tile};
use std::arch::x86_64::*;

/// Vectors per block row.
const V: usize = 2;
const NR: usize = 16 * V;

pub(super) struct Avx512;

impl Kernel for Avx512 {
    const MR: usize = 12;
    const NR: usize = NR;

    #[target_feature(enable = "avx512f")]
    unsafe fn pack_panels(b: &[f32], ldb: usize, kc: usize, jc: usize, jc_end: usize, panels: *mut f32) {
        // Row by row: each source row's columns are contiguous (2 KiB), which the hardware
        // prefetcher streams; panel by panel it met a new row every 128 bytes, and weights
        // that are not in cache (another model ran in between) cost a miss each.
        for kk in 0..kc {
            let src = b.as_ptr().add(kk * ldb);
            let mut j = jc;
            while j < jc_end {
                let mask = masks(NR.min(jc_end - j));
                let dst = panels.add((j - jc) * kc + kk * NR);
                for (v, &m) in mask.iter().enumerate() {
                    _mm512_storeu_ps(dst.add(16 * v), _mm512_maskz_loadu_ps(m, src.add(j + 16 * v)));
                }
                j += NR;
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn tile(rows: usize, t: Tile) {
        // Each row count is its own instantiation: the accumulators stay in registers.
        match rows {
            12 => tile_of::<12>(t),
            11 => tile_of::<11>(t),
            10 => tile_of::<10>(t),
            9 => tile_of::<9>(t),
            8 => tile_of::<8>(t),
            7 => tile_of::<7>(t),
            6 => tile_of::<6>(t),
            5 => tile_of::<5>(t),
            4 => tile_of::<4>(t),
            3 => tile_of::<3>(t),
            2 => tile_of::<2>(t),
            _ => tile_of::<1>(t),
        }
    }
}

/// Lane masks of the block's vectors for `width` used columns.
#[inline(always)]
fn masks(width: usize) -> [u16; V] {
    std::array::from_fn(|v| {
        let w = width.saturating_sub(16 * v);
        if w >= 16 {
            0xffff
        } else {
            ((1u32 << w) - 1) as u16
        }
    })
}

/// `R` rows x [`NR`] columns: the first k-block stores `sum + bias`, later ones add `sum`,
/// the last applies the epilogue.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn tile_of<const R: usize>(t: Tile) {
    let mask = masks(t.width);
    let mut acc = [[_mm512_setzero_ps(); V]; R];
    let rows: [*const f32; R] = std::array::from_fn(|r| t.a.add(r * t.lda));
    let mut b = t.b;
    for kk in 0..t.kc {
        let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(b.add(16 * v)));
        for (row, &a) in acc.iter_mut().zip(&rows) {
            let x = _mm512_set1_ps(*a.add(kk));
            for v in 0..V {
                row[v] = _mm512_fmadd_ps(x, bv[v], row[v]);
            }
        }
        b = b.add(NR);
    }
    let bias: [__m512; V] = std::array::from_fn(|v| {
        if t.bias.is_null() {
            _mm512_setzero_ps()
        } else {
            _mm512_maskz_loadu_ps(mask[v], t.bias.add(16 * v))
        }
    });
    for (r, row) in acc.iter().enumerate() {
        let c = t.c.add(r * t.ldc);
        let mut out: [__m512; V] = std::array::from_fn(|v| {
            let base = if t.first { bias[v] } else { _mm512_maskz_loadu_ps(mask[v], c.add(16 * v)) };
            _mm512_add_ps(base, row[v])
        });
        match t.epilogue {
            Epi::Plain => {}
            Epi::Gelu => {
                let mut values = [0.0f32; NR];
                for (v, o) in out.iter().enumerate() {
                    _mm512_storeu_ps(values.as_mut_ptr().add(16 * v), *o);
                }
                for x in values.iter_mut() {
                    *x = crate::cpu::gelu::gelu_one(*x);
                }
                out = std::array::from_fn(|v| _mm512_loadu_ps(values.as_ptr().add(16 * v)));
            }
            Epi::ScaledResidual { residual, gamma } => {
                let res = residual.add(r * t.ldc);
                for (v, o) in out.iter_mut().enumerate() {
                    let g = _mm512_maskz_loadu_ps(mask[v], gamma.add(16 * v));
                    *o = _mm512_fmadd_ps(g, *o, _mm512_maskz_loadu_ps(mask[v], res.add(16 * v)));
                }
            }
        }
        for (v, o) in out.iter().enumerate() {
            _mm512_mask_storeu_ps(c.add(16 * v), mask[v], *o);
        }
    }
}
