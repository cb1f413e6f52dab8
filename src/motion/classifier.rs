//! The track classifier (`traj_oa_depth` in the released code): motion encoder over the
//! spatio-temporal track set, then the decoupled decoder, one moving-probability per track.

use super::config::ClassifierConfig;
use super::init::{initialise, Init};
use super::inputs::ClassifierInput;
use super::point_decoder::TransformerPointNet;
use super::track_transformer::{Masks, PtTransformer};
use crate::error::{Result, SegmoError};
use crate::weights::{Bundle, WeightsError};
use burn::module::Module;
use burn::tensor::{activation, Device, Tensor, TensorData};

/// Metadata key holding [`ClassifierConfig::signature`] in the weight files we write.
pub const SIGNATURE_KEY: &str = "segmo.classifier";
/// Metadata key holding the [`ClassifierConfig`] as JSON, so our files load with no flags.
pub const CONFIG_KEY: &str = "segmo.config";

/// The parameters, named as in the released checkpoint's `model_state_dict`.
#[derive(Module, Debug)]
pub struct TrajOaDepth {
    pub joint_encoder: PtTransformer,
    pub decoder: TransformerPointNet,
}

impl TrajOaDepth {
    pub fn new(config: &ClassifierConfig, device: &Device) -> Self {
        Self { joint_encoder: PtTransformer::new(config, device), decoder: TransformerPointNet::new(config, device) }
    }

    /// `channels [N, T, input_dim]`, masks, `semantic [N, S]` -> logits `[N]`.
    pub fn forward(&self, channels: Tensor<3>, masks: &Masks, semantic: Option<Tensor<2>>) -> Result<Tensor<1>> {
        let motion = self.joint_encoder.forward(channels, masks)?;
        self.decoder.forward(motion, semantic)
    }
}

/// Tensors of one clip's input on a device, ready for [`TrajOaDepth::forward`].
pub struct PreparedInput {
    pub channels: Tensor<3>,
    pub masks: Masks,
    pub semantic: Option<Tensor<2>>,
}

impl PreparedInput {
    pub fn new(input: &ClassifierInput, config: &ClassifierConfig, device: &Device) -> Result<Self> {
        input.check(config)?;
        let (n, t) = (input.tracks, input.frames);
        let channels = Tensor::<3>::from_data(TensorData::new(input.channels(config), [n, t, config.input_dim()]), device);
        let time = Tensor::<2>::from_data(TensorData::new(input.time_mask(), [n, t]), device);
        let tracks = time.clone().transpose();
        let semantic = input
            .semantic
            .as_ref()
            .map(|s| Tensor::<2>::from_data(TensorData::new(s.clone(), [n, config.semantic_dim]), device));
        Ok(Self { channels, masks: Masks { time, tracks }, semantic })
    }
}

/// A classifier ready to run: configuration, parameters, device.
#[derive(Debug)]
pub struct MotionClassifier {
    pub config: ClassifierConfig,
    pub model: TrajOaDepth,
    pub device: Device,
}

impl MotionClassifier {
    pub fn new(config: ClassifierConfig, init: Init, device: &Device) -> Result<Self> {
        config.check()?;
        let model = initialise(TrajOaDepth::new(&config, device), init);
        Ok(Self { config, model, device: device.clone() })
    }

    /// Strict load: every parameter present with its exact shape, nothing left over; a
    /// file we wrote must also carry this configuration's signature.
    pub fn from_bundle(config: ClassifierConfig, bundle: &Bundle, device: &Device) -> Result<Self> {
        config.check()?;
        if bundle.metadata.contains_key(SIGNATURE_KEY) {
            bundle.expect_metadata(SIGNATURE_KEY, &config.signature()).map_err(weights_error)?;
        }
        let model = bundle.load_into(TrajOaDepth::new(&config, device), device).map_err(weights_error)?;
        let model = crate::cpu::prepack::prepack(model);
        Ok(Self { config, model, device: device.clone() })
    }

    pub fn from_bytes(config: ClassifierConfig, bytes: &[u8], device: &Device) -> Result<Self> {
        let bundle = Bundle::from_bytes(bytes).map_err(weights_error)?;
        Self::from_bundle(config, &bundle, device)
    }

    /// A weights file we wrote: the configuration comes from its metadata.
    pub fn from_file_bytes(bytes: &[u8], device: &Device) -> Result<Self> {
        let bundle = Bundle::from_bytes(bytes).map_err(SegmoError::Weights)?;
        let config = bundle
            .metadata
            .get(CONFIG_KEY)
            .ok_or_else(|| SegmoError::Weights(WeightsError::Metadata { key: CONFIG_KEY.into(), found: None, expected: "a classifier configuration (JSON)".into() }))?;
        let config: ClassifierConfig = serde_json::from_str(config).map_err(|e| {
            SegmoError::Weights(WeightsError::Metadata { key: CONFIG_KEY.into(), found: Some(config.clone()), expected: format!("a classifier configuration ({e})") })
        })?;
        Self::from_bundle(config, &bundle, device)
    }

    /// Parameters plus this configuration (signature and JSON), ready to write as safetensors.
    #[cfg(not(target_family = "wasm"))]
    pub fn to_bundle(&self) -> Bundle {
        let mut b = Bundle::from_module(&self.model);
        b.metadata.insert(SIGNATURE_KEY.into(), self.config.signature());
        b.metadata.insert(CONFIG_KEY.into(), serde_json::to_string(&self.config).expect("config serialises"));
        b
    }

    /// Logits `[N]` (before the sigmoid).
    pub fn logits(&self, input: &ClassifierInput) -> Result<Tensor<1>> {
        let p = PreparedInput::new(input, &self.config, &self.device)?;
        self.model.forward(p.channels, &p.masks, p.semantic)
    }

    /// P(moving) per track.
    #[cfg(not(target_family = "wasm"))]
    pub fn predict(&self, input: &ClassifierInput) -> Result<Vec<f32>> {
        crate::device::read_tensor(activation::sigmoid(self.logits(input)?))
    }

    /// [`Self::predict`] for the browser.
    pub async fn predict_async(&self, input: &ClassifierInput) -> Result<Vec<f32>> {
        crate::device::read_tensor_async(activation::sigmoid(self.logits(input)?)).await
    }
}

fn weights_error(e: WeightsError) -> SegmoError {
    SegmoError::Weights(e)
}

/// Where the shipped lite weights live in a source tree (the CLI's default).
#[cfg(not(target_family = "wasm"))]
pub fn shipped_weights_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join("lite-classifier.safetensors")
}
