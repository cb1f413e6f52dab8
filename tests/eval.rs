//! Tests for `segmo::eval`: hand-worked J/F cases, the statistics, folder
//! loading and its errors, and agreement with numbers produced by the
//! official DAVIS evaluation code (tests/fixtures/davis_eval/).
//!
//! `segmo::eval` needs the `cli` feature (image decoding, JSON).
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::path::{Path, PathBuf};

use segmo::eval::{
    boundary_f, evaluate_dirs, region_j, score_sequence, EvalError, EvalOptions, EvalReport,
    SequenceScore, Stats,
};

const TH: f64 = 0.008;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol || (a.is_nan() && b.is_nan())
}

/// A `w` x `h` mask with the rectangle rows `r0..=r1`, cols `c0..=c1` set.
fn rect(w: usize, h: usize, r0: usize, r1: usize, c0: usize, c1: usize) -> Vec<bool> {
    let mut m = vec![false; w * h];
    for y in r0..=r1 {
        for x in c0..=c1 {
            m[y * w + x] = true;
        }
    }
    m
}

// ---------------------------------------------------------------- J and F by hand

#[test]
fn identical_masks_score_one() {
    let m = rect(6, 6, 1, 3, 2, 4);
    assert_eq!(region_j(&m, &m), 1.0);
    assert_eq!(boundary_f(&m, &m, 6, 6, TH), 1.0);
}

#[test]
fn disjoint_masks_score_zero() {
    // 6x6, tolerance radius ceil(0.008 * sqrt(72)) = 1, i.e. a plus-shaped
    // 3x3 disk. PRED = rows 0-1, cols 0-1; its boundary map (a pixel that
    // differs from its E, S or SE neighbour) is {(0,1), (1,0), (1,1)}.
    // GT = rows 3-4, cols 3-4; its boundary is the 8-pixel ring around
    // (3,3) (the perimeter of rows 2-4 x cols 2-4), nearest pixel (2,2),
    // two steps from (1,1). No match either way: P = R = 0, F = 0.
    let pred = rect(6, 6, 0, 1, 0, 1);
    let gt = rect(6, 6, 3, 4, 3, 4);
    assert_eq!(region_j(&pred, &gt), 0.0);
    assert_eq!(boundary_f(&pred, &gt, 6, 6, TH), 0.0);
}

#[test]
fn one_pixel_shift_10x8() {
    // 10 wide, 8 high; GT block rows 2-5, cols 2-5; PRED the same block
    // shifted right by one (cols 3-6).
    // J: intersection 4 rows x 3 cols = 12, union 4 x 5 = 20 -> 0.6.
    // F: the boundary map of a block is the perimeter of the block grown
    // by one pixel up and left: GT rows 1-5 x cols 1-5, PRED rows 1-5 x
    // cols 2-6, 16 pixels each. Radius ceil(0.008 * sqrt(164)) = 1 (plus
    // shape). Every PRED boundary pixel lies on, or next to, a GT boundary
    // pixel and vice versa: 16/16 both ways, so F = 1 although J = 0.6.
    let gt = rect(10, 8, 2, 5, 2, 5);
    let pred = rect(10, 8, 2, 5, 3, 6);
    assert!(close(region_j(&pred, &gt), 0.6, 1e-12));
    assert!(close(boundary_f(&pred, &gt, 10, 8, TH), 1.0, 1e-12));
}

#[test]
fn two_pixel_shift_10x8() {
    // As above but PRED at cols 4-7; its boundary perimeter is rows 1-5 x
    // cols 3-7. J = (4 x 2) / (4 x 6) = 1/3.
    // Precision: PRED top row x = 3..6 match (on GT's top row or next to
    // (1,5)), (1,7) does not; same for the bottom row; left column x = 3:
    // (2,3) touches GT's (1,3), (4,3) touches (5,3), (3,3) touches nothing;
    // right column x = 7 touches nothing. 4 + 4 + 2 = 10 of 16.
    // Recall: the mirror image, 10 of 16. F = 0.625.
    let gt = rect(10, 8, 2, 5, 2, 5);
    let pred = rect(10, 8, 2, 5, 4, 7);
    assert!(close(region_j(&pred, &gt), 1.0 / 3.0, 1e-12));
    assert!(close(boundary_f(&pred, &gt, 10, 8, TH), 0.625, 1e-12));
}

