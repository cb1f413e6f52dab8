//! Builds suite scenes in design units (a 256 px frame), scaled to the configured size.

use crate::synth::curve::Curve;
use crate::synth::detmath::{dcos, dsin, mix64};
use crate::synth::scene::{Camera, Layer, Light, Motion, Scene, SynthConfig};
use crate::synth::shape::Shape;
use crate::synth::texture::{Pattern, TextureSpec};

/// Collects layers in design units (256 px frame), scaling as it goes.
pub(super) struct Builder {
    pub(super) scene: Scene,
    pub(super) s: f64,
    c: [f64; 2],
    next_instance: u8,
}

pub(super) const ZERO: Curve = Curve::constant(0.0);

impl Builder {
    pub(super) fn new(name: &str, seed: u64, cfg: &SynthConfig) -> Self {
        let focal = cfg.width.max(cfg.height) as f64;
        let scene = Scene {
            name: name.to_string(),
            cfg: *cfg,
            seed: mix64(
                seed ^ mix64(
                    name.bytes()
                        .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(b as u64)),
                ),
            ),
            camera: Camera::still(focal),
            light: Light::NONE,
            layers: Vec::new(),
        };
        Builder {
            scene,
            s: cfg.scale(),
            c: cfg.centre(),
            next_instance: 1,
        }
    }

    pub(super) fn tex(&self, pattern: Pattern, scale: f64, smooth: f64) -> TextureSpec {
        let s = self.s;
        let pattern = match pattern {
            Pattern::Stripes { angle, period } => Pattern::Stripes {
                angle,
                period: period * s,
            },
            Pattern::Blobs { cell } => Pattern::Blobs { cell: cell * s },
            p => p,
        };
        TextureSpec::from_seed(
            pattern,
            scale * s,
            smooth,
            mix64(self.scene.seed ^ (self.scene.layers.len() as u64 + 1)),
        )
    }

    pub(super) fn background(&mut self, pattern: Pattern, depth: f64) {
        let texture = self.tex(pattern, 30.0, 0.15);
        self.push(
            "background",
            Shape::Plane,
            texture,
            depth,
            Motion::fixed(0.0, 0.0),
            false,
            None,
        );
    }

    /// A static layer centred at design point (x, y) relative to the image centre.
    pub(super) fn fixed(
        &mut self,
        name: &str,
        shape: Shape,
        texture: TextureSpec,
        depth: f64,
        x: f64,
        y: f64,
    ) -> usize {
        let m = Motion::fixed(self.c[0] + x * self.s, self.c[1] + y * self.s);
        self.push(name, shape, texture, depth, m, false, None)
    }

    /// A moving layer; `m`'s translation is relative to the image centre, in design units.
    pub(super) fn mover(
        &mut self,
        name: &str,
        shape: Shape,
        texture: TextureSpec,
        depth: f64,
        m: Motion,
    ) -> usize {
        let m = Motion {
            tx: m.tx.scaled(self.s),
            ty: m.ty.scaled(self.s),
            ..m
        };
        let m = Motion {
            tx: Curve {
                c: m.tx.c + self.c[0],
                ..m.tx
            },
            ty: Curve {
                c: m.ty.c + self.c[1],
                ..m.ty
            },
            ..m
        };
        self.push(name, shape, texture, depth, m, true, None)
    }

    /// A part hinged on `parent`: `m` is in the parent's layer coordinates (design units).
    pub(super) fn part(
        &mut self,
        name: &str,
        parent: usize,
        shape: Shape,
        texture: TextureSpec,
        m: Motion,
    ) -> usize {
        let m = Motion {
            tx: m.tx.scaled(self.s),
            ty: m.ty.scaled(self.s),
            ..m
        };
        let depth = self.scene.layers[parent].depth;
        let inst = self.scene.layers[parent].instance;
        let l = Layer {
            name: name.into(),
            shape: self.shape(shape),
            texture,
            depth,
            motion: m,
            parent: Some(parent),
            moving: true,
            instance: inst,
            light: Light::NONE,
        };
        self.scene.layers.push(l);
        self.scene.layers.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: &str,
        shape: Shape,
        texture: TextureSpec,
        depth: f64,
        motion: Motion,
        moving: bool,
        parent: Option<usize>,
    ) -> usize {
        let instance = if moving {
            self.next_instance += 1;
            self.next_instance - 1
        } else {
            0
        };
        let shape = self.shape(shape);
        self.scene.layers.push(Layer {
            name: name.into(),
            shape,
            texture,
            depth,
            motion,
            parent,
            moving,
            instance,
            light: Light::NONE,
        });
        self.scene.layers.len() - 1
    }

    fn shape(&self, shape: Shape) -> Shape {
        let s = self.s;
        match shape {
            Shape::Plane => Shape::Plane,
            Shape::Ellipse { rx, ry } => Shape::Ellipse {
                rx: rx * s,
                ry: ry * s,
            },
            Shape::Polygon { pts } => Shape::Polygon {
                pts: pts.into_iter().map(|p| [p[0] * s, p[1] * s]).collect(),
            },
            Shape::Star { radius, lobes } => Shape::Star {
                radius: radius * s,
                lobes,
            },
        }
    }

    /// Camera translation that moves a plane at `depth` by `px` design pixels.
    pub(super) fn cam_units(&self, px: f64, depth: f64) -> f64 {
        px * self.s * depth / self.scene.camera.focal
    }

    pub(super) fn done(self) -> Scene {
        self.scene
    }
}

pub(super) fn motion(tx: Curve, ty: Curve) -> Motion {
    Motion::path(tx, ty)
}

pub(super) fn regular(n: usize, r: f64, wobble: &[f64]) -> Shape {
    let pts = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            let rr = r * wobble.get(k).copied().unwrap_or(1.0);
            // Exact multiples of tau/n through our own sine, for cross-platform identical vertices.
            [rr * dcos(a), rr * dsin(a)]
        })
        .collect();
    Shape::Polygon { pts }
}
