/**
 * How the benches that train for real drive a run (bench/study.ts, bench/training-scaling.ts): a fleet of
 * `amto worker` processes started the way a user starts them, and runs started with the CLI's own
 * `startRun`, or followed to their end when an interrupted bench had started them already.
 */
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AmtoTrainingResult } from '../../activities/contracts';
import type { RunConfigInput } from '../../amto';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../../cli/worker-processes';
import { startRun } from '../../cli/start-run';
import { workflowIdOf } from '../../cli/temporal-client';
import type { Environment } from '../../infra/environment';
import type { WorkerRole } from '../../workers/worker-role';

const repoRoot = join(__dirname, '..', '..');

export interface FleetQueues {
  control: string;
  master: string;
  slave: string;
}

export interface Fleet {
  queues: FleetQueues;
  control: WorkerProcess;
  /** The training workers: masters first, then slaves. */
  trainers: WorkerProcess[];
  /** The tfjs backend and the engine the first training worker reported at start-up. */
  backend: string;
  engine: string;
  stop(): Promise<void>;
}

/** An `amto worker` started the way a user starts one, from this checkout. */
function spawnWorker(role: WorkerRole, taskQueue: string, workerArgs: readonly string[]): WorkerProcess {
  return spawnWorkerProcess(role, taskQueue, {
    entry: 'cli/main.ts',
    execArgv: ['--import', 'tsx'],
    cwd: repoRoot,
    workerArgs,
  });
}

/**
 * One control worker and `masters` + `slaves` training workers on the queues `name`, `name`-master and
 * `name`-slave, every training worker with `workerArgs` (e.g. `['--engine', 'tfjs']`); resolves once all
 * of them poll. A run keeps the queues it was started with: a bench that follows a run an interrupted
 * bench started must start its fleet under the same name.
 */
export async function startFleet(options: {
  name: string;
  masters: number;
  slaves: number;
  workerArgs?: readonly string[];
}): Promise<Fleet> {
  const queues: FleetQueues = {
    control: options.name,
    master: `${options.name}-master`,
    slave: `${options.name}-slave`,
  };
  const args = options.workerArgs ?? [];
  const control = spawnWorker('control', queues.control, []);
  const trainers = [
    ...Array.from({ length: options.masters }, () => spawnWorker('master', queues.master, args)),
    ...Array.from({ length: options.slaves }, () => spawnWorker('slave', queues.slave, args)),
  ];
  const all = [control, ...trainers];
  const stop = (): Promise<void> => Promise.all(all.map((worker) => worker.stop())).then(() => undefined);
  try {
    const deadline = Date.now() + 300_000;
    await Promise.all(all.map((worker) => waitUntilPolling(worker, deadline)));
  } catch (error) {
    await stop();
    throw error;
  }
  const ready = trainers[0]?.output() ?? '';
  return {
    queues,
    control,
    trainers,
    backend: /polling task queue "[^"]*" on ([^\s,]+)/.exec(ready)?.[1] ?? 'unknown',
    engine: /, engine (\w+)/.exec(ready)?.[1] ?? 'unknown',
    stop,
  };
}

/** Follows the run `config.runId` when it is running or completed, else starts it; resolves with its result. */
export async function runToEnd(
  client: Client,
  environment: Environment,
  config: RunConfigInput & { runId: string },
  controlQueue: string,
): Promise<AmtoTrainingResult> {
  const handle = client.workflow.getHandle(workflowIdOf(config.runId));
  let status: string | undefined;
  try {
    status = (await handle.describe()).status.name;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // Absent, failed, terminated: start it (again).
  if (status !== 'RUNNING' && status !== 'COMPLETED')
    await startRun(client, environment, config, controlQueue);
  return (await handle.result()) as AmtoTrainingResult;
}
