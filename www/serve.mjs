// Serves the repository root locally (the demo at /www/demo/, the package at /pkg/), with the
// MIME types module workers and wasm streaming need. No dependencies.
//   node www/serve.mjs [--port 8080]
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT || 8080);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.webm': 'video/webm',
  '.mp4': 'video/mp4', '.png': 'image/png', '.md': 'text/markdown; charset=utf-8', '.safetensors': 'application/octet-stream',
};

// `mounts`: URL prefix -> folder served there instead of the repository (the tests' fixtures).
// `isolated`: cross-origin isolation headers, which threaded wasm (SharedArrayBuffer) needs.
export function serve(dir = root, p = port, mounts = {}, { isolated = false } = {}) {
  const extra = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const base = mount ? resolve(mounts[mount]) : dir;
    let file = normalize(join(base, mount ? path.slice(mount.length) : path));
    if (!file.startsWith(base)) return res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      // Byte ranges: a <video> pointed at this server seeks with them.
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      if (range && size > 0) {
        const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
        const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
        if (start > end || start >= size) return res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        res.writeHead(206, { ...extra, 'content-type': type, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}`, 'accept-ranges': 'bytes', 'cache-control': 'no-cache' });
        return createReadStream(file, { start, end }).pipe(res);
      }
      res.writeHead(200, { ...extra, 'content-type': type, 'content-length': size, 'accept-ranges': 'bytes', 'cache-control': 'no-cache' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    }
  });
  return new Promise((ok) => server.listen(p, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Isolated: the demo's CPU path then runs the threaded module (SharedArrayBuffer).
  const server = await serve(root, port, {}, { isolated: true });
  console.log(`segmo demo: http://127.0.0.1:${server.address().port}/www/demo/`);
}
