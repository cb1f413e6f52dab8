//! Tests on clips with exact, analytic flow (no flow estimator): errors are then due to the
//! builder alone.

mod edge;
mod rotate;
mod scene;
mod translate;

use crate::tracks::chain::Thresholds;
use crate::tracks::{Gray, Tracks};

/// Default thresholds without window refinement. These tests give the builder exact flow and
/// check that chaining alone reproduces the true motion to 0.05 px; refinement, built to
/// correct an estimated flow, would add its own sub-pixel noise (up to ~0.5 px on these
/// near-Nyquist sine textures). It is tested on its own (`refine`), on biased flow
/// (`translate::refinement_removes_a_flow_bias`) and on the synthetic suite.
pub(super) fn exact() -> Thresholds {
    Thresholds { refine_max_shift: 0.0, ..Default::default() }
}

/// T flat grey frames: window refinement finds no texture there and leaves every step to the
/// flow, for tests of the flow-chaining logic on made-up flows.
pub(super) fn flat(w: usize, h: usize, t: usize) -> Vec<Gray> {
    vec![Gray { width: w, height: h, data: vec![0.5; w * h] }; t]
}

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
