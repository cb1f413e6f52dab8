//! Deterministic parameter values, the same on every backend and platform: training starts
//! from a seeded init, and the parity fixtures use a second rule whose values the fixture
//! script (tests/fixtures/motion/make_fixtures.py) computes bit for bit in numpy.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Tensor, TensorData};

/// How to fill a freshly built model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// For training: Xavier-uniform matrices (as torch's Transformer resets its parameters),
    /// zero biases, unit LayerNorm gains.
    Train { seed: u64 },
    /// For parity fixtures: every value pseudo-random (gains near 1, biases small, matrices
    /// Xavier-scaled), so no parameter is a trivial 0 or 1 that could hide a wiring error.
    Fixture { seed: u64 },
}

/// A value in [-1, 1) with 24 significant bits (exact in f32), from the tensor's name and the
/// element's flat index: splitmix64 over FNV-1a of the name.
pub fn unit(seed: u64, name: &str, index: u64) -> f32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = (h ^ seed).wrapping_add((index + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((z >> 40) as f32) / (1u64 << 23) as f32 - 1.0
}

/// The value of element `index` of the tensor `name` with `shape`.
pub fn value(init: Init, name: &str, shape: &[usize], index: u64) -> f32 {
    let leaf = name.rsplit('.').next().unwrap_or(name);
    if shape.len() >= 2 {
        let receptive: usize = shape[2..].iter().product();
        let (fan_out, fan_in) = (shape[0] * receptive, shape[1] * receptive);
        let bound = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
        let seed = match init {
            Init::Train { seed } | Init::Fixture { seed } => seed,
        };
        return bound * unit(seed, name, index);
    }
    // Rank 1: a LayerNorm gain (the only rank-1 `weight`) or a bias.
    let gain = leaf == "weight";
    match init {
        Init::Train { .. } => gain as u8 as f32,
        Init::Fixture { seed } if gain => 1.0 + 0.25 * unit(seed, name, index),
        Init::Fixture { seed } => 0.2 * unit(seed, name, index),
    }
}

/// `module` with every float parameter filled by `init`.
pub fn initialise<M: Module>(module: M, init: Init) -> M {
    initialise_by(module, |name, shape, i| value(init, name, shape, i))
}

/// `module` with element `i` of the parameter at path `name` (of `shape`) set to
/// `f(name, shape, i)`: for models whose fixtures need their own rule (DINOv2's embeddings).
pub fn initialise_by<M: Module, F: Fn(&str, &[usize], u64) -> f32>(module: M, f: F) -> M {
    module.map(&mut Filler { f, path: Vec::new() })
}

struct Filler<F> {
    f: F,
    path: Vec<String>,
}

impl<F: Fn(&str, &[usize], u64) -> f32> ModuleMapper for Filler<F> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.join(".");
        let old = param.val();
        let shape = old.dims().to_vec();
        let count: usize = shape.iter().product();
        let data: Vec<f32> = (0..count as u64).map(|i| (self.f)(&name, &shape, i)).collect();
        let tensor = Tensor::<D>::from_data(TensorData::new(data, shape), &old.device())
            .set_require_grad(old.is_require_grad());
        Param::initialized(param.id, tensor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_values_are_spread_over_the_interval() {
        let v: Vec<f32> = (0..10_000).map(|i| unit(7, "a.weight", i)).collect();
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
        assert!(v.iter().any(|&x| x < -0.99) && v.iter().any(|&x| x > 0.99));
        assert_ne!(unit(7, "a.weight", 0), unit(7, "a.bias", 0));
        assert_ne!(unit(7, "a.weight", 0), unit(8, "a.weight", 0));
    }

    #[test]
    fn known_values_match_the_fixture_script() {
        // Printed by tests/fixtures/motion/make_fixtures.py's `unit` for the same arguments.
        assert_eq!(unit(0, "x", 0), UNIT_X0);
    }
    const UNIT_X0: f32 = -0.597_583_53;
}
