import { setTimeout as sleep } from 'node:timers/promises';

/** Bounded exponential backoff for transient store failures. */
export interface RetryPolicy {
  /** Total tries, the first one included. */
  maxAttempts: number;
  /** Delay before the second try; doubles after every failure. */
  initialDelayMs: number;
  /** Cap on a single delay. */
  maxDelayMs: number;
}

/** 6 tries, waiting 0.5 + 1 + 2 + 4 + 8 s (±25 % jitter): about 15-20 s before giving up. */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 8000 };

/** Node network error codes that mean "try again later", not "this will never work". */
const transientNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** S3 / MinIO error codes for overload, restarts and server-side hiccups. */
const transientS3Codes = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'OperationTimedOut',
  'XMinioServerNotInitialized',
  'XMinioReadQuorum',
  'XMinioWriteQuorum',
]);

/** The error code of a Node or minio-js error, '' when it has none. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : '';
  }
  return '';
}

/**
 * Whether an error from the object store is worth retrying. minio-js reports 5xx answers to HEAD
 * requests (no body to parse) as an S3Error without a code, so an S3Error with an empty code counts too.
 */
export function isTransientStoreError(error: unknown): boolean {
  const code = errorCode(error);
  if (transientNetworkCodes.has(code) || transientS3Codes.has(code)) return true;
  return error instanceof Error && error.name === 'S3Error' && code === '';
}

export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...defaultRetryPolicy, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be a whole number >= 1 (got ${policy.maxAttempts})`);
  }
  if (!(policy.initialDelayMs >= 0) || !(policy.maxDelayMs >= policy.initialDelayMs)) {
    throw new RangeError(
      `retry delays must satisfy 0 <= initialDelayMs <= maxDelayMs (got ${policy.initialDelayMs}, ${policy.maxDelayMs})`,
    );
  }
  return policy;
}

/** The wait before try number `attempt + 1` (attempt counts from 1), jittered so writers do not stampede. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryExhausted {
  attempts: number;
  elapsedMs: number;
  lastError: unknown;
}

/**
 * Runs `operation`, retrying transient failures with backoff. Permanent failures are rethrown at
 * once; when the tries run out, `onExhausted` turns the last failure into the error to throw.
 */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onExhausted: (failure: RetryExhausted) => Error,
  onRetry?: (notice: RetryNotice) => void,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientStoreError(error)) throw error;
      if (attempt >= policy.maxAttempts) {
        throw onExhausted({ attempts: attempt, elapsedMs: Date.now() - started, lastError: error });
      }
      const delayMs = backoffDelayMs(policy, attempt);
      onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
