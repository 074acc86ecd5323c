/**
 * Faults no retry can fix end the run at once with a clear error, and a model that diverges is an
 * outcome amto/ already knows how to treat, not an error retried forever. Real workers (default
 * backend: native TensorFlow, the graph engine for small-cnn) and servers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { loadEnvironment } from '../../infra/environment';
import { amtoTraining } from '../../workflows';
import { startWorkerFleet } from '../helpers/worker-processes';
import { fileClient, intervalResults } from './fault-run';

const environment = loadEnvironment();
const clientOf = fileClient(environment);

function failureText(error: unknown): string {
  const parts: string[] = [];
  for (
    let cause = error as Error | undefined;
    cause !== undefined;
    cause = cause.cause as Error | undefined
  ) {
    const type = (cause as { type?: unknown }).type;
    parts.push(`${cause.name}${typeof type === 'string' ? ` (${type})` : ''}: ${cause.message}`);
  }
  return parts.join(' <- ');
}

describe('failures and outcomes', () => {
  test('a worker with a wrong MinIO secret ends the run within seconds, naming the store, never the secret', async () => {
    const wrongSecret = `wrong-${randomUUID()}`;
    const fleet = await startWorkerFleet(`amto-badkey-${randomUUID().slice(0, 8)}`, undefined, () => ({
      prefix: [],
      env: { ...process.env, MINIO_SECRET_KEY: wrongSecret },
    }));
    try {
      const runId = `fault-badkey-${randomUUID().slice(0, 8)}`;
      const started = Date.now();
      // Measured from the start of the workflow: the workers already poll.
      const error = await clientOf()
        .workflow.execute(amtoTraining, {
          taskQueue: fleet.control,
          workflowId: `amto-${runId}`,
          args: [
            {
              runId,
              dataset: { kind: 'fashion-mnist', subset: 300 },
              model: { arch: 'small-cnn' },
              tasks: 2,
              interval: 5,
              maxIterations: 10,
              batchSize: 16,
              queues: fleet.queues,
            },
          ],
        })
        .then(
          () => assert.fail('the run should fail'),
          (failure: unknown) => failure,
        );
      const seconds = (Date.now() - started) / 1000;
      assert.ok(error instanceof WorkflowFailedError, String(error));
      const text = failureText(error);
      assert.match(text, /StoreAccessDenied/, text);
      assert.match(text, new RegExp(`${environment.minio.endPoint}|${environment.minio.bucket}`), text);
      // The store client's own retries (about 15-20 s for transient errors) do not apply to a refusal.
      assert.ok(seconds < 30, `failed after ${seconds.toFixed(1)} s`);
      assert.ok(!text.includes(wrongSecret), 'the failure never shows the secret');
      assert.ok(!fleet.output().includes(wrongSecret), 'the workers never print the secret');
      const history = JSON.stringify(await clientOf().workflow.getHandle(`amto-${runId}`).fetchHistory());
      assert.ok(!history.includes(wrongSecret), 'the history never holds the secret');
    } finally {
      await fleet.stop();
    }
  });

  test('learning rate 1e4: every model diverges, is reported with null losses, and amto/ rejects and finishes', async () => {
    const fleet = await startWorkerFleet(`amto-diverge-${randomUUID().slice(0, 8)}`);
    try {
      const runId = `fault-diverge-${randomUUID().slice(0, 8)}`;
      const handle = await clientOf().workflow.start(amtoTraining, {
        taskQueue: fleet.control,
        workflowId: `amto-${runId}`,
        args: [
          {
            runId,
            seed: 3,
            dataset: { kind: 'fashion-mnist', subset: 300, testSubset: 100 },
            model: { arch: 'small-cnn' },
            tasks: 2,
            interval: 10,
            maxIterations: 20,
            batchSize: 16,
            optimizer: { learningRate: 1e4, milestones: [] },
            queues: fleet.queues,
          },
        ],
      });
      const result = await handle.result().catch((error: unknown) => {
        throw new Error(`${failureText(error)}\n${fleet.output()}`);
      });
      assert.equal(result.rounds, 2);
      const intervals = await intervalResults(handle);
      // Masters of 2 tasks in 2 rounds, each once. No slave trains: sameInit starts both tasks from one
      // initial checkpoint and a diverged model keeps the checkpoint it started from, so every slave
      // would start from its master's own checkpoint and reuses the master's result instead.
      assert.equal(intervals.length, 2 * 2, 'the masters of 2 tasks in 2 rounds, each once, and no slave');
      for (const interval of intervals) {
        assert.ok(interval.diverged !== null, `diverged reported: ${JSON.stringify(interval)}`);
        assert.equal(interval.valLoss, null);
        assert.equal(interval.trainLoss, null);
      }
      // Both diverged: amto/ counts both as +∞, rejects the transfer, leaves the relationship unchanged.
      assert.equal(result.transfersAccepted, 0);
      assert.equal(result.transfersTried, 4);
      // No training attempt was retried: a diverged model is an outcome, not a failure.
      const { events } = await handle.fetchHistory();
      const attempts = (events ?? []).flatMap((event) =>
        event.activityTaskStartedEventAttributes
          ? [event.activityTaskStartedEventAttributes.attempt ?? 0]
          : [],
      );
      assert.ok(
        attempts.length > 0 && attempts.every((attempt) => attempt === 1),
        `attempts ${attempts.join(',')}`,
      );
      // The chosen model is a checkpoint with finite weights (the initial one): NaN weights are never saved.
      assert.match(result.checkpoint, /\/r0\/t\d\/init$/);
    } finally {
      await fleet.stop();
    }
  });
});
