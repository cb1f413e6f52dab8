//! Shape checks at the module boundary, so that every loop inside can index without checks
//! failing. Values are not checked: non-finite flow is handled as unreliable (see
//! `reliability`), because the GPU path cannot stop to report it either.

use super::{Reliability, TrackError};
use crate::tracks::{Flow, Gray};

/// A flow field's own consistency, and its size against `expected` when given.
pub(crate) fn flow(f: &Flow, what: &str, expected: Option<(usize, usize)>) -> Result<(), TrackError> {
    if f.width == 0 || f.height == 0 {
        return Err(TrackError::EmptyImage { width: f.width, height: f.height });
    }
    if let Some(e) = expected {
        if (f.width, f.height) != e {
            return Err(TrackError::SizeMismatch {
                what: what.into(),
                expected: e,
                got: (f.width, f.height),
            });
        }
    }
    let n = 2 * f.width * f.height;
    if f.uv.len() != n {
        return Err(TrackError::BadLength { what: what.into(), expected: n, got: f.uv.len() });
    }
    Ok(())
}

/// T - 1 forward and backward flows, all of one size; returns (T, width, height).
pub(crate) fn flows(
    fw: &[Flow],
    bw: &[Flow],
    size: Option<(usize, usize)>,
) -> Result<(usize, usize, usize), TrackError> {
    let pairs = fw.len();
    if bw.len() != pairs {
        return Err(TrackError::CountMismatch { what: "backward flows", expected: pairs, got: bw.len() });
    }
    if pairs == 0 {
        // Flows alone cannot say whether the clip had 0 or 1 frames; either is too few.
        return Err(TrackError::TooFewFrames { frames: 1 });
    }
    let size = size.unwrap_or((fw[0].width, fw[0].height));
    for (i, f) in fw.iter().enumerate() {
        flow(f, &format!("forward flow {i}"), Some(size))?;
    }
    for (i, f) in bw.iter().enumerate() {
        flow(f, &format!("backward flow {i}"), Some(size))?;
    }
    Ok((pairs + 1, size.0, size.1))
}

/// Frames and flows of one clip; returns (T, width, height).
pub(crate) fn clip(frames: &[Gray], fw: &[Flow], bw: &[Flow]) -> Result<(usize, usize, usize), TrackError> {
    let t = frames.len();
    if t < 2 {
        return Err(TrackError::TooFewFrames { frames: t });
    }
    let size = (frames[0].width, frames[0].height);
    if size.0 == 0 || size.1 == 0 {
        return Err(TrackError::EmptyImage { width: size.0, height: size.1 });
    }
    for (i, g) in frames.iter().enumerate() {
        let what = format!("frame {i}");
        if (g.width, g.height) != size {
            return Err(TrackError::SizeMismatch { what, expected: size, got: (g.width, g.height) });
        }
        if g.data.len() != size.0 * size.1 {
            return Err(TrackError::BadLength { what, expected: size.0 * size.1, got: g.data.len() });
        }
    }
    for (what, n) in [("forward flows", fw.len()), ("backward flows", bw.len())] {
        if n != t - 1 {
            return Err(TrackError::CountMismatch { what, expected: t - 1, got: n });
        }
    }
    flows(fw, bw, Some(size))
}

/// One reliability pair per flow pair, of the flows' size.
pub(crate) fn reliabilities(
    rel: &[Reliability],
    pairs: usize,
    size: (usize, usize),
) -> Result<(), TrackError> {
    if rel.len() != pairs {
        return Err(TrackError::CountMismatch { what: "reliability maps", expected: pairs, got: rel.len() });
    }
    for (i, r) in rel.iter().enumerate() {
        let what = format!("reliability map {i}");
        if (r.width, r.height) != size {
            return Err(TrackError::SizeMismatch { what, expected: size, got: (r.width, r.height) });
        }
        let n = size.0 * size.1;
        if r.fw_err.len() != n || r.bw_err.len() != n {
            let got = if r.fw_err.len() != n { r.fw_err.len() } else { r.bw_err.len() };
            return Err(TrackError::BadLength { what, expected: n, got });
        }
    }
    Ok(())
}

/// Query points `[x, y, t]`: t an integer frame index of a `frames`-long clip, (x, y) inside
/// the image.
pub(crate) fn queries(queries: &[[f32; 3]], frames: usize, width: usize, height: usize) -> Result<(), TrackError> {
    for (index, q) in queries.iter().enumerate() {
        let bad = |reason: String| Err(TrackError::BadQuery { index, reason });
        if !(q[2] >= 0.0 && q[2] <= (frames - 1) as f32 && q[2].fract() == 0.0) {
            return bad(format!("frame {} is not an integer in 0..={}", q[2], frames - 1));
        }
        if !super::sample::inside(q[0], q[1], width, height) {
            return bad(format!("({}, {}) is outside the {width}x{height} image", q[0], q[1]));
        }
    }
    Ok(())
}
