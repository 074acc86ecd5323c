import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRunConfig } from '../../../amto';
import { heartbeatIntervalMs } from '../../../workers/activity-boundary';
import { activityTimeouts, largestModelForwardFlops } from '../../../workflows/activity-timeouts';

function config(batchSize: number) {
  const parsed = parseRunConfig({
    dataset: { kind: 'fashion-mnist' },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval: 20,
    maxIterations: 40,
    batchSize,
    // Evaluation batches as small as the smallest training batch, so the training step sets the timeout.
    evalBatchSize: 8,
  });
  assert.ok(parsed.ok);
  return parsed.config;
}

describe('activity timeouts sized from the model', () => {
  test('a tiny model gets the minimum heartbeat timeout', () => {
    const timeouts = activityTimeouts(config(32), 2e6, 1000, 20);
    assert.equal(timeouts.heartbeatTimeoutSeconds, 60);
    assert.ok(timeouts.trainStartToCloseSeconds >= 20 * 60);
  });

  test('DenseNet-121 at 224² outlasts one step on the slowest backend, and grows with the batch', () => {
    const small = activityTimeouts(config(8), largestModelForwardFlops, 1000, 20);
    const large = activityTimeouts(config(64), largestModelForwardFlops, 1000, 20);
    // One step: 3 × 5.7 GFLOP × batch at 0.4 GFLOP/s.
    assert.ok(small.heartbeatTimeoutSeconds > (3 * 5.7e9 * 8) / 0.4e9);
    assert.ok(large.heartbeatTimeoutSeconds >= 4 * ((3 * 5.7e9 * 64) / 0.4e9));
    assert.ok(large.heartbeatTimeoutSeconds > small.heartbeatTimeoutSeconds);
    assert.ok(large.trainStartToCloseSeconds > 20 * ((3 * 5.7e9 * 64) / 0.4e9));
  });

  test('runs prepared before FLOPs were recorded are sized as the largest model', () => {
    assert.deepEqual(
      activityTimeouts(config(32), undefined, 1000, 20),
      activityTimeouts(config(32), largestModelForwardFlops, 1000, 20),
    );
  });

  test('the boundary beats several times per heartbeat timeout, within 0.2-5 s', () => {
    assert.equal(heartbeatIntervalMs(60_000), 5_000);
    assert.equal(heartbeatIntervalMs(4_000), 1_000);
    assert.equal(heartbeatIntervalMs(100), 200);
  });
});
