import type * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../datasets/image-dataset';
import type { EvaluationResult } from './evaluate';

/**
 * Something other than tfjs' op-by-op minimize that runs trainSteps' SGD steps (the graph engine,
 * ml/graph-engine). trainSteps keeps the loop, the batches, the schedule and the seeds; the engine takes
 * the model's and optimizer's state at the start and gives it back at the end, so checkpoints, evaluation
 * and export read the tfjs model and optimizer exactly as after a tfjs run.
 */
export interface StepEngine {
  /** What runs the steps, for logs ('graph engine (TensorFlow 2.21.0, 2 threads)'). */
  readonly description: string;
  /** Takes the weights, batch-norm statistics and momentum slots from the model and optimizer. */
  load(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): Promise<void>;
  /** One step on the batch; returns its mean loss. */
  step(
    batch: { images: tf.Tensor4D; labels: tf.Tensor1D },
    learningRate: number,
    dropoutSeed: number,
  ): number;
  /** Writes the trained state back into the model and optimizer (iterations advanced by the steps run). */
  store(model: tf.LayersModel, optimizer: tf.MomentumOptimizer): Promise<void>;
  /** What ml/training's evaluate computes, on the model's current weights. */
  evaluate(
    model: tf.LayersModel,
    data: ImageDataset,
    indices: readonly number[],
    batchSize: number,
  ): Promise<EvaluationResult>;
}
