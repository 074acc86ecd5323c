import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import * as tf from '@tensorflow/tfjs';

import { MODEL_ARCHS } from '../../../ml/models';
import { modelFromArtifacts } from '../../../ml/training';
import {
  CheckpointNotFoundError,
  CheckpointStore,
  CorruptCheckpointError,
} from '../../../storage/checkpoint-store';
import { StorageError } from '../../../storage/errors';
import { checkpointKey } from '../../../storage/keys';
import { checkpointDifferences, makeCheckpoint } from './checkpoint-fixtures';
import type { CheckpointFixture } from './checkpoint-fixtures';
import { createTestMinioStore, storeKinds } from './storage-fixtures';
import type { DisposableStore } from './storage-fixtures';

describe('checkpoints of every zoo model round-trip bit-exactly through MinIO', () => {
  let fixture: DisposableStore;
  before(async () => {
    fixture = await createTestMinioStore();
  });
  after(() => fixture.dispose());

  for (const [index, arch] of MODEL_ARCHS.entries()) {
    test(arch, async () => {
      const made = await makeCheckpoint(arch, index + 1);
      try {
        const checkpoints = new CheckpointStore(fixture.store);
        const key = checkpointKey('zoo-run', 3, index, 'master');
        const saved = await checkpoints.saveCheckpoint(key, made.checkpoint);
        assert.equal(saved.key, key);
        assert.ok(saved.bytes > (made.checkpoint.optimizer?.weights.data.byteLength ?? 0));
        assert.equal(await checkpoints.checkpointExists(key), true);

        const loaded = await checkpoints.loadCheckpoint(key);
        assert.deepEqual(checkpointDifferences(made.checkpoint, loaded), []);
        // The loaded artifacts rebuild a model whose every weight equals the original's exactly.
        const rebuilt = await modelFromArtifacts(loaded.model);
        try {
          const expected = made.model.getWeights();
          const actual = rebuilt.getWeights();
          assert.equal(actual.length, expected.length);
          for (const [i, tensor] of expected.entries()) {
            assert.deepEqual(
              Buffer.from((actual[i] as tf.Tensor).dataSync().buffer),
              Buffer.from(tensor.dataSync().buffer),
            );
          }
        } finally {
          rebuilt.dispose();
        }
      } finally {
        made.dispose();
      }
    });
  }
});

