//! The named cases. Each doc comment says what the case is for; `tests/suite_properties.rs`
//! checks each claim on the rendered ground truth.

use super::builder::{motion, regular, Builder, ZERO};
use crate::synth::curve::Curve;
use crate::synth::scene::{Light, Motion, Scene};
use crate::synth::shape::{Lobe, Shape};
use crate::synth::texture::Pattern;

/// Affine object motion (rotation, anisotropic scale, shear) under a camera that only
/// translates sideways, so every layer's homography is affine.
pub(super) fn affine(mut b: Builder) -> Scene {
    b.background(Pattern::Noise, 10.0);
    b.scene.camera.tx = Curve::linear(0.0, b.cam_units(0.6, 10.0));
    let t = b.tex(Pattern::Blobs { cell: 14.0 }, 18.0, 0.1);
    b.mover(
        "ellipse",
        Shape::Ellipse { rx: 42.0, ry: 28.0 },
        t,
        6.0,
        Motion {
            angle: Curve::linear(0.2, 0.045),
            scale: Curve::wave(1.0, 0.15, 0.18, 0.0),
            aspect: Curve::wave(1.0, 0.12, 0.3, 0.5),
            shear: Curve::wave(0.0, 0.25, 0.12, 0.0),
            ..motion(
                Curve::linear(-55.0, 2.5),
                Curve::wave(-35.0, 15.0, 0.25, 0.0),
            )
        },
    );
    let t = b.tex(
        Pattern::Stripes {
            angle: 0.7,
            period: 9.0,
        },
        16.0,
        0.1,
    );
    b.mover(
        "hexagon",
        regular(6, 38.0, &[1.0, 0.8, 1.1, 0.9, 1.0, 0.75]),
        t,
        5.0,
        Motion {
            angle: Curve::linear(0.0, -0.035),
            scale: Curve::linear(0.9, 0.008),
            aspect: Curve::constant(1.2),
            shear: Curve::constant(0.15),
            ..motion(Curve::linear(50.0, -1.8), Curve::wave(45.0, 10.0, 0.2, 1.0))
        },
    );
    b.done()
}

/// Projective motion: the camera pans and tilts (keystoning the background) and the objects
/// rotate out of their planes.
pub(super) fn projective(mut b: Builder) -> Scene {
    b.background(Pattern::Blobs { cell: 22.0 }, 10.0);
    b.scene.camera.yaw = Curve::wave(0.0, 0.08, 0.2, 0.0);
    b.scene.camera.pitch = Curve::wave(0.0, 0.05, 0.27, 1.0);
    let t = b.tex(Pattern::Noise, 16.0, 0.1);
    let star = Shape::Star {
        radius: 34.0,
        lobes: vec![
            Lobe {
                k: 3,
                amp: 0.18,
                phase: 0.0,
            },
            Lobe {
                k: 5,
                amp: 0.08,
                phase: 1.0,
            },
        ],
    };
    let s = b.s;
    b.mover(
        "star",
        star,
        t,
        7.0,
        Motion {
            angle: Curve::linear(0.0, 0.03),
            tilt_x: Curve::wave(0.0, 0.005 / s, 0.3, 0.0),
            tilt_y: Curve::wave(0.0, 0.004 / s, 0.22, 1.0),
            ..motion(
                Curve::wave(-40.0, 25.0, 0.15, 0.0),
                Curve::wave(20.0, 15.0, 0.2, 2.0),
            )
        },
    );
    let t = b.tex(Pattern::Blobs { cell: 12.0 }, 14.0, 0.1);
    b.mover(
        "card",
        Shape::rect(40.0, 26.0),
        t,
        5.0,
        Motion {
            angle: Curve::wave(0.0, 0.3, 0.15, 0.0),
            tilt_x: Curve::linear(-0.006 / s, 0.0005 / s),
            tilt_y: Curve::wave(0.0, 0.003 / s, 0.3, 0.0),
            ..motion(
                Curve::wave(45.0, 20.0, 0.17, 1.0),
                Curve::linear(-50.0, 1.0),
            )
        },
    );
    b.done()
}

/// Camera pan, zoom and roll together. The sign sits on the background plane (no parallax
/// is possible under pure rotation and zoom anyway) and only the ball moves.
pub(super) fn camera(mut b: Builder) -> Scene {
    b.background(Pattern::Blobs { cell: 20.0 }, 10.0);
    b.scene.camera.yaw = Curve::linear(-0.10, 0.009);
    b.scene.camera.zoom = Curve::linear(1.0, 0.012);
    b.scene.camera.roll = Curve::linear(0.0, 0.012);
    let t = b.tex(
        Pattern::Stripes {
            angle: 1.2,
            period: 7.0,
        },
        12.0,
        0.0,
    );
    b.fixed("sign", Shape::rect(30.0, 18.0), t, 10.0, -50.0, 40.0);
    let t = b.tex(Pattern::Noise, 12.0, 0.1);
    b.mover(
        "ball",
        Shape::Ellipse { rx: 22.0, ry: 22.0 },
        t,
        10.0,
        Motion {
            angle: Curve::linear(0.0, 0.06),
            ..motion(Curve::linear(40.0, -1.2), Curve::wave(30.0, 8.0, 0.3, 0.0))
        },
    );
    b.done()
}

