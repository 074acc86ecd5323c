import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkDatasetDigest, datasetDigest } from '../../../activities/dataset-digest';
import type { DatasetSplits } from '../../../ml/datasets';

function splits(pixel: number, label = 1): DatasetSplits {
  const train = {
    images: new Float32Array([0, 0.5, pixel, 1]),
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
    assert.equal(datasetDigest(splits(0.25)), datasetDigest(splits(0.25)));
    assert.notEqual(datasetDigest(splits(0.25)), datasetDigest(splits(0.2500001)));
    assert.notEqual(datasetDigest(splits(0.25)), datasetDigest(splits(0.25, 0)));
  });

  test('a worker whose data differs fails without retry, naming both digests', () => {
    const recorded = datasetDigest(splits(0.25));
    assert.doesNotThrow(() => checkDatasetDigest(splits(0.25), recorded, 'run-1'));
    assert.doesNotThrow(() => checkDatasetDigest(splits(0.75), undefined, 'run-1'));
    assert.throws(
      () => checkDatasetDigest(splits(0.75), recorded, 'run-1'),
      (error: unknown) =>
        error instanceof ApplicationFailure &&
        error.type === 'InvalidDataset' &&
        error.nonRetryable &&
        error.message.includes(recorded) &&
        error.message.includes('run-1'),
    );
  });
});
