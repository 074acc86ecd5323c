/**
 * Faults of the servers a run depends on, on a private Temporal dev server (SQLite) and a private MinIO
 * that the test kills, freezes and restarts, with real `amto worker` processes (WASM):
 *  - Temporal SIGKILLed mid-round and restarted on the same SQLite file;
 *  - MinIO SIGKILLed mid-round and restarted on the same data directory;
 *  - MinIO frozen (SIGSTOP) for longer than the store's 30 s request timeout;
 *  - the workflow terminated mid-round, then `amto resume <workflowId>` from the saved run state.
 * Each must end with the decisions and losses of an undisturbed run of the same seed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { RunConfigInput } from '../../amto';
import { amtoTraining } from '../../workflows';
import { createActivityDeps } from '../../workers/create-deps';
import { startWorkerFleet, type WorkerFleet } from '../helpers/worker-processes';
import {
  amtoCli,
  assertNothingLost,
  faultConfig,
  finishedRun,
  longForm,
  pendingBeats,
  referenceRun,
  roundsOf,
  waitFor,
  type FinishedRun,
} from './fault-run';
import { PrivateServers } from './private-servers';

let servers: PrivateServers;
let connection: Connection;
let client: Client;
let fleet: WorkerFleet;
let reference: FinishedRun;
let deps: ReturnType<typeof createActivityDeps>;

async function connect(): Promise<void> {
  connection = await Connection.connect({ address: servers.environment.temporal.address });
  client = new Client({ connection, namespace: servers.environment.temporal.namespace });
}

before(async () => {
  servers = await PrivateServers.start();
  deps = createActivityDeps(servers.environment);
  await connect();
  fleet = await startWorkerFleet(`amto-srv-${randomUUID().slice(0, 8)}`, 120_000, () => ({
    prefix: [],
    env: servers.env,
  }));
  reference = await referenceRun(
    client,
    deps,
    fleet.control,
    // As long as the longest scenario (terminate + resume needs two rounds).
    faultConfig(`srv-ref-${randomUUID().slice(0, 8)}`, fleet.queues, longForm ? 4 : 2),
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${fleet.output()}`);
  });
});

after(async () => {
  await fleet?.stop();
  await connection?.close();
  await servers?.stop();
});

function amto(args: string[]): Promise<{ code: number | null; output: string }> {
  return amtoCli(args, servers.env);
}

async function startRun(
  label: string,
  workflowIdFor: (runId: string) => string = (runId) => `amto-${runId}`,
  rounds?: number,
): Promise<{ runId: string; config: RunConfigInput; handle: WorkflowHandle }> {
  const runId = `srv-${label}-${randomUUID().slice(0, 8)}`;
  const config = faultConfig(runId, fleet.queues, rounds);
  const handle = await client.workflow.start(amtoTraining, {
    taskQueue: fleet.control,
    workflowId: workflowIdFor(runId),
    args: [config],
  });
  return { runId, config, handle };
}

/** Mid-round: a training interval has heartbeated. */
async function midRound(handle: WorkflowHandle): Promise<void> {
  await waitFor('a training heartbeat', 240_000, async () =>
    (await pendingBeats(handle)).some((beat) => beat.lastHeartbeatMs > 0) ? true : undefined,
  );
}

/** The workflow's result, asked again while the server it long-polls restarts. */
async function resultThroughOutages(workflowId: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflow.getHandle(workflowId).result();
      return;
    } catch (error) {
      if (Date.now() > deadline || (error as Error).name === 'WorkflowFailedError') {
        throw new Error(`${String(error)}\n${fleet.output()}`);
      }
      await sleep(1000);
    }
  }
}

/** Starts a run, injects the fault mid-round, and checks the run finishes with nothing lost. */
async function survives(label: string, inject: () => Promise<void>): Promise<void> {
  const { runId, config, handle } = await startRun(label);
  await midRound(handle);
  await inject();
  await resultThroughOutages(handle.workflowId);
  // A fresh handle: the Temporal scenario reconnects the client.
  const run = await finishedRun(deps, client.workflow.getHandle(handle.workflowId), runId, roundsOf(config));
  await assertNothingLost(deps, run, reference, config);
}

describe('server faults', () => {
  test('Temporal dev server SIGKILLed mid-round and restarted on its SQLite file: nothing lost', () =>
    survives('temporal', async () => {
      await servers.kill('temporal');
      await sleep(longForm ? 15_000 : 5_000);
      await servers.restart();
      await connection.close();
      await connect();
    }));

  test('MinIO SIGKILLed mid-round and restarted on its data: nothing lost', () =>
    survives('minio', async () => {
      await servers.kill('minio');
      await sleep(longForm ? 30_000 : 10_000);
      await servers.restart();
    }));

  test('MinIO frozen (SIGSTOP) past the 30 s store request timeout, then thawed: nothing lost', () =>
    survives('frozen', async () => {
      await servers.signal('minio', 'SIGSTOP');
      try {
        await sleep(longForm ? 90_000 : 35_000);
      } finally {
        await servers.signal('minio', 'SIGCONT');
      }
    }));

  test('workflow terminated mid-run, then `amto resume <workflowId>`: the same final decisions', async () => {
    // Started under a workflow id of the user's choosing (as `temporal workflow start --workflow-id` does).
    const { runId, config, handle } = await startRun('terminated', (id) => `my-run-${id}`, longForm ? 4 : 2);
    // Terminate in round 2, after round 1's run state was saved.
    await waitFor('round 1 saved', 240_000, async () =>
      (await deps.runStates.loadLatestRunState(runId).catch(() => null)) === null ? undefined : true,
    );
    await midRound(handle);
    await handle.terminate('fault test: the workflow is lost');
    const resumed = await amto(['resume', handle.workflowId, '--task-queue', fleet.control, '--json']);
    assert.equal(resumed.code, 0, resumed.output);
    const resumedId = `amto-${runId}-resumed-1`;
    // The user's workflow id finds the run, and its resumed workflow.
    const status = await amto(['status', handle.workflowId, '--json']);
    assert.equal(status.code, 0, status.output);
    const shown = JSON.parse(status.output) as { runId: string; workflowId: string; status: string };
    assert.deepEqual([shown.runId, shown.workflowId, shown.status], [runId, resumedId, 'COMPLETED']);
    const faulted = await finishedRun(deps, client.workflow.getHandle(resumedId), runId, roundsOf(config));
    // The resumed workflow's history holds only the rounds it ran; the per-round documents hold all.
    assert.deepEqual(
      faulted.documents.map((document) => document.workflowId),
      [handle.workflowId, ...Array.from({ length: roundsOf(config) - 1 }, () => resumedId)],
    );
    await assertNothingLost(deps, { ...faulted, intervals: [] }, reference, config);
  });
});
