/** Training: optimizer, the step loop, evaluation and checkpointable training state. */
export { createOptimizer, type OptimizerOptions } from './optimizer';
export { TrainingDivergedError } from './training-diverged';
export { trainSteps, type TrainStepsOptions, type TrainStepsResult } from './train-steps';
export { evaluate, type EvaluateOptions, type EvaluationResult } from './evaluate';
export { softmaxCrossEntropy } from './softmax-cross-entropy';
export {
  captureModelArtifacts,
  captureOptimizerState,
  modelFromArtifacts,
  restoreOptimizerState,
  type OptimizerState,
} from './training-state';
