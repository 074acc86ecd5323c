import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { seededSubset } from '../../../activities/dataset-subset';
import { decodeRunDataset } from '../../../activities/decode-run-dataset';
import { parseRunConfig } from '../../../amto';
import { gatherBatch, loadFashionMnist } from '../../../ml/datasets';
import type { ObjectStore } from '../../../storage/object-store';

describe('decodeRunDataset', () => {
  test('a Fashion-MNIST subset for a 224² zoo model holds only its own 28×28 bytes', async () => {
    await tf.setBackend('cpu');
    const parsed = parseRunConfig({
      seed: 3,
      dataset: { kind: 'fashion-mnist', subset: 50, testSubset: 20 },
      batchSize: 8,
      model: { arch: 'mobilenet_v2', inputSize: 224 },
    });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
    // Fashion-MNIST is read from its local folder: the store is never asked.
    const { train, test: testSet } = await decodeRunDataset(parsed.config, {} as ObjectStore, '/nonexistent');
    assert.ok(testSet !== null);
    assert.deepEqual([train.n, testSet.n], [50, 20]);
    assert.deepEqual([train.images.byteLength, testSet.images.byteLength], [50 * 784, 20 * 784]);
    assert.deepEqual(
      [train.stored, [train.height, train.width, train.channels]],
      [
        [28, 28, 1],
        [224, 224, 3],
      ],
    );
    // The subset's images are the seeded subset of the full set, whatever the input shape.
    const full = await loadFashionMnist();
    assert.deepEqual(train.images, seededSubset(full.train, 50, 3, 'subset').images);
    const batch = gatherBatch(train, [0, 49]);
    assert.deepEqual(batch.images.shape, [2, 224, 224, 3]);
    tf.dispose([batch.images, batch.labels]);
  });
});
