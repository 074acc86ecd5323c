import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { isRunId, parseRunConfig } from '../../../amto';
import { InvalidKeyError } from '../../../storage/errors';
import {
  assertObjectKey,
  checkpointKey,
  datasetPrefix,
  parseRoundSegment,
  partialCheckpointKey,
  roundPrefix,
  runPrefix,
  runStateKey,
  splitsKey,
} from '../../../storage/keys';
import type { CheckpointRole } from '../../../storage/keys';

describe('key layout (DESIGN §5)', () => {
  test('checkpoint, run-state, split and dataset keys', () => {
    assert.equal(checkpointKey('run-7', 3, 1, 'master'), 'runs/run-7/r3/t1/master');
    assert.equal(checkpointKey('run-7', 3, 1, 'slave'), 'runs/run-7/r3/t1/slave');
    assert.equal(checkpointKey('run-7', 0, 0, 'init'), 'runs/run-7/r0/t0/init');
    assert.equal(partialCheckpointKey('run-7', 3, 1, 'slave', 250), 'runs/run-7/r3/t1/partial/slave/s250');
    assert.equal(roundPrefix('run-7', 3), 'runs/run-7/r3/');
    assert.equal(runStateKey('run-7'), 'runs/run-7/state/latest.json');
    assert.equal(runStateKey('run-7', 12), 'runs/run-7/state/round-12.json');
    assert.equal(splitsKey('run-7'), 'runs/run-7/splits.json');
    assert.equal(datasetPrefix('fashion-mnist'), 'datasets/fashion-mnist/');
  });

  test('the same arguments always give the same key (retries rewrite the same objects)', () => {
    assert.equal(checkpointKey('a', 1, 2, 'master'), checkpointKey('a', 1, 2, 'master'));
  });

  test('unsafe run ids, dataset names, indices and roles are refused naming the field', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => checkpointKey('../up', 1, 0, 'master'), /run id "..\/up"/],
      [() => checkpointKey('a/b', 1, 0, 'master'), /run id/],
      [() => checkpointKey('', 1, 0, 'master'), /run id/],
      [() => checkpointKey('x'.repeat(129), 1, 0, 'master'), /run id/],
      [() => checkpointKey('run', -1, 0, 'master'), /round must be a whole number/],
      [() => checkpointKey('run', 1.5, 0, 'master'), /round/],
      [() => checkpointKey('run', 1, Number.NaN, 'master'), /task/],
      [() => checkpointKey('run', 1, 0, 'best' as CheckpointRole), /role must be one of init, master, slave/],
      [() => partialCheckpointKey('run', 1, 0, 'master', -5), /step/],
      [() => runStateKey('run', -2), /round/],
      [() => datasetPrefix('my data'), /dataset name "my data"/],
    ];
    for (const [make, message] of cases) {
      assert.throws(make, (error: unknown) => {
        assert.ok(error instanceof InvalidKeyError);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test('a run id is accepted by the keys exactly when the run config accepts it (one rule, 64 characters)', () => {
    // storage/ used to allow 128 characters while the config and the workflow allowed 64, so a run id
    // of 65-128 characters passed here and failed everywhere else.
    const accepts = (runId: string): boolean => {
      try {
        runPrefix(runId);
        return true;
      } catch {
        return false;
      }
    };
    for (const runId of [
      'a',
      'x'.repeat(64),
      'x'.repeat(65),
      'x'.repeat(128),
      'run-1.b_c',
      '-x',
      '.x',
      'a b',
    ]) {
      const config = parseRunConfig({ runId, dataset: { kind: 'fashion-mnist' } });
      assert.equal(accepts(runId), config.ok, runId);
      assert.equal(accepts(runId), isRunId(runId), runId);
    }
    assert.throws(
      () => runPrefix('x'.repeat(65)),
      /run id "x{65}" is not allowed: it must be 1 to 64 letters/,
    );
  });

  test('object keys: relative paths without traversal, empty segments or control characters', () => {
    for (const good of [
      'a',
      'runs/x/r1/t0/master/model.json',
      'datasets/d/files/class a/ä.jpg',
      'a/.hidden',
    ]) {
      assert.doesNotThrow(() => assertObjectKey(good), good);
    }
    for (const bad of [
      '',
      '/a',
      'a/',
      'a//b',
      './a',
      'a/../b',
      'a\\b',
      'a\nb',
      '.amto-tmp/x',
      'x'.repeat(1025),
    ]) {
      assert.throws(() => assertObjectKey(bad), InvalidKeyError, JSON.stringify(bad));
    }
  });

  test('round segments parse back to their numbers and nothing else does', () => {
    assert.equal(parseRoundSegment('r0'), 0);
    assert.equal(parseRoundSegment('r42'), 42);
    for (const other of ['state', 'r', 'r01', 'r-1', 'R3', 'r3x', 'splits.json']) {
      assert.equal(parseRoundSegment(other), undefined, other);
    }
  });
});