#[test]
fn a_pixel_tolerance_widens_matches() {
    // Same two-pixel shift with bound_th = 2 (>= 1 means pixels): every
    // boundary pixel is within a radius-2 disk of the other boundary.
    let gt = rect(10, 8, 2, 5, 2, 5);
    let pred = rect(10, 8, 2, 5, 4, 7);
    assert!(close(boundary_f(&pred, &gt, 10, 8, 2.0), 1.0, 1e-12));
}

#[test]
fn empty_masks_follow_official_edge_cases() {
    let empty = vec![false; 36];
    let blob = rect(6, 6, 2, 3, 2, 3);
    // Nothing to find and nothing found.
    assert_eq!(region_j(&empty, &empty), 1.0);
    assert_eq!(boundary_f(&empty, &empty, 6, 6, TH), 1.0);
    // Missed object: precision 1, recall 0.
    assert_eq!(region_j(&empty, &blob), 0.0);
    assert_eq!(boundary_f(&empty, &blob, 6, 6, TH), 0.0);
    // Hallucinated object: precision 0, recall 1.
    assert_eq!(region_j(&blob, &empty), 0.0);
    assert_eq!(boundary_f(&blob, &empty, 6, 6, TH), 0.0);
}

#[test]
fn full_frame_masks_have_no_boundary() {
    // Every pixel equals its neighbours, so both boundary maps are empty,
    // which the official code scores as a perfect F.
    let full = vec![true; 6 * 6];
    assert_eq!(boundary_f(&full, &full, 6, 6, TH), 1.0);
}

// ---------------------------------------------------------------- statistics

#[test]
fn mean_recall_decay_of_a_made_up_sequence() {
    let v = [1.0, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2];
    let s = Stats::of(&v);
    // Mean 4.7 / 8.
    assert!(close(s.mean, 0.5875, 1e-12));
    // Recall counts values strictly above 0.5: 1.0, 0.9, 0.8, 0.6.
    assert!(close(s.recall, 0.5, 1e-12));
    // Bins: linspace(1, 8, 5) = 1, 2.75, 4.5, 6.25, 8 -> rounded half up
    // 1, 3, 5, 6, 8 -> minus one 0, 2, 4, 5, 7. First bin v[0..=2] has
    // mean 0.9, last bin v[5..=7] has mean 0.3: decay 0.6.
    assert!(close(s.decay, 0.6, 1e-12));
}

#[test]
fn decay_of_short_sequences() {
    // One frame: every bin is that frame.
    assert_eq!(Stats::of(&[0.7]).decay, 0.0);
    // Two frames: ids 0, 0, 1, 1, 1 -> first bin v[0..=0], last v[1..=1].
    assert!(close(Stats::of(&[0.9, 0.4]).decay, 0.5, 1e-12));
    assert!(Stats::of(&[]).mean.is_nan());
}

#[test]
fn score_sequence_and_first_last_skipping() {
    let (w, h) = (10, 8);
    let gt = rect(w, h, 2, 5, 2, 5);
    let gts = vec![gt.clone(); 4];
    let preds = vec![
        rect(w, h, 2, 5, 2, 5), // J 1,   F 1
        rect(w, h, 2, 5, 3, 6), // J 0.6, F 1
        rect(w, h, 2, 5, 4, 7), // J 1/3, F 0.625
        vec![false; w * h],     // J 0,   F 0
    ];
    let all = score_sequence("s", &preds, &gts, w, h, &EvalOptions::default());
    assert_eq!(all.frames, 4);
    assert!(close(all.j_mean, (1.0 + 0.6 + 1.0 / 3.0) / 4.0, 1e-12));
    assert!(close(all.j_recall, 0.5, 1e-12));
    assert!(close(all.f_mean, (1.0 + 1.0 + 0.625) / 4.0, 1e-12));
    assert!(close(all.f_recall, 0.75, 1e-12));
    // Four frames: linspace(1, 4, 5) = 1, 1.75, 2.5, 3.25, 4 -> ids 0, 1,
    // 2, 2, 3; first bin J[0..=1] = 0.8, last bin J[2..=3] = 1/6.
    assert!(close(all.j_decay, 0.8 - 1.0 / 6.0, 1e-12));

    let opts = EvalOptions {
        skip_first_last: true,
        ..EvalOptions::default()
    };
    let inner = score_sequence("s", &preds, &gts, w, h, &opts);
    assert_eq!(inner.frames, 2);
    assert!(close(inner.per_frame_j[0], 0.6, 1e-12));
    assert!(close(inner.per_frame_f[1], 0.625, 1e-12));
}

