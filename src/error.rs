//! One error type for the whole crate, so the CLI and JS see the same messages.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SegmoError {
    /// Input the user gave us is unusable (empty clip, mismatched sizes, ...).
    #[error("bad input: {0}")]
    BadInput(String),
    /// A file could not be read or written; names the path.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// No GPU adapter (or no WebGPU in this browser) when one was asked for explicitly.
    #[error("no GPU: {0}")]
    NoAdapter(String),
    /// Work that cannot fit the adapter's limits (a buffer or dispatch size), with both numbers.
    #[error("{what} needs {requested} but the adapter allows at most {limit}")]
    OverLimits { what: String, requested: u64, limit: u64 },
    /// The GPU failed while running (device lost, out of memory, validation error).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// Shapes handed to a kernel or model do not agree.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The point tracker rejected its input (too few frames, mismatched sizes, bad options).
    #[error("tracks: {0}")]
    Tracks(#[from] crate::tracks::TrackError),
    /// A weights file is unreadable or belongs to another model; names the tensor at fault.
    #[error("{0}")]
    Weights(#[from] crate::weights::WeightsError),
    /// Evaluation input problems (missing masks, count mismatch).
    #[error("eval: {0}")]
    Eval(String),
}

impl SegmoError {
    pub fn io(path: impl AsRef<std::path::Path>, err: impl std::fmt::Display) -> Self {
        SegmoError::Io { path: path.as_ref().display().to_string(), message: err.to_string() }
    }
}

pub type Result<T, E = SegmoError> = std::result::Result<T, E>;
