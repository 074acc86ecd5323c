import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { drawHoldout, drawSplits, smallestTrainSize, type SplitOptions, type TaskSplit } from '../../../amto';

const everyIndex = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const isAscending = (xs: readonly number[]): boolean =>
  xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

/** Labels with uneven class sizes: class c gets a share that grows with c. */
function unevenLabels(n: number, classes: number): number[] {
  return everyIndex(n).map((i) => Math.floor(Math.sqrt((i * classes * classes) / n)) % classes);
}

function countBy(indices: readonly number[], labels: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const i of indices) counts.set(labels[i] as number, (counts.get(labels[i] as number) ?? 0) + 1);
  return counts;
}

function assertPartition(split: TaskSplit, n: number): void {
  assert.ok(isAscending(split.train) && isAscending(split.validation), 'index lists are sorted ascending');
  const validation = new Set(split.validation);
  assert.ok(
    split.train.every((i) => !validation.has(i)),
    'train and validation are disjoint',
  );
  assert.deepEqual(
    [...split.train, ...split.validation].sort((a, b) => a - b),
    everyIndex(n),
    'together they cover 0..n-1',
  );
}

const splitOptions = fc.record({
  n: fc.integer({ min: 20, max: 400 }),
  tasks: fc.integer({ min: 1, max: 6 }),
  validationFraction: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
  stratified: fc.boolean(),
  classes: fc.integer({ min: 1, max: 5 }),
  seed: fc.nat(),
});

describe('drawSplits, random mode (the paper)', () => {
  test('each task partitions the samples into train and validation of round(n·fraction), reproducibly', () => {
    fc.assert(
      fc.property(splitOptions, ({ classes, ...rest }) => {
        const options: SplitOptions = { ...rest, mode: 'random', labels: unevenLabels(rest.n, classes) };
        const splits = drawSplits(options);
        assert.equal(splits.length, options.tasks);
        for (const split of splits) {
          assertPartition(split, options.n);
          assert.equal(split.validation.length, Math.round(options.n * options.validationFraction));
          assert.equal(split.train.length, smallestTrainSize(options));
        }
        assert.deepEqual(drawSplits(options), splits);
      }),
    );
  });

  test('tasks draw different validation sets, and another seed draws others', () => {
    const options: SplitOptions = {
      n: 1000,
      tasks: 4,
      mode: 'random',
      validationFraction: 0.1,
      stratified: false,
      seed: 9,
    };
    const splits = drawSplits(options);
    for (let a = 0; a < splits.length; a++) {
      for (let b = a + 1; b < splits.length; b++)
        assert.notDeepEqual(splits[a]?.validation, splits[b]?.validation);
    }
    assert.notDeepEqual(drawSplits({ ...options, seed: 10 })[0]?.validation, splits[0]?.validation);
  });

  test('stratified validation sets hold each class in proportion (floor or ceil of its exact share)', () => {
    fc.assert(
      fc.property(splitOptions, ({ classes, ...rest }) => {
        const labels = unevenLabels(rest.n, classes);
        const size = Math.round(rest.n * rest.validationFraction);
        const classSizes = countBy(everyIndex(rest.n), labels);
        for (const split of drawSplits({ ...rest, mode: 'random', labels, stratified: true })) {
          const counts = countBy(split.validation, labels);
          for (const [label, classSize] of classSizes) {
            const share = (classSize * size) / rest.n;
            const count = counts.get(label) ?? 0;
            assert.ok(
              count === Math.floor(share) || count === Math.ceil(share),
              `class ${label}: ${count} vs ${share}`,
            );
          }
        }
      }),
    );
  });

  test('a rare class keeps its share in a stratified split but not necessarily in a plain one', () => {
    // 1000 samples, class 1 is 5% of them: every stratified validation set of 100 holds exactly 5.
    const labels = everyIndex(1000).map((i) => (i % 20 === 0 ? 1 : 0));
    const base: SplitOptions = {
      n: 1000,
      labels,
      tasks: 8,
      mode: 'random',
      validationFraction: 0.1,
      stratified: true,
      seed: 4,
    };
    for (const split of drawSplits(base)) assert.equal(countBy(split.validation, labels).get(1), 5);
    const plainCounts = drawSplits({ ...base, stratified: false }).map(
      (s) => countBy(s.validation, labels).get(1) ?? 0,
    );
    assert.ok(
      plainCounts.some((count) => count !== 5),
      `plain counts ${plainCounts.join(',')}`,
    );
  });
});

