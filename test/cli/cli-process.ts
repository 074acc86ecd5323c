import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { spawnWorkerProcess, type WorkerProcess } from '../../cli/worker-processes';
import type { WorkerRole } from '../../workers/worker-role';

/** The built CLI, run as a user would (`npm run build` first; `npm test` does). */
export const cliEntry = join(__dirname, '..', '..', 'bin', 'amto.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`amto ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running `amto worker` of the built CLI logging to logPath (read it when a test fails). */
export function startWorker(
  role: WorkerRole,
  taskQueue: string,
  logPath: string,
  workerArgs: readonly string[] = [],
): WorkerProcess {
  return spawnWorkerProcess(role, taskQueue, { entry: cliEntry, execArgv: [], logPath, workerArgs });
}
