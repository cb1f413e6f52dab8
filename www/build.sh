#!/usr/bin/env bash
# Builds the npm package `segmo` into pkg/: the wasm module (wasm-pack, --target web, release),
# the JS wrapper, its types and worker from www/src, the shipped lite weights and package.json.
# `cd pkg && npm pack` then gives the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/segmo-target}"

# --no-opt: wasm-opt is downloaded at run time by wasm-pack, which this machine cannot do.
# Size over speed for the dependencies of the shipped module, here only (native release builds
# stay at opt-level 3): opt-level "s", fat LTO and one codegen unit take it from 26.5 MB to
# 14.3 MB (names stripped; 2.7 MB gzipped). Our own crate stays at opt-level 3 (+0.3 MB): at
# "s" LLVM neither unrolls nor vectorises its fixed-width loops, and the lite pipeline on the
# wasm CPU took 25.5 s instead of 13.9 s on a 24-frame 854x480 clip (classifier 14.5 -> 6.6 s).
# simd128: wasm SIMD (every current browser has it) for the CPU backend's matrix multiply and
# element-wise loops and for our own vectorised kernels (src/cpu/).
CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
  wasm-pack build --target web --release --no-opt --no-pack --out-dir pkg --out-name segmo_wasm . -- --locked --no-default-features \
  --config 'profile.release.package.segmo.opt-level=3'
# SEGMO_KEEP_NAMES=1 keeps function names for profiling (www/test/profile.mjs).
[ "${SEGMO_KEEP_NAMES:-0}" = 1 ] || node www/strip-names.mjs pkg/segmo_wasm_bg.wasm
cp www/src/*.js www/src/index.d.ts pkg/
cp models/lite-classifier.safetensors models/lite-classifier.md pkg/
cp www/PACKAGE.md pkg/README.md
node www/package-json.mjs > pkg/package.json
rm -f pkg/.gitignore
echo "pkg/: $(du -sh pkg | cut -f1) ($(ls pkg | tr '\n' ' '))"