/// Objects cross each other (the ellipse passes behind the pentagon and comes out again),
/// one leaves through the top-left corner and one enters from the bottom.
pub(super) fn occlusion(mut b: Builder) -> Scene {
    b.background(Pattern::Noise, 10.0);
    b.scene.camera.tx = Curve::linear(0.0, b.cam_units(0.4, 10.0));
    let t = b.tex(Pattern::Noise, 14.0, 0.1);
    b.mover(
        "ellipse",
        Shape::Ellipse { rx: 34.0, ry: 24.0 },
        t,
        8.0,
        Motion {
            angle: Curve::linear(0.0, 0.02),
            ..motion(Curve::linear(-105.0, 9.0), Curve::constant(-8.0))
        },
    );
    let t = b.tex(
        Pattern::Stripes {
            angle: 0.3,
            period: 8.0,
        },
        14.0,
        0.1,
    );
    b.mover(
        "rising",
        Shape::rect(24.0, 20.0),
        t,
        6.0,
        motion(Curve::linear(15.0, 0.0), Curve::linear(158.0, -6.0)),
    );
    let t = b.tex(Pattern::Blobs { cell: 12.0 }, 16.0, 0.1);
    b.mover(
        "pentagon",
        regular(5, 40.0, &[]),
        t,
        5.0,
        Motion {
            angle: Curve::linear(0.3, -0.02),
            ..motion(Curve::linear(75.0, -4.0), Curve::constant(5.0))
        },
    );
    let t = b.tex(Pattern::Noise, 10.0, 0.0);
    let star = Shape::Star {
        radius: 24.0,
        lobes: vec![Lobe {
            k: 5,
            amp: 0.25,
            phase: 0.0,
        }],
    };
    b.mover(
        "leaver",
        star,
        t,
        4.0,
        Motion {
            angle: Curve::linear(0.0, 0.05),
            ..motion(Curve::linear(-60.0, -4.5), Curve::linear(-60.0, -4.0))
        },
    );
    b.done()
}

/// Frame-wide flicker and exposure drift plus per-layer gain and offset changes.
pub(super) fn brightness(mut b: Builder) -> Scene {
    b.background(Pattern::Noise, 10.0);
    b.scene.camera.tx = Curve::linear(0.0, b.cam_units(1.5, 10.0));
    b.scene.light = Light {
        gain: Curve::wave(1.0, 0.12, 0.6, 0.0),
        offset: Curve::wave(0.0, 10.0, 0.35, 1.0),
    };
    b.scene.layers[0].light = Light {
        gain: Curve::linear(0.85, 0.012),
        offset: ZERO,
    };
    let t = b.tex(
        Pattern::Stripes {
            angle: -0.4,
            period: 10.0,
        },
        16.0,
        0.1,
    );
    let l = b.mover(
        "ellipse",
        Shape::Ellipse { rx: 40.0, ry: 30.0 },
        t,
        6.0,
        Motion {
            angle: Curve::linear(0.0, 0.03),
            ..motion(
                Curve::linear(-40.0, 2.5),
                Curve::wave(-20.0, 12.0, 0.2, 0.0),
            )
        },
    );
    b.scene.layers[l].light = Light {
        gain: Curve::wave(1.0, 0.25, 0.25, 0.0),
        offset: Curve::linear(-10.0, 0.8),
    };
    let t = b.tex(Pattern::Blobs { cell: 14.0 }, 14.0, 0.1);
    let l = b.fixed("crate", Shape::rect(28.0, 28.0), t, 7.0, 60.0, 55.0);
    b.scene.layers[l].light = Light {
        gain: Curve::linear(1.15, -0.015),
        offset: Curve::wave(0.0, 15.0, 0.3, 0.0),
    };
    b.done()
}

