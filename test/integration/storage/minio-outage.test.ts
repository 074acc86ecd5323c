import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { CheckpointStore } from '../../../storage/checkpoint-store';
import { checkpointKey } from '../../../storage/keys';
import { MinioObjectStore } from '../../../storage/minio-object-store';
import type { ObjectStore, StoredObjectInfo } from '../../../storage/object-store';
import { errorCode } from '../../../storage/retry';
import type { RetryNotice } from '../../../storage/retry';
import { checkpointDifferences, makeCheckpoint } from './checkpoint-fixtures';
import type { CheckpointFixture } from './checkpoint-fixtures';
import { PrivateMinio } from './private-minio';

/**
 * The real MinIO store, with a hook that runs once right after the first object of a save has been
 * written, so the outage deterministically hits the middle of a multi-object checkpoint write.
 */
class OutageAfterFirstWrite implements ObjectStore {
  private fired = false;
  constructor(
    private readonly inner: ObjectStore,
    private readonly outage: () => Promise<void>,
  ) {}
  get bucket(): string {
    return this.inner.bucket;
  }
  get location(): string {
    return this.inner.location;
  }
  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    await this.inner.putObject(key, bytes);
    if (!this.fired) {
      this.fired = true;
      await this.outage();
    }
  }
  getObject(key: string): Promise<Uint8Array> {
    return this.inner.getObject(key);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  list(prefix: string): Promise<StoredObjectInfo[]> {
    return this.inner.list(prefix);
  }
  listPrefixes(prefix: string): Promise<string[]> {
    return this.inner.listPrefixes(prefix);
  }
  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

describe('a checkpoint write survives MinIO going away mid-write (private server, never the shared one)', () => {
  let server: PrivateMinio;
  let made: CheckpointFixture;
  before(async () => {
    server = await PrivateMinio.create();
    made = await makeCheckpoint('small-cnn', 21);
  });
  after(async () => {
    made.dispose();
    await server.dispose();
  });

  async function saveThroughOutage(
    key: string,
    requestTimeoutMs: number,
    outage: () => Promise<{ recovery: Promise<void> }>,
  ): Promise<RetryNotice[]> {
    const retries: RetryNotice[] = [];
    const store = new MinioObjectStore(server.settings, {
      retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 2000 },
      requestTimeoutMs,
      onRetry: (notice) => retries.push(notice),
    });
    await store.exists('warm-up'); // creates the bucket before the outage
    let recovery: Promise<void> = Promise.resolve();
    const hooked = new OutageAfterFirstWrite(store, async () => {
      ({ recovery } = await outage());
    });
    await new CheckpointStore(hooked).saveCheckpoint(key, made.checkpoint);
    await recovery;
    // A fresh client reads back exactly what was written.
    const reader = new CheckpointStore(new MinioObjectStore(server.settings));
    assert.deepEqual(checkpointDifferences(made.checkpoint, await reader.loadCheckpoint(key)), []);
    return retries;
  }

  test('killed (SIGKILL) after the first object and restarted 1.5 s later: the write retries and succeeds', async () => {
    const retries = await saveThroughOutage(checkpointKey('outage', 1, 0, 'master'), 5000, async () => {
      await server.kill();
      // Wrapped so the hook returns at once: the save carries on (and fails, and retries) meanwhile.
      return { recovery: sleep(1500).then(() => server.start()) };
    });
    assert.ok(retries.length > 0, 'the outage was hit and retried');
    assert.ok(
      retries.every((notice) => ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(errorCode(notice.error))),
      retries.map((notice) => errorCode(notice.error)).join(', '),
    );
  });

  test('frozen (SIGSTOP) for 2.5 s: requests time out, are retried, and the write succeeds', async () => {
    const retries = await saveThroughOutage(checkpointKey('outage', 2, 0, 'master'), 1000, async () => {
      server.signal('SIGSTOP');
      return { recovery: sleep(2500).then(() => server.signal('SIGCONT')) };
    });
    assert.ok(
      retries.some((notice) => errorCode(notice.error) === 'ETIMEDOUT'),
      retries.map((notice) => errorCode(notice.error)).join(', '),
    );
  });
});
