//! Random scenes for training data: random backgrounds, object counts, shapes, textures,
//! depths, motions, camera motion and lighting. Static objects nearer than the background get
//! parallax from the camera's translation, so "moves in the image" and "moves in the world"
//! disagree often, which is the point.

use super::curve::Curve;
use super::detmath::{dcos, dsin, Pcg32, TAU};
use super::scene::{Camera, Layer, Light, Motion, Scene, SynthConfig};
use super::shape::{Lobe, Shape};
use super::texture::{Pattern, TextureSpec};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomSceneConfig {
    pub cfg: SynthConfig,
    /// Inclusive range of object counts (articulated parts not counted).
    pub min_objects: usize,
    pub max_objects: usize,
    /// Chance an object moves in the world; the rest are static (and show parallax).
    pub p_moving: f64,
    /// Largest object translation speed in its plane, px/frame at 256 px.
    pub max_speed: f64,
    /// 0 = still camera, 1 = full random pan/tilt/roll/zoom/translation.
    pub camera_motion: f64,
    /// Chance a moving object also tilts out of its plane (projective motion).
    pub p_projective: f64,
    /// Chance a moving object gets a hinged limb.
    pub p_articulated: f64,
    /// Largest relative brightness gain change per layer and for the frame.
    pub brightness: f64,
}

impl Default for RandomSceneConfig {
    fn default() -> Self {
        RandomSceneConfig {
            cfg: SynthConfig::default(),
            min_objects: 1,
            max_objects: 5,
            p_moving: 0.5,
            max_speed: 8.0,
            camera_motion: 1.0,
            p_projective: 0.3,
            p_articulated: 0.15,
            brightness: 0.15,
        }
    }
}

/// A random scene that passes `Scene::validate`. Deterministic in `seed`.
pub fn random_scene(seed: u64, rc: &RandomSceneConfig) -> Scene {
    let mut rng = Pcg32::new(seed, 0x5CE9E);
    // Rarely a draw puts a near plane behind the camera; redraw from the same stream, and
    // after a few failures drop camera translation, which is the only way that can happen.
    for attempt in 0..8 {
        let cam = if attempt < 6 { rc.camera_motion } else { 0.0 };
        let s = draw(&mut rng, seed, rc, cam);
        if s.validate().is_ok() {
            return s;
        }
    }
    let s = draw(
        &mut rng,
        seed,
        &RandomSceneConfig {
            p_projective: 0.0,
            ..*rc
        },
        0.0,
    );
    s.validate()
        .expect("still-camera random scene is always valid");
    s
}

