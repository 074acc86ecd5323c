import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  buildModel,
  describeModels,
  forwardFlops,
  MODEL_ARCHS,
  minInputSize,
  type ModelArch,
} from '../../../ml/models';

before(async () => {
  await tf.setBackend('cpu');
});

function outputSize(model: tf.LayersModel, layerName: string): number | null | undefined {
  return (model.getLayer(layerName).output as tf.SymbolicTensor).shape[1];
}

describe('model zoo: reference parameter counts at 224×224×3 / 1000 classes', () => {
  const reference: Array<[ModelArch, number]> = [
    ['squeezenet1_1', 1_235_496], // torchvision squeezenet1_1
    ['mobilenet_v2', 3_538_984], // keras.applications.MobileNetV2(alpha=1.0), incl. batch-norm statistics
    ['densenet121', 8_062_504], // keras.applications.DenseNet121
  ];
  for (const [arch, params] of reference) {
    test(arch, () => {
      const model = buildModel({ arch, inputShape: [224, 224, 3], classes: 1000 });
      try {
        assert.equal(model.countParams(), params);
        assert.deepEqual(model.outputs[0]?.shape, [null, 1000]);
      } finally {
        model.dispose();
      }
    });
  }

  test('small-cnn: three conv+BN blocks (no conv bias), a dense head on at most a 4×4 feature grid', () => {
    const bnParams = (c: number): number => 4 * c;
    const body =
      3 * 3 * 3 * 16 + bnParams(16) + 3 * 3 * 16 * 32 + bnParams(32) + 3 * 3 * 32 * 64 + bnParams(64);
    // 28 → 14 → 7 → 3 after the pools: a 3×3×64 head; at 224 (28×28 maps) pooled down to 4×4×64.
    const cases: Array<[number, number]> = [
      [28, body + 3 * 3 * 64 * 1000 + 1000],
      [224, body + 4 * 4 * 64 * 1000 + 1000],
    ];
    for (const [size, expected] of cases) {
      const model = buildModel({ arch: 'small-cnn', inputShape: [size, size, 3], classes: 1000 });
      assert.equal(model.countParams(), expected, `at ${size}`);
      model.dispose();
    }
  });
});

