/**
 * What a round of real training costs as M grows on this machine: for each M, a fresh fleet of 2M
 * `amto worker` processes (M masters, M slaves) and one control worker, and a real run (the study's
 * small-cnn config, AMTO with adaptive transfer; STO at M = 1) started with the CLI's own startRun.
 * From the workflow history: each round's wall time (between consecutive run-state writes; round 1
 * from the first interval's scheduling) and each interval's wall time (started → completed); from
 * /proc, sampled every 200 ms: the CPU time the training workers, the control worker and the Temporal
 * and MinIO servers (when ours) spent in each round. Ratios are to M = 1 in the same run of the bench.
 *
 *   nice -n 15 node --import tsx bench/training-scaling.ts [--tasks 1,2,4] [--rounds 5] [--interval 100]
 *     [--subset 3000] [--engine auto] [--json]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { connectTemporal, workflowIdOf } from '../cli/temporal-client';
import { loadEnvironment, type Environment } from '../infra/environment';
import { serverStatus, startServers } from '../infra/servers';
import { cellConfig, studyCells, type StudyBudget } from './study/cells';
import { mean } from './study/stats';
import { runToEnd, startFleet, type Fleet } from './study/run-driver';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1,2,4' },
    rounds: { type: 'string', default: '5' },
    interval: { type: 'string', default: '100' },
    subset: { type: 'string', default: '3000' },
    engine: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  },
});

/** Linux clock ticks per second (USER_HZ), the unit of utime and stime in /proc/<pid>/stat. */
const ticksPerSecond = 100;

/** User + system CPU seconds of a process so far (0 once it has exited). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

type CpuKey = 'trainers' | 'control' | 'servers';
type CpuSample = Record<CpuKey, number> & { at: number };

/** Samples the CPU time of the fleet and of the Temporal and MinIO servers every 200 ms until stopped. */
function sampleCpu(fleet: Fleet, serverPids: number[]): { samples: CpuSample[]; stop(): void } {
  const samples: CpuSample[] = [];
  const take = (): void => {
    samples.push({
      at: Date.now(),
      trainers: fleet.trainers.reduce((sum, worker) => sum + cpuSeconds(worker.child.pid), 0),
      control: cpuSeconds(fleet.control.child.pid),
      servers: serverPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    });
  };
  take();
  const timer = setInterval(take, 200);
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}

/** CPU time at `at`, interpolated between the samples around it. */
function cpuAt(samples: CpuSample[], at: number, key: CpuKey): number {
  const after = samples.findIndex((sample) => sample.at >= at);
  if (after <= 0) return (samples[Math.max(after, 0)] ?? samples.at(-1))?.[key] ?? 0;
  const a = samples[after - 1] as CpuSample;
  const b = samples[after] as CpuSample;
  return a[key] + ((b[key] - a[key]) * (at - a.at)) / Math.max(1, b.at - a.at);
}

const millis = (time: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;

interface Round {
  wallS: number;
  intervals: number;
  /** Mean wall time of the round's trainInterval activities, started → completed. */
  intervalS: number;
  trainerCpuS: number;
  controlCpuS: number;
  /** Temporal dev server + MinIO (0 when this bench did not find their pids: servers not ours). */
  serverCpuS: number;
}

interface ScalingResult {
  tasks: number;
  workers: number;
  interval: number;
  backend: string;
  engine: string;
  rounds: Round[];
}

/** Round boundaries and interval times from the run's history (a short run: no continue-as-new). */
async function roundsOf(client: Client, runId: string, samples: CpuSample[]): Promise<Round[]> {
  const events = (await client.workflow.getHandle(workflowIdOf(runId)).fetchHistory()).events ?? [];
  const scheduled = new Map<string, { name: string; at: number }>();
  const started = new Map<string, number>();
  const intervals: { scheduledAt: number; seconds: number }[] = [];
  const boundaries: number[] = [];
  for (const event of events) {
    const at = millis(event.eventTime);
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name !== undefined && name !== null) {
      scheduled.set(String(event.eventId), { name, at });
      if (name === 'trainInterval' && boundaries.length === 0) boundaries.push(at);
      if (name === 'writeRunState') boundaries.push(at);
    }
    const startedOf = event.activityTaskStartedEventAttributes?.scheduledEventId;
    if (startedOf !== undefined && startedOf !== null) started.set(String(startedOf), at);
    const completedOf = event.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (completedOf !== undefined && completedOf !== null) {
      const of = scheduled.get(String(completedOf));
      const from = started.get(String(completedOf));
      if (of?.name === 'trainInterval' && from !== undefined)
        intervals.push({ scheduledAt: of.at, seconds: (at - from) / 1000 });
    }
  }
  // The last run-state write is the final document after selection, not a round's end.
  const ends = boundaries.slice(1, -1);
  return ends.map((end, index) => {
    const begin = boundaries[index] as number;
    const inRound = intervals.filter((i) => i.scheduledAt >= begin && i.scheduledAt < end);
    return {
      wallS: (end - begin) / 1000,
      intervals: inRound.length,
      intervalS: mean(inRound.map((i) => i.seconds)),
      trainerCpuS: cpuAt(samples, end, 'trainers') - cpuAt(samples, begin, 'trainers'),
      controlCpuS: cpuAt(samples, end, 'control') - cpuAt(samples, begin, 'control'),
      serverCpuS: cpuAt(samples, end, 'servers') - cpuAt(samples, begin, 'servers'),
    };
  });
}