fn draw(rng: &mut Pcg32, seed: u64, rc: &RandomSceneConfig, cam: f64) -> Scene {
    let cfg = rc.cfg;
    let sc = cfg.scale();
    let (w, h) = (cfg.width as f64, cfg.height as f64);
    let tex_seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);

    let bg_depth = rng.range(8.0, 14.0);
    let focal = w.max(h) * rng.range(0.8, 1.3);
    let mut camera = Camera::still(focal);
    // Speeds are chosen in image px/frame, then converted to camera units.
    let px_to_units = |px: f64, depth: f64| px * sc * depth / focal;
    camera.tx = wavy(rng, px_to_units(3.0 * cam, bg_depth));
    camera.ty = wavy(rng, px_to_units(1.5 * cam, bg_depth));
    camera.yaw = wavy(rng, 0.006 * cam);
    camera.pitch = wavy(rng, 0.004 * cam);
    camera.roll = wavy(rng, 0.004 * cam);
    let zoom_rate = rng.range(-0.006, 0.008) * cam;
    camera.zoom = Curve::linear(1.0, zoom_rate);

    let light = Light {
        gain: Curve::wave(
            1.0,
            rng.range(0.0, rc.brightness),
            rng.range(0.05, 0.6),
            rng.range(0.0, TAU),
        ),
        offset: Curve::constant(0.0),
    };
    let mut scene = Scene {
        name: format!("random-{seed}"),
        cfg,
        seed,
        camera,
        light,
        layers: Vec::new(),
    };
    scene.layers.push(Layer {
        name: "background".into(),
        shape: Shape::Plane,
        texture: texture(rng, tex_seed, 0, sc),
        depth: bg_depth,
        motion: Motion::fixed(0.0, 0.0),
        parent: None,
        moving: false,
        instance: 0,
        light: layer_light(rng, rc.brightness),
    });

    let n = rc.min_objects + rng.below(rc.max_objects.saturating_sub(rc.min_objects) + 1);
    // Painter's order must follow depth: draw depths, then add objects far to near.
    let mut depths: Vec<f64> = (0..n).map(|_| bg_depth * rng.range(0.25, 0.9)).collect();
    depths.sort_by(|a, b| b.partial_cmp(a).expect("finite"));
    let mut next_instance = 1u8;
    for depth in depths {
        let r = rng.range(14.0, 45.0) * sc;
        let shape = random_shape(rng, r);
        // A point inside the central part of frame 0, in plane coordinates.
        let ix = w * rng.range(0.15, 0.85);
        let iy = h * rng.range(0.15, 0.85);
        let p0 = scene
            .camera
            .plane_map(depth, 0.0, cfg.centre())
            .inverse()
            .apply(ix, iy)
            .unwrap_or([ix, iy]);
        let idx = scene.layers.len();
        let moving = rng.chance(rc.p_moving) && next_instance < 255;
        let motion = if moving {
            let speed = rng.range(0.3, rc.max_speed.max(0.3)) * sc;
            let dir = rng.range(0.0, TAU);
            let (vx, vy) = (speed * dcos(dir), speed * dsin(dir));
            // The drawn point is where the object is mid-clip, so fast objects cross the
            // frame rather than spend half the clip outside it.
            let half = 0.5 * cfg.frames.saturating_sub(1) as f64;
            let p0 = [p0[0] - vx * half, p0[1] - vy * half];
            let mut m = Motion::path(
                Curve::linear(p0[0], vx).plus_wave(
                    rng.range(0.0, 15.0) * sc,
                    rng.range(0.1, 0.5),
                    rng.range(0.0, TAU),
                ),
                Curve::linear(p0[1], vy).plus_wave(
                    rng.range(0.0, 10.0) * sc,
                    rng.range(0.1, 0.5),
                    rng.range(0.0, TAU),
                ),
            );
            m.angle = Curve::linear(rng.range(0.0, TAU), rng.range(-0.05, 0.05));
            m.scale = Curve::wave(
                1.0,
                rng.range(0.0, 0.12),
                rng.range(0.05, 0.4),
                rng.range(0.0, TAU),
            );
            m.aspect = Curve::wave(
                1.0,
                rng.range(0.0, 0.08),
                rng.range(0.05, 0.4),
                rng.range(0.0, TAU),
            );
            m.shear = Curve::wave(
                0.0,
                rng.range(0.0, 0.15),
                rng.range(0.05, 0.4),
                rng.range(0.0, TAU),
            );
            if rng.chance(rc.p_projective) {
                // |tilt| * r below 0.35 keeps w within [0.65, 1.35] over the shape.
                m.tilt_x = Curve::wave(
                    0.0,
                    rng.range(0.0, 0.2) / r,
                    rng.range(0.1, 0.4),
                    rng.range(0.0, TAU),
                );
                m.tilt_y = Curve::wave(
                    0.0,
                    rng.range(0.0, 0.15) / r,
                    rng.range(0.1, 0.4),
                    rng.range(0.0, TAU),
                );
            }
            m
        } else {
            let mut m = Motion::fixed(p0[0], p0[1]);
            m.angle = Curve::constant(rng.range(0.0, TAU));
            m
        };
        let instance = if moving {
            next_instance += 1;
            next_instance - 1
        } else {
            0
        };
        scene.layers.push(Layer {
            name: format!("object{idx}"),
            shape,
            texture: texture(rng, tex_seed, idx as u64, sc),
            depth,
            motion,
            parent: None,
            moving,
            instance,
            light: layer_light(rng, rc.brightness),
        });
        if moving && rng.chance(rc.p_articulated) {
            let len = r * rng.range(0.6, 1.1);
            let th = r * rng.range(0.12, 0.25);
            let limb = Shape::Polygon {
                pts: vec![[-th, -th], [len, -th * 0.8], [len, th * 0.8], [-th, th]],
            };
            let a = rng.range(0.0, TAU);
            let mut m = Motion::fixed(0.6 * r * dcos(a), 0.6 * r * dsin(a));
            m.angle = Curve::wave(
                a,
                rng.range(0.2, 0.8),
                rng.range(0.2, 0.6),
                rng.range(0.0, TAU),
            );
            scene.layers.push(Layer {
                name: format!("object{idx}-limb"),
                shape: limb,
                texture: texture(rng, tex_seed, idx as u64 + 1000, sc),
                depth,
                motion: m,
                parent: Some(idx),
                moving: true,
                instance,
                light: Light::NONE,
            });
        }
    }
    scene
}

