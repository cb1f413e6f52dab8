// Types of the segmo npm package (the main-thread API; the wasm module runs in its worker).

export interface DeviceInfo {
  /** "gpu" (WebGPU) or "cpu" (the wasm CPU backend). */
  backend: 'gpu' | 'cpu';
  /** The adapter's name, or the CPU backend's. */
  name: string;
  api: string;
  limits: Record<string, number> | null;
  /** A GPU adapter that is really the CPU (SwiftShader, lavapipe): correct but slow. */
  software: boolean;
  /** Why "auto" fell back to the CPU, if it did. */
  fallback_reason: string | null;
  /**
   * Threads the CPU path runs on: more than 1 with the threaded module, which needs a
   * cross-origin isolated page (COOP `same-origin`, COEP `require-corp`); 1 otherwise.
   */
  threads: number;
  /**
   * The CPU kernels' instruction set in the threaded module: "relaxed" (relaxed SIMD's fused
   * multiply-add, where the browser has it) or "simd" (wasm SIMD; also the single-threaded path).
   */
  simd: 'relaxed' | 'simd';
}

export interface ProgressEvent {
  /** "weights", "scale", "decode", "tracks", "features", "classifier", "objects" or "masks". */
  stage: string;
  done: number;
  total: number;
  /** For "weights": whether they came from the Cache API. */
  cached?: boolean;
  /** For "scale": what happened to a large video. */
  message?: string;
  from?: [number, number];
  to?: [number, number];
}

export interface CreateOptions {
  /** Where the pipeline runs; "auto" picks WebGPU when the browser has an adapter. */
  device?: 'auto' | 'webgpu' | 'cpu';
  /** Classifier weights (default: the package's lite weights); a URL is cached after its first download. */
  weights?: string | URL | ArrayBuffer;
  /**
   * Threads for the CPU path (default: the machine's cores, at most 8). Used on a cross-origin
   * isolated page only, where the threaded module can share its memory with its workers.
   */
  threads?: number;
  /**
   * The threaded module's build: true for relaxed SIMD (fused multiply-add; results then differ
   * from the single-threaded path's in the last bits), false for plain wasm SIMD (the same
   * results as one thread). Default: relaxed where the browser has it.
   */
  relaxedSimd?: boolean;
  onProgress?: (e: ProgressEvent) => void;
}

export interface SegmentOptions {
  /** Frames to process (default 50). */
  maxFrames?: number;
  /** Take every n-th frame (default 1). */
  frameStride?: number;
  /** Frames larger than this many pixels are scaled down (default 854 * 480). */
  maxPixels?: number;
  /** The video's frame rate, when known (measured otherwise). */
  fps?: number;
  /** Cancels the run; the promise rejects with an AbortError and GPU memory is freed. */
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

export interface ObjectInfo {
  id: number;
  firstFrame: number;
  lastFrame: number;
  /** Frames where the object has pixels. */
  frames: number;
  /** Mean share of the frame it covers, over those frames. */
  area: number;
}

export interface RLE {
  size: [number, number];
  counts: number[];
}

export declare const PALETTE: number[][];

export declare class SegmentationResult {
  readonly width: number;
  readonly height: number;
  readonly numFrames: number;
  readonly numTracks: number;
  readonly objects: ObjectInfo[];
  readonly times: Record<string, number>;
  readonly device: DeviceInfo;
  /** Frame i's labels (0 = background, k = object k), height * width bytes, row-major. */
  labelsAt(i: number): Uint8Array;
  /** Frame i coloured by object, background transparent. */
  imageDataAt(i: number, colours?: Record<number, number[]> | number[][], hidden?: Set<number>): ImageData;
  toRLE(): { width: number; height: number; numFrames: number; objects: ObjectInfo[]; frames: Array<Record<number, RLE>> };
}

export declare class MotionSegmenter {
  static create(options?: CreateOptions): Promise<MotionSegmenter>;
  readonly device: DeviceInfo;
  readonly parameters: number;
  segment(source: HTMLVideoElement | Blob | string | URL, options?: SegmentOptions): Promise<SegmentationResult>;
  dispose(): void;
}
