import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { createObjectStore } from '../../../storage/create-object-store';
import { InvalidKeyError, StoreConfigurationError } from '../../../storage/errors';
import { LocalObjectStore } from '../../../storage/local-object-store';
import { MinioObjectStore } from '../../../storage/minio-object-store';
import { keyInStore, objectUrl, parseObjectUrl } from '../../../storage/object-url';

const minio = {
  endPoint: '127.0.0.1',
  port: 9000,
  useSSL: false,
  accessKey: 'access',
  secretKey: 'not-printed-anywhere',
  bucket: 'amto',
  region: 'us-east-1',
};

describe('s3:// URLs', () => {
  test('build and parse', () => {
    assert.equal(objectUrl({ bucket: 'amto' }, 'runs/x/r1/t0/master'), 's3://amto/runs/x/r1/t0/master');
    assert.deepEqual(parseObjectUrl('s3://amto/datasets/fmnist/'), {
      bucket: 'amto',
      key: 'datasets/fmnist',
    });
    for (const bad of ['http://amto/x', 's3://amto', 's3://amto/', 's3:///x', 's3://amto/../x']) {
      assert.throws(() => parseObjectUrl(bad), InvalidKeyError, bad);
    }
  });

  test('a URL for another bucket than the store is refused naming both', () => {
    const store = { bucket: 'amto', location: 'bucket "amto" at http://127.0.0.1:9000' };
    assert.equal(keyInStore(store, 's3://amto/a/b'), 'a/b');
    assert.throws(
      () => keyInStore(store, 's3://other/a/b'),
      (error: unknown) => {
        assert.ok(error instanceof StoreConfigurationError);
        assert.match(error.message, /bucket "other".*bucket "amto"/);
        return true;
      },
    );
  });
});

describe('createObjectStore', () => {
  test('MinIO whenever an endpoint is configured, else the local directory, else a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amto-create-'));
    try {
      const remote = createObjectStore({ minio, localDir: dir });
      assert.ok(remote instanceof MinioObjectStore);
      assert.equal(remote.location, 'bucket "amto" at http://127.0.0.1:9000');
      assert.ok(!remote.location.includes(minio.secretKey));

      const local = createObjectStore({ minio: { ...minio, endPoint: '' }, localDir: dir });
      assert.ok(local instanceof LocalObjectStore);
      assert.equal(local.bucket, 'amto', 'local stores answer to the configured bucket name');
      assert.equal(createObjectStore({ localDir: dir }).bucket, 'local');

      assert.throws(() => createObjectStore({}), /no object store configured.*MINIO_ENDPOINT/);
      assert.throws(() => createObjectStore({ minio: { ...minio, port: -1 } }), StoreConfigurationError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
