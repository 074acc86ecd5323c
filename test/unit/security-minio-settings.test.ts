import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEnvironment, EnvironmentError, loadEnvironment } from '../../infra/environment';

const refusesDefault = (error: Error): boolean =>
  error instanceof EnvironmentError &&
  /not on this machine/.test(error.message) &&
  /MINIO_ALLOW_DEFAULT_CREDENTIALS=1/.test(error.message) &&
  /MINIO_ACCESS_KEY and MINIO_SECRET_KEY/.test(error.message);

test('the minioadmin default is refused for an endpoint off this machine, naming the opt-in variable', () => {
  for (const endpoint of ['https://s3.example.org', 'http://10.0.0.5:9000', 'http://minio:9000']) {
    assert.throws(() => loadEnvironment({ MINIO_ENDPOINT: endpoint }), refusesDefault, endpoint);
    assert.throws(
      () =>
        loadEnvironment({
          MINIO_ENDPOINT: endpoint,
          MINIO_ACCESS_KEY: 'minioadmin',
          MINIO_SECRET_KEY: 'minioadmin',
        }),
      refusesDefault,
    );
  }
});

test('the default stays fine on loopback, with the opt-in, or once either credential is changed', () => {
  for (const endpoint of [
    'http://127.0.0.1:9000',
    'http://localhost:9000',
    'http://[::1]:9000',
    'http://0.0.0.0:9000',
  ]) {
    assert.equal(loadEnvironment({ MINIO_ENDPOINT: endpoint }).minio.accessKey, 'minioadmin');
  }
  const remote = 'https://s3.example.org';
  for (const optIn of ['1', 'true']) {
    assert.equal(
      loadEnvironment({ MINIO_ENDPOINT: remote, MINIO_ALLOW_DEFAULT_CREDENTIALS: optIn }).minio.port,
      443,
    );
  }
  assert.throws(
    () => loadEnvironment({ MINIO_ENDPOINT: remote, MINIO_ALLOW_DEFAULT_CREDENTIALS: '0' }),
    refusesDefault,
  );
  assert.throws(
    () => loadEnvironment({ MINIO_ENDPOINT: remote, MINIO_ALLOW_DEFAULT_CREDENTIALS: 'yes' }),
    /MINIO_ALLOW_DEFAULT_CREDENTIALS "yes" is not valid/,
  );
  const secret = 'a-real-secret-9f1c';
  const environment = loadEnvironment({
    MINIO_ENDPOINT: remote,
    MINIO_ACCESS_KEY: 'runner',
    MINIO_SECRET_KEY: secret,
  });
  assert.equal(environment.minio.accessKey, 'runner');
  assert.ok(!JSON.stringify(describeEnvironment(environment)).includes(secret));
});

test('MINIO_CA_FILE is read as PEM for an https endpoint; a missing, non-PEM or http use is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-minio-ca-'));
  try {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    writeFileSync(join(dir, 'not.pem'), 'hello');
    const https = { MINIO_ENDPOINT: 'https://127.0.0.1:9443' };
    assert.equal(loadEnvironment({ ...https, MINIO_CA_FILE: join(dir, 'ca.pem') }).minio.caCert, pem);
    assert.equal(loadEnvironment(https).minio.caCert, undefined);
    assert.throws(
      () => loadEnvironment({ ...https, MINIO_CA_FILE: join(dir, 'missing.pem') }),
      /MINIO_CA_FILE ".*missing\.pem" cannot be read \(ENOENT\)/,
    );
    assert.throws(
      () => loadEnvironment({ ...https, MINIO_CA_FILE: join(dir, 'not.pem') }),
      /MINIO_CA_FILE .* holds no PEM certificate/,
    );
    assert.throws(
      () => loadEnvironment({ MINIO_ENDPOINT: 'http://127.0.0.1:9000', MINIO_CA_FILE: join(dir, 'ca.pem') }),
      /MINIO_CA_FILE is set but MINIO_ENDPOINT .* is plain http/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
