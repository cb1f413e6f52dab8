// Prints pkg/package.json: name and version from Cargo.toml, the files build.sh puts in pkg/.
import { readFileSync } from 'node:fs';

const cargo = readFileSync(new URL('../Cargo.toml', import.meta.url), 'utf8');
const field = (k) => cargo.match(new RegExp(`^${k} = "(.*)"$`, 'm'))[1];
const pkg = {
  name: 'segmo',
  version: field('version'),
  description: field('description'),
  license: field('license'),
  type: 'module',
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', import: './index.js', default: './index.js' },
    './lite-classifier.safetensors': './lite-classifier.safetensors',
    './package.json': './package.json',
  },
  files: [
    'index.js', 'index.d.ts', 'frames.js', 'result.js', 'worker.js',
    'segmo_wasm.js', 'segmo_wasm.d.ts', 'segmo_wasm_bg.wasm', 'segmo_wasm_bg.wasm.d.ts', 'threads.js', 'thread.js',
    'segmo_wasm_mt.js', 'segmo_wasm_mt.d.ts', 'segmo_wasm_mt_bg.wasm', 'segmo_wasm_mt_bg.wasm.d.ts',
    'segmo_wasm_mt_relaxed.js', 'segmo_wasm_mt_relaxed.d.ts', 'segmo_wasm_mt_relaxed_bg.wasm', 'segmo_wasm_mt_relaxed_bg.wasm.d.ts',
    'lite-classifier.safetensors', 'lite-classifier.md', 'README.md',
  ],
  // The worker runs for its effects; bundlers must keep it (it is loaded through new URL()).
  sideEffects: ['./worker.js', './thread.js', './segmo_wasm.js', './segmo_wasm_mt.js', './segmo_wasm_mt_relaxed.js'],
  keywords: ['video', 'segmentation', 'motion', 'webgpu', 'wasm'],
};
process.stdout.write(JSON.stringify(pkg, null, 2) + '\n');
