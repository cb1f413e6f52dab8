//! Two cfgs the code branches on, derived from the target so that no build command needs a
//! feature flag of its own:
//! - `gpu`: wgpu and our WGSL kernels are compiled in; everywhere except wasm32 with
//!   `+atomics` (the threaded browser module: see Cargo.toml).
//! - `threads`: the CPU paths run on rayon's pool; natively with the `rayon` feature, and in
//!   the threaded browser module, whose pool runs on Web Workers.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gpu)");
    println!("cargo::rustc-check-cfg=cfg(threads)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let atomics = std::env::var("CARGO_CFG_TARGET_FEATURE").is_ok_and(|f| f.split(',').any(|x| x == "atomics"));
    let rayon = std::env::var_os("CARGO_FEATURE_RAYON").is_some();
    if !(wasm && atomics) {
        println!("cargo::rustc-cfg=gpu");
    }
    if (rayon && !wasm) || (wasm && atomics) {
        println!("cargo::rustc-cfg=threads");
    }
}
