//! Attention kernel cases shared by the native (lavapipe/CPU) and browser (Chromium WebGPU)
//! test binaries, async so the same code runs where blocking reads are impossible.

use burn::tensor::{Device, Tensor, TensorData};
use segmo::attention::{attention, reference::attention_f64};

/// (B, H, Lq, Lk, D, mask kind). Odd lengths, length 1, lengths that are not multiples of
/// the 64-row workgroup or the key tile, and every supported head size.
pub const CASES: &[(usize, usize, usize, usize, usize, Mask)] = &[
    (1, 1, 1, 1, 16, Mask::None),
    (1, 1, 1, 1, 128, Mask::Random),
    (2, 3, 37, 53, 32, Mask::Random),
    (3, 2, 65, 129, 64, Mask::OneBatchAllMasked),
    (1, 4, 130, 300, 16, Mask::Random),
    (2, 1, 7, 1000, 128, Mask::None),
    (1, 1, 64, 64, 64, Mask::AllMasked),
    (2, 2, 200, 17, 16, Mask::Random),
    (5, 4, 97, 97, 4, Mask::Random),
    (3, 2, 66, 40, 8, Mask::OneBatchAllMasked),
    // Longer than one dispatch's key chunk (4096): state carried across dispatches.
    (1, 2, 33, 9000, 32, Mask::Random),
];

#[derive(Clone, Copy, Debug)]
pub enum Mask {
    None,
    Random,
    OneBatchAllMasked,
    AllMasked,
}

/// Small deterministic generator: no rand dependency on wasm.
pub struct Lcg(u64);
impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn next_f32(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn vec(&mut self, n: usize, amp: f32) -> Vec<f32> {
        (0..n).map(|_| self.next_f32() * amp).collect()
    }
}

/// Runs one case on `device` and returns the max abs error against the f64 reference.
pub async fn max_error(device: &Device, case: (usize, usize, usize, usize, usize, Mask), seed: u64) -> f32 {
    let (b, h, lq, lk, d, mask_kind) = case;
    let mut rng = Lcg::new(seed);
    // Amplitude 2 gives scores of order sqrt(D): peaked softmaxes, which is what stresses
    // the running max of an online softmax.
    let q = rng.vec(b * h * lq * d, 2.0);
    let k = rng.vec(b * h * lk * d, 2.0);
    let v = rng.vec(b * h * lk * d, 1.0);
    let mask: Option<Vec<f32>> = match mask_kind {
        Mask::None => None,
        Mask::Random => Some((0..b * lk).map(|_| (rng.next_f32() > -0.4) as u8 as f32).collect()),
        Mask::OneBatchAllMasked => Some(
            (0..b * lk).map(|i| if i / lk == 1 { 0.0 } else { (rng.next_f32() > 0.0) as u8 as f32 }).collect(),
        ),
        Mask::AllMasked => Some(vec![0.0; b * lk]),
    };
    let scale = 1.0 / (d as f64).sqrt();
    let expected = attention_f64(&q, &k, &v, mask.as_deref(), [b, h, lq, lk, d], scale);

    let t4 = |x: &Vec<f32>, l: usize| Tensor::<4>::from_data(TensorData::new(x.clone(), [b, h, l, d]), device);
    let m = mask.as_ref().map(|m| Tensor::<2>::from_data(TensorData::new(m.clone(), [b, lk]), device));
    let out = attention(t4(&q, lq), t4(&k, lk), t4(&v, lk), m, None).expect("attention runs");
    assert_eq!(out.dims(), [b, h, lq, d]);
    let got: Vec<f32> = out.into_data_async().await.expect("read back").try_to_vec().expect("f32 data");
    assert!(got.iter().all(|x| x.is_finite()), "non-finite output for {case:?}");
    got.iter().zip(&expected).map(|(a, e)| (a - e).abs()).fold(0.0, f32::max)
}
