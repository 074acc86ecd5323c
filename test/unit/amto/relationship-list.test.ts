import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  acceptTransfer,
  chooseDonor,
  createStream,
  donorDistribution,
  donorProbabilities,
  relationshipAfterTransfer,
  sampleDonor,
  updateRelationship,
} from '../../../amto';
import { chiSquareCritical, chiSquareStatistic } from './chi-square';

const relationshipList = (maxAbs: number) =>
  fc.array(fc.double({ min: -maxAbs, max: maxAbs, noNaN: true }), { minLength: 2, maxLength: 8 });
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe('donorProbabilities (eq. 4)', () => {
  test('sums to 1, gives self 0 and every other task a probability in [0, 1]', () => {
    fc.assert(
      fc.property(
        relationshipList(50),
        fc.nat(),
        fc.double({ min: 0.05, max: 20, noNaN: true }),
        (rl, pick, t) => {
          const self = pick % rl.length;
          const p = donorProbabilities(rl, self, t);
          assert.equal(p[self], 0);
          assert.ok(Math.abs(sum(p) - 1) < 1e-12, `sum ${sum(p)}`);
          p.forEach((value) => assert.ok(value >= 0 && value <= 1));
        },
      ),
    );
  });

  test('is the softmax of r over the other tasks', () => {
    // RL = [0.3, 9, -0.5, 1], self = 1: p_j = e^{r_j} / (e^{0.3} + e^{-0.5} + e^{1}).
    const z = Math.exp(0.3) + Math.exp(-0.5) + Math.exp(1);
    const p = donorProbabilities([0.3, 9, -0.5, 1], 1, 1);
    [Math.exp(0.3) / z, 0, Math.exp(-0.5) / z, Math.exp(1) / z].forEach((expected, j) =>
      assert.ok(Math.abs((p[j] as number) - expected) < 1e-15, `p[${j}] = ${p[j]}, expected ${expected}`),
    );
  });

  test('stays finite and exact for relationships around 1e4', () => {
    fc.assert(
      fc.property(relationshipList(1e4), fc.nat(), (rl, pick) => {
        const self = pick % rl.length;
        const p = donorProbabilities(rl, self, 1);
        p.forEach((value) => assert.ok(Number.isFinite(value)));
        assert.ok(Math.abs(sum(p) - 1) < 1e-12);
      }),
    );
    const p = donorProbabilities([1e4, 0, 1e4 - 1, -1e4], 1, 1);
    assert.ok(Math.abs((p[0] as number) - 1 / (1 + Math.exp(-1))) < 1e-12);
    assert.ok(Math.abs((p[2] as number) - 1 / (1 + Math.exp(1))) < 1e-12);
    assert.equal(p[3], 0);
  });

  test('a higher r means a higher probability; temperature flattens or sharpens', () => {
    const rl = [0, 0, 1, 2];
    const cold = donorProbabilities(rl, 0, 0.5);
    const normal = donorProbabilities(rl, 0, 1);
    const hot = donorProbabilities(rl, 0, 100);
    assert.ok((normal[3] as number) > (normal[2] as number) && (normal[2] as number) > (normal[1] as number));
    assert.ok((cold[3] as number) > (normal[3] as number) && (hot[3] as number) < (normal[3] as number));
    hot.slice(1).forEach((value) => assert.ok(Math.abs(value - 1 / 3) < 0.01));
  });

  test('a single task has no donor', () => {
    assert.deepEqual(donorProbabilities([0], 0, 1), [0]);
  });

  test('rejects a bad self, temperature or relationship value', () => {
    assert.throws(
      () => donorProbabilities([0, 0], 2, 1),
      /self must index the relationship list \(got 2 for 2 tasks\)/,
    );
    assert.throws(
      () => donorProbabilities([0, 0], 0, 0),
      /temperature must be a finite number > 0 \(got 0\)/,
    );
    assert.throws(
      () => donorProbabilities([0, Number.NaN], 0, 1),
      /relationship\[1\] must be a finite number/,
    );
  });
});

