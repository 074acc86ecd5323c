/**
 * One AMTO run across three hosts (network namespaces): Temporal + MinIO and the control worker on a
 * server host, the master worker and the slave worker on a host each, reaching the servers only through
 * TEMPORAL_ADDRESS / MINIO_ENDPOINT on the lab network. An undisturbed run first, then the same seed
 * again with the slave host's link cut mid-interval for longer than the heartbeat timeout and restored:
 * the run completes with the same decisions and result, no round missing, every checkpoint it names
 * present, and the cut interval resumed from its last in-interval checkpoint.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { RunConfigInput, TransferDecision } from '../../amto';
import type { ActivityDeps } from '../../activities/activity-deps';
import type { AmtoTrainingResult, RunStateDocument, TrainIntervalResult } from '../../activities/contracts';
import { loadRoundDocuments } from '../../cli/run-state-documents';
import { loadEnvironment } from '../../infra/environment';
import { keyInStore } from '../../storage/object-url';
import { amtoTraining } from '../../workflows';
import { createActivityDeps } from '../../workers/create-deps';
import { resumePointOf } from '../helpers/heartbeat-details';
import { startWorkerFleet, wasmHost, type WorkerFleet, type WorkerHost } from '../helpers/worker-processes';
import { createNetnsLab, type HostName, type NetnsLab } from './netns-lab';

const repoRoot = join(__dirname, '..', '..');
/** The cut outlasts the interval's heartbeat timeout by this much, so the server gives up on the attempt. */
const cutBeyondHeartbeatTimeoutMs = 10_000;
/**
 * Long enough on WASM (tens of ms a step) for the 5 s timer heartbeat to name an in-interval checkpoint
 * while steps are still to go: with sameInit round 1 has no slave interval, and on the graph engine a
 * resident model's whole interval can end between two beats.
 */
const interval = 200;
const everySteps = 50;
const rounds = 2;

let lab: NetnsLab;
let work: string;
let hostEnv: Record<HostName, NodeJS.ProcessEnv>;
let connection: Connection;
let client: Client;
let deps: ActivityDeps;
let fleet: WorkerFleet;
/** Undone in reverse order after the tests, whatever failed. */
const teardown: (() => Promise<void> | void)[] = [];

/** A host's own AMTO_CACHE_DIR, sharing only the built server binaries and native libraries. */
function hostCacheDir(host: HostName): string {
  const dir = join(work, host);
  mkdirSync(dir, { recursive: true });
  const shared = loadEnvironment().cacheDir;
  for (const entry of ['bin', 'tensorflow', 'python']) {
    if (existsSync(join(shared, entry))) symlinkSync(join(shared, entry), join(dir, entry));
  }
  return dir;
}

/** What every host (and this process, the user's machine) sets to reach the server host. */
function serverVariables(): NodeJS.ProcessEnv {
  const server = lab.address.server;
  return {
    TEMPORAL_ADDRESS: `${server}:7233`,
    TEMPORAL_UI_URL: `http://${server}:8233`,
    MINIO_ENDPOINT: `http://${server}:9000`,
    MINIO_BUCKET: 'amto-multi-host',
    // The lab's MinIO keeps its default credentials on a non-loopback address: opt in, as a user must.
    MINIO_ALLOW_DEFAULT_CREDENTIALS: '1',
  };
}

