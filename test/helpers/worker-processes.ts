/** Control, master and slave workers as child processes, started the way a user starts them (`amto worker`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopChild } from '../../cli/worker-processes';
import type { WorkerRole } from '../../workers/worker-role';

const repoRoot = join(__dirname, '..', '..');
const readyLine = 'polling task queue';
/** Keeps the end of each worker's output for failure messages without growing without bound. */
const outputTailChars = 20_000;

export interface WorkerFleet {
  /** The control worker's queue: start workflows here. */
  control: string;
  /** The training queues: pass as the run config's `queues`. */
  queues: { master: string; slave: string };
  /** The last lines each worker printed, for a failing test's message. */
  output(): string;
  /** SIGTERM (graceful shutdown), then SIGKILL for any worker still alive after the grace time. */
  stop(): Promise<void>;
  /** Kill one training worker at once (SIGKILL), as a preempted machine would die. */
  kill(role: 'master' | 'slave'): Promise<void>;
  /** Start a fresh worker for a role (after `kill`) and wait until it polls. */
  restart(role: 'master' | 'slave'): Promise<void>;
}

interface SpawnedWorker {
  role: WorkerRole;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

/** Where a worker runs: a command prefix (e.g. `ip netns exec <host>`) and its environment. */
export interface WorkerHost {
  prefix: string[];
  env: NodeJS.ProcessEnv;
}

const thisHost: WorkerHost = { prefix: [], env: process.env };

function spawnWorker(role: WorkerRole, taskQueue: string, host: WorkerHost): SpawnedWorker {
  const argv = [
    ...host.prefix,
    process.execPath,
    '--import',
    'tsx',
    'cli/main.ts',
    'worker',
    '--role',
    role,
    '--task-queue',
    taskQueue,
  ];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: repoRoot,
    env: host.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: SpawnedWorker = {
    role,
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  const append = (chunk: Buffer): void => {
    worker.output = (worker.output + chunk.toString('utf8')).slice(-outputTailChars);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return worker;
}

function waitUntilPolling(worker: SpawnedWorker, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (worker.output.includes(readyLine)) finish();
      else if (worker.child.exitCode !== null || worker.child.signalCode !== null)
        finish(new Error(`the ${worker.role} worker exited before polling:\n${worker.output}`));
      else if (Date.now() > deadline)
        finish(new Error(`the ${worker.role} worker did not start polling in time:\n${worker.output}`));
    }, 200);
    function finish(error?: Error): void {
      clearInterval(check);
      if (error === undefined) resolve();
      else reject(error);
    }
  });
}

/**
 * Starts a control worker on `queue` and master and slave workers on `<queue>-master` / `<queue>-slave`,
 * and resolves once all three poll. On failure the started workers are stopped before the error
 * propagates. `hostOf` places each worker (default: this process's host and environment).
 */
export async function startWorkerFleet(
  queue: string,
  startTimeoutMs = 120_000,
  hostOf: (role: WorkerRole) => WorkerHost = () => thisHost,
): Promise<WorkerFleet> {
  const queues = { master: `${queue}-master`, slave: `${queue}-slave` };
  const workers = new Map<WorkerRole, SpawnedWorker>([
    ['control', spawnWorker('control', queue, hostOf('control'))],
    ['master', spawnWorker('master', queues.master, hostOf('master'))],
    ['slave', spawnWorker('slave', queues.slave, hostOf('slave'))],
  ]);
  const retired: SpawnedWorker[] = [];
  const fleet: WorkerFleet = {
    control: queue,
    queues,
    output: () =>
      [...retired, ...workers.values()]
        .map((worker) => `--- ${worker.role} worker ---\n${worker.output}`)
        .join('\n'),
    // The workers' shutdownGraceTime is 20 s; allow a little more before killing.
    stop: async () => {
      await Promise.all(
        [...workers.values()].map((worker) => stopChild(worker.child, worker.exited, 25_000)),
      );
    },
    kill: async (role) => {
      const worker = workers.get(role);
      if (worker === undefined) return;
      worker.child.kill('SIGKILL');
      await worker.exited;
      retired.push(worker);
      workers.delete(role);
    },
    restart: async (role) => {
      const worker = spawnWorker(role, queues[role], hostOf(role));
      workers.set(role, worker);
      await waitUntilPolling(worker, Date.now() + startTimeoutMs);
    },
  };
  const deadline = Date.now() + startTimeoutMs;
  try {
    await Promise.all([...workers.values()].map((worker) => waitUntilPolling(worker, deadline)));
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}
