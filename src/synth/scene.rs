//! Scene description: a pinhole camera looking at a back-to-front stack of planar layers.
//!
//! Every layer is a textured plane facing the camera at some depth, carrying its own in-plane
//! motion. The camera's 3D motion induces a different homography on each plane, so a static
//! layer nearer than the background slides faster than it under a translating camera (parallax)
//! while under a pure rotation or zoom all static layers move together. Moving layers add their
//! in-plane motion on top. All of it stays an exact homography per layer per frame, which is
//! what makes the ground truth exact.

use super::curve::Curve;
use super::detmath::{dcos, dsin};
use super::homography::Homography;
use super::shape::{Prepared, Shape};
use super::texture::TextureSpec;

/// Size and sampling of a clip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthConfig {
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    /// Query points per clip for the ground-truth tracks.
    pub n_tracks: usize,
    /// Sensor noise standard deviation in grey levels (triangular distribution); 0 = none.
    pub noise: f64,
}

impl Default for SynthConfig {
    /// Small on purpose: the whole suite renders in a fraction of a second natively.
    fn default() -> Self {
        SynthConfig {
            width: 256,
            height: 256,
            frames: 24,
            n_tracks: 256,
            noise: 1.0,
        }
    }
}

impl SynthConfig {
    /// Design lengths are given for a 256x256 frame; this converts them to this frame size.
    pub fn scale(&self) -> f64 {
        (self.width.min(self.height) as f64 / 256.0).max(1e-3)
    }

    /// Principal point: the image centre, with pixel centres at integers.
    pub fn centre(&self) -> [f64; 2] {
        [
            (self.width as f64 - 1.0) * 0.5,
            (self.height as f64 - 1.0) * 0.5,
        ]
    }
}

/// Camera motion. Translations are in the units of layer depths; angles in radians.
/// At rest (all curves 0, zoom 1) a plane's coordinates are its frame-0 image pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Camera {
    /// Focal length in pixels at zoom 1; also fixes how plane coordinates relate to 3D.
    pub focal: f64,
    /// Focal-length multiplier (optical zoom: depth-independent, no parallax).
    pub zoom: Curve,
    pub yaw: Curve,
    pub pitch: Curve,
    pub roll: Curve,
    pub tx: Curve,
    pub ty: Curve,
    /// Forward motion (dolly): magnifies near planes more than far ones.
    pub tz: Curve,
}

impl Camera {
    pub fn still(focal: f64) -> Self {
        let z = Curve::constant(0.0);
        Camera {
            focal,
            zoom: Curve::constant(1.0),
            yaw: z,
            pitch: z,
            roll: z,
            tx: z,
            ty: z,
            tz: z,
        }
    }

    /// Homography from plane coordinates of the fronto-parallel plane at `depth` to the image
    /// at frame t: x ~ K_t R_t (X - C_t), where plane point (u, v) is the 3D point
    /// ((u - cx) Z / f, (v - cy) Z / f, Z).
    pub fn plane_map(&self, depth: f64, t: f64, centre: [f64; 2]) -> Homography {
        let [cx, cy] = centre;
        let f0 = self.focal;
        let f = f0 * self.zoom.at(t);
        let k = Homography([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]]);
        let (ya, pa, ra) = (self.yaw.at(t), self.pitch.at(t), self.roll.at(t));
        let ry = Homography([
            [dcos(ya), 0.0, dsin(ya)],
            [0.0, 1.0, 0.0],
            [-dsin(ya), 0.0, dcos(ya)],
        ]);
        let rx = Homography([
            [1.0, 0.0, 0.0],
            [0.0, dcos(pa), -dsin(pa)],
            [0.0, dsin(pa), dcos(pa)],
        ]);
        let rz = Homography([
            [dcos(ra), -dsin(ra), 0.0],
            [dsin(ra), dcos(ra), 0.0],
            [0.0, 0.0, 1.0],
        ]);
        let zf = depth / f0;
        let a = Homography([
            [zf, 0.0, -cx * zf - self.tx.at(t)],
            [0.0, zf, -cy * zf - self.ty.at(t)],
            [0.0, 0.0, depth - self.tz.at(t)],
        ]);
        k.mul(&rz.mul(&rx.mul(&ry))).mul(&a).normalized()
    }
}

/// In-plane motion of a layer: layer coordinates -> plane coordinates,
/// M = T(tx, ty) R(angle) S(scale * aspect, scale / aspect, shear) P(tilt_x, tilt_y).
/// The tilt terms (1 / layer px) make it projective: an out-of-plane rotation seen as keystone.
#[derive(Clone, Debug, PartialEq)]
pub struct Motion {
    pub tx: Curve,
    pub ty: Curve,
    pub angle: Curve,
    pub scale: Curve,
    pub aspect: Curve,
    pub shear: Curve,
    pub tilt_x: Curve,
    pub tilt_y: Curve,
}

