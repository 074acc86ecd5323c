import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../../ml/backend';
import { buildModel } from '../../../ml/models';
import { importWeights } from '../../../ml/weights-import';
import { readFloats, weightFixtures, type WeightFixtures } from '../../helpers/weight-fixtures';

/**
 * Keras Applications and torchvision build each network with random weights (scripts/weight-fixtures.py)
 * and compute logits for one input; amto imports their files and must compute the same, in inference
 * mode, and the same training-mode output of the first batch norm. Relative difference: the largest
 * absolute difference over the largest absolute reference value.
 */

const TOLERANCE = 1e-4;
/** Every case and file format the fixture script must produce (a missing one fails, never skips). */
const EXPECTED: Array<[string, string[]]> = [
  ['keras-mobilenet_v2', ['h5', 'keras']],
  ['keras-densenet121', ['h5']],
  ['torch-mobilenet_v2', ['pth', 'safetensors']],
  ['torch-densenet121', ['pth']],
  ['torch-squeezenet1_1', ['pth']],
];

let fixtures: WeightFixtures;
let input: tf.Tensor4D;
let scratch: string;

before(async () => {
  await selectBackend('auto', { log: () => undefined });
  fixtures = await weightFixtures();
  input = tf.tensor4d(await readFloats(fixtures, fixtures.input.file), fixtures.input.shape as never);
  scratch = await mkdtemp(join(tmpdir(), 'amto-weight-import-'));
});

after(async () => {
  input.dispose();
  await rm(scratch, { recursive: true, force: true });
});

function fixtureCase(name: string): WeightFixtures['cases'][number] {
  const found = fixtures.cases.find((c) => c.name === name);
  assert.ok(found, `fixture set ${fixtures.dir} has no case ${name}`);
  return found;
}

function inputShape(): [number, number, number] {
  return fixtures.input.shape.slice(1) as [number, number, number];
}

async function relativeDifference(actual: tf.Tensor, file: string, shape: number[]): Promise<number> {
  const reference = tf.tensor(await readFloats(fixtures, file), shape);
  assert.deepEqual(actual.shape, reference.shape);
  const [difference, scale] = tf.tidy(() => [
    tf.max(tf.abs(tf.sub(actual, reference))).dataSync()[0] as number,
    tf.max(tf.abs(reference)).dataSync()[0] as number,
  ]);
  reference.dispose();
  return difference / scale;
}

