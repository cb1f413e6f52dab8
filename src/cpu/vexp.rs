//! `2^x` for `x <= 0` from f32 arithmetic and bit operations only, so loops that call it
//! vectorise (libm's `expf` is a call per element, which no compiler vectorises).

/// `2^x` for `x <= 0` (relative error ~2e-7); 0 below f32's normal range, 0 for -inf.
#[inline(always)]
pub fn exp2_nonpositive(x: f32) -> f32 {
    // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    // Not `x.max(-126.0)`: wasm has no instruction for f32::max's NaN rule, so it is a libm
    // call per element there and the loop stops vectorising. Same result (NaN gives -126).
    let v = if x > -126.0 { x } else { -126.0 };
    let t = v + ROUND;
    let n = t - ROUND;
    let f = (v - n) * std::f32::consts::LN_2;
    // e^f to f^6 / 720 for |f| <= ln2 / 2.
    let p = 1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0))))));
    let below = if x < -126.0 { 0.0 } else { 1.0 };
    // `t`'s low mantissa bits hold n (its bits are 0x4B40_0000 + n): 2^n's exponent field is
    // n + 127. Integer bit arithmetic, unlike a saturating `as i32`, vectorises.
    let scale = f32::from_bits(t.to_bits().wrapping_sub(0x4B40_0000 - 127) << 23);
    p * scale * below
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_exp2_over_the_range() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -(i as f32) * 0.0006;
            let want = (x as f64).exp2();
            let got = exp2_nonpositive(x) as f64;
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 3e-7, "worst relative error {worst:e}");
        assert_eq!(exp2_nonpositive(0.0), 1.0);
        assert_eq!(exp2_nonpositive(-200.0), 0.0);
        assert_eq!(exp2_nonpositive(f32::NEG_INFINITY), 0.0);
    }
}
