//! Random training scenes: always valid, deterministic, varied, and obedient to their config.

use segmo::synth::{random_scene, render, Curve, RandomSceneConfig, Shape, SynthConfig};

fn cfg() -> RandomSceneConfig {
    RandomSceneConfig {
        cfg: SynthConfig {
            width: 64,
            height: 64,
            frames: 8,
            n_tracks: 16,
            noise: 1.0,
        },
        ..Default::default()
    }
}

#[test]
fn random_scenes_are_valid_and_varied() {
    let rc = cfg();
    let (mut parallax, mut projective, mut articulated, mut moving, mut still_objects) =
        (0, 0, 0, 0, 0);
    let mut counts = std::collections::BTreeSet::new();
    for seed in 0..48u64 {
        let s = random_scene(seed, &rc);
        s.validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let objects = s.layers.iter().filter(|l| l.parent.is_none()).count() - 1;
        assert!(
            (rc.min_objects..=rc.max_objects).contains(&objects),
            "seed {seed}: {objects} objects"
        );
        counts.insert(objects);
        assert_eq!(s.layers[0].shape, Shape::Plane);
        // Far to near, so the painter's order is physically right.
        assert!(
            s.layers.windows(2).all(|w| w[1].depth <= w[0].depth),
            "seed {seed}: depth order"
        );
        let c = render(&s);
        assert_eq!(c.frames.len(), 8);
        for (l, layer) in s.layers.iter().enumerate().skip(1) {
            moving += layer.moving as usize;
            projective += (layer.motion.tilt_x.amp != 0.0) as usize;
            articulated += layer.parent.is_some() as usize;
            if !layer.moving {
                still_objects += 1;
                // Parallax: a static object whose image motion no background homography explains.
                let off = (0..c.flow.len()).any(|t| {
                    let bg = s.homography(0, t + 1).mul(&s.homography(0, t).inverse());
                    let fl = s.homography(l, t + 1).mul(&s.homography(l, t).inverse());
                    let p = s.homography(l, t).apply(0.0, 0.0).unwrap();
                    let (a, b) = (bg.apply(p[0], p[1]).unwrap(), fl.apply(p[0], p[1]).unwrap());
                    (a[0] - b[0]).hypot(a[1] - b[1]) > 0.3
                });
                parallax += off as usize;
            }
        }
    }
    assert!(counts.len() >= 4, "object counts {counts:?}");
    for (what, n) in [
        ("moving", moving),
        ("static", still_objects),
        ("parallax", parallax),
        ("projective", projective),
        ("articulated", articulated),
    ] {
        assert!(n >= 3, "only {n} {what} layers in 48 scenes");
    }
}

#[test]
fn random_scene_is_deterministic_in_its_seed() {
    let rc = cfg();
    assert_eq!(random_scene(11, &rc), random_scene(11, &rc));
    assert_ne!(random_scene(11, &rc), random_scene(12, &rc));
    assert_eq!(
        render(&random_scene(11, &rc)).frames,
        render(&random_scene(11, &rc)).frames
    );
}

#[test]
fn config_is_respected() {
    let base = RandomSceneConfig {
        min_objects: 3,
        max_objects: 3,
        p_articulated: 0.0,
        ..cfg()
    };
    for seed in 0..10 {
        let all_moving = random_scene(
            seed,
            &RandomSceneConfig {
                p_moving: 1.0,
                ..base
            },
        );
        assert_eq!(all_moving.layers.len(), 4);
        assert!(all_moving.layers[1..]
            .iter()
            .all(|l| l.moving && l.instance > 0));
        let ids: Vec<u8> = all_moving.layers[1..].iter().map(|l| l.instance).collect();
        assert_eq!(ids, vec![1, 2, 3]);

        let none = random_scene(
            seed,
            &RandomSceneConfig {
                p_moving: 0.0,
                ..base
            },
        );
        assert!(none.layers.iter().all(|l| !l.moving && l.instance == 0));
        assert!(none.layers.iter().all(|l| !l.motion.is_animated()));

        let still = random_scene(
            seed,
            &RandomSceneConfig {
                camera_motion: 0.0,
                brightness: 0.0,
                ..base
            },
        );
        let c = &still.camera;
        let flat = |k: &Curve| k.v == 0.0 && k.a == 0.0 && k.amp == 0.0;
        assert!(
            [&c.tx, &c.ty, &c.tz, &c.yaw, &c.pitch, &c.roll, &c.zoom]
                .iter()
                .all(|k| flat(k)),
            "seed {seed}: camera moves"
        );
        assert!(still
            .layers
            .iter()
            .all(|l| l.light.gain.amp == 0.0 && l.light.offset.amp == 0.0));
    }
}
