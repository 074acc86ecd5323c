/**
 * A training worker's resident sessions (activities/resident-models.ts) on real MinIO and real
 * TensorFlow (the default backend and engine, in-process workers on private queues): the interval
 * that follows one on the same worker starts from memory, and its results are exactly those of a
 * worker that loads everything from the store; another worker taking the task, a checkpoint rewritten
 * since it was kept, and a corrupt durable copy all fall back to (or fail like) a load from MinIO.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { parseRunConfig, type RunConfig } from '../../amto';
import type { PreparedRun, TrainIntervalInput, TrainIntervalResult } from '../../activities/contracts';
import { createActivities } from '../../activities/create-activities';
import type { PhaseTimes } from '../../activities/interval-phases';
import { ResidentModels } from '../../activities/resident-models';
import { loadEnvironment } from '../../infra/environment';
import { selectBackend } from '../../ml/backend';
import { selectEngine } from '../../ml/graph-engine/select-engine';
import { activityBoundary } from '../../workers/activity-boundary';
import { createActivityDeps } from '../../workers/create-deps';
import { intervalTiming } from '../../workers/interval-timing';
import type { ActivityCall } from '../fixtures/activity-calls-workflow';

Runtime.install({ logger: new DefaultLogger('WARN') });
const environment = loadEnvironment();
const id = randomUUID().slice(0, 8);
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
const workers: Worker[] = [];
const running: Array<Promise<void>> = [];
/** Each attempt's phase times, by worker queue, in the order they ran. */
const phases = new Map<string, PhaseTimes[]>();
const residents = { a: new ResidentModels(), b: new ResidentModels() };
const queues = { control: `res-${id}`, a: `res-${id}-a`, b: `res-${id}-b`, uncached: `res-${id}-u` };
let config: RunConfig;
let prepared: PreparedRun;
const runId = `res-${id}`;

async function calls(list: ActivityCall[]): Promise<unknown[]> {
  return client.workflow.execute('activityCalls', {
    taskQueue: queues.control,
    workflowId: `res-${randomUUID()}`,
    args: [list],
  });
}

function interval(round: number, fromCheckpoint: string): TrainIntervalInput {
  return {
    runId,
    config,
    round,
    task: 0,
    role: 'master',
    sourceTask: 0,
    fromCheckpoint,
    fromStep: (round - 1) * config.interval,
    steps: config.interval,
  };
}

async function train(queue: string, input: TrainIntervalInput): Promise<TrainIntervalResult> {
  const [result] = await calls([{ queue, activity: 'trainInterval', input }]);
  return result as TrainIntervalResult;
}

const lastPhases = (queue: string): PhaseTimes => phases.get(queue)?.at(-1) as PhaseTimes;

/** What two runs of one interval must agree on exactly (the checkpoint key aside, it is the same). */
const outcome = (result: TrainIntervalResult) => ({
  trainLoss: result.trainLoss,
  valLoss: result.valLoss,
  valAccuracy: result.valAccuracy,
  diverged: result.diverged,
});

before(async () => {
  await selectBackend('auto', { log: () => undefined });
  const engine = selectEngine('auto');
  connection = await Connection.connect({ address: environment.temporal.address });
  client = new Client({ connection, namespace: environment.temporal.namespace });
  nativeConnection = await NativeConnection.connect({ address: environment.temporal.address });
  const depsFor = (resident: ResidentModels | undefined) => ({
    ...createActivityDeps(environment, engine),
    resident,
  });
  const timed = (queue: string) => ({
    activity: [
      activityBoundary,
      intervalTiming((timing) => phases.set(queue, [...(phases.get(queue) ?? []), timing.phases])),
    ],
  });
  workers.push(
    await Worker.create({
      connection: nativeConnection,
      taskQueue: queues.control,
      workflowsPath: require.resolve('../fixtures/activity-calls-workflow'),
      activities: createActivities(depsFor(undefined)),
    }),
    ...(await Promise.all(
      (
        [
          [queues.a, residents.a],
          [queues.b, residents.b],
          [queues.uncached, undefined],
        ] as const
      ).map(([queue, resident]) =>
        Worker.create({
          connection: nativeConnection,
          taskQueue: queue,
          activities: createActivities(depsFor(resident)),
          maxConcurrentActivityTaskExecutions: 1,
          interceptors: timed(queue),
        }),
      ),
    )),
  );
  running.push(...workers.map((worker) => worker.run()));
  const parsed = parseRunConfig({
    runId,
    seed: 3,
    dataset: { kind: 'fashion-mnist', subset: 400, testSubset: 100 },
    model: { arch: 'small-cnn' },
    tasks: 2,
    interval: 6,
    maxIterations: 24,
    batchSize: 16,
    // In-interval checkpoints at steps 4 (and 10, ...): their uploads overlap the next chunk.
    checkpoint: { everySteps: 4, keepRounds: 2 },
    queues: { master: queues.a, slave: queues.b },
  });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  config = parsed.config;
  [prepared] = (await calls([
    { queue: queues.control, activity: 'prepareRun', input: { runId, config } },
  ])) as [PreparedRun];
});