describe('drawSplits, kfold mode', () => {
  test('validation folds are disjoint, cover every sample once, and differ in size by at most one', () => {
    fc.assert(
      fc.property(splitOptions, ({ classes, tasks, ...rest }) => {
        const options: SplitOptions = {
          ...rest,
          tasks: tasks + 1,
          mode: 'kfold',
          labels: unevenLabels(rest.n, classes),
        };
        const splits = drawSplits(options);
        splits.forEach((split) => assertPartition(split, options.n));
        const folds = splits.flatMap((split) => split.validation);
        assert.deepEqual(
          folds.sort((a, b) => a - b),
          everyIndex(options.n),
        );
        const sizes = splits.map((split) => split.validation.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes.join(',')}`);
        assert.equal(Math.min(...splits.map((split) => split.train.length)), smallestTrainSize(options));
        assert.deepEqual(drawSplits(options), splits);
      }),
    );
  });

  test('stratified folds hold ⌊n_c/M⌋ or ⌈n_c/M⌉ samples of every class c', () => {
    fc.assert(
      fc.property(splitOptions, ({ classes, tasks, ...rest }) => {
        const labels = unevenLabels(rest.n, classes);
        const folds = tasks + 1;
        for (const split of drawSplits({ ...rest, tasks: folds, labels, mode: 'kfold', stratified: true })) {
          const counts = countBy(split.validation, labels);
          for (const [label, classSize] of countBy(everyIndex(rest.n), labels)) {
            const count = counts.get(label) ?? 0;
            assert.ok(count === Math.floor(classSize / folds) || count === Math.ceil(classSize / folds));
          }
        }
      }),
    );
  });

  test('ignores validationFraction', () => {
    const options: SplitOptions = {
      n: 50,
      tasks: 5,
      mode: 'kfold',
      validationFraction: 0.1,
      stratified: false,
      seed: 1,
    };
    assert.deepEqual(drawSplits({ ...options, validationFraction: 0.9 }), drawSplits(options));
  });
});

describe('drawSplits rejects options that cannot work, saying why', () => {
  const ok: SplitOptions = {
    n: 100,
    tasks: 3,
    mode: 'random',
    validationFraction: 0.1,
    stratified: false,
    seed: 1,
  };
  const cases: [string, Partial<SplitOptions>, RegExp][] = [
    ['too few samples', { n: 1 }, /n must be an integer ≥ 2 \(got 1\)/],
    ['no task', { tasks: 0 }, /tasks must be an integer ≥ 1 \(got 0\)/],
    ['fraction out of range', { validationFraction: 1 }, /validationFraction must be in \(0, 1\) \(got 1\)/],
    ['empty validation set', { validationFraction: 0.004 }, /gives an empty validation set/],
    ['empty training set', { n: 2, validationFraction: 0.8 }, /leaves no training sample/],
    ['kfold with one task', { mode: 'kfold', tasks: 1 }, /kfold splits need tasks ≥ 2 \(got 1\)/],
    ['kfold with more folds than samples', { mode: 'kfold', n: 3, tasks: 4 }, /a fold would be empty/],
    ['stratified without labels', { stratified: true }, /stratified splits need labels/],
    [
      'labels of the wrong length',
      { labels: [0, 1] },
      /labels must have one entry per sample \(got 2 labels for n 100\)/,
    ],
    [
      'a non-integer label',
      { labels: everyIndex(100).map((i) => (i === 7 ? 0.5 : 0)) },
      /labels\[7\] must be an integer/,
    ],
  ];
  for (const [name, change, message] of cases) {
    test(name, () => assert.throws(() => drawSplits({ ...ok, ...change }), message));
  }
});

describe('drawHoldout (a test set cut from a labelled dataset)', () => {
  const labels = everyIndex(100).map((i) => (i < 50 ? 0 : i < 80 ? 1 : 2));

  test('keeps class proportions and is a partition, reproducibly', () => {
    const { kept, heldOut } = drawHoldout({ labels, fraction: 0.2, seed: 3, purpose: 'test-split' });
    assertPartition({ train: kept, validation: heldOut }, 100);
    const held = countBy(heldOut, labels);
    assert.deepEqual(
      [0, 1, 2].map((c) => held.get(c) ?? 0),
      [10, 6, 4],
    );
    assert.deepEqual(drawHoldout({ labels, fraction: 0.2, seed: 3, purpose: 'test-split' }).heldOut, heldOut);
    assert.throws(
      () => drawHoldout({ labels, fraction: 1, seed: 3, purpose: 'test-split' }),
      /must be in \(0, 1\)/,
    );
  });

  test('holds out round(n · fraction) samples even when every class share rounds up', () => {
    // 10 classes of 5 at 0.1: each class's exact share is 0.5. The ml layer's old stratifiedSplit
    // rounded per class (at least one each) and held out 10 of 50, twice the fraction asked for.
    const small = everyIndex(50).map((i) => i % 10);
    const { kept, heldOut } = drawHoldout({ labels: small, fraction: 0.1, seed: 1, purpose: 'test-split' });
    assert.equal(heldOut.length, 5);
    assert.equal(kept.length, 45);
  });

  test("draws from its own stream, not a task split's", () => {
    const split = drawSplits({
      n: 100,
      labels,
      tasks: 1,
      mode: 'random',
      validationFraction: 0.2,
      stratified: true,
      seed: 3,
    });
    const holdout = drawHoldout({ labels, fraction: 0.2, seed: 3, purpose: 'test-split' });
    assert.notDeepEqual(holdout.heldOut, split[0]?.validation);
  });
});
