//! 3x3 projective maps of the plane, row-major, acting on column vectors (x, y, 1).

use super::detmath::{dcos, dsin};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [[f64; 3]; 3]);

impl Homography {
    pub const IDENTITY: Homography =
        Homography([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    pub fn translate(x: f64, y: f64) -> Self {
        Homography([[1.0, 0.0, x], [0.0, 1.0, y], [0.0, 0.0, 1.0]])
    }

    pub fn rotate(angle: f64) -> Self {
        let (c, s) = (dcos(angle), dsin(angle));
        Homography([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    }

    /// Scale along x and y, then shear x by y (x' = sx x + shear sy y).
    pub fn scale_shear(sx: f64, sy: f64, shear: f64) -> Self {
        Homography([[sx, shear * sy, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])
    }

    /// Pure perspective part: w = 1 + gx x + gy y (an out-of-plane tilt, seen as a keystone).
    pub fn perspective(gx: f64, gy: f64) -> Self {
        Homography([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [gx, gy, 1.0]])
    }

    pub fn mul(&self, o: &Homography) -> Homography {
        let (a, b) = (&self.0, &o.0);
        let mut m = [[0.0; 3]; 3];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
            }
        }
        Homography(m)
    }

    /// Inverse by the adjugate. adj/det (rather than adj alone) keeps the sign of w: a point
    /// in front of the camera (w > 0 under self) maps back with w > 0 too.
    pub fn inverse(&self) -> Homography {
        let m = &self.0;
        let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
        let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
        let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
        let det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
        assert!(det != 0.0 && det.is_finite(), "singular homography {m:?}");
        let adj = [
            [
                c00,
                m[0][2] * m[2][1] - m[0][1] * m[2][2],
                m[0][1] * m[1][2] - m[0][2] * m[1][1],
            ],
            [
                c01,
                m[0][0] * m[2][2] - m[0][2] * m[2][0],
                m[0][2] * m[1][0] - m[0][0] * m[1][2],
            ],
            [
                c02,
                m[0][1] * m[2][0] - m[0][0] * m[2][1],
                m[0][0] * m[1][1] - m[0][1] * m[1][0],
            ],
        ];
        Homography(adj).scaled(1.0 / det).normalized()
    }

    fn scaled(&self, k: f64) -> Homography {
        Homography(self.0.map(|r| r.map(|v| v * k)))
    }

    /// Same map scaled so that |entry (2,2)| = 1, which keeps magnitudes comparable between
    /// frames. Scaling by |.| rather than the entry itself matters: where the plane's horizon
    /// crosses the image, entry (2,2) (w at the image origin) can be negative while w is
    /// positive over the visible part, and flipping the sign would put that part "behind the
    /// camera".
    pub fn normalized(&self) -> Homography {
        let d = self.0[2][2].abs();
        if d > 1e-12 {
            self.scaled(1.0 / d)
        } else {
            *self
        }
    }

    /// Maps a point; `None` where it falls on or behind the line at infinity (w <= 0), i.e.
    /// behind the camera for the maps a scene builds, so callers treat it as not visible.
    pub fn apply(&self, x: f64, y: f64) -> Option<[f64; 2]> {
        let m = &self.0;
        let w = m[2][0] * x + m[2][1] * y + m[2][2];
        if w <= 1e-9 {
            return None;
        }
        Some([
            (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
        ])
    }

    /// w of the mapped point, for checking a scene stays in front of the camera.
    pub fn w(&self, x: f64, y: f64) -> f64 {
        let m = &self.0;
        m[2][0] * x + m[2][1] * y + m[2][2]
    }

    /// True when the map is affine (bottom row exactly (0, 0, c)).
    pub fn is_affine(&self) -> bool {
        self.0[2][0] == 0.0 && self.0[2][1] == 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_round_trips() {
        let h = Homography::translate(3.0, -2.0)
            .mul(&Homography::rotate(0.4))
            .mul(&Homography::scale_shear(1.3, 0.8, 0.2))
            .mul(&Homography::perspective(0.002, -0.001));
        let p = [17.0, -5.5];
        let q = h.apply(p[0], p[1]).unwrap();
        let r = h.inverse().apply(q[0], q[1]).unwrap();
        assert!(
            (r[0] - p[0]).abs() < 1e-10 && (r[1] - p[1]).abs() < 1e-10,
            "{r:?}"
        );
        assert!(!h.is_affine());
        assert!(Homography::rotate(1.0)
            .mul(&Homography::translate(1.0, 2.0))
            .is_affine());
    }

    #[test]
    fn composition_order_is_right_to_left() {
        // translate after rotate: (1,0) -> (0,1) -> (10,1)
        let h =
            Homography::translate(10.0, 0.0).mul(&Homography::rotate(std::f64::consts::FRAC_PI_2));
        let p = h.apply(1.0, 0.0).unwrap();
        assert!(
            (p[0] - 10.0).abs() < 1e-12 && (p[1] - 1.0).abs() < 1e-12,
            "{p:?}"
        );
    }

    #[test]
    fn inverse_keeps_points_in_front() {
        // w at the image origin is negative under the inverse, positive where the layer is.
        // Image x = 0 is where layer point x = -200 (behind the camera, w = -1) lands.
        let h = Homography::translate(-200.0, 0.0).mul(&Homography::perspective(0.01, 0.0));
        let inv = h.inverse();
        let p = h.apply(10.0, 5.0).unwrap();
        assert!(inv.w(0.0, 0.0) < 0.0);
        let q = inv.apply(p[0], p[1]).expect("in front");
        assert!((q[0] - 10.0).abs() < 1e-9 && (q[1] - 5.0).abs() < 1e-9);
    }

    #[test]
    fn behind_the_camera_is_none() {
        let h = Homography::perspective(0.01, 0.0);
        assert!(h.apply(-200.0, 0.0).is_none());
        assert!(h.apply(50.0, 0.0).is_some());
    }
}