for (const kind of storeKinds) {
  describe(`checkpoint guarantees: ${kind.name}`, () => {
    let fixture: DisposableStore;
    let checkpoints: CheckpointStore;
    let master: CheckpointFixture;
    let init: CheckpointFixture;
    before(async () => {
      fixture = await kind.create();
      checkpoints = new CheckpointStore(fixture.store);
      master = await makeCheckpoint('small-cnn', 7);
      init = await makeCheckpoint('small-cnn', 8, false);
    });
    after(async () => {
      master.dispose();
      init.dispose();
      await fixture.dispose();
    });

    test('a checkpoint without optimizer state (an initial one) round-trips with optimizer null', async () => {
      const key = checkpointKey('run-a', 0, 0, 'init');
      await checkpoints.saveCheckpoint(key, init.checkpoint);
      const loaded = await checkpoints.loadCheckpoint(key);
      assert.equal(loaded.optimizer, null);
      assert.deepEqual(checkpointDifferences(init.checkpoint, loaded), []);
    });

    test('overwritten weights.bin bytes are CorruptCheckpoint naming the key, never a loaded model', async () => {
      const key = checkpointKey('run-a', 1, 0, 'master');
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      const weights = Buffer.from(await fixture.store.getObject(`${key}/weights.bin`));
      weights[weights.length >> 1] = (weights[weights.length >> 1] ?? 0) ^ 0xff; // same size, one byte flipped
      await fixture.store.putObject(`${key}/weights.bin`, weights);
      await assert.rejects(checkpoints.loadCheckpoint(key), (error: unknown) => {
        assert.ok(error instanceof CorruptCheckpointError);
        assert.equal(error.name, 'CorruptCheckpoint');
        assert.ok(error.message.includes(key), error.message);
        assert.match(error.message, /weights\.bin.*sha256/);
        return true;
      });
    });

    test('a listed object that is missing or truncated is corrupt too', async () => {
      const key = checkpointKey('run-a', 1, 1, 'master');
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      await fixture.store.delete([`${key}/optimizer.bin`]);
      await assert.rejects(checkpoints.loadCheckpoint(key), /optimizer\.bin.*missing/);
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      const json = await fixture.store.getObject(`${key}/model.json`);
      await fixture.store.putObject(`${key}/model.json`, json.subarray(0, json.byteLength - 1));
      await assert.rejects(checkpoints.loadCheckpoint(key), CorruptCheckpointError);
    });

    test('objects without a manifest (an unfinished upload) are treated as absent', async () => {
      const key = checkpointKey('run-a', 2, 0, 'slave');
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      await fixture.store.delete([`${key}/manifest.json`]);
      assert.equal(await checkpoints.checkpointExists(key), false);
      await assert.rejects(checkpoints.loadCheckpoint(key), (error: unknown) => {
        assert.ok(error instanceof CheckpointNotFoundError);
        assert.equal(error.incomplete, true);
        assert.ok(error.message.includes(key));
        return true;
      });
      const never = checkpointKey('run-a', 9, 9, 'slave');
      assert.equal(await checkpoints.checkpointExists(never), false);
      await assert.rejects(checkpoints.loadCheckpoint(never), (error: unknown) => {
        assert.ok(error instanceof CheckpointNotFoundError);
        assert.equal(error.incomplete, false);
        return true;
      });
    });

    test('saving a key again is safe: identical content stays, different content replaces it wholly', async () => {
      const key = checkpointKey('run-a', 3, 0, 'master');
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      await checkpoints.saveCheckpoint(key, master.checkpoint);
      assert.deepEqual(checkpointDifferences(master.checkpoint, await checkpoints.loadCheckpoint(key)), []);
      // A retry that produced another result (here: other weights, no optimizer) is authoritative.
      const retry = { ...init.checkpoint, step: 5, meta: { attempt: 2 } };
      await checkpoints.saveCheckpoint(key, retry);
      assert.deepEqual(checkpointDifferences(retry, await checkpoints.loadCheckpoint(key)), []);
      const files = (await fixture.store.list(`${key}/`)).map((item) => item.key.slice(key.length + 1));
      assert.deepEqual(
        files,
        ['manifest.json', 'model.json', 'weights.bin'],
        'the old optimizer files are gone',
      );
    });

    test('concurrent writers of different keys each get their own intact checkpoint', async () => {
      const keys = [0, 1, 2, 3, 4, 5].map((task) =>
        checkpointKey('run-b', 1, task, task % 2 ? 'slave' : 'master'),
      );
      const written = keys.map((_, task) => ({ ...master.checkpoint, step: task, meta: { task } }));
      await Promise.all(keys.map((key, task) => checkpoints.saveCheckpoint(key, written[task]!)));
      for (const [task, key] of keys.entries()) {
        assert.deepEqual(checkpointDifferences(written[task]!, await checkpoints.loadCheckpoint(key)), []);
      }
    });

    test('bad input is refused with the field named', async () => {
      const key = checkpointKey('run-a', 4, 0, 'master');
      await assert.rejects(checkpoints.saveCheckpoint(key, { ...master.checkpoint, step: -1 }), /step/);
      await assert.rejects(
        checkpoints.saveCheckpoint(key, { ...master.checkpoint, meta: { loss: 1n } }),
        (error: unknown) => error instanceof StorageError && /meta must be plain JSON/.test(error.message),
      );
      assert.equal(await checkpoints.checkpointExists(key), false);
    });
  });
}
