//! End-point error of a dense flow against ground truth, in native pixels (not rescaled:
//! flow benchmarks report EPE at the clip's own resolution).

use crate::tracks::Flow;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epe {
    /// Mean |pred - gt| over all pixels.
    pub all: f64,
    /// Mean over pixels not occluded at t+1 (NaN if there are none).
    pub non_occluded: f64,
    pub n_all: usize,
    pub n_non_occluded: usize,
    /// Fractions of non-occluded pixels with error above 1 and 3 px: EPE alone hides whether
    /// a method is a little wrong everywhere or badly wrong somewhere.
    pub noc_over_1px: f64,
    pub noc_over_3px: f64,
}

/// `occluded[i]` marks pixels whose point is hidden or off the image in the next frame
/// (`SynthClip::occluded`). Panics on size mismatch.
pub fn flow_epe(pred: &Flow, gt: &Flow, occluded: &[bool]) -> Epe {
    assert_eq!(
        (pred.width, pred.height),
        (gt.width, gt.height),
        "flow sizes differ"
    );
    let n = gt.width * gt.height;
    assert_eq!(pred.uv.len(), 2 * n);
    assert_eq!(gt.uv.len(), 2 * n);
    assert_eq!(occluded.len(), n);
    let (mut sum, mut sum_noc, mut n_noc, mut over1, mut over3) =
        (0.0, 0.0, 0usize, 0usize, 0usize);
    for (i, &occ) in occluded.iter().enumerate() {
        let du = pred.uv[2 * i] as f64 - gt.uv[2 * i] as f64;
        let dv = pred.uv[2 * i + 1] as f64 - gt.uv[2 * i + 1] as f64;
        let e = (du * du + dv * dv).sqrt();
        sum += e;
        if !occ {
            sum_noc += e;
            n_noc += 1;
            over1 += (e > 1.0) as usize;
            over3 += (e > 3.0) as usize;
        }
    }
    let div = |a: f64, b: usize| if b == 0 { f64::NAN } else { a / b as f64 };
    Epe {
        all: div(sum, n),
        non_occluded: div(sum_noc, n_noc),
        n_all: n,
        n_non_occluded: n_noc,
        noc_over_1px: div(over1 as f64, n_noc),
        noc_over_3px: div(over3 as f64, n_noc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(w: usize, h: usize, f: impl Fn(usize) -> [f32; 2]) -> Flow {
        Flow {
            width: w,
            height: h,
            uv: (0..w * h).flat_map(f).collect(),
        }
    }

    #[test]
    fn perfect_is_zero() {
        let gt = flow(4, 3, |i| [i as f32, -(i as f32) * 0.5]);
        let e = flow_epe(&gt, &gt, &[false; 12]);
        assert_eq!((e.all, e.non_occluded, e.n_non_occluded), (0.0, 0.0, 12));
    }

    #[test]
    fn three_four_five() {
        let gt = flow(4, 3, |i| [i as f32, 1.0]);
        let pred = flow(4, 3, |i| [i as f32 + 3.0, 1.0 - 4.0]);
        let e = flow_epe(&pred, &gt, &[false; 12]);
        assert!((e.all - 5.0).abs() < 1e-12 && (e.non_occluded - 5.0).abs() < 1e-12);
        assert_eq!((e.noc_over_1px, e.noc_over_3px), (1.0, 1.0));
    }

    #[test]
    fn errors_only_where_occluded() {
        // 3 of 12 pixels occluded and wrong by 5 px; the rest exact.
        let occ: Vec<bool> = (0..12).map(|i| i % 4 == 0).collect();
        let gt = flow(4, 3, |_| [2.0, 2.0]);
        let pred = flow(4, 3, |i| if i % 4 == 0 { [5.0, 6.0] } else { [2.0, 2.0] });
        let e = flow_epe(&pred, &gt, &occ);
        assert_eq!(e.n_non_occluded, 9);
        assert_eq!(e.non_occluded, 0.0);
        assert!((e.all - 15.0 / 12.0).abs() < 1e-12, "{}", e.all);
        let none = flow_epe(&pred, &gt, &[true; 12]);
        assert!(none.non_occluded.is_nan());
    }
}
