import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../../ml/backend';
import { batchNormalization } from '../../../ml/models/batch-normalization';
import { liveTensorCounts, relativeError, RELATIVE_TOLERANCE, seededRandom } from './backend-comparison';

const BATCH = 3;
const CLASSES = 5;
const INPUT_SHAPE: [number, number, number] = [13, 13, 3];

/**
 * One small network with every layer type of the model zoo: ZeroPadding2D, Conv2D (strides 1–2,
 * same/valid, with and without bias and fused ReLU), DepthwiseConv2D (strides 1–2), BatchNormalization,
 * ReLU and ReLU6, MaxPooling (2×2 and overlapping 3×3), AveragePooling, GlobalAveragePooling, Add,
 * Concatenate, Dropout, Flatten, Reshape and Dense. Batch normalisation is the zoo's own layer, which
 * trains through TensorFlow's fused kernels on the native backend.
 */
function buildAllLayersModel(): tf.LayersModel {
  const L = tf.layers;
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: INPUT_SHAPE });
  let x = apply(
    L.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }),
    input,
  );
  x = apply(
    L.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false, kernelInitializer: init(1) }),
    x,
  );
  x = apply(L.reLU({ maxValue: 6 }), apply(batchNormalization({}), x));
  let branch = apply(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(2) }), x);
  branch = apply(L.reLU(), apply(batchNormalization({ momentum: 0.9 }), branch));
  branch = apply(L.conv2d({ filters: 8, kernelSize: 1, useBias: false, kernelInitializer: init(3) }), branch);
  x = apply(L.add(), [x, branch]);
  const wide = apply(
    L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(4) }),
    x,
  );
  const narrow = apply(L.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: init(5) }), x);
  x = apply(L.concatenate(), [wide, narrow]);
  const pooledMax = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
  const pooledAvg = apply(L.averagePooling2d({ poolSize: 2, strides: 2 }), x);
  const strided = apply(
    L.depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: init(6),
    }),
    x,
  );
  const head = apply(L.maxPooling2d({ poolSize: 2 }), apply(L.concatenate(), [pooledMax, strided]));
  const [height = 0, width = 0, channels = 0] = head.shape.slice(1).map((dim) => dim ?? 0);
  const rows = apply(L.reshape({ targetShape: [height * width, channels] }), head);
  const flat = apply(L.flatten(), apply(L.dropout({ rate: 0.25, seed: 7 }), rows));
  const summary = apply(L.globalAveragePooling2d({}), pooledAvg);
  const logits = apply(
    L.dense({ units: CLASSES, kernelInitializer: init(8) }),
    apply(L.concatenate(), [flat, summary]),
  );
  return tf.model({ inputs: input, outputs: logits });
}

/** Loss and the gradient of every trainable weight for one training-mode forward/backward pass. */
function lossAndGradients(
  model: tf.LayersModel,
  images: tf.Tensor,
  labels: tf.Tensor,
): Map<string, Float32Array> {
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.losses.softmaxCrossEntropy(
        labels,
        model.apply(images, { training: true }) as tf.Tensor,
      ) as tf.Scalar,
    variables,
  );
  const result = new Map<string, Float32Array>([['loss', value.dataSync() as Float32Array]]);
  for (const [name, gradient] of Object.entries(grads)) result.set(name, gradient.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** Every backend a user can train on: native TensorFlow (the default) and WASM (the fallback). */
for (const backend of ['tensorflow', 'wasm'] as const) {
  describe(`training through every zoo layer type on ${backend}`, () => {
    let previousBackend = 'cpu';
    let model: tf.LayersModel;
    let images: tf.Tensor;
    let labels: tf.Tensor;

    before(async () => {
      previousBackend = tf.getBackend() ?? 'cpu';
      await selectBackend(backend, { log: () => undefined });
      await tf.setBackend('cpu');
      model = buildAllLayersModel();
      const random = seededRandom(3);
      const size = BATCH * INPUT_SHAPE.reduce((a, b) => a * b, 1);
      images = tf.tensor4d(
        Float32Array.from({ length: size }, () => random() * 2 - 1),
        [BATCH, ...INPUT_SHAPE],
      );
      labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), CLASSES);
    });
    after(async () => {
      tf.dispose([images, labels]);
      model.dispose();
      await tf.setBackend(previousBackend);
    });

    test('the loss and every weight gradient match the CPU backend', async () => {
      await tf.setBackend('cpu');
      const expected = lossAndGradients(model, images, labels);
      await tf.setBackend(backend);
      const actual = lossAndGradients(model, images, labels);
      assert.equal(actual.size, model.trainableWeights.length + 1);
      for (const [name, values] of expected) {
        const error = relativeError(actual.get(name) ?? new Float32Array(0), values);
        assert.ok(error <= RELATIVE_TOLERANCE, `${name}: relative error ${error}`);
      }
    });

    test('a training pass moves the batch-norm statistics as on the CPU backend', async () => {
      const statistics = async (on: string): Promise<Float32Array[]> => {
        await tf.setBackend(on);
        const saved = model.getWeights().map((weight) => weight.clone());
        tf.tidy(() => {
          model.apply(images, { training: true });
        });
        const moving = model.layers
          .filter((layer) => layer.getClassName() === 'BatchNormalization')
          .flatMap((layer) =>
            layer
              .getWeights()
              .slice(2)
              .map((weight) => weight.dataSync() as Float32Array),
          );
        model.setWeights(saved);
        tf.dispose(saved);
        return moving;
      };
      const expected = await statistics('cpu');
      const actual = await statistics(backend);
      assert.equal(actual.length, 4, 'moving mean and variance of both batch-norm layers');
      expected.forEach((values, i) => {
        const error = relativeError(actual[i] ?? new Float32Array(0), values);
        assert.ok(error <= RELATIVE_TOLERANCE, `moving statistic ${i}: relative error ${error}`);
      });
    });

    test('Nesterov SGD steps keep the tensor count flat', async () => {
      await tf.setBackend(backend);
      const optimizer = tf.train.momentum(0.01, 0.9, true);
      const step = () => {
        const loss = optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              labels,
              model.apply(images, { training: true }) as tf.Tensor,
            ) as tf.Scalar,
          true,
        );
        loss?.dispose();
      };
      step(); // creates the optimizer's momentum slots
      const before = liveTensorCounts();
      for (let i = 0; i < 3; i++) step();
      assert.deepEqual(liveTensorCounts(), before);
      optimizer.dispose();
    });
  });
}
