import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { buildModel, loadPretrained, registerFileRouter } from '../../../ml/models';

let dir: string;

before(async () => {
  await tf.setBackend('cpu');
  registerFileRouter();
  dir = await mkdtemp(join(tmpdir(), 'amto-pretrained-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('file:// IO handler and loadPretrained', () => {
  test('a model saved to file:// loads back with identical topology and weights', async () => {
    const model = buildModel({
      arch: 'mobilenet_v2',
      inputShape: [32, 32, 3],
      classes: 4,
      widthMultiplier: 0.35,
      seed: 3,
    });
    const url = pathToFileURL(join(dir, 'mobilenet')).href;
    await model.save(url);
    assert.deepEqual((await readdir(join(dir, 'mobilenet'))).sort(), ['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(`${url}/model.json`);
    assert.deepEqual(
      loaded.layers.map((l) => l.name),
      model.layers.map((l) => l.name),
    );
    assert.deepEqual(weightValues(loaded), weightValues(model));
    model.dispose();
    loaded.dispose();
  });

  test('loadPretrained keeps the body weights and puts a new seeded head for the new classes', async () => {
    const source = buildModel({
      arch: 'small-cnn',
      inputShape: [28, 28, 1],
      classes: 10,
      widthMultiplier: 0.25,
      seed: 1,
    });
    // Make the body weights distinguishable from any fresh initialisation.
    for (const weight of source.weights) {
      weight.write(tf.fill(weight.shape as number[], 0.125));
    }
    const url = pathToFileURL(join(dir, 'small-cnn')).href;
    await source.save(url);

    // A larger input and 3 classes: convolution weights carry over, the head is rebuilt.
    const options = {
      arch: 'small-cnn' as const,
      inputShape: [36, 36, 1] as [number, number, number],
      classes: 3,
      widthMultiplier: 0.25,
      seed: 9,
    };
    const model = await loadPretrained(url, options);
    assert.deepEqual(model.outputs[0]?.shape, [null, 3]);
    assert.deepEqual(model.inputs[0]?.shape, [null, 36, 36, 1]);
    const head = model.getLayer('predictions');
    for (const weight of model.weights) {
      const values = weight.read().dataSync();
      if (head.weights.includes(weight)) {
        continue;
      }
      assert.ok(
        values.every((v) => v === 0.125),
        `${weight.originalName} copied from the pretrained model`,
      );
    }
    const fresh = buildModel(options);
    assert.deepEqual(
      head.getWeights().map((w) => w.dataSync()),
      fresh
        .getLayer('predictions')
        .getWeights()
        .map((w) => w.dataSync()),
      'the new head is the seeded initialisation',
    );
    [source, model, fresh].forEach((m) => m.dispose());
  });

  test('a pretrained model of another architecture or width is refused naming the mismatch', async () => {
    const url = pathToFileURL(join(dir, 'small-cnn')).href;
    await assert.rejects(
      loadPretrained(url, { arch: 'small-cnn', inputShape: [28, 28, 1], classes: 3, widthMultiplier: 0.5 }),
      /does not match small-cnn \(widthMultiplier 0.5\): weight #0 block1_conv\/kernel has shape \[3, 3, 1, 4\], block1_conv\/kernel needs \[3, 3, 1, 8\]/,
    );
    await assert.rejects(
      loadPretrained(url, { arch: 'mobilenet_v2', inputShape: [28, 28, 1], classes: 3 }),
      /does not match mobilenet_v2: it has 15 weights before its classifier, mobilenet_v2 has 260/,
    );
  });

  test('missing or malformed model files give errors naming the path', async () => {
    const missing = join(dir, 'nothing-here');
    await assert.rejects(
      loadPretrained(pathToFileURL(missing).href, { arch: 'small-cnn', inputShape: [28, 28, 1], classes: 3 }),
      new RegExp(
        `Cannot load pretrained model from file://.*nothing-here: Model not found: ${missing} does not exist`,
      ),
    );
    await writeFile(join(dir, 'broken.json'), '{ not json');
    await assert.rejects(
      tf.loadLayersModel(pathToFileURL(join(dir, 'broken.json')).href),
      /Cannot read model file .*broken\.json/,
    );
  });
});
