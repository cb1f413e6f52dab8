//! `segmo train`: the lite classifier, trained from scratch with burn's autodiff on the CPU.
//!
//! Data: DAVIS-2016 train sequences minus [`dataset::HELD_OUT`], and random synthetic scenes
//! (`crate::synth::random`: independently moving objects over a moving camera, static objects
//! with parallax, articulated and projective motion, occlusion), both tracked by our own
//! tracker so the classifier learns the tracker's real noise. Each step is one random window
//! of tracks and frames (the model is equivariant in the track order and takes any length, so
//! a window is a valid clip), with the released loss: BCE weighted so positives and negatives
//! count equally. Everything is seeded: the same command writes the same weights.

pub mod dataset;

use crate::error::{Result, SegmoError};
use crate::motion::classifier::{MotionClassifier, PreparedInput, TrajOaDepth};
use crate::motion::{ClassifierConfig, Init};
use crate::synth::detmath::Pcg32;
use crate::tracks::pipeline::TrackerConfig;
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::grad_clipping::GradientClippingConfig;
use burn::tensor::{activation, Device, Tensor, TensorData};
use dataset::TrainClip;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// DAVIS-style training sequences (`<seq>/frames`, `<seq>/masks`); the held-out four are
    /// skipped whatever this holds.
    pub data: PathBuf,
    /// Further sequences left out of training (cross-validation).
    pub exclude: Vec<String>,
    /// Prepared clips are cached here (tracking dominates preparation).
    pub cache: PathBuf,
    pub out: PathBuf,
    /// Loss curve, one CSV row per logged step.
    pub log: PathBuf,
    pub synthetic: usize,
    pub validation: usize,
    pub steps: usize,
    pub tracks: usize,
    pub frames: usize,
    pub lr: f64,
    pub weight_decay: f32,
    /// Chance a step draws a DAVIS clip rather than a synthetic one.
    pub p_davis: f64,
    pub seed: u64,
    pub val_every: usize,
    pub config: ClassifierConfig,
    /// The command line that produced the run, stored in the weights' metadata.
    pub command: String,
}

/// Validation numbers at one point of training.
#[derive(Clone, Debug, Default)]
pub struct Validation {
    pub loss: f64,
    /// Mean of the accuracies on moving and on static tracks at threshold 0.5.
    pub balanced_accuracy: f64,
}

pub struct TrainReport {
    pub steps: usize,
    pub seconds: f64,
    pub final_train_loss: f64,
    pub validation: Validation,
    pub parameters: usize,
}

/// Weighted binary cross-entropy on logits: positives weighted by #negatives / #positives
/// (capped at 20 so a window with a handful of moving points does not blow up a step).
fn loss(logits: Tensor<1>, labels: &[f32], device: &Device) -> Tensor<1> {
    let n = labels.len() as f32;
    let pos: f32 = labels.iter().sum();
    let scale = ((n - pos) / (pos + 1e-6)).min(20.0);
    let weights: Vec<f32> = labels.iter().map(|&y| if y > 0.5 { scale } else { 1.0 }).collect();
    let y = Tensor::<1>::from_data(TensorData::new(labels.to_vec(), [labels.len()]), device);
    let w = Tensor::<1>::from_data(TensorData::new(weights, [labels.len()]), device);
    let z = logits;
    let per = activation::relu(z.clone()) - z.clone() * y + z.abs().neg().exp().add_scalar(1.0).log();
    (per * w).mean()
}

fn forward(model: &TrajOaDepth, config: &ClassifierConfig, input: &crate::motion::ClassifierInput, device: &Device) -> Result<Tensor<1>> {
    let p = PreparedInput::new(input, config, device)?;
    model.forward(p.channels, &p.masks, p.semantic)
}

