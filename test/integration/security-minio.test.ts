/**
 * MinIO over TLS with its own certificate, reached the way a user configures it (MINIO_ENDPOINT=https://…,
 * MINIO_CA_FILE, MINIO_ACCESS_KEY / MINIO_SECRET_KEY of a user made with `mc admin`), by real control
 * workers preparing real runs: a user whose policy allows the run bucket only prepares its run there and
 * is refused elsewhere; a read-only user's run fails at its first write with StoreAccessDenied, at
 * attempt 1. No output holds a secret.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../../cli/worker-processes';
import { loadEnvironment } from '../../infra/environment';
import { StoreAccessError, StoreConfigurationError } from '../../storage/errors';
import { splitsKey } from '../../storage/keys';
import { MinioObjectStore } from '../../storage/minio-object-store';
import { cliEntry } from '../cli/cli-process';
import { runAmto, writeUntrainedRunConfig } from './security-fixtures';
import { createCertificateAuthority, issueCertificate } from './security-certificates';
import { TlsMinio } from './security-minio-server';

const environment = loadEnvironment();
const suffix = randomBytes(3).toString('hex');
const runBucket = `amto-secure-${suffix}`;
const otherBucket = `amto-other-${suffix}`;

/** Read, write and delete objects of one bucket: what a worker needs (docs/security.md). */
function runBucketPolicy(bucket: string, writable: boolean): object {
  const objectActions = writable
    ? [
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ]
    : ['s3:GetObject'];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [`arn:aws:s3:::${bucket}`],
      },
      { Effect: 'Allow', Action: objectActions, Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  };
}

