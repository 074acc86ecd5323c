import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { observeValidation, shouldStopEarly, type ImprovementTracker } from '../../../amto';

function track(losses: readonly (number | null)[], minDelta = 0): ImprovementTracker[] {
  const trackers: ImprovementTracker[] = [];
  let tracker: ImprovementTracker = { baseline: null, stale: 0 };
  for (const loss of losses) {
    tracker = observeValidation(tracker, loss, minDelta);
    trackers.push(tracker);
  }
  return trackers;
}

describe('observeValidation', () => {
  test('counts validations since the last strict improvement', () => {
    assert.deepEqual(
      track([1.0, 0.9, 0.9, 0.95, 0.8, 0.85]).map((t) => t.stale),
      [0, 0, 1, 2, 0, 1],
    );
  });

  test('minDelta: an improvement must beat the last improvement by more than minDelta, and small gains add up', () => {
    // Baseline 1.0; 0.95 and 0.91 are within 0.1 of it; 0.89 beats it by 0.11 and becomes the baseline;
    // then 0.8 and 0.795 are within 0.1 of 0.89.
    const trackers = track([1.0, 0.95, 0.91, 0.89, 0.8, 0.795], 0.1);
    assert.deepEqual(
      trackers.map((t) => t.stale),
      [0, 1, 2, 0, 1, 2],
    );
    assert.deepEqual(
      trackers.map((t) => t.baseline),
      [1.0, 1.0, 1.0, 0.89, 0.89, 0.89],
    );
  });

  test('a diverged loss never improves, and the first finite loss always does', () => {
    assert.deepEqual(track([null, Number.NaN, 2.5, Infinity, 2.4]), [
      { baseline: null, stale: 1 },
      { baseline: null, stale: 2 },
      { baseline: 2.5, stale: 0 },
      { baseline: 2.5, stale: 1 },
      { baseline: 2.4, stale: 0 },
    ]);
  });
});

describe('shouldStopEarly', () => {
  test('"any" (the paper) stops as soon as one task reaches the patience', () => {
    assert.equal(shouldStopEarly([0, 9, 3], { patience: 10, mode: 'any' }), false);
    assert.equal(shouldStopEarly([0, 10, 3], { patience: 10, mode: 'any' }), true);
  });

  test('"all" waits until every task has reached it', () => {
    assert.equal(shouldStopEarly([10, 12, 9], { patience: 10, mode: 'all' }), false);
    assert.equal(shouldStopEarly([10, 12, 10], { patience: 10, mode: 'all' }), true);
    assert.equal(shouldStopEarly([], { patience: 1, mode: 'all' }), false);
  });

  test('with patience p, a task that stops improving triggers the stop on its p-th stale validation', () => {
    const stale = track([1, 0.9, 0.95, 0.96, 0.97]).map((t) => t.stale);
    assert.deepEqual(
      stale.map((s) => shouldStopEarly([s], { patience: 3, mode: 'any' })),
      [false, false, false, false, true],
    );
  });
});