/// Prepares every clip (cached), calling `progress` per clip.
pub fn prepare_clips(opts: &TrainOptions, tracker: &TrackerConfig, mut progress: impl FnMut(&str)) -> Result<(Vec<TrainClip>, Vec<TrainClip>, Vec<TrainClip>)> {
    let mut davis = Vec::new();
    let skip: Vec<&str> = dataset::HELD_OUT.iter().copied().chain(opts.exclude.iter().map(String::as_str)).collect();
    for dir in crate::io::davis::sequences(&opts.data, &[], &skip)? {
        progress(&format!("preparing {}", dir.display()));
        davis.push(dataset::davis_clip(&dir, &opts.cache, &opts.config, tracker)?);
    }
    let mut synth = Vec::new();
    for i in 0..opts.synthetic {
        progress(&format!("preparing synthetic clip {}/{}", i + 1, opts.synthetic));
        synth.push(dataset::synthetic_clip(opts.seed.wrapping_mul(1_000_003).wrapping_add(i as u64), &opts.cache, &opts.config, tracker)?);
    }
    let mut val = Vec::new();
    for i in 0..opts.validation {
        progress(&format!("preparing validation clip {}/{}", i + 1, opts.validation));
        // A seed range no training run draws from.
        val.push(dataset::synthetic_clip(0xA11D_0000_0000 + i as u64, &opts.cache, &opts.config, tracker)?);
    }
    Ok((davis, synth, val))
}

/// Loss and balanced accuracy on fixed windows of `clips` (deterministic: its own seed).
pub fn validate(model: &TrajOaDepth, config: &ClassifierConfig, clips: &[TrainClip], tracks: usize, frames: usize, device: &Device) -> Result<Validation> {
    let mut rng = Pcg32::new(0x7A11, 1);
    let (mut loss_sum, mut windows) = (0.0, 0);
    let (mut tp, mut pos, mut tn, mut neg) = (0usize, 0usize, 0usize, 0usize);
    for clip in clips {
        for _ in 0..2 {
            let Some((input, labels)) = dataset::sample_window(clip, &mut rng, tracks, frames) else { continue };
            let logits = forward(model, config, &input, device)?;
            let l = crate::device::read_tensor(loss(logits.clone(), &labels, device))?;
            loss_sum += l[0] as f64;
            windows += 1;
            let z = crate::device::read_tensor(logits)?;
            for (zi, yi) in z.iter().zip(&labels) {
                if *yi > 0.5 {
                    pos += 1;
                    tp += (*zi > 0.0) as usize;
                } else {
                    neg += 1;
                    tn += (*zi <= 0.0) as usize;
                }
            }
        }
    }
    let acc = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Ok(Validation { loss: loss_sum / windows.max(1) as f64, balanced_accuracy: 0.5 * (acc(tp, pos) + acc(tn, neg)) })
}

/// Learning rate at `step`: linear warm-up over the first 5%, then cosine decay to 5%.
pub fn learning_rate(base: f64, step: usize, steps: usize) -> f64 {
    let warm = (steps / 20).max(1);
    if step < warm {
        return base * (step + 1) as f64 / warm as f64;
    }
    let p = (step - warm) as f64 / (steps - warm).max(1) as f64;
    base * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
}

