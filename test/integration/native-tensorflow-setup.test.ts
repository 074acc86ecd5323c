/**
 * infra/native-tensorflow.ts as setup runs it: on this machine's cache it links the built addon in
 * seconds; on a fresh cache with a piece missing it names that piece and lets setup go on (the project
 * then runs on WASM) instead of failing the install.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';

const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'infra', 'native-tensorflow.ts');

function runSetup(env: NodeJS.ProcessEnv): { status: number | null; output: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, ms: Date.now() - started };
}

describe('native TensorFlow setup', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'amto-native-setup-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('with the build in the cache it only links and checks it, in seconds', () => {
    const { status, output, ms } = runSetup({});
    assert.equal(status, 0, output);
    assert.match(output, /@tensorflow\/tfjs-node on TensorFlow 2\.21\.0 \(cpu\) ready in/);
    assert.doesNotMatch(output, /fetching|building/, 'nothing is downloaded or rebuilt a second time');
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  test('without pip on a fresh cache it names what is missing, exits 0, and changes no link', () => {
    // A PATH with node alone: no python3, so no pip.
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const deps = join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-node', 'deps');
    const before = existsSync(deps);
    const { status, output } = runSetup({ PATH: bin, AMTO_CACHE_DIR: join(scratch, 'cache') });
    assert.equal(status, 0, 'setup goes on: the project still runs on WASM');
    assert.match(
      output,
      /native TensorFlow not installed — python3 with pip is needed .*apt-get install -y python3-pip/,
    );
    assert.match(output, /workers will use the WASM backend until this is fixed/);
    assert.equal(existsSync(deps), before);
    assert.ok(!existsSync(join(scratch, 'cache', 'tensorflow', `tf-2.21.0-cpu`, '.complete')));
    assert.ok(existsSync(dirname(deps)), 'the installed package is left in place');
  });
});
