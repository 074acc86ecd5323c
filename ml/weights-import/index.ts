/** Imports Keras Applications (.h5, .keras) and torchvision (.pth, .safetensors) weights into the zoo. */
export { importWeights, importTensors, type ImportReport, type ImportWeightsOptions } from './import-weights';
export { readWeightFile } from './read-weight-file';
export { WeightFileError } from './source-tensors';
