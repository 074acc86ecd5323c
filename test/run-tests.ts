/**
 * The project's test entry: makes sure Temporal and MinIO are up (starting them when not), runs every
 * `*.test.ts` under test/ with node's test runner, then stops only the servers it started.
 *   node --import tsx test/run-tests.ts [--unit] [path-substring ...]
 * --unit runs test/unit only and starts no servers.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadEnvironment } from '../infra/environment';
import { startServers, stopServers } from '../infra/servers';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function runNodeTest(files: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { stdio: 'inherit' },
    );
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function run(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const filters = args.filter((arg) => !arg.startsWith('--'));
  const root = join(__dirname);
  const files = testFiles(unitOnly ? join(root, 'unit') : root)
    .map((file) => relative(process.cwd(), file))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  const environment = loadEnvironment();
  const started = unitOnly ? [] : await startServers(environment);
  try {
    return await runNodeTest(files);
  } finally {
    if (started.length > 0 && process.env.AMTO_KEEP_SERVERS !== '1') await stopServers(environment, started);
  }
}

run()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
