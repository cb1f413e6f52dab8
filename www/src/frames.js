// Reading a clip's frames on the main thread: the <video> element is seeked frame by frame (it
// decodes whatever the browser plays), each frame handed over as a VideoFrame (WebCodecs) when
// the browser has them, so the worker does the pixel read back; else drawn into an
// OffscreenCanvas here and its pixels transferred.

// Frames of at most this many pixels are processed (854x480); larger videos are scaled down.
export const MAX_PIXELS = 854 * 480;

export function scaledSize(width, height, maxPixels = MAX_PIXELS) {
  const s = Math.min(1, Math.sqrt(maxPixels / (width * height)));
  // Rounded down: the result never exceeds maxPixels.
  return { width: Math.max(2, Math.floor(width * s)), height: Math.max(2, Math.floor(height * s)), scaled: s < 1 };
}

function once(target, ok, fail, signal) {
  return new Promise((resolve, reject) => {
    const clean = () => {
      target.removeEventListener(ok, onOk);
      target.removeEventListener(fail, onFail);
      signal?.removeEventListener('abort', onAbort);
    };
    const onOk = () => (clean(), resolve());
    const onFail = () => (clean(), reject(decodeError(target)));
    const onAbort = () => (clean(), reject(abortError()));
    target.addEventListener(ok, onOk);
    target.addEventListener(fail, onFail);
    signal?.addEventListener('abort', onAbort);
  });
}

export function abortError() {
  return new DOMException('segmentation cancelled', 'AbortError');
}

function decodeError(video) {
  const e = video.error;
  const why = e ? (e.message || ['', 'aborted', 'network error', 'decode error', 'format not supported'][e.code] || `code ${e.code}`) : 'unknown error';
  return new Error(`the browser cannot decode this video (${why})`);
}

// A <video> element playing `source` (an element, a File/Blob, or a URL), its metadata loaded.
export async function openVideo(source, signal) {
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
    if (source.error) throw decodeError(source);
    if (source.readyState < 1) await once(source, 'loadedmetadata', 'error', signal);
    if (!source.videoWidth || !source.videoHeight) throw new Error('the <video> element has no video track');
    // The caller's element is borrowed: measuring the frame rate plays it (muted, so the
    // page makes no sound and autoplay rules allow it) and reading seeks it; afterwards it is
    // back where it was, as it was.
    const saved = { time: source.currentTime, paused: source.paused, muted: source.muted };
    source.pause();
    source.muted = true;
    return {
      video: source,
      release: () => {
        source.pause();
        source.currentTime = saved.time;
        source.muted = saved.muted;
        if (!saved.paused) source.play().catch(() => {});
      },
    };
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  // A URL is read into a Blob first: seeking needs HTTP range requests, which not every
  // server answers (without them every seek shows the first frame), and a failed download
  // then says so.
  if (typeof source === 'string' || source instanceof URL) {
    let resp;
    try {
      resp = await fetch(String(source), { signal });
    } catch (e) {
      throw e?.name === 'AbortError' ? abortError() : new Error(`could not download the video ${source} (${e.message})`);
    }
    if (!resp.ok) throw new Error(`the video ${source} answered HTTP ${resp.status}`);
    source = await resp.blob();
  }
  if (!(source instanceof Blob)) throw new Error('segment() takes a <video> element, a File or Blob, or a URL');
  const url = URL.createObjectURL(source);
  video.src = url;
  const release = () => {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  };
  try {
    await once(video, 'loadedmetadata', 'error', signal);
  } catch (e) {
    release();
    throw e;
  }
  if (!video.videoWidth || !video.videoHeight) {
    release();
    throw new Error('the file has no video track');
  }
  return { video, release };
}

