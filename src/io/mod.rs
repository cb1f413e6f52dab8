//! Reading clips from disk and writing label maps and overlays (native only).

pub mod davis;
pub mod frames;
pub mod overlay;
pub mod tracks_overlay;
pub mod video;

pub use frames::{read_clip, write_labels};
pub use overlay::write_overlay;
pub use tracks_overlay::write_tracks_overlay;
