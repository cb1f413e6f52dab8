//! The device side of GPU DIS: buffers on burn's wgpu device and kernel launches through
//! [`crate::gpu`], so DIS shares the queue with every other GPU stage.

use crate::error::{Result, SegmoError};
use crate::gpu;
use burn::backend::wgpu::CubeTensor;
use burn::cubecl::server::Handle;
use burn::tensor::{Device, Tensor};

/// Threads per workgroup side of every DIS kernel (8 x 8).
const GROUP: usize = 8;

/// A wgpu device with helpers to allocate, fill, launch and read back.
#[derive(Clone)]
pub struct Gpu {
    device: Device,
    // Any tensor on the device: its client queues our kernels.
    anchor: CubeTensor,
}

impl Gpu {
    /// Fails unless `device` is a (non-autodiff) wgpu device.
    pub fn new(device: &Device) -> Result<Self> {
        let t = Tensor::<1>::zeros([1], device);
        if !gpu::is_gpu_tensor(&t) {
            return Err(SegmoError::Gpu("GPU optical flow needs a wgpu/WebGPU device".into()));
        }
        Ok(Self { device: device.clone(), anchor: gpu::into_cube(t)? })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    fn check(what: &str, floats: usize) -> Result<()> {
        gpu::check_binding(what, floats as u64 * 4)
    }

    /// An uninitialised buffer of `len` floats, for outputs a kernel writes entirely.
    pub fn alloc(&self, what: &str, len: usize) -> Result<Handle> {
        Self::check(what, len)?;
        Ok(gpu::empty_f32(&self.anchor, len))
    }

    /// A zero-filled buffer of `len` floats (burn's own fill kernel, no upload).
    pub fn zeros(&self, what: &str, len: usize) -> Result<Handle> {
        Self::check(what, len)?;
        Ok(gpu::into_cube(Tensor::<1>::zeros([len.max(1)], &self.device))?.handle)
    }

    pub fn upload(&self, what: &str, data: &[f32]) -> Result<Handle> {
        Self::check(what, data.len())?;
        if data.is_empty() {
            return Ok(gpu::empty_f32(&self.anchor, 1));
        }
        Ok(self.anchor.client.create_from_slice(bytemuck::cast_slice(data)))
    }

    /// A kernel's parameter block, floats passed as their bits.
    pub fn params(&self, words: &[u32]) -> Handle {
        gpu::params_buffer(&self.anchor, words)
    }

    /// Queues `kernel` (one WGSL source: preludes and kernel text concatenated) over
    /// `threads` invocations in 8 x 8 workgroups.
    pub fn run(&self, name: &str, kernel: &str, threads: [usize; 2], buffers: Vec<Handle>) -> Result<()> {
        let groups = [threads[0].div_ceil(GROUP).max(1) as u32, threads[1].div_ceil(GROUP).max(1) as u32, 1];
        gpu::launch(&self.anchor, gpu::Wgsl::new(name, kernel, &[]), groups, buffers)
    }

    /// Queues `kernel` over an explicit workgroup grid (kernels that size their own groups).
    pub fn run_groups(&self, name: &str, kernel: &str, groups: [u32; 3], buffers: Vec<Handle>) -> Result<()> {
        gpu::launch(&self.anchor, gpu::Wgsl::new(name, kernel, &[]), groups, buffers)
    }

    fn tensor(&self, h: &Handle, len: usize) -> Tensor<1> {
        gpu::from_cube(&self.anchor, h.clone(), [len])
    }

    /// The first `len` floats of `h` (waits for the queued work).
    pub async fn read(&self, h: &Handle, len: usize) -> Result<Vec<f32>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let data = self.tensor(h, len).into_data_async().await;
        finish(data)
    }

    /// [`Gpu::read`] blocking, natively.
    #[cfg(not(target_family = "wasm"))]
    pub fn read_blocking(&self, h: &Handle, len: usize) -> Result<Vec<f32>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        finish(self.tensor(h, len).try_into_data())
    }
}

fn finish<E: std::fmt::Debug>(data: std::result::Result<burn::tensor::TensorData, E>) -> Result<Vec<f32>> {
    let data = data.map_err(|e| SegmoError::Gpu(format!("reading a flow buffer: {e:?}")));
    crate::device::check_gpu_error()?;
    data?.try_to_vec::<f32>().map_err(|e| SegmoError::Gpu(format!("{e:?}")))
}

/// Float bits of a kernel parameter.
pub fn bits(x: f32) -> u32 {
    x.to_bits()
}
