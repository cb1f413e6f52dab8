//! Running our own WGSL on the device and queue burn already uses.
//!
//! burn 0.22 runs every GPU tensor through a cubecl compute client. cubecl accepts a
//! "precompiled" kernel whose text is already WGSL (`burn_wgpu::SourceKernel`), builds the
//! pipeline with a layout derived from the shader, and binds tensor handles in the order we
//! give them. Launching through that client (instead of a second wgpu device) means our
//! kernels are queued on the same stream as burn's own: no CPU round trip, no extra
//! synchronisation, and the same code path natively and in the browser. See README
//! "Architecture".

use crate::device::GpuLimits;
use crate::error::{Result, SegmoError};
#[cfg(gpu)]
use burn::backend::wgpu::{CubeTensor, KernelSource, SourceKernel, SourceTemplate};
#[cfg(gpu)]
use burn::backend::{Cube, DispatchDevice};
#[cfg(gpu)]
use burn::cubecl::prelude::KernelId;
#[cfg(gpu)]
use burn::cubecl::server::{Handle, KernelArguments};
#[cfg(gpu)]
use burn::cubecl::{CubeCount, CubeDim};
#[cfg(gpu)]
use burn::tensor::{DType, Shape};
use burn::tensor::Tensor;
use std::sync::Mutex;

static LIMITS: Mutex<GpuLimits> = Mutex::new(GpuLimits::WEBGPU_DEFAULT);

pub(crate) fn set_limits(limits: GpuLimits) {
    *LIMITS.lock().unwrap_or_else(|p| p.into_inner()) = limits;
}

/// Pretends the adapter has smaller limits, so that tests can reach the over-limit paths
/// without allocating gigabytes. Process-wide: only for test binaries of their own.
#[doc(hidden)]
pub fn shrink_limits_for_tests(max_storage_buffer_binding_size: u64) {
    let mut l = limits();
    l.max_storage_buffer_binding_size = max_storage_buffer_binding_size;
    set_limits(l);
}