describe('model zoo: shapes, widths and validation', () => {
  test('forward pass at small inputs with width multipliers gives [batch, classes] logits', () => {
    const cases: Array<[ModelArch, number, number, number]> = [
      ['small-cnn', 28, 1, 0.5],
      ['squeezenet1_1', 32, 3, 0.25],
      ['mobilenet_v2', 32, 3, 0.35],
      ['densenet121', 32, 3, 0.25],
    ];
    for (const [arch, size, channels, widthMultiplier] of cases) {
      const model = buildModel({ arch, inputShape: [size, size, channels], classes: 7, widthMultiplier });
      const logits = tf.tidy(() => model.predict(tf.ones([2, size, size, channels])) as tf.Tensor);
      assert.deepEqual(logits.shape, [2, 7], arch);
      assert.ok(
        logits.dataSync().every((v) => Number.isFinite(v)),
        `${arch} gives finite logits`,
      );
      logits.dispose();
      model.dispose();
    }
  });

  test('width multipliers shrink the models (MobileNetV2 alpha rounds channels to multiples of 8)', () => {
    const params = (arch: ModelArch, widthMultiplier: number): number => {
      const model = buildModel({ arch, inputShape: [64, 64, 3], classes: 10, widthMultiplier });
      const count = model.countParams();
      model.dispose();
      return count;
    };
    for (const arch of MODEL_ARCHS) {
      assert.ok(params(arch, 0.5) < params(arch, 1), `${arch} at width 0.5 is smaller`);
    }
    const mobileNet = buildModel({
      arch: 'mobilenet_v2',
      inputShape: [64, 64, 3],
      classes: 10,
      widthMultiplier: 0.35,
    });
    // Keras: first block _make_divisible(32 * 0.35, 8) = 16; last conv stays 1280 for alpha <= 1.
    assert.equal((mobileNet.getLayer('Conv1').output as tf.SymbolicTensor).shape[3], 16);
    assert.equal((mobileNet.getLayer('Conv_1').output as tf.SymbolicTensor).shape[3], 1280);
    mobileNet.dispose();
  });

  test('seeded initialisation: same seed, identical weights; another seed, different weights', () => {
    for (const arch of MODEL_ARCHS) {
      const options = {
        arch,
        inputShape: [32, 32, 3] as [number, number, number],
        classes: 5,
        widthMultiplier: 0.25,
      };
      const a = buildModel({ ...options, seed: 7 });
      const b = buildModel({ ...options, seed: 7 });
      const c = buildModel({ ...options, seed: 8 });
      const values = (m: tf.LayersModel): Float32Array[] =>
        m.getWeights().map((w) => w.dataSync() as Float32Array);
      const [wa, wb, wc] = [values(a), values(b), values(c)];
      assert.deepEqual(wa, wb, `${arch}: seed 7 twice`);
      assert.notDeepEqual(wa, wc, `${arch}: seeds 7 and 8`);
      // Layers with equal kernel shapes still get different values (one seed per layer).
      const kernels = a.trainableWeights.filter((w) => w.originalName.endsWith('kernel'));
      const byShape = new Map<string, Float32Array>();
      for (const kernel of kernels) {
        const data = kernel.read().dataSync() as Float32Array;
        const same = byShape.get(kernel.shape.join());
        if (same !== undefined) {
          assert.notDeepEqual(data, same, `${arch}: ${kernel.originalName} repeats another layer's values`);
        }
        byShape.set(kernel.shape.join(), data);
      }
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  test('minimum input sizes build; one pixel less is refused with a message naming the limit', () => {
    for (const arch of MODEL_ARCHS) {
      const min = minInputSize(arch);
      const model = buildModel({ arch, inputShape: [min, min, 3], classes: 3, widthMultiplier: 0.25 });
      const everyLayerNonEmpty = model.layers.every((layer) =>
        (layer.output as tf.SymbolicTensor).shape.every((d) => d === null || d > 0),
      );
      assert.ok(everyLayerNonEmpty, `${arch} at ${min}×${min} has no empty feature maps`);
      model.dispose();
      if (min > 1) {
        assert.throws(
          () => buildModel({ arch, inputShape: [min - 1, 64, 3], classes: 3 }),
          new RegExp(`too small for ${arch}.*at least ${min}`),
        );
      }
    }
  });

  test('SqueezeNet pools in ceil mode like torchvision (13×13 final map at 224, 56 after pool1 at 225)', () => {
    const at224 = buildModel({
      arch: 'squeezenet1_1',
      inputShape: [224, 224, 3],
      classes: 4,
      widthMultiplier: 0.125,
    });
    assert.deepEqual(
      ['conv1', 'pool1', 'pool3', 'pool5'].map((name) => outputSize(at224, name)),
      [111, 55, 27, 13],
    );
    at224.dispose();
    // conv1 gives 112; floor mode would give 55, ceil mode 56.
    const at225 = buildModel({
      arch: 'squeezenet1_1',
      inputShape: [225, 225, 3],
      classes: 4,
      widthMultiplier: 0.125,
    });
    assert.equal(outputSize(at225, 'pool1'), 56);
    at225.dispose();
  });

  test('MobileNetV2 pads stride-2 depthwise convs like Keras correct_pad (top/left 0 on even sizes)', () => {
    const model = buildModel({
      arch: 'mobilenet_v2',
      inputShape: [64, 64, 3],
      classes: 4,
      widthMultiplier: 0.35,
    });
    const pad = model.getLayer('block_1_pad').getConfig()['padding'];
    assert.deepEqual(pad, [
      [0, 1],
      [0, 1],
    ]);
    assert.equal(outputSize(model, 'block_1_depthwise'), 16);
    model.dispose();
  });

  test("the torchvision variant pads every stride-2 conv on all sides, with PyTorch's batch-norm ε", () => {
    const options = {
      inputShape: [64, 64, 3] as [number, number, number],
      classes: 4,
      widthMultiplier: 0.35,
    };
    const torch = buildModel({ arch: 'mobilenet_v2', variant: 'torchvision', ...options });
    const keras = buildModel({ arch: 'mobilenet_v2', ...options });
    for (const layer of ['Conv1_pad', 'block_1_pad']) {
      assert.deepEqual(torch.getLayer(layer).getConfig()['padding'], [
        [1, 1],
        [1, 1],
      ]);
    }
    assert.equal(outputSize(torch, 'block_1_depthwise'), 16);
    assert.equal(torch.getLayer('bn_Conv1').getConfig()['epsilon'], 1e-5);
    assert.equal(keras.getLayer('bn_Conv1').getConfig()['epsilon'], 1e-3);
    // Same weights either way: one file's tensors fit both, only the arithmetic around them differs.
    assert.deepEqual(
      torch.weights.map((w) => w.shape),
      keras.weights.map((w) => w.shape),
    );
    const densenet = buildModel({
      arch: 'densenet121',
      variant: 'torchvision',
      ...options,
      widthMultiplier: 0.25,
    });
    assert.equal(densenet.getLayer('conv1_bn').getConfig()['epsilon'], 1e-5);
    for (const model of [torch, keras, densenet]) model.dispose();
    assert.throws(
      () => buildModel({ arch: 'squeezenet1_1', variant: 'keras', ...options }),
      /squeezenet1_1 is built as torchvision; got variant "keras"/,
    );
  });

  test('bad arguments are refused with the argument named', () => {
    const base = {
      arch: 'small-cnn' as ModelArch,
      inputShape: [28, 28, 1] as [number, number, number],
      classes: 10,
    };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ arch: 'resnet50' }, /arch must be one of small-cnn, squeezenet1_1, mobilenet_v2, densenet121/],
      [{ inputShape: [28, 28] }, /inputShape must be \[height, width, channels\]/],
      [{ inputShape: [28, 28.5, 1] }, /inputShape must be/],
      [{ classes: 1 }, /classes must be an integer of at least 2/],
      [{ widthMultiplier: 0 }, /widthMultiplier must be a positive number/],
      [{ seed: -1 }, /seed must be an integer/],
      [{ seed: 1.5 }, /seed must be an integer/],
    ];
    for (const [override, message] of cases) {
      assert.throws(() => buildModel({ ...base, ...override } as Parameters<typeof buildModel>[0]), message);
    }
  });
});

