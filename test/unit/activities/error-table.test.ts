/** The one error→retryable table, as the activity boundary applies it to what activities throw. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  classifyingAs,
  failureFor,
  isRetryableErrorType,
  nonRetryableErrorTypes,
  retryableByErrorType,
} from '../../../activities/non-retryable';
import { TrainingDivergedError } from '../../../ml/training';
import {
  CheckpointNotFoundError,
  CorruptCheckpointError,
  InvalidKeyError,
  ObjectNotFoundError,
  StoreAccessError,
  StoreConfigurationError,
  StoreUnavailableError,
} from '../../../storage/errors';
import * as storageErrors from '../../../storage/errors';

describe('failureFor', () => {
  const cases: Array<[string, Error, string, boolean]> = [
    ['wrong credentials', new StoreAccessError('access denied to bucket amto'), 'StoreAccessDenied', false],
    ['no such bucket', new StoreConfigurationError('bucket "x" does not exist'), 'StoreConfiguration', false],
    ['bad key', new InvalidKeyError('object key "../x" is not allowed'), 'InvalidKey', false],
    [
      'missing checkpoint',
      new CheckpointNotFoundError('runs/a/r1/t0/master', 's3://amto', false),
      'CheckpointNotFound',
      false,
    ],
    [
      'corrupt checkpoint',
      new CorruptCheckpointError('runs/a/r1/t0/master', 'sha256 mismatch'),
      'CorruptCheckpoint',
      false,
    ],
    ['missing object', new ObjectNotFoundError('runs/a/splits.json', 's3://amto'), 'ObjectNotFound', false],
    ['diverged', new TrainingDivergedError(7, 'the loss became NaN at step 7'), 'TrainingDiverged', false],
    [
      'store down',
      new StoreUnavailableError('MinIO unreachable at 127.0.0.1:9000'),
      'StoreUnavailable',
      true,
    ],
    ['unknown error', new Error('socket hang up'), 'Error', true],
    ['unknown named error', new TypeError('x is undefined'), 'TypeError', true],
  ];
  for (const [what, error, type, retryable] of cases) {
    test(`${what}: ${type}, ${retryable ? 'retried' : 'not retried'}, message kept`, () => {
      const failure = failureFor(error);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, type);
      assert.equal(failure.nonRetryable, !retryable);
      assert.equal(failure.message, error.message);
    });
  }

  test('an ApplicationFailure of a known type gets the table flag, whatever it was built with', () => {
    const built = ApplicationFailure.create({
      type: 'InvalidRunConfig',
      message: 'batchSize',
      nonRetryable: false,
    });
    assert.equal(failureFor(built).nonRetryable, true);
    const marked = ApplicationFailure.create({
      type: 'InvalidRunConfig',
      message: 'batchSize',
      nonRetryable: true,
    });
    assert.equal(failureFor(marked), marked);
  });

  test('an ApplicationFailure of a type the table does not know keeps its own flag', () => {
    const own = ApplicationFailure.create({ type: 'SomethingElse', message: 'x', nonRetryable: true });
    assert.equal(failureFor(own), own);
  });

  test('the table: what no retry can fix, and what is retried (a change here is a change of behaviour)', () => {
    assert.deepEqual([...nonRetryableErrorTypes].sort(), [
      'CheckpointNotFound',
      'CorruptCheckpoint',
      'CorruptObject',
      'DatasetError',
      'InvalidDataset',
      'InvalidKey',
      'InvalidRunConfig',
      'ObjectNotFound',
      'RunDataExists',
      'RunNotFound',
      'StoreAccessDenied',
      'StoreConfiguration',
      'TrainingDiverged',
    ]);
    for (const type of nonRetryableErrorTypes) assert.equal(isRetryableErrorType(type), false, type);
    assert.equal(isRetryableErrorType('StoreUnavailable'), true);
    // Unknown types (a lost connection, a plain StorageError of an unexpected S3 reply) are retried.
    assert.equal(isRetryableErrorType('NeverHeardOf'), true);
    assert.equal(isRetryableErrorType('StorageError'), true);
  });

  test('every error class storage/ defines is a row of the table under its own name', () => {
    const named = Object.values(storageErrors)
      .map((ErrorClass) => new (ErrorClass as new (...args: string[]) => Error)('key', 'location', '').name)
      .filter((name) => name !== 'StorageError');
    assert.ok(named.length >= 10, named.join(', '));
    for (const name of named) assert.ok(name in retryableByErrorType, `${name} has no row`);
  });
});

describe('classifyingAs (reading user input)', () => {
  test('an unknown error while reading the dataset becomes InvalidDataset, not retried', async () => {
    const failure = await classifyingAs('InvalidDataset', () =>
      Promise.reject(new Error('cats/1.png: not a PNG file')),
    ).catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'InvalidDataset');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /cats\/1\.png/);
  });

  test('a store outage during an s3:// download stays StoreUnavailable and is retried', async () => {
    const failure = await classifyingAs('InvalidDataset', () =>
      Promise.reject(new StoreUnavailableError('MinIO unreachable at 127.0.0.1:9000')),
    ).catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'StoreUnavailable');
    assert.equal(failure.nonRetryable, false);
  });

  test('a missing pretrained model keeps its own type (not InvalidRunConfig)', async () => {
    const failure = await classifyingAs('InvalidRunConfig', () =>
      Promise.reject(new CheckpointNotFoundError('models/x', 's3://amto', false)),
    ).catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'CheckpointNotFound');
    assert.equal(failure.nonRetryable, true);
  });

  test('a success passes through', async () => {
    assert.equal(await classifyingAs('InvalidDataset', () => Promise.resolve(42)), 42);
  });
});
