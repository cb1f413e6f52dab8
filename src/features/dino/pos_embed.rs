//! Resizing the learned positional grid to the input's patch grid, exactly as torch's
//! `F.interpolate(mode="bicubic", align_corners=False)` does (with and without `antialias`).
//!
//! Bicubic resampling is separable, so it is written as two small matrices built here on the
//! host, `out = Wy · grid · Wxᵀ` per channel: two matmuls on any device, no read back of the
//! weights (which the browser could not do synchronously).

use super::config::PosInterp;
use burn::tensor::{Device, Tensor, TensorData};

/// torch's scale for one axis: `1 / scale_factor` when a factor is given, else `in / out`.
fn source_scale(input: usize, output: usize, interp: PosInterp) -> f64 {
    if interp.offset > 0.0 {
        input as f64 / (output as f64 + interp.offset)
    } else {
        input as f64 / output as f64
    }
}

/// The `[output, input]` matrix of one axis.
pub fn resize_matrix(input: usize, output: usize, interp: PosInterp) -> Vec<f32> {
    let scale = source_scale(input, output, interp);
    let mut m = vec![0.0f64; output * input];
    for o in 0..output {
        let row = &mut m[o * input..(o + 1) * input];
        if interp.antialias {
            antialiased_row(row, o, scale);
        } else {
            cubic_row(row, o, scale);
        }
    }
    m.into_iter().map(|v| v as f32).collect()
}

// `upsample_bicubic2d`: Keys' cubic (a = -0.75) at four taps around the source point, taps
// beyond the border clamped to the edge sample.
fn cubic_row(row: &mut [f64], o: usize, scale: f64) {
    const A: f64 = -0.75;
    let n = row.len() as i64;
    let real = scale * (o as f64 + 0.5) - 0.5;
    let base = (real.floor() as i64).min(n - 1);
    let t = (real - base as f64).clamp(0.0, 1.0);
    let near = |x: f64| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let far = |x: f64| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    let w = [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)];
    for (k, wk) in w.iter().enumerate() {
        let i = (base - 1 + k as i64).clamp(0, n - 1) as usize;
        row[i] += wk;
    }
}

// `_upsample_bicubic2d_aa`: the cubic filter with a = -0.5 (as PIL), widened by the
// downscale factor, truncated at the borders and renormalised.
fn antialiased_row(row: &mut [f64], o: usize, scale: f64) {
    const A: f64 = -0.5;
    let n = row.len() as i64;
    let filter = |x: f64| {
        let x = x.abs();
        if x < 1.0 {
            ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
        } else if x < 2.0 {
            (((x - 5.0) * x + 8.0) * x - 4.0) * A
        } else {
            0.0
        }
    };
    let support = if scale >= 1.0 { 2.0 * scale } else { 2.0 };
    let invscale = if scale >= 1.0 { 1.0 / scale } else { 1.0 };
    let centre = scale * (o as f64 + 0.5);
    // torch truncates toward zero here (a cast), then clamps.
    let lo = ((centre - support + 0.5) as i64).max(0);
    let hi = ((centre + support + 0.5) as i64).min(n);
    let mut total = 0.0;
    for j in lo..hi {
        let w = filter((j as f64 - centre + 0.5) * invscale);
        row[j as usize] = w;
        total += w;
    }
    if total != 0.0 {
        for j in lo..hi {
            row[j as usize] /= total;
        }
    }
}

/// `grid [M*M, D]` (row-major positions) -> `[rows*cols, D]`.
pub fn resize(grid: Tensor<2>, side: usize, rows: usize, cols: usize, interp: PosInterp) -> Tensor<2> {
    let [_, d] = grid.dims();
    if rows == side && cols == side {
        return grid;
    }
    let device: Device = grid.device();
    let wy = Tensor::<2>::from_data(TensorData::new(resize_matrix(side, rows, interp), [rows, side]), &device);
    let wx = Tensor::<2>::from_data(TensorData::new(resize_matrix(side, cols, interp), [cols, side]), &device);
    // [M, M, D] -> columns first: [D*M(rows), M(cols)] · Wxᵀ -> [D, M, cols]
    let g = grid.reshape([side, side, d]).permute([2, 0, 1]); // [D, M, M]
    let g = g.reshape([d * side, side]).matmul(wx.transpose()).reshape([d, side, cols]);
    // rows: Wy [rows, M] · [M, cols] per channel
    let g = g.permute([1, 0, 2]).reshape([side, d * cols]); // [M, D*cols]
    let g = wy.matmul(g).reshape([rows, d, cols]); // [rows, D, cols]
    g.permute([0, 2, 1]).reshape([rows * cols, d])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_when_sizes_match() {
        for interp in [PosInterp::TRANSFORMERS, PosInterp::OFFICIAL_REGISTERS] {
            let m = resize_matrix(5, 5, interp);
            for o in 0..5 {
                for i in 0..5 {
                    assert!((m[o * 5 + i] - (o == i) as u8 as f32).abs() < 1e-6, "{interp:?} {o} {i}");
                }
            }
        }
    }

    #[test]
    fn rows_sum_to_one() {
        for interp in [PosInterp::OFFICIAL, PosInterp::TRANSFORMERS, PosInterp::OFFICIAL_REGISTERS] {
            for (i, o) in [(37, 16), (37, 67), (37, 121), (4, 9)] {
                let m = resize_matrix(i, o, interp);
                for r in m.chunks(i) {
                    assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{interp:?} {i}->{o}");
                }
            }
        }
    }

    // Values printed by torch 2.15: F.interpolate(x.view(1,1,1,n), size=(1,o), mode="bicubic",
    // align_corners=False[, antialias=True]), and with scale_factor=(1, (o+0.1)/n).
    fn apply(m: &[f32], x: &[f32]) -> Vec<f32> {
        m.chunks(x.len()).map(|r| r.iter().zip(x).map(|(a, b)| a * b).sum()).collect()
    }

    fn close(ours: &[f32], torch: &[f32]) {
        assert!(ours.iter().zip(torch).all(|(a, b)| (a - b).abs() < 1e-4), "ours {ours:?}, torch {torch:?}");
    }

    #[test]
    fn matches_torch_up() {
        let ramp = [0.0, 1.0, 2.0, 3.0];
        close(&apply(&resize_matrix(4, 7, PosInterp::TRANSFORMERS), &ramp), &[-0.0992, 0.2792, 0.8966, 1.5000, 2.1034, 2.7208, 3.0992]);
        close(&apply(&resize_matrix(4, 7, PosInterp::OFFICIAL_REGISTERS), &ramp), &[-0.0793, 0.2639, 0.9240, 1.5000, 2.0760, 2.7361, 3.0793]);
    }

    #[test]
    fn matches_torch_down() {
        let squares: Vec<f32> = (0..8).map(|i| (i * i) as f32).collect();
        close(&apply(&resize_matrix(8, 3, PosInterp::TRANSFORMERS), &squares), &[0.596_064_75, 12.125, 38.820_602]);
        close(&apply(&resize_matrix(8, 3, PosInterp::OFFICIAL_REGISTERS), &squares), &[1.035_793_7, 12.718_559, 37.485_275]);
        close(&apply(&resize_matrix(8, 3, PosInterp::OFFICIAL), &squares), &[0.519_703, 11.457_515, 35.169_92]);
    }
}
