import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './cli-process';

const commands = [
  'demo',
  'run',
  'status',
  'list',
  'stop',
  'pause',
  'unpause',
  'resume',
  'report',
  'export',
  'models',
  'worker',
  'infra',
];

describe('amto help', () => {
  test('amto --help lists every command', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    for (const name of commands) assert.match(stdout, new RegExp(`^  ${name} `, 'm'));
  });

  for (const name of commands) {
    test(`amto ${name} --help exits 0 with its usage`, async () => {
      const { code, stdout } = await runCli([name, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Usage: amto ${name}`));
    });
  }
});

describe('amto bad usage exits 2 with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amto-cli-usage-'));

  test('an unknown flag', async () => {
    const { code, stderr } = await runCli(['run', 'x.json', '--bogus']);
    assert.equal(code, 2);
    assert.match(stderr, /amto run: Unknown option '--bogus'/);
  });

  test('an unknown command', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "frobnicate"/);
  });

  test('a flag with a bad value', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ dataset: { kind: 'fashion-mnist' } }));
    const { code, stderr } = await runCli(['run', path, '--tasks', 'two']);
    assert.equal(code, 2);
    assert.match(stderr, /--tasks must be an integer ≥ 1 \(got "two"\)/);
  });

  test('a missing config file', async () => {
    const path = join(dir, 'missing.json');
    const { code, stderr } = await runCli(['run', path]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`config file ${path} does not exist`));
  });

  test('a config file that is not JSON', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "tasks": 2,');
    const { code, stderr } = await runCli(['run', path]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`config file ${path} is not valid JSON`));
  });

  test('a config with bad fields lists every problem', async () => {
    const path = join(dir, 'bad-fields.json');
    writeFileSync(
      path,
      JSON.stringify({
        dataset: { kind: 'fashion-mnist' },
        tasks: 0,
        interval: 'ten',
        optimizer: { momentum: 2 },
      }),
    );
    const { code, stderr } = await runCli(['run', path]);
    assert.equal(code, 2);
    assert.match(stderr, /has 3 problem\(s\)/);
    assert.match(stderr, /- tasks: must be an integer from 1 to 256 \(got 0\)/);
    assert.match(stderr, /- interval: must be an integer ≥ 1/);
    assert.match(stderr, /- optimizer\.momentum: must be a number ≥ 0 and < 1/);
  });

  test('a flag that makes the config invalid is caught too', async () => {
    const path = join(dir, 'ok2.json');
    writeFileSync(path, JSON.stringify({ dataset: { kind: 'fashion-mnist' } }));
    const { code, stderr } = await runCli(['run', path, '--run-id', 'no/slashes']);
    assert.equal(code, 2);
    assert.match(stderr, /- runId: must be 1 to 64 letters/);
  });
});

describe('amto models', () => {
  test('--json lists the zoo with the reference parameter counts at 224/1000', async () => {
    const { code, stdout } = await runCli(['models', '--json', '--input', '224', '--classes', '1000']);
    assert.equal(code, 0);
    const models = JSON.parse(stdout) as { arch: string; params: number; forwardGflops: number }[];
    assert.deepEqual(
      models.map((model) => model.arch),
      ['small-cnn', 'squeezenet1_1', 'mobilenet_v2', 'densenet121'],
    );
    const params = Object.fromEntries(models.map((model) => [model.arch, model.params]));
    assert.equal(params.squeezenet1_1, 1_235_496);
    assert.equal(params.mobilenet_v2, 3_538_984);
    assert.equal(params.densenet121, 8_062_504);
    for (const model of models) assert.ok(model.forwardGflops > 0);
  });

  test('names the compute backend a worker here would train on: native TensorFlow, its version and threads', async () => {
    const { code, stdout } = await runCli(['models']);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^compute backend: tensorflow — @tensorflow\/tfjs-node on TensorFlow 2\.21\.0, CPU, \d+ intra-op threads?/m,
    );
  });
});