describe('imported Keras Applications and torchvision weights compute what the reference networks compute', () => {
  for (const [name, formats] of EXPECTED) {
    for (const format of formats) {
      test(`${name} (.${format}): logits and first batch norm (training mode) within ${TOLERANCE}`, async (t) => {
        const c = fixtureCase(name);
        const file = c.files[format];
        assert.ok(file, `case ${name} has no .${format} file`);
        const { model, report } = await importWeights(join(fixtures.dir, file), {
          arch: c.arch,
          widthMultiplier: c.widthMultiplier,
          inputShape: inputShape(),
        });
        try {
          assert.equal(report.head, 'kept');
          assert.equal(report.classes, c.classes);
          assert.equal(report.variant, c.framework === 'keras' ? 'keras' : 'torchvision');
          const parameters = model.weights.reduce(
            (n, w) => n + w.shape.reduce((a, b) => (a ?? 1) * (b ?? 1), 1)!,
            0,
          );
          assert.equal(report.valuesMapped, parameters, 'every weight of the model came from the file');
          const logits = model.predict(input) as tf.Tensor;
          const logitsDifference = await relativeDifference(logits, c.logits.file, c.logits.shape);
          logits.dispose();
          let bnDifference = Number.NaN;
          if (c.firstBatchNorm) {
            const layer = model.getLayer(c.firstBatchNorm.layer);
            const sub = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
            const bn = sub.apply(input, { training: true }) as tf.Tensor;
            bnDifference = await relativeDifference(bn, c.firstBatchNorm.file, c.firstBatchNorm.shape);
            bn.dispose();
            assert.ok(
              bnDifference <= TOLERANCE,
              `${c.firstBatchNorm.layer}: relative difference ${bnDifference}`,
            );
          }
          t.diagnostic(
            `${name}.${format} on ${tf.getBackend()}: logits ${logitsDifference.toExponential(2)}, ` +
              `first batch norm ${Number.isNaN(bnDifference) ? 'n/a (no batch norm)' : bnDifference.toExponential(2)}`,
          );
          assert.ok(logitsDifference <= TOLERANCE, `logits: relative difference ${logitsDifference}`);
        } finally {
          model.dispose();
        }
      });
    }
  }

  test("torchvision's padding matters: its weights in the Keras-padded MobileNetV2 compute something else", async () => {
    const c = fixtureCase('torch-mobilenet_v2');
    const bn = c.firstBatchNorm;
    assert.ok(bn);
    const { model } = await importWeights(join(fixtures.dir, c.files['pth'] as string), {
      arch: 'mobilenet_v2',
      widthMultiplier: c.widthMultiplier,
      inputShape: inputShape(),
    });
    const keras = buildModel({
      arch: 'mobilenet_v2',
      widthMultiplier: c.widthMultiplier,
      inputShape: inputShape(),
      classes: c.classes,
    });
    keras.setWeights(model.getWeights());
    const sub = tf.model({
      inputs: keras.inputs,
      outputs: keras.getLayer(bn.layer).output as tf.SymbolicTensor,
    });
    const output = sub.apply(input, { training: true }) as tf.Tensor;
    const logits = keras.predict(input) as tf.Tensor;
    const bnDifference = await relativeDifference(output, bn.file, bn.shape);
    const logitsDifference = await relativeDifference(logits, c.logits.file, c.logits.shape);
    for (const t of [output, logits, keras, model]) t.dispose();
    // The same weights one pixel off: the first block is another picture, the logits drift past tolerance.
    assert.ok(bnDifference > 0.1, `first batch norm: relative difference only ${bnDifference}`);
    assert.ok(logitsDifference > 10 * TOLERANCE, `logits: relative difference only ${logitsDifference}`);
  });
});

