/** Control, master and slave workers as child processes, started the way a user starts them (`amto worker`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerRole } from '../../workers/worker-role';

const repoRoot = join(__dirname, '..', '..');
const readyLine = 'polling task queue';
/** Keeps the end of each worker's output for failure messages without growing without bound. */
const outputTailChars = 20_000;

export interface WorkerProcesses {
  /** The last lines each worker printed, for a failing test's message. */
  output(): string;
  /** SIGTERM (graceful shutdown), then SIGKILL for any worker still alive after the grace time. */
  stop(): Promise<void>;
}

interface SpawnedWorker {
  role: WorkerRole;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

function spawnWorker(role: WorkerRole, taskQueue: string): SpawnedWorker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/main.ts', 'worker', '--role', role, '--task-queue', taskQueue],
    { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
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

async function stopWorker(worker: SpawnedWorker, graceMs: number): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([worker.exited, graceOver]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

/**
 * Starts a control worker on `queue` and master and slave workers on `<queue>-master` / `<queue>-slave`
 * (the queues the tiny run config names), and resolves once all three poll. On failure the started
 * workers are stopped before the error propagates.
 */
export async function startWorkerProcesses(
  queue: string,
  startTimeoutMs = 120_000,
): Promise<WorkerProcesses> {
  const workers = [
    spawnWorker('control', queue),
    spawnWorker('master', `${queue}-master`),
    spawnWorker('slave', `${queue}-slave`),
  ];
  const processes: WorkerProcesses = {
    output: () => workers.map((worker) => `--- ${worker.role} worker ---\n${worker.output}`).join('\n'),
    // The workers' shutdownGraceTime is 20 s; allow a little more before killing.
    stop: async () => {
      await Promise.all(workers.map((worker) => stopWorker(worker, 25_000)));
    },
  };
  const deadline = Date.now() + startTimeoutMs;
  try {
    await Promise.all(workers.map((worker) => waitUntilPolling(worker, deadline)));
  } catch (error) {
    await processes.stop();
    throw error;
  }
  return processes;
}
