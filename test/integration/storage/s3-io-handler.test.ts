import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import * as tf from '@tensorflow/tfjs';

import { buildModel } from '../../../ml/models';
import { CheckpointStore, CorruptCheckpointError } from '../../../storage/checkpoint-store';
import { CheckpointNotFoundError, StoreConfigurationError } from '../../../storage/errors';
import { objectUrl } from '../../../storage/object-url';
import { registerS3Router } from '../../../storage/s3-io-handler';
import { makeCheckpoint } from './checkpoint-fixtures';
import { storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

async function weightBytes(model: tf.LayersModel): Promise<Buffer[]> {
  return Promise.all(model.getWeights().map(async (tensor) => Buffer.from((await tensor.data()).buffer)));
}

for (const kind of storeKinds) {
  describe(`s3:// router for model.save / tf.loadLayersModel: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let model: tf.LayersModel;
    before(async () => {
      await tf.setBackend('cpu');
      fixture = await kind.create();
      // Registering more than once (and for several buckets) must keep working.
      registerS3Router(fixture.store);
      registerS3Router(fixture.store);
      model = buildModel({ arch: 'small-cnn', inputShape: [16, 16, 3], classes: 4, seed: 3 });
    });
    after(async () => {
      model.dispose();
      await fixture.dispose();
    });

    test('a saved model loads back with identical weights and predictions', async () => {
      const url = objectUrl(fixture.store, 'models/small');
      const result = await model.save(url);
      assert.ok((result.modelArtifactsInfo.weightDataBytes ?? 0) > 0);
      assert.deepEqual(
        (await fixture.store.list('models/small/')).map((item) => item.key),
        ['models/small/manifest.json', 'models/small/model.json', 'models/small/weights.bin'],
      );
      const loaded = await tf.loadLayersModel(`${url}/model.json`);
      try {
        assert.deepEqual(await weightBytes(loaded), await weightBytes(model));
        const input = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5);
        const [expected, actual] = [model.predict(input) as tf.Tensor, loaded.predict(input) as tf.Tensor];
        assert.deepEqual(Array.from(await actual.data()), Array.from(await expected.data()));
        tf.dispose([input, expected, actual]);
      } finally {
        loaded.dispose();
      }
    });

    test("a training checkpoint's model loads through the router too", async () => {
      const made = await makeCheckpoint('small-cnn', 11);
      try {
        await new CheckpointStore(fixture.store).saveCheckpoint('runs/r/r1/t0/master', made.checkpoint);
        const loaded = await tf.loadLayersModel(objectUrl(fixture.store, 'runs/r/r1/t0/master/model.json'));
        assert.deepEqual(await weightBytes(loaded), await weightBytes(made.model));
        loaded.dispose();
      } finally {
        made.dispose();
      }
    });

    test('a corrupted saved model is refused, an absent one is reported as absent', async () => {
      const url = objectUrl(fixture.store, 'models/corrupt');
      await model.save(url);
      const weights = Buffer.from(await fixture.store.getObject('models/corrupt/weights.bin'));
      weights[0] = (weights[0] ?? 0) ^ 1;
      await fixture.store.putObject('models/corrupt/weights.bin', weights);
      await assert.rejects(tf.loadLayersModel(`${url}/model.json`), (error: unknown) => {
        assert.ok(error instanceof CorruptCheckpointError);
        assert.match(error.message, /models\/corrupt/);
        return true;
      });
      await assert.rejects(
        tf.loadLayersModel(objectUrl(fixture.store, 'models/none/model.json')),
        CheckpointNotFoundError,
      );
    });

    test('a bucket no store was registered for gets a clear error', async () => {
      await assert.rejects(model.save('s3://no-such-registered-bucket/models/x'), (error: unknown) => {
        assert.ok(error instanceof StoreConfigurationError);
        assert.match(error.message, /no-such-registered-bucket/);
        assert.match(error.message, /registerS3Router/);
        return true;
      });
    });
  });
}
