import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEntry } from '../cli/cli-process';

export interface CliResult {
  code: number | null;
  /** stdout and stderr together, as a user sees them. */
  output: string;
}

/** The built `amto <args>` (npm test builds first) with exactly this environment. */
export function runAmto(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`amto ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * A tiny run config whose training queues nobody serves: a control worker alone prepares the run and
 * answers its queries, which is all the security tests need of it. Returns the file's path.
 */
export function writeUntrainedRunConfig(dir: string, name: string, queue: string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      dataset: { kind: 'fashion-mnist', subset: 200, testSubset: 100 },
      model: { arch: 'small-cnn' },
      tasks: 2,
      interval: 5,
      maxIterations: 10,
      batchSize: 16,
      queues: { master: `${queue}-master`, slave: `${queue}-slave` },
    }),
  );
  return path;
}
