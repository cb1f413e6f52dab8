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
