/**
 * Memory of real workers over a long real run: Temporal and MinIO (started when not up), a control,
 * a master and a slave `amto worker` process, and one AMTO run of many tiny rounds (small-cnn,
 * Fashion-MNIST subset). At chosen rounds it records each worker's RSS (read from /proc/<pid>/status)
 * and the tf.memory() the worker logged after its last activity ("process memory"). Flat figures mean
 * nothing leaks per round, in tfjs' tensors or in native heaps (the graph engine's memory is only in RSS).
 *
 *   node --import tsx bench/run-memory.ts [--rounds 200] [--at 1,100,200] [--interval 2] \
 *     [--engine auto|graph|tfjs]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { connectTemporal } from '../cli/temporal-client';
import { loadEnvironment } from '../infra/environment';
import { startServers, stopServers } from '../infra/servers';
import { startWorkerFleet } from '../test/helpers/worker-processes';
import { amtoTraining } from '../workflows';
import { progressQuery } from '../workflows/messages';
import { WORKER_READY_TEXT, type WorkerRole } from '../workers/worker-role';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '200' },
    at: { type: 'string', default: '1,50,100,150,200' },
    interval: { type: 'string', default: '2' },
    engine: { type: 'string', default: 'auto' },
  },
});
const rounds = Number(values.rounds);
const interval = Number(values.interval);
const at = new Set(values.at.split(',').map(Number));
const workerArgs = ['--engine', values.engine];
const roles: WorkerRole[] = ['control', 'master', 'slave'];

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) / 1024;
}

/** The tf.memory() each worker logged after its last activity, from the fleet's output. */
function loggedMemory(output: string): Map<string, string> {
  const logged = new Map<string, string>();
  for (const section of output.split(/^--- (?=\w+ worker ---$)/m)) {
    const role = /^(\w+) worker ---/.exec(section)?.[1];
    // The logger may print the figures over several lines.
    const last = section.slice(section.lastIndexOf('process memory'));
    const tensors = /tensors\W+(\d+)/.exec(last)?.[1];
    const tensorMb = /tensorMb\W+([\d.]+)/.exec(last)?.[1];
    if (role !== undefined && tensors !== undefined && section.includes('process memory')) {
      logged.set(role, `${tensors} (${tensorMb} MB)`);
    }
  }
  return logged;
}

/** Rounds completed; on a loaded machine a query can time out, and the next poll asks again. */
async function roundNow(handle: WorkflowHandle<typeof amtoTraining>): Promise<number> {
  try {
    return (await handle.query(progressQuery)).round;
  } catch (error) {
    console.error(`progress query failed (${(error as Error).message}); asking again`);
    return 0;
  }
}

async function main(): Promise<void> {
  const environment = loadEnvironment();
  const started = await startServers(environment);
  const name = `amto-bench-memory-${randomUUID().slice(0, 8)}`;
  const fleet = await startWorkerFleet(name, 180_000, () => ({ prefix: [], env: process.env, workerArgs }));
  const temporal = await connectTemporal(environment);
  try {
    const runId = name.slice('amto-'.length);
    const handle = await temporal.client.workflow.start(amtoTraining, {
      taskQueue: fleet.control,
      workflowId: `amto-${runId}`,
      args: [
        {
          runId,
          seed: 1,
          dataset: { kind: 'fashion-mnist', subset: 400, testSubset: 100 },
          model: { arch: 'small-cnn' },
          tasks: 2,
          interval,
          maxIterations: interval * rounds,
          batchSize: 16,
          optimizer: { learningRate: 0.01, milestones: [] },
          // Never stop early: the point is many rounds.
          earlyStopping: { patience: rounds + 1 },
          checkpoint: { everySteps: interval, keepRounds: 2 },
          queues: fleet.queues,
        },
      ],
    });
    console.log(`run ${runId}, ${rounds} rounds of ${interval} steps, worker args [${workerArgs.join(' ')}]`);
    // Each worker's ready line names its backend and engine.
    for (const line of fleet.output().split('\n')) if (line.includes(WORKER_READY_TEXT)) console.log(line);
    console.log(
      '| round | control RSS MB | master RSS MB | slave RSS MB | master tensors | slave tensors | control tensors |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const startedAt = Date.now();
    let seen = 0;
    const result = handle.result();
    let finished = false;
    result.then(
      () => (finished = true),
      () => (finished = true),
    );
    while (seen < rounds) {
      const round = finished ? rounds : await roundNow(handle);
      if (round > seen) {
        seen = round;
        if ([...at].some((r) => r <= round && !reported.has(r))) {
          for (const r of [...at].filter((r) => r <= round && !reported.has(r))) reported.add(r);
          const rss = roles.map((role) => rssMb(fleet.pid(role)).toFixed(0));
          const logged = loggedMemory(fleet.output());
          const tensors = (role: WorkerRole): string => logged.get(role) ?? '–';
          console.log(
            `| ${round} | ${rss.join(' | ')} | ${tensors('master')} | ${tensors('slave')} | ${tensors('control')} |`,
          );
        }
      }
      if (!finished) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const outcome = await result;
    console.log(
      `finished: ${outcome.rounds} rounds in ${((Date.now() - startedAt) / 1000).toFixed(0)} s, stop reason ${outcome.stopReason}`,
    );
  } catch (error) {
    console.error(fleet.output().slice(-4000));
    throw error;
  } finally {
    await temporal.close();
    await fleet.stop();
    await stopServers(environment, started);
  }
}

const reported = new Set<number>();

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
