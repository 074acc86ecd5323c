/** The model zoo: builders, sizes, pretrained loading and the file:// IO handler. */
export {
  ARCH_VARIANTS,
  MODEL_ARCHS,
  MODEL_VARIANTS,
  isModelArch,
  type BuildModelOptions,
  type ModelArch,
  type ModelVariant,
} from './build-options';
export { buildModel, minInputSize } from './build-model';
export { forwardFlops } from './forward-flops';
export { describeModels, type ModelDescription } from './describe-models';
export { loadPretrained } from './pretrained';
export { FileIOHandler, pathOfFileUrl, registerFileRouter } from './file-io-handler';
export { StepSeededDropout, withDropoutSeed } from './step-seeded-dropout';
export { portableArtifacts } from './portable-artifacts';