describe('MinIO over TLS, with credentials limited by policy', { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-security-minio-'));
  const workers: WorkerProcess[] = [];
  const workflowIds: string[] = [];
  const secrets: string[] = [];
  let minio: TlsMinio;
  let caFile: string;
  let runner: { accessKey: string; secretKey: string };
  let reader: { accessKey: string; secretKey: string };
  let connection: Connection;
  let client: Client;

  const storeEnv = (user: { accessKey: string; secretKey: string }): NodeJS.ProcessEnv => ({
    ...process.env,
    MINIO_ENDPOINT: minio.endpoint,
    MINIO_CA_FILE: caFile,
    MINIO_ACCESS_KEY: user.accessKey,
    MINIO_SECRET_KEY: user.secretKey,
    MINIO_BUCKET: runBucket,
  });

  function assertNoSecret(text: string): void {
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret was printed');
  }

  /** A control worker with these store credentials on a queue of its own, and a tiny run started on it. */
  async function startRun(
    user: { accessKey: string; secretKey: string },
    runId: string,
  ): Promise<WorkerProcess> {
    const queue = `security-minio-${randomUUID()}`;
    const env = storeEnv(user);
    const worker = spawnWorkerProcess('control', queue, { entry: cliEntry, execArgv: [], env });
    workers.push(worker);
    await waitUntilPolling(worker, Date.now() + 60_000);
    const config = writeUntrainedRunConfig(dir, runId, queue);
    workflowIds.push(`amto-${runId}`);
    const started = await runAmto(['run', config, '--run-id', runId, '--task-queue', queue, '--detach'], env);
    assert.equal(started.code, 0, started.output);
    assertNoSecret(started.output);
    return worker;
  }

  before(async () => {
    const ca = createCertificateAuthority(dir, 'minio-test-ca');
    caFile = ca.cert;
    minio = await TlsMinio.start(dir, issueCertificate(dir, ca, 'minio', 'server'), ca.cert);
    await minio.createBucket(runBucket);
    await minio.createBucket(otherBucket);
    runner = await minio.createUser(`runner-${suffix}`, runBucketPolicy(runBucket, true));
    reader = await minio.createUser(`reader-${suffix}`, runBucketPolicy(runBucket, false));
    secrets.push(minio.root.secretKey, runner.secretKey, reader.secretKey);
    connection = await Connection.connect({ address: environment.temporal.address });
    client = new Client({ connection, namespace: environment.temporal.namespace });
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    for (const workflowId of workflowIds) {
      await client.workflow
        .getHandle(workflowId)
        .terminate('security test done')
        .catch(() => undefined);
    }
    await connection.close();
    await minio.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the store trusts the CA named by MINIO_CA_FILE; without it the certificate is refused at once, naming MINIO_CA_FILE', async () => {
    const settings = loadEnvironment(storeEnv(runner)).minio;
    const store = new MinioObjectStore(settings);
    await store.putObject('probe/hello.txt', new TextEncoder().encode('hello'));
    assert.equal(new TextDecoder().decode(await store.getObject('probe/hello.txt')), 'hello');

    const { caCert: _trusted, ...systemCasOnly } = settings;
    const started = Date.now();
    const error = await new MinioObjectStore(systemCasOnly)
      .putObject('probe/x.txt', new Uint8Array(1))
      .catch((e: unknown) => e);
    assert.ok(error instanceof StoreConfigurationError, String(error));
    assert.ok(Date.now() - started < 5_000, 'an untrusted certificate must not be retried');
    assert.match(
      error.message,
      new RegExp(`TLS certificate of ${minio.endpoint} is not trusted .*MINIO_CA_FILE`),
    );
    assertNoSecret(error.message);
  });

  test('a worker limited by policy to the run bucket prepares its run there, and is refused in another bucket', async () => {
    const runId = `secure-rw-${suffix}`;
    const worker = await startRun(runner, runId);
    const rootStore = new MinioObjectStore({ ...loadEnvironment(storeEnv(minio.root)).minio });
    // prepareRun writes the split manifest, then each task's initial checkpoint (a manifest.json last).
    const deadline = Date.now() + 90_000;
    const checkpointManifests = async (): Promise<number> =>
      (await rootStore.list(`runs/${runId}/`)).filter((object) => object.key.endsWith('/manifest.json'))
        .length;
    while ((await checkpointManifests()) < 1) {
      assert.ok(
        Date.now() < deadline,
        `the run's initial checkpoints never appeared in ${runBucket}:\n${worker.output()}`,
      );
      await sleep(500);
    }
    assert.ok(await rootStore.exists(splitsKey(runId)), 'no split manifest was written');

    const elsewhere = new MinioObjectStore({
      ...loadEnvironment(storeEnv(runner)).minio,
      bucket: otherBucket,
    });
    const error = await elsewhere.putObject('intrusion.txt', new Uint8Array(1)).catch((e: unknown) => e);
    assert.ok(error instanceof StoreAccessError, String(error));
    assert.equal(error.name, 'StoreAccessDenied');
    for (const part of [minio.endpoint, otherBucket, 'intrusion.txt', runner.accessKey]) {
      assert.ok(error.message.includes(part), `"${part}" missing from: ${error.message}`);
    }
    assertNoSecret(error.message + worker.output());
  });

  test('a worker with read-only credentials fails the run at its first write: StoreAccessDenied, not retried', async () => {
    const runId = `secure-ro-${suffix}`;
    const worker = await startRun(reader, runId);
    const handle = client.workflow.getHandle(`amto-${runId}`);
    const failure = await Promise.race([
      handle.result().then(
        () => null,
        (error: unknown) => error,
      ),
      // Unref'd: the losing timer must not hold the test file open for its 90 s.
      sleep(90_000, undefined, { ref: false }).then(() => 'still running after 90 s'),
    ]);
    assert.ok(
      failure instanceof WorkflowFailedError,
      `the run did not fail: ${String(failure)}\n${worker.output()}`,
    );
    let cause: unknown = failure.cause;
    while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
    assert.ok(cause instanceof ApplicationFailure, String(failure.cause));
    assert.equal(cause.type, 'StoreAccessDenied');
    assert.equal(cause.nonRetryable, true);
    for (const part of [minio.endpoint, runBucket, `runs/${runId}/`, reader.accessKey]) {
      assert.ok(cause.message.includes(part), `"${part}" missing from: ${cause.message}`);
    }
    const attempts: number[] = [];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const attempt = event.activityTaskStartedEventAttributes?.attempt;
      if (attempt !== undefined && attempt !== null) attempts.push(attempt);
    }
    assert.deepEqual(attempts, [1], 'the refused write was retried');

    const status = await runAmto(['status', runId], storeEnv(reader));
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /failed/);
    assert.match(status.output, new RegExp(`refused to let access key "${reader.accessKey}" write`));
    assertNoSecret(status.output + cause.message + worker.output());
  });
});
