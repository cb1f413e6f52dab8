//! Binary mask clean-up: open/close with a square element, hole filling, connected components.

/// Row-major binary mask.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mask {
    pub w: usize,
    pub h: usize,
    pub on: Vec<bool>,
}

impl Mask {
    pub(crate) fn new(w: usize, h: usize, on: Vec<bool>) -> Self {
        debug_assert_eq!(on.len(), w * h);
        Self { w, h, on }
    }

    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.on.iter().filter(|v| **v).count()
    }
}

/// Sliding any/all over a 1-D line with a window of `2r + 1`, in O(n) via running counts.
fn line_filter(src: &[bool], dst: &mut [bool], r: usize, dilate: bool) {
    let n = src.len();
    let mut count = 0usize;
    // Window [i - r, i + r] clipped to the line; outside counts as "off" for dilation and
    // "on" for erosion so the frame border neither grows nor eats objects.
    for v in src.iter().take(r.min(n)) {
        count += *v as usize;
    }
    for i in 0..n {
        if i + r < n {
            count += src[i + r] as usize;
        }
        if i > r {
            count -= src[i - r - 1] as usize;
        }
        let lo = i.saturating_sub(r);
        let hi = (i + r).min(n - 1);
        dst[i] = if dilate { count > 0 } else { count == hi - lo + 1 };
    }
}

fn separable(m: &Mask, r: usize, dilate: bool) -> Mask {
    if r == 0 {
        return m.clone();
    }
    let (w, h) = (m.w, m.h);
    let mut tmp = vec![false; w * h];
    for y in 0..h {
        line_filter(&m.on[y * w..(y + 1) * w], &mut tmp[y * w..(y + 1) * w], r, dilate);
    }
    let mut out = vec![false; w * h];
    let mut col = vec![false; h];
    let mut res = vec![false; h];
    for x in 0..w {
        for y in 0..h {
            col[y] = tmp[y * w + x];
        }
        line_filter(&col, &mut res, r, dilate);
        for y in 0..h {
            out[y * w + x] = res[y];
        }
    }
    Mask::new(w, h, out)
}

pub(crate) fn dilate(m: &Mask, r: usize) -> Mask {
    separable(m, r, true)
}

pub(crate) fn erode(m: &Mask, r: usize) -> Mask {
    separable(m, r, false)
}

/// Removes specks thinner than the element (isolated noise pixels, one-pixel edge flicker).
pub(crate) fn open(m: &Mask, r: usize) -> Mask {
    dilate(&erode(m, r), r)
}

/// Bridges gaps: differencing of a uniform object fires on its edges and leaves its interior
/// broken; closing joins the fragments so hole filling can restore the inside.
pub(crate) fn close(m: &Mask, r: usize) -> Mask {
    erode(&dilate(m, r), r)
}

/// Sets every background region not connected (4-neighbourhood) to the frame border.
pub(crate) fn fill_holes(m: &Mask) -> Mask {
    let (w, h) = (m.w, m.h);
    let mut outside = vec![false; w * h];
    let mut stack = Vec::new();
    let push = |i: usize, outside: &mut Vec<bool>, stack: &mut Vec<usize>| {
        if !m.on[i] && !outside[i] {
            outside[i] = true;
            stack.push(i);
        }
    };
    for x in 0..w {
        push(x, &mut outside, &mut stack);
        push((h - 1) * w + x, &mut outside, &mut stack);
    }
    for y in 0..h {
        push(y * w, &mut outside, &mut stack);
        push(y * w + w - 1, &mut outside, &mut stack);
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        if x > 0 {
            push(i - 1, &mut outside, &mut stack);
        }
        if x + 1 < w {
            push(i + 1, &mut outside, &mut stack);
        }
        if y > 0 {
            push(i - w, &mut outside, &mut stack);
        }
        if y + 1 < h {
            push(i + w, &mut outside, &mut stack);
        }
    }
    Mask::new(w, h, outside.iter().map(|o| !o).collect())
}

/// 8-connected components: a label map (0 = background, 1..=n in raster order of first pixel)
/// and each component's area (index 0 unused).
pub(crate) fn components(m: &Mask) -> (Vec<u32>, Vec<usize>) {
    let (w, h) = (m.w, m.h);
    let mut labels = vec![0u32; w * h];
    let mut areas = vec![0usize];
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !m.on[start] || labels[start] != 0 {
            continue;
        }
        let id = areas.len() as u32;
        let mut area = 0;
        labels[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            area += 1;
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if m.on[j] && labels[j] == 0 {
                        labels[j] = id;
                        stack.push(j);
                    }
                }
            }
        }
        areas.push(area);
    }
    (labels, areas)
}

/// Drops components smaller than `min_area` pixels.
pub(crate) fn remove_small(m: &Mask, min_area: usize) -> Mask {
    let (labels, areas) = components(m);
    Mask::new(m.w, m.h, labels.iter().map(|&l| l != 0 && areas[l as usize] >= min_area).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_str(rows: &[&str]) -> Mask {
        let w = rows[0].len();
        Mask::new(w, rows.len(), rows.iter().flat_map(|r| r.bytes().map(|b| b == b'#')).collect())
    }

    #[test]
    fn open_removes_specks_close_bridges_gaps() {
        let m = from_str(&["#.......", "........", "..###...", "..###...", "..###...", "........"]);
        let o = open(&m, 1);
        assert!(!o.on[0]);
        assert_eq!(o.count(), 9);
        let g = from_str(&["........", ".##.##..", ".##.##..", "........"]);
        let c = close(&g, 1);
        assert!(c.on[8 + 3] && c.on[16 + 3]);
    }

    #[test]
    fn border_does_not_erode_objects() {
        let m = from_str(&["###", "###", "###"]);
        assert_eq!(erode(&m, 1).count(), 9);
    }

    #[test]
    fn fills_holes_but_not_border_bays() {
        let m = from_str(&["#####.", "#...#.", "#####.", "#..###", "#.....", "######"]);
        let f = fill_holes(&m);
        assert!(f.on[6 + 1] && f.on[6 + 3]);
        assert!(!f.on[4 * 6 + 1]);
    }

    #[test]
    fn components_and_small_removal() {
        let m = from_str(&["##..#", "##...", "....#", "...##"]);
        let (labels, areas) = components(&m);
        assert_eq!(areas, vec![0, 4, 1, 3]);
        assert_eq!(labels[4], 2);
        assert_eq!(remove_small(&m, 2).count(), 7);
    }
}
