//! Stage timings that work in the browser too: `std::time::Instant` panics on wasm32, where the
//! clock is JavaScript's.

#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    #[cfg(not(target_family = "wasm"))]
    start: std::time::Instant,
    #[cfg(target_family = "wasm")]
    start: f64,
}

impl Stopwatch {
    pub fn start() -> Self {
        #[cfg(not(target_family = "wasm"))]
        return Self { start: std::time::Instant::now() };
        #[cfg(target_family = "wasm")]
        return Self { start: js_sys::Date::now() };
    }

    /// Milliseconds since [`Stopwatch::start`].
    pub fn ms(&self) -> f64 {
        #[cfg(not(target_family = "wasm"))]
        return self.start.elapsed().as_secs_f64() * 1e3;
        #[cfg(target_family = "wasm")]
        return js_sys::Date::now() - self.start;
    }
}
