//! A video clip held in memory: the input type every stage starts from.

use crate::error::SegmoError;

/// T frames of RGBA8 pixels, all of one size, row-major, 4 bytes a pixel.
#[derive(Clone, Debug)]
pub struct Clip {
    pub width: u32,
    pub height: u32,
    pub frames: Vec<Vec<u8>>,
}

impl Clip {
    /// Checks sizes so later stages can index without bounds surprises.
    pub fn new(width: u32, height: u32, frames: Vec<Vec<u8>>) -> Result<Self, SegmoError> {
        if width == 0 || height == 0 {
            return Err(SegmoError::BadInput(format!("clip size {width}x{height} is empty")));
        }
        let expected = width as usize * height as usize * 4;
        for (i, f) in frames.iter().enumerate() {
            if f.len() != expected {
                return Err(SegmoError::BadInput(format!(
                    "frame {i} has {} bytes, expected {expected} ({width}x{height} RGBA8)",
                    f.len()
                )));
            }
        }
        Ok(Self { width, height, frames })
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Luma in [0,1] (BT.601 weights), the input of the motion baseline and trackers.
    pub fn gray(&self, t: usize) -> Vec<f32> {
        self.frames[t]
            .chunks_exact(4)
            .map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0)
            .collect()
    }
}

/// One label map per frame: 0 = background, k = object k.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelMap {
    pub width: u32,
    pub height: u32,
    pub labels: Vec<u8>,
}

impl LabelMap {
    pub fn zeros(width: u32, height: u32) -> Self {
        Self { width, height, labels: vec![0; width as usize * height as usize] }
    }
}

/// One object of a segmented clip, as the JS API reports it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSummary {
    pub id: u8,
    /// First and last frame (inclusive) where the object has pixels.
    pub first_frame: usize,
    pub last_frame: usize,
    /// Frames where it has pixels.
    pub frames: usize,
    /// Mean share of the frame it covers over those frames, in [0, 1].
    pub area: f64,
}

/// The objects present in `maps`, by id.
pub fn summarize(maps: &[LabelMap]) -> Vec<ObjectSummary> {
    let mut pixels: Vec<Vec<usize>> = vec![vec![0; maps.len()]; 256];
    for (t, m) in maps.iter().enumerate() {
        for &l in &m.labels {
            pixels[l as usize][t] += 1;
        }
    }
    (1..256)
        .filter_map(|id| {
            let counts = &pixels[id];
            let first = counts.iter().position(|&c| c > 0)?;
            let last = counts.iter().rposition(|&c| c > 0)?;
            let present: Vec<f64> = counts.iter().zip(maps).filter(|(&c, _)| c > 0).map(|(&c, m)| c as f64 / m.labels.len() as f64).collect();
            Some(ObjectSummary {
                id: id as u8,
                first_frame: first,
                last_frame: last,
                frames: present.len(),
                area: present.iter().sum::<f64>() / present.len() as f64,
            })
        })
        .collect()
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn objects_are_summarized_by_id() {
        let map = |l: [u8; 4]| LabelMap { width: 2, height: 2, labels: l.to_vec() };
        let s = summarize(&[map([0, 0, 0, 0]), map([2, 2, 0, 1]), map([0, 2, 0, 0])]);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].id, s[0].first_frame, s[0].last_frame, s[0].frames), (1, 1, 1, 1));
        assert!((s[0].area - 0.25).abs() < 1e-12);
        assert_eq!((s[1].id, s[1].first_frame, s[1].last_frame, s[1].frames), (2, 1, 2, 2));
        assert!((s[1].area - 0.375).abs() < 1e-12);
    }
}
