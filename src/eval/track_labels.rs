//! How a scorer's per-track decisions agree with the ground-truth track labels: the balanced
//! accuracy of P(moving) > 0.5, and how many truly moving (static) tracks ended in an object.
//! Separates a classifier's errors from the later stages' when a clip scores badly.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackAgreement {
    pub moving: usize,
    pub still: usize,
    /// Fraction of moving (static) tracks with P > 0.5 (<= 0.5).
    pub recall_moving: f64,
    pub recall_still: f64,
    /// Fraction of moving (static) tracks assigned to an object.
    pub moving_in_objects: f64,
    pub still_in_objects: f64,
}

impl TrackAgreement {
    /// `truth` 1.0 = moving; `probs` P(moving); `object` 0 = none.
    pub fn of(truth: &[f32], probs: &[f32], object: &[u8]) -> Self {
        let frac = |num: usize, den: usize| if den == 0 { f64::NAN } else { num as f64 / den as f64 };
        let (mut moving, mut still, mut hit_m, mut hit_s, mut obj_m, mut obj_s) = (0, 0, 0, 0, 0, 0);
        for ((&y, &p), &o) in truth.iter().zip(probs).zip(object) {
            if y > 0.5 {
                moving += 1;
                hit_m += (p > 0.5) as usize;
                obj_m += (o > 0) as usize;
            } else {
                still += 1;
                hit_s += (p <= 0.5) as usize;
                obj_s += (o > 0) as usize;
            }
        }
        Self {
            moving,
            still,
            recall_moving: frac(hit_m, moving),
            recall_still: frac(hit_s, still),
            moving_in_objects: frac(obj_m, moving),
            still_in_objects: frac(obj_s, still),
        }
    }

    pub fn balanced_accuracy(&self) -> f64 {
        (self.recall_moving + self.recall_still) / 2.0
    }
}

impl fmt::Display for TrackAgreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tracks {}+{}: bacc {:.3}, in objects {:.0}% of moving / {:.1}% of static",
            self.moving,
            self.still,
            self.balanced_accuracy(),
            100.0 * self.moving_in_objects,
            100.0 * self.still_in_objects
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_of_error() {
        let truth = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let probs = [0.9, 0.2, 0.1, 0.7, 0.3, 0.4];
        let object = [1, 0, 0, 2, 0, 0];
        let a = TrackAgreement::of(&truth, &probs, &object);
        assert_eq!((a.moving, a.still), (2, 4));
        assert_eq!((a.recall_moving, a.recall_still), (0.5, 0.75));
        assert_eq!((a.moving_in_objects, a.still_in_objects), (0.5, 0.25));
        assert!((a.balanced_accuracy() - 0.625).abs() < 1e-12);
    }
}
