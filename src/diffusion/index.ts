// Public API of the diffusion stage: Stable Diffusion img2img on ONNX Runtime.
export {
  loadStableDiffusion,
  NonFiniteOutputError,
  StableDiffusionPipeline,
  type Img2ImgRequest,
  type Img2ImgResult,
  type LoadOptions,
} from "./pipeline.js";
export {
  DEFAULT_SCALING_FACTOR,
  MODEL_FILES,
  loadModelFolder,
  type ModelFolder,
} from "./model-folder.js";
export { ClipTokenizer, CLIP_CONTEXT_LENGTH } from "./tokenizer.js";
export { SCHEDULER_NAMES, type SchedulerName } from "./schedulers/config.js";
export { writeTinyModel, type TinyModelOptions } from "./tiny.js";
