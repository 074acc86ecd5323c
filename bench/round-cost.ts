/**
 * What a round costs beyond training, per zoo model: a real amtoTraining run (M = 1, `--rounds` rounds
 * of c steps) on the real Temporal and MinIO, with the real activities on an in-process worker whose
 * interval-timing interceptor reports each trainInterval's phases; rounds `--measure` … `--rounds` − 1 are
 * averaged (default: round 2 of 3, a steady round after a first one on the same worker; the last round
 * is followed by final selection, not by a round). From the workflow history: the
 * interval's time between scheduling and the workflow seeing its result beyond the worker's own time
 * (waiting on Temporal), and the time from its result to the next round's interval being scheduled
 * (workflow tasks, run-state write, retention: *after interval*); the round is scheduled → next
 * round scheduled.
 *
 * The dataset is decoded before the run (a worker does that once per process).
 *
 *   node --import tsx bench/round-cost.ts [--models small-cnn,squeezenet1_1,mobilenet_v2,densenet121]
 *     [--interval 100] [--batch 16] [--rounds 3] [--measure 2] [--backend auto] [--engine auto] [--json]
 *   node --import tsx bench/round-cost.ts --rounds 6   # rounds 2–5 averaged
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { parseRunConfig, type RunConfigInput } from '../amto';
import { createActivities } from '../activities/create-activities';
import { intervalPhases, type PhaseTimes } from '../activities/interval-phases';
import { loadRunDataset } from '../activities/run-dataset';
import { loadEnvironment } from '../infra/environment';
import { startServers } from '../infra/servers';
import { selectBackend, type BackendRequest } from '../ml/backend';
import { selectEngine, type EngineRequest, type EngineSelection } from '../ml/graph-engine/select-engine';
import { minInputSize } from '../ml/models';
import { createActivityDeps } from '../workers/create-deps';
import { intervalTiming, type IntervalTiming } from '../workers/interval-timing';
import { amtoTraining } from '../workflows';

type Arch = 'small-cnn' | 'squeezenet1_1' | 'mobilenet_v2' | 'densenet121';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'small-cnn,squeezenet1_1,mobilenet_v2,densenet121' },
    interval: { type: 'string', default: '100' },
    batch: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    measure: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'auto' },
    engine: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  },
});

/** Small inputs keep the bench short on CPU: 28×28×1 for small-cnn, else 32² or the model's minimum. */
function inputSizeOf(arch: Arch): number {
  return arch === 'small-cnn' ? 28 : Math.max(32, minInputSize(arch));
}

const millis = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;

interface RoundCost {
  arch: Arch;
  input: string;
  steps: number;
  /** Steady rounds averaged. */
  rounds: number;
  phases: PhaseTimes;
  /** Inside the activity but in no phase: dataset and split manifest, heartbeats. */
  otherInActivityMs: number;
  /** Scheduled → the workflow's completion event, minus the worker's own time. */
  temporalWaitMs: number;
  /** The round's wall time after the interval completed: workflow task, run-state write, retention. */
  afterIntervalMs: number;
  roundMs: number;
}