#[test]
fn report_averages_sequences_and_renders() {
    let a = SequenceScore::from_per_frame("bear", vec![1.0, 0.8], vec![0.9, 0.7]);
    let b = SequenceScore::from_per_frame("a-much-longer-name", vec![0.2], vec![0.4]);
    let report = EvalReport::new(vec![a, b], EvalOptions::default());
    // Per-sequence means 0.9 and 0.2 weigh equally, as in DAVIS.
    assert!(close(report.j_mean, 0.55, 1e-12));
    assert!(close(report.f_mean, 0.6, 1e-12));
    assert!(close(report.jf_mean, 0.575, 1e-12));

    let table = report.table();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Sequence"));
    assert!(table.contains("a-much-longer-name"));
    assert!(lines
        .last()
        .is_some_and(|l| l.starts_with("Mean") && l.ends_with("0.575")));
    // Columns line up: every data row is as long as the header row.
    let width = lines[0].len();
    assert!(
        lines
            .iter()
            .filter(|l| !l.starts_with('-'))
            .all(|l| l.len() == width),
        "{table}"
    );

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
    assert_eq!(json["sequences"][0]["name"], "bear");
    assert!(close(
        json["jf_mean"].as_f64().unwrap_or(f64::NAN),
        0.575,
        1e-12
    ));
}

// ---------------------------------------------------------------- agreement with the official code

fn decode_runs(runs: &serde_json::Value, len: usize) -> Vec<bool> {
    let mut mask = Vec::with_capacity(len);
    let mut value = false;
    for r in runs.as_array().expect("runs array") {
        let n = r.as_u64().expect("run length") as usize;
        mask.extend(std::iter::repeat_n(value, n));
        value = !value;
    }
    assert_eq!(mask.len(), len, "runs do not cover the mask");
    mask
}

fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn agrees_with_official_davis_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/davis_eval/fixture.json");
    let text = std::fs::read_to_string(&path).expect("fixture.json present");
    let fixture: serde_json::Value = serde_json::from_str(&text).expect("fixture.json parses");
    let seqs = fixture["sequences"].as_array().expect("sequences");
    assert!(seqs.len() >= 10);

    let tol = 1e-3;
    let mut worst = 0.0f64;
    let mut check = |what: String, ours: f64, theirs: f64| {
        worst = worst.max((ours - theirs).abs());
        assert!(
            close(ours, theirs, tol),
            "{what}: ours {ours} vs official {theirs}"
        );
    };
    for s in seqs {
        let name = s["name"].as_str().expect("name");
        let w = s["width"].as_u64().expect("width") as usize;
        let h = s["height"].as_u64().expect("height") as usize;
        let bound_th = s["bound_th"].as_f64().expect("bound_th");
        let preds: Vec<Vec<bool>> = s["pred"]
            .as_array()
            .expect("pred")
            .iter()
            .map(|r| decode_runs(r, w * h))
            .collect();
        let gts: Vec<Vec<bool>> = s["gt"]
            .as_array()
            .expect("gt")
            .iter()
            .map(|r| decode_runs(r, w * h))
            .collect();

        let opts = EvalOptions {
            bound_th,
            skip_first_last: false,
        };
        let score = score_sequence(name, &preds, &gts, w, h, &opts);
        for (i, (o, t)) in score
            .per_frame_j
            .iter()
            .zip(f64s(&s["per_frame_j"]))
            .enumerate()
        {
            check(format!("{name} frame {i} J"), *o, t);
        }
        for (i, (o, t)) in score
            .per_frame_f
            .iter()
            .zip(f64s(&s["per_frame_f"]))
            .enumerate()
        {
            check(format!("{name} frame {i} F"), *o, t);
        }
        let (j, f) = (f64s(&s["j"]), f64s(&s["f"]));
        let ours = [
            score.j_mean,
            score.j_recall,
            score.j_decay,
            score.f_mean,
            score.f_recall,
            score.f_decay,
        ];
        for (k, (o, t)) in ours.iter().zip(j.iter().chain(&f)).enumerate() {
            check(format!("{name} statistic {k}"), *o, *t);
        }

        if let Some(skip) = s.get("skip_first_last") {
            let opts = EvalOptions {
                bound_th,
                skip_first_last: true,
            };
            let score = score_sequence(name, &preds, &gts, w, h, &opts);
            let (j, f) = (f64s(&skip["j"]), f64s(&skip["f"]));
            let ours = [
                score.j_mean,
                score.j_recall,
                score.j_decay,
                score.f_mean,
                score.f_recall,
                score.f_decay,
            ];
            for (k, (o, t)) in ours.iter().zip(j.iter().chain(&f)).enumerate() {
                check(format!("{name} skip_first_last statistic {k}"), *o, *t);
            }
        }
    }
    eprintln!("max |ours - official| = {worst:e}");
    assert!(worst <= tol);
}

