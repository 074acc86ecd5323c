/** Control, master and slave workers as child processes, started the way a user starts them (`amto worker`). */
import { join } from 'node:path';
import { spawnWorkerProcess, waitUntilPolling, type WorkerProcess } from '../../cli/worker-processes';
import type { TrainingRole } from '../../amto';
import type { WorkerRole } from '../../workers/worker-role';

const repoRoot = join(__dirname, '..', '..');

export interface WorkerFleet {
  /** The control worker's queue: start workflows here. */
  control: string;
  /** The training queues: pass as the run config's `queues`. */
  queues: { master: string; slave: string };
  /** The last lines each worker printed, for a failing test's message. */
  output(): string;
  /** SIGTERM (graceful shutdown), then SIGKILL for any worker still alive after the grace time. */
  stop(): Promise<void>;
  /** Kill one training worker at once (SIGKILL), as a preempted machine would die; retire it if dead already. */
  kill(role: TrainingRole): Promise<void>;
  /** The process id of a role's live worker (to put it in a cgroup, to signal it). */
  pid(role: WorkerRole): number | undefined;
  /** How a role's last retired worker ended: its signal, or its exit code. */
  endOf(role: WorkerRole): string | null;
  /** Start a fresh worker for a role (after `kill`) and wait until it polls. */
  restart(role: TrainingRole): Promise<void>;
}

/**
 * Where a worker runs: a command prefix (e.g. `ip netns exec <host>`), its environment, and more
 * `amto worker` options (e.g. `['--backend', 'wasm']`).
 */
export interface WorkerHost {
  prefix: string[];
  env: NodeJS.ProcessEnv;
  workerArgs?: string[];
}

const thisHost: WorkerHost = { prefix: [], env: process.env };

/**
 * How long a worker may take to start polling. Seconds on a quiet machine; on a shared 2-core machine
 * at load 30-40, three workers starting at once (tfjs, native TensorFlow, the control worker's workflow
 * bundle) took over 120 s.
 */
export const workerStartTimeoutMs = 300_000;

/**
 * This host, training on WASM: its steps are slow enough (tens of ms) for a test to kill a worker
 * inside an in-interval chunk; on native TensorFlow's graph engine a whole interval of the tiny test
 * configs can end before a heartbeat is seen.
 */
export const wasmHost = (): WorkerHost => ({
  ...thisHost,
  workerArgs: ['--backend', 'wasm', '--engine', 'tfjs'],
});

function spawnWorker(role: WorkerRole, taskQueue: string, host: WorkerHost): WorkerProcess {
  return spawnWorkerProcess(role, taskQueue, {
    entry: 'cli/main.ts',
    execArgv: ['--import', 'tsx'],
    prefix: host.prefix,
    cwd: repoRoot,
    env: host.env,
    workerArgs: host.workerArgs ?? [],
  });
}

/** Starts one worker of a role on a queue and resolves once it polls (stopped again if it never does). */
export async function startWorker(
  role: WorkerRole,
  taskQueue: string,
  host: WorkerHost = thisHost,
  startTimeoutMs = workerStartTimeoutMs,
): Promise<WorkerProcess> {
  const worker = spawnWorker(role, taskQueue, host);
  try {
    await waitUntilPolling(worker, Date.now() + startTimeoutMs);
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}

/**
 * Starts a control worker on `queue` and master and slave workers on `<queue>-master` / `<queue>-slave`,
 * and resolves once all three poll. On failure the started workers are stopped before the error
 * propagates. `hostOf` places each worker (default: this process's host and environment).
 */
export async function startWorkerFleet(
  queue: string,
  startTimeoutMs = workerStartTimeoutMs,
  hostOf: (role: WorkerRole) => WorkerHost = () => thisHost,
): Promise<WorkerFleet> {
  const queues = { master: `${queue}-master`, slave: `${queue}-slave` };
  const workers = new Map<WorkerRole, WorkerProcess>([
    ['control', spawnWorker('control', queue, hostOf('control'))],
    ['master', spawnWorker('master', queues.master, hostOf('master'))],
    ['slave', spawnWorker('slave', queues.slave, hostOf('slave'))],
  ]);
  const retired: WorkerProcess[] = [];
  const fleet: WorkerFleet = {
    control: queue,
    queues,
    output: () =>
      [...retired, ...workers.values()]
        .map((worker) => `--- ${worker.role} worker ---\n${worker.output()}`)
        .join('\n'),
    stop: async () => {
      await Promise.all([...workers.values()].map((worker) => worker.stop()));
    },
    kill: async (role) => {
      const worker = workers.get(role);
      if (worker === undefined) return;
      await worker.kill();
      retired.push(worker);
      workers.delete(role);
    },
    pid: (role) => workers.get(role)?.child.pid,
    endOf: (role) => {
      const child = [...retired].reverse().find((worker) => worker.role === role)?.child;
      return child === undefined ? null : (child.signalCode ?? `exit ${child.exitCode}`);
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
