import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseFinalModel, harmonicAccuracy } from '../../../amto';

const accuracy = fc.double({ min: 0.001, max: 1, noNaN: true });

describe('harmonicAccuracy (eq. 7)', () => {
  test('is M / Σ 1/A_m', () => {
    // 3 / (1/0.9 + 1/0.8 + 1/0.6) = 3 / (1.1111… + 1.25 + 1.6666…) = 3 / 4.02777… = 0.744827586…
    assert.ok(Math.abs(harmonicAccuracy([0.9, 0.8, 0.6]) - 3 / (1 / 0.9 + 1 / 0.8 + 1 / 0.6)) < 1e-15);
    assert.ok(Math.abs(harmonicAccuracy([0.9, 0.8, 0.6]) - 0.7448275862068966) < 1e-12);
    assert.equal(harmonicAccuracy([0.5]), 0.5);
    assert.equal(harmonicAccuracy([1, 1, 1, 1]), 1);
  });

  test('lies between the minimum and the arithmetic mean', () => {
    fc.assert(
      fc.property(fc.array(accuracy, { minLength: 1, maxLength: 10 }), (accuracies) => {
        const value = harmonicAccuracy(accuracies);
        const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
        assert.ok(value >= Math.min(...accuracies) - 1e-12 && value <= mean + 1e-12);
      }),
    );
  });

  test('is 0 when any accuracy is 0', () => {
    assert.equal(harmonicAccuracy([0.99, 0, 0.98]), 0);
    assert.equal(harmonicAccuracy([0]), 0);
  });

  test('rejects an empty list and accuracies outside [0, 1]', () => {
    assert.throws(() => harmonicAccuracy([]), /at least one accuracy/);
    assert.throws(() => harmonicAccuracy([0.5, 1.2]), /accuracies\[1\] must be in \[0, 1\] \(got 1.2\)/);
    assert.throws(() => harmonicAccuracy([Number.NaN]), /accuracies\[0\] must be in \[0, 1\]/);
  });
});

describe('chooseFinalModel', () => {
  test('picks the candidate with the highest harmonic accuracy, not the highest mean', () => {
    // Candidate 0: mean 0.8, harmonic 2 / (1/1 + 1/0.6) = 0.75. Candidate 1: mean 0.79, harmonic ≈ 0.78987.
    const selection = chooseFinalModel([
      [1, 0.6],
      [0.8, 0.78],
    ]);
    assert.equal(selection.chosenTask, 1);
    assert.ok(Math.abs((selection.perCandidate[0] as number) - 0.75) < 1e-12);
    assert.ok(Math.abs(selection.harmonicAccuracy - 2 / (1 / 0.8 + 1 / 0.78)) < 1e-12);
  });

  test('a candidate with a zero accuracy on one split loses; ties go to the lowest index', () => {
    assert.equal(
      chooseFinalModel([
        [1, 0, 1],
        [0.5, 0.5, 0.5],
      ]).chosenTask,
      1,
    );
    assert.equal(
      chooseFinalModel([
        [0.7, 0.9],
        [0.9, 0.7],
        [0.7, 0.9],
      ]).chosenTask,
      0,
    );
  });

  test('rejects no candidates and ragged rows', () => {
    assert.throws(() => chooseFinalModel([]), /at least one candidate/);
    assert.throws(
      () => chooseFinalModel([[0.5, 0.5], [0.5]]),
      /accuracies\[1\] has 1 entries but accuracies\[0\] has 2/,
    );
  });
});
