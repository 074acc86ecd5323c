/**
 * Servers that do not answer. A command or worker that cannot reach Temporal or MinIO ends within
 * seconds with an error naming the address and what to do, never the secret. A run whose worker
 * loses MinIO keeps retrying (MinIO may come back), but says so: the progress query, `amto status`
 * and the AmtoRetrying search attribute show the activity, its attempt and the error naming the
 * endpoint. Real CLI processes and workers; the servers that answer are the shared ones.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadEnvironment } from '../../infra/environment';
import { amtoTraining } from '../../workflows';
import { progressQuery } from '../../workflows/messages';
import { startWorker } from '../helpers/worker-processes';
import { freePort } from '../integration/storage/private-minio';
import { amtoCli, fileClient, listedAs, waitFor } from './fault-run';

/**
 * An end, not a speed: a command that retried forever would not end at all. Each process is started
 * here, so this also covers loading the CLI (and TensorFlow, for a worker): 10-25 s each alone on the
 * loaded shared machine of docs/reliability.md, 76 s for a worker started beside four others at load 44.
 */
const clearErrorWithinMs = 180_000;

const clientOf = fileClient(loadEnvironment());
const dir = mkdtempSync(join(tmpdir(), 'amto-unreachable-'));

after(() => rmSync(dir, { recursive: true, force: true }));

/** `amto <args>`, timed; each must fail (exit 1) with output matching `expected`, in time. */
async function failsClearly(args: string[], env: NodeJS.ProcessEnv, expected: RegExp): Promise<string> {
  const started = Date.now();
  const { code, output } = await amtoCli(args, env);
  const ms = Date.now() - started;
  assert.equal(code, 1, `amto ${args.join(' ')}: ${output}`);
  assert.match(output, expected, `amto ${args.join(' ')}`);
  assert.ok(ms < clearErrorWithinMs, `amto ${args.join(' ')} took ${ms} ms`);
  return output;
}

describe('unreachable servers', () => {
  test('Temporal unreachable: amto run, status, list and worker end within seconds naming the address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const env = { ...process.env, TEMPORAL_ADDRESS: address };
    const config = join(dir, 'run.json');
    writeFileSync(
      config,
      JSON.stringify({ dataset: { kind: 'fashion-mnist' }, model: { arch: 'small-cnn' } }),
    );
    const expected = new RegExp(`cannot connect to Temporal at ${address}.*set TEMPORAL_ADDRESS`);
    await Promise.all(
      [
        ['run', config],
        ['status', 'some-run'],
        ['list'],
        ['worker', '--role', 'control'],
        ['worker', '--role', 'master'],
      ].map((args) => failsClearly(args, env, expected)),
    );
  });

  test('MinIO unreachable: amto report and resume end within seconds naming the endpoint, never the secret', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const secret = `unreachable-${randomBytes(8).toString('hex')}`;
    const env = { ...process.env, MINIO_ENDPOINT: endpoint, MINIO_SECRET_KEY: secret };
    const expected = new RegExp(`${endpoint} still failing .*Is the object store running`);
    const outputs = await Promise.all(
      [
        ['report', 'some-run'],
        ['resume', 'some-run'],
      ].map((args) => failsClearly(args, env, expected)),
    );
    for (const output of outputs) assert.ok(!output.includes(secret), 'the secret is never printed');
  });

  test('MinIO unreachable for a worker: the run retries, and progress, amto status and AmtoRetrying say so', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const secret = `unreachable-${randomBytes(8).toString('hex')}`;
    const env = { ...process.env, MINIO_ENDPOINT: endpoint, MINIO_SECRET_KEY: secret };
    const queue = `amto-nominio-${randomUUID().slice(0, 8)}`;
    // prepareRun, the first activity, runs on the control worker.
    const worker = await startWorker('control', queue, { prefix: [], env });
    const runId = `fault-nominio-${randomUUID().slice(0, 8)}`;
    const handle = await clientOf().workflow.start(amtoTraining, {
      taskQueue: queue,
      workflowId: `amto-${runId}`,
      args: [{ runId, dataset: { kind: 'fashion-mnist', subset: 300 }, model: { arch: 'small-cnn' } }],
    });
    try {
      const retrying = await waitFor('the progress query to show prepareRun retrying', 120_000, async () =>
        (await handle.query(progressQuery)).retrying.find(
          (activity) => activity.activityType === 'prepareRun' && activity.lastError !== null,
        ),
      );
      assert.ok(retrying.attempt >= 2, JSON.stringify(retrying));
      assert.match(retrying.lastError ?? '', new RegExp(`^StoreUnavailable: .*${endpoint}`));
      const status = await amtoCli(['status', runId], { ...process.env, MINIO_SECRET_KEY: secret });
      assert.match(
        status.output,
        new RegExp(
          `retrying prepareRun \\(activity \\d+\\), attempt \\d+ since .*StoreUnavailable: .*${endpoint}`,
        ),
        status.output,
      );
      assert.ok(await listedAs(clientOf(), handle.workflowId, true), 'listed by AmtoRetrying = true');
      const shown = [status.output, worker.output(), JSON.stringify(await handle.fetchHistory())];
      assert.ok(
        shown.every((text) => !text.includes(secret)),
        'the secret is in no status, worker output or history',
      );
    } finally {
      await handle.terminate('fault test: done').catch(() => undefined);
      await worker.stop();
    }
  });
});
