import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildModel, portableArtifacts } from '../../../ml/models';

const run = promisify(execFile);
let dir: string;

before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'amto-portable-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads model.json + weights in a process that has only @tensorflow/tfjs (no amto layer registered). */
const PLAIN_LOADER = `
const tf = require('@tensorflow/tfjs');
const fs = require('node:fs');
const [json, bin, input] = process.argv.slice(1);
const model = JSON.parse(fs.readFileSync(json, 'utf8'));
const weights = fs.readFileSync(bin);
tf.setBackend('cpu').then(async () => {
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }));
  const x = tf.tensor(JSON.parse(fs.readFileSync(input, 'utf8')), [1, 32, 32, 3]);
  console.log(JSON.stringify(Array.from(loaded.predict(x).dataSync())));
});`;

async function saveArtifacts(artifacts: tf.io.ModelArtifacts, name: string): Promise<[string, string]> {
  const json = join(dir, `${name}.json`);
  const bin = join(dir, `${name}.bin`);
  const weightsManifest = [{ paths: [`${name}.bin`], weights: artifacts.weightSpecs }];
  await writeFile(json, JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest }));
  await writeFile(bin, Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)));
  return [json, bin];
}

describe('exported models load in plain tfjs', () => {
  for (const options of [
    { arch: 'squeezenet1_1', widthMultiplier: 0.25 },
    { arch: 'mobilenet_v2', widthMultiplier: 0.35, variant: 'torchvision' },
  ] as const) {
    test(`${options.arch} (${'variant' in options ? options.variant : 'default'}): same logits, no custom layer class`, async () => {
      const model = buildModel({ ...options, inputShape: [32, 32, 3], classes: 3, seed: 1 });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(
          async (a) => (
            (artifacts = a),
            { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
          ),
        ),
      );
      assert.ok(artifacts);
      const inputValues = Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.sin(i));
      const input = join(dir, 'input.json');
      await writeFile(input, JSON.stringify(inputValues));
      const expected = Array.from(
        (model.predict(tf.tensor(inputValues, [1, 32, 32, 3])) as tf.Tensor).dataSync(),
      );
      model.dispose();

      // The model as trained needs amto's StepSeededDropout: plain tfjs refuses it...
      const [rawJson, rawBin] = await saveArtifacts(artifacts, `${options.arch}-raw`);
      await assert.rejects(
        run(process.execPath, ['-e', PLAIN_LOADER, rawJson, rawBin, input]),
        /Unknown layer: StepSeededDropout/,
      );
      // ...and loads once portable, computing the same logits.
      const [json, bin] = await saveArtifacts(portableArtifacts(artifacts), `${options.arch}-portable`);
      const { stdout } = await run(process.execPath, ['-e', PLAIN_LOADER, json, bin, input]);
      const actual = JSON.parse(stdout.trim().split('\n').pop() as string) as number[];
      assert.equal(actual.length, 3);
      actual.forEach((value, i) =>
        assert.ok(Math.abs(value - (expected[i] as number)) < 1e-5, `logit ${i}: ${value} vs ${expected[i]}`),
      );
    });
  }
});
