import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

const cliEntry = join(__dirname, '..', '..', 'cli', 'main.ts');

export interface WorkerFleet {
  /** The control worker's queue: start workflows here. */
  control: string;
  /** Pass as the run config's `queues`. */
  queues: { master: string; slave: string };
  /** SIGTERM every worker and wait for it to exit. */
  stop(): Promise<void>;
  /** Kill one role's worker at once (SIGKILL), as a preempted machine would die. */
  kill(role: 'master' | 'slave'): Promise<void>;
  /** Start a fresh worker for a role (after `kill`). */
  restart(role: 'master' | 'slave'): void;
  /** The last lines the workers wrote to stderr, for a failing test's message. */
  recentErrors(): string;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Real `amto worker` processes (control, master, slave) on queues unique to one test. */
export function startWorkerFleet(name = 'it'): WorkerFleet {
  const control = `${name}-${randomUUID().slice(0, 8)}`;
  const queues = { master: `${control}-master`, slave: `${control}-slave` };
  const children = new Map<string, ChildProcess>();
  const errors: string[] = [];
  const launch = (role: 'control' | 'master' | 'slave'): void => {
    const queue = role === 'control' ? control : queues[role];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'worker', '--role', role, '--task-queue', queue],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      errors.push(`[${role}] ${chunk}`);
      if (errors.length > 50) errors.shift();
    });
    children.set(role, child);
  };
  launch('control');
  launch('master');
  launch('slave');
  return {
    control,
    queues,
    async stop() {
      const all = [...children.values()];
      for (const child of all) child.kill('SIGTERM');
      await Promise.all(all.map(waitForExit));
    },
    async kill(role) {
      const child = children.get(role);
      if (child === undefined) return;
      child.kill('SIGKILL');
      await waitForExit(child);
    },
    restart(role) {
      launch(role);
    },
    recentErrors() {
      return errors.join('');
    },
  };
}
