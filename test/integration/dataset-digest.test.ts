/**
 * Every training worker checks that it decoded the dataset the run was prepared on: the files of an
 * image-folder dataset rewritten between prepareRun and the first interval (as a worker with another
 * copy of the data would see them) end the run at once with InvalidDataset naming both digests, and no
 * interval trains. Real servers and `amto worker` processes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { loadEnvironment } from '../../infra/environment';
import { writeSyntheticImageFolder } from '../../ml/datasets';
import { amtoTraining } from '../../workflows';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { startWorkerFleet } from '../helpers/worker-processes';

const environment = loadEnvironment();
let connection: Connection;
let client: Client;
let root: string;

before(async () => {
  connection = await Connection.connect({ address: environment.temporal.address });
  client = new Client({ connection, namespace: environment.temporal.namespace });
  root = await mkdtemp(join(tmpdir(), 'amto-digest-'));
});

after(async () => {
  await connection?.close();
  await rm(root, { recursive: true, force: true });
});

test('a training worker that decodes other data than prepareRun did fails the run at once with InvalidDataset', async () => {
  const dataset = join(root, 'images');
  await writeSyntheticImageFolder(dataset, { classes: 2, perClass: 12, size: 16, seed: 1 });
  const fleet = await startWorkerFleet(`amto-digest-${randomUUID().slice(0, 8)}`);
  try {
    const runId = `digest-${randomUUID().slice(0, 8)}`;
    const handle = await client.workflow.start(amtoTraining, {
      taskQueue: fleet.control,
      workflowId: `amto-${runId}`,
      args: [
        {
          runId,
          dataset: { kind: 'image-folder', path: dataset },
          model: { arch: 'small-cnn', inputSize: 16 },
          tasks: 2,
          interval: 2,
          maxIterations: 4,
          batchSize: 4,
          queues: fleet.queues,
        },
      ],
    });
    // Held before round 1: prepareRun has decoded the files and recorded their digest, no worker trained.
    await handle.signal(pauseSignal);
    const deadline = Date.now() + 120_000;
    while ((await handle.query(progressQuery)).phase !== 'paused') {
      assert.ok(Date.now() < deadline, `the run did not pause before round 1:\n${fleet.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal((await handle.query(progressQuery)).round, 0);
    await writeSyntheticImageFolder(dataset, { classes: 2, perClass: 12, size: 16, seed: 2 });
    await handle.signal(resumeSignal);
    const error = await handle.result().then(
      () => assert.fail('the run should fail'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    let text = '';
    for (
      let cause: Error | undefined = error;
      cause !== undefined;
      cause = cause.cause as Error | undefined
    ) {
      text += ` <- ${(cause as { type?: string }).type ?? cause.name}: ${cause.message}`;
    }
    assert.match(text, /InvalidDataset: run digest-\w+: this worker decoded a different dataset/, text);
    assert.match(text, /digest v2:[0-9a-f]{32}, the split manifest records v2:[0-9a-f]{32}/, text);
    const { events } = await handle.fetchHistory();
    const trained = (events ?? []).filter((event) => event.activityTaskCompletedEventAttributes).length;
    assert.equal(trained, 1, 'only prepareRun completed: no interval trained on the other data');
    const attempts = (events ?? []).flatMap((event) =>
      event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt ?? 0] : [],
    );
    assert.ok(
      attempts.every((attempt) => attempt === 1),
      `no attempt retried: ${attempts.join(',')}`,
    );
  } finally {
    await fleet.stop();
  }
});
