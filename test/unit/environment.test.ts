import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEnvironment, EnvironmentError, loadEnvironment } from '../../infra/environment';

test('defaults are the local dev setup', () => {
  const environment = loadEnvironment({ HOME: '/home/someone' });
  assert.equal(environment.temporal.address, '127.0.0.1:7233');
  assert.deepEqual(
    { endPoint: environment.minio.endPoint, port: environment.minio.port, useSSL: environment.minio.useSSL },
    { endPoint: '127.0.0.1', port: 9000, useSSL: false },
  );
  assert.equal(environment.minio.bucket, 'amto');
  assert.equal(environment.localStoreDir, null);
});

test('variables override the defaults; https endpoints default to port 443', () => {
  const environment = loadEnvironment({
    TEMPORAL_ADDRESS: 'temporal.example:7233',
    MINIO_ENDPOINT: 'https://s3.example.com',
    // Off this machine the minioadmin default is refused (test/unit/security-minio-settings.test.ts).
    MINIO_ACCESS_KEY: 'runner',
    MINIO_SECRET_KEY: 'runner-secret',
    MINIO_BUCKET: 'my-runs',
    AMTO_STORE_DIR: '/data/amto',
  });
  assert.equal(environment.temporal.address, 'temporal.example:7233');
  assert.equal(environment.minio.port, 443);
  assert.equal(environment.minio.useSSL, true);
  assert.equal(environment.minio.bucket, 'my-runs');
  assert.equal(environment.localStoreDir, '/data/amto');
});

test('the secret key never appears in the printable view', () => {
  const secret = 'very-secret-value-123';
  const printable = JSON.stringify(describeEnvironment(loadEnvironment({ MINIO_SECRET_KEY: secret })));
  assert.ok(!printable.includes(secret));
  assert.match(printable, /hidden/);
});

test('bad values name the variable', () => {
  assert.throws(
    () => loadEnvironment({ MINIO_BUCKET: 'Bad_Bucket' }),
    (error: Error) => {
      assert.ok(error instanceof EnvironmentError);
      assert.match(error.message, /MINIO_BUCKET/);
      return true;
    },
  );
  assert.throws(() => loadEnvironment({ MINIO_ENDPOINT: 'ftp://host' }), /MINIO_ENDPOINT/);
});
