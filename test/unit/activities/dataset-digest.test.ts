import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkDatasetDigest, datasetDigest } from '../../../activities/dataset-digest';
import type { DatasetSplits } from '../../../ml/datasets';

function splits(pixel: number, label = 1): DatasetSplits {
  const train = {
    images: new Uint8Array([0, 128, pixel, 255]),
    stored: [1, 2, 1] as const,
    labels: new Int32Array([0, label]),
    n: 2,
    height: 1,
    width: 2,
    channels: 1,
    numClasses: 2,
    classNames: ['a', 'b'],
  };
  return { train, test: null };
}

describe('dataset digest', () => {
  test('the same decoded data gives the same digest; one pixel or label more or less, another', () => {
    assert.equal(datasetDigest(splits(64)), datasetDigest(splits(64)));
    assert.notEqual(datasetDigest(splits(64)), datasetDigest(splits(65)));
    assert.notEqual(datasetDigest(splits(64)), datasetDigest(splits(64, 0)));
    const served = splits(64);
    const resized = { train: { ...served.train, height: 2, width: 4 }, test: null };
    assert.notEqual(datasetDigest(served), datasetDigest(resized), 'the same pixels served at another size');
  });

  test('a worker whose data differs fails without retry, naming both digests', () => {
    const recorded = datasetDigest(splits(64));
    assert.doesNotThrow(() => checkDatasetDigest(splits(64), recorded, 'run-1'));
    assert.doesNotThrow(() => checkDatasetDigest(splits(192), undefined, 'run-1'));
    assert.throws(
      () => checkDatasetDigest(splits(192), recorded, 'run-1'),
      (error: unknown) =>
        error instanceof ApplicationFailure &&
        error.type === 'InvalidDataset' &&
        error.nonRetryable &&
        error.message.includes(recorded) &&
        error.message.includes('run-1'),
    );
  });
});