describe('forward FLOPs and model descriptions', () => {
  test('forwardFlops counts 2 × multiply-adds of conv, depthwise and dense layers', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    let x = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 5 }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const conv = 8 * 8 * 4 * (3 * 3 * 3);
    const depthwise = 4 * 4 * 4 * (3 * 3);
    const dense = 4 * 4 * 4 * 5;
    assert.equal(forwardFlops(model), 2 * (conv + depthwise + dense));
    model.dispose();
  });

  test('describeModels lists every arch; published multiply-add counts at 224 match', () => {
    const rows = describeModels({ inputSize: 224, classes: 1000 });
    assert.deepEqual(
      rows.map((row) => row.arch),
      [...MODEL_ARCHS],
    );
    const byArch = new Map(rows.map((row) => [row.arch, row]));
    assert.equal(byArch.get('mobilenet_v2')?.params, 3_538_984);
    // MobileNetV2 paper: 300M multiply-adds; DenseNet-121: 2.87G; SqueezeNet 1.1: 0.35G (torchvision docs).
    const macs = (arch: ModelArch): number => ((byArch.get(arch)?.forwardGflops ?? 0) * 1e9) / 2;
    assert.ok(Math.abs(macs('mobilenet_v2') - 300e6) / 300e6 < 0.01, `MobileNetV2 ${macs('mobilenet_v2')}`);
    assert.ok(Math.abs(macs('densenet121') - 2.87e9) / 2.87e9 < 0.02, `DenseNet ${macs('densenet121')}`);
    assert.ok(
      Math.abs(macs('squeezenet1_1') - 0.35e9) / 0.35e9 < 0.02,
      `SqueezeNet ${macs('squeezenet1_1')}`,
    );
    for (const row of rows) {
      assert.ok(row.trainableParams > 0 && row.trainableParams <= row.params, row.arch);
    }
    // Trainable = all minus batch-norm moving statistics (MobileNetV2: 34,112 of them).
    assert.equal(byArch.get('mobilenet_v2')?.trainableParams, 3_504_872);
  });
});