after(async () => {
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
  await nativeConnection?.close();
  await connection?.close();
});

/** Round 3 trained by worker B from round 2's checkpoint as first saved. */
let onB: TrainIntervalResult;

describe('resident sessions (real MinIO, real TensorFlow)', () => {
  test('the next interval on the same worker starts from memory, with the results of a load from MinIO', async () => {
    const initial = prepared.initialCheckpoints[0] as string;
    const first = await train(queues.a, interval(1, initial));
    const firstUncached = await train(queues.uncached, interval(1, initial));
    assert.deepEqual(outcome(first), outcome(firstUncached));
    assert.deepEqual(
      residents.a.describe().sessions.map((session) => session.key),
      [first.checkpoint],
    );

    const second = await train(queues.a, interval(2, first.checkpoint));
    assert.equal(lastPhases(queues.a).buildModel, 0, 'a resident session is not rebuilt');
    const secondUncached = await train(queues.uncached, interval(2, first.checkpoint));
    assert.ok(lastPhases(queues.uncached).buildModel > 0, 'the uncached worker builds');
    assert.deepEqual(outcome(second), outcome(secondUncached));
    assert.ok(second.trainLoss !== null && Number.isFinite(second.trainLoss));
    // What the resident worker saved is byte for byte what the loading worker saved.
    assert.equal(
      await environmentDeps().checkpoints.checkpointDigest(second.checkpoint),
      residents.a.describe().sessions.find((session) => session.key === second.checkpoint)?.digest,
    );
  });

  test('another worker takes the task: it misses, loads from MinIO, same results', async () => {
    const from = residents.a.describe().sessions.at(-1)?.key as string;
    onB = await train(queues.b, interval(3, from));
    assert.ok(
      lastPhases(queues.b).loadCheckpoint > 0 && lastPhases(queues.b).buildModel > 0,
      'B loaded and built',
    );
    const uncached = await train(queues.uncached, interval(3, from));
    assert.deepEqual(outcome(onB), outcome(uncached));
    // A still holds its session of that checkpoint (nobody took it there) and could still use it.
    assert.ok(residents.a.describe().sessions.some((session) => session.key === from));
  });

  test('the checkpoint was rewritten since the worker kept it: the stale session is not used', async () => {
    const deps = environmentDeps();
    const kept = residents.a.describe().sessions.at(-1)?.key as string;
    // Another attempt saved different weights under the same key (what a retry elsewhere does).
    const other = await deps.checkpoints.loadCheckpoint(prepared.initialCheckpoints[1] as string);
    const original = await deps.checkpoints.loadCheckpoint(kept);
    await deps.checkpoints.saveCheckpoint(kept, { ...other, step: original.step, meta: original.meta });
    const onA = await train(queues.a, interval(3, kept));
    assert.ok(lastPhases(queues.a).buildModel > 0, 'A loaded from the store');
    const uncached = await train(queues.uncached, interval(3, kept));
    assert.deepEqual(outcome(onA), outcome(uncached));
    // The kept session (round 2 as first saved) would have given what B got from it.
    assert.notDeepEqual(outcome(onA), outcome(onB));
  });

  test('a resident session whose durable copy is corrupt fails the interval with CorruptCheckpoint', async () => {
    const deps = environmentDeps();
    const kept = residents.a.describe().sessions.at(-1)?.key as string;
    const weights = `${kept}/weights.bin`;
    const bytes = Buffer.from(await deps.store.getObject(weights));
    for (let i = 0; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await deps.store.putObject(weights, bytes);
    const error = await train(queues.a, interval(4, kept)).then(
      () => assert.fail('training on from a corrupt durable checkpoint must fail'),
      (failure: unknown) => failure,
    );
    assert.equal(lastPhases(queues.a).buildModel, 0, 'A started from its resident session');
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause?.cause as { type?: string; message: string } | undefined;
    assert.equal(cause?.type, 'CorruptCheckpoint', String(error.cause?.cause));
    assert.ok(cause?.message.includes(kept), cause?.message);
  });
});

function environmentDeps() {
  return createActivityDeps(environment);
}
