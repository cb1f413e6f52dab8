#![cfg(not(target_arch = "wasm32"))]
//! The shipped lite weights (models/lite-classifier.safetensors): they load with no flags; the
//! classifier, the motion-only heuristic (plane plus parallax) and the default (their mean)
//! find the sample clip's moving objects and leave its static parallax object mostly alone.

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
    scores_on(&SampleConfig::default(), scorer)
}

fn scores_on(config: &SampleConfig, scorer: Scorer) -> (f64, f64) {
    let s = render(config);
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
fn every_scorer_finds_the_movers_and_leaves_the_parallax_object_mostly_alone() {
    // The parallax object stands off the dominant (background) plane: the classifier learned to
    // leave such objects alone from synthetic scenes, the heuristic explains their parallax by
    // the camera's translation that the plane's homography decomposes into.
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
    for (name, j, p, most) in [("classifier", j, parallax, CLASSIFIER_PARALLAX_MAX), ("default", bj, bparallax, PARALLAX_MAX), ("heuristic", hj, hparallax, PARALLAX_MAX)] {
        assert!(j > J_MIN, "{name}: moving-object J {j}");
        assert!(p < most, "{name}: {:.1}% of the static parallax object labelled moving", p * 100.0);
    }
}

// Measured with the shipped weights and the default options (extend threshold 0.4, 10000
// tracks): classifier J 0.618, parallax 63.6%; default J 0.728, 26.7%; heuristic J 0.791,
// 10.8%. At 5000 tracks: classifier J 0.625, 36.8%; default J 0.674, 19.8%; heuristic J 0.724,
// 4.5% (before the heuristic's plane-plus-parallax test: default J 0.502, 86.8%; heuristic J
// 0.478, 87.5%).
const J_MIN: f64 = 0.45;
const PARALLAX_MAX: f64 = 0.45;
// The classifier alone (`--method classifier`, not the default) learned parallax from
// synthetic scenes only partly: with twice the tracks, more of the parallax object's tracks
// clear the threshold and seed it (36.8% -> 63.6%; the model card's "parallax problem stays
// open"). The bound still catches a classifier that labels the whole object moving.
const CLASSIFIER_PARALLAX_MAX: f64 = 0.75;

#[test]
fn the_default_finds_both_movers_of_a_short_small_clip() {
    // The browser test's clip (tests/web_pipeline.rs): 12 frames at 192x128. A heuristic that
    // let parallax explain a mover whenever one pair happened to fit lost one of its two
    // objects here (J 0.379).
    let clf = shipped();
    let (j, _) = scores_on(&SampleConfig { width: 192, height: 128, frames: 12, seed: 3 }, Scorer::Blend(&clf));
    eprintln!("default on the 12-frame 192x128 sample: J {j:.3}");
    assert!(j > 0.5, "J {j}");
}
