/**
 * What every fault scenario shares: a tiny config whose in-interval chunks outlast a heartbeat interval,
 * an undisturbed reference run of the same seed, and the checks that nothing was lost: same decisions
 * and losses, every checkpoint the run state names present and holding the step the state says, and
 * every interval's steps run exactly once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Environment } from '../../infra/environment';
import type {
  RunStateDocument,
  TrainIntervalHeartbeat,
  TrainIntervalResult,
} from '../../activities/contracts';
import type { RunConfigInput, TransferDecision } from '../../amto';
import type { ActivityDeps } from '../../activities/activity-deps';
import { amtoTraining } from '../../workflows';
import { resumePointOf } from '../helpers/heartbeat-details';

/** FAULT_LONG=1 runs the long forms (more rounds, longer outages); the short forms run in `npm test`. */
export const longForm = process.env.FAULT_LONG === '1';

/**
 * M = 2 small-cnn. Chunks of 50 steps (5-10 s on WASM) outlast the boundary's 5 s heartbeat interval,
 * so a timer heartbeat lands mid-chunk, after the chunk's resume point was recorded.
 */
export function faultConfig(
  runId: string,
  queues: { master: string; slave: string },
  rounds = longForm ? 4 : 1,
): RunConfigInput {
  return {
    runId,
    seed: 5,
    dataset: { kind: 'fashion-mnist', subset: 600, testSubset: 200 },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval: 100,
    maxIterations: 100 * rounds,
    batchSize: 16,
    evalBatchSize: 128,
    optimizer: { learningRate: 0.05, milestones: [] },
    checkpoint: { everySteps: 50, keepRounds: 2 },
    queues,
  };
}

export function roundsOf(config: RunConfigInput): number {
  return Math.ceil((config.maxIterations as number) / (config.interval as number));
}

export interface FinishedRun {
  runId: string;
  documents: RunStateDocument[];
  intervals: TrainIntervalResult[];
}

async function roundDocuments(
  deps: ActivityDeps,
  runId: string,
  rounds: number,
): Promise<RunStateDocument[]> {
  const documents: RunStateDocument[] = [];
  for (let round = 1; round <= rounds; round++) {
    documents.push((await deps.runStates.loadRunState<RunStateDocument>(runId, round)).state);
  }
  return documents;
}

/** Every completed trainInterval's result, in history order. */
export async function intervalResults(handle: WorkflowHandle): Promise<TrainIntervalResult[]> {
  const results: TrainIntervalResult[] = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
    if (payload && payload.length > 0) {
      const value = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<TrainIntervalResult>;
      if (typeof value.stepsRun === 'number') results.push(value as TrainIntervalResult);
    }
  }
  return results;
}

export async function finishedRun(
  deps: ActivityDeps,
  handle: WorkflowHandle,
  runId: string,
  rounds: number,
): Promise<FinishedRun> {
  return {
    runId,
    documents: await roundDocuments(deps, runId, rounds),
    intervals: await intervalResults(handle),
  };
}

/** Runs the config to the end with nothing disturbed: the reference a faulted run must reproduce. */
export async function referenceRun(
  client: Client,
  deps: ActivityDeps,
  taskQueue: string,
  config: RunConfigInput,
): Promise<FinishedRun> {
  const runId = config.runId as string;
  const handle = await client.workflow.start(amtoTraining, {
    taskQueue,
    workflowId: `amto-${runId}`,
    args: [config],
  });
  await handle.result();
  return finishedRun(deps, handle, runId, roundsOf(config));
}

function decisionsOf(run: FinishedRun): TransferDecision[][] {
  return run.documents.map((document) => document.state.history.at(-1)?.decisions ?? []);
}

/** Per round, per task: the losses and accuracy the state recorded (bit-identical when nothing was lost). */
function scoresOf(run: FinishedRun) {
  return run.documents.map((document) =>
    document.state.tasks.map((task) => [task.lastTrainLoss, task.lastValLoss, task.lastValAccuracy]),
  );
}

