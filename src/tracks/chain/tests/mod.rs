//! Tests on clips with exact, analytic flow (no flow estimator): errors are then due to the
//! builder alone.

mod edge;
mod rotate;
mod scene;
mod translate;

use crate::tracks::Tracks;

/// (position, visible, confidence) of track j at frame t.
pub(super) fn at(tr: &Tracks, t: usize, j: usize) -> ([f32; 2], bool, f32) {
    let i = t * tr.n + j;
    (tr.xy[i], tr.visible[i], tr.confidence[i])
}

/// Every array has the size `Tracks` promises, and the basic invariants hold.
pub(super) fn check_shape(tr: &Tracks) {
    let m = tr.frames * tr.n;
    assert_eq!((tr.xy.len(), tr.visible.len(), tr.confidence.len()), (m, m, m));
    assert_eq!(tr.query_frame.len(), tr.n);
    for j in 0..tr.n {
        let q = tr.query_frame[j] as usize;
        assert!(q < tr.frames);
        assert!(at(tr, q, j).1, "track {j} not visible at its query frame {q}");
    }
    for i in 0..m {
        assert!(tr.xy[i][0].is_finite() && tr.xy[i][1].is_finite(), "non-finite position at {i}");
        let c = tr.confidence[i];
        assert!((0.0..=1.0).contains(&c), "confidence {c} at {i}");
        if !tr.visible[i] {
            assert_eq!(c, 0.0);
        }
    }
}