/// Motion of 30+ px/frame: an ellipse swinging at up to ~38 px/frame in its plane, a
/// triangle crossing the frame at 34 px/frame, a star spinning fast, under a shaking camera.
pub(super) fn fast(mut b: Builder) -> Scene {
    b.background(Pattern::Blobs { cell: 24.0 }, 10.0);
    b.scene.camera.tx = Curve::wave(0.0, b.cam_units(15.0, 10.0), 0.3, 0.0);
    let t = b.tex(Pattern::Noise, 14.0, 0.1);
    b.mover(
        "swinger",
        Shape::Ellipse { rx: 30.0, ry: 22.0 },
        t,
        6.0,
        Motion {
            angle: Curve::wave(0.0, 0.4, 0.38, 0.0),
            ..motion(
                Curve::wave(0.0, 100.0, 0.38, 0.0),
                Curve::wave(-30.0, 20.0, 0.25, 0.0),
            )
        },
    );
    let t = b.tex(
        Pattern::Stripes {
            angle: 1.0,
            period: 8.0,
        },
        12.0,
        0.1,
    );
    b.mover(
        "bullet",
        regular(3, 30.0, &[]),
        t,
        5.0,
        motion(Curve::linear(-165.0, 34.0), Curve::constant(65.0)),
    );
    let t = b.tex(Pattern::Blobs { cell: 10.0 }, 10.0, 0.0);
    let star = Shape::Star {
        radius: 26.0,
        lobes: vec![Lobe {
            k: 4,
            amp: 0.2,
            phase: 0.0,
        }],
    };
    b.mover(
        "spinner",
        star,
        t,
        7.0,
        Motion {
            angle: Curve::linear(0.0, 0.35),
            ..motion(Curve::linear(70.0, -1.0), Curve::constant(-70.0))
        },
    );
    b.done()
}

/// A translating, dollying camera: the post (depth 2.5) and the rock (depth 4) are static in
/// the world but slide several times faster than the background (depth 12); the walker
/// moves slowly, so its image motion is comparable to the parallax of static things.
pub(super) fn parallax(mut b: Builder) -> Scene {
    b.background(Pattern::Noise, 12.0);
    b.scene.camera.tx = Curve::wave(0.0, 0.5, 0.2, 0.0);
    b.scene.camera.ty = Curve::wave(0.0, 0.12, 0.25, 1.0);
    b.scene.camera.tz = Curve::linear(0.0, 0.025);
    let t = b.tex(Pattern::Noise, 12.0, 0.1);
    b.mover(
        "walker",
        Shape::Ellipse { rx: 26.0, ry: 34.0 },
        t,
        8.0,
        Motion {
            angle: Curve::wave(0.0, 0.08, 0.5, 0.0),
            ..motion(Curve::linear(-80.0, 2.0), Curve::wave(-50.0, 6.0, 0.3, 0.0))
        },
    );
    let t = b.tex(Pattern::Blobs { cell: 12.0 }, 14.0, 0.1);
    let rock = Shape::Star {
        radius: 28.0,
        lobes: vec![
            Lobe {
                k: 2,
                amp: 0.15,
                phase: 0.5,
            },
            Lobe {
                k: 7,
                amp: 0.06,
                phase: 0.0,
            },
        ],
    };
    b.fixed("rock", rock, t, 4.0, -60.0, 55.0);
    let t = b.tex(
        Pattern::Stripes {
            angle: 1.5,
            period: 6.0,
        },
        10.0,
        0.0,
    );
    b.fixed("post", Shape::rect(14.0, 60.0), t, 2.5, 35.0, 10.0);
    b.done()
}

/// A two-part articulated object (a body with a swinging arm, both instance 1) passing in
/// front of a static box, under a slowly panning camera.
pub(super) fn articulated(mut b: Builder) -> Scene {
    b.background(
        Pattern::Stripes {
            angle: 0.9,
            period: 11.0,
        },
        10.0,
    );
    b.scene.camera.tx = Curve::linear(0.0, b.cam_units(0.8, 10.0));
    let t = b.tex(Pattern::Blobs { cell: 14.0 }, 16.0, 0.2);
    b.fixed("box", Shape::rect(30.0, 24.0), t, 7.0, 35.0, -45.0);
    let t = b.tex(Pattern::Noise, 14.0, 0.1);
    let body = b.mover(
        "body",
        Shape::Ellipse { rx: 40.0, ry: 22.0 },
        t,
        6.0,
        Motion {
            angle: Curve::wave(0.0, 0.15, 0.2, 0.0),
            ..motion(Curve::linear(-50.0, 2.5), Curve::wave(0.0, 8.0, 0.3, 0.0))
        },
    );
    let t = b.tex(
        Pattern::Stripes {
            angle: 0.0,
            period: 6.0,
        },
        8.0,
        0.0,
    );
    let arm = Shape::Polygon {
        pts: vec![
            [-4.0, -7.0],
            [52.0, -6.0],
            [56.0, 0.0],
            [52.0, 6.0],
            [-4.0, 7.0],
        ],
    };
    b.part(
        "arm",
        body,
        arm,
        t,
        Motion {
            angle: Curve::wave(-0.6, 0.7, 0.4, 0.0),
            ..motion(Curve::constant(30.0), Curve::constant(-4.0))
        },
    );
    let t = b.tex(Pattern::Blobs { cell: 8.0 }, 8.0, 0.0);
    b.part(
        "leg",
        body,
        Shape::rect(6.0, 22.0).translated(0.0, 18.0),
        t,
        Motion {
            angle: Curve::wave(0.0, 0.5, 0.55, 1.0),
            ..motion(Curve::constant(-18.0), Curve::constant(12.0))
        },
    );
    b.done()
}
