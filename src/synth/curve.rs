//! Scalar functions of the frame index that drive every motion and brightness parameter.

use super::detmath::dsin;

/// value(t) = c + v t + a t^2 / 2 + amp sin(freq t + phase). Polynomial terms give steady
/// drifts and accelerations; the sine gives bounded back-and-forth motion, so long clips keep
/// objects in view.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Curve {
    pub c: f64,
    pub v: f64,
    pub a: f64,
    pub amp: f64,
    pub freq: f64,
    pub phase: f64,
}

impl Curve {
    pub const fn constant(c: f64) -> Self {
        Curve {
            c,
            v: 0.0,
            a: 0.0,
            amp: 0.0,
            freq: 0.0,
            phase: 0.0,
        }
    }

    pub const fn linear(c: f64, v: f64) -> Self {
        Curve {
            c,
            v,
            a: 0.0,
            amp: 0.0,
            freq: 0.0,
            phase: 0.0,
        }
    }

    pub const fn wave(c: f64, amp: f64, freq: f64, phase: f64) -> Self {
        Curve {
            c,
            v: 0.0,
            a: 0.0,
            amp,
            freq,
            phase,
        }
    }

    /// Adds a sine on top of whatever the curve already does.
    pub const fn plus_wave(self, amp: f64, freq: f64, phase: f64) -> Self {
        Curve {
            amp,
            freq,
            phase,
            ..self
        }
    }

    pub const fn with_accel(self, a: f64) -> Self {
        Curve { a, ..self }
    }

    pub fn at(&self, t: f64) -> f64 {
        let mut x = self.c + self.v * t + 0.5 * self.a * t * t;
        if self.amp != 0.0 {
            x += self.amp * dsin(self.freq * t + self.phase);
        }
        x
    }

    /// Scales every term: turns a curve designed for a 256 px frame into one for another size.
    pub fn scaled(&self, k: f64) -> Self {
        Curve {
            c: self.c * k,
            v: self.v * k,
            a: self.a * k,
            amp: self.amp * k,
            ..*self
        }
    }

    /// Upper bound of |d value / dt|, for speed limits in scene builders and tests.
    pub fn max_rate(&self, frames: usize) -> f64 {
        let tmax = frames.saturating_sub(1) as f64;
        (self.v.abs() + self.a.abs() * tmax) + self.amp.abs() * self.freq.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_all_terms() {
        let c = Curve::linear(1.0, 2.0)
            .with_accel(4.0)
            .plus_wave(3.0, 0.5, 0.25);
        let t = 3.0f64;
        let want = 1.0 + 2.0 * t + 2.0 * t * t + 3.0 * (0.5 * t + 0.25).sin();
        assert!((c.at(t) - want).abs() < 1e-12);
        assert_eq!(Curve::constant(5.0).at(100.0), 5.0);
        assert!((c.scaled(2.0).at(t) - 2.0 * want).abs() < 1e-12);
    }

    #[test]
    fn max_rate_bounds_the_slope() {
        let c = Curve::linear(0.0, -1.5)
            .with_accel(0.1)
            .plus_wave(10.0, 0.3, 1.0);
        let bound = c.max_rate(24);
        for i in 0..230 {
            let t = i as f64 * 0.1;
            let slope = (c.at(t + 1e-4) - c.at(t)) / 1e-4;
            assert!(slope.abs() <= bound + 1e-3, "{t}: {slope} > {bound}");
        }
    }
}
