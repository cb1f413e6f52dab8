//! Typed failures of the trajectory builder: every one names the offending item and numbers.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum TrackError {
    /// Tracks need motion, so at least one frame pair. Also returned for T = 0.
    TooFewFrames { frames: usize },
    /// A frame or flow field of width or height 0.
    EmptyImage { width: usize, height: usize },
    /// `what` (e.g. "frame 3", "forward flow 2") differs in size from frame 0.
    SizeMismatch { what: String, expected: (usize, usize), got: (usize, usize) },
    /// A buffer's length disagrees with its declared width and height.
    BadLength { what: String, expected: usize, got: usize },
    /// Forward/backward flows or reliability maps: there must be exactly T - 1 of each.
    CountMismatch { what: &'static str, expected: usize, got: usize },
    /// A query point outside the clip (position or frame), non-finite, or at a fractional frame.
    BadQuery { index: usize, reason: String },
    /// An option out of range (e.g. `query_every` = 0).
    BadOption(String),
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackError::TooFewFrames { frames } => {
                write!(f, "point tracking needs at least 2 frames, got {frames}")
            }
            TrackError::EmptyImage { width, height } => write!(f, "image size {width}x{height} is empty"),
            TrackError::SizeMismatch { what, expected, got } => {
                write!(f, "{what} is {}x{} but frame 0 is {}x{}", got.0, got.1, expected.0, expected.1)
            }
            TrackError::BadLength { what, expected, got } => {
                write!(f, "{what} holds {got} values, expected {expected}")
            }
            TrackError::CountMismatch { what, expected, got } => {
                write!(f, "expected {expected} {what} (one per frame pair), got {got}")
            }
            TrackError::BadQuery { index, reason } => write!(f, "query {index}: {reason}"),
            TrackError::BadOption(msg) => write!(f, "bad tracking option: {msg}"),
        }
    }
}

impl std::error::Error for TrackError {}