pub fn train(opts: &TrainOptions, mut progress: impl FnMut(&str)) -> Result<TrainReport> {
    if opts.steps == 0 || opts.tracks == 0 || opts.frames < 2 {
        return Err(SegmoError::BadInput("train: steps and tracks must be positive, frames at least 2".into()));
    }
    let tracker = TrackerConfig::default();
    let (davis, synth, val) = prepare_clips(opts, &tracker, &mut progress)?;
    if davis.is_empty() && synth.is_empty() {
        return Err(SegmoError::BadInput("train: no training clips".into()));
    }
    let inner = Device::flex();
    let device = inner.clone().autodiff();
    let clf = MotionClassifier::new(opts.config.clone(), Init::Train { seed: opts.seed }, &device)?;
    let parameters = clf.model.num_params();
    let mut model = clf.model;
    let mut optim = AdamConfig::new()
        .with_weight_decay(Some(WeightDecayConfig::new(opts.weight_decay)))
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let mut rng = Pcg32::new(opts.seed, 0x7EA1);
    for path in [&opts.log, &opts.out] {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| SegmoError::io(dir, e))?;
        }
    }
    let mut log = std::fs::File::create(&opts.log).map_err(|e| SegmoError::io(&opts.log, e))?;
    writeln!(log, "step,seconds,lr,train_loss,val_loss,val_balanced_accuracy").map_err(|e| SegmoError::io(&opts.log, e))?;
    let start = Instant::now();
    let (mut running, mut count) = (0.0f64, 0usize);
    let mut last_train = 0.0;
    let mut validation = Validation::default();
    for step in 0..opts.steps {
        let pool = if synth.is_empty() || (!davis.is_empty() && rng.chance(opts.p_davis)) { &davis } else { &synth };
        let clip = &pool[rng.below(pool.len())];
        let Some((input, labels)) = dataset::sample_window(clip, &mut rng, opts.tracks, opts.frames) else { continue };
        let lr = learning_rate(opts.lr, step, opts.steps);
        let logits = forward(&model, &opts.config, &input, &device)?;
        let l = loss(logits, &labels, &device);
        let value = crate::device::read_tensor(l.clone())?[0] as f64;
        if !value.is_finite() {
            return Err(SegmoError::BadInput(format!("train: loss became {value} at step {step} (clip {})", clip.name)));
        }
        let grads = GradientsParams::from_grads(l.backward(), &model);
        model = optim.step(lr, model, grads);
        running += value;
        count += 1;
        let last = step + 1 == opts.steps;
        if (step + 1) % opts.val_every.max(1) == 0 || last {
            last_train = running / count.max(1) as f64;
            (running, count) = (0.0, 0);
            validation = validate(&model.valid(), &opts.config, &val, opts.tracks, opts.frames, &inner)?;
            let secs = start.elapsed().as_secs_f64();
            writeln!(log, "{},{secs:.1},{lr:.3e},{last_train:.5},{:.5},{:.4}", step + 1, validation.loss, validation.balanced_accuracy)
                .map_err(|e| SegmoError::io(&opts.log, e))?;
            progress(&format!(
                "step {}/{}: train loss {last_train:.4}, val loss {:.4}, val balanced acc {:.3} ({secs:.0} s)",
                step + 1,
                opts.steps,
                validation.loss,
                validation.balanced_accuracy
            ));
        }
    }
    let trained = MotionClassifier { config: opts.config.clone(), model: model.valid(), device: inner };
    let mut bundle = trained.to_bundle();
    let meta = [
        ("segmo.command", opts.command.clone()),
        ("segmo.seed", opts.seed.to_string()),
        ("segmo.steps", opts.steps.to_string()),
        ("segmo.train_seconds", format!("{:.0}", start.elapsed().as_secs_f64())),
        ("segmo.val_balanced_accuracy", format!("{:.4}", validation.balanced_accuracy)),
    ];
    for (k, v) in meta {
        bundle.metadata.insert(k.into(), v);
    }
    std::fs::write(&opts.out, bundle.to_bytes()).map_err(|e| SegmoError::io(&opts.out, e))?;
    Ok(TrainReport { steps: opts.steps, seconds: start.elapsed().as_secs_f64(), final_train_loss: last_train, validation, parameters })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_rate_warms_up_then_decays() {
        assert!(learning_rate(1.0, 0, 100) < 0.5);
        assert!((learning_rate(1.0, 5, 100) - 1.0).abs() < 1e-9);
        assert!(learning_rate(1.0, 99, 100) < 0.06);
    }

    #[test]
    fn weighted_loss_balances_classes_and_is_zero_for_perfect_logits() {
        let dev = Device::flex();
        let logits = Tensor::<1>::from_data(TensorData::new(vec![30.0, -30.0, -30.0, -30.0], [4]), &dev);
        let l = crate::device::read_tensor(loss(logits, &[1.0, 0.0, 0.0, 0.0], &dev)).unwrap()[0];
        assert!(l < 1e-6, "{l}");
        // All-zero logits: each term ln 2, positive weighted 3x: (3 + 3) ln 2 / 4.
        let zero = Tensor::<1>::zeros([4], &dev);
        let l = crate::device::read_tensor(loss(zero, &[1.0, 0.0, 0.0, 0.0], &dev)).unwrap()[0];
        assert!((l - 1.5 * std::f32::consts::LN_2).abs() < 1e-5, "{l}");
    }
}
