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

# The threaded module (pkg/segmo_wasm_mt*): the CPU backend only, its rayon pool on Web Workers
# sharing the module's memory (src/wasm/pool.rs, www/src/thread.js). Loaded instead of the one
# above when the pipeline runs on the CPU and the page is cross-origin isolated (shared memory
# needs it). wasm threads need std rebuilt with atomics: `-Z build-std` (the rust-src
# component), which stable cargo accepts with RUSTC_BOOTSTRAP=1. wgpu's WebGPU handles are not
# `Send` there, so this build has no GPU side (build.rs: cfg(gpu)). Linker flags: a shared,
# imported memory of up to 4 GiB, and the thread-local storage symbols wasm-bindgen's thread
# start-up needs. Its own target directory: the different flags would otherwise rebuild the
# other module's dependencies each time.
MT_FLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 -C link-arg=--shared-memory \
  -C link-arg=--import-memory -C link-arg=--max-memory=4294967296 -C link-arg=--export=__wasm_init_tls \
  -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
MT_TARGET="$CARGO_TARGET_DIR/wasm-threads"
RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$MT_FLAGS" CARGO_TARGET_DIR="$MT_TARGET" \
  cargo build --release --lib --target wasm32-unknown-unknown --locked --no-default-features \
  -Z build-std=panic_abort,std --config 'profile.release.package.segmo.opt-level=3'
wasm-bindgen --target web --out-dir pkg --out-name segmo_wasm_mt "$MT_TARGET/wasm32-unknown-unknown/release/segmo.wasm"
# The same with relaxed SIMD in our crate's kernels (fused multiply-add in the matrix and
# attention blocks: ViT-B/14 on 2 threads 751 vs 868 ms at 224x224, 3.28 vs 3.95 s at 448x448),
# loaded where the browser validates relaxed SIMD (not Safari). Our crate only, through
# `-Z profile-rustflags`: burn's SIMD crate (macerator 0.5) does not compile with it. Only our
# crate is rebuilt (the dependencies' flags are unchanged).
RUSTC_BOOTSTRAP=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$MT_FLAGS" CARGO_TARGET_DIR="$MT_TARGET" \
  cargo build --release --lib --target wasm32-unknown-unknown --locked --no-default-features \
  -Z build-std=panic_abort,std -Z profile-rustflags --config 'profile.release.package.segmo.opt-level=3' \
  --config 'profile.release.package.segmo.rustflags=["-C", "target-feature=+relaxed-simd"]'
wasm-bindgen --target web --out-dir pkg --out-name segmo_wasm_mt_relaxed "$MT_TARGET/wasm32-unknown-unknown/release/segmo.wasm"

# SEGMO_KEEP_NAMES=1 keeps function names for profiling (www/test/profile.mjs).
if [ "${SEGMO_KEEP_NAMES:-0}" != 1 ]; then
  node www/strip-names.mjs pkg/segmo_wasm_bg.wasm
  node www/strip-names.mjs pkg/segmo_wasm_mt_bg.wasm
  node www/strip-names.mjs pkg/segmo_wasm_mt_relaxed_bg.wasm
fi
cp www/src/*.js www/src/index.d.ts pkg/
cp models/lite-classifier.safetensors models/lite-classifier.md pkg/
cp www/PACKAGE.md pkg/README.md
node www/package-json.mjs > pkg/package.json
rm -f pkg/.gitignore
echo "pkg/: $(du -sh pkg | cut -f1) ($(ls pkg | tr '\n' ' '))"