// ---------------------------------------------------------------- folders on disk

/// A fresh, empty folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("segmo-eval-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_gray(path: &Path, w: u32, h: u32, mask: &[bool], fg: u8) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let px: Vec<u8> = mask.iter().map(|&m| if m { fg } else { 0 }).collect();
    image::GrayImage::from_raw(w, h, px)
        .expect("buffer size")
        .save(path)
        .expect("write png");
}

fn write_seq(dir: &Path, w: u32, h: u32, masks: &[Vec<bool>]) {
    for (i, m) in masks.iter().enumerate() {
        write_gray(&dir.join(format!("{i:05}.png")), w, h, m, 255);
    }
}

#[test]
fn single_sequence_with_masks_subfolder() {
    let tmp = TempDir::new("single");
    let gt_masks = vec![rect(10, 8, 2, 5, 2, 5); 3];
    let preds = [
        rect(10, 8, 2, 5, 2, 5),
        rect(10, 8, 2, 5, 3, 6),
        rect(10, 8, 2, 5, 4, 7),
    ];
    // GT in DAVIS layout (<seq>/masks/*.png), PRED flat and without padding.
    write_seq(&tmp.path().join("gt/bear/masks"), 10, 8, &gt_masks);
    for (i, m) in preds.iter().enumerate() {
        write_gray(&tmp.path().join(format!("pred/bear/{i}.png")), 10, 8, m, 1);
    }
    let report = evaluate_dirs(
        &tmp.path().join("pred/bear"),
        &tmp.path().join("gt/bear"),
        &EvalOptions::default(),
    )
    .expect("evaluates");
    assert_eq!(report.sequences.len(), 1);
    let s = &report.sequences[0];
    assert_eq!(s.name, "bear");
    assert!(close(s.per_frame_j[1], 0.6, 1e-12));
    assert!(close(s.per_frame_f[2], 0.625, 1e-12));

    // PRED given as the folder that contains the sequence also works.
    let report = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt/bear"),
        &EvalOptions::default(),
    )
    .expect("evaluates");
    assert_eq!(report.sequences[0].frames, 3);
}

#[test]
fn folders_of_sequences_are_matched_by_name() {
    let tmp = TempDir::new("multi");
    let m = vec![rect(6, 6, 1, 3, 1, 3); 2];
    for seq in ["camel", "bear"] {
        write_seq(&tmp.path().join("gt").join(seq).join("masks"), 6, 6, &m);
        write_seq(&tmp.path().join("pred").join(seq), 6, 6, &m);
    }
    // Extra PRED sequences without GT are ignored.
    write_seq(&tmp.path().join("pred/zebra"), 6, 6, &m);
    let report = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt"),
        &EvalOptions::default(),
    )
    .expect("evaluates");
    let names: Vec<&str> = report.sequences.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["bear", "camel"]);
    assert_eq!(report.jf_mean, 1.0);
}

#[test]
fn label_maps_16bit_and_rgb_pngs_all_read() {
    let tmp = TempDir::new("formats");
    let (w, h) = (10u32, 8u32);
    let gt = rect(10, 8, 2, 5, 2, 5);
    write_seq(
        &tmp.path().join("gt"),
        w,
        h,
        &[gt.clone(), gt.clone(), gt.clone()],
    );
    std::fs::create_dir_all(tmp.path().join("pred")).expect("mkdir");
    // Frame 0: label map, object split into labels 1 and 2 -> union counts.
    let labels: Vec<u8> = (0..80)
        .map(|i| {
            if gt[i] {
                if i % 10 < 4 {
                    1
                } else {
                    2
                }
            } else {
                0
            }
        })
        .collect();
    image::GrayImage::from_raw(w, h, labels)
        .expect("buf")
        .save(tmp.path().join("pred/00000.png"))
        .expect("png");
    // Frame 1: 16-bit grayscale with a small non-zero value.
    let px16: Vec<u16> = gt.iter().map(|&m| if m { 3 } else { 0 }).collect();
    image::ImageBuffer::<image::Luma<u16>, _>::from_raw(w, h, px16)
        .expect("buf")
        .save(tmp.path().join("pred/00001.png"))
        .expect("png");
    // Frame 2: RGB with a dark, pure-blue label colour.
    let rgb: Vec<u8> = gt
        .iter()
        .flat_map(|&m| if m { [0, 0, 1] } else { [0, 0, 0] })
        .collect();
    image::RgbImage::from_raw(w, h, rgb)
        .expect("buf")
        .save(tmp.path().join("pred/00002.png"))
        .expect("png");

    let report = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt"),
        &EvalOptions::default(),
    )
    .expect("evaluates");
    assert_eq!(report.sequences[0].per_frame_j, vec![1.0, 1.0, 1.0]);
    assert_eq!(report.sequences[0].per_frame_f, vec![1.0, 1.0, 1.0]);
}

