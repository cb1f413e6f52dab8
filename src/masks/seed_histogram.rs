//! Per-class histograms of some quantity (a colour bin, a change level) at the seeds, turned
//! into P(object | bin). Shared by the densifier's colour and motion priors, which differ only in
//! what they bin.
//!
//! Each class is normalised by its own count, because an object holds far fewer seeds than the
//! background and counting would make every bin look like background; add-`smoothing` per bin
//! pulls bins with few samples toward 0.5, so rare evidence counts for little (with many bins,
//! as the colour prior's 4096, an unseen bin stays about neutral).

pub struct SeedHistograms {
    object: Vec<f32>,
    background: Vec<f32>,
}

impl SeedHistograms {
    pub fn new(bins: usize) -> Self {
        Self { object: vec![0.0; bins], background: vec![0.0; bins] }
    }

    pub fn add(&mut self, bin: usize, is_object: bool) {
        if is_object {
            self.object[bin] += 1.0;
        } else {
            self.background[bin] += 1.0;
        }
    }

    /// P(object | bin) for every bin; None when either class has no sample.
    pub fn object_probability(&self, smoothing: f32) -> Option<Vec<f32>> {
        let n_obj: f32 = self.object.iter().sum();
        let n_bg: f32 = self.background.iter().sum();
        if n_obj == 0.0 || n_bg == 0.0 {
            return None;
        }
        let spread = smoothing * self.object.len() as f32;
        Some(
            self.object
                .iter()
                .zip(&self.background)
                .map(|(&o, &b)| {
                    let po = (o + smoothing) / (n_obj + spread);
                    let pb = (b + smoothing) / (n_bg + spread);
                    po / (po + pb)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_weigh_equally_and_empty_bins_stay_neutral() {
        let mut h = SeedHistograms::new(4);
        // One object sample in bin 0 against a hundred background ones in bin 1.
        h.add(0, true);
        for _ in 0..100 {
            h.add(1, false);
        }
        let p = h.object_probability(0.01).unwrap();
        assert!(p[0] > 0.95 && p[1] < 0.05, "{p:?}");
        assert!((p[3] - p[2]).abs() < 1e-6, "{p:?}");
        // Half the object's samples in a bin and half the background's: neutral, not 1:100.
        h.add(1, true);
        for _ in 0..100 {
            h.add(0, false);
        }
        let p = h.object_probability(0.01).unwrap();
        assert!((p[0] - 0.5).abs() < 0.01 && (p[1] - 0.5).abs() < 0.01, "{p:?}");
        // With as many samples in each class, a bin neither showed is exactly neutral.
        let mut even = SeedHistograms::new(3);
        even.add(0, true);
        even.add(1, false);
        assert_eq!(even.object_probability(0.5).unwrap()[2], 0.5);
    }

    #[test]
    fn one_class_alone_gives_no_model() {
        let mut h = SeedHistograms::new(3);
        assert!(h.object_probability(0.5).is_none());
        h.add(2, false);
        assert!(h.object_probability(0.5).is_none());
        h.add(0, true);
        assert!(h.object_probability(0.5).is_some());
    }
}
