import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  describeTemporalSettings,
  loadTemporalSettings,
  TemporalSettingsError,
} from '../../infra/temporal-settings';

const pem = (label: string): string => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;

test('no variables and no config file: the local dev server in plaintext', () => {
  const settings = loadTemporalSettings({ HOME: '/nonexistent-home' });
  assert.equal(settings.address, '127.0.0.1:7233');
  assert.equal(settings.namespace, 'default');
  assert.equal(settings.tls, false);
  assert.equal(settings.apiKey, undefined);
  assert.equal(settings.source, 'TEMPORAL_* variables');
});

test('a TOML profile gives address, namespace, mTLS files and API key; variables override it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-temporal-settings-'));
  try {
    for (const name of ['ca.pem', 'client.pem']) writeFileSync(join(dir, name), pem('CERTIFICATE'));
    writeFileSync(join(dir, 'client.key'), pem('PRIVATE KEY'));
    const file = join(dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.prod]',
        'address = "temporal.example:7233"',
        'namespace = "research"',
        'api_key = "key-from-file"',
        '[profile.prod.tls]',
        `server_ca_cert_path = "${join(dir, 'ca.pem')}"`,
        `client_cert_path = "${join(dir, 'client.pem')}"`,
        `client_key_path = "${join(dir, 'client.key')}"`,
        'server_name = "temporal.internal"',
      ].join('\n'),
    );
    const settings = loadTemporalSettings({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'override',
    });
    assert.equal(settings.address, 'temporal.example:7233');
    assert.equal(settings.namespace, 'override');
    assert.equal(settings.apiKey, 'key-from-file');
    assert.ok(settings.tls !== false);
    assert.equal(settings.tls.serverNameOverride, 'temporal.internal');
    assert.equal(Buffer.from(settings.tls.clientCertPair?.key ?? []).toString(), pem('PRIVATE KEY'));
    assert.match(settings.source, /profile "prod" of .*temporal\.toml/);
    const printable = describeTemporalSettings(settings);
    assert.equal(
      printable,
      'TLS, client certificate, own server CA, server name temporal.internal, API key set',
    );
    assert.ok(!printable.includes('key-from-file'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an API key alone turns TLS on (system CAs); TEMPORAL_TLS=false turns it off', () => {
  assert.deepEqual(loadTemporalSettings({ TEMPORAL_API_KEY: 'k' }).tls, {});
  assert.equal(loadTemporalSettings({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls, false);
  assert.equal(
    describeTemporalSettings(loadTemporalSettings({ TEMPORAL_TLS: 'true' })),
    'TLS, no client certificate, system CAs',
  );
});

test('a missing profile or certificate file is named', () => {
  assert.throws(
    () =>
      loadTemporalSettings({
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
      }),
    (error: Error) =>
      error instanceof TemporalSettingsError && /\/nonexistent\/client\.pem/.test(error.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'amto-temporal-settings-'));
  try {
    writeFileSync(join(dir, 'temporal.toml'), '[profile.default]\naddress = "a:1"\n');
    assert.throws(
      () =>
        loadTemporalSettings({
          TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml'),
          TEMPORAL_PROFILE: 'staging',
        }),
      /Profile 'staging' not found.*TEMPORAL_PROFILE/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