impl Motion {
    /// Fixed at a plane position: what a static layer uses.
    pub fn fixed(x: f64, y: f64) -> Self {
        Self::path(Curve::constant(x), Curve::constant(y))
    }

    /// Translation only, along the given curves.
    pub fn path(tx: Curve, ty: Curve) -> Self {
        let zero = Curve::constant(0.0);
        let one = Curve::constant(1.0);
        Motion {
            tx,
            ty,
            angle: zero,
            scale: one,
            aspect: one,
            shear: zero,
            tilt_x: zero,
            tilt_y: zero,
        }
    }

    pub fn matrix(&self, t: f64) -> Homography {
        let s = self.scale.at(t);
        let a = self.aspect.at(t);
        let m = Homography::translate(self.tx.at(t), self.ty.at(t))
            .mul(&Homography::rotate(self.angle.at(t)))
            .mul(&Homography::scale_shear(s * a, s / a, self.shear.at(t)));
        let (gx, gy) = (self.tilt_x.at(t), self.tilt_y.at(t));
        if gx == 0.0 && gy == 0.0 {
            m
        } else {
            m.mul(&Homography::perspective(gx, gy))
        }
    }

    /// True when the motion changes over time.
    pub fn is_animated(&self) -> bool {
        let curves = [
            &self.tx,
            &self.ty,
            &self.angle,
            &self.scale,
            &self.aspect,
            &self.shear,
            &self.tilt_x,
            &self.tilt_y,
        ];
        curves
            .iter()
            .any(|c| c.v != 0.0 || c.a != 0.0 || (c.amp != 0.0 && c.freq != 0.0))
    }
}

/// Brightness change: colour' = colour * gain(t) + offset(t) (offset in grey levels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Light {
    pub gain: Curve,
    pub offset: Curve,
}

impl Light {
    pub const NONE: Light = Light {
        gain: Curve::constant(1.0),
        offset: Curve::constant(0.0),
    };

    pub fn apply(&self, t: f64, c: [f64; 3]) -> [f64; 3] {
        let (g, o) = (self.gain.at(t), self.offset.at(t));
        c.map(|v| v * g + o)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub name: String,
    pub shape: Shape,
    pub texture: TextureSpec,
    /// Distance from the camera's rest position (same units as camera translation).
    pub depth: f64,
    pub motion: Motion,
    /// For articulated objects: this layer's motion is relative to the parent's layer
    /// coordinates (a limb hinged on a body). The parent must come earlier in the stack.
    pub parent: Option<usize>,
    /// Independently moving in the world (true) or moving only through the camera (false).
    pub moving: bool,
    /// Moving-object id in the instance maps (1..); 0 for static layers. The parts of an
    /// articulated object share one id.
    pub instance: u8,
    pub light: Light,
}

/// A clip's full description. Rendering it is a pure function of this value.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub name: String,
    pub cfg: SynthConfig,
    pub seed: u64,
    pub camera: Camera,
    /// Applied after each layer's own light: exposure changes of the whole frame.
    pub light: Light,
    /// Back to front. Layer 0 should be a `Shape::Plane` background so every pixel is covered.
    pub layers: Vec<Layer>,
}

/// Per-frame maps of every layer, computed once and shared by rendering, flow and tracks.
#[derive(Clone, Debug)]
pub struct FrameGeometry {
    /// Layer coordinates -> image.
    pub h: Vec<Homography>,
    /// Image -> layer coordinates.
    pub inv: Vec<Homography>,
    /// Image-space [x0, y0, x1, y1] enclosing each layer (infinite for a plane): lets a
    /// per-pixel query skip layers cheaply.
    pub bbox: Vec<[f64; 4]>,
    /// Layer outlines, prepared for point tests.
    pub shapes: Vec<Prepared>,
}

impl Scene {
    /// Layer coordinates -> plane coordinates at frame t, parents included.
    pub fn object_map(&self, layer: usize, t: f64) -> Homography {
        let l = &self.layers[layer];
        let own = l.motion.matrix(t);
        match l.parent {
            Some(p) => self.object_map(p, t).mul(&own),
            None => own,
        }
    }

    /// Layer coordinates -> image pixels at frame t.
    pub fn homography(&self, layer: usize, t: usize) -> Homography {
        let tf = t as f64;
        let l = &self.layers[layer];
        self.camera
            .plane_map(l.depth, tf, self.cfg.centre())
            .mul(&self.object_map(layer, tf))
            .normalized()
    }