// Frames per second: the element does not say, so the clip is played for a few frames and
// their media times measured (requestVideoFrameCallback); 30 where that is unavailable.
// `single`: playing to the end presented one frame only (motion then needs more).
export async function frameRate(video) {
  if (!('requestVideoFrameCallback' in video)) return { fps: 30, single: false };
  const times = [];
  const start = video.currentTime;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    const finish = () => (clearTimeout(timer), video.removeEventListener('ended', ended), resolve());
    const ended = () => setTimeout(finish, 50);
    video.addEventListener('ended', ended);
    const step = (_, meta) => {
      times.push(meta.mediaTime);
      if (times.length >= 5) finish();
      else video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
    video.play().catch(finish);
  });
  const ended = video.ended;
  video.pause();
  video.currentTime = start;
  const gaps = times.slice(1).map((t, i) => t - times[i]).filter((g) => g > 1e-4).sort((a, b) => a - b);
  if (!gaps.length) return { fps: 30, single: ended && times.length <= 1 };
  // The shortest gap: a frame the browser skips while playing (a busy page) only lengthens
  // gaps, and a median over a few of them could then halve the rate.
  const fps = 1 / gaps[0];
  return { fps: fps > 1 && fps < 241 ? fps : 30, single: false };
}

// Seeks `video` to each chosen frame and calls `deliver(index, frameOrRgba)`.
export async function readFrames(video, { width, height, fps, available, maxFrames, frameStride, signal, deliver, onProgress }) {
  const stride = Math.max(1, Math.floor(frameStride || 1));
  const count = Math.min(maxFrames || Infinity, Math.ceil(available / stride));
  const canvas = typeof VideoFrame === 'undefined' ? new OffscreenCanvas(width, height) : null;
  const ctx = canvas?.getContext('2d', { willReadFrequently: true });
  // The last delivered frame's media time (VideoFrame) or pixel checksum (canvas).
  let last = null;
  for (let i = 0; i < count; i++) {
    if (signal?.aborted) throw abortError();
    // The middle of frame k's display interval selects frame k whatever the rounding.
    const t = Math.min((i * stride + 0.5) / fps, Math.max(0, video.duration - 1e-3));
    const seek = Math.abs(video.currentTime - t) > 1e-6 || i === 0;
    if (seek) {
      // The frame shown before the first seek (measuring the frame rate played the clip).
      if (canvas && i === 0 && video.readyState >= 2) {
        ctx.drawImage(video, 0, 0, width, height);
        last = checksum(ctx.getImageData(0, 0, width, height).data);
      }
      video.currentTime = t;
      await once(video, 'seeked', 'error', signal);
    }
    // 'seeked' can fire before the element shows the frame it seeked to: Chromium then hands
    // out the frame shown before the seek (1 run in 6 of the 8-frame test clip), which
    // changed the masks from run to run. A frame from after `t`, or no newer than the last
    // one delivered (its pixels, without VideoFrame), is read again once the element presents
    // its next frame, at most MAX_WAITS times: a video whose frames really repeat, or whose
    // times are off, is then taken as it is. Without a seek (the clip's end, reached again)
    // the element's frame is the right one and repeats the last by design.
    for (let wait = seek ? 0 : MAX_WAITS; ; wait++) {
      if (canvas) {
        ctx.drawImage(video, 0, 0, width, height);
        const rgba = ctx.getImageData(0, 0, width, height).data;
        const sum = checksum(rgba);
        if (sum !== last || wait >= MAX_WAITS) {
          last = sum;
          deliver(i, { rgba: rgba.buffer });
          break;
        }
      } else {
        // Without a timestamp of our own the frame carries its media time.
        const frame = new VideoFrame(video);
        const fresh = frame.timestamp <= Math.round(t * 1e6) + 1 && (last === null || frame.timestamp > last);
        if (fresh || wait >= MAX_WAITS) {
          last = frame.timestamp;
          deliver(i, { frame });
          break;
        }
        frame.close();
      }
      await presented(video);
    }
    onProgress?.(i + 1, count);
  }
  return count;
}

const MAX_WAITS = 10;

// Resolves when the element presents its next frame, or after 20 ms.
function presented(video) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 20);
    video.requestVideoFrameCallback?.(() => (clearTimeout(timer), resolve()));
  });
}

// A cheap fingerprint of a frame's pixels (every 7th byte): equal for a repeated frame.
function checksum(rgba) {
  let h = 0;
  for (let k = 0; k < rgba.length; k += 7) h = (Math.imul(h, 31) + rgba[k]) | 0;
  return h;
}
