//! Platform-independent maths. Only IEEE `+ - * / sqrt` and exact rounding functions are used,
//! with our own sine, because std's `sin`/`cos`/`powf` defer to the platform libm, whose
//! last-ulp results differ between targets (wasm32 vs native), and one ulp is enough to flip a
//! quantised byte or a pixel-centre inside test.

pub const PI: f64 = std::f64::consts::PI;
pub const TAU: f64 = std::f64::consts::TAU;
const HALF_PI: f64 = std::f64::consts::FRAC_PI_2;

/// Sine from + and * only (error < 1e-13 for |x| < 1e4).
pub fn dsin(x: f64) -> f64 {
    let r = x - (x / TAU).round() * TAU;
    let r = if r > HALF_PI {
        PI - r
    } else if r < -HALF_PI {
        -PI - r
    } else {
        r
    };
    let r2 = r * r;
    // Taylor series to r^19 in Horner form; the remainder at pi/2 is below 1e-15.
    const C: [f64; 10] = [
        1.0,
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
        1.0 / 355_687_428_096_000.0,
        -1.0 / 121_645_100_408_832_000.0,
    ];
    let mut p = C[9];
    for &c in C[..9].iter().rev() {
        p = p * r2 + c;
    }
    p * r
}

pub fn dcos(x: f64) -> f64 {
    dsin(x + HALF_PI)
}

/// SplitMix64 finaliser: a full-avalanche 64-bit mix.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a lattice cell: one finaliser round over multiplicatively spread coordinates is
/// cheap enough for per-texel noise and still decorrelates neighbouring cells.
pub fn hash2(a: i64, b: i64, salt: u64) -> u64 {
    mix64(
        (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ salt,
    )
}

/// Uniform in [0, 1) from the top 53 bits.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// floor() without a libm call (x86-64's baseline has no rounding instruction and this runs per
/// texel). Exact for |x| < 2^53.
pub fn ffloor(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// floor(x) as an integer from a single truncation (same value as `ffloor(x) as i64`): hot
/// loops need both the integer and the float, and the second conversion is pure latency.
pub fn floor_i64(x: f64) -> i64 {
    let i = x as i64;
    if (i as f64) > x {
        i - 1
    } else {
        i
    }
}

pub fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

pub fn lerp3(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    [
        lerp(a[0], b[0], t),
        lerp(a[1], b[1], t),
        lerp(a[2], b[2], t),
    ]
}

pub fn smoothstep(f: f64) -> f64 {
    let f = clamp01(f);
    f * f * (3.0 - 2.0 * f)
}

/// PCG32 (XSH-RR): a small, well-tested generator so scene sampling needs no `rand` crate and
/// gives the same stream on every target.
#[derive(Clone, Debug)]
pub struct Pcg32 {
    state: u64,
    inc: u64,
}

impl Pcg32 {
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut r = Pcg32 {
            state: 0,
            inc: (stream << 1) | 1,
        };
        r.next_u32();
        r.state = r.state.wrapping_add(mix64(seed));
        r.next_u32();
        r
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        let hi = (self.next_u32() as u64) << 21;
        let lo = (self.next_u32() >> 11) as u64;
        (hi | lo) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform integer in 0..n (n > 0); Lemire-free modulo is fine for the small n used here.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u32() as u64 * n as u64) >> 32) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// +1 or -1.
    pub fn sign(&mut self) -> f64 {
        if self.next_u32() & 1 == 0 {
            1.0
        } else {
            -1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_sine_matches_std() {
        let mut x = -300.0;
        while x < 300.0 {
            assert!((dsin(x) - x.sin()).abs() < 1e-12, "sin {x}");
            assert!((dcos(x) - x.cos()).abs() < 1e-12, "cos {x}");
            x += 0.0137;
        }
    }

    #[test]
    fn floor_matches_std() {
        for x in [
            -2.5,
            -2.0,
            -1e-300,
            0.0,
            0.3,
            7.0,
            7.999,
            -7.001,
            1e15 + 0.5,
        ] {
            assert_eq!(ffloor(x), x.floor(), "{x}");
            assert_eq!(floor_i64(x) as f64, x.floor(), "{x}");
        }
    }

    #[test]
    fn pcg_is_uniform_and_seeded() {
        let mut a = Pcg32::new(1, 0);
        let mut b = Pcg32::new(2, 0);
        let xs: Vec<f64> = (0..20_000).map(|_| a.next_f64()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        let ys: Vec<f64> = (0..100).map(|_| b.next_f64()).collect();
        assert_ne!(xs[..100], ys[..]);
        let counts = (0..30_000).fold([0usize; 3], |mut c, _| {
            c[a.below(3)] += 1;
            c
        });
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
