/**
 * The infra scripts on their own ports and cache (the shared servers are left alone): start, a second
 * start that reuses, stop, and the same again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadEnvironment } from '../../infra/environment';
import { binDir } from '../../infra/server-binaries';
import { serverStatus, startServers, stopServers } from '../../infra/servers';

const cacheDir = mkdtempSync(join(tmpdir(), 'amto-infra-'));
// Reuse the built binaries; everything else (data, pid files, logs) lives in the temporary cache.
symlinkSync(binDir(loadEnvironment().cacheDir), binDir(cacheDir));
const environment = loadEnvironment({
  ...process.env,
  AMTO_CACHE_DIR: cacheDir,
  TEMPORAL_ADDRESS: '127.0.0.1:17233',
  TEMPORAL_UI_URL: 'http://127.0.0.1:18233',
  MINIO_ENDPOINT: 'http://127.0.0.1:19100',
});
const quiet = (): void => undefined;

after(async () => {
  await stopServers(environment, null, quiet);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('start, start again (reuses), stop — twice in a row', async () => {
  for (let cycle = 1; cycle <= 2; cycle++) {
    assert.deepEqual(
      (await startServers(environment, quiet)).sort(),
      ['minio', 'temporal'],
      `cycle ${cycle} start`,
    );
    const up = await serverStatus(environment);
    assert.ok(
      up.every((server) => server.healthy && server.startedByUs),
      JSON.stringify(up),
    );
    assert.deepEqual(await startServers(environment, quiet), [], `cycle ${cycle}: a second start reuses`);
    assert.deepEqual((await stopServers(environment, null, quiet)).sort(), ['minio', 'temporal']);
    const down = await serverStatus(environment);
    assert.ok(
      down.every((server) => !server.healthy && !server.startedByUs),
      JSON.stringify(down),
    );
  }
});

test('stop leaves servers it did not start alone', async () => {
  // Nothing of ours runs now, so stop has nothing to do, whatever else listens elsewhere.
  assert.deepEqual(await stopServers(environment, null, quiet), []);
});

test('TLS settings are refused before anything starts, naming them: amto starts plaintext servers only', async () => {
  for (const [variables, named] of [
    [{ TEMPORAL_TLS: 'true' }, /Temporal over TLS \(from TEMPORAL_\* variables\)/],
    [{ MINIO_ENDPOINT: 'https://127.0.0.1:19100' }, /MinIO over https \(MINIO_ENDPOINT\)/],
  ] as const) {
    const asking = loadEnvironment({
      ...process.env,
      AMTO_CACHE_DIR: cacheDir,
      TEMPORAL_ADDRESS: '127.0.0.1:17233',
      MINIO_ENDPOINT: 'http://127.0.0.1:19100',
      ...variables,
    });
    await assert.rejects(startServers(asking, quiet), (error: Error) => {
      assert.match(error.message, named);
      assert.match(error.message, /plaintext Temporal and MinIO dev servers/);
      return true;
    });
    const status = await serverStatus(environment);
    assert.ok(
      status.every((server) => !server.healthy && !server.startedByUs),
      `nothing started: ${JSON.stringify(status)}`,
    );
  }
});
