/**
 * AMTO on real parts: spawned `amto worker` processes (on WASM, whose steps give the kill a window inside
 * an interval; the e2e and multi-host runs train on the default native backend), the real Temporal dev
 * server and MinIO.
 * One full M = 3 run, then a shorter run with the same seed whose master worker is killed mid-interval:
 * it must resume from the in-interval checkpoint and reproduce the first run's donors and decisions.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { RunConfigInput, TransferDecision } from '../../amto';
import type { AmtoTrainingResult, RunStateDocument, TrainIntervalResult } from '../../activities/contracts';
import { loadEnvironment } from '../../infra/environment';
import { selectBackend } from '../../ml/backend';
import { loadFashionMnist, selectSamples } from '../../ml/datasets';
import { evaluate, modelFromArtifacts } from '../../ml/training';
import { keyInStore } from '../../storage/object-url';
import { amtoTraining } from '../../workflows';
import { createActivityDeps } from '../../workers/create-deps';
import { resumePointOf } from '../helpers/heartbeat-details';
import { startWorkerFleet, wasmHost, type WorkerFleet } from '../helpers/worker-processes';

const environment = loadEnvironment();
const deps = createActivityDeps(environment);
let connection: Connection;
let client: Client;
let fleet: WorkerFleet;

function configFor(runId: string, maxIterations: number, checkpointEverySteps = 10): RunConfigInput {
  return {
    runId,
    seed: 11,
    dataset: { kind: 'fashion-mnist', subset: 1500, testSubset: 500 },
    model: { arch: 'small-cnn' },
    tasks: 3,
    interval: 20,
    maxIterations,
    batchSize: 32,
    optimizer: { learningRate: 0.05, milestones: [] },
    checkpoint: { everySteps: checkpointEverySteps, keepRounds: 2 },
    queues: fleet.queues,
  };
}

async function roundDocuments(runId: string, rounds: number): Promise<RunStateDocument[]> {
  const documents: RunStateDocument[] = [];
  for (let round = 1; round <= rounds; round++) {
    documents.push((await deps.runStates.loadRunState<RunStateDocument>(runId, round)).state);
  }
  return documents;
}

function decisionsOf(documents: RunStateDocument[]): TransferDecision[][] {
  return documents.map((document) => document.state.history.at(-1)?.decisions ?? []);
}

function mean(values: (number | null)[]): number {
  const finite = values.filter((value): value is number => value !== null);
  return finite.reduce((sum, value) => sum + value, 0) / finite.length;
}

async function masterHeartbeatNamesCheckpoint(handle: WorkflowHandle): Promise<boolean> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).some(
    (activity) => resumePointOf(activity)?.checkpoint.includes('/partial/master/') === true,
  );
}

before(async () => {
  connection = await Connection.connect({ address: environment.temporal.address });
  client = new Client({ connection, namespace: environment.temporal.namespace });
  fleet = await startWorkerFleet(`amto-it-${randomUUID().slice(0, 8)}`, 120_000, wasmHost);
});

after(async () => {
  await fleet.stop();
  await connection.close();
});

describe('AMTO on real workers (WASM, slow enough to kill mid-interval) and MinIO', () => {
  let first: { runId: string; result: AmtoTrainingResult; documents: RunStateDocument[] };

  test('M = 3 small-cnn, 4 rounds of c = 20: completes, learns, keeps what it names', async () => {
    const runId = `it-${randomUUID().slice(0, 8)}`;
    const result = await client.workflow
      .execute(amtoTraining, {
        taskQueue: fleet.control,
        workflowId: `amto-${runId}`,
        args: [configFor(runId, 80)],
      })
      .catch((error: unknown) => {
        throw new Error(`${String(error)}\nworker stderr:\n${fleet.output()}`);
      });
    assert.equal(result.rounds, 4);
    assert.equal(result.iterations, 80);
    assert.equal(result.stopReason, 'budget');
    assert.equal(result.transfersTried, 12);
    assert.equal(result.validationAccuracies.length, 3);
    const documents = await roundDocuments(runId, 4);
    first = { runId, result, documents };

    const firstLoss = mean(documents[0]?.state.tasks.map((task) => task.lastValLoss) ?? []);
    const lastLoss = mean(documents[3]?.state.tasks.map((task) => task.lastValLoss) ?? []);
    assert.ok(lastLoss < firstLoss, `validation loss should fall: round 1 ${firstLoss}, round 4 ${lastLoss}`);

    // Retention kept every checkpoint the final state points at (current and best of each task).
    const finalState = documents[3]?.state;
    assert.ok(finalState);
    for (const task of finalState.tasks) {
      assert.ok(await deps.checkpoints.checkpointExists(task.checkpoint), `current ${task.checkpoint}`);
      if (task.bestCheckpoint !== null) {
        assert.ok(
          await deps.checkpoints.checkpointExists(task.bestCheckpoint),
          `best ${task.bestCheckpoint}`,
        );
      }
    }

    // The chosen model loads here, independently of the workers, and beats chance (10 classes) on the test set.
    await selectBackend('wasm', { log: () => undefined });
    const checkpoint = await deps.checkpoints.loadCheckpoint(keyInStore(deps.store, result.checkpoint));
    const model = await modelFromArtifacts(checkpoint.model);
    const { test: fullTest } = await loadFashionMnist();
    assert.ok(fullTest);
    const order = Array.from({ length: fullTest.n }, (_, i) => i);
    const score = await evaluate({
      model,
      data: selectSamples(fullTest, order.slice(0, 2000)),
      batchSize: 256,
    });
    model.dispose();
    assert.ok(
      score.accuracy > 0.4,
      `chosen model's test accuracy ${score.accuracy} should beat chance (0.1)`,
    );
    assert.ok(result.testAccuracy !== null && result.testAccuracy > 0.4, `reported ${result.testAccuracy}`);
  });

  test('same seed again, master killed mid-interval: resumes from its in-interval checkpoint, same decisions', async () => {
    assert.ok(first, 'needs the first run');
    const runId = `it-${randomUUID().slice(0, 8)}`;
    const workflowId = `amto-${runId}`;
    const handle = await client.workflow.start(amtoTraining, {
      taskQueue: fleet.control,
      workflowId,
      // In-interval checkpoints every 5 steps (the first run: 10); saving changes nothing in the training.
      args: [configFor(runId, 40, 5)],
    });
    // Wait until the server holds a master heartbeat naming an in-interval checkpoint, then kill the worker.
    const deadline = Date.now() + 240_000;
    while (!(await masterHeartbeatNamesCheckpoint(handle))) {
      assert.ok(
        Date.now() < deadline,
        'no master heartbeat named an in-interval checkpoint within 4 minutes',
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await fleet.kill('master');
    await fleet.restart('master');
    const result = await handle.result();
    assert.equal(result.rounds, 2);

    const resumed: TrainIntervalResult[] = [];
    for (const event of (await handle.fetchHistory()).events ?? []) {
      const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      // Activities that return nothing complete with an empty binary/null payload.
      if (payload && payload.length > 0) {
        const value = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<TrainIntervalResult>;
        if (typeof value.resumedFromStep === 'number') resumed.push(value as TrainIntervalResult);
      }
    }
    assert.equal(resumed.length, 1, 'exactly one interval resumed from an in-interval checkpoint');
    assert.ok(resumed[0] && resumed[0].stepsRun < 20, 'the resumed attempt trained only the remaining steps');

    // Training is deterministic given (seed, task, step), so the resumed run matches the first one exactly.
    assert.deepEqual(decisionsOf(await roundDocuments(runId, 2)), decisionsOf(first.documents.slice(0, 2)));
  });
});
