import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphEngine } from '../../../ml/graph-engine/graph-engine';
import { selectEngine } from '../../../ml/graph-engine/select-engine';
import { ARCH_VARIANTS, buildModel, MODEL_ARCHS } from '../../../ml/models';
import { createOptimizer } from '../../../ml/training';

/** `--engine auto` trains every zoo model on the graph engine (their equivalence: graph-engine-equivalence). */

const OPTIMIZER = { learningRate: 0.01, momentum: 0.9, nesterov: true };

function upsamplingModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  const upsampled = tf.layers.upSampling2d({ size: [2, 2], name: 'upsample' }).apply(input);
  const output = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(upsampled));
  return tf.model({ inputs: input, outputs: output as tf.SymbolicTensor });
}

test('auto: every zoo model and variant trains on the graph engine, reported as such', () => {
  const selection = selectEngine('auto', 1);
  assert.equal(selection.engine, 'graph');
  assert.match(selection.detail, /^graph \(TensorFlow [\d.]+ C library, 1 intra-op thread\)/);
  for (const arch of MODEL_ARCHS) {
    for (const variant of ARCH_VARIANTS[arch]) {
      const model = buildModel({ arch, variant, inputShape: [32, 32, 3], classes: 3, widthMultiplier: 0.25 });
      const optimizer = createOptimizer(OPTIMIZER);
      assert.ok(selection.stepEngineFor(model, optimizer) instanceof GraphEngine, `${arch} (${variant})`);
      model.dispose();
      optimizer.dispose();
    }
  }
});

test('auto trains a model the translator refuses on tfjs; graph refuses it by name; tfjs takes every model', () => {
  const model = upsamplingModel();
  const optimizer = createOptimizer(OPTIMIZER);
  assert.equal(selectEngine('auto', 1).stepEngineFor(model, optimizer), undefined);
  assert.throws(
    () => selectEngine('graph', 1).stepEngineFor(model, optimizer),
    /layer 'upsample' is a UpSampling2D, which the graph engine does not translate/,
  );
  const zoo = buildModel({ arch: 'small-cnn', inputShape: [28, 28, 1], classes: 10 });
  assert.equal(selectEngine('tfjs').stepEngineFor(zoo, optimizer), undefined);
  zoo.dispose();
  model.dispose();
  optimizer.dispose();
});
