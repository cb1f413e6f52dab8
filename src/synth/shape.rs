//! Layer outlines in layer coordinates. Membership is a pure point test, so "which layer is at
//! this exact sub-pixel point" has one answer everywhere (rendering, flow, occlusion, tracks).

use super::detmath::{dcos, dsin};

/// One harmonic of a star outline: radius factor 1 + amp sin(k phi + phase).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lobe {
    pub k: u32,
    pub amp: f64,
    pub phase: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Covers everything: the background.
    Plane,
    Ellipse {
        rx: f64,
        ry: f64,
    },
    /// Simple polygon (convex or not), even-odd rule.
    Polygon {
        pts: Vec<[f64; 2]>,
    },
    /// Blobby star: radius(phi) = radius (1 + sum of lobes); the lobes' |amp| must sum below 1.
    Star {
        radius: f64,
        lobes: Vec<Lobe>,
    },
}

impl Shape {
    /// Whether layer point (u, v) is inside. Same answer as the renderer's, bit for bit.
    pub fn contains(&self, u: f64, v: f64) -> bool {
        self.prepare().contains(u, v)
    }

    /// The shape with per-call constants (lobe phase sines) worked out once.
    pub fn prepare(&self) -> Prepared {
        match self {
            Shape::Plane => Prepared::Plane,
            Shape::Ellipse { rx, ry } => Prepared::Ellipse { rx: *rx, ry: *ry },
            Shape::Polygon { pts } => Prepared::Polygon { pts: pts.clone() },
            Shape::Star { radius, lobes } => {
                let reach = radius * (1.0 + lobes.iter().map(|l| l.amp.abs()).sum::<f64>());
                Prepared::Star {
                    radius: *radius,
                    reach2: reach * reach,
                    lobes: lobes
                        .iter()
                        .map(|l| (l.k, l.amp * dcos(l.phase), l.amp * dsin(l.phase)))
                        .collect(),
                }
            }
        }
    }

    /// [u0, v0, u1, v1] enclosing the shape; `None` for the unbounded plane.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        match self {
            Shape::Plane => None,
            Shape::Ellipse { rx, ry } => Some([-rx, -ry, *rx, *ry]),
            Shape::Polygon { pts } => {
                let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for p in pts {
                    b = [
                        b[0].min(p[0]),
                        b[1].min(p[1]),
                        b[2].max(p[0]),
                        b[3].max(p[1]),
                    ];
                }
                Some(b)
            }
            Shape::Star { radius, lobes } => {
                let r = radius * (1.0 + lobes.iter().map(|l| l.amp.abs()).sum::<f64>());
                Some([-r, -r, r, r])
            }
        }
    }

    /// The same outline moved by (dx, dy) in layer coordinates (polygons only: the other
    /// shapes are centred on the origin by definition, so they are returned unchanged).
    pub fn translated(self, dx: f64, dy: f64) -> Shape {
        match self {
            Shape::Polygon { pts } => Shape::Polygon {
                pts: pts.into_iter().map(|p| [p[0] + dx, p[1] + dy]).collect(),
            },
            s => s,
        }
    }

    /// An axis-aligned rectangle centred on the origin, as a polygon.
    pub fn rect(hw: f64, hh: f64) -> Shape {
        Shape::Polygon {
            pts: vec![[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]],
        }
    }
}

/// A shape ready for many point tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Prepared {
    Plane,
    Ellipse {
        rx: f64,
        ry: f64,
    },
    Polygon {
        pts: Vec<[f64; 2]>,
    },
    /// Lobes as (k, amp cos phase, amp sin phase).
    Star {
        radius: f64,
        reach2: f64,
        lobes: Vec<(u32, f64, f64)>,
    },
}

impl Prepared {
    pub fn contains(&self, u: f64, v: f64) -> bool {
        match self {
            Prepared::Plane => true,
            Prepared::Ellipse { rx, ry } => {
                let (a, b) = (u / rx, v / ry);
                a * a + b * b < 1.0
            }
            Prepared::Polygon { pts } => polygon_contains(pts, u, v),
            Prepared::Star {
                radius,
                reach2,
                lobes,
            } => {
                let rho2 = u * u + v * v;
                if rho2 == 0.0 {
                    return true;
                }
                if rho2 >= *reach2 {
                    return false;
                }
                let rho = rho2.sqrt();
                let (c, s) = (u / rho, v / rho);
                let mut f = 0.0;
                for &(k, ac, as_) in lobes {
                    // sin(k phi + phase) = sin(k phi) cos(phase) + cos(k phi) sin(phase), with
                    // (cos k phi, sin k phi) from complex powers: no atan2, no per-call sine.
                    let (mut re, mut im) = (1.0, 0.0);
                    for _ in 0..k {
                        let r = re * c - im * s;
                        im = re * s + im * c;
                        re = r;
                    }
                    f += im * ac + re * as_;
                }
                let r = radius * (1.0 + f);
                rho2 < r * r
            }
        }
    }
}

fn polygon_contains(pts: &[[f64; 2]], u: f64, v: f64) -> bool {
    let mut inside = false;
    let n = pts.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (pts[i], pts[j]);
        if (a[1] > v) != (b[1] > v) {
            let x = a[0] + (v - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if u < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_and_rect() {
        let e = Shape::Ellipse { rx: 10.0, ry: 5.0 };
        assert!(e.contains(9.9, 0.0) && !e.contains(0.0, 5.1) && e.contains(0.0, 4.9));
        let r = Shape::rect(3.0, 2.0);
        assert!(r.contains(2.9, 1.9) && !r.contains(3.1, 0.0) && !r.contains(0.0, -2.1));
    }

    #[test]
    fn concave_polygon() {
        // An L shape: the notch at (1.5, 1.5) is outside.
        let l = Shape::Polygon {
            pts: vec![
                [0.0, 0.0],
                [2.0, 0.0],
                [2.0, 1.0],
                [1.0, 1.0],
                [1.0, 2.0],
                [0.0, 2.0],
            ],
        };
        assert!(l.contains(0.5, 1.5) && l.contains(1.5, 0.5) && !l.contains(1.5, 1.5));
        assert_eq!(l.bbox(), Some([0.0, 0.0, 2.0, 2.0]));
    }

    #[test]
    fn star_follows_its_lobes() {
        let s = Shape::Star {
            radius: 10.0,
            lobes: vec![Lobe {
                k: 4,
                amp: 0.3,
                phase: 0.0,
            }],
        };
        // phi = pi/8: sin(4 phi) = 1, radius 13; phi = -pi/8: radius 7.
        let a = std::f64::consts::PI / 8.0;
        assert!(s.contains(12.5 * a.cos(), 12.5 * a.sin()));
        assert!(!s.contains(7.5 * a.cos(), -7.5 * a.sin()));
        assert!(s.contains(0.0, 0.0));
        assert!(!s.contains(13.1, 0.0));
    }
}
