import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { Readable } from 'node:stream';

import { Client } from 'minio';

import {
  ObjectNotFoundError,
  StorageError,
  StoreAccessError,
  StoreConfigurationError,
  StoreUnavailableError,
} from './errors';
import { assertFolderPrefix, assertObjectKey, assertPrefix } from './keys';
import type { ObjectStore, StoredObjectInfo } from './object-store';
import { errorCode, resolveRetryPolicy, retryTransient } from './retry';
import type { RetryNotice, RetryPolicy } from './retry';

/** Connection settings; the shape of `loadEnvironment().minio` (storage/ never reads the environment). */
export interface MinioStoreSettings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** For temporary (STS) credentials. */
  sessionToken?: string;
  /** PEM of the CA that issued an https endpoint's certificate, trusted besides the system's (MINIO_CA_FILE). */
  caCert?: string;
}

export interface MinioStoreOptions {
  retry?: Partial<RetryPolicy>;
  /** A request with no network activity for this long is aborted and retried (default 30 s): a frozen server must not hang a worker. */
  requestTimeoutMs?: number;
  /** Told about every retry, e.g. to log it. */
  onRetry?: (notice: RetryNotice & { operation: string }) => void;
}

const defaultRequestTimeoutMs = 30_000;
/** S3 DeleteObjects accepts at most 1000 keys per request. */
const deleteBatchSize = 1000;
const listPageSize = 1000;
const credentialErrorCodes = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'InvalidClientTokenId',
]);

/** Node's codes for a server certificate no trusted CA vouches for (fixed by MINIO_CA_FILE, not by retrying). */
const untrustedCertificateCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/**
 * An ObjectStore on MinIO or any S3-compatible service, through minio-js's promise API. The bucket is
 * created on first use when missing. Transient failures (connection refused or reset, timeouts, 5xx,
 * SlowDown) are retried with bounded backoff; minio-js's own retry is off so one policy governs.
 */
