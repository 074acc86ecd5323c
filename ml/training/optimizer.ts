import * as tf from '@tensorflow/tfjs';

export interface OptimizerOptions {
  /** Initial learning rate; trainSteps sets the scheduled rate before every step. */
  learningRate: number;
  momentum: number;
  nesterov: boolean;
}

/**
 * tfjs' MomentumOptimizer without its leak: its dispose() skips SGDOptimizer's, so the learning-rate
 * scalar it keeps stays alive, one tensor per optimizer; a worker makes one per interval.
 */
class MomentumOptimizer extends tf.MomentumOptimizer {
  override dispose(): void {
    super.dispose();
    (this as unknown as { c?: tf.Tensor }).c?.dispose();
  }
}

/** SGD with (Nesterov) momentum, the paper's optimiser. */
export function createOptimizer({
  learningRate,
  momentum,
  nesterov,
}: OptimizerOptions): tf.MomentumOptimizer {
  if (!Number.isFinite(learningRate) || learningRate < 0) {
    throw new Error(`createOptimizer: learningRate must be a non-negative number; got ${learningRate}`);
  }
  if (!Number.isFinite(momentum) || momentum < 0 || momentum >= 1) {
    throw new Error(`createOptimizer: momentum must be in [0, 1); got ${momentum}`);
  }
  if (typeof nesterov !== 'boolean') {
    throw new Error(`createOptimizer: nesterov must be true or false; got ${JSON.stringify(nesterov)}`);
  }
  return new MomentumOptimizer(learningRate, momentum, nesterov);
}
