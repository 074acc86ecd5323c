import { request } from 'node:http';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { S3Error } from 'minio';

import {
  backoffDelayMs,
  defaultRetryPolicy,
  isTransientStoreError,
  resolveRetryPolicy,
  retryTransient,
} from '../../../storage/retry';

/** A real connection-refused error from Node (port 1 on localhost has no listener). */
function connectionRefused(): Promise<Error> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: 1, path: '/' });
    req.once('error', resolve);
    req.end();
  });
}

function s3Error(code: string): S3Error {
  const error = new S3Error(`server said ${code}`);
  error.code = code;
  return error;
}

describe('retry of transient store failures', () => {
  test('network failures, overload and 5xx are transient; missing keys and denied access are not', async () => {
    assert.equal(isTransientStoreError(await connectionRefused()), true);
    for (const code of [
      'SlowDown',
      'ServiceUnavailable',
      'InternalError',
      'XMinioServerNotInitialized',
      '',
    ]) {
      assert.equal(isTransientStoreError(s3Error(code)), true, `S3 code "${code}"`);
    }
    for (const code of ['NoSuchKey', 'NotFound', 'AccessDenied', 'SignatureDoesNotMatch', 'NoSuchBucket']) {
      assert.equal(isTransientStoreError(s3Error(code)), false, code);
    }
    assert.equal(isTransientStoreError(new Error('plain')), false);
    assert.equal(isTransientStoreError(Object.assign(new Error('x'), { code: 'ENOTFOUND' })), false);
  });

  test('backoff doubles from the initial delay up to the cap, with ±25 % jitter', () => {
    const policy = { maxAttempts: 8, initialDelayMs: 100, maxDelayMs: 1000 };
    const bases = [100, 200, 400, 800, 1000, 1000];
    for (const [index, base] of bases.entries()) {
      for (let sample = 0; sample < 50; sample++) {
        const delay = backoffDelayMs(policy, index + 1);
        assert.ok(delay >= base * 0.75 && delay <= base * 1.25, `attempt ${index + 1}: ${delay}`);
      }
    }
  });

  test('the default policy gives up after 6 tries and roughly 12-20 s of waiting', () => {
    assert.equal(defaultRetryPolicy.maxAttempts, 6);
    let base = 0;
    for (let attempt = 1; attempt < defaultRetryPolicy.maxAttempts; attempt++) {
      base += Math.min(defaultRetryPolicy.maxDelayMs, defaultRetryPolicy.initialDelayMs * 2 ** (attempt - 1));
    }
    assert.equal(base, 15_500);
    assert.ok(base * 0.75 >= 11_000 && base * 1.25 <= 20_000);
  });

  test('retries transient failures until success, telling onRetry each time', async () => {
    let calls = 0;
    const notices: number[] = [];
    const result = await retryTransient(
      async () => {
        calls++;
        if (calls < 3) throw s3Error('SlowDown');
        return 'done';
      },
      { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 2 },
      () => new Error('unreachable'),
      (notice) => notices.push(notice.attempt),
    );
    assert.equal(result, 'done');
    assert.equal(calls, 3);
    assert.deepEqual(notices, [1, 2]);
  });

  test('a permanent failure is thrown at once; exhausted retries go through onExhausted', async () => {
    let calls = 0;
    await assert.rejects(
      retryTransient(
        async () => {
          calls++;
          throw s3Error('NoSuchKey');
        },
        { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 },
        () => new Error('should not be used'),
      ),
      /server said NoSuchKey/,
    );
    assert.equal(calls, 1);

    calls = 0;
    await assert.rejects(
      retryTransient(
        async () => {
          calls++;
          throw await connectionRefused();
        },
        { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
        (failure) => new Error(`gave up after ${failure.attempts}: ${(failure.lastError as Error).message}`),
      ),
      /gave up after 3: connect ECONNREFUSED/,
    );
    assert.equal(calls, 3);
  });

  test('nonsensical policies are refused', () => {
    assert.throws(() => resolveRetryPolicy({ maxAttempts: 0 }), /maxAttempts/);
    assert.throws(() => resolveRetryPolicy({ initialDelayMs: 500, maxDelayMs: 100 }), /delays/);
    assert.deepEqual(resolveRetryPolicy({ maxAttempts: 2 }), { ...defaultRetryPolicy, maxAttempts: 2 });
  });
});
