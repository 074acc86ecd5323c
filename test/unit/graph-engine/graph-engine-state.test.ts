import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../../ml/backend';
import { GraphEngine } from '../../../ml/graph-engine/graph-engine';
import { buildModel } from '../../../ml/models';
import {
  captureModelArtifacts,
  captureOptimizerState,
  createOptimizer,
  modelFromArtifacts,
  restoreOptimizerState,
  trainSteps,
  type OptimizerState,
} from '../../../ml/training';
import { randomImageDataset } from '../ml/random-image-dataset';

/**
 * The graph engine keeps its variables between trainSteps calls and skips the load when the tfjs model
 * and optimizer still hold what it last loaded or stored (the next chunk of an interval, the next
 * interval of a resident session). These tests change the tfjs side between two calls in each way the
 * code does (weights written, optimizer slots restored, another model of the architecture trained on the
 * same engine) and check that the second call trains from the changed state, exactly as a fresh engine
 * loading it does.
 */

const OPTIMIZER = { learningRate: 0.05, momentum: 0.9, nesterov: true };
const data = randomImageDataset({ n: 32, height: 28, width: 28, channels: 1, numClasses: 10, seed: 3 });
const run = {
  data,
  batches: (step: number) => Array.from({ length: 8 }, (_, i) => (step * 5 + i * 3) % data.n),
  lrAt: () => 0.02,
  flip: false,
  seed: 11,
  task: 0,
};

interface Trained {
  losses: number[];
  weights: Float32Array[];
}

async function train(
  model: tf.LayersModel,
  optimizer: tf.MomentumOptimizer,
  engine: GraphEngine,
  fromStep: number,
  steps: number,
): Promise<Trained> {
  const means: number[] = [];
  await trainSteps({
    ...run,
    model,
    optimizer,
    engine,
    fromStep,
    steps,
    onProgress: (_, mean) => means.push(mean),
  });
  return {
    losses: means.map((mean, i) => mean * (i + 1) - (i === 0 ? 0 : (means[i - 1] as number) * i)),
    weights: model.weights.map((weight) => weight.read().dataSync() as Float32Array),
  };
}

describe('graph engine: state kept between trainSteps calls', () => {
  let initial: tf.io.ModelArtifacts;
  const disposables: Array<{ dispose(): void }> = [];

  /** A model and optimizer of the architecture, from `artifacts` and `optimizerState`. */
  async function open(artifacts: tf.io.ModelArtifacts, optimizerState?: OptimizerState) {
    const model = await modelFromArtifacts(artifacts);
    const optimizer = createOptimizer(OPTIMIZER);
    if (optimizerState !== undefined) await restoreOptimizerState(optimizer, model, optimizerState);
    disposables.push(model, optimizer);
    return { model, optimizer };
  }

  /** What a fresh engine trains from exactly this state: the reference for every test. */
  async function fresh(
    artifacts: tf.io.ModelArtifacts,
    optimizerState: OptimizerState | undefined,
    fromStep: number,
    steps: number,
  ): Promise<Trained> {
    const { model, optimizer } = await open(artifacts, optimizerState);
    const engine = GraphEngine.create(model, optimizer);
    disposables.push(engine);
    return train(model, optimizer, engine, fromStep, steps);
  }

  before(async () => {
    await selectBackend('tensorflow', { log: () => undefined });
    const model = buildModel({ arch: 'small-cnn', inputShape: [28, 28, 1], classes: 10, seed: 4 });
    initial = await captureModelArtifacts(model);
    model.dispose();
  });
  after(() => {
    for (const disposable of disposables) disposable.dispose();
  });

  test('two calls on an unchanged model train exactly as one call of both lengths', async () => {
    const { model, optimizer } = await open(initial);
    const engine = GraphEngine.create(model, optimizer);
    disposables.push(engine);
    const first = await train(model, optimizer, engine, 0, 3);
    const second = await train(model, optimizer, engine, 3, 3);
    assert.equal(optimizer.iterations, 6);
    const whole = await fresh(initial, undefined, 0, 6);
    assert.deepEqual([...first.losses, ...second.losses], whole.losses);
    assert.deepEqual(second.weights, whole.weights);
  });

  test('weights written into the model between calls are the ones the next call trains', async () => {
    const { model, optimizer } = await open(initial);
    const engine = GraphEngine.create(model, optimizer);
    disposables.push(engine);
    await train(model, optimizer, engine, 0, 3);
    // A resident miss overwrites an idle model's weights (loadWeights) the same way.
    const { model: untrained } = await open(initial);
    model.setWeights(untrained.getWeights());
    const slots = await captureOptimizerState(optimizer, model);
    const after = await train(model, optimizer, engine, 3, 3);
    const expected = await fresh(initial, slots, 3, 3);
    assert.deepEqual(after, expected);
  });

  test('optimizer slots restored between calls are the ones the next call uses', async () => {
    const { model, optimizer } = await open(initial);
    const engine = GraphEngine.create(model, optimizer);
    disposables.push(engine);
    await train(model, optimizer, engine, 0, 2);
    const early = await captureOptimizerState(optimizer, model);
    await train(model, optimizer, engine, 2, 2);
    const weights = await captureModelArtifacts(model);
    // Same iteration count as now, other slot values: only the slots' data ids tell them apart.
    await restoreOptimizerState(optimizer, model, { ...early, iterations: optimizer.iterations });
    const after = await train(model, optimizer, engine, 4, 3);
    const expected = await fresh(weights, { ...early, iterations: 4 }, 4, 3);
    assert.deepEqual(after, expected);
  });

  test('another model trained on the same engine in between does not leak into the first', async () => {
    const { model, optimizer } = await open(initial);
    const engine = GraphEngine.create(model, optimizer);
    disposables.push(engine);
    await train(model, optimizer, engine, 0, 3);
    const artifacts = await captureModelArtifacts(model);
    const slots = await captureOptimizerState(optimizer, model);
    const other = await open(initial);
    await train(other.model, other.optimizer, engine, 0, 5);
    const after = await train(model, optimizer, engine, 3, 3);
    const expected = await fresh(artifacts, slots, 3, 3);
    assert.deepEqual(after, expected);
  });
});
