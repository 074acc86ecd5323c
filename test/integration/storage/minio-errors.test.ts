import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { AssumeRoleProvider } from 'minio/dist/main/AssumeRoleProvider.js';

import { ObjectNotFoundError, StoreAccessError, StoreUnavailableError } from '../../../storage/errors';
import { MinioObjectStore } from '../../../storage/minio-object-store';
import type { MinioStoreSettings } from '../../../storage/minio-object-store';
import type { RetryNotice } from '../../../storage/retry';
import { freePort } from './private-minio';
import { createTestMinioStore, testMinioSettings, uniqueBucketName } from './storage-fixtures';

/** The secret must appear nowhere: not in the message, not in String(error), not in the cause chain. */
function assertSecretAbsent(error: unknown, secret: string): void {
  assert.ok(!(error as Error).message.includes(secret), 'secret in message');
  assert.ok(!String(error).includes(secret), 'secret in String(error)');
  assert.ok(!inspect(error, { depth: 10 }).includes(secret), 'secret in the inspected error / cause');
}

describe('MinIO failures give clear errors that never reveal the secret', () => {
  test('an unreachable endpoint is retried with backoff, then StoreUnavailable naming endpoint and bucket', async () => {
    const port = await freePort();
    const secret = `unreachable-secret-${randomBytes(8).toString('hex')}`;
    const settings: MinioStoreSettings = { ...testMinioSettings(), port, secretKey: secret };
    const retries: RetryNotice[] = [];
    const store = new MinioObjectStore(settings, {
      retry: { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 80 },
      onRetry: (notice) => retries.push(notice),
    });
    const started = Date.now();
    await assert.rejects(store.putObject('runs/x/state/latest.json', Buffer.from('{}')), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      assert.equal(error.name, 'StoreUnavailable');
      assert.ok(error.message.includes(`http://127.0.0.1:${port}`), error.message);
      assert.ok(error.message.includes(settings.bucket), error.message);
      assert.match(error.message, /4 attempt\(s\)/);
      assert.match(error.message, /ECONNREFUSED/);
      assertSecretAbsent(error, secret);
      return true;
    });
    assert.equal(retries.length, 3);
    assert.deepEqual(
      retries.map((notice) => notice.attempt),
      [1, 2, 3],
    );
    // Backoff doubles: at least 0.75 × (20 + 40 + 80) ms were waited.
    assert.ok(Date.now() - started >= 105);
  });

  test('wrong credentials are StoreAccessDenied naming endpoint and bucket', async () => {
    const secret = `wrong-secret-${randomBytes(8).toString('hex')}`;
    const settings: MinioStoreSettings = { ...testMinioSettings(), secretKey: secret };
    const store = new MinioObjectStore(settings, {
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    await assert.rejects(store.getObject('anything.bin'), (error: unknown) => {
      assert.ok(error instanceof StoreAccessError, String(error));
      assert.equal(error.name, 'StoreAccessDenied');
      assert.ok(error.message.includes(`http://${settings.endPoint}:${settings.port}`), error.message);
      assert.ok(error.message.includes(settings.bucket), error.message);
      assert.match(error.message, /MINIO_SECRET_KEY/);
      assertSecretAbsent(error, secret);
      return true;
    });
  });

  test('a missing bucket the credentials may not create is StoreAccessDenied saying so', async () => {
    const root = testMinioSettings();
    // Temporary credentials (STS AssumeRole) whose session policy allows object access but not CreateBucket.
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            's3:GetObject',
            's3:PutObject',
            's3:DeleteObject',
            's3:ListBucket',
            's3:GetBucketLocation',
          ],
          Resource: ['arn:aws:s3:::*'],
        },
      ],
    });
    const credentials = await new AssumeRoleProvider({
      stsEndpoint: `http://${root.endPoint}:${root.port}`,
      accessKey: root.accessKey,
      secretKey: root.secretKey,
      region: root.region,
      policy,
      durationSeconds: 900,
    }).getCredentials();
    const settings: MinioStoreSettings = {
      ...root,
      bucket: uniqueBucketName(),
      accessKey: credentials.accessKey,
      secretKey: credentials.secretKey,
      sessionToken: credentials.sessionToken,
    };
    const store = new MinioObjectStore(settings, {
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    await assert.rejects(store.putObject('x.bin', new Uint8Array(1)), (error: unknown) => {
      assert.ok(error instanceof StoreAccessError, String(error));
      assert.ok(error.message.includes(`bucket "${settings.bucket}" does not exist`), error.message);
      assert.match(error.message, /may not create it/);
      assertSecretAbsent(error, credentials.secretKey);
      return true;
    });
  });

  test('a missing key is ObjectNotFound naming key, bucket and endpoint', async () => {
    const fixture = await createTestMinioStore();
    try {
      await assert.rejects(fixture.store.getObject('runs/none/r1/t0/master/model.json'), (error: unknown) => {
        assert.ok(error instanceof ObjectNotFoundError);
        assert.match(error.message, /runs\/none\/r1\/t0\/master\/model\.json/);
        assert.ok(error.message.includes(fixture.store.location));
        assert.ok(error.message.includes(fixture.store.bucket));
        return true;
      });
    } finally {
      await fixture.dispose();
    }
  });
});