#[test]
fn frame_count_mismatch_names_both_counts() {
    let tmp = TempDir::new("count");
    let m = rect(6, 6, 1, 3, 1, 3);
    write_seq(&tmp.path().join("gt"), 6, 6, &vec![m.clone(); 3]);
    write_seq(&tmp.path().join("pred"), 6, 6, &vec![m; 2]);
    let err = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt"),
        &EvalOptions::default(),
    )
    .expect_err("must fail");
    assert!(
        matches!(
            err,
            EvalError::FrameCountMismatch {
                pred_count: 2,
                gt_count: 3,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("has 2 PNGs") && msg.contains("has 3"), "{msg}");
}

#[test]
fn size_mismatch_names_file_and_sizes() {
    let tmp = TempDir::new("size");
    write_seq(&tmp.path().join("gt"), 6, 6, &[rect(6, 6, 1, 3, 1, 3)]);
    write_seq(&tmp.path().join("pred"), 10, 8, &[rect(10, 8, 1, 3, 1, 3)]);
    let err = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt"),
        &EvalOptions::default(),
    )
    .expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, EvalError::SizeMismatch { .. }));
    assert!(
        msg.contains("00000.png") && msg.contains("10x8") && msg.contains("6x6"),
        "{msg}"
    );
}

#[test]
fn missing_sequence_missing_dir_and_empty_dir() {
    let tmp = TempDir::new("missing");
    let m = vec![rect(6, 6, 1, 3, 1, 3)];
    write_seq(&tmp.path().join("gt/bear"), 6, 6, &m);
    write_seq(&tmp.path().join("gt/camel"), 6, 6, &m);
    write_seq(&tmp.path().join("pred/bear"), 6, 6, &m);
    let opts = EvalOptions::default();

    let err = evaluate_dirs(&tmp.path().join("pred"), &tmp.path().join("gt"), &opts)
        .expect_err("camel missing");
    assert!(
        matches!(&err, EvalError::MissingSequence { name, .. } if name == "camel"),
        "{err}"
    );
    assert!(err.to_string().contains("camel"));

    let err =
        evaluate_dirs(&tmp.path().join("nope"), &tmp.path().join("gt"), &opts).expect_err("no dir");
    assert!(matches!(err, EvalError::MissingDir(_)));
    assert!(err.to_string().contains("nope"));

    std::fs::create_dir_all(tmp.path().join("empty")).expect("mkdir");
    let err = evaluate_dirs(&tmp.path().join("pred"), &tmp.path().join("empty"), &opts)
        .expect_err("no pngs");
    assert!(matches!(err, EvalError::NoPngs(_)), "{err}");
}

#[test]
fn unreadable_png_is_named() {
    let tmp = TempDir::new("garbage");
    write_seq(&tmp.path().join("gt"), 6, 6, &[rect(6, 6, 1, 3, 1, 3)]);
    std::fs::create_dir_all(tmp.path().join("pred")).expect("mkdir");
    std::fs::write(tmp.path().join("pred/00000.png"), b"not a png").expect("write");
    let err = evaluate_dirs(
        &tmp.path().join("pred"),
        &tmp.path().join("gt"),
        &EvalOptions::default(),
    )
    .expect_err("garbage");
    assert!(matches!(err, EvalError::Unreadable { .. }));
    assert!(err.to_string().contains("00000.png"), "{err}");
}

#[test]
fn skipping_first_last_needs_three_frames() {
    let tmp = TempDir::new("short");
    let m = vec![rect(6, 6, 1, 3, 1, 3); 2];
    write_seq(&tmp.path().join("gt"), 6, 6, &m);
    write_seq(&tmp.path().join("pred"), 6, 6, &m);
    let opts = EvalOptions {
        skip_first_last: true,
        ..EvalOptions::default()
    };
    let err = evaluate_dirs(&tmp.path().join("pred"), &tmp.path().join("gt"), &opts)
        .expect_err("too short");
    assert!(
        matches!(err, EvalError::TooFewFrames { frames: 2, .. }),
        "{err}"
    );
}
