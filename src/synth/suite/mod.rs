//! The benchmark suite: named scenes, each built to exercise one thing a tracker must survive.
//!
//! Geometry is designed for a 256x256 frame and scaled to the configured size; it does not
//! depend on the seed, so every property a case claims holds for every seed (the seed only
//! changes textures and sensor noise).

mod builder;
mod cases;

use super::detmath::mix64;
use super::random::{random_scene, RandomSceneConfig};
use super::render::{render, SynthClip};
use super::scene::{Scene, SynthConfig};
use builder::Builder;
use cases::{affine, articulated, brightness, camera, fast, occlusion, parallax, projective};

/// Case names, in suite order.
pub const CASES: [&str; 9] = [
    "affine",
    "projective",
    "camera",
    "occlusion",
    "brightness",
    "fast",
    "parallax",
    "articulated",
    "random",
];

/// Every case at the default size (256x256, 24 frames, 256 tracks).
pub fn suite(seed: u64) -> Vec<SynthClip> {
    suite_with(seed, &SynthConfig::default())
}

/// The suite at a chosen size. Natively the cases render on parallel threads (each is a pure
/// function of its scene, so the bytes are the same as one after another); wasm32 has no
/// threads and renders them in turn.
pub fn suite_with(seed: u64, cfg: &SynthConfig) -> Vec<SynthClip> {
    let one = |name: &&str| render(&case_scene(name, seed, cfg).expect("listed case"));
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|s| {
            let handles: Vec<_> = CASES
                .iter()
                .map(|name| s.spawn(move || one(name)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("case render panicked"))
                .collect()
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        CASES.iter().map(one).collect()
    }
}

/// One case, rendered; `None` for an unknown name.
pub fn case(name: &str, seed: u64, cfg: &SynthConfig) -> Option<SynthClip> {
    case_scene(name, seed, cfg).map(|s| render(&s))
}

/// One case's scene description.
pub fn case_scene(name: &str, seed: u64, cfg: &SynthConfig) -> Option<Scene> {
    let b = Builder::new(name, seed, cfg);
    Some(match name {
        "affine" => affine(b),
        "projective" => projective(b),
        "camera" => camera(b),
        "occlusion" => occlusion(b),
        "brightness" => brightness(b),
        "fast" => fast(b),
        "parallax" => parallax(b),
        "articulated" => articulated(b),
        "random" => {
            let mut s = random_scene(
                mix64(seed ^ 0x5241_4E44),
                &RandomSceneConfig {
                    cfg: *cfg,
                    ..Default::default()
                },
            );
            s.name = "random".into();
            s
        }
        _ => return None,
    })
}
