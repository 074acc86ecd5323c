import * as tf from '@tensorflow/tfjs';
import { createStream, seedFor } from '../../amto';
import { gatherBatch } from '../datasets/batch';
import type { ImageDataset } from '../datasets/image-dataset';
import { withDropoutSeed } from '../models/step-seeded-dropout';
import { checkModelFitsData } from './model-data-check';
import { softmaxCrossEntropy } from './softmax-cross-entropy';
import type { StepEngine } from './step-engine';
import { TrainingDivergedError } from './training-diverged';

export interface TrainStepsOptions {
  model: tf.LayersModel;
  optimizer: tf.MomentumOptimizer;
  data: ImageDataset;
  /** Dataset indices of the mini-batch at a global step (a pure function of the step). */
  batches: (step: number) => readonly number[];
  /** Global step of the first step to run (the task's iteration count so far). */
  fromStep: number;
  steps: number;
  /** Learning rate at a global step (the schedule lives in amto/). */
  lrAt: (step: number) => number;
  /** Random horizontal flip, drawn per (seed, task, step). */
  flip: boolean;
  seed: number;
  task: number;
  /** Called after every step with the steps done and their mean loss so far. */
  onProgress?: (done: number, meanLoss: number) => void;
  /** Return to the event loop every this many steps (default 1), so heartbeats and timers run. */
  yieldEvery?: number;
  /** Aborts between steps (activity cancellation); the rejection is the signal's reason. */
  signal?: AbortSignal;
  /** Runs the steps instead of tfjs' minimize (the graph engine); the loop and its seeds stay here. */
  engine?: StepEngine;
}

export interface TrainStepsResult {
  /** Mean training loss over the steps run (NaN when steps is 0). */
  meanLoss: number;
  steps: number;
}

/**
 * Runs `steps` SGD steps. Everything random in a step (flips, dropout masks) is derived from
 * (seed, task, step) and the batch from `batches(step)`, so an interval resumed from a checkpoint at any
 * step continues exactly as the uninterrupted run would: the master and slave of a task, given the same
 * arguments, see identical batches.
 */
export async function trainSteps(options: TrainStepsOptions): Promise<TrainStepsResult> {
  const {
    model,
    optimizer,
    data,
    batches,
    fromStep,
    steps,
    lrAt,
    flip,
    seed,
    task,
    onProgress,
    signal,
    engine,
  } = options;
  const yieldEvery = options.yieldEvery ?? 1;
  checkTrainArguments(options, yieldEvery);
  checkModelFitsData(model, data, 'trainSteps');
  // Gradients in model.trainableWeights order: the optimizer's slots follow this order (see training-state).
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);

  await engine?.load(model, optimizer);
  let lossSum = 0;
  for (let done = 0; done < steps; done++) {
    signal?.throwIfAborted();
    const step = fromStep + done;
    const learningRate = lrAt(step);
    if (!Number.isFinite(learningRate) || learningRate < 0) {
      throw new Error(
        `trainSteps: lrAt(${step}) returned ${learningRate}; a learning rate must be a non-negative number`,
      );
    }
    optimizer.setLearningRate(learningRate);
    const indices = batches(step);
    const loss = tf.tidy(() => {
      const flips = flip ? createStream(seed, 'flip', task, step) : null;
      const flipSource = flips === null ? null : () => flips.nextFloat();
      const batch = gatherBatch(data, indices, flipSource);
      const dropoutSeed = seedFor(seed, 'dropout', task, step);
      if (engine !== undefined) return tf.scalar(engine.step(batch, learningRate, dropoutSeed));
      const batchLoss = (): tf.Scalar => {
        const logits = model.apply(batch.images, { training: true }) as tf.Tensor;
        return tf.mean(softmaxCrossEntropy(logits, batch.labels));
      };
      // Gradients are applied and disposed inside minimize; only the returned loss leaves the tidy.
      const cost = withDropoutSeed(dropoutSeed, () => optimizer.minimize(batchLoss, true, variables));
      if (cost === null) {
        throw new Error('trainSteps: the optimizer returned no loss');
      }
      return cost;
    });
    const lossValue = (await loss.data())[0] as number;
    loss.dispose();
    if (!Number.isFinite(lossValue)) {
      throw new TrainingDivergedError(
        step,
        `trainSteps: the loss became ${lossValue} at step ${step}; lower the learning rate`,
      );
    }
    lossSum += lossValue;
    onProgress?.(done + 1, lossSum / (done + 1));
    if ((done + 1) % yieldEvery === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  await engine?.store(model, optimizer);
  if (steps > 0) {
    await checkFiniteWeights(model, fromStep + steps - 1);
  }
  return { meanLoss: steps === 0 ? Number.NaN : lossSum / steps, steps };
}

/**
 * A finite loss does not prove finite weights (some WASM kernels drop NaNs), and a checkpoint of NaN
 * weights must never be written, so every interval ends with one check over all weights.
 */
async function checkFiniteWeights(model: tf.LayersModel, lastStep: number): Promise<void> {
  const finite = tf.tidy(() => tf.stack(model.weights.map((weight) => tf.all(tf.isFinite(weight.read())))));
  const flags = await finite.data();
  finite.dispose();
  const bad = model.weights.filter((_, i) => flags[i] === 0).map((weight) => weight.originalName);
  if (bad.length > 0) {
    throw new TrainingDivergedError(
      lastStep,
      `trainSteps: weights became NaN or infinite by step ${lastStep} (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}); lower the learning rate`,
    );
  }
}

function checkTrainArguments(options: TrainStepsOptions, yieldEvery: number): void {
  const integers: Array<[string, number, number]> = [
    ['fromStep', options.fromStep, 0],
    ['steps', options.steps, 0],
    ['seed', options.seed, 0],
    ['task', options.task, 0],
    ['yieldEvery', yieldEvery, 1],
  ];
  for (const [name, value, min] of integers) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new Error(`trainSteps: ${name} must be an integer ≥ ${min}; got ${JSON.stringify(value)}`);
    }
  }
}
