//! Checks of [`super::linear`] against an f64 product, shared by the native unit tests and
//! the browser tests (`tests/web.rs`), which run the wasm SIMD kernel. Each returns the first
//! mismatch as an error.

use super::{linear, Epilogue};
use crate::attention::reference::random_values as values;

/// Ragged sizes against the f64 product: rows around both register blocks (12 and 4 rows),
/// columns around the 32- and 8-wide panels and the 512-column walk, depths across the
/// 256 block, a strided weight (ldb > n), no bias; and shapes with fewer panels than
/// threads (split by rows).
pub fn products() -> Result<(), String> {
    for &(m, k, n, ldb, with_bias) in &[
        (1, 1, 1, 1, true),
        (13, 7, 31, 31, true),
        (14, 256, 32, 32, true),
        (15, 257, 33, 40, false),
        (5, 9, 7, 7, true),
        (29, 600, 530, 530, true),
        (257, 96, 96, 100, true),
        (3, 513, 1100, 1100, true),
        (100, 40, 20, 20, true),
        (37, 16, 64, 64, true),
    ] {
        let a = values(m * k, 1 + m as u64);
        let b = values(k * ldb, 2 + k as u64);
        let bias = values(n, 3);
        let bias = with_bias.then_some(bias.as_slice());
        let got = linear(&a, m, k, &b, ldb, n, bias, Epilogue::Plain);
        let want = reference(&a, m, k, &b, ldb, n, bias);
        let scale = (k as f64).sqrt().max(1.0);
        let err = got.iter().zip(&want).map(|(&g, &w)| (g as f64 - w).abs()).fold(0.0, f64::max);
        if err > 1e-5 * scale {
            return Err(format!("m {m} k {k} n {n}: max error {err}"));
        }
    }
    Ok(())
}

/// No rows, or no depth (then every row is the bias).
pub fn empty_sizes() -> Result<(), String> {
    if !linear(&[], 0, 4, &[0.0; 8], 2, 2, None, Epilogue::Plain).is_empty() {
        return Err("0 rows gave values".into());
    }
    let got = linear(&[], 2, 0, &[], 3, 3, Some(&[1.0, 2.0, 3.0]), Epilogue::Plain);
    if got != vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0] {
        return Err(format!("depth 0 gave {got:?}, not the bias rows"));
    }
    Ok(())
}

/// GELU and LayerScale + residual in the store against the same steps after a plain product.
/// Depth 600 is three k-blocks, so the epilogue must wait for the last one.
pub fn epilogues() -> Result<(), String> {
    for &(m, k, n) in &[(13, 600, 70), (25, 96, 200), (3, 0, 5), (6, 20, 13)] {
        let a = values(m * k, 11);
        let b = values(k * n, 12);
        let bias = values(n, 13);
        let residual = values(m * n, 14);
        let gamma = values(n, 15);
        let plain = linear(&a, m, k, &b, n, n, Some(&bias), Epilogue::Plain);
        let gelu = linear(&a, m, k, &b, n, n, Some(&bias), Epilogue::Gelu);
        let res = linear(&a, m, k, &b, n, n, Some(&bias), Epilogue::ScaledResidual { residual: &residual, gamma: &gamma });
        for i in 0..m * n {
            let g = crate::cpu::gelu::gelu_one(plain[i]);
            if (gelu[i] - g).abs() > 1e-6 * g.abs().max(1.0) {
                return Err(format!("{m}x{k}x{n} gelu {i}: {} vs {g}", gelu[i]));
            }
            let r = residual[i] + gamma[i % n] * plain[i];
            if (res[i] - r).abs() > 1e-5 * r.abs().max(1.0) {
                return Err(format!("{m}x{k}x{n} residual {i}: {} vs {r}", res[i]));
            }
        }
    }
    Ok(())
}

fn reference(a: &[f32], m: usize, k: usize, b: &[f32], ldb: usize, n: usize, bias: Option<&[f32]>) -> Vec<f64> {
    let mut c = vec![0.0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = bias.map_or(0.0, |b| b[j] as f64);
            for kk in 0..k {
                s += a[i * k + kk] as f64 * b[kk * ldb + j] as f64;
            }
            c[i * n + j] = s;
        }
    }
    c
}