describe('weight files that do not fit are refused naming the first tensor that does not', () => {
  test('another width: the first tensor whose shape differs, with both shapes', async () => {
    const c = fixtureCase('torch-mobilenet_v2');
    await assert.rejects(
      importWeights(join(fixtures.dir, c.files['pth'] as string), {
        arch: 'mobilenet_v2',
        inputShape: inputShape(),
      }),
      /tensor features\.0\.0\.weight has shape \[16, 3, 3, 3\], but mobilenet_v2 \(torchvision, widthMultiplier 1\) layer Conv1 needs \[32, 3, 3, 3\]/,
    );
    const k = fixtureCase('keras-mobilenet_v2');
    await assert.rejects(
      importWeights(join(fixtures.dir, k.files['h5'] as string), {
        arch: 'mobilenet_v2',
        inputShape: inputShape(),
      }),
      /tensor Conv1\/Conv1\/kernel:0 has shape \[3, 3, 3, 16\], but mobilenet_v2 \(keras, widthMultiplier 1\) layer Conv1 needs \[3, 3, 3, 32\]/,
    );
  });

  test('another architecture: the first tensor the architecture needs and the file lacks', async () => {
    const densenet = fixtureCase('torch-densenet121');
    await assert.rejects(
      importWeights(join(fixtures.dir, densenet.files['pth'] as string), {
        arch: 'mobilenet_v2',
        inputShape: inputShape(),
      }),
      /no tensor features\.0\.0\.weight for mobilenet_v2 \(torchvision, widthMultiplier 1\) layer Conv1/,
    );
    const squeezenet = fixtureCase('torch-squeezenet1_1');
    await assert.rejects(
      importWeights(join(fixtures.dir, squeezenet.files['pth'] as string), {
        arch: 'densenet121',
        inputShape: inputShape(),
      }),
      /no tensor features\.conv0\.weight for densenet121/,
    );
    const keras = fixtureCase('keras-densenet121');
    await assert.rejects(
      importWeights(join(fixtures.dir, keras.files['h5'] as string), {
        arch: 'squeezenet1_1',
        inputShape: inputShape(),
      }),
      /SqueezeNet 1\.1 exists only in torchvision/,
    );
  });

  for (const [name, format, message] of [
    [
      'torch-mobilenet_v2',
      'pth',
      /tensor features\.\d+\.[\w.]+ needs \d+ bytes of storage \d+, the file has \d+ \(truncated/,
    ],
    [
      'torch-densenet121',
      'pth',
      /tensor features\.[\w.]+ needs \d+ bytes of storage \d+, the file has \d+ \(truncated/,
    ],
    [
      'torch-mobilenet_v2',
      'safetensors',
      /tensor features\.[\w.]+ spans bytes \d+–\d+ of a \d+-byte data section \(truncated/,
    ],
    ['keras-mobilenet_v2', 'keras', /truncated or damaged: its model\.weights\.h5 does not read to the end/],
    ['keras-mobilenet_v2', 'h5', /cannot be opened as HDF5 .*: the file is truncated or damaged/],
  ] as const) {
    test(`a truncated .${format} (${name}) names what is cut off`, async () => {
      const c = fixtureCase(name);
      const bytes = await readFile(join(fixtures.dir, c.files[format] as string));
      const truncated = join(scratch, `truncated-${name}.${format}`);
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.byteLength * 0.6)));
      await assert.rejects(
        importWeights(truncated, {
          arch: c.arch,
          widthMultiplier: c.widthMultiplier,
          inputShape: inputShape(),
        }),
        message,
      );
    });
  }

  test("a Keras 'notop' file (no classifier) gets a new head, and needs the class count", async () => {
    const c = fixtureCase('keras-mobilenet_v2');
    const file = join(fixtures.dir, c.files['notop.h5'] as string);
    const options = { arch: c.arch, widthMultiplier: c.widthMultiplier, inputShape: inputShape() };
    await assert.rejects(importWeights(file, options), /has no classifier \(mobilenet_v2 without its top\)/);
    const { model, report } = await importWeights(file, { ...options, classes: 4 });
    assert.equal(report.head, 'new');
    assert.equal(report.fileClasses, null);
    assert.deepEqual((model.outputs[0] as tf.SymbolicTensor).shape, [null, 4]);
    const full = await importWeights(join(fixtures.dir, c.files['h5'] as string), options);
    for (const layer of full.model.layers) {
      if (layer.name === 'predictions') continue;
      const imported = model.getLayer(layer.name).getWeights();
      layer
        .getWeights()
        .forEach((w, i) => assert.deepEqual(imported[i]?.dataSync(), w.dataSync(), layer.name));
    }
    model.dispose();
    full.model.dispose();
  });

  test('a classifier for other classes is replaced by a new seeded head; the body is kept', async () => {
    const c = fixtureCase('torch-squeezenet1_1');
    const file = join(fixtures.dir, c.files['pth'] as string);
    const kept = await importWeights(file, { arch: 'squeezenet1_1', inputShape: inputShape() });
    const replaced = await importWeights(file, {
      arch: 'squeezenet1_1',
      inputShape: inputShape(),
      classes: 4,
      seed: 3,
    });
    assert.equal(replaced.report.head, 'new');
    assert.equal(replaced.report.fileClasses, c.classes);
    assert.deepEqual(replaced.report.skipped, ['classifier.1.weight', 'classifier.1.bias']);
    const keptWeights = kept.model.getWeights();
    const replacedWeights = replaced.model.getWeights();
    assert.equal(replacedWeights.length, keptWeights.length);
    for (let i = 0; i < keptWeights.length - 2; i++) {
      assert.deepEqual(replacedWeights[i]?.dataSync(), keptWeights[i]?.dataSync(), `body weight ${i}`);
    }
    assert.deepEqual((replaced.model.outputs[0] as tf.SymbolicTensor).shape, [null, 4]);
    kept.model.dispose();
    replaced.model.dispose();
  });
});
