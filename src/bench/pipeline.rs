//! The whole lite pipeline at a real video size: ms per frame of each stage on the CPU path
//! and on the GPU device (lavapipe here), with peak heap memory.

use super::{alloc, fmt_bytes};
use crate::device::ComputeDevice;
use crate::error::Result;
use crate::motion::MotionClassifier;
use crate::pipeline::{segment_lite, LiteOptions, Scorer, StageTimes};
use crate::sample::{render, SampleConfig};

pub struct Row {
    pub device: String,
    pub frames: usize,
    pub times: StageTimes,
    pub peak: Option<u64>,
    pub objects: usize,
}

/// Runs the pipeline on the rendered sample clip (`width x height x frames`) on each device.
pub fn run(
    weights: &[u8],
    devices: &[ComputeDevice],
    width: u32,
    height: u32,
    frames: usize,
    mut progress: impl FnMut(&str),
) -> Result<Vec<Row>> {
    let clip = render(&SampleConfig { width, height, frames, seed: 7 }).clip;
    let mut rows = Vec::new();
    for dev in devices {
        let clf = MotionClassifier::from_file_bytes(weights, &dev.device)?;
        alloc::reset_peak();
        let name = dev.info.to_string();
        let seg = segment_lite(&clip, Scorer::Blend(&clf), &LiteOptions::default(), dev, |stage, done, total| {
            progress(&format!("{name}: {stage} {done}/{total}"))
        })?;
        rows.push(Row { device: name, frames, times: seg.times, peak: alloc::peak(), objects: seg.objects.count });
    }
    Ok(rows)
}

pub fn table(rows: &[Row], width: u32, height: u32) -> String {
    let mut s = format!("lite pipeline on the rendered sample clip, {width}x{height}, ms per frame\n");
    s += &format!(
        "{:<44} | {:>7} {:>8} {:>10} {:>8} {:>7} | {:>7} | {:>10} | {:>7}\n",
        "device", "tracks", "features", "classifier", "objects", "masks", "total", "peak heap", "objects"
    );
    for r in rows {
        let f = r.frames.max(1) as f64;
        let t = &r.times;
        let total = t.tracks + t.features + t.classifier + t.objects + t.masks;
        s += &format!(
            "{:<44} | {:>7.1} {:>8.1} {:>10.1} {:>8.1} {:>7.1} | {:>7.1} | {:>10} | {:>7}\n",
            r.device.chars().take(44).collect::<String>(),
            t.tracks / f,
            t.features / f,
            t.classifier / f,
            t.objects / f,
            t.masks / f,
            total / f,
            r.peak.map_or("-".into(), fmt_bytes),
            r.objects
        );
    }
    s += "peak heap: host allocations (GPU buffers are not counted)\n";
    s
}
