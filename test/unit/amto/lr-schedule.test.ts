import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt } from '../../../amto';

describe('learningRateAt', () => {
  const paper = { base: 1e-3, milestones: [2000, 7000], gamma: 0.1 };

  test('follows the paper: 1e-3, ×0.1 from step 2000, ×0.01 from step 7000', () => {
    assert.equal(learningRateAt(0, paper), 1e-3);
    assert.equal(learningRateAt(1999, paper), 1e-3);
    assert.ok(Math.abs(learningRateAt(2000, paper) - 1e-4) < 1e-18);
    assert.ok(Math.abs(learningRateAt(6999, paper) - 1e-4) < 1e-18);
    assert.ok(Math.abs(learningRateAt(7000, paper) - 1e-5) < 1e-19);
    assert.ok(Math.abs(learningRateAt(9999, paper) - 1e-5) < 1e-19);
  });

  test('is constant without milestones or with gamma 1', () => {
    assert.equal(learningRateAt(5000, { base: 0.01, milestones: [], gamma: 0.1 }), 0.01);
    assert.equal(learningRateAt(5000, { base: 0.01, milestones: [10, 20], gamma: 1 }), 0.01);
  });

  test('rejects a negative or fractional step', () => {
    assert.throws(() => learningRateAt(-1, paper), /step must be an integer ≥ 0 \(got -1\)/);
    assert.throws(() => learningRateAt(2.5, paper), /step must be an integer ≥ 0/);
  });
});
