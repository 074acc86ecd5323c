import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { batchIndices, epochPermutation } from '../../../amto';

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('batchIndices', () => {
  test('depends only on (seed, task, step): the master and the slave of a task get the same batches', () => {
    const request = { seed: 3, task: 2, step: 41, trainSize: 1000, batchSize: 64 };
    const master = batchIndices(request);
    batchIndices({ ...request, step: 7 });
    assert.deepEqual(batchIndices({ ...request }), master);
    assert.notDeepEqual(batchIndices({ ...request, task: 1 }), master);
    assert.notDeepEqual(batchIndices({ ...request, seed: 4 }), master);
    assert.notDeepEqual(batchIndices({ ...request, step: 42 }), master);
  });

  test('batches are always full and each epoch visits every training sample exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 80 }),
        fc.nat(),
        fc.nat({ max: 9 }),
        (trainSize, batchSize, seed, task) => {
          // Enough steps for three whole epochs of the sample stream.
          const steps = Math.ceil((3 * trainSize) / batchSize);
          const stream = range(steps).flatMap((step) => {
            const batch = batchIndices({ seed, task, step, trainSize, batchSize });
            assert.equal(batch.length, batchSize);
            return batch;
          });
          for (let epoch = 0; epoch < 3; epoch++) {
            assert.deepEqual(
              sorted(stream.slice(epoch * trainSize, (epoch + 1) * trainSize)),
              range(trainSize),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a batch that straddles two epochs takes the tail of one permutation and the head of the next', () => {
    // trainSize 10, batchSize 4: step 2 covers stream positions 8..11 = epoch 0 [8, 9] + epoch 1 [0, 1].
    const first = epochPermutation(5, 0, 0, 10);
    const second = epochPermutation(5, 0, 1, 10);
    assert.deepEqual(batchIndices({ seed: 5, task: 0, step: 2, trainSize: 10, batchSize: 4 }), [
      first[8],
      first[9],
      second[0],
      second[1],
    ]);
    assert.notDeepEqual([...first], [...second], 'every epoch is a fresh permutation');
  });

  test('handles a batch larger than the training split by spanning several epochs', () => {
    const batch = batchIndices({ seed: 1, task: 0, step: 0, trainSize: 3, batchSize: 7 });
    assert.equal(batch.length, 7);
    assert.deepEqual(sorted(batch.slice(0, 3)), [0, 1, 2]);
    assert.deepEqual(sorted(batch.slice(3, 6)), [0, 1, 2]);
  });

  test('rejects bad requests with the field named', () => {
    const ok = { seed: 1, task: 0, step: 0, trainSize: 10, batchSize: 2 };
    assert.throws(() => batchIndices({ ...ok, trainSize: 0 }), /trainSize must be an integer ≥ 1 \(got 0\)/);
    assert.throws(
      () => batchIndices({ ...ok, batchSize: 1.5 }),
      /batchSize must be an integer ≥ 1 \(got 1.5\)/,
    );
    assert.throws(() => batchIndices({ ...ok, step: -1 }), /step must be an integer ≥ 0 \(got -1\)/);
    assert.throws(() => batchIndices({ ...ok, task: -1 }), /stream key integer #1 for "batch"/);
  });

  test('is fast enough to recompute per call for 60,000 training samples', () => {
    const request = { seed: 1, task: 0, trainSize: 60_000, batchSize: 64 };
    batchIndices({ ...request, step: 0 });
    const calls = 50;
    const started = performance.now();
    for (let step = 0; step < calls; step++) batchIndices({ ...request, step: step * 37 });
    const perCall = (performance.now() - started) / calls;
    console.log(`batchIndices, trainSize 60000: ${perCall.toFixed(2)} ms per call`);
    // The budget is 5 ms; the bound leaves room for a loaded CI machine.
    assert.ok(perCall < 15, `${perCall.toFixed(2)} ms per call`);
  });
});