/**
 * The faulted run reproduces the reference: same donors and transfer decisions, same losses to the bit
 * (a skipped or repeated step changes the weights, so the losses), every interval ran its steps exactly
 * once counting a resumed attempt's start, and every checkpoint the final state names exists, loads
 * (its files match their manifest) and holds the step the run reached.
 */
export async function assertNothingLost(
  deps: ActivityDeps,
  faulted: FinishedRun,
  reference: FinishedRun,
  config: RunConfigInput,
): Promise<void> {
  // The reference may have run longer: its first rounds are those of a shorter run of the same seed.
  const rounds = faulted.documents.length;
  assert.ok(reference.documents.length >= rounds, 'the reference covers every round');
  assert.deepEqual(
    decisionsOf(faulted),
    decisionsOf(reference).slice(0, rounds),
    'same decisions as the undisturbed run',
  );
  assert.deepEqual(
    scoresOf(faulted),
    scoresOf(reference).slice(0, rounds),
    'same losses and accuracies, to the bit',
  );
  const interval = config.interval as number;
  for (const result of faulted.intervals) {
    const startedAt = result.resumedFromStep ?? null;
    const skippedOrRepeated =
      startedAt === null ? result.stepsRun - interval : result.stepsRun - (interval - (startedAt % interval));
    assert.equal(skippedOrRepeated, 0, `interval ${result.checkpoint}: ${JSON.stringify(result)}`);
  }
  const last = faulted.documents.at(-1);
  assert.ok(last);
  for (const task of last.state.tasks) {
    for (const key of [task.checkpoint, task.bestCheckpoint]) {
      if (key === null) continue;
      const checkpoint = await deps.checkpoints.loadCheckpoint(key);
      assert.ok(
        checkpoint.step > 0 && checkpoint.step <= last.state.iteration,
        `${key} holds step ${checkpoint.step}`,
      );
    }
    const current = await deps.checkpoints.loadCheckpoint(task.checkpoint);
    assert.equal(current.step, last.state.iteration, `${task.checkpoint} holds the run's last step`);
  }
}

/** The resume point a pending training activity's last heartbeat names, with the time the server got it. */
export interface PendingBeat {
  activityId: string;
  attempt: number;
  lastHeartbeatMs: number;
  resumePoint: TrainIntervalHeartbeat | null;
}

export async function pendingBeats(handle: WorkflowHandle): Promise<PendingBeat[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).map((activity) => {
    const seconds = Number(activity.lastHeartbeatTime?.seconds ?? 0);
    const nanos = activity.lastHeartbeatTime?.nanos ?? 0;
    return {
      activityId: activity.activityId ?? '',
      attempt: activity.attempt ?? 0,
      lastHeartbeatMs: seconds * 1000 + nanos / 1e6,
      resumePoint: resumePointOf(activity),
    };
  });
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `amto <args>` as a user runs it, in the given environment; resolves with its exit code and output. */
export function amtoCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: join(__dirname, '..', '..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Whether a visibility query on the AmtoRetrying search attribute (the web UI's list of stalled runs) lists the workflow; waits for indexing. */
export async function listedAs(client: Client, workflowId: string, retrying: boolean): Promise<boolean> {
  const query = `WorkflowId = '${workflowId}' AND AmtoRetrying = ${retrying}`;
  return waitFor(`${query} to list the run`, 30_000, async () => {
    for await (const info of client.workflow.list({ query })) {
      if (info.workflowId === workflowId) return true;
    }
    return undefined;
  });
}

/** A client of the environment's Temporal for one test file: connected before its tests, closed after. */
export function fileClient(environment: Environment): () => Client {
  let connection: Connection | undefined;
  let client: Client | undefined;
  before(async () => {
    connection = await Connection.connect({ address: environment.temporal.address });
    client = new Client({ connection, namespace: environment.temporal.namespace });
  });
  after(async () => {
    await connection?.close();
  });
  return () => {
    assert.ok(client, "the file's Temporal client is connected before its tests");
    return client;
  };
}
