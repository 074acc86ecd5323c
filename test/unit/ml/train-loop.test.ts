import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadImageFolder, writeSyntheticImageFolder } from '../../../ml/datasets';
import { buildModel } from '../../../ml/models';
import {
  captureOptimizerState,
  createOptimizer,
  evaluate,
  restoreOptimizerState,
  trainSteps,
} from '../../../ml/training';
import { randomImageDataset } from './random-image-dataset';
import { useTrainingBackend } from './training-backend';

before(useTrainingBackend);

const tinyOptions = {
  arch: 'small-cnn' as const,
  inputShape: [8, 8, 1] as [number, number, number],
  classes: 3,
  widthMultiplier: 0.125,
};
const tinyData = randomImageDataset({ n: 24, height: 8, width: 8, channels: 1, numClasses: 3, seed: 2 });
const cycle = (step: number): number[] => [0, 1, 2, 3].map((i) => (step * 4 + i) % tinyData.n);
const baseArgs = { data: tinyData, batches: cycle, lrAt: () => 0.05, flip: true, seed: 1, task: 0 };

describe('training loop', () => {
  test('learns the synthetic image folder: loss falls and held-out accuracy beats chance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amto-train-'));
    try {
      await writeSyntheticImageFolder(dir, { classes: 4, perClass: 30, size: 16, seed: 3 });
      const { train, test: held } = await loadImageFolder(dir, { inputShape: [12, 12, 3], seed: 1 });
      assert.ok(held !== null);
      const model = buildModel({
        arch: 'small-cnn',
        inputShape: [12, 12, 3],
        classes: 4,
        widthMultiplier: 0.25,
        seed: 1,
      });
      const optimizer = createOptimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true });
      const batches = (step: number): number[] =>
        Array.from({ length: 16 }, (_, i) => (step * 16 + i * 7) % train.n);
      const args = { model, optimizer, data: train, batches, lrAt: () => 0.05, flip: true, seed: 1, task: 0 };
      const before = await evaluate({ model, data: held, batchSize: 32 });
      const first = await trainSteps({ ...args, fromStep: 0, steps: 10 });
      const later = await trainSteps({ ...args, fromStep: 10, steps: 30 });
      const after = await evaluate({ model, data: held, batchSize: 7 });
      assert.ok(later.meanLoss < first.meanLoss, `loss ${first.meanLoss} → ${later.meanLoss}`);
      assert.equal(after.count, held.n);
      assert.ok(
        after.accuracy > 0.5,
        `held-out accuracy ${after.accuracy} (chance 0.25; before ${before.accuracy})`,
      );
      model.dispose();
      optimizer.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('steps use global step numbers for the schedule and the batches, report progress and yield', async () => {
    const model = buildModel(tinyOptions);
    const optimizer = createOptimizer({ learningRate: 1, momentum: 0.9, nesterov: false });
    const lrSteps: number[] = [];
    const batchSteps: number[] = [];
    const progress: number[] = [];
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 0);
    const result = await trainSteps({
      ...baseArgs,
      model,
      optimizer,
      fromStep: 7,
      steps: 5,
      lrAt: (step) => (lrSteps.push(step), 0.01),
      batches: (step) => (batchSteps.push(step), cycle(step)),
      onProgress: (done, meanLoss) => {
        assert.ok(Number.isFinite(meanLoss));
        progress.push(done);
      },
      yieldEvery: 2,
    });
    clearInterval(ticker);
    assert.deepEqual(lrSteps, [7, 8, 9, 10, 11]);
    assert.deepEqual(batchSteps, [7, 8, 9, 10, 11]);
    assert.deepEqual(progress, [1, 2, 3, 4, 5]);
    assert.equal(result.steps, 5);
    assert.ok(ticks > 0, 'timers ran while training');
    model.dispose();
    optimizer.dispose();
  });

  test('the scheduled rate is applied: at rate 0 trainable weights stay, batch-norm statistics move', async () => {
    const model = buildModel(tinyOptions);
    const optimizer = createOptimizer({ learningRate: 0.5, momentum: 0.9, nesterov: true });
    const snapshot = (): Map<string, Float32Array> =>
      new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
    const start = snapshot();
    await trainSteps({ ...baseArgs, model, optimizer, fromStep: 0, steps: 2, lrAt: () => 0 });
    const end = snapshot();
    for (const weight of model.trainableWeights) {
      assert.deepEqual(end.get(weight.originalName), start.get(weight.originalName), weight.originalName);
    }
    assert.notDeepEqual(end.get('block1_bn/moving_mean'), start.get('block1_bn/moving_mean'));
    model.dispose();
    optimizer.dispose();
  });

  test('bad arguments, mismatched data, divergence and aborts give clear errors', async () => {
    const model = buildModel(tinyOptions);
    const optimizer = createOptimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true });
    const args = { ...baseArgs, model, optimizer, fromStep: 0, steps: 1 };
    await assert.rejects(trainSteps({ ...args, steps: -1 }), /steps must be an integer ≥ 0; got -1/);
    await assert.rejects(trainSteps({ ...args, fromStep: 0.5 }), /fromStep must be an integer/);
    await assert.rejects(trainSteps({ ...args, lrAt: () => Number.NaN }), /lrAt\(0\) returned NaN/);
    await assert.rejects(
      trainSteps({ ...args, batches: () => [0, 99] }),
      /Sample index 99 is out of range: the dataset has 24 images/,
    );
    const wrongShape = randomImageDataset({ n: 4, height: 9, width: 8, channels: 1, numClasses: 3, seed: 1 });
    await assert.rejects(
      trainSteps({ ...args, data: wrongShape }),
      /the model takes 8×8×1 images but the dataset has 9×8×1/,
    );
    const wrongClasses = randomImageDataset({
      n: 4,
      height: 8,
      width: 8,
      channels: 1,
      numClasses: 4,
      seed: 1,
    });
    await assert.rejects(
      evaluate({ model, data: wrongClasses, batchSize: 2 }),
      /the model outputs 3 classes but the dataset has 4/,
    );
    await assert.rejects(
      evaluate({ model, data: tinyData, batchSize: 0 }),
      /batchSize must be a positive integer/,
    );
    // Diverging leaves NaN weights behind (the native backend propagates them, WASM's max-pool drops
    // them): it trains its own model and optimizer so the cases after it start from finite weights.
    const diverging = buildModel(tinyOptions);
    const divergingOptimizer = createOptimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true });
    await assert.rejects(
      trainSteps({ ...args, model: diverging, optimizer: divergingOptimizer, steps: 3, lrAt: () => 1e30 }),
      /(the loss became (NaN|Infinity) at step [12]|weights became NaN or infinite by step 2 \(.*\)); lower the learning rate/,
    );
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    await assert.rejects(
      trainSteps({
        ...args,
        steps: 5,
        onProgress: (done) => done === 2 && controller.abort(reason),
        signal: controller.signal,
      }),
      (error) => error === reason,
    );
    assert.deepEqual(await trainSteps({ ...args, steps: 0 }), { meanLoss: Number.NaN, steps: 0 });
    assert.throws(
      () => createOptimizer({ learningRate: 0.1, momentum: 1, nesterov: true }),
      /momentum must be in \[0, 1\)/,
    );
    diverging.dispose();
    divergingOptimizer.dispose();
    model.dispose();
    optimizer.dispose();
  });

  test('an optimizer per interval, as a worker makes them, leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++)
      createOptimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true }).dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test('no tensor leaks over 100 short intervals of train, evaluate, capture and restore', async () => {
    const model = buildModel(tinyOptions);
    const optimizer = createOptimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true });
    const interval = async (i: number): Promise<void> => {
      await trainSteps({ ...baseArgs, model, optimizer, fromStep: i * 2, steps: 2 });
      await evaluate({ model, data: tinyData, indices: [0, 5, 9, 13, 17], batchSize: 2 });
      await restoreOptimizerState(optimizer, model, await captureOptimizerState(optimizer, model));
    };
    await interval(0); // creates the optimizer's slot variables
    const tensors = tf.memory().numTensors;
    for (let i = 1; i <= 100; i++) {
      await interval(i);
    }
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(optimizer.iterations, 202);
    model.dispose();
    optimizer.dispose();
  });
});
