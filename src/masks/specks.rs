//! Small regions out of a label map: the densifier decides every pixel by its nearest seed, so a
//! lone mislabelled track (a ripple, a glint) makes a speck of object in the background, and a
//! lone background track a hole in an object. Both cost far more boundary than area: a speck of
//! 20x20 px adds 80 px of false outline, which the boundary measure F counts like a misplaced
//! object edge.

/// In place on `labels` (`w x h`): every 4-connected region of one label smaller than
/// `min_area` pixels takes the label of its surroundings when a single label surrounds it
/// (object specks in the background, holes inside an object, bits of one object inside
/// another); a region touching several labels keeps its own, and so does an object's largest
/// region in the frame (a small or distant mover is still the mover).
pub fn absorb_small_regions(labels: &mut [u8], w: usize, h: usize, min_area: usize) {
    if min_area <= 1 {
        return;
    }
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    // Per region: its label, its pixels' range in `pixels`, and the one label around it
    // (None until one is met, Some(None) once two are).
    let mut regions: Vec<(u8, std::ops::Range<usize>, Option<Option<u8>>)> = Vec::new();
    let mut pixels = Vec::with_capacity(w * h);
    let mut largest = [0usize; 256];
    for start in 0..w * h {
        if seen[start] {
            continue;
        }
        let label = labels[start];
        let first = pixels.len();
        stack.push(start);
        seen[start] = true;
        let mut around: Option<Option<u8>> = None;
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % w, i / w);
            let neighbours = [(x > 0).then(|| i - 1), (x + 1 < w).then(|| i + 1), (y > 0).then(|| i - w), (y + 1 < h).then(|| i + w)];
            for j in neighbours.into_iter().flatten() {
                if labels[j] == label {
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                } else {
                    around = match around {
                        None => Some(Some(labels[j])),
                        Some(Some(l)) if l != labels[j] => Some(None),
                        same => same,
                    };
                }
            }
        }
        largest[label as usize] = largest[label as usize].max(pixels.len() - first);
        regions.push((label, first..pixels.len(), around));
    }
    for (label, range, around) in regions {
        let size = range.len();
        let main_body = label > 0 && size == largest[label as usize];
        if size < min_area && !main_body {
            if let Some(Some(l)) = around {
                for &i in &pixels[range] {
                    labels[i] = l;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paint(labels: &mut [u8], w: usize, x0: usize, y0: usize, x1: usize, y1: usize, l: u8) {
        for y in y0..y1 {
            for x in x0..x1 {
                labels[y * w + x] = l;
            }
        }
    }

    #[test]
    fn specks_and_holes_take_their_surroundings_and_large_regions_stay() {
        let (w, h) = (40, 30);
        let mut labels = vec![0u8; w * h];
        paint(&mut labels, w, 5, 5, 25, 25, 1); // an object, 400 px
        paint(&mut labels, w, 10, 10, 12, 12, 0); // a 4 px hole in it
        paint(&mut labels, w, 30, 5, 33, 8, 1); // a 9 px speck in the background
        paint(&mut labels, w, 30, 20, 38, 28, 2); // a second object, 64 px
        paint(&mut labels, w, 1, 27, 3, 29, 3); // a third, 4 px: its largest region
        let mut out = labels.clone();
        absorb_small_regions(&mut out, w, h, 20);
        let mut expect = labels.clone();
        paint(&mut expect, w, 10, 10, 12, 12, 1);
        paint(&mut expect, w, 30, 5, 33, 8, 0);
        assert_eq!(out, expect);
        // Below 100 px object 2 (64 px) is small too, but it is all of object 2.
        let mut out = labels.clone();
        absorb_small_regions(&mut out, w, h, 100);
        assert_eq!(out, expect);
        // A bound below every region changes nothing.
        let mut same = labels.clone();
        absorb_small_regions(&mut same, w, h, 4);
        assert_eq!(same, labels);
    }

    #[test]
    fn a_small_region_between_two_labels_keeps_its_own() {
        let (w, h) = (30, 10);
        let mut labels = vec![0u8; w * h];
        paint(&mut labels, w, 0, 0, 12, 10, 1);
        paint(&mut labels, w, 12, 4, 14, 6, 2); // 4 px of object 2 between object 1 and background
        let before = labels.clone();
        absorb_small_regions(&mut labels, w, h, 10);
        assert_eq!(labels, before);
    }
}
