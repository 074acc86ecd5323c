import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { ImageDataset } from '../../../ml/datasets';
import { buildModel, type BuildModelOptions } from '../../../ml/models';
import {
  captureModelArtifacts,
  captureOptimizerState,
  createOptimizer,
  modelFromArtifacts,
  restoreOptimizerState,
  trainSteps,
} from '../../../ml/training';
import { randomImageDataset } from './random-image-dataset';
import { useTrainingBackend } from './training-backend';

before(useTrainingBackend);

const BATCH = 8;
const seed = 11;
const task = 2;

function runArgs(data: ImageDataset) {
  return {
    data,
    // A batch order that is a pure function of the step, as the activities' is.
    batches: (step: number) => Array.from({ length: BATCH }, (_, i) => (step * 5 + i * 3) % data.n),
    lrAt: (step: number) => (step < 3 ? 0.02 : 0.01),
    flip: true,
    seed,
    task,
  };
}

function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Trains `total` steps straight through, and again with a checkpoint → fresh model → resume at `split`. */
async function interruptedAndStraight(options: BuildModelOptions, total: number, split: number) {
  const [height, width, channels] = options.inputShape;
  const data = randomImageDataset({ n: 40, height, width, channels, numClasses: options.classes, seed: 3 });
  const args = runArgs(data);
  const optimizerOptions = { learningRate: 0.05, momentum: 0.9, nesterov: true };

  const straight = buildModel(options);
  const straightOptimizer = createOptimizer(optimizerOptions);
  await trainSteps({ ...args, model: straight, optimizer: straightOptimizer, fromStep: 0, steps: total });

  const first = buildModel(options);
  const firstOptimizer = createOptimizer(optimizerOptions);
  await trainSteps({ ...args, model: first, optimizer: firstOptimizer, fromStep: 0, steps: split });
  const artifacts = await captureModelArtifacts(first);
  const optimizerState = await captureOptimizerState(firstOptimizer, first);
  const firstNames = first.trainableWeights.map((w) => w.name);
  first.dispose();
  firstOptimizer.dispose();

  const resumed = await modelFromArtifacts(artifacts);
  const resumedOptimizer = createOptimizer(optimizerOptions);
  await restoreOptimizerState(resumedOptimizer, resumed, optimizerState);
  // The restored model's variables have other names: slots must have been matched by position.
  assert.notDeepEqual(
    resumed.trainableWeights.map((w) => w.name),
    firstNames,
  );
  await trainSteps({
    ...args,
    model: resumed,
    optimizer: resumedOptimizer,
    fromStep: split,
    steps: total - split,
  });
  return {
    straight,
    straightOptimizer,
    resumed,
    resumedOptimizer,
    artifacts,
    optimizerState,
    args,
    optimizerOptions,
  };
}

describe('training state: save → restore → continue', () => {
  const cases: Array<[string, BuildModelOptions]> = [
    [
      'small-cnn (batch norm)',
      { arch: 'small-cnn', inputShape: [12, 12, 1], classes: 3, widthMultiplier: 0.25, seed: 4 },
    ],
    [
      'squeezenet1_1 (dropout)',
      { arch: 'squeezenet1_1', inputShape: [25, 25, 3], classes: 3, widthMultiplier: 0.125, seed: 4 },
    ],
    [
      'mobilenet_v2 (depthwise)',
      { arch: 'mobilenet_v2', inputShape: [8, 8, 3], classes: 3, widthMultiplier: 0.35, seed: 4 },
    ],
  ];
  for (const [name, options] of cases) {
    test(`${name}: the resumed run ends bit-identical to the uninterrupted one`, async () => {
      const run = await interruptedAndStraight(options, 4, 2);
      assert.deepEqual(weightValues(run.resumed), weightValues(run.straight));
      assert.equal(run.resumedOptimizer.iterations, 4);
      assert.equal(run.straightOptimizer.iterations, 4);
      const [straightState, resumedState] = [
        await captureOptimizerState(run.straightOptimizer, run.straight),
        await captureOptimizerState(run.resumedOptimizer, run.resumed),
      ];
      assert.deepEqual(new Uint8Array(resumedState.weights.data), new Uint8Array(straightState.weights.data));
      assert.deepEqual(resumedState.weights.specs, straightState.weights.specs);

      // Control: resuming without the optimizer slots does not reproduce the run, so the test can fail.
      const noSlots = await modelFromArtifacts(run.artifacts);
      await trainSteps({
        ...run.args,
        model: noSlots,
        optimizer: createOptimizer(run.optimizerOptions),
        fromStep: 2,
        steps: 2,
      });
      assert.notDeepEqual(weightValues(noSlots), weightValues(run.straight));
      [run.straight, run.resumed, noSlots].forEach((m) => m.dispose());
      [run.straightOptimizer, run.resumedOptimizer].forEach((o) => o.dispose());
    });
  }

  test('captured artifacts hold the batch-norm statistics and one weight buffer', async () => {
    const model = buildModel({ arch: 'small-cnn', inputShape: [8, 8, 1], classes: 2, widthMultiplier: 0.25 });
    const artifacts = await captureModelArtifacts(model);
    assert.ok(artifacts.weightData instanceof ArrayBuffer);
    const names = (artifacts.weightSpecs ?? []).map((spec) => spec.name);
    assert.ok(names.includes('block1_bn/moving_mean') && names.includes('block1_bn/moving_variance'));
    model.dispose();
  });

  test('an optimizer state that does not fit the model is refused', async () => {
    const options: BuildModelOptions = {
      arch: 'small-cnn',
      inputShape: [8, 8, 1],
      classes: 2,
      widthMultiplier: 0.25,
    };
    const data = randomImageDataset({ n: 8, height: 8, width: 8, channels: 1, numClasses: 2, seed: 1 });
    const model = buildModel(options);
    const optimizer = createOptimizer({ learningRate: 0.1, momentum: 0.9, nesterov: false });
    await trainSteps({ ...runArgs(data), model, optimizer, fromStep: 0, steps: 1 });
    const state = await captureOptimizerState(optimizer, model);
    assert.equal(state.weights.specs.length, model.trainableWeights.length);

    const other = buildModel(options);
    await assert.rejects(
      captureOptimizerState(optimizer, other),
      /momentum slot #0 is .* but the model's trainable weight #0 is/,
    );
    const wider = buildModel({ ...options, widthMultiplier: 0.5 });
    await assert.rejects(
      restoreOptimizerState(
        createOptimizer({ learningRate: 0.1, momentum: 0.9, nesterov: false }),
        wider,
        state,
      ),
      /slot #0 \(0:block1_conv\/kernel\/momentum\) has shape \[3, 3, 1, 4\] but trainable weight #0 \(block1_conv\/kernel\) has \[3, 3, 1, 8\]/,
    );
    const squeezeNet = buildModel({
      arch: 'squeezenet1_1',
      inputShape: [25, 25, 1],
      classes: 2,
      widthMultiplier: 0.125,
    });
    await assert.rejects(
      restoreOptimizerState(
        createOptimizer({ learningRate: 0.1, momentum: 0.9, nesterov: false }),
        squeezeNet,
        state,
      ),
      /the state has 11 momentum slots but the model has 52 trainable weights/,
    );
    [model, other, wider, squeezeNet].forEach((m) => m.dispose());
    optimizer.dispose();
  });
});
