import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../ml/backend';
import { loadPretrained } from '../../ml/models';
import { registerS3Router } from '../../storage/s3-io-handler';
import { readFloats, weightFixtures, type WeightFixtures } from '../helpers/weight-fixtures';
import { createTestMinioStore } from '../integration/storage/storage-fixtures';
import { runCli } from './cli-process';

let fixtures: WeightFixtures;
let dir: string;

before(async () => {
  await selectBackend('auto', { log: () => undefined });
  fixtures = await weightFixtures();
  dir = await mkdtemp(join(tmpdir(), 'amto-import-cli-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function torchMobileNet(): WeightFixtures['cases'][number] {
  const found = fixtures.cases.find((c) => c.name === 'torch-mobilenet_v2');
  assert.ok(found?.firstBatchNorm);
  return found;
}

/** The largest absolute difference of the model's first batch norm (training mode) from the reference's. */
async function firstBatchNormDifference(
  model: tf.LayersModel,
  c: WeightFixtures['cases'][number],
): Promise<number> {
  const bn = c.firstBatchNorm;
  assert.ok(bn);
  const input = tf.tensor(await readFloats(fixtures, fixtures.input.file), fixtures.input.shape);
  const reference = tf.tensor(await readFloats(fixtures, bn.file), bn.shape);
  const sub = tf.model({
    inputs: model.inputs,
    outputs: model.getLayer(bn.layer).output as tf.SymbolicTensor,
  });
  const output = sub.apply(input, { training: true }) as tf.Tensor;
  const relative = tf.tidy(
    () => tf.max(tf.abs(tf.sub(output, reference))).dataSync()[0]! / tf.max(tf.abs(reference)).dataSync()[0]!,
  );
  tf.dispose([input, reference, output]);
  return relative;
}

/** `amto import-weights` of the torch MobileNetV2 fixture with `flags`. */
function importMobileNet(c: WeightFixtures['cases'][number], flags: string[]) {
  return runCli([
    'import-weights',
    join(fixtures.dir, c.files['pth'] as string),
    '--arch',
    'mobilenet_v2',
    ...flags,
  ]);
}

const options = (c: WeightFixtures['cases'][number]) => ({
  arch: c.arch,
  widthMultiplier: c.widthMultiplier,
  inputShape: fixtures.input.shape.slice(1) as [number, number, number],
  classes: 4,
});

describe('amto import-weights and model.pretrained', () => {
  test('import-weights writes a model that model.pretrained starts from, in the torchvision variant', async () => {
    const c = torchMobileNet();
    const out = pathToFileURL(join(dir, 'mobilenet')).href;
    const result = await importMobileNet(c, [
      '--width-multiplier',
      String(c.widthMultiplier),
      '--out',
      out,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    assert.equal(report['variant'], 'torchvision');
    assert.equal(report['head'], 'kept');
    assert.equal(report['tensorsMapped'], 262);
    // A run config naming it: a new 4-class head, the body the file's, computing what torchvision does.
    const model = await loadPretrained(`${out}/model.json`, options(c));
    assert.ok(model.getLayer('Conv1_pad'), 'built as the torchvision variant the import recorded');
    assert.ok((await firstBatchNormDifference(model, c)) <= 1e-4);
    model.dispose();
  });

  test('model.pretrained can name the downloaded file itself, file://~/ being the home directory', async () => {
    const c = torchMobileNet();
    const home = process.env['HOME'];
    process.env['HOME'] = fixtures.dir;
    let model: tf.LayersModel;
    try {
      model = await loadPretrained(`file://~/${c.files['pth']}`, options(c));
    } finally {
      process.env['HOME'] = home;
    }
    assert.deepEqual((model.outputs[0] as tf.SymbolicTensor).shape, [null, 4]);
    assert.ok((await firstBatchNormDifference(model, c)) <= 1e-4);
    model.dispose();
  });

  test('import-weights --out s3:// stores the model in MinIO, where every worker can start from it', async () => {
    const c = torchMobileNet();
    const { store, dispose } = await createTestMinioStore();
    const bucket = process.env['MINIO_BUCKET'];
    process.env['MINIO_BUCKET'] = store.bucket;
    try {
      const url = `s3://${store.bucket}/pretrained/mobilenet_v2`;
      const result = await importMobileNet(c, [
        '--width-multiplier',
        String(c.widthMultiplier),
        '--out',
        url,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Wrote s3:\/\/.*pretrained\/mobilenet_v2/);
      registerS3Router(store);
      const model = await loadPretrained(`${url}/model.json`, options(c));
      assert.ok(model.getLayer('Conv1_pad'));
      assert.ok((await firstBatchNormDifference(model, c)) <= 1e-4);
      model.dispose();
    } finally {
      if (bucket === undefined) delete process.env['MINIO_BUCKET'];
      else process.env['MINIO_BUCKET'] = bucket;
      await dispose();
    }
  });

  test('a file of another width is refused naming the tensor, and nothing is written', async () => {
    const c = torchMobileNet();
    const out = join(dir, 'wrong-width');
    const result = await importMobileNet(c, ['--out', pathToFileURL(out).href]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /tensor features\.0\.0\.weight has shape \[16, 3, 3, 3\].*needs \[32, 3, 3, 3\]/,
    );
    assert.equal(existsSync(out), false);
  });
});