function onHost(host: HostName, command: string[]): string {
  return execFileSync('ip', ['netns', 'exec', lab.namespace[host], ...command], {
    cwd: repoRoot,
    env: hostEnv[host],
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const amtoCli = (...args: string[]): string[] => [
  process.execPath,
  '--import',
  'tsx',
  'cli/main.ts',
  ...args,
];

function configFor(runId: string): RunConfigInput {
  return {
    runId,
    seed: 5,
    dataset: { kind: 'fashion-mnist', subset: 1000, testSubset: 300 },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval,
    maxIterations: rounds * interval,
    batchSize: 32,
    optimizer: { learningRate: 0.05, milestones: [] },
    checkpoint: { everySteps, keepRounds: 2 },
    queues: fleet.queues,
  };
}

function roundDocuments(runId: string): Promise<RunStateDocument[]> {
  return loadRoundDocuments(deps.runStates, runId, rounds);
}

function decisionsOf(documents: RunStateDocument[]): TransferDecision[][] {
  return documents.map((document) => document.state.history.at(-1)?.decisions ?? []);
}

function payloadOf<T>(data: Uint8Array | null | undefined): T | null {
  return data && data.length > 0 ? (JSON.parse(Buffer.from(data).toString('utf8')) as T) : null;
}

interface RunningInterval {
  activityId: string;
  heartbeatTimeoutMs: number;
}

/**
 * A slave interval whose last heartbeat names an in-interval checkpoint (`…/r<round>/t<task>/partial/slave/s<step>`)
 * with more than one checkpoint's worth of steps still to go.
 */
async function slaveMidInterval(handle: WorkflowHandle): Promise<RunningInterval | null> {
  const heartbeatTimeouts = new Map<string, number>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.taskQueue?.name === fleet.queues.slave && scheduled.activityId)
      heartbeatTimeouts.set(scheduled.activityId, Number(scheduled.heartbeatTimeout?.seconds ?? 0) * 1000);
  }
  const { raw } = await handle.describe();
  for (const activity of raw.pendingActivities ?? []) {
    const heartbeatTimeoutMs = heartbeatTimeouts.get(activity.activityId ?? '');
    const point = resumePointOf(activity);
    if (heartbeatTimeoutMs === undefined || point === null) continue;
    const partial = /\/r(\d+)\/t\d+\/partial\/slave\//.exec(point.checkpoint);
    if (partial === null) continue;
    const stepsDone = point.step - (Number(partial[1]) - 1) * interval;
    if (stepsDone < interval - everySteps)
      return { activityId: activity.activityId as string, heartbeatTimeoutMs };
  }
  return null;
}

before(async () => {
  lab = createNetnsLab();
  teardown.push(() => lab.destroy());
  work = mkdtempSync(join(tmpdir(), 'amto-multi-host-'));
  teardown.push(() => rmSync(work, { recursive: true, force: true }));
  hostEnv = {
    // The Temporal dev server (CLI v1.5.1) dials its own services on 127.0.0.1, so it must listen on
    // every interface (0.0.0.0), not on the host's address alone; MinIO likewise, for one rule.
    server: {
      ...process.env,
      TEMPORAL_ADDRESS: '0.0.0.0:7233',
      TEMPORAL_UI_URL: 'http://0.0.0.0:8233',
      MINIO_ENDPOINT: 'http://0.0.0.0:9000',
      MINIO_BUCKET: serverVariables().MINIO_BUCKET,
      AMTO_CACHE_DIR: hostCacheDir('server'),
    },
    master: { ...process.env, ...serverVariables(), AMTO_CACHE_DIR: hostCacheDir('master') },
    slave: { ...process.env, ...serverVariables(), AMTO_CACHE_DIR: hostCacheDir('slave') },
  };
  // On the server host, what a user runs there: `amto infra up` listening on every interface.
  // Should `infra down` fail, destroying the lab kills the servers with every other process on it.
  teardown.push(() => void onHost('server', amtoCli('infra', 'down')));
  onHost('server', amtoCli('infra', 'up'));
  const environment = loadEnvironment({ ...process.env, ...serverVariables() });
  connection = await Connection.connect({ address: environment.temporal.address });
  teardown.push(() => connection.close());
  client = new Client({ connection, namespace: environment.temporal.namespace });
  deps = createActivityDeps(environment);
  const host = (name: HostName): WorkerHost => ({
    prefix: ['ip', 'netns', 'exec', lab.namespace[name]],
    env: { ...hostEnv[name], ...serverVariables() },
    workerArgs: wasmHost().workerArgs,
  });
  fleet = await startWorkerFleet(`amto-mh-${Date.now().toString(36)}`, 120_000, (role) =>
    host(role === 'control' ? 'server' : role),
  );
  teardown.push(() => fleet.stop());
});

after(async () => {
  for (const step of teardown.reverse()) {
    try {
      await step();
    } catch (error) {
      console.error('multi-host teardown:', error);
    }
  }
});

describe('AMTO across three network-namespace hosts', () => {
  let undisturbed: { result: AmtoTrainingResult; documents: RunStateDocument[] } | undefined;

  test('M = 2, 2 rounds of c = 200 on WASM, master and slave on hosts of their own: completes', async () => {
    const runId = `mh-${Date.now().toString(36)}-a`;
    const result = await client.workflow
      .execute(amtoTraining, {
        taskQueue: fleet.control,
        workflowId: `amto-${runId}`,
        args: [configFor(runId)],
      })
      .catch((error: unknown) => {
        throw new Error(`${String(error)}\nworker output:\n${fleet.output()}`);
      });
    assert.equal(result.rounds, rounds);
    assert.equal(result.transfersTried, rounds * 2);
    undisturbed = { result, documents: await roundDocuments(runId) };
  });

  test('same seed, slave host cut off mid-interval past the heartbeat timeout, then restored: nothing lost', async () => {
    assert.ok(undisturbed, 'needs the undisturbed run');
    const runId = `mh-${Date.now().toString(36)}-b`;
    const handle = await client.workflow.start(amtoTraining, {
      taskQueue: fleet.control,
      workflowId: `amto-${runId}`,
      args: [configFor(runId)],
    });
    // A slave interval of round 2 or later, once it has saved an in-interval checkpoint and has steps left.
    const deadline = Date.now() + 180_000;
    let cut: RunningInterval | null = null;
    while (cut === null) {
      const { round } = await handle.query<{ round: number }>('progress');
      if (round >= 1) cut = await slaveMidInterval(handle);
      assert.ok(Date.now() < deadline, `no slave interval mid-way within 3 minutes:\n${fleet.output()}`);
      if (cut === null) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(cut.heartbeatTimeoutMs > 0, 'training intervals have a heartbeat timeout');
    lab.cut('slave');
    try {
      await new Promise((resolve) =>
        setTimeout(resolve, cut.heartbeatTimeoutMs + cutBeyondHeartbeatTimeoutMs),
      );
    } finally {
      lab.restore('slave');
    }
    const result = await handle.result().catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker output:\n${fleet.output()}`);
    });

    // The cut really cost the slave its attempt: the server timed it out, and the retry resumed from
    // the in-interval checkpoint named by the last heartbeat that reached the server before the cut.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduledId = String(
      events.find((event) => event.activityTaskScheduledEventAttributes?.activityId === cut.activityId)
        ?.eventId,
    );
    const started = events.find(
      (event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId,
    )?.activityTaskStartedEventAttributes;
    assert.ok((started?.attempt ?? 0) >= 2, `the cut interval was retried (attempt ${started?.attempt})`);
    const completed = events.find(
      (event) => String(event.activityTaskCompletedEventAttributes?.scheduledEventId) === scheduledId,
    )?.activityTaskCompletedEventAttributes;
    const resumed = payloadOf<TrainIntervalResult>(completed?.result?.payloads?.[0]?.data);
    assert.ok(resumed?.resumedFromStep != null, 'the retry resumed from an in-interval checkpoint');
    assert.ok(
      resumed.stepsRun < interval,
      `the retry trained only the remaining steps (${resumed.stepsRun})`,
    );

    // The same run as the undisturbed one: every round present, same decisions, same choice and scores.
    const documents = await roundDocuments(runId);
    assert.deepEqual(decisionsOf(documents), decisionsOf(undisturbed.documents));
    const { runId: _run, checkpoint: _key, ...outcome } = result;
    const { runId: _run0, checkpoint: _key0, ...undisturbedOutcome } = undisturbed.result;
    assert.deepEqual(outcome, undisturbedOutcome);

    // Every checkpoint the final state and the result name is in the store and loads intact (sha256).
    const finalState = documents.at(-1)?.state;
    assert.ok(finalState);
    const named = new Set([
      ...finalState.tasks.flatMap((task) => [task.checkpoint, task.bestCheckpoint ?? task.checkpoint]),
      keyInStore(deps.store, result.checkpoint),
    ]);
    for (const key of named) {
      assert.ok((await deps.checkpoints.loadCheckpoint(key)).step > 0, `checkpoint ${key}`);
    }
  });
});
