#![cfg(not(target_arch = "wasm32"))]
//! The shipped lite weights (models/lite-classifier.safetensors): they load with no flags; the
//! classifier finds the sample clip's moving objects and leaves its static parallax object
//! mostly alone, which the motion-only heuristic cannot; the default pipeline finds the movers.

use segmo::motion::classifier::shipped_weights_path;
use segmo::motion::{ClassifierConfig, MotionClassifier};
use segmo::pipeline::{segment_lite, LiteOptions, Scorer};
use segmo::sample::{render, SampleConfig};
use segmo::ComputeDevice;

fn shipped() -> MotionClassifier {
    let bytes = std::fs::read(shipped_weights_path()).expect("models/lite-classifier.safetensors is shipped");
    MotionClassifier::from_file_bytes(&bytes, &ComputeDevice::cpu().device).expect("the shipped weights load")
}

#[test]
fn shipped_weights_load_by_default_as_the_lite_configuration() {
    let clf = shipped();
    assert_eq!(clf.config, ClassifierConfig::lite_residual(segmo::motion::appearance::APPEARANCE_DIM));
}

/// (moving-object J, fraction of the parallax object's pixels labelled moving), over frames.
fn scores(scorer: Scorer) -> (f64, f64) {
    let s = render(&SampleConfig::default());
    let seg = segment_lite(&s.clip, scorer, &LiteOptions::default(), &ComputeDevice::cpu(), |_, _, _| {}).unwrap();
    let (mut j, mut parallax_on, mut parallax) = (0.0, 0usize, 0usize);
    for ((pred, gt), inst) in seg.labels.iter().zip(&s.moving).zip(&s.instances) {
        let (mut inter, mut union) = (0usize, 0usize);
        for ((&p, &g), &k) in pred.labels.iter().zip(&gt.labels).zip(&inst.labels) {
            inter += (p > 0 && g > 0) as usize;
            union += (p > 0 || g > 0) as usize;
            if k == 3 {
                parallax += 1;
                parallax_on += (p > 0) as usize;
            }
        }
        j += if union == 0 { 1.0 } else { inter as f64 / union as f64 };
    }
    (j / seg.labels.len() as f64, parallax_on as f64 / parallax.max(1) as f64)
}

#[test]
fn the_classifier_leaves_the_parallax_object_alone_and_the_default_finds_the_movers() {
    // The default pipeline scores tracks by the mean of the classifier and the motion-only
    // heuristic (better on real footage the classifier never saw; model card), which gives up
    // most of the classifier's parallax rejection on this clip: measured here as a property of
    // the classifier, and the default held to finding the movers.
    let clf = shipped();
    let (j, parallax) = scores(Scorer::Classifier(&clf));
    let (bj, bparallax) = scores(Scorer::Blend(&clf));
    let (hj, hparallax) = scores(Scorer::Heuristic);
    eprintln!(
        "sample: classifier J {j:.3}, parallax object labelled {:.1}%; default (mean with the heuristic) J {bj:.3}, {:.1}%; heuristic J {hj:.3}, {:.1}%",
        parallax * 100.0,
        bparallax * 100.0,
        hparallax * 100.0
    );
    assert!(j > J_MIN && bj > J_MIN, "moving-object J {j} (classifier), {bj} (default)");
    assert!(parallax < PARALLAX_MAX, "{:.1}% of the static parallax object labelled moving", parallax * 100.0);
    assert!(parallax < 0.5 * hparallax, "the classifier should leave parallax alone far better than the heuristic");
}

// Measured with the shipped weights and the default options (extend threshold 0.4): classifier
// J 0.625, parallax 36.8%; default J 0.502, 86.8%; heuristic J 0.478, 87.5%.
const J_MIN: f64 = 0.45;
const PARALLAX_MAX: f64 = 0.45;
