// The end-to-end tests' input: segmo's synthetic sample clip (two moving objects, a static
// object under camera parallax, occlusions) with its ground-truth masks, encoded as a WebM
// video by ffmpeg. Also the same clip at 4K, a one-frame video and a file that is not a video.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FPS = 10;

export function makeFixture({ segmo, width = 224, height = 128, frames = 16 }) {
  const dir = mkdtempSync(join(tmpdir(), 'segmo-e2e-'));
  execFileSync(segmo, ['sample', '--out', dir, '--width', String(width), '--height', String(height), '--frames', String(frames)], { stdio: 'ignore' });
  const ff = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'inherit' });
  // VP8 at high quality: the codec every Chromium build decodes; its noise is part of the test.
  ff(['-framerate', String(FPS), '-i', join(dir, 'frames/%05d.png'), '-c:v', 'libvpx', '-crf', '4', '-b:v', '8M', '-pix_fmt', 'yuv420p', join(dir, 'sample.webm')]);
  ff(['-framerate', String(FPS), '-i', join(dir, 'frames/00000.png'), '-frames:v', '1', '-c:v', 'libvpx', '-crf', '4', '-b:v', '8M', '-pix_fmt', 'yuv420p', join(dir, 'one-frame.webm')]);
  // A 4K video (the sample upscaled, 6 frames): the segmenter must scale it down and say so.
  ff(['-framerate', String(FPS), '-i', join(dir, 'frames/%05d.png'), '-frames:v', '6', '-vf', `scale=3840:${2 * Math.round((3840 * height) / width / 2)}:flags=bicubic`, '-c:v', 'libvpx', '-crf', '10', '-b:v', '20M', '-pix_fmt', 'yuv420p', join(dir, 'sample-4k.webm')]);
  writeFileSync(join(dir, 'not-a-video.webm'), 'this is a text file, not a video\n'.repeat(100));
  writeFileSync(join(dir, 'wrong-weights.safetensors'), new Uint8Array(4096).fill(7));
  const masks = readdirSync(join(dir, 'masks')).filter((f) => f.endsWith('.png')).sort();
  return { dir, width, height, frames, masks };
}
