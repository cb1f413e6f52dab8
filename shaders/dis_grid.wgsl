// The parameter block of the per-patch DIS kernels (level size and patch grid, see
// `inverse_search::PatchGrid`), prepended by their Rust launchers (`grid_params`).

struct Params {
    w: u32,
    h: u32,
    size: u32,
    stride: u32,
    nx: u32,
    ny: u32,
}
