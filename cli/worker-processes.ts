import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerRole } from '../workers/worker-role';

export interface WorkerProcesses {
  /** Aborted when a worker exits before `stop` was called. */
  died: AbortSignal;
  /** Why `died` fired: which worker exited, how, and where its log is. */
  deathReason(): string | null;
  /** SIGTERM to every worker, then waits for them to exit (SIGKILL after the grace time). */
  stop(): Promise<void>;
}

const stopGraceMs = 30_000;

/**
 * Starts one `amto worker` child per role with this process's own CLI entry (bin/amto.js, or
 * cli/main.ts under tsx), each logging to logDir/<name>-<role>.log.
 */
export function startWorkerProcesses(
  workers: { role: WorkerRole; taskQueue: string }[],
  logDir: string,
  name: string,
): WorkerProcesses {
  mkdirSync(logDir, { recursive: true });
  const entry = process.argv[1] as string;
  const controller = new AbortController();
  let reason: string | null = null;
  let stopping = false;
  const children = workers.map(({ role, taskQueue }) => {
    const logPath = join(logDir, `${name}-${role}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(
      process.execPath,
      [...process.execArgv, entry, 'worker', '--role', role, '--task-queue', taskQueue],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (stopping || controller.signal.aborted) return;
      reason = `the ${role} worker exited (${signal ?? `code ${code}`}); see its log ${logPath}`;
      controller.abort();
    });
    return { child, exited };
  });
  return {
    died: controller.signal,
    deathReason: () => reason,
    async stop() {
      stopping = true;
      await Promise.all(children.map(({ child, exited }) => stopChild(child, exited)));
    },
  };
}

/** SIGTERM (graceful worker shutdown), then SIGKILL if the child is still alive after the grace time. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
  graceMs = stopGraceMs,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