describe('sampleDonor', () => {
  test('inverts the cumulative distribution and never returns a zero-probability task', () => {
    const p = [0.2, 0, 0.5, 0.3];
    assert.equal(sampleDonor(p, 0), 0);
    assert.equal(sampleDonor(p, 0.1999), 0);
    assert.equal(sampleDonor(p, 0.2), 2);
    assert.equal(sampleDonor(p, 0.6999), 2);
    assert.equal(sampleDonor(p, 0.7), 3);
    assert.equal(sampleDonor(p, 0.9999999999), 3);
    // Rounding: a total just below 1 still returns the last possible donor.
    assert.equal(sampleDonor([0.3, 0.3, 0.3999999, 0], 0.99999995), 2);
  });

  test('rejects a uniform outside [0, 1), negative probabilities and an all-zero list', () => {
    assert.throws(() => sampleDonor([0.5, 0.5], 1), /uniform01 must be in \[0, 1\) \(got 1\)/);
    assert.throws(
      () => sampleDonor([1.5, -0.5], 0.1),
      /probabilities\[1\] must be a finite number ≥ 0 \(got -0.5\)/,
    );
    assert.throws(() => sampleDonor([0, 0], 0.1), /no donor has a positive probability/);
  });

  test('donor frequencies match the probabilities (chi-square, 100,000 draws, significance 0.001)', () => {
    const rl = [0.5, -1, 2, 0, 1.2];
    const self = 3;
    const p = donorProbabilities(rl, self, 1);
    const draws = 100_000;
    const counts = new Array<number>(rl.length).fill(0);
    const stream = createStream(7, 'chi-square', 0);
    for (let i = 0; i < draws; i++) counts[sampleDonor(p, stream.nextFloat())]! += 1;
    assert.equal(counts[self], 0, 'a task is never its own donor');
    const statistic = chiSquareStatistic(
      counts,
      p.map((value) => value * draws),
    );
    // Four possible donors: three degrees of freedom.
    assert.ok(statistic < chiSquareCritical(3), `chi-square ${statistic} ≥ ${chiSquareCritical(3)}`);
  });
});

describe('updateRelationship (eq. 6) and acceptTransfer', () => {
  test('moves r up when the slave wins, down when it loses, by less than 1', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (r, master, slave) => {
          const next = updateRelationship(r, master, slave);
          assert.ok(Math.abs(next - r - Math.tanh(master - slave)) < 1e-12);
          assert.ok(Math.abs(next - r) <= 1);
          if (slave < master) assert.ok(next >= r);
          if (slave > master) assert.ok(next <= r);
          assert.equal(acceptTransfer(master, slave), slave < master);
        },
      ),
    );
    assert.equal(updateRelationship(0.5, 1.2, 0.7), 0.5 + Math.tanh(0.5));
  });

  test('equal losses: no transfer (strictly lower is required) and no change of r', () => {
    assert.equal(acceptTransfer(0.4, 0.4), false);
    assert.equal(updateRelationship(0.25, 0.4, 0.4), 0.25);
  });

  test('a diverged loss (NaN, ±Infinity or null from JSON) counts as +∞', () => {
    for (const diverged of [Number.NaN, Infinity, -Infinity, null]) {
      assert.equal(acceptTransfer(0.5, diverged), false, `slave ${String(diverged)} is never accepted`);
      assert.equal(
        acceptTransfer(diverged, 0.5),
        true,
        `a finite slave replaces a master at ${String(diverged)}`,
      );
      assert.equal(updateRelationship(0.2, 0.5, diverged), 0.2 - 1);
      assert.equal(updateRelationship(0.2, diverged, 0.5), 0.2 + 1);
      assert.equal(updateRelationship(0.2, diverged, null), 0.2);
      assert.equal(acceptTransfer(diverged, Number.NaN), false);
    }
  });
});

describe('transfer modes', () => {
  const rl = [0, 3, -2, 0.5];

  test('adaptive draws from softmax(RL / T) and applies eq. 6', () => {
    assert.deepEqual(donorDistribution('adaptive', rl, 0, 1), donorProbabilities(rl, 0, 1));
    assert.deepEqual(relationshipAfterTransfer('adaptive', rl, 1, 0.9, 0.6), [
      0,
      3 + Math.tanh(0.9 - 0.6),
      -2,
      0.5,
    ]);
  });

  test('uniform draws every other task with equal probability and keeps RL frozen', () => {
    assert.deepEqual(donorDistribution('uniform', rl, 2, 1), [1 / 3, 1 / 3, 0, 1 / 3]);
    assert.deepEqual(relationshipAfterTransfer('uniform', rl, 1, 0.9, 0.6), rl);
  });

  test('none and single-task runs never have a donor', () => {
    assert.deepEqual(donorDistribution('none', rl, 0, 1), [0, 0, 0, 0]);
    assert.equal(chooseDonor('none', rl, 0, 1, 0.3), null);
    for (const mode of ['adaptive', 'uniform', 'none'] as const)
      assert.equal(chooseDonor(mode, [0], 0, 1, 0.3), null);
  });

  test('chooseDonor never picks the task itself', () => {
    fc.assert(
      fc.property(
        relationshipList(10),
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (r, pick, u) => {
          const self = pick % r.length;
          const donor = chooseDonor('adaptive', r, self, 1, u);
          assert.ok(donor !== null && donor !== self && donor >= 0 && donor < r.length);
        },
      ),
    );
  });
});
