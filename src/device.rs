//! Picks where the tensors live: a WebGPU/wgpu adapter when there is one, burn's pure-Rust
//! CPU backend (`flex`) otherwise. The choice is reported, because a silent CPU fallback would
//! make a 100x slowdown look like a bug.

use crate::error::{Result, SegmoError};
use burn::tensor::Device;
use std::sync::Mutex;

/// The GPU error recorded since the last check, if any: a read that "succeeded" after one
/// holds garbage, so it must fail.
pub fn check_gpu_error() -> Result<()> {
    match GPU_ERROR.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(msg) => Err(gpu_error(msg)),
        None => Ok(()),
    }
}

fn gpu_error(what: impl std::fmt::Display) -> SegmoError {
    SegmoError::Gpu(format!("{what} (if the device was lost, create a new segmenter to retry)"))
}

/// A finished read, failed if the GPU reported an error while it ran.
fn finish_read<E: std::fmt::Debug>(data: std::result::Result<burn::tensor::TensorData, E>) -> Result<Vec<f32>> {
    let data = data.map_err(|e| gpu_error(format!("{e:?}")));
    check_gpu_error()?;
    data?.try_to_vec::<f32>().map_err(|e| SegmoError::Gpu(format!("{e:?}")))
}

/// A tensor's values on the host, whatever device holds it; GPU failures are typed errors.
#[cfg(not(target_family = "wasm"))]
pub fn read_tensor<const D: usize>(t: burn::tensor::Tensor<D>) -> Result<Vec<f32>> {
    finish_read(t.try_into_data())
}

/// [`read_tensor`] for the browser, where reads must not block.
pub async fn read_tensor_async<const D: usize>(t: burn::tensor::Tensor<D>) -> Result<Vec<f32>> {
    finish_read(t.into_data_async().await)
}

/// Adapters that rasterise on the CPU, by name: a browser may not flag SwiftShader as its
/// fallback adapter.
#[cfg(gpu)]
fn is_software_name(name: &str) -> bool {
    let n = name.to_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "warp"].iter().any(|s| n.contains(s))
}

/// What the caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DevicePreference {
    /// GPU when an adapter answers, else CPU.
    #[default]
    Auto,
    /// GPU or an error: for benchmarks and tests that must not silently run on CPU.
    Gpu,
    Cpu,
}

impl std::str::FromStr for DevicePreference {
    type Err = SegmoError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "gpu" | "webgpu" | "wgpu" => Ok(Self::Gpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(SegmoError::BadInput(format!(
                "unknown device '{other}', expected auto, gpu or cpu"
            ))),
        }
    }
}

/// Limits our own kernels are checked against before launch, so an oversize request is a
/// typed error instead of a wgpu validation panic deep inside the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GpuLimits {
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_workgroup_storage_size: u32,
    pub max_storage_buffers_per_shader_stage: u32,
}

impl GpuLimits {
    /// The WebGPU defaults every browser guarantees.
    pub const WEBGPU_DEFAULT: GpuLimits = GpuLimits {
        max_storage_buffer_binding_size: 128 << 20,
        max_buffer_size: 256 << 20,
        max_compute_workgroups_per_dimension: 65535,
        max_compute_workgroup_storage_size: 16384,
        max_storage_buffers_per_shader_stage: 8,
    };
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Gpu,
    Cpu,
}

/// Human-readable account of the chosen device (also the `device` field seen from JS).
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceInfo {
    pub backend: BackendKind,
    /// Adapter name as the driver reports it ("llvmpipe (LLVM 15.0.6, 256 bits)", "SwiftShader
    /// Device (Subzero)", ...) or "CPU (burn flex)".
    pub name: String,
    /// wgpu backend ("Vulkan", "BrowserWebGpu", ...), empty on CPU.
    pub api: String,
    pub limits: Option<GpuLimits>,
    /// A GPU adapter that is really the CPU (Mesa lavapipe, SwiftShader): correct, but slower
    /// than segmo's CPU paths for work that has one (optical flow).
    pub software: bool,
    /// Why we fell back to CPU under `Auto`, if we did.
    pub fallback_reason: Option<String>,
    /// The device can store and compute in half precision (WebGPU's `shader-f16`).
    pub shader_f16: bool,
}