export class MinioObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly location: string;
  /** `http(s)://host:port`, for messages. */
  readonly endpoint: string;
  private readonly client: Client;
  private readonly settings: MinioStoreSettings;
  private readonly retryPolicy: RetryPolicy;
  private readonly onRetry: MinioStoreOptions['onRetry'];
  private bucketReady: Promise<void> | undefined;

  constructor(settings: MinioStoreSettings, options: MinioStoreOptions = {}) {
    this.settings = settings;
    this.bucket = settings.bucket;
    this.endpoint = `${settings.useSSL ? 'https' : 'http'}://${settings.endPoint}:${settings.port}`;
    this.location = `bucket "${settings.bucket}" at ${this.endpoint}`;
    this.retryPolicy = resolveRetryPolicy(options.retry);
    this.onRetry = options.onRetry;
    const timeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
    if (!(timeoutMs > 0)) {
      throw new StoreConfigurationError(`requestTimeoutMs must be > 0 (got ${timeoutMs})`);
    }
    try {
      this.client = new Client({
        endPoint: settings.endPoint,
        port: settings.port,
        useSSL: settings.useSSL,
        accessKey: settings.accessKey,
        secretKey: settings.secretKey,
        sessionToken: settings.sessionToken,
        region: settings.region,
        transport: transportWithTimeout(settings.useSSL, timeoutMs, settings.caCert),
        retryOptions: { disableRetry: true },
      });
    } catch (error) {
      // minio-js validates endpoint, port and bucket-independent settings here; its messages hold no secret.
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreConfigurationError(`invalid MinIO settings for ${this.endpoint}: ${reason}`);
    }
  }

  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    assertObjectKey(key);
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.run(`write "${key}"`, key, () =>
      this.client.putObject(this.bucket, key, body, body.length, {
        'Content-Type': 'application/octet-stream',
      }),
    );
  }

  async getObject(key: string): Promise<Uint8Array> {
    assertObjectKey(key);
    // The whole download is one try: a stream cut off halfway is fetched again from the start.
    return this.run(`read "${key}"`, key, async () => readAll(await this.client.getObject(this.bucket, key)));
  }

  async exists(key: string): Promise<boolean> {
    assertObjectKey(key);
    try {
      await this.run(`check for "${key}"`, key, () => this.client.statObject(this.bucket, key));
      return true;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    assertPrefix(prefix);
    const found: StoredObjectInfo[] = [];
    await this.listPages(prefix, '', (page) => {
      for (const item of page.objects) {
        if (item.name !== undefined) {
          found.push({ key: item.name, size: item.size, lastModified: item.lastModified });
        }
      }
    });
    return found;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    assertFolderPrefix(prefix);
    const found: string[] = [];
    await this.listPages(prefix, '/', (page) => {
      for (const item of page.objects) if (item.prefix !== undefined) found.push(item.prefix);
    });
    return found;
  }

  async delete(keys: readonly string[]): Promise<void> {
    keys.forEach(assertObjectKey);
    for (let start = 0; start < keys.length; start += deleteBatchSize) {
      const batch = keys.slice(start, start + deleteBatchSize);
      const results = await this.run(`delete ${batch.length} object(s) under "${batch[0]}"…`, undefined, () =>
        this.client.removeObjects(this.bucket, [...batch]),
      );
      const failed = results.filter((result) => result?.Error !== undefined);
      if (failed.length > 0) {
        const first = failed[0]?.Error;
        throw new StorageError(
          `${this.location} refused to delete ${failed.length} object(s), first "${first?.Key ?? '?'}": ` +
            `${first?.Code ?? ''} ${first?.Message ?? ''}`.trim(),
        );
      }
    }
  }

  private async listPages(
    prefix: string,
    delimiter: string,
    onPage: (page: Awaited<ReturnType<Client['listObjectsV2Query']>>) => void,
  ): Promise<void> {
    let token = '';
    do {
      const page = await this.run(`list "${prefix}"`, undefined, () =>
        this.client.listObjectsV2Query(this.bucket, prefix, token, delimiter, listPageSize, ''),
      );
      onPage(page);
      token = page.isTruncated ? page.nextContinuationToken : '';
    } while (token !== '');
  }

  /** Ensures the bucket exists, then runs one store operation with retries and clear errors. */
  private async run<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      await this.ensureBucket();
    } catch (error) {
      // Credentials limited to another bucket fail at the lookup: say what the lookup was for.
      if (error instanceof StoreAccessError) {
        throw new StoreAccessError(`${error.message} (needed to ${operation})`, { cause: error.cause });
      }
      throw error;
    }
    return this.retrying(operation, key, call);
  }

  private async retrying<T>(operation: string, key: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await retryTransient(
        call,
        this.retryPolicy,
        (failure) =>
          new StoreUnavailableError(
            `could not ${operation} in bucket "${this.bucket}": ${this.endpoint} still failing after ` +
              `${failure.attempts} attempt(s) over ${(failure.elapsedMs / 1000).toFixed(1)} s ` +
              `(${describeCause(failure.lastError)}). Is the object store running and reachable ` +
              '(for the local setup: `npm run infra:up`)?',
            { cause: failure.lastError },
          ),
        this.onRetry && ((notice) => this.onRetry?.({ ...notice, operation })),
      );
    } catch (error) {
      throw this.explain(error, operation, key);
    }
  }

  private ensureBucket(): Promise<void> {
    // Shared by concurrent callers; forgotten on failure so the next call tries again.
    this.bucketReady ??= this.createBucketIfMissing().catch((error: unknown) => {
      this.bucketReady = undefined;
      throw error;
    });
    return this.bucketReady;
  }

  private async createBucketIfMissing(): Promise<void> {
    if (await this.retrying('look up the bucket', undefined, () => this.client.bucketExists(this.bucket))) {
      return;
    }
    try {
      await this.retrying('create the bucket', undefined, () =>
        this.client.makeBucket(this.bucket, this.settings.region),
      );
    } catch (error) {
      const code = error instanceof Error ? errorCode(error.cause) : '';
      // Another worker created it between our check and our create: that is what we wanted.
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      if (error instanceof StoreAccessError) {
        throw new StoreAccessError(
          `bucket "${this.bucket}" does not exist at ${this.endpoint} and these credentials may not create it ` +
            `(${code}): create the bucket, grant the user s3:CreateBucket, or set MINIO_BUCKET to an existing bucket`,
          { cause: error.cause },
        );
      }
      throw error;
    }
  }

  /** Turns a minio-js or network error into one that names the endpoint, bucket and key. */
  private explain(error: unknown, operation: string, key: string | undefined): Error {
    if (error instanceof StorageError) return error;
    const code = errorCode(error);
    if ((code === 'NoSuchKey' || code === 'NotFound') && key !== undefined) {
      return new ObjectNotFoundError(key, this.location);
    }
    if (code === 'NoSuchBucket') {
      return new StoreConfigurationError(
        `bucket "${this.bucket}" does not exist at ${this.endpoint} (was it deleted while running?)`,
        { cause: error },
      );
    }
    if (credentialErrorCodes.has(code)) {
      return new StoreAccessError(
        `${this.endpoint} refused to let access key "${this.settings.accessKey}" ${operation} in bucket ` +
          `"${this.bucket}" (${code}): check MINIO_ACCESS_KEY / MINIO_SECRET_KEY and the user's permissions ` +
          'on the bucket',
        { cause: error },
      );
    }
    if (untrustedCertificateCodes.has(code)) {
      return new StoreConfigurationError(
        `could not ${operation} in bucket "${this.bucket}": the TLS certificate of ${this.endpoint} is not ` +
          `trusted (${code}); set MINIO_CA_FILE to the PEM file of the CA that issued it`,
        { cause: error },
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new StoreConfigurationError(
        `could not ${operation} in bucket "${this.bucket}": the TLS certificate of ${this.endpoint} is not for ` +
          `host "${this.settings.endPoint}" (${code}); use a MINIO_ENDPOINT host name the certificate holds`,
        { cause: error },
      );
    }
    if (code === 'ENOTFOUND') {
      return new StoreUnavailableError(
        `could not ${operation} in bucket "${this.bucket}": host "${this.settings.endPoint}" of ${this.endpoint} ` +
          'not found; check MINIO_ENDPOINT',
        { cause: error },
      );
    }
    return new StorageError(`could not ${operation} in ${this.location}: ${describeCause(error)}`, {
      cause: error,
    });
  }
}

/**
 * minio-js has no request timeout; this transport adds one, so a frozen server becomes a retryable
 * ETIMEDOUT. It also trusts the user's CA (with the system's) for an https endpoint.
 */
function transportWithTimeout(
  useSSL: boolean,
  timeoutMs: number,
  caCert: string | undefined,
): Pick<typeof http, 'request'> {
  const base = useSSL ? https : http;
  const ca = caCert === undefined ? undefined : [...tls.rootCertificates, caCert];
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void) => {
    const req = base.request(ca === undefined ? options : { ...options, ca }, callback);
    req.setTimeout(timeoutMs, () => {
      const timeout = Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      req.destroy(timeout);
    });
    return req;
  };
  return { request: request as typeof http.request };
}

function describeCause(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === '') return message === '' ? 'unknown error' : message;
  return message === '' || message.includes(code) ? code : `${code}: ${message}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