async function measure(
  client: Client,
  connection: NativeConnection,
  engine: EngineSelection,
  arch: Arch,
): Promise<RoundCost> {
  const environment = loadEnvironment();
  const id = randomUUID().slice(0, 8);
  const queues = { control: `cost-${id}`, master: `cost-${id}-master`, slave: `cost-${id}-slave` };
  const timings: IntervalTiming[] = [];
  const deps = createActivityDeps(environment, engine);
  const activities = createActivities(deps);
  const interval = Number(values.interval);
  const rounds = Number(values.rounds);
  const measured = Number(values.measure);
  if (!(measured >= 1 && measured < rounds))
    throw new Error('--measure must name a round before the last (--rounds)');
  const side = inputSizeOf(arch);
  const workers = await Promise.all([
    Worker.create({
      connection,
      taskQueue: queues.control,
      workflowsPath: require.resolve('../workflows'),
      activities,
    }),
    Worker.create({
      connection,
      taskQueue: queues.master,
      activities,
      maxConcurrentActivityTaskExecutions: 1,
      interceptors: { activity: [intervalTiming((timing) => timings.push(timing))] },
    }),
  ]);
  const config: RunConfigInput = {
    runId: `cost-${id}`,
    dataset: { kind: 'fashion-mnist', subset: 1000, testSubset: 200 },
    model: { arch, inputSize: side },
    tasks: 1,
    interval,
    maxIterations: interval * rounds,
    batchSize: Number(values.batch),
    checkpoint: { everySteps: interval, keepRounds: 1 },
    queues: { master: queues.master, slave: queues.slave },
  };
  // The worker decodes a dataset once per process; do it before the round so the round shows its steady cost.
  const parsed = parseRunConfig(config);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  await loadRunDataset(parsed.config, deps.store, deps.cacheDir);
  const running = workers.map((worker) => worker.run());
  let runId: string;
  try {
    const handle = await client.workflow.start(amtoTraining, {
      taskQueue: queues.control,
      workflowId: `amto-cost-${id}`,
      args: [config],
    });
    runId = handle.firstExecutionRunId;
    await handle.result();
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
  }
  const events = (await client.workflow.getHandle(`amto-cost-${id}`, runId).fetchHistory()).events ?? [];
  const intervals = events.filter(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'trainInterval',
  );
  // One attempt per interval, in round order (the worker trains one at a time).
  if (timings.length !== rounds || intervals.length !== rounds)
    throw new Error(
      `the ${arch} run trained ${timings.length} intervals (${intervals.length} scheduled), not ${rounds}`,
    );
  const costs = Array.from({ length: rounds - measured }, (_, i) => {
    const round = measured + i;
    const scheduled = intervals[round - 1];
    const next = intervals[round];
    const completed = events.find(
      (event) =>
        String(event.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
    );
    const timing = timings[round - 1];
    if (!scheduled || !next || !completed || timing === undefined)
      throw new Error(`the ${arch} run's history lacks round ${round}'s interval or the next round's`);
    const intervalMs = millis(completed.eventTime) - millis(scheduled.eventTime);
    const inPhases = intervalPhases.reduce((sum, phase) => sum + timing.phases[phase], 0);
    const afterIntervalMs = millis(next.eventTime) - millis(completed.eventTime);
    return {
      phases: timing.phases,
      otherInActivityMs: timing.totalMs - inPhases,
      temporalWaitMs: intervalMs - timing.totalMs,
      afterIntervalMs,
      roundMs: intervalMs + afterIntervalMs,
    };
  });
  const mean = (of: (cost: (typeof costs)[number]) => number): number =>
    costs.reduce((sum, cost) => sum + of(cost), 0) / costs.length;
  return {
    arch,
    input: `${side}×${side}×${arch === 'small-cnn' ? 1 : 3}`,
    steps: interval,
    rounds: costs.length,
    phases: Object.fromEntries(
      intervalPhases.map((phase) => [phase, mean((cost) => cost.phases[phase])]),
    ) as PhaseTimes,
    otherInActivityMs: mean((cost) => cost.otherInActivityMs),
    temporalWaitMs: mean((cost) => cost.temporalWaitMs),
    afterIntervalMs: mean((cost) => cost.afterIntervalMs),
    roundMs: mean((cost) => cost.roundMs),
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const environment = loadEnvironment();
  await startServers(environment, () => undefined);
  const backend = await selectBackend(values.backend as BackendRequest, { log: () => undefined });
  const engine = selectEngine(values.engine as EngineRequest);
  const connection = await NativeConnection.connect({ address: environment.temporal.address });
  const clientConnection = await Connection.connect({ address: environment.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: environment.temporal.namespace });
  const pct = (ms: number, round: number): string => `${((100 * ms) / round).toFixed(1)}`;
  try {
    if (!values.json) {
      console.log(
        `backend ${backend.backend}; engine ${engine.detail}; M = 1, rounds ${values.measure}–${Number(values.rounds) - 1} of ${values.rounds} averaged, c = ${values.interval}, batch ${values.batch}`,
      );
      console.log(
        '| model | input | round s | load ckpt ms | build ms | train s | validate ms | save ms | other in activity ms | Temporal wait ms | after interval ms | non-training % | … at 10× faster steps % |',
      );
      console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    }
    for (const arch of values.models.split(',') as Arch[]) {
      const cost = await measure(client, connection, engine, arch);
      if (values.json)
        console.log(JSON.stringify({ backend: backend.backend, engine: engine.detail, ...cost }));
      else {
        const p = cost.phases;
        console.log(
          `| ${arch} | ${cost.input} | ${(cost.roundMs / 1000).toFixed(1)} | ${p.loadCheckpoint.toFixed(0)} | ` +
            `${p.buildModel.toFixed(0)} | ${(p.train / 1000).toFixed(1)} | ${p.validate.toFixed(0)} | ${p.save.toFixed(0)} | ` +
            `${cost.otherInActivityMs.toFixed(0)} | ${cost.temporalWaitMs.toFixed(0)} | ${cost.afterIntervalMs.toFixed(0)} | ` +
            `${pct(cost.roundMs - p.train, cost.roundMs)} | ` +
            // A GPU-speed step: the measured training time / 10, everything else as measured.
            `${pct(cost.roundMs - p.train, cost.roundMs - p.train + p.train / 10)} |`,
        );
      }
    }
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