impl std::fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.backend {
            BackendKind::Gpu => write!(f, "GPU: {} ({})", self.name, self.api),
            BackendKind::Cpu => match &self.fallback_reason {
                Some(why) => write!(f, "CPU (burn flex); no GPU: {why}"),
                None => write!(f, "CPU (burn flex)"),
            },
        }
    }
}

/// A burn device plus what we know about it.
#[derive(Clone, Debug)]
pub struct ComputeDevice {
    pub device: Device,
    pub info: DeviceInfo,
}

// burn's wgpu runtime can be initialised once per process; later requests reuse it.
#[cfg(gpu)]
static GPU: Mutex<Option<std::result::Result<ComputeDevice, String>>> = Mutex::new(None);
// First GPU error since the last read: the message a failed read reports.
static GPU_ERROR: Mutex<Option<String>> = Mutex::new(None);
// The wgpu handles behind it, kept to report and to test device loss.
#[cfg(gpu)]
static SETUP: Mutex<Option<burn::tensor::wgpu::WgpuSetup>> = Mutex::new(None);

impl ComputeDevice {
    pub fn cpu() -> Self {
        Self::cpu_because(None)
    }

    fn cpu_because(reason: Option<String>) -> Self {
        ComputeDevice {
            device: Device::flex(),
            info: DeviceInfo {
                backend: BackendKind::Cpu,
                name: "CPU (burn flex)".into(),
                api: String::new(),
                limits: None,
                software: false,
                fallback_reason: reason,
                shader_f16: false,
            },
        }
    }

    pub fn is_gpu(&self) -> bool {
        self.info.backend == BackendKind::Gpu
    }