/// A drift plus a sine, with peak rate up to `max_rate` per frame.
fn wavy(rng: &mut Pcg32, max_rate: f64) -> Curve {
    let rate = rng.range(0.0, max_rate);
    let split = rng.next_f64();
    let freq = rng.range(0.1, 0.5);
    let v = rate * split * rng.sign();
    // Amplitude from rate = amp * freq; kept bounded so long clips don't drift off.
    let amp = rate * (1.0 - split) / freq;
    Curve::linear(0.0, v).plus_wave(amp, freq, rng.range(0.0, TAU))
}

fn layer_light(rng: &mut Pcg32, b: f64) -> Light {
    Light {
        gain: Curve::wave(
            1.0,
            rng.range(0.0, b),
            rng.range(0.05, 0.5),
            rng.range(0.0, TAU),
        ),
        offset: Curve::wave(
            0.0,
            rng.range(0.0, 60.0 * b),
            rng.range(0.05, 0.5),
            rng.range(0.0, TAU),
        ),
    }
}

fn texture(rng: &mut Pcg32, seed: u64, idx: u64, sc: f64) -> TextureSpec {
    let pattern = match rng.below(3) {
        0 => Pattern::Noise,
        1 => Pattern::Stripes {
            angle: rng.range(0.0, TAU),
            period: rng.range(5.0, 14.0) * sc,
        },
        _ => Pattern::Blobs {
            cell: rng.range(8.0, 26.0) * sc,
        },
    };
    TextureSpec::from_seed(
        pattern,
        rng.range(8.0, 36.0) * sc,
        rng.range(0.0, 0.6),
        seed ^ idx.wrapping_mul(0xA24B_AED4_963E_E407),
    )
}

fn random_shape(rng: &mut Pcg32, r: f64) -> Shape {
    match rng.below(3) {
        0 => Shape::Ellipse {
            rx: r,
            ry: r * rng.range(0.45, 1.0),
        },
        1 => {
            let n = 3 + rng.below(6);
            let pts = (0..n)
                .map(|k| {
                    let a = TAU * (k as f64 + rng.range(-0.3, 0.3)) / n as f64;
                    let rr = r * rng.range(0.55, 1.0);
                    [rr * dcos(a), rr * dsin(a)]
                })
                .collect();
            Shape::Polygon { pts }
        }
        _ => {
            let count = 1 + rng.below(3);
            let mut budget = 0.6;
            let lobes = (0..count)
                .map(|_| {
                    let amp = rng.range(0.05, budget / count as f64 + 0.05).min(budget);
                    budget -= amp;
                    Lobe {
                        k: 2 + rng.below(6) as u32,
                        amp,
                        phase: rng.range(0.0, TAU),
                    }
                })
                .collect();
            Shape::Star {
                radius: r / 1.3,
                lobes,
            }
        }
    }
}
