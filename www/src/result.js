// What `segment()` resolves to: label maps (0 = background, k = object k) and their objects.

// Distinct, colour-blind friendly overlay colours (RGBA), object k gets PALETTE[(k - 1) % n].
export const PALETTE = [
  [230, 159, 0, 150], [86, 180, 233, 150], [0, 158, 115, 150], [240, 228, 66, 150],
  [0, 114, 178, 150], [213, 94, 0, 150], [204, 121, 167, 150], [120, 120, 120, 150],
];

export class SegmentationResult {
  #labels;

  constructor(r, device) {
    this.width = r.width;
    this.height = r.height;
    this.numFrames = r.numFrames;
    this.numTracks = r.numTracks;
    /** `[{ id, firstFrame, lastFrame, frames, area }]`, area = mean share of the frame. */
    this.objects = r.objects;
    /** Milliseconds per pipeline stage. */
    this.times = r.times;
    this.device = device;
    this.#labels = new Uint8Array(r.labels);
  }

  #check(i) {
    if (!Number.isInteger(i) || i < 0 || i >= this.numFrames) throw new RangeError(`frame ${i} is outside 0..${this.numFrames - 1}`);
  }

  /** Frame `i`'s labels, `height * width` bytes row by row (a view, not a copy). */
  labelsAt(i) {
    this.#check(i);
    const n = this.width * this.height;
    return this.#labels.subarray(i * n, (i + 1) * n);
  }

  /**
   * Frame `i` as an ImageData: each object in its colour, background transparent.
   * @param {number} i
   * @param {Record<number, number[]> | number[][]} [colours] RGBA per object id
   * @param {Set<number>} [hidden] object ids left transparent
   */
  imageDataAt(i, colours, hidden) {
    const labels = this.labelsAt(i);
    const rgba = new Uint8ClampedArray(labels.length * 4);
    const colour = (k) => (colours && colours[k]) || PALETTE[(k - 1) % PALETTE.length];
    for (let p = 0; p < labels.length; p++) {
      const k = labels[p];
      if (k === 0 || hidden?.has(k)) continue;
      rgba.set(colour(k), p * 4);
    }
    return new ImageData(rgba, this.width, this.height);
  }

  /**
   * Run-length encoding of every object in every frame, in the COCO convention (column-major
   * runs starting with a run of zeros): `{ width, height, numFrames, objects, frames: [{ [id]:
   * { size: [h, w], counts } }] }`.
   */
  toRLE() {
    const { width: w, height: h } = this;
    const frames = [];
    for (let i = 0; i < this.numFrames; i++) {
      const labels = this.labelsAt(i);
      const out = {};
      for (const { id } of this.objects) {
        const counts = [];
        let run = 0;
        let inside = false;
        for (let x = 0; x < w; x++) {
          for (let y = 0; y < h; y++) {
            const v = labels[y * w + x] === id;
            if (v !== inside) {
              counts.push(run);
              run = 0;
              inside = v;
            }
            run++;
          }
        }
        counts.push(run);
        if (counts.length > 1) out[id] = { size: [h, w], counts };
      }
      frames.push(out);
    }
    return { width: w, height: h, numFrames: this.numFrames, objects: this.objects, frames };
  }
}