async function measure(
  client: Client,
  environment: Environment,
  tasks: number,
  serverPids: number[],
): Promise<ScalingResult> {
  const cell = studyCells.find(
    (c) => c.tasks === tasks && c.transfer === 'adaptive' && c.split === 'random' && c.budgetFactor === 1,
  );
  if (cell === undefined) throw new Error(`--tasks: the study has no adaptive cell with M = ${tasks}`);
  const interval = Number(values.interval);
  const budget: StudyBudget = {
    iterations: interval * Number(values.rounds),
    interval,
    subset: Number(values.subset),
    testSubset: 1000,
    batchSize: 32,
    learningRate: 0.05,
  };
  const fleet = await startFleet({
    name: `scaling-${randomUUID().slice(0, 8)}-m${tasks}`,
    masters: tasks,
    slaves: tasks,
    workerArgs: ['--engine', values.engine],
  });
  const cpu = sampleCpu(fleet, serverPids);
  try {
    const runId = `${fleet.queues.control}-run`;
    await runToEnd(
      client,
      environment,
      { ...cellConfig(cell, 1, budget, fleet.queues, runId), runId },
      fleet.queues.control,
    );
    cpu.stop();
    return {
      tasks,
      workers: 2 * tasks,
      interval,
      backend: fleet.backend,
      engine: fleet.engine,
      rounds: await roundsOf(client, runId, cpu.samples),
    };
  } finally {
    cpu.stop();
    await fleet.stop();
  }
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const environment = loadEnvironment();
  await startServers(environment, () => undefined);
  const serverPids = (await serverStatus(environment)).flatMap((server) => server.pid ?? []);
  const session = await connectTemporal(environment);
  try {
    let base: { wall: number; cpu: number } | null = null;
    for (const tasks of values.tasks.split(',').map(Number)) {
      const result = await measure(session.client, environment, tasks, serverPids);
      if (values.json) {
        console.log(JSON.stringify(result));
        continue;
      }
      // Round 1 loads the dataset in every worker and, with sameInit, trains no slave: rounds 2… are the steady state.
      const steady = result.rounds.slice(1);
      const wall = median(steady.map((r) => r.wallS));
      const cpu = median(steady.map((r) => r.trainerCpuS + r.controlCpuS + r.serverCpuS));
      base ??= { wall, cpu };
      if (tasks === Number(values.tasks.split(',')[0])) {
        console.log(
          `${result.backend} backend, ${result.engine} engine; c = ${result.interval}; rounds 2–${result.rounds.length} (median)`,
        );
        console.log(
          '| M | workers | intervals/round | round 1 s | round s | × M = 1 | interval s (mean) | CPU s/round: training workers | control | servers | all CPU × M = 1 | all CPU / wall |',
        );
        console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
      }
      console.log(
        `| ${tasks} | ${result.workers} + 1 | ${median(steady.map((r) => r.intervals))} | ` +
          `${(result.rounds[0]?.wallS ?? Number.NaN).toFixed(1)} | ${wall.toFixed(1)} | ${(wall / base.wall).toFixed(2)} | ` +
          `${mean(steady.map((r) => r.intervalS)).toFixed(2)} | ${median(steady.map((r) => r.trainerCpuS)).toFixed(1)} | ` +
          `${median(steady.map((r) => r.controlCpuS)).toFixed(2)} | ${median(steady.map((r) => r.serverCpuS)).toFixed(2)} | ` +
          `${(cpu / base.cpu).toFixed(2)} | ${(cpu / wall).toFixed(2)} |`,
      );
    }
  } finally {
    await session.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