/// Limits of the registered GPU (WebGPU defaults until a device is selected).
pub fn limits() -> GpuLimits {
    *LIMITS.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when a tensor lives on a cubecl (wgpu/WebGPU) device, where our WGSL can run.
#[cfg(gpu)]
pub fn is_gpu_tensor<const D: usize>(t: &Tensor<D>) -> bool {
    let device = t.device();
    matches!(device.as_dispatch(), DispatchDevice::Cube(_)) && !device.is_autodiff()
}

/// Never, in a build without the GPU side (the threaded browser module).
#[cfg(not(gpu))]
pub fn is_gpu_tensor<const D: usize>(_: &Tensor<D>) -> bool {
    false
}

#[cfg(gpu)]
/// One WGSL compute shader from `shaders/`, its `{{NAME}}` placeholders filled in.
#[derive(Clone)]
pub struct Wgsl {
    /// Identifies the compiled pipeline in cubecl's cache: must differ whenever `text` does.
    key: String,
    text: String,
}

#[cfg(gpu)]
impl Wgsl {
    pub fn new(name: &str, template: &str, constants: &[(&str, u32)]) -> Self {
        let mut text = template.to_string();
        let mut key = name.to_string();
        for (k, v) in constants {
            text = text.replace(&format!("{{{{{k}}}}}"), &v.to_string());
            key.push_str(&format!(" {k}={v}"));
        }
        Wgsl { key, text }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(gpu)]
struct WgslKernel {
    key: String,
    text: String,
}

#[cfg(gpu)]
impl KernelSource for WgslKernel {
    fn source(&self) -> SourceTemplate {
        SourceTemplate::new(self.text.clone())
    }
    fn id(&self) -> KernelId {
        KernelId::new::<Self>().info(self.key.clone())
    }
    fn lang(&self) -> &'static str {
        "wgsl"
    }
}

#[cfg(gpu)]
/// Takes the cubecl tensor out of a burn tensor, made contiguous (our kernels index
/// row-major buffers).
pub fn into_cube<const D: usize>(t: Tensor<D>) -> Result<CubeTensor> {
    let prim = t
        .try_into_primitive::<Cube>()
        .map_err(|e| SegmoError::Gpu(format!("tensor is not on a GPU device: {e:?}")))?;
    Ok(burn::backend::wgpu::into_contiguous(prim))
}

#[cfg(gpu)]
/// Wraps a freshly written buffer as a burn tensor on the same device.
pub fn from_cube<const D: usize>(like: &CubeTensor, handle: Handle, shape: [usize; D]) -> Tensor<D> {
    let t = CubeTensor::new_contiguous(
        like.client.clone(),
        like.device.clone(),
        Shape::new(shape),
        handle,
        DType::F32,
    );
    Tensor::from_primitive::<Cube>(t)
}

#[cfg(gpu)]
/// Allocates an uninitialised f32 buffer of `len` elements on `like`'s device.
pub fn empty_f32(like: &CubeTensor, len: usize) -> Handle {
    like.client.empty(len.max(1) * 4)
}

#[cfg(gpu)]
/// Uploads a small parameter block (read as a `var<storage, read>` struct by the shader).
pub fn params_buffer(like: &CubeTensor, words: &[u32]) -> Handle {
    like.client.create_from_slice(bytemuck::cast_slice(words))
}

/// Checks a binding against the adapter's per-binding limit before we ask for it.
pub fn check_binding(what: &str, bytes: u64) -> Result<()> {
    let limit = limits().max_storage_buffer_binding_size;
    if bytes > limit {
        return Err(SegmoError::OverLimits { what: what.to_string(), requested: bytes, limit });
    }
    Ok(())
}

#[cfg(gpu)]
/// Queues `shader` on the client of `on`, binding `buffers` at @binding(0..n) in order.
/// The shader's entry point must be `main`, its workgroup size is declared in the WGSL.
pub fn launch(on: &CubeTensor, shader: Wgsl, workgroups: [u32; 3], buffers: Vec<Handle>) -> Result<()> {
    let lim = limits();
    if buffers.len() as u32 > lim.max_storage_buffers_per_shader_stage {
        return Err(SegmoError::OverLimits {
            what: format!("{} storage buffers for {}", buffers.len(), shader.key),
            requested: buffers.len() as u64,
            limit: lim.max_storage_buffers_per_shader_stage as u64,
        });
    }
    let max = lim.max_compute_workgroups_per_dimension;
    if let Some(&n) = workgroups.iter().find(|&&n| n > max) {
        return Err(SegmoError::OverLimits {
            what: format!("dispatch of {workgroups:?} workgroups for {}", shader.key),
            requested: n as u64,
            limit: max as u64,
        });
    }
    let kernel = SourceKernel::new(WgslKernel { key: shader.key, text: shader.text }, CubeDim::new_1d(1));
    let args = buffers
        .into_iter()
        .fold(KernelArguments::new(), |a, h| a.with_buffer(h.binding()));
    on.client.launch(
        Box::new(kernel),
        CubeCount::Static(workgroups[0], workgroups[1], workgroups[2]),
        args,
    );
    Ok(())
}

/// Runs GPU work so that a failing device gives a typed error: burn's tensor operations
/// panic when the device underneath is gone, and cubecl reports validation errors out of
/// band. Natively the panic is caught here; in the browser (where wasm aborts on panic) the
/// worker dies and the JS wrapper reports it.
pub fn guarded<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    outcome_of(std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)))
}

/// [`guarded`] for GPU work that awaits its reads (the browser's pipeline, natively too).
pub async fn guarded_async<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    outcome_of(CatchUnwind(Box::pin(work)).await)
}

fn outcome_of<T>(outcome: std::thread::Result<Result<T>>) -> Result<T> {
    let recorded = crate::device::check_gpu_error();
    match outcome {
        Ok(Ok(v)) => recorded.map(|()| v),
        Ok(Err(e)) => Err(recorded.err().unwrap_or(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown failure");
            Err(recorded.err().unwrap_or_else(|| SegmoError::Gpu(what.lines().next().unwrap_or(what).to_string())))
        }
    }
}

/// A future whose panics (while it is polled) become its output's `Err`.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}