    pub fn geometry(&self, t: usize) -> FrameGeometry {
        let n = self.layers.len();
        let mut g = FrameGeometry {
            h: Vec::with_capacity(n),
            inv: Vec::with_capacity(n),
            bbox: Vec::with_capacity(n),
            shapes: self.layers.iter().map(|l| l.shape.prepare()).collect(),
        };
        let inf = f64::INFINITY;
        for (i, l) in self.layers.iter().enumerate() {
            let h = self.homography(i, t);
            let bbox = match l.shape.bbox() {
                None => [-inf, -inf, inf, inf],
                Some([u0, v0, u1, v1]) => {
                    // A homography with w > 0 over a rectangle maps it onto the convex hull of
                    // the mapped corners, so the corners bound the image of anything inside.
                    let corners =
                        [[u0, v0], [u1, v0], [u0, v1], [u1, v1]].map(|c| h.apply(c[0], c[1]));
                    if corners.iter().any(|c| c.is_none()) {
                        [-inf, -inf, inf, inf]
                    } else {
                        let mut b = [inf, inf, -inf, -inf];
                        for c in corners.iter().flatten() {
                            b = [
                                b[0].min(c[0]),
                                b[1].min(c[1]),
                                b[2].max(c[0]),
                                b[3].max(c[1]),
                            ];
                        }
                        [b[0] - 1.0, b[1] - 1.0, b[2] + 1.0, b[3] + 1.0]
                    }
                }
            };
            g.inv.push(h.inverse());
            g.h.push(h);
            g.bbox.push(bbox);
        }
        g
    }

    /// The frontmost layer at image point (x, y) of frame t, if any.
    pub fn layer_at(&self, t: usize, x: f64, y: f64) -> Option<usize> {
        self.geometry(t).frontmost(self, x, y, 0).map(|(i, _)| i)
    }

    /// Whether (x, y) lies on the image: inside the pixel grid's outer edges.
    pub fn in_image(&self, x: f64, y: f64) -> bool {
        x >= -0.5
            && y >= -0.5
            && x < self.cfg.width as f64 - 0.5
            && y < self.cfg.height as f64 - 0.5
    }

    /// Checks what rendering relies on; returns the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.cfg;
        if c.width == 0 || c.height == 0 || c.frames == 0 {
            return Err(format!("empty clip {}x{}x{}", c.width, c.height, c.frames));
        }
        if self.layers.is_empty() || self.layers[0].shape != Shape::Plane {
            return Err("layer 0 must be a Plane background".into());
        }
        if self.layers.len() > 255 {
            return Err("at most 255 layers (ids are u8)".into());
        }
        for (i, l) in self.layers.iter().enumerate() {
            if let Some(p) = l.parent {
                if p >= i {
                    return Err(format!("layer {i}: parent {p} must come earlier"));
                }
            }
            if l.moving != (l.instance > 0) {
                return Err(format!(
                    "layer {i}: moving layers need an instance id > 0, static ones 0"
                ));
            }
            if l.depth.is_nan() || l.depth <= 0.0 {
                return Err(format!("layer {i}: depth must be positive"));
            }
        }
        // Every visible point must stay in front of the camera in every frame, or homographies
        // would fold the plane over.
        let (w, h) = (c.width as f64, c.height as f64);
        for t in 0..c.frames {
            let g = self.geometry(t);
            for (i, l) in self.layers.iter().enumerate() {
                let bad = match l.shape.bbox() {
                    Some([u0, v0, u1, v1]) => [[u0, v0], [u1, v0], [u0, v1], [u1, v1]]
                        .iter()
                        .any(|p| g.h[i].w(p[0], p[1]) <= 0.0),
                    None => [[-0.5, -0.5], [w, -0.5], [-0.5, h], [w, h]]
                        .iter()
                        .any(|p| g.inv[i].w(p[0], p[1]) <= 0.0),
                };
                if bad {
                    return Err(format!(
                        "layer {i} ({}) crosses the camera plane at frame {t}",
                        l.name
                    ));
                }
            }
        }
        Ok(())
    }
}

impl FrameGeometry {
    /// As `frontmost` over the given layers only (listed front to back, e.g. those whose box
    /// meets a row), for callers that cull layers once per row.
    pub fn frontmost_among(&self, layers: &[usize], x: f64, y: f64) -> Option<(usize, [f64; 2])> {
        for &i in layers {
            let b = &self.bbox[i];
            if x < b[0] || x > b[2] {
                continue;
            }
            if let Some(q) = self.inv[i].apply(x, y) {
                if self.shapes[i].contains(q[0], q[1]) {
                    return Some((i, q));
                }
            }
        }
        None
    }

    /// Frontmost layer with index >= `min_layer` covering (x, y), and the point in its layer
    /// coordinates.
    pub fn frontmost(
        &self,
        scene: &Scene,
        x: f64,
        y: f64,
        min_layer: usize,
    ) -> Option<(usize, [f64; 2])> {
        for i in (min_layer..scene.layers.len()).rev() {
            let b = &self.bbox[i];
            if x < b[0] || y < b[1] || x > b[2] || y > b[3] {
                continue;
            }
            if let Some(q) = self.inv[i].apply(x, y) {
                if self.shapes[i].contains(q[0], q[1]) {
                    return Some((i, q));
                }
            }
        }
        None
    }
}
