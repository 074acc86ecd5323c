import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { mapWithConcurrency } from '../../../storage/concurrency';

describe('mapWithConcurrency', () => {
  test('keeps at most `limit` in flight and returns results in input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (value) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(value * 2);
      running--;
      return value * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
    assert.deepEqual(await mapWithConcurrency([], 4, async () => 1), []);
  });

  test('after a failure starts nothing new and rejects only once running work has settled', async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(
      mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (value) => {
        started.push(value);
        if (value === 0) throw new Error('first failed');
        await sleep(20);
        settled++;
      }),
      /first failed/,
    );
    assert.deepEqual(started, [0, 1], 'no item started after the failure');
    assert.equal(settled, 1, 'the item in flight finished before the rejection');
  });
});