    /// Native device selection (blocking).
    #[cfg(not(target_family = "wasm"))]
    pub fn select(pref: DevicePreference) -> Result<Self> {
        if pref == DevicePreference::Cpu {
            return Ok(Self::cpu());
        }
        let gpu = {
            let mut slot = GPU.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| {
                Device::wgpu_options()
                    .init_with_setup()
                    .map(|(device, setup)| Self::from_setup(device, &setup))
                    .map_err(|e| e.to_string())
            })
            .clone()
        };
        Self::resolve(pref, gpu)
    }

    /// Browser (and async native) device selection.
    pub async fn select_async(pref: DevicePreference) -> Result<Self> {
        if pref == DevicePreference::Cpu {
            return Ok(Self::cpu());
        }
        Self::resolve(pref, Self::gpu_async().await)
    }

    /// burn's wgpu device, set up on the first call, or why there is none.
    #[cfg(gpu)]
    async fn gpu_async() -> std::result::Result<Self, String> {
        let cached = GPU.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match cached {
            Some(r) => r,
            None => {
                let r = Device::wgpu_options()
                    .init_with_setup_async()
                    .await
                    .map(|(device, setup)| Self::from_setup(device, &setup))
                    .map_err(|e| no_adapter_reason(&e.to_string()));
                *GPU.lock().unwrap_or_else(|p| p.into_inner()) = Some(r.clone());
                r
            }
        }
    }

    /// None in a build without the GPU side (the threaded browser module).
    #[cfg(not(gpu))]
    async fn gpu_async() -> std::result::Result<Self, String> {
        Err("this build is the threaded CPU module, which has no WebGPU".into())
    }

    /// Reads a tensor back to the host. GPU failures (a lost device, out of memory) come back
    /// as [`SegmoError::Gpu`] with the driver's reason instead of a panic or zeros.
    #[cfg(not(target_family = "wasm"))]
    pub fn read_f32<const D: usize>(&self, t: burn::tensor::Tensor<D>) -> Result<Vec<f32>> {
        finish_read(t.try_into_data())
    }

    /// [`Self::read_f32`] for the browser, where reads must not block.
    pub async fn read_f32_async<const D: usize>(&self, t: burn::tensor::Tensor<D>) -> Result<Vec<f32>> {
        finish_read(t.into_data_async().await)
    }

    /// Destroys the wgpu device under burn, as a driver reset or a closed laptop lid would.
    /// Only for tests of the lost-device path: every later GPU call in this process fails.
    #[doc(hidden)]
    pub fn simulate_device_loss(&self) {
        #[cfg(gpu)]
        if let Some(setup) = SETUP.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            setup.device.destroy();
        }
    }

    fn resolve(pref: DevicePreference, gpu: std::result::Result<Self, String>) -> Result<Self> {
        match (gpu, pref) {
            (Ok(d), _) => {
                log::info!("segmo device: {}", d.info);
                Ok(d)
            }
            (Err(e), DevicePreference::Gpu) => Err(SegmoError::NoAdapter(e)),
            (Err(e), _) => {
                let d = Self::cpu_because(Some(e));
                log::warn!("segmo device: {}", d.info);
                Ok(d)
            }
        }
    }

    #[cfg(gpu)]
    fn from_setup(device: Device, setup: &burn::tensor::wgpu::WgpuSetup) -> Self {
        let info = setup.adapter.get_info();
        let l = setup.device.limits();
        let limits = GpuLimits {
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size as u64,
            max_buffer_size: l.max_buffer_size,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
            max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
        };
        crate::gpu::set_limits(limits);
        *SETUP.lock().unwrap_or_else(|p| p.into_inner()) = Some(setup.clone());
        // cubecl's own handler panics on the device thread, and that panic resumes in
        // whichever of our calls waits next. Recording the error instead lets the next read
        // return it as a typed error (a destroyed device reports validation errors before
        // its lost callback fires).
        setup.device.on_uncaptured_error(std::sync::Arc::new(|e| {
            let mut slot = GPU_ERROR.lock().unwrap_or_else(|p| p.into_inner());
            let first = slot.is_none();
            if first {
                *slot = Some(e.to_string().lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(": "));
            }
            log::error!("GPU error: {e}");
        }));
        ComputeDevice {
            device,
            info: DeviceInfo {
                backend: BackendKind::Gpu,
                name: info.name.clone(),
                api: format!("{:?}", info.backend),
                limits: Some(limits),
                software: format!("{:?}", info.device_type) == "Cpu" || is_software_name(&info.name),
                fallback_reason: None,
                shader_f16: setup.device.features().contains(burn::backend::wgpu::wgpu::Features::SHADER_F16),
            },
        }
    }
}

// wgpu's "no adapter" message lists every native API it did not try, which reads as noise on a
// web page; in a browser what matters is whether WebGPU exists at all or just gave no adapter.
#[cfg(all(target_family = "wasm", gpu))]
fn no_adapter_reason(wgpu_error: &str) -> String {
    log::warn!("no WebGPU adapter: {wgpu_error}");
    let global = js_sys::global();
    let gpu = js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()))
        .map(|g| !g.is_undefined() && !g.is_null())
        .unwrap_or(false);
    if gpu {
        "the browser has WebGPU but offered no adapter (no suitable GPU, or blocked)".into()
    } else {
        "this browser has no WebGPU (navigator.gpu is missing)".into()
    }
}

#[cfg(not(target_family = "wasm"))]
fn no_adapter_reason(wgpu_error: &str) -> String {
    wgpu_error.to_string()
}

/// `t` stored as `dtype`: unchanged when it already is, else cast (an f16-storage model's
/// tensors meeting f32 inputs, norms and outputs).
pub fn in_dtype<const N: usize>(t: burn::tensor::Tensor<N>, dtype: burn::tensor::DType) -> burn::tensor::Tensor<N> {
    if t.dtype() == dtype {
        t
    } else {
        t.cast(dtype)
    }
}
