//! Small single-channel f32 image type and the handful of filters the baseline needs.

#[derive(Clone, Debug)]
pub(crate) struct Gray {
    pub w: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Gray {
    pub(crate) fn new(w: usize, h: usize) -> Self {
        Self { w, h, data: vec![0.0; w * h] }
    }

    pub(crate) fn from_vec(w: usize, h: usize, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), w * h);
        Self { w, h, data }
    }

    #[inline]
    pub(crate) fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.w + x]
    }

    #[inline]
    fn at_clamped(&self, x: isize, y: isize) -> f32 {
        let x = x.clamp(0, self.w as isize - 1) as usize;
        let y = y.clamp(0, self.h as isize - 1) as usize;
        self.data[y * self.w + x]
    }

    /// Bilinear sample; `None` outside the pixel-centre hull so callers can tell "unknown" from "dark".
    #[inline]
    pub(crate) fn sample(&self, x: f32, y: f32) -> Option<f32> {
        // `!(a >= b)` rather than `a < b` so NaN coordinates also count as outside.
        if !(x >= 0.0 && y >= 0.0 && x <= (self.w - 1) as f32 && y <= (self.h - 1) as f32) {
            return None;
        }
        Some(self.sample_clamped(x, y))
    }

    /// Bilinear sample with edge clamping: LK windows near the border still get sensible values.
    #[inline]
    pub(crate) fn sample_clamped(&self, x: f32, y: f32) -> f32 {
        let x = x.clamp(0.0, (self.w - 1) as f32);
        let y = y.clamp(0.0, (self.h - 1) as f32);
        let x0 = x.floor() as usize;
        let y0 = y.floor() as usize;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let r0 = self.data[y0 * self.w + x0] * (1.0 - fx) + self.data[y0 * self.w + x1] * fx;
        let r1 = self.data[y1 * self.w + x0] * (1.0 - fx) + self.data[y1 * self.w + x1] * fx;
        r0 * (1.0 - fy) + r1 * fy
    }

    /// Area-averaging resize: downscaling by box coverage keeps JPEG noise and aliasing out of
    /// the small working image, which both the tracker and the residual are sensitive to.
    pub(crate) fn resize_area(&self, nw: usize, nh: usize) -> Gray {
        if nw == self.w && nh == self.h {
            return self.clone();
        }
        let wx = area_weights(self.w, nw);
        let wy = area_weights(self.h, nh);
        let mut tmp = vec![0.0f32; nw * self.h];
        for y in 0..self.h {
            let row = &self.data[y * self.w..(y + 1) * self.w];
            for (x, ws) in wx.iter().enumerate() {
                tmp[y * nw + x] = ws.iter().map(|&(i, k)| row[i] * k).sum();
            }
        }
        let mut out = vec![0.0f32; nw * nh];
        for (y, ws) in wy.iter().enumerate() {
            for &(j, k) in ws {
                let src = &tmp[j * nw..(j + 1) * nw];
                for (o, &s) in out[y * nw..(y + 1) * nw].iter_mut().zip(src) {
                    *o += s * k;
                }
            }
        }
        Gray::from_vec(nw, nh, out)
    }

    /// 2x2 box decimation for the pyramid; an odd last row/column is dropped, which only shifts
    /// the coarse levels by a fraction of a pixel that the finer levels correct.
    pub(crate) fn half(&self) -> Gray {
        let nw = (self.w / 2).max(1);
        let nh = (self.h / 2).max(1);
        let mut out = Gray::new(nw, nh);
        for y in 0..nh {
            for x in 0..nw {
                let (x0, y0) = ((2 * x).min(self.w - 1), (2 * y).min(self.h - 1));
                let (x1, y1) = ((2 * x + 1).min(self.w - 1), (2 * y + 1).min(self.h - 1));
                out.data[y * nw + x] =
                    0.25 * (self.at(x0, y0) + self.at(x1, y0) + self.at(x0, y1) + self.at(x1, y1));
            }
        }
        out
    }

    /// Separable binomial [1 4 6 4 1]/16 (sigma ~ 1 px): enough to kill sensor/JPEG noise
    /// without washing out the edges the residual depends on.
    pub(crate) fn blur(&self) -> Gray {
        const K: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
        let mut tmp = Gray::new(self.w, self.h);
        for y in 0..self.h {
            for x in 0..self.w {
                let mut s = 0.0;
                for (i, k) in K.iter().enumerate() {
                    s += k * self.at_clamped(x as isize + i as isize - 2, y as isize);
                }
                tmp.data[y * self.w + x] = s;
            }
        }
        let mut out = Gray::new(self.w, self.h);
        for y in 0..self.h {
            for x in 0..self.w {
                let mut s = 0.0;
                for (i, k) in K.iter().enumerate() {
                    s += k * tmp.at_clamped(x as isize, y as isize + i as isize - 2);
                }
                out.data[y * self.w + x] = s;
            }
        }
        out
    }

    /// Central-difference gradients (per pixel), clamped at the border.
    pub(crate) fn gradients(&self) -> (Gray, Gray) {
        let mut gx = Gray::new(self.w, self.h);
        let mut gy = Gray::new(self.w, self.h);
        for y in 0..self.h {
            for x in 0..self.w {
                let (xi, yi) = (x as isize, y as isize);
                gx.data[y * self.w + x] = 0.5 * (self.at_clamped(xi + 1, yi) - self.at_clamped(xi - 1, yi));
                gy.data[y * self.w + x] = 0.5 * (self.at_clamped(xi, yi + 1) - self.at_clamped(xi, yi - 1));
            }
        }
        (gx, gy)
    }
}

/// For each output index, the source indices it covers and their normalised coverage.
fn area_weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let s = src as f64 / dst as f64;
    (0..dst)
        .map(|i| {
            let a = i as f64 * s;
            let b = ((i + 1) as f64 * s).min(src as f64);
            let mut v = Vec::new();
            let mut j = a.floor() as usize;
            while (j as f64) < b && j < src {
                let lo = a.max(j as f64);
                let hi = b.min((j + 1) as f64);
                if hi > lo {
                    v.push((j, ((hi - lo) / (b - a)) as f32));
                }
                j += 1;
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_area_preserves_mean_and_constant() {
        let g = Gray::from_vec(7, 5, vec![0.3; 35]);
        let r = g.resize_area(3, 2);
        assert!(r.data.iter().all(|v| (v - 0.3).abs() < 1e-6));
        let g = Gray::from_vec(4, 1, vec![0.0, 1.0, 0.0, 1.0]);
        let r = g.resize_area(2, 1);
        assert_eq!(r.data, vec![0.5, 0.5]);
    }

    #[test]
    fn sample_outside_is_none() {
        let g = Gray::from_vec(2, 2, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(g.sample(0.5, 0.5), Some(1.5));
        assert_eq!(g.sample(-0.1, 0.5), None);
        assert_eq!(g.sample(f32::NAN, 0.5), None);
    }
}
