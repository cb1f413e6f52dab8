//! Recycled f32 buffers. A flow call needs some 40 floats per pixel of scratch; allocating
//! them afresh costs page faults (the allocator hands large blocks back to the OS), about 15%
//! of the run time at 854x480. [`super::Dis`] keeps one pool across calls, as OpenCV's DIS
//! object keeps its buffers.

use super::pyramid::Plane;
use crate::tracks::Flow;

#[derive(Debug, Default)]
pub struct Pool {
    free: Vec<Vec<f32>>,
}

impl Pool {
    /// A zero-filled buffer of `len` floats, reusing the smallest free one that is big enough
    /// (or else the biggest, which then grows).
    pub fn take(&mut self, len: usize) -> Vec<f32> {
        let mut v = self.take_raw(len);
        v.clear();
        v.resize(len, 0.0);
        v
    }

    fn take_raw(&mut self, len: usize) -> Vec<f32> {
        let fit = self
            .free
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .or_else(|| {
                self.free
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, v)| v.capacity())
            })
            .map(|(i, _)| i);
        match fit {
            Some(i) => self.free.swap_remove(i),
            None => Vec::new(),
        }
    }

    /// Like [`Pool::take`] but with unspecified (finite, stale) contents, for outputs that a
    /// kernel overwrites entirely: skips the zero fill.
    pub fn take_dirty(&mut self, len: usize) -> Vec<f32> {
        let mut v = self.take_raw(len);
        if v.len() > len {
            v.truncate(len);
        } else {
            v.resize(len, 0.0);
        }
        v
    }

    pub fn give(&mut self, v: Vec<f32>) {
        if v.capacity() > 0 {
            self.free.push(v);
        }
    }

    /// A plane whose every pixel the caller will write.
    pub fn plane(&mut self, w: usize, h: usize) -> Plane {
        Plane {
            w,
            h,
            data: self.take_dirty(w * h),
        }
    }

    /// A flow whose every vector the caller will write.
    pub fn flow(&mut self, w: usize, h: usize) -> Flow {
        Flow {
            width: w,
            height: h,
            uv: self.take_dirty(2 * w * h),
        }
    }

    /// An all-zero flow.
    pub fn zero_flow(&mut self, w: usize, h: usize) -> Flow {
        Flow {
            width: w,
            height: h,
            uv: self.take(2 * w * h),
        }
    }
}
