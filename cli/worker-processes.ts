/**
 * `amto worker` child processes, for the CLI (`amto demo`) and the tests alike: one way to start a
 * worker, wait until it polls, and stop it (SIGTERM, then SIGKILL after a grace time) or kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WORKER_READY_TEXT, type WorkerRole } from '../workers/worker-role';

/** How a worker is launched: the CLI entry to run and where (a command prefix such as `ip netns exec h`). */
export interface WorkerLaunch {
  /** bin/amto.js, or cli/main.ts with `execArgv: ['--import', 'tsx']`. */
  entry: string;
  execArgv: readonly string[];
  /** Run through this command first (e.g. `['ip', 'netns', 'exec', 'host-1']`); default none. */
  prefix?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append the worker's output to this file; without it the output is kept in memory (`output()`). */
  logPath?: string;
  /** More `amto worker` options, e.g. `['--backend', 'wasm']`. */
  workerArgs?: readonly string[];
}

export interface WorkerProcess {
  role: WorkerRole;
  child: ChildProcess;
  exited: Promise<void>;
  /** The end of what the worker printed (empty when it logs to a file). */
  output(): string;
  /** SIGTERM (graceful worker shutdown), then SIGKILL if it is still alive after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a preempted machine dies. */
  kill(): Promise<void>;
}

/** A worker's shutdownGraceTime is 20 s (workers/run-worker.ts); allow a little more before SIGKILL. */
export const WORKER_STOP_GRACE_MS = 25_000;
/** Keeps the end of each worker's output for failure messages without growing without bound. */
const outputTailChars = 20_000;

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Starts `amto worker --role <role> --task-queue <taskQueue>`. */
export function spawnWorkerProcess(role: WorkerRole, taskQueue: string, launch: WorkerLaunch): WorkerProcess {
  const argv = [
    ...(launch.prefix ?? []),
    process.execPath,
    ...launch.execArgv,
    launch.entry,
    'worker',
    '--role',
    role,
    '--task-queue',
    taskQueue,
    ...(launch.workerArgs ?? []),
  ];
  let output = '';
  let child: ChildProcess;
  if (launch.logPath === undefined) {
    child = spawn(argv[0] as string, argv.slice(1), {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-outputTailChars);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  } else {
    mkdirSync(dirname(launch.logPath), { recursive: true });
    const fd = openSync(launch.logPath, 'a');
    child = spawn(argv[0] as string, argv.slice(1), {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    role,
    child,
    exited,
    output: () => output,
    async stop(graceMs = WORKER_STOP_GRACE_MS) {
      if (!isAlive(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (isAlive(child)) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once the worker says it polls (it must log to memory); rejects if it exits or the deadline passes. */
export function waitUntilPolling(worker: WorkerProcess, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (worker.output().includes(WORKER_READY_TEXT)) finish();
      else if (!isAlive(worker.child))
        finish(new Error(`the ${worker.role} worker exited before polling:\n${worker.output()}`));
      else if (Date.now() > deadline)
        finish(new Error(`the ${worker.role} worker did not start polling in time:\n${worker.output()}`));
    }, 200);
    function finish(error?: Error): void {
      clearInterval(check);
      if (error === undefined) resolve();
      else reject(error);
    }
  });
}

export interface WorkerProcesses {
  /** Aborted when a worker exits before `stop` was called. */
  died: AbortSignal;
  /** Why `died` fired: which worker exited, how, and where its log is. */
  deathReason(): string | null;
  /** Stops every worker (SIGTERM, then SIGKILL after the grace time). */
  stop(): Promise<void>;
}

/**
 * Starts one worker per role with this process's own CLI entry (bin/amto.js, or cli/main.ts under tsx),
 * each logging to logDir/<name>-<role>.log, and watches them: `died` fires when one exits on its own.
 */
export function startWorkerProcesses(
  workers: { role: WorkerRole; taskQueue: string }[],
  logDir: string,
  name: string,
): WorkerProcesses {
  const controller = new AbortController();
  let reason: string | null = null;
  let stopping = false;
  const children = workers.map(({ role, taskQueue }) => {
    const logPath = join(logDir, `${name}-${role}.log`);
    const worker = spawnWorkerProcess(role, taskQueue, {
      entry: process.argv[1] as string,
      execArgv: process.execArgv,
      logPath,
    });
    worker.child.once('exit', (code, signal) => {
      if (stopping || controller.signal.aborted) return;
      reason = `the ${role} worker exited (${signal ?? `code ${code}`}); see its log ${logPath}`;
      controller.abort();
    });
    return worker;
  });
  return {
    died: controller.signal,
    deathReason: () => reason,
    async stop() {
      stopping = true;
      await Promise.all(children.map((worker) => worker.stop()));
    },
  };
}
