import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { batchIndices } from '../../../amto';
import { loadFashionMnist, selectSamples } from '../../../ml/datasets';
import { buildModel } from '../../../ml/models';
import { createOptimizer, evaluate, trainSteps } from '../../../ml/training';
import { useTrainingBackend } from './training-backend';

before(useTrainingBackend);

const TRAIN_IMAGES = 5000;
const BATCH = 64;
const STEPS = 300;
/** The paper's 1e-3 barely moves a freshly initialised model in a few hundred steps. */
const LEARNING_RATE = 0.05;
const SEED = 1;

test(`small-cnn on the default backend: > 80% Fashion-MNIST test accuracy after ${STEPS} steps on ${TRAIN_IMAGES} images`, async (t) => {
  const started = Date.now();
  const { train, test: testSet } = await loadFashionMnist();
  assert.ok(testSet !== null);
  const subset = selectSamples(
    train,
    Array.from({ length: TRAIN_IMAGES }, (_, i) => i),
  );
  const model = buildModel({ arch: 'small-cnn', inputShape: [28, 28, 1], classes: 10, seed: SEED });
  const optimizer = createOptimizer({ learningRate: LEARNING_RATE, momentum: 0.9, nesterov: true });
  // The activities' batch schedule: epochs of a seeded shuffle, batch order a pure function of the step.
  const batches = (step: number): number[] =>
    batchIndices({ seed: SEED, task: 0, step, trainSize: TRAIN_IMAGES, batchSize: BATCH });
  const trainStarted = Date.now();
  const { meanLoss } = await trainSteps({
    model,
    optimizer,
    data: subset,
    batches,
    fromStep: 0,
    steps: STEPS,
    lrAt: () => LEARNING_RATE,
    flip: true,
    seed: SEED,
    task: 0,
  });
  const trainSeconds = (Date.now() - trainStarted) / 1000;
  const result = await evaluate({ model, data: testSet, batchSize: 500 });
  t.diagnostic(
    `test accuracy ${(100 * result.accuracy).toFixed(2)}% on ${result.count} images, test loss ${result.loss.toFixed(4)}, ` +
      `mean training loss ${meanLoss.toFixed(4)}; training ${trainSeconds.toFixed(1)} s ` +
      `(${((1000 * trainSeconds) / STEPS).toFixed(0)} ms/step), total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  assert.equal(result.count, 10000);
  assert.ok(result.accuracy > 0.8, `test accuracy ${result.accuracy}`);
  model.dispose();
  optimizer.dispose();
});
